"""Benchmark of the issue PDF as print production: its Chinese typography beside Chromium's, and its cost.

A report; it exits 0 unless it crashes.

    .venv/bin/python benchmarks/print_production.py [--runs 3] [--keep-pdfs DIR]

Targets for the screen PDF, measured by tests/typography.py on the body lines of two-column
running text: at least 97 % of full lines flush with the column's edge, at most 0.5 % loose
(more than 0.12 em between CJK characters), no 孤字 (a paragraph's last line holding one
character), no closing punctuation at the start of a line. The anchor to beat is Debian's
Chromium printing the same HTML with the same stylesheet. And the whole build (database → file)
at most 1.3× WeasyPrint alone rendering and writing the same HTML, measured in the same run.

The demo issue and an issue three times as long (the demo's articles three times over) are set
up in a temporary folder, as benchmarks/typesetting.py does, and removed afterwards; the timed
processes come from that benchmark's fork server.
"""

import argparse
import http.server
import io
import mimetypes
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from typesetting import (  # noqa: E402  the throwaway project and the fork server of the typesetting benchmark
    REPO,
    Measurements,
    issue_tripled,
    print_warnings,
    summarise,
    use_throwaway_project,
)

sys.path.insert(0, str(REPO))
from tests.typography import FLUSH_TOLERANCE_PT, LOOSE_GAP_EM, measure_pdf  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
TARGET_FLUSH = 0.97
TARGET_LOOSE = 0.005
TARGET_RATIO = 1.3
SHOWN_FINDINGS = 5
# Chromium shrinks every page to fit when anything overflows a page sideways (the ×3 issue's
# cover holds three times the headlines, and their columns spill out to the right); WeasyPrint
# never scales. Clipping the top-level blocks' sideways overflow keeps Chromium at full size
# and leaves every line of running text as it was.
CHROMIUM_STYLE = "<style>body > * { overflow-x: clip; }</style>"
# A fresh interpreter that renders and writes the issue HTML with WeasyPrint alone (and Django
# set up, for the fetcher's static-file finders), as `manage.py build_issue_pdf` starts afresh.
FRESH_WEASYPRINT = """
import sys
sys.path.insert(0, {repo!r})
import django
django.setup()
import weasyprint
from issues.typesetting.fetcher import BASE_URL, ProjectFilesFetcher
html = open({html!r}, encoding="utf-8").read()
weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=ProjectFilesFetcher()).render().write_pdf({pdf!r})
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each kind per issue (default 3)")
    parser.add_argument("--keep-pdfs", type=Path, metavar="DIR", help="copy the measured PDFs and the HTML here")
    options = parser.parse_args()
    began = time.perf_counter()
    data_dir = Path(tempfile.mkdtemp(prefix="bulletin-print-production-"))
    try:
        report(data_dir, runs=options.runs, keep=options.keep_pdfs)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    print(f"\nTotal time of this benchmark: {time.perf_counter() - began:.0f} s")


def report(data_dir: Path, *, runs: int, keep: Path | None):
    use_throwaway_project(data_dir)
    import weasyprint
    from django.core.management import call_command
    from django.db import connections

    from issues.models import Issue

    chromium_version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    print(
        f"bulletin print-production benchmark — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"WeasyPrint {weasyprint.__version__}, {chromium_version}, {runs} runs; load average {load()}"
    )
    print(f"Throwaway project in {data_dir}")
    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=io.StringIO())
    demo = Issue.objects.get()  # load_demo made the only issue
    cases = {"demo": demo, "demo ×3": issue_tripled(demo)}
    work = data_dir / "work"
    work.mkdir()

    typography, builds, htmls = typeset_both_ways(cases, work=work, chromium_profile=data_dir / "chromium-profile")
    connections.close_all()  # the timed builds write to the same SQLite file
    results, warnings = timed_runs(cases, htmls, work=work, log=data_dir / "workers.log", runs=runs)
    print(f"Load average after the runs: {load()}")
    # What WeasyPrint makes of the HTML without the project's build (the timing baseline's PDF).
    shipped = {name: measure_pdf(work / f"{issue.key}-baseline.pdf") for name, issue in cases.items()}

    print_typography(typography)
    print_timing(results, builds)
    print_findings(typography, shipped)
    print_method(typography)
    print_warnings(warnings)
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
        for path in work.iterdir():
            shutil.copyfile(path, keep / path.name)
        print(f"\nThe HTML and the PDFs (ours, chromium, baseline, fresh) are copied to {keep}")


def typeset_both_ways(cases, *, work: Path, chromium_profile: Path):
    """Each issue's screen and print builds, and Chromium's print of the screen HTML; the typography of both.

    Returns (typography, builds, htmls): name -> {"ours", "chromium"} reports; name -> variant
    -> seconds and pages; name -> (HTML file, build_key).
    """
    from issues.models import IssuePDF
    from issues.typesetting.build import build_key, issue_build_pdf
    from issues.typesetting.document import issue_html

    typography, builds, htmls = {}, {}, {}
    with ProjectFilesServer() as server:
        for name, issue in cases.items():
            html = issue_html(issue, variant=IssuePDF.Variant.SCREEN)
            html_path = work / f"{issue.key}.html"
            html_path.write_text(html, "utf-8")
            htmls[name] = (html_path, build_key(html, variant=IssuePDF.Variant.SCREEN))
            builds[name] = {}
            ours = work / f"{issue.key}-ours.pdf"
            for variant in (IssuePDF.Variant.SCREEN, IssuePDF.Variant.PRINT):
                started = time.perf_counter()
                record = issue_build_pdf(issue=issue, variant=variant, force=True)
                if record.status != IssuePDF.Status.DONE:
                    raise RuntimeError(f"the {variant} build of {name} failed: {record.error}")
                builds[name][variant] = {"seconds": time.perf_counter() - started, "pages": record.page_count}
                if variant == IssuePDF.Variant.SCREEN:
                    shutil.copyfile(record.path, ours)  # the timed builds overwrite it
            chromium = work / f"{issue.key}-chromium.pdf"
            server.html = html.replace("</head>", CHROMIUM_STYLE + "</head>", 1).encode()
            started = time.perf_counter()
            print_with_chromium(server.url("/issue.html"), chromium, profile=chromium_profile)
            builds[name]["chromium"] = {"seconds": time.perf_counter() - started}
            typography[name] = {"ours": measure_pdf(ours), "chromium": measure_pdf(chromium)}
            sizes = {engine: measured.body_font for engine, measured in typography[name].items()}
            if sizes["ours"] and sizes["chromium"] and sizes["ours"][1] != sizes["chromium"][1]:
                print(f"  CHECK: {name}: Chromium's body text is not at our size (shrunk to fit?): {sizes}")
            print(
                f"  {name:8} {issue}: {issue.articles.count()} articles, HTML {len(html.encode()) / 1000:.0f} kB; "
                f"screen {builds[name]['screen']['pages']} p, print {builds[name]['print']['pages']} p, "
                f"Chromium {typography[name]['chromium'].pages} p"
            )
        if server.refused:
            print(f"  Chromium asked for what the typesetter would not load: {', '.join(sorted(server.refused))}")
    return typography, builds, htmls


def timed_runs(cases, htmls, *, work: Path, log: Path, runs: int):
    """Build against WeasyPrint alone, forked and as whole processes, in alternating order; (results, stderr)."""
    measure = Measurements(log)
    results = {name: {"build": [], "baseline": [], "command": [], "fresh_weasyprint": []} for name in cases}
    print("\nrun  issue     build (fork)  WeasyPrint (fork)  manage.py build_issue_pdf  python -c WeasyPrint")
    for run in range(1, runs + 1):
        for name, issue in cases.items():
            html_path, key = htmls[name]
            forward = run % 2 == 1  # alternate the order, so that drift falls on both sides
            for kind in ("build", "baseline") if forward else ("baseline", "build"):
                if kind == "build":
                    result = measure("build", issue.pk)
                    if result["build_key"] != key:
                        raise RuntimeError("the build typeset different HTML from the baseline's")
                else:
                    result = measure("baseline", html_path, work / f"{issue.key}-baseline.pdf")
                results[name][kind].append(result)
            for kind in ("command", "fresh_weasyprint") if forward else ("fresh_weasyprint", "command"):
                if kind == "command":
                    command = [
                        sys.executable,
                        "manage.py",
                        "build_issue_pdf",
                        f"{issue.year}-{issue.number}",
                        "--force",
                    ]
                else:
                    script = FRESH_WEASYPRINT.format(
                        repo=str(REPO), html=str(html_path), pdf=str(work / f"{issue.key}-fresh.pdf")
                    )
                    command = [sys.executable, "-c", script]
                results[name][kind].append(run_fresh(command))
            latest = {kind: rows[-1] for kind, rows in results[name].items()}
            print(
                f"{run:>3}  {name:8}  {latest['build']['seconds']:9.2f} s  {latest['baseline']['seconds']:14.2f} s"
                f"  {latest['command']:22.2f} s  {latest['fresh_weasyprint']:17.2f} s"
            )
    return results, measure.close()


def load():
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


def run_fresh(command) -> float:
    """Wall time of `command` in a new process (interpreter start-up and imports included)."""
    started = time.perf_counter()
    finished = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    seconds = time.perf_counter() - started
    if finished.returncode:
        sys.stderr.write(finished.stdout + finished.stderr)
        raise RuntimeError(f"{command[:3]} failed")
    return seconds


# Chromium -------------------------------------------------------------------------------------


class ProjectFilesServer:
    """The issue HTML and the files its URLs name, on 127.0.0.1, for Chromium.

    The HTML's URLs are those of the typesetter's base URL (/static/…, /media/…); each is
    answered with the file the typesetter's own fetcher would give WeasyPrint, so both engines
    read the same stylesheet, fonts and images. Anything else is 404 and listed.
    """

    def __init__(self):
        self.html = b""
        self.refused = set()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                from issues.typesetting.fetcher import BASE_URL, ProjectFilesFetcher

                path = urlsplit(self.path).path
                if path == "/issue.html":
                    body, content_type = server.html, "text/html; charset=utf-8"
                else:
                    local = ProjectFilesFetcher.local_path(BASE_URL.rstrip("/") + path)
                    if local is None:
                        if path != "/favicon.ico":  # Chromium asks for it by itself
                            server.refused.add(path)
                        self.send_error(404)
                        return
                    body = local.read_bytes()
                    content_type = mimetypes.guess_type(local.name)[0] or "application/octet-stream"
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def url(self, path):
        return f"http://127.0.0.1:{self.httpd.server_port}{path}"

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def print_with_chromium(url: str, pdf: Path, *, profile: Path):
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        f"--user-data-dir={profile}",
        f"--print-to-pdf={pdf}",
        "--no-pdf-header-footer",
        url,
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if finished.returncode or not pdf.is_file():
        sys.stderr.write(finished.stderr)
        raise RuntimeError(f"Chromium did not print {url}")


# The report -----------------------------------------------------------------------------------


def print_table(header, rows):
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    print()
    for row in (header, tuple("-" * width for width in widths), *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def print_typography(typography):
    def cells(figure):
        return [figure(typography[name][engine]) for name in typography for engine in ("ours", "chromium")]

    def share(value):
        return "—" if value is None else f"{value:.1%}"

    def verdicts(ok):
        return " / ".join("PASS" if ok(typography[name]["ours"]) else "FAIL" for name in typography)

    rows = [
        (
            "flush share of full lines",
            f"≥ {TARGET_FLUSH:.0%}",
            *cells(lambda report: share(report.flush_share)),
            verdicts(lambda report: (report.flush_share or 0) >= TARGET_FLUSH),
        ),
        (
            "loose share of full lines",
            f"≤ {TARGET_LOOSE:.1%}",
            *cells(lambda report: share(report.loose_share)),
            verdicts(lambda report: (report.loose_share or 0) <= TARGET_LOOSE),
        ),
        (
            "孤字 (one-character last lines)",
            "0",
            *cells(lambda report: str(len(report.lone_characters))),
            verdicts(lambda report: not report.lone_characters),
        ),
        (
            "closing punctuation at a line start",
            "0",
            *cells(lambda report: str(len(report.closing_punctuation_starts))),
            verdicts(lambda report: not report.closing_punctuation_starts),
        ),
        ("pages", "", *cells(lambda report: str(report.pages)), ""),
        ("  of two-column running text", "", *cells(lambda report: str(len(report.running_text_pages))), ""),
        ("full body lines judged", "", *cells(lambda report: str(len(report.full_lines))), ""),
        ("paragraph starts", "", *cells(lambda report: str(len(report.paragraph_starts))), ""),
    ]
    names = list(typography)
    header = (
        "typography (screen PDF)",
        "target",
        f"ours ({names[0]})",
        f"Chromium ({names[0]})",
        f"ours ({names[1]})",
        f"Chromium ({names[1]})",
        "ours: demo / ×3",
    )
    print_table(header, rows)


def print_timing(results, builds):
    summary = {name: summarise(result) for name, result in results.items()}

    def fresh(name, kind):
        values = results[name][kind]
        return statistics.median(values), min(values)

    rows = []
    for name in results:
        figures = summary[name]
        command, weasyprint_alone = fresh(name, "command"), fresh(name, "fresh_weasyprint")
        whole_ratio = command[0] / weasyprint_alone[0]
        rows += [
            (
                f"{name}: whole screen build (fork)",
                "",
                f"{figures['build'][0]:.2f} s",
                f"{figures['build'][1]:.2f} s",
                "",
            ),
            (
                "  WeasyPrint alone, same HTML (fork)",
                "",
                f"{figures['baseline'][0]:.2f} s",
                f"{figures['baseline'][1]:.2f} s",
                "",
            ),
            (
                "  build / WeasyPrint",
                f"≤ {TARGET_RATIO:g}×",
                f"{figures['ratio']:.2f}×",
                f"{figures['ratio_of_mins']:.2f}×",
                "PASS" if figures["ratio"] <= TARGET_RATIO else "FAIL",
            ),
            ("  manage.py build_issue_pdf (process)", "", f"{command[0]:.2f} s", f"{command[1]:.2f} s", ""),
            (
                "  python -c WeasyPrint render (process)",
                "",
                f"{weasyprint_alone[0]:.2f} s",
                f"{weasyprint_alone[1]:.2f} s",
                "",
            ),
            (
                "  command / python -c",
                "",
                f"{whole_ratio:.2f}×",
                f"{command[1] / weasyprint_alone[1]:.2f}×",
                "",
            ),
            (
                "  once, before the runs: print variant",
                "",
                f"{builds[name]['print']['seconds']:.2f} s",
                "",
                f"{builds[name]['print']['pages']} pages",
            ),
            ("  once, before the runs: Chromium print", "", f"{builds[name]['chromium']['seconds']:.2f} s", "", ""),
        ]
    print_table(("timing", "target", "median", "min", "verdict"), rows)


def print_findings(typography, shipped):
    for name, engines in typography.items():
        for engine, report in engines.items():
            print(f"\nFindings, {'ours' if engine == 'ours' else 'Chromium'} ({name}): {report.summary()}")
            print("\n".join(f"  {row}" for row in report.findings(limit=SHOWN_FINDINGS).splitlines()))
    print("\nFor reference, WeasyPrint alone on the same HTML (the timing baseline's PDF, no CJK justification):")
    for name, report in shipped.items():
        print(f"  {name}: {report.summary()}")


def print_method(typography):
    ours = typography["demo"]["ours"]
    font = f"{ours.body_font[0]} {ours.body_font[1]:g} pt" if ours.body_font else "none"
    print(f"""
