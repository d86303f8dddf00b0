import re

import pytest
from django.urls import reverse

from articles.models import Article
from articles.services import (
    article_mark_ready,
    article_publish,
    article_send_back,
    article_withdraw,
    issue_mark_ready,
    issue_publish,
    issue_send_back,
    issue_withdraw,
)
from issues.models import Issue
from issues.workflow import TransitionNotAllowed
from tests.factories import make_article, make_issue, proofread

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user(username="editor", password="x")


def test_issue_goes_draft_ready_published_and_each_step_is_logged(editor):
    issue = make_issue()
    make_article(issue=issue, status=Article.Status.READY)
    issue_mark_ready(issue=issue, by=editor, comment="排版完成")
    proofread(issue, by=editor)
    issue = issue_publish(issue=issue, by=editor)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.PUBLISHED
    assert issue.published_at is not None
    log = list(
        issue.status_changes.order_by("changed_at", "id").values_list(
            "from_status", "to_status", "changed_by", "comment"
        )
    )
    assert log == [("draft", "ready", editor.pk, "排版完成"), ("ready", "published", editor.pk, "")]
    # Editors read the log in the statuses' own names, in the admin and wherever a row is named.
    assert [str(change) for change in issue.status_changes.order_by("changed_at", "id")] == [
        "草稿 → 已定稿",
        "已定稿 → 已发布",
    ]


def test_status_log_rows_show_the_status_labels_on_the_issue_page(staff_client):
    issue = make_issue()
    make_article(issue=issue, status=Article.Status.READY)
    issue_mark_ready(issue=issue, by=staff_client.user)
    html = staff_client.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()
    log = html[html.index('id="status_changes-group"') :]
    assert re.search(r'field-from_label">\s*<p>草稿</p>', log)
    assert re.search(r'field-to_label">\s*<p>已定稿</p>', log)
    assert ">draft<" not in log and "IssueStatusChange object" not in log


@pytest.mark.parametrize(
    ("start", "transition", "message"),
    [
        ("draft", issue_publish, "不能从“草稿”变为“已发布”"),
        ("draft", issue_send_back, "不能从“草稿”变为“草稿”"),
        ("draft", issue_withdraw, "不能从“草稿”变为“已定稿”"),
        ("ready", issue_mark_ready, "不能从“已定稿”变为“已定稿”"),
        ("ready", issue_withdraw, "不能从“已定稿”变为“已定稿”"),
        ("published", issue_send_back, "不能从“已发布”变为“草稿”"),
        ("published", issue_publish, "不能从“已发布”变为“已发布”"),
        ("published", issue_mark_ready, "不能从“已发布”变为“已定稿”"),
    ],
)
def test_refused_issue_transitions_change_nothing(start, transition, message):
    issue = make_issue(status=start)
    article = make_article(issue=issue, status=Article.Status.READY)
    with pytest.raises(TransitionNotAllowed) as refusal:
        transition(issue=issue)
    assert message in str(refusal.value)
    issue.refresh_from_db(), article.refresh_from_db()
    assert issue.status == start and article.status == Article.Status.READY
    assert not issue.status_changes.exists() and not article.status_changes.exists()


def test_a_ready_issue_goes_back_to_draft_and_it_is_logged(editor):
    issue = issue_send_back(issue=make_issue(status=Issue.Status.READY), by=editor, comment="还要加一篇")
    assert issue.status == Issue.Status.DRAFT
    assert issue.status_changes.get().comment == "还要加一篇"


def test_publishing_needs_articles():
    issue = make_issue(status=Issue.Status.READY)
    with pytest.raises(TransitionNotAllowed, match="还没有文章"):
        issue_publish(issue=issue)
    assert not issue.status_changes.exists()


def test_publishing_needs_every_article_ready():
    issue = make_issue(status=Issue.Status.READY)
    make_article(issue=issue, title="已定稿", status=Article.Status.READY)
    make_article(issue=issue, title="还在改", position=2)
    with pytest.raises(TransitionNotAllowed, match="《还在改》"):
        issue_publish(issue=issue)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.READY
    assert issue.published_at is None
    assert not issue.status_changes.exists()


def test_publishing_publishes_the_articles_and_withdrawing_takes_them_back(editor):
    issue = make_issue(status=Issue.Status.READY)
    article = make_article(issue=issue, status=Article.Status.READY)
    proofread(issue, by=editor)
    issue_publish(issue=issue, by=editor)
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert article.status_changes.get().changed_by == editor
    assert list(Article.objects.published()) == [article]

    issue_withdraw(issue=issue, by=editor)
    article.refresh_from_db()
    assert article.status == Article.Status.READY
    assert [change.comment for change in article.status_changes.order_by("id")] == ["随本期发布", "本期撤回发布"]
    assert not Article.objects.published().exists()
    assert not Issue.objects.published().exists()


def test_publishing_again_keeps_the_first_publication_time(editor):
    issue = make_issue(status=Issue.Status.READY)
    make_article(issue=issue, status=Article.Status.READY)
    proofread(issue, by=editor)
    first = issue_publish(issue=issue, by=editor).published_at
    issue_withdraw(issue=issue, by=editor)
    assert issue_publish(issue=issue, by=editor).published_at == first


def test_article_goes_draft_ready_and_back(editor):
    article = make_article()
    article_mark_ready(article=article, by=editor)
    article_send_back(article=article, by=editor)
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT
    assert list(article.status_changes.order_by("id").values_list("from_status", "to_status", "changed_by")) == [
        ("draft", "ready", editor.pk),
        ("ready", "draft", editor.pk),
    ]


def test_article_cannot_be_published_outside_a_published_issue():
    article = make_article(issue=make_issue(), status=Article.Status.READY)
    with pytest.raises(TransitionNotAllowed, match="尚未发布"):
        article_publish(article=article)
    unscheduled = make_article(issue=None, status=Article.Status.READY)
    with pytest.raises(TransitionNotAllowed):
        article_publish(article=unscheduled)
    assert not article.status_changes.exists() and not unscheduled.status_changes.exists()


def test_article_added_to_a_published_issue_can_be_published_alone_and_withdrawn():
    issue = make_issue(status=Issue.Status.PUBLISHED)
    article = make_article(issue=issue, status=Article.Status.READY)
    article_publish(article=article)
    assert list(Article.objects.published()) == [article]
    article_withdraw(article=article)
    assert not Article.objects.published().exists()


@pytest.mark.parametrize(
    ("start", "transition", "message"),
    [
        ("draft", article_publish, "不能从“草稿”变为“已发布”"),
        ("draft", article_send_back, "不能从“草稿”变为“草稿”"),
        ("draft", article_withdraw, "不能从“草稿”变为“已定稿”"),
        ("ready", article_mark_ready, "不能从“已定稿”变为“已定稿”"),
        ("published", article_mark_ready, "不能从“已发布”变为“已定稿”"),
    ],
)
def test_refused_article_transitions_change_nothing(start, transition, message):
    article = make_article(issue=make_issue(status=Issue.Status.PUBLISHED), status=start)
    with pytest.raises(TransitionNotAllowed) as refusal:
        transition(article=article)
    assert message in str(refusal.value)
    article.refresh_from_db()
    assert article.status == start and not article.status_changes.exists()
