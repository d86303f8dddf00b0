"""What the desk shows of an issue's PDFs: how each build went, whether it is out of date, and its pages.

A PDF is stale ("过期") when the issue would now typeset differently from its last build:
when `build_key` of the issue's HTML as it is now differs from the key recorded with the file.
That is the very test `issue_build_pdf` makes before it skips a build, so "stale" and "a build
would change something" are the same thing. A PDF imported with a back issue (`IssuePDF.imported`)
is the printed original: never stale, never rebuilt, and such an issue has no print variant.

The HTML takes about 25–50 ms and four queries for a 30-article issue (benchmarks/pdf_state.py),
too much to repeat for every issue of a list on every page view. So the key computed now is
cached under the ContentVersion (issues/caching.py), the counter that every save and delete of
everything printed — periodical, sections, issues, masthead lines, articles, authorships,
contributors — bumps, and that the build bumps after its own bulk update; and under the stamp
of the code that makes the HTML (templates, stylesheets, document.py, WeasyPrint's version).
A cached key is used only while none of those has changed, so it is the key computed now. What
writes printed content without signals (a queryset `.update()`, `bulk_create`, raw SQL) must
bump the ContentVersion itself, as the build does; `exact=True` skips the cache.
"""

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import weasyprint
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from articles.models import Article
from issues.models import ContentVersion, Issue, IssuePDF, Periodical
from issues.typesetting import document, thumbnails
from issues.typesetting.build import STYLESHEETS, build_key
from issues.typesetting.document import issue_html
from issues.typesetting.pages import padding_summary
from issues.typesetting.preflight import labelled

FINGERPRINT_TIMEOUT = 24 * 60 * 60  # seconds; any change moves the version on long before
TEMPLATES = (
    "typesetting/issue.html",
    "typesetting/_article.html",
    "typesetting/_masthead.html",
    "typesetting/_source.html",
)


@dataclass
class PdfState:
    """How one variant of an issue's PDF stands: what the desk lists and the panel shows."""

    variant: str
    label: str
    status: str  # an IssuePDF.Status, or "" if nothing was ever asked for
    status_label: str
    built_at: datetime | None  # of the file readers get now (a failed build keeps the previous one)
    stale: bool  # a file exists and the issue has changed since it was built
    error: str  # why the last build failed
    page_count: int | None
    record: IssuePDF | None = None
    imported: bool = False  # the printed original of a back issue, not a build

    @property
    def failed(self) -> bool:
        return self.status == IssuePDF.Status.FAILED

    @property
    def needs_attention(self) -> bool:
        """Out of date, or the last build failed: the desk's list of issues to look at."""
        return self.stale or self.failed

    @property
    def built_just_now(self) -> bool:
        """Within the last minute, which `timesince` would call "0 分钟"."""
        return bool(self.built_at) and timezone.now() - self.built_at < timedelta(minutes=1)

    @property
    def downloadable(self) -> bool:
        return bool(self.record and self.record.is_downloadable)


@dataclass
class FlatPage:
    """One page of the last screen build, with the articles that start on it."""

    number: int  # in the PDF, from 1
    label: str  # as printed: its folio, or the front-matter page's name
    starting: list[Article] = field(default_factory=list)
    has_image: bool = False

    @property
    def name(self) -> str:
        """ "第 12 页", or "封面": how the page is called for someone who cannot see its image."""
        return _("第 %(number)s 页") % {"number": self.label} if self.label.isdigit() else self.label


@dataclass
class PdfPanel:
    """Everything the PDF panel of the issue's admin page shows (templates/admin/desk/pdf_panel.html)."""

    issue: Issue
    states: list[PdfState]
    spreads: list[list[FlatPage]]  # page 1 alone, then 2–3, 4–5, …: as the printed issue opens
    articles: list[Article]  # in print order; first_page/last_page as the last screen build placed them
    images_version: str  # changes with every build, so browsers never show an earlier build's pages
    images_missing: bool  # a screen PDF exists but its page images could not be made
    padding: str  # what the print variant adds to fill its last signature ("25 页 → 28 页（补 3 页：…）")
    preflight: list[dict]  # the last print build's findings (preflight.Finding.as_json()), else the screen's
    imported: bool = False  # the screen PDF is a back issue's printed original: no builds, no print variant

    @property
    def unplaced_articles(self) -> list[Article]:
        """Articles added since the last build (not on any of its pages)."""
        return [article for article in self.articles if article.first_page is None]


def current_build_key(issue: Issue, *, variant: str, exact: bool = False, stamp: str | None = None) -> str:
    """The build key of `issue` as it would be typeset now (cached, see the module docstring).

    `stamp` is `content_stamp()`, when the caller has it already.
    """
    cache_key = f"pdf-build-key:{issue.pk}:{variant}:{stamp or content_stamp()}"
    key = None if exact else cache.get(cache_key)
    if key is None:
        key = build_key(issue_html(issue, variant=variant), variant=variant)
        cache.set(cache_key, key, FINGERPRINT_TIMEOUT)
    return key