Method
- Typography: tests/typography.py reads the glyph boxes of each PDF (pdfminer.six LTChar,
  which are advance boxes). Body font: the most common (font, size) of all glyphs (demo:
  {font}). Body lines: glyphs on one baseline in one column, mostly in the body font
  (headings, running heads, folios, captions and tables are not; nor are lines across the
  gutter). A page counts when both columns have body lines and a paragraph starts there or
  goes on from the page before (not the cover's headlines, the contents, the call for papers).
  Column edges come from the lines themselves, per page and column.
- Full line: the next line in the same column is one line pitch below and not indented (a
  paragraph starts with a 2 em indent); a column's last line is never judged full. Flush: it
  ends within {FLUSH_TOLERANCE_PT} pt of its column's right edge. Loose: the mean gap between the boxes of
  adjacent CJK characters exceeds {LOOSE_GAP_EM} em. 孤字: a paragraph's last line (not indented,
  nothing continuing it) holds one character besides punctuation.
- Chromium: {CHROMIUM} --headless --print-to-pdf --no-pdf-header-footer on the
  same screen HTML (issue_html), its /static/ and /media/ URLs answered by a local HTTP server
  with the files ProjectFilesFetcher gives WeasyPrint, plus one rule,
  {CHROMIUM_STYLE[7:-8]} (else Chromium shrinks the whole ×3 issue to 73 % for its
  overfull cover). Chromium does not do string-set, leader() or target-counter(), so its
  running heads and contents differ; the body text is the same HTML and stylesheet.
- Timing (fork): benchmarks/typesetting.py's fork server — each figure from its own child of a
  clean process that has imported Django and WeasyPrint, one at a time, build and baseline in
  alternating order. Build = issue_build_pdf(screen, force=True), DB → file; baseline =
  weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=ProjectFilesFetcher())
  .render().write_pdf(file) on the same HTML (build_key checked every run), in a process that
  never imports issues.typesetting.build.
- Timing (process): wall time of `manage.py build_issue_pdf YEAR-N --force` in a fresh
  interpreter against a fresh `python -c` that sets up Django and renders the same HTML with
  WeasyPrint alone; same runs, alternating order. Other work on the machine shows as spread
  between runs (the load average is printed before and after).""")


if __name__ == "__main__":
    main()
