"""Turning a bundle's article bodies (.md, .html, .docx) into sanitised HTML."""

import posixpath
from dataclasses import dataclass, field
from urllib.parse import unquote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt

from articles import word
from articles.sanitize import sanitize_html
from issues.bundles.errors import BundleError
from issues.bundles.files import BundleFiles, normalize
from issues.images import web_image

BODY_FORMATS = (".md", ".html", ".docx")

_markdown = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


@dataclass
class ImageStore:
    """The images an import will write, keyed by where they came from; all under one media folder."""

    folder: str
    files: dict[str, bytes] = field(default_factory=dict)  # storage name -> bytes
    by_origin: dict[str, str] = field(default_factory=dict)  # origin -> storage name

    @staticmethod
    def folder_prefix(year: int, number: int) -> str:
        """Every import of an issue writes its images into a new folder starting with this."""
        return f"articles/images/{year}-{number}-"

    def add(self, origin: str, name: str, data: bytes) -> str:
        """Register an image and return the URL the body should use for it."""
        if origin not in self.by_origin:
            name, data = web_image(data, name)
            stem, ext = posixpath.splitext(name)
            storage_name, n = f"{self.folder}/{name}", 2
            while storage_name in self.files:
                storage_name, n = f"{self.folder}/{stem}-{n}{ext}", n + 1
            self.files[storage_name] = data
            self.by_origin[origin] = storage_name
        return default_storage.url(self.by_origin[origin])


def media_name(src: str) -> str | None:
    """The storage name behind an image src that points into our media, else None."""
    if not src.startswith(settings.MEDIA_URL):
        return None
    return unquote(src.removeprefix(settings.MEDIA_URL))  # storage.url() percent-encodes names


def convert_body(files: BundleFiles, path: str, images: ImageStore) -> str:
    """The sanitised HTML of the body at `path`, its images registered in `images`."""
    extension = posixpath.splitext(path)[1].lower()
    if extension not in BODY_FORMATS:
        raise BundleError(
            _("不支持的正文格式“%(ext)s”，只支持 .md、.html、.docx。") % {"ext": extension or path}, path=path
        )
    data = files.read(path)
    docx_images = {}
    if extension == ".docx":
        html = _docx_to_html(data, path, docx_images)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BundleError(_("文件不是 UTF-8 编码的文本。"), path=path)
        html = _markdown.render(text) if extension == ".md" else text

    problems = []

    def rewrite_src(src):
        if "://" in src or src.startswith(("/", "data:", "mailto:")):
            return src  # Not a bundle file; the allowlist decides whether it stays.
        src = unquote(src)  # a src is a URL: Markdown percent-encodes spaces and Chinese in it
        where = _("图片 %(src)s") % {"src": src}
        try:
            if src in docx_images:
                return images.add(f"{path}#{src}", src, docx_images[src])
            origin = normalize(src, relative_to=posixpath.dirname(path))
            return images.add(origin, posixpath.basename(origin), files.read(origin))
        except BundleError as error:
            problems.append(BundleError(error.message, path=path, field=where))
        except ValidationError as error:
            problems.append(BundleError(" ".join(error.messages), path=path, field=where))
        return None

    body = sanitize_html(html, rewrite_src=rewrite_src)
    if problems:
        raise problems[0]
    return body


def _docx_to_html(data: bytes, path: str, docx_images: dict) -> str:
    """The HTML of a .docx body through the guarded converter; its images go into `docx_images`."""
    stem = posixpath.splitext(posixpath.basename(path))[0]
    try:
        html, images = word.docx_html(data, image_folder=stem, max_bytes=word.MAX_UNCOMPRESSED_BYTES)
    except word.WordError as error:
        raise BundleError(str(error), path=path)
    for name, content in images.items():  # "05/1.png" is stored as "05-1.png", as before
        flat = name.replace("/", "-")
        docx_images[flat] = content
        html = html.replace(f'src="{name}"', f'src="{flat}"')
    return html
