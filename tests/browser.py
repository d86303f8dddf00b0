"""Playwright driving Debian's Chromium for the browser tests (browser downloads are blocked here)."""

import threading
import time
from contextlib import contextmanager

import pytest
from django.core.signals import request_finished, request_started
from playwright.sync_api import expect, sync_playwright

from issues.models import Periodical

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


class _RequestsInFlight:
    """The requests the live server is answering right now.

    With in-memory SQLite the live server's threads share the test's database connection, so a
    request still being answered when a tab closes (the page after a save, a late script) runs its
    queries into the flush that ends a transactional test, which then fails or leaves rows behind
    for the next test. Closing a tab does not wait for the server; this count lets the test do so.
    """

    def __init__(self):
        self.threads = set()  # the live server answers each request in a thread of its own
        request_started.connect(self.started, dispatch_uid="tests.browser.started")
        request_finished.connect(self.finished, dispatch_uid="tests.browser.finished")

    def started(self, **kwargs):
        if threading.current_thread() is not threading.main_thread():  # not the test client's
            self.threads.add(threading.get_ident())

    def finished(self, **kwargs):
        self.threads.discard(threading.get_ident())

    def wait_until_quiet(self, *, timeout=10.0, quiet=0.05):
        """Return once no request has been in flight for `quiet` seconds (or after `timeout`)."""
        deadline = time.monotonic() + timeout
        quiet_since = None
        while time.monotonic() < deadline:
            if self.threads:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= quiet:
                return
            time.sleep(0.01)


requests_in_flight = _RequestsInFlight()


