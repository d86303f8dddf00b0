"""The page plan of a typeset issue: front matter, printed page numbers, and padding to the signature.

The issue HTML (document.py) lays out, after the articles and the call for papers, every standing
page of the periodical and, in the print variant, enough blank pages for one signature. Here the
build learns from the laid-out pages where each part begins, and decides which of those pages the
PDF keeps: everything up to and including the call for papers, then the standing pages in order
as long as they fit the signature's remaining pages (one that would open a new signature is left
out), then blank pages (print variant only). No second layout is needed.

Printed page 1 is the first page after the front matter (cover, masthead, contents) when the
periodical numbers from the first article, the cover otherwise; /PageLabels makes a PDF viewer
show those numbers, and the front matter's pages by their names.
"""

from dataclasses import dataclass, field

import pydyf
from django.utils.translation import gettext as _

FRONT_ANCHORS = {"front-cover": "封面", "front-masthead": "版权页", "front-contents": "目录"}
BODY_START = "body-start"
FILLER_PREFIX = "filler-"
BLANK_PREFIX = "blank-"
CALL_FOR_PAPERS = FILLER_PREFIX + "0"


@dataclass
class Filler:
    name: str
    first: int  # index of its first laid-out page
    pages: int
    used: bool = False


@dataclass
class PagePlan:
    """Which laid-out pages (0-based indexes) the PDF keeps, and how they are numbered."""

    front_labels: list[str]  # names of the front matter's pages, in order
    numbered_from_cover: bool
    content_pages: int  # front matter, articles and call for papers
    fillers: list[Filler] = field(default_factory=list)
    blank_indexes: list[int] = field(default_factory=list)  # laid-out blank pages kept

    @property
    def front_pages(self) -> int:
        """PDF pages before printed page 1."""
        return 0 if self.numbered_from_cover else len(self.front_labels)

    @property
    def kept(self) -> list[int]:
        pages = list(range(self.content_pages))
        for filler in self.fillers:
            if filler.used:
                pages.extend(range(filler.first, filler.first + filler.pages))
        return pages + self.blank_indexes

    @property
    def page_count(self) -> int:
        return len(self.kept)

    @property
    def added_pages(self) -> int:
        return self.page_count - self.content_pages

    def fillers_json(self) -> list[dict]:
        return [{"name": filler.name, "pages": filler.pages, "used": filler.used} for filler in self.fillers]

    def printed_number(self, pdf_index: int) -> int:
        """The folio of the kept page at `pdf_index` (0-based, in the PDF as written)."""
        return pdf_index - self.front_pages + 1

    def label(self, pdf_index: int) -> str:
        """How the page at `pdf_index` (0-based, in the PDF as written) is called: its folio or its name."""
        if pdf_index < self.front_pages:
            return self.front_labels[pdf_index]
        return str(self.printed_number(pdf_index))

    def page_labels(self) -> pydyf.Dictionary:
        """/PageLabels for the catalog: front matter by name, then decimal numbers from 1."""
        numbers = pydyf.Array()
        for index in range(self.front_pages):
            numbers.extend([index, pydyf.Dictionary({"P": pydyf.String(self.front_labels[index])})])
        numbers.extend([self.front_pages, pydyf.Dictionary({"S": "/D", "St": 1})])
        return pydyf.Dictionary({"Nums": numbers})


def page_plan(document, *, filler_names, per_signature: int, numbered_from_cover: bool, blanks: bool) -> PagePlan:
    """The plan for a rendered WeasyPrint document of the issue HTML; `filler_names` by anchor."""
    anchors = {}
    for index, page in enumerate(document.pages):
        for anchor in page.anchors:
            anchors.setdefault(anchor, index)
    total = len(document.pages)
    front_labels, name = [], _(FRONT_ANCHORS["front-cover"])
    for index in range(anchors.get(BODY_START, 0)):
        for anchor, label in FRONT_ANCHORS.items():
            if anchors.get(anchor) == index:
                name = _(label)
        front_labels.append(name)

    starts = sorted(
        (index, anchor) for anchor, index in anchors.items() if anchor.startswith((FILLER_PREFIX, BLANK_PREFIX))
    )
    ends = [index for index, _anchor in starts[1:]] + [total]
    content_end = starts[0][0] if starts else total
    fillers, blank_indexes = [], []
    for (index, anchor), end in zip(starts, ends):
        if anchor == CALL_FOR_PAPERS:
            content_end = end  # printed in every issue
        elif anchor.startswith(FILLER_PREFIX):
            fillers.append(Filler(name=filler_names.get(anchor, anchor), first=index, pages=end - index))
        else:
            blank_indexes.append(index)

    plan = PagePlan(front_labels, numbered_from_cover, content_pages=content_end, fillers=fillers)
    used, missing_blanks = choose_padding(content_end, [filler.pages for filler in fillers], per_signature)
    for filler, use in zip(fillers, used):
        filler.used = use
    if blanks:
        plan.blank_indexes = blank_indexes[:missing_blanks]
    return plan


def choose_padding(content_pages: int, filler_pages: list[int], per_signature: int) -> tuple[list[bool], int]:
    """Which fillers pad the issue to a whole number of signatures (in order, each only if it fits), and how
    many blank pages remain to add."""
    missing = -content_pages % per_signature
    used = []
    for pages in filler_pages:
        used.append(pages <= missing)
        missing -= pages if used[-1] else 0
    return used, missing


def padding_summary(content_pages: int, fillers: list[dict], per_signature: int) -> str:
    """ "25 页 → 28 页（补 3 页：本刊声明 1 页、空白页 2 页）", from a build's stored page plan."""
    used, blanks = choose_padding(content_pages, [filler["pages"] for filler in fillers], per_signature)
    added = [filler for filler, use in zip(fillers, used) if use]
    missing = sum(filler["pages"] for filler in added) + blanks
    if not missing:
        return _("%(pages)s 页，是每帖 %(signature)s 页的整数倍，无需补页") % {
            "pages": content_pages,
            "signature": per_signature,
        }
    parts = [_("%(name)s %(pages)s 页") % filler for filler in added]
    if blanks:
        parts.append(_("空白页 %(pages)s 页") % {"pages": blanks})
    return _("%(pages)s 页 → %(total)s 页（补 %(missing)s 页：%(parts)s）") % {
        "pages": content_pages,
        "total": content_pages + missing,
        "missing": missing,
        "parts": "、".join(parts),
    }
