"""The editorial workflow of submissions: receiving, reviewing, revising, deciding, accepting."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from articles import word
from articles.models import Article, Authorship, Contributor
from articles.submissions.models import Manuscript, Submission, SubmissionEvent
from issues.mail import templated_email
from issues.models import Periodical
from issues.workflow import TransitionNotAllowed

S = Submission.Status
EDITOR_MOVES = {
    S.RECEIVED: {S.UNDER_REVIEW, S.REJECTED},
    S.UNDER_REVIEW: {S.REVISION_REQUESTED, S.ACCEPTED, S.REJECTED},
    S.REVISION_REQUESTED: {S.UNDER_REVIEW, S.ACCEPTED, S.REJECTED},
}
AUTHOR_MOVES = {  # the author withdraws until a decision; a revision sends the piece back to review
    S.RECEIVED: {S.WITHDRAWN},
    S.UNDER_REVIEW: {S.WITHDRAWN},
    S.REVISION_REQUESTED: {S.WITHDRAWN, S.UNDER_REVIEW},
}
DECISIONS = {S.REVISION_REQUESTED, S.ACCEPTED, S.REJECTED}
RATE_LIMIT = 5  # submissions per IP address
RATE_WINDOW = timedelta(hours=1)


def submissions_rate_limited(ip: str | None) -> bool:
    """Whether `ip` has sent RATE_LIMIT submissions within the last RATE_WINDOW."""
    if not ip:
        return False
    since = timezone.now() - RATE_WINDOW
    return Submission.objects.filter(submitter_ip=ip, submitted_at__gte=since).count() >= RATE_LIMIT


def submission_create(*, fields: dict, file_name: str, data: bytes, inspected, ip: str | None) -> Submission:
    """Store a new submission and its manuscript, then confirm receipt to the author by e-mail."""
    with _files_removed_on_failure() as written, transaction.atomic():
        submission = Submission.objects.create(submitter_ip=ip, **fields)
        _add_manuscript(submission, file_name, data, inspected, written)
        SubmissionEvent.objects.create(submission=submission, to_status=S.RECEIVED)
        transaction.on_commit(lambda: _mail(submission, "received"))
    return submission


def submission_revise(*, submission: Submission, file_name: str, data: bytes, inspected) -> Submission:
    """The author's revised manuscript: stored beside the first, and the piece goes back to review."""
    with _files_removed_on_failure() as written, transaction.atomic():
        submission = Submission.objects.select_for_update().get(pk=submission.pk)
        if submission.status != S.REVISION_REQUESTED:
            raise TransitionNotAllowed(_("只有编辑部要求修改时才能上传修改稿。"))
        _add_manuscript(submission, file_name, data, inspected, written)
        submission = submission_transition(
            submission=submission, to=S.UNDER_REVIEW, by=None, message=_("作者上传了修改稿。")
        )
    return submission


@transaction.atomic
def submission_transition(*, submission: Submission, to: str, by=None, message: str = "") -> Submission:
    """Move a submission if the workflow allows it (`by` None means the author); log it; mail decisions."""
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    allowed = (AUTHOR_MOVES if by is None else EDITOR_MOVES).get(submission.status, set())
    if to not in allowed:
        raise TransitionNotAllowed(
            _("稿件不能从“%(from)s”变为“%(to)s”。")
            % {"from": S(submission.status).label, "to": S(to).label if to in S.values else to}
        )
    SubmissionEvent.objects.create(
        submission=submission, from_status=submission.status, to_status=to, changed_by=by, comment=message
    )
    submission.status = to
    submission.save(update_fields=["status"])
    if to in DECISIONS:
        transaction.on_commit(lambda: _mail(submission, "decision", message=message))
    return submission


def submission_accept(*, submission: Submission, editor, section, message: str = "") -> Article:
    """Accept a piece and turn its manuscript into a draft article (images into media), all or nothing."""
    with _files_removed_on_failure() as written, transaction.atomic():
        submission = submission_transition(submission=submission, to=S.ACCEPTED, by=editor, message=message)
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


class _files_removed_on_failure:
    """Collects the (storage, name) of files a workflow step writes; deletes them if the step fails."""

    def __enter__(self):
        self.written = []
        return self.written

    def __exit__(self, exc_type, exc, traceback):
        if exc_type is not None:
            for storage, name in self.written:
                storage.delete(name)
        return False


def _mail(submission, template, *, message=""):
    periodical = Periodical.load()
    status_url = settings.SITE_URL.rstrip("/") + submission.get_status_url()
    context = {"submission": submission, "periodical": periodical, "message": message, "status_url": status_url}
    templated_email(f"submissions/email/{template}", context, to=[submission.email]).send()
