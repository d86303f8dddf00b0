"""Background jobs of typesetting (run by `manage.py db_worker` in production)."""

from django.db import transaction
from django_tasks import task

from issues.models import Issue, IssuePDF
from issues.typesetting.build import issue_build_pdf


@task()
def build_issue_pdf(issue_id: int, variant: str, force: bool = False) -> str:
    """Typeset one variant of an issue; returns the build's status."""
    issue = Issue.objects.get(pk=issue_id)
    return issue_build_pdf(issue=issue, variant=variant, force=force).status


def issue_pdfs_enqueue(*, issue: Issue, variants=tuple(IssuePDF.Variant), force: bool = False) -> bool:
    """Queue the typesetting of `issue` in each variant, once the current transaction commits; whether it was.

    An issue whose PDF was imported is never typeset (its printed original stays the PDF): nothing
    is queued, and False.
    """
    if issue.has_imported_pdf():
        return False
    for variant in variants:
        record, _created = IssuePDF.objects.get_or_create(issue=issue, variant=variant)
        if record.status != IssuePDF.Status.BUILDING:
            IssuePDF.objects.filter(pk=record.pk).update(status=IssuePDF.Status.QUEUED)
        transaction.on_commit(
            lambda variant=variant: build_issue_pdf.enqueue(issue_id=issue.pk, variant=variant, force=force)
        )
    return True


def build_published_issue(sender, *, issue: Issue, **kwargs) -> None:
    """On `issue_published`: a published issue gets both its PDFs (unless its PDF was imported)."""
    issue_pdfs_enqueue(issue=issue)
