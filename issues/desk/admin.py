"""The issue's page in the admin: where editors compose an issue, typeset it and publish it.

It sits above the other packages because an issue's page shows all of them: its articles,
its PDFs (typesetting) and how often they were downloaded (subscriptions).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce, Length
from django.forms.utils import flatatt
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from articles.models import Article
from articles.services import (
    article_mark_ready,
    issue_mark_ready,
    issue_obstacles,
    issue_publish,
    issue_send_back,
    issue_withdraw,
)
from issues.admin import StatusChangeInline, transition_action
from issues.circulation.services import circulation_panel
from issues.models import Issue, IssuePDF, IssueStatusChange, MastheadLine, Section
from issues.proofs.services import may_settle, proofs_panel
from issues.subscriptions.models import Download
from issues.subscriptions.services import notice_recipients
from issues.subscriptions.tasks import issue_notices_enqueue
from issues.typesetting import flatplan
from issues.typesetting.tasks import issue_pdfs_enqueue
from issues.typesetting.thumbnails import page_image_path
from issues.workflow import DRAFT, PUBLISHED, READY, TransitionNotAllowed


class IssueStatusChangeInline(StatusChangeInline):
    model = IssueStatusChange


class MastheadLineForm(forms.ModelForm):
    """A masthead line; the value of a line generated from the issue (date, print run) is not typed in."""

    class Meta:
        model = MastheadLine
        fields = ["position", "label", "value", "kind"]
        widgets = {"kind": forms.HiddenInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "kind" not in self.fields:  # a published issue's lines are read-only
            return
        value, kind = self.fields["value"], self["kind"].value()
        if kind in (MastheadLine.Kind.PUBLICATION, MastheadLine.Kind.PRINT_RUN):
            value.disabled, value.required = True, False
            value.widget.attrs["placeholder"] = _("保存后按本期信息生成")
            value.help_text = (
                _("由本期的出版日期和期次生成")
                if kind == MastheadLine.Kind.PUBLICATION
                else _("由本期的印数生成（印数留空则按发送对象合计）")
            )
        else:
            value.required = True  # a standing line is typed in; the model allows blank for generated ones


class MastheadLineInline(admin.TabularInline):
    """The masthead: standing lines copied from the last issue; the issue's own lines generated from it."""

    model = MastheadLine
    form = MastheadLineForm
    fields = ["position", "label", "value", "kind"]
    extra = 1
    verbose_name_plural = _("版权页（按印刷顺序）")

    def get_extra(self, request, obj=None, **kwargs):
        if obj is None:
            return max(len(Issue.proposed_masthead()), 1)
        return 1

    # A published issue's masthead is what was printed: shown, never changed.
    def has_add_permission(self, request, obj=None):
        return not (obj and obj.is_published) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not (obj and obj.is_published) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj and obj.is_published) and super().has_delete_permission(request, obj)

    def get_fields(self, request, obj=None):
        return ["position", "label", "value"] if obj and obj.is_published else self.fields


class PlainSelect(forms.Select):
    """A select whose options are escaped once and written out directly, not through a template each.

    The issue page has one section select per article: 30 articles × every section in option
    templates was most of the page's server time.
    """

    def __init__(self, options, attrs=None):
        super().__init__(attrs)
        self.options_html = [(str(key), escape(label)) for key, label in options]

    def render(self, name, value, attrs=None, renderer=None):
        value = "" if value is None else str(value)
        options = "".join(
            f'<option value="{key}"{" selected" if key == value else ""}>{label}</option>'
            for key, label in self.options_html
        )
        return format_html(
            "<select{}>{}</select>", flatatt(self.build_attrs(self.attrs, attrs) | {"name": name}), mark_safe(options)
        )


class ArticleInline(admin.TabularInline):
    """The issue's articles in print order; rows are dragged into order (static/desk/reorder.js)."""

    model = Article
    fields = ["position", "section", "title", "in_toc", "is_lead", "status", "pages", "characters"]
    readonly_fields = ["status", "pages", "characters"]
    extra = 0
    can_delete = False  # it would delete the article itself; it leaves the issue on its own page
    classes = ["desk-reorderable"]
    template = "admin/desk/article_inline.html"
    verbose_name_plural = _("本期文章（按印刷顺序，拖动调整）")

    @admin.display(description=_("页码"))
    def pages(self, article):
        return article.page_range or "—"

    def has_add_permission(self, request, obj=None):
        return False  # a new article is written on its own page (the inline links there) or put in with 排入本期

    @admin.display(description=_("字数"))
    def characters(self, article):
        return article.characters

    def get_queryset(self, request):
        # The bodies are not edited here: leave them in the database, count their text there.
        return (
            super()
            .get_queryset(request)
            .select_related("section__parent")
            .defer("body", "plain_text", "summary")
            .annotate(characters=Length("plain_text"))
        )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "section":
            # A plain select (sections are edited on their own page) whose options are read once
            # for all rows: a ModelChoiceField would query them again for every article.
            field.choices = [("", "---------"), *((s.pk, str(s)) for s in Section.objects.select_related("parent"))]
            field.widget = PlainSelect(field.choices)
        return field


