"""The typeset demo issue, read back from the PDF the way a reader, a printer and a search engine would.

The demo issue is built once for the module (a build takes seconds); every test reads
the same PDFs.
"""

import io
import re
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.test import override_settings
from pypdf import PdfReader

from articles.models import Article, Contributor
from issues.models import Issue, IssuePDF, Periodical, Section
from issues.typesetting.build import issue_build_pdf
from tests.typography import measure_pdf

pytestmark = pytest.mark.django_db
CLOSING_PUNCTUATION = "，。、；：？！”’）》」』】〕…"


@dataclass
class BuiltDemo:
    issue_line: str
    screen: IssuePDF
    print: IssuePDF
    screen_reader: PdfReader
    print_reader: PdfReader
    articles: list[Article]  # in print order, with the pages the build stored
    page_texts: list[str]  # of the screen PDF's pages, in order

    @property
    def front(self):
        """PDF pages before printed page 1: the cover and the contents with the masthead beside it."""
        return self.screen.front_pages

    def printed_page(self, number):
        """The text of the page that carries the folio `number`."""
        return self.page_texts[self.front + number - 1]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    root = tmp_path_factory.mktemp("demo-build")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=root / "media", PROTECTED_ROOT=root / "protected"):
        call_command("load_demo", stdout=io.StringIO())
        issue = Issue.objects.get(year=2017, number=1)
        # Publishing the demo has already built both variants (immediate task backend).
        screen = issue_build_pdf(issue=issue, variant="screen")
        printed = issue_build_pdf(issue=issue, variant="print")
        screen_reader = PdfReader(io.BytesIO(screen.path.read_bytes()))
        yield BuiltDemo(
            issue_line=str(issue),
            screen=screen,
            print=printed,
            screen_reader=screen_reader,
            print_reader=PdfReader(io.BytesIO(printed.path.read_bytes())),
            articles=list(issue.articles.in_print_order().select_related("section__parent")),
            page_texts=[page.extract_text() for page in screen_reader.pages],
        )
        Article.objects.all().delete()
        for queryset in (Issue.objects, Section.objects.filter(parent__isnull=False), Section.objects,
                         Contributor.objects, Periodical.objects):  # fmt: skip
            queryset.all().delete()


@pytest.fixture(autouse=True)
def isolated_files():
    """The module's files stay where the demo was built (instead of a folder per test)."""


def flat(text):
    return re.sub(r"\s+", "", text)


def title_page(demo, article):
    """The printed page number of the page where the article's title is printed as a heading (lines of its own)."""
    heading = re.compile("(?:^|\n)" + "\n?".join(map(re.escape, article.title)) + "(?:\n|$)")
    for index, text in enumerate(demo.page_texts[demo.front :]):
        if heading.search(text):
            return index + 1
    raise AssertionError(f"title {article.title!r} not found")


def test_build_succeeds_and_records_its_figures(demo):
    for record in (demo.screen, demo.print):
        assert record.status == IssuePDF.Status.DONE, record.error
        assert record.error == ""
        assert record.size_bytes == record.path.stat().st_size
    # The screen variant is the content and the standing pages that pad the signature (the demo's 本刊声明).
    standing = sum(filler["pages"] for filler in demo.screen.fillers if filler["used"])
    assert demo.screen.page_count == len(demo.screen_reader.pages) == demo.screen.content_pages + standing
    assert 22 <= demo.screen.page_count <= 32  # "about 25 A4 pages"
    # The print variant is padded with blank pages to whole signatures of 4 (saddle stitch).
    assert demo.print.page_count == len(demo.print_reader.pages) == demo.screen.page_count + demo.print.blank_pages
    assert demo.print.page_count % 4 == 0 and 0 < demo.print.blank_pages < 4
    assert demo.screen.size_bytes < 2 * 1024 * 1024


def test_cover_masthead_contents_and_call_for_papers_in_order(demo):
    cover, contents = (flat(text) for text in demo.page_texts[:2])
    assert demo.front == 2
    masthead = contents  # in the contents page's side column, as printed
    assert "南滨电子商务" in cover and "2017年第1期（总第26期）" in cover and "内部资料免费交流" in cover
    assert "指导单位：南滨市商务局" in cover and "主办单位：南滨市电子商务服务中心" in cover
    assert "◎特别报道" in cover and "南滨市跨境电子商务发展报告（2016）" in cover
    assert "主编：林知远" in masthead and "印数：1000册" in masthead
    assert masthead.index("出版日期") < masthead.index("主编") < masthead.index("微信公众号")
    assert "目录" in contents and "卷首语" in contents
    call_for_papers = demo.page_texts[demo.screen.content_pages - 1]  # the last page before the standing pages
    assert "征稿启事" in flat(call_for_papers) and "6000" in call_for_papers


