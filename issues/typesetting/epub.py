"""An issue as an EPUB 3 for e-readers: cover, contents, masthead, one XHTML document per article.

The package is made by EbookLib (package document, navigation document and NCX, every document
serialised as XHTML through lxml) from documents rendered with the templates in templates/epub/.
The navigation document is the issue's table of contents as the PDF prints it (sections ›
sub-sections › the listed articles); articles left out of the contents still have their place in
the reading order. CJK fonts are not embedded: e-readers have their own, and Noto CJK would add
tens of megabytes to every file; the stylesheet names the usual faces and falls back to serif and
sans-serif. Images are packaged in the formats EPUB 3.2 readers must show (JPEG, PNG, GIF;
anything else, e.g. WebP, as PNG).

A file is built when a reader first asks for it and kept under PROTECTED_ROOT/epub/<issue>/ with
the SHA-256 of everything that goes into it in its name (`EpubContents.key`: documents, images,
stylesheet, metadata, this module and EbookLib's version), so an unchanged issue is served from
disk and an edited one gets a new file, its earlier one removed. Finding the key means rendering
the documents, so, as with the PDF's build key (flatplan.py), it is cached under the
ContentVersion that every save of printed content bumps, and the stamp of the code that makes it.
"""

import hashlib
import io
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import ebooklib
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ebooklib import epub
from lxml import html as lxml_html
from PIL import Image

from articles.models import Article
from articles.sanitize import sanitize_html
from issues.files import write_atomically
from issues.models import ContentVersion, Issue, Periodical
from issues.typesetting.document import table_of_contents
from issues.typesetting.fetcher import BASE_URL, ProjectFilesFetcher

EBOOKLIB_VERSION = ".".join(map(str, ebooklib.VERSION))
EPUB_DIR = "epub"  # under PROTECTED_ROOT
LANGUAGE = "zh-CN"
STYLESHEET = "epub/issue.css"
STYLESHEET_NAME = "style/issue.css"  # in the package
TEMPLATES = ("epub/cover.html", "epub/contents.html", "epub/masthead.html", "epub/article.html")
KEY_TIMEOUT = 24 * 60 * 60  # seconds; any edit moves the ContentVersion on long before
# EPUB 3.2's core image types, which every reading system shows without a fallback.
CORE_IMAGES = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "GIF": ("gif", "image/gif")}


@dataclass
class PackagedImage:
    file_name: str  # in the package
    media_type: str
    data: bytes


@dataclass
class Document:
    """One XHTML document of the reading order: its file name, title and body (HTML)."""

    uid: str
    file_name: str
    title: str
    body: str


@dataclass
class NavEntry:
    """A line of the navigation document: a link, with the entries under it (a section's articles)."""

    title: str
    href: str
    children: list["NavEntry"] = field(default_factory=list)


@dataclass
class EpubContents:
    """Everything that goes into an issue's EPUB, before it is packaged."""

    identifier: str
    title: str
    subtitle: str
    date: str
    publisher: str
    cover: PackagedImage | None
    documents: list[Document]  # in reading order
    navigation: list[NavEntry]
    images: list[PackagedImage]
    stylesheet: bytes

    @property
    def key(self) -> str:
        """A SHA-256 of all of it, and of the code that packages it."""
        digest = hashlib.sha256()
        parts = [EBOOKLIB_VERSION, Path(__file__).read_text(), self.identifier, self.title, self.subtitle]
        parts += [self.date, self.publisher, repr(self.navigation)]
        parts += [f"{d.uid}\0{d.file_name}\0{d.title}\0{d.body}" for d in self.documents]
        for part in parts:
            digest.update(part.encode())
            digest.update(b"\0")
        for image in [self.cover, *self.images] if self.cover else self.images:
            digest.update(f"{image.file_name}\0{image.media_type}\0".encode())
            digest.update(image.data)
        digest.update(self.stylesheet)
        return digest.hexdigest()


def issue_epub(*, issue: Issue) -> Path:
    """The EPUB of `issue` as it is now, built if no file of its present content exists."""
    cache_key = f"epub-key:{issue.pk}:{ContentVersion.current()}:{_code_stamp()}"
    key = cache.get(cache_key)
    if key is not None and (path := epub_path(issue, key)).is_file():
        return path
    contents = epub_contents(issue)
    path = epub_path(issue, contents.key)
    if not path.is_file():
        write_atomically(path, epub_package(contents))
        for old in path.parent.glob("*.epub"):
            if old != path:
                old.unlink(missing_ok=True)  # a reader still downloading it keeps its handle
    cache.set(cache_key, contents.key, KEY_TIMEOUT)
    return path


