"""The public reading site, as readers, search engines and feed readers see it."""

import datetime
import json
import re
import xml.etree.ElementTree as ElementTree
from urllib.parse import unquote

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.models import Article, Authorship
from issues.files import write_atomically
from issues.models import Issue, IssuePDF, Periodical, Section
from tests.factories import make_article, make_contributor, make_issue, make_section

pytestmark = pytest.mark.django_db


def published_issue(*, year=2017, number=1, articles=0, **fields):
    """A published issue with a masthead and `articles` published articles in two sections."""
    Periodical.load()  # a site always has its periodical row; creating it is a content change
    issue = make_issue(year=year, number=number, status=Issue.Status.PUBLISHED, masthead=[("主编", "林知远")], **fields)
    reports, news = make_section(name="特别报道", position=1), make_section(name="行业动态", position=2)
    for position in range(1, articles + 1):
        make_article(
            issue=issue,
            section=reports if position % 2 else news,
            title=f"第{position}篇",
            position=position,
            status=Article.Status.PUBLISHED,
            body=f"<p>正文{position}</p>",
            first_page=position + 3,
            last_page=position + 3,
            authors=[make_contributor(name=f"作者{year}{number}{position}")],
        )
    return issue


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def with_pdf(issue, *, pages=28):
    record = IssuePDF.objects.create(
        issue=issue, variant="screen", status="done", file_name=f"issues/{issue.key}/{issue.key}-screen.pdf",
        page_count=pages, size_bytes=8,
    )  # fmt: skip
    write_atomically(record.path, b"%PDF-1.7")
    return record


# Pages ----------------------------------------------------------------------------------------


def test_home_shows_the_latest_issue_with_contents_and_pdf_and_recent_issues(client):
    older = published_issue(year=2016, number=4, title="旧专题")
    latest = published_issue(year=2017, number=1, articles=3, title="跨境电商专题")
    make_issue(year=2017, number=2, title="未发布的草稿")
    with_pdf(latest)
    html = page(client, "/")
    assert "跨境电商专题" in html and "第1篇" in html and "第3篇" in html
    assert "下载本期 PDF（28 页）" in html and reverse("issue_pdf", args=[2017, 1]) in html
    assert older.get_absolute_url() in html
    assert "未发布的草稿" not in html


def test_archive_groups_issues_by_year(client):
    published_issue(year=2016, number=4)
    published_issue(year=2017, number=1)
    html = page(client, "/issues/")
    assert html.index("2017年") < html.index("2016年")
    assert "2016年第4期" in html and "2017年第1期" in html


def test_issue_page_has_contents_by_section_with_pages_and_the_masthead(client):
    issue = published_issue(articles=4)
    with_pdf(issue)
    html = page(client, issue.get_absolute_url())
    assert "<h1>" in html and html.count("<h1") == 1
    assert html.index("特别报道") < html.index("第1篇") < html.index("第3篇")
    assert (
        '<span class="page"><span class="visually-hidden">第 </span>4<span class="visually-hidden"> 页</span></span>'
        in html
    )
    assert "主编" in html and "林知远" in html
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html).group(1))
    assert data["@type"] == "PublicationIssue" and data["issueNumber"] == "1"


