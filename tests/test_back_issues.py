"""Back issues that exist only as printed PDFs: bundles with `pdf` and `pages`, and `import_issues`.

The printed PDF is typeset here with WeasyPrint as such an issue is laid out: a cover and a
contents page without folios, then printed page 1 on the PDF's third page, a running head and a
`-N-` folio on every printed page, a report over two pages and two briefs sharing the last.
"""

import datetime
import functools
import io
import re
import tomllib
import zipfile
from pathlib import Path

import pytest
import tomli_w
import weasyprint
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader, PdfWriter

from articles.models import Article, Contributor
from articles.services import issue_mark_ready
from issues.models import Issue, IssuePDF, Section
from issues.typesetting.build import issue_build_pdf
from issues.typesetting.flatplan import pdf_state
from issues.typesetting.tasks import issue_pdfs_enqueue
from tests.factories import make_subscriber, make_subscription

pytestmark = pytest.mark.django_db

STYLE = """
@page { size: A5; margin: 18mm 15mm; }
@page body { @top-center { content: "南滨电子商务　2015年第1期"; font: 8pt "Noto Sans CJK SC"; }
             @bottom-center { content: "-" counter(page) "-"; font: 8pt "Noto Sans CJK SC"; } }
@page :nth(3) { counter-reset: page 1; }
.front { break-after: page; }
.body { page: body; }
html { font: 10pt/1.6 "Noto Serif CJK SC"; }
h1, h2 { font: 14pt/1.4 "Noto Sans CJK SC"; margin: 0 0 6pt; }
.byline { text-align: center; margin: 0 0 6pt; }
p { text-indent: 2em; margin: 0; text-align: justify; }
.brief { margin-top: 18pt; }
.newpage { break-before: page; }
"""
REPORT_FIRST = "全市电子商务交易额突破千亿元，同比增长百分之二十。" * 30
REPORT_SECOND = "第二段说明网络零售的情况。" * 20
EDITORIAL = "新的一年，编辑部与读者一道回顾过去。" * 6
BRIEF_ONE, BRIEF_TWO = "滨江区跨境电商园区正式开通，首批入驻企业三十家。", "蓝鲸港全年集装箱吞吐量创历史新高。"
HTML = f"""<!DOCTYPE html><html lang="zh-CN"><style>{STYLE}</style>
<div class="front"><h1>南滨电子商务</h1><p>2015年第1期（总第5期）内部资料 免费交流</p></div>
<div class="front"><h1>目录</h1><p>卷首语 …… 1</p><p>全市电子商务交易额突破千亿元 …… 2</p></div>
<div class="body"><h2>卷首语：迎接新的一年</h2><p>{EDITORIAL}</p>
<h2 class="newpage">全市电子商务交易额突破千亿元</h2><p class="byline">文 / 王毅</p>
<p>{REPORT_FIRST}</p><p>{REPORT_SECOND}</p>
<h2 class="newpage">滨江区开通跨境电商园区</h2><p>{BRIEF_ONE}</p>
<h2 class="brief">港口物流量创新高</h2><p>{BRIEF_TWO}</p></div>
</html>"""

ARTICLES = [
    {"section": "卷首语", "title": "卷首语：迎接新的一年", "pages": "1"},
    {"section": "特别报道", "title": "全市电子商务交易额突破千亿元", "authors": ["王毅"], "pages": "2-3"},
    {"section": "行业动态", "title": "滨江区开通跨境电商园区", "pages": "4"},
    {"section": "行业动态", "title": "港口物流量创新高", "pages": "4"},
]


@functools.cache
def printed_pdf() -> bytes:
    """The back issue as printed: 6 PDF pages, printed pages 1–4 on PDF pages 3–6."""
    return weasyprint.HTML(string=HTML).write_pdf()


def manifest(**fields) -> dict:
    return {
        "year": 2015,
        "number": 1,
        "total_number": 5,
        "date": datetime.date(2015, 3, 31),
        "pdf": "issue.pdf",
        "first_page_offset": 3,
        "articles": [dict(article) for article in ARTICLES],
        **fields,
    }


