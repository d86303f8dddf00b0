from django.core.management.base import BaseCommand

from issues.files import remove_unfinished_files
from issues.models import IssuePDF


class Command(BaseCommand):
    help = (
        "Clean up after processes killed mid-way (kill -9, a crash): delete the files of imports and "
        "acceptances whose rows were never committed, and mark failed the PDF builds left 'building'. "
        "Run it before starting the task worker; running it while work goes on is safe."
    )

    def handle(self, *args, **options):
        removed = remove_unfinished_files()
        abandoned = IssuePDF.objects.abandon_dead_builds()
        self.stdout.write(f"已删除未完成操作留下的文件 {len(removed)} 个；已把中断的 PDF 生成 {abandoned} 项标为失败。")
