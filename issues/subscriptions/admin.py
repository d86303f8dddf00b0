"""Editors' side of subscriptions: approving readers, institutions' IP ranges, download statistics."""

import csv

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q
from django.http import Http404, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from articles.models import page_range
from issues.admin import ReadOnlyInline, StatusChangeInline, transition_action
from issues.subscriptions.models import (
    Download,
    Institution,
    IPRange,
    Subscriber,
    Subscription,
    SubscriptionStatusChange,
)
from issues.subscriptions.services import subscription_approve, subscription_refuse


class ActiveFilter(admin.SimpleListFilter):
    """Whether today falls within the subscription (institution) period."""

    title = _("当前是否有效")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", _("有效")), ("expired", _("已到期")), ("future", _("尚未开始"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "yes":
            return queryset.active(on=today)  # for subscriptions: approved ones only
        if self.value() == "expired":
            return queryset.filter(ends_on__lt=today)
        if self.value() == "future":
            return queryset.filter(starts_on__gt=today)
        return queryset


class DownloadKindFilter(admin.SimpleListFilter):
    """Whole issues or single articles."""

    title = _("下载内容")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [("issue", _("整期")), ("article", _("单篇文章"))]

    def queryset(self, request, queryset):
        if self.value() == "issue":
            return queryset.filter(article__isnull=True)
        if self.value() == "article":
            return queryset.filter(article__isnull=False)
        return queryset


