"""Benchmark of the screen build against the typesetting targets; a report, it exits 0 unless it crashes.

Targets, for the demo issue on a 2-core machine: the whole `screen` build (database → file)
in ≤ 3 s and ≤ 1.3× plain WeasyPrint rendering and writing the same HTML in the same run,
peak memory ≤ 600 MB, PDF ≤ 2 MB. The same figures are reported for an issue three times
as long (the demo's articles repeated three times).

    .venv/bin/python benchmarks/typesetting.py [--runs 5]

Everything happens in a temporary folder (SQLite database, media, protected files), removed
afterwards. Every measurement runs in a process of its own, one at a time, forked from a clean
process of this script (`--fork-server`), so each has its own peak memory (getrusage maxrss:
Pango, cairo and HarfBuzz allocate in C, where tracemalloc sees nothing) and the baseline's
process never loads the CJK-justification patch.
"""

import argparse
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 3.0
TARGET_RATIO = 1.3
TARGET_PEAK_MB = 600
TARGET_PDF_MB = 2
MB = 1_000_000  # decimal megabytes: the stricter reading of "600 MB" and "2 MB" for what is measured here
COPY_SUFFIXES = ("", "（二）", "（三）")


# Set-up ---------------------------------------------------------------------------------------


def use_throwaway_project(data_dir: Path):
    """Point the settings at `data_dir` (development settings) and set up Django."""
    os.environ.pop("BULLETIN_SECRET_KEY", None)  # production settings would want collectstatic's manifest
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bulletin.settings",
        BULLETIN_DATA_DIR=str(data_dir),
        DATABASE_URL=f"sqlite:///{data_dir / 'db.sqlite3'}",
        BULLETIN_MEDIA_ROOT=str(data_dir / "media"),
        BULLETIN_PROTECTED_ROOT=str(data_dir / "protected"),
        BULLETIN_STATIC_ROOT=str(data_dir / "static"),
        # Publishing the demo queues its builds; with the database backend they wait for a
        # `db_worker` that never runs, so no build but ours happens in any process.
        BULLETIN_TASKS_BACKEND="database",
    )
    setup_django()


def setup_django():
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


def issue_tripled(demo):
    """A new issue whose articles are the demo's, three times over, in the same order."""
    from django.db import transaction

    from articles.models import Article, Authorship
    from issues.models import Issue, MastheadLine

    originals = list(demo.articles.in_print_order().prefetch_related("authorships"))
    step = max(article.position for article in originals)
    _year, number, total_number = Issue.next_numbers()  # the demo is the latest issue
    with transaction.atomic():
        issue = Issue.objects.create(
            year=demo.year,
            number=number,
            total_number=total_number,
            publication_date=demo.publication_date,
            title=demo.title,
            cover=demo.cover.name,
            print_run=demo.print_run,
        )
        MastheadLine.objects.bulk_create(
            MastheadLine(issue=issue, position=line.position, label=line.label, value=line.value)
            for line in demo.masthead_lines.all()
        )
        for copy, suffix in enumerate(COPY_SUFFIXES):
            for original in originals:
                article = Article.objects.create(
                    issue=issue,
                    section_id=original.section_id,
                    position=copy * step + original.position,
                    title=original.title + suffix,
                    subtitle=original.subtitle,
                    byline=original.byline,
                    source=original.source,
                    body=original.body,
                    summary=original.summary,
                    in_toc=original.in_toc,
                    status=Article.Status.READY,
                )
                Authorship.objects.bulk_create(
                    Authorship(article=article, contributor_id=authorship.contributor_id, position=authorship.position)
                    for authorship in original.authorships.all()
                )
    return issue


# Measurements: each in a process of its own, one at a time -----------------------------------


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB  # Linux reports KiB


def justify_installed():
    from weasyprint.layout import inline

    return inline.justify_line.__module__ != "weasyprint.layout.inline"


def worker_build(issue_pk: int) -> dict:
    """The project's build: issue_build_pdf, timed from the call until it returns with the file written."""
    from issues.models import Issue, IssuePDF
    from issues.typesetting.build import issue_build_pdf

    issue = Issue.objects.get(pk=issue_pk)
    assert not justify_installed()
    ready_mb = peak_mb()
    started = time.perf_counter()
    record = issue_build_pdf(issue=issue, variant=IssuePDF.Variant.SCREEN, force=True)
    seconds = time.perf_counter() - started
    if record.status != IssuePDF.Status.DONE:
        raise SystemExit(f"build failed: {record.error}")
    assert justify_installed(), "the build should have installed the CJK-justification patch"
    return {
        "seconds": seconds,
        "recorded_seconds": record.build_seconds,
        "ready_mb": ready_mb,
        "peak_mb": peak_mb(),
        "bytes": record.path.stat().st_size,
        "pages": record.page_count,
        "build_key": record.build_key,
    }


