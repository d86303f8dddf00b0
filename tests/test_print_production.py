"""Print production: padding to the signature, front matter settings, the cover, preflight, source lines."""

import io
import re
from pathlib import Path

import pytest
import weasyprint
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from pdfminer.high_level import extract_pages
from pdfminer.layout import LAParams
from PIL import Image
from pypdf import PdfReader

from articles.models import Article
from issues.models import Issue, IssuePDF, MastheadLine, Periodical, StandingPage
from issues.typesetting.build import issue_build_pdf
from issues.typesetting.pages import choose_padding, padding_summary
from tests.factories import make_article, make_issue, make_section, proofread
from tests.typography import text_lines

pytestmark = pytest.mark.django_db
MM = 72 / 25.4


def one_article_issue(**fields):
    issue = make_issue(year=2020, number=1, total_number=90, masthead=[("主编", "张三")], **fields)
    make_article(issue=issue, section=make_section(name="特别报道"), title="测试文章", body="<p>正文一段。</p>")
    return issue


def texts(record):
    return [re.sub(r"\s+", "", page.extract_text()) for page in PdfReader(record.path).pages]


# Padding to the signature ---------------------------------------------------------------------


def test_the_print_variant_is_padded_with_standing_pages_then_blank_pages():
    periodical = Periodical.load()
    periodical.call_for_papers = "欢迎投稿。"
    periodical.pages_per_signature = 8
    periodical.save()
    StandingPage.objects.create(
        periodical=periodical, title="本刊声明", text="本刊所载文章版权归本刊所有。", position=1
    )
    StandingPage.objects.create(periodical=periodical, title="封底", text="南滨市电子商务服务中心 编印", position=2)
    issue = one_article_issue()

    printed = issue_build_pdf(issue=issue, variant=IssuePDF.Variant.PRINT)
    assert printed.status == IssuePDF.Status.DONE, printed.error
    # Cover, contents (masthead beside it), the article, the call for papers: 4 pages; 4 more make 8.
    assert printed.content_pages == 4 and printed.page_count == 8
    assert printed.fillers == [
        {"name": "本刊声明", "pages": 1, "used": True},
        {"name": "封底", "pages": 1, "used": True},
    ]
    assert printed.blank_pages == 2
    pages = texts(printed)
    assert "征稿启事" in pages[3] and "本刊声明" in pages[4] and "封底" in pages[5]
    assert pages[6] == pages[7] == ""  # blank: no running head, no folio
    assert PdfReader(printed.path).page_labels == ["封面", "目录", "1", "2", "3", "4", "5", "6"]
    assert not [finding for finding in printed.preflight if finding["kind"] in ("empty_page", "signature")]

    screen = issue_build_pdf(issue=issue, variant=IssuePDF.Variant.SCREEN)
    assert screen.page_count == 6 and screen.blank_pages == 0  # the same pages, without the blank ones


def test_a_standing_page_that_would_open_another_signature_is_left_out():
    periodical = Periodical.load()
    periodical.call_for_papers = "欢迎投稿。"
    periodical.save()
    long_text = "\n\n".join(["本刊长期征集行业数据与案例，欢迎各单位提供线索。" * 8] * 12)  # two pages
    StandingPage.objects.create(periodical=periodical, title="长启事", text=long_text, position=1)
    StandingPage.objects.create(
        periodical=periodical, title="封底", text="编印单位：南滨市电子商务服务中心", position=2
    )
    make_article(issue=(issue := one_article_issue()), section=make_section(name="业界交流"), title="第二篇",
                 body="<p>正文。</p>", position=2)  # fmt: skip

    printed = issue_build_pdf(issue=issue, variant=IssuePDF.Variant.PRINT)
    # 5 pages of content: 3 to add, the two-page notice fits, then the back cover page.
    assert printed.content_pages == 5 and printed.page_count == 8
    assert [(filler["name"], filler["pages"], filler["used"]) for filler in printed.fillers] == [
        ("长启事", 2, True),
        ("封底", 1, True),
    ]
    assert printed.blank_pages == 0
    assert choose_padding(6, [2, 1], 4) == ([True, False], 0)  # 2 missing: the notice, then nothing
    assert choose_padding(7, [2, 1], 4) == ([False, True], 0)  # 1 missing: the notice would not fit
    assert choose_padding(8, [2, 1], 4) == ([False, False], 0)
    assert choose_padding(5, [], 1) == ([], 0)  # no signature: nothing is padded


def test_no_padding_without_a_signature():
    periodical = Periodical.load()
    periodical.pages_per_signature = 1
    periodical.save()
    printed = issue_build_pdf(issue=one_article_issue(), variant=IssuePDF.Variant.PRINT)
    assert printed.page_count == printed.content_pages == 3 and printed.blank_pages == 0


