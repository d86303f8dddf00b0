"""Opening an article in Chromium sends one beacon, which the server counts; no cookie is set."""

import pytest

from articles.models import Article, ArticleReads, ArticleView
from issues.models import Issue, Periodical
from tests.browser import checked_page
from tests.factories import make_article, make_issue, make_section

pytestmark = pytest.mark.django_db(transaction=True)

# Chromium without its "HeadlessChrome" token, which the beacon takes for a prerenderer or scraper.
READER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"


def test_opening_an_article_sends_one_beacon_that_is_counted(browser, live_server):
    Periodical.load()
    issue = make_issue(year=2017, number=1, status=Issue.Status.PUBLISHED)
    article = make_article(
        issue=issue,
        section=make_section(),
        title="跨境电商发展报告",
        status=Article.Status.PUBLISHED,
        body="<p>正文</p>",
    )
    with checked_page(browser, live_server, user_agent=READER_AGENT) as page:
        beacons = []
        page.on("request", lambda request: beacons.append(request) if "/reads/" in request.url else None)
        with page.expect_response(lambda response: "/reads/" in response.url) as answered:
            page.goto(article.get_absolute_url())
        assert answered.value.status == 204
        page.reload()  # the same reader again: a beacon, not counted again
        page.wait_for_load_state("networkidle")
        assert [request.method for request in beacons] == ["POST", "POST"]
        assert page.context.cookies() == []

    assert ArticleReads.objects.get(article=article).views == 1
    assert ArticleView.objects.count() == 1


def test_a_reader_who_asked_not_to_be_tracked_sends_no_beacon(browser, live_server):
    Periodical.load()
    issue = make_issue(year=2017, number=1, status=Issue.Status.PUBLISHED)
    article = make_article(issue=issue, section=make_section(), title="不计数", status=Article.Status.PUBLISHED)
    with checked_page(browser, live_server, user_agent=READER_AGENT) as page:
        page.add_init_script("Object.defineProperty(navigator, 'globalPrivacyControl', {get: () => true})")
        beacons = []
        page.on("request", lambda request: beacons.append(request) if "/reads/" in request.url else None)
        page.goto(article.get_absolute_url())
        page.wait_for_load_state("networkidle")
        assert beacons == []
    assert not ArticleReads.objects.exists()
