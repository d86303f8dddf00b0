"""Public pages carry an ETag and Cache-Control: no-cache, so browsers revalidate and get 304 without a body.

The whole-page cache (issues/caching.py) hands out the same page until content changes: its ETag
stays the same while the page does and changes with an edit. Signed-in pages are private.
"""

import pytest
from django.urls import reverse

from articles.models import Article
from issues.models import Issue
from tests.factories import make_article, make_issue, make_subscriber

pytestmark = pytest.mark.django_db


def published_article():
    issue = make_issue(year=2024, number=3, status=Issue.Status.PUBLISHED)
    return make_article(issue=issue, title="跨境电商的县域样本", status=Article.Status.PUBLISHED, body="<p>正文。</p>")


@pytest.mark.parametrize("path", ["/", "/issues/", "article", "/feeds/articles/", "/sitemap.xml"])
def test_a_public_page_with_a_matching_etag_is_304_without_a_body(client, path):
    article = published_article()
    path = article.get_absolute_url() if path == "article" else path

    page = client.get(path)
    again = client.get(path, headers={"If-None-Match": page["ETag"]})
    other = client.get(path, headers={"If-None-Match": '"something-else"'})

    assert page.status_code == 200 and page["ETag"].startswith('"')
    assert page["Cache-Control"] == "no-cache"
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == page["ETag"]
    assert other.status_code == 200 and other.content == page.content


def test_the_cached_page_keeps_its_etag_until_the_content_changes(client, django_assert_max_num_queries):
    article = published_article()
    client.get(article.get_absolute_url())  # the first visit also writes the content version's row
    first = client.get(article.get_absolute_url())

    with django_assert_max_num_queries(3):  # from the page cache, not the view
        cached = client.get(article.get_absolute_url(), headers={"If-None-Match": first["ETag"]})
    assert cached.status_code == 304

    article.title = "跨境电商的县域样本（修订）"
    article.save()
    changed = client.get(article.get_absolute_url(), headers={"If-None-Match": first["ETag"]})

    assert changed.status_code == 200 and "（修订）" in changed.content.decode()
    assert changed["ETag"] != first["ETag"]


def test_signed_in_pages_are_private(client):
    published_article()
    client.force_login(make_subscriber().user)

    home = client.get("/")
    account = client.get(reverse("subscriptions:account"))

    assert home["Cache-Control"] == "private, no-cache"
    assert "private" in account["Cache-Control"]


def test_what_a_view_says_about_caching_is_kept(client):
    article = published_article()

    qr = client.get(reverse("articles:qr", args=[article.pk, article.slug]))

    assert qr["Cache-Control"] == "public, max-age=86400"
