"""The editorial workflow of submissions: receiving, reviewing, revising, deciding, accepting."""

import secrets
from collections import deque
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils.translation import gettext as _

from articles import word
from articles.models import Article, Authorship, Contributor
from articles.sanitize import html_to_text
from articles.submissions import manuscripts
from articles.submissions.models import Manuscript, ReviewLevel, Submission, SubmissionEvent
from issues.files import files_removed_on_failure
from issues.mail import mail_staff, send_in_background, templated_email
from issues.models import Periodical
from issues.throttle import RateLimit
from issues.workflow import TransitionNotAllowed

SUBMISSION_RATE = RateLimit(limit=5, window=timedelta(hours=1), by_field="submitter_ip", time_field="submitted_at")


def submissions_rate_limited(ip: str | None) -> bool:
    """Whether `ip` has sent its allowed submissions within the last hour."""
    return SUBMISSION_RATE.exceeded(Submission.objects.all(), ip)


def submission_create(*, fields: dict, file_name: str, data: bytes, inspected, ip: str | None) -> Submission:
    """Store a new submission and its manuscript, then confirm receipt to the author and tell the editors."""
    with files_removed_on_failure() as written, transaction.atomic():
        submission = Submission.objects.create(submitter_ip=ip, **fields)
        _add_manuscript(submission, file_name, data, inspected, written)
        SubmissionEvent.objects.create(submission=submission, to_status=Submission.Status.RECEIVED)
        transaction.on_commit(lambda: _mail(submission, "received"))
        transaction.on_commit(lambda: _tell_editors(submission))
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
def submission_transition(
    *, submission: Submission, to: str, by=None, message: str = "", notify: bool = True
) -> Submission:
    """Move a submission if the workflow allows it (`by` None means the author); log it; mail the author
    when an editor moved it to a step the admin form announces (Submission.AUTHOR_MAILS), unless
    `notify` is False (a step on the way to another, which is the one the author hears of)."""
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
    return submission_move(submission=submission, to=to, by=by, message=message, notify=notify)


def submission_move(*, submission: Submission, to: str, by=None, message: str = "", notify: bool = True) -> Submission:
    """Log and save a move whose rules the caller checked, on a row it locked; mail the author when an
    editor or reviewer moved it to a new step the admin announces (Submission.AUTHOR_MAILS).

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
    if notify and by is not None and to in Submission.AUTHOR_MAILS and to != from_status:
        transaction.on_commit(lambda: _mail(submission, to, message=message))
    return submission


def _check_reviews(submission: Submission) -> None:
    """Refuse to accept a piece before every review level has passed it, naming the level it waits for."""
    if submission.reviews_passed:
        return
    level = submission.review_level or ReviewLevel.objects.first()
    raise TransitionNotAllowed(_("稿件还没有通过“%(level)s”，不能录用。") % {"level": level or _("审稿")})


def submission_accept(*, submission: Submission, editor, section, issue=None, message: str = "") -> Article:
    """Accept a piece that has passed every review level, and make a clean draft article of it.

    Every move on the way is a `submission_transition`, logged; the author is mailed the decision
    once. The draft has all the listed authors in order, the body without the manuscript's own
    title and byline lines, images in media, and `accepted_text`; `issue` (optional) schedules it
    at the end of that issue. All or nothing.
    """
    with files_removed_on_failure() as written, transaction.atomic():
        submission = Submission.objects.select_for_update().get(pk=submission.pk)
        moves = _moves_to_acceptance(submission)  # refuses a decided piece first, saying so
        _check_reviews(submission)
        for status in moves:
            final = status == Submission.Status.ACCEPTED
            submission = submission_transition(
                submission=submission, to=status, by=editor, message=message if final else "", notify=final
            )
        folder = f"articles/images/submission-{submission.pk}-{secrets.token_hex(4)}"
        html, images = word.docx_html(submission.manuscript.file.read(), image_folder=folder)
        for name, data in images.items():
            written.append((default_storage, default_storage.save(name, ContentFile(data))))
        body, _removed = manuscripts.article_body(submission, _media_urls(html, images))
        position = 0
        if issue is not None:
            position = (issue.articles.aggregate(last=Max("position"))["last"] or 0) + 10
        article = Article.objects.create(
            section=section,
            issue=issue,
            position=position,
            title=submission.title,
            summary=submission.abstract,
            body=body,
            accepted_text=html_to_text(body),
        )
        for position, contributor in enumerate(_contributors(submission), start=1):
            Authorship.objects.create(article=article, contributor=contributor, position=position)
        submission.article = article
        submission.save(update_fields=["article"])
    return article


def _moves_to_acceptance(submission: Submission) -> list[str]:
    """The fewest editor moves `Submission.EDITOR_MOVES` allows from the current status to 已录用."""
    accepted = Submission.Status.ACCEPTED
    paths, queue = {submission.status: []}, deque([submission.status])
    while queue:
        status = queue.popleft()
        for following in sorted(Submission.EDITOR_MOVES.get(status, ())):
            if following not in paths:
                paths[following] = [*paths[status], following]
                queue.append(following)
    if accepted not in paths:
        label = dict(Submission.Status.choices)[submission.status]
        raise TransitionNotAllowed(_("稿件已是“%(status)s”，不能再录用。") % {"status": label})
    return paths[accepted]


def _contributors(submission):
    """The author, then each co-author, as Contributors (see `_contributor` and `_co_author`)."""
    author = _contributor(submission)
    co_authors = manuscripts.authors_of(submission)[1:]
    return [author] + [_co_author(person) for person in co_authors]


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


def _co_author(person):
    """A co-author (a name, perhaps an affiliation): the contributor of that name without e-mail, else a new one.

    Only a name is known, so a contributor with an e-mail address (someone identified) is never
    taken for them, and an affiliation already on record is not overwritten.
    """
    contributor = Contributor.objects.filter(name=person.name, email="").order_by("pk").first()
    if contributor is None:
        return Contributor.objects.create(name=person.name, affiliation=person.affiliation)
    if person.affiliation and not contributor.affiliation:
        contributor.affiliation = person.affiliation
        contributor.save(update_fields=["affiliation"])
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
    send_in_background(templated_email(f"submissions/email/{template}", context, to=[submission.email]))


def _tell_editors(submission):
    """One mail to each editor who may handle submissions (issues.mail.staff_addresses)."""
    path = reverse("admin:submissions_submission_change", args=[submission.pk])
    context = {
        "submission": submission,
        "periodical": Periodical.load(),
        "admin_url": settings.SITE_URL.rstrip("/") + path,
    }
    mail_staff("submissions.change_submission", "submissions/email/new_for_editors", context)
