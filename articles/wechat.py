"""An article as the WeChat official account's editor (mp.weixin.qq.com) takes it when pasted.

That editor drops <style> elements and `class`/`id` attributes, keeps inline `style`, keeps
links only to WeChat's own pages and fetches every image from its URL. So the export is HTML
whose every element carries its look in `style`, from a short list of tags (those doocs/md, the
widely used WeChat Markdown editor, writes for pasting: its renderers/wx-renderer.js); the link
to the article online is also written out as text; each image is a public JPEG or PNG under
1 MB and at most 1080 px wide (`wechat_image_url`), addressed by an absolute URL.
"""

import base64
import hashlib
import io
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils.encoding import uri_to_iri
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from articles.sanitize import html_to_text
from issues.files import write_atomically
from issues.images import inspect_image

ALLOWED_TAGS = {
    "section", "p", "span", "strong", "em", "sub", "sup", "br", "hr",
    "h1", "h2", "h3", "ul", "ol", "li", "blockquote",
    "table", "thead", "tbody", "tr", "th", "td",
    "figure", "figcaption", "img", "a",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"style", "href", "src", "alt", "colspan", "rowspan", "start"}

_SANS = "'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC',sans-serif"
_SERIF = "'Songti SC','Noto Serif CJK SC','Source Han Serif SC',serif"
_TEXT = "font-size:16px;line-height:1.75;color:#333;"
_CELL = "border:1px solid #bbb;padding:6px 8px;font-size:14px;line-height:1.5;text-align:left;vertical-align:top;"

# Every style attribute the export writes is one of these (the admin's preview allows exactly
# these inline styles through its Content-Security-Policy, by hash).
STYLES = {
    "article": f"font-family:{_SERIF};{_TEXT}text-align:justify;word-wrap:break-word;",
    "title": f"font-family:{_SANS};font-size:22px;font-weight:bold;line-height:1.4;color:#222;margin:0 0 8px;",
    "subtitle": f"font-family:{_SANS};font-size:17px;line-height:1.5;color:#444;margin:0 0 8px;",
    "byline": "font-size:15px;line-height:1.75;color:#666;margin:0 0 24px;",
    "paragraph": f"{_TEXT}text-align:justify;text-indent:2em;margin:0 0 16px;",
    "heading": f"font-family:{_SANS};font-size:18px;font-weight:bold;line-height:1.5;color:#222;margin:32px 0 16px;",
    "subheading": f"font-family:{_SANS};font-size:16px;font-weight:bold;line-height:1.5;color:#222;margin:24px 0 12px;",
    "list": f"{_TEXT}margin:0 0 16px;padding-left:2em;",
    "list_item": f"{_TEXT}text-align:justify;margin:0 0 4px;",
    "list_paragraph": f"{_TEXT}text-align:justify;margin:0;",
    "quote": "margin:0 0 16px;padding:8px 16px;border-left:4px solid #ccc;background:#f7f7f7;color:#555;",
    "quote_paragraph": "font-size:15px;line-height:1.75;color:#555;text-align:justify;margin:0 0 8px;",
    "table_wrap": "overflow-x:auto;margin:0 0 16px;",
    "table_caption": f"font-family:{_SANS};font-size:14px;font-weight:bold;line-height:1.5;text-align:center;margin:0 0 8px;",
    "table": "border-collapse:collapse;width:100%;font-size:14px;line-height:1.5;",
    "header_cell": f"{_CELL}font-family:{_SANS};font-weight:bold;background:#eef2f5;color:#222;",
    "cell": f"{_CELL}color:#333;",
    "cell_paragraph": "font-size:14px;line-height:1.5;margin:0;",
    "figure": "margin:0 0 16px;",
    "image": "display:block;max-width:100%;height:auto;margin:0 auto;",
    "caption": "font-size:14px;line-height:1.5;color:#666;text-align:center;margin:8px 0 0;",
    "pre": "font-family:Menlo,Consolas,monospace;font-size:13px;line-height:1.6;white-space:pre-wrap;"
    "background:#f7f7f7;padding:8px;margin:0 0 16px;",
    "code": "font-family:Menlo,Consolas,monospace;font-size:90%;",
    "rule": "border:0;border-top:1px solid #ccc;margin:24px 0;",
    "strong": "font-weight:bold;",
    "emphasis": "font-style:italic;",
    "underline": "text-decoration:underline;",
    "strike": "text-decoration:line-through;",
    "small": "font-size:80%;",
    "mark": "background:#fff3b0;",
    "link": "color:#576b95;text-decoration:none;word-break:break-all;",
    "link_address": "color:#888;font-size:14px;word-break:break-all;",
    "source": "font-size:15px;line-height:1.75;color:#666;text-align:right;margin:16px 0 8px;",
    "online": "font-size:14px;line-height:1.75;color:#888;margin:0 0 16px;word-break:break-all;",
}


