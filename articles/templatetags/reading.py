"""Template helpers of the reading site: highlighted search words, JSON-LD, absolute and canonical addresses,
responsive article bodies."""

import json
import re

from django import template
from django.templatetags.static import static
from django.utils.html import escape
from django.utils.safestring import mark_safe

from articles import figures
from issues.models import Issue

register = template.Library()

SNIPPET_RADIUS = 50


def _marked(text, terms):
    escaped = escape(text)
    if not terms:
        return escaped
    pattern = re.compile("|".join(re.escape(escape(term)) for term in sorted(terms, key=len, reverse=True)), re.I)
    return pattern.sub(lambda match: f"<mark>{match.group(0)}</mark>", escaped)


@register.simple_tag
def highlight(text, terms):
    """`text`, escaped, with every search term wrapped in <mark>."""
    return mark_safe(_marked(text or "", terms))


@register.simple_tag
def snippet(article, terms):
    """A short passage of the article around the first search term, highlighted."""
    text = article.plain_text.replace("\n", " ")
    lower = text.lower()
    hits = [index for index in (lower.find(term.lower()) for term in terms) if index >= 0]
    if not hits:
        return mark_safe(_marked(article.description, terms))
    start = max(0, min(hits) - SNIPPET_RADIUS)
    end = min(len(text), min(hits) + SNIPPET_RADIUS * 2)
    passage = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
    return mark_safe(_marked(passage, terms))


@register.simple_tag
def json_ld(data):
    """A <script type="application/ld+json"> block that cannot close itself early."""
    encoded = (
        json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    )
    return mark_safe(f'<script type="application/ld+json">{encoded}</script>')


@register.simple_tag(takes_context=True)
def absolute(context, url):
    """`url` as an absolute address on this site, for feeds, Open Graph and citation tags."""
    return context["request"].build_absolute_uri(url)


# The article column (.article in site.css: 40.5rem, the page's 1rem padding either side on a phone).
ARTICLE_COLUMN = 648
ARTICLE_COLUMN_SIZES = "(max-width: 680px) calc(100vw - 2rem), 648px"


@register.simple_tag
def responsive_body(article, slot=ARTICLE_COLUMN, sizes=ARTICLE_COLUMN_SIZES):
    """The article's body with each figure of our media responsive (articles.figures); the stored
    body, which the PDF, the EPUB and the WeChat export read, keeps the full image."""
    return figures.responsive_body(article.body, article.figure_images(), slot=int(slot), sizes=sizes)


@register.simple_tag(takes_context=True)
def canonical_url(context):
    """This page's one address: absolute, without query parameters but the page number of a list (past 1).

    Tracking tags (utm_…), filters and anything else a link added are left off, so every way in
    to a page names the same URL to search engines and share cards.
    """
    request = context["request"]
    url = request.build_absolute_uri(request.path)
    page = request.GET.get("page", "")
    return f"{url}?page={int(page)}" if page.isdigit() and int(page) > 1 else url


@register.simple_tag(takes_context=True)
def default_share_image(context):
    """The image of a page that has none of its own: the latest published issue's cover thumbnail,
    else the site's icon; absolute, for Open Graph."""
    thumbnail = (
        Issue.objects.published().exclude(cover_thumbnail="").latest_first().values_list("cover_thumbnail", flat=True)
    ).first()
    url = Issue._meta.get_field("cover_thumbnail").storage.url(thumbnail) if thumbnail else static("favicon.svg")
    return absolute(context, url)
