from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from articles.submissions.models import Manuscript, Submission, SubmissionEvent
from articles.submissions.review_admin import SubmissionReviewsMixin
from articles.submissions.services import submission_accept, submission_transition
from articles.word import WordError
from issues.admin import ReadOnlyInline, StatusChangeInline
from issues.models import Section
from issues.workflow import TransitionNotAllowed

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

    class Meta:
        model = Submission
        fields = ["assigned_editor", "internal_notes", "honorarium_amount", "honorarium_paid_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        moves = self.instance.allowed_moves(by_editor=True)
        self.fields["next_status"].choices = [("", _("（不变）"))] + [
            (value, label) for value, label in Submission.Status.choices if value in moves
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("next_status") == Submission.Status.ACCEPTED and not cleaned.get("section"):
            self.add_error("section", _("录用时请选择栏目。"))
        return cleaned


class ManuscriptInline(ReadOnlyInline):
    model = Manuscript
    fields = ["uploaded_at", "original_name", "char_count"]


class SubmissionEventInline(StatusChangeInline):
    model = SubmissionEvent
    fields = [*StatusChangeInline.fields, "stage"]  # "复审中": a review level passing stays 审稿中
    verbose_name_plural = _("处理记录")


class HonorariumFilter(admin.SimpleListFilter):
    title = _("稿酬")
    parameter_name = "honorarium"

    def lookups(self, request, model_admin):
        return [("unpaid", _("已录用未付")), ("paid", _("已付"))]

    def queryset(self, request, queryset):
        if self.value() == "unpaid":
            return queryset.awaiting_payment()
        if self.value() == "paid":
            return queryset.filter(honorarium_paid_on__isnull=False)
        return queryset


@admin.register(Submission)
class SubmissionAdmin(SubmissionReviewsMixin, admin.ModelAdmin):
    form = DecisionForm
    list_display = ["tracking_number", "title", "author_name", "affiliation", "status", "char_count", "assigned_editor", "submitted_at"]  # fmt: skip
    list_filter = ["status", HonorariumFilter, ("assigned_editor", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["tracking_number", "title", "author_name", "affiliation", "email"]
    readonly_fields = [*AUTHOR_FIELDS, "status", "review_panel", "char_count", "manuscript_text", "article_link"]
    fieldsets = [
        (_("稿件"), {"fields": AUTHOR_FIELDS}),
        (_("三审"), {"fields": ["review_panel"]}),
        (_("处理"), {"fields": ["status", "assigned_editor", "next_status", "message", "section", "article_link"]}),
        (_("内部"), {"fields": ["internal_notes"]}),
        (_("稿酬"), {"fields": ["honorarium_amount", "honorarium_paid_on"]}),
        (_("正文"), {"fields": ["char_count", "manuscript_text"]}),
    ]
    inlines = [ManuscriptInline, SubmissionEventInline, *SubmissionReviewsMixin.review_inlines]

    class Media:
        css = {"all": ["desk/desk.css"]}

    def has_add_permission(self, request):
        return False  # submissions come through the public form

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("assigned_editor").prefetch_related("manuscripts")

    @admin.display(description=_("字数"))
    def char_count(self, submission):
        manuscript = submission.manuscript
        return manuscript.char_count if manuscript else "—"

    @admin.display(description=_("正文（转换后的文本）"))
    def manuscript_text(self, submission):
        manuscript = submission.manuscript
        if not manuscript:
            return "—"
        return render_to_string("admin/submissions/manuscript_text.html", {"manuscript": manuscript})

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
                    submission=submission, editor=request.user, section=form.cleaned_data["section"], message=message
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
