"""E-mails written as templates: `<name>_subject.txt` for the subject line, `<name>.txt` for the body."""

from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django_tasks import task


def templated_email(name: str, context: dict, *, to: list[str], headers: dict | None = None) -> EmailMessage:
    """An unsent message whose subject and body are rendered from the `name` templates."""
    return EmailMessage(
        subject=render_to_string(f"{name}_subject.txt", context).strip(),
        body=render_to_string(f"{name}.txt", context),
        to=to,
        headers=headers,
    )


def send_in_background(message: EmailMessage) -> None:
    """Hand a rendered message to the task queue: the request answers without waiting for the mail server,
    so how long it takes says nothing about whether an address has an account."""
    deliver_email.enqueue(
        subject=message.subject, body=message.body, to=list(message.to), headers=message.extra_headers
    )


@task()
def deliver_email(subject: str, body: str, to: list[str], headers: dict | None = None) -> None:
    """Send one e-mail (run by `manage.py db_worker` in production, at once in development)."""
    EmailMessage(subject=subject, body=body, to=to, headers=headers or None).send()
