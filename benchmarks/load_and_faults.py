"""Load-and-fault benchmark behind gunicorn: readers, editors, an import loop and two kill -9s; a report.

Targets: 0 failed saves, 0 server errors (HTTP 5xx), nothing lost (a save that answered success
is in the database afterwards), and the readers' p99 under writes near their p99 alone.

    .venv/bin/python benchmarks/load_and_faults.py [--seconds 30] [--sqlite] [--postgres]

For each database (SQLite, a file in a temporary folder; and PostgreSQL 15, a throwaway server
started in a temporary folder as .ci/run does, by default when it is installed) it migrates,
collects static files and loads the demo issue with `manage.py` subprocesses, creates four
staff accounts, exports the demo issue as a bundle and renames it 2016年第4期, typesets the demo
issue once, and serves the project with gunicorn (2 sync workers, production settings: secret
key set, DEBUG off, no SSL redirect, database task queue) on 127.0.0.1. Then:

1. baseline: four readers alone (home, issue, article and search pages) for --seconds;
2. load, for --seconds: the same readers; four editors, each logged into the admin and saving
   its own article through the real change form again and again (GET the form, POST it back
   with a new title); `manage.py import_issue --replace` of the bundle in a loop; a
   `build_issue_pdf --force` killed with SIGKILL half-way through (by its CPU time against the
   first build); and one gunicorn worker killed with SIGKILL half-way through the run.

A save is lost when it answered 302 but the editor's next look at the form (or the database at
the end) shows another title than the one saved; a failed save (5xx, a dropped connection, the
form shown again) is not lost. Every request goes to 127.0.0.1 only, every loop stops at
--seconds or a fixed count, and every process and temporary folder started here is removed at
the end, on errors and on Ctrl-C too. The benchmark reads the project's own settings, so a change
of the database settings (e.g. SQLite's journal mode or busy timeout) shows up here unchanged.
"""

import argparse
import datetime
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode

import tomli_w

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_archive import REPO, throwaway_environment  # noqa: E402
from reading_site import child_pids, free_port, percentile, process_cpu_seconds  # noqa: E402

sys.path.insert(0, str(REPO))
from tests.forms import form_fields as fields_of  # noqa: E402  (the form parser the tests use)

PG_BIN = Path("/usr/lib/postgresql/15/bin")
READERS = 4
EDITORS = 4
REQUEST_TIMEOUT = 30  # seconds; gunicorn's own worker timeout is the same
MAX_REQUESTS_PER_LOOP = 20_000  # a bound on every request loop besides the clock
MAX_IMPORTS = 500
SEARCH_PATH = "/search/?q=" + quote("电商")
BUNDLE_ISSUE = {"year": 2016, "number": 4, "total_number": 25, "date": datetime.date(2016, 12, 31)}
EDITOR_PASSWORD = "load-and-faults-editor"

PROCESSES = []  # every subprocess.Popen started here, each in its own session (process group)
PROCESSES_LOCK = threading.Lock()
CLOSING = threading.Event()  # set once, at the final clean-up: nothing new is started after it
STOP = threading.Event()  # set at the end of each phase and on Ctrl-C; every loop checks it


# Processes --------------------------------------------------------------------------------------


def start(command, *, env, log, cwd=REPO):
    """Popen in its own session, so a Ctrl-C in the terminal reaches only this script, which cleans up."""
    with PROCESSES_LOCK:
        if CLOSING.is_set():
            raise KeyboardInterrupt  # a loop thread racing the clean-up: start nothing more
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        PROCESSES.append(process)
    return process


def forget(process):
    with PROCESSES_LOCK:
        if process in PROCESSES:
            PROCESSES.remove(process)


def stop_all():
    with PROCESSES_LOCK:
        CLOSING.set()
        remaining = list(PROCESSES)
    for process in remaining:
        stop(process, grace=5)