def test_the_call_for_papers_sends_authors_to_the_online_form_by_its_address(demo, settings):
    call_for_papers = flat(demo.page_texts[demo.screen.content_pages - 1])  # standing pages may follow it
    assert "在线投稿：" + settings.SITE_URL.rstrip("/") + "/submit/" in call_for_papers
    assert "电子邮件" not in call_for_papers and "nbds@example.cn" not in call_for_papers


def test_contents_page_numbers_are_where_the_titles_are(demo):
    contents = demo.page_texts[1]
    listed = [article for article in demo.articles if article.in_toc]
    assert len(listed) < len(demo.articles)  # briefs after the first of each sub-section are not listed
    for article in demo.articles:
        actual = title_page(demo, article)
        assert article.first_page == actual, article.title
        assert article.last_page >= article.first_page
        if article.in_toc:
            # the title (and subtitle), the dot leader, the page number
            pattern = re.escape(article.title) + r".*?\.{3,}\s*(\d+)"
            match = re.search(pattern, contents, re.DOTALL)
            assert match and int(match[1]) == actual, article.title
        else:
            assert article.title not in contents


def test_contents_link_to_the_articles(demo):
    annotations = [a.get_object() for a in demo.screen_reader.pages[1]["/Annots"]]
    destinations = {a["/Dest"] for a in annotations if "/Dest" in a}
    listed = {f"title-{article.pk}" for article in demo.articles if article.in_toc}
    assert listed <= destinations


def test_every_article_is_printed_in_order(demo):
    pages = [title_page(demo, article) for article in demo.articles]
    assert pages == sorted(pages)
    whole = flat("".join(demo.page_texts))
    for article in demo.articles:
        first_sentence = flat(re.sub(r"<[^>]+>", "", article.body))[:30]
        assert first_sentence in whole, article.title


def test_long_table_runs_over_pages_with_its_header_repeated(demo):
    financing = next(a for a in demo.articles if "融资盘点" in a.title)
    header_pages = [
        number
        for number in range(financing.first_page, financing.last_page + 1)
        if "类别企业领域轮次金额" in flat(demo.printed_page(number))
    ]
    assert len(header_pages) >= 2


def test_folios_count_from_the_first_article_and_front_matter_has_none(demo):
    editorial = demo.articles[0]
    assert editorial.section.name == "卷首语" and editorial.first_page == 1  # as printed: 卷首语 is page 1
    for index, text in enumerate(demo.page_texts):
        folios = re.findall(r"^-(\d+)-$", text, re.M)
        if index < demo.front:
            assert not folios, index
        else:
            assert folios == [str(index - demo.front + 1)], index
    report = next(a for a in demo.articles if a.section.name == "特别报道")
    for number in range(report.first_page + 1, report.last_page + 1):
        margin_boxes = demo.printed_page(number).split()[-2:]  # pypdf reads the margins last
        assert margin_boxes == ["特别报道", f"-{number}-"], number


def test_a_viewer_shows_the_printed_page_numbers(demo):
    for reader in (demo.screen_reader, demo.print_reader):
        labels = reader.page_labels
        assert labels[:3] == ["封面", "目录", "1"]
        assert labels[demo.front :] == [str(n) for n in range(1, len(reader.pages) - demo.front + 1)]
    report = next(a for a in demo.articles if a.section.name == "特别报道")
    outline = demo.screen_reader.outline
    section = next(i for i, item in enumerate(outline) if not isinstance(item, list) and item.title == "特别报道")
    bookmark = outline[section + 1][0]
    assert demo.screen_reader.page_labels[demo.screen_reader.get_destination_page_number(bookmark)] == str(
        report.first_page
    )


def test_folios_can_count_from_the_cover(demo, settings):
    periodical = Periodical.load()
    periodical.folio_start = Periodical.FolioStart.COVER
    periodical.save()
    try:
        record = issue_build_pdf(issue=Issue.objects.get(year=2017, number=1), variant="screen")
        reader = PdfReader(record.path)
        assert record.front_pages == 0 and reader.page_labels[:3] == ["1", "2", "3"]
        editorial = Article.objects.get(pk=demo.articles[0].pk)
        assert editorial.first_page == 3
        assert re.search(r"^-3-$", reader.pages[2].extract_text(), re.M)
    finally:
        periodical.folio_start = Periodical.FolioStart.FIRST_ARTICLE
        periodical.save()
        issue_build_pdf(issue=Issue.objects.get(year=2017, number=1), variant="screen")


