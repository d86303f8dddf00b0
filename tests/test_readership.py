"""Page views counted without cookies, "most read" per issue and site-wide, related articles."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article, ArticleReads, ArticleView
from articles.readership import article_view_record, most_read, most_read_site, reader_hashes
from articles.search import articles_matching
from articles.services import article_withdraw
from issues.models import ContentVersion, Issue, Periodical, Section
from tests.factories import make_article, make_issue, make_section

pytestmark = pytest.mark.django_db

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
READER = {"REMOTE_ADDR": "198.51.100.7", "HTTP_USER_AGENT": CHROME, "HTTP_SEC_FETCH_SITE": "same-origin"}


def published_article(*, title="跨境电商发展报告", section=None, issue=None, **fields):
    Periodical.load()
    issue = issue or make_issue(year=2017, number=1, status=Issue.Status.PUBLISHED)
    return make_article(
        issue=issue, section=section, title=title, status=Article.Status.PUBLISHED, body="<p>正文</p>", **fields
    )


def beacon(client, article_pk, **headers):
    return client.post(f"/reads/articles/{article_pk}/", **(READER | headers))


def views_of(article) -> int:
    return sum(ArticleReads.objects.filter(article=article).values_list("views", flat=True))


# Counting ------------------------------------------------------------------------------------


def test_a_reader_counts_once_per_article_and_day(client):
    article = published_article()
    other = published_article(title="另一篇", issue=article.issue)
    version = ContentVersion.current()

    assert beacon(client, article.pk).status_code == 204
    assert beacon(client, article.pk).status_code == 204  # the same reader again: not counted
    assert views_of(article) == 1
    assert beacon(client, article.pk, HTTP_USER_AGENT=FIREFOX).status_code == 204  # another browser there
    assert views_of(article) == 2
    assert beacon(client, other.pk).status_code == 204  # the same reader, another page
    assert (views_of(article), views_of(other)) == (2, 1)

    # The day is over: yesterday's rows become history, the reader counts anew and the old hashes go.
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    ArticleView.objects.update(day=yesterday)
    ArticleReads.objects.update(day=yesterday)
    assert beacon(client, article.pk).status_code == 204
    assert views_of(article) == 3
    assert ArticleReads.objects.get(article=article, day=timezone.localdate()).views == 1
    assert not ArticleView.objects.filter(day__lt=timezone.localdate()).exists()
    assert ContentVersion.current() == version  # counting never invalidates the cached pages


def test_the_reader_is_a_daily_salted_hash_never_the_address(client):
    article = published_article()
    beacon(client, article.pk)
    row = ArticleView.objects.get()
    assert "198.51.100.7" not in str(list(ArticleView.objects.values()))
    today, tomorrow = timezone.localdate(), timezone.localdate() + datetime.timedelta(days=1)
    assert (row.reader, row.address) == reader_hashes(address="198.51.100.7", user_agent=CHROME, day=today)
    assert reader_hashes(address="198.51.100.7", user_agent=CHROME, day=tomorrow)[0] != row.reader


def test_the_beacon_sets_no_cookie_and_reads_no_session(client, django_assert_num_queries):
    article = published_article()
    # The article's visibility, the address's limit, then the insert, the day's count and the old
    # hashes' deletion in one transaction (SAVEPOINT and RELEASE inside the test's own transaction).
    with django_assert_num_queries(7):
        response = beacon(client, article.pk)
    assert response.status_code == 204
    assert not response.cookies
    assert "no-cache" in response["Cache-Control"]
    with django_assert_num_queries(5):  # a duplicate stops after the insert that did nothing
        beacon(client, article.pk)


def refused_cases():
    return {
        "GET": (lambda c, a: c.get(f"/reads/articles/{a.pk}/", **READER), 405),
        "unknown article": (lambda c, a: beacon(c, a.pk + 1000), 404),
        "unpublished article": (lambda c, a: beacon(c, a.unpublished.pk), 404),
        "draft issue": (lambda c, a: beacon(c, a.in_draft_issue.pk), 404),
        "another site's page": (lambda c, a: beacon(c, a.pk, HTTP_SEC_FETCH_SITE="cross-site"), 403),
        "a crawler": (lambda c, a: beacon(c, a.pk, HTTP_USER_AGENT="Mozilla/5.0 (compatible; Baiduspider/2.0)"), 204),
        "a headless browser": (lambda c, a: beacon(c, a.pk, HTTP_USER_AGENT="Mozilla/5.0 HeadlessChrome/120.0"), 204),
        "no User-Agent": (lambda c, a: beacon(c, a.pk, HTTP_USER_AGENT=""), 204),
        "Do Not Track": (lambda c, a: beacon(c, a.pk, HTTP_DNT="1"), 204),
        "Global Privacy Control": (lambda c, a: beacon(c, a.pk, HTTP_SEC_GPC="1"), 204),
    }


@pytest.mark.parametrize("case", refused_cases())
def test_a_beacon_that_should_not_count_counts_nothing(client, case):
    article = published_article()
    article.unpublished = make_article(issue=article.issue, title="草稿", status=Article.Status.READY)
    draft_issue = make_issue(year=2018, number=1)
    article.in_draft_issue = make_article(issue=draft_issue, title="待发", status=Article.Status.PUBLISHED)
    version = ContentVersion.current()
    send, status = refused_cases()[case]

    response = send(client, article)

    assert response.status_code == status
    assert not response.cookies
    assert not ArticleView.objects.exists() and not ArticleReads.objects.exists()
    assert ContentVersion.current() == version


def test_one_address_is_limited_however_many_browsers_it_claims(client):
    article = published_article()
    for number in range(300):
        article_view_record(article_id=article.pk, address="203.0.113.9", user_agent=f"Browser/{number}")
    assert beacon(client, article.pk, REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT=FIREFOX).status_code == 429
    assert views_of(article) == 300
    assert beacon(client, article.pk).status_code == 204  # another address is not held up
    assert views_of(article) == 301


def test_a_cached_article_page_is_served_while_views_are_counted(client, django_assert_num_queries):
    article = published_article()
    url = article.get_absolute_url()
    first = client.get(url)
    assert first.status_code == 200 and not first.cookies
    assert f'data-read-url="/reads/articles/{article.pk}/"' in first.content.decode()
    assert "/static/articles/readership.js" in first.content.decode()
    for reader in range(3):
        beacon(client, article.pk, REMOTE_ADDR=f"198.51.100.{reader + 10}")
        with django_assert_num_queries(1):  # the content version: the count moved it not
            cached = client.get(url)
        assert cached.content == first.content and not cached.cookies
    assert views_of(article) == 3


def test_editors_reading_an_article_are_not_counted(staff_client):
    article = published_article()
    html = staff_client.get(article.get_absolute_url()).content.decode()
    assert "data-read-url" not in html and "readership.js" not in html


# Most read and related on a generated archive ----------------------------------------------


def generated_archive(*, issues=8, per_issue=10):
    """`issues` published issues of `per_issue` articles in three sections (one with sub-sections),
    with reads spread over them: article k of an issue read by k+1 readers, the latest issue's more."""
    Periodical.load()
    reports = make_section(name="特别报道", position=1)
    news = make_section(name="行业动态", position=2)
    sub_sections = [make_section(name="本地", parent=news, position=1), make_section(name="国内", parent=news)]
    data = make_section(name="数据观察", position=3)
    topics = ["跨境电商", "农村物流", "移动支付", "直播带货", "冷链仓储"]
    made = []
    for number in range(1, issues + 1):
        issue = make_issue(year=2010 + number, number=1, status=Issue.Status.PUBLISHED)
        for position in range(per_issue):
            section = [reports, sub_sections[0], sub_sections[1], data][position % 4]
            article = make_article(
                issue=issue,
                section=section,
                title=f"{2010 + number}年{topics[position % len(topics)]}调查第{position}号",
                position=position,
                status=Article.Status.PUBLISHED,
                body=f"<p>{topics[position % len(topics)]}的正文。</p>",
            )
            made.append(article)
            readers = position + 1 + (5 if number == issues else 0)
            ArticleReads.objects.create(article=article, day=timezone.localdate(), views=readers)
    return made


