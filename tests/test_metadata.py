"""What search engines, Google Scholar and link previews read off the public pages: citation tags,
JSON-LD, Open Graph and canonical links, and the sitemap.

Each article kind the office prints: one with contributors, one signed by an organisation in its
printed byline only, and a brief with no byline at all.
"""

import json
import re

import pytest
from django.urls import reverse

from articles.bylines import byline_names, looks_like_organisation
from articles.models import Article, Contributor
from issues.models import Issue, IssuePDF, Periodical, Section
from tests.factories import make_article, make_contributor, make_issue, make_section

pytestmark = pytest.mark.django_db


def published_issue(**fields):
    Periodical.load()
    return make_issue(year=2017, number=1, status=Issue.Status.PUBLISHED, **fields)


def published_article(issue, **fields):
    fields.setdefault("section", make_section(name="业界交流", kind=Section.Kind.RESEARCH))
    fields = {"first_page": 3, "last_page": 5, **fields}
    return make_article(issue=issue, status=Article.Status.PUBLISHED, **fields)


def with_pdf(issue):
    return IssuePDF.objects.create(
        issue=issue, variant="screen", status="done", file_name=f"issues/{issue.key}/screen.pdf", page_count=28,
        size_bytes=8,
    )  # fmt: skip


def html_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def citation_tags(html) -> list[tuple[str, str]]:
    return re.findall(r'<meta name="(citation_[a-z_]+)" content="([^"]*)"', html)


