"""三审 in the admin: the review levels, each submission's reviews and expert invitations, and the pages
where a level records its opinion and an editor invites an outside expert."""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from articles.submissions.models import ExpertInvitation, Opinion, Review, ReviewLevel
from articles.submissions.reviews import expert_invite, levels_held_by, review_record
from issues.admin import ReadOnlyInline
from issues.workflow import TransitionNotAllowed


@admin.register(ReviewLevel)
class ReviewLevelAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "group"]
    ordering = ["position"]


class ReviewInline(ReadOnlyInline):
    model = Review
    fields = ["level", "opinion", "reviewer", "reviewed_at", "comment"]
    verbose_name_plural = _("审稿意见（作者看不到）")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("level", "reviewer")


class ExpertInvitationInline(ReadOnlyInline):
    model = ExpertInvitation
    fields = ["name", "email", "due_on", "invited_at", "answered_at", "opinion", "comment"]
    verbose_name_plural = _("专家审稿（作者看不到）")


class ReviewForm(forms.Form):
    opinion = forms.ChoiceField(label=_("意见"), choices=Opinion.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("审稿意见"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("只有编辑看得到。"),
    )  # fmt: skip
    message = forms.CharField(
        label=_("给作者的说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("退修或不用时随通知发给作者，也显示在作者的状态页上。"),
    )  # fmt: skip


class InvitationForm(forms.Form):
    name = forms.CharField(label=_("专家姓名"), max_length=100)
    email = forms.EmailField(label=_("电子邮箱"))
    due_on = forms.DateField(label=_("审稿截止日期"), widget=forms.DateInput(attrs={"type": "date"}))


class SubmissionReviewsMixin:
    """What SubmissionAdmin adds for 三审: the review panel, its two pages and the records inline."""

    review_inlines = [ReviewInline, ExpertInvitationInline]

    def get_urls(self):
        return [
            path("<int:object_id>/review/", self.admin_site.admin_view(self.review_view), name="submissions_review"),
            path(
                "<int:object_id>/invite-expert/",
                self.admin_site.admin_view(self.invite_view),
                name="submissions_invite_expert",
            ),
            *super().get_urls(),
        ]

    def review_actions(self, request, submission) -> list[dict]:
        """The review steps the signed-in user may take on `submission` now, as links."""
        actions = []
        if request.user.has_perm("submissions.add_review"):
            actions += [
                {
                    "url": reverse("admin:submissions_review", args=[submission.pk]),
                    "label": gettext("记录%(level)s意见") % {"level": level},
                }
                for level in levels_held_by(request.user, submission)
            ]
        if request.user.has_perm("submissions.add_expertinvitation") and not submission.is_decided:
            actions.append(
                {
                    "url": reverse("admin:submissions_invite_expert", args=[submission.pk]),
                    "label": gettext("邀请专家审稿"),
                }
            )
        return actions

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            obj.review_actions_for_user = self.review_actions(request, obj)  # read by review_panel below
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description=_("三审"))
    def review_panel(self, submission):
        levels = list(ReviewLevel.objects.select_related("group"))
        passed = {review.level_id for review in submission.reviews.all() if review.opinion == Opinion.PASS}
        context = {
            "submission": submission,
            "levels": levels,
            "passed": passed,
            "actions": getattr(submission, "review_actions_for_user", []),
        }
        return render_to_string("admin/submissions/review_panel.html", context)

    def _submission_or_404(self, request, object_id):
        submission = self.get_object(request, str(object_id))
        if submission is None:
            raise Http404
        return submission

    def _page(self, request, submission, template, **context):
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": submission,
                "change_url": reverse("admin:submissions_submission_change", args=[submission.pk]),
                **context,
            },
        )

    def review_view(self, request, object_id):
        """Record the current level's opinion (通过 / 退修 / 不用), for the level's group only."""
        submission = self._submission_or_404(request, object_id)
        levels = levels_held_by(request.user, submission)
        if not request.user.has_perm("submissions.add_review") or not levels:
            raise PermissionDenied
        level = levels[0]
        form = ReviewForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                review_record(submission=submission, level=level, by=request.user, **form.cleaned_data)
            except TransitionNotAllowed as refusal:
                self.message_user(request, str(refusal), messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("已记录%(level)s意见：%(opinion)s。")
                    % {"level": level, "opinion": Opinion(form.cleaned_data["opinion"]).label},
                    messages.SUCCESS,
                )
            return redirect("admin:submissions_submission_change", submission.pk)
        title = gettext("%(level)s：%(submission)s") % {"level": level, "submission": submission}
        return self._page(request, submission, "admin/submissions/review_form.html", title=title, form=form)

    def invite_view(self, request, object_id):
        submission = self._submission_or_404(request, object_id)
        if not request.user.has_perm("submissions.add_expertinvitation") or submission.is_decided:
            raise PermissionDenied
        due_on = timezone.localdate() + datetime.timedelta(days=14)
        form = InvitationForm(request.POST or None, initial={"due_on": due_on})
        if request.method == "POST" and form.is_valid():
            try:
                invitation = expert_invite(submission=submission, by=request.user, **form.cleaned_data)
            except TransitionNotAllowed as refusal:
                form.add_error(None, str(refusal))
            else:
                self.message_user(
                    request, gettext("已向%(expert)s发出审稿邀请。") % {"expert": invitation}, messages.SUCCESS
                )
                return redirect("admin:submissions_submission_change", submission.pk)
        title = gettext("邀请专家审稿：%(submission)s") % {"submission": submission}
        return self._page(request, submission, "admin/submissions/review_form.html", title=title, form=form)