def stop(process, *, grace=10):
    """SIGTERM, then SIGKILL of the process group this script started for `process`."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=grace)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    forget(process)


def manage(*args, env, timeout=600, check=True):
    """Run `manage.py args` to the end: (exit code, its output, stdout and stderr together)."""
    with tempfile.TemporaryFile("w+") as log:
        process = start([sys.executable, "manage.py", *args], env=env, log=log)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop(process)
            raise RuntimeError(f"manage.py {' '.join(args)} did not finish in {timeout} s")
        forget(process)
        log.seek(0)
        output = log.read()
    if check and process.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed ({process.returncode}):\n{output}")
    return process.returncode, output


def manage_json(code, *, env):
    """The JSON a `manage.py shell -c code` printed on its last line."""
    _, output = manage("shell", "-c", code, env=env)
    return json.loads(output.strip().splitlines()[-1])


class PostgreSQL:
    """A throwaway PostgreSQL 15 server in a temporary folder on 127.0.0.1, as .ci/run starts one."""

    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="bulletin-load-pg-"))
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/bulletin"
        as_root = os.getuid() == 0
        self.prefix = ["su", "postgres", "-s", "/bin/sh", "-c"] if as_root else ["/bin/sh", "-c"]
        try:
            if as_root:  # initdb refuses to run as root
                shutil.chown(self.dir, "postgres", "postgres")
            self.run(f"{PG_BIN}/initdb -D {self.dir}/data -U postgres -A trust --encoding=UTF8 --locale=C.UTF-8")
            self.run(
                f"{PG_BIN}/pg_ctl -D {self.dir}/data -l {self.dir}/server.log -w "
                f"-o '-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off' start"
            )
            self.run(f"{PG_BIN}/createdb -h 127.0.0.1 -p {self.port} -U postgres bulletin")
        except BaseException:
            self.close()
            raise

    def run(self, command):
        subprocess.run([*self.prefix, command], cwd="/", check=True, capture_output=True, timeout=120)

    def close(self):
        if (self.dir / "data" / "postmaster.pid").exists():
            try:
                self.run(f"{PG_BIN}/pg_ctl -D {self.dir}/data -m immediate -w stop")
            except subprocess.SubprocessError as error:
                print(f"  pg_ctl stop failed: {error}")
        shutil.rmtree(self.dir, ignore_errors=True)


class Gunicorn:
    """gunicorn with 2 sync workers on 127.0.0.1, in its own session; the log is kept for the report."""

    def __init__(self, *, env, log_path):
        self.port = free_port()
        self.log_path = log_path
        self.log = open(log_path, "w")  # noqa: SIM115 - open for the server's lifetime, closed in close()
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.process = start(
            [str(gunicorn), "bulletin.wsgi:application", "--workers=2", f"--bind=127.0.0.1:{self.port}",
             f"--timeout={REQUEST_TIMEOUT}", "--graceful-timeout=5", "--log-level=warning"],
            env=env,
            log=self.log,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while request("GET", self.port, "/")[0] != 200:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{log_path.read_text()}")
            time.sleep(0.3)

    def workers(self):
        return sorted(child_pids(self.process.pid))

    def close(self):
        stop(self.process)
        self.log.close()


# HTTP -------------------------------------------------------------------------------------------


def request(method, port, path, *, body=None, cookies=None):
    """(status or "connection", headers, body bytes) of one request to 127.0.0.1:port, never a redirect followed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    headers = {}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.msg, response.read()
    except (OSError, http.client.HTTPException):
        return "connection", None, b""
    finally:
        connection.close()


def keep_cookies(cookies, headers):
    """Apply the response's Set-Cookie headers to `cookies` (a dict), as a browser would on this host.

    By hand, because the production settings mark the session and CSRF cookies Secure, which
    http.cookiejar rightly refuses to send over plain http; here gunicorn stands where the TLS
    proxy would, so sending them is what the browser in front of that proxy does.
    """
    for header in (headers.get_all("Set-Cookie") or []) if headers else []:
        for name, morsel in SimpleCookie(header).items():
            if morsel.value and morsel["max-age"] != "0":
                cookies[name] = morsel.coded_value  # sent back exactly as the server quoted it
            else:
                cookies.pop(name, None)


def form_fields(page: bytes) -> dict:
    return fields_of(page.decode())


# Load -------------------------------------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    at: float  # seconds since the phase began
    ms: float
    status: object  # an HTTP status, or "connection"


