from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from issues.bundles.errors import BundleError
from issues.bundles.importer import import_bundle
from issues.workflow import TransitionNotAllowed


class Command(BaseCommand):
    help = "Import an issue bundle (a folder or a .zip holding issue.toml); all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="bundle folder or .zip file")
        parser.add_argument(
            "--replace", action="store_true", help="replace an existing issue with the same year and number"
        )
        parser.add_argument("--publish", action="store_true", help="publish the issue after importing it")

    def handle(self, *args, path, replace, publish, **options):
        try:
            issue = import_bundle(path, replace=replace, publish=publish)
        except (BundleError, TransitionNotAllowed) as error:
            raise CommandError(str(error))
        count = issue.articles.count()
        self.stdout.write(self.style.SUCCESS(f"已导入 {issue}：{count} 篇文章。"))
