"""The shipped deployment, run for real: Debian's nginx with deploy/nginx/bulletin.conf in front of
gunicorn started as deploy/systemd/bulletin-gunicorn.service starts it, with deploy/bulletin.env.

pytest-django's live_server runs Django in the test process, not under gunicorn, so both servers
run here as processes of their own, on free loopback ports, with their files in a temporary folder.
The site gets its own SQLite database there, made the way an operator makes one (migrate,
collectstatic) — on CI's PostgreSQL run too: what this proves is the web server, not the database.
nginx runs unprivileged (as `nobody` when the tests run as root), as www-data does in production,
so it can send only files the application wrote readable by another user.

The test's nginx.conf holds only what Debian's /etc/nginx/nginx.conf holds (paths, MIME types)
and an access log that records, for each request, whether it went to gunicorn and the
X-Accel-Redirect gunicorn answered with: nginx removes that header before the reader sees it.
"""

import gzip
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX = "/usr/sbin/nginx"
HOST = "127.0.0.1"
SUBSCRIBER_EMAIL = "liming@example.cn"
SUBSCRIBER_PASSWORD = "pw-reader-2017-nginx"
INSTITUTION_ADDRESS = "127.0.0.2"  # Linux routes all of 127.0.0.0/8 to loopback: readers on other addresses
OUTSIDE_ADDRESS = "127.0.0.3"
SUBSCRIBER_ADDRESS = "127.0.0.4"
PDF_URL = "/issues/2017/1/pdf/"

NGINX_CONF = """\
daemon off;
worker_processes 1;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    log_format served '$request_method $request_uri $status upstream=$upstream_addr '
                      'accel=$upstream_http_x_accel_redirect';
    access_log {run}/access.log served;
    client_body_temp_path {run}/client_body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    include {run}/bulletin.conf;
}}
"""


def prepare_site():
    """Run in a subprocess with the site's environment: its database, static files and content.

    Prints what the tests fetch, as JSON.
    """
    import io

    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.test import override_settings
    from django.utils import timezone
    from pypdf import PdfWriter

    from articles.models import Article
    from issues.files import write_atomically
    from issues.models import Issue, IssuePDF
    from issues.subscriptions.tasks import send_publication_notices
    from tests.factories import (
        image_bytes,
        make_article,
        make_institution,
        make_issue,
        make_subscriber,
        make_subscription,
    )

    call_command("migrate", verbosity=0)
    # The project's own static files only: compressing the admin's and the editor's takes a minute.
    with override_settings(STATICFILES_FINDERS=["django.contrib.staticfiles.finders.FileSystemFinder"]):
        call_command("collectstatic", interactive=False, verbosity=0)
    issue = make_issue(
        year=2017,
        number=1,
        status=Issue.Status.PUBLISHED,
        cover=SimpleUploadedFile("cover.png", image_bytes(size=(120, 170))),
    )
    pdf = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": "2017年第1期"})
    writer.write(pdf)
    record = IssuePDF(issue=issue, variant=IssuePDF.Variant.SCREEN, status=IssuePDF.Status.DONE)
    record.file_name = f"issues/{issue.key}/{issue.key}-screen.pdf"  # where the typesetter puts it
    write_atomically(record.path, pdf.getvalue())  # as the typesetter writes it
    record.build_key, record.page_count, record.size_bytes = "a" * 64, 1, len(pdf.getvalue())
    record.built_at = timezone.now()
    record.save()
    article = make_article(
        issue=issue,
        title="跨境电商的县域样本",
        status=Article.Status.PUBLISHED,
        body="".join(f"<p>第{number}段：今年春天，调查组走访了三个县的十二个乡镇。</p>" for number in range(40)),
    )
    subscriber = make_subscriber(email=SUBSCRIBER_EMAIL, password=SUBSCRIBER_PASSWORD)
    make_subscription(subscriber=subscriber)
    make_institution(name="南滨市图书馆", cidrs=(f"{INSTITUTION_ADDRESS}/32",))
    send_publication_notices.enqueue(issue_id=issue.pk)  # for bulletin-worker.service (BULLETIN_TASKS_BACKEND=database)
    print(
        json.dumps(
            {
                "pdf": record.file_name,
                "cover_url": issue.cover.url,
                "stylesheet_url": staticfiles_storage.url("css/site.css"),
                "stylesheet": staticfiles_storage.stored_name("css/site.css"),
                "script_url": staticfiles_storage.url("reading/share.js"),
                "icon_url": staticfiles_storage.url("favicon.svg"),
                "article_url": article.get_absolute_url(),
            }
        )
    )