def pdf_state(issue: Issue, *, exact: bool = False) -> dict[str, PdfState]:
    """The state of each variant of `issue`'s PDF, by variant.

    Costs two queries plus, for each variant with a file whose key is not cached yet (after
    any edit anywhere), typesetting the issue's HTML — never the PDF itself.
    """
    return pdf_states([issue], exact=exact)[issue.pk]


def pdf_states(issues, *, exact: bool = False) -> dict[int, dict[str, PdfState]]:
    """`pdf_state` of several issues, by issue pk, with the records read in one query."""
    issues = list(issues)
    records = IssuePDF.objects.filter(issue__in=issues).select_related("issue")
    records.abandon_dead_builds()  # not "生成中" forever after a kill -9
    by_issue = {}
    for record in records:
        by_issue.setdefault(record.issue_id, {})[record.variant] = record
    stamp = functools.cache(content_stamp)  # read once, and only if some file is there to compare
    return {
        issue.pk: {
            variant: _state(issue, variant, by_issue.get(issue.pk, {}).get(variant), exact=exact, stamp=stamp)
            for variant in IssuePDF.Variant
        }
        for issue in issues
    }


def pdf_panel(issue: Issue) -> PdfPanel:
    """The PDF panel of `issue`: its builds, exactly whether they are stale, and the last screen build's pages."""
    states = pdf_state(issue, exact=True)  # one issue: worth the certainty
    screen = states[IssuePDF.Variant.SCREEN].record
    articles = list(
        issue.articles.in_print_order().only("pk", "issue_id", "title", "position", "first_page", "last_page")
    )
    page_count = screen.page_count if screen and screen.is_downloadable else 0
    images = thumbnails.page_images_folder(screen) if page_count else None
    front = screen.front_pages if page_count else 0
    pages = [
        FlatPage(number, label=_page_label(number, front), has_image=images is not None)
        for number in range(1, (page_count or 0) + 1)
    ]
    for article in articles:
        if article.first_page and article.first_page + front <= len(pages):
            pages[article.first_page + front - 1].starting.append(article)
    printed = states[IssuePDF.Variant.PRINT].record
    checked = printed if printed and printed.built_at else screen
    return PdfPanel(
        issue=issue,
        states=[states[variant] for variant in (IssuePDF.Variant.SCREEN, IssuePDF.Variant.PRINT)],
        spreads=[pages[:1], *(pages[start : start + 2] for start in range(1, len(pages), 2))] if pages else [],
        articles=articles,
        images_version=screen.build_key[:12] if images else "",
        images_missing=bool(page_count) and images is None,
        padding=padding_preview(screen) if page_count else "",
        preflight=labelled(checked.preflight) if checked else [],
        imported=states[IssuePDF.Variant.SCREEN].imported,
    )


def padding_preview(screen: IssuePDF | None) -> str:
    """What the print variant will add to fill its last signature, from the last screen build ("" before one)."""
    if screen is None or not screen.content_pages or not screen.is_downloadable:
        return ""
    return padding_summary(screen.content_pages, screen.fillers, Periodical.load().pages_per_signature)


def _page_label(number, front):
    if number > front:
        return str(number - front)
    return _("封面") if number == 1 else _("前辅文")


def _state(issue, variant, record, *, exact, stamp):
    label = IssuePDF.Variant(variant).label
    if record is None:
        return PdfState(variant, label, "", "", None, False, "", None)
    built = bool(record.build_key) and record.is_downloadable
    return PdfState(
        variant=variant,
        label=label,
        status=record.status,
        status_label=record.get_status_display(),
        built_at=record.built_at if built else None,
        stale=built
        and not record.imported
        and record.build_key != current_build_key(issue, variant=variant, exact=exact, stamp=stamp()),
        error=record.error if record.status == IssuePDF.Status.FAILED else "",
        page_count=record.page_count if built else None,
        record=record,
        imported=record.imported,
    )


def content_stamp() -> str:
    """Changes whenever anything printed may have: the ContentVersion and the code stamp, in one string."""
    return f"{ContentVersion.current()}:{_code_stamp()}"


def _code_stamp() -> str:
    """Changes whenever the code that turns an issue into HTML, or the key of that HTML, may have."""
    files = [Path(finders.find(name)) for name in STYLESHEETS]
    files += [Path(get_template(name).origin.name) for name in TEMPLATES]
    files.append(Path(document.__file__))
    parts = [weasyprint.__version__, translation.get_language() or ""]
    parts += [f"{path}:{path.stat().st_mtime_ns}:{path.stat().st_size}" for path in files]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]
