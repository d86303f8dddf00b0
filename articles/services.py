"""The publication workflow: issues and their articles, draft → ready → published, and back one step.

The issues' transitions live here, beside the articles', because publishing an issue publishes
its articles (all must be ready) and withdrawing it takes them back. Each transition is one
atomic function that locks the row, refuses a move from the wrong status and logs who moved it.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from articles.models import Article
from issues.models import Issue
from issues.signals import issue_published
from issues.workflow import DRAFT, PUBLISHED, READY, TransitionNotAllowed, change_status

# Articles


@transaction.atomic
def article_mark_ready(*, article: Article, by=None, comment: str = "") -> Article:
    """定稿: a draft article is ready to be published with its issue."""
    return _move_article(article, sources={DRAFT}, target=READY, by=by, comment=comment)


@transaction.atomic
def article_send_back(*, article: Article, by=None, comment: str = "") -> Article:
    """退回草稿: a ready article goes back to its editor."""
    return _move_article(article, sources={READY}, target=DRAFT, by=by, comment=comment)


@transaction.atomic
def article_publish(*, article: Article, by=None, comment: str = "") -> Article:
    """发布 one ready article of an issue that is already out (one added after publication)."""
    article = _locked_article(article)
    if not (article.issue and article.issue.is_published):
        raise TransitionNotAllowed(_("“%(article)s”所在的期尚未发布，不能单独发布。") % {"article": article})
    return _moved(article, sources={READY}, target=PUBLISHED, by=by, comment=comment)


@transaction.atomic
def article_withdraw(*, article: Article, by=None, comment: str = "") -> Article:
    """撤回发布: a published article goes back to ready; readers no longer see it."""
    return _move_article(article, sources={PUBLISHED}, target=READY, by=by, comment=comment)


def _locked_article(article):
    return Article.objects.select_for_update(of=("self",)).select_related("issue").get(pk=article.pk)


def _move_article(article, *, sources, target, by, comment):
    return _moved(_locked_article(article), sources=sources, target=target, by=by, comment=comment)


def _moved(article, *, sources, target, by, comment):
    """A locked article moved and saved."""
    change_status(article, sources=sources, target=target, by=by, comment=comment, log=article.status_changes)
    article.save(update_fields=["status", "updated_at"])
    return article


# Issues


@transaction.atomic
def issue_mark_ready(*, issue: Issue, by=None, comment: str = "") -> Issue:
    """定稿: a draft issue whose articles are all ready is ready to be published."""
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    if issue.status == DRAFT:
        _refuse_if_obstructed(issue, target=READY)
    return _move_issue(issue, sources={DRAFT}, target=READY, by=by, comment=comment)


@transaction.atomic
def issue_send_back(*, issue: Issue, by=None, comment: str = "") -> Issue:
    """退回草稿: a ready issue goes back to being composed."""
    return _move_issue(issue, sources={READY}, target=DRAFT, by=by, comment=comment)


@transaction.atomic
def issue_publish(*, issue: Issue, by=None, comment: str = "", production: bool = True) -> Issue:
    """发布: a ready issue and all its articles (which must be ready) come out; PDFs and notices follow.

    `production` False (the bundle importer) skips the registered checks of 三审三校 (PUBLISH_CHECKS).
    """
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    if issue.status == READY:
        _refuse_if_obstructed(issue, target=PUBLISHED, production=production)
    change_status(
        issue,
        sources={READY},
        target=PUBLISHED,
        by=by,
        comment=comment,
        log=issue.status_changes,
        hint=_("请先把本期的文章全部定稿，再将本期“定稿”，然后发布。") if issue.status == DRAFT else "",
    )
    issue.published_at = issue.published_at or timezone.now()
    issue.save(update_fields=["status", "published_at", "updated_at"])
    for article in issue.articles.filter(status=READY):
        _move_article(article, sources={READY}, target=PUBLISHED, by=by, comment=_("随本期发布"))
    issue_published.send(sender=Issue, issue=issue)
    return issue


@transaction.atomic
def issue_withdraw(*, issue: Issue, by=None, comment: str = "") -> Issue:
    """撤回发布: a published issue goes back to ready, and its articles with it."""
    issue = _move_issue(issue, sources={PUBLISHED}, target=READY, by=by, comment=comment)
    for article in issue.articles.filter(status=PUBLISHED):
        _move_article(article, sources={PUBLISHED}, target=READY, by=by, comment=_("本期撤回发布"))
    return issue


def _move_issue(issue, *, sources, target, by, comment):
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    change_status(issue, sources=sources, target=target, by=by, comment=comment, log=issue.status_changes)
    issue.save(update_fields=["status", "updated_at"])
    return issue


@dataclass(frozen=True)
class Obstacle:
    """Something that stops an issue's next step, for editors; `article` is where it is fixed, if one."""

    message: str
    article: Article | None = None


# What the floors above require before an issue is published (三审 passed, 三校 signed off, …):
# each a function of the issue returning its obstacles, registered in its app's ready().
PUBLISH_CHECKS: list[Callable[[Issue], list["Obstacle"]]] = []


def register_publish_check(check: Callable[[Issue], list["Obstacle"]]) -> None:
    """Make `issue_publish` refuse while `check(issue)` returns obstacles (idempotent)."""
    if check not in PUBLISH_CHECKS:
        PUBLISH_CHECKS.append(check)


def issue_obstacles(issue: Issue, *, target: str, production: bool = True) -> list[Obstacle]:
    """What stops `issue` from being marked ready (`READY`) or published (`PUBLISHED`) now; empty if nothing.

    `production` False leaves out the registered publish checks: an issue imported from a bundle was
    reviewed and proofread before it came here.
    """
    obstacles = []
    if target == PUBLISHED and issue.status == DRAFT:
        obstacles.append(Obstacle(_("本期尚未定稿：文章全部定稿后，先将本期“定稿”。")))
    articles = list(issue.articles.in_print_order().only("pk", "title", "status", "issue_id"))
    if not articles:
        obstacles.append(Obstacle(_("本期还没有文章。")))
    obstacles += [
        Obstacle(_("《%(title)s》还是草稿：检查后将它定稿。") % {"title": article.title}, article)
        for article in articles
        if article.status == DRAFT
    ]
    if target == PUBLISHED and production:
        for check in PUBLISH_CHECKS:
            obstacles += check(issue)
    return obstacles


def _refuse_if_obstructed(issue, *, target, production=True):
    obstacles = issue_obstacles(issue, target=target, production=production)
    if obstacles:
        raise TransitionNotAllowed(
            _("%(issue)s还不能“%(step)s”：%(reasons)s")
            % {
                "issue": issue,
                "step": _("定稿") if target == READY else _("发布"),
                "reasons": "".join(obstacle.message for obstacle in obstacles),
            }
        )
