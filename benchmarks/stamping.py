"""Benchmark of per-reader PDF stamping against typesetting the issue again; a report, exits 0 unless it crashes.

Stamping must be cheap enough to do on a reader's first download: a one-line overlay typeset
by WeasyPrint and merged into every page of the built PDF with pypdf, then kept per reader.
The baseline is what stamping by typesetting would cost: a full screen build of the same
issue. Run on the demo issue, in a temporary folder removed afterwards:

    .venv/bin/python benchmarks/stamping.py [--readers 10]
"""

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MB = 1_000_000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=10, help="distinct readers to stamp a copy for")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="bulletin-stamping-"))
    try:
        run(data_dir, args.readers)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def run(data_dir, readers):
    os.environ.pop("BULLETIN_SECRET_KEY", None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bulletin.settings",
        BULLETIN_DATA_DIR=str(data_dir),
        DATABASE_URL=f"sqlite:///{data_dir / 'db.sqlite3'}",
        BULLETIN_TASKS_BACKEND="database",  # publishing the demo queues builds nobody runs: we time our own
    )
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command

    from issues.models import Issue
    from issues.subscriptions.delivery import stamp_pdf, stamped_copy
    from issues.typesetting.build import issue_build_pdf

    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)
    issue = Issue.objects.get()

    started = time.perf_counter()
    record = issue_build_pdf(issue=issue, variant="screen", force=True)
    build_seconds = time.perf_counter() - started
    original = record.path.read_bytes()
    stamp_pdf(original, "仅供 预热（预热）使用")  # load fonts once, as a running server has

    first_copies, sizes = [], []
    for n in range(readers):
        line = f"仅供 读者{n:02d}（南滨市第{n}中学）使用"
        started = time.perf_counter()
        path = stamped_copy(record, line)
        first_copies.append(time.perf_counter() - started)
        sizes.append(path.stat().st_size)
    started = time.perf_counter()
    for n in range(readers):
        stamped_copy(record, f"仅供 读者{n:02d}（南滨市第{n}中学）使用")
    cached = (time.perf_counter() - started) / readers
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB

    median = statistics.median(first_copies)
    print(f"demo issue: {record.page_count} pages, built PDF {len(original) / MB:.2f} MB")
    print(f"baseline, typesetting the issue again:  {build_seconds:6.2f} s")
    print(
        f"first stamped copy per reader ({readers}): median {median:.3f} s, max {max(first_copies):.3f} s "
        f"({build_seconds / median:.0f}x faster than the baseline)"
    )
    print(f"later downloads (cached copy lookup):   {cached * 1000:.2f} ms")
    print(
        f"stamped copy size: {statistics.median(sizes) / MB:.2f} MB (+{(statistics.median(sizes) - len(original)) / 1000:.0f} kB: "
        "the overlay's CJK font subset)"
    )
    print(f"peak memory of this process (build included): {peak:.0f} MB")


if __name__ == "__main__":
    main()
