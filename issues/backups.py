"""Backups of the whole site in one file, and restoring them.

The archive is an uncompressed tar file (images, PDFs and PostgreSQL's dump are compressed already):

    manifest.json      format, date, database vendor, applied migrations, versions, and the SHA-256
                       and size of every other member
    database.sqlite3   SQLite: a copy made with the online backup API, consistent while the site runs
    database.pgdump    PostgreSQL: pg_dump's custom format (one snapshot, also while the site runs)
    media/…            the files of BULLETIN_MEDIA_ROOT
    protected/…        the files of BULLETIN_PROTECTED_ROOT

The database is copied before the files: a file is always written before the row naming it is
committed, so every file the copied rows name is in the archive (a few newer ones may be too).

Only Django's own registries are used (connections, migrations, the apps registry), so this module
stays on the ground floor while it backs up every app above it.
"""

import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import tarfile
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import django
from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

from issues.files import created_atomically
from issues.models import ContentVersion

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
# What `migrate` itself fills in a new database, so their rows do not make it "not empty".
FILLED_BY_MIGRATE = {"contenttypes.contenttype", "auth.permission"}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup that cannot be written or restored; the message says why, in Chinese."""


@dataclass(frozen=True)
class Restored:
    """What a restore put back, and the migrations the code has that the archive lacked."""

    manifest: dict
    files: int
    pending_migrations: list[str]


def file_roots() -> dict[str, Path]:
    """The folders whose files a backup holds, by the name of their folder in the archive."""
    return {"media": Path(settings.MEDIA_ROOT), "protected": Path(settings.PROTECTED_ROOT)}


# Backing up ----------------------------------------------------------------------------------


def backup_create(*, dest: Path, using: str = DEFAULT_DB_ALIAS) -> dict:
    """Write the database and the site's files into the new archive `dest`; returns its manifest."""
    dest = Path(dest)
    if dest.exists():
        raise BackupError(_("%(dest)s 已存在；备份不会覆盖已有的文件，请换一个文件名。") % {"dest": dest})
    for root in file_roots().values():
        if dest.resolve().is_relative_to(root.resolve()):
            raise BackupError(_("备份文件不能放在要备份的文件夹 %(root)s 里。") % {"root": root})
    connection = connections[using]
    if connection.vendor not in DATABASE_MEMBERS:
        raise BackupError(_("不支持备份 %(vendor)s 数据库。") % {"vendor": connection.vendor})
    migrations = sorted(MigrationRecorder(connection).applied_migrations())
    database_member = DATABASE_MEMBERS[connection.vendor]
    members = {}
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        # The database's copy waits beside the archive, where there is room for the archive.
        with (
            tempfile.TemporaryDirectory(dir=dest.parent, prefix=f".{dest.name}.") as work,
            created_atomically(dest) as stream,
        ):
            dump = Path(work) / database_member
            DUMPERS[connection.vendor](connection, dump)
            with tarfile.open(fileobj=stream, mode="w", format=tarfile.PAX_FORMAT) as archive:
                with dump.open("rb") as database:
                    members[database_member] = _add_member(archive, database_member, database)
                dump.unlink()
                for folder, root in file_roots().items():
                    for path in _files_under(root):
                        try:
                            source = path.open("rb")
                        except FileNotFoundError:  # deleted since it was listed
                            continue
                        with source:
                            name = f"{folder}/{path.relative_to(root).as_posix()}"
                            members[name] = _add_member(archive, name, source)
                manifest = {
                    "format": FORMAT,
                    "created_at": timezone.now().isoformat(),
                    "database": {"vendor": connection.vendor, "member": database_member},
                    "migrations": [list(key) for key in migrations],
                    "versions": {"django": django.get_version(), "bulletin": importlib.metadata.version("bulletin")},
                    "members": members,
                }
                data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime = len(data), int(time.time())
                archive.addfile(info, io.BytesIO(data))
    except FileExistsError:
        raise BackupError(_("%(dest)s 已存在；备份不会覆盖已有的文件，请换一个文件名。") % {"dest": dest})
    return manifest


