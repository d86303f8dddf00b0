"""三审: each review level records its opinion and hands the piece on; outside experts review by a private link.

A level's opinion is the only way a piece under review moves on: 通过 hands it to the next level
(after the last, it may be accepted), 退修 asks the author for a revision that comes back to the
same level, 不用 rejects it. Only the level's group (or a superuser) may record it, and only while
the piece is at that level. The reviewers' names and comments stay with the editors: the author's
page shows the stage ("复审中") and the message the reviewer chose to send.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from articles.models import Article
from articles.services import Obstacle
from articles.submissions.models import (
    ExpertInvitation,
    Opinion,
    Review,
    ReviewLevel,
    Submission,
)
from articles.submissions.services import submission_move
from issues.mail import templated_email
from issues.models import Issue, Periodical
from issues.workflow import TransitionNotAllowed

OPINION_MOVES = {
    Opinion.PASS: Submission.Status.UNDER_REVIEW,
    Opinion.REVISE: Submission.Status.REVISION_REQUESTED,
    Opinion.REJECT: Submission.Status.REJECTED,
}


def levels_held_by(user, submission: Submission) -> list[ReviewLevel]:
    """The level whose opinion `user` may record on `submission` now (a list of at most one)."""
    level = submission.review_level
    if submission.status != Submission.Status.UNDER_REVIEW or submission.reviews_passed or level is None:
        return []
    return [level] if level.held_by(user) else []


@transaction.atomic
def review_record(
    *, submission: Submission, level: ReviewLevel, by, opinion: str, comment: str = "", message: str = ""
) -> Review:
    """Record `level`'s opinion on `submission`, signed by `by`, and move the piece on; or refuse, saying why.

    `comment` is for the editors; `message` goes to the author with a 退修 or 不用.
    """
    # Only the submission row is locked: PostgreSQL cannot lock the nullable side of the level's outer join.
    submission = Submission.objects.select_for_update(of=("self",)).select_related("review_level").get(pk=submission.pk)
    if submission.status != Submission.Status.UNDER_REVIEW:
        raise TransitionNotAllowed(
            _("稿件现在是“%(status)s”，不在审稿中，不能记录审稿意见。") % {"status": submission.get_status_display()}
        )
    if submission.reviews_passed:
        raise TransitionNotAllowed(_("稿件已通过全部审稿环节，等待录用。"))
    if submission.review_level != level:
        raise TransitionNotAllowed(
            _("稿件现在在“%(current)s”，不能记录“%(level)s”意见：审稿须逐级进行。")
            % {"current": submission.review_level, "level": level}
        )
    if not level.held_by(by):
        raise TransitionNotAllowed(
            _("只有“%(group)s”组的成员才能记录“%(level)s”意见。") % {"group": level.group.name, "level": level}
        )
    if opinion not in OPINION_MOVES:
        raise TransitionNotAllowed(_("请选择审稿意见。"))
    review = Review.objects.create(submission=submission, level=level, reviewer=by, opinion=opinion, comment=comment)
    if opinion == Opinion.PASS:
        following = level.next()
        submission.review_level = following
        if following is None:
            submission.reviews_passed_at = review.reviewed_at
    submission_move(submission=submission, to=OPINION_MOVES[opinion], by=by, message=message)
    return review


# Publishing ------------------------------------------------------------------------------------


def unreviewed_articles(issue: Issue) -> list[Obstacle]:
    """An obstacle per article of `issue` that came in as a submission and has not passed every level.

    A back issue whose printed PDF was imported was reviewed before it was printed: none.
    """
    if issue.has_imported_pdf():
        return []
    articles = (
        Article.objects.filter(issue=issue, office_written=False)
        .filter(Q(submission__isnull=True) | Q(submission__reviews_passed_at__isnull=True))
        .select_related("submission__review_level")
        .order_by("position", "pk")
    )
    last = ReviewLevel.objects.last()
    obstacles = []
    for article in articles:
        submission = getattr(article, "submission", None)
        if submission is None:
            message = _("《%(title)s》不是来稿，也没有标为“本刊撰稿”：来稿须经三审；编辑部撰写的请勾选“本刊撰稿”。")
        else:
            message = _("《%(title)s》尚未通过%(level)s（现在%(stage)s）。")
        obstacles.append(
            Obstacle(
                message
                % {
                    "title": article.title,
                    "level": last or _("终审"),
                    "stage": submission.stage_label if submission else "",
                },
                article,
            )
        )
    return obstacles


# External experts ------------------------------------------------------------------------------


@transaction.atomic
def expert_invite(*, submission: Submission, name: str, email: str, due_on: datetime.date, by) -> ExpertInvitation:
    """Invite an outside expert to review `submission` by a private link, mailed after the commit."""
    if submission.is_decided:
        raise TransitionNotAllowed(_("稿件已有结论，不能再邀请专家审稿。"))
    if due_on < timezone.localdate():
        raise TransitionNotAllowed(_("截止日期不能早于今天。"))
    invitation = ExpertInvitation.objects.create(
        submission=submission, name=name, email=email, due_on=due_on, invited_by=by
    )
    transaction.on_commit(lambda: _mail_expert(invitation, "expert_invitation"))
    return invitation


@transaction.atomic
def expert_answer(*, invitation: ExpertInvitation, opinion: str, comment: str) -> ExpertInvitation:
    """Store the expert's opinion; the link stops working. Refused when answered already or expired."""
    invitation = ExpertInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open():
        raise TransitionNotAllowed(_("此审稿链接已失效。"))
    if opinion not in Opinion.values:
        raise TransitionNotAllowed(_("请选择审稿意见。"))
    invitation.opinion, invitation.comment, invitation.answered_at = opinion, comment, timezone.now()
    invitation.save(update_fields=["opinion", "comment", "answered_at"])
    return invitation


def expert_reminders_send(*, today: datetime.date | None = None) -> int:
    """Remind experts whose review is due within REVIEW_REMINDER_DAYS or overdue, once per invitation and kind.

    Returns how many mails went out. Each invitation is marked in the same transaction as its mail is
    handed to the mail server, so a second run the same day (or a crash and a rerun) sends nothing twice.
    """
    today = today or timezone.localdate()
    soon = today + datetime.timedelta(days=settings.REVIEW_REMINDER_DAYS)
    open_invitations = ExpertInvitation.objects.open(today=today)
    kinds = [
        ("reminded_overdue_at", "expert_overdue", open_invitations.filter(due_on__lt=today)),
        ("reminded_due_at", "expert_due", open_invitations.filter(due_on__gte=today, due_on__lte=soon)),
    ]
    sent = 0
    for field, template, invitations in kinds:
        for pk in invitations.filter(**{f"{field}__isnull": True}).values_list("pk", flat=True):
            with transaction.atomic():
                invitation = ExpertInvitation.objects.select_for_update().get(pk=pk)
                if getattr(invitation, field) is not None:
                    continue
                setattr(invitation, field, timezone.now())
                invitation.save(update_fields=[field])
                _mail_expert(invitation, template)
                sent += 1
    return sent


def expert_review_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("submissions:expert_review", kwargs={"token": token})


def _mail_expert(invitation, template):
    context = {
        "invitation": invitation,
        "submission": invitation.submission,
        "periodical": Periodical.load(),
        "review_url": expert_review_url(invitation.token),
    }
    templated_email(f"submissions/email/{template}", context, to=[invitation.email]).send()