def epub_path(issue: Issue, key: str) -> Path:
    return settings.PROTECTED_ROOT / EPUB_DIR / issue.key / f"{issue.key}-{key[:16]}.epub"


def epub_identifier(issue: Issue) -> str:
    """A URN that stays the same for an issue however often its file is rebuilt (an e-reader's library key)."""
    address = settings.SITE_URL.rstrip("/") + f"/issues/{issue.key}/"
    return uuid.uuid5(uuid.NAMESPACE_URL, address).urn


def epub_contents(issue: Issue) -> EpubContents:
    """Render the documents of `issue`'s EPUB and gather its images."""
    with translation.override(settings.LANGUAGE_CODE):
        return _contents(issue)


def _contents(issue):
    periodical = Periodical.load()
    articles = list(issue.articles.in_print_order().select_related("section__parent").with_authors())
    images = _Images()
    cover = images.cover(issue.cover) if issue.cover else None
    context = {"issue": issue, "periodical": periodical}
    documents = [
        Document("cover", "cover.xhtml", _("封面"), render_to_string("epub/cover.html", context | {"cover": cover}))
    ]
    toc = table_of_contents(articles)
    documents.append(
        Document(
            "contents",
            "contents.xhtml",
            _("目录"),
            render_to_string("epub/contents.html", context | {"contents": _contents_page(toc)}),
        )
    )
    masthead = list(issue.masthead_lines.printed())
    if masthead:
        documents.append(
            Document(
                "masthead",
                "masthead.xhtml",
                _("版权页"),
                render_to_string("epub/masthead.html", context | {"masthead": masthead}),
            )
        )
    for article in articles:
        base = settings.SITE_URL.rstrip("/") + article.get_absolute_url()
        body = _packaged_body(sanitize_html(article.body, rewrite_src=images.body_image), base=base)
        html = render_to_string("epub/article.html", {"article": article, "body": body})
        documents.append(Document(f"article-{article.pk}", article_file_name(article), article.title, html))
    return EpubContents(
        identifier=epub_identifier(issue),
        title=f"{periodical.name} {issue.issue_line}",
        subtitle=issue.title,
        date=issue.publication_date.isoformat(),
        publisher=periodical.host_unit or periodical.name,
        cover=cover,
        documents=documents,
        navigation=_navigation(toc),
        images=images.packaged,
        stylesheet=Path(finders.find(STYLESHEET)).read_bytes(),
    )


def article_file_name(article: Article) -> str:
    return f"article-{article.pk}.xhtml"


def _contents_page(toc):
    """(section name, [(sub-section marker, article, its document)]) for templates/epub/contents.html."""
    return [
        (group.section.name, [(marker, article, article_file_name(article)) for marker, article in group.entries])
        for group in toc
    ]


def _navigation(toc) -> list[NavEntry]:
    """Sections › sub-sections › articles, as the contents page lists them; each heading opens at its first article."""
    navigation = []
    for group in toc:
        section = None
        subsection = None
        for marker, article in group.entries:
            entry = NavEntry(article.title, article_file_name(article))
            if section is None:
                section = NavEntry(group.section.name, entry.href)
                navigation.append(section)
            if not article.section.parent_id:
                subsection = None
                section.children.append(entry)
                continue
            if marker or subsection is None:
                subsection = NavEntry(article.section.name, entry.href)
                section.children.append(subsection)
            subsection.children.append(entry)
    return navigation


def _packaged_body(html: str, *, base: str) -> str:
    """The body in `<div class="body">`, without the images left out of the package, links made absolute.

    Links to the site's own pages would point nowhere inside the package, so they lead to the site.
    """
    body = lxml_html.fragment_fromstring(html, create_parent="div")
    body.set("class", "body")
    for image in list(body.iter("img")):
        if not image.get("src"):
            image.drop_tree()  # its text after it stays
    for link in body.iter("a"):
        link.attrib.pop("rel", None)  # nh3's noopener: there is no window to protect in a book
        if link.get("href") is not None:
            link.set("href", urljoin(base, link.get("href")))
    return lxml_html.tostring(body, encoding="unicode")


