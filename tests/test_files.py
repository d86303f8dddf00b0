"""issues/files.py: files are written whole or not at all, and a failed step leaves none behind."""

import json
import os
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from issues.files import (
    JOURNAL_FOLDER,
    created_atomically,
    files_removed_on_failure,
    remove_unfinished_files,
    write_atomically,
)

ROOT = Path(__file__).resolve().parent.parent


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
    assert not written.journal.exists()


@pytest.mark.django_db
def test_the_files_of_a_step_that_succeeds_stay_and_its_journal_goes_at_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), files_removed_on_failure() as written:
        written.append((default_storage, default_storage.save("a.txt", ContentFile(b"a"))))
        assert written.journal.is_file()
    assert default_storage.exists("a.txt")
    assert not written.journal.exists()
    assert remove_unfinished_files() == [] and default_storage.exists("a.txt")


KILLED_MID_STEP = """
import os, signal, sys
import django
django.setup()
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from issues.files import files_removed_on_failure

with files_removed_on_failure() as written:
    for n in range(3):
        written.append((default_storage, default_storage.save(f"articles/images/x-{n}.png", ContentFile(b"png"))))
    print(written.journal, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # as kill -9 during an import: no except, no finally
"""


@pytest.mark.django_db
def test_the_files_of_a_process_killed_mid_step_are_removed_afterwards(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BULLETIN_", "DATABASE_URL"))}
    env |= {"DJANGO_SETTINGS_MODULE": "bulletin.settings", "BULLETIN_DATA_DIR": str(tmp_path / "data")}
    env |= {"BULLETIN_MEDIA_ROOT": str(settings.MEDIA_ROOT), "BULLETIN_PROTECTED_ROOT": str(settings.PROTECTED_ROOT)}
    killed = subprocess.run([sys.executable, "-c", KILLED_MID_STEP], cwd=ROOT, env=env, capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    journal = Path(killed.stdout.strip())
    left = sorted(Path(settings.MEDIA_ROOT).rglob("*.png"))
    assert len(left) == 3 and journal.is_file()

    # A step still running in this (live) process keeps its files.
    with files_removed_on_failure() as running:
        running.append((default_storage, default_storage.save("keep.png", ContentFile(b"png"))))
        assert sorted(remove_unfinished_files()) == left
        assert default_storage.exists("keep.png") and running.journal.is_file()
    assert not journal.exists() and not any(path.exists() for path in left)


def test_a_journal_naming_files_outside_the_data_folders_touches_nothing(tmp_path):
    outside = tmp_path / "precious.txt"
    outside.write_text("keep")
    folder = Path(settings.PROTECTED_ROOT) / JOURNAL_FOLDER
    folder.mkdir(parents=True)
    lines = [{"pid": 2**22 + 1, "host": socket.gethostname()}, {"path": str(outside)}]
    (folder / "1-x.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert remove_unfinished_files() == []
    assert outside.read_text() == "keep" and not (folder / "1-x.jsonl").exists()


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
