"""Subscribers, their subscriptions, institutions with IP ranges, downloads and publication notices."""

import ipaddress

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from articles.models import Article
from issues.models import Issue, StatusChange


class Subscriber(models.Model):
    """A reader's account details beyond Django's user: who they are and what they want sent."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("账号"), on_delete=models.CASCADE, related_name="subscriber"
    )
    name = models.CharField(_("姓名"), max_length=50)
    organisation = models.CharField(_("单位"), max_length=100, blank=True)
    email_confirmed_at = models.DateTimeField(_("邮箱确认时间"), null=True, blank=True, editable=False)
    receives_notices = models.BooleanField(_("接收新刊通知"), default=True)
    registered_at = models.DateTimeField(_("注册时间"), default=timezone.now, editable=False)
    registered_ip = models.GenericIPAddressField(_("注册 IP"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("订阅用户")
        verbose_name_plural = _("订阅用户")
        ordering = ["-registered_at"]
        indexes = [models.Index(fields=["registered_ip", "registered_at"])]

    def __str__(self):
        return f"{self.name}（{self.organisation}）" if self.organisation else self.name

    @property
    def email(self):
        return self.user.email

    @property
    def stamp_line(self):
        """What a stamped PDF prints at the foot of each page for this reader."""
        if self.organisation:
            return gettext("仅供 %(name)s（%(organisation)s）使用") % {
                "name": self.name,
                "organisation": self.organisation,
            }
        return gettext("仅供 %(who)s 使用") % {"who": self.name}

    def current_subscription(self):
        """The active subscription, else the newest one (pending, expired, refused…), else None."""
        subscriptions = self.subscriptions.all()
        return subscriptions.active().order_by("-ends_on").first() or subscriptions.order_by("-requested_at").first()


class PeriodQuerySet(models.QuerySet):
    def current(self, on=None):
        """Rows whose period includes `on` (today by default)."""
        on = on or timezone.localdate()
        return self.filter(starts_on__lte=on, ends_on__gte=on)


class AccessPeriod(models.Model):
    """From when to when someone may download PDFs (both days included)."""

    starts_on = models.DateField(_("起始日期"))
    ends_on = models.DateField(_("截止日期"))

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="%(class)s_ends_after_start")
        ]

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": gettext("截止日期不能早于起始日期。")})


class SubscriptionQuerySet(PeriodQuerySet):
    def active(self, on=None):
        """Approved subscriptions whose dates include `on` (today by default)."""
        return self.current(on).filter(status=Subscription.Status.APPROVED)


class Subscription(AccessPeriod):
    """A period during which a subscriber may download every published issue's PDF."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REFUSED = "refused", _("未批准")

    subscriber = models.ForeignKey(
        Subscriber, verbose_name=_("订阅用户"), on_delete=models.CASCADE, related_name="subscriptions"
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True, editable=False)
    note = models.CharField(_("备注"), max_length=500, blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta(AccessPeriod.Meta):
        verbose_name = _("订阅")
        verbose_name_plural = _("订阅")
        ordering = ["-requested_at"]

    def __str__(self):
        return f"{self.subscriber} {self.starts_on:%Y-%m-%d}—{self.ends_on:%Y-%m-%d}"

    @property
    def is_active(self):
        today = timezone.localdate()
        return self.status == self.Status.APPROVED and self.starts_on <= today <= self.ends_on

    @property
    def state_label(self):
        """What a reader is told about this subscription."""
        today = timezone.localdate()
        if self.status != self.Status.APPROVED:
            return self.get_status_display()
        if self.ends_on < today:
            return gettext("已到期")
        if self.starts_on > today:
            return gettext("尚未开始")
        return gettext("有效")


class SubscriptionStatusChange(StatusChange):
    statuses = Subscription.Status
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="status_changes")

    class Meta(StatusChange.Meta):
        verbose_name = _("审批记录")
        verbose_name_plural = _("审批记录")


def validate_cidr(value):
    text = value.strip()
    try:
        ipaddress.ip_network(text)
        return
    except ValueError:
        pass
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValidationError(
            _("“%(value)s”不是有效的 IP 段，请写成 202.120.0.0/16 或单个地址 202.120.1.5 的形式。"),
            params={"value": value},
        ) from None
    raise ValidationError(_("“%(value)s”含有主机位，应写成 %(network)s。"), params={"value": value, "network": network})


