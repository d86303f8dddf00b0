from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from issues.bundles.errors import BundleError
from issues.bundles.importer import ImportResult, PeriodicalOutcome, import_bundle, periodical_report
from issues.workflow import TransitionNotAllowed

# What refuses one bundle (bad files, a workflow step refused); anything else is a bug, not a refusal.
REFUSALS = (BundleError, TransitionNotAllowed)


class Command(BaseCommand):
    help = "Import an issue bundle (a folder or a .zip holding issue.toml); all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="bundle folder or .zip file")
        self.add_import_options(parser)

    @staticmethod
    def add_import_options(parser):
        parser.add_argument(
            "--replace", action="store_true", help="replace an existing issue with the same year and number"
        )
        parser.add_argument("--publish", action="store_true", help="publish the issue after importing it")
        parser.add_argument(
            "--periodical",
            action="store_true",
            help="apply the bundle's periodical.toml even if the periodical has been set up already",
        )

    def handle(self, *args, path, replace, publish, periodical, **options):
        try:
            self.import_one(path, replace=replace, publish=publish, periodical=periodical, write=self.stdout.write)
        except REFUSALS as error:
            raise CommandError(str(error))

    def import_one(self, path: Path, *, replace: bool, publish: bool, periodical: bool, write) -> ImportResult:
        """Import the bundle at `path` and `write` what became of it, line by line; REFUSALS on refusal."""
        result = import_bundle(path, replace=replace, publish=publish, overwrite_periodical=periodical)
        if report := periodical_report(result.periodical):
            if result.periodical is PeriodicalOutcome.KEPT:
                report += _("如要按 periodical.toml 覆盖，请加 --periodical。")
            write(report)
        for warning in result.warnings:
            write(self.style.WARNING(_("请核对：%(warning)s") % {"warning": warning}))
        count = result.issue.articles.count()
        write(self.style.SUCCESS(_("已导入 %(issue)s：%(count)d 篇文章。") % {"issue": result.issue, "count": count}))
        return result
