"""The one HTML allowlist for article bodies, whatever they come from.

Admin edits, imported bundles (Markdown, HTML, Word) and accepted manuscripts all pass
through `sanitize_html` before they are stored, so the rest of the site and the
typesetter can trust a body.
"""

import re
from collections.abc import Callable
from html import unescape

import nh3

from articles.tables import with_header_rows

ALLOWED_TAGS = {
    "p", "br", "hr", "blockquote", "pre", "code",
    "h1", "h2", "h3", "h4", "h5", "h6",
    "strong", "b", "em", "i", "u", "s", "sub", "sup", "small", "mark",
    "ul", "ol", "li",
    "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
    "figure", "figcaption", "img",
    "a",
}  # fmt: skip

ALLOWED_ATTRIBUTES = {
    "*": set(),  # none on every tag: without this nh3 lets `lang` and `title` through anywhere
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "type"},
}

ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

_CLEANER_OPTIONS = {
    "tags": ALLOWED_TAGS,
    "attributes": ALLOWED_ATTRIBUTES,
    "url_schemes": ALLOWED_URL_SCHEMES,
    "link_rel": "noopener noreferrer",
    "strip_comments": True,
}
_cleaner = nh3.Cleaner(**_CLEANER_OPTIONS)


def sanitize_html(html: str, *, rewrite_src: Callable[[str], str] | None = None) -> str:
    """`html` with everything outside the allowlist removed (scripts, event handlers, styles…).

    `rewrite_src`, if given, maps each image's src to a new one (None drops it); it is how
    bundles turn relative image paths into media URLs and back. A table's bold first row
    becomes its header row (`articles.tables`).
    """
    cleaned = _cleaner.clean(html or "") if rewrite_src is None else _cleaned_rewriting_src(html, rewrite_src)
    promoted = with_header_rows(cleaned)
    # Cleaned once more, so that what leaves this module is always nh3's own serialisation.
    return (cleaned if promoted == cleaned else _cleaner.clean(promoted)).strip()


def _cleaned_rewriting_src(html: str, rewrite_src: Callable[[str], str]) -> str:
    errors = []

    def attribute_filter(tag, attr, value):
        if (tag, attr) != ("img", "src"):
            return value
        try:
            return rewrite_src(value)
        except Exception as exc:  # nh3 would print and swallow it, silently dropping the image.
            errors.append(exc)
            return None

    cleaned = nh3.Cleaner(**_CLEANER_OPTIONS, attribute_filter=attribute_filter).clean(html or "")
    if errors:
        raise errors[0]
    return cleaned


_BLOCK_END = re.compile(r"</(p|h[1-6]|li|tr|blockquote|figcaption|caption)>|<br\s*/?>", re.IGNORECASE)
_CELL_END = re.compile(r"</t[dh]>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def html_to_text(html: str) -> str:
    """The readable text of sanitised HTML: blocks on their own lines, cells apart, tags gone."""
    text = _TAG.sub("", _BLOCK_END.sub("\n", _CELL_END.sub(" ", html or "")))
    lines = (" ".join(line.split()) for line in unescape(text).splitlines())
    return "\n".join(line for line in lines if line)
