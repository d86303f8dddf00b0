from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from articles.honoraria import export
from articles.honoraria.models import ComplimentaryCopies, Honorarium, PaymentBatch, RateCard, SectionRate
from articles.honoraria.rules import FEN
from articles.honoraria.services import honoraria_propose_for_issue, payment_batch_create, payment_batch_mark_paid
from issues.admin import ReadOnlyInline
from issues.models import Issue
from issues.workflow import TransitionNotAllowed


class SectionRateInline(admin.TabularInline):
    model = SectionRate
    extra = 1
    fields = ["section", "rate_per_thousand", "brief_amount"]


@admin.register(RateCard)
class RateCardAdmin(admin.ModelAdmin):
    """The periodical's one rate card: the list page goes straight to its form."""

    fields = ["rate_per_thousand", "minimum_amount"]
    inlines = [SectionRateInline]

    def changelist_view(self, request, extra_context=None):
        return redirect("admin:honoraria_ratecard_change", RateCard.load().pk)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PaymentFilter(admin.SimpleListFilter):
    title = _("付款")
    parameter_name = "payment"

    def lookups(self, request, model_admin):
        return [("due", _("未付")), ("unbatched", _("未列入付款批次")), ("paid", _("已付"))]

    def queryset(self, request, queryset):
        if self.value() == "due":
            return queryset.due()
        if self.value() == "unbatched":
            return queryset.unbatched()
        if self.value() == "paid":
            return queryset.filter(paid_on__isnull=False)
        return queryset


class ProposeForm(forms.Form):
    issue = forms.ModelChoiceField(label=_("期次"), queryset=Issue.objects.order_by("-total_number"))


@admin.register(Honorarium)
class HonorariumAdmin(admin.ModelAdmin):
    list_display = ["contributor", "article", "issue", "char_count", "amount", "tax", "net", "batch", "paid_on"]
    list_filter = [PaymentFilter, ("article__issue", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["contributor", "article__issue", "batch"]
    search_fields = ["contributor__name", "contributor__affiliation", "article__title"]
    autocomplete_fields = ["article", "contributor"]
    fields = ["article", "contributor", "char_count", "amount", "basis", "tax", "net", "note", "batch", "paid_on"]
    readonly_fields = ["basis", "tax", "net", "batch", "paid_on"]
    actions = ["create_batch"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and (obj.batch_id or obj.is_paid):  # what finance was given stays as it was
            return [*self.fields]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and (obj.batch_id or obj.is_paid))

    @admin.display(description=_("期次"), ordering="article__issue__total_number")
    def issue(self, honorarium):
        return honorarium.article.issue.issue_line if honorarium.article.issue else "—"

    @admin.display(description=_("实发金额（元）"))
    def net(self, honorarium):
        return honorarium.net if honorarium.pk else "—"

    @admin.action(description=_("生成付款批次"), permissions=["change"])
    def create_batch(self, request, queryset):
        try:
            batch = payment_batch_create(honoraria=list(queryset), by=request.user)
        except TransitionNotAllowed as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return None
        self.message_user(request, gettext("已生成付款批次：%(batch)s。") % {"batch": batch}, messages.SUCCESS)
        return redirect("admin:honoraria_paymentbatch_change", batch.pk)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("propose/", view(self.propose_view), name="honoraria_honorarium_propose"), *super().get_urls()]

    def propose_view(self, request):
        """Propose the honoraria of an issue's authors from the rate card (those not proposed yet)."""
        if not self.has_add_permission(request):
            return redirect("admin:index")
        form = ProposeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            created = honoraria_propose_for_issue(issue=form.cleaned_data["issue"])
            self.message_user(
                request,
                gettext("已按稿酬标准生成 %(count)d 笔稿酬，请核对。") % {"count": len(created)},
                messages.SUCCESS,
            )
            changelist = reverse("admin:honoraria_honorarium_changelist")
            return redirect(f"{changelist}?article__issue__id__exact={form.cleaned_data['issue'].pk}")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("按期生成稿酬"),
            "form": form,
        }
        return TemplateResponse(request, "admin/honoraria/honorarium/propose.html", context)


class BatchItemInline(ReadOnlyInline):
    model = Honorarium
    fields = ["contributor", "article", "char_count", "amount", "tax", "net"]
    readonly_fields = ["net"]
    verbose_name_plural = _("本批稿酬")

    @admin.display(description=_("实发金额（元）"))
    def net(self, honorarium):
        return honorarium.net


@admin.register(PaymentBatch)
class PaymentBatchAdmin(admin.ModelAdmin):
    list_display = ["__str__", "created_by", "payees", "gross", "paid_on"]
    list_filter = [("paid_on", admin.EmptyFieldListFilter)]
    fields = ["created_at", "created_by", "total_line", "paid_on", "paid_by", "note"]
    readonly_fields = ["created_at", "created_by", "total_line", "paid_on", "paid_by"]
    inlines = [BatchItemInline]
    actions = ["mark_paid"]

    def has_add_permission(self, request):
        return False  # a batch is made from the honoraria it pays (生成付款批次)

    @admin.action(description=_("标记为已付款"), permissions=["change"])
    def mark_paid(self, request, queryset):
        for batch in queryset:
            try:
                payment_batch_mark_paid(batch=batch, by=request.user)
            except TransitionNotAllowed as refusal:
                self.message_user(request, f"{batch}：{refusal}", messages.ERROR)
            else:
                self.message_user(request, gettext("%(batch)s 已标记为已付款。") % {"batch": batch}, messages.SUCCESS)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.paid_on)

    def get_queryset(self, request):
        # The list's totals in its own query, not two more per batch.
        return (
            super()
            .get_queryset(request)
            .select_related("created_by")
            .annotate(payee_count=Count("items"), gross_total=Sum("items__amount"))
        )

    @admin.display(description=_("人次"), ordering="payee_count")
    def payees(self, batch):
        return batch.payee_count

    @admin.display(description=_("税前合计（元）"), ordering="gross_total")
    def gross(self, batch):
        return Decimal(batch.gross_total or 0).quantize(FEN)

    @admin.display(description=_("合计"))
    def total_line(self, batch):
        return gettext(
            "%(payees)d 人次，%(characters)d 字，税前 %(gross)s 元，代扣个税 %(tax)s 元，实发 %(net)s 元"
        ) % (batch.totals())

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/export/<str:extension>/",
                view(self.export_view),
                name="honoraria_paymentbatch_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request, object_id, extension):
        batch = get_object_or_404(PaymentBatch, pk=object_id)
        if not self.has_view_permission(request, batch):
            return redirect("admin:index")
        if extension == "csv":
            content, content_type = export.batch_csv(batch), "text/csv; charset=utf-8"
        elif extension == "xlsx":
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            content = export.batch_xlsx(batch)
        else:
            return redirect("admin:honoraria_paymentbatch_change", batch.pk)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, export.file_name(batch, extension))
        return response


@admin.register(ComplimentaryCopies)
class ComplimentaryCopiesAdmin(admin.ModelAdmin):
    list_display = ["contributor", "article", "copies", "address", "sent_on"]
    list_editable = ["copies", "sent_on"]
    list_filter = [("sent_on", admin.EmptyFieldListFilter), ("article__issue", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["contributor", "article"]
    search_fields = ["contributor__name", "article__title", "address"]
    autocomplete_fields = ["article", "contributor"]
