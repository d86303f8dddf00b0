"""The masthead's print run follows the list: a change of recipients, 样刊 or print order regenerates it."""

from django.db.models.signals import post_delete, post_save

from articles.honoraria.models import ComplimentaryCopies
from issues.circulation.models import PrintOrder, Recipient
from issues.circulation.services import mastheads_refresh
from issues.models import Issue


def recipients_changed(sender, **kwargs):
    mastheads_refresh()


def issue_copies_changed(sender, instance, **kwargs):
    issue_id = instance.issue_id if isinstance(instance, PrintOrder) else instance.article.issue_id
    mastheads_refresh(Issue.objects.filter(pk=issue_id).exclude(status=Issue.Status.PUBLISHED))


def connect():
    for event, signal in (("saved", post_save), ("deleted", post_delete)):
        signal.connect(recipients_changed, sender=Recipient, dispatch_uid=f"circulation-recipient-{event}")
        for model in (PrintOrder, ComplimentaryCopies):
            signal.connect(issue_copies_changed, sender=model, dispatch_uid=f"circulation-{model.__name__}-{event}")
