"""E-mails written as templates: `<name>_subject.txt` for the subject line, `<name>.txt` for the body."""

from django.core.mail import EmailMessage
from django.template.loader import render_to_string


def templated_email(name: str, context: dict, *, to: list[str], headers: dict | None = None) -> EmailMessage:
    """An unsent message whose subject and body are rendered from the `name` templates."""
    return EmailMessage(
        subject=render_to_string(f"{name}_subject.txt", context).strip(),
        body=render_to_string(f"{name}.txt", context),
        to=to,
        headers=headers,
    )
