from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Subquery
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from articles.models import Article
from issues.models import Issue, IssuePDF, IssueStatusChange, MastheadLine, Periodical, Section
from issues.services import issue_notices_enqueue, issue_pdfs_enqueue, issue_transition
from issues.subscriptions.models import Download
from issues.workflow import TransitionNotAllowed


@admin.register(Periodical)
class PeriodicalAdmin(admin.ModelAdmin):
    """The periodical's one row: the list page goes straight to its form."""

    fieldsets = [
        (None, {"fields": ["name", "slogan", "circulation_note"]}),
        (_("主办信息"), {"fields": ["guiding_unit", "host_unit", "contact_email"]}),
        (_("征稿"), {"fields": ["call_for_papers", "manuscript_char_limit"]}),
    ]

    def changelist_view(self, request, extra_context=None):
        return redirect("admin:issues_periodical_change", Periodical.load().pk)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["full_name", "parent", "position", "slug"]
    list_editable = ["position"]
    list_select_related = ["parent"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name"]
    fields = ["name", "parent", "position", "slug"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = Section.objects.filter(parent__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


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

    fields = ["changed_at", "from_status", "to_status", "changed_by", "comment"]
    verbose_name_plural = _("状态变更记录")


class IssueStatusChangeInline(StatusChangeInline):
    model = IssueStatusChange


class MastheadLineInline(admin.TabularInline):
    model = MastheadLine
    fields = ["position", "label", "value"]
    extra = 1
    verbose_name_plural = _("版权页（按印刷顺序）")

    def get_extra(self, request, obj=None, **kwargs):
        if obj is None:
            return max(len(Issue.proposed_masthead()), 1)
        return 1


class ArticleInline(admin.TabularInline):
    model = Article
    fields = ["position", "section", "title", "in_toc", "status", "pages"]
    readonly_fields = ["status", "pages"]
    extra = 0
    show_change_link = True
    verbose_name_plural = _("本期文章（按印刷顺序）")

    @admin.display(description=_("页码"))
    def pages(self, article):
        return article.page_range or "—"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("section__parent")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "section":
            kwargs["queryset"] = Section.objects.select_related("parent")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def transition_action(to, description):
    @admin.action(description=description, permissions=["change"])
    def action(modeladmin, request, queryset):
        done = 0
        for obj in queryset:
            try:
                modeladmin.transition(obj, to=to, by=request.user)
                done += 1
            except TransitionNotAllowed as refusal:
                modeladmin.message_user(request, str(refusal), messages.ERROR)
        if done:
            modeladmin.message_user(request, _("已处理 %(count)d 项。") % {"count": done}, messages.SUCCESS)

    action.__name__ = f"make_{to}"
    return action


@admin.register(Issue)
class IssueAdmin(admin.ModelAdmin):
    list_display = ["issue_line", "title", "publication_date", "status", "article_count", "published_at", "downloads"]
    list_filter = ["status", "year"]
    search_fields = ["title", "=year", "=total_number"]
    date_hierarchy = "publication_date"
    readonly_fields = ["status", "published_at", "cover_preview", "table_of_contents", "pdf_builds"]
    fieldsets = [
        (None, {"fields": [("year", "number", "total_number"), "publication_date", "title", "print_run"]}),
        (_("封面"), {"fields": ["cover", "cover_preview"]}),
        (_("状态"), {"fields": ["status", "published_at"]}),
        (_("PDF"), {"fields": ["pdf_builds"]}),
        (_("本期顺序"), {"fields": ["table_of_contents"]}),
    ]
    inlines = [MastheadLineInline, ArticleInline, IssueStatusChangeInline]
    actions = [
        transition_action(Issue.Status.READY, _("定稿（已发布的期则撤回发布）")),
        transition_action(Issue.Status.PUBLISHED, _("发布")),
        transition_action(Issue.Status.DRAFT, _("退回草稿")),
        "build_pdfs",
        "send_notices",
    ]

    def transition(self, issue, *, to, by):
        issue_transition(issue=issue, to=to, by=by)

    def get_queryset(self, request):
        downloads = Download.objects.filter(issue=OuterRef("pk")).order_by().values("issue").annotate(n=Count("id"))
        return (
            super()
            .get_queryset(request)
            .annotate(article_count=Count("articles"), download_count=Subquery(downloads.values("n")))
            .order_by("-year", "-number")
        )

    @admin.display(description=_("文章数"), ordering="article_count")
    def article_count(self, issue):
        return issue.article_count

    @admin.display(description=_("PDF 下载"), ordering="download_count")
    def downloads(self, issue):
        if not issue.download_count:
            return 0
        url = reverse("admin:subscriptions_download_changelist") + f"?issue__id__exact={issue.pk}"
        return format_html('<a href="{}">{}</a>', url, issue.download_count)

    @admin.display(description=_("期次"), ordering="total_number")
    def issue_line(self, issue):
        return issue.issue_line

    @admin.display(description=_("封面预览"))
    def cover_preview(self, issue):
        if not issue.cover_thumbnail:
            return "—"
        return format_html('<img src="{}" alt="" style="max-width:240px">', issue.cover_thumbnail.url)

    @admin.display(description=_("本期目录"))
    def table_of_contents(self, issue):
        """The issue in print order, grouped by section, as editors will see it printed."""
        if issue.pk is None:
            return _("保存后在此显示本期文章的顺序。")
        rows, current = [], None
        for article in issue.articles.in_print_order().select_related("section__parent"):
            if article.section_id != current:
                current = article.section_id
                rows.append(format_html("<li><strong>{}</strong></li>", article.section.full_name))
            rows.append(
                format_html(
                    '<li style="margin-left:2em">{}. {}{}{}</li>',
                    article.position,
                    article.title,
                    format_html("（{}）", _("不列入目录")) if not article.in_toc else "",
                    format_html(" …… {}", article.page_range) if article.page_range else "",
                )
            )
        if not rows:
            return _("本期还没有文章。")
        return format_html(
            '<ol style="list-style:none;margin:0;padding:0">{}</ol>', format_html_join("", "{}", ((r,) for r in rows))
        )

    @admin.action(description=_("生成 PDF"), permissions=["change"])
    def build_pdfs(self, request, queryset):
        for issue in queryset:
            issue_pdfs_enqueue(issue=issue)
        self.message_user(request, _("已安排生成 %(count)d 期的 PDF。") % {"count": len(queryset)}, messages.SUCCESS)

    @admin.action(description=_("补发新刊通知（只发给尚未收到的订阅用户）"), permissions=["change"])
    def send_notices(self, request, queryset):
        published = [issue for issue in queryset if issue.is_published]
        for issue in published:
            issue_notices_enqueue(issue=issue)
        if published:
            self.message_user(request, _("已安排发送 %(count)d 期的新刊通知。") % {"count": len(published)})
        if len(published) < len(queryset):
            self.message_user(request, _("未发布的期不发送新刊通知。"), messages.WARNING)

    @admin.display(description=_("排版结果"))
    def pdf_builds(self, issue):
        if issue.pk is None:
            return "—"
        rows = []
        for record in IssuePDF.objects.filter(issue=issue).order_by("-variant"):
            download = (
                format_html(
                    '<a href="{}">{}</a>',
                    reverse("admin:issues_issue_pdf", args=[issue.pk, record.variant]),
                    _("下载"),
                )
                if record.path and record.path.is_file()
                else ""
            )
            figures = (
                _("%(pages)s 页，%(size).2f MB，耗时 %(seconds).1f 秒，%(when)s")
                % {
                    "pages": record.page_count,
                    "size": record.size_bytes / 1024 / 1024,
                    "seconds": record.build_seconds or 0,
                    "when": timezone.localtime(record.built_at).strftime("%Y-%m-%d %H:%M"),
                }
                if record.built_at
                else ""
            )
            error = format_html('<br><span class="errornote">{}</span>', record.error) if record.error else ""
            rows.append(
                format_html(
                    "<li><strong>{}</strong>：{} {} {}{}</li>",
                    record.get_variant_display(),
                    record.get_status_display(),
                    figures,
                    download,
                    error,
                )
            )
        if not rows:
            return _("尚未生成。")
        return format_html(
            '<ul style="margin:0;padding-left:1em">{}</ul>', format_html_join("", "{}", ((r,) for r in rows))
        )

    def get_urls(self):
        return [
            path(
                "<int:object_id>/build-pdf/",
                self.admin_site.admin_view(require_POST(self.build_pdf_view)),
                name="issues_issue_build_pdf",
            ),
            path(
                "<int:object_id>/pdf/<str:variant>/",
                self.admin_site.admin_view(self.pdf_view),
                name="issues_issue_pdf",
            ),
        ] + super().get_urls()

    def build_pdf_view(self, request, object_id):
        issue = get_object_or_404(Issue, pk=object_id)
        if not self.has_change_permission(request, issue):
            raise Http404
        issue_pdfs_enqueue(issue=issue)
        self.message_user(request, _("已安排生成 PDF，完成后在“排版结果”中查看。"), messages.SUCCESS)
        return redirect("admin:issues_issue_change", issue.pk)

    def pdf_view(self, request, object_id, variant):
        """The built PDF, for editors to check before publishing."""
        record = get_object_or_404(IssuePDF, issue_id=object_id, variant=variant)
        if not self.has_view_permission(request, record.issue) or not (record.path and record.path.is_file()):
            raise Http404
        return FileResponse(
            record.path.open("rb"), content_type="application/pdf", filename=f"{record.issue.key}-{variant}.pdf"
        )

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        today = timezone.localdate()
        year = int(initial.get("year") or today.year)
        number, total_number = Issue.next_numbers(year=year)
        return {"year": year, "number": number, "total_number": total_number, "publication_date": today} | initial

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        # A new issue starts from the last issue's masthead; only on the blank form, so
        # what the editor posts is saved as posted.
        if isinstance(inline, MastheadLineInline) and obj.pk is None and request.method == "GET":
            kwargs["initial"] = [
                {"position": position, **line} for position, line in enumerate(Issue.proposed_masthead(), start=1)
            ]
        return kwargs
