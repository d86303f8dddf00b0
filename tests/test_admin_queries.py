"""The editors' admin pages run as many SQL queries with a few rows as with many, and no more than a bound.

Each test fills a page with a few rows, counts the queries of one GET, adds more rows of the
same kinds (those every column, filter and inline of the page reads) and counts again.
benchmarks/admin.py times the same pages on a 10,000-article archive.
"""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.honoraria.models import Honorarium
from articles.submissions.models import Manuscript, Submission, SubmissionEvent
from issues.models import Issue, IssuePDF, IssueStatusChange
from issues.subscriptions.models import Download, Subscription
from tests.factories import make_article, make_contributor, make_issue, make_section, make_subscriber, make_subscription

pytestmark = pytest.mark.django_db

SEARCH_WORD = "物流"


@pytest.fixture(params=["office editor", "superuser"])
def editor_client(request, client, django_user_model):
    """Logged in as an office editor (staff with every permission of the project's apps) or a superuser."""
    if request.param == "superuser":
        user = django_user_model.objects.create_superuser(username="admin", password="pw-admin-123")
    else:
        user = django_user_model.objects.create_user(username="yexiaozhou", password="pw-editor-123", is_staff=True)
        office = Group.objects.create(name="编辑部")
        labels = [config.label for config in apps.get_app_configs() if config.name.startswith(("issues", "articles"))]
        office.permissions.set(Permission.objects.filter(content_type__app_label__in=labels))
        user.groups.add(office)
    client.force_login(user)
    client.user = user
    return client