def json_ld(html) -> dict:
    (data,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(data)


def open_graph(html) -> dict:
    return dict(re.findall(r'<meta property="og:([a-z_:]+)" content="([^"]*)"', html))


def canonical(html) -> str:
    (href,) = re.findall(r'<link rel="canonical" href="([^"]*)"', html)
    return href


# Authors ---------------------------------------------------------------------------------------


def test_an_article_with_contributors_names_each_as_a_person_linked_to_their_page(client):
    issue = published_issue()
    first = make_contributor(name="周雅琴", affiliation="南滨市农村电商研究会")
    second = make_contributor(name="马骏")
    article = published_article(issue, title="县域O2O的“最后一公里”", authors=[first, second])

    html = html_of(client, article.get_absolute_url())

    assert [value for name, value in citation_tags(html) if name == "citation_author"] == ["周雅琴", "马骏"]
    assert ("citation_author_institution", "南滨市农村电商研究会") in citation_tags(html)
    authors = json_ld(html)["author"]
    assert [(a["@type"], a["name"]) for a in authors] == [("Person", "周雅琴"), ("Person", "马骏")]
    assert authors[0]["@id"] == f"http://testserver{first.get_absolute_url()}"
    assert authors[0]["affiliation"] == {"@type": "Organization", "name": "南滨市农村电商研究会"}
    # The contributor page is that same node, so search engines join the two.
    profile = json_ld(html_of(client, first.get_absolute_url()))
    assert profile["@type"] == "ProfilePage" and profile["mainEntity"]["@id"] == authors[0]["@id"]
    assert [part["@id"] for part in profile["hasPart"]] == [json_ld(html)["@id"]]


def test_a_contributor_that_is_an_organisation_is_typed_so(client):
    issue = published_issue()
    unit = make_contributor(name="南滨市电子商务服务中心研究部")
    person_named_like_a_unit = make_contributor(name="高处", kind=Contributor.Kind.PERSON)
    article = published_article(issue, authors=[unit, person_named_like_a_unit])

    authors = json_ld(html_of(client, article.get_absolute_url()))["author"]

    assert [(a["@type"], a["name"]) for a in authors] == [("Organization", unit.name), ("Person", "高处")]


def test_an_article_signed_only_in_its_printed_byline_is_authored_by_that_organisation(client):
    issue = published_issue()
    article = published_article(issue, title="2016年南滨电商大事记", byline="文 / 本刊编辑部")

    html = html_of(client, article.get_absolute_url())

    assert [value for name, value in citation_tags(html) if name == "citation_author"] == ["本刊编辑部"]
    assert json_ld(html)["author"] == [{"@type": "Organization", "name": "本刊编辑部"}]  # no page of its own
    assert "文 / 本刊编辑部" in html


def test_a_brief_without_a_byline_has_no_author_at_all(client):
    issue = published_issue()
    brief = published_article(
        issue, title="平台正式上线", section=make_section(name="南滨", parent=make_section(name="行业动态"))
    )

    html = html_of(client, brief.get_absolute_url())

    assert not [name for name, _value in citation_tags(html) if name.startswith("citation_author")]
    data = json_ld(html)
    assert "author" not in data and data["@type"] == "NewsArticle"
    assert data["publisher"] == {"@type": "Organization", "name": Periodical.load().host_unit or Periodical.load().name}


@pytest.mark.parametrize(
    "byline, names",
    [
        ("文 / 本刊编辑部", ["本刊编辑部"]),
        ("文／张三　李四", ["张三", "李四"]),
        ("本刊记者 王五", ["王五"]),
        ("撰文：赵六、钱七 整理", ["赵六", "钱七"]),
        ("", []),
    ],
)
def test_a_printed_byline_gives_its_names_without_prefix_and_roles(byline, names):
    assert byline_names(byline) == names


@pytest.mark.parametrize(
    "name, is_organisation",
    [("本刊编辑部", True), ("南滨市电子商务服务中心研究部", True), ("南滨市商务局", True), ("课题组", True),
     ("林知远", False), ("欧阳明", False), ("刘局", False), ("马骏", False)],
)  # fmt: skip
def test_organisations_are_told_from_persons_by_how_chinese_units_are_named(name, is_organisation):
    assert looks_like_organisation(name) is is_organisation


# The article, its issue and its PDF ------------------------------------------------------------


def test_research_sections_give_scholarly_articles_and_news_sections_news_articles(client):
    issue = published_issue()
    report = published_article(issue, title="发展报告", section=make_section(name="特别报道", kind="research"))
    news = published_article(issue, title="动态", section=make_section(name="行业动态", kind="news"))

    assert json_ld(html_of(client, report.get_absolute_url()))["@type"] == "ScholarlyArticle"
    assert json_ld(html_of(client, news.get_absolute_url()))["@type"] == "NewsArticle"


def test_the_article_is_part_of_its_issue_by_the_issue_pages_own_id_and_the_volume_is_not_the_year(client):
    issue = published_issue()
    article = published_article(issue)

    html = html_of(client, article.get_absolute_url())

    part_of = json_ld(html)["isPartOf"]
    issue_page = json_ld(html_of(client, issue.get_absolute_url()))
    assert part_of["@id"] == part_of["url"] == f"http://testserver{issue.get_absolute_url()}" == issue_page["@id"]
    assert part_of["isPartOf"]["@id"] == issue_page["isPartOf"]["@id"] == "http://testserver/#periodical"
    assert "citation_volume" not in dict(citation_tags(html))  # an internal bulletin has no volumes
    assert dict(citation_tags(html))["citation_issue"] == "1"


@pytest.mark.parametrize("open_pdfs", [False, True])
def test_citation_pdf_url_is_given_only_where_anyone_can_fetch_that_pdf(client, open_pdfs):
    periodical = Periodical.load()
    periodical.article_pdfs_open = open_pdfs
    periodical.save()
    issue = published_issue()
    with_pdf(issue)
    article = published_article(issue, title="融资盘点")
    without_pages = published_article(issue, title="无页码", first_page=None, last_page=None)

    tags = dict(citation_tags(html_of(client, article.get_absolute_url())))
    pdf_url = f"http://testserver{reverse('article_pdf', args=[article.pk, article.slug])}"

    if open_pdfs:
        assert tags["citation_pdf_url"] == pdf_url
        assert client.get(pdf_url).status_code != 302  # not sent to the login page
    else:
        assert "citation_pdf_url" not in tags
        assert client.get(pdf_url)["Location"].startswith(reverse("login"))
    assert reverse("issue_pdf", args=[2017, 1]) not in tags.get("citation_pdf_url", "")
    assert "citation_pdf_url" not in dict(citation_tags(html_of(client, without_pages.get_absolute_url())))


# Every public page -----------------------------------------------------------------------------


def test_lists_and_profiles_have_open_graph_a_canonical_link_and_json_ld(client):
    issue = published_issue(title="跨境电商专题")
    section = make_section(name="业界交流", kind="research")
    contributor = make_contributor(name="陈思远")
    published_article(issue, section=section, authors=[contributor])
    pages = {
        "/": "WebSite",
        reverse("issues:archive"): "CollectionPage",
        issue.get_absolute_url(): "PublicationIssue",
        section.get_absolute_url(): "CollectionPage",
        contributor.get_absolute_url(): "ProfilePage",
    }
    for url, schema_type in pages.items():
        html = html_of(client, url)
        og = open_graph(html)
        assert og["title"] and og["image"].startswith("http://testserver/"), url
        assert og["url"] == canonical(html) == f"http://testserver{url}", url
        data = json_ld(html)
        types = [node["@type"] for node in data.get("@graph", [data])]
        assert schema_type in types, (url, types)


def test_a_paginated_list_names_its_own_page_as_canonical_and_a_wrong_slug_the_right_one(client):
    issue = published_issue()
    section = make_section(name="业界交流")
    article = None
    for position in range(1, 32):
        article = published_article(issue, section=section, title=f"第{position}篇", position=position)
    url = section.get_absolute_url()

    assert canonical(html_of(client, f"{url}?page=2")) == f"http://testserver{url}?page=2"
    assert canonical(html_of(client, f"{url}?page=1&utm_source=wechat")) == f"http://testserver{url}"
    response = client.get(reverse("articles:detail", args=[article.pk, "old-title"]))
    assert response.status_code == 301
    assert canonical(html_of(client, response["Location"])) == f"http://testserver{article.get_absolute_url()}"


def test_the_sitemap_lists_every_public_page_with_parent_sections(client):
    issue = published_issue()
    parent = make_section(name="数据观察")
    child = make_section(name="区域数据", parent=parent)
    contributor = make_contributor(name="陈思远")
    article = published_article(issue, section=child, authors=[contributor])
    empty_section = make_section(name="从未用过")
    draft = make_article(issue=make_issue(year=2017, number=2), section=empty_section, title="草稿")

    xml = client.get("/sitemap.xml").content.decode()
    locations = set(re.findall(r"<loc>http://testserver([^<]*)</loc>", xml))

    for url in (
        "/", reverse("issues:archive"), issue.get_absolute_url(), article.get_absolute_url(),
        child.get_absolute_url(), parent.get_absolute_url(), contributor.get_absolute_url(),
    ):  # fmt: skip
        assert url in locations, url
    assert draft.get_absolute_url() not in locations and empty_section.get_absolute_url() not in locations
    assert "<lastmod>" in xml
