"""The EPUB 3 of an issue: what is in the package, who may download it, and when it is built."""

import io
import posixpath
import shutil
import subprocess
import uuid
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from issues.models import Issue, Periodical
from issues.subscriptions.models import Download
from issues.typesetting.epub import EPUB_DIR, issue_epub
from tests.factories import (
    image_bytes,
    make_article,
    make_institution,
    make_issue,
    make_section,
    make_subscriber,
    make_subscription,
)

pytestmark = pytest.mark.django_db

NS = {
    "container": "urn:oasis:names:tc:opendocument:xmlns:container",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xhtml": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
}
DEMO_FILE_NAME = "南滨电子商务2017年第1期（总第26期）.epub"


def load_demo():
    call_command("load_demo", stdout=io.StringIO())
    return Issue.objects.get(year=2017, number=1)


def epub_url(issue):
    return reverse("issue_epub", args=[issue.year, issue.number])


class Package:
    """An EPUB read back with the standard library: the zip, its package document and its XHTML documents."""

    def __init__(self, data: bytes):
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        container = ET.fromstring(self.zip.read("META-INF/container.xml"))
        self.opf_path = container.find(".//container:rootfile", NS).get("full-path")
        self.root = posixpath.dirname(self.opf_path)
        self.opf = ET.fromstring(self.zip.read(self.opf_path))
        self.manifest = {item.get("id"): item for item in self.opf.find("opf:manifest", NS)}

    def path(self, href):
        return posixpath.normpath(posixpath.join(self.root, href))

    def metadata(self, name, namespace="dc"):
        return [element.text for element in self.opf.find("opf:metadata", NS).findall(f"{namespace}:{name}", NS)]

    def meta_property(self, name):
        return [m.text for m in self.opf.find("opf:metadata", NS).findall("opf:meta", NS) if m.get("property") == name]

    def item_with(self, property_):
        return next(item for item in self.manifest.values() if property_ in (item.get("properties") or "").split())

    def xhtml(self, href) -> ET.Element:
        return ET.fromstring(self.zip.read(self.path(href)))  # raises unless well-formed

    @property
    def spine(self):
        return [self.manifest[ref.get("idref")].get("href") for ref in self.opf.find("opf:spine", NS)]


def text_of(element):
    return "".join(element.itertext())


# The package -------------------------------------------------------------------------------------


def test_demo_issue_epub_passes_epubcheck_with_no_errors_or_warnings():
    path = issue_epub(issue=load_demo())

    # Debian's /usr/bin/epubcheck is the jar itself; java runs it.
    jar = Path(shutil.which("epubcheck")).resolve()
    result = subprocess.run(["java", "-jar", str(jar), str(path)], capture_output=True, text=True, timeout=300)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Messages: 0 fatals / 0 errors / 0 warnings" in output, output