class InstitutionQuerySet(PeriodQuerySet):
    def active(self, on=None):
        return self.current(on)


class Institution(AccessPeriod):
    """An organisation (a library, a government office) whose network may download without accounts."""

    name = models.CharField(_("机构名称"), max_length=100, unique=True)
    contact = models.CharField(_("联系人"), max_length=100, blank=True)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    note = models.CharField(_("备注"), max_length=500, blank=True)

    objects = InstitutionQuerySet.as_manager()

    class Meta(AccessPeriod.Meta):
        verbose_name = _("机构订阅")
        verbose_name_plural = _("机构订阅")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def stamp_line(self):
        return gettext("仅供 %(who)s 使用") % {"who": self.name}


class IPRange(models.Model):
    institution = models.ForeignKey(
        Institution, verbose_name=_("机构"), on_delete=models.CASCADE, related_name="ip_ranges"
    )
    cidr = models.CharField(
        _("IP 段"),
        max_length=49,
        validators=[validate_cidr],
        help_text=_("CIDR 写法，如 202.120.0.0/16、2001:da8::/32；单个地址也可以。"),
    )

    class Meta:
        verbose_name = _("IP 段")
        verbose_name_plural = _("IP 段")
        constraints = [models.UniqueConstraint(fields=["institution", "cidr"], name="iprange_unique_per_institution")]

    def __str__(self):
        return self.cidr

    def save(self, *args, **kwargs):
        self.cidr = str(ipaddress.ip_network(self.cidr.strip()))
        super().save(*args, **kwargs)

    @property
    def network(self):
        return ipaddress.ip_network(self.cidr)


class Download(models.Model):
    """One PDF or EPUB handed out — an issue's, or one article's pages of the PDF: to which account or
    institution, from which address, when."""

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        EPUB = "epub", "EPUB"

    issue = models.ForeignKey(Issue, verbose_name=_("期次"), on_delete=models.CASCADE, related_name="downloads")
    article = models.ForeignKey(
        Article,
        verbose_name=_("文章"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="downloads",
        help_text=_("单篇文章的下载；留空表示整期。"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pdf_downloads",
    )
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("机构"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="downloads",
    )
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    format = models.CharField(_("格式"), max_length=10, choices=Format.choices, default=Format.PDF)
    downloaded_at = models.DateTimeField(_("下载时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("下载记录")
        verbose_name_plural = _("下载记录")
        ordering = ["-downloaded_at", "-id"]
        indexes = [models.Index(fields=["issue", "downloaded_at"]), models.Index(fields=["user", "downloaded_at"])]

    def __str__(self):
        if self.article_id:
            return f"{self.issue} · 《{self.article}》 · {self.who}"
        return f"{self.issue} · {self.who}"

    @property
    def who(self):
        if self.user_id:
            subscriber = getattr(self.user, "subscriber", None)
            return str(subscriber) if subscriber else self.user.get_username()
        return str(self.institution) if self.institution_id else gettext("（已删除）")


class PublicationNotice(models.Model):
    """The e-mail telling one subscriber that an issue is out; the unique pair makes it go once."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="notices")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="notices")
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("新刊通知")
        verbose_name_plural = _("新刊通知")
        constraints = [models.UniqueConstraint(fields=["issue", "subscriber"], name="notice_once_per_issue")]

    def __str__(self):
        return f"{self.issue} → {self.subscriber}"


class AccountMail(models.Model):
    """A password-reset or confirmation e-mail someone asked for, kept an hour to limit how often they may."""

    class Kind(models.TextChoices):
        PASSWORD_RESET = "password_reset", _("重设密码")
        CONFIRMATION = "confirmation", _("确认邮箱")

    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    email = models.CharField(_("电子邮箱"), max_length=320)  # lower-cased, as typed: known or not
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    requested_at = models.DateTimeField(_("请求时间"), default=timezone.now)

    class Meta:
        verbose_name = _("账号邮件请求")
        verbose_name_plural = _("账号邮件请求")
        indexes = [
            models.Index(fields=["kind", "email", "requested_at"]),
            models.Index(fields=["kind", "ip", "requested_at"]),
            models.Index(fields=["requested_at"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.email}"