def test_the_issue_page_says_how_the_print_variant_will_be_padded(staff_client):
    periodical = Periodical.load()
    periodical.call_for_papers = "欢迎投稿。"
    periodical.pages_per_signature = 8
    periodical.save()
    StandingPage.objects.create(periodical=periodical, title="本刊声明", text="版权所有。", position=1)
    issue = one_article_issue()
    issue_build_pdf(issue=issue, variant=IssuePDF.Variant.SCREEN)  # the print variant is not built yet

    page = staff_client.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()
    assert "4 页 → 8 页（补 4 页：本刊声明 1 页、空白页 3 页）" in page
    assert padding_summary(8, [], 4) == "8 页，是每帖 4 页的整数倍，无需补页"

    # And the confirmation before publishing, which builds the print variant, says it too.
    issue.status = Issue.Status.READY
    issue.save()
    Article.objects.update(status=Article.Status.READY)
    proofread(issue)
    step = staff_client.get(reverse("admin:issues_issue_step", args=[issue.pk, "publish"])).content.decode()
    assert "印刷版按上次生成的屏幕版计：4 页 → 8 页（补 4 页：本刊声明 1 页、空白页 3 页）。" in step


# Front matter -------------------------------------------------------------------------------


def test_the_masthead_can_have_a_page_of_its_own():
    periodical = Periodical.load()
    periodical.masthead_placement = Periodical.MastheadPlacement.OWN_PAGE
    periodical.save()
    record = issue_build_pdf(issue=one_article_issue())
    pages = texts(record)
    assert record.front_pages == 3
    assert "主编：张三" in pages[1] and "目录" not in pages[1]
    assert "目录" in pages[2] and "主编" not in pages[2]
    assert PdfReader(record.path).page_labels[:4] == ["封面", "版权页", "目录", "1"]
    assert Article.objects.get().first_page == 1


def test_by_default_the_masthead_is_beside_the_contents():
    record = issue_build_pdf(issue=one_article_issue())
    pages = texts(record)
    assert record.front_pages == 2 and "主编：张三" in pages[1] and "目录" in pages[1]


def lines_of_page(path, index):
    page = next(extract_pages(path, page_numbers=[index], laparams=LAParams()))
    return page, text_lines(page)


def test_a_cover_without_an_image_fills_the_page_with_its_headlines(tmp_path):
    periodical = Periodical.load()
    periodical.host_unit = "南滨市电子商务服务中心"
    periodical.save()
    issue = make_issue(year=2020, number=1, total_number=90)
    for position, (section, title) in enumerate(
        [("卷首语", "从有没有走向好不好"), ("特别报道", "跨境电子商务发展报告"), ("业界交流", "县域电商的最后一公里")]
    ):
        make_article(issue=issue, section=make_section(name=section, position=position), title=title,
                     body="<p>正文。</p>", position=position)  # fmt: skip
    record = issue_build_pdf(issue=issue)
    page, lines = lines_of_page(record.path, 0)
    headline = next(line for line in lines if "县域电商" in line.get_text())
    units = next(line for line in lines if "主办单位" in line.get_text())
    # Larger than the 10.5 pt of a cover with an image, and spread down the page.
    assert headline.height > 12
    assert headline.y0 < page.height * 0.6
    assert units.y0 < page.height * 0.12


# Preflight ----------------------------------------------------------------------------------


def body_image(name, *, mode="RGB", size=(60, 40)):
    path = Path(django_settings.MEDIA_ROOT) / "articles" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    colour = {"RGB": (20, 90, 130), "L": 128, "CMYK": (80, 30, 0, 20)}[mode]
    Image.new(mode, size, colour).save(path, format="JPEG" if mode == "CMYK" else "PNG")
    return f'<figure><img src="{django_settings.MEDIA_URL}articles/{name}" alt="图"></figure>'


def test_preflight_reports_low_resolution_and_rgb_images_by_page_and_article():
    issue = one_article_issue()
    body = (
        "<p>正文一段。</p>"
        + body_image("small.png", size=(60, 40))  # about 18 dpi across a column
        + body_image("grey.png", mode="L", size=(2400, 1600))  # 300 dpi and more, grey
        + body_image("cmyk.jpg", mode="CMYK", size=(2400, 1600))
    )
    Article.objects.update(body=body)

    printed = issue_build_pdf(issue=issue, variant=IssuePDF.Variant.PRINT)
    assert printed.status == IssuePDF.Status.DONE, printed.error
    images = [finding for finding in printed.preflight if finding["kind"] in ("low_dpi", "rgb_image")]
    assert [finding["kind"] for finding in images] == ["low_dpi", "rgb_image"], images
    assert all(finding["page"] == "1" and finding["article"] == "测试文章" for finding in images)
    assert "60×40 像素" in images[0]["message"] and "dpi" in images[0]["message"]

    screen = issue_build_pdf(issue=issue, variant=IssuePDF.Variant.SCREEN)
    kinds = [finding["kind"] for finding in screen.preflight]
    assert "low_dpi" in kinds and "rgb_image" not in kinds  # RGB is right for the screen


