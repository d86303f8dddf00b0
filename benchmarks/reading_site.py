"""Benchmark of the public reading site on a large archive; a report, it exits 0 unless it crashes.

Targets, on an archive of 400 published issues and 10,000 articles: server time p95 ≤ 30 ms for
the home page, an issue page and an article page, p95 ≤ 150 ms for a two-character Chinese
search; article pages served by gunicorn (2 workers) on 127.0.0.1 at ≥ 300 requests/s with no
errors.

    .venv/bin/python benchmarks/reading_site.py [--requests 200] [--wrk-seconds 10] [--connections 4]

Everything happens in a temporary folder (SQLite database, media, static files), removed
afterwards. The settings are the production ones (secret key set, so DEBUG off and WhiteNoise's
manifest storage, hence collectstatic) with ALLOWED_HOSTS=127.0.0.1 and no SSL redirect (no TLS
proxy in front). The archive comes from benchmarks/make_archive.py. Needs gunicorn in the
virtualenv and wrk on the PATH for the throughput part (it is reported as not run without them).
"""

import argparse
import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_archive import REPO, make_archive, setup_django  # noqa: E402

TARGET_PAGE_P95_MS = 30
TARGET_SEARCH_P95_MS = 150
TARGET_REQUESTS_PER_SECOND = 300
SEARCH_WORDS = [
    "跨境", "物流", "电商", "平台", "数据", "融资", "农村", "快递", "支付", "人才",
    "海关", "园区", "县域", "冷链", "直播", "扶贫", "外贸", "零售", "仓储", "税收",
]  # fmt: skip
WARM_URLS = 20  # distinct URLs per page type in the warm runs: all stay in the page cache
PAGE_TYPES = ("home", "issue", "article", "search")


# In-process server time -----------------------------------------------------------------------


