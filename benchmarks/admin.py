"""Benchmark of the editors' admin pages on a large archive; a report, it exits 0 unless it crashes.

Target (issue 12), on the archive of benchmarks/make_archive.py (400 published issues, 10,000
articles) with an office at work (make_desk_work: the next issue in production with 30 articles,
200 submissions, subscription requests): server time p95 ≤ 300 ms for the desk (the admin
index), the article list searching a common word, the page of the 30-article issue and the
submission list, for an office editor (staff in the group 编辑部, not a superuser). The issue
list is measured too, and every page again for a superuser. SQL per request is printed beside;
tests/test_admin_queries.py holds those numbers fixed.

    .venv/bin/python benchmarks/admin.py [--requests 40] [--data-dir DIR]

Without --data-dir everything happens in a temporary folder, removed afterwards. With it, the
archive is built there the first time and reused by later runs (migrations and collectstatic
are run again, so a reused archive follows the code's models; its rows are those of the
make_archive.py that built it — remove the folder after changing that). Production settings, as
benchmarks/reading_site.py: DEBUG off, manifest static files, ALLOWED_HOSTS=127.0.0.1.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_archive import OFFICE_EDITORS, make_archive, make_desk_work, setup_django  # noqa: E402
from reading_site import percentile  # noqa: E402

TARGET_P95_MS = 300
SEARCH_WORD = "物流"  # logistics: in titles (智慧物流, 冷链物流…) and the demo bodies the archive reuses
WARM_UP = 5  # requests of each page before the timed ones, not counted
MARKER = "admin-archive.json"  # written into --data-dir once the archive is complete


def load():
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


def prepare(data_dir: Path, *, reuse: bool) -> dict:
    """Set up Django on `data_dir` and build the archive there, or bring a built one up to date."""
    setup_django(data_dir)
    marker = data_dir / MARKER
    if reuse and marker.exists():
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        return json.loads(marker.read_text()) | {"reused": True, "seconds": time.perf_counter() - started}
    archive = make_archive()
    desk = make_desk_work()
    built = {
        "issues": archive["issues"],
        "articles": archive["articles"],
        "database_mb": archive["database_mb"],
        **{key: value for key, value in desk.items() if key != "seconds"},
        "seconds": archive["seconds"] + desk["seconds"],
    }
    marker.write_text(json.dumps(built))
    return built | {"reused": False}


def pages() -> dict[str, str]:
    """The measured pages by name, reached through their URL names."""
    from urllib.parse import urlencode

    from django.db.models import Count
    from django.urls import reverse

    from issues.models import Issue

    issue = (
        Issue.objects.exclude(status=Issue.Status.PUBLISHED)
        .annotate(article_total=Count("articles"))
        .order_by("-article_total")
        .first()
    )
    return {
        "desk (admin index)": reverse("admin:index"),
        f"article list, search “{SEARCH_WORD}”": reverse("admin:articles_article_changelist")
        + "?"
        + urlencode({"q": SEARCH_WORD}),
        f"issue page ({issue.article_total} articles)": reverse("admin:issues_issue_change", args=[issue.pk]),
        "submission list": reverse("admin:submissions_submission_changelist"),
        "issue list (not in issue 12)": reverse("admin:issues_issue_changelist"),
    }


def search_matches(user) -> int:
    """How many articles the article list finds for SEARCH_WORD, as its change list counts them."""
    from django.contrib import admin
    from django.test import RequestFactory

    from articles.models import Article

    request = RequestFactory().get("/", {"q": SEARCH_WORD})
    request.user = user
    return admin.site.get_model_admin(Article).get_changelist_instance(request).result_count


def measure(client, url, *, requests):
    """Milliseconds, SQL queries and SQL milliseconds of each of `requests` GETs of `url`, after a warm-up."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sql_ms = []

    def clock(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_ms[-1] += (time.perf_counter() - started) * 1000

    def get():
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}, not 200")
        return response

    for _ in range(WARM_UP):
        get()
    times, queries = [], []
    for _ in range(requests):
        sql_ms.append(0.0)
        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(clock):
            started = time.perf_counter()
            response = get()
            times.append((time.perf_counter() - started) * 1000)
        queries.append(len(captured))
    return {
        "median": statistics.median(times),
        "p95": percentile(times, 95),
        "max": max(times),
        "queries": sorted(set(queries)),
        "sql_ms": statistics.median(sql_ms),
        "kb": len(response.content) / 1000,
    }


