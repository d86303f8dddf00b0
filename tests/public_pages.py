"""Every public page of the reading site, in the states readers meet: the one list both validators use.

tests/test_html_validity.py renders each page through the test client and runs the Nu HTML Checker
over all of them; tests/test_axe_browser.py opens each in Chromium at both widths and runs axe-core.
A new page goes into PAGES (and its data into `public_site()`), and both validators check it; a new
URL pattern that no page visits and that EXCLUDED does not name fails `test_every_public_route_is_a_page`
in test_html_validity.py.

A page is a path on the site, visited by GET, or with `form` its form submitted with those values
(the page with errors), `times` times in a row (the sign-in lock-out). `signed_in` visits it as the
subscriber of `public_site()`.
"""

import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass, field

import docx
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from articles.models import Article
from articles.submissions.models import Submission
from articles.submissions.reviews import expert_invite
from articles.submissions.services import submission_create, submission_transition
from articles.word import check_docx
from issues.models import Issue
from issues.subscriptions.services import unsubscribe_token
from tests.factories import (
    image_bytes,
    make_article,
    make_contributor,
    make_reading_issues,
    make_section,
    make_subscriber,
    make_subscription,
)
from tests.test_submissions import submission_data

BRIEFS = 22  # more than a page of search results and of the sub-section (PAGE_SIZE is 20)


@dataclass
class PublicSite:
    """What `public_site()` made, for the pages' paths."""

    issue: Issue
    article: Article  # contributors, a table and a figure
    organisation_article: Article  # an organisation's byline, no contributors
    brief: Article
    section: object
    sub_section: object
    contributor: object
    subscriber: object
    pending: object  # a registered reader who has not confirmed the e-mail address yet
    submission: Submission
    review_token: str


def _manuscript() -> bytes:
    document = docx.Document()
    document.add_heading("县域电商调研", level=1)
    document.add_paragraph("南滨市跨境电商发展迅速。")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def public_site() -> PublicSite:
    """A published issue with every kind of page a reader meets, a subscriber, a submission under review."""
    issue = make_reading_issues()

    report = make_section(name="特别报道", position=1)
    news = make_section(name="行业动态", position=2)
    local = make_section(name="南滨", parent=news, position=1)
    wang, li = make_contributor(name="王毅"), make_contributor(name="李娜")
    chart = default_storage.save("articles/chart.png", ContentFile(image_bytes(size=(900, 300))))
    article = make_article(
        issue=issue,
        section=report,
        title="跨境电商的县域样本",
        subtitle="来自三个县的调查",
        position=1,
        authors=[wang, li],
        status=Article.Status.PUBLISHED,
        summary="调查组走访了三个县，记录跨境电商如何改变农产品的销路。",
        body=(
            "<p>今年春天，调查组走访了三个县的十二个乡镇，记录跨境电商如何改变农产品的销路。</p>"
            "<h2>一、物流</h2><p>在县城的物流园里，每天有上千个包裹发往东南亚。</p>"
            "<table><tr><th>地区</th><th>2023年</th><th>增长率</th></tr>"
            "<tr><td>东部</td><td>1,234,567.00</td><td>12.5%</td></tr></table>"
            f'<p><img src="{default_storage.url(chart)}" alt="各地区跨境贸易额柱状图"></p>'
        ),
        first_page=3,
        last_page=8,
    )
    organisation_article = make_article(
        issue=issue,
        section=report,
        title="跨境电商发展报告",
        position=2,
        byline="文 / 本刊编辑部",
        status=Article.Status.PUBLISHED,
        body="<p>本刊编辑部整理了全省跨境电商的发展情况。</p>",
        first_page=9,
        last_page=10,
    )
    briefs = [
        make_article(
            issue=issue,
            section=local,
            title=f"南滨跨境电商简讯{number}",
            position=10 + number,
            status=Article.Status.PUBLISHED,
            body=f"<p>南滨市第{number}批跨境电商企业入驻园区。</p>",
            first_page=20,
            last_page=20,
        )
        for number in range(1, BRIEFS + 1)
    ]

    subscriber = make_subscriber(email="liming@example.cn", password="pw-reader-2017")
    make_subscription(subscriber=subscriber)
    pending = make_subscriber(name="张三", email="zhangsan@example.cn")
    pending.email_confirmed_at = None
    pending.save()
    pending.user.is_active = False
    pending.user.save()

    chief = subscriber.user.__class__.objects.create_superuser(username="chief", password="pw-chief-123")
    manuscript = _manuscript()
    submission = submission_create(
        fields={
            name: value
            for name, value in submission_data(co_authors="").items()
            if name not in ("consent", "manuscript")
        },
        file_name="调研报告.docx",
        data=manuscript,
        inspected=check_docx(manuscript),
        ip="10.0.0.1",
    )
    submission = submission_transition(submission=submission, to=Submission.Status.UNDER_REVIEW, by=chief)
    invitation = expert_invite(
        submission=submission,
        name="赵教授",
        email="zhao@example.edu.cn",
        due_on=timezone.localdate() + datetime.timedelta(days=10),
        by=chief,
    )
    return PublicSite(
        issue=issue,
        article=article,
        organisation_article=organisation_article,
        brief=briefs[0],
        section=report,
        sub_section=local,
        contributor=wang,
        subscriber=subscriber,
        pending=pending,
        submission=submission,
        review_token=invitation.token,
    )


