import re
from html import unescape

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.models import Article
from issues.models import Issue, Periodical, Section
from tests.factories import make_article, make_contributor, make_issue, make_section, proofread
from tests.forms import form_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:index",
        "admin:issues_issue_changelist",
        "admin:issues_issue_add",
        "admin:issues_section_changelist",
        "admin:issues_section_add",
        "admin:articles_article_changelist",
        "admin:articles_article_add",
        "admin:articles_contributor_changelist",
        "admin:articles_contributor_add",
    ],
)
def test_admin_pages_load_for_staff(staff_client, url_name):
    issue = make_issue(masthead=[("主编", "林知远")])
    make_article(issue=issue, authors=[make_contributor()])
    response = staff_client.get(reverse(url_name))
    assert response.status_code == 200


def test_change_pages_load_for_staff(staff_client):
    issue = make_issue(masthead=[("主编", "林知远")])
    contributor = make_contributor()
    article = make_article(issue=issue, authors=[contributor], body="<table><tr><td>表</td></tr></table>")
    for url in [
        reverse("admin:issues_issue_change", args=[issue.pk]),
        reverse("admin:articles_article_change", args=[article.pk]),
        reverse("admin:articles_contributor_change", args=[contributor.pk]),
        reverse("admin:issues_section_change", args=[article.section.pk]),
    ]:
        assert staff_client.get(url).status_code == 200, url


