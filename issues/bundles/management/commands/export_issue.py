from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from issues.bundles.errors import BundleError
from issues.bundles.exporter import export_bundle
from issues.models import Issue


class Command(BaseCommand):
    help = "Export an issue as a bundle: DEST is a new folder, or a file ending in .zip."

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)
        parser.add_argument("number", type=int, help="number within the year")
        parser.add_argument("dest", type=Path)

    def handle(self, *args, year, number, dest, **options):
        issue = Issue.objects.filter(year=year, number=number).first()
        if issue is None:
            raise CommandError(_("没有 %(year)d 年第 %(number)d 期。") % {"year": year, "number": number})
        try:
            export_bundle(issue, dest)
        except BundleError as error:
            raise CommandError(str(error))
        self.stdout.write(self.style.SUCCESS(_("已导出 %(issue)s 到 %(dest)s。") % {"issue": issue, "dest": dest}))
