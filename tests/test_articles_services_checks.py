"""The publish checks the floors above register (三审 passed, 三校 signed off) stop an issue's publication."""

import pytest

from articles.models import Article
from articles.services import PUBLISH_CHECKS, Obstacle, issue_obstacles, issue_publish, register_publish_check
from issues.models import Issue
from issues.workflow import PUBLISHED, TransitionNotAllowed
from tests.factories import make_article, make_issue, proofread

pytestmark = pytest.mark.django_db


@pytest.fixture
def a_check():
    def check(issue):
        return [Obstacle("尚未三校签字。")] if issue.title != "已签字" else []

    register_publish_check(check)
    register_publish_check(check)  # once is enough
    yield check
    PUBLISH_CHECKS.remove(check)


def test_a_registered_check_stops_publication_until_it_is_met(a_check):
    assert PUBLISH_CHECKS.count(a_check) == 1
    issue = proofread(make_issue(status=Issue.Status.READY))  # 三校's own check met
    make_article(issue=issue, status=Article.Status.READY)
    assert [obstacle.message for obstacle in issue_obstacles(issue, target=PUBLISHED)] == ["尚未三校签字。"]
    with pytest.raises(TransitionNotAllowed, match="尚未三校签字"):
        issue_publish(issue=issue)

    Issue.objects.filter(pk=issue.pk).update(title="已签字")
    assert issue_publish(issue=issue).status == Issue.Status.PUBLISHED


def test_an_imported_issue_is_published_without_the_checks(a_check):
    issue = make_issue(status=Issue.Status.READY)
    make_article(issue=issue, status=Article.Status.READY)
    assert issue_obstacles(issue, target=PUBLISHED, production=False) == []
    assert issue_publish(issue=issue, production=False).status == Issue.Status.PUBLISHED
