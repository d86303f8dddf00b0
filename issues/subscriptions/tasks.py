"""Background jobs of subscriptions (run by `manage.py db_worker` in production)."""

from django_tasks import task

from issues.models import Issue
from issues.subscriptions.services import publication_notices_send


@task()
def send_publication_notices(issue_id: int) -> int:
    """E-mail the active subscribers that an issue is out; returns how many were told."""
    issue = Issue.objects.filter(pk=issue_id).first()
    return publication_notices_send(issue=issue) if issue else 0
