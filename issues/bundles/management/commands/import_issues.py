from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from issues.bundles.errors import IssueExists
from issues.bundles.importer import MANIFEST
from issues.bundles.management.commands import import_issue


class Command(import_issue.Command):
    help = (
        "Import every bundle in FOLDER (each subfolder holding issue.toml, and each .zip), in name order, "
        "each on its own and all or nothing; an issue already there is skipped unless --replace."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="folder holding bundle folders and .zip files")
        self.add_import_options(parser)

    def handle(self, *args, folder, replace, publish, periodical, **options):
        if not folder.is_dir():
            raise CommandError(_("%(folder)s：不是文件夹。") % {"folder": folder})
        bundles = sorted(
            path
            for path in folder.iterdir()
            if (path.is_dir() and (path / MANIFEST).is_file()) or (path.is_file() and path.suffix.lower() == ".zip")
        )
        imported, skipped, failed = [], [], []
        stderr = self.stderr._out  # tqdm redraws its line with \r: the wrapper would end each write with \n
        with tqdm(bundles, desc=_("导入"), unit=_("期"), file=stderr, disable=not bundles) as progress:

            def write(line):
                progress.write(line, file=self.stdout._out)

            for path in progress:
                progress.set_postfix_str(path.name)
                try:
                    self.import_one(path, replace=replace, publish=publish, periodical=periodical, write=write)
                except IssueExists as error:
                    skipped.append((path.name, error.message))
                except import_issue.REFUSALS as error:
                    failed.append((path.name, str(error)))
                except Exception as error:  # a bug shown by one bundle: it was rolled back, the others go on
                    failed.append((path.name, f"{type(error).__name__}: {error}"))
                else:
                    imported.append(path.name)
        self.stdout.write(
            _("导入 %(imported)d 期，跳过 %(skipped)d 期（已存在），失败 %(failed)d 期。")
            % {"imported": len(imported), "skipped": len(skipped), "failed": len(failed)}
        )
        for name, message in skipped:
            self.stdout.write(_("  跳过 %(name)s：%(message)s") % {"name": name, "message": message})
        for name, message in failed:
            self.stdout.write(self.style.ERROR(_("  失败 %(name)s：%(message)s") % {"name": name, "message": message}))
        if failed:
            raise CommandError(_("%(count)d 个包导入失败，见上。") % {"count": len(failed)})
