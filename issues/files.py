"""Writing files safely: whole or not at all, and never left behind by a step that failed."""

import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one step: readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextmanager
def files_removed_on_failure() -> Iterator[list]:
    """Collects the (storage, name) of the files a step writes, and deletes them if the step fails.

    Put it outside the step's transaction, so the files go exactly when the rows are rolled back:

        with files_removed_on_failure() as written, transaction.atomic():
            written.append((storage, storage.save(name, content)))
    """
    written = []
    try:
        yield written
    except BaseException:
        for storage, name in written:
            storage.delete(name)
        raise


@contextmanager
def created_atomically(path: Path) -> Iterator[BinaryIO]:
    """A stream whose bytes become the new file `path` when the block succeeds, and nothing if it fails.

    They are written to a hidden temporary file beside `path` and linked into place at the end: unlike
    a rename, a link never replaces a file, so an existing `path` (even one that appeared meanwhile)
    raises FileExistsError and is left as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links (FAT, some network shares)
            if path.exists():
                raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path))
            os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
