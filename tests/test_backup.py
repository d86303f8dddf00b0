"""Backups: `backup` and `restore`, run as an operator runs them, on SQLite and on PostgreSQL.

Restores go into a second, empty database under the alias "restored" (a new SQLite file, or a
new PostgreSQL database beside the test database), so the rows of the original and of the
restored copy can be compared side by side.
"""

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from articles.models import Contributor
from issues.models import ContentVersion, Issue
from issues.subscriptions.models import Subscriber
from tests.factories import image_bytes, make_issue, make_subscriber, make_subscription

pytestmark = pytest.mark.django_db(transaction=True)

MANUSCRIPT = b"PK\x03\x04 a manuscript's bytes"
CHART = image_bytes(format="PNG", size=(80, 50))


# Helpers -------------------------------------------------------------------------------------


@pytest.fixture
def restored(transactional_db, tmp_path):
    """The alias of a new, empty database of the test database's vendor."""
    default = connections["default"]
    settings_dict = {**default.settings_dict}
    if default.vendor == "postgresql":
        settings_dict["NAME"] = f"{settings_dict['NAME']}_restored"
        name = default.ops.quote_name(settings_dict["NAME"])
        with default._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
            cursor.execute(f"CREATE DATABASE {name}")
    else:
        settings_dict["NAME"] = str(tmp_path / "restored.sqlite3")
    # A connection made here rather than in settings.DATABASES, where Django's test case would
    # refuse queries to it, as to any database the test did not declare.
    connections["restored"] = default.__class__(settings_dict, alias="restored")
    yield "restored"
    connections["restored"].close()
    del connections["restored"]
    if default.vendor == "postgresql":
        with default._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")


def backup(dest: Path) -> str:
    out = io.StringIO()
    call_command("backup", str(dest), stdout=out)
    return out.getvalue()


def restore(source: Path, *options, database="restored") -> str:
    out = io.StringIO()
    call_command("restore", str(source), *options, f"--database={database}", stdout=out)
    return out.getvalue()


def rows(alias: str) -> dict:
    """Every row of every model in the database `alias`, all fields, in primary-key order."""
    snapshot = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed or model is ContentVersion:
            continue
        fields = [field.attname for field in model._meta.concrete_fields]
        snapshot[model._meta.label] = list(model._base_manager.using(alias).order_by("pk").values_list(*fields))
    return snapshot


def files_under(root: Path) -> dict:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def restore_to(settings, folder: Path) -> None:
    """Let the restore write its files into the (new) folder `folder`."""
    settings.MEDIA_ROOT, settings.PROTECTED_ROOT = folder / "media", folder / "protected"


def small_site(settings) -> None:
    """An issue, a subscriber, a manuscript and an image: enough for the archive's every kind of member."""
    make_issue(year=2017, number=2)
    make_subscriber()
    (settings.PROTECTED_ROOT / "manuscripts").mkdir(parents=True)
    (settings.PROTECTED_ROOT / "manuscripts" / "3f9a.docx").write_bytes(MANUSCRIPT)
    (settings.MEDIA_ROOT / "images").mkdir(parents=True)
    (settings.MEDIA_ROOT / "images" / "图表.png").write_bytes(CHART)