def _files_under(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(path for path in root.rglob("*") if path.is_file() and not path.is_symlink())


def _add_member(archive: tarfile.TarFile, name: str, source) -> dict:
    info = archive.gettarinfo(arcname=name, fileobj=source)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    reader = _Hashing(source)
    archive.addfile(info, reader)
    return {"sha256": reader.hexdigest(), "size": info.size}


class _Hashing:
    """A reader that passes bytes through and keeps their SHA-256."""

    def __init__(self, stream):
        self.stream, self.sha256 = stream, hashlib.sha256()

    def read(self, size=-1):
        data = self.stream.read(size)
        self.sha256.update(data)
        return data

    def hexdigest(self):
        return self.sha256.hexdigest()


def _sqlite_dump(connection, path: Path) -> None:
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()


def _postgresql_dump(connection, path: Path) -> None:
    _run_client(connection, "pg_dump", ["--no-password", "--format=custom", f"--file={path}"])


DUMPERS = {"sqlite": _sqlite_dump, "postgresql": _postgresql_dump}


# Restoring -----------------------------------------------------------------------------------


def backup_restore(*, source: Path, force: bool = False, using: str = DEFAULT_DB_ALIAS) -> Restored:
    """Replace the database and the site's files with those in the archive `source`.

    Everything is checked first — every checksum, the database vendor, the migrations, that the
    database is empty unless `force` — and nothing is changed if any check fails. The files are
    unpacked beside their folders and swapped in only after the database is restored (in one
    transaction), so a restore that fails leaves the old files.
    """
    connection = connections[using]
    try:
        archive = tarfile.open(source, mode="r:")  # noqa: SIM115 (closed by the `with` below)
    except (OSError, tarfile.TarError):
        raise BackupError(_("%(source)s 不是可读的备份文件。") % {"source": source})
    with archive:
        manifest = _verified_manifest(archive)
        vendor = manifest["database"]["vendor"]
        if vendor != connection.vendor:
            raise BackupError(
                _("这是 %(theirs)s 数据库的备份，不能恢复到 %(ours)s 数据库。")
                % {"theirs": vendor, "ours": connection.vendor}
            )
        loader = MigrationLoader(None, ignore_no_migrations=True)
        archived = set(manifest["migrations"])
        unknown = sorted(archived - set(loader.disk_migrations))
        if unknown:
            raise BackupError(
                _("备份的迁移状态比本程序新，本程序没有这些迁移：%(names)s。请先升级程序再恢复。")
                % {"names": "、".join(f"{app}.{name}" for app, name in unknown)}
            )
        if not force:
            occupied = _first_model_with_rows(connection)
            if occupied:
                raise BackupError(
                    _("数据库不是空的（%(model)s 中有数据）。要用备份替换数据库的全部内容，请加 --force。")
                    % {"model": occupied}
                )
        files = _restore_members(archive, manifest, connection)
    pending = sorted(f"{app}.{name}" for app, name in set(loader.graph.nodes) - archived)
    return Restored(manifest=manifest, files=files, pending_migrations=pending)


def _verified_manifest(archive: tarfile.TarFile) -> dict:
    """The archive's manifest, once every member is known to be what the manifest says."""
    members = archive.getmembers()
    names = Counter(member.name for member in members)
    if MANIFEST not in names:
        raise BackupError(_("备份文件中没有 %(name)s。") % {"name": MANIFEST})
    try:
        manifest = json.load(archive.extractfile(MANIFEST))
        listed, database_member = manifest["members"], manifest["database"]["member"]
        checksums = {name: entry["sha256"] for name, entry in listed.items()}
        manifest["migrations"] = [(str(app), str(migration)) for app, migration in manifest["migrations"]]
        if manifest["format"] != FORMAT:
            raise BackupError(_("不认识的备份格式：%(format)s。") % {"format": manifest["format"]})
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BackupError(_("备份文件中的 %(name)s 无法读取。") % {"name": MANIFEST})
    if database_member not in DATABASE_MEMBERS.values():
        raise BackupError(_("备份文件中不认识的数据库成员：%(name)s。") % {"name": database_member})
    for member in members:
        name = member.name
        if name == MANIFEST:
            continue
        if names[name] > 1:
            raise BackupError(_("备份文件中 %(name)s 出现了不止一次。") % {"name": name})
        if name not in listed:
            raise BackupError(_("备份文件中的 %(name)s 不在清单里。") % {"name": name})
        if not member.isfile() or (name != database_member and _file_target(name) is None):
            raise BackupError(_("备份文件中的 %(name)s 不是可以恢复的文件。") % {"name": name})
        sha256 = hashlib.sha256()
        stream = archive.extractfile(member)
        while chunk := stream.read(CHUNK):
            sha256.update(chunk)
        if sha256.hexdigest() != checksums[name]:
            raise BackupError(_("备份文件已损坏或被改动：%(name)s 的校验和不符。") % {"name": name})
    missing = sorted(set(listed) - set(names))
    if missing or database_member not in names:
        raise BackupError(_("备份文件中缺少 %(name)s。") % {"name": (missing or [database_member])[0]})
    return manifest


def _file_target(name: str) -> tuple[str, PurePosixPath] | None:
    """(folder, path inside it) for an archived file's name, or None if it would land elsewhere."""
    path = PurePosixPath(name)
    if str(path) != name or path.is_absolute() or ".." in path.parts or len(path.parts) < 2:
        return None
    if path.parts[0] not in file_roots():
        return None
    return path.parts[0], path.relative_to(path.parts[0])


def _first_model_with_rows(connection) -> str | None:
    tables = set(connection.introspection.table_names())
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.label_lower in FILLED_BY_MIGRATE or meta.db_table not in tables:
            continue
        if model._base_manager.using(connection.alias).exists():
            return meta.label
    return None


def _restore_members(archive: tarfile.TarFile, manifest: dict, connection) -> int:
    staged = {}
    try:
        for folder, root in file_roots().items():
            root.parent.mkdir(parents=True, exist_ok=True)
            staged[folder] = Path(tempfile.mkdtemp(dir=root.parent, prefix=f".{root.name}.restore-"))
            staged[folder].chmod(stat.S_IMODE(root.stat().st_mode) if root.is_dir() else 0o755)
        files = 0
        with tempfile.TemporaryDirectory() as work:
            database = Path(work) / manifest["database"]["member"]
            for member in archive.getmembers():
                if member.name == MANIFEST:
                    continue
                if member.name == manifest["database"]["member"]:
                    target = database
                else:
                    folder, path = _file_target(member.name)
                    target = staged[folder].joinpath(*path.parts)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    files += 1
                with archive.extractfile(member) as stream, target.open("wb") as out:
                    shutil.copyfileobj(stream, out, CHUNK)
                # Keep who may read a file (protected PDFs are 0600), but let no archive make one writable by others.
                target.chmod(member.mode & 0o755)
                os.utime(target, (member.mtime, member.mtime))
            _load_database(connection, database)
        for folder, root in file_roots().items():
            _swap_in(staged.pop(folder), root)
        return files
    finally:
        for folder in staged.values():
            shutil.rmtree(folder, ignore_errors=True)


def _load_database(connection, database: Path) -> None:
    # Running web processes cache pages under the content version; move it past both the old and
    # the restored number, so none of them serves a page cached before the restore.
    versions = ContentVersion.objects.using(connection.alias)
    tables = connection.introspection.table_names()
    before = versions.values_list("number", flat=True).first() if ContentVersion._meta.db_table in tables else None
    LOADERS[connection.vendor](connection, database)
    if ContentVersion._meta.db_table in connection.introspection.table_names():
        restored = versions.values_list("number", flat=True).first()
        versions.update_or_create(pk=1, defaults={"number": max(before or 0, restored or 0) + 1})


def _sqlite_load(connection, database: Path) -> None:
    connection.ensure_connection()
    if connection.in_atomic_block:
        raise BackupError(_("不能在事务中恢复数据库。"))
    archived = sqlite3.connect(database)
    try:
        # One step: the whole database is replaced in one transaction of the target.
        archived.backup(connection.connection)
    except sqlite3.Error as error:
        raise BackupError(_("恢复数据库失败：%(error)s") % {"error": error})
    finally:
        archived.close()


def _postgresql_load(connection, database: Path) -> None:
    script = database.with_suffix(".sql")
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", f"--file={script}", str(database)])
    # Drop every table first, also those the archive lacks (a later migration's), so that the
    # database ends up as archived; psql runs the drops and the script in one transaction.
    drops = "".join(
        f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE;"
        for table in connection.introspection.table_names()
    )
    options = ["--no-password", "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction"]
    _run_client(connection, "psql", [*options, *(["--command", drops] if drops else []), f"--file={script}"])


LOADERS = {"sqlite": _sqlite_load, "postgresql": _postgresql_load}


# PostgreSQL's client programs ----------------------------------------------------------------


def _run_client(connection, program: str, parameters: list[str]) -> None:
    """Run a PostgreSQL client program on the connection's database (arguments as `dbshell` builds them)."""
    args, env = connection.client.settings_to_cmd_args_env(connection.settings_dict, parameters)
    _run([program, *args[1:]], env={**os.environ, **(env or {})})


def _run(args: list[str], env=None) -> None:
    try:
        result = subprocess.run(args, env=env, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(
            _("找不到 %(program)s：请安装与数据库服务器同一主版本的 PostgreSQL 客户端。") % {"program": args[0]}
        )
    if result.returncode:
        raise BackupError(
            _("%(program)s 失败（退出码 %(code)s）：%(error)s")
            % {"program": args[0], "code": result.returncode, "error": result.stderr.strip()}
        )


def _swap_in(staged: Path, root: Path) -> None:
    """Put the folder `staged` in the place of `root`, each step one rename."""
    old = root.with_name(f".{root.name}.old-{staged.name.rsplit('-', 1)[-1]}")
    if root.exists():
        os.rename(root, old)
    try:
        os.rename(staged, root)
    except OSError:
        if old.exists():
            os.rename(old, root)
        raise
    shutil.rmtree(old, ignore_errors=True)