class _Images:
    """The images of the package, each once, in a format every reading system shows."""

    def __init__(self):
        self.by_digest: dict[str, PackagedImage] = {}

    @property
    def packaged(self) -> list[PackagedImage]:
        return list(self.by_digest.values())

    def cover(self, field_file) -> PackagedImage | None:
        path = ProjectFilesFetcher.local_path(urljoin(BASE_URL, field_file.url))
        if path is None:
            return None
        extension, media_type, data = _core_image(path.read_bytes())
        return PackagedImage(f"images/cover.{extension}", media_type, data)

    def body_image(self, src: str) -> str | None:
        """The image's name in the package, relative to the documents; None (dropped) if it is not one of ours."""
        path = ProjectFilesFetcher.local_path(urljoin(BASE_URL, src))
        if path is None:
            return None
        extension, media_type, data = _core_image(path.read_bytes())
        digest = hashlib.sha256(data).hexdigest()
        image = self.by_digest.setdefault(digest, PackagedImage(f"images/{digest[:16]}.{extension}", media_type, data))
        return image.file_name


def _core_image(data: bytes) -> tuple[str, str, bytes]:
    """(extension, media type, bytes) of an image, converted to PNG unless it already is a core type."""
    with Image.open(io.BytesIO(data)) as image:
        if image.format in CORE_IMAGES:
            return *CORE_IMAGES[image.format], data
        out = io.BytesIO()
        image.save(out, format="PNG")
    return *CORE_IMAGES["PNG"], out.getvalue()


def epub_package(contents: EpubContents) -> bytes:
    """The EPUB 3 file of `contents`."""
    book = epub.EpubBook()
    book.set_identifier(contents.identifier)
    book.set_title(contents.title)
    book.set_language(LANGUAGE)
    book.set_direction("ltr")  # the spine's page-progression-direction
    if contents.subtitle:
        book.add_metadata("DC", "title", contents.subtitle, {"id": "issue-title"})
        book.add_metadata(None, "meta", "subtitle", {"refines": "#issue-title", "property": "title-type"})
    book.add_metadata("DC", "date", contents.date)
    book.add_metadata("DC", "publisher", contents.publisher)
    book.add_metadata("DC", "creator", contents.publisher)
    if contents.cover:
        book.set_cover(contents.cover.file_name, contents.cover.data, create_page=False)
    stylesheet = epub.EpubItem(
        uid="style", file_name=STYLESHEET_NAME, media_type="text/css", content=contents.stylesheet
    )
    book.add_item(stylesheet)
    for number, image in enumerate(contents.images, start=1):
        book.add_item(
            epub.EpubItem(
                uid=f"image-{number}", file_name=image.file_name, media_type=image.media_type, content=image.data
            )
        )
    documents = {}
    for document in contents.documents:
        item = epub.EpubHtml(uid=document.uid, file_name=document.file_name, title=document.title, lang=LANGUAGE)
        item.content = document.body
        item.add_item(stylesheet)
        book.add_item(item)
        documents[document.file_name] = item
    # An issue with nothing in its contents yet still needs one entry: an empty list is invalid.
    book.toc = [_toc_entry(entry) for entry in contents.navigation] or [epub.Link("contents.xhtml", _("目录"), "toc")]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav(title=_("目录")))
    book.spine = list(documents.values())
    book.guide = [
        {"type": "cover", "href": "cover.xhtml", "title": _("封面")},
        {"type": "toc", "href": "contents.xhtml", "title": _("目录")},
    ]
    first_article = next((d for d in contents.documents if d.uid.startswith("article-")), None)
    if first_article:
        book.guide.append({"type": "text", "href": first_article.file_name, "title": _("正文")})  # bodymatter
    out = io.BytesIO()
    epub.write_epub(
        out,
        book,
        {
            "mtime": timezone.now(),  # dcterms:modified, in UTC as the "Z" EbookLib writes says
            "landmark_title": _("导览"),
            "epub3_pages": False,
            "raise_exceptions": True,
        },
    )
    return out.getvalue()


def _toc_entry(entry: NavEntry):
    if not entry.children:
        return epub.Link(entry.href, entry.title, uid=entry.href.removesuffix(".xhtml"))
    return (epub.Section(entry.title, entry.href), [_toc_entry(child) for child in entry.children])


def _code_stamp() -> str:
    """Changes whenever the code that makes the documents may have (templates, stylesheet, this module)."""
    files = [Path(finders.find(STYLESHEET)), Path(__file__)]
    files += [Path(get_template(name).origin.name) for name in TEMPLATES]
    parts = [EBOOKLIB_VERSION] + [f"{path}:{path.stat().st_mtime_ns}:{path.stat().st_size}" for path in files]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]