def rewritten(source: Path, dest: Path, *, data=None, manifest=None, extra=None) -> Path:
    """A copy of the archive `source`: members' bytes replaced ({name: bytes}), the manifest changed
    by `manifest(dict)`, and members added ({name: bytes}, listed in the manifest with their checksum)."""
    data, extra = data or {}, extra or {}
    with tarfile.open(source) as original, tarfile.open(dest, "w") as copy:
        contents = {member.name: original.extractfile(member).read() for member in original.getmembers()}
        listing = json.loads(contents["manifest.json"])
        for name, content in extra.items():
            listing["members"][name] = {"sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
        if manifest:
            manifest(listing)
        contents = {**contents, **data, **extra, "manifest.json": json.dumps(listing).encode()}
        for name, content in contents.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            copy.addfile(info, io.BytesIO(content))
    return dest


def database_member(archive: Path) -> str:
    """database.sqlite3 or database.pgdump, as the vendor of the test database has it."""
    with tarfile.open(archive) as opened:
        return next(name for name in opened.getnames() if name.startswith("database."))


def untouched(alias: str) -> bool:
    return connections[alias].introspection.table_names() == []


# Backing up and restoring --------------------------------------------------------------------


def test_a_restore_brings_back_every_row_and_every_file(settings, tmp_path, restored):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}  # no PDF builds
    call_command("load_demo", stdout=io.StringIO())
    make_subscription(subscriber=make_subscriber(name="张华", email="zhanghua@example.cn"))
    (settings.PROTECTED_ROOT / "manuscripts").mkdir(parents=True)
    (settings.PROTECTED_ROOT / "manuscripts" / "3f9a.docx").write_bytes(MANUSCRIPT)
    (settings.MEDIA_ROOT / "images").mkdir(parents=True)
    (settings.MEDIA_ROOT / "images" / "图表.png").write_bytes(CHART)
    media, protected = files_under(settings.MEDIA_ROOT), files_under(settings.PROTECTED_ROOT)
    original = rows("default")

    out = backup(tmp_path / "site.tar")
    assert "已备份到" in out
    with tarfile.open(tmp_path / "site.tar") as archive:
        manifest = json.load(archive.extractfile("manifest.json"))
    assert manifest["database"]["vendor"] == connections["default"].vendor
    assert ["issues", "0001_initial"] in manifest["migrations"]
    assert manifest["members"]["protected/manuscripts/3f9a.docx"]["size"] == len(MANUSCRIPT)
    assert "media/images/图表.png" in manifest["members"]

    restore_to(settings, tmp_path / "elsewhere")
    out = restore(tmp_path / "site.tar")
    assert "已从" in out

    assert rows("restored") == original
    assert len(original["articles.Article"]) == 19
    assert list(Issue.objects.using("restored").values_list("year", "number", "total_number")) == [(2017, 1, 26)]
    assert len(original[Subscriber._meta.label]) == 1
    assert Issue.objects.using("restored").get().articles.count() == 19
    assert Subscriber.objects.using("restored").get().subscriptions.get().status == "approved"
    assert files_under(settings.MEDIA_ROOT) == media
    assert files_under(settings.PROTECTED_ROOT) == protected
    assert "images/图表.png" in media and "manuscripts/3f9a.docx" in protected
    # Sequences come back too: the next row gets the next key, not one already taken.
    assert Contributor.objects.using("restored").create(name="新作者").pk > max(
        Contributor.objects.values_list("pk", flat=True)
    )


def test_restore_moves_the_content_version_past_the_old_and_the_archived_one(settings, tmp_path, restored):
    small_site(settings)
    ContentVersion.bump()
    backup(tmp_path / "site.tar")
    restore_to(settings, tmp_path / "elsewhere")
    restore(tmp_path / "site.tar")
    ContentVersion.objects.using("restored").filter(pk=1).update(number=40)
    restore(tmp_path / "site.tar", "--force")
    assert ContentVersion.objects.using("restored").get().number == 41


def test_an_existing_destination_is_never_overwritten(settings, tmp_path):
    small_site(settings)
    dest = tmp_path / "site.tar"
    dest.write_bytes(b"last week's backup")
    with pytest.raises(CommandError, match="site.tar 已存在"):
        backup(dest)
    assert dest.read_bytes() == b"last week's backup"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["media", "protected", "site.tar"]


def test_a_non_empty_database_is_replaced_only_with_force(settings, tmp_path, restored):
    small_site(settings)
    backup(tmp_path / "site.tar")
    restore_to(settings, tmp_path / "elsewhere")
    restore(tmp_path / "site.tar")
    Contributor.objects.using("restored").create(name="恢复后新增")
    (settings.MEDIA_ROOT / "images" / "新图.png").write_bytes(CHART)

    with pytest.raises(CommandError, match=r"数据库不是空的（.+ 中有数据）.*--force"):
        restore(tmp_path / "site.tar")
    assert Contributor.objects.using("restored").filter(name="恢复后新增").exists()
    assert (settings.MEDIA_ROOT / "images" / "新图.png").exists()

    restore(tmp_path / "site.tar", "--force")
    assert rows("restored") == rows("default")
    assert not Contributor.objects.using("restored").filter(name="恢复后新增").exists()
    assert sorted(files_under(settings.MEDIA_ROOT)) == ["images/图表.png"]
    assert sorted(path.name for path in settings.MEDIA_ROOT.parent.iterdir()) == ["media", "protected"]


# Refusals: nothing is touched ----------------------------------------------------------------


@pytest.fixture
def archive(settings, tmp_path):
    small_site(settings)
    backup(tmp_path / "site.tar")
    restore_to(settings, tmp_path / "elsewhere")
    settings.MEDIA_ROOT.mkdir(parents=True)
    (settings.MEDIA_ROOT / "kept.png").write_bytes(b"the files before the restore")
    return tmp_path / "site.tar"


