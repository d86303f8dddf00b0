"""Playwright driving Debian's Chromium for the browser tests (browser downloads are blocked here)."""

from contextlib import contextmanager

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the whole test module."""
    # Playwright's sync API keeps an asyncio loop running in this thread, which makes
    # Django refuse ORM calls here (the tests' own, and the database flush after each test).
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()


@contextmanager
def checked_page(browser, live_server, **context_options):
    """A fresh tab on the live server; the test fails if the page reports any error."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **context_options)
    context.set_default_timeout(5_000)
    page = context.new_page()
    problems = []

    def on_console(message):
        if message.type == "error":
            problems.append(f"console: {message.text} ({message.location['url']})")

    def on_response(response):
        if "/static/" in response.url and response.status >= 400:
            problems.append(f"HTTP {response.status}: {response.url}")

    def on_failed_request(request):
        if "/static/" in request.url:
            problems.append(f"failed: {request.url} ({request.failure})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("response", on_response)
    page.on("requestfailed", on_failed_request)
    yield page
    context.close()
    if problems:
        pytest.fail("The browser reported errors:\n" + "\n".join(problems))