# The body of the admin's phone-sized preview: the margins of WeChat's article view.
PREVIEW_STYLE = "margin:0;padding:20px 16px;background:#fff;"


def style_hashes(*styles: str) -> list[str]:
    """CSP sources allowing exactly these inline `style` attributes."""
    return ["'unsafe-hashes'"] + [
        f"'sha256-{base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()}'"
        for style in dict.fromkeys(styles)
    ]


@dataclass
class WechatExport:
    html: str  # what is pasted into the WeChat editor
    text: str  # the same as plain text, for the clipboard's text/plain
    url: str  # the article online
    problems: list[str] = field(default_factory=list)  # what the editor should know (a missing image)


def article_wechat_export(*, article) -> WechatExport:
    """`article` (draft or published) as HTML with inline styles only, for the WeChat editor."""
    url = settings.SITE_URL.rstrip("/") + article.get_absolute_url()
    problems = []
    parts = [_element("h1", "title", escape(article.title))]
    if article.subtitle:
        parts.append(_element("p", "subtitle", escape("——" + article.subtitle)))
    if article.printed_byline:
        parts.append(_element("p", "byline", escape(article.printed_byline)))
    parts.append(_body(article.body, problems))
    if article.source:
        parts.append(_element("p", "source", escape(_("（来源：%(source)s）") % {"source": article.source})))
    # Shown as the reader would type it (Chinese, not percent-encoded): WeChat makes it plain text.
    link = f'<a href="{escape(url)}" style="{escape(STYLES["link"])}">{escape(uri_to_iri(url))}</a>'
    parts.append(_element("p", "online", escape(_("阅读原文：")) + link))
    html = _element("section", "article", "".join(parts))
    return WechatExport(html=html, text=html_to_text(html), url=url, problems=problems)


def preview_document(export: WechatExport) -> str:
    """A page holding only `export`, for a frame as wide as a phone (the admin's preview)."""
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(export.url)}</title></head>"
        f'<body style="{escape(PREVIEW_STYLE)}">{export.html}</body></html>'
    )


def _element(tag: str, style: str, inner: str, attributes: str = "") -> str:
    return f'<{tag}{attributes} style="{escape(STYLES[style])}">{inner}</{tag}>'


# The body: sanitised HTML (articles/sanitize.py) restyled element by element ---------------------

_VOID = {"br", "hr", "img", "col"}


class _Node:
    def __init__(self, tag: str, attrs: dict[str, str | None]):
        self.tag, self.attrs = tag, attrs
        self.children: list[_Node | str] = []


