"""Importing an issue bundle: read and check everything first, then write it in one transaction.

A back issue's bundle may carry its printed PDF instead of article bodies (`pdf`, and `pages` per
article): the PDF becomes the issue's screen PDF as it is (an imported `IssuePDF`, never typeset
again), its first page the cover, and each article's text is read from its pages (pdf.py).

A bundle may carry the periodical's settings (periodical.toml). They are applied only to a
periodical nobody has set up yet (`Periodical.is_set_up`), so importing back issues into a fresh
install names the periodical, and never overwrites what the editors entered unless asked to.
"""

import datetime
import enum
import hashlib
import logging
import re
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from articles.models import Article, Authorship, Contributor
from articles.sanitize import sanitize_html
from articles.services import article_mark_ready, issue_mark_ready, issue_publish
from issues.bundles import pdf
from issues.bundles.bodies import ImageStore, convert_body, media_name
from issues.bundles.errors import BundleError, IssueExists
from issues.bundles.files import BundleFiles
from issues.files import files_removed_on_failure, protected_storage, write_atomically
from issues.images import variant_names, web_image
from issues.models import Issue, IssuePDF, MastheadLine, Periodical, Section, StandingPage
from issues.typesetting import thumbnails

logger = logging.getLogger(__name__)

MANIFEST = "issue.toml"
PERIODICAL = "periodical.toml"
# The settings periodical.toml may give, in the order export writes them; [[standing_pages]] follow.
PERIODICAL_FIELDS = [
    "name",
    "slogan",
    "guiding_unit",
    "host_unit",
    "circulation_note",
    "permit_number",
    "issn",
    "contact_email",
    "manuscript_char_limit",
    "page_size",
    "folio_start",
    "masthead_placement",
    "pages_per_signature",
    "article_qr_codes",
    "article_pdfs_open",
    "internal_publication",
    "call_for_papers",  # last: the one long text
]
_IMG_SRC = re.compile(r'<img\b[^>]*?\ssrc="([^"]*)"')


@dataclass
class ArticleEntry:
    section: tuple[str, ...]
    title: str
    body: str = ""  # a path while reading, then the sanitised HTML
    subtitle: str = ""
    authors: list[str] = field(default_factory=list)
    byline: str = ""
    source: str = ""
    in_toc: bool = True
    lead: bool = False  # 首页要闻 (Article.is_lead)
    pages: str = ""  # printed pages in a PDF bundle, "2-10" or "5"; then `printed_pages` holds them
    printed_pages: tuple[int, int] | None = None


@dataclass
class PrintedPDF:
    """A back issue's printed PDF, checked: it becomes the issue's screen PDF as it is."""

    data: bytes
    page_count: int
    front_pages: int  # PDF pages before printed page 1 (first_page_offset - 1)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def file_name(self, issue_key: str) -> str:
        """Where built PDFs go, named by content: a replaced import never overwrites the file readers get."""
        return f"issues/{issue_key}/{issue_key}-screen-{self.digest[:16]}.pdf"


@dataclass
class PeriodicalEntry:
    """periodical.toml, checked: the settings it gives, and its standing pages if it lists them."""

    settings: dict[str, str | int | bool]
    standing_pages: list[tuple[str, str]] | None  # (title, text); None keeps the periodical's own


class PeriodicalOutcome(enum.Enum):
    NONE = "none"  # the bundle has no periodical.toml
    APPLIED = "applied"
    KEPT = "kept"  # the periodical was set up already and is left as it was


@dataclass
class ImportResult:
    issue: Issue
    periodical: PeriodicalOutcome
    warnings: list[str] = field(default_factory=list)  # what the operator should check (a PDF's text)


@dataclass
class ParsedBundle:
    """Everything an import will write, already read and checked."""

    year: int
    number: int
    total_number: int
    date: datetime.date
    title: str
    print_run: int | None
    masthead: list[tuple[str, str]]
    articles: list[ArticleEntry]
    images: ImageStore
    cover: tuple[str, bytes] | None
    section_kinds: dict[tuple[str, ...], str] = field(default_factory=dict)  # [[sections]]: path → Section.Kind
    periodical: PeriodicalEntry | None = None
    pdf: PrintedPDF | None = None
    warnings: list[str] = field(default_factory=list)


