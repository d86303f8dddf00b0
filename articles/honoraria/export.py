"""A payment batch as the finance office pays from it: CSV (UTF-8 with BOM, for Excel) and .xlsx.

`table_csv` and `table_workbook` write any table so; the recipients list (issues.circulation) uses them too.
"""

import csv
import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet


def headers() -> list[str]:
    return [_("收款人"), _("单位"), _("文章"), _("期次"), _("字数"), _("稿酬（税前）"), _("代扣个税"), _("实发金额")]


def batch_rows(batch) -> list[list]:
    """One row per honorarium in print order, then the total row; amounts as Decimal."""
    items = batch.items.select_related("contributor", "article__issue").order_by(
        "article__issue__total_number", "article__position", "article_id", "pk"
    )
    rows = [
        [
            item.contributor.name,
            item.contributor.affiliation,
            item.article.title,
            item.article.issue.issue_line if item.article.issue else "",
            item.char_count,
            item.amount,
            item.tax,
            item.net,
        ]
        for item in items
    ]
    totals = batch.totals()
    rows.append([_("合计"), "", "", "", totals["characters"], totals["gross"], totals["tax"], totals["net"]])
    return rows


def table_csv(header: list[str], rows: list[list]) -> bytes:
    """A table as CSV for Excel: UTF-8 with a byte-order mark, which tells Excel the file is UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def table_workbook(header: list[str], rows: list[list], *, title: str, widths=()) -> tuple[Workbook, Worksheet]:
    """A table as a workbook of one sheet, the header row bold and the columns `widths` wide; saved by `xlsx_bytes`."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    return workbook, sheet


def xlsx_bytes(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def batch_csv(batch) -> bytes:
    return table_csv(headers(), batch_rows(batch))


def batch_xlsx(batch) -> bytes:
    workbook, sheet = table_workbook(
        headers(), batch_rows(batch), title=_("付款清单"), widths=(12, 24, 36, 24, 8, 14, 12, 14)
    )
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in sheet.iter_rows(min_row=2, min_col=6, max_col=8):
        for cell in row:
            cell.number_format = "#,##0.00"
    return xlsx_bytes(workbook)


def file_name(batch, extension: str) -> str:
    return _("稿酬付款批次%(number)d.%(extension)s") % {"number": batch.pk, "extension": extension}
