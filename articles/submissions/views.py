import re

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from articles import word
from articles.sanitize import sanitize_html
from articles.submissions.forms import ExpertReviewForm, RevisionForm, SubmissionForm
from articles.submissions.models import ExpertInvitation, Submission
from articles.submissions.reviews import expert_answer
from articles.submissions.services import (
    submission_create,
    submission_revise,
    submission_transition,
    submissions_rate_limited,
)
from issues.models import Periodical
from issues.workflow import TransitionNotAllowed


def submit(request):
    """The public submission form (no account needed)."""
    periodical = Periodical.load()
    form = SubmissionForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        ip = request.META.get("REMOTE_ADDR")
        if form.is_spam:
            return render(request, "submissions/thanks.html", {"periodical": periodical})
        if submissions_rate_limited(ip):
            messages.error(request, _("您在一小时内已投稿多次，请稍后再试。如有疑问，请发邮件联系编辑部。"))
            status = 429
        elif form.is_valid():
            upload = form.cleaned_data["manuscript"]
            fields = {name: form.cleaned_data[name] for name in SubmissionForm.Meta.fields}
            submission = submission_create(
                fields=fields, file_name=upload.name, data=upload.content, inspected=upload.inspected, ip=ip
            )
            return redirect(submission.get_status_url() + "?new=1")
    context = {
        "form": form,
        "periodical": periodical,
        # The same address the printed call for papers gives, whichever host name this request came by.
        "submission_form_url": settings.SITE_URL.rstrip("/") + reverse("submissions:submit"),
    }
    return render(request, "submissions/submit.html", context, status=status)


def status(request, token):
    """The author's private page: the state, the editors' messages, revision upload, withdrawal."""
    submission = get_object_or_404(Submission, token=token)
    revision_form = RevisionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and revision_form.is_valid():
        upload = revision_form.cleaned_data["manuscript"]
        try:
            submission_revise(
                submission=submission, file_name=upload.name, data=upload.content, inspected=upload.inspected
            )
            messages.success(request, _("修改稿已收到。"))
            return redirect(submission.get_status_url())
        except TransitionNotAllowed as refusal:
            messages.error(request, str(refusal))
    context = {
        "submission": submission,
        "events": submission.events.all(),
        "revision_form": revision_form if submission.status == Submission.Status.REVISION_REQUESTED else None,
        "can_withdraw": not submission.is_decided,
        "new": request.GET.get("new") == "1",
    }
    response = render(request, "submissions/status.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response


@require_POST
def withdraw(request, token):
    submission = get_object_or_404(Submission, token=token)
    try:
        submission_transition(
            submission=submission, to=Submission.Status.WITHDRAWN, by=None, message=_("作者撤回了稿件。")
        )
        messages.success(request, _("稿件已撤回。"))
    except TransitionNotAllowed as refusal:
        messages.error(request, str(refusal))
    return redirect(submission.get_status_url())


def expert_review(request, token):
    """An outside expert's review form, reached by the private link of their invitation (no account)."""
    invitation = ExpertInvitation.for_token(token)
    if invitation is None or not invitation.is_open():
        # Wrong, used and expired links get the same page: it says nothing about the manuscript.
        response = render(request, "submissions/expert_review_gone.html", status=404 if invitation is None else 410)
        response["X-Robots-Tag"] = "noindex"
        return response
    form = ExpertReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            expert_answer(invitation=invitation, **form.cleaned_data)
        except TransitionNotAllowed:
            return render(request, "submissions/expert_review_gone.html", status=410)
        return render(request, "submissions/expert_review_thanks.html", {"invitation": invitation})
    manuscript = invitation.submission.manuscript
    context = {"invitation": invitation, "form": form, "manuscript_html": _manuscript_html(manuscript)}
    response = render(request, "submissions/expert_review.html", context)
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "private, no-store"
    return response


def _manuscript_html(manuscript) -> str:
    """The manuscript as converted for acceptance, without its images, through the one HTML allowlist.

    Its headings move two levels down (Word's “Heading 1” becomes an h3): the page has its own h1, and
    the manuscript sits under the page's h2.
    """
    if manuscript is None:
        return ""
    try:
        body, _images = word.docx_html(manuscript.file.read(), image_folder=None)
    except (word.WordError, OSError):  # a file checked by older rules, or gone: its stored plain text
        return sanitize_html("".join(f"<p>{escape(line)}</p>" for line in manuscript.text.splitlines() if line))
    return _HEADING.sub(lambda tag: f"<{tag[1]}h{min(int(tag[2]) + 2, 6)}", sanitize_html(body))


_HEADING = re.compile(r"<(/?)h([1-6])\b")