def test_admin_is_closed_to_readers(client, django_user_model):
    response = client.get(reverse("admin:issues_issue_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    client.force_login(django_user_model.objects.create_user(username="reader", password="x"))
    assert client.get(reverse("admin:issues_issue_changelist")).status_code == 302


def test_periodical_settings_open_straight_on_the_form(staff_client):
    response = staff_client.get(reverse("admin:issues_periodical_changelist"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:issues_periodical_change", args=[1])
    response = staff_client.get(response["Location"])
    assert "征稿启事" in response.content.decode()
    data = form_data(response) | {"name": "南滨电子商务", "manuscript_char_limit": "5000"}
    response = staff_client.post(reverse("admin:issues_periodical_change", args=[1]), data)
    assert response.status_code == 302
    assert Periodical.load().manuscript_char_limit == 5000


def test_every_periodical_setting_is_on_its_form_under_a_chinese_heading(staff_client):
    page = staff_client.get(reverse("admin:issues_periodical_change", args=[Periodical.load().pk]))
    settings = {field.name for field in Periodical._meta.concrete_fields if not field.primary_key}
    html = page.content.decode()
    assert {name for name in settings if f'name="{name}"' not in html} == set()  # unticked boxes post nothing
    for heading in ["主办信息", "征稿", "印制", "内部资料", "固定末页"]:
        assert re.search(rf">\s*{heading}\s*<", html), heading
    assert html.index("开本") < html.index("页码起点") < html.index("每帖页数") < html.index("准印证号")


def test_an_editor_who_may_change_the_periodical_adds_standing_pages_in_print_order(client, django_user_model):
    editor = django_user_model.objects.create_user(username="王编辑", is_staff=True)
    editor.user_permissions.set(Permission.objects.filter(codename="change_periodical"))
    client.force_login(editor)
    url = reverse("admin:issues_periodical_change", args=[Periodical.load().pk])
    data = form_data(client.get(url))
    assert data["standing_pages-TOTAL_FORMS"] == "0"  # the inline's management form, as the page sends it
    data |= {
        "name": "南滨电子商务",
        "permit_number": "南新出内准字第2016-027号",
        "pages_per_signature": "8",
        "standing_pages-TOTAL_FORMS": "2",
        "standing_pages-0-title": "订阅办法",
        "standing_pages-0-text": "本刊免费赠阅。\n\n索取请致电编辑部。",
        "standing_pages-0-position": "2",
        "standing_pages-1-title": "本刊声明",
        "standing_pages-1-text": "未经本刊书面许可，不得转载、摘编。",
        "standing_pages-1-position": "1",
    }

    response = client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    periodical = Periodical.load()
    assert (periodical.permit_number, periodical.pages_per_signature) == ("南新出内准字第2016-027号", 8)
    assert [(page.position, page.title, page.text) for page in periodical.standing_pages.all()] == [
        (1, "本刊声明", "未经本刊书面许可，不得转载、摘编。"),
        (2, "订阅办法", "本刊免费赠阅。\n\n索取请致电编辑部。"),
    ]
    html = client.get(url).content.decode()
    assert html.index('value="本刊声明"') < html.index('value="订阅办法"')  # the form lists them in print order


def test_duplicate_issue_number_is_refused_in_chinese(staff_client):
    make_issue(year=2017, number=1, total_number=26)
    data = form_data(staff_client.get(reverse("admin:issues_issue_add")))
    data |= {"year": "2017", "number": "1", "total_number": "27", "publication_date": "2017-03-01"}
    response = staff_client.post(reverse("admin:issues_issue_add"), data)
    assert response.status_code == 200
    assert "这一年的这一期已经存在" in response.content.decode()
    assert Issue.objects.count() == 1


def test_issue_page_shows_and_saves_the_order_of_articles(staff_client):
    issue = make_issue()
    reports, news = make_section(name="特别报道", position=1), make_section(name="行业动态", position=2)
    first = make_article(issue=issue, section=reports, title="甲报告", position=1)
    second = make_article(issue=issue, section=news, title="乙快讯", position=2, in_toc=False)
    url = reverse("admin:issues_issue_change", args=[issue.pk])
    response = staff_client.get(url)
    page = response.content.decode()
    assert page.index("甲报告") < page.index("乙快讯")
    assert "查看站点" in page  # "view on site"

    data = form_data(response)
    ids = {data[f"articles-{i}-id"]: i for i in range(2)}
    data[f"articles-{ids[str(first.pk)]}-position"] = "3"
    response = staff_client.post(url, data)
    assert response.status_code == 302
    assert list(issue.articles.in_print_order()) == [second, first]


def test_publish_action_runs_the_workflow(staff_client):
    ready = make_issue(year=2017, number=1, status=Issue.Status.READY)
    make_article(issue=ready, status=Article.Status.READY)
    proofread(ready, by=staff_client.user)
    draft = make_issue(year=2017, number=2)
    response = staff_client.post(
        reverse("admin:issues_issue_changelist"),
        {"action": "publish", "_selected_action": [ready.pk, draft.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "已处理 1 项" in page
    assert "不能从“草稿”变为“已发布”：请先把本期的文章全部定稿" in page
    ready.refresh_from_db(), draft.refresh_from_db()
    assert ready.status == Issue.Status.PUBLISHED
    assert ready.status_changes.get().changed_by == staff_client.user
    assert draft.status == Issue.Status.DRAFT


def test_article_actions_mark_ready(staff_client):
    article = make_article()
    staff_client.post(
        reverse("admin:articles_article_changelist"), {"action": "mark_ready", "_selected_action": [article.pk]}
    )
    article.refresh_from_db()
    assert article.status == Article.Status.READY


def test_status_cannot_be_edited_directly(staff_client):
    article = make_article()
    url = reverse("admin:articles_article_change", args=[article.pk])
    data = form_data(staff_client.get(url)) | {"status": "published"}
    assert staff_client.post(url, data).status_code == 302
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT


def test_article_saved_in_admin_is_sanitised_and_keeps_its_authors_in_order(staff_client):
    section = make_section()
    first, second = make_contributor(name="周雅琴"), make_contributor(name="马骏")
    data = form_data(staff_client.get(reverse("admin:articles_article_add")))
    data |= {
        "title": "县域调研",
        "section": str(section.pk),
        "position": "1",
        "body": '<p>正文<img src="x" onerror="alert(1)"></p><table><tr><td rowspan="2">表</td></tr></table>',
        "authorships-TOTAL_FORMS": "2",
        "authorships-0-position": "2",
        "authorships-0-contributor": str(first.pk),
        "authorships-1-position": "1",
        "authorships-1-contributor": str(second.pk),
    }
    response = staff_client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    article = Article.objects.get(title="县域调研")
    assert "onerror" not in article.body
    assert '<td rowspan="2">' in article.body
    assert article.printed_byline == "文 / 马骏　周雅琴"


def test_article_search_finds_title_author_and_body(staff_client):
    make_article(title="跨境电商报告", authors=[make_contributor(name="陈思远")], body="<p>海外仓的布局</p>")
    make_article(title="无关", position=2)
    url = reverse("admin:articles_article_changelist")
    for term in ["跨境", "陈思远", "海外仓"]:
        page = staff_client.get(url, {"q": term}).content.decode()
        assert "跨境电商报告" in page, term
        assert "无关" not in page.split('id="result_list"')[1], term


def test_article_list_filters_by_issue_section_and_status(staff_client):
    issue = make_issue()
    make_article(issue=issue, title="在本期")
    make_article(title="未排期", position=2)
    page = staff_client.get(
        reverse("admin:articles_article_changelist"), {"issue__id__exact": issue.pk}
    ).content.decode()
    assert "在本期" in page and "未排期" not in page


def test_contributor_autocomplete(staff_client):
    make_contributor(name="王毅", affiliation="南滨市商务局")
    make_contributor(name="陈思远")
    response = staff_client.get(
        "/admin/autocomplete/",
        {"app_label": "articles", "model_name": "authorship", "field_name": "contributor", "term": "王"},
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["王毅（南滨市商务局）"]


def test_issue_list_uses_a_fixed_number_of_queries(staff_client, django_assert_max_num_queries):
    for number in range(1, 31):
        issue = make_issue(year=2017, number=number, total_number=number)
        make_article(issue=issue)
    with django_assert_max_num_queries(12):
        assert staff_client.get(reverse("admin:issues_issue_changelist")).status_code == 200


def test_article_list_uses_a_fixed_number_of_queries(staff_client, django_assert_max_num_queries):
    issue = make_issue()
    for position in range(1, 41):
        make_article(issue=issue, position=position, authors=[make_contributor(name=f"作者{position}")])
    with django_assert_max_num_queries(14):
        assert staff_client.get(reverse("admin:articles_article_changelist")).status_code == 200


def sections_tree():
    """Sections entered out of order; their tree order is 卷首语, 数据观察 › 区域数据 / 行业数据, 行业动态 › 南滨."""
    news = make_section(name="行业动态", position=3)
    make_section(name="南滨", parent=news, position=1)
    data = make_section(name="数据观察", position=2)
    make_section(name="行业数据", parent=data, position=2)
    make_section(name="区域数据", parent=data, position=1)
    make_section(name="卷首语", position=1)
    return ["卷首语", "数据观察", "数据观察 › 区域数据", "数据观察 › 行业数据", "行业动态", "行业动态 › 南滨"]


def option_labels(html, select_id):
    select = re.search(rf'<select[^>]*id="{select_id}".*?</select>', html, re.DOTALL).group(0)
    return [
        unescape(label).strip() for label in re.findall(r"<option[^>]*>(.*?)</option>", select) if label != "---------"
    ]


def test_section_list_shows_parents_each_followed_by_their_children(staff_client):
    tree = sections_tree()
    html = staff_client.get(reverse("admin:issues_section_changelist")).content.decode()
    names = [unescape(name) for name in re.findall(r'<th class="field-name_in_tree"><a [^>]*>(.*?)</a>', html)]
    assert names == tree
    assert ">栏目<" in html and "Full name" not in html


def test_section_list_uses_a_fixed_number_of_queries(staff_client):
    sections_tree()
    with CaptureQueriesContext(connection) as few:
        assert staff_client.get(reverse("admin:issues_section_changelist")).status_code == 200
    for number in range(1, 21):
        parent = make_section(name=f"栏目{number}", position=10 + number)
        make_section(name="子栏目", parent=parent)
    with CaptureQueriesContext(connection) as many:
        assert staff_client.get(reverse("admin:issues_section_changelist")).status_code == 200
    assert len(many) == len(few)


def test_every_section_select_is_in_tree_order(staff_client):
    tree = sections_tree()
    issue = make_issue()
    article = make_article(issue=issue, section=Section.objects.get(name="南滨"))
    add = staff_client.get(reverse("admin:articles_article_add")).content.decode()
    assert option_labels(add, "id_section") == tree
    inline = staff_client.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()
    assert option_labels(inline, "id_articles-0-section") == tree
    for number in range(1, 6):
        make_article(issue=issue, section=Section.objects.get(name="区域数据"), position=number + 1)
    make_article(issue=issue, section=Section.objects.get(name="卷首语"), position=9)
    changelist = staff_client.get(reverse("admin:articles_article_changelist")).content.decode()
    filter_choices = re.findall(r'<a href="\?section__id__exact=\d+">(.*?)</a>', changelist)
    assert [unescape(choice) for choice in filter_choices] == ["卷首语", "数据观察 › 区域数据", "行业动态 › 南滨"]
    assert article.section.full_name == "行业动态 › 南滨"


def test_article_list_filter_by_section_does_not_query_per_section(staff_client):
    issue = make_issue()
    make_article(issue=issue, section=make_section(name="子栏目", parent=make_section(name="栏目0")))
    with CaptureQueriesContext(connection) as few:
        staff_client.get(reverse("admin:articles_article_changelist"))
    for number in range(1, 11):
        parent = make_section(name=f"栏目{number}", position=number)
        make_article(issue=issue, section=make_section(name="子栏目", parent=parent), position=number + 1)
    with CaptureQueriesContext(connection) as many:
        staff_client.get(reverse("admin:articles_article_changelist"))
    assert len(many) == len(few)
