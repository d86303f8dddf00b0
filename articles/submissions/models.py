import datetime
import secrets

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from articles.models import Article
from issues import files
from issues.models import StatusChange


def protected_storage():
    return files.protected_storage


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

    # Who may move a submission where: an editor sends a piece to review (its first level) and accepts
    # it once every level has passed; 退修 and 不用 are a review level's opinions (reviews.py), never an
    # editor's move of their own. The author withdraws until a decision, and a revision sends the
    # piece back to the level that asked for it.
    EDITOR_MOVES = {
        Status.RECEIVED: {Status.UNDER_REVIEW},
        Status.UNDER_REVIEW: {Status.ACCEPTED},
        Status.REVISION_REQUESTED: {Status.UNDER_REVIEW},
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
    review_level = models.ForeignKey(
        "ReviewLevel",
        verbose_name=_("审稿环节"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text=_("稿件现在所在的审稿环节；退修时是要求修改的环节。"),
    )
    reviews_passed_at = models.DateTimeField(_("审稿通过时间"), null=True, blank=True, editable=False)
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
        moves = (self.EDITOR_MOVES if by_editor else self.AUTHOR_MOVES).get(self.status, set())
        if not self.reviews_passed:
            moves = moves - {self.Status.ACCEPTED}
        return moves

    @property
    def reviews_passed(self) -> bool:
        """Whether every review level (the last, 终审, included) has passed the piece."""
        return self.reviews_passed_at is not None

    @property
    def stage_label(self) -> str:
        """The state as the author may see it, e.g. "复审中": the level, never its opinion or reviewer."""
        if self.status == self.Status.UNDER_REVIEW:
            if self.reviews_passed:
                return _("审稿通过，待录用")
            if self.review_level_id:
                return _("%(level)s中") % {"level": self.review_level.name}
        return self.get_status_display()

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
    stage = models.CharField(
        _("环节"), max_length=60, blank=True, help_text=_("作者看到的进展，如“复审中”（不含审稿意见）。")
    )

    class Meta(StatusChange.Meta):
        verbose_name = _("处理记录")
        verbose_name_plural = _("处理记录")
        ordering = ["changed_at", "pk"]


class ReviewLevel(models.Model):
    """One of the periodical's review levels (三审: 初审 → 复审 → 终审), held by the members of a group."""

    name = models.CharField(_("名称"), max_length=20, unique=True, help_text=_("如“初审”。"))
    position = models.PositiveIntegerField(_("顺序"), unique=True, help_text=_("从小到大依次审稿。"))
    group = models.ForeignKey(
        Group,
        verbose_name=_("负责的用户组"),
        on_delete=models.PROTECT,
        related_name="review_levels",
        help_text=_("只有这个组的成员（或超级用户）能记录本环节的意见。"),
    )

    class Meta:
        verbose_name = _("审稿环节")
        verbose_name_plural = _("审稿环节")
        ordering = ["position"]

    def __str__(self):
        return self.name

    def held_by(self, user) -> bool:
        """Whether `user` may record this level's opinion."""
        if user is None or not user.is_active:
            return False
        return user.is_superuser or user.groups.filter(pk=self.group_id).exists()

    def next(self):
        """The level after this one, or None after the last."""
        return ReviewLevel.objects.filter(position__gt=self.position).first()


class Opinion(models.TextChoices):
    PASS = "pass", _("通过")
    REVISE = "revise", _("退修")
    REJECT = "reject", _("不用")


class Review(models.Model):
    """A review level's signed opinion on a submission: who, when, what, and why (for the editors only)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="reviews")
    level = models.ForeignKey(ReviewLevel, verbose_name=_("审稿环节"), on_delete=models.PROTECT)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审稿人"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审稿时间"), default=timezone.now)
    opinion = models.CharField(_("意见"), max_length=10, choices=Opinion.choices)
    comment = models.TextField(_("审稿意见"), max_length=5000, blank=True, help_text=_("只有编辑看得到。"))

    class Meta:
        verbose_name = _("审稿意见")
        verbose_name_plural = _("审稿意见")
        ordering = ["reviewed_at", "pk"]

    def __str__(self):
        return f"{self.level}：{self.get_opinion_display()}"


def _new_nonce():
    return secrets.token_hex(16)


class ExpertInvitationQuerySet(models.QuerySet):
    def open(self, *, today=None):
        """Invitations whose link still works: unanswered and not past the due date's grace."""
        today = today or timezone.localdate()
        return self.filter(answered_at__isnull=True, due_on__gte=today - ExpertInvitation.GRACE)


class ExpertInvitation(models.Model):
    """An outside expert asked to review a submission (专家审稿) through a private link, without an account.

    The link's token is a random nonce followed by its HMAC under the secret key: the database alone
    (a backup, say) gives no working link, reminders can carry the same link again, and the HMAC is
    compared in constant time.
    """

    # The link keeps working this long after the due date, for an expert who is a little late.
    GRACE = datetime.timedelta(days=7)

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="expert_invitations")
    name = models.CharField(_("专家姓名"), max_length=100)
    email = models.EmailField(_("电子邮箱"))
    due_on = models.DateField(_("审稿截止日期"))
    nonce = models.CharField(max_length=32, unique=True, editable=False, default=_new_nonce)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("邀请人"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    invited_at = models.DateTimeField(_("邀请时间"), default=timezone.now)
    opinion = models.CharField(_("意见"), max_length=10, choices=Opinion.choices, blank=True)
    comment = models.TextField(_("审稿意见"), max_length=5000, blank=True)
    answered_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    reminded_due_at = models.DateTimeField(_("到期提醒时间"), null=True, blank=True, editable=False)
    reminded_overdue_at = models.DateTimeField(_("逾期提醒时间"), null=True, blank=True, editable=False)

    objects = ExpertInvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("专家审稿")
        verbose_name_plural = _("专家审稿")
        ordering = ["invited_at", "pk"]

    def __str__(self):
        return f"{self.name} <{self.email}>"

    @property
    def token(self) -> str:
        """What the private link carries."""
        return self.nonce + self._mac(self.nonce)

    @classmethod
    def for_token(cls, token: str):
        """The invitation `token` belongs to (answered or expired too), or None for a wrong token."""
        nonce, mac = token[:32], token[32:]
        invitation = cls.objects.select_related("submission").filter(nonce=nonce).first() if len(token) == 64 else None
        if invitation is None or not constant_time_compare(mac, cls._mac(nonce)):
            return None
        return invitation

    @staticmethod
    def _mac(nonce: str) -> str:
        return salted_hmac("articles.submissions.ExpertInvitation", nonce, algorithm="sha256").hexdigest()[:32]

    @property
    def expires_on(self) -> datetime.date:
        """The last day the link works."""
        return self.due_on + self.GRACE

    def is_open(self, *, today=None) -> bool:
        return self.answered_at is None and (today or timezone.localdate()) <= self.expires_on
