"""The recipients list as the office keeps it in Excel: written as CSV or .xlsx, read back from either.

The column headers are the fields' Chinese names, the same for export and import, so a list
exported, edited in Excel and imported again round-trips. CSV is read as UTF-8 (with or without
a byte-order mark) or GB18030, which Excel on Chinese Windows writes.
"""

import csv
import datetime
import io
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl import load_workbook

from articles.honoraria.export import table_csv, table_workbook, xlsx_bytes
from issues.circulation.models import Recipient

FIELDS = ["organisation", "contact", "address", "post_code", "phone", "copies", "active_from", "active_to", "note"]
REQUIRED_COLUMNS = ["organisation", "address", "post_code"]
WIDTHS = (30, 10, 40, 8, 16, 6, 12, 12, 24)
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # a workbook of thousands of rows unpacks to a few MB
XLSX_SIGNATURE = b"PK\x03\x04"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0"  # Excel 97–2003 (.xls), and .et/.wps of the same age


class RosterError(ValueError):
    """A file that is not a recipients list this module can read; the message says why, in Chinese."""


@dataclass(frozen=True)
class Row:
    """One data row of an uploaded list: its number as the spreadsheet shows it, and its cells by field."""

    number: int
    cells: dict


def headers() -> list[str]:
    return [str(Recipient._meta.get_field(name).verbose_name) for name in FIELDS]


def recipient_rows(recipients) -> list[list]:
    return [
        [getattr(recipient, name) if getattr(recipient, name) is not None else "" for name in FIELDS]
        for recipient in recipients
    ]


def recipients_csv(recipients) -> bytes:
    rows = [
        [value.isoformat() if isinstance(value, datetime.date) else value for value in row]
        for row in recipient_rows(recipients)
    ]
    return table_csv(headers(), rows)


def recipients_xlsx(recipients) -> bytes:
    workbook, sheet = table_workbook(headers(), recipient_rows(recipients), title=_("发送对象"), widths=WIDTHS)
    dates = {FIELDS.index("active_from") + 1, FIELDS.index("active_to") + 1}
    texts = {FIELDS.index("post_code") + 1, FIELDS.index("phone") + 1}
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.column in dates:
                cell.number_format = "yyyy-mm-dd"
            elif cell.column in texts:
                cell.number_format = "@"  # a post code keeps its leading zero when edited in Excel
    return xlsx_bytes(workbook)


def file_name(extension: str) -> str:
    return _("发送对象.%(extension)s") % {"extension": extension}


def read_rows(name: str, data: bytes) -> list[Row]:
    """The data rows of an uploaded CSV or .xlsx list, blank rows left out; RosterError if it cannot be read."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise RosterError(_("文件超过 5 MB，不像是发送对象名单。"))
    if data.startswith(XLSX_SIGNATURE):
        table = _xlsx_table(data)
    elif data.startswith(OLE_SIGNATURE) or name.lower().endswith(".xls"):
        raise RosterError(_("这是旧版 Excel 文件（.xls），请在 Excel 中另存为“Excel 工作簿（.xlsx）”或 CSV 后再导入。"))
    else:
        table = _csv_table(data)
    if not table:
        raise RosterError(_("文件是空的。"))
    columns = _columns(table[0])
    rows = []
    for number, values in enumerate(table[1:], start=2):
        cells = {field: values[index] if index < len(values) else None for field, index in columns.items()}
        if any(_blank(value) is not None for value in cells.values()):
            rows.append(Row(number, cells))
    return rows


def _blank(value):
    """None for an empty cell, else the value."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value


def _columns(header_row) -> dict[str, int]:
    """The column of each field by its header; RosterError naming the required headers missing."""
    by_header = {str(value).strip().lstrip("\ufeff"): index for index, value in enumerate(header_row) if value}
    labels = dict(zip(FIELDS, headers()))
    missing = [labels[name] for name in REQUIRED_COLUMNS if labels[name] not in by_header]
    if missing:
        raise RosterError(
            _("第 1 行应为表头，缺少：%(missing)s。表头请用导出文件的第一行：%(all)s。")
            % {"missing": "、".join(missing), "all": "、".join(headers())}
        )
    return {name: by_header[labels[name]] for name in FIELDS if labels[name] in by_header}


def _csv_table(data: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    else:
        raise RosterError(_("无法识别文件的编码：请用 UTF-8 或 GB18030（Excel 的“CSV（逗号分隔）”）保存。"))
    if "\x00" in text:
        raise RosterError(_("这不是 CSV 或电子表格文件：请上传从 Excel 导出的 CSV 文件或 .xlsx 工作簿。"))
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise RosterError(_("CSV 文件格式有误：%(error)s") % {"error": error}) from error


def _xlsx_table(data: bytes) -> list[list]:
    damaged = RosterError(_("电子表格文件已损坏或不是 .xlsx 工作簿，无法读取。"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(member.file_size for member in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise RosterError(_("电子表格解压后过大，不像是发送对象名单。"))
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except RosterError:
        raise
    except Exception as error:  # openpyxl raises many kinds (KeyError, zip and XML errors) for a bad file
        raise damaged from error
    try:
        return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    except Exception as error:
        raise damaged from error
    finally:
        workbook.close()
