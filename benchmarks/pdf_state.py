"""What the PDF panel costs: the staleness check (cached and not) and the page images of a build.

    .venv/bin/python benchmarks/pdf_state.py [--runs 20]

In a temporary folder (SQLite database, media, protected files; removed afterwards) it loads the
demo issue, makes a 30-article issue of the demo's articles (repeated in order), builds its
screen PDF, and reports medians of: `issue_html` of each variant, `pdf_state` computing the key
(`exact=True`, what the panel does), `pdf_state` served from the cache (what a list of issues pays
while nothing changed), `pdf_states` of ten issues from the cache, and the page images of the PDF.
"""

import argparse
import io
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from typesetting import use_throwaway_project  # noqa: E402  the same throwaway project as the typesetting benchmark

ARTICLES = 30


def thirty_article_issue(demo):
    from django.db import transaction

    from articles.models import Article, Authorship
    from issues.models import Issue, MastheadLine

    originals = list(demo.articles.in_print_order().prefetch_related("authorships"))
    _year, number, total_number = Issue.next_numbers()  # the demo is the latest issue
    with transaction.atomic():
        issue = Issue.objects.create(
            year=demo.year, number=number, total_number=total_number, publication_date=demo.publication_date
        )
        for line in demo.masthead_lines.all():
            MastheadLine.objects.create(issue=issue, position=line.position, label=line.label, value=line.value)
        for position in range(1, ARTICLES + 1):
            original = originals[(position - 1) % len(originals)]
            article = Article.objects.create(
                issue=issue,
                section=original.section,
                position=position,
                title=f"{original.title}（{position}）",
                subtitle=original.subtitle,
                byline=original.byline,
                source=original.source,
                body=original.body,
                in_toc=original.in_toc,
            )
            for authorship in original.authorships.all():
                Authorship.objects.create(article=article, contributor_id=authorship.contributor_id, position=1)
    return issue


def median_ms(function, runs):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def report(runs):
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from issues.models import Issue
    from issues.typesetting import flatplan, thumbnails
    from issues.typesetting.build import issue_build_pdf
    from issues.typesetting.document import issue_html

    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=io.StringIO())
    issue = thirty_article_issue(Issue.objects.get())
    record = issue_build_pdf(issue=issue)
    html = issue_html(issue, variant="screen")
    print(f"issue: {ARTICLES} articles, {len(html):,} characters of HTML, {record.page_count} pages")
    print(f"build (screen, with page images): {record.build_seconds:.2f} s")
    pdf = record.path.read_bytes()
    print(f"page images alone: {median_ms(lambda: thumbnails.render_page_images(pdf), max(runs // 5, 1)):.0f} ms")
    for variant in ("screen", "print"):
        print(
            f"issue_html({variant}): {median_ms(lambda variant=variant: issue_html(issue, variant=variant), runs):.1f} ms"
        )
    with CaptureQueriesContext(connection) as queries:
        flatplan.pdf_state(issue, exact=True)
    print(
        f"pdf_state(exact=True): {median_ms(lambda: flatplan.pdf_state(issue, exact=True), runs):.1f} ms, "
        f"{len(queries)} queries"
    )
    cache.clear()
    print(f"pdf_state, cache empty: {median_ms(lambda: (cache.clear(), flatplan.pdf_state(issue)), runs):.1f} ms")
    flatplan.pdf_state(issue)
    with CaptureQueriesContext(connection) as queries:
        flatplan.pdf_state(issue)
    print(f"pdf_state, cached: {median_ms(lambda: flatplan.pdf_state(issue), runs):.2f} ms, {len(queries)} queries")
    ten = [issue] * 10
    flatplan.pdf_states(ten)
    print(f"pdf_states of 10 issues, cached: {median_ms(lambda: flatplan.pdf_states(ten), runs):.2f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="bulletin-pdf-state-"))
    try:
        use_throwaway_project(data_dir)
        report(args.runs)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
