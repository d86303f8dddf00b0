"""三校: an issue's proof rounds, the typeset text each round printed, and the proofreaders' corrections."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from articles.models import Article
from issues.models import Issue, ProtectedFileMixin

PROOFREADERS_GROUP = "校对"  # created by migration 0002; its members record corrections


class ProofRound(ProtectedFileMixin, models.Model):
    """One proofreading round (一校, 二校, 三校) on a watermarked proof PDF of an issue."""

    class Number(models.IntegerChoices):
        FIRST = 1, _("一校")
        SECOND = 2, _("二校")
        THIRD = 3, _("三校")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        BUILDING = "building", _("生成中")
        DONE = "done", _("已生成")
        FAILED = "failed", _("生成失败")

    issue = models.ForeignKey(Issue, verbose_name=_("期"), on_delete=models.CASCADE, related_name="proof_rounds")
    number = models.PositiveSmallIntegerField(_("校次"), choices=Number.choices)
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("开始人"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("校样状态"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    file_name = models.CharField(_("校样文件"), max_length=200, blank=True, help_text=_("受保护存储中的路径。"))
    page_count = models.PositiveIntegerField(_("页数"), null=True, blank=True)
    built_at = models.DateTimeField(_("校样生成时间"), null=True, blank=True)
    error = models.TextField(_("错误信息"), blank=True)
    signed_off_at = models.DateTimeField(_("签字时间"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签字人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("校次")
        verbose_name_plural = _("校次")
        ordering = ["issue", "number"]
        constraints = [
            models.UniqueConstraint(fields=["issue", "number"], name="proof_round_once_per_issue"),
            models.CheckConstraint(condition=models.Q(number__gte=1, number__lte=3), name="proof_round_number_1_to_3"),
        ]

    def __str__(self):
        return f"{self.issue} {self.get_number_display()}"

    @property
    def name(self):
        return self.get_number_display()

    @property
    def watermark(self):
        """What the proof prints across every page: "一校样 2017-01-20"."""
        day = timezone.localdate(self.built_at) if self.built_at else timezone.localdate()
        return f"{self.name}样 {day:%Y-%m-%d}"

    @property
    def is_signed_off(self):
        return self.signed_off_at is not None


class TypesetText(models.Model):
    """An article's text as a round's proof printed it, to compare with the next round and the manuscript."""

    round = models.ForeignKey(ProofRound, on_delete=models.CASCADE, related_name="texts")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("排版文字"), help_text=_("标题、署名、正文和来源，一段一行。"))
    body = models.TextField(_("正文文字"))

    class Meta:
        verbose_name = _("排版文字")
        verbose_name_plural = _("排版文字")
        constraints = [models.UniqueConstraint(fields=["round", "article"], name="typeset_text_once_per_round")]

    def __str__(self):
        return f"{self.round}：{self.article_id}"


class Correction(models.Model):
    """A proofreader's correction to an article in a round, until an editor marks it done."""

    round = models.ForeignKey(ProofRound, verbose_name=_("校次"), on_delete=models.CASCADE, related_name="corrections")
    article = models.ForeignKey(Article, verbose_name=_("文章"), on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("校改内容"), max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("校对人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("改正人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    done_at = models.DateTimeField(_("改正时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("校改")
        verbose_name_plural = _("校改")
        ordering = ["round", "created_at", "id"]

    def __str__(self):
        return f"{self.article}：{self.text[:30]}"

    @property
    def is_done(self):
        return self.done_at is not None