def import_bundle(
    path: Path, *, replace: bool = False, publish: bool = False, overwrite_periodical: bool = False
) -> ImportResult:
    """Create the issue described by the bundle at `path` (folder or .zip); all or nothing.

    Its periodical.toml, if any, is applied when the periodical is not set up yet, or with
    `overwrite_periodical`.
    """
    files = BundleFiles.open(Path(path))
    try:
        if not replace:
            _refuse_existing(files)  # before reading a whole PDF; write_bundle checks again, in its transaction
        bundle = read_bundle(files)
    finally:
        files.close()
    return write_bundle(bundle, replace=replace, publish=publish, overwrite_periodical=overwrite_periodical)


def _refuse_existing(files: BundleFiles) -> None:
    manifest = _read_toml(files, MANIFEST)
    year, number = manifest.get("year"), manifest.get("number")
    if isinstance(year, int) and isinstance(number, int):
        existing = Issue.objects.filter(year=year, number=number).first()
        if existing:
            raise _exists_error(existing)


def _exists_error(existing: Issue) -> IssueExists:
    return IssueExists(
        _("%(issue)s已存在；如要覆盖，请加 --replace。") % {"issue": existing}, path=MANIFEST, field="number"
    )


def import_periodical(path: Path, *, overwrite: bool = False) -> PeriodicalOutcome:
    """Apply only the periodical.toml of the bundle at `path`, by the same rule as `import_bundle`."""
    files = BundleFiles.open(Path(path))
    try:
        entry = read_periodical(files)
    finally:
        files.close()
    with transaction.atomic():
        return _write_periodical(entry, overwrite=overwrite)


def periodical_report(outcome: PeriodicalOutcome) -> str:
    """What became of a bundle's periodical.toml, as a line for the operator ("" when it had none)."""
    if outcome is PeriodicalOutcome.APPLIED:
        return _("已设置刊物：%(name)s") % {"name": Periodical.load().name}
    if outcome is PeriodicalOutcome.KEPT:
        return _("刊物设置已存在，未覆盖（%(name)s）。") % {"name": Periodical.load().name}
    return ""


# Reading and checking ------------------------------------------------------------------------


class _Table:
    """Typed access to one TOML table, with errors that name the field."""

    def __init__(self, data, where: str, allowed: set[str], *, path: str = MANIFEST):
        self.data, self.where, self.path = data, where, path
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise self.error(
                unknown[0], _("未知字段（可用字段：%(fields)s）。") % {"fields": "、".join(sorted(allowed))}
            )

    def error(self, key, message):
        return BundleError(message, path=self.path, field=f"{self.where}{key}")

    def get(self, key, kind, *, required=False, default=None, max_length=None):
        if key not in self.data:
            if required:
                raise self.error(key, _("缺少必填字段。"))
            return default
        value = self.data[key]
        if kind is int and isinstance(value, bool) or not isinstance(value, kind):
            names = {
                str: _("字符串"),
                int: _("整数"),
                bool: _("true 或 false"),
                list: _("数组"),
                datetime.date: _("日期"),
            }
            raise self.error(key, _("应为%(kind)s。") % {"kind": names[kind]})
        if kind is datetime.date and isinstance(value, datetime.datetime):
            raise self.error(key, _("应为日期（如 2017-01-31），不带时间。"))
        if kind is str:
            value = value.strip()
            if required and not value:
                raise self.error(key, _("不能为空。"))
            if max_length and len(value) > max_length:
                raise self.error(
                    key, _("过长（%(length)d 字，上限 %(limit)d 字）。") % {"length": len(value), "limit": max_length}
                )
        return value

    def get_int(self, key, *, minimum, maximum=None, required=False):
        value = self.get(key, int, required=required)
        if value is not None and (value < minimum or (maximum is not None and value > maximum)):
            bounds = f"{minimum}–{maximum}" if maximum is not None else f"≥ {minimum}"
            raise self.error(key, _("应在 %(bounds)s 之间。") % {"bounds": bounds})
        return value


def _max_length(model, name):
    return model._meta.get_field(name).max_length


