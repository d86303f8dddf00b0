"""Writing files safely: whole or not at all, and never left behind by a step that failed; handing
out protected ones."""

import datetime
import errno
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.http import FileResponse, HttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, quote_etag

from issues.processes import current_process, process_is_gone


class ProtectedStorage(FileSystemStorage):
    """Files with no public URL (manuscripts, imported PDFs) under PROTECTED_ROOT, looked up at each use."""

    @property
    def base_location(self):
        return settings.PROTECTED_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Protected files have no URL.")


protected_storage = ProtectedStorage()


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one step: readers see the old file or the new one, never half."""
    # mkstemp makes the file 0600; give it the mode Django gives uploads (0644 by default), or
    # nginx, another user, could not send the PDFs it is pointed at by X-Accel-Redirect.
    with _staged(
        path, place=lambda temporary: os.replace(temporary, path), mode=settings.FILE_UPLOAD_PERMISSIONS
    ) as stream:
        stream.write(data)


def cached_per_build(folder: Path, *, build_key: str, name: str, make: Callable[[], bytes]) -> Path:
    """`folder/<build>/<name>`, made by `make()` and written atomically the first time it is asked for.

    For files derived from one build of a PDF (stamped copies, an article's pages): the first file
    of a new build removes the folders of the other builds, so `folder` holds one build's files.
    """
    build_dir = folder / build_key[:16]
    path = build_dir / name
    if path.is_file():
        return path
    fresh_build = not build_dir.exists()
    write_atomically(path, make())
    if fresh_build:
        for old in folder.iterdir():
            if old != build_dir:
                shutil.rmtree(old, ignore_errors=True)  # a reader still streaming an old copy keeps its handle
    return path


JOURNAL_FOLDER = "unfinished"  # under PROTECTED_ROOT: what steps in progress have written
JOURNAL_MAX_AGE = datetime.timedelta(hours=24)


class WrittenFiles:
    """The files one step has written, also listed in a journal on disk until the step is over.

    A process killed mid-step (`kill -9`) leaves its journal behind, and with it the list of
    files whose rows were never committed: `remove_unfinished_files` deletes them.
    """

    def __init__(self):
        pid, host = current_process()
        folder = Path(settings.PROTECTED_ROOT) / JOURNAL_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        self.journal = folder / f"{pid}-{secrets.token_hex(8)}.jsonl"
        self.files = []
        self._stream = self.journal.open("a", encoding="utf-8")
        self._write({"pid": pid, "host": host})

    def append(self, stored: tuple) -> None:
        """Record (storage, name) of a file just written."""
        storage, name = stored
        self.files.append(stored)
        self._write({"path": storage.path(name)})

    def _write(self, entry: dict) -> None:
        self._stream.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._stream.flush()  # on disk for another process, whatever happens to this one

    def delete_all(self) -> None:
        for storage, name in self.files:
            storage.delete(name)

    def close(self) -> None:
        self._stream.close()
        self.journal.unlink(missing_ok=True)


@contextmanager
def files_removed_on_failure() -> Iterator[WrittenFiles]:
    """Collects the (storage, name) of the files a step writes, and deletes them if the step fails.

    Put it outside the step's transaction, so the files go exactly when the rows are rolled back:

        with files_removed_on_failure() as written, transaction.atomic():
            written.append((storage, storage.save(name, content)))

    If the step runs inside a longer transaction, the journal goes once that one commits.
    """
    written = WrittenFiles()
    try:
        yield written
    except BaseException:
        written.delete_all()
        written.close()
        raise
    transaction.on_commit(written.close)


def remove_unfinished_files() -> list[Path]:
    """Delete the files of steps whose process died (or that never finished within a day); the paths removed.

    Only files under MEDIA_ROOT or PROTECTED_ROOT are touched, whatever a journal says.
    """
    folder = Path(settings.PROTECTED_ROOT) / JOURNAL_FOLDER
    roots = [Path(settings.MEDIA_ROOT).resolve(), Path(settings.PROTECTED_ROOT).resolve()]
    removed = []
    for journal in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        lines = [json.loads(line) for line in journal.read_text("utf-8").splitlines() if line.strip().endswith("}")]
        header = lines[0] if lines else {}
        age = datetime.datetime.now() - datetime.datetime.fromtimestamp(journal.stat().st_mtime)
        if not (process_is_gone(pid=header.get("pid"), host=header.get("host", "")) or age > JOURNAL_MAX_AGE):
            continue  # still being written by a live process
        for entry in lines[1:]:
            path = Path(entry["path"]).resolve()
            if any(path.is_relative_to(root) for root in roots) and path.is_file():
                path.unlink()
                removed.append(path)
        journal.unlink()
    return removed


def created_atomically(path: Path) -> AbstractContextManager[BinaryIO]:
    """A stream whose bytes become the new file `path` when the block succeeds, and nothing if it fails.

    They are written to a hidden temporary file beside `path` and linked into place at the end: unlike
    a rename, a link never replaces a file, so an existing `path` (even one that appeared meanwhile)
    raises FileExistsError and is left as it was.
    """

    def place(temporary):
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links (FAT, some network shares)
            if path.exists():
                raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path))
            os.replace(temporary, path)

    return _staged(path, place=place)


@contextmanager
def _staged(path: Path, *, place, mode: int | None = None) -> Iterator[BinaryIO]:
    """A stream into a hidden temporary file beside `path`, synced to disk and handed to `place(temporary)`
    when the block succeeds; the temporary file is gone afterwards either way."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        if mode is not None:
            os.fchmod(handle, mode)
        with os.fdopen(handle, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        place(temporary)
    finally:
        Path(temporary).unlink(missing_ok=True)


def protected_file_response(
    request, path: Path, *, filename: str, ascii_filename: str, etag: str, content_type: str = "application/pdf"
):
    """A download of a file under PROTECTED_ROOT (issue PDFs, manuscripts); 304 when the copy is current.

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
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(relative)
    else:
        response = FileResponse(path.open("rb"), content_type=content_type)
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
