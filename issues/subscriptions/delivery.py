"""Handing out protected PDFs: per-reader stamped copies (the response: `issues.files.protected_file_response`)."""

import hashlib
import io
import shutil
from pathlib import Path

import weasyprint
from django.conf import settings
from django.utils.html import escape
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
