"""axe-core finds no WCAG 2.0/2.1 A or AA violation on any public page, on a phone and on a desktop.

The pages are tests/public_pages.py's, the same the Nu HTML Checker reads (test_html_validity.py).
axe-core comes from npm at the version tests/axe/package-lock.json pins (`make test` runs
`npm ci --prefix tests/axe`). The site's Content-Security-Policy allows no inline script, and
axe is no part of the site, so its browser context bypasses the CSP (`bypass_csp=True`) to inject
axe.min.js: serving the file from the site would put a test tool among the static files readers
get. The project's own contrast and focus checks (tests/browser.py, test_site_browser.py) stay.

Then an invalid submission's error text is what a screen reader reads with its field.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tests.browser import DESKTOP, PHONE, checked_page
from tests.public_pages import PAGES, public_site

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: npm ci --prefix tests/axe"),
]

# Pages that answer 4xx are reported by Chromium as console errors: expected here.
REFUSED = {"expert review, unknown link", "confirmation link, wrong", "unsubscribe, wrong link", "not found"}


def sign_in(context, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def open_page(page, live_server, site, entry):
    """Open `entry` as a reader would: by its address, or by filling in and sending its form."""
    path = entry.path(site)
    response = page.goto(path)
    if entry.form:
        for _ in range(entry.times()):
            if not page.locator("main form").count():  # locked out already
                break
            form = page.locator("main form").first
            form.evaluate("form => form.noValidate = true")  # the server's messages, not the browser's
            for name, value in entry.form.items():
                form.locator(f'[name="{name}"]').fill(value)
            with page.expect_navigation() as navigation:
                form.locator('button[type="submit"], button:not([type])').first.click()
            response = navigation.value
    return response


@pytest.mark.parametrize("width", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_axe_finds_no_wcag_aa_violation_on_any_public_page(browser, live_server, width):
    site = public_site()
    violations, wrong = [], []
    for entry in PAGES:
        refusals = {entry.path(site).split("?")[0]} if entry.name in REFUSED or entry.status >= 400 else set()
        with checked_page(browser, live_server, bypass_csp=True, refusals=refusals, **width) as page:
            if entry.signed_in:
                sign_in(page.context, live_server, site.subscriber.user)
            response = open_page(page, live_server, site, entry)
            if response.status != entry.status:
                wrong.append(f"{entry.name}: HTTP {response.status}, expected {entry.status}")
                continue
            page.add_script_tag(path=str(AXE))
            result = page.evaluate(
                "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
                WCAG_AA,
            )
            for violation in result["violations"]:
                for node in violation["nodes"]:
                    violations.append(
                        f"{entry.name} ({width['viewport']['width']} px): {violation['id']} [{violation['impact']}]"
                        f" at {' '.join(map(str, node['target']))}: {violation['help']}"
                    )
    assert not wrong, "\n".join(wrong)
    assert not violations, f"{len(violations)} violations of axe-core:\n" + "\n".join(violations)


def test_an_invalid_fields_error_is_its_accessible_description(browser, live_server):
    with checked_page(browser, live_server, **DESKTOP) as page:
        page.goto("/accounts/password/reset/")
        page.locator("main form").evaluate("form => form.noValidate = true")
        field = page.get_by_label("电子邮件")
        field.fill("不是邮箱")
        with page.expect_navigation():
            page.locator("main form button").first.click()

        field = page.get_by_label("电子邮件")
        expect(field).to_have_attribute("aria-invalid", "true")
        error = page.locator(f"#{field.get_attribute('id')}_error")
        expect(error).to_be_visible()
        expect(field).to_have_accessible_description(error.inner_text().strip())
        description = field.evaluate(
            "input => input.getAttribute('aria-describedby').split(' ')"
            ".map((id) => document.getElementById(id).textContent.trim()).join(' ')"
        )
        assert error.inner_text().strip() in description
