"""The editors' desk: the admin index listing what waits, and the issue page where an issue is made."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.honoraria.models import Honorarium
from articles.models import Article
from articles.submissions.models import Submission
from issues.models import Issue, MastheadLine
from issues.subscriptions.models import Subscription
from tests.factories import (
    make_article,
    make_contributor,
    make_issue,
    make_submission,
    make_subscriber,
    make_subscription,
    proofread,
)
from tests.forms import form_data

pytestmark = pytest.mark.django_db


def editor_client(client, django_user_model, *, codenames=None, username="desk-editor"):
    """A staff member (not a superuser) holding the given permissions, or all of the project's apps'."""
    user = django_user_model.objects.create_user(username=username, password="pw", is_staff=True)
    permissions = Permission.objects.filter(
        content_type__app_label__in=["issues", "articles", "submissions", "honoraria", "subscriptions"]
    )
    if codenames is not None:
        permissions = permissions.filter(codename__in=codenames)
    user.user_permissions.set(permissions)
    client.force_login(user)
    client.user = user
    return client


# The desk (admin index)


def test_the_desk_lists_what_waits_and_links_to_where_it_is_done(client, django_user_model):
    client = editor_client(client, django_user_model)
    other = django_user_model.objects.create_user(username="other", is_staff=True)
    new = make_submission(title="新稿甲")
    mine = make_submission(title="我审的稿", status=Submission.Status.UNDER_REVIEW, assigned_editor=client.user)
    make_submission(title="别人审的稿", status=Submission.Status.UNDER_REVIEW, assigned_editor=other)
    author = make_contributor(name="周雅琴")
    unpaid = Honorarium.objects.create(
        article=make_article(title="待付稿", authors=[author]), contributor=author, amount=300
    )
    paid = make_article(title="已付稿", authors=[author])
    Honorarium.objects.create(article=paid, contributor=author, amount=300, paid_on=datetime.date(2017, 2, 1))
    issue = make_issue(year=2017, number=2, total_number=27, title="农村电商专题")
    make_article(issue=issue, title="草稿文章")
    make_article(issue=issue, title="定稿文章", status=Article.Status.READY)
    make_issue(year=2017, number=1, total_number=26, status=Issue.Status.PUBLISHED)
    request = make_subscription(subscriber=make_subscriber(name="赵敏"), status=Subscription.Status.PENDING)

    page = client.get(reverse("admin:index")).content.decode()

    for heading in ["在编期刊", "新来稿", "我负责的稿件", "待付稿酬", "待审批的订阅申请"]:
        assert heading in page
    assert "2017年第2期（总第27期） 农村电商专题" in page and "1 篇文章未定稿" in page
    assert "2017年第1期" not in page.split("在编期刊")[1].split("新来稿")[0]  # published: not in production
    assert reverse("admin:issues_issue_change", args=[issue.pk]) in page
    assert "新稿甲" in page and reverse("admin:submissions_submission_change", args=[new.pk]) in page
    mine_list = page.split("我负责的稿件")[1].split("待付稿酬")[0]
    assert "我审的稿" in mine_list and "别人审的稿" not in mine_list
    assert reverse("admin:submissions_submission_change", args=[mine.pk]) in mine_list
    due = page.split("待付稿酬")[1].split("待审批的订阅申请")[0]
    assert "待付稿" in due and "300" in due and "已付稿" not in due
    assert reverse("admin:honoraria_honorarium_change", args=[unpaid.pk]) in due and "周雅琴" in due
    assert "赵敏" in page and reverse("admin:subscriptions_subscription_change", args=[request.pk]) in page


def test_the_sidebar_counts_what_waits_in_each_list(client, django_user_model):
    client = editor_client(client, django_user_model)
    make_submission(title="新稿甲")
    make_submission(title="新稿乙")
    make_submission(title="我审的稿", status=Submission.Status.UNDER_REVIEW, assigned_editor=client.user)
    make_subscription(subscriber=make_subscriber(), status=Subscription.Status.PENDING)
    make_issue()

    page = client.get(reverse("admin:issues_section_changelist")).content.decode()

    def count_after(model_url):
        after = page.split(f'href="{model_url}"', 1)[1]
        return after.split('class="desk-count"', 1)[1].split(">", 1)[1].split("<", 1)[0]

    assert count_after(reverse("admin:submissions_submission_changelist")) == "3"
    assert count_after(reverse("admin:subscriptions_subscription_changelist")) == "1"
    assert count_after(reverse("admin:issues_issue_changelist")) == "1"


def test_the_desk_shows_only_the_lists_the_editor_may_see(client, django_user_model):
    client = editor_client(client, django_user_model, codenames=["view_issue"])
    make_submission(title="新稿甲")
    page = client.get(reverse("admin:index")).content.decode()
    assert "在编期刊" in page
    assert "新来稿" not in page and "新稿甲" not in page and "待审批的订阅申请" not in page


def test_the_desk_makes_a_fixed_number_of_queries(client, django_user_model):
    client = editor_client(client, django_user_model)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("admin:index")).status_code == 200
        return len(captured)

    make_submission(title="稿0")
    make_issue(year=2017, number=1, total_number=26)
    few = queries()
    for n in range(1, 6):
        make_submission(title=f"稿{n}")
        make_submission(title=f"审{n}", status=Submission.Status.UNDER_REVIEW, assigned_editor=client.user)
        make_submission(title=f"付{n}", status=Submission.Status.ACCEPTED)
        make_subscription(subscriber=make_subscriber(email=f"r{n}@example.cn"), status=Subscription.Status.PENDING)
        issue = make_issue(year=2018, number=n, total_number=30 + n)
        make_article(issue=issue)
    assert queries() == few


# The add form and the masthead


def test_the_add_form_proposes_the_numbers_after_the_latest_issue_and_no_date(staff_client):
    make_issue(year=2017, number=1, total_number=26)
    data = form_data(staff_client.get(reverse("admin:issues_issue_add")))
    assert (data["year"], data["number"], data["total_number"]) == ("2017", "2", "27")
    assert data["publication_date"] == ""


def test_a_new_issue_generates_its_own_date_and_print_run_and_copies_the_standing_lines(staff_client):
    make_issue(
        year=2017,
        number=1,
        total_number=26,
        print_run=1000,
        status=Issue.Status.PUBLISHED,
        masthead=[("出版日期", "2017年1月31日 2017年第1期（总第26期）"), ("主编", "林知远"), ("印数", "1000 册")],
    )
    response = staff_client.get(reverse("admin:issues_issue_add"))
    page = response.content.decode()
    assert "2017年1月31日" not in page and "1000 册" not in page
    assert "保存后按本期信息生成" in page
    data = form_data(response) | {
        "publication_date": "2017-02-28",
        "print_run": "1200",
        "masthead_lines-1-value": "苏曼",  # the standing line, edited
        "masthead_lines-0-value": "2016年1月1日",  # a generated line: what is posted is ignored
    }

    response = staff_client.post(reverse("admin:issues_issue_add"), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    issue = Issue.objects.get(total_number=27)
    assert [(line.label, line.value) for line in issue.masthead_lines.all()] == [
        ("出版日期", "2017年2月28日 2017年第2期（总第27期）"),
        ("主编", "苏曼"),
        ("印数", "1200 册"),
    ]


def test_the_masthead_of_a_published_issue_is_shown_but_not_editable(staff_client):
    issue = make_issue(status=Issue.Status.PUBLISHED, masthead=[("主编", "林知远")])
    response = staff_client.get(reverse("admin:issues_issue_change", args=[issue.pk]))
    page = response.content.decode()
    assert "林知远" in page
    assert "masthead_lines-0-value" not in page and "masthead_lines-TOTAL_FORMS" in page
    data = form_data(response)
    staff_client.post(reverse("admin:issues_issue_change", args=[issue.pk]), data)
    assert list(issue.masthead_lines.values_list("value", flat=True)) == ["林知远"]


# The next step, its checklist and its confirmation


def test_the_checklist_names_each_draft_article_and_links_to_it(staff_client):
    issue = make_issue()
    draft = make_article(issue=issue, title="还在改的稿")
    make_article(issue=issue, title="已定的稿", status=Article.Status.READY)
    page = staff_client.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()
    checklist = page.split("之前还需要")[1].split("</ul>")[0]
    assert "《还在改的稿》还是草稿" in checklist and "已定的稿" not in checklist
    assert reverse("admin:articles_article_change", args=[draft.pk]) in checklist
    assert reverse("admin:issues_issue_step", args=[issue.pk, "mark_ready"]) in page
    assert "将 1 篇草稿文章全部定稿" in page


def test_marking_all_draft_articles_ready_at_once_clears_the_checklist(staff_client):
    issue = make_issue()
    drafts = [make_article(issue=issue, title=f"稿{n}", position=n) for n in range(3)]
    other_issue_draft = make_article(issue=make_issue(year=2018, number=1), title="别期的稿")

    response = staff_client.post(reverse("admin:issues_issue_articles_ready", args=[issue.pk]), follow=True)

    page = response.content.decode()
    assert "已将 3 篇文章定稿" in page and "可以“定稿”了" in page
    for article in drafts:
        article.refresh_from_db()
        assert article.status == Article.Status.READY
        assert article.status_changes.get().changed_by == staff_client.user
    other_issue_draft.refresh_from_db()
    assert other_issue_draft.status == Article.Status.DRAFT


def test_an_issue_cannot_be_marked_ready_while_articles_are_drafts(staff_client):
    issue = make_issue()
    make_article(issue=issue, title="还在改的稿")
    url = reverse("admin:issues_issue_step", args=[issue.pk, "mark_ready"])
    page = staff_client.get(url).content.decode()
    assert "还不能“定稿”" in page and "《还在改的稿》还是草稿" in page and "确认定稿" not in page

    response = staff_client.post(url, follow=True)
    assert "还不能“定稿”：《还在改的稿》还是草稿" in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT and not issue.status_changes.exists()


def test_the_publish_confirmation_says_what_will_happen_and_publishing_does_it(staff_client):
    issue = make_issue(status=Issue.Status.READY)
    make_article(issue=issue, title="随刊发布的稿", status=Article.Status.READY)
    proofread(issue, by=staff_client.user)
    for n in range(2):
        make_subscription(subscriber=make_subscriber(email=f"r{n}@example.cn", receives_notices=True))
    url = reverse("admin:issues_issue_step", args=[issue.pk, "publish"])

    page = staff_client.get(url).content.decode()
    assert "以下 1 篇文章随本期发布" in page and "随刊发布的稿" in page
    assert "PDF" in page and "向 2 位订阅用户发送新刊通知邮件" in page
    assert "确认发布" in page

    response = staff_client.post(url, {"comment": "按时出刊"}, follow=True)

    assert "已发布" in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == Issue.Status.PUBLISHED
    assert issue.status_changes.get().comment == "按时出刊"
    assert issue.articles.get().status == Article.Status.PUBLISHED
    assert issue.pdfs.count() == 2  # queued (the worker builds them)


def test_publishing_a_draft_says_what_to_do_first(staff_client):
    issue = make_issue()
    make_article(issue=issue, status=Article.Status.READY)
    response = staff_client.post(reverse("admin:issues_issue_step", args=[issue.pk, "publish"]), follow=True)
    page = response.content.decode()
    assert "不能从“草稿”变为“已发布”：请先把本期的文章全部定稿，再将本期“定稿”，然后发布。" in page
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT


def test_steps_need_the_right_to_change_the_issue(client, django_user_model):
    client = editor_client(client, django_user_model, codenames=["view_issue", "view_article"])
    issue = make_issue()
    make_article(issue=issue, status=Article.Status.READY)
    page = client.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()
    assert reverse("admin:issues_issue_step", args=[issue.pk, "mark_ready"]) not in page
    assert "文章标题" in page and 'name="articles-0-position"' not in page  # the articles, read-only
    for url in [
        reverse("admin:issues_issue_step", args=[issue.pk, "mark_ready"]),
        reverse("admin:issues_issue_articles_ready", args=[issue.pk]),
    ]:
        assert client.post(url).status_code == 403
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT


def test_an_unknown_step_or_issue_is_not_found(staff_client):
    issue = make_issue()
    assert staff_client.get(reverse("admin:issues_issue_step", args=[issue.pk, "explode"])).status_code == 404
    assert staff_client.get(reverse("admin:issues_issue_step", args=[999, "publish"])).status_code == 404


def test_a_generated_line_stays_a_generated_line_when_the_form_is_saved_again(staff_client):
    issue = make_issue(print_run=1200, masthead=[("印数", "")])
    url = reverse("admin:issues_issue_change", args=[issue.pk])
    data = form_data(staff_client.get(url)) | {"print_run": "1500"}
    assert staff_client.post(url, data).status_code == 302
    line = issue.masthead_lines.get()
    assert (line.kind, line.value) == (MastheadLine.Kind.PRINT_RUN, "1500 册")


def test_unscheduled_articles_are_put_into_the_issue_after_its_articles(staff_client):
    issue = make_issue()
    make_article(issue=issue, title="已在本期", position=5)
    first, second = make_article(title="录用稿一"), make_article(title="录用稿二")
    elsewhere = make_article(issue=make_issue(year=2018, number=1), title="别期的稿")
    url = reverse("admin:issues_issue_change", args=[issue.pk])
    response = staff_client.get(url)
    page = response.content.decode()
    assert "录用稿一" in page and "录用稿二" in page
    assert f'<option value="{elsewhere.pk}"' not in page

    data = form_data(response)
    response = staff_client.post(url, {**data, "schedule": [first.pk, second.pk]})

    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(issue.articles.in_print_order().values_list("title", flat=True)) == ["已在本期", "录用稿一", "录用稿二"]


def test_a_standing_masthead_line_needs_its_value(staff_client):
    issue = make_issue(masthead=[("主编", "林知远")])
    url = reverse("admin:issues_issue_change", args=[issue.pk])
    data = form_data(staff_client.get(url)) | {"masthead_lines-0-value": ""}
    response = staff_client.post(url, data)
    assert response.status_code == 200 and "这个字段是必填项" in response.content.decode()
    assert issue.masthead_lines.get().value == "林知远"


def test_a_new_article_for_the_issue_starts_in_it(staff_client):
    issue = make_issue()
    page = staff_client.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()
    add_url = reverse("admin:articles_article_add") + f"?issue={issue.pk}"
    assert add_url in page
    assert form_data(staff_client.get(add_url))["issue"] == str(issue.pk)