def test_article_page_has_everything_a_reader_and_an_index_need(client):
    issue = published_issue(articles=3)
    with_pdf(issue)
    author = make_contributor(name="陈思远", affiliation="南滨市电子商务服务中心")
    article = make_article(
        issue=issue, section=Section.objects.create(name="区域数据", parent=make_section(name="数据观察")),
        title="融资盘点", subtitle="资本寒冬", position=2, status=Article.Status.PUBLISHED, source="本刊编辑部",
        body='<p>正文</p><table><tr><td rowspan="2">跨境电商</td><td>南滨链通</td></tr></table>',
        first_page=12, last_page=17, authors=[author],
    )  # fmt: skip
    html = page(client, article.get_absolute_url())
    assert "<h1>融资盘点</h1>" in html and "——资本寒冬" in html
    assert f'<a href="{author.get_absolute_url()}">陈思远</a>' in html
    assert "数据观察 › 区域数据" in html and "第 12–17 页" in html and "（来源：本刊编辑部）" in html
    assert '<td rowspan="2">跨境电商</td>' in html
    assert 'rel="prev"' in html and 'rel="next"' in html
    meta = dict(re.findall(r'<meta name="(citation_[a-z_]+)" content="([^"]*)"', html))
    assert meta["citation_title"] == "融资盘点——资本寒冬"
    assert meta["citation_author"] == "陈思远"
    assert meta["citation_journal_title"] == Periodical.load().name
    assert meta["citation_publication_date"] == "2017/01/31"
    assert (meta["citation_issue"], meta["citation_firstpage"], meta["citation_lastpage"]) == ("1", "12", "17")
    # Its own pages of the issue PDF only where anyone may fetch them (tests/test_metadata.py has both settings).
    assert "citation_pdf_url" not in meta and "citation_volume" not in meta
    assert '<meta property="og:type" content="article">' in html
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html).group(1))
    assert data["@type"] == "NewsArticle" and data["pageStart"] == 12 and data["author"][0]["name"] == "陈思远"
    assert data["isPartOf"]["@type"] == "PublicationIssue"


def test_json_ld_cannot_break_out_of_its_script(client):
    issue = published_issue()
    article = make_article(issue=issue, title="</script><script>alert(1)</script>", status=Article.Status.PUBLISHED)
    html = page(client, article.get_absolute_url())
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in script and "alert(1)" in script


def test_section_and_contributor_pages_list_articles_newest_first(client):
    author = make_contributor(name="王毅")
    section = make_section(name="特别报道")
    for year in (2015, 2017, 2016):
        issue = published_issue(year=year)
        make_article(
            issue=issue, section=section, title=f"{year}年报告", status=Article.Status.PUBLISHED, authors=[author]
        )
    make_article(issue=make_issue(year=2018, number=1), section=section, title="草稿报告", authors=[author])
    for url in (section.get_absolute_url(), author.get_absolute_url()):
        html = page(client, url)
        assert html.index("2017年报告") < html.index("2016年报告") < html.index("2015年报告"), url
        assert "草稿报告" not in html


def test_long_lists_are_paginated(client):
    section = make_section(name="特别报道")
    issue = published_issue()
    for position in range(1, 26):
        make_article(issue=issue, section=section, title=f"文{position:02d}", position=position, status="published")
    first = page(client, section.get_absolute_url())
    second = page(client, section.get_absolute_url(), page=2)
    assert "文01" in first and "文21" not in first and "第 1 / 2 页" in first
    assert "文21" in second and "文01" not in second


def test_drafts_are_404_for_readers_and_previewed_for_staff(client, django_user_model):
    issue = make_issue()
    article = make_article(issue=issue, title="草稿文章")
    for url in (issue.get_absolute_url(), article.get_absolute_url(), reverse("issue_pdf", args=[2017, 1])):
        assert client.get(url).status_code == 404
    client.force_login(django_user_model.objects.create_user(username="staff", password="x", is_staff=True))
    assert "预览" in page(client, issue.get_absolute_url())
    assert "预览：此内容尚未发布" in page(client, article.get_absolute_url())


