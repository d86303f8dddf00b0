"""Figures of article bodies on the reading site: real sizes, smaller copies, lazy loading.

The stored body keeps plain `<img src alt>` of the full image: the PDF prints it, the EPUB and the
WeChat export take it as it is. Only the article page rewrites each <img> of our media when it
renders, from `Article.figures` (the size and copies of each image, kept in the row, so a render
opens no image file and asks no extra query). Images not in our media, and files that are
missing or broken, are left as the body has them.
"""

import re
from html.parser import HTMLParser

from django.utils.safestring import mark_safe

from articles.sanitize import html_to_text
from issues.images import ResponsiveImage, media_name, responsive_img

_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
# An image with less text than this before it is probably in the first screen: not lazy.
ABOVE_THE_FOLD_CHARACTERS = 200


def media_names_in(body: str) -> list[str]:
    """The storage names of the body's images that are in our media, in order, each once."""
    names = (media_name(_attributes(tag).get("src") or "") for tag in _IMG.findall(body or ""))
    return list(dict.fromkeys(name for name in names if name))


def responsive_body(body: str, images: dict[str, ResponsiveImage], *, slot: int, sizes: str = "") -> str:
    """`body` with each of its images in `images` (by storage name) as a responsive <img>."""
    seen_images = 0

    def rewrite(match):
        nonlocal seen_images
        seen_images += 1
        attributes = _attributes(match.group(0))
        image = images.get(media_name(attributes.get("src") or "") or "")
        if image is None:
            return match.group(0)
        lazy = seen_images > 1 or len(html_to_text(body[: match.start()])) > ABOVE_THE_FOLD_CHARACTERS
        kept = {name: attributes[name] for name in ("alt", "title") if name in attributes}
        return responsive_img(image, slot=slot, sizes=sizes, lazy=lazy, **kept)

    return mark_safe(_IMG.sub(rewrite, body or ""))  # a sanitised body, its images rebuilt escaped


def _attributes(tag: str) -> dict[str, str]:
    parser = _TagParser()
    parser.feed(tag)
    parser.close()
    return parser.attributes


class _TagParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.attributes = {}

    def handle_starttag(self, tag, attrs):
        self.attributes = {name: value or "" for name, value in attrs}

    handle_startendtag = handle_starttag
