import hashlib
import re
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from articles import word
from articles.sanitize import sanitize_html
from articles.submissions import manuscripts
from articles.submissions.models import Manuscript, Submission, SubmissionEvent
from articles.submissions.review_admin import SubmissionReviewsMixin
from articles.submissions.services import submission_accept, submission_transition
from articles.word import WordError
from issues.admin import ReadOnlyInline, StatusChangeInline
from issues.files import protected_file_response
from issues.models import Issue, Section
from issues.workflow import TransitionNotAllowed

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

AUTHOR_FIELDS = [
    "tracking_number", "title", "author_name", "affiliation", "postal_address", "phone", "email",
    "co_authors", "abstract", "submitted_at", "submitter_ip",
]  # fmt: skip


class DecisionForm(forms.ModelForm):
    """The submission's page in the admin, plus the editor's next step and message to the author."""

    next_status = forms.ChoiceField(label=_("处理"), required=False)
    message = forms.CharField(
        label=_("给作者的说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("作者会在状态页和邮件里看到。"),
    )  # fmt: skip
    section = forms.ModelChoiceField(
        label=_("录用后放入栏目"), queryset=Section.objects.select_related("parent"), required=False
    )
    issue = forms.ModelChoiceField(
        label=_("录用后排入期刊"), queryset=Issue.objects.filter(status=Issue.Status.DRAFT), required=False,
        help_text=_("可不选，以后在期刊页面排入。"),
    )  # fmt: skip

    class Meta:
        model = Submission
        fields = ["assigned_editor", "internal_notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        moves = self.instance.allowed_moves(by_editor=True)
        if not self.instance.is_decided and self.instance.reviews_passed:
            # In one step once 终审 has passed: submission_accept makes the moves on the way.
            moves = moves | {Submission.Status.ACCEPTED}  # a new set: never the model's own EDITOR_MOVES
        self.fields["next_status"].choices = [("", _("（不变）"))] + [
            (value, label) for value, label in Submission.Status.choices if value in moves
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("next_status") == Submission.Status.ACCEPTED and not cleaned.get("section"):
            self.add_error("section", _("录用时请选择栏目。"))
        return cleaned


class ManuscriptInline(ReadOnlyInline):
    """Every version of the manuscript, newest first, each downloadable as the author sent it."""

    model = Manuscript
    fields = ["uploaded_at", "download", "size", "char_count"]
    verbose_name_plural = _("稿件版本（新的在前）")

    @admin.display(description=_("原文件名"))
    def download(self, manuscript):
        url = reverse("admin:submissions_submission_manuscript", args=[manuscript.submission_id, manuscript.pk])
        return render_to_string("admin/_link.html", {"url": url, "text": manuscript.original_name})

    @admin.display(description=_("大小"))
    def size(self, manuscript):
        try:
            return filesizeformat(manuscript.file.size)
        except OSError:
            return _("文件缺失")


class SubmissionEventInline(StatusChangeInline):
    model = SubmissionEvent
    fields = [*StatusChangeInline.fields, "stage"]  # "复审中": a review level passing stays 审稿中
    verbose_name_plural = _("处理记录")


@admin.register(Submission)
class SubmissionAdmin(SubmissionReviewsMixin, admin.ModelAdmin):
    form = DecisionForm
    list_display = ["tracking_number", "title", "author_name", "affiliation", "status", "char_count", "assigned_editor", "submitted_at"]  # fmt: skip
    list_filter = ["status", ("assigned_editor", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["tracking_number", "title", "author_name", "affiliation", "email"]
    readonly_fields = [
        *AUTHOR_FIELDS, "status", "review_panel", "char_count", "manuscript_text", "manuscript_changes", "article_link"
    ]  # fmt: skip
    fieldsets = [
        (_("稿件"), {"fields": AUTHOR_FIELDS}),
        (_("三审"), {"fields": ["review_panel"]}),
        (
            _("处理"),
            {"fields": ["status", "assigned_editor", "next_status", "message", "section", "issue", "article_link"]},
        ),
        (_("内部"), {"fields": ["internal_notes"]}),
        (_("正文"), {"fields": ["char_count", "manuscript_text", "manuscript_changes"]}),
    ]
    inlines = [ManuscriptInline, SubmissionEventInline, *SubmissionReviewsMixin.review_inlines]

    class Media:
        css = {"all": ["desk/desk.css", "desk/manuscript.css"]}

    def has_add_permission(self, request):
        return False  # submissions come through the public form

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("assigned_editor").prefetch_related("manuscripts")

    @admin.display(description=_("字数"))
    def char_count(self, submission):
        manuscript = submission.manuscript
        return manuscript.char_count if manuscript else "—"

    @admin.display(description=_("正文（录用后的样子）"))
    def manuscript_text(self, submission):
        manuscript = submission.manuscript
        if not manuscript:
            return "—"
        context = {"manuscript": manuscript}
        try:
            html, _images = word.docx_html(manuscript.file.read(), image_folder=None)
        except WordError as error:
            context["error"] = str(error)
        except OSError:
            context["error"] = _("稿件文件已不在服务器上。")
        else:
            body, context["removed"] = manuscripts.article_body(submission, html)
            # Cut from docx_html's sanitised output; cleaned once more so what is marked safe is the allowlist's own.
            context["body"] = mark_safe(sanitize_html(body))
        finally:
            manuscript.file.close()
        return render_to_string("admin/submissions/manuscript_text.html", context)

    @admin.display(description=_("修改前后对比"))
    def manuscript_changes(self, submission):
        versions = list(reversed(submission.manuscripts.all()))  # oldest first
        if len(versions) < 2:
            return "—"
        comparisons = [
            {
                "older": older,
                "newer": newer,
                "number": number,
                "changes": manuscripts.paragraph_changes(older.text, newer.text),
            }
            for number, (older, newer) in enumerate(zip(versions, versions[1:]), start=2)
        ]
        return render_to_string("admin/submissions/manuscript_changes.html", {"comparisons": comparisons[::-1]})

    @admin.display(description=_("文章"))
    def article_link(self, submission):
        if not submission.article_id:
            return "—"
        url = reverse("admin:articles_article_change", args=[submission.article_id])
        return render_to_string("admin/_link.html", {"url": url, "text": submission.article})

    def save_model(self, request, submission, form, change):
        super().save_model(request, submission, form, change)
        to, message = form.cleaned_data.get("next_status"), form.cleaned_data.get("message", "")
        if not to:
            return
        try:
            if to == Submission.Status.ACCEPTED:
                request.accepted_article = submission_accept(
                    submission=submission,
                    editor=request.user,
                    section=form.cleaned_data["section"],
                    issue=form.cleaned_data.get("issue"),
                    message=message,
                )
            else:
                submission_transition(submission=submission, to=to, by=request.user, message=message)
        except (TransitionNotAllowed, WordError) as refusal:  # WordError: a manuscript checked by older rules
            messages.error(request, str(refusal))

    def response_change(self, request, submission):
        article = getattr(request, "accepted_article", None)
        if article is not None:
            messages.success(request, _("已录用，并生成了文章草稿，请排入期刊。"))
            return redirect("admin:articles_article_change", article.pk)
        return super().response_change(request, submission)

    # The author's Word files, for staff who may see the submission

    def get_urls(self):
        download = path(
            "<int:object_id>/manuscripts/<int:manuscript_id>/",
            self.admin_site.admin_view(self.manuscript_download),
            name="submissions_submission_manuscript",
        )
        return [download, *super().get_urls()]

    def manuscript_download(self, request, object_id, manuscript_id):
        """One version of the manuscript as the author uploaded it, under its original name.

        Behind `admin_view`: whoever is not signed in as staff goes to the sign-in page (an editor
        whose session ran out comes back here); staff not allowed to view submissions get 403, an
        unknown file 404.
        """
        if not self.has_view_permission(request):
            raise PermissionDenied
        manuscript = get_object_or_404(
            Manuscript.objects.select_related("submission"), pk=manuscript_id, submission_id=object_id
        )
        try:
            file_path = Path(manuscript.file.path)
            if not file_path.is_file():
                raise FileNotFoundError(file_path)
        except (OSError, ValueError) as missing:
            raise Http404(_("稿件文件已不在服务器上。")) from missing
        ascii_name = manuscript.original_name if re.fullmatch(r"[\w.() -]+", manuscript.original_name, re.ASCII) else ""
        return protected_file_response(
            request,
            file_path,
            filename=manuscript.original_name,
            ascii_filename=ascii_name or f"{manuscript.submission.tracking_number}-{manuscript.pk}.docx",
            etag=hashlib.sha256(manuscript.file.name.encode()).hexdigest()[:32],
            content_type=DOCX_TYPE,
        )