class _Tree(HTMLParser):
    """A tree of sanitised HTML, whose tags nh3 has balanced."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = [_Node("", {})]

    def handle_starttag(self, tag, attrs):
        node = _Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def _body(html: str, problems: list[str]) -> str:
    tree = _Tree()
    tree.feed(html or "")
    tree.close()
    return _Renderer(problems).children(tree.stack[0], context="body")


_INLINE = {
    "strong": ("strong", "strong"),
    "b": ("strong", "strong"),
    "em": ("em", "emphasis"),
    "i": ("em", "emphasis"),
    "u": ("span", "underline"),
    "s": ("span", "strike"),
    "small": ("span", "small"),
    "mark": ("span", "mark"),
    "code": ("span", "code"),
}
_PARAGRAPH_STYLE = {
    "body": "paragraph",
    "list": "list_paragraph",
    "quote": "quote_paragraph",
    "cell": "cell_paragraph",
}


class _Renderer:
    def __init__(self, problems: list[str]):
        self.problems = problems

    def children(self, node: _Node, *, context: str) -> str:
        return "".join(
            escape(child, quote=False) if isinstance(child, str) else self.node(child, context=context)
            for child in node.children
        )

    def node(self, node: _Node, *, context: str) -> str:
        tag = node.tag
        if tag == "p":
            if context == "caption":
                return self.children(node, context=context)
            return _element("p", _PARAGRAPH_STYLE.get(context, "paragraph"), self.children(node, context=context))
        if tag in ("h1", "h2"):
            return _element("h2", "heading", self.children(node, context="heading"))
        if tag in ("h3", "h4", "h5", "h6"):
            return _element("h3", "subheading", self.children(node, context="heading"))
        if tag in _INLINE:
            out_tag, style = _INLINE[tag]
            return _element(out_tag, style, self.children(node, context=context))
        if tag in ("sub", "sup"):
            return f"<{tag}>{self.children(node, context=context)}</{tag}>"
        if tag == "br":
            return "<br>"
        if tag == "hr":
            return f'<hr style="{escape(STYLES["rule"])}">'
        if tag == "pre":
            return _element("p", "pre", self.children(node, context="pre"))
        if tag in ("ul", "ol"):
            start = node.attrs.get("start")
            attributes = f' start="{int(start)}"' if tag == "ol" and start and start.isdigit() else ""
            return _element(tag, "list", self.children(node, context="list"), attributes)
        if tag == "li":
            return _element("li", "list_item", self.children(node, context="list"))
        if tag == "blockquote":
            return _element("blockquote", "quote", self.children(node, context="quote"))
        if tag == "table":
            return self.table(node)
        if tag == "figure":
            return _element("figure", "figure", self.children(node, context="figure"))
        if tag == "figcaption":
            return _element("figcaption", "caption", self.children(node, context="caption"))
        if tag == "img":
            return self.image(node)
        if tag == "a":
            return self.link(node, context=context)
        return self.children(node, context=context)  # nothing else passes the allowlist

    def table(self, node: _Node) -> str:
        captions, rows = [], []
        for child in node.children:
            if isinstance(child, str):
                continue
            if child.tag == "caption":
                captions.append(_element("p", "table_caption", self.children(child, context="caption")))
            elif child.tag in ("thead", "tbody", "tfoot"):
                group = "thead" if child.tag == "thead" else "tbody"
                inner = "".join(self.row(row, header=group == "thead") for row in _elements(child, "tr"))
                rows.append(f"<{group}>{inner}</{group}>")
            elif child.tag == "tr":
                rows.append(f"<tbody>{self.row(child, header=False)}</tbody>")
        table = _element("table", "table", "".join(rows))
        return "".join(captions) + _element("section", "table_wrap", table)

    def row(self, node: _Node, *, header: bool) -> str:
        cells = []
        for cell in _elements(node, "th", "td"):
            spans = "".join(
                f' {name}="{int(value)}"'
                for name in ("colspan", "rowspan")
                if (value := cell.attrs.get(name)) and value.isdigit() and int(value) > 1
            )
            tag = "th" if header or cell.tag == "th" else "td"
            style = "header_cell" if tag == "th" else "cell"
            cells.append(_element(tag, style, self.children(cell, context="cell"), spans))
        return f"<tr>{''.join(cells)}</tr>"

    def image(self, node: _Node) -> str:
        src, alt = node.attrs.get("src") or "", node.attrs.get("alt") or ""
        try:
            url = wechat_image_url(src)
        except ValidationError as error:
            self.problems.append(
                _("图片“%(image)s”未能导出：%(error)s") % {"image": alt or src, "error": " ".join(error.messages)}
            )
            return ""
        return f'<img src="{escape(url)}" alt="{escape(alt)}" style="{escape(STYLES["image"])}">'

    def link(self, node: _Node, *, context: str) -> str:
        inner = self.children(node, context=context)
        href = node.attrs.get("href") or ""
        if not href:
            return inner
        href = urljoin(settings.SITE_URL.rstrip("/") + "/", href)
        anchor = f'<a href="{escape(href)}" style="{escape(STYLES["link"])}">{inner}</a>'
        # WeChat keeps links only to its own pages; any other address stays readable as text.
        address = href.removeprefix("mailto:")
        if href.startswith("https://mp.weixin.qq.com/") or address in html_to_text(inner):
            return anchor
        return anchor + _element("span", "link_address", escape(f"（{address}）"))


def _elements(node: _Node, *tags: str) -> list[_Node]:
    return [child for child in node.children if isinstance(child, _Node) and child.tag in tags]


# Images: public JPEG or PNG copies the WeChat editor fetches -------------------------------------

MAX_IMAGE_BYTES = 1_000_000  # WeChat takes larger ones, but pasted images over 1 MB often fail to load
MAX_IMAGE_WIDTH = 1080  # the width of a phone screen at 3x; WeChat scales wider images down anyway
IMAGE_FOLDER = "wechat"
# Part of each copy's name: changing how copies are made (a new limit) names new copies.
_RECIPE = f"{MAX_IMAGE_WIDTH}px-{MAX_IMAGE_BYTES}B-1"
_JPEG_QUALITIES = (85, 78, 70, 62, 55, 48, 40)
_PALETTE_COLOURS = 256


def wechat_image_url(src: str) -> str:
    """The absolute URL of a WeChat-ready copy of the body image at `src` (made once per content).

    ValidationError, in Chinese, if `src` is not one of our media files or not an image.
    """
    path = _media_path(src)
    try:
        data = path.read_bytes()
    except OSError:
        raise ValidationError(_("图片文件不存在。"))
    inspect_image(data)  # bombs, damaged files and oversize images are refused before decoding
    digest = hashlib.sha256(_RECIPE.encode() + b"\0" + data).hexdigest()
    folder = Path(settings.MEDIA_ROOT) / IMAGE_FOLDER
    existing = [name for name in (f"{digest}.jpg", f"{digest}.png") if (folder / name).is_file()]
    if existing:
        name = existing[0]
    else:
        extension, encoded = wechat_image_bytes(data)
        name = f"{digest}.{extension}"
        write_atomically(folder / name, encoded)  # the media server may send it the moment it has a name
    return urljoin(settings.SITE_URL.rstrip("/") + "/", default_storage.url(f"{IMAGE_FOLDER}/{name}"))


def _media_path(src: str) -> Path:
    media_root = Path(settings.MEDIA_ROOT).resolve()
    if not src.startswith(settings.MEDIA_URL):
        raise ValidationError(_("图片不在本站的媒体文件中。"))
    path = (media_root / unquote(src.removeprefix(settings.MEDIA_URL).split("?")[0])).resolve()
    if not path.is_relative_to(media_root):
        raise ValidationError(_("图片不在本站的媒体文件中。"))
    return path


def wechat_image_bytes(data: bytes) -> tuple[str, bytes]:
    """("jpg" or "png", bytes): the image at most MAX_IMAGE_WIDTH wide and MAX_IMAGE_BYTES long.

    Photographs become JPEG; images with transparency or few colours (charts, diagrams) PNG,
    whose sharp edges JPEG would blur. Quality, then size, is lowered until the file fits.
    """
    with Image.open(io.BytesIO(data)) as opened:
        image = ImageOps.exif_transpose(opened)  # phones store portraits sideways, with a note
        image = image.convert("RGBA" if _has_transparency(image) else "RGB")
    transparent = image.mode == "RGBA" and image.getchannel("A").getextrema()[0] < 255
    if not transparent:
        image = image.convert("RGB")
    lossless = transparent or image.getcolors(maxcolors=_PALETTE_COLOURS) is not None
    if image.width > MAX_IMAGE_WIDTH:
        image = _scaled(image, MAX_IMAGE_WIDTH / image.width)
    while True:
        encoded = _png(image) if lossless else _jpeg(image)
        if encoded is not None:
            return ("png" if lossless else "jpg"), encoded
        image = _scaled(image, 0.8)


def _has_transparency(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info


def _scaled(image: Image.Image, factor: float) -> Image.Image:
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _jpeg(image: Image.Image) -> bytes | None:
    for quality in _JPEG_QUALITIES:
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=quality, optimize=True, progressive=True)
        if out.tell() <= MAX_IMAGE_BYTES:
            return out.getvalue()
    return None


def _png(image: Image.Image) -> bytes | None:
    candidates = [image]
    if image.getcolors(maxcolors=_PALETTE_COLOURS) is None:  # a palette of 256 colours, before scaling down
        candidates.append(image.quantize(_PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE))
    for candidate in candidates:
        out = io.BytesIO()
        candidate.save(out, format="PNG", optimize=True)
        if out.tell() <= MAX_IMAGE_BYTES:
            return out.getvalue()
    return None
