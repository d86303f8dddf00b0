from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from issues.images import (
    ResponsiveImage,
    cover_upload_to,
    delete_variants,
    image_record,
    make_thumbnail,
    thumbnail_upload_to,
    validate_image_file,
)
from issues.processes import process_is_gone


class Periodical(models.Model):
    """The periodical itself: one row, edited by the editors in the admin."""

    name = models.CharField(_("刊名"), max_length=100, default="期刊名称")
    slogan = models.CharField(_("口号"), max_length=200, blank=True)
    guiding_unit = models.CharField(_("指导单位"), max_length=200, blank=True)
    host_unit = models.CharField(_("主办单位"), max_length=200, blank=True)
    circulation_note = models.CharField(_("发行说明"), max_length=100, blank=True, default="内部资料 免费交流")
    call_for_papers = models.TextField(
        _("征稿启事"), max_length=5000, blank=True, help_text=_("印在每期最后一页，段落之间空一行。")
    )
    manuscript_char_limit = models.PositiveIntegerField(
        _("稿件字数上限"), default=6000, validators=[MinValueValidator(1)]
    )
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    page_size = models.CharField(
        _("开本"),
        max_length=30,
        choices=[("210mm 297mm", _("A4（210×297 毫米）")), ("185mm 260mm", _("16开（185×260 毫米）"))],
        default="210mm 297mm",
    )

    # Print production: how the typeset issue is numbered, laid out and padded for the printer.
    class FolioStart(models.TextChoices):
        FIRST_ARTICLE = "article", _("从第一篇文章起（封面、目录等前辅文不编页码）")
        COVER = "cover", _("从封面起")

    class MastheadPlacement(models.TextChoices):
        CONTENTS = "contents", _("在目录页侧栏")
        OWN_PAGE = "page", _("单独一页（封二）")

    folio_start = models.CharField(
        _("页码起点"), max_length=10, choices=FolioStart.choices, default=FolioStart.FIRST_ARTICLE
    )
    masthead_placement = models.CharField(
        _("版权页位置"), max_length=10, choices=MastheadPlacement.choices, default=MastheadPlacement.CONTENTS
    )
    pages_per_signature = models.PositiveSmallIntegerField(
        _("每帖页数"),
        choices=[(1, _("不补页")), (2, "2"), (4, _("4（骑马钉）")), (8, "8"), (16, "16"), (32, "32")],
        default=4,
        help_text=_("印刷版的总页数补足为它的整数倍：先用征稿启事，再用固定末页，最后用空白页。"),
    )
    article_qr_codes = models.BooleanField(
        _("文末印二维码"),
        default=False,
        help_text=_("在每篇文章末尾印出本文网址的二维码，读者扫码即可在手机上阅读、转发。简讯不印。"),
    )
    internal_publication = models.BooleanField(
        _("内部资料性出版物"),
        default=True,
        help_text=_("印前检查会核对内部资料性出版物必须印出的项目（准印证号、“内部资料 免费交流”、编印单位等）。"),
    )
    permit_number = models.CharField(
        _("准印证号"), max_length=100, blank=True, help_text=_("印在封面上，例如“粤内登字 B 第 12345 号”。")
    )
    issn = models.CharField(
        _("ISSN"),
        max_length=9,
        blank=True,
        help_text=_("有国际标准连续出版物号的刊物填写，如“1234-5678”；内部资料留空。"),
    )
    article_pdfs_open = models.BooleanField(
        _("单篇 PDF 向所有读者开放"),
        default=False,
        help_text=_(
            "勾选后，已发布文章的单篇 PDF 任何人（包括搜索引擎和学术搜索）都可下载，文章页也向学术搜索标明 PDF 地址；"
            "整期 PDF 仍只给订阅读者。"
        ),
    )

    class Meta:
        verbose_name = _("刊物设置")
        verbose_name_plural = _("刊物设置")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="periodical_single_row")]

    def __str__(self):
        from issues.mail import known_mails  # the registry renders through this model

        spec = known_mails().get(self.name)
        return str(spec.description) if spec else self.name

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls):
        """The periodical's row, created with defaults the first time it is asked for."""
        periodical, _created = cls.objects.get_or_create(pk=1)
        return periodical

    @property
    def is_set_up(self) -> bool:
        """Whether anyone has changed the periodical from the placeholder a fresh install creates."""
        settings = [field for field in self._meta.concrete_fields if not field.primary_key]
        if any(getattr(self, field.attname) != field.get_default() for field in settings):
            return True
        return self.pk is not None and self.standing_pages.exists()


