"""Building an issue's PDF: render, check, write atomically, record, and feed page numbers back.

The screen variant's pages are also rendered as small images for the flat plan (thumbnails.py).
That step is a preview, not part of the product: if it fails, the error is logged, the build
still counts as done (its PDF is good) and the flat plan shows the page numbers without images;
building again (unchanged content) retries it. Its folder is never half-written either way.
"""

import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import weasyprint
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from articles.models import Article
from issues.files import write_atomically
from issues.models import ContentVersion, Issue, IssuePDF, Periodical
from issues.processes import current_process
from issues.typesetting import justify, pages, thumbnails
from issues.typesetting.document import filler_names, issue_html
from issues.typesetting.fetcher import BASE_URL, ProjectFilesFetcher
from issues.typesetting.preflight import Finding, preflight
from issues.typesetting.text import ArticleText, article_texts

logger = logging.getLogger(__name__)

STYLESHEETS = ("typesetting/issue.css", "typesetting/print.css")
PDF_VARIANTS = {IssuePDF.Variant.SCREEN: None, IssuePDF.Variant.PRINT: "pdf/x-4"}


class TypesettingError(Exception):
    """A build that must not ship (e.g. it would print missing-glyph boxes)."""


@dataclass
class RenderedIssue:
    pdf: bytes
    plan: pages.PagePlan
    article_pages: dict[int, tuple[int, int]]  # article pk -> (first, last) printed page numbers
    preflight: list[Finding]
    article_texts: dict[int, ArticleText]  # article pk -> its text as typeset (proofreading reads it)

    @property
    def page_count(self):
        return self.plan.page_count


def issue_build_pdf(*, issue: Issue, variant: str = IssuePDF.Variant.SCREEN, force: bool = False) -> IssuePDF:
    """Typeset `issue` unless an identical build exists; the record says how it went.

    A failed build keeps the previous file and records the error instead. An issue whose PDF was
    imported (a back issue's printed original) is never typeset: TypesettingError, nothing changed.
    """
    if issue.has_imported_pdf():
        raise TypesettingError(_("本期 PDF 来自导入的原版 PDF，不重新排版。"))
    record, _created = IssuePDF.objects.get_or_create(issue=issue, variant=variant)
    html = issue_html(issue, variant=variant)
    key = build_key(html, variant=variant)
    if not force and record.build_key == key and record.path and record.path.is_file():
        if record.status != IssuePDF.Status.DONE:  # queued again, but nothing changed
            record.status, record.error = IssuePDF.Status.DONE, ""
            record.save(update_fields=["status", "error", "updated_at"])
        if thumbnails.page_images_folder(record) is None:  # built before page images, or their step failed
            _store_page_images(record, build_key=key, pdf=record.path.read_bytes())
        return record

    pid, host = current_process()  # so a build killed mid-way can be told from one still running
    IssuePDF.objects.filter(pk=record.pk).update(
        status=IssuePDF.Status.BUILDING, builder_pid=pid, builder_host=host, updated_at=timezone.now()
    )
    started = time.perf_counter()
    file_name = f"issues/{issue.key}/{issue.key}-{variant}.pdf"
    try:
        titles = dict(issue.articles.values_list("pk", "title"))
        rendered = render_pdf(html, variant=variant, periodical=Periodical.load(), article_titles=titles)
        write_atomically(settings.PROTECTED_ROOT / file_name, rendered.pdf)
    except Exception as exc:
        logger.exception("Typesetting %s (%s) failed", issue, variant)
        IssuePDF.objects.filter(pk=record.pk).update(
            status=IssuePDF.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:5000],
            build_seconds=time.perf_counter() - started,
            updated_at=timezone.now(),
        )
        record.refresh_from_db()
        return record

    _store_page_images(record, build_key=key, pdf=rendered.pdf)
    with transaction.atomic():
        record.status = IssuePDF.Status.DONE
        record.build_key = key
        record.file_name = file_name
        record.page_count = rendered.page_count
        record.front_pages = rendered.plan.front_pages
        record.content_pages = rendered.plan.content_pages
        record.fillers = rendered.plan.fillers_json()
        record.blank_pages = len(rendered.plan.blank_indexes)
        record.preflight = [finding.as_json() for finding in rendered.preflight]
        record.size_bytes = len(rendered.pdf)
        record.build_seconds = time.perf_counter() - started
        record.built_at = timezone.now()
        record.error = ""
        record.save()
        if variant == IssuePDF.Variant.SCREEN:
            _store_article_pages(issue, rendered.article_pages)
        ContentVersion.bump()  # the queryset updates above send no signals
        if variant in thumbnails.THUMBNAIL_VARIANTS:
            transaction.on_commit(lambda: thumbnails.remove_other_page_images(record, keep=key))
    return record


