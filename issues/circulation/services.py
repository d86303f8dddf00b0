"""What goes to print and to the post for an issue, and the recipients list coming in from Excel."""

import datetime
import re
from dataclasses import dataclass

from django import forms
from django.db import transaction
from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from articles.honoraria.models import ComplimentaryCopies
from issues.circulation import roster
from issues.circulation.models import PrintOrder, Recipient
from issues.circulation.sheets import SHEETS
from issues.models import Issue

POST_CODE_IN_ADDRESS = re.compile(r"(?<!\d)(\d{6})(?!\d)")


@dataclass(frozen=True)
class PrintRun:
    """An issue's print run as the print order states it: the recipients' copies, 样刊 and the reserve."""

    recipients: int
    recipient_copies: int
    author_parcels: int
    author_copies: int
    reserve: int

    @property
    def total(self) -> int:
        return self.recipient_copies + self.author_copies + self.reserve


def print_run_for(issue: Issue, order: PrintOrder | None = None) -> PrintRun:
    """The copies of the recipients active on the issue's date, of its 样刊 and of the reserve."""
    order = order or PrintOrder.for_issue(issue)
    recipients = Recipient.objects.active_on(issue.publication_date).aggregate(n=Count("pk"), copies=Sum("copies"))
    authors = complimentary_copies(issue).aggregate(n=Count("pk"), copies=Sum("copies"))
    return PrintRun(
        recipients=recipients["n"],
        recipient_copies=recipients["copies"] or 0,
        author_parcels=authors["n"],
        author_copies=authors["copies"] or 0,
        reserve=order.reserve,
    )


def print_run_default(issue: Issue) -> int | None:
    """The masthead's print run when the editor gives none: the print order's total, once there are recipients."""
    run = print_run_for(issue)
    return run.total if run.recipients else None


def complimentary_copies(issue: Issue):
    return ComplimentaryCopies.objects.filter(article__issue=issue)


@dataclass(frozen=True)
class Parcel:
    """One parcel to post, as its label prints it."""

    post_code: str
    address: str
    organisation: str
    contact: str
    copies: int


def issue_parcels(issue: Issue) -> list[Parcel]:
    """A parcel per recipient active on the issue's date and per 样刊 record of its articles, by post code.

    An author's post code is read from the address (six digits standing alone); without one the
    parcel sorts last.
    """
    parcels = [
        Parcel(r.post_code, r.address, r.organisation, r.contact, r.copies)
        for r in Recipient.objects.active_on(issue.publication_date)
    ]
    for copies in complimentary_copies(issue).select_related("contributor"):
        found = POST_CODE_IN_ADDRESS.search(copies.address)
        post_code = found.group(1) if found else ""
        address = POST_CODE_IN_ADDRESS.sub("", copies.address, count=1).strip(" ，,") if found else copies.address
        contributor = copies.contributor
        parcels.append(Parcel(post_code, address, contributor.affiliation, contributor.name, copies.copies))
    return sorted(parcels, key=lambda parcel: (not parcel.post_code, parcel.post_code, parcel.organisation))


def circulation_panel(issue: Issue) -> dict:
    """What the issue's page shows of its circulation: the print run and where its print order and labels are."""
    order = PrintOrder.for_issue(issue)
    return {
        "issue": issue,
        "order": order,
        "run": print_run_for(issue, order),
        "order_url": reverse("admin:circulation_printorder_pdf", args=[issue.pk]),
        "edit_url": reverse("admin:circulation_printorder_for_issue", args=[issue.pk]),
        "labels": [
            {"title": sheet.title, "url": reverse("admin:circulation_labels_pdf", args=[issue.pk, sheet.name])}
            for sheet in SHEETS.values()
        ],
    }


def mastheads_refresh(issues=None) -> None:
    """Regenerate the print-run line of the unpublished issues (or of `issues`) after the list changed."""
    issues = Issue.objects.exclude(status=Issue.Status.PUBLISHED) if issues is None else issues
    for issue in issues:
        issue.refresh_masthead()


# Importing the recipients list --------------------------------------------------------------------

DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S"]


