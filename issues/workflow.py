"""The status workflow shared by issues, articles, submissions and subscriptions.

Each named transition (issue_publish, article_mark_ready, subscription_approve, …) is one
service function; they all move a status with `change_status`, which refuses a move from
any other status and writes the log row saying who did it and when.
"""

from django.utils.translation import gettext as _

from issues.models import PublicationStatus

DRAFT, READY, PUBLISHED = PublicationStatus.DRAFT, PublicationStatus.READY, PublicationStatus.PUBLISHED


class TransitionNotAllowed(Exception):
    """A status change the workflow refuses; the message is meant for editors."""


def change_status(obj, *, sources, target, by, comment, log, hint: str = "") -> None:
    """Move `obj` from one of `sources` to `target` (unsaved) and write a row into `log`, or refuse.

    `log` is the object's log manager (e.g. `issue.status_changes`); `by` None is the system or the author.
    A refusal says what would make the move possible: `hint`, or which statuses may move to `target`.
    """
    if obj.status not in sources:
        labels = dict(type(obj).Status.choices)
        hint = hint or _("只有“%(sources)s”的才能变为“%(to)s”。") % {
            "sources": "”或“".join(str(labels[source]) for source in sorted(sources)),
            "to": labels[target],
        }
        raise TransitionNotAllowed(
            _("“%(object)s”不能从“%(from)s”变为“%(to)s”：%(hint)s")
            % {"object": obj, "from": labels[obj.status], "to": labels[target], "hint": hint}
        )
    log.create(
        from_status=obj.status,
        to_status=target,
        changed_by=by if by is not None and by.is_authenticated else None,
        comment=comment,
    )
    obj.status = target
