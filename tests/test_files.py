"""issues/files.py: files are written whole or not at all, and a failed step leaves none behind."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from issues.files import created_atomically, files_removed_on_failure, write_atomically


def test_write_atomically_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "issues" / "2017-1.pdf"
    write_atomically(target, b"old")
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert [path.name for path in target.parent.iterdir()] == ["2017-1.pdf"]


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


def test_created_atomically_makes_the_file_only_when_the_block_succeeds(tmp_path):
    target = tmp_path / "backups" / "site.tar"
    with pytest.raises(RuntimeError), created_atomically(target) as stream:
        stream.write(b"half")
        raise RuntimeError("disk full")
    assert list(target.parent.iterdir()) == []
    with created_atomically(target) as stream:
        stream.write(b"whole")
    assert target.read_bytes() == b"whole"
    assert [path.name for path in target.parent.iterdir()] == ["site.tar"]


def test_created_atomically_never_replaces_a_file_even_one_that_appears_meanwhile(tmp_path):
    target = tmp_path / "site.tar"
    with pytest.raises(FileExistsError), created_atomically(target) as stream:
        stream.write(b"new backup")
        target.write_bytes(b"another backup, written while this one was")
    assert target.read_bytes() == b"another backup, written while this one was"
    assert [path.name for path in tmp_path.iterdir()] == ["site.tar"]