def percentile(values, p):
    """The p-th percentile by linear interpolation between closest ranks (as numpy's default)."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def figures(milliseconds):
    return {
        "n": len(milliseconds),
        "median": statistics.median(milliseconds),
        "p95": percentile(milliseconds, 95),
        "max": max(milliseconds),
    }


class Site:
    """Anonymous requests through Django's whole stack (middleware, views, templates), in this process."""

    def __init__(self):
        from django.test import Client

        self.client = Client(HTTP_HOST="127.0.0.1")

    def get(self, url):
        started = time.perf_counter()
        response = self.client.get(url)
        milliseconds = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}, not 200")
        return milliseconds, response

    def timed(self, urls, *, cold):
        """Milliseconds of each GET of `urls`; cold empties the page cache before each (outside the clock)."""
        from django.core.cache import cache

        times = []
        for url in urls:
            if cold:
                cache.clear()
            times.append(self.get(url)[0])
        return times

    def queries(self, url, *, cold):
        """(number of SQL queries, their total ms, the slowest one as (ms, SQL)) of one GET of `url`."""
        from django.core.cache import cache
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        timed = []  # CaptureQueriesContext keeps whole milliseconds only; time each statement here

        def clock(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                timed.append(((time.perf_counter() - started) * 1000, sql))

        if cold:
            cache.clear()
        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(clock):
            self.get(url)
        assert len(captured) == len(timed)
        return len(captured), sum(ms for ms, _ in timed), max(timed, default=(0.0, ""))


def page_urls(rng, requests):
    """For each page type, `requests` URLs of varying targets (distinct where the archive has enough)."""
    from urllib.parse import urlencode

    from articles.models import Article
    from issues.models import Issue

    issues = [issue.get_absolute_url() for issue in Issue.objects.published()]
    articles = [article.get_absolute_url() for article in Article.objects.published().only("pk", "slug")]
    searches = [f"/search/?{urlencode({'q': word})}" for word in SEARCH_WORDS]
    return {
        "home": ["/"] * requests,
        "issue": sample_cycling(rng, issues, requests),
        "article": sample_cycling(rng, articles, requests),
        "search": [searches[i % len(searches)] for i in range(requests)],
    }, articles


def sample_cycling(rng, population, count):
    """`count` items of `population` in random order, all distinct if it is large enough."""
    picked = []
    while len(picked) < count:
        picked += rng.sample(population, min(len(population), count - len(picked)))
    return picked


def measure_in_process(requests, rng):
    from django.core.cache import cache

    from articles.filters import ArticleFilter
    from articles.models import Article

    site = Site()
    urls, all_articles = page_urls(rng, requests)
    # Warm-up, not measured: imports, URL resolver, template compilation, translations, SQLite pages.
    for kind in PAGE_TYPES:
        for url in rng.sample(urls[kind], 5):
            cache.clear()
            site.get(url)

    results = {}
    for kind in PAGE_TYPES:
        cold = site.timed(urls[kind], cold=True)
        cache.clear()
        warm_set = list(dict.fromkeys(urls[kind]))[:WARM_URLS]
        for url in warm_set:  # prime the page cache
            site.get(url)
        warm = site.timed([warm_set[i % len(warm_set)] for i in range(requests)], cold=False)
        warm_queries = site.queries(warm_set[0], cold=False)
        cold_queries = [site.queries(url, cold=True) for url in list(dict.fromkeys(urls[kind]))[:10]]
        results[kind] = {
            "cold": figures(cold),
            "warm": figures(warm),
            "distinct_cold_urls": len(set(urls[kind])),
            "warm_urls": len(warm_set),
            "queries": sorted({count for count, _, _ in cold_queries}),
            "sql_ms": statistics.median(ms for _, ms, _ in cold_queries),
            "slowest_sql": max((slowest for _, _, slowest in cold_queries), key=lambda item: item[0]),
            "warm_queries": warm_queries[0],
        }

    # Search, word by word: how many articles match and how long a cold search takes.
    per_word = {}
    for word, url in zip(SEARCH_WORDS, urls["search"]):
        matches = ArticleFilter({"q": word}, queryset=Article.objects.published()).qs.count()
        per_word[word] = (matches, statistics.median(site.timed([url] * 3, cold=True)))
    results["search"]["per_word"] = per_word
    return results, all_articles


# Throughput under gunicorn + wrk --------------------------------------------------------------

WRK_SCRIPT = """
local paths = {%s}
local i = 0
local threads = {}
non200 = 0  -- global: done() runs in the main Lua state and reads each thread's count

setup = function(thread)
  table.insert(threads, thread)
end

request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end

response = function(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end

done = function(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("non200") end
  io.write(string.format(
    'RESULT {"requests": %%d, "duration_us": %%d, "bytes": %%d, "connect": %%d, "read": %%d, "write": %%d, ' ..
    '"status": %%d, "timeout": %%d, "non200": %%d, "p50": %%d, "p90": %%d, "p99": %%d, "max": %%d, "mean": %%f}\\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout, bad,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wrk_script(path, urls):
    path.write_text(WRK_SCRIPT % ", ".join(json.dumps(url) for url in urls))
    return path


def run_wrk(server, script, *, seconds, connections):
    """wrk's figures, plus the CPU time the gunicorn processes and wrk itself used meanwhile."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", str(script), server.base]
    server_cpu, wrk_cpu = server.cpu_seconds(), children_cpu_seconds()
    completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    server_cpu, wrk_cpu = server.cpu_seconds() - server_cpu, children_cpu_seconds() - wrk_cpu
    lines = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")]
    if completed.returncode or not lines:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stdout}{completed.stderr}")
    result = json.loads(lines[-1].removeprefix("RESULT "))
    wall = result["duration_us"] / 1e6
    result |= {
        "requests_per_second": result["requests"] / wall,
        "server_cpu_ms_per_request": server_cpu * 1000 / max(result["requests"], 1),
        "server_cpus_busy": server_cpu / wall,
        "wrk_cpus_busy": wrk_cpu / wall,
    }
    return result


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once subprocess.run has waited for it
    return usage.ru_utime + usage.ru_stime