class StandingPage(models.Model):
    """A page the periodical prints in every issue after the articles (notices, back cover text).

    The print variant uses these, in order, to fill its last signature (see Periodical.pages_per_signature).
    """

    periodical = models.ForeignKey(Periodical, on_delete=models.CASCADE, related_name="standing_pages")
    title = models.CharField(_("标题"), max_length=100)
    text = models.TextField(_("内容"), max_length=5000, help_text=_("段落之间空一行。"))
    position = models.PositiveIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("固定末页")
        verbose_name_plural = _("固定末页")
        ordering = ["position", "id"]

    def __str__(self):
        return self.title


class SectionManager(models.Manager):
    def get_queryset(self):
        # A sub-section is named after its parent ("数据观察 › 区域数据"): every list and select that
        # prints sections needs the parent, so it comes in the same query.
        return super().get_queryset().select_related("parent")


class Section(models.Model):
    """A section (栏目) of the periodical, optionally a sub-section of another."""

    class Kind(models.TextChoices):
        # What search engines are told its articles are (schema.org NewsArticle or ScholarlyArticle).
        NEWS = "news", _("新闻/资讯")
        RESEARCH = "research", _("研究/评论")

    name = models.CharField(_("名称"), max_length=50)
    slug = models.SlugField(_("网址别名"), max_length=100, unique=True, allow_unicode=True, blank=True)
    position = models.PositiveIntegerField(_("顺序"), default=0)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级栏目"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    kind = models.CharField(
        _("栏目类型"),
        max_length=10,
        choices=Kind.choices,
        default=Kind.NEWS,
        # Also in the database, so that rows written without it (older migrations' data) are news.
        db_default=Kind.NEWS,
        help_text=_("研究报告、调研、评论类栏目选“研究/评论”，向学术搜索标为学术文章；动态、简讯类选“新闻/资讯”。"),
    )

    objects = SectionManager()

    class Meta:
        verbose_name = _("栏目")
        verbose_name_plural = _("栏目")
        # In tree order, as in a table of contents: each top-level section in its position, followed
        # by its sub-sections in theirs (a sub-section sorts by its parent's place, then its own).
        ordering = [
            Coalesce("parent__position", "position").asc(),
            Coalesce("parent_id", "id").asc(),
            F("parent_id").asc(nulls_first=True),
            "position",
            "id",
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["name"], condition=Q(parent__isnull=True), name="section_unique_top_level_name"
            ),
            models.UniqueConstraint(fields=["parent", "name"], name="section_unique_name_in_parent"),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="section_not_own_parent"),
        ]

    def __str__(self):
        return self.full_name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = self._unique_slug()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("articles:section", kwargs={"slug": self.slug})

    def clean(self):
        if self.parent_id and (self.parent.parent_id or self.parent_id == self.pk):
            raise ValidationError({"parent": _("栏目只能有一级子栏目。")})

    @property
    def full_name(self):
        """The name as printed in a table of contents, e.g. "数据观察 › 区域数据"."""
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name

    @property
    def path(self):
        """The name as written in an issue bundle, e.g. "数据观察/区域数据"."""
        return f"{self.parent.name}/{self.name}" if self.parent_id else self.name

    def _unique_slug(self):
        # Leave room for a "-N" suffix within the column's 100 characters.
        base = slugify(self.path.replace("/", "-"), allow_unicode=True)[:90] or "section"
        slug, n = base, 2
        while Section.objects.filter(slug=slug).exclude(pk=self.pk).exists():
            slug, n = f"{base}-{n}", n + 1
        return slug


class IssueQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Issue.Status.PUBLISHED, published_at__lte=timezone.now())

    def latest_first(self):
        return self.order_by("-year", "-number")

    def visible_to(self, user):
        """What `user` may see: published issues for readers; every issue for staff, who preview drafts."""
        return self.all() if user.is_staff else self.published()