@dataclass
class Page:
    """One page in one state: `path(site)` fetched by GET, or its `form` submitted `times` times."""

    name: str
    path: Callable[[PublicSite], str]
    form: dict = field(default_factory=dict)
    times: Callable[[], int] = lambda: 1
    signed_in: bool = False
    status: int = 200
    follow: bool = False  # follow redirects (the password reset link moves its token into the session)


def _uid(user):
    return urlsafe_base64_encode(force_bytes(user.pk))


PAGES = [
    Page("home", lambda s: "/"),
    Page("archive", lambda s: reverse("issues:archive")),
    Page("issue", lambda s: s.issue.get_absolute_url()),
    Page("article with contributors, table and figure", lambda s: s.article.get_absolute_url()),
    Page("article by an organisation", lambda s: s.organisation_article.get_absolute_url()),
    Page("brief", lambda s: s.brief.get_absolute_url()),
    Page("section", lambda s: s.section.get_absolute_url()),
    Page("sub-section, first page", lambda s: s.sub_section.get_absolute_url()),
    Page("sub-section, second page", lambda s: s.sub_section.get_absolute_url() + "?page=2"),
    Page("contributor", lambda s: s.contributor.get_absolute_url()),
    Page("search, empty", lambda s: reverse("articles:search")),
    Page("search with results", lambda s: reverse("articles:search") + "?q=跨境"),
    Page("search, second page", lambda s: reverse("articles:search") + "?q=南滨&page=2"),
    Page("search without results", lambda s: reverse("articles:search") + "?q=不存在的词语"),
    Page("search, nothing asked", lambda s: reverse("articles:search") + "?q="),
    Page("search, invalid input", lambda s: reverse("articles:search") + "?q=跨境&number=0&year=1900"),
    Page("submission form", lambda s: reverse("submissions:submit")),
    Page(
        "submission form with errors",
        lambda s: reverse("submissions:submit"),
        form={"title": "", "author_name": "周雅琴", "email": "不是邮箱", "phone": ""},
    ),
    Page("submission status", lambda s: s.submission.get_status_url()),
    Page("submission status, just sent", lambda s: s.submission.get_status_url() + "?new=1"),
    Page("expert review", lambda s: reverse("submissions:expert_review", args=[s.review_token])),
    Page(
        "expert review with errors",
        lambda s: reverse("submissions:expert_review", args=[s.review_token]),
        form={"comment": ""},
    ),
    Page("expert review, unknown link", lambda s: reverse("submissions:expert_review", args=["x" * 40]), status=404),
    Page("how to subscribe", lambda s: reverse("subscriptions:how_to_subscribe")),
    Page("how to subscribe, signed in", lambda s: reverse("subscriptions:how_to_subscribe"), signed_in=True),
    Page("register", lambda s: reverse("subscriptions:register")),
    Page(
        "register with errors",
        lambda s: reverse("subscriptions:register"),
        form={"name": "", "email": "liming@example.cn", "password1": "abc", "password2": "abd"},
    ),
    Page("register, e-mail sent", lambda s: reverse("subscriptions:register_sent")),
    Page(
        "confirmation link, wrong",
        lambda s: reverse("subscriptions:confirm", args=[_uid(s.pending.user), "wrong-token"]),
        status=400,
    ),
    Page("resend confirmation", lambda s: reverse("subscriptions:resend_confirmation")),
    Page(
        "resend confirmation with errors",
        lambda s: reverse("subscriptions:resend_confirmation"),
        form={"email": "不是邮箱"},
    ),
    Page("unsubscribe", lambda s: reverse("subscriptions:unsubscribe", args=[unsubscribe_token(s.subscriber)])),
    Page("unsubscribe, wrong link", lambda s: reverse("subscriptions:unsubscribe", args=["wrong"]), status=400),
    Page("account", lambda s: reverse("subscriptions:account"), signed_in=True),
    Page("login", lambda s: reverse("login")),
    Page(
        "login with errors",
        lambda s: reverse("login"),
        form={"username": "nobody@example.cn", "password": "wrong-password"},
    ),
    Page(
        "login, locked out",
        lambda s: reverse("login"),
        form={"username": "liming@example.cn", "password": "wrong-password"},
        times=lambda: settings.AXES_FAILURE_LIMIT + 1,
        status=429,
    ),
    Page("password change", lambda s: reverse("password_change"), signed_in=True),
    Page(
        "password change with errors",
        lambda s: reverse("password_change"),
        form={"old_password": "wrong", "new_password1": "abc", "new_password2": "abd"},
        signed_in=True,
    ),
    Page("password change done", lambda s: reverse("password_change_done"), signed_in=True),
    Page("password reset", lambda s: reverse("password_reset")),
    Page("password reset with errors", lambda s: reverse("password_reset"), form={"email": "不是邮箱"}),
    Page("password reset sent", lambda s: reverse("password_reset_done")),
    Page(
        "password reset link, wrong",
        lambda s: reverse("password_reset_confirm", args=[_uid(s.subscriber.user), "wrong-token"]),
    ),
    Page(
        "password reset link",
        lambda s: reverse(
            "password_reset_confirm",
            args=[_uid(s.subscriber.user), default_token_generator.make_token(s.subscriber.user)],
        ),
        follow=True,
    ),
    Page("password reset complete", lambda s: reverse("password_reset_complete")),
    Page("not found", lambda s: "/no-such-page/", status=404),
]