def process_cpu_seconds(pid):
    """User + system CPU seconds of a running process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_pids(pid):
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rpartition(")")[2].split()[1]) == pid:
                    children.append(int(entry.name))
            except (OSError, ValueError):
                pass  # gone meanwhile
    return children


class Gunicorn:
    """gunicorn serving bulletin.wsgi with `workers` sync workers on 127.0.0.1, in its own process group."""

    def __init__(self, data_dir, *, workers):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "gunicorn.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - open for the server's lifetime, closed in stop()
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "bulletin.wsgi:application",
            f"--workers={workers}",
            f"--bind=127.0.0.1:{self.port}",
            "--timeout=30",
            "--graceful-timeout=5",
            "--log-level=warning",
        ]
        self.process = subprocess.Popen(
            command, cwd=REPO, env=os.environ.copy(), stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.base + "/", timeout=5) as response:
                    response.read()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"gunicorn did not start:\n{self.log_path.read_text()}")
                time.sleep(0.2)

    def cpu_seconds(self):
        """CPU seconds used so far by the master and its workers (the workers live as long as the server)."""
        return sum(process_cpu_seconds(pid) for pid in [self.process.pid, *child_pids(self.process.pid)])

    def status_of(self, path):
        """The status code of GET path, redirects not followed."""
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the master stops its workers
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # its own session: only what we started
                self.process.wait(timeout=5)
        self.log.close()


def measure_throughput(data_dir, article_urls, rng, *, seconds, connections):
    from django.db import connections as database_connections

    missing = [tool for tool, found in (("gunicorn", (Path(sys.executable).parent / "gunicorn").exists()),
                                        ("wrk", shutil.which("wrk"))) if not found]  # fmt: skip
    if missing:
        return {"skipped": f"{' and '.join(missing)} not installed"}
    database_connections.close_all()
    urls = rng.sample(article_urls, 1200)
    measured, warm_up = urls[:1000], urls[1000:]
    load_before = os.getloadavg()[0]
    server = Gunicorn(data_dir, workers=2)
    try:
        statuses = [server.status_of(url) for url in rng.sample(measured, 10)]
        # Warm-up on other articles, so both workers have compiled templates and opened the
        # database, without putting the measured pages in their caches.
        run_wrk(server, wrk_script(data_dir / "warm_up.lua", warm_up), seconds=3, connections=connections)
        main = run_wrk(
            server, wrk_script(data_dir / "articles.lua", measured), seconds=seconds, connections=connections
        )
        single = run_wrk(
            server,
            wrk_script(data_dir / "one.lua", measured[:1]),
            seconds=max(3, seconds // 2),
            connections=connections,
        )
    finally:
        server.stop()
    log = [line for line in server.log_path.read_text().splitlines() if line.strip()]
    return {
        "main": main,
        "single": single,
        "statuses": statuses,
        "log": log,
        "urls": len(measured),
        "load_before": load_before,
    }


# Report ---------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page type and cache state")
    parser.add_argument("--wrk-seconds", type=int, default=10, help="length of the wrk run (default 10)")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (default 4)")
    options = parser.parse_args()

    began = time.perf_counter()
    data_dir = Path(tempfile.mkdtemp(prefix="bulletin-reading-"))
    try:
        report(data_dir, options)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    print(f"\nTotal time of this benchmark: {time.perf_counter() - began:.0f} s")


def report(data_dir, options):
    setup_django(data_dir)
    import django

    print(
        f"bulletin reading-site benchmark — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"Django {django.get_version()}, SQLite; load average {os.getloadavg()[0]:.2f}"
    )
    print(f"Throwaway project in {data_dir} (production settings: DEBUG off, manifest static files)")
    archive = make_archive()
    print(
        f"Archive: {archive['issues']} issues, {archive['articles']} articles ({archive['published_articles']} "
        f"visible), {archive['contributors']} contributors, {archive['authorships']} authorships, "
        f"{archive['masthead_lines']} masthead lines, {archive['sections']} sections; bodies {archive['body_kb_mean']:.1f} kB "
        f"on average, plain text {archive['plain_text_mb']:.0f} MB in all, database {archive['database_mb']:.0f} MB"
    )
    print(
        f"Made in {archive['seconds']:.1f} s: migrate {archive['migrate_seconds']:.1f} s, collectstatic "
        f"{archive['collectstatic_seconds']:.1f} s, data {archive['seconds'] - archive['migrate_seconds'] - archive['collectstatic_seconds']:.1f} s"
    )

    rng = random.Random(26)
    started = time.perf_counter()
    pages, article_urls = measure_in_process(options.requests, rng)
    print(f"\nServer time in process ({time.perf_counter() - started:.0f} s), milliseconds per request:")
    print_pages(pages)
    print_search_words(pages["search"]["per_word"])
    print_queries(pages)

    print(
        f"\nThroughput: gunicorn, 2 sync workers, 127.0.0.1; wrk -t1 -c{options.connections} "
        f"-d{options.wrk_seconds}s cycling through 1000 article pages"
    )
    throughput = measure_throughput(
        data_dir, article_urls, rng, seconds=options.wrk_seconds, connections=options.connections
    )
    print_throughput(throughput)
    print_summary(pages, throughput, options)
    print_method(options)


def print_table(header, rows):
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, tuple("-" * width for width in widths), *rows):
        print("  " + "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())


def print_pages(pages):
    rows = []
    for kind in PAGE_TYPES:
        result = pages[kind]
        for state in ("cold", "warm"):
            f = result[state]
            urls = result["distinct_cold_urls"] if state == "cold" else result["warm_urls"]
            rows.append(
                (
                    kind if state == "cold" else "",
                    state,
                    f["n"],
                    urls,
                    f"{f['median']:.1f}",
                    f"{f['p95']:.1f}",
                    f"{f['max']:.1f}",
                )
            )
    print_table(("page", "cache", "requests", "distinct URLs", "median", "p95", "max"), rows)


def print_search_words(per_word):
    print("\nCold search by word (3 requests each): articles found, median ms")
    items = [f"{word} {matches:>5} {ms:6.1f}" for word, (matches, ms) in per_word.items()]
    for start in range(0, len(items), 4):
        print("  " + "    ".join(items[start : start + 4]))


def print_queries(pages):
    print("\nSQL per request (cold: 10 different URLs; warm: a cached page)")
    rows = []
    for kind in PAGE_TYPES:
        result = pages[kind]
        ms, sql = result["slowest_sql"]
        rows.append(
            (
                kind,
                "/".join(map(str, result["queries"])),
                result["warm_queries"],
                f"{result['sql_ms']:.1f}",
                f"{ms:.1f} ms: {' '.join(sql.split())[:90]}…",
            )
        )
    print_table(("page", "queries cold", "warm", "SQL ms (median, cold)", "slowest statement"), rows)


def print_throughput(throughput):
    if "skipped" in throughput:
        print(f"  not run: {throughput['skipped']}")
        return
    print(f"  status of 10 of the measured URLs before the run: {sorted(set(throughput['statuses']))}")
    rows = []
    for name, result in (("1000 article URLs", throughput["main"]), ("one article URL (cached)", throughput["single"])):
        errors = sum(result[key] for key in ("connect", "read", "write", "timeout"))
        rows.append(
            (
                name,
                result["requests"],
                f"{result['requests_per_second']:.0f}",
                f"{result['p50'] / 1000:.1f}",
                f"{result['p90'] / 1000:.1f}",
                f"{result['p99'] / 1000:.1f}",
                f"{result['max'] / 1000:.1f}",
                result["non200"],
                errors,
                f"{result['bytes'] / result['requests'] / 1000:.1f}",
            )
        )
    print_table(
        ("wrk run", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "non-200", "socket errors", "kB/resp"),
        rows,
    )
    cpus = os.cpu_count()
    print(f"  CPU during the runs ({cpus} CPUs; load average before: {throughput['load_before']:.2f}):")
    for name, result in (("1000 article URLs", throughput["main"]), ("one article URL (cached)", throughput["single"])):
        per_request = result["server_cpu_ms_per_request"]
        print(
            f"    {name}: gunicorn used {result['server_cpus_busy']:.2f} CPUs, {per_request:.1f} ms CPU per response "
            f"(at most {cpus * 1000 / per_request:.0f} req/s with all {cpus} CPUs and nothing else running); "
            f"wrk used {result['wrk_cpus_busy']:.2f} CPUs"
        )
    if throughput["log"]:
        print(f"  gunicorn wrote {len(throughput['log'])} log lines, the last ones:")
        for line in throughput["log"][-5:]:
            print(f"    {line}")
    else:
        print("  gunicorn log: empty (no errors or warnings)")


def print_summary(pages, throughput, options):
    def verdict(ok):
        return "PASS" if ok else "FAIL"

    rows = []
    for kind in PAGE_TYPES:
        target = TARGET_SEARCH_P95_MS if kind == "search" else TARGET_PAGE_P95_MS
        cold, warm = pages[kind]["cold"], pages[kind]["warm"]
        label = "two-character search" if kind == "search" else f"{kind} page"
        rows.append(
            (
                f"{label}, server time p95",
                f"≤ {target} ms",
                f"{cold['p95']:.1f} ms (median {cold['median']:.1f}; warm p95 {warm['p95']:.1f})",
                verdict(cold["p95"] <= target),
                f"test Client in process, {cold['n']} uncached requests",
            )
        )
    if "skipped" in throughput:
        rows.append(
            (
                "article pages, gunicorn ×2",
                f"≥ {TARGET_REQUESTS_PER_SECOND} req/s, no errors",
                "not run",
                "—",
                throughput["skipped"],
            )
        )
    else:
        main = throughput["main"]
        errors = sum(main[key] for key in ("connect", "read", "write", "timeout")) + main["non200"]
        rows.append(
            (
                "article pages, gunicorn ×2",
                f"≥ {TARGET_REQUESTS_PER_SECOND} req/s, no errors",
                f"{main['requests_per_second']:.0f} req/s, {errors} errors (p99 {main['p99'] / 1000:.0f} ms)",
                verdict(main["requests_per_second"] >= TARGET_REQUESTS_PER_SECOND and errors == 0),
                f"wrk -t1 -c{options.connections} -d{options.wrk_seconds}s, {throughput['urls']} article URLs in turn",
            )
        )
    print()
    print_table(("target", "goal", "measured", "verdict", "method"), rows)


def print_method(options):
    from django.conf import settings  # set up by then

    print(f"""
