"""Handing out protected PDFs: per-reader stamped copies and the download response."""

import hashlib
import io
import shutil
from pathlib import Path
from urllib.parse import quote

import weasyprint
from django.conf import settings
from django.http import FileResponse, HttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.html import escape
from django.utils.http import http_date, quote_etag
from pypdf import PdfReader, PdfWriter

from issues.files import write_atomically
from issues.models import IssuePDF
from issues.typesetting.fetcher import BASE_URL, ProjectFilesFetcher

STAMPED_DIR = "stamped"
OVERLAY_CSS = """
@page { size: %(width)spt %(height)spt; margin: 0; }
html, body { margin: 0; }
p { position: absolute; left: 0; right: 0; bottom: 4.5mm; margin: 0; text-align: center;
    font: 7pt/1 "Noto Sans CJK SC", sans-serif; color: #6b6b6b; }
"""


def stamped_copy(record: IssuePDF, line: str) -> Path:
    """The issue PDF with `line` at the foot of every page, made once per build and line.

    Copies of earlier builds of the same issue are removed when the first copy of a new
    build is made, so the folder holds one set per issue.
    """
    issue_dir = settings.PROTECTED_ROOT / STAMPED_DIR / record.issue.key / record.variant
    build_dir = issue_dir / record.build_key[:16]
    path = build_dir / f"{hashlib.sha256(line.encode()).hexdigest()[:24]}.pdf"
    if path.is_file():
        return path
    fresh_build = not build_dir.exists()
    write_atomically(path, stamp_pdf(record.path.read_bytes(), line))
    if fresh_build:
        for old in issue_dir.iterdir():
            if old != build_dir:
                shutil.rmtree(old, ignore_errors=True)  # a reader still streaming an old copy keeps its handle
    return path


def stamp_pdf(pdf: bytes, line: str) -> bytes:
    """`pdf` with `line` drawn at the foot of every page, as real (searchable) text."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    overlays = {}  # one overlay page per page size, typeset once
    for page in writer.pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        if size not in overlays:
            overlays[size] = PdfReader(io.BytesIO(_overlay_pdf(line, *size))).pages[0]
        page.merge_page(overlays[size])
        page.compress_content_streams()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _overlay_pdf(line, width, height) -> bytes:
    css = OVERLAY_CSS % {"width": f"{width:.3f}", "height": f"{height:.3f}"}
    html = f"<!DOCTYPE html><html lang='zh-CN'><style>{css}</style><p>{escape(line)}</p></html>"
    return weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=ProjectFilesFetcher()).write_pdf()


def protected_file_response(request, path: Path, *, filename: str, ascii_filename: str, etag: str):
    """A download of a file under PROTECTED_ROOT; 304 when the reader's copy is current.

    With BULLETIN_PROTECTED_ACCEL_PREFIX set, nginx sends the file (X-Accel-Redirect to
    its `internal` location); otherwise Django streams it.
    """
    stat = path.stat()
    unchanged = get_conditional_response(request, etag=quote_etag(etag), last_modified=int(stat.st_mtime))
    if unchanged is not None:
        return unchanged
    prefix = settings.PROTECTED_ACCEL_PREFIX
    if prefix:
        relative = path.relative_to(settings.PROTECTED_ROOT).as_posix()
        response = HttpResponse(content_type="application/pdf")
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(relative)
    else:
        response = FileResponse(path.open("rb"), content_type="application/pdf")
    response["Content-Length"] = str(stat.st_size)
    response["Content-Disposition"] = content_disposition(filename, ascii_filename)
    response["ETag"] = quote_etag(etag)
    response["Last-Modified"] = http_date(stat.st_mtime)
    # The file is for this reader only: no shared cache may keep it, and browsers must ask again.
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ["Cookie"])
    return response


def content_disposition(filename: str, ascii_filename: str) -> str:
    """RFC 6266: an ASCII name for old clients, the real (Chinese) name as RFC 8187 UTF-8."""
    return f"attachment; filename=\"{ascii_filename}\"; filename*=UTF-8''{quote(filename, safe='')}"
