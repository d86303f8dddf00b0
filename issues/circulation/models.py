import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from issues.models import Issue

POST_CODE = RegexValidator(r"^\d{6}\Z", _("应为 6 位数字。"))


class RecipientQuerySet(models.QuerySet):
    def active_on(self, day: datetime.date):
        """Recipients sent the issues of `day`: started on or before it, not ended before it."""
        return self.filter(Q(active_to__isnull=True) | Q(active_to__gte=day), active_from__lte=day)

    def ended(self, day: datetime.date):
        return self.filter(active_to__lt=day)

    def not_started(self, day: datetime.date):
        return self.filter(active_from__gt=day)


class Recipient(models.Model):
    """A unit the printed issue is mailed to free of charge (发送对象), with how many copies and since when."""

    organisation = models.CharField(_("单位"), max_length=200)
    contact = models.CharField(_("联系人"), max_length=50, blank=True)
    address = models.CharField(_("地址"), max_length=300)
    post_code = models.CharField(_("邮编"), max_length=6, validators=[POST_CODE])
    phone = models.CharField(_("电话"), max_length=50, blank=True)
    copies = models.PositiveSmallIntegerField(_("份数"), default=1, validators=[MinValueValidator(1)])
    active_from = models.DateField(_("起送日期"), default=timezone.localdate)
    active_to = models.DateField(_("止送日期"), null=True, blank=True, help_text=_("留空则一直寄送。"))
    note = models.CharField(_("备注"), max_length=200, blank=True)

    objects = RecipientQuerySet.as_manager()

    class Meta:
        verbose_name = _("发送对象")
        verbose_name_plural = _("发送对象")
        ordering = ["organisation", "address", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "address"],
                name="recipient_unique_organisation_address",
                violation_error_message=_("同一单位、同一地址的发送对象已经存在。"),
            ),
            models.CheckConstraint(condition=Q(copies__gte=1), name="recipient_copies_positive"),
            models.CheckConstraint(
                condition=Q(active_to__isnull=True) | Q(active_to__gte=models.F("active_from")),
                name="recipient_ends_after_start",
            ),
        ]

    def __str__(self):
        return self.organisation

    def clean(self):
        if self.active_from and self.active_to and self.active_to < self.active_from:
            raise ValidationError({"active_to": _("早于起送日期。")})


class PrintOrder(models.Model):
    """What the printer is told for one issue besides the recipients' copies (印刷委托单)."""

    issue = models.OneToOneField(Issue, verbose_name=_("期次"), on_delete=models.CASCADE, related_name="print_order")
    reserve = models.PositiveIntegerField(
        _("留存（册）"), default=20, help_text=_("编辑部自留、备用的册数，计入印数。")
    )
    paper_note = models.CharField(
        _("纸张说明"), max_length=200, blank=True, default="封面 200 克铜版纸四色，内文 80 克胶版纸四色，骑马钉"
    )
    delivery_date = models.DateField(_("交付日期"), null=True, blank=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("印刷委托单")
        verbose_name_plural = _("印刷委托单")
        ordering = ["-issue__total_number"]

    def __str__(self):
        return gettext("%(issue)s印刷委托单") % {"issue": self.issue.issue_line}

    @classmethod
    def for_issue(cls, issue: Issue) -> "PrintOrder":
        """The issue's own print order, else an unsaved one carrying the previous issue's settings."""
        try:
            return issue.print_order
        except cls.DoesNotExist:
            pass
        order = cls(issue=issue)
        previous = cls.objects.filter(issue__total_number__lt=issue.total_number).order_by("-issue__total_number")
        if last := previous.first():
            order.reserve, order.paper_note = last.reserve, last.paper_note
            if last.delivery_date and last.issue.publication_date and issue.publication_date:
                # The same lead time before publication as last time.
                order.delivery_date = issue.publication_date - (last.issue.publication_date - last.delivery_date)
        return order