def worker_baseline(html_path: Path, pdf_path: Path) -> dict:
    """WeasyPrint as shipped: render the same HTML with the project's fetcher and write the PDF to a file."""
    import weasyprint

    from issues.typesetting.fetcher import BASE_URL, ProjectFilesFetcher

    html = html_path.read_text("utf-8")
    assert not justify_installed()
    ready_mb = peak_mb()
    started = time.perf_counter()
    document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=ProjectFilesFetcher()).render()
    rendered = time.perf_counter()
    document.write_pdf(pdf_path)
    seconds = time.perf_counter() - started
    assert not justify_installed()
    return {
        "seconds": seconds,
        "render_seconds": rendered - started,
        "ready_mb": ready_mb,
        "peak_mb": peak_mb(),
        "bytes": pdf_path.stat().st_size,
        "pages": len(document.pages),
    }


def serve_measurements():
    """The fork server: a clean process that forks one child per request read from stdin.

    Importing Django and WeasyPrint takes over a second; done once here, every child starts
    from the same state (nothing rendered, no database connection, no justification patch)
    and only its own work is measured. A child's maxrss starts at the RSS it inherits.
    """
    setup_django()
    import weasyprint  # noqa: F401  (what both kinds of measurement need, and nothing more)
    import weasyprint.layout.inline  # noqa: F401

    import issues.models  # noqa: F401
    import issues.typesetting.fetcher  # noqa: F401

    for line in sys.stdin:
        kind, *args = json.loads(line)
        sys.stdout.flush()
        child = os.fork()
        if child == 0:
            status = 0
            try:
                result = (
                    worker_build(int(args[0])) if kind == "build" else worker_baseline(Path(args[0]), Path(args[1]))
                )
            except BaseException as exc:
                traceback.print_exc()
                result, status = {"error": f"{type(exc).__name__}: {exc}"}, 1
            print(json.dumps(result), flush=True)
            sys.stderr.flush()
            os._exit(status)
        _pid, status = os.waitpid(child, 0)
        if os.WIFSIGNALED(status):
            print(json.dumps({"error": f"killed by signal {os.WTERMSIG(status)}"}), flush=True)