class IssueForm(forms.ModelForm):
    """The issue's fields, and the unscheduled articles (accepted submissions, say) to put into it."""

    schedule = forms.ModelMultipleChoiceField(
        label=_("排入本期"),
        queryset=Article.objects.none(),
        required=False,
        widget=FilteredSelectMultiple(_("未排期的文章"), is_stacked=False),
        help_text=_("尚未排期的文章（如录用的来稿）；保存后按所选顺序排在本期文章之后。"),
    )

    class Meta:
        model = Issue
        fields = ["year", "number", "total_number", "publication_date", "title", "print_run", "cover"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["schedule"].queryset = Article.objects.filter(issue__isnull=True).order_by("created_at", "id")


@admin.register(Issue)
class IssueAdmin(admin.ModelAdmin):
    list_display = ["issue_line", "title", "publication_date", "status", "article_count", "published_at", "downloads"]
    list_filter = ["status", "year"]
    search_fields = ["title", "=year", "=total_number"]
    date_hierarchy = "publication_date"
    # The page top to bottom (templates/admin/desk/issue_change_form.html): the issue's fields, its
    # next step with what still stops it, the articles, the masthead, the PDFs, the history.
    readonly_fields = ["cover_preview", "default_print_run"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("year", "number", "total_number"),
                    "publication_date",
                    "title",
                    ("print_run", "default_print_run"),
                ]
            },
        ),
        (_("封面"), {"fields": [("cover", "cover_preview")]}),
        (_("排入文章"), {"fields": ["schedule"]}),
    ]
    form = IssueForm
    inlines = [ArticleInline, MastheadLineInline, IssueStatusChangeInline]
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
        js = ["desk/reorder.js"]

    def get_queryset(self, request):
        # Counts as subqueries: a join of the articles would make every count of the list (and its
        # date hierarchy) read all of them.
        downloads = Download.objects.filter(issue=OuterRef("pk")).order_by().values("issue").annotate(n=Count("id"))
        articles = Article.objects.filter(issue=OuterRef("pk")).order_by().values("issue").annotate(n=Count("id"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                article_count=Coalesce(Subquery(articles.values("n")), 0),
                download_count=Subquery(downloads.values("n")),
            )
            .order_by("-year", "-number")
        )

    @admin.action(description=_("生成 PDF"), permissions=["change"])
    def build_pdfs(self, request, queryset):
        queued = [issue for issue in queryset if issue_pdfs_enqueue(issue=issue)]
        if queued:
            self.message_user(request, _("已安排生成 %(count)d 期的 PDF。") % {"count": len(queued)}, messages.SUCCESS)
        if len(queued) < len(queryset):
            self.message_user(request, _("PDF 来自导入的原版 PDF 的期次不重新生成。"), messages.WARNING)

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

    @admin.display(description=_("按发送对象合计"))
    def default_print_run(self, issue):
        """What the masthead prints when 印数 is left empty (issues.circulation registers it)."""
        proposed = issue.default_print_run() if issue and issue.pk else None
        return _("%(count)d 册") % {"count": proposed} if proposed else "—"

    @admin.display(description=_("封面预览"))
    def cover_preview(self, issue):
        return render_to_string("admin/desk/cover_preview.html", {"issue": issue})

    def proofs_panel(self, request, issue):
        """三校: the issue's proof rounds and the button for the next one."""
        context = {"panel": proofs_panel(issue), "may_start": may_settle(request.user)}
        return render_to_string("admin/proofs/issue_panel.html", context)

    def circulation_panel(self, request, issue):
        """发行: the print run from the recipients list, the print order and the mailing labels."""
        if not request.user.has_perm("circulation.view_printorder"):
            return ""
        return render_to_string("admin/circulation/issue_panel.html", {"panel": circulation_panel(issue)})

    def pdf_panel(self, issue):
        """How each PDF build went, whether it is out of date, and the pages of the last one."""
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
                "<int:object_id>/step/<str:step>/",
                self.admin_site.admin_view(self.step_view),
                name="issues_issue_step",
            ),
            path(
                "<int:object_id>/articles-ready/",
                self.admin_site.admin_view(require_POST(self.articles_ready_view)),
                name="issues_issue_articles_ready",
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
        if issue_pdfs_enqueue(issue=issue):
            self.message_user(request, _("已安排生成 PDF，完成后在“排版结果”中查看。"), messages.SUCCESS)
        else:
            self.message_user(request, _("本期 PDF 来自导入的原版 PDF，不重新生成。"), messages.ERROR)
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

    # The next step (定稿, 发布, 退回, 撤回): a button on the issue's page, a page saying what it will do

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        scheduled = form.cleaned_data.get("schedule") or []
        last = form.instance.articles.aggregate(last=Max("position"))["last"] or 0
        for offset, article in enumerate(scheduled, start=1):
            # Only articles still unscheduled: another editor may have taken one meanwhile.
            Article.objects.filter(pk=article.pk, issue__isnull=True).update(
                issue=form.instance, position=last + offset * 10
            )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context["desk"] = self._desk_context(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _desk_context(self, request, issue):
        may_change = self.has_change_permission(request, issue)
        steps = [
            {**STEPS[name], "name": name, "obstacles": self._obstacles(issue, name)}
            for name in NEXT_STEPS[issue.status]
        ]
        drafts = issue.articles.filter(status=DRAFT).count()
        return {
            "pdf_panel": self.pdf_panel(issue),
            "proofs_panel": self.proofs_panel(request, issue),
            "circulation_panel": self.circulation_panel(request, issue),
            "steps": steps if may_change else [],
            "checklist": steps[0]["obstacles"] if steps else [],
            "draft_articles": drafts if may_change else 0,
        }

    @staticmethod
    def _obstacles(issue, step):
        target = STEPS[step]["target"]
        return issue_obstacles(issue, target=target) if target in (READY, PUBLISHED) else []

    def step_view(self, request, object_id, step):
        issue = self._issue_or_404(request, object_id)
        if step not in STEPS:
            raise Http404
        if not self.has_change_permission(request, issue):
            raise PermissionDenied
        change_url = reverse("admin:issues_issue_change", args=[issue.pk])
        if request.method == "POST":
            try:
                STEPS[step]["service"](issue=issue, by=request.user, comment=request.POST.get("comment", "")[:500])
            except TransitionNotAllowed as refusal:
                self.message_user(request, str(refusal), messages.ERROR)
            else:
                done = STEPS[step].get("done_imported") if issue.has_imported_pdf() else None
                self.message_user(request, (done or STEPS[step]["done"]) % {"issue": issue}, messages.SUCCESS)
            return redirect(change_url)
        articles = list(issue.articles.in_print_order().select_related("section__parent").defer("body"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("%(step)s：%(issue)s") % {"step": STEPS[step]["label"], "issue": issue},
            "opts": self.opts,
            "original": issue,
            "step": {**STEPS[step], "name": step},
            "allowed": step in NEXT_STEPS[issue.status],
            "obstacles": self._obstacles(issue, step),
            "articles": articles,
            "publishing": [a for a in articles if a.status == READY],
            "recipients": notice_recipients(issue).count() if step == "publish" else 0,
            "padding": flatplan.padding_preview(issue.pdfs.filter(variant=IssuePDF.Variant.SCREEN).first()),
            "pdf_imported": issue.has_imported_pdf(),
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/desk/issue_step.html", context)

    def articles_ready_view(self, request, object_id):
        """定稿 all draft articles of the issue at once."""
        issue = self._issue_or_404(request, object_id)
        if not (self.has_change_permission(request, issue) and request.user.has_perm("articles.change_article")):
            raise PermissionDenied
        done = 0
        for article in issue.articles.filter(status=DRAFT):
            try:
                article_mark_ready(article=article, by=request.user)
                done += 1
            except TransitionNotAllowed as refusal:  # changed by someone else meanwhile
                self.message_user(request, str(refusal), messages.ERROR)
        self.message_user(request, _("已将 %(count)d 篇文章定稿。") % {"count": done}, messages.SUCCESS)
        return redirect("admin:issues_issue_change", issue.pk)

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
        # The numbers after the latest issue; no date: the editor sets it (the calendar's today is no guess).
        year, number, total_number = Issue.next_numbers()
        return {"year": year, "number": number, "total_number": total_number} | super().get_changeform_initial_data(
            request
        )

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        # A new issue starts from the last issue's masthead; only on the blank form, so
        # what the editor posts is saved as posted.
        if isinstance(inline, MastheadLineInline) and obj.pk is None and request.method == "GET":
            kwargs["initial"] = [
                {"position": position, **line} for position, line in enumerate(Issue.proposed_masthead(), start=1)
            ]
        return kwargs


STEPS = {
    "mark_ready": {
        "label": _("定稿"),
        "service": issue_mark_ready,
        "target": READY,
        "done": _("%(issue)s已定稿，可以发布。"),
    },
    "publish": {
        "label": _("发布"),
        "service": issue_publish,
        "target": PUBLISHED,
        "done": _("%(issue)s已发布：PDF 正在生成，新刊通知随后发出。"),
        "done_imported": _("%(issue)s已发布：读者下载导入的原版 PDF，新刊通知随后发出。"),
    },
    "send_back": {
        "label": _("退回草稿"),
        "service": issue_send_back,
        "target": DRAFT,
        "done": _("%(issue)s已退回草稿。"),
    },
    "withdraw": {
        "label": _("撤回发布"),
        "service": issue_withdraw,
        "target": READY,
        "done": _("%(issue)s已撤回发布，读者看不到了。"),
    },
}
NEXT_STEPS = {DRAFT: ["mark_ready"], READY: ["publish", "send_back"], PUBLISHED: ["withdraw"]}
