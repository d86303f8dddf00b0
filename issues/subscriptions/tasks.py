"""Background jobs of subscriptions (run by `manage.py db_worker` in production)."""

from django.db import transaction
from django_tasks import task

from issues.models import Issue
from issues.subscriptions.services import publication_notices_send


@task()
def send_publication_notices(issue_id: int) -> int:
    """E-mail the active subscribers that an issue is out; returns how many were told."""
    issue = Issue.objects.filter(pk=issue_id).first()
    return publication_notices_send(issue=issue) if issue else 0


def issue_notices_enqueue(*, issue: Issue) -> None:
    """Queue the new-issue e-mails to subscribers not yet told, once the current transaction commits."""
    transaction.on_commit(lambda: send_publication_notices.enqueue(issue_id=issue.pk))


def notify_published_issue(sender, *, issue: Issue, **kwargs) -> None:
    """On `issue_published`: subscribers hear of the new issue."""
    issue_notices_enqueue(issue=issue)