def article_page_queries(client, article, django_assert_num_queries, count):
    with django_assert_num_queries(count):
        assert client.get(article.get_absolute_url()).status_code == 200


def test_the_article_page_costs_the_same_queries_for_a_small_or_large_archive(client, django_assert_num_queries):
    small = generated_archive(issues=3, per_issue=8)
    # Content version, article, its authors, siblings, periodical, PDF, related (the index's ranking,
    # then the five articles: none left to fill up with the latest), most read of the issue, the content
    # version and most read of the site (kept under it), and (no cover, no figure) the share image: the latest cover.
    article_page_queries(client, small[-3], django_assert_num_queries, 12)
    ArticleReads.objects.all().delete()
    Article.objects.all().delete()
    Issue.objects.all().delete()
    big = generated_archive()
    assert len(big) == 80
    article_page_queries(client, big[-3], django_assert_num_queries, 12)
    article_page_queries(client, big[-3], django_assert_num_queries, 1)  # the cached page


def test_most_read_lists_the_issue_and_the_site_most_read_first(client):
    articles = generated_archive()
    latest_issue = articles[-1].issue
    in_latest = [a for a in articles if a.issue_id == latest_issue.pk]
    old = articles[0]
    ArticleReads.objects.filter(article=old).update(views=100)  # the most read of all, in the first issue

    per_issue = most_read(issue_id=latest_issue.pk)
    assert [item.pk for item in per_issue] == [a.pk for a in reversed(in_latest)][:5]
    assert {item.pk for item in per_issue} <= {a.pk for a in in_latest}
    site = most_read(days=30)
    assert [item.pk for item in site][:2] == [old.pk, in_latest[-1].pk]

    html = client.get(in_latest[0].get_absolute_url()).content.decode()
    issue_list = html.split('id="most-read-issue"')[1].split("</section>")[0]
    assert [issue_list.index(a.title) for a in reversed(in_latest[-5:])] == sorted(
        issue_list.index(a.title) for a in in_latest[-5:]
    )
    site_list = html.split('id="most-read-site"')[1].split("</section>")[0]
    assert site_list.index(old.title) < site_list.index(in_latest[-1].title)