def test_preflight_checks_what_an_internal_publication_must_print(staff_client):
    periodical = Periodical.load()
    periodical.internal_publication = True
    periodical.save()
    issue = one_article_issue()
    printed = issue_build_pdf(issue=issue, variant=IssuePDF.Variant.PRINT)
    internal = [finding["message"] for finding in printed.preflight if finding["kind"] == "internal"]
    assert any("准印证号" in message for message in internal)
    assert any("编印单位、发送对象、印刷单位、印刷日期、印数" in message for message in internal)
    page = staff_client.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()
    assert "印前检查" in page and "内部资料必印项目" in page and "准印证号" in page

    periodical.permit_number = "粤内登字B第12345号"
    periodical.save()
    masthead = ["编印单位", "发送对象", "印刷单位", "印刷日期"]
    for position, label in enumerate(masthead, start=10):
        issue.masthead_lines.create(label=label, value="某某", position=position)
    issue.print_run = 1000
    issue.save()
    issue.masthead_lines.create(label="印数", kind=MastheadLine.Kind.PRINT_RUN, position=20)  # "1000 册"
    printed = issue_build_pdf(issue=issue, variant=IssuePDF.Variant.PRINT)
    assert [finding for finding in printed.preflight if finding["kind"] == "internal"] == []
    assert "粤内登字B第12345号" in texts(printed)[0]

    periodical.folio_start = Periodical.FolioStart.COVER  # the masthead is still found in the front matter
    periodical.save()
    printed = issue_build_pdf(issue=issue, variant=IssuePDF.Variant.PRINT)
    assert printed.front_pages == 0
    assert [finding for finding in printed.preflight if finding["kind"] == "internal"] == []

    periodical.internal_publication = False
    periodical.permit_number = ""
    periodical.save()
    printed = issue_build_pdf(issue=issue, variant=IssuePDF.Variant.PRINT)
    assert [finding for finding in printed.preflight if finding["kind"] == "internal"] == []


# The source line stays with its article ------------------------------------------------------


def first_lines_of_columns(pdf):
    """The first line of text of each column of each page, for a two-column page."""
    firsts = []
    for page in extract_pages(io.BytesIO(pdf), laparams=LAParams(line_margin=0.3, char_margin=1.0)):
        lines = text_lines(page)
        for right in (False, True):
            column = sorted((line for line in lines if (line.x0 > page.width / 2) == right), key=lambda line: -line.y0)
            if column:
                firsts.append(column[0].get_text().strip())
    return firsts


def test_a_source_line_is_never_alone_at_the_top_of_a_column():
    """Add text until, without the rule, the source line would open a column: with it, it never does."""
    stylesheet = Path(finders.find("typesetting/issue.css")).read_text("utf-8")
    without_rule = "\n.source { break-before: auto; }"
    stranded = 0
    for sentences in range(30, 80):
        body = "".join(f"<p>第{n}句话说的是南滨电子商务的发展情况。</p>" for n in range(sentences))
        html = (
            "<style>@page { size: 105mm 148mm; margin: 10mm; }</style>"
            f'<div class="article"><div class="columns">{body}<p class="source">（来源：本刊编辑部整理）</p></div></div>'
        )
        for css, is_rule in ((stylesheet, True), (stylesheet + without_rule, False)):
            pdf = weasyprint.HTML(string=html).write_pdf(stylesheets=[weasyprint.CSS(string=css)])
            opens_column = any(line.startswith("（来源") for line in first_lines_of_columns(pdf))
            if is_rule:
                assert not opens_column, sentences
            else:
                stranded += opens_column
        if stranded:
            break
    assert stranded, "no length of text stranded the source line without the rule: the test shows nothing"


# Chinese typography -----------------------------------------------------------------------------


def char_positions(path, index):
    """(character, x0, size) of every glyph on a page, in reading order of its lines."""
    page, lines = lines_of_page(path, index)
    return [
        (char.get_text(), char.x0, char.size)
        for line in sorted(lines, key=lambda line: (-line.y0, line.x0))
        for char in line
        if hasattr(char, "size")
    ]