def test_demo_issue_epub_is_a_well_formed_epub3_package():
    issue = load_demo()
    package = Package(issue_epub(issue=issue).read_bytes())

    # The mimetype first and stored uncompressed, as the OCF container requires.
    first = package.zip.infolist()[0]
    assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
    assert package.zip.read("mimetype") == b"application/epub+zip"

    assert package.opf.get("version") == "3.0"
    address = settings.SITE_URL.rstrip("/") + "/issues/2017-1/"
    assert package.metadata("identifier") == [uuid.uuid5(uuid.NAMESPACE_URL, address).urn]
    assert package.metadata("title") == ["南滨电子商务 2017年第1期（总第26期）", "跨境电商专题"]
    assert package.metadata("language") == ["zh-CN"]
    assert package.metadata("date") == ["2017-01-31"]
    assert package.metadata("publisher") == package.metadata("creator") == ["南滨市电子商务服务中心"]
    [modified] = package.meta_property("dcterms:modified")
    assert len(modified) == 20 and modified.endswith("Z")

    # Every manifest item is in the zip, with the media type of what it holds.
    for item in package.manifest.values():
        data = package.zip.read(package.path(item.get("href")))
        media_type = item.get("media-type")
        if media_type.startswith("image/"):
            assert media_type == Image.open(io.BytesIO(data)).get_format_mimetype()
        else:
            assert (
                media_type
                == {
                    ".xhtml": "application/xhtml+xml",
                    ".css": "text/css",
                    ".ncx": "application/x-dtbncx+xml",
                }[posixpath.splitext(item.get("href"))[1]]
            )
    cover = package.item_with("cover-image")
    assert package.zip.read(package.path(cover.get("href"))) == Path("issues/bundles/demo/cover.jpg").read_bytes()

    # Cover, contents and masthead, then every article in print order, those left out of the contents too.
    spine = package.opf.find("opf:spine", NS)
    assert spine.get("page-progression-direction") == "ltr"
    articles = list(issue.articles.in_print_order())
    assert any(not article.in_toc for article in articles)
    assert package.spine == ["cover.xhtml", "contents.xhtml", "masthead.xhtml"] + [
        f"article-{article.pk}.xhtml" for article in articles
    ]
    for article, href in zip(articles, package.spine[3:]):
        document = package.xhtml(href)
        assert document.get("lang") == "zh-CN"
        assert document.find(".//xhtml:link", NS).get("href") == "style/issue.css"
        assert text_of(document.find(".//xhtml:h1", NS)) == article.title
        assert article.printed_byline in text_of(document)
        if article.source:
            assert f"（来源：{article.source}）" in text_of(document)
    cover_page = text_of(package.xhtml("cover.xhtml"))
    assert "南滨电子商务" in cover_page and "2017年第1期（总第26期）" in cover_page
    masthead = text_of(package.xhtml("masthead.xhtml"))
    assert all(line.value in masthead for line in issue.masthead_lines.printed())
    # No fonts go into the package: readers' own CJK faces are used.
    assert not [name for name in package.zip.namelist() if name.lower().endswith((".otf", ".ttf", ".woff", ".woff2"))]
    stylesheet = package.zip.read(package.path("style/issue.css")).decode()
    assert "text-justify: inter-character" in stylesheet and "writing-mode: horizontal-tb" in stylesheet
    assert "@font-face" not in stylesheet and "serif;" in stylesheet and "sans-serif;" in stylesheet


def test_navigation_document_lists_the_contents_in_order_with_working_links():
    issue = load_demo()
    package = Package(issue_epub(issue=issue).read_bytes())
    nav_item = package.item_with("nav")
    nav = package.xhtml(nav_item.get("href"))
    toc = next(
        element for element in nav.iter(f"{{{NS['xhtml']}}}nav") if element.get(f"{{{NS['epub']}}}type") == "toc"
    )

    listed = list(issue.articles.in_print_order().filter(in_toc=True).select_related("section__parent"))
    links = toc.findall(".//xhtml:a", NS)
    article_links = [link for link in links if text_of(link) in {article.title for article in listed}]
    assert [text_of(link) for link in article_links] == [article.title for article in listed]
    for link, article in zip(article_links, listed):
        assert link.get("href") == f"article-{article.pk}.xhtml"
    # Sections at the top, sub-sections under them, as the PDF's bookmarks.
    sections = toc.find("xhtml:ol", NS).findall("xhtml:li", NS)
    assert [text_of(li.find("xhtml:a", NS)) for li in sections] == [
        "卷首语",
        "特别报道",
        "业界交流",
        "数据观察",
        "行业动态",
    ]
    news = sections[-1].find("xhtml:ol", NS).findall("xhtml:li", NS)
    assert [text_of(li.find("xhtml:a", NS)) for li in news] == ["南滨", "国内"]
    assert all(li.find("xhtml:ol", NS) is not None for li in news)  # each sub-section with its articles
    # Every link leads to a document of the package whose heading is the entry.
    manifest_hrefs = {item.get("href") for item in package.manifest.values()}
    for link in links:
        assert link.get("href") in manifest_hrefs
        package.xhtml(link.get("href"))
    # The contents page lists the same entries, linked the same way.
    contents = package.xhtml("contents.xhtml")
    assert [link.get("href") for link in contents.findall(".//xhtml:a", NS)] == [
        link.get("href") for link in article_links
    ]