# Public routes that are not HTML pages, with why no validator reads them.
EXCLUDED = {
    "issues/<int:year>/<int:number>/pdf/": "the issue's PDF (or a redirect to sign in)",
    "articles/<int:pk>/<str:slug>/pdf/": "the article's PDF (or a redirect to sign in)",
    "issues/<int:year>/<int:number>/epub/": "the issue's EPUB (epubcheck validates it in test_epub.py)",
    "articles/<int:pk>/<str:slug>/qr.png": "a PNG image",
    "reads/articles/<int:pk>/": "the page-view beacon: a POST answered 204 with no body (test_readership.py)",
    "articles/<int:pk>/": "a short link: a redirect to the article's address",
    "submit/status/<str:token>/withdraw/": "POST only, redirects to the status page",
    "feeds/issues/": "an Atom feed",
    "feeds/articles/": "an Atom feed",
    "sitemap.xml": "XML for crawlers",
    "robots.txt": "plain text",
    "favicon.ico": "a redirect to the icon",
    "accounts/renew/": "POST only, redirects to the account page",
    "accounts/notices/": "POST only, redirects to the account page",
    "accounts/notices/resubscribe/<str:token>/": "POST only; answers with the unsubscribe page (above)",
    "accounts/logout/": "POST only, redirects to the home page",
}


def public_routes(resolver=None, prefix=""):
    """The route of every URL pattern outside the admin (and the media files DEBUG serves)."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if getattr(pattern, "app_name", None) != "admin":
                yield from public_routes(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route


def visit(client: Client, page: Page, site: PublicSite):
    """The response a reader gets for `page` through the test client."""
    if page.signed_in:
        client.force_login(site.subscriber.user)
    path = page.path(site)
    if not page.form:
        return client.get(path, follow=page.follow)
    data = dict(page.form)
    if "csrfmiddlewaretoken" not in data:
        client.get(path)  # the form first, as a reader would
    response = None
    for _ in range(page.times()):
        response = client.post(path, data, REMOTE_ADDR="10.0.0.9")
    return response
