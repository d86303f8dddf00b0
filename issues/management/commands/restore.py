from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from issues.backups import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore the database and the media and protected files from a backup made by `backup`. "
        "Every checksum is verified first; a database that is not empty is replaced only with --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path)
        parser.add_argument("--force", action="store_true", help="replace a database that is not empty")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias to restore into")

    def handle(self, *args, source, force, database, **options):
        try:
            restored = backup_restore(source=source, force=force, using=database)
        except BackupError as error:
            raise CommandError(str(error))
        self.stdout.write(
            self.style.SUCCESS(
                f"已从 {source} 恢复数据库和 {restored.files} 个文件（备份于 {restored.manifest['created_at']}）。"
            )
        )
        if restored.pending_migrations:
            self.stdout.write(
                f"备份早于本程序，还有 {len(restored.pending_migrations)} 个迁移未应用：请运行 manage.py migrate。"
            )