def test_adjacent_punctuation_takes_half_width_and_single_marks_a_full_one():
    # A short paragraph is its own last line: not justified, so every advance is the font's.
    issue = one_article_issue()
    Article.objects.update(body="<p>他说：“好。”然后（《南滨》）走了，是的。</p>")
    record = issue_build_pdf(issue=issue)
    chars = char_positions(record.path, record.front_pages)
    text = "".join(char for char, _x, _size in chars)
    start = text.index("他说")
    sentence = "他说：“好。”然后（《南滨》）走了，是的。"
    run = chars[start : start + len(sentence)]
    assert "".join(char for char, _x, _size in run) == sentence

    def width(fragment):
        """From the first character of `fragment` to the character after it, in ems."""
        first = sentence.index(fragment)
        return round((run[first + len(fragment)][1] - run[first][1]) / run[first][2], 2)

    assert width("说：“") == 2.5  # a colon before an opening quote: half
    assert width("“好") == 2.0  # a single opening quote keeps its em
    assert width("。”") == 1.5 and width("然后") == 2.0
    assert width("（《") == 1.5  # the second of two opening marks
    assert width("》）") == 1.5
    assert width("，是") == 2.0  # a comma alone stays full width


def test_the_print_covers_band_runs_into_the_bleed():
    import pypdfium2

    printed = issue_build_pdf(issue=one_article_issue(), variant=IssuePDF.Variant.PRINT)
    page = pypdfium2.PdfDocument(str(printed.path))[0]
    image = page.render(scale=2).to_pil().convert("RGB")  # the whole media box: trim and 3 mm bleed around it
    left, bottom, right, top = page.get_mediabox()
    dots_per_mm = image.width / ((right - left) / MM)
    in_the_bleed = (round(1.5 * dots_per_mm), round(1.5 * dots_per_mm))  # top left corner, outside the trim
    red, green, blue = image.getpixel(in_the_bleed)
    assert blue > 80 and red < 60, (red, green, blue)  # the band's teal, not white paper


def test_preflight_reports_a_cover_whose_headlines_run_into_its_foot():
    issue = make_issue(year=2020, number=1, total_number=90)
    long_title = "关于进一步加强和改进全市跨境电子商务综合试验区建设工作的若干意见与实施细则"  # two lines on the cover
    for position in range(10):
        section = make_section(name=f"栏目{position}", position=position)
        for copy in range(2):
            make_article(issue=issue, section=section, title=f"{long_title}{position}{copy}", body="<p>正文。</p>",
                         position=position * 2 + copy)  # fmt: skip
    record = issue_build_pdf(issue=issue)
    assert [finding["page"] for finding in record.preflight if finding["kind"] == "cover"] == ["封面"]

    Article.objects.update(title="短标题")
    record = issue_build_pdf(issue=issue)  # the same number of headlines, each on one line: they fit
    assert not [finding for finding in record.preflight if finding["kind"] == "cover"]


def test_preflight_names_loose_lines_lone_characters_marks_at_a_line_start_and_empty_pages():
    from issues.typesetting import justify, pages
    from issues.typesetting.preflight import preflight

    justify.install()
    stylesheet = Path(finders.find("typesetting/issue.css")).read_text("utf-8")
    html = (
        "<style>@page { size: 105mm 148mm; margin: 10mm; }</style>"
        '<article class="article" id="article-7"><div class="columns" style="columns: 1">'
        # An unbreakable run no squeeze can take in leaves the line before it spread out.
        "<p>这一行后面是一个很长的网址https://example.com/abcdefghijklmnopqrstuvwxyz0123456789 之后还有文字。</p>"
        "<p>一段文字在这里换行<br>，逗号开头的一行，然后是最后一个<br>字</p>"
        '</div></article><div style="break-before: page; break-after: page; height: 10mm"></div><p>最后一页。</p>'
    )
    document = weasyprint.HTML(string=html).render(stylesheets=[weasyprint.CSS(string=stylesheet)])
    plan = pages.page_plan(document, filler_names={}, per_signature=1, numbered_from_cover=True, blanks=False)
    periodical = Periodical.load()
    periodical.internal_publication = False
    findings = preflight(document, plan=plan, variant="screen", periodical=periodical, article_titles={7: "测试文章"})
    by_kind = {finding.kind: finding for finding in findings}
    assert set(by_kind) == {"loose_line", "orphan", "line_start_punctuation", "empty_page"}, findings
    assert by_kind["loose_line"].article == "测试文章" and by_kind["loose_line"].page == "1"
    loose = [finding.message for finding in findings if finding.kind == "loose_line"]
    assert any("这一行后面是一个很长的网址" in message for message in loose), loose
    assert by_kind["orphan"].message == "段末一行只有一个字“字”。"
    assert "，逗号开头的一行" in by_kind["line_start_punctuation"].message
    assert by_kind["empty_page"].page == "2" and by_kind["empty_page"].article == ""


def test_changing_the_signature_or_the_internal_rules_builds_again():
    issue = one_article_issue()
    first = issue_build_pdf(issue=issue)
    periodical = Periodical.load()
    for field, value in (("pages_per_signature", 8), ("internal_publication", False)):
        setattr(periodical, field, value)
        periodical.save()
        again = issue_build_pdf(issue=issue)
        assert again.built_at != first.built_at, field  # not skipped as unchanged
        first = again