def queries_of(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


# Every admin page's bound includes the sidebar's three counts of waiting work (issues/desk/sites.py).
def assert_flat(client, url, add_rows, *, few, more, bound):
    """`add_rows(range)` adds rows numbered by the range; the page's queries stay the same from `few` to `more`."""
    add_rows(range(few))
    queries_of(client, url)  # the first request after logging in also updates the session
    with_few = queries_of(client, url)
    add_rows(range(few, more))
    with_more = queries_of(client, url)
    assert with_few == with_more <= bound, (
        f"{url}: {with_few} queries with {few} rows, {with_more} with {more} rows (bound {bound})"
    )


def make_submission(*, number, status=Submission.Status.RECEIVED, editor=None, **fields):
    submission = Submission.objects.create(
        title=f"来稿{number}",
        author_name="王毅",
        affiliation="南滨大学经济学院",
        postal_address="南滨市滨江区长堤路1号",
        phone="0591-8888 0000",
        email=f"author{number}@example.cn",
        status=status,
        assigned_editor=editor,
        **fields,
    )
    for version in range(2 if number % 2 else 1):
        Manuscript.objects.create(
            submission=submission,
            file=f"manuscripts/2020/01/{number}-{version}.docx",
            original_name=f"来稿{number}.docx",
            char_count=3000,
            text="跨境电商的实践与思考。" * 10,
        )
    SubmissionEvent.objects.create(submission=submission, to_status=status, changed_by=editor)
    return submission


def issue_with_pdfs(*, total_number, status=Issue.Status.DRAFT):
    issue = make_issue(
        year=2000 + total_number // 4, number=total_number % 4 + 1, total_number=total_number, status=status
    )
    for variant in IssuePDF.Variant:
        IssuePDF.objects.create(issue=issue, variant=variant, status=IssuePDF.Status.DONE, page_count=64)
    return issue


def add_article(*, issue, number, user, **fields):
    """An article with two authors in a sub-section of its own, and a status change by `user`."""
    parent = make_section(name=("特别报道", "行业动态")[number % 2], position=number % 2)
    article = make_article(
        issue=issue,
        section=make_section(name=f"栏目{number}", parent=parent),
        title=f"{SEARCH_WORD}观察之{number}",
        position=number + 1,
        authors=[make_contributor(name=f"作者{number}甲"), make_contributor(name=f"作者{number}乙")],
        body=f"<p>智慧{SEARCH_WORD}的新变化，第{number}篇。</p>",
        **fields,
    )
    if issue is not None:
        IssueStatusChange.objects.create(issue=issue, from_status="draft", to_status="draft", changed_by=user)
    return article


def test_desk_queries_do_not_grow_with_what_waits(editor_client, django_user_model):
    other = django_user_model.objects.create_user(username="hanlei", is_staff=True)

    def add_rows(numbers):
        for n in numbers:
            make_submission(number=3 * n)  # new
            make_submission(number=3 * n + 1, status=Submission.Status.UNDER_REVIEW, editor=editor_client.user)
            make_submission(number=3 * n + 2, status=Submission.Status.ACCEPTED, editor=other)
            issue = issue_with_pdfs(total_number=100 + n, status=("draft", "ready")[n % 2])
            article = add_article(issue=issue, number=n, user=other)
            for authorship in article.authorships.all():  # honoraria due
                Honorarium.objects.create(article=article, contributor=authorship.contributor, amount=500)
            subscriber = make_subscriber(name=f"读者{n}", email=f"reader{n}@example.cn")
            make_subscription(subscriber=subscriber, status=Subscription.Status.PENDING, starts_in_days=0)

    assert_flat(editor_client, reverse("admin:index"), add_rows, few=2, more=6, bound=20)


def test_article_list_search_queries_do_not_grow_with_articles(editor_client):
    issues = [issue_with_pdfs(total_number=n, status=Issue.Status.PUBLISHED) for n in range(1, 5)]

    def add_rows(numbers):
        for n in numbers:
            add_article(issue=issues[n % len(issues)], number=n, user=editor_client.user)

    url = reverse("admin:articles_article_changelist") + f"?q={SEARCH_WORD}"
    assert_flat(editor_client, url, add_rows, few=3, more=12, bound=15)
    response = editor_client.get(url)
    assert f"{SEARCH_WORD}观察之11" in response.content.decode()


def test_issue_page_queries_do_not_grow_with_articles(editor_client):
    issue = issue_with_pdfs(total_number=26)
    for position in range(1, 8):
        issue.masthead_lines.create(position=position, label=f"项目{position}", value="南滨市电子商务服务中心")

    def add_rows(numbers):
        for n in numbers:
            add_article(issue=issue, number=n, user=editor_client.user)

    assert_flat(
        editor_client, reverse("admin:issues_issue_change", args=[issue.pk]), add_rows, few=3, more=12, bound=25
    )


def test_submission_list_queries_do_not_grow_with_submissions(editor_client, django_user_model):
    editors = [editor_client.user, django_user_model.objects.create_user(username="hanlei", is_staff=True)]
    issue = issue_with_pdfs(total_number=26)
    statuses = list(Submission.Status)

    def add_rows(numbers):
        for n in numbers:
            status = statuses[n % len(statuses)]
            accepted = status == Submission.Status.ACCEPTED
            make_submission(
                number=n,
                status=status,
                editor=editors[n % 2] if n % 3 else None,
                article=add_article(issue=issue, number=n, user=editors[0]) if accepted else None,
            )

    assert_flat(editor_client, reverse("admin:submissions_submission_changelist"), add_rows, few=3, more=12, bound=15)


def test_issue_list_queries_do_not_grow_with_issues(editor_client):
    reader = make_subscriber()

    def add_rows(numbers):
        for n in numbers:
            issue = issue_with_pdfs(total_number=n + 1, status=("published", "draft")[n % 2])
            for position in range(3):
                add_article(issue=issue, number=10 * n + position, user=editor_client.user)
            Download.objects.create(issue=issue, user=reader.user, downloaded_at=timezone.now())

    assert_flat(editor_client, reverse("admin:issues_issue_changelist"), add_rows, few=2, more=6, bound=15)


def test_subscription_list_queries_do_not_grow_with_requests(editor_client):
    def add_rows(numbers):
        for n in numbers:
            subscriber = make_subscriber(name=f"读者{n}", email=f"reader{n}@example.cn")
            status = (Subscription.Status.PENDING, Subscription.Status.APPROVED)[n % 2]
            make_subscription(subscriber=subscriber, status=status)

    assert_flat(
        editor_client, reverse("admin:subscriptions_subscription_changelist"), add_rows, few=2, more=6, bound=15
    )
