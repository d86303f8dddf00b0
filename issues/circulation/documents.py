"""An issue's print order (印刷委托单) and mailing labels (邮寄标签) as PDFs, typeset with WeasyPrint.

A label sheet is a fixed grid: @page margin 0, each label an absolutely placed box of the
sheet's exact size (no flex: WeasyPrint 70 lays out flex slowly).
"""

import re

import weasyprint
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from issues.circulation.models import PrintOrder
from issues.circulation.services import issue_parcels, print_run_for
from issues.circulation.sheets import LabelSheet
from issues.models import Issue, IssuePDF, Periodical
from issues.typesetting.fetcher import BASE_URL, ProjectFilesFetcher

TRIM_NAMES = {(210, 297): "A4", (185, 260): gettext_lazy("16开"), (210, 285): gettext_lazy("大16开")}


def _pdf(template: str, context: dict) -> bytes:
    html = render_to_string(template, context)
    return weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=ProjectFilesFetcher()).write_pdf()


def labels_pdf(issue: Issue, sheet: LabelSheet) -> bytes:
    """One label per parcel of the issue (recipients, then 样刊, by post code), as many sheets as they take."""
    parcels = issue_parcels(issue)
    pages = [parcels[start : start + sheet.per_sheet] for start in range(0, len(parcels), sheet.per_sheet)]
    cells = [sheet.position(index) for index in range(sheet.per_sheet)]
    return _pdf(
        "typesetting/circulation/labels.html",
        {"issue": issue, "sheet": sheet, "pages": pages or [[]], "cells": cells},
    )


def print_order_pdf(issue: Issue) -> bytes:
    order = PrintOrder.for_issue(issue)
    return _pdf("typesetting/circulation/print_order.html", print_order_context(issue, order))


def print_order_context(issue: Issue, order: PrintOrder) -> dict:
    periodical = Periodical.load()
    masthead = {line.label: line.value for line in issue.masthead_lines.printed()}
    return {
        "issue": issue,
        "order": order,
        "periodical": periodical,
        "run": print_run_for(issue, order),
        "pages": page_count(issue),
        "trim": trim_size(periodical.page_size),
        "printer": masthead.get("印刷单位") or masthead.get("印刷") or "",
        "phone": masthead.get("电话", ""),
        "address": masthead.get("地址", ""),
        "today": timezone.localdate(),
    }


def page_count(issue: Issue) -> str:
    """The pages of the print PDF if built, else of the screen PDF, else 待定."""
    records = {r.variant: r for r in issue.pdfs.exclude(file_name="").exclude(page_count=None)}
    record = records.get(IssuePDF.Variant.PRINT) or records.get(IssuePDF.Variant.SCREEN)
    return _("%(pages)d 页") % {"pages": record.page_count} if record else _("待定")


def trim_size(page_size: str) -> str:
    """ "210mm 297mm" as the printer reads it: "210×297 毫米（A4）"."""
    found = re.fullmatch(r"\s*([\d.]+)mm\s+([\d.]+)mm\s*", page_size)
    if not found:
        return page_size
    width, height = (float(part) for part in found.groups())
    size = f"{width:g}×{height:g} " + _("毫米")
    name = TRIM_NAMES.get((width, height))
    return f"{size}（{name}）" if name else size