def write_bundle(root: Path, *, toml: dict | None = None, pdf: bytes | None = None, files=None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "issue.toml").write_text(tomli_w.dumps(toml or manifest()), "utf-8")
    (root / "issue.pdf").write_bytes(printed_pdf() if pdf is None else pdf)
    for name, data in (files or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def import_issue(path, *options) -> str:
    out = io.StringIO()
    call_command("import_issue", str(path), *options, stdout=out)
    return out.getvalue()


def import_issues(folder, *options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_issues", str(folder), *options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def protected_files() -> list[str]:
    root = Path(settings.PROTECTED_ROOT)
    found = (p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else ()
    return sorted(name for name in found if not name.startswith("unfinished/"))


def media_files() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


def row_counts() -> dict:
    return {model.__name__: model.objects.count() for model in (Issue, Article, Section, Contributor, IssuePDF)}


def bundle_contents(path: Path) -> dict[str, bytes]:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            return {name: archive.read(name) for name in archive.namelist()}
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def imported_issue(tmp_path, django_capture_on_commit_callbacks, *options) -> Issue:
    with django_capture_on_commit_callbacks(execute=True):  # what follows the commit: page images, builds
        import_issue(write_bundle(tmp_path / "bundle"), *options)
    return Issue.objects.get(year=2015, number=1)


# Importing -----------------------------------------------------------------------------------


def test_the_printed_pdf_becomes_the_issues_screen_pdf(tmp_path, django_capture_on_commit_callbacks):
    issue = imported_issue(tmp_path, django_capture_on_commit_callbacks, "--publish")

    record = issue.pdfs.get()  # no print variant is ever made, not even on publishing
    assert (record.variant, record.status, record.imported) == (IssuePDF.Variant.SCREEN, IssuePDF.Status.DONE, True)
    assert (record.page_count, record.front_pages, record.size_bytes) == (6, 2, len(printed_pdf()))
    assert record.path.read_bytes() == printed_pdf()
    assert record.path.is_relative_to(Path(settings.PROTECTED_ROOT) / "issues" / "2015-1")
    assert issue.status == Issue.Status.PUBLISHED
    # The cover is the PDF's first page.
    with Image.open(issue.cover.path) as cover:
        assert cover.width == 1240 and cover.height > cover.width
    assert issue.cover_thumbnail


def test_each_article_gets_its_pages_and_its_text_without_running_heads(tmp_path, django_capture_on_commit_callbacks):
    issue = imported_issue(tmp_path, django_capture_on_commit_callbacks)

    articles = list(issue.articles.in_print_order())
    assert [(a.title, a.first_page, a.last_page) for a in articles] == [
        ("卷首语：迎接新的一年", 1, 1),
        ("全市电子商务交易额突破千亿元", 2, 3),
        ("滨江区开通跨境电商园区", 4, 4),
        ("港口物流量创新高", 4, 4),
    ]
    editorial, report, brief_one, brief_two = articles
    assert editorial.plain_text == EDITORIAL
    # Title and byline are not repeated in the body; the paragraph over the page break is whole.
    assert report.body == f"<p>{REPORT_FIRST}</p><p>{REPORT_SECOND}</p>"
    # The shared page is split at the second brief's title.
    assert brief_one.body == f"<p>{BRIEF_ONE}</p>"
    assert brief_two.body == f"<p>{BRIEF_TWO}</p>"
    for article in articles:
        assert "南滨电子商务" not in article.plain_text and "-" not in article.plain_text


def test_a_word_from_the_pdf_is_found_on_the_reading_site(client, tmp_path, django_capture_on_commit_callbacks):
    imported_issue(tmp_path, django_capture_on_commit_callbacks, "--publish")

    page = client.get(reverse("articles:search"), {"q": "蓝鲸港"}).content.decode()
    contents = client.get(Issue.objects.get().get_absolute_url()).content.decode()

    assert "港口物流量创新高" in page
    assert "滨江区开通跨境电商园区" not in page
    assert '第 </span>2<span class="visually-hidden"> 页' in contents  # printed pages
    assert '第 </span>4<span class="visually-hidden"> 页' in contents


def test_the_imported_pdf_is_for_subscribers_only(client, tmp_path, django_capture_on_commit_callbacks):
    issue = imported_issue(tmp_path, django_capture_on_commit_callbacks, "--publish")
    url = reverse("issue_pdf", args=[issue.year, issue.number])

    anonymous = client.get(url)
    subscriber = make_subscriber()
    make_subscription(subscriber=subscriber)
    client.force_login(subscriber.user)
    download = client.get(url)

    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == printed_pdf()


def test_an_article_of_a_back_issue_downloads_as_its_own_pages(client, tmp_path, django_capture_on_commit_callbacks):
    issue = imported_issue(tmp_path, django_capture_on_commit_callbacks, "--publish")
    report = issue.articles.get(title="全市电子商务交易额突破千亿元")
    subscriber = make_subscriber()
    make_subscription(subscriber=subscriber)
    client.force_login(subscriber.user)

    response = client.get(reverse("article_pdf", args=[report.pk, report.slug]))

    assert response.status_code == 200
    pages = PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages
    assert len(pages) == 2  # printed pages 2–3: PDF pages 4–5 of the office's file
    assert "全市电子商务交易额突破千亿元" in pages[0].extract_text()
    assert "第二段说明网络零售的情况" in pages[1].extract_text()


def test_the_panel_says_the_pdf_was_imported_and_offers_no_rebuild(
    staff_client, tmp_path, django_capture_on_commit_callbacks
):
    issue = imported_issue(tmp_path, django_capture_on_commit_callbacks)
    record = issue.pdfs.get()
    article = issue.articles.in_print_order().first()
    article.title = "卷首语：改过的标题"  # would make a built PDF stale
    article.save()

    page = staff_client.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:issues_issue_build_pdf", args=[issue.pk]), follow=True)

    assert "来自导入的原版 PDF" in page
    assert "无（本期只有导入的原版 PDF，不另行排版印刷版）" in page
    assert "重新生成 PDF" not in page and "过期" not in page
    assert "desk-page-number" in page  # the flat plan of the printed pages, from page images
    assert "本期 PDF 来自导入的原版 PDF，不重新生成。" in response.content.decode()
    assert not pdf_state(issue, exact=True)[IssuePDF.Variant.SCREEN].stale
    assert issue_pdfs_enqueue(issue=issue) is False
    with pytest.raises(CommandError, match="来自导入的原版 PDF"):
        call_command("build_issue_pdf", issue.key, stdout=io.StringIO())
    assert list(issue.pdfs.values_list("variant", "file_name", "build_key")) == [
        ("screen", record.file_name, record.build_key)
    ]
    assert record.path.read_bytes() == printed_pdf()


def test_publishing_a_back_issue_from_the_desk_says_its_own_pdf_is_handed_out(
    admin_client, admin_user, tmp_path, django_capture_on_commit_callbacks
):
    """It was reviewed (三审) and proofread (三校) before it was printed: neither stops it now."""
    issue = imported_issue(tmp_path, django_capture_on_commit_callbacks)  # a draft, its articles ready
    issue_mark_ready(issue=issue, by=admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:issues_issue_step", args=[issue.pk, "publish"]), follow=True)
    page = response.content.decode()
    assert "已发布：读者下载导入的原版 PDF" in page and "PDF 正在生成" not in page
    assert list(issue.pdfs.values_list("variant", flat=True)) == ["screen"]


def test_a_body_file_wins_over_the_pdf_text(tmp_path):
    toml = manifest()
    toml["articles"][2]["body"] = "articles/03.md"

    import_issue(write_bundle(tmp_path / "bundle", toml=toml, files={"articles/03.md": "编辑部改过的正文。".encode()}))

    brief_one, brief_two = Article.objects.filter(title__in=["滨江区开通跨境电商园区", "港口物流量创新高"]).order_by(
        "position"
    )
    assert brief_one.body == "<p>编辑部改过的正文。</p>"
    assert brief_two.body == f"<p>{BRIEF_TWO}</p>"  # still cut at its title


def test_a_title_not_found_on_a_shared_page_is_reported(tmp_path):
    toml = manifest()
    toml["articles"][3]["title"] = "不在页面上的标题"

    out = import_issue(write_bundle(tmp_path / "bundle", toml=toml))

    assert "第 4 篇《不在页面上的标题》" in out and "找不到标题" in out
    brief_one, missing = Article.objects.filter(section__name="行业动态").order_by("position")
    assert BRIEF_ONE in brief_one.plain_text and BRIEF_TWO in brief_one.plain_text  # the whole page, said so
    assert BRIEF_TWO in missing.plain_text


# Refusals ------------------------------------------------------------------------------------


def encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(printed_pdf())))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_article(index, **fields):
    toml = manifest()
    toml["articles"][index - 1].update(fields)
    return toml


def without_article_key(index, key, toml=None):
    toml = toml or manifest()
    del toml["articles"][index - 1][key]
    return toml


def without_pdf():
    toml = manifest()
    del toml["pdf"], toml["first_page_offset"]
    return toml


@pytest.mark.parametrize(
    ("toml", "pdf", "expected"),
    [
        pytest.param(
            with_article(3, pages="4-9"),
            None,
            "issue.toml：articles[3].pages：第 3 篇《滨江区开通跨境电商园区》：页码“4-9”超出 PDF（共 6 页，印刷页码 1–4）。",
            id="outside",
        ),
        pytest.param(
            with_article(3, pages="4-2"),
            None,
            "issue.toml：articles[3].pages：第 3 篇《滨江区开通跨境电商园区》：页码“4-2”前大后小。",
            id="backwards",
        ),
        pytest.param(
            with_article(3, pages="a-b"),
            None,
            "issue.toml：articles[3].pages：第 3 篇《滨江区开通跨境电商园区》：页码“a-b”格式不对，应为“2-10”或“5”。",
            id="malformed",
        ),
        pytest.param(
            with_article(2, pages="0"),
            None,
            "issue.toml：articles[2].pages：第 2 篇《全市电子商务交易额突破千亿元》：页码“0”格式不对",
            id="page-zero",
        ),
        pytest.param(
            without_pdf(),
            None,
            "issue.toml：articles[1].pages：第 1 篇《卷首语：迎接新的一年》：只有在 issue.toml 中给出 pdf 时才能按页码取正文。",
            id="pages-without-pdf",
        ),
        pytest.param(
            without_article_key(4, "pages"),
            None,
            "issue.toml：articles[4].pages：第 4 篇《港口物流量创新高》：应给出 pages",
            id="pdf-without-pages-or-body",
        ),
        pytest.param(manifest(first_page_offset=7), None, "first_page_offset：超出 PDF 的页数（共 6 页）", id="offset"),
        pytest.param(manifest(), b"%PDF-1.7 not really", "issue.pdf：pdf：PDF 文件已损坏，无法读取", id="damaged"),
        pytest.param(manifest(), "这不是 PDF".encode(), "issue.pdf：pdf：不是 PDF 文件。", id="not-a-pdf"),
        pytest.param(manifest(), "encrypted", "issue.pdf：pdf：PDF 已加密，请提供未加密的文件。", id="encrypted"),
    ],
)
def test_bad_pages_and_pdfs_are_refused_naming_the_article_and_nothing_is_written(tmp_path, toml, pdf, expected):
    before = row_counts()
    bundle = write_bundle(tmp_path / "bundle", toml=toml, pdf=encrypted_pdf() if pdf == "encrypted" else pdf)

    with pytest.raises(CommandError) as refusal:
        import_issue(bundle)

    assert expected in str(refusal.value)
    assert row_counts() == before
    assert protected_files() == [] and media_files() == []


def test_a_failure_after_the_pdf_was_written_removes_it_and_the_cover(tmp_path):
    # The PDF and the cover made from it are written in the transaction; publishing an issue
    # without articles then fails.
    before = row_counts()

    with pytest.raises(CommandError, match="本期还没有文章"):
        import_issue(write_bundle(tmp_path / "bundle", toml=manifest(articles=[])), "--publish")

    assert row_counts() == before
    assert protected_files() == [] and media_files() == []


# Export --------------------------------------------------------------------------------------


def test_export_writes_a_pdf_bundle_that_round_trips(tmp_path, django_capture_on_commit_callbacks):
    imported_issue(tmp_path, django_capture_on_commit_callbacks)

    call_command("export_issue", "2015", "1", str(tmp_path / "first"), stdout=io.StringIO())
    import_issue(tmp_path / "first", "--replace")
    call_command("export_issue", "2015", "1", str(tmp_path / "second.zip"), stdout=io.StringIO())

    first, second = bundle_contents(tmp_path / "first"), bundle_contents(tmp_path / "second.zip")
    assert first == second
    exported = tomllib.loads(first["issue.toml"].decode())
    assert (exported["pdf"], exported["first_page_offset"]) == ("issue.pdf", 3)
    assert [article["pages"] for article in exported["articles"]] == ["1", "2-3", "4", "4"]
    assert not any("body" in article for article in exported["articles"])  # the PDF gives every text
    assert first["issue.pdf"] == printed_pdf()
    assert protected_files().count("issues/2015-1/" + Path(IssuePDF.objects.get().file_name).name) == 1


def test_an_edited_article_is_exported_with_its_body(tmp_path):
    import_issue(write_bundle(tmp_path / "bundle"))
    article = Article.objects.get(title="港口物流量创新高")
    article.body = "<p>蓝鲸港全年集装箱吞吐量创历史新高，编辑部核对后补充。</p>"
    article.save()

    call_command("export_issue", "2015", "1", str(tmp_path / "out"), stdout=io.StringIO())

    files = bundle_contents(tmp_path / "out")
    exported = tomllib.loads(files["issue.toml"].decode())
    assert [article.get("body") for article in exported["articles"]] == [None, None, None, "articles/04.html"]
    assert exported["articles"][3]["pages"] == "4"
    assert "编辑部核对后补充" in files["articles/04.html"].decode()


# Importing a folder of back issues ------------------------------------------------------------


def back_issue_folder(root: Path) -> Path:
    """Three bundles: 2015-1 as a folder, 2015-2 as a zip, and a folder whose pages are wrong."""
    write_bundle(root / "2015-1")
    second = write_bundle(root.parent / "second", toml=manifest(number=2, total_number=6))
    with zipfile.ZipFile(root / "2015-2.zip", "w") as archive:
        for path in sorted(second.rglob("*")):
            archive.write(path, path.relative_to(second).as_posix())
    outside = with_article(3, pages="4-9")["articles"][2]
    write_bundle(root / "2015-3-broken", toml=manifest(number=3, total_number=7, articles=[outside]))
    (root / "notes.txt").write_text("不是期刊包", "utf-8")
    return root


def test_a_folder_is_imported_bundle_by_bundle_naming_the_broken_one(tmp_path):
    folder = back_issue_folder(tmp_path / "archive")
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError) as failure:
        call_command("import_issues", str(folder), stdout=out, stderr=err)

    assert failure.value.returncode == 1
    assert "已导入 2015年第1期（总第5期）：4 篇文章。" in out.getvalue()
    assert "已导入 2015年第2期（总第6期）：4 篇文章。" in out.getvalue()
    assert "导入 2 期，跳过 0 期（已存在），失败 1 期。" in out.getvalue()
    assert "2015-3-broken" in out.getvalue()


def test_replace_imports_the_folder_again(tmp_path):
    folder = back_issue_folder(tmp_path / "archive")
    with pytest.raises(CommandError):
        import_issues(folder)
    (folder / "2015-3-broken" / "issue.toml").unlink()  # no longer a bundle
    first_ids = set(Issue.objects.values_list("pk", flat=True))

    out, _err = import_issues(folder, "--replace")

    assert "导入 2 期，跳过 0 期（已存在），失败 0 期。" in out
    assert set(Issue.objects.values_list("pk", flat=True)).isdisjoint(first_ids)
    assert IssuePDF.objects.filter(imported=True).count() == 2
    assert len([name for name in protected_files() if name.endswith(".pdf")]) == 2


# A two-column issue: the project's own typesetting read back -----------------------------------


def test_a_two_column_issue_reads_back_column_by_column(tmp_path, django_capture_on_commit_callbacks, settings):
    """The demo issue's screen PDF as an office's PDF of a back issue: every text-only article comes back whole.

    Two justified columns, titles across both, running heads, folios and briefs sharing a page:
    the text of each article, spaces aside, is its body's, in order; paragraphs are kept.
    """
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    call_command("load_demo", stdout=io.StringIO())
    demo = Issue.objects.get(year=2017, number=1)
    record = issue_build_pdf(issue=demo, variant="screen")
    assert record.status == IssuePDF.Status.DONE, record.error
    originals = list(demo.articles.in_print_order().select_related("section__parent"))
    entries = [
        {
            "section": f"{a.section.parent.name}/{a.section.name}" if a.section.parent_id else a.section.name,
            "title": a.title,
            "subtitle": a.subtitle,
            "byline": a.printed_byline,
            "source": a.source,
            "pages": f"{a.first_page}-{a.last_page}",
        }
        for a in originals
    ]
    toml = manifest(year=2016, number=12, total_number=25, first_page_offset=record.front_pages + 1, articles=entries)
    with django_capture_on_commit_callbacks(execute=True):
        import_issue(write_bundle(tmp_path / "bundle", toml=toml, pdf=record.path.read_bytes()))

    back = {a.title: a for a in Issue.objects.get(year=2016, number=12).articles.all()}
    for original in originals:
        if "<table" in original.body:
            continue  # a table's cells come back as lines, not as a table
        copy = back[original.title]
        assert re.sub(r"\s+", "", copy.plain_text) == re.sub(r"\s+", "", original.plain_text), original.title
        assert (copy.first_page, copy.last_page) == (original.first_page, original.last_page)
    # Paragraphs survive: the editorial's first one is whole and ends where the original's does.
    editorial = originals[0]
    first_paragraph = re.search(r"<p>(.*?)</p>", editorial.body).group(1)
    assert re.search(r"<p>(.*?)</p>", back[editorial.title].body).group(1) == first_paragraph