Method
- Server time: django.test.Client in this process, anonymous GETs through the whole middleware
  stack, views and templates (no HTTP parsing or socket); the clock runs around client.get().
  "cold": the page cache (issues/caching.py, the default LocMemCache) is emptied before every
  request, outside the clock, so each request runs the view: different issues/articles for each
  request, search words in turn from a list of {len(SEARCH_WORDS)}. "warm": {WARM_URLS} URLs per page type
  requested once, then {options.requests} requests cycling through them, all served from the cache.
- Verdicts use the cold p95. A p95 is set by the slowest 5 % of requests, and on this archive far
  more than 5 % of issue, article and search requests miss the cache: 10,400 pages against a cache
  of {settings.CACHES["default"]["OPTIONS"]["MAX_ENTRIES"]} entries (LocMemCache, BULLETIN_PAGE_CACHE_ENTRIES) in each worker process, kept 5 minutes, all of
  it dropped on any save in the admin (ContentVersion). The home page is one URL and mostly a hit
  in practice; its cold figure is still what a visitor gets after every edit.
- Warm-up before measuring: 5 requests of each page type, not counted. SQL counts come from
  CaptureQueriesContext in separate, untimed requests.
- Throughput: gunicorn (sync workers) started with the same environment, bound to 127.0.0.1 on a
  free port; a 3 s wrk warm-up on 200 other articles, then wrk with a Lua script that requests
  1000 randomly chosen article pages in turn. Each worker renders a page the first time it gets
  it and serves it from its page cache afterwards, so the figure mixes renders (see the cold
  article time above) and cache hits, as a busy site would after an edit. wrk shares the
  machine's {os.cpu_count()} CPUs with gunicorn; the CPU time of gunicorn's processes (from /proc) and of wrk
  (getrusage) is reported beside. "non-200" is counted by the script for every response;
  socket errors are wrk's connect/read/write/timeout errors. gunicorn's sync workers close the
  connection after each response, so wrk reconnects every time, as behind a proxy without keep-alive.
- Not production: SQLite, not PostgreSQL; no nginx in front; a single machine for load and server.""")


if __name__ == "__main__":
    main()