def test_the_site_list_is_summed_once_for_every_page_and_leaves_a_withdrawn_article_at_once(
    client, django_assert_num_queries
):
    articles = generated_archive(issues=2, per_issue=6)
    first, second = articles[-1], articles[-2]
    assert client.get(first.get_absolute_url()).status_code == 200
    # Another article's page: its own lists, the site's from the cache (no sum over all the articles).
    with CaptureQueriesContext(connection) as captured:
        assert client.get(second.get_absolute_url()).status_code == 200
    sums = [query["sql"] for query in captured if "SUM(" in query["sql"].upper()]
    assert len(sums) == 1 and "articles_article" in sums[0] and f'"issue_id" = {second.issue_id}' in sums[0]
    assert [item.pk for item in most_read_site()] == [item.pk for item in most_read(days=30)]

    article_withdraw(article=first)

    assert first.pk not in [item.pk for item in most_read_site()]
    site_list = client.get(second.get_absolute_url()).content.decode().split('id="most-read-site"')[1]
    assert first.title not in site_list.split("</section>")[0]


def test_reads_older_than_the_window_leave_the_site_list_but_count_for_the_issue():
    article = published_article()
    ArticleReads.objects.create(article=article, day=timezone.localdate() - datetime.timedelta(days=30), views=9)
    assert most_read(days=30) == []
    assert [item.reads for item in most_read(issue_id=article.issue_id)] == [9]


def test_most_read_leaves_out_articles_readers_may_not_see():
    article = published_article()
    ArticleReads.objects.create(article=article, day=timezone.localdate(), views=9)
    Article.objects.filter(pk=article.pk).update(status=Article.Status.READY)  # withdrawn
    assert most_read(days=30) == []
    assert most_read(issue_id=article.issue_id) == []


