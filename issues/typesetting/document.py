"""The issue as one HTML document for WeasyPrint: cover, masthead, contents, articles, call for papers."""

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from articles.models import Article
from issues.models import Issue, Periodical, Section
from issues.qrcodes import qr_data_uri
from issues.typesetting.fetcher import PRINT_PROFILE_PATH

COVER_HEADLINES_PER_SECTION = 2
# Lines the cover has room for (a section marker or a headline each): two columns of 8 below an
# image, or one column of larger type where the image would be. Preflight reports a cover that
# still does not fit (long titles take two lines).
COVER_LINES = 16


@dataclass
class PrintedArticle:
    """An article with what the layout needs to know about its place in the issue."""

    article: Article
    section: Section  # top-level section
    opens_section: bool  # first article of its top-level section: a section opening
    subsection_marker: str  # sub-section name, when it starts here
    blocks: list[tuple[bool, str]] = field(default_factory=list)  # (full width?, html)
    qr_code: str = ""  # data: URI of the QR code printed at its end, if any

    @property
    def is_brief(self):
        """A short piece in a sub-section (news brief): set in columns shared with its neighbours."""
        return bool(self.article.section.parent_id) and not any(wide for wide, _html in self.blocks)


@dataclass
class Flow:
    """One unit of the layout: a standalone article, or consecutive briefs sharing two columns."""

    items: list[PrintedArticle]

    @property
    def first(self):
        return self.items[0]

    @property
    def briefs(self):
        return self.first.is_brief


@dataclass
class TocGroup:
    section: Section
    entries: list[tuple[str, Article]]  # (sub-section marker or "", article)


def issue_html(issue: Issue, *, variant: str) -> str:
    """The whole issue as an HTML string, ready for WeasyPrint."""
    articles = list(issue.articles.in_print_order().select_related("section__parent").with_authors())
    printed = _printed_articles(articles)
    periodical = Periodical.load()
    if periodical.article_qr_codes:
        _add_qr_codes(printed)
    context = {
        "issue": issue,
        "periodical": periodical,
        "folios_from_first_article": periodical.folio_start == Periodical.FolioStart.FIRST_ARTICLE,
        "masthead_on_own_page": periodical.masthead_placement == Periodical.MastheadPlacement.OWN_PAGE,
        "standing_pages": list(periodical.standing_pages.all()),
        # Laid out after the fillers so that the build can keep as many as the last signature needs.
        "blank_pages": range(periodical.pages_per_signature - 1 if variant == "print" else 0),
        "masthead": list(issue.masthead_lines.printed()),
        "flows": _flows(printed),
        "toc": _toc(printed),
        "cover_headlines": _cover_headlines(printed, lines=COVER_LINES),
        "variant": variant,
        "print_profile_url": PRINT_PROFILE_PATH,
        # The call for papers sends authors to the online form, by the address they can type in.
        "submission_form_url": settings.SITE_URL.rstrip("/") + reverse("submissions:submit"),
    }
    return render_to_string("typesetting/issue.html", context)


def table_of_contents(articles: list[Article]) -> list[TocGroup]:
    """What the contents page lists of an issue whose `articles` are given in print order (the EPUB's too)."""
    return _toc(_printed_articles(articles))


def filler_names(periodical: Periodical) -> dict[str, str]:
    """The names of the pages the template lays out after the articles, by their anchors."""
    names = {"filler-0": _("征稿启事")}
    for number, page in enumerate(periodical.standing_pages.all(), start=1):
        names[f"filler-{number}"] = page.title
    return names


def _printed_articles(articles):
    printed, previous_top, previous_sub = [], None, None
    for article in articles:
        top = article.section.parent or article.section
        sub = article.section if article.section.parent_id else None
        opens = top != previous_top
        marker = sub.name if sub and (opens or sub != previous_sub) else ""
        printed.append(PrintedArticle(article, top, opens, marker, split_wide_blocks(article.body)))
        previous_top, previous_sub = top, sub
    return printed


def _add_qr_codes(printed):
    """A QR code of its short address (which outlives a retitle) under every article but briefs."""
    for item in printed:
        if not item.is_brief:
            path = reverse("articles:short_link", kwargs={"pk": item.article.pk})
            item.qr_code = qr_data_uri(settings.SITE_URL.rstrip("/") + path)


def _flows(printed):
    flows = []
    for item in printed:
        previous = flows[-1].items[-1] if flows else None
        joins = (
            previous is not None
            and item.is_brief
            and previous.is_brief
            and item.article.section_id == previous.article.section_id
        )
        if joins:
            flows[-1].items.append(item)
        else:
            flows.append(Flow([item]))
    return flows


def _toc(printed):
    """The listed (in_toc) articles by top-level section, sub-section markers before their first entry."""
    groups, last_sub = [], None
    for item in printed:
        if item.opens_section:
            groups.append(TocGroup(item.section, []))
            last_sub = None
        if item.article.in_toc:
            section = item.article.section
            sub = section.name if section.parent_id else ""
            groups[-1].entries.append((sub if sub != last_sub else "", item.article))
            last_sub = sub
    return [group for group in groups if group.entries]


def _cover_headlines(printed, *, lines):
    """(section, titles) for the cover: each section's first title, then its second, while there is room."""
    groups = [(group.section.name, [article.title for _marker, article in group.entries]) for group in _toc(printed)]
    chosen, used = [], 0
    for name, titles in groups:
        if used + 2 > lines:
            break
        chosen.append((name, titles[:1]))
        used += 2
    for (_name, shown), (_same_name, titles) in zip(chosen, groups):
        for title in titles[len(shown) : COVER_HEADLINES_PER_SECTION]:
            if used < lines:
                shown.append(title)
                used += 1
    return chosen


_TABLE_TAG = re.compile(r"<(/?)table\b[^>]*>", re.IGNORECASE)


def split_wide_blocks(body: str) -> list[tuple[bool, str]]:
    """Split a body into runs set in two columns and tables set across both (nested tables stay inside)."""
    blocks, depth, start, text_start = [], 0, 0, 0
    for match in _TABLE_TAG.finditer(body):
        closing = bool(match.group(1))
        if not closing:
            if depth == 0:
                start = match.start()
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                blocks.append((False, body[text_start:start]))
                blocks.append((True, body[start : match.end()]))
                text_start = match.end()
    blocks.append((False, body[text_start:]))
    return [(wide, html) for wide, html in blocks if html.strip()]
