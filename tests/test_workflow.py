import pytest

from articles.models import Article
from articles.services import article_transition
from issues.models import Issue
from issues.services import issue_transition
from issues.workflow import TransitionNotAllowed
from tests.factories import make_article, make_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user(username="editor", password="x")


def test_issue_goes_draft_ready_published_and_each_step_is_logged(editor):
    issue = make_issue()
    make_article(issue=issue, status=Article.Status.READY)
    issue_transition(issue=issue, to=Issue.Status.READY, by=editor, comment="排版完成")
    issue = issue_transition(issue=issue, to=Issue.Status.PUBLISHED, by=editor)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.PUBLISHED
    assert issue.published_at is not None
    log = list(
        issue.status_changes.order_by("changed_at", "id").values_list(
            "from_status", "to_status", "changed_by", "comment"
        )
    )
    assert log == [("draft", "ready", editor.pk, "排版完成"), ("ready", "published", editor.pk, "")]


@pytest.mark.parametrize(
    ("start", "to"),
    [
        ("draft", "published"),
        ("draft", "draft"),
        ("published", "draft"),
        ("published", "published"),
        ("ready", "ready"),
    ],
)
def test_refused_issue_transitions_change_nothing(start, to):
    issue = make_issue(status=start)
    make_article(issue=issue, status=Article.Status.READY)
    with pytest.raises(TransitionNotAllowed) as refusal:
        issue_transition(issue=issue, to=to)
    assert "不能从" in str(refusal.value)
    issue.refresh_from_db()
    assert issue.status == start
    assert not issue.status_changes.exists()


def test_unknown_status_is_refused():
    with pytest.raises(TransitionNotAllowed, match="未知状态"):
        issue_transition(issue=make_issue(), to="archived")


def test_publishing_needs_articles():
    issue = make_issue(status=Issue.Status.READY)
    with pytest.raises(TransitionNotAllowed, match="还没有文章"):
        issue_transition(issue=issue, to=Issue.Status.PUBLISHED)


def test_publishing_needs_every_article_ready():
    issue = make_issue(status=Issue.Status.READY)
    make_article(issue=issue, title="已定稿", status=Article.Status.READY)
    make_article(issue=issue, title="还在改", position=2)
    with pytest.raises(TransitionNotAllowed, match="《还在改》"):
        issue_transition(issue=issue, to=Issue.Status.PUBLISHED)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.READY
    assert issue.published_at is None


def test_publishing_publishes_the_articles_and_withdrawing_takes_them_back(editor):
    issue = make_issue(status=Issue.Status.READY)
    article = make_article(issue=issue, status=Article.Status.READY)
    issue_transition(issue=issue, to=Issue.Status.PUBLISHED, by=editor)
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert article.status_changes.get().changed_by == editor
    assert list(Article.objects.published()) == [article]

    issue_transition(issue=issue, to=Issue.Status.READY, by=editor)
    article.refresh_from_db()
    assert article.status == Article.Status.READY
    assert not Article.objects.published().exists()
    assert not Issue.objects.published().exists()


def test_article_goes_draft_ready_and_back(editor):
    article = make_article()
    article_transition(article=article, to=Article.Status.READY, by=editor)
    article_transition(article=article, to=Article.Status.DRAFT, by=editor)
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT
    assert article.status_changes.count() == 2


def test_article_cannot_be_published_outside_a_published_issue():
    article = make_article(issue=make_issue(), status=Article.Status.READY)
    with pytest.raises(TransitionNotAllowed, match="尚未发布"):
        article_transition(article=article, to=Article.Status.PUBLISHED)
    unscheduled = make_article(issue=None, status=Article.Status.READY)
    with pytest.raises(TransitionNotAllowed):
        article_transition(article=unscheduled, to=Article.Status.PUBLISHED)


def test_article_added_to_a_published_issue_can_be_published_alone():
    issue = make_issue(status=Issue.Status.PUBLISHED)
    article = make_article(issue=issue, status=Article.Status.READY)
    article_transition(article=article, to=Article.Status.PUBLISHED)
    assert list(Article.objects.published()) == [article]


def test_draft_article_cannot_jump_to_published():
    article = make_article(issue=make_issue(status=Issue.Status.PUBLISHED))
    with pytest.raises(TransitionNotAllowed, match="不能从“草稿”变为“已发布”"):
        article_transition(article=article, to=Article.Status.PUBLISHED)
