"""The periodical's settings and sections, the admin pieces every app's admin shares, and the
third-party admins (the task queue, the sign-in log) in the editors' language.

The issue page itself, where an issue is composed, typeset and published, is the desk's
(issues/desk/admin.py): it brings together articles, PDFs and downloads from the floors above.
"""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template import TemplateSyntaxError
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from issues.mail import compile_template, known_mails, render_plain
from issues.models import MailTemplate, Periodical, Section, StandingPage
from issues.workflow import TransitionNotAllowed


class StandingPageInline(admin.StackedInline):
    """The pages printed after the articles, in print order.

    They are part of the periodical's settings, so whoever may change those may edit them: the
    model has no admin of its own through which its own permissions would be handed out.
    """

    model = StandingPage
    fields = ["title", "text", "position"]
    ordering = ["position", "id"]
    extra = 0

    def _may(self, request, action):
        opts = self.parent_model._meta
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")

    def has_view_permission(self, request, obj=None):
        return self._may(request, "view") or self._may(request, "change")

    def has_add_permission(self, request, obj=None):
        return self._may(request, "change")

    def has_change_permission(self, request, obj=None):
        return self._may(request, "change")

    def has_delete_permission(self, request, obj=None):
        return self._may(request, "change")


@admin.register(Periodical)
class PeriodicalAdmin(admin.ModelAdmin):
    """The periodical's one row: the list page goes straight to its form."""

    fieldsets = [
        (None, {"fields": ["name", "slogan", "circulation_note"]}),
        (_("主办信息"), {"fields": ["guiding_unit", "host_unit", "contact_email"]}),
        (_("征稿"), {"fields": ["call_for_papers", "manuscript_char_limit"]}),
        (
            _("印制"),
            {"fields": ["page_size", "folio_start", "masthead_placement", "pages_per_signature", "article_qr_codes"]},
        ),
        (_("内部资料"), {"fields": ["internal_publication", "permit_number", "issn"]}),
        (_("网站"), {"fields": ["article_pdfs_open"]}),
    ]
    inlines = [StandingPageInline]

    def changelist_view(self, request, extra_context=None):
        return redirect("admin:issues_periodical_change", Periodical.load().pk)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    """The sections in tree order (Section.Meta.ordering): each parent followed by its sub-sections."""

    list_display = ["name_in_tree", "parent", "kind", "position", "slug"]
    list_editable = ["position"]
    list_select_related = ["parent"]
    list_filter = ["kind", ("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name"]
    fields = ["name", "parent", "kind", "position", "slug"]

    @admin.display(description=_("栏目"))
    def name_in_tree(self, section):
        return section.full_name

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = Section.objects.filter(parent__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SectionListFilter(admin.RelatedOnlyFieldListFilter):
    """Filter by the sections the rows use, named "上级 › 子栏目" with one query, not one per sub-section."""

    def field_choices(self, field, request, model_admin):
        used = model_admin.get_queryset(request).distinct().values_list(f"{self.field_path}__pk", flat=True)
        sections = Section.objects.filter(pk__in=used).select_related("parent")
        return [(section.pk, section.full_name) for section in sections]


class ReadOnlyInline(admin.TabularInline):
    """Rows shown for the record (history, uploaded files): nobody adds, edits or deletes them here."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StatusChangeInline(ReadOnlyInline):
    """History of status changes."""

    fields = ["changed_at", "from_label", "to_label", "changed_by", "comment"]
    verbose_name_plural = _("状态变更记录")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")

    @admin.display(description=_("原状态"))
    def from_label(self, change):
        return change.from_label

    @admin.display(description=_("新状态"))
    def to_label(self, change):
        return change.to_label


def transition_action(service, *, object_name: str, description):
    """An admin action running the named transition `service` on each selected row as `object_name=row`.

    E.g. `transition_action(issue_publish, object_name="issue", description=_("发布"))` is the
    action "publish"; each refusal becomes an error message naming the row.
    """

    @admin.action(description=description, permissions=["change"])
    def action(modeladmin, request, queryset):
        done = 0
        for obj in queryset:
            try:
                service(**{object_name: obj}, by=request.user)
                done += 1
            except TransitionNotAllowed as refusal:
                modeladmin.message_user(request, str(refusal), messages.ERROR)
        if done:
            modeladmin.message_user(request, _("已处理 %(count)d 项。") % {"count": done}, messages.SUCCESS)

    action.__name__ = service.__name__.removeprefix(f"{object_name}_")
    return action


# Third-party admins, in the editors' language ---------------------------------------------------


admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    """The task queue's results (PDF builds, e-mails): for whoever runs the server, not for editors.

    Editors follow a PDF build on the issue's page; a task's traceback is for the operator.
    """

    list_display = ["task", "status", "enqueued_at", "started_at", "finished_at"]
    list_filter = ["status"]  # one queue and one priority in this project

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    @admin.display(description=_("任务"))
    def task(self, result):
        return result.task_name

    @admin.display(description=_("错误详情"))
    def formatted_traceback(self, result):
        return super().formatted_traceback(result)

    @admin.display(description=_("最早执行时间"))
    def display_run_after(self, result):
        return super().display_run_after(result)


admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LoginAttemptAdmin(AccessAttemptAdmin):
    @admin.display(description=_("状态"))
    def status(self, attempt):
        remaining = settings.AXES_FAILURE_LIMIT - attempt.failures_since_start
        if remaining > 0:
            return gettext("还可尝试 %(count)d 次") % {"count": remaining}
        return gettext("已锁定")


class MailTemplateForm(forms.ModelForm):
    """An edited wording of one of the site's mails: it must compile and use only the variables its mail provides.

    Submitted with the 预览 button, a valid form is not saved: the page comes back with the mail
    rendered from the registry's sample values (`preview`).
    """

    PREVIEW = "_preview"

    class Meta:
        model = MailTemplate
        fields = ["name", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 18, "cols": 90})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.preview = None
        if "name" in self.fields:  # adding: one of the declared mails that has no edited wording yet
            edited = set(MailTemplate.objects.values_list("name", flat=True))
            choices = [(name, spec.description) for name, spec in known_mails().items() if name not in edited]
            self.fields["name"] = forms.ChoiceField(label=_("邮件"), choices=[("", "---------"), *choices])

    def _checked(self, field):
        source = self.cleaned_data.get(field, "")
        spec = known_mails().get(self.instance.name or self.cleaned_data.get("name", ""))
        try:
            compile_template(source)
        except TemplateSyntaxError as error:
            raise ValidationError(
                _("模板写法有误，无法使用：请检查 {{ }} 与 {%% %%} 是否成对、标签是否写错（%(detail)s）。"),
                params={"detail": error},
            ) from None
        unknown = spec.unknown_variables(source) if spec else []
        if unknown:
            raise ValidationError(
                _("这封邮件没有这些变量：%(names)s。可用的变量列在表单下方。"), params={"names": "、".join(unknown)}
            )
        return source

    def clean_subject(self):
        return self._checked("subject")

    def clean_body(self):
        return self._checked("body")

    def clean(self):
        cleaned = super().clean()
        spec = known_mails().get(self.instance.name or cleaned.get("name", ""))
        if spec is None or self.errors:
            return cleaned
        try:
            context = spec.sample_context()
            self.preview = {
                "subject": " ".join(render_plain(cleaned["subject"], context).split()),
                "body": render_plain(cleaned["body"], context),
            }
        except Exception as error:  # a filter or tag failing on real values would fail the same way when sent
            raise ValidationError(_("用示例数据试写这封邮件时出错：%(detail)s"), params={"detail": error}) from None
        return cleaned

    def is_valid(self):
        """False after a preview even when valid, so the admin shows the form again instead of saving."""
        return super().is_valid() and self.PREVIEW not in self.data


@admin.register(MailTemplate)
class MailTemplateAdmin(admin.ModelAdmin):
    """The site's e-mails as the office words them: every declared mail is listed; editing one stores an override."""

    form = MailTemplateForm
    change_list_template = "admin/issues/mailtemplate/change_list.html"
    change_form_template = "admin/issues/mailtemplate/change_form.html"
    actions = None

    def get_fields(self, request, obj=None):
        return ["mail_description", "subject", "body"] if obj else ["name", "subject", "body"]

    def get_readonly_fields(self, request, obj=None):
        return ["mail_description"] if obj else []

    @admin.display(description=_("邮件"))
    def mail_description(self, template):
        spec = known_mails().get(template.name)
        return spec.description if spec else template.name

    def changelist_view(self, request, extra_context=None):
        edited = {template.name: template for template in MailTemplate.objects.all()}
        may_add = self.has_add_permission(request)
        mails = []
        for name, spec in known_mails().items():
            template = edited.get(name)
            if template is not None:
                url = reverse("admin:issues_mailtemplate_change", args=[template.pk])
            else:
                url = reverse("admin:issues_mailtemplate_add") + f"?name={name}" if may_add else ""
            mails.append({"spec": spec, "edited": template, "url": url})
        return super().changelist_view(request, (extra_context or {}) | {"mails": mails})

    def get_changeform_initial_data(self, request):
        """Adding from the list: the chosen mail, starting from its file templates' text."""
        initial = super().get_changeform_initial_data(request)
        spec = known_mails().get(initial.get("name", ""))
        if spec is not None:
            initial["subject"], initial["body"] = spec.editable_sources()
        return initial

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context["adminform"].form
        name = obj.name if obj else form["name"].value()
        spec = known_mails().get(name or "")
        context |= {
            "mail": spec,
            "mail_help": _(
                "在标题或正文里写 {{ 变量 }}，发信时换成实际内容；{%% if 变量 %%}…{%% endif %%} 可在变量为空时省去一段。"
                "邮件是纯文本，不做 HTML 转义。"
            )
            % {},
            "preview": form.preview,
            "preview_name": MailTemplateForm.PREVIEW,
        }
        return super().render_change_form(request, context, add, change, form_url, obj)