class SubscriptionInline(ReadOnlyInline):
    model = Subscription
    fields = ["starts_on", "ends_on", "status", "requested_at", "decided_by", "decided_at", "note"]
    show_change_link = True


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "email", "confirmed", "subscription_state", "receives_notices", "downloads"]
    list_filter = ["receives_notices", ("email_confirmed_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "organisation", "user__email"]
    list_select_related = ["user"]
    fields = [
        "user",
        "name",
        "organisation",
        "receives_notices",
        "email_confirmed_at",
        "registered_at",
        "registered_ip",
    ]
    readonly_fields = ["user", "email_confirmed_at", "registered_at", "registered_ip"]
    inlines = [SubscriptionInline]

    def get_queryset(self, request):
        today = timezone.localdate()
        active = Q(
            subscriptions__status="approved", subscriptions__starts_on__lte=today, subscriptions__ends_on__gte=today
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                download_count=Count("user__pdf_downloads", distinct=True),
                active_count=Count("subscriptions", filter=active, distinct=True),
                pending_count=Count("subscriptions", filter=Q(subscriptions__status="pending"), distinct=True),
            )
        )

    def has_add_permission(self, request):
        return False  # readers register themselves; editors approve their subscriptions

    @admin.display(description=_("电子邮箱"), ordering="user__email")
    def email(self, subscriber):
        return subscriber.user.email

    @admin.display(description=_("邮箱已确认"), boolean=True, ordering="email_confirmed_at")
    def confirmed(self, subscriber):
        return subscriber.email_confirmed_at is not None

    @admin.display(description=_("订阅"))
    def subscription_state(self, subscriber):
        if subscriber.active_count:
            return gettext("有效")
        return gettext("待审批") if subscriber.pending_count else "—"

    @admin.display(description=_("下载次数"), ordering="download_count")
    def downloads(self, subscriber):
        return subscriber.download_count


class SubscriptionStatusChangeInline(StatusChangeInline):
    model = SubscriptionStatusChange
    verbose_name_plural = _("审批记录")


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["subscriber", "email", "starts_on", "ends_on", "status", "state", "requested_at", "decided_by"]
    list_filter = ["status", ActiveFilter]
    list_select_related = ["subscriber__user", "decided_by"]
    search_fields = ["subscriber__name", "subscriber__organisation", "subscriber__user__email"]
    autocomplete_fields = ["subscriber"]
    date_hierarchy = "requested_at"
    fields = ["subscriber", "starts_on", "ends_on", "note", "status", "requested_at", "decided_by", "decided_at"]
    readonly_fields = ["status", "requested_at", "decided_by", "decided_at"]
    actions = [
        transition_action(subscription_approve, object_name="subscription", description=_("批准所选订阅")),
        transition_action(subscription_refuse, object_name="subscription", description=_("拒绝所选订阅")),
    ]
    inlines = [SubscriptionStatusChangeInline]

    @admin.display(description=_("电子邮箱"))
    def email(self, subscription):
        return subscription.subscriber.user.email

    @admin.display(description=_("当前"))
    def state(self, subscription):
        return subscription.state_label

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:  # a subscription an editor enters is granted by that editor
            subscription_approve(subscription=obj, by=request.user, note=obj.note)


class IPRangeInline(admin.TabularInline):
    model = IPRange
    extra = 1


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["name", "contact", "starts_on", "ends_on", "ip_ranges_list", "downloads"]
    list_filter = [ActiveFilter]
    search_fields = ["name", "contact", "ip_ranges__cidr"]
    fields = ["name", "contact", "contact_email", "starts_on", "ends_on", "note"]
    inlines = [IPRangeInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(download_count=Count("downloads")).prefetch_related("ip_ranges")

    @admin.display(description=_("IP 段"))
    def ip_ranges_list(self, institution):
        return "，".join(ip_range.cidr for ip_range in institution.ip_ranges.all())

    @admin.display(description=_("下载次数"), ordering="download_count")
    def downloads(self, institution):
        return institution.download_count


@admin.register(Download)
class DownloadAdmin(admin.ModelAdmin):
    """The download log, with totals per issue, article, subscriber and institution, and CSV exports.

    The statistics and exports take the same filters as the list (issue, institution, dates).
    """

    list_display = ["downloaded_at", "issue", "content", "format", "who", "organisation", "ip"]
    list_filter = [
        ("issue", admin.RelatedOnlyFieldListFilter),
        DownloadKindFilter,
        "format",
        ("institution", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["issue", "article", "user__subscriber", "institution"]
    search_fields = [
        "user__email",
        "user__subscriber__name",
        "user__subscriber__organisation",
        "institution__name",
        "article__title",
    ]
    date_hierarchy = "downloaded_at"
    change_list_template = "admin/subscriptions/download/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("下载内容"), ordering="article__title")
    def content(self, download):
        return download.article.title if download.article_id else gettext("整期")

    @admin.display(description=_("读者"))
    def who(self, download):
        return download.who

    @admin.display(description=_("单位"))
    def organisation(self, download):
        subscriber = getattr(download.user, "subscriber", None) if download.user_id else None
        return subscriber.organisation if subscriber else ""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("statistics/", view(self.statistics_view), name="subscriptions_download_statistics"),
            path("export/<str:table>.csv", view(self.export_view), name="subscriptions_download_export"),
            *super().get_urls(),
        ]

    def filtered(self, request):
        """The downloads the list page shows for this request's filters (PermissionDenied without the right)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        return self.get_changelist_instance(request).get_queryset(request).order_by()

    def tables(self, downloads):
        """Totals per issue, per article, per subscriber and per institution, as (title, headers, rows)."""
        per_issue = (
            downloads.values("issue__year", "issue__number", "issue__total_number")
            .annotate(
                total=Count("id"),
                pdf=Count("id", filter=Q(format=Download.Format.PDF)),
                epub=Count("id", filter=Q(format=Download.Format.EPUB)),
                readers=Count("user", distinct=True),
                institutions=Count("institution", distinct=True),
                articles=Count("id", filter=Q(article__isnull=False)),
            )
            .order_by("-issue__year", "-issue__number")
        )
        per_article = (
            downloads.filter(article__isnull=False)
            .values("article__title", "article__first_page", "article__last_page", "issue__year", "issue__number")
            .annotate(
                total=Count("id"),
                readers=Count("user", distinct=True),
                institutions=Count("institution", distinct=True),
            )
            .order_by("-total", "-issue__year", "-issue__number", "article__first_page", "article__title")
        )
        per_subscriber = (
            downloads.filter(user__isnull=False)
            .values("user__subscriber__name", "user__subscriber__organisation", "user__email", "user__username")
            .annotate(total=Count("id"), issues=Count("issue", distinct=True), last=Max("downloaded_at"))
            .order_by("-total", "user__email")
        )
        per_institution = (
            downloads.filter(user__isnull=True, institution__isnull=False)
            .values("institution__name")
            .annotate(total=Count("id"), issues=Count("issue", distinct=True), last=Max("downloaded_at"))
            .order_by("-total", "institution__name")
        )
        localtime = timezone.localtime
        return {
            "issues": (
                gettext("按期次"),
                [
                    gettext("期次"),
                    gettext("总期号"),
                    gettext("下载次数"),
                    "PDF",
                    "EPUB",
                    gettext("读者数"),
                    gettext("机构数"),
                    gettext("其中单篇文章"),
                ],
                (
                    [
                        issue_name(r),
                        r["issue__total_number"],
                        r["total"],
                        r["pdf"],
                        r["epub"],
                        r["readers"],
                        r["institutions"],
                        r["articles"],
                    ]
                    for r in per_issue
                ),
            ),
            "articles": (
                gettext("按文章（单篇 PDF）"),
                [
                    gettext("文章"),
                    gettext("期次"),
                    gettext("页码"),
                    gettext("下载次数"),
                    gettext("读者数"),
                    gettext("机构数"),
                ],
                (
                    [
                        r["article__title"],
                        issue_name(r),
                        page_range(r["article__first_page"], r["article__last_page"]),
                        r["total"],
                        r["readers"],
                        r["institutions"],
                    ]
                    for r in per_article
                ),
            ),
            "subscribers": (
                gettext("按订阅用户"),
                [
                    gettext("姓名"),
                    gettext("单位"),
                    gettext("电子邮箱"),
                    gettext("下载次数"),
                    gettext("期数"),
                    gettext("最近下载"),
                ],
                (
                    [
                        r["user__subscriber__name"] or r["user__username"],
                        r["user__subscriber__organisation"] or "",
                        r["user__email"],
                        r["total"],
                        r["issues"],
                        f"{localtime(r['last']):%Y-%m-%d %H:%M}",
                    ]
                    for r in per_subscriber
                ),
            ),
            "institutions": (
                gettext("按机构（免登录下载）"),
                [gettext("机构"), gettext("下载次数"), gettext("期数"), gettext("最近下载")],
                (
                    [r["institution__name"], r["total"], r["issues"], f"{localtime(r['last']):%Y-%m-%d %H:%M}"]
                    for r in per_institution
                ),
            ),
        }

    def statistics_view(self, request):
        downloads = self.filtered(request)
        tables = [(key, title, headers, list(rows)) for key, (title, headers, rows) in self.tables(downloads).items()]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("下载统计"),
            "total": downloads.count(),
            "tables": tables,
            "query": request.GET.urlencode(),
        }
        return TemplateResponse(request, "admin/subscriptions/download/statistics.html", context)

    def export_view(self, request, table):
        downloads = self.filtered(request)
        if table == "log":
            headers = [
                gettext("下载时间"),
                gettext("期次"),
                gettext("读者"),
                gettext("单位"),
                gettext("电子邮箱"),
                gettext("机构"),
                gettext("IP 地址"),
                gettext("文章"),
                gettext("格式"),
            ]
            rows = (
                [
                    f"{timezone.localtime(d.downloaded_at):%Y-%m-%d %H:%M:%S}",
                    d.issue.issue_line,
                    d.who,
                    self.organisation(d),
                    d.user.email if d.user_id else "",
                    d.institution.name if d.institution_id else "",
                    d.ip or "",
                    d.article.title if d.article_id else "",
                    d.get_format_display(),
                ]
                for d in downloads.select_related("issue", "article", "user__subscriber", "institution")
                .order_by("downloaded_at")
                .iterator()
            )
        else:
            tables = self.tables(downloads)
            if table not in tables:
                raise Http404
            _title, headers, rows = tables[table]
        return csv_response(f"downloads-{table}-{timezone.localdate():%Y%m%d}.csv", headers, rows)


def issue_name(row):
    """A statistics row's issue (issue__year, issue__number) as "2017年第1期"."""
    return gettext("%(year)s年第%(number)s期") % {"year": row["issue__year"], "number": row["issue__number"]}


class _Echo:
    def write(self, value):
        return value


def csv_response(filename, headers, rows):
    """A streamed CSV that Excel opens with the Chinese intact (UTF-8 with a byte-order mark)."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow(headers)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