def _store_page_images(record: IssuePDF, *, build_key: str, pdf: bytes) -> None:
    """The page images of a good PDF; a failure is logged and leaves no files (see the module docstring)."""
    if record.variant not in thumbnails.THUMBNAIL_VARIANTS:
        return
    try:
        thumbnails.store_page_images(record, build_key=build_key, pdf=pdf)
    except Exception:
        logger.exception("Page images of %s (%s) failed; the PDF itself is done", record.issue, record.variant)


def render_pdf(
    html: str, *, variant: str, periodical: Periodical, article_titles: dict[int, str], extra_css: str = ""
) -> RenderedIssue:
    """Lay out the issue HTML, keep the pages of its page plan and write them; TypesettingError if a
    character has no glyph.

    `extra_css` is laid over the issue's own stylesheets (a proof's watermark, issues/proofs).
    """
    justify.install()
    watcher = _MissingGlyphs()
    weasyprint_logger = logging.getLogger("weasyprint")
    weasyprint_logger.addHandler(watcher)
    try:
        stylesheets = [weasyprint.CSS(string=extra_css)] if extra_css else None
        laid_out = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=ProjectFilesFetcher()).render(
            stylesheets=stylesheets
        )
        plan = pages.page_plan(
            laid_out,
            filler_names=filler_names(periodical),
            per_signature=periodical.pages_per_signature,
            numbered_from_cover=periodical.folio_start == Periodical.FolioStart.COVER,
            blanks=variant == IssuePDF.Variant.PRINT,
        )
        document = laid_out.copy([laid_out.pages[index] for index in plan.kept])
        findings = preflight(document, plan=plan, variant=variant, periodical=periodical, article_titles=article_titles)
        pdf = document.write_pdf(
            pdf_variant=PDF_VARIANTS[variant],
            finisher=lambda _document, pdf: pdf.catalog.update({"PageLabels": plan.page_labels()}),
        )
    finally:
        weasyprint_logger.removeHandler(watcher)
    if watcher.characters:
        raise TypesettingError(
            _("字体中没有这些字符，印出来会是方框：%(chars)s")
            % {"chars": "、".join(f"“{c}”(U+{ord(c):04X})" for c in sorted(watcher.characters))}
        )
    return RenderedIssue(
        pdf=pdf,
        plan=plan,
        article_pages=_article_pages(laid_out, plan),
        preflight=findings,
        article_texts=article_texts(laid_out),
    )


def build_key(html: str, *, variant: str) -> str:
    """A fingerprint of everything that goes into a build: HTML, stylesheets, variant, WeasyPrint."""
    digest = hashlib.sha256()
    for part in (variant, weasyprint.__version__, html):
        digest.update(part.encode())
        digest.update(b"\0")
    for name in STYLESHEETS:
        digest.update(Path(finders.find(name)).read_bytes())
    return digest.hexdigest()


class _MissingGlyphs(logging.Handler):
    """Collects the characters WeasyPrint draws as .notdef boxes."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.characters = set()

    def emit(self, record):
        if record.msg.startswith(".notdef glyph rendered"):
            self.characters.add(record.args[0])


def _article_pages(document, plan) -> dict[int, tuple[int, int]]:
    """Each article's first and last printed page (all articles lie before the pages the plan may drop)."""
    first, last = {}, {}
    for index, page in enumerate(document.pages):
        number = plan.printed_number(index)
        for anchor in page.anchors:
            if anchor.startswith("title-"):
                first.setdefault(int(anchor.removeprefix("title-")), number)
            elif anchor.startswith("article-") and anchor.endswith("-end"):
                last[int(anchor.removeprefix("article-").removesuffix("-end"))] = number
    return {pk: (page, max(page, last.get(pk, page))) for pk, page in first.items()}


def _store_article_pages(issue, pages):
    articles = list(issue.articles.only("pk", "first_page", "last_page"))
    for article in articles:
        article.first_page, article.last_page = pages.get(article.pk, (None, None))
    Article.objects.bulk_update(articles, ["first_page", "last_page"])
