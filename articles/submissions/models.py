import os
import secrets

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from articles.models import Article
from issues.models import StatusChange


class ProtectedStorage(FileSystemStorage):
    """Files with no public URL (manuscripts) under PROTECTED_ROOT, looked up at each use."""

    @property
    def base_location(self):
        return settings.PROTECTED_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Protected files have no URL.")


_protected_storage = ProtectedStorage()


def protected_storage():
    return _protected_storage


def manuscript_upload_to(instance, filename):
    # A random name: the author's file name is kept in a field, never used on disk.
    return f"manuscripts/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.docx"


class SubmissionQuerySet(models.QuerySet):
    def undecided(self):
        """Submissions still open: not accepted, rejected or withdrawn."""
        return self.exclude(status__in=Submission.FINAL)


class Submission(models.Model):
    """A manuscript sent in through the public form, and what the editors decided."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("已收稿")
        UNDER_REVIEW = "under_review", _("审稿中")
        REVISION_REQUESTED = "revision", _("需修改")
        ACCEPTED = "accepted", _("已录用")
        REJECTED = "rejected", _("未录用")
        WITHDRAWN = "withdrawn", _("已撤回")

    # Who may move a submission where: editors decide; the author withdraws until a decision,
    # and a revision sends the piece back to review.
    EDITOR_MOVES = {
        Status.RECEIVED: {Status.UNDER_REVIEW, Status.REJECTED},
        Status.UNDER_REVIEW: {Status.REVISION_REQUESTED, Status.ACCEPTED, Status.REJECTED},
        Status.REVISION_REQUESTED: {Status.UNDER_REVIEW, Status.ACCEPTED, Status.REJECTED},
    }
    AUTHOR_MOVES = {
        Status.RECEIVED: {Status.WITHDRAWN},
        Status.UNDER_REVIEW: {Status.WITHDRAWN},
        Status.REVISION_REQUESTED: {Status.WITHDRAWN, Status.UNDER_REVIEW},
    }
    DECISIONS = {Status.REVISION_REQUESTED, Status.ACCEPTED, Status.REJECTED}
    # An editor's move to one of these e-mails the author (the admin form says so), with the
    # template submissions/email/<status>; the author's own moves send nothing.
    AUTHOR_MAILS = {Status.UNDER_REVIEW, Status.REVISION_REQUESTED, Status.ACCEPTED, Status.REJECTED}
    FINAL = {Status.ACCEPTED, Status.REJECTED, Status.WITHDRAWN}  # nothing more to decide

    tracking_number = models.CharField(_("稿件编号"), max_length=20, unique=True, editable=False)
    token = models.CharField(max_length=64, unique=True, editable=False)
    title = models.CharField(_("标题"), max_length=200)
    author_name = models.CharField(_("作者姓名"), max_length=100)
    affiliation = models.CharField(_("单位"), max_length=200)
    postal_address = models.CharField(_("通讯地址"), max_length=300)
    phone = models.CharField(_("电话"), max_length=50)
    email = models.EmailField(_("电子邮箱"))
    co_authors = models.CharField(_("合作者"), max_length=300, blank=True)
    abstract = models.TextField(_("摘要"), max_length=2000, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.RECEIVED, editable=False)
    submitted_at = models.DateTimeField(_("投稿时间"), default=timezone.now, editable=False)
    submitter_ip = models.GenericIPAddressField(_("来源 IP"), null=True, blank=True, editable=False)
    assigned_editor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任编辑"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_submissions",
    )
    internal_notes = models.TextField(_("内部备注"), max_length=5000, blank=True, help_text=_("只有编辑看得到。"))
    article = models.OneToOneField(
        Article, verbose_name=_("文章"), on_delete=models.SET_NULL, null=True, blank=True, editable=False
    )
    # The honoraria (稿酬) of an accepted piece are its article's, in articles.honoraria.

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        verbose_name = _("来稿")
        verbose_name_plural = _("来稿")
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["submitter_ip", "submitted_at"])]

    def __str__(self):
        return f"{self.tracking_number} {self.title}"

    def save(self, *args, **kwargs):
        if not self.token:
            self.token = secrets.token_urlsafe(32)
        if not self.tracking_number:
            self.tracking_number = f"{timezone.localdate():%Y%m%d}-{secrets.token_hex(3).upper()}"
        super().save(*args, **kwargs)

    def get_status_url(self):
        return reverse("submissions:status", kwargs={"token": self.token})

    def allowed_moves(self, *, by_editor: bool) -> set[str]:
        """The statuses an editor (or, with `by_editor` False, the author) may move this submission to."""
        return (self.EDITOR_MOVES if by_editor else self.AUTHOR_MOVES).get(self.status, set())

    @property
    def manuscript(self):
        """The latest version of the manuscript (from `prefetch_related("manuscripts")` when there is one)."""
        latest = self.manuscripts.all()[:1]  # Manuscript.Meta.ordering: newest first
        return latest[0] if latest else None

    @property
    def is_decided(self):
        return self.status in self.FINAL


class Manuscript(models.Model):
    """One uploaded version of a submission's Word file (the first, or a revision)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="manuscripts")
    file = models.FileField(_("文件"), storage=protected_storage, upload_to=manuscript_upload_to)
    original_name = models.CharField(_("原文件名"), max_length=255)
    char_count = models.PositiveIntegerField(_("字数"))
    text = models.TextField(_("正文文本"))
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("稿件文件")
        verbose_name_plural = _("稿件文件")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self):
        return self.original_name


class SubmissionEvent(StatusChange):
    """A step in a submission's life: who moved it where, when, and the message to the author.

    `changed_by` is empty for the author's own steps (withdrawing, sending a revision).
    """

    statuses = Submission.Status
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(_("原状态"), max_length=20, blank=True)
    comment = models.TextField(_("给作者的说明"), max_length=2000, blank=True)

    class Meta(StatusChange.Meta):
        verbose_name = _("处理记录")
        verbose_name_plural = _("处理记录")
        ordering = ["changed_at", "pk"]
