import tomllib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from issues.bundles.errors import BundleError
from issues.bundles.importer import import_bundle
from issues.models import Issue, Periodical

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"


class Command(BaseCommand):
    help = "Load the demo periodical settings and demo issue; running it again changes nothing."

    def handle(self, *args, **options):
        with transaction.atomic():
            periodical = Periodical.load()
            if periodical.name == Periodical._meta.get_field("name").default:
                settings = tomllib.loads((DEMO_DIR / "periodical.toml").read_text("utf-8"))
                for key, value in settings.items():
                    setattr(periodical, key, value.strip() if isinstance(value, str) else value)
                periodical.full_clean()
                periodical.save()
                self.stdout.write(f"已设置刊物：{periodical.name}")

        manifest = tomllib.loads((DEMO_DIR / "issue.toml").read_text("utf-8"))
        existing = Issue.objects.filter(year=manifest["year"], number=manifest["number"]).first()
        if existing:
            self.stdout.write(f"示例期刊 {existing} 已存在，跳过。")
            return
        try:
            issue = import_bundle(DEMO_DIR, publish=True)
        except BundleError as error:
            raise CommandError(str(error))
        self.stdout.write(self.style.SUCCESS(f"已导入示例期刊 {issue}（{issue.articles.count()} 篇文章）。"))
