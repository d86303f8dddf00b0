"""The issue's page in the admin: where editors compose an issue, typeset it and publish it.

It sits above the other packages because an issue's page shows all of them: its articles,
its PDFs (typesetting) and how often they were downloaded (subscriptions).
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Subquery
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from articles.models import Article
from articles.services import issue_mark_ready, issue_publish, issue_send_back, issue_withdraw
from issues.admin import StatusChangeInline, transition_action
from issues.models import Issue, IssuePDF, IssueStatusChange, MastheadLine, Section
from issues.subscriptions.models import Download
from issues.subscriptions.tasks import issue_notices_enqueue
from issues.typesetting import flatplan
from issues.typesetting.tasks import issue_pdfs_enqueue
from issues.typesetting.thumbnails import page_image_path


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


@admin.register(Issue)
class IssueAdmin(admin.ModelAdmin):
    list_display = ["issue_line", "title", "publication_date", "status", "article_count", "published_at", "downloads"]
    list_filter = ["status", "year"]
    search_fields = ["title", "=year", "=total_number"]
    date_hierarchy = "publication_date"
    readonly_fields = ["status", "published_at", "cover_preview", "table_of_contents", "pdf_panel"]
    fieldsets = [
        (None, {"fields": [("year", "number", "total_number"), "publication_date", "title", "print_run"]}),
        (_("封面"), {"fields": ["cover", "cover_preview"]}),
        (_("状态"), {"fields": ["status", "published_at"]}),
        (_("PDF"), {"fields": ["pdf_panel"]}),
        (_("本期顺序"), {"fields": ["table_of_contents"]}),
    ]
    inlines = [MastheadLineInline, ArticleInline, IssueStatusChangeInline]
    actions = [
        transition_action(issue_mark_ready, object_name="issue", description=_("定稿")),
        transition_action(issue_publish, object_name="issue", description=_("发布")),
        transition_action(issue_withdraw, object_name="issue", description=_("撤回发布")),
        transition_action(issue_send_back, object_name="issue", description=_("退回草稿")),
        "build_pdfs",
        "send_notices",
    ]
    change_form_template = "admin/desk/issue_change_form.html"

    class Media:
        css = {"all": ["desk/desk.css"]}

    def get_queryset(self, request):
        downloads = Download.objects.filter(issue=OuterRef("pk")).order_by().values("issue").annotate(n=Count("id"))
        return (
            super()
            .get_queryset(request)
            .annotate(article_count=Count("articles"), download_count=Subquery(downloads.values("n")))
            .order_by("-year", "-number")
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

    # Columns and read-only fields

    @admin.display(description=_("文章数"), ordering="article_count")
    def article_count(self, issue):
        return issue.article_count

    @admin.display(description=_("PDF 下载"), ordering="download_count")
    def downloads(self, issue):
        if not issue.download_count:
            return 0
        url = reverse("admin:subscriptions_download_changelist") + f"?issue__id__exact={issue.pk}"
        return render_to_string("admin/_link.html", {"url": url, "text": issue.download_count})

    @admin.display(description=_("期次"), ordering="total_number")
    def issue_line(self, issue):
        return issue.issue_line

    @admin.display(description=_("封面预览"))
    def cover_preview(self, issue):
        return render_to_string("admin/desk/cover_preview.html", {"issue": issue})

    @admin.display(description=_("本期目录"))
    def table_of_contents(self, issue):
        """The issue in print order, grouped by section, as editors will see it printed."""
        articles = issue.articles.in_print_order().select_related("section__parent") if issue.pk else []
        return render_to_string("admin/desk/table_of_contents.html", {"issue": issue, "articles": articles})

    @admin.display(description=_("排版结果"))
    def pdf_panel(self, issue):
        """How each PDF build went, whether it is out of date, and the pages of the last one."""
        if issue.pk is None:
            return "—"
        return render_to_string("admin/desk/pdf_panel.html", {"panel": flatplan.pdf_panel(issue)})

    # Views of its own: queue a build, download a built PDF, show its pages

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
            path(
                "<int:object_id>/pages/<int:number>/",
                self.admin_site.admin_view(self.page_image_view),
                name="issues_issue_page_image",
            ),
            *super().get_urls(),
        ]

    def _issue_or_404(self, request, object_id):
        issue = self.get_object(request, str(object_id))  # through get_queryset, as the admin's own views
        if issue is None:
            raise Http404
        return issue

    def build_pdf_view(self, request, object_id):
        issue = self._issue_or_404(request, object_id)
        if not self.has_change_permission(request, issue):
            raise PermissionDenied
        issue_pdfs_enqueue(issue=issue)
        self.message_user(request, _("已安排生成 PDF，完成后在“排版结果”中查看。"), messages.SUCCESS)
        return redirect("admin:issues_issue_change", issue.pk)

    def pdf_view(self, request, object_id, variant):
        """The built PDF, for editors to check before publishing."""
        issue = self._issue_or_404(request, object_id)
        if not self.has_view_permission(request, issue):
            raise PermissionDenied
        record = issue.pdfs.filter(variant=variant).first()
        if record is None or not record.is_downloadable:
            raise Http404
        return FileResponse(
            record.path.open("rb"), content_type="application/pdf", filename=f"{issue.key}-{variant}.pdf"
        )

    def page_image_view(self, request, object_id, number):
        """A page of the last screen build, as a small image; confidential like the PDF itself."""
        issue = self._issue_or_404(request, object_id)
        if not self.has_view_permission(request, issue):
            raise PermissionDenied
        record = issue.pdfs.filter(variant=IssuePDF.Variant.SCREEN).first()
        image = page_image_path(record, number) if record else None
        if image is None:
            raise Http404
        response = FileResponse(image.open("rb"), content_type="image/webp")
        response["Cache-Control"] = "private, max-age=86400"  # the panel's URL changes with each build
        return response

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
