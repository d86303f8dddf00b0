from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from issues.backups import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the database and the media and protected files into DEST, one new .tar file "
        "(with a manifest of SHA-256 checksums); an existing DEST is never overwritten."
    )

    def add_arguments(self, parser):
        parser.add_argument("dest", type=Path)
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias to back up")

    def handle(self, *args, dest, database, **options):
        try:
            manifest = backup_create(dest=dest, using=database)
        except BackupError as error:
            raise CommandError(str(error))
        files = len(manifest["members"]) - 1
        megabytes = dest.stat().st_size / 1024 / 1024
        self.stdout.write(
            self.style.SUCCESS(
                f"已备份到 {dest}：{manifest['database']['vendor']} 数据库和 {files} 个文件，共 {megabytes:.1f} MB。"
            )
        )