def test_bookmarks_go_section_then_article(demo):
    reader = demo.screen_reader
    outline = reader.outline
    top = [item.title for item in outline if not isinstance(item, list)]
    assert top[:3] == ["目录", "卷首语", "特别报道"] and "征稿启事" in top
    report_index = next(i for i, item in enumerate(outline) if not isinstance(item, list) and item.title == "特别报道")
    children = outline[report_index + 1]
    assert [child.title for child in children] == ["南滨市跨境电子商务发展报告（2016）"]


def test_document_metadata(demo):
    reader = demo.screen_reader
    assert reader.metadata.title == f"南滨电子商务 {demo.issue_line}"
    assert reader.metadata.author == "南滨市电子商务服务中心"
    assert reader.metadata.creation_date.date().isoformat() == "2017-01-31"
    assert reader.trailer["/Root"]["/Lang"] == "zh-CN"


def test_cjk_fonts_are_embedded_and_subset(demo):
    fonts = {}
    for page in demo.screen_reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            fonts[str(font["/BaseFont"])] = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
    names = " ".join(fonts)
    assert "Noto-Serif-CJK-SC" in names and "Noto-Sans-CJK-SC" in names
    assert all(fonts.values()), fonts  # every font embedded
    assert all(re.match(r"/[A-Z]{6}\+", name) for name in fonts), fonts  # and subset


def test_no_line_starts_with_closing_punctuation(demo):
    starts = [
        line.strip()[0]
        for text in demo.page_texts[demo.front :]
        for line in text.splitlines()
        if line.strip() and not re.fullmatch(r"-\d+-", line.strip())
    ]
    assert len(starts) > 500
    assert not [c for c in starts if c in CLOSING_PUNCTUATION]


def test_the_demo_is_set_better_than_a_browser_sets_it(demo):
    """The figures of the issue's brief, measured from the glyphs of the PDF (tests/typography.py).

    Chromium printing the same HTML: about 0.7 % loose lines and 8 孤字 (benchmarks/print_production.py).
    """
    report = measure_pdf(demo.screen.path)
    assert len(report.full_lines) > 800 and len(report.running_text_pages) > 15, report.summary()
    assert report.flush_share >= 0.97, report.findings(10)
    assert report.loose_share <= 0.005, report.findings(10)
    assert report.lone_characters == [], report.findings(10)
    assert report.closing_punctuation_starts == [], report.findings(10)


def test_text_copies_without_inserted_characters(demo):
    editorial = demo.articles[0]
    paragraphs = re.findall(r"<p>(.*?)</p>", editorial.body)
    page = demo.printed_page(editorial.first_page)
    for paragraph in paragraphs:
        # Lines end with a newline; nothing else may appear between the characters.
        assert paragraph in page.replace("\n", ""), paragraph[:20]


def test_print_variant_has_bleed_trim_and_output_intent(demo):
    bleed = 3 / 25.4 * 72
    for page in demo.print_reader.pages:
        trim, media = page.trimbox, page.mediabox
        assert (float(trim.width), float(trim.height)) == pytest.approx((595.28, 841.89), abs=0.05)
        assert float(media.width) == pytest.approx(float(trim.width) + 2 * bleed, abs=0.05)
        assert page.bleedbox is not None
    root = demo.print_reader.trailer["/Root"]
    intent = root["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFX" and "/DestOutputProfile" in intent
    assert b"PDF/X-4" in root["/Metadata"].get_object().get_data()
    for page in demo.screen_reader.pages:  # the screen variant has no bleed
        assert page.mediabox == page.trimbox


def test_the_web_shows_the_stored_page_numbers(demo, client):
    report = next(a for a in demo.articles if a.section.name == "特别报道")
    page = client.get(report.get_absolute_url()).content.decode()
    assert f"第 {report.first_page}–{report.last_page} 页" in page


def test_unchanged_issue_is_not_rebuilt(demo):
    issue = Issue.objects.get(year=2017, number=1)
    before = demo.screen.path.stat().st_mtime_ns
    again = issue_build_pdf(issue=issue, variant="screen")
    assert again.built_at == demo.screen.built_at
    assert demo.screen.path.stat().st_mtime_ns == before


def test_build_command(demo, tmp_path):
    out = io.StringIO()
    call_command("build_issue_pdf", "2017-1", "--output", str(tmp_path / "copy.pdf"), stdout=out)
    assert "内容未变，未重新生成" in out.getvalue() and "页" in out.getvalue()
    assert (tmp_path / "copy.pdf").read_bytes() == demo.screen.path.read_bytes()
