"""The editorial workflow of submissions: receiving, reviewing, revising, deciding, accepting."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from articles import word
from articles.models import Article, Authorship, Contributor
from articles.submissions.models import Manuscript, ReviewLevel, Submission, SubmissionEvent
from issues.files import files_removed_on_failure
from issues.mail import templated_email
from issues.models import Periodical
from issues.throttle import RateLimit
from issues.workflow import TransitionNotAllowed

SUBMISSION_RATE = RateLimit(limit=5, window=timedelta(hours=1), by_field="submitter_ip", time_field="submitted_at")


def submissions_rate_limited(ip: str | None) -> bool:
    """Whether `ip` has sent its allowed submissions within the last hour."""
    return SUBMISSION_RATE.exceeded(Submission.objects.all(), ip)


def submission_create(*, fields: dict, file_name: str, data: bytes, inspected, ip: str | None) -> Submission:
    """Store a new submission and its manuscript, then confirm receipt to the author by e-mail."""
    with files_removed_on_failure() as written, transaction.atomic():
        submission = Submission.objects.create(submitter_ip=ip, **fields)
        _add_manuscript(submission, file_name, data, inspected, written)
        SubmissionEvent.objects.create(submission=submission, to_status=Submission.Status.RECEIVED)
        transaction.on_commit(lambda: _mail(submission, "received"))
    return submission


def submission_revise(*, submission: Submission, file_name: str, data: bytes, inspected) -> Submission:
    """The author's revised manuscript: stored beside the first, and the piece goes back to review."""
    with files_removed_on_failure() as written, transaction.atomic():
        submission = Submission.objects.select_for_update().get(pk=submission.pk)
        if submission.status != Submission.Status.REVISION_REQUESTED:
            raise TransitionNotAllowed(_("只有编辑部要求修改时才能上传修改稿。"))
        _add_manuscript(submission, file_name, data, inspected, written)
        return submission_transition(
            submission=submission, to=Submission.Status.UNDER_REVIEW, by=None, message=_("作者上传了修改稿。")
        )


@transaction.atomic
def submission_transition(*, submission: Submission, to: str, by=None, message: str = "") -> Submission:
    """Move a submission if the workflow allows it (`by` None means the author); log it; mail decisions."""
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if to == Submission.Status.ACCEPTED:
        _check_reviews(submission)
    if to not in submission.allowed_moves(by_editor=by is not None):
        labels = dict(Submission.Status.choices)
        raise TransitionNotAllowed(
            _("稿件不能从“%(from)s”变为“%(to)s”。") % {"from": labels[submission.status], "to": labels.get(to, to)}
        )
    if to == Submission.Status.UNDER_REVIEW and submission.review_level_id is None:
        submission.review_level = ReviewLevel.objects.first()
        if submission.review_level is None:
            raise TransitionNotAllowed(_("还没有设置审稿环节：请先在“来稿 › 审稿环节”里添加。"))
    return submission_move(submission=submission, to=to, by=by, message=message)


def submission_move(*, submission: Submission, to: str, by=None, message: str = "") -> Submission:
    """Log and save a move whose rules the caller checked, on a row it locked; mail the author a decision.

    The log row keeps the stage the author sees (e.g. "复审中"), so renaming a level rewrites no history.
    """
    from_status, submission.status = submission.status, to
    SubmissionEvent.objects.create(
        submission=submission,
        from_status=from_status,
        to_status=to,
        changed_by=by,
        comment=message,
        stage=submission.stage_label if to == Submission.Status.UNDER_REVIEW else "",
    )
    submission.save(update_fields=["status", "review_level", "reviews_passed_at"])
    if to in Submission.DECISIONS:
        transaction.on_commit(lambda: _mail(submission, "decision", message=message))
    return submission


def _check_reviews(submission: Submission) -> None:
    """Refuse to accept a piece before every review level has passed it, naming the level it waits for."""
    if submission.reviews_passed:
        return
    level = submission.review_level or ReviewLevel.objects.first()
    raise TransitionNotAllowed(_("稿件还没有通过“%(level)s”，不能录用。") % {"level": level or _("审稿")})


def submission_accept(*, submission: Submission, editor, section, message: str = "") -> Article:
    """Accept a piece and turn its manuscript into a draft article (images into media), all or nothing."""
    _check_reviews(submission)
    with files_removed_on_failure() as written, transaction.atomic():
        submission = submission_transition(
            submission=submission, to=Submission.Status.ACCEPTED, by=editor, message=message
        )
        folder = f"articles/images/submission-{submission.pk}-{secrets.token_hex(4)}"
        body, images = word.docx_html(submission.manuscript.file.read(), image_folder=folder)
        for name, data in images.items():
            written.append((default_storage, default_storage.save(name, ContentFile(data))))
        body = _media_urls(body, images)
        article = Article.objects.create(
            section=section, title=submission.title, summary=submission.abstract, body=body
        )
        Authorship.objects.create(article=article, contributor=_contributor(submission), position=1)
        submission.article = article
        submission.save(update_fields=["article"])
    return article


def _contributor(submission):
    """The author as a Contributor: matched by name and e-mail, else by name alone, else created."""
    same_name = Contributor.objects.filter(name=submission.author_name).order_by("pk")
    contributor = same_name.filter(email__iexact=submission.email).first() or same_name.filter(email="").first()
    if contributor is None:
        contributor = Contributor(name=submission.author_name)
    for field in ("affiliation", "email", "phone", "postal_address"):
        setattr(contributor, field, getattr(submission, field))
    contributor.save()
    return contributor


def _media_urls(body, images):
    for name in images:
        body = body.replace(f'src="{name}"', f'src="{default_storage.url(name)}"')
    return body


def _add_manuscript(submission, file_name, data, inspected, written):
    manuscript = Manuscript(
        submission=submission, original_name=file_name[:255], char_count=inspected.char_count, text=inspected.text
    )
    manuscript.file.save("manuscript.docx", ContentFile(data), save=False)
    written.append((manuscript.file.storage, manuscript.file.name))
    manuscript.save()


def _mail(submission, template, *, message=""):
    periodical = Periodical.load()
    status_url = settings.SITE_URL.rstrip("/") + submission.get_status_url()
    context = {"submission": submission, "periodical": periodical, "message": message, "status_url": status_url}
    templated_email(f"submissions/email/{template}", context, to=[submission.email]).send()
