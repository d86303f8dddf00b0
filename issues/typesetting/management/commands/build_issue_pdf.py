import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from issues.files import write_atomically
from issues.models import Issue, IssuePDF
from issues.typesetting.build import TypesettingError, issue_build_pdf
from issues.typesetting.preflight import labelled


class Command(BaseCommand):
    help = "Typeset an issue, e.g. `build_issue_pdf 2017-1`; an unchanged issue is not rebuilt unless --force."

    def add_arguments(self, parser):
        parser.add_argument("issue", help="YEAR-NUMBER, e.g. 2017-1")
        parser.add_argument("--variant", choices=IssuePDF.Variant.values, default=IssuePDF.Variant.SCREEN)
        parser.add_argument("--output", type=Path, help="also copy the PDF to this file")
        parser.add_argument("--force", action="store_true", help="rebuild even if nothing changed")

    def handle(self, *args, issue, variant, output, force, **options):
        match = re.fullmatch(r"(\d{4})-(\d{1,3})", issue)
        if not match:
            raise CommandError(f"“{issue}” is not YEAR-NUMBER, e.g. 2017-1.")
        found = Issue.objects.filter(year=int(match[1]), number=int(match[2])).first()
        if found is None:
            raise CommandError(f"没有 {match[1]} 年第 {match[2]} 期。")
        before = IssuePDF.objects.filter(issue=found, variant=variant).values_list("built_at", flat=True).first()
        try:
            record = issue_build_pdf(issue=found, variant=variant, force=force)
        except TypesettingError as refusal:  # an imported PDF; a failed build is recorded instead
            raise CommandError(f"{found}：{refusal}")
        if record.status != IssuePDF.Status.DONE:
            raise CommandError(f"{record}：生成失败：{record.error}")
        if output:
            write_atomically(output, record.path.read_bytes())
        rebuilt = record.built_at != before
        self.stdout.write(
            self.style.SUCCESS(
                f"{record}：{'已生成' if rebuilt else '内容未变，未重新生成'}，"
                f"{record.page_count} 页，{record.size_bytes / 1024 / 1024:.2f} MB，"
                f"耗时 {record.build_seconds:.2f} 秒 → {output or record.path}"
            )
        )
        if record.content_pages and record.page_count != record.content_pages:
            self.stdout.write(f"补页：{record.content_pages} 页 → {record.page_count} 页")
        findings = labelled(record.preflight)
        self.stdout.write(f"印前检查：发现 {len(findings)} 项" if findings else "印前检查：未发现问题")
        for finding in findings:
            self.stdout.write(
                f"  [{finding['label']}] {finding['where']}{'：' if finding['where'] else ''}{finding['message']}"
            )
