"""Preflight: what a printer (and the rules for 内部资料) would catch, read off the laid-out pages.

Run by every build on the pages it writes, stored with the build (IssuePDF.preflight) and shown on
the issue's page. Each finding names its page, by its printed number, and its article. Characters
without a glyph are not here: they stop the build (build.TypesettingError).

Reading WeasyPrint's boxes rather than the written PDF costs a few milliseconds and knows what a
PDF no longer does: which article a line belongs to, how much a line was spread by justification,
an image's own pixels against its printed size.
"""

from dataclasses import asdict, dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from weasyprint.formatting_structure import boxes
from weasyprint.images import RasterImage

from issues.typesetting import justify
from issues.typesetting.pages import PagePlan

LOOSE_EM = 0.12  # mean extra gap between CJK characters beyond which a justified line is loose
MIN_DPI = 300
CSS_PX_PER_INCH = 96
# What the rules for 内部资料性出版物 want printed, and where.
INTERNAL_COVER = ("内部资料", "免费交流")
INTERNAL_MASTHEAD = ("编印单位", "发送对象", "印刷单位", "印刷日期", "印数")


@dataclass
class Finding:
    kind: str  # one of KIND_LABELS
    message: str
    page: str = ""  # printed page number or front-matter name
    article: str = ""

    def as_json(self):
        return asdict(self)


KIND_LABELS = {
    "low_dpi": gettext_lazy("图片分辨率不足"),
    "rgb_image": gettext_lazy("RGB 图片"),
    "loose_line": gettext_lazy("字距过松"),
    "orphan": gettext_lazy("孤字"),
    "line_start_punctuation": gettext_lazy("行首标点"),
    "empty_page": gettext_lazy("空页"),
    "signature": gettext_lazy("页数"),
    "internal": gettext_lazy("内部资料必印项目"),
    "cover": gettext_lazy("封面"),
}


def labelled(findings: list[dict]) -> list[dict]:
    """Stored findings with the name of their kind and where they are ("第 17 页《…》", "封面")."""
    return [
        {**finding, "label": KIND_LABELS.get(finding["kind"], finding["kind"]), "where": _where(finding)}
        for finding in findings
    ]


def _where(finding):
    page = finding["page"]
    where = _("第 %(page)s 页") % {"page": page} if page.isdigit() else page
    return where + (f"《{finding['article']}》" if finding["article"] else "")


def preflight(document, *, plan: PagePlan, variant: str, periodical, article_titles: dict[int, str]):
    """Findings for the pages of `document` (the kept pages, in the order written)."""
    findings = []
    blank_pages = set(range(plan.page_count - len(plan.blank_indexes), plan.page_count))
    page_texts = []
    for index, page in enumerate(document.pages):
        label = plan.label(index)
        reader = _PageReader(label, article_titles, print_variant=variant == "print")
        reader.read(page._page_box)
        findings.extend(reader.findings)
        page_texts.append(reader.text)
        if index not in blank_pages and not reader.text.strip() and not reader.images:
            findings.append(Finding("empty_page", _("这一页是空白页，但不是为补足印张而加的。"), label))
    cover_pages = plan.front_labels.count(plan.front_labels[0]) if plan.front_labels else 1
    if cover_pages > 1 or (document.pages and _cover_overflows(document.pages[0]._page_box)):
        findings.append(
            Finding(
                "cover",
                _("封面上的标题太多，放不下（压到页脚或排到了下一页）：请缩短标题或减少列入目录的文章。"),
                plan.label(0),
            )
        )
    if variant == "print" and len(document.pages) % periodical.pages_per_signature:
        findings.append(
            Finding(
                "signature",
                _("共 %(pages)s 页，不是每帖 %(signature)s 页的整数倍。")
                % {"pages": len(document.pages), "signature": periodical.pages_per_signature},
            )
        )
    if periodical.internal_publication:
        findings.extend(_internal_publication(page_texts, plan, periodical))
    return findings


def _internal_publication(page_texts, plan, periodical):
    findings = []
    cover = page_texts[0] if page_texts else ""
    for words in INTERNAL_COVER:
        if words not in cover:
            findings.append(Finding("internal", _("封面上没有印“%(words)s”。") % {"words": words}, plan.label(0)))
    if not periodical.permit_number or periodical.permit_number not in cover:
        findings.append(Finding("internal", _("封面上没有印准印证号（在“刊物设置”中填写）。"), plan.label(0)))
    # The masthead is in the front matter; a back cover would be among the last pages.
    front_and_back = "".join(page_texts[: max(len(plan.front_labels), 1)] + page_texts[plan.content_pages - 1 :])
    missing = [label for label in INTERNAL_MASTHEAD if label not in front_and_back]
    if missing:
        findings.append(
            Finding(
                "internal",
                _("版权页或封底上没有这些内部资料必印项目：%(labels)s（可在本期的版权信息中添加）。")
                % {"labels": "、".join(missing)},
            )
        )
    return findings


