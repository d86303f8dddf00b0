"""Background jobs of the issues app (run by `manage.py db_worker` in production)."""

from django_tasks import task

from issues.models import Issue
from issues.typesetting.build import issue_build_pdf


@task()
def build_issue_pdf(issue_id: int, variant: str, force: bool = False) -> str:
    """Typeset one variant of an issue; returns the build's status."""
    issue = Issue.objects.get(pk=issue_id)
    return issue_build_pdf(issue=issue, variant=variant, force=force).status