@dataclass
class Site:
    root: Path
    https_port: int
    http_port: int
    gunicorn_port: int
    env: dict
    content: dict

    @property
    def run(self):
        return self.root / "nginx"

    @property
    def nginx_command(self):
        """nginx with this site's prefix, configuration and error log (not Debian's /var/log/nginx)."""
        return [NGINX, "-p", str(self.run), "-c", str(self.run / "nginx.conf"), "-e", str(self.run / "error.log")]

    @property
    def data(self):
        return self.root / "data"

    def served(self, uri):
        """nginx's access-log entry of the request for `uri` (nginx writes it as the response ends)."""
        deadline = time.monotonic() + 5
        while True:
            for line in (self.run / "access.log").read_text().splitlines():
                method, logged_uri, status, upstream, accel = line.split(" ", 4)
                if logged_uri == uri:
                    return {
                        "status": int(status),
                        "upstream": upstream.removeprefix("upstream="),
                        "accel": accel.removeprefix("accel="),
                    }
            if time.monotonic() > deadline:
                raise AssertionError(f"nginx logged no request for {uri}")
            time.sleep(0.05)

    def query(self, sql):
        """Rows from the site's database."""
        with sqlite3.connect(self.data / "db.sqlite3") as database:
            return database.execute(sql).fetchall()

    def downloads(self):
        """(address, by a reader's account, by an institution) of every download the site logged."""
        from issues.subscriptions.models import Download

        rows = self.query(
            f"SELECT ip, user_id IS NOT NULL, institution_id IS NOT NULL FROM {Download._meta.db_table} ORDER BY id"
        )
        return [(ip, bool(user), bool(institution)) for ip, user, institution in rows]


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


class Reader:
    """A browser's part of HTTPS to the site: cookies, CSRF tokens, and the address it comes from."""

    def __init__(self, site, *, address):
        self.site = site
        self.address = address
        self.cookies = {}
        self.context = ssl.create_default_context(cafile=site.root / "tls" / "cert.pem")

    @property
    def origin(self):
        return f"https://{HOST}:{self.site.https_port}"

    def request(self, method, path, *, body=None, headers=(), send_body=True, timeout=20):
        connection = http.client.HTTPSConnection(
            HOST, self.site.https_port, context=self.context, source_address=(self.address, 0), timeout=timeout
        )
        try:
            connection.putrequest(method, path, skip_accept_encoding="Accept-Encoding" in dict(headers))
            all_headers = dict(headers)
            if self.cookies:
                all_headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
            if body is not None:
                all_headers.setdefault("Content-Length", str(len(body)))
            for name, value in all_headers.items():
                connection.putheader(name, value)
            connection.endheaders(body if send_body else None)
            response = connection.getresponse()
            for header in response.headers.get_all("Set-Cookie") or []:
                self.cookies.update({name: morsel.value for name, morsel in SimpleCookie(header).items()})
            return Response(response.status, response.headers, response.read())
        finally:
            connection.close()

    def get(self, path, **headers):
        return self.request("GET", path, headers=headers)

    def sign_in(self, *, email, password):
        page = self.get("/accounts/login/")
        assert page.status == 200
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1).decode()
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": email, "password": password})
        response = self.request(
            "POST",
            "/accounts/login/",
            body=form.encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": self.origin + "/accounts/login/",
                "Origin": self.origin,
            },
        )
        assert response.status == 302, response.body.decode()
        assert response.headers["Location"] == "/accounts/"


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def render(template: str, values: dict) -> str:
    """`template` with every @NAME@ filled in; a placeholder left unfilled is an error."""
    for name, value in values.items():
        assert f"@{name}@" in template, f"deploy/nginx/bulletin.conf has no @{name}@"
        template = template.replace(f"@{name}@", str(value))
    left = re.findall(r"@[A-Z_]+@", template)
    assert not left, f"placeholders the test does not fill: {left}"
    return template