def test_article_figures_are_packaged_with_their_media_types_and_links_made_absolute(isolated_files):
    images = isolated_files / "articles" / "images" / "2017" / "01"
    images.mkdir(parents=True)
    (images / "chart.webp").write_bytes(image_bytes(format="WEBP", size=(80, 50)))
    (images / "photo.jpg").write_bytes(image_bytes(format="JPEG", size=(90, 60)))
    issue = make_issue(status=Issue.Status.PUBLISHED, title="")
    body = (
        '<p>正文&nbsp;一段<br>换行</p><figure><img src="/media/articles/images/2017/01/chart.webp" alt="图一">'
        "<figcaption>图1 各区县交易额</figcaption></figure>"
        '<figure><img src="/media/articles/images/2017/01/photo.jpg" alt="图二"><figcaption>图2</figcaption></figure>'
        '<img src="/media/articles/images/2017/01/missing.png" alt="不存在">'
        "<table><thead><tr><th>区县</th><th>金额</th></tr></thead><tbody><tr><td>滨江区</td><td>412.6</td></tr>"
        '</tbody></table><p>详见<a href="/articles/1/x/">上一篇</a>与<a href="https://example.cn/r">报告</a>。</p>'
    )
    article = make_article(issue=issue, title="有图的文章", body=body, source="本刊编辑部整理")

    package = Package(issue_epub(issue=issue).read_bytes())

    document = package.xhtml(f"article-{article.pk}.xhtml")
    sources = [img.get("src") for img in document.iter(f"{{{NS['xhtml']}}}img")]
    assert len(sources) == 2  # the missing one is left out
    by_href = {item.get("href"): item for item in package.manifest.values()}
    png, jpeg = (by_href[src] for src in sources)
    assert png.get("media-type") == "image/png" and png.get("href").endswith(".png")  # WebP is no EPUB 3.2 core type
    assert Image.open(io.BytesIO(package.zip.read(package.path(png.get("href"))))).size == (80, 50)
    assert jpeg.get("media-type") == "image/jpeg"
    assert package.zip.read(package.path(jpeg.get("href"))) == (images / "photo.jpg").read_bytes()
    assert [text_of(caption) for caption in document.iter(f"{{{NS['xhtml']}}}figcaption")] == [
        "图1 各区县交易额",
        "图2",
    ]
    assert [text_of(cell) for cell in document.iter(f"{{{NS['xhtml']}}}th")] == ["区县", "金额"]
    links = [a.get("href") for a in document.iter(f"{{{NS['xhtml']}}}a")]
    assert links == [settings.SITE_URL.rstrip("/") + "/articles/1/x/", "https://example.cn/r"]
    assert "正文\xa0一段" in text_of(document) and "（来源：本刊编辑部整理）" in text_of(document)
    # No cover image: none declared, and the cover page still names the issue.
    assert not [item for item in package.manifest.values() if "cover-image" in (item.get("properties") or "")]
    assert "2017年第1期" in text_of(package.xhtml("cover.xhtml"))


# Who may download it -----------------------------------------------------------------------------


def subscriber_client(client):
    subscriber = make_subscriber()
    make_subscription(subscriber=subscriber)
    client.force_login(subscriber.user)
    return client, subscriber


def test_anonymous_readers_are_sent_to_sign_in(client):
    issue = make_issue(status=Issue.Status.PUBLISHED)
    response = client.get(epub_url(issue))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not Download.objects.exists()


def test_signed_in_readers_without_a_subscription_learn_how_to_subscribe(client):
    issue = make_issue(status=Issue.Status.PUBLISHED)
    client.force_login(make_subscriber().user)
    response = client.get(epub_url(issue))
    assert response.status_code == 403 and "如何订阅" in response.content.decode()
    assert not Download.objects.exists()


