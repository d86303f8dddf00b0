"""Writing files safely: whole or not at all, and never left behind by a step that failed."""

import os
import tempfile
from pathlib import Path


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


class files_removed_on_failure:  # noqa: N801 - used like a function: `with files_removed_on_failure() as written`
    """Collects the (storage, name) of the files a step writes, and deletes them if the step fails.

    Put it outside the step's transaction, so the files go exactly when the rows are rolled back:

        with files_removed_on_failure() as written, transaction.atomic():
            written.append((storage, storage.save(name, content)))
    """

    def __enter__(self) -> list:
        self.written = []
        return self.written

    def __exit__(self, exc_type, exc, traceback):
        if exc_type is not None:
            for storage, name in self.written:
                storage.delete(name)
        return False