@dataclass
class Editor:
    number: int
    article: int
    cookies: dict = field(default_factory=dict)  # the admin session, once logged in
    saves: int = 0
    saved: int = 0
    failed: dict = field(default_factory=dict)  # why -> count
    lost: list = field(default_factory=list)  # titles that answered 302 and were not kept
    stored_after_failure: int = 0  # saves that answered an error but whose title was kept
    pending: str | None = None  # title of the last 302, not yet seen again
    tried_since: set = field(default_factory=set)  # titles of failed saves since `pending`

    def check(self, title):
        """`title` is what the form (or the database) shows now: was the pending save kept?"""
        if title in self.tried_since:
            self.stored_after_failure += 1
        elif self.pending is not None and title != self.pending:
            self.lost.append(self.pending)
        self.pending, self.tried_since = None, set()


class Phase:
    def __init__(self, port):
        self.port = port
        self.began = time.monotonic()
        self.load_average = os.getloadavg()[0]  # the machine is shared: say how busy it was
        self.samples = []
        self.lock = threading.Lock()

    def timed(self, kind, method, path, **kwargs):
        started = time.monotonic()
        status, headers, body = request(method, self.port, path, **kwargs)
        with self.lock:
            self.samples.append(Sample(kind, started - self.began, (time.monotonic() - started) * 1000, status))
        return status, headers, body


