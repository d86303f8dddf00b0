"""Writing files safely: whole or not at all, and never left behind by a step that failed."""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one step: readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        # mkstemp makes the file 0600; give it the mode Django gives uploads (0644 by default), or
        # nginx, another user, could not send the PDFs it is pointed at by X-Accel-Redirect.
        if settings.FILE_UPLOAD_PERMISSIONS is not None:
            os.fchmod(handle, settings.FILE_UPLOAD_PERMISSIONS)
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