def assert_nothing_restored(settings, alias):
    assert untouched(alias)
    assert files_under(settings.MEDIA_ROOT) == {"kept.png": b"the files before the restore"}
    assert sorted(path.name for path in settings.MEDIA_ROOT.parent.iterdir()) == ["media"]


@pytest.mark.parametrize(
    "member",
    ["media/images/图表.png", "protected/manuscripts/3f9a.docx", "the database"],
)
def test_a_tampered_member_is_refused_by_name(settings, tmp_path, archive, restored, member):
    member = database_member(archive) if member == "the database" else member
    tampered = rewritten(archive, tmp_path / "tampered.tar", data={member: b"changed"})
    with pytest.raises(CommandError, match=f"{member} 的校验和不符"):
        restore(tampered)
    assert_nothing_restored(settings, restored)


def test_a_member_missing_from_the_manifest_or_the_archive_is_refused(settings, tmp_path, archive, restored):
    def unlisted(manifest):
        del manifest["members"]["media/images/图表.png"]

    def phantom(manifest):
        manifest["members"]["media/ghost.png"] = {"sha256": "0" * 64, "size": 1}

    with pytest.raises(CommandError, match="media/images/图表.png 不在清单里"):
        restore(rewritten(archive, tmp_path / "a.tar", manifest=unlisted))
    with pytest.raises(CommandError, match="缺少 media/ghost.png"):
        restore(rewritten(archive, tmp_path / "b.tar", manifest=phantom))
    assert_nothing_restored(settings, restored)


@pytest.mark.parametrize("name", ["media/../../escaped.txt", "/etc/cron.d/job", "static/app.js", "media"])
def test_a_member_that_would_land_outside_the_folders_is_refused(settings, tmp_path, archive, restored, name):
    with pytest.raises(CommandError, match="不是可以恢复的文件"):
        restore(rewritten(archive, tmp_path / "evil.tar", extra={name: b"#!/bin/sh"}))
    assert_nothing_restored(settings, restored)
    assert not (tmp_path / "escaped.txt").exists()


def test_an_archive_of_another_database_vendor_is_refused(settings, tmp_path, archive, restored):
    ours = connections["default"].vendor
    theirs = "postgresql" if ours == "sqlite" else "sqlite"

    def other_vendor(manifest):
        manifest["database"]["vendor"] = theirs

    with pytest.raises(CommandError, match=f"这是 {theirs} 数据库的备份，不能恢复到 {ours} 数据库"):
        restore(rewritten(archive, tmp_path / "other.tar", manifest=other_vendor))
    assert_nothing_restored(settings, restored)


def test_an_archive_with_migrations_this_code_lacks_is_refused(settings, tmp_path, archive, restored):
    def newer(manifest):
        manifest["migrations"].append(["articles", "0099_from_a_later_release"])

    with pytest.raises(CommandError, match=r"迁移状态比本程序新.*articles\.0099_from_a_later_release"):
        restore(rewritten(archive, tmp_path / "newer.tar", manifest=newer))
    assert_nothing_restored(settings, restored)


def test_an_older_archive_is_restored_with_a_reminder_to_migrate(settings, tmp_path, archive, restored):
    def older(manifest):
        manifest["migrations"].remove(["articles", "0003_search_text"])

    out = restore(rewritten(archive, tmp_path / "older.tar", manifest=older))
    assert "1 个迁移未应用：请运行 manage.py migrate" in out
    assert Issue.objects.using(restored).count() == 1


def test_a_database_that_fails_to_load_leaves_the_old_files(settings, tmp_path, archive, restored):
    member = database_member(archive)

    def garbage(manifest):  # the checksum fits, the contents are no database
        manifest["members"][member]["sha256"] = hashlib.sha256(b"not a database" * 100).hexdigest()

    broken = rewritten(archive, tmp_path / "broken.tar", data={member: b"not a database" * 100}, manifest=garbage)
    with pytest.raises(CommandError, match="失败"):
        restore(broken)
    assert_nothing_restored(settings, restored)


def test_a_file_that_is_no_archive_is_refused(settings, tmp_path, restored):
    (tmp_path / "notes.tar").write_text("会议纪要")
    with pytest.raises(CommandError, match="notes.tar 不是可读的备份文件"):
        restore(tmp_path / "notes.tar")
    assert untouched(restored)


def test_an_archive_inside_the_folders_it_backs_up_is_refused(settings):
    small_site(settings)
    with pytest.raises(CommandError, match="备份文件不能放在要备份的文件夹"):
        backup(settings.PROTECTED_ROOT / "site.tar")
    assert sorted(files_under(settings.PROTECTED_ROOT)) == ["manuscripts/3f9a.docx"]