_NOT_LOADED = object()


class PublicationStatus(models.TextChoices):
    """Where an issue or an article is in the workflow (see issues.workflow)."""

    DRAFT = "draft", _("草稿")
    READY = "ready", _("已定稿")
    PUBLISHED = "published", _("已发布")


# Who proposes an issue's print run when the editor leaves it empty (issues.circulation: the
# copies of its recipients, 样刊 and reserve). The ground floor cannot import them, so they register.
PRINT_RUN_DEFAULTS: list[Callable[["Issue"], int | None]] = []


def register_print_run_default(provider: Callable[["Issue"], int | None]) -> None:
    """Let `provider(issue)` propose the print run of an issue whose own is empty (idempotent; first answer wins)."""
    if provider not in PRINT_RUN_DEFAULTS:
        PRINT_RUN_DEFAULTS.append(provider)


class Issue(models.Model):
    """One issue of the periodical, e.g. 2017年第1期（总第26期）."""

    Status = PublicationStatus

    year = models.PositiveSmallIntegerField(_("年份"), validators=[MinValueValidator(1900), MaxValueValidator(2200)])
    number = models.PositiveSmallIntegerField(
        _("期号"), help_text=_("当年的第几期。"), validators=[MinValueValidator(1)]
    )
    total_number = models.PositiveIntegerField(
        _("总期号"), unique=True, help_text=_("创刊以来的累计期数（总第N期）。"), validators=[MinValueValidator(1)]
    )
    publication_date = models.DateField(_("出版日期"))
    title = models.CharField(_("本期主题"), max_length=200, blank=True)
    cover = models.ImageField(_("封面图片"), upload_to=cover_upload_to, blank=True, validators=[validate_image_file])
    cover_thumbnail = models.ImageField(_("封面缩略图"), upload_to=thumbnail_upload_to, blank=True, editable=False)
    # The cover's smaller copies for srcset and the real size of each (issues.images.image_record).
    cover_variants = models.JSONField(_("封面多尺寸副本"), default=dict, blank=True, editable=False)
    print_run = models.PositiveIntegerField(_("印数"), null=True, blank=True, help_text=_("留空则按发送对象合计。"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    objects = IssueQuerySet.as_manager()

    class Meta:
        verbose_name = _("期刊")
        verbose_name_plural = _("期刊")
        ordering = ["-year", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "number"],
                name="issue_unique_year_number",
                violation_error_message=_("这一年的这一期已经存在。"),
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="issue_number_positive"),
            models.CheckConstraint(condition=Q(total_number__gte=1), name="issue_total_number_positive"),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="issue_published_has_date",
            ),
        ]

    _saved_cover_name = None

    def __str__(self):
        return self.issue_line

    def save(self, *args, **kwargs):
        cover_changed = self._saved_cover_name is not _NOT_LOADED and self.cover.name != self._saved_cover_name
        if cover_changed:
            if self.cover:
                name, content = make_thumbnail(self.cover)
                self.cover_thumbnail.save(name, content, save=False)
            else:
                self.cover_thumbnail = ""
            if old_cover := self._saved_cover_name:
                transaction.on_commit(lambda: delete_variants(old_cover))
            self.cover_variants = {}
        super().save(*args, **kwargs)
        self._saved_cover_name = self.cover.name
        if cover_changed and self.cover:  # the new file is on disk only now
            self._store_cover_variants()
        self.refresh_masthead()

    def get_absolute_url(self):
        return reverse("issues:detail", kwargs={"year": self.year, "number": self.number})

    @classmethod
    def from_db(cls, db, field_names, values):
        issue = super().from_db(db, field_names, values)
        # Remember the stored cover, to make a new thumbnail only when it changes; a
        # deferred cover (e.g. `.only("year")`) is not loaded just for this.
        stored = issue.__dict__.get("cover", _NOT_LOADED)
        issue._saved_cover_name = getattr(stored, "name", stored)
        return issue

    @property
    def cover_image(self) -> ResponsiveImage | None:
        """The cover with its smaller copies for `{% responsive_image %}`; None without a (readable) cover.

        Issues saved before the copies existed get them here, the first time a page shows them.
        """
        if not self.cover:
            return None
        if self.cover_variants.get("name") != self.cover.name:
            self._store_cover_variants()
        return ResponsiveImage.from_record(self.cover_variants, alt=_("%(line)s封面") % {"line": self.issue_line})

    def _store_cover_variants(self):
        self.cover_variants = image_record(self.cover.name)
        Issue.objects.filter(pk=self.pk).update(cover_variants=self.cover_variants)

    @property
    def issue_line(self):
        return _("%(year)s年第%(number)s期（总第%(total)s期）") % {
            "year": self.year,
            "number": self.number,
            "total": self.total_number,
        }

    @property
    def key(self):
        """Short identifier used in file names and commands, e.g. "2017-1"."""
        return f"{self.year}-{self.number}"

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED

    def default_print_run(self) -> int | None:
        """The print run proposed for this issue by the registered providers (the recipients' total), or None."""
        if self.pk is None:
            return None
        for provider in PRINT_RUN_DEFAULTS:
            proposed = provider(self)
            if proposed is not None:
                return proposed
        return None

    @property
    def effective_print_run(self) -> int | None:
        """The print run the masthead prints: the editor's own, else the proposed default."""
        return self.print_run if self.print_run is not None else self.default_print_run()

    def screen_pdf(self):
        """The record of the screen PDF if a file was ever built, else None."""
        return self.pdfs.filter(variant=IssuePDF.Variant.SCREEN).exclude(file_name="").first()

    def has_imported_pdf(self) -> bool:
        """Whether the issue's PDF is its printed original, imported: then it is never typeset."""
        return self.pdfs.imported().exists()

    @classmethod
    def next_numbers(cls):
        """The (year, number, total_number) after the latest issue, which a new issue most likely gets."""
        last = cls.objects.order_by("-total_number").first()
        if last is None:
            return timezone.localdate().year, 1, 1
        return last.year, last.number + 1, last.total_number + 1

    @classmethod
    def proposed_masthead(cls):
        """The masthead a new issue starts from: the latest issue's lines, those of the issue itself left to fill.

        Standing lines (board, address, permit) are copied; lines generated from an issue's own
        fields (publication date, print run) are proposed empty, to be generated from the new issue.
        """
        last = cls.objects.order_by("-total_number").first()
        if last is None:
            return [{"label": label, "value": "", "kind": kind} for kind, label in MastheadLine.Kind.choices if kind]
        return [
            {"label": line.label, "value": "" if line.kind else line.value, "kind": line.kind}
            for line in last.masthead_lines.all()
        ]

    def refresh_masthead(self):
        """Write the generated masthead lines from this issue's fields; a published issue's masthead stays as printed."""
        if self.is_published:
            return
        for line in self.masthead_lines.exclude(kind=""):
            line.issue = self
            if line.value != line.generated_value(self):
                line.save(update_fields=["value"])  # save() writes the generated value


