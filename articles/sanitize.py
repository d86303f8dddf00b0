"""The one HTML allowlist for article bodies, whatever they come from.

Admin edits, imported bundles (Markdown, HTML, Word) and accepted manuscripts all pass
through `sanitize_html` before they are stored, so the rest of the site and the
typesetter can trust a body.
"""

from collections.abc import Callable

import nh3

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
    bundles turn relative image paths into media URLs and back.
    """
    cleaner = _cleaner
    if rewrite_src is not None:
        cleaner = nh3.Cleaner(
            **_CLEANER_OPTIONS,
            attribute_filter=lambda tag, attr, value: rewrite_src(value) if (tag, attr) == ("img", "src") else value,
        )
    return cleaner.clean(html or "").strip()