def _cover_overflows(page_box) -> bool:
    """Whether the cover's headlines reach down into its foot (slogan and units)."""
    found, stack = {}, [page_box]
    while stack:
        box = stack.pop()
        box = getattr(box, "_box", box)  # behind an absolute placeholder
        classes = (box.element.get("class") or "").split() if box.element is not None else []
        for name in ("cover-headlines", "cover-foot"):
            if name in classes and box.element_tag == "div":
                found.setdefault(name, box)
        if isinstance(box, boxes.ParentBox):
            stack.extend(box.children)
    headlines, foot = found.get("cover-headlines"), found.get("cover-foot")
    if headlines is None or foot is None:
        return False
    return headlines.position_y + headlines.margin_height() > foot.position_y + 0.5


class _PageReader:
    """Walks one page's boxes: its text, its images, and the findings about its lines and images."""

    def __init__(self, label, article_titles, *, print_variant):
        self.label = label
        self.article_titles = article_titles
        self.print_variant = print_variant
        self.findings = []
        self.images = 0
        self.parts = []

    @property
    def text(self):
        return "".join(self.parts)

    def read(self, box, article=""):
        box = getattr(box, "_box", box)  # an absolutely positioned box, behind its placeholder
        if isinstance(box, boxes.MarginBox):
            return  # running heads and folios: a page with nothing else on it is empty
        element_id = box.element.get("id", "") if box.element is not None else ""
        if box.element_tag == "article" and element_id.startswith("article-"):
            article = self.article_titles.get(int(element_id.removeprefix("article-")), "")
        if isinstance(box, boxes.TextBox):
            self.parts.append(box.text)
        elif isinstance(box, boxes.ReplacedBox):
            self.images += 1
            self._image(box, article)
        elif isinstance(box, boxes.LineBox):
            self._line(box, article)
        if isinstance(box, boxes.ParentBox):
            for child in box.children:
                self.read(child, article)
        if isinstance(box, boxes.BlockBox) and box.children and isinstance(box.children[-1], boxes.LineBox):
            self._last_line(box, box.children[-1], article)

    def _finding(self, kind, message, article):
        self.findings.append(Finding(kind, message, self.label, article))

    def _image(self, box, article):
        image = box.replacement
        if not isinstance(image, RasterImage) or not box.width:
            return
        dpi = image.width / (box.width / CSS_PX_PER_INCH)
        if dpi < MIN_DPI - 0.5:
            self._finding(
                "low_dpi",
                _("图片 %(width)s×%(height)s 像素，印在这里只有 %(dpi)s dpi（印刷至少需要 %(min)s dpi）。")
                % {"width": image.width, "height": image.height, "dpi": round(dpi), "min": MIN_DPI},
                article,
            )
        if self.print_variant and image.mode not in ("CMYK", "L", "1"):
            self._finding(
                "rgb_image", _("图片是 %(mode)s 色彩模式，印刷厂会转换为 CMYK。") % {"mode": image.mode}, article
            )

    def _line(self, line, article):
        texts = [child for child in justify.text_boxes(line) if child.text]
        if not texts or texts[0].style["text_align_all"] != "justify":
            return
        first = texts[0].text.lstrip()
        if first[:1] in justify.CLOSING or first[:1] in "？！":
            self._finding(
                "line_start_punctuation",
                _("行首是标点“%(mark)s”：%(line)s") % {"mark": first[0], "line": _line_text(texts)},
                article,
            )
        spacing = max(getattr(child, "justification_spacing", 0) or 0 for child in texts)
        font_size = texts[0].style["font_size"]
        if justify.CJK.search(first) and spacing / font_size > LOOSE_EM:
            self._finding(
                "loose_line",
                _("字距过松（每字多出 %(em).2f 字宽）：%(line)s")
                % {"em": spacing / font_size, "line": _line_text(texts)},
                article,
            )

    def _last_line(self, block, line, article):
        texts = [child for child in justify.text_boxes(line) if child.text]
        if not texts or texts[0].style["text_align_all"] != "justify" or block.element is None:
            return
        text = _line_text(texts)
        whole = "".join(block.element.itertext()).rstrip()
        if not whole.endswith(text) or len(whole) <= len(text):
            return  # not the paragraph's last line (it goes on on the next page), or a one-line paragraph
        if len(text.rstrip(justify.PUNCTUATION)) == 1:
            self._finding("orphan", _("段末一行只有一个字“%(line)s”。") % {"line": text}, article)


def _line_text(texts):
    return "".join(child.text for child in texts).strip()
