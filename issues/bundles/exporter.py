"""Exporting an issue as a bundle (folder or .zip) that `import_bundle` reads back unchanged.

An issue whose PDF was imported goes out as it came in: its printed PDF, each article's pages, and
a body file only for an article whose text is not what the PDF gives (an editor corrected it).
"""

import os
import posixpath
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

import tomli_w
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from articles.sanitize import sanitize_html
from issues.bundles import pdf
from issues.bundles.bodies import media_name
from issues.bundles.errors import BundleError
from issues.bundles.importer import PERIODICAL, PERIODICAL_FIELDS, ArticleEntry, PrintedPDF, bodies_from_pdf
from issues.models import Issue, Periodical, Section

ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)  # fixed, so the same issue always zips to the same bytes


def export_bundle(issue: Issue, dest: Path) -> Path:
    """Write `issue` as a bundle at `dest`: a folder, or a zip when `dest` ends in .zip."""
    dest = Path(dest)
    if dest.suffix.lower() == ".zip":
        if dest.exists():
            raise BundleError(_("目标文件已存在。"), path=str(dest))
    elif dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BundleError(_("目标已存在且不是空文件夹。"), path=str(dest))
    if not dest.parent.is_dir():
        raise BundleError(_("上级文件夹不存在。"), path=str(dest.parent))
    _write_atomically(bundle_files(issue), dest)
    return dest


def bundle_files(issue: Issue) -> dict[str, bytes]:
    """The bundle of `issue` as {path inside the bundle: bytes}."""
    files = {}
    manifest = {
        "year": issue.year,
        "number": issue.number,
        "total_number": issue.total_number,
        "date": issue.publication_date,
    }
    if issue.title:
        manifest["title"] = issue.title
    if issue.print_run is not None:
        manifest["print_run"] = issue.print_run
    if issue.cover:
        name = f"cover{PurePosixPath(issue.cover.name).suffix}"
        files[name] = _read_media(issue.cover.name)
        manifest["cover"] = name
    masthead = [{"label": line.label, "value": line.value} for line in issue.masthead_lines.all()]
    if masthead:
        manifest["masthead"] = masthead
    printed = issue.pdfs.imported().first()
    if printed:
        files["issue.pdf"] = _read_protected(printed)
        manifest["pdf"] = "issue.pdf"
        manifest["first_page_offset"] = printed.front_pages + 1

    articles = list(issue.articles.in_print_order().select_related("section__parent").with_authors())
    from_pdf = _texts_from_pdf(files["issue.pdf"], printed, articles) if printed else {}
    entries = []
    images = {}  # media name -> bundle path
    for index, article in enumerate(articles, start=1):
        body_path = f"articles/{index:02d}.html"
        body = _export_body(article.body, body_path, images, files)
        if from_pdf.get(article.pk) != body:
            files[body_path] = (body + "\n").encode()
        entry = {"section": article.section.path, "title": article.title}
        if article.subtitle:
            entry["subtitle"] = article.subtitle
        authors = [authorship.contributor.name for authorship in article.authorships.all()]
        if authors:
            entry["authors"] = authors
        for key in ("byline", "source"):
            if getattr(article, key):
                entry[key] = getattr(article, key)
        if not article.in_toc:
            entry["in_toc"] = False
        if article.is_lead:
            entry["lead"] = True
        if printed and article.first_page:
            entry["pages"] = pdf.format_pages(article.first_page, article.last_page or article.first_page)
        if body_path in files:
            entry["body"] = body_path
        entries.append(entry)
    if entries:
        manifest["articles"] = entries
    sections = [  # the kinds an import would not give a new section by itself (its parent's, or news)
        {"name": path, "kind": section.kind}
        for path, section in _sections_of(articles).items()
        if section.kind != (section.parent.kind if section.parent else Section.Kind.NEWS)
    ]
    if sections:
        manifest["sections"] = sections
    files["issue.toml"] = tomli_w.dumps(manifest).encode()
    if periodical := periodical_manifest():
        files[PERIODICAL] = tomli_w.dumps(periodical, multiline_strings=True).encode()
    return files


def _sections_of(articles) -> dict[str, Section]:
    """The sections and parent sections the articles are in, by path, in order of first appearance."""
    found = {}
    for article in articles:
        if article.section.parent:
            found.setdefault(article.section.parent.path, article.section.parent)
        found.setdefault(article.section.path, article.section)
    return found


def periodical_manifest() -> dict | None:
    """The periodical's settings and standing pages as periodical.toml holds them; None for the placeholder.

    Every setting is written, empty ones too, so the file describes the periodical completely.
    """
    periodical = Periodical.objects.first()  # not load(): exporting writes nothing, not even the placeholder row
    if periodical is None or not periodical.is_set_up:
        return None
    manifest = {name: getattr(periodical, name) for name in PERIODICAL_FIELDS}
    manifest["standing_pages"] = [{"title": page.title, "text": page.text} for page in periodical.standing_pages.all()]
    return manifest


def _texts_from_pdf(data: bytes, record, articles) -> dict[int, str]:
    """Article pk → the body the importer would read from the PDF for it, for the articles with pages."""
    printed = PrintedPDF(data=data, page_count=record.page_count, front_pages=record.front_pages)
    placed = [article for article in articles if article.first_page]
    entries = [
        ArticleEntry(
            section=(),
            title=article.title,
            subtitle=article.subtitle,
            byline=article.byline,
            authors=[authorship.contributor.name for authorship in article.authorships.all()],
            source=article.source,
            printed_pages=(article.first_page, article.last_page or article.first_page),
        )
        for article in placed
    ]
    bodies_from_pdf(printed, entries)
    return {article.pk: entry.body for article, entry in zip(placed, entries)}


def _read_protected(record) -> bytes:
    try:
        return record.path.read_bytes()
    except OSError as exc:
        raise BundleError(_("本期导入的 PDF 缺失或无法读取：%(error)s") % {"error": exc}, path=record.file_name)


def _export_body(body, body_path, images, files):
    """The body with images from our media copied into images/ and linked relatively."""

    def rewrite_src(src):
        name = media_name(src)
        if name is None:
            return src
        if name not in images:
            stem, ext = posixpath.splitext(posixpath.basename(name))
            path, n = f"images/{stem}{ext}", 2
            while path in files:
                path, n = f"images/{stem}-{n}{ext}", n + 1
            files[path] = _read_media(name)
            images[name] = path
        return posixpath.relpath(images[name], posixpath.dirname(body_path))

    return sanitize_html(body, rewrite_src=rewrite_src)


def _read_media(name):
    try:
        with default_storage.open(name, "rb") as stream:
            return stream.read()
    except OSError as exc:
        raise BundleError(_("媒体文件缺失或无法读取：%(error)s") % {"error": exc}, path=name)


def _write_atomically(files: dict[str, bytes], dest: Path):
    """Write the bundle beside `dest` first and move it into place, so `dest` is complete or absent."""
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        if dest.suffix.lower() == ".zip":
            target = staging / dest.name
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
                for name in sorted(files):
                    info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(info, files[name])
            os.replace(target, dest)
        else:
            target = staging / "bundle"
            for name, data in files.items():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                (target / name).write_bytes(data)
            if dest.exists():
                dest.rmdir()
            os.rename(target, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
