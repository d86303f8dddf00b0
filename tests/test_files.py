"""issues/files.py: files are written whole or not at all, and a failed step leaves none behind."""

import stat

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from issues.files import files_removed_on_failure, write_atomically


def test_write_atomically_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "issues" / "2017-1.pdf"
    write_atomically(target, b"old")
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert [path.name for path in target.parent.iterdir()] == ["2017-1.pdf"]


def test_write_atomically_gives_the_file_the_mode_of_uploads(tmp_path, settings):
    """nginx, running as another user, must be able to read the PDFs it sends by X-Accel-Redirect."""
    target = tmp_path / "2017-1.pdf"
    write_atomically(target, b"pdf")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # Django's FILE_UPLOAD_PERMISSIONS

    settings.FILE_UPLOAD_PERMISSIONS = 0o640
    write_atomically(target, b"pdf")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_write_atomically_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "2017-1.pdf"
    write_atomically(target, b"old")
    with pytest.raises(TypeError):
        write_atomically(target, "not bytes")
    assert target.read_bytes() == b"old"
    assert [path.name for path in tmp_path.iterdir()] == ["2017-1.pdf"]


def test_the_files_of_a_failed_step_are_removed_and_the_error_goes_on():
    with pytest.raises(RuntimeError, match="rolled back"), files_removed_on_failure() as written:
        written.append((default_storage, default_storage.save("a.txt", ContentFile(b"a"))))
        written.append((default_storage, default_storage.save("b.txt", ContentFile(b"b"))))
        raise RuntimeError("rolled back")
    assert not default_storage.exists("a.txt") and not default_storage.exists("b.txt")


def test_the_files_of_a_step_that_succeeds_stay():
    with files_removed_on_failure() as written:
        written.append((default_storage, default_storage.save("a.txt", ContentFile(b"a"))))
    assert default_storage.exists("a.txt")