def reader(phase, urls, offset, deadline):
    kinds = list(urls)
    for count in range(MAX_REQUESTS_PER_LOOP):
        if STOP.is_set() or time.monotonic() > deadline:
            return
        kind = kinds[(count + offset) % len(kinds)]
        paths = urls[kind]
        phase.timed(kind, "GET", paths[(count // len(kinds) + offset) % len(paths)])


def editor_login(phase, editor, deadline):
    """Log `editor` into the admin (a few tries, in the main thread before the load); whether it worked."""
    cookies = editor.cookies
    for _ in range(10):
        if time.monotonic() > deadline:
            return False
        status, headers, page = phase.timed("admin login", "GET", "/admin/login/", cookies=cookies)
        keep_cookies(cookies, headers)
        if status != 200:
            continue
        data = form_fields(page) | {"username": f"editor{editor.number}", "password": EDITOR_PASSWORD}
        status, headers, _ = phase.timed("admin login", "POST", "/admin/login/", body=urlencode(data), cookies=cookies)
        keep_cookies(cookies, headers)
        if status == 302:
            return True
    return False


def edit_loop(phase, editor, deadline):
    cookies = editor.cookies
    url = f"/admin/articles/article/{editor.article}/change/"
    for count in range(MAX_REQUESTS_PER_LOOP):
        if STOP.is_set() or time.monotonic() > deadline:
            return
        status, headers, page = phase.timed("admin form", "GET", url, cookies=cookies)
        keep_cookies(cookies, headers)
        if status != 200:
            continue
        data = form_fields(page)
        editor.check(data.get("title"))
        title = f"负载测试 编辑{editor.number} 第{count + 1}次保存"
        data |= {"title": title, "_save": "保存"}
        editor.saves += 1
        status, headers, page = phase.timed("admin save", "POST", url, body=urlencode(data), cookies=cookies)
        keep_cookies(cookies, headers)
        if status == 302:
            editor.saved += 1
            editor.pending, editor.tried_since = title, set()
        else:
            why = "form shown again" if status == 200 else f"HTTP {status}" if status != "connection" else "connection"
            editor.failed[why] = editor.failed.get(why, 0) + 1
            editor.tried_since.add(title)


def import_loop(bundle, env, deadline, runs, log):
    for _ in range(MAX_IMPORTS):
        if STOP.is_set() or time.monotonic() > deadline:
            return
        started = time.monotonic()
        process = start([sys.executable, "manage.py", "import_issue", "--replace", str(bundle)], env=env, log=log)
        try:
            process.wait(timeout=max(5, deadline - time.monotonic() + 60))
        except subprocess.TimeoutExpired:
            stop(process)
        forget(process)
        runs.append((time.monotonic() - started, process.returncode))


def run_phase(port, *, seconds, urls, editors=(), bundle=None, env=None, faults=None, import_log=None):
    """Run readers (and editors, imports, faults) for `seconds`; the phase with its samples."""
    STOP.clear()
    phase = Phase(port)
    deadline = phase.began + seconds
    threads = [threading.Thread(target=reader, args=(phase, urls, i, deadline), daemon=True) for i in range(READERS)]
    threads += [threading.Thread(target=edit_loop, args=(phase, e, deadline), daemon=True) for e in editors]
    phase.imports = []
    if bundle:
        threads.append(
            threading.Thread(target=import_loop, args=(bundle, env, deadline, phase.imports, import_log), daemon=True)
        )
    for thread in threads:
        thread.start()
    try:
        if faults:
            faults(phase, deadline)
        for thread in threads:
            thread.join(timeout=max(0, deadline - time.monotonic()) + REQUEST_TIMEOUT + 90)
    finally:
        STOP.set()
    phase.seconds = time.monotonic() - phase.began
    return phase


# Faults -----------------------------------------------------------------------------------------


class Faults:
    """Half-way through the run: SIGKILL one gunicorn worker, and a PDF build half-way through its work."""

    def __init__(self, server, *, env, build_cpu_seconds, log):
        self.server, self.env, self.build_cpu_seconds, self.log = server, env, build_cpu_seconds, log
        self.worker = {}
        self.build = {}

    def __call__(self, phase, deadline):
        seconds = deadline - phase.began
        build = start([sys.executable, "manage.py", "build_issue_pdf", "2017-1", "--force"], env=self.env, log=self.log)
        self.build["started_at"] = time.monotonic() - phase.began
        worker_at = phase.began + seconds / 2
        try:
            while time.monotonic() < deadline and not STOP.is_set():
                if "ended" not in self.build:
                    self.watch_build(build, phase)
                if not self.worker and time.monotonic() >= worker_at:
                    self.kill_worker(phase)
                elif self.worker and "replaced_after" not in self.worker:
                    self.watch_worker()
                time.sleep(0.05)
        finally:
            if build.poll() is None:  # still typesetting when the run ended: kill it now
                os.kill(build.pid, signal.SIGKILL)
                build.wait(timeout=10)
                self.build.setdefault("ended", "killed at the end of the run")
                self.build.setdefault("at", time.monotonic() - phase.began)
            forget(build)

    def watch_build(self, build, phase):
        if build.poll() is not None:
            self.build |= {"ended": "finished by itself", "returncode": build.returncode}
            return
        try:
            cpu = process_cpu_seconds(build.pid)
        except (OSError, IndexError):
            return  # exiting just now; the next look sees its return code
        if cpu >= self.build_cpu_seconds / 2:
            os.kill(build.pid, signal.SIGKILL)
            build.wait(timeout=10)
            self.build |= {"ended": f"killed after {cpu:.1f} CPU s", "at": time.monotonic() - phase.began}

    def kill_worker(self, phase):
        self.before = self.server.workers()
        victim = self.before[0]
        os.kill(victim, signal.SIGKILL)
        self.killed_at = time.monotonic()
        self.worker = {"pid": victim, "at": self.killed_at - phase.began}

    def watch_worker(self):
        now = self.server.workers()
        if self.worker["pid"] not in now and len(now) == len(self.before):
            self.worker["replaced_after"] = time.monotonic() - self.killed_at
            self.worker["new_pid"] = sorted(set(now) - set(self.before))


# One database -----------------------------------------------------------------------------------

SETUP_CODE = """
import json
from django.contrib.auth.models import Permission, User
from articles.models import Article
from issues.models import Issue, IssuePDF
issue = Issue.objects.get(year=2017, number=1)
articles = list(Article.objects.filter(issue=issue).order_by("position", "pk"))
permissions = Permission.objects.filter(content_type__app_label="articles")
for number in range(1, {editors} + 1):
    user = User.objects.create_user(f"editor{{number}}", password="{password}", is_staff=True)
    user.user_permissions.set(permissions)
pdf = IssuePDF.objects.get(issue=issue, variant="screen")
print(json.dumps({{
    "issue": issue.get_absolute_url(),
    "articles": [article.get_absolute_url() for article in articles],
    "edited": [article.pk for article in articles[1:{editors} + 1]],
    "pdf": {{"status": pdf.status, "path": str(pdf.path), "pages": pdf.page_count}},
}}))
"""

CHECK_CODE = """
import json
from articles.models import Article
from issues.models import Issue, IssuePDF
pdf = IssuePDF.objects.get(issue__year=2017, issue__number=1, variant="screen")
imported = Issue.objects.filter(year={year}, number={number}).first()
print(json.dumps({{
    "titles": dict(Article.objects.filter(pk__in={edited}).values_list("pk", "title")),
    "pdf": {{"status": pdf.status, "error": pdf.error[:200], "pages": pdf.page_count,
            "built_at": pdf.built_at.isoformat() if pdf.built_at else None}},
    "imported": [str(imported), imported.articles.count()] if imported else None,
}}))
"""


def bench_database(name, database_url, work, options):
    env = os.environ | throwaway_environment(work) | {"DATABASE_URL": database_url}
    started = time.monotonic()
    manage("migrate", "--noinput", env=env)
    manage("collectstatic", "--noinput", env=env)
    manage("load_demo", env=env)
    build_started = resource_children_cpu()
    manage("build_issue_pdf", "2017-1", "--force", env=env)  # the previous PDF the killed build must not spoil
    build_cpu_seconds = resource_children_cpu() - build_started
    setup = manage_json(SETUP_CODE.format(editors=EDITORS, password=EDITOR_PASSWORD), env=env)
    manage("export_issue", "2017", "1", str(work / "bundle"), env=env)
    manifest_path = work / "bundle" / "issue.toml"
    manifest = tomllib.loads(manifest_path.read_text("utf-8"))
    manifest |= BUNDLE_ISSUE
    manifest_path.write_text(tomli_w.dumps(manifest), "utf-8")
    pdf_path = Path(setup["pdf"]["path"])
    pdf_digest = hashlib.sha256(pdf_path.read_bytes()).hexdigest()
    print(f"  set up in {time.monotonic() - started:.0f} s; first build of 2017-1 took {build_cpu_seconds:.1f} CPU s")

    urls = {
        "home": ["/"],
        "issue": [setup["issue"]],
        "article": setup["articles"],
        "search": [SEARCH_PATH],
    }
    server = Gunicorn(env=env, log_path=work / "gunicorn.log")
    try:
        for kind_urls in urls.values():  # both workers: templates compiled, database opened
            for path in kind_urls * 2:
                request("GET", server.port, path)
        baseline = run_phase(server.port, seconds=options.seconds, urls=urls)
        # Logging in (a password hash each) is not part of the load: the editors sit down first.
        editors = [Editor(number=i + 1, article=pk) for i, pk in enumerate(setup["edited"])]
        logins = Phase(server.port)
        if not all(editor_login(logins, editor, time.monotonic() + 120) for editor in editors):
            raise RuntimeError(f"editors could not log in: {[(s.kind, s.status) for s in logins.samples]}")
        with open(work / "commands.log", "w") as command_log:
            faults = Faults(server, env=env, build_cpu_seconds=build_cpu_seconds, log=command_log)
            load = run_phase(
                server.port,
                seconds=options.seconds,
                urls=urls,
                editors=editors,
                bundle=work / "bundle",
                env=env,
                faults=faults,
                import_log=command_log,
            )
        after = [request("GET", server.port, path)[0] for path in ("/", setup["issue"], SEARCH_PATH)]
    finally:
        server.close()
    check_code = CHECK_CODE.format(edited=setup["edited"], year=BUNDLE_ISSUE["year"], number=BUNDLE_ISSUE["number"])
    before_recover = manage_json(check_code, env=env)["pdf"]["status"]
    recovered = manage("recover", env=env)[1].strip()  # what the worker unit runs before it starts (ExecStartPre)
    check = manage_json(check_code, env=env)
    for editor in editors:
        editor.check(check["titles"][str(editor.article)])
    pdf = check["pdf"] | {
        "before_recover": before_recover,
        "recovered": recovered,
        "file_kept": pdf_path.is_file() and hashlib.sha256(pdf_path.read_bytes()).hexdigest() == pdf_digest,
        "temporary_files": sorted(p.name for p in pdf_path.parent.iterdir() if p.name.startswith(".")),
    }
    logs = {
        "gunicorn log": (work / "gunicorn.log").read_text(errors="replace"),
        "import and build commands' log": (work / "commands.log").read_text(errors="replace"),
    }
    report(name, baseline, load, editors, faults, pdf, check["imported"], after, logs)


def resource_children_cpu():
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# Report -----------------------------------------------------------------------------------------


def figures(samples):
    ms = [s.ms for s in samples]
    server_errors = sum(1 for s in samples if isinstance(s.status, int) and s.status >= 500)
    connection = sum(1 for s in samples if s.status == "connection")
    other = sum(1 for s in samples if isinstance(s.status, int) and 400 <= s.status < 500)
    return {
        "n": len(samples),
        "5xx": server_errors,
        "connection": connection,
        "4xx": other,
        "p50": statistics.median(ms) if ms else float("nan"),
        "p99": percentile(ms, 99) if ms else float("nan"),
    }


def print_table(header, rows):
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, tuple("-" * width for width in widths), *rows):
        print("  " + "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())


def verdict(ok):
    return "met" if ok else "MISSED"


def report(name, baseline, load, editors, faults, pdf, imported, after, logs):
    kinds = ["home", "issue", "article", "search", "admin form", "admin save"]
    rows = []
    for phase_name, phase in (("readers alone", baseline), ("under load", load)):
        for kind in kinds:
            samples = [s for s in phase.samples if s.kind == kind]
            if samples:
                f = figures(samples)
                rows.append(
                    (phase_name, kind, f["n"], f"{f['n'] / phase.seconds:.1f}", f["5xx"], f["connection"], f["4xx"],
                     f"{f['p50']:.0f}", f"{f['p99']:.0f}")
                )  # fmt: skip
            phase_name = ""
    print(
        f"\n{name}: requests per kind (latency in ms); load average at the start "
        f"{baseline.load_average:.1f} alone, {load.load_average:.1f} under load"
    )
    print_table(("phase", "kind", "requests", "per s", "5xx", "conn. errors", "4xx", "p50", "p99"), rows)

    read_kinds = {"home", "issue", "article", "search"}
    read_alone = figures([s for s in baseline.samples if s.kind in read_kinds])
    read_load = figures([s for s in load.samples if s.kind in read_kinds])
    print(
        f"  all reads: p99 {read_alone['p99']:.0f} ms alone, {read_load['p99']:.0f} ms under load "
        f"({read_load['p99'] / read_alone['p99']:.1f}×); p50 {read_alone['p50']:.0f} → {read_load['p50']:.0f} ms"
    )

    runs = load.imports
    durations = [seconds for seconds, _ in runs]
    failed_imports = sum(1 for _, code in runs if code)
    print(
        f"  import_issue --replace: {len(runs)} runs, {failed_imports} failed"
        + (f", p50 {statistics.median(durations):.1f} s, max {max(durations):.1f} s" if durations else "")
        + (f"; afterwards {imported[0]} has {imported[1]} articles" if imported else "; the imported issue is missing")
    )

    saves = sum(e.saves for e in editors)
    saved = sum(e.saved for e in editors)
    failed = {}
    for e in editors:
        for why, count in e.failed.items():
            failed[why] = failed.get(why, 0) + count
    lost = sum(len(e.lost) for e in editors)
    stored = sum(e.stored_after_failure for e in editors)
    failed_text = ", ".join(f"{count} {why}" for why, count in sorted(failed.items())) or "none"
    print(
        f"  saves: {saves} tried, {saved} answered 302, failed: {failed_text}; lost: {lost}; "
        f"answered an error but kept anyway: {stored}"
    )

    worker = faults.worker
    if worker:
        # A dropped connection is noticed when the worker dies, whenever the request began.
        at_kill = sum(
            1 for s in load.samples if s.status == "connection" and 0 <= s.at + s.ms / 1000 - worker["at"] <= 1
        )
        replaced = (
            f"replaced by pid {', '.join(map(str, worker['new_pid']))} after {worker['replaced_after']:.1f} s"
            if "replaced_after" in worker
            else "NOT replaced within 30 s"
        )
        print(
            f"  kill -9 of gunicorn worker {worker['pid']} at {worker['at']:.1f} s: {replaced}; "
            f"connection errors within 1 s of it: {at_kill}"
        )
    build = faults.build
    print(
        f"  kill -9 of build_issue_pdf (started at {build.get('started_at', 0):.1f} s): {build.get('ended', '?')}"
        + (f" at {build['at']:.1f} s" if "at" in build else "")
        + (f", exit code {build['returncode']}" if "returncode" in build else "")
    )
    print(f"    its IssuePDF record right after the kill: status {pdf['before_recover']!r}")
    print(f"    manage.py recover: {pdf['recovered']}")
    print(
        f"    its IssuePDF record after recover: status {pdf['status']!r}, {pdf['pages']} pages, built at "
        f"{pdf['built_at']}{', error ' + repr(pdf['error']) if pdf['error'] else ''}; previous PDF "
        f"{'intact' if pdf['file_kept'] else 'CHANGED OR GONE'}; temporary files left beside it: "
        f"{len(pdf['temporary_files'])}"
    )
    print(f"  after the run: status of home, issue and search pages {after}")

    for log_name, log in logs.items():
        tracebacks = log.count("Traceback (most recent call last)")
        locked = log.count("database is locked")
        print(f"  {log_name}: {tracebacks} tracebacks, {locked} lines saying “database is locked”")
        for line in first_errors(log):
            print(f"    {line}")

    server_errors = sum(1 for s in load.samples if isinstance(s.status, int) and s.status >= 500)
    print(f"  targets: 0 failed saves — {sum(failed.values())}, {verdict(not failed)}; "
          f"0 server errors — {server_errors}, {verdict(not server_errors)}; "
          f"nothing lost — {lost}, {verdict(not lost)}")  # fmt: skip


def first_errors(log, limit=3):
    """The distinct exception lines of the server log ("…Error: message"), the most frequent first."""
    counts = {}
    for match in re.finditer(r"^([\w.]+(?:Error|Exception): .*)$", log, re.MULTILINE):
        counts[match[1][:160]] = counts.get(match[1][:160], 0) + 1
    return [f"{count}× {line}" for line, count in sorted(counts.items(), key=lambda item: -item[1])[:limit]]


def interrupted(signum, frame):
    raise KeyboardInterrupt  # SIGTERM cleans up as Ctrl-C does


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=30, help="length of the baseline and of the load run")
    parser.add_argument("--sqlite", action="store_true", help="run on SQLite (default: SQLite and PostgreSQL)")
    parser.add_argument("--postgres", action="store_true", help="run on a throwaway PostgreSQL 15 server")
    options = parser.parse_args()
    databases = [d for d in ("sqlite", "postgres") if getattr(options, d)]
    if not databases:
        databases = ["sqlite"] + (["postgres"] if (PG_BIN / "initdb").exists() else [])
    if "postgres" in databases and not (PG_BIN / "initdb").exists():
        parser.error(f"--postgres needs PostgreSQL 15 in {PG_BIN} (apt-get install postgresql-15)")

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored (`&`)
    print(
        f"bulletin load-and-fault benchmark — {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; "
        f"{READERS} readers, {EDITORS} editors, an import loop, {options.seconds} s per phase"
    )
    began = time.monotonic()
    cleanups = []
    try:
        for database in databases:
            work = Path(tempfile.mkdtemp(prefix=f"bulletin-load-{database}-"))
            cleanups.append(lambda work=work: shutil.rmtree(work, ignore_errors=True))
            if database == "sqlite":
                print(f"\nSQLite: {work / 'db.sqlite3'}")
                bench_database("SQLite", f"sqlite:///{work / 'db.sqlite3'}", work, options)
            else:
                server = PostgreSQL()
                cleanups.append(server.close)
                print(f"\nPostgreSQL 15 on 127.0.0.1:{server.port} in {server.dir}")
                bench_database("PostgreSQL", server.url, work, options)
    except KeyboardInterrupt:
        print("\nInterrupted; cleaning up.")
    finally:
        STOP.set()
        stop_all()
        for cleanup in reversed(cleanups):
            cleanup()
    print(f"\nTotal time of this benchmark: {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
