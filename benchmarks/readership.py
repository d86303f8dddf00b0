"""Benchmark of page-view counting and the article page's related and most-read lists; a report, exits 0.

On the reading-site benchmark's archive (benchmarks/make_archive.py: 400 issues, 10,000 articles,
by default) with reads spread over 60 days (a daily count for most articles, a day's worth of
reader hashes), it prints server times in this process, in milliseconds:

- the beacon (POST /reads/articles/<id>/): a new reader (counted), the same reader again (not counted);
- the article page uncached (the cache emptied before each request), uncached after another page
  computed the site's most-read list (the usual miss: that list is kept for every page), and cached,
  each with the related and most-read lists and, as the baseline measured in the same run, without them.

    .venv/bin/python benchmarks/readership.py [--requests 200] [--issues 400]

Everything happens in a temporary folder with production settings, removed afterwards.
"""

import argparse
import datetime
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_archive import make_archive, setup_django  # noqa: E402
from reading_site import figures  # noqa: E402

READ_DAYS = 60


def spread_reads(rng):
    """Daily counts for most published articles over READ_DAYS days, and today's reader hashes."""
    from django.utils import timezone

    from articles.models import Article, ArticleReads, ArticleView

    today = timezone.localdate()
    ids = list(Article.objects.published().values_list("pk", flat=True))
    rows = []
    for article_id in ids:
        for _ in range(rng.randint(0, 8)):
            rows.append((article_id, today - datetime.timedelta(days=rng.randrange(READ_DAYS))))
    ArticleReads.objects.bulk_create(
        (ArticleReads(article_id=a, day=d, views=rng.randint(1, 50)) for a, d in set(rows)), batch_size=2000
    )
    ArticleView.objects.bulk_create(
        (
            ArticleView(article_id=rng.choice(ids), day=today, reader=f"{n:064x}", address=f"{n % 997:064x}")
            for n in range(5000)
        ),
        batch_size=2000,
    )
    return ids, ArticleReads.objects.count()


def timed(call, count, *, prepare=None):
    """Milliseconds of `count` calls of `call(number)`; `prepare(number)` runs before each, outside the clock."""
    times = []
    for number in range(count):
        if prepare:
            prepare(number)
        started = time.perf_counter()
        call(number)
        times.append((time.perf_counter() - started) * 1000)
    return figures(times)


def measure(ids, requests, rng):
    from django.core.cache import cache
    from django.test import Client

    from articles import readership
    from articles.models import Article, ArticleQuerySet

    client = Client(HTTP_HOST="127.0.0.1")
    urls = [article.get_absolute_url() for article in Article.objects.filter(pk__in=rng.sample(ids, requests))]

    def beacon(number, agent):
        response = client.post(
            f"/reads/articles/{ids[number % len(ids)]}/", REMOTE_ADDR=f"10.{number // 250}.{number % 250}.1",
            HTTP_USER_AGENT=agent, HTTP_SEC_FETCH_SITE="same-origin",
        )  # fmt: skip
        assert response.status_code == 204, response.status_code

    def page(number):
        assert client.get(urls[number % len(urls)]).status_code == 200

    def empty_cache(number):
        cache.clear()

    def empty_cache_but_the_site_list(number):  # the usual miss: another page has computed 全站热读
        cache.clear()
        readership.most_read_site()

    for number in range(20):  # warm-up: imports, templates, SQLite pages
        empty_cache(number)
        page(number)
        beacon(number + 10_000, "Mozilla/5.0 Warm/1.0")

    results = {
        "beacon, new reader": timed(lambda n: beacon(n, "Mozilla/5.0 Chrome/120.0"), requests),
        "beacon, same reader again": timed(lambda n: beacon(n, "Mozilla/5.0 Chrome/120.0"), requests),
    }
    for lists in ("with lists", "baseline: without lists"):
        if lists != "with lists":  # the page as it was before: neither list is computed
            readership.most_read = readership.most_read_site = lambda **kwargs: []
            ArticleQuerySet.related_to = lambda self, article, **kwargs: []
        results[f"article page uncached, {lists}"] = timed(page, requests, prepare=empty_cache)
        if lists == "with lists":
            results["  the same, the site list computed before"] = timed(
                page, requests, prepare=empty_cache_but_the_site_list
            )
        cache.clear()
        for number in range(20):
            page(number)
        results[f"article page cached, {lists}"] = timed(lambda n: page(n % 20), requests)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per measurement")
    parser.add_argument("--issues", type=int, default=400, help="issues in the archive (25 articles each)")
    options = parser.parse_args()
    began = time.perf_counter()
    data_dir = Path(tempfile.mkdtemp(prefix="bulletin-readership-"))
    try:
        setup_django(data_dir)
        archive = make_archive(issues=options.issues)
        rng = random.Random(16)
        ids, read_rows = spread_reads(rng)
        print(
            f"Archive: {archive['issues']} issues, {archive['articles']} articles; {read_rows} daily counts over "
            f"{READ_DAYS} days, 5000 reader hashes of today"
        )
        print(f"\n{'milliseconds per request':<46}{'median':>8}{'p95':>8}{'max':>8}")
        for name, row in measure(ids, options.requests, rng).items():
            print(f"{name:<46}{row['median']:>8.2f}{row['p95']:>8.2f}{row['max']:>8.2f}")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    print(f"\nTotal time of this benchmark: {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