def test_a_subscriber_downloads_the_epub_named_after_the_issue_and_it_is_logged(client):
    issue = load_demo()
    client, subscriber = subscriber_client(client)

    response = client.get(epub_url(issue), REMOTE_ADDR="198.51.100.5")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/epub+zip"
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"2017-1.epub\"; filename*=UTF-8''{quote(DEMO_FILE_NAME, safe='')}"
    )
    data = b"".join(response.streaming_content)
    assert Package(data).metadata("language") == ["zh-CN"] and int(response["Content-Length"]) == len(data)
    [download] = Download.objects.all()
    assert (download.issue, download.user, download.format, download.ip) == (
        issue,
        subscriber.user,
        Download.Format.EPUB,
        "198.51.100.5",
    )
    # The browser's copy is current: 304, and no second row.
    again = client.get(epub_url(issue), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and Download.objects.count() == 1


def test_unpublished_issues_are_for_staff_only(client, django_user_model):
    issue = make_issue(status=Issue.Status.DRAFT)
    make_article(issue=issue, title="未发布的文章")
    reader, _subscriber = subscriber_client(client)
    assert reader.get(epub_url(issue)).status_code == 404

    editor = django_user_model.objects.create_user(username="editor", password="x", is_staff=True)
    client.force_login(editor)
    response = client.get(epub_url(issue))
    assert response.status_code == 200 and response["Content-Type"] == "application/epub+zip"
    assert Download.objects.get().user == editor


def test_readers_on_an_institution_network_download_without_an_account(client):
    issue = make_issue(status=Issue.Status.PUBLISHED)
    institution = make_institution()
    assert client.get(epub_url(issue), REMOTE_ADDR="203.0.113.9").status_code == 200
    assert Download.objects.get().institution == institution


def test_the_issue_page_offers_the_epub_beside_the_pdf(client):
    issue = make_issue(status=Issue.Status.PUBLISHED)
    html = client.get(issue.get_absolute_url()).content.decode()
    assert "下载 EPUB" in html and epub_url(issue) in html


def test_the_admin_statistics_count_epub_downloads_apart(staff_client):
    issue = make_issue(status=Issue.Status.PUBLISHED)
    Download.objects.create(issue=issue, format=Download.Format.PDF)
    Download.objects.create(issue=issue, format=Download.Format.EPUB)
    Download.objects.create(issue=issue, format=Download.Format.EPUB)
    html = staff_client.get(reverse("admin:subscriptions_download_statistics")).content.decode()
    assert '<th scope="col">PDF</th><th scope="col">EPUB</th>' in html
    assert "<td>3</td><td>1</td><td>2</td>" in html
    listing = staff_client.get(reverse("admin:subscriptions_download_changelist") + "?format__exact=epub")
    assert listing.context["cl"].result_count == 2


# Built once per content --------------------------------------------------------------------------


def epub_files(issue):
    return sorted((settings.PROTECTED_ROOT / EPUB_DIR / issue.key).glob("*.epub"))


def test_the_file_is_built_once_and_again_only_when_the_issue_changes(client):
    issue = make_issue(status=Issue.Status.PUBLISHED)
    article = make_article(issue=issue, title="初稿标题")
    client, _subscriber = subscriber_client(client)

    assert client.get(epub_url(issue)).status_code == 200
    [built] = epub_files(issue)
    stat = built.stat()

    assert client.get(epub_url(issue)).status_code == 200
    cache.clear()  # another process, which has not cached the key: it finds the file of the same content
    assert client.get(epub_url(issue)).status_code == 200
    assert epub_files(issue) == [built]
    assert (built.stat().st_ino, built.stat().st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)

    article.title = "改过的标题"
    article.save()
    response = client.get(epub_url(issue))
    [rebuilt] = epub_files(issue)
    assert rebuilt != built and not built.exists()
    assert "改过的标题" in text_of(Package(b"".join(response.streaming_content)).xhtml(f"article-{article.pk}.xhtml"))


def test_the_download_makes_a_fixed_number_of_queries(client, django_assert_num_queries):
    issue = make_issue(status=Issue.Status.PUBLISHED)
    section = make_section(name="行业动态")
    for position in range(1, 3):
        make_article(issue=issue, section=section, title=f"第{position}篇", position=position)
    Periodical.load()  # made by the first page any site shows
    client, _subscriber = subscriber_client(client)

    # Building: the same queries for two articles as for six (authors and sections come with the articles).
    with django_assert_num_queries(12):
        assert client.get(epub_url(issue)).status_code == 200
    for position in range(3, 7):
        make_article(issue=issue, section=section, title=f"第{position}篇", position=position)
    with django_assert_num_queries(12):
        assert client.get(epub_url(issue)).status_code == 200
    # Served from the file already built.
    with django_assert_num_queries(8):
        assert client.get(epub_url(issue)).status_code == 200


def test_an_issue_without_articles_yet_still_makes_a_valid_navigation_document():
    issue = make_issue(status=Issue.Status.DRAFT)
    package = Package(issue_epub(issue=issue).read_bytes())
    nav = package.xhtml(package.item_with("nav").get("href"))
    assert [link.get("href") for link in nav.find(".//xhtml:nav", NS).findall(".//xhtml:a", NS)] == ["contents.xhtml"]
    assert package.spine == ["cover.xhtml", "contents.xhtml"]