@contextmanager
def checked_page(browser, live_server, *, refusals=(), **context_options):
    """A fresh tab on the live server; the test fails if the page reports any error.

    `refusals` are paths the test expects the server to refuse (a 403 page): Chromium reports
    their status as a console error, which is then no problem.
    """
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **context_options)
    context.set_default_timeout(5_000)
    page = context.new_page()
    problems = []
    refused = {live_server.url + path for path in refusals}

    def on_console(message):
        if message.type == "error" and message.location["url"] not in refused:
            problems.append(f"console: {message.text} ({message.location['url']})")

    def on_response(response):
        if "/static/" in response.url and response.status >= 400:
            problems.append(f"HTTP {response.status}: {response.url}")

    def on_failed_request(request):
        # ERR_ABORTED is the tab leaving the page before a file arrived, not a broken file (a missing
        # one is a 404, which on_response reports).
        if "/static/" in request.url and request.failure != "net::ERR_ABORTED":
            problems.append(f"failed: {request.url} ({request.failure})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("response", on_response)
    page.on("requestfailed", on_failed_request)
    yield page
    context.close()
    requests_in_flight.wait_until_quiet()
    if problems:
        pytest.fail("The browser reported errors:\n" + "\n".join(problems))


# What every public page promises ---------------------------------------------------------------

PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
MIN_TEXT_CONTRAST = 4.5  # WCAG 2.2 AA, 1.4.3, normal-size text
MIN_FOCUS_CONTRAST = 3.0  # WCAG 2.2 AA, 1.4.11, a focus indicator against what surrounds it


def check_reading_page(page, response):
    """What every page of the reading site promises, at whatever width the tab has."""
    assert response.status == 200, response.url
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    expect(page.locator("h1:visible")).to_have_count(1)
    expect(page.get_by_role("banner")).to_have_count(1)
    expect(page.get_by_role("navigation", name="主导航")).to_be_visible()
    expect(page.get_by_role("main")).to_have_count(1)
    expect(page.get_by_role("contentinfo")).to_have_count(1)
    expect(page.get_by_role("contentinfo")).to_contain_text(Periodical.load().name)

    images = page.locator("img")
    for index in range(images.count()):
        image = images.nth(index)
        assert (image.get_attribute("alt") or "").strip(), f"<img src={image.get_attribute('src')}> has no alt text"
        image.scroll_into_view_if_needed()  # covers in the issue list load lazily
        assert image.evaluate("img => img.decode().then(() => img.naturalWidth, () => 0)"), image.get_attribute("src")
    page.evaluate("window.scrollTo(0, 0)")

    # On a phone Chromium widens the layout viewport to fit content that is too wide, so
    # innerWidth alone would hide the overflow: compare with the screen's own width too.
    width = page.viewport_size["width"]
    overflow = page.evaluate(PAGE_OVERFLOW_JS, width)
    assert overflow["scrollWidth"] <= min(overflow["innerWidth"], width) + 1, (
        f"The page is wider than the screen: {overflow}"
    )

    contrast = page.evaluate(TEXT_CONTRAST_JS, MIN_TEXT_CONTRAST)
    assert contrast["checked"]["a"] > 0 and contrast["checked"]["text"] > 0, contrast["checked"]
    assert not contrast["failures"], "Text below 4.5:1 contrast:\n" + "\n".join(map(str, contrast["failures"]))


def check_focus_outline(page):
    """The focused element shows an outline that stands out from the background behind it."""
    focus = page.evaluate(FOCUS_OUTLINE_JS)
    assert focus["style"] != "none" and focus["width"] >= 2, focus
    assert focus["contrast"] >= MIN_FOCUS_CONTRAST, focus


# Colour arithmetic of WCAG 2.2 (relative luminance, contrast ratio), run in the page.
COLOUR_JS = """
const parse = (css) => {
  const parts = css.match(/[\\d.]+/g).map(Number);
  return {r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1};
};
const over = (top, below) => ({
  r: top.r * top.a + below.r * (1 - top.a),
  g: top.g * top.a + below.g * (1 - top.a),
  b: top.b * top.a + below.b * (1 - top.a),
  a: 1,
});
const backgroundOf = (element) => {
  const layers = [];
  for (let node = element; node; node = node.parentElement) {
    const colour = parse(getComputedStyle(node).backgroundColor);
    if (colour.a > 0) layers.push(colour);
    if (colour.a === 1) break;
  }
  return layers.reverse().reduce((below, top) => over(top, below), {r: 255, g: 255, b: 255, a: 1});
};
const luminance = ({r, g, b}) => {
  const [R, G, B] = [r, g, b].map((v) => {
    v /= 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * R + 0.7152 * G + 0.0722 * B;
};
const contrast = (one, other) => {
  const [light, dark] = [luminance(one), luminance(other)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
};
"""

TEXT_CONTRAST_JS = (
    "(minimum) => {"
    + COLOUR_JS
    + """
  const checked = {a: 0, text: 0, control: 0};
  const failures = [];
  const ownText = (element) =>
    [...element.childNodes].some((node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim());
  for (const element of document.body.querySelectorAll("*")) {
    const control = element.matches("input, select, button") && (element.value || element.textContent).trim();
    if (!control && !ownText(element)) continue;
    const style = getComputedStyle(element);
    const rect = element.getBoundingClientRect();
    if (style.visibility !== "visible" || rect.width <= 1 || rect.height <= 1) continue;
    const background = backgroundOf(element);
    const ratio = contrast(over(parse(style.color), background), background);
    checked[element.tagName === "A" ? "a" : control ? "control" : "text"] += 1;
    if (ratio < minimum) {
      failures.push({
        element: element.tagName.toLowerCase() + (element.className ? "." + element.className : ""),
        text: (element.value || element.textContent).trim().slice(0, 20),
        color: style.color,
        background: `rgb(${background.r}, ${background.g}, ${background.b})`,
        ratio: Math.round(ratio * 100) / 100,
      });
    }
  }
  return {checked, failures};
}"""
)

FOCUS_OUTLINE_JS = (
    "() => {"
    + COLOUR_JS
    + """
  const element = document.activeElement;
  const style = getComputedStyle(element);
  return {
    element: element.tagName.toLowerCase() + (element.className ? "." + element.className : ""),
    style: style.outlineStyle,
    width: parseFloat(style.outlineWidth),
    colour: style.outlineColor,
    contrast: Math.round(contrast(parse(style.outlineColor), backgroundOf(element.parentElement)) * 100) / 100,
  };
}"""
)

PAGE_OVERFLOW_JS = """(width) => {
  // What sticks out past the screen's right edge: element boxes, and text that cannot wrap.
  const past = (rect) => rect.width > 0 && rect.right > width + 1;
  const culprits = [...document.body.querySelectorAll("*")]
    .filter((element) => past(element.getBoundingClientRect()))
    .map((element) => element.tagName.toLowerCase() + (element.className ? "." + element.className : ""));
  const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (texts.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(texts.currentNode);
    const parent = texts.currentNode.parentElement;
    if (past(range.getBoundingClientRect())) {
      culprits.push(`text in ${parent.tagName.toLowerCase()}.${parent.className}: ${texts.currentNode.textContent.trim().slice(-40)}`);
    }
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    culprits: culprits.slice(0, 5),
  };
}"""