def print_table(header, rows):
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, tuple("-" * width for width in widths), *rows):
        print("  " + "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page and user (default 40)")
    parser.add_argument("--data-dir", type=Path, help="keep the archive in this folder and reuse it next time")
    options = parser.parse_args()

    began = time.perf_counter()
    data_dir = options.data_dir.resolve() if options.data_dir else Path(tempfile.mkdtemp(prefix="bulletin-admin-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        report(data_dir, options)
    finally:
        if not options.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
    print(f"\nTotal time of this benchmark: {time.perf_counter() - began:.0f} s; load average now {load()}")


def report(data_dir, options):
    print(
        f"bulletin admin benchmark — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, SQLite; load average {load()}"
    )
    archive = prepare(data_dir, reuse=bool(options.data_dir))
    import django
    from django.contrib.auth.models import User
    from django.test import Client

    print(f"Django {django.get_version()}; archive in {data_dir} (production settings: DEBUG off)")
    print(
        f"Archive ({'reused, migrated' if archive['reused'] else 'built'} in {archive['seconds']:.0f} s): "
        f"{archive['issues']} issues, {archive['articles']} articles + the issue in production "
        f"({archive['issue_articles']} articles), {archive['submissions']} submissions "
        f"({archive['assigned_to_first_editor']} assigned to the editor measured, {archive['honoraria_due']} "
        f"honoraria due), {archive['pending_subscriptions']} pending subscription requests, "
        f"{archive['downloads']} downloads"
    )

    editor = User.objects.get(username=OFFICE_EDITORS[0][0])
    superuser = User.objects.get(username="admin")
    urls = pages()
    print(f"Search “{SEARCH_WORD}” finds {search_matches(editor)} articles in the article list")

    results = {}
    for user, who in ((editor, "office editor"), (superuser, "superuser")):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        for name, url in urls.items():
            results[who, name] = measure(client, url, requests=options.requests) | {"load": os.getloadavg()[0]}

    print(f"\nServer time in process, {options.requests} requests per page and user after {WARM_UP} not counted (ms):")
    rows = []
    for (who, name), f in results.items():
        rows.append(
            (
                who,
                name,
                f"{f['median']:.1f}",
                f"{f['p95']:.1f}",
                f"{f['max']:.1f}",
                "/".join(map(str, f["queries"])),
                f"{f['sql_ms']:.1f}",
                f"{f['kb']:.0f}",
                f"≤ {TARGET_P95_MS}",
                "PASS" if f["p95"] <= TARGET_P95_MS else "FAIL",
                f"{f['load']:.2f}",
            )
        )
    print_table(
        ("user", "page", "p50", "p95", "max", "queries", "SQL ms p50", "kB", "baseline p95", "verdict", "load 1 min"),
        rows,
    )
    print(f"""
Method
- django.test.Client in this process, logged in with force_login as the office editor
  ({editor.username}: staff, group 编辑部 with every permission of the project's apps) and then as a
  superuser; GETs through the whole middleware stack, admin views and templates; the clock
  (perf_counter) runs around client.get(). Pages are reached by URL name (admin:index,
  admin:articles_article_changelist, admin:issues_issue_change, admin:submissions_submission_changelist,
  admin:issues_issue_changelist), so the figures follow whatever those pages become.
- Queries: CaptureQueriesContext around every timed request (its small overhead is inside the
  clock); "queries" lists the distinct counts seen. "SQL ms" is the time spent executing SQL.
- Baseline: the issue-12 target, p95 ≤ {TARGET_P95_MS} ms. Not production: SQLite, no gunicorn or nginx; the
  machine is shared, so the 1-minute load average is printed after each page.""")


if __name__ == "__main__":
    main()
