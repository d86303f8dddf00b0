"""Handing out protected PDFs: one article's pages cut from its issue's, per-reader stamped copies
(the response: `issues.files.protected_file_response`)."""

import hashlib
import io
import json
from pathlib import Path

import weasyprint
from django.conf import settings
from django.utils.html import escape
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from articles.citation import cited_authors, gbt7714_citation
from articles.models import Article
from issues.files import cached_per_build
from issues.models import IssuePDF, Periodical
from issues.typesetting.fetcher import BASE_URL, ProjectFilesFetcher

STAMPED_DIR = "stamped"
ARTICLES_DIR = "articles"
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
    return cached_per_build(
        settings.PROTECTED_ROOT / STAMPED_DIR / record.issue.key / record.variant,
        build_key=record.build_key,
        name=f"{_digest(line)}.pdf",
        make=lambda: stamp_pdf(record.path.read_bytes(), line),
    )


def article_copy(record: IssuePDF, article: Article, *, stamp_line: str | None = None) -> Path:
    """The article's pages of the issue PDF `record` with its citation in the metadata, cut once per build.

    With `stamp_line`, that cut stamped, once per build and line. `record.pdf_indexes` must hold
    the article's pages (the caller answers 404 otherwise). An edit of the title or authors since
    the build makes a new cut with the new metadata; a new build removes the old builds' files.
    """
    metadata = article_metadata(article)
    cut = cached_per_build(
        settings.PROTECTED_ROOT / ARTICLES_DIR / record.issue.key,
        build_key=record.build_key,
        name=f"{article.pk}-{_digest(json.dumps(metadata, sort_keys=True))[:12]}.pdf",
        make=lambda: cut_pages(
            record.path.read_bytes(),
            record.pdf_indexes(article.first_page, article.last_page),
            first_folio=article.first_page,
            metadata=metadata,
        ),
    )
    if stamp_line is None:
        return cut
    return cached_per_build(
        settings.PROTECTED_ROOT / STAMPED_DIR / record.issue.key / ARTICLES_DIR,
        build_key=record.build_key,
        name=f"{cut.stem}-{_digest(stamp_line)}.pdf",
        make=lambda: stamp_pdf(cut.read_bytes(), stamp_line),
    )


def article_metadata(article: Article) -> dict[str, str]:
    """The document information of an article's PDF: title, authors, its GB/T 7714 citation, section."""
    title = f"{article.title}——{article.subtitle}" if article.subtitle else article.title
    metadata = {
        "/Title": title,
        "/Author": "、".join(cited_authors(article)),
        "/Subject": gbt7714_citation(article, periodical_name=Periodical.load().name),
        "/Keywords": article.section.full_name,
        "/Creator": "bulletin",
    }
    return {key: value for key, value in metadata.items() if value}


def cut_pages(pdf: bytes, indexes: range, *, first_folio: int, metadata: dict[str, str]) -> bytes:
    """The pages `indexes` of `pdf` as a document of their own, numbered from `first_folio`, with `metadata`."""
    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter()
    writer.append(reader, pages=list(indexes), import_outline=False)
    writer.set_page_label(0, len(indexes) - 1, style="/D", start=first_folio)  # a viewer shows the printed folios
    if "/Lang" in reader.root_object:
        writer.root_object[NameObject("/Lang")] = reader.root_object["/Lang"]
    writer.add_metadata(metadata)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


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


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _overlay_pdf(line, width, height) -> bytes:
    css = OVERLAY_CSS % {"width": f"{width:.3f}", "height": f"{height:.3f}"}
    html = f"<!DOCTYPE html><html lang='zh-CN'><style>{css}</style><p>{escape(line)}</p></html>"
    return weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=ProjectFilesFetcher()).write_pdf()