class RecipientRowForm(forms.Form):
    """One row of an uploaded list, checked by the model's own fields (validators, lengths), without a query."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        required = {"required": _("不能为空")}
        positive = {"invalid": _("应为正整数"), "min_value": _("应为正整数"), "required": _("应为正整数")}
        self.fields.update(
            forms.fields_for_model(
                Recipient,
                fields=roster.FIELDS,
                error_messages={
                    "organisation": required,
                    "address": required,
                    "post_code": required,
                    "copies": positive,
                },
            )
        )
        # A model field's own validators are the model's to run, not its form field's: here they are the form's.
        for name in ("post_code", "copies"):
            self.fields[name].validators += Recipient._meta.get_field(name).validators
        for name in ("active_from", "active_to"):
            self.fields[name].input_formats = DATE_FORMATS
            self.fields[name].error_messages["invalid"] = _("不是有效日期（例如 2024-01-31）")

    def clean(self):
        active_from, active_to = self.cleaned_data.get("active_from"), self.cleaned_data.get("active_to")
        if active_from and active_to and active_to < active_from:
            self.add_error("active_to", _("早于起送日期。"))
        return self.cleaned_data


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


class ImportRefused(ValueError):
    """The list was not imported; `problems` say, row by row, what is wrong."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def recipients_import(*, name: str, data: bytes) -> ImportResult:
    """Create or update (same organisation and address) a recipient per row of an uploaded list; all or nothing.

    Every bad row is refused with its number and field; if any is, nothing is written.
    """
    try:
        rows = roster.read_rows(name, data)
    except roster.RosterError as error:
        raise ImportRefused([str(error)]) from error
    if not rows:
        raise ImportRefused([_("文件里只有表头，没有发送对象。")])
    with transaction.atomic():
        existing = {(r.organisation, r.address): r for r in Recipient.objects.select_for_update()}
        problems, new, changed, seen = [], [], [], {}
        for row in rows:
            values = {field: _cell_text(field, value) for field, value in row.cells.items()}
            key = (values.get("organisation", ""), values.get("address", ""))
            instance = existing.get(key)
            form = RecipientRowForm(_row_data(values, instance))
            if key in seen and all(key):
                problems.append(
                    _("第 %(row)d 行：与第 %(first)d 行是同一单位、同一地址。")
                    % {"row": row.number, "first": seen[key]}
                )
            seen.setdefault(key, row.number)
            if not form.is_valid():
                problems += _row_problems(row.number, form)
            elif not problems:
                recipient = instance or Recipient()
                for field, value in form.cleaned_data.items():
                    setattr(recipient, field, value)
                (changed if instance else new).append(recipient)
        if problems:
            raise ImportRefused(problems)
        # In bulk, past the signals that refresh the mastheads per saved recipient: once, below, is enough.
        Recipient.objects.bulk_create(new)
        Recipient.objects.bulk_update(changed, [f for f in roster.FIELDS if f not in ("organisation", "address")])
        mastheads_refresh()
    return ImportResult(created=len(new), updated=len(changed))


def _row_data(values: dict, instance: Recipient | None) -> dict:
    """The row as form data: a column the file lacks keeps the recipient's value; copies 1 and today by default."""
    data = {field: values.get(field, "") for field in roster.FIELDS}
    if instance is not None:
        data |= {field: _cell_text(field, getattr(instance, field)) for field in roster.FIELDS if field not in values}
    data["copies"] = data["copies"] or "1"
    if not data["active_from"]:  # a new recipient is sent from today, one listed before keeps its date
        data["active_from"] = (instance.active_from if instance else timezone.localdate()).isoformat()
    return data


def _row_problems(number: int, form: RecipientRowForm) -> list[str]:
    labels = dict(zip(roster.FIELDS, roster.headers()))
    return [
        _("第 %(row)d 行：%(field)s：%(message)s。")
        % {"row": number, "field": labels[field], "message": message.rstrip("。")}
        for field, errors in form.errors.items()
        for message in errors
    ]


def _cell_text(field: str, value) -> str:
    """A cell as the form reads it: dates from Excel as ISO dates, a post code typed as a number padded to 6 digits."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if field == "post_code" and isinstance(value, int):
        return f"{value:06d}"
    return str(value).strip()