class MastheadLineQuerySet(models.QuerySet):
    def printed(self):
        """The lines as printed: an empty line (e.g. a print run not yet known) is left out."""
        return self.exclude(value="")


class MastheadLine(models.Model):
    """One `label：value` line of an issue's masthead (版权页), as printed in that issue.

    Most lines stand from issue to issue (board, address, permit) and are copied to the next
    issue; a line with a `kind` belongs to the issue itself and is generated from its fields
    until the issue is published, so it can never print another issue's date or print run.
    """

    class Kind(models.TextChoices):
        STANDING = "", _("固定内容")
        PUBLICATION = "publication", _("出版日期")
        PRINT_RUN = "print_run", _("印数")

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="masthead_lines")
    position = models.PositiveIntegerField(_("顺序"), default=0)
    label = models.CharField(_("项目"), max_length=50)
    value = models.CharField(_("内容"), max_length=500, blank=True)
    kind = models.CharField(_("来源"), max_length=20, choices=Kind.choices, default=Kind.STANDING, blank=True)

    objects = MastheadLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("版权页条目")
        verbose_name_plural = _("版权页")
        ordering = ["position", "id"]

    def __str__(self):
        return f"{self.label}：{self.value}"

    def save(self, *args, **kwargs):
        if self.kind and not self.issue.is_published:
            self.value = self.generated_value(self.issue)
        super().save(*args, **kwargs)

    @classmethod
    def kind_for_label(cls, label: str) -> str:
        """The kind of a line known by its label alone (bundles and masthead lines from before kinds)."""
        return {"出版日期": cls.Kind.PUBLICATION, "印数": cls.Kind.PRINT_RUN}.get(label.strip(), cls.Kind.STANDING)

    def generated_value(self, issue) -> str:
        """The value this line prints for `issue`, from the issue's own fields."""
        if self.kind == self.Kind.PUBLICATION:
            date = issue.publication_date
            day = gettext("%(y)d年%(m)d月%(d)d日") % {"y": date.year, "m": date.month, "d": date.day} if date else ""
            return f"{day} {issue.issue_line}".strip()
        if self.kind == self.Kind.PRINT_RUN:
            print_run = issue.effective_print_run
            return gettext("%(count)d 册") % {"count": print_run} if print_run else ""
        return self.value