class Measurements:
    """Runs measurements one at a time in children of a fork server started with the throwaway environment."""

    def __init__(self, stderr_path: Path):
        self.stderr_path = stderr_path
        self.stderr = open(stderr_path, "w")  # noqa: SIM115 - open for the server's lifetime, closed in close()
        self.server = subprocess.Popen(
            [sys.executable, __file__, "--fork-server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            cwd=REPO,
        )

    def __call__(self, *args) -> dict:
        self.server.stdin.write(json.dumps([str(arg) for arg in args]) + "\n")
        self.server.stdin.flush()
        line = self.server.stdout.readline()
        result = json.loads(line) if line else {"error": "the fork server stopped"}
        if "error" in result:
            sys.stderr.write(self.stderr_path.read_text())
            raise RuntimeError(f"measurement {args} failed: {result['error']}")
        return result

    def close(self) -> dict[str, int]:
        """Stop the server; what the children wrote to stderr (e.g. WeasyPrint warnings), line -> count."""
        self.server.stdin.close()
        self.server.wait()
        self.stderr.close()
        lines = {}
        for line in filter(None, self.stderr_path.read_text().splitlines()):
            lines[line] = lines.get(line, 0) + 1
        return lines


# The benchmark --------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="measurements of each kind per issue (default 5)")
    parser.add_argument("--fork-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--fresh-build", type=int, metavar="ISSUE_PK", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.fork_server:
        serve_measurements()
        return
    if options.fresh_build:
        setup_django()
        print(json.dumps(worker_build(options.fresh_build)))
        return

    began = time.perf_counter()
    data_dir = Path(tempfile.mkdtemp(prefix="bulletin-benchmark-"))
    try:
        report(data_dir, runs=options.runs)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    print(f"\nTotal time of this benchmark: {time.perf_counter() - began:.0f} s")


def report(data_dir: Path, *, runs: int):
    use_throwaway_project(data_dir)
    import weasyprint
    from django.core.management import call_command
    from django.db import connections

    from issues.models import Issue, IssuePDF
    from issues.typesetting.build import build_key
    from issues.typesetting.document import issue_html

    print(
        f"bulletin typesetting benchmark — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"WeasyPrint {weasyprint.__version__}, {runs} runs"
    )
    print(f"Throwaway project in {data_dir}")
    setup_started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=io.StringIO())
    demo = Issue.objects.get()  # load_demo made the only issue
    long = issue_tripled(demo)
    cases = {"demo": demo, "demo ×3": long}
    html_dir = data_dir / "baseline"
    html_dir.mkdir()
    keys = {}
    for name, issue in cases.items():
        html = issue_html(issue, variant=IssuePDF.Variant.SCREEN)
        (html_dir / f"{issue.key}.html").write_text(html, "utf-8")
        keys[name] = build_key(html, variant=IssuePDF.Variant.SCREEN)
        print(f"  {name:8} {issue}: {issue.articles.count()} articles, HTML {len(html.encode()) / 1000:.0f} kB")
    connections.close_all()  # the measured builds write to the same SQLite file

    # A warm-up build, not part of the statistics: it fills the OS file cache (fonts, database),
    # so the first measured run is not the only one reading them from disk. It runs in a freshly
    # started interpreter, as `manage.py build_issue_pdf` would, to cross-check the peak memory of
    # the forked measurements (which start from the fork server's RSS).
    fresh = subprocess.run(
        [sys.executable, __file__, "--fresh-build", str(demo.pk)], capture_output=True, text=True, cwd=REPO
    )
    if fresh.returncode:
        sys.stderr.write(fresh.stdout + fresh.stderr)
        raise RuntimeError("the warm-up build failed")
    fresh = json.loads(fresh.stdout.splitlines()[-1])
    print(
        f"Set-up and warm-up: {time.perf_counter() - setup_started:.1f} s. Warm-up build of the demo in a freshly "
        f"started interpreter: {fresh['seconds']:.2f} s, peak memory {fresh['peak_mb']:.0f} MB "
        f"({fresh['ready_mb']:.0f} MB after start-up)"
    )
    measure = Measurements(data_dir / "workers.log")

    results = {name: {"build": [], "baseline": []} for name in cases}
    print("\nrun  issue     project build (DB → file)          WeasyPrint baseline (same HTML)")
    for run in range(1, runs + 1):
        for name, issue in cases.items():
            order = ("build", "baseline") if run % 2 else ("baseline", "build")  # cancel drift
            for kind in order:
                if kind == "build":
                    result = measure("build", issue.pk)
                    if result["build_key"] != keys[name]:
                        raise RuntimeError("the build typeset different HTML from the baseline's")
                else:
                    html = html_dir / f"{issue.key}.html"
                    result = measure("baseline", html, html.with_suffix(".pdf"))
                results[name][kind].append(result)
            build, baseline = results[name]["build"][-1], results[name]["baseline"][-1]
            print(
                f"{run:>3}  {name:8}  {build['seconds']:5.2f} s  peak {build['peak_mb']:4.0f} MB  "
                f"{build['pages']:3} p  {build['bytes'] / MB:5.2f} MB    "
                f"{baseline['seconds']:5.2f} s  peak {baseline['peak_mb']:4.0f} MB  "
                f"{baseline['pages']:3} p  {baseline['bytes'] / MB:5.2f} MB"
            )

    warnings = measure.close()
    summary = {name: summarise(result) for name, result in results.items()}
    print_summary(summary, fresh)
    print_method(summary)
    print_warnings(warnings)


def print_warnings(warnings: dict[str, int]) -> None:
    """What the measured processes wrote to stderr (Measurements.close()), each line with its count."""
    print("\nWhat the measured processes wrote to stderr (WeasyPrint warnings and the like):")
    for line, count in warnings.items():
        print(f"  ({count}×) {line}")
    if not warnings:
        print("  nothing")


def summarise(result):
    build, baseline = result["build"], result["baseline"]

    def seconds(rows):
        values = [row["seconds"] for row in rows]
        return statistics.median(values), min(values)

    figures = {
        "build": seconds(build),
        "baseline": seconds(baseline),
        "baseline_render": statistics.median(row["render_seconds"] for row in baseline),
        "recorded": statistics.median(row["recorded_seconds"] for row in build),
        "peak_mb": max(row["peak_mb"] for row in build),
        "ready_mb": max(row["ready_mb"] for row in build),
        "baseline_peak_mb": max(row["peak_mb"] for row in baseline),
        "bytes": max(row["bytes"] for row in build),
        "baseline_bytes": max(row["bytes"] for row in baseline),
        "pages": {row["pages"] for row in build},
        "baseline_pages": {row["pages"] for row in baseline},
    }
    figures["ratio"] = figures["build"][0] / figures["baseline"][0]
    figures["ratio_of_mins"] = figures["build"][1] / figures["baseline"][1]
    return figures


def print_summary(summary, fresh):
    demo, long = summary["demo"], summary["demo ×3"]
    pages = {name: max(figures["pages"]) for name, figures in summary.items()}

    def verdict(ok):
        return "PASS" if ok else "FAIL"

    def pages_text(figures):
        return "/".join(map(str, sorted(figures["pages"])))

    def same_pages(figures):
        return (
            "same"
            if figures["pages"] == figures["baseline_pages"]
            else "baseline: " + "/".join(map(str, sorted(figures["baseline_pages"])))
        )

    rows = [
        (
            "whole screen build (median)",
            f"≤ {TARGET_SECONDS:g} s",
            f"{demo['build'][0]:.2f} s",
            verdict(demo["build"][0] <= TARGET_SECONDS),
            f"{long['build'][0]:.2f} s",
        ),
        ("  min of the runs", "", f"{demo['build'][1]:.2f} s", "", f"{long['build'][1]:.2f} s"),
        ("WeasyPrint baseline (median)", "", f"{demo['baseline'][0]:.2f} s", "", f"{long['baseline'][0]:.2f} s"),
        ("  min of the runs", "", f"{demo['baseline'][1]:.2f} s", "", f"{long['baseline'][1]:.2f} s"),
        (
            "  of which render() (median)",
            "",
            f"{demo['baseline_render']:.2f} s",
            "",
            f"{long['baseline_render']:.2f} s",
        ),
        (
            "build / baseline (medians)",
            f"≤ {TARGET_RATIO:g}×",
            f"{demo['ratio']:.2f}×",
            verdict(demo["ratio"] <= TARGET_RATIO),
            f"{long['ratio']:.2f}×",
        ),
        ("  build / baseline (mins)", "", f"{demo['ratio_of_mins']:.2f}×", "", f"{long['ratio_of_mins']:.2f}×"),
        (
            "peak memory of the build (max)",
            f"≤ {TARGET_PEAK_MB} MB",
            f"{demo['peak_mb']:.0f} MB",
            verdict(max(demo["peak_mb"], fresh["peak_mb"]) <= TARGET_PEAK_MB),
            f"{long['peak_mb']:.0f} MB",
        ),
        ("  in a fresh interpreter (warm-up)", "", f"{fresh['peak_mb']:.0f} MB", "", ""),
        ("  of the baseline (max)", "", f"{demo['baseline_peak_mb']:.0f} MB", "", f"{long['baseline_peak_mb']:.0f} MB"),
        (
            "screen PDF size",
            f"≤ {TARGET_PDF_MB} MB",
            f"{demo['bytes'] / MB:.2f} MB",
            verdict(demo["bytes"] <= TARGET_PDF_MB * MB),
            f"{long['bytes'] / MB:.2f} MB",
        ),
        (
            "  baseline PDF size",
            "",
            f"{demo['baseline_bytes'] / MB:.2f} MB",
            "",
            f"{long['baseline_bytes'] / MB:.2f} MB",
        ),
        (
            "pages (build = baseline?)",
            "~25; ×3: ~3× demo",
            f"{pages_text(demo)} ({same_pages(demo)})",
            "ok" if 20 <= pages["demo"] <= 30 and 2.5 <= pages["demo ×3"] / pages["demo"] <= 3.5 else "CHECK",
            f"{pages_text(long)} ({same_pages(long)}; {pages['demo ×3'] / pages['demo']:.2f}× the demo)",
        ),
    ]
    header = ("figure", "target (demo)", "demo", "verdict", "demo ×3 (report only)")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    print()
    for row in (header, tuple("-" * width for width in widths), *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def print_method(summary):
    demo = summary["demo"]
    print(f"""
Method
- Each figure comes from its own process, run one at a time, alternating project build and
  baseline (the order swapped every run). The processes are forked from one clean process that
  has imported Django and WeasyPrint and nothing more (no rendering, no database connection, no
  patch), so start-up is outside the clock; the clock runs from the call until the PDF is on disk.
- Project build: issues.typesetting.build.issue_build_pdf(issue=…, variant="screen", force=True),
  i.e. the queries, issue_html, build_key, rendering with the CJK-justification patch, the
  missing-glyph check, the atomic fsynced write and the database bookkeeping.
- Baseline: weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=ProjectFilesFetcher())
  .render().write_pdf(file) on the very HTML the build typesets (the build's build_key is checked
  against it on every run), in a process that never imports issues.typesetting.build, so
  WeasyPrint runs as shipped (checked: weasyprint.layout.inline.justify_line is WeasyPrint's).
  Both sides therefore pay the same per-process costs; WeasyPrint loads fontconfig afresh for
  every render anyway (a new FontConfiguration per HTML.render()).
- Peak memory: getrusage(RUSAGE_SELF).ru_maxrss of the measuring process, the maximum over the
  runs. It includes Python, Django and WeasyPrint already loaded ({demo["ready_mb"]:.0f} MB resident when the
  build starts); a freshly started interpreter also peaks during its imports, hence the
  cross-check with the warm-up build above.
- MB here means 1,000,000 bytes. The build's own IssuePDF.build_seconds (render and write only)
  was {demo["recorded"]:.2f} s median for the demo, against {demo["build"][0]:.2f} s for the whole call.""")


if __name__ == "__main__":
    main()