def test_related_articles_share_words_and_section_best_first(client):
    reports, news = make_section(name="特别报道"), make_section(name="行业动态")
    local = make_section(name="本地", parent=news)
    article = published_article(title="跨境电商物流发展报告", section=local)
    issue = article.issue
    best = published_article(title="跨境电商物流调查", section=news, issue=issue)  # the parent section
    some = published_article(title="县域物流观察", section=local, issue=issue)
    published_article(title="跨境电商物流年鉴", section=reports, issue=issue)  # another section
    draft = make_article(issue=issue, section=local, title="跨境电商物流草稿", status=Article.Status.READY)
    unrelated = published_article(title="人才培养", section=local, issue=issue)

    related = Article.objects.published().related_to(article)

    assert [other.pk for other in related][:2] == [best.pk, some.pk]
    assert related[2].pk == unrelated.pk  # the latest of the section fill the list up
    assert article.pk not in [other.pk for other in related]
    assert draft.pk not in [other.pk for other in related]
    html = client.get(article.get_absolute_url()).content.decode()
    related_html = html.split('id="related-heading"')[1].split("</section>")[0]
    assert "跨境电商物流调查" in related_html and "年鉴" not in related_html and "草稿" not in related_html


def test_without_shared_words_the_latest_of_the_section_are_related():
    section = make_section(name="行业动态")
    article = published_article(title="甲乙", section=section)
    older = published_article(title="丙丁", section=section, issue=article.issue, position=1)
    newer_issue = make_issue(year=2018, number=1, status=Issue.Status.PUBLISHED)
    newer = published_article(title="戊己", section=section, issue=newer_issue)
    assert [other.pk for other in Article.objects.published().related_to(article)] == [newer.pk, older.pk]


def test_related_articles_share_words_of_their_titles_not_of_their_bodies():
    section = make_section(name="行业动态")
    article = published_article(title="冷链物流观察", section=section)
    in_title = published_article(title="县域冷链建设", section=section, issue=article.issue, position=1)
    in_body = published_article(title="人才培养", section=section, issue=article.issue, position=2)
    Article.objects.filter(pk=in_body.pk).update(body="<p>冷链物流观察：本文谈的正是冷链。</p>")
    in_body.refresh_from_db()
    in_body.save()  # its body, in the full-text index, now holds the whole title

    related = Article.objects.published().related_to(article, limit=1)

    assert [other.pk for other in related] == [in_title.pk]


@pytest.mark.django_db(transaction=True)
def test_the_title_index_comes_with_titles_of_existing_articles_and_keeps_the_full_text_index():
    """The migration adding titles to the search text fills them and leaves the full-text index in step."""
    executor = MigrationExecutor(connection)
    before = [("articles", "0010_article_views_and_daily_reads")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    section = old.get_model("issues", "Section").objects.create(name="行业动态", slug="news")
    existing = old.get_model("articles", "Article").objects.create(
        section=section, title="冷链物流观察", subtitle="来自县域", slug="cold"
    )
    old.get_model("articles", "SearchText").objects.create(article=existing, text="冷 链 物 流 观 察")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert Article.objects.get(pk=existing.pk).search_text.title == "冷 链 物 流 观 察 来 自 县 域"
    later = make_article(section=Section.objects.get(pk=section.pk), title="县域冷链建设")
    assert set(Article.objects.filter(pk__in=articles_matching("冷链")).values_list("pk", flat=True)) == {
        existing.pk,
        later.pk,
    }
    assert [other.pk for other in Article.objects.related_to(later)] == [existing.pk]


def test_editors_see_the_read_counts_in_the_article_list(staff_client):
    article = published_article()
    ArticleReads.objects.create(article=article, day=timezone.localdate(), views=7)
    ArticleReads.objects.create(article=article, day=timezone.localdate() - datetime.timedelta(days=90), views=5)
    html = staff_client.get("/admin/articles/article/").content.decode()
    assert "阅读数" in html
    assert '<td class="field-read_count">12</td>' in html
    assert "12" in staff_client.get(f"/admin/articles/article/{article.pk}/change/").content.decode()


def test_the_home_page_lists_the_most_read_of_the_latest_issue_and_the_site(client):
    articles = generated_archive(issues=3, per_issue=6)
    html = client.get("/").content.decode()
    issue_list = html.split('id="most-read-issue"')[1].split("</section>")[0]
    assert articles[-1].title in issue_list and articles[0].title not in issue_list
    assert 'id="most-read-site"' in html