def _read_toml(files: BundleFiles, name: str) -> dict:
    try:
        return tomllib.loads(files.read(name).decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise BundleError(_("文件不是 UTF-8 编码的文本。"), path=name)
    except tomllib.TOMLDecodeError as exc:
        raise BundleError(_("TOML 格式错误：%(error)s") % {"error": exc}, path=name)


def read_bundle(files: BundleFiles) -> ParsedBundle:
    """Parse and check a bundle completely, reading every file it names, writing nothing."""
    manifest = _read_toml(files, MANIFEST)
    top = _Table(
        manifest,
        "",
        {
            "year",
            "number",
            "total_number",
            "date",
            "title",
            "print_run",
            "cover",
            "masthead",
            "pdf",
            "first_page_offset",
            "articles",
            "sections",
        },
    )
    year = top.get_int("year", minimum=1900, maximum=2200, required=True)
    number = top.get_int("number", minimum=1, maximum=1000, required=True)
    images = ImageStore(folder=f"{ImageStore.folder_prefix(year, number)}{secrets.token_hex(4)}")
    bundle = ParsedBundle(
        year=year,
        number=number,
        total_number=top.get_int("total_number", minimum=1, required=True),
        date=top.get("date", datetime.date, required=True),
        title=top.get("title", str, default="", max_length=_max_length(Issue, "title")),
        print_run=top.get_int("print_run", minimum=0),
        masthead=_read_masthead(top.get("masthead", list, default=[])),
        articles=[],
        images=images,
        cover=None,
    )
    cover = top.get("cover", str, default="")
    if cover:
        try:
            bundle.cover = web_image(files.read(cover), PurePosixPath(cover).name)
        except BundleError as error:
            raise error.at(field="cover")
        except ValidationError as error:
            raise BundleError(" ".join(error.messages), path=cover, field="cover")
    bundle.periodical = read_periodical(files)
    bundle.pdf = _read_pdf(files, top)
    if bundle.pdf and not bundle.cover:
        bundle.cover = ("cover.jpg", _cover_of(bundle.pdf))

    allowed = set(ArticleEntry.__dataclass_fields__) - {"printed_pages"}
    for index, data in enumerate(top.get("articles", list, default=[]), start=1):
        if not isinstance(data, dict):
            raise BundleError(_("每篇文章应为一个 [[articles]] 表。"), path=MANIFEST, field=f"articles[{index}]")
        table = _Table(data, f"articles[{index}].", allowed)
        entry = _read_article(table, index=index, pdf=bundle.pdf)
        if entry.body:
            try:
                entry.body = convert_body(files, entry.body, images)
            except BundleError as error:
                raise error.at(path=MANIFEST, field=f"articles[{index}].body")
        bundle.articles.append(entry)
    bundle.section_kinds = _read_section_kinds(top.get("sections", list, default=[]), bundle.articles)
    if bundle.pdf:
        bundle.warnings = bodies_from_pdf(bundle.pdf, bundle.articles)
    return bundle


def _read_pdf(files: BundleFiles, top: _Table) -> PrintedPDF | None:
    """The printed PDF a back issue's bundle carries (`pdf`, `first_page_offset`), checked; None without one."""
    name = top.get("pdf", str, default="")
    offset = top.get_int("first_page_offset", minimum=1)
    if not name:
        if offset is not None:
            raise top.error("first_page_offset", _("只有给出 pdf 时才能设置。"))
        return None
    try:
        data = files.read(name)
        page_count = pdf.pdf_page_count(data)
    except BundleError as error:
        raise BundleError(error.message, path=error.path or name, field="pdf")
    offset = 1 if offset is None else offset
    if offset > page_count:
        raise top.error(
            "first_page_offset",
            _("超出 PDF 的页数（共 %(count)d 页）：印刷页码第 1 页应是 PDF 的第几页。") % {"count": page_count},
        )
    return PrintedPDF(data=data, page_count=page_count, front_pages=offset - 1)


def _cover_of(printed: PrintedPDF) -> bytes:
    try:
        return thumbnails.render_cover_image(printed.data)
    except Exception as exc:  # PDFium raises its own errors for pages it cannot draw
        raise BundleError(_("无法从 PDF 第 1 页生成封面：%(error)s") % {"error": exc}, path=MANIFEST, field="pdf")


def _describe(index: int, title: str) -> str:
    return _("第 %(index)d 篇《%(title)s》") % {"index": index, "title": title}


def bodies_from_pdf(printed: PrintedPDF, entries: list[ArticleEntry]) -> list[str]:
    """Fill in the body of every article with pages and no body file from the PDF; the warnings."""
    placed = [(index, entry) for index, entry in enumerate(entries, start=1) if entry.printed_pages]
    if not any(not entry.body for _index, entry in placed):
        return []
    extracted = pdf.extract_articles(
        pdf.page_lines(printed.data),
        [
            pdf.ArticlePages(
                title=entry.title,
                subtitle=entry.subtitle,
                byline=entry.byline or _printed_byline(entry.authors),
                source=entry.source,
                sections=entry.section,
                first=entry.printed_pages[0] + printed.front_pages - 1,
                last=entry.printed_pages[1] + printed.front_pages - 1,
            )
            for _index, entry in placed
        ],
        describe=lambda position: _describe(*_title_at(placed, position)),
    )
    for (_index, entry), paragraphs in zip(placed, extracted.paragraphs):
        if not entry.body:
            entry.body = sanitize_html(pdf.paragraphs_html(paragraphs))
    return extracted.warnings


def _printed_byline(authors: list[str]) -> str:
    """The byline printed for an article without one of its own (`Article.byline_from_authors`)."""
    return "文 / " + "　".join(dict.fromkeys(authors)) if authors else ""


def _title_at(placed, position):
    index, entry = placed[position]
    return index, entry.title


def _read_masthead(lines):
    masthead = []
    for index, data in enumerate(lines, start=1):
        if not isinstance(data, dict):
            raise BundleError(_("应为 { label = …, value = … }。"), path=MANIFEST, field=f"masthead[{index}]")
        line = _Table(data, f"masthead[{index}].", {"label", "value"})
        masthead.append(
            (
                line.get("label", str, required=True, max_length=_max_length(MastheadLine, "label")),
                line.get("value", str, required=True, max_length=_max_length(MastheadLine, "value")),
            )
        )
    return masthead


def read_periodical(files: BundleFiles) -> PeriodicalEntry | None:
    """The bundle's periodical.toml, checked as the model checks the admin's form; None if it has none.

    Only `name` is required: a setting left out keeps the periodical's own, and so do its standing
    pages when the file lists none (`standing_pages = []` removes them).
    """
    if not files.has(PERIODICAL):
        return None
    data = _read_toml(files, PERIODICAL)
    table = _Table(data, "", {*PERIODICAL_FIELDS, "standing_pages"}, path=PERIODICAL)
    settings = {}
    for name in PERIODICAL_FIELDS:
        if name in data or name == "name":
            field = Periodical._meta.get_field(name)
            value = table.get(name, _kind(field), required=name == "name", max_length=field.max_length)
            choices = [choice for choice, _label in field.flatchoices]
            if choices and value not in choices:
                raise table.error(name, _("应为以下之一：%(choices)s。") % {"choices": "、".join(map(str, choices))})
            settings[name] = value
    _check_model(Periodical(**settings), table)

    pages = table.get("standing_pages", list, default=None)
    if pages is not None:
        pages = [_read_standing_page(page, index) for index, page in enumerate(pages, start=1)]
    return PeriodicalEntry(settings=settings, standing_pages=pages)


def _read_standing_page(data, index: int) -> tuple[str, str]:
    if not isinstance(data, dict):
        raise BundleError(
            _("每个固定末页应为一个 [[standing_pages]] 表。"), path=PERIODICAL, field=f"standing_pages[{index}]"
        )
    table = _Table(data, f"standing_pages[{index}].", {"title", "text"}, path=PERIODICAL)
    title = table.get("title", str, required=True, max_length=_max_length(StandingPage, "title"))
    text = table.get("text", str, required=True, max_length=_max_length(StandingPage, "text"))
    _check_model(StandingPage(title=title, text=text), table, exclude=["periodical"])
    return title, text


def _kind(field) -> type:
    if isinstance(field, models.BooleanField):
        return bool
    if isinstance(field, models.IntegerField):
        return int
    return str


def _check_model(instance, table: _Table, *, exclude=()):
    """The model's own field validation (validators, choices, lengths), its first error naming the field.

    What concerns the stored row (the periodical's one-row constraint) is checked when it is written.
    """
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        name, messages = next(iter(error.message_dict.items()))
        raise table.error(name, " ".join(messages))


def _section_path(table: _Table, key: str = "section") -> tuple[str, ...]:
    parts = tuple(part.strip() for part in table.get(key, str, required=True).split("/"))
    if len(parts) > 2 or not all(parts):
        raise table.error(key, _("应为“栏目”或“栏目/子栏目”。"))
    if any(len(part) > _max_length(Section, "name") for part in parts):
        raise table.error(key, _("栏目名称过长。"))
    return parts


def _read_section_kinds(tables, entries: list[ArticleEntry]) -> dict[tuple[str, ...], str]:
    """[[sections]] name = "特别报道", kind = "research": the kinds of sections the articles use."""
    used = {entry.section[:depth] for entry in entries for depth in range(1, len(entry.section) + 1)}
    kinds = {}
    choices = [choice for choice, _label in Section.Kind.choices]
    for index, data in enumerate(tables, start=1):
        if not isinstance(data, dict):
            raise BundleError(_("每个栏目应为一个 [[sections]] 表。"), path=MANIFEST, field=f"sections[{index}]")
        table = _Table(data, f"sections[{index}].", {"name", "kind"})
        path = _section_path(table, "name")
        if path not in used:
            raise table.error("name", _("没有文章属于栏目“%(name)s”。") % {"name": "/".join(path)})
        if path in kinds:
            raise table.error("name", _("栏目“%(name)s”重复列出。") % {"name": "/".join(path)})
        kind = table.get("kind", str, required=True)
        if kind not in choices:
            raise table.error("kind", _("应为以下之一：%(choices)s。") % {"choices": "、".join(choices)})
        kinds[path] = kind
    return kinds


def _read_article(table: _Table, *, index: int, pdf: PrintedPDF | None) -> ArticleEntry:
    parts = _section_path(table)
    authors = table.get("authors", list, default=[])
    if not all(isinstance(name, str) and name.strip() for name in authors):
        raise table.error("authors", _('应为作者姓名的数组，如 ["王毅"]。'))
    if any(len(name) > _max_length(Contributor, "name") for name in authors):
        raise table.error("authors", _("作者姓名过长。"))
    entry = ArticleEntry(
        section=parts,
        title=table.get("title", str, required=True, max_length=_max_length(Article, "title")),
        subtitle=table.get("subtitle", str, default="", max_length=_max_length(Article, "subtitle")),
        authors=[name.strip() for name in authors],
        byline=table.get("byline", str, default="", max_length=_max_length(Article, "byline")),
        source=table.get("source", str, default="", max_length=_max_length(Article, "source")),
        in_toc=table.get("in_toc", bool, default=True),
        lead=table.get("lead", bool, default=False),
    )
    entry.body = table.get("body", str, default="", required=pdf is None and "pages" not in table.data)
    about = {"article": _describe(index, entry.title)}
    if "pages" in table.data:
        if isinstance(table.data["pages"], int) and not isinstance(table.data["pages"], bool):
            table.data["pages"] = str(table.data["pages"])  # pages = 5 means "5"
        entry.pages = table.get("pages", str)
        entry.printed_pages = _read_pages(table, entry, pdf, about=about)
    elif pdf and not entry.body:
        raise table.error("pages", _('%(article)s：应给出 pages（印刷页码，如 "2-10"）或 body。') % about)
    return entry


def _read_pages(table: _Table, entry: ArticleEntry, printed: PrintedPDF | None, *, about: dict) -> tuple[int, int]:
    """An article's `pages` as (first, last) printed pages, checked against the PDF."""
    if printed is None:
        raise table.error("pages", _("%(article)s：只有在 issue.toml 中给出 pdf 时才能按页码取正文。") % about)
    pages = pdf.parse_pages(entry.pages)
    if pages is None or pages[0] < 1:
        raise table.error(
            "pages", _("%(article)s：页码“%(pages)s”格式不对，应为“2-10”或“5”。") % {**about, "pages": entry.pages}
        )
    first, last = pages
    if last < first:
        raise table.error("pages", _("%(article)s：页码“%(pages)s”前大后小。") % {**about, "pages": entry.pages})
    last_printed = printed.page_count - printed.front_pages
    if last > last_printed:
        raise table.error(
            "pages",
            _("%(article)s：页码“%(pages)s”超出 PDF（共 %(count)d 页，印刷页码 1–%(last)d）。")
            % {**about, "pages": entry.pages, "count": printed.page_count, "last": last_printed},
        )
    return first, last


# Writing -------------------------------------------------------------------------------------


def write_bundle(
    bundle: ParsedBundle, *, replace: bool = False, publish: bool = False, overwrite_periodical: bool = False
) -> ImportResult:
    """Write a checked bundle: database rows in one transaction, files removed again on failure.

    The articles and, with `publish`, the issue move through the workflow's own transitions,
    so the imported issue's history says it was imported.
    """
    with files_removed_on_failure() as written, transaction.atomic():
        _make_room(bundle, replace=replace)
        periodical = _write_periodical(bundle.periodical, overwrite=overwrite_periodical)
        for name, data in bundle.images.files.items():
            stored = default_storage.save(name, ContentFile(data))
            written.append((default_storage, stored))
            if stored != name:
                raise BundleError(_("媒体文件“%(name)s”已存在。") % {"name": name})
        issue = Issue(
            year=bundle.year,
            number=bundle.number,
            total_number=bundle.total_number,
            publication_date=bundle.date,
            title=bundle.title,
            print_run=bundle.print_run,
        )
        if bundle.cover:
            issue.cover.save(bundle.cover[0], ContentFile(bundle.cover[1]), save=False)
            written.append((default_storage, issue.cover.name))
        issue.save()
        if issue.cover_thumbnail:
            written.append((default_storage, issue.cover_thumbnail.name))
        for name, _width, _height in issue.cover_variants.get("candidates", [])[:-1]:  # the copies, not the cover
            written.append((default_storage, name))
        _create_articles(issue, bundle.articles, bundle.section_kinds)
        if bundle.pdf:  # before publishing: the PDFs it queues are not typeset for an imported one
            _write_printed_pdf(issue, bundle.pdf, written)
        if publish:
            issue = issue_mark_ready(issue=issue, comment=_("导入时定稿"))
            # Reviewed and proofread before it came here: the checks of 三审三校 do not apply.
            issue = issue_publish(issue=issue, comment=_("导入时发布"), production=False)  # PDFs follow the commit
        # The date and print-run lines are marked, so the next issue generates its own. An issue
        # published on import keeps them as written (what was printed); a draft's are generated.
        MastheadLine.objects.bulk_create(
            MastheadLine(
                issue=issue, position=position, label=label, value=value, kind=MastheadLine.kind_for_label(label)
            )
            for position, (label, value) in enumerate(bundle.masthead, start=1)
        )
        issue.refresh_masthead()
    return ImportResult(issue=issue, periodical=periodical, warnings=bundle.warnings)


def _write_printed_pdf(issue: Issue, printed: PrintedPDF, written) -> IssuePDF:
    """The printed PDF as the issue's screen PDF, where built PDFs go; its page images once committed."""
    name = printed.file_name(issue.key)
    path = settings.PROTECTED_ROOT / name
    if not (path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == printed.digest):
        write_atomically(path, printed.data)
        written.append((protected_storage, name))
    record = IssuePDF.objects.create(
        issue=issue,
        variant=IssuePDF.Variant.SCREEN,
        status=IssuePDF.Status.DONE,
        imported=True,
        build_key=printed.digest,  # the file's own fingerprint: ETags, stamped copies, page images
        file_name=name,
        page_count=printed.page_count,
        front_pages=printed.front_pages,
        size_bytes=len(printed.data),
        built_at=timezone.now(),
    )
    transaction.on_commit(lambda: _store_page_images(record, printed))
    return record


def _store_page_images(record: IssuePDF, printed: PrintedPDF) -> None:
    """The flat plan's page images of an imported PDF: a preview, so a failure is only logged."""
    try:
        thumbnails.store_page_images(record, build_key=printed.digest, pdf=printed.data)
        thumbnails.remove_other_page_images(record, keep=printed.digest)
    except Exception:
        logger.exception("Page images of the imported PDF of %s failed", record.issue)


def _write_periodical(entry: PeriodicalEntry | None, *, overwrite: bool) -> PeriodicalOutcome:
    """Apply periodical.toml to a periodical not set up yet (or to any, with `overwrite`); call in a transaction."""
    if entry is None:
        return PeriodicalOutcome.NONE
    periodical = Periodical.load()
    if periodical.is_set_up and not overwrite:
        return PeriodicalOutcome.KEPT
    for name, value in entry.settings.items():
        setattr(periodical, name, value)
    try:
        periodical.full_clean()
    except ValidationError as error:
        raise BundleError(" ".join(error.messages), path=PERIODICAL)
    periodical.save()
    if entry.standing_pages is not None:
        periodical.standing_pages.all().delete()
        StandingPage.objects.bulk_create(
            StandingPage(periodical=periodical, title=title, text=text, position=position)
            for position, (title, text) in enumerate(entry.standing_pages, start=1)
        )
    return PeriodicalOutcome.APPLIED


def _make_room(bundle, *, replace):
    existing = Issue.objects.filter(year=bundle.year, number=bundle.number).first()
    if existing and not replace:
        raise _exists_error(existing)
    clash = Issue.objects.filter(total_number=bundle.total_number).exclude(pk=getattr(existing, "pk", None)).first()
    if clash:
        raise BundleError(
            _("总期号 %(total)d 已被%(issue)s使用。") % {"total": bundle.total_number, "issue": clash},
            path=MANIFEST,
            field="total_number",
        )
    if existing:
        replaced_files = _files_of(existing)
        keep = bundle.pdf.file_name(existing.key) if bundle.pdf else None
        replaced_pdfs = [record.file_name for record in existing.pdfs.all() if record.file_name != keep]
        existing.articles.all().delete()
        existing.delete()
        transaction.on_commit(lambda: [default_storage.delete(name) for name in replaced_files])
        transaction.on_commit(lambda: [protected_storage.delete(name) for name in replaced_pdfs if name])


def _files_of(issue) -> list[str]:
    """The media files an earlier import of `issue` wrote: cover, thumbnail and body images, and their copies."""
    names = [field.name for field in (issue.cover, issue.cover_thumbnail) if field]
    folder = ImageStore.folder_prefix(issue.year, issue.number)
    for body in issue.articles.values_list("body", flat=True):
        in_media = (media_name(src) for src in _IMG_SRC.findall(body))
        names += [name for name in in_media if name and name.startswith(folder)]
    return names + [variant for name in names for variant in variant_names(name)]


def _create_articles(issue, entries, section_kinds):
    sections = _sections(entries, section_kinds)
    contributors = _contributors(entries)
    for position, entry in enumerate(entries, start=1):
        article = Article(
            issue=issue,
            section=sections[entry.section],
            position=position,
            title=entry.title,
            subtitle=entry.subtitle,
            byline=entry.byline,
            source=entry.source,
            body=entry.body,
            in_toc=entry.in_toc,
            is_lead=entry.lead,
        )
        if entry.printed_pages:
            article.first_page, article.last_page = entry.printed_pages
        article.save()
        Authorship.objects.bulk_create(
            Authorship(article=article, contributor=contributors[name], position=order)
            for order, name in enumerate(dict.fromkeys(entry.authors), start=1)
        )
        article_mark_ready(article=article, comment=_("导入时定稿"))


def _sections(entries, kinds) -> dict[tuple[str, ...], Section]:
    """The sections the entries name, created in order of first appearance when missing.

    A section listed in [[sections]] gets that kind; a new one not listed, its parent's (or news).
    """
    found = {}
    for entry in entries:
        parent = None
        for depth in range(1, len(entry.section) + 1):
            path = entry.section[:depth]
            if path not in found:
                kind = kinds.get(path) or (parent.kind if parent else Section.Kind.NEWS)
                section = Section.objects.filter(parent=parent, name=path[-1]).first()
                if section is None:
                    section = _new_section(path[-1], parent, kind)
                elif path in kinds and section.kind != kind:
                    section.kind = kind
                    section.save(update_fields=["kind"])
                found[path] = section
            parent = found[path]
    return found


def _new_section(name, parent, kind):
    siblings = Section.objects.filter(parent=parent)
    last = siblings.aggregate(last=Max("position"))["last"]
    return Section.objects.create(name=name, parent=parent, position=(last or 0) + 1, kind=kind)


def _contributors(entries) -> dict[str, Contributor]:
    names = {name for entry in entries for name in entry.authors}
    contributors = {}
    for contributor in Contributor.objects.filter(name__in=names).order_by("-id"):
        contributors[contributor.name] = contributor  # the oldest wins when names repeat
    for name in sorted(names - contributors.keys()):
        contributors[name] = Contributor.objects.create(name=name)
    return contributors