class StatusChange(models.Model):
    """Abstract log row: who moved an object from one status to another, and when."""

    statuses: type[models.TextChoices]  # the logged model's statuses (e.g. Issue.Status), for their labels

    from_status = models.CharField(_("原状态"), max_length=20)
    to_status = models.CharField(_("新状态"), max_length=20)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("时间"), default=timezone.now)
    comment = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        abstract = True
        ordering = ["-changed_at", "-id"]

    def __str__(self):
        """The move as editors name it, e.g. "草稿 → 已定稿" (only "已收到" for a first status)."""
        return f"{self.from_label} → {self.to_label}" if self.from_status else self.to_label

    @property
    def from_label(self):
        return self._label(self.from_status)

    @property
    def to_label(self):
        return self._label(self.to_status)

    def _label(self, value):
        try:
            return str(self.statuses(value).label)
        except ValueError:  # empty, or a status no longer in use: the stored value is all there is
            return value


class IssueStatusChange(StatusChange):
    statuses = Issue.Status
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="status_changes")

    class Meta(StatusChange.Meta):
        verbose_name = _("状态变更记录")
        verbose_name_plural = _("状态变更记录")


class IssuePDFQuerySet(models.QuerySet):
    def imported(self):
        """The printed PDFs of back issues, kept as they came: never typeset, stale or rebuilt."""
        return self.filter(imported=True)

    def abandon_dead_builds(self) -> int:
        """Mark failed the builds still "building" whose process is gone (killed mid-build); how many.

        The previous file, if any, stays the one readers get.
        """
        dead = [
            record.pk
            for record in self.filter(status=IssuePDF.Status.BUILDING)
            if process_is_gone(pid=record.builder_pid, host=record.builder_host)
        ]
        return self.filter(pk__in=dead, status=IssuePDF.Status.BUILDING).update(
            status=IssuePDF.Status.FAILED,
            error=gettext("生成过程意外中止（排版进程已不在运行），请重新生成。"),
            updated_at=timezone.now(),
        )


class ProtectedFileMixin:
    """A record of a file in protected storage by its `file_name` (a PDF, a proof)."""

    @property
    def path(self):
        """The file on disk, or None before the first successful build."""
        return settings.PROTECTED_ROOT / self.file_name if self.file_name else None

    @property
    def is_downloadable(self):
        return bool(self.path and self.path.is_file())


