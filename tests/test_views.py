"""The minimal public pages that "view on site" opens; the full reading site is its own feature."""

import pytest
from django.urls import reverse

from articles.models import Article
from issues.models import Issue
from tests.factories import make_article, make_contributor, make_issue, make_section

pytestmark = pytest.mark.django_db


def published_issue(**fields):
    issue = make_issue(status=Issue.Status.PUBLISHED, masthead=[("主编", "林知远")], **fields)
    return issue


def test_home_shows_the_latest_published_issue(client):
    published_issue(year=2017, number=1, title="跨境电商专题")
    make_issue(year=2017, number=2, title="未发布的草稿")
    page = client.get(reverse("home")).content.decode()
    assert "跨境电商专题" in page
    assert "未发布的草稿" not in page
    assert '<html lang="zh-CN">' in page


def test_issue_page_shows_contents_and_masthead(client):
    issue = published_issue()
    reports = make_section(name="特别报道")
    make_article(
        issue=issue, section=reports, title="南滨报告", subtitle="规模与趋势", status=Article.Status.PUBLISHED,
        authors=[make_contributor(name="陈思远")],
    )  # fmt: skip
    page = client.get(issue.get_absolute_url()).content.decode()
    for text in ["特别报道", "南滨报告", "——规模与趋势", "文 / 陈思远", "主编", "林知远"]:
        assert text in page


def test_drafts_are_404_for_readers_and_previewed_for_staff(client, django_user_model):
    issue = make_issue()
    article = make_article(issue=issue, title="草稿文章")
    assert client.get(issue.get_absolute_url()).status_code == 404
    assert client.get(article.get_absolute_url()).status_code == 404
    staff_client = client
    staff_client.force_login(django_user_model.objects.create_user(username="staff", password="x", is_staff=True))
    page = staff_client.get(issue.get_absolute_url()).content.decode()
    assert "预览" in page and "草稿文章" in page
    response = staff_client.get(article.get_absolute_url())
    assert response.status_code == 200
    assert "预览：此内容尚未发布" in response.content.decode()


def test_article_page_shows_body_and_source(client):
    issue = published_issue()
    article = make_article(
        issue=issue, title="融资盘点", status=Article.Status.PUBLISHED, source="本刊编辑部",
        body='<table><tr><td rowspan="2">跨境电商</td><td>南滨链通</td></tr></table>',
    )  # fmt: skip
    page = client.get(article.get_absolute_url()).content.decode()
    assert '<td rowspan="2">跨境电商</td>' in page
    assert "（来源：本刊编辑部）" in page
    assert "预览" not in page


def test_wrong_slug_redirects_to_the_canonical_url(client):
    article = make_article(issue=published_issue(), title="融资盘点", status=Article.Status.PUBLISHED)
    response = client.get(reverse("articles:detail", kwargs={"pk": article.pk, "slug": "old"}))
    assert response.status_code == 301
    assert response["Location"] == article.get_absolute_url()