def environment_file(path: Path) -> dict:
    """The variables of a systemd EnvironmentFile (KEY=VALUE lines, # comments)."""
    lines = [line.strip() for line in path.read_text().splitlines()]
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def exec_start(unit: Path) -> list[str]:
    """The command line of a systemd unit's ExecStart=, continuation lines joined."""
    text = unit.read_text().replace("\\\n", " ")
    line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart="))


def with_option(command: list[str], option: str, value) -> list[str]:
    assert option in command, f"{option} is missing from the unit's ExecStart"
    index = command.index(option)
    return [*command[: index + 1], str(value), *command[index + 2 :]]


def unprivileged():
    """What subprocess needs to run a program as `nobody` when the tests run as root."""
    if os.geteuid() != 0:
        return {}
    return {"user": "nobody", "group": "nogroup", "extra_groups": []}


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_serving(site, processes):
    """Until a page comes back through nginx from gunicorn; fails with the servers' logs if one exits."""
    deadline = time.monotonic() + 30
    reader = Reader(site, address=HOST)
    while True:
        for name, process in processes.items():
            if process.poll() is not None:
                logs = "\n".join(
                    path.read_text() for path in [site.root / f"{name}.log", site.run / "error.log"] if path.exists()
                )
                pytest.fail(f"{name} exited with {process.returncode}:\n{logs}")
        try:
            if reader.get("/robots.txt").status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail("nginx and gunicorn did not serve /robots.txt within 30 seconds")
        time.sleep(0.1)


def site_environment(site):
    """The environment production has (deploy/bulletin.env), with this site's host, secret and folders."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("BULLETIN_", "DATABASE_"))}
    env.update(environment_file(DEPLOY / "bulletin.env"))
    env.update(
        BULLETIN_SECRET_KEY=secrets.token_urlsafe(50),
        BULLETIN_ALLOWED_HOSTS=HOST,
        BULLETIN_CSRF_TRUSTED_ORIGINS=f"https://{HOST}:{site.https_port}",
        BULLETIN_SITE_URL=f"https://{HOST}:{site.https_port}",
        BULLETIN_DATA_DIR=str(site.data),
        BULLETIN_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        DJANGO_SETTINGS_MODULE="bulletin.settings",
    )
    del env["DATABASE_URL"]  # the default: SQLite in BULLETIN_DATA_DIR
    return env


def make_certificate(folder: Path):
    """A throwaway self-signed certificate for 127.0.0.1 (cert.pem, key.pem in `folder`)."""
    folder.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        + ["-days", "1", "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=IP:{HOST}"]
        + ["-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
        check=True,
        capture_output=True,
    )


def write_nginx_configuration(site):
    """deploy/nginx/bulletin.conf with this site's addresses and folders, inside a minimal nginx.conf."""
    site.run.mkdir()
    (site.run / "bulletin.conf").write_text(
        render(
            (DEPLOY / "nginx" / "bulletin.conf").read_text(),
            {
                "SERVER_NAME": HOST,
                "HTTP_LISTEN": f"{HOST}:{site.http_port}",
                "HTTPS_LISTEN": f"{HOST}:{site.https_port}",
                "TLS_CERTIFICATE": site.root / "tls" / "cert.pem",
                "TLS_CERTIFICATE_KEY": site.root / "tls" / "key.pem",
                "GUNICORN": f"{HOST}:{site.gunicorn_port}",
                "STATIC_ROOT": site.data / "static",
                "MEDIA_ROOT": site.data / "media",
                "PROTECTED_ROOT": site.data / "protected",
            },
        )
    )
    (site.run / "nginx.conf").write_text(NGINX_CONF.format(run=site.run))
    if os.geteuid() == 0:  # nginx runs as nobody: its logs and temporary files, and the TLS key
        shutil.chown(site.run, "nobody", "nogroup")
        shutil.chown(site.root / "tls" / "key.pem", "nobody", "nogroup")


