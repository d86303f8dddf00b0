from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from articles.models import Article
from articles.services import article_transition
from issues.models import Issue, IssuePDF, IssueStatusChange
from issues.subscriptions.tasks import send_publication_notices
from issues.workflow import TransitionNotAllowed, change_status, check_transition


@transaction.atomic
def issue_transition(*, issue: Issue, to: str, by=None, comment: str = "") -> Issue:
    """Change an issue's status if the workflow allows it, and log who did it.

    Publishing an issue publishes its articles with it (all must be ready);
    withdrawing it takes them back to ready.
    """
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    was_published = issue.is_published
    check_transition(issue, to=to)
    if to == Issue.Status.PUBLISHED:
        _check_publishable(issue)
        issue.published_at = issue.published_at or timezone.now()
    change_status(issue, to=to, by=by, comment=comment, log_model=IssueStatusChange, issue=issue)
    issue.save(update_fields=["status", "published_at", "updated_at"])

    if to == Issue.Status.PUBLISHED:
        for article in issue.articles.filter(status=Article.Status.READY):
            article_transition(article=article, to=Article.Status.PUBLISHED, by=by, comment=_("随本期发布"))
        issue_pdfs_enqueue(issue=issue)
        issue_notices_enqueue(issue=issue)
    elif was_published:
        for article in issue.articles.filter(status=Article.Status.PUBLISHED):
            article_transition(article=article, to=Article.Status.READY, by=by, comment=_("本期撤回发布"))
    return issue


def issue_notices_enqueue(*, issue: Issue) -> None:
    """Queue the new-issue e-mails to subscribers not yet told, once the current transaction commits."""
    transaction.on_commit(lambda: send_publication_notices.enqueue(issue_id=issue.pk))


def _check_publishable(issue):
    articles = issue.articles.all()
    if not articles.exists():
        raise TransitionNotAllowed(_("%(issue)s还没有文章，不能发布。") % {"issue": issue})
    drafts = list(articles.filter(status=Article.Status.DRAFT).values_list("title", flat=True))
    if drafts:
        raise TransitionNotAllowed(
            _("%(issue)s还有未定稿的文章：%(titles)s。")
            % {"issue": issue, "titles": "、".join(f"《{t}》" for t in drafts)}
        )


def issue_pdfs_enqueue(*, issue: Issue, variants=tuple(IssuePDF.Variant), force: bool = False) -> None:
    """Queue the typesetting of `issue` in each variant, once the current transaction commits."""
    from issues.tasks import build_issue_pdf  # the task module imports the typesetter

    for variant in variants:
        record, _created = IssuePDF.objects.get_or_create(issue=issue, variant=variant)
        if record.status != IssuePDF.Status.BUILDING:
            IssuePDF.objects.filter(pk=record.pk).update(status=IssuePDF.Status.QUEUED)
        transaction.on_commit(
            lambda variant=variant: build_issue_pdf.enqueue(issue_id=issue.pk, variant=variant, force=force)
        )
