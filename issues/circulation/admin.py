"""发行 in the admin: the recipients list (with its import from and export to Excel) and each issue's print order."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from issues.circulation import roster
from issues.circulation.documents import labels_pdf, print_order_pdf
from issues.circulation.models import PrintOrder, Recipient
from issues.circulation.services import ImportRefused, circulation_panel, print_run_for, recipients_import
from issues.circulation.sheets import SHEETS
from issues.models import Issue


class ActiveFilter(admin.SimpleListFilter):
    title = _("寄送状态")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("now", _("正在寄送")), ("ended", _("已停止")), ("later", _("尚未开始"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "now":
            return queryset.active_on(today)
        if self.value() == "ended":
            return queryset.ended(today)
        if self.value() == "later":
            return queryset.not_started(today)
        return queryset


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("名单文件"),
        help_text=_("CSV 或电子表格文件，第一行为表头（与导出的文件相同）。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin):
    list_display = ["organisation", "contact", "post_code", "address", "phone", "copies", "active_from", "active_to"]
    list_filter = [ActiveFilter]
    search_fields = ["organisation", "contact", "address", "post_code", "phone", "note"]
    fields = [
        "organisation",
        ("contact", "phone"),
        "address",
        "post_code",
        "copies",
        ("active_from", "active_to"),
        "note",
    ]
    change_list_template = "admin/circulation/recipient/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="circulation_recipient_import"),
            path("export/<str:extension>/", view(self.export_view), name="circulation_recipient_export"),
            *super().get_urls(),
        ]

    def export_view(self, request, extension):
        """The list as the change list shows it (its filters and search), as CSV or .xlsx."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if extension not in ("csv", "xlsx"):
            raise Http404
        recipients = self.get_changelist_instance(request).get_queryset(request)
        if extension == "csv":
            content, content_type = roster.recipients_csv(recipients), "text/csv; charset=utf-8"
        else:
            content = roster.recipients_xlsx(recipients)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, roster.file_name(extension))
        return response

    def import_view(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        problems = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = recipients_import(name=upload.name, data=upload.read(roster.MAX_UPLOAD_BYTES + 1))
            except ImportRefused as refusal:
                problems = refusal.problems
            else:
                self.message_user(
                    request,
                    gettext("已导入发送对象：新增 %(created)d，更新 %(updated)d。")
                    % {"created": result.created, "updated": result.updated},
                    messages.SUCCESS,
                )
                return redirect("admin:circulation_recipient_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("导入发送对象"),
            "form": form,
            "problems": problems,
            "headers": roster.headers(),
        }
        return TemplateResponse(request, "admin/circulation/recipient/import.html", context)


class PrintOrderForm(forms.ModelForm):
    class Meta:
        model = PrintOrder
        fields = ["issue", "reserve", "paper_note", "delivery_date"]


@admin.register(PrintOrder)
class PrintOrderAdmin(admin.ModelAdmin):
    """An issue's print order: what is typed per issue (reserve, paper, delivery), the rest from the lists."""

    form = PrintOrderForm
    list_display = ["__str__", "print_run", "reserve", "delivery_date", "updated_at"]
    list_select_related = ["issue"]
    readonly_fields = ["print_run", "documents"]
    autocomplete_fields = ["issue"]

    def get_fields(self, request, obj=None):
        return ["issue", "print_run", "reserve", "paper_note", "delivery_date", "documents"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "issue"] if obj else self.readonly_fields

    def get_changeform_initial_data(self, request):
        """Opened from an issue (?issue=…): that issue, with the previous issue's reserve, paper and lead time."""
        initial = super().get_changeform_initial_data(request)
        issue = (
            Issue.objects.filter(pk=initial.get("issue")).first() if str(initial.get("issue", "")).isdigit() else None
        )
        if issue is not None:
            proposed = PrintOrder.for_issue(issue)
            initial |= {
                "reserve": proposed.reserve,
                "paper_note": proposed.paper_note,
                "delivery_date": proposed.delivery_date,
            }
        return initial

    @admin.display(description=_("印数"))
    def print_run(self, order):
        if not order.pk:
            return gettext("保存后按发送对象、样刊和留存计算")
        run = print_run_for(order.issue, order)
        return gettext(
            "%(total)d 册（发送对象 %(units)d 家 %(copies)d 册，作者样刊 %(authors)d 册，留存 %(reserve)d 册）"
        ) % {
            "total": run.total,
            "units": run.recipients,
            "copies": run.recipient_copies,
            "authors": run.author_copies,
            "reserve": run.reserve,
        }

    @admin.display(description=_("文件"))
    def documents(self, order):
        if not order.pk:
            return "—"
        return render_to_string("admin/circulation/documents.html", {"panel": circulation_panel(order.issue)})

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("issue/<int:issue_id>/", view(self.for_issue_view), name="circulation_printorder_for_issue"),
            path("issue/<int:issue_id>/order/", view(self.order_pdf_view), name="circulation_printorder_pdf"),
            path("issue/<int:issue_id>/labels/<str:sheet>/", view(self.labels_pdf_view), name="circulation_labels_pdf"),
            *super().get_urls(),
        ]

    def for_issue_view(self, request, issue_id):
        """From the issue's page: its print order's form, or the form for a new one."""
        issue = get_object_or_404(Issue, pk=issue_id)
        order = PrintOrder.objects.filter(issue=issue).first()
        if order is not None:
            return redirect("admin:circulation_printorder_change", order.pk)
        if not self.has_add_permission(request):
            raise PermissionDenied
        return redirect(reverse("admin:circulation_printorder_add") + f"?issue={issue.pk}")

    def order_pdf_view(self, request, issue_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        issue = get_object_or_404(Issue, pk=issue_id)
        return _pdf_response(print_order_pdf(issue), gettext("%(issue)s印刷委托单.pdf") % {"issue": issue.issue_line})

    def labels_pdf_view(self, request, issue_id, sheet):
        if not (self.has_view_permission(request) and request.user.has_perm("circulation.view_recipient")):
            raise PermissionDenied
        if sheet not in SHEETS:
            raise Http404
        issue = get_object_or_404(Issue, pk=issue_id)
        name = gettext("%(issue)s邮寄标签（%(sheet)s）.pdf") % {"issue": issue.issue_line, "sheet": sheet}
        return _pdf_response(labels_pdf(issue, SHEETS[sheet]), name)


def _pdf_response(pdf: bytes, file_name: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, file_name)
    return response
