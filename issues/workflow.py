"""The status workflow shared by issues and articles: draft → ready → published."""

from django.utils.translation import gettext as _

from issues.models import PublicationStatus

DRAFT, READY, PUBLISHED = PublicationStatus.DRAFT, PublicationStatus.READY, PublicationStatus.PUBLISHED
ALLOWED_TRANSITIONS = {(DRAFT, READY), (READY, DRAFT), (READY, PUBLISHED), (PUBLISHED, READY)}


class TransitionNotAllowed(Exception):
    """A status change the workflow refuses; the message is meant for editors."""


def check_transition(obj, *, to):
    """Raise TransitionNotAllowed unless the workflow lets `obj` move to status `to`."""
    labels = dict(type(obj).Status.choices)
    if to not in labels:
        raise TransitionNotAllowed(_("未知状态“%(status)s”。") % {"status": to})
    if (obj.status, to) not in ALLOWED_TRANSITIONS:
        raise TransitionNotAllowed(
            _("“%(object)s”不能从“%(from)s”变为“%(to)s”。")
            % {"object": obj, "from": labels[obj.status], "to": labels[to]}
        )


def change_status(obj, *, to, by, comment, log_model, **log_fields):
    """Move `obj` to status `to` (unsaved) and write the log row, or raise TransitionNotAllowed."""
    check_transition(obj, to=to)
    log_model.objects.create(
        from_status=obj.status,
        to_status=to,
        changed_by=by if by is not None and by.is_authenticated else None,
        comment=comment,
        **log_fields,
    )
    obj.status = to
