"""E-mails written as templates: `<name>_subject.txt` for the subject line, `<name>.txt` for the body.

Every app declares its mails in a `mails.py` module (`register_mail`: what the mail is for and the
variables its context provides, with a sample value each), so the admin can list them, show the
variables beside the form and preview an edited wording. A `MailTemplate` row with the same name
overrides the files; deleting it brings them back.
"""

import logging
import re
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.template import Context, Engine
from django.template.base import FilterExpression, TokenType, Variable, VariableNode
from django.template.defaulttags import ForNode, IfNode, WithNode
from django.template.loader import get_template, render_to_string
from django.templatetags.i18n import BlockTranslateNode
from django.utils.module_loading import autodiscover_modules
from django_tasks import task

from issues.models import MailTemplate

logger = logging.getLogger(__name__)

# What every mail may say of the periodical (issues.models.Periodical), with sample values for previews.
PERIODICAL_VARIABLES = {
    "periodical.name": ("刊物名称", "南滨电子商务"),
    "periodical.contact_email": ("编辑部邮箱", "editor@example.cn"),
}


@dataclass(frozen=True)
class MailSpec:
    """One of the site's e-mails: its template name, what it is for, and the variables of its context."""

    name: str
    description: str
    variables: dict[str, tuple[str, object]] = field(default_factory=dict)  # "a.b" → (what it is, sample value)

    def sample_context(self) -> dict:
        """A context holding each variable's sample value, nested as the dotted names say."""
        context: dict = {}
        for dotted, (_label, sample) in self.variables.items():
            *parents, last = dotted.split(".")
            place = context
            for part in parents:
                place = place.setdefault(part, {})
            place[last] = sample
        return context

    def file_sources(self) -> tuple[str, str]:
        """The subject and body as the file templates write them."""
        return tuple(get_template(f"{self.name}{suffix}.txt").template.source for suffix in ("_subject", ""))

    def editable_sources(self) -> tuple[str, str]:
        """The file templates as an editor would write them: plain text with {{ variables }}, without
        the translation and escaping tags an edited wording does not need (see plain_source)."""
        return tuple(plain_source(source) for source in self.file_sources())

    def unknown_variables(self, source: str) -> list[str]:
        """The variables `source` uses that this mail's context does not provide (it must compile)."""
        known = self.variables.keys()
        return sorted(
            name
            for name in used_variables(compile_template(source))
            if not any(name == var or name.startswith(var + ".") for var in known)
        )


_registry: dict[str, MailSpec] = {}


def register_mail(name: str, *, description: str, variables: dict[str, tuple[str, object]]) -> MailSpec:
    """Declare one of the site's e-mails (called from each app's `mails.py`)."""
    spec = MailSpec(name=name, description=description, variables=variables)
    _registry[name] = spec
    return spec


def known_mails() -> dict[str, MailSpec]:
    """Every declared mail by template name, each app's `mails.py` imported first."""
    autodiscover_modules("mails")
    return dict(sorted(_registry.items()))


_WRAPPERS = re.compile(r"\{% (load i18n|autoescape off|endautoescape) %\}")
_TRANSLATE = re.compile(r'\{% translate "([^"]*)" %\}')
_BLOCK = re.compile(r"\{% blocktranslate with ([^%]*?) %\}(.*?)\{% endblocktranslate %\}", re.DOTALL)


def plain_source(source: str) -> str:
    """`source` with {% translate %} and {% blocktranslate with … %} replaced by their Chinese text and
    variables (the office writes its wording in Chinese), and the tags of plain-text rendering dropped."""

    def unfold(block):
        aliases = dict(pair.split("=", 1) for pair in block[1].split())
        return re.sub(r"\{\{ (\w+) \}\}", lambda var: "{{ " + aliases.get(var[1], var[1]) + " }}", block[2])

    return _BLOCK.sub(unfold, _TRANSLATE.sub(lambda text: text[1], _WRAPPERS.sub("", source))).strip()


def compile_template(source: str):
    """`source` as a template of the project's engine; raises TemplateSyntaxError."""
    return Engine.get_default().from_string(source)


def render_plain(source: str, context: dict) -> str:
    """Render an edited wording as plain text: nothing is HTML-escaped, as in the file templates."""
    return compile_template(source).render(Context(context, autoescape=False))


def used_variables(template) -> set[str]:
    """The dotted names of the context variables `template` reads (not those its own tags define)."""
    found: set[str] = set()

    def add(expression, aliases):
        if isinstance(expression, FilterExpression) and isinstance(expression.var, Variable):
            lookups = expression.var.lookups
            if lookups and lookups[0] not in aliases:
                found.add(".".join(lookups))

    def condition(node, aliases):
        if node is None:
            return
        if hasattr(node, "value"):
            add(node.value, aliases)
        for part in ("first", "second"):
            condition(getattr(node, part, None), aliases)

    def visit(nodelist, aliases):
        for node in nodelist:
            inner = aliases
            if isinstance(node, VariableNode):
                add(node.filter_expression, aliases)
            elif isinstance(node, BlockTranslateNode):
                for expression in [*node.extra_context.values(), node.counter]:
                    add(expression, aliases)
                inner = aliases | set(node.extra_context) | {node.countervar}
                for token in [*node.singular, *(node.plural or [])]:
                    if token.token_type == TokenType.VAR and token.contents.split(".")[0] not in inner:
                        found.add(token.contents)
            elif isinstance(node, IfNode):
                for test, _nodelist in node.conditions_nodelists:
                    condition(test, aliases)
            elif isinstance(node, ForNode):
                add(node.sequence, aliases)
                inner = aliases | set(node.loopvars) | {"forloop"}
            elif isinstance(node, WithNode):
                for expression in node.extra_context.values():
                    add(expression, aliases)
                inner = aliases | set(node.extra_context)
            for name in node.child_nodelists:
                child = getattr(node, name, None)
                if child:
                    visit(child, inner)

    visit(template.nodelist, frozenset())
    return found


def templated_email(name: str, context: dict, *, to: list[str], headers: dict | None = None) -> EmailMessage:
    """An unsent message rendered from the office's wording of `name` if there is one, else from its files."""
    subject = body = None
    override = MailTemplate.objects.filter(name=name).first()
    if override is not None:
        try:
            subject, body = render_plain(override.subject, context), render_plain(override.body, context)
        except Exception:  # checked when saved; should a later change break it, the file template still goes
            logger.exception("The edited mail template %s failed; sending the file template", name)
            subject = body = None
    if subject is None:
        subject = render_to_string(f"{name}_subject.txt", context)
        body = render_to_string(f"{name}.txt", context)
    return EmailMessage(subject=" ".join(subject.split()), body=body, to=to, headers=headers)


def staff_addresses(permission: str) -> list[str]:
    """Who in the office hears of new work needing `permission` ("app_label.codename"): the e-mail
    addresses of active staff users who hold it (themselves, through a group, or as superusers)."""
    users = get_user_model().objects.with_perm(permission, backend="django.contrib.auth.backends.ModelBackend")
    return sorted(set(users.filter(is_staff=True).exclude(email="").values_list("email", flat=True)))


def mail_staff(permission: str, name: str, context: dict) -> None:
    """Queue the `name` mail to each editor holding `permission`, one message each."""
    for address in staff_addresses(permission):
        send_in_background(templated_email(name, context, to=[address]))


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
