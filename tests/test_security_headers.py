"""What every response tells the browser to refuse: the Content-Security-Policy, the
Permissions-Policy, and (on the readers' account pages) Cache-Control: private."""

import re
import runpy
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from articles.admin import TIPTAP_STYLE_HASH
from articles.models import Article
from issues.models import Issue, Periodical
from issues.subscriptions import auth_urls
from issues.subscriptions import urls as account_urls
from tests.factories import make_article, make_issue, make_section, make_subscriber, make_subscription

pytestmark = pytest.mark.django_db

SITE_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
DISABLED_FEATURES = ["camera", "microphone", "geolocation", "payment", "usb", "display-capture"]


def policy_of(response):
    """The Content-Security-Policy header as {directive: [sources]}."""
    directives = (part.split() for part in response["Content-Security-Policy"].split(";"))
    return {name: sources for name, *sources in directives}


def permissions_of(response):
    """The Permissions-Policy header as {feature: allowlist}."""
    return dict(item.strip().split("=", 1) for item in response["Permissions-Policy"].split(","))


def published_article():
    Periodical.load()
    issue = make_issue(year=2017, number=1, status=Issue.Status.PUBLISHED)
    return make_article(
        issue=issue, section=make_section(name="特别报道"), title="融资盘点", status=Article.Status.PUBLISHED
    )


def test_reading_site_pages_get_the_strict_policy_without_nonces(client):
    article = published_article()
    for path in ["/", "/issues/", article.issue.get_absolute_url(), article.get_absolute_url(), "/search/?q=融资"]:
        for attempt in ("fresh", "from the page cache"):
            response = client.get(path)
            assert response.status_code == 200, (path, attempt)
            assert policy_of(response) == SITE_POLICY, (path, attempt)


def test_error_and_form_pages_get_the_policy_too(client):
    assert policy_of(client.get("/no-such-page/")) == SITE_POLICY
    assert policy_of(client.get("/submit/")) == SITE_POLICY


def test_every_response_disables_the_browser_features_the_site_never_uses(client, staff_client):
    for response in [client.get("/"), client.get("/accounts/login/"), staff_client.get("/admin/")]:
        permissions = permissions_of(response)
        for feature in DISABLED_FEATURES:
            assert permissions[feature] == "()", feature


def test_admin_pages_get_the_policy_and_the_article_page_a_nonce_for_its_import_map(staff_client):
    article = published_article()

    index = staff_client.get("/admin/")
    assert policy_of(index) == SITE_POLICY

    response = staff_client.get(reverse("admin:articles_article_change", args=[article.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    nonce = re.search(r'<script type="importmap" nonce="([^"]+)">', html).group(1)
    policy = policy_of(response)
    assert policy["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert policy["style-src"] == ["'self'", f"'nonce-{nonce}'", TIPTAP_STYLE_HASH]
    assert {name: sources for name, sources in policy.items() if name not in ("script-src", "style-src")} == {
        name: sources for name, sources in SITE_POLICY.items() if name not in ("script-src", "style-src")
    }
    # Every inline script on the page carries the nonce; a new one for each request.
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline_scripts and all(f'nonce="{nonce}"' in attributes for attributes in inline_scripts)
    again = staff_client.get(reverse("admin:articles_article_change", args=[article.pk]))
    assert f"'nonce-{nonce}'" not in again["Content-Security-Policy"]


def test_an_absolute_media_url_is_allowed_for_images(monkeypatch):
    monkeypatch.setenv("BULLETIN_MEDIA_URL", "https://media.example.cn/uploads/")
    other_settings = runpy.run_path(Path(settings.BASE_DIR, "bulletin", "settings.py"))
    assert other_settings["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["img-src"] == ["'self'", "https://media.example.cn"]
    assert settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"] == ["'self'"]


# Cache-Control: private on /accounts/ ----------------------------------------------------------------


ACCOUNT_PAGES = [
    *((f"subscriptions:{pattern.name}", pattern) for pattern in account_urls.urlpatterns),
    *((pattern.name, pattern) for pattern in auth_urls.urlpatterns),
]


@pytest.mark.parametrize(("name", "pattern"), ACCOUNT_PAGES, ids=[name for name, _ in ACCOUNT_PAGES])
def test_every_account_page_is_private_to_shared_caches(client, name, pattern):
    """Every URL of both account modules, placeholders standing in for tokens."""
    # Reversed here, not at collection: loading the URLconf before pytest-django turns DEBUG off
    # would add the development media route for the whole session.
    path = reverse(name, kwargs=dict.fromkeys(pattern.pattern.converters, "x"))
    assert path.startswith("/accounts/")
    response = client.get(path)
    assert "private" in response["Cache-Control"].split(", "), (path, response.status_code)
    assert "public" not in response["Cache-Control"]
    assert policy_of(response) == SITE_POLICY


def test_the_signed_in_account_page_is_private_and_the_site_is_not(client):
    subscriber = make_subscriber()
    make_subscription(subscriber=subscriber)
    client.force_login(subscriber.user)
    response = client.get("/accounts/")
    assert response.status_code == 200 and "李明" in response.content.decode()
    assert "private" in response["Cache-Control"].split(", ")
    assert "private" in client.get("/issues/")["Cache-Control"].split(", ")  # every page a signed-in reader gets
    client.logout()
    assert "private" not in client.get("/issues/")["Cache-Control"]


# No inline script or style in the site's templates ---------------------------------------------------

INLINE = re.compile(r"<style|\sstyle=|\son[a-z]+=|<script(?![^>]*\bsrc=)", re.IGNORECASE)


def test_no_template_the_browser_renders_has_inline_script_or_style():
    """The typesetting templates are WeasyPrint's, never a browser's; e-mails are plain text."""
    templates = Path(settings.BASE_DIR, "templates")
    offenders = [
        f"{path.relative_to(templates)}: {match.group(0)}"
        for path in templates.rglob("*.html")
        if "typesetting" not in path.parts
        for match in [INLINE.search(path.read_text())]
        if match
    ]
    assert not offenders, offenders
    assert "css/error.css" in (templates / "500.html").read_text()
