"""Page images of a built PDF, for the flat plan on the issue's admin page.

They are kept beside the PDF in PROTECTED_ROOT, not in public media: the pages of an
unpublished issue are confidential, so only the admin serves them. Each build has its own
folder, named by its build key:

    issues/2017-1/2017-1-screen-pages/<build key>/1.webp, 2.webp, …

A folder is written under a hidden staging name and renamed into place in one step, so it
holds every page of its build or does not exist; nobody ever sees half of one. The folders of
earlier builds are removed once the new build's record is committed.
"""

import io
import logging
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pypdfium2
from django.conf import settings

from issues.files import write_atomically
from issues.models import IssuePDF

logger = logging.getLogger(__name__)

THUMBNAIL_WIDTH = 240  # pixels: twice the width the flat plan shows, for high-density screens
COVER_WIDTH = 1240  # pixels: an A4 page at 150 dpi, a cover image for the reading site
THUMBNAIL_VARIANTS = {IssuePDF.Variant.SCREEN}  # the print variant has the same pages
STAGING_PREFIX = ".staging-"
STAGING_MAX_AGE = 3600  # seconds: an older staging folder belongs to a build that died mid-way

_pdfium = threading.Lock()  # PDFium is not thread-safe, and the web process may build in threads


def pages_folder(record: IssuePDF) -> Path:
    """The folder holding the page-image folders of every build of `record`'s issue and variant."""
    key = record.issue.key
    return Path(settings.PROTECTED_ROOT) / "issues" / key / f"{key}-{record.variant}-pages"


def page_images_folder(record: IssuePDF) -> Path | None:
    """The folder of the page images of the record's current file, or None if it has none."""
    if not record.build_key:
        return None
    folder = pages_folder(record) / record.build_key
    return folder if folder.is_dir() else None


def page_image_path(record: IssuePDF, number: int) -> Path | None:
    """The image of page `number` of the record's current file, or None if there is none."""
    folder = page_images_folder(record)
    path = folder / f"{number}.webp" if folder and number >= 1 else None
    return path if path and path.is_file() else None


def render_page_images(pdf: bytes, *, width: int = THUMBNAIL_WIDTH) -> list[bytes]:
    """Every page of `pdf` as a WebP image `width` pixels wide, in page order."""
    images = []
    with _pdfium:
        document = pypdfium2.PdfDocument(pdf)
        try:
            for page in document:
                bitmap = page.render(scale=width / page.get_width())
                out = io.BytesIO()
                bitmap.to_pil().save(out, format="WEBP", quality=80, method=0)  # fastest: a third of the time
                images.append(out.getvalue())
        finally:
            document.close()
    return images


def render_cover_image(pdf: bytes, *, width: int = COVER_WIDTH) -> bytes:
    """The first page of `pdf` as a JPEG `width` pixels wide: a back issue's cover, from its printed PDF."""
    with _pdfium:
        document = pypdfium2.PdfDocument(pdf)
        try:
            page = document[0]
            image = page.render(scale=width / page.get_width()).to_pil().convert("RGB")
        finally:
            document.close()
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


def store_page_images(record: IssuePDF, *, build_key: str, pdf: bytes) -> Path:
    """Render the pages of `pdf` into the folder of `build_key`, all or nothing; the folder.

    If that folder exists already (the same content built again), it is kept: the same key
    means the same pages.
    """
    parent = pages_folder(record)
    final = parent / build_key
    if final.is_dir():
        return final
    images = render_page_images(pdf)
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=parent, prefix=STAGING_PREFIX))
    try:
        for number, image in enumerate(images, start=1):
            write_atomically(staging / f"{number}.webp", image)
        try:
            staging.rename(final)
        except OSError:
            if not final.is_dir():  # not a concurrent build of the same content that got there first
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


def remove_other_page_images(record: IssuePDF, *, keep: str) -> None:
    """Remove the page images of builds other than `keep`, and staging folders left by dead builds."""
    parent = pages_folder(record)
    if not parent.is_dir():
        return
    for folder in parent.iterdir():
        if folder.name == keep:
            continue
        if folder.name.startswith(STAGING_PREFIX) and time.time() - folder.stat().st_mtime < STAGING_MAX_AGE:
            continue  # a build running now
        shutil.rmtree(folder, ignore_errors=True)
