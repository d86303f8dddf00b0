import tomllib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from issues.bundles.errors import BundleError
from issues.bundles.importer import MANIFEST, import_bundle, import_periodical, periodical_report
from issues.models import Issue

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"


class Command(BaseCommand):
    help = "Load the demo periodical settings and demo issue; running it again changes nothing."

    def handle(self, *args, **options):
        # The periodical comes from the bundle's periodical.toml, by the importer's rule: it sets up
        # a periodical nobody has set up yet and leaves the editors' own settings alone.
        manifest = tomllib.loads((DEMO_DIR / MANIFEST).read_text("utf-8"))
        existing = Issue.objects.filter(year=manifest["year"], number=manifest["number"]).first()
        try:
            if existing:
                outcome, issue = import_periodical(DEMO_DIR), None
            else:
                result = import_bundle(DEMO_DIR, publish=True)
                outcome, issue = result.periodical, result.issue
        except BundleError as error:
            raise CommandError(str(error))
        if report := periodical_report(outcome):
            self.stdout.write(report)
        if issue is None:
            self.stdout.write(_("示例期刊 %(issue)s 已存在，跳过。") % {"issue": existing})
        else:
            message = _("已导入示例期刊 %(issue)s（%(count)d 篇文章）。") % {
                "issue": issue,
                "count": issue.articles.count(),
            }
            self.stdout.write(self.style.SUCCESS(message))
