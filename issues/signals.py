"""What the ground floor announces, for the floors above to act on (see the apps' `ready()`)."""

from django.dispatch import Signal

# Sent by `articles.services.issue_publish` with `issue=`, inside its transaction, once the issue
# and its articles are published: typesetting queues the PDFs, subscriptions the notices.
issue_published = Signal()
