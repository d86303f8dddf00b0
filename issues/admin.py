"""The periodical's settings and sections, the admin pieces every app's admin shares, and the
third-party admins (the task queue, the sign-in log) in the editors' language.

The issue page itself, where an issue is composed, typeset and published, is the desk's
(issues/desk/admin.py): it brings together articles, PDFs and downloads from the floors above.
"""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from issues.models import Periodical, Section, StandingPage
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
        (_("印制"), {"fields": ["page_size", "folio_start", "masthead_placement", "pages_per_signature"]}),
        (_("内部资料"), {"fields": ["internal_publication", "permit_number"]}),
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

    list_display = ["name_in_tree", "parent", "position", "slug"]
    list_editable = ["position"]
    list_select_related = ["parent"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name"]
    fields = ["name", "parent", "position", "slug"]

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