def test_friendly_404_and_500_pages(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode() and 'lang="zh-CN"' in response.content.decode()
    assert "服务器出错了" in render_to_string("500.html")


def test_wrong_slug_redirects_to_the_canonical_url(client):
    article = make_article(issue=published_issue(), title="融资盘点", status=Article.Status.PUBLISHED)
    response = client.get(reverse("articles:detail", kwargs={"pk": article.pk, "slug": "old"}))
    assert response.status_code == 301 and unquote(response["Location"]) == unquote(article.get_absolute_url())


# Search ---------------------------------------------------------------------------------------


def test_two_character_chinese_queries_find_substrings_with_title_matches_first(client):
    issue = published_issue()
    make_article(
        issue=issue, title="电商发展报告", body="<p>今年跨境物流成本下降。</p>", status="published", position=1
    )
    make_article(issue=issue, title="跨境电商政策", body="<p>政策解读。</p>", status="published", position=2)
    make_article(issue=issue, title="无关文章", body="<p>与此无关。</p>", status="published", position=3)
    html = page(client, "/search/", q="跨境")
    assert "找到 2 篇文章" in html
    assert html.index("政策") < html.index("电商发展报告")  # the title match first
    assert "<mark>跨境</mark>电商政策" in html and "今年<mark>跨境</mark>物流" in html
    assert "无关文章" not in html


def test_search_matches_authors_and_combines_words(client):
    issue = published_issue()
    make_article(
        issue=issue, title="甲", body="<p>物流与仓储</p>", status="published", authors=[make_contributor(name="周雅琴")]
    )
    make_article(issue=issue, title="乙", body="<p>物流</p>", status="published", position=2)
    assert "找到 1 篇文章" in page(client, "/search/", q="周雅琴")
    assert "找到 1 篇文章" in page(client, "/search/", q="物流 仓储")


def test_search_filters_by_year_issue_section_and_author(client):
    reports, news = make_section(name="特别报道"), make_section(name="行业动态")
    for year, number, section, name in [
        (2016, 1, reports, "王毅"),
        (2017, 1, news, "李娜"),
        (2017, 2, reports, "李娜"),
    ]:
        issue = published_issue(year=year, number=number)
        make_article(issue=issue, section=section, title=f"{year}-{number}物流", status="published",
                     authors=[make_contributor(name=name)])  # fmt: skip
    titles = re.findall(r'class="result-title"><a [^>]+>(.*?)</a>', page(client, "/search/", q="物流", year=2017))
    assert titles == ["2017-2<mark>物流</mark>", "2017-1<mark>物流</mark>"]
    assert "找到 1 篇文章" in page(client, "/search/", q="物流", year=2017, number=2)
    assert "找到 2 篇文章" in page(client, "/search/", section=reports.pk)
    assert "找到 2 篇文章" in page(client, "/search/", author="李娜")


def test_search_ignores_drafts_and_reports_bad_filters(client):
    make_article(issue=make_issue(), title="跨境草稿")
    html = page(client, "/search/", q="跨境")
    assert "找到 0 篇文章" in html
    html = page(client, "/search/", q="跨境", number="abc")
    assert "输入一个数字。" in html


def test_search_results_are_paginated_keeping_the_query(client):
    issue = published_issue()
    for position in range(1, 26):
        make_article(issue=issue, title=f"物流{position}", status="published", position=position)
    html = page(client, "/search/", q="物流")
    assert "找到 25 篇文章" in html and "q=%E7%89%A9%E6%B5%81&amp;page=2" in html


# Feeds, sitemap, robots ------------------------------------------------------------------------

ATOM = "{http://www.w3.org/2005/Atom}"


def test_issue_and_article_feeds_are_atom(client):
    issue = published_issue(articles=2, title="专题")
    make_issue(year=2017, number=2)  # a draft is not in the feed
    issues = ElementTree.fromstring(client.get("/feeds/issues/").content)
    entries = issues.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == [f"{issue.issue_line}：专题"]
    articles = ElementTree.fromstring(client.get("/feeds/articles/").content)
    assert {e.find(f"{ATOM}title").text for e in articles.findall(f"{ATOM}entry")} == {"第1篇", "第2篇"}


def test_sitemap_lists_published_pages_only_and_robots_points_to_it(client):
    issue = published_issue(articles=1)
    draft = make_article(issue=make_issue(year=2017, number=2), title="草稿")
    xml = client.get("/sitemap.xml").content.decode()
    assert issue.get_absolute_url() in xml
    assert Article.objects.get(title="第1篇").get_absolute_url() in xml
    assert draft.get_absolute_url() not in xml
    robots = client.get("/robots.txt").content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in robots and "Disallow: /admin/" in robots
    assert "Disallow: /accounts/" in robots


# Queries and caching ---------------------------------------------------------------------------


def queries_for(client, url, *, cached=False, **params):
    if not cached:
        cache.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


def test_every_page_uses_the_same_number_of_queries_for_5_or_60_articles(client, django_assert_max_num_queries):
    small, big = published_issue(year=2016, articles=5), published_issue(year=2017, articles=60)
    for issue in (small, big):
        issue.articles.update(title="物流报告")  # every article matches the search
    small_article, big_article = small.articles.first(), big.articles.first()
    small_author, big_author = make_contributor(name="少产作者"), make_contributor(name="多产作者")
    for author, issue in ((small_author, small), (big_author, big)):
        Authorship.objects.bulk_create(
            Authorship(article=a, contributor=author, position=2) for a in issue.articles.all()
        )
    pairs = [
        (small.get_absolute_url(), big.get_absolute_url(), {}),
        (small_article.get_absolute_url(), big_article.get_absolute_url(), {}),
        ("/search/", "/search/", {"q": "物流", "year": None}),
        ("/", "/", {}),
        (small_author.get_absolute_url(), big_author.get_absolute_url(), {}),
        (small_article.section.get_absolute_url(), big_article.section.get_absolute_url(), {}),
    ]
    for small_url, big_url, params in pairs:
        Issue.objects.filter(pk=big.pk).update(status="draft")  # the small issue is "latest" on the home page
        count_small = queries_for(client, small_url, **{k: v for k, v in params.items() if v})
        Issue.objects.filter(pk=big.pk).update(status="published")
        count_big = queries_for(client, big_url, **{k: v for k, v in params.items() if v})
        assert count_small == count_big, (small_url, count_small, count_big)
        assert count_big <= 12, (big_url, count_big)  # the article page (test_readership names them)


def test_cached_pages_cost_one_query_and_follow_edits(client):
    issue = published_issue(articles=3)
    article = issue.articles.first()
    assert "第1篇" in page(client, article.get_absolute_url())
    assert queries_for(client, article.get_absolute_url(), cached=True) == 1  # the content version
    Article.objects.get(pk=article.pk).save()  # any save: the version moves on
    article.title = "改过的标题"
    article.save()
    assert "改过的标题" in page(client, article.get_absolute_url())
    assert "改过的标题" in page(client, issue.get_absolute_url())


def test_signed_in_readers_are_not_served_from_the_cache(client, django_user_model):
    issue = published_issue(articles=1)
    page(client, issue.get_absolute_url())
    Issue.objects.filter(pk=issue.pk).update(title="没有信号的改动")  # no save(): the cache is not told
    assert "没有信号的改动" not in page(client, issue.get_absolute_url())
    client.force_login(django_user_model.objects.create_user(username="reader", password="x"))
    assert "没有信号的改动" in page(client, issue.get_absolute_url())


def test_a_page_showing_someones_message_is_not_cached_for_the_others(client):
    issue = published_issue(articles=1)
    message = Message(constants.INFO, "您的邮箱已经确认过了，请登录。")
    client.cookies["messages"] = CookieStorage(HttpRequest())._encode([message])
    assert "您的邮箱已经确认过了" in page(client, issue.get_absolute_url())
    assert "您的邮箱已经确认过了" not in page(Client(), issue.get_absolute_url())


def test_pages_are_cached_per_host(client, settings):
    settings.ALLOWED_HOSTS = ["bulletin.example.cn", "localhost"]
    issue = published_issue(articles=1)
    first = client.get(issue.get_absolute_url(), HTTP_HOST="localhost").content.decode()
    second = client.get(issue.get_absolute_url(), HTTP_HOST="bulletin.example.cn").content.decode()
    assert "http://localhost/issues/" in first
    assert "http://bulletin.example.cn/issues/" in second and "localhost" not in second


def test_dates_render_in_chinese(client):
    issue = published_issue(publication_date=datetime.date(2017, 1, 31))
    assert "2017年1月31日" in page(client, issue.get_absolute_url())


def test_search_ignores_the_case_of_latin_words(client):
    issue = published_issue()
    make_article(issue=issue, title="跨境B2B平台", body="<p>SaaS 工具</p>", status="published")
    assert "找到 1 篇文章" in page(client, "/search/", q="b2b")
    assert "找到 1 篇文章" in page(client, "/search/", q="SAAS")