def gunicorn_command(site):
    """The ExecStart of deploy/systemd/bulletin-gunicorn.service, on this site's port."""
    command = exec_start(DEPLOY / "systemd" / "bulletin-gunicorn.service")
    command[0] = str(Path(sys.executable).with_name("gunicorn"))
    command = with_option(command, "--bind", f"{HOST}:{site.gunicorn_port}")
    return with_option(command, "--workers", 2)  # the machine running the tests is no server


@pytest.fixture(scope="module")
def site():
    assert Path(NGINX).is_file(), "nginx is missing: make test-system-packages (apt-get install nginx)"
    # Not pytest's tmp_path: its folders are private to the user running the tests, nginx is another.
    root = Path(tempfile.mkdtemp(prefix="bulletin-nginx-"))
    root.chmod(0o755)
    processes = {}
    try:
        site = Site(
            root=root, https_port=free_port(), http_port=free_port(), gunicorn_port=free_port(), env={}, content={}
        )
        site.env.update(site_environment(site))
        prepared = subprocess.run(
            [sys.executable, "-c", "import django; django.setup(); import tests.test_nginx as t; t.prepare_site()"],
            cwd=ROOT,
            env=site.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert prepared.returncode == 0, prepared.stderr
        site.content.update(json.loads(prepared.stdout.splitlines()[-1]))
        make_certificate(root / "tls")
        write_nginx_configuration(site)

        with open(root / "gunicorn.log", "w") as log:
            processes["gunicorn"] = subprocess.Popen(
                gunicorn_command(site), cwd=ROOT, env=site.env, stdout=log, stderr=log
            )
        with open(root / "nginx.log", "w") as log:
            processes["nginx"] = subprocess.Popen(site.nginx_command, stdout=log, stderr=log, **unprivileged())
        wait_until_serving(site, processes)
        yield site
    finally:
        for process in processes.values():
            stop(process)
        shutil.rmtree(root, ignore_errors=True)


def test_a_subscriber_signs_in_and_nginx_sends_the_pdf(site):
    reader = Reader(site, address=SUBSCRIBER_ADDRESS)
    reader.sign_in(email=SUBSCRIBER_EMAIL, password=SUBSCRIBER_PASSWORD)

    response = reader.get(PDF_URL + "?by=subscriber")

    assert response.status == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.body == (site.data / "protected" / site.content["pdf"]).read_bytes()
    assert response.body.startswith(b"%PDF-")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert "X-Accel-Redirect" not in response.headers
    served = site.served(PDF_URL + "?by=subscriber")
    assert served["upstream"] == f"{HOST}:{site.gunicorn_port}"
    assert served["accel"] == "/_protected/" + site.content["pdf"]
    # Django logged the download from the reader's address, which only nginx's X-Real-IP told it.
    assert (SUBSCRIBER_ADDRESS, True, False) in site.downloads()


def test_the_institution_network_goes_by_the_address_nginx_saw(site):
    inside = Reader(site, address=INSTITUTION_ADDRESS).get(PDF_URL + "?by=library")
    assert inside.status == 200
    assert inside.body.startswith(b"%PDF-")
    assert (INSTITUTION_ADDRESS, False, True) in site.downloads()

    # A reader elsewhere cannot claim the library's address: nginx replaces the header.
    outside = Reader(site, address=OUTSIDE_ADDRESS).get(PDF_URL + "?by=outsider", **{"X-Real-IP": INSTITUTION_ADDRESS})
    assert outside.status == 302
    assert outside.headers["Location"].startswith("/accounts/login/?next=")
    assert not [row for row in site.downloads() if row[0] == OUTSIDE_ADDRESS]


def test_a_guessed_protected_address_is_refused_by_nginx_itself(site):
    response = Reader(site, address=SUBSCRIBER_ADDRESS).get("/_protected/" + site.content["pdf"])

    assert response.status == 404
    assert b"<center>nginx</center>" in response.body  # nginx's own error page, not the site's
    assert site.served("/_protected/" + site.content["pdf"])["upstream"] == "-"


def test_static_and_media_files_come_from_nginx(site):
    reader = Reader(site, address=HOST)

    stylesheet = reader.get(site.content["stylesheet_url"])
    assert stylesheet.status == 200
    assert stylesheet.headers["Content-Type"] == "text/css"
    assert stylesheet.body == (site.data / "static" / site.content["stylesheet"]).read_bytes()
    assert stylesheet.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert site.served(site.content["stylesheet_url"])["upstream"] == "-"

    compressed = reader.get(site.content["stylesheet_url"] + "?gzip", **{"Accept-Encoding": "gzip"})
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert compressed.body == (site.data / "static" / (site.content["stylesheet"] + ".gz")).read_bytes()

    cover = reader.get(site.content["cover_url"])
    assert cover.status == 200
    assert cover.headers["Content-Type"] == "image/png"
    assert cover.body == (site.data / urllib.parse.unquote(site.content["cover_url"]).lstrip("/")).read_bytes()
    assert site.served(site.content["cover_url"])["upstream"] == "-"


def test_pages_feeds_and_static_text_go_out_compressed(site):
    reader = Reader(site, address=HOST)
    content = site.content
    paths = {
        "/": "text/html",
        content["article_url"]: "text/html",
        "/feeds/articles/": "application/atom+xml",
        "/sitemap.xml": "application/xml",
        content["stylesheet_url"]: "text/css",
        content["script_url"]: "application/javascript",
        content["icon_url"]: "image/svg+xml",
    }

    for path, content_type in paths.items():
        plain = reader.get(path)
        compressed = reader.get(path, **{"Accept-Encoding": "gzip"})

        assert (plain.status, compressed.status) == (200, 200), path
        assert plain.headers["Content-Type"].startswith(content_type), (path, plain.headers["Content-Type"])
        assert "Content-Encoding" not in plain.headers, path
        assert compressed.headers["Content-Encoding"] == "gzip", path
        assert "Accept-Encoding" in compressed.headers["Vary"], path
        assert gzip.decompress(compressed.body) == plain.body, path
        assert len(compressed.body) < len(plain.body), (path, len(compressed.body), len(plain.body))


def test_a_page_the_browser_has_is_revalidated_with_its_etag(site):
    reader = Reader(site, address=HOST)
    for path in ["/", site.content["article_url"], "/feeds/articles/"]:
        page = reader.get(path, **{"Accept-Encoding": "gzip"})
        assert page.status == 200 and page.headers["ETag"], path
        assert page.headers["Cache-Control"] == "no-cache", path

        again = reader.get(path, **{"Accept-Encoding": "gzip", "If-None-Match": page.headers["ETag"]})
        other = reader.get(path, **{"Accept-Encoding": "gzip", "If-None-Match": '"not-this-one"'})

        assert (again.status, again.body) == (304, b""), path
        # nginx weakens the ETag of what it compressed (W/"…"); the 304, having no body, keeps Django's.
        assert page.headers["ETag"].startswith('W/"'), path
        assert again.headers["ETag"].removeprefix("W/") == page.headers["ETag"].removeprefix("W/"), path
        assert other.status == 200 and gzip.decompress(other.body) == gzip.decompress(page.body), path


def test_an_upload_over_the_limit_stops_at_nginx(site):
    reader = Reader(site, address=HOST)
    headers = {"Content-Type": "multipart/form-data; boundary=x"}

    # nginx answers as soon as it reads Content-Length: the body is never sent.
    try:
        too_big = reader.request(
            "POST", "/submit/?size=12m", body=b"x" * (12 * 1024 * 1024), headers=headers, send_body=False, timeout=5
        )
    except TimeoutError:
        pytest.fail("nginx waited for a 12 MB body instead of refusing it")
    assert too_big.status == 413
    assert site.served("/submit/?size=12m")["upstream"] == "-"

    # Just under the limit goes on to Django, which refuses a form without its CSRF cookie.
    under = reader.request("POST", "/submit/?size=10m", body=b"x" * (10 * 1024 * 1024 + 512 * 1024), headers=headers)
    assert under.status == 403
    assert site.served("/submit/?size=10m")["upstream"] == f"{HOST}:{site.gunicorn_port}"


def test_nginx_takes_the_configuration_without_a_warning(site):
    checked = subprocess.run([*site.nginx_command, "-t"], capture_output=True, text=True, timeout=30, **unprivileged())
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr
    assert not re.findall(r"\[(?:warn|emerg|crit|alert)\].*", checked.stderr)


def test_the_worker_runs_the_queued_jobs(site):
    from django_tasks_db.models import DBTaskResult

    from issues.subscriptions.models import PublicationNotice

    unit = DEPLOY / "systemd" / "bulletin-worker.service"
    before = shlex.split(
        next(line for line in unit.read_text().splitlines() if line.startswith("ExecStartPre=")).split("=", 1)[1]
    )
    assert before[1:] == ["manage.py", "recover"]
    recovered = subprocess.run([sys.executable, *before[1:]], cwd=ROOT, env=site.env, capture_output=True, text=True)
    assert recovered.returncode == 0 and "已删除未完成操作留下的文件 0 个" in recovered.stdout, recovered.stderr
    worker = exec_start(unit)
    assert worker[0].endswith("/.venv/bin/python")
    worker[0] = sys.executable
    ran = subprocess.run(
        [*worker, "--batch", "--no-startup-delay"], cwd=ROOT, env=site.env, capture_output=True, text=True, timeout=60
    )

    assert ran.returncode == 0, ran.stderr
    assert site.query(f"SELECT status FROM {DBTaskResult._meta.db_table}") == [("SUCCESSFUL",)]
    assert site.query(f"SELECT COUNT(*) FROM {PublicationNotice._meta.db_table}") == [(1,)]


def test_the_daily_timer_runs_the_review_reminders(site):
    timer = (DEPLOY / "systemd" / "bulletin-reminders.timer").read_text()
    assert "OnCalendar=" in timer and "Persistent=true" in timer
    unit = DEPLOY / "systemd" / "bulletin-reminders.service"
    assert "Type=oneshot" in unit.read_text()
    command = exec_start(unit)
    assert command[0].endswith("/.venv/bin/python") and command[1:] == ["manage.py", "send_review_reminders"]
    command[0] = sys.executable
    ran = subprocess.run(command, cwd=ROOT, env=site.env, capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert "已发送审稿提醒 0 封" in ran.stdout


def test_plain_http_is_sent_to_https(site):
    connection = http.client.HTTPConnection(HOST, site.http_port, timeout=10)
    try:
        connection.request("GET", "/issues/?from=http")
        response = connection.getresponse()
    finally:
        connection.close()
    assert response.status == 301
    assert response.headers["Location"] == f"https://{HOST}/issues/?from=http"