class IssuePDF(ProtectedFileMixin, models.Model):
    """The typeset PDF of an issue in one variant, and how its last build went."""

    class Variant(models.TextChoices):
        SCREEN = "screen", _("屏幕版")
        PRINT = "print", _("印刷版")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        BUILDING = "building", _("生成中")
        DONE = "done", _("已生成")
        FAILED = "failed", _("生成失败")

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="pdfs")
    variant = models.CharField(_("版本"), max_length=10, choices=Variant.choices)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    build_key = models.CharField(_("内容指纹"), max_length=64, blank=True)
    file_name = models.CharField(_("文件"), max_length=200, blank=True, help_text=_("受保护存储中的路径。"))
    page_count = models.PositiveIntegerField(_("页数"), null=True, blank=True)
    size_bytes = models.PositiveBigIntegerField(_("大小（字节）"), null=True, blank=True)
    build_seconds = models.FloatField(_("耗时（秒）"), null=True, blank=True)
    error = models.TextField(_("错误信息"), blank=True)
    built_at = models.DateTimeField(_("生成时间"), null=True, blank=True)
    builder_pid = models.PositiveIntegerField(_("排版进程"), null=True, blank=True, editable=False)
    builder_host = models.CharField(_("排版主机"), max_length=255, blank=True, editable=False)
    # The page plan of the last build: PDF pages before printed page 1, the pages of the front
    # matter and articles, the pages each filler (call for papers, standing pages) took or would take,
    # and the blank pages added.
    front_pages = models.PositiveSmallIntegerField(_("前辅文页数"), default=0, editable=False)
    content_pages = models.PositiveIntegerField(_("正文页数"), null=True, blank=True, editable=False)
    fillers = models.JSONField(_("补页"), default=list, blank=True, editable=False)
    blank_pages = models.PositiveSmallIntegerField(_("空白页"), default=0, editable=False)
    preflight = models.JSONField(_("印前检查"), default=list, blank=True, editable=False)
    # A back issue's printed PDF brought in by an issue bundle: its screen PDF as printed, which
    # the typesetter never rebuilds or overwrites (build_key is the file's SHA-256, for ETags).
    imported = models.BooleanField(_("导入的原版 PDF"), default=False, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = IssuePDFQuerySet.as_manager()

    class Meta:
        verbose_name = _("期刊 PDF")
        verbose_name_plural = _("期刊 PDF")
        constraints = [models.UniqueConstraint(fields=["issue", "variant"], name="issuepdf_one_per_variant")]

    def __str__(self):
        return f"{self.issue} {self.get_variant_display()}"

    @property
    def size_mb(self):
        return self.size_bytes / 1024 / 1024 if self.size_bytes is not None else None

    def pdf_indexes(self, first_page: int | None, last_page: int | None) -> range:
        """The 0-based indexes in this PDF of printed pages `first_page`–`last_page`; empty if it lacks any.

        Printed page p is PDF index front_pages + p - 1, whoever made the file: a build (the front
        matter before page 1) or an office's scanned back issue (its offset before page 1).
        """
        if not first_page:
            return range(0)
        indexes = range(self.front_pages + first_page - 1, self.front_pages + max(last_page or 0, first_page))
        if self.page_count is not None and indexes.stop > self.page_count:
            return range(0)
        return indexes


class ContentVersion(models.Model):
    """A counter bumped whenever published content may have changed; cached pages are keyed on it.

    It lives in the database so every web process sees a change at once.
    """

    number = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="contentversion_single_row")]

    def __str__(self):
        return str(self.number)

    @classmethod
    def current(cls) -> int:
        return cls.objects.filter(pk=1).values_list("number", flat=True).first() or 0

    @classmethod
    def bump(cls):
        if not cls.objects.filter(pk=1).update(number=models.F("number") + 1):
            cls.objects.get_or_create(pk=1, defaults={"number": 1})


class MailTemplate(models.Model):
    """The office's own wording of one of the site's e-mails, sent instead of its file template.

    `name` is the template's name in issues.mail's registry (e.g. "submissions/email/received");
    deleting the row brings the file template back.
    """

    name = models.CharField(_("邮件"), max_length=100, unique=True)
    subject = models.CharField(_("邮件标题"), max_length=200)
    body = models.TextField(_("邮件正文"), max_length=20000)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("邮件模板")
        verbose_name_plural = _("邮件模板")
        ordering = ["name"]

    def __str__(self):
        from issues.mail import known_mails  # the registry renders through this model

        spec = known_mails().get(self.name)
        return str(spec.description) if spec else self.name


@receiver(post_delete, sender=Issue)
def _delete_cover_variants(sender, instance, **kwargs):
    """An issue's cover copies go with it (the cover itself is the importer's or the editor's to keep)."""
    if cover := instance.__dict__.get("cover"):
        transaction.on_commit(lambda: delete_variants(str(cover)))
