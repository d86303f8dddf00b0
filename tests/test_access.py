"""Who may download an issue's PDF, whose name a stamped copy carries, and who the download log names."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from articles.models import Article
from issues.models import Issue, Periodical
from issues.subscriptions.access import article_pdf_access, institution_for_address, pdf_access
from issues.subscriptions.models import Download, Subscription
from tests.factories import make_article, make_institution, make_issue, make_subscriber, make_subscription

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.7 stand-in for a built issue"
PDF_PATH = "/issues/2017/1/pdf/"  # the literal path: the view and its URL name are moving
INSIDE, OUTSIDE = "203.0.113.5", "198.51.100.5"


def published_issue_with_pdf():
    issue = make_issue(year=2017, number=1, status="published")
    record = issue.pdfs.create(
        variant="screen", status="done", build_key="k" * 64, file_name="issues/2017-1/2017-1-screen.pdf"
    )
    record.path.parent.mkdir(parents=True, exist_ok=True)
    record.path.write_bytes(PDF_BYTES)
    return issue


def request_from(address, *, user=None):
    request = RequestFactory().get(PDF_PATH, REMOTE_ADDR=address)
    request.user = user or AnonymousUser()
    return request


def make_staff(django_user_model):
    return django_user_model.objects.create_user(username="editor", password="x", is_staff=True)


def subscribed_reader(**subscription):
    subscriber = make_subscriber()
    make_subscription(subscriber=subscriber, **subscription)
    return subscriber


# Who gets the PDF, and whose name goes on a stamped copy -----------------------------------------


def test_staff_get_the_plain_pdf_under_their_own_account_even_on_an_institutions_network(django_user_model):
    make_institution()
    staff = make_staff(django_user_model)

    for address in (OUTSIDE, INSIDE):
        access = pdf_access(request_from(address, user=staff))
        assert (access.user, access.institution, access.stamp_for) == (staff, None, None)


def test_an_active_subscriber_gets_a_copy_in_their_own_name_even_on_an_institutions_network():
    make_institution()
    subscriber = subscribed_reader()

    for address in (OUTSIDE, INSIDE):
        access = pdf_access(request_from(address, user=subscriber.user))
        assert (access.user, access.institution, access.stamp_for) == (subscriber.user, None, subscriber)


def test_on_an_institutions_network_a_copy_is_in_the_institutions_name_signed_in_or_not():
    library = make_institution()
    reader = make_subscriber()  # signed in, but never subscribed

    anonymous = pdf_access(request_from(INSIDE))
    signed_in = pdf_access(request_from(INSIDE, user=reader.user))

    assert (anonymous.user, anonymous.institution, anonymous.stamp_for) == (None, library, library)
    assert (signed_in.user, signed_in.institution, signed_in.stamp_for) == (reader.user, library, library)


@pytest.mark.parametrize(
    "subscription",
    [
        pytest.param(None, id="no subscription"),
        pytest.param({"starts_in_days": -400, "days": 365}, id="expired"),
        pytest.param({"starts_in_days": 3}, id="not started"),
        pytest.param({"status": Subscription.Status.PENDING}, id="pending"),
        pytest.param({"status": Subscription.Status.REFUSED}, id="refused"),
    ],
)
def test_a_reader_without_an_active_subscription_outside_any_institution_gets_nothing(subscription):
    make_institution()
    reader = make_subscriber()
    if subscription is not None:
        make_subscription(subscriber=reader, **subscription)

    assert pdf_access(request_from(OUTSIDE, user=reader.user)) is None
    assert pdf_access(request_from(INSIDE, user=reader.user)).institution is not None


def test_someone_elses_subscription_does_not_count():
    subscribed_reader()
    other = make_subscriber(email="other@example.cn")

    assert pdf_access(request_from(OUTSIDE, user=other.user)) is None


def test_an_account_without_reader_details_is_not_a_subscriber(django_user_model):
    subscribed_reader()
    account = django_user_model.objects.create_user(username="plain", password="x")

    assert pdf_access(request_from(OUTSIDE, user=account)) is None


def test_an_anonymous_reader_outside_any_institution_gets_nothing():
    make_institution()

    assert pdf_access(request_from(OUTSIDE)) is None
    assert pdf_access(request_from(None)) is None


# Which institution an address belongs to ---------------------------------------------------------


def test_addresses_are_matched_to_the_institution_whose_range_includes_them():
    library = make_institution(name="南滨市图书馆", cidrs=["203.0.113.0/24", "2001:db8::/32"])
    bureau = make_institution(name="南滨市商务局", cidrs=["192.0.2.128/25"])

    assert institution_for_address("203.0.113.5") == library
    assert institution_for_address("203.0.113.255") == library
    assert institution_for_address("2001:db8::1") == library
    assert institution_for_address("::ffff:203.0.113.9") == library  # a dual-stack server's view of IPv4
    assert institution_for_address("192.0.2.200") == bureau
    for outside in ("192.0.2.127", "203.0.114.1", "2001:db9::1", "::ffff:198.51.100.5"):
        assert institution_for_address(outside) is None, outside


@pytest.mark.parametrize("address", [None, "", "garbage", "203.0.113", "203.0.113.5/24"])
def test_a_missing_or_malformed_address_belongs_to_no_institution(address):
    make_institution(cidrs=["0.0.0.0/0", "::/0"])

    assert institution_for_address(address) is None


def test_an_institution_outside_its_subscription_period_is_not_matched():
    make_institution(name="过期的图书馆", starts_in_days=-400, days=365)
    make_institution(name="未开始的图书馆", cidrs=["192.0.2.0/24"], starts_in_days=5)
    current = make_institution(name="南滨市图书馆", cidrs=["203.0.113.0/25", "192.0.2.0/25"])

    assert institution_for_address("203.0.113.200") is None
    assert institution_for_address("192.0.2.200") is None
    assert institution_for_address("192.0.2.5") == current


def test_matching_an_address_takes_one_query_however_many_ranges(django_assert_num_queries):
    library = make_institution(cidrs=[f"10.{n}.0.0/16" for n in range(20)])

    with django_assert_num_queries(1):
        assert institution_for_address("10.19.0.1").name == library.name


# What the download log records for each kind of reader ------------------------------------------


def test_the_log_names_a_staff_member_and_no_institution(client, django_user_model):
    published_issue_with_pdf()
    make_institution()
    staff = make_staff(django_user_model)
    client.force_login(staff)

    for address in (OUTSIDE, INSIDE):
        assert client.get(PDF_PATH, REMOTE_ADDR=address).status_code == 200

    assert [(row.user, row.institution, row.ip) for row in Download.objects.order_by("id")] == [
        (staff, None, OUTSIDE),
        (staff, None, INSIDE),
    ]


def test_the_log_names_a_subscriber_and_no_institution(client):
    published_issue_with_pdf()
    make_institution()
    subscriber = subscribed_reader()
    client.force_login(subscriber.user)

    for address in (OUTSIDE, INSIDE):
        response = client.get(PDF_PATH, REMOTE_ADDR=address)
        assert response.status_code == 200 and b"".join(response.streaming_content) == PDF_BYTES

    assert [(row.user, row.institution, row.ip) for row in Download.objects.order_by("id")] == [
        (subscriber.user, None, OUTSIDE),
        (subscriber.user, None, INSIDE),
    ]


def test_the_log_names_the_institution_and_a_signed_in_reader_on_its_network(client):
    published_issue_with_pdf()
    library = make_institution()
    reader = make_subscriber()  # no subscription of their own

    assert client.get(PDF_PATH, REMOTE_ADDR=INSIDE).status_code == 200
    client.force_login(reader.user)
    assert client.get(PDF_PATH, REMOTE_ADDR=INSIDE).status_code == 200

    assert [(row.user, row.institution, row.ip) for row in Download.objects.order_by("id")] == [
        (None, library, INSIDE),
        (reader.user, library, INSIDE),
    ]


def test_readers_without_access_are_sent_to_sign_in_or_told_how_to_subscribe_and_nothing_is_logged(client):
    published_issue_with_pdf()
    make_institution()
    reader = make_subscriber()

    anonymous = client.get(PDF_PATH, REMOTE_ADDR=OUTSIDE)
    client.force_login(reader.user)
    signed_in = client.get(PDF_PATH, REMOTE_ADDR=OUTSIDE)

    assert anonymous.status_code == 302 and anonymous["Location"] == f"/accounts/login/?next={PDF_PATH}"
    assert signed_in.status_code == 403 and "如何订阅" in signed_in.content.decode()
    assert Download.objects.count() == 0


def test_an_articles_pdf_goes_to_whoever_may_have_the_issue_while_article_pdfs_are_not_open(django_user_model):
    # tests/test_article_pdf.py downloads real cuts; here only the decision, for the mutation run.
    article = make_article(status=Article.Status.PUBLISHED)  # the periodical keeps article PDFs closed
    library = make_institution()
    reader = subscribed_reader().user
    for request in (request_from(OUTSIDE, user=make_staff(django_user_model)), request_from(OUTSIDE, user=reader),
                    request_from(INSIDE), request_from(OUTSIDE)):  # fmt: skip
        assert article_pdf_access(request, article=article) == pdf_access(request)
    assert article_pdf_access(request_from(INSIDE), article=article).institution == library
    assert article_pdf_access(request_from(OUTSIDE), article=article) is None


def test_open_article_pdfs_go_to_anyone_but_only_for_published_articles_of_published_issues():
    periodical = Periodical.load()
    periodical.article_pdfs_open = True
    periodical.save()
    published = make_issue(year=2017, number=1, status=Issue.Status.PUBLISHED)
    draft_issue = make_issue(year=2017, number=2)
    open_article = make_article(issue=published, status=Article.Status.PUBLISHED)
    grant = article_pdf_access(request_from(OUTSIDE), article=open_article)
    assert grant is not None and grant.user is None and grant.stamp_for is None  # anyone, unstamped
    assert article_pdf_access(request_from(OUTSIDE), article=make_article(issue=published, position=2)) is None
    assert article_pdf_access(request_from(OUTSIDE), article=make_article(issue=draft_issue)) is None
    assert article_pdf_access(request_from(OUTSIDE), article=make_article(status=Article.Status.PUBLISHED)) is None
    # A subscriber keeps the stamped copy with their name.
    reader = subscribed_reader()
    assert article_pdf_access(request_from(OUTSIDE, user=reader.user), article=open_article).stamp_for == reader
    periodical.article_pdfs_open = False
    periodical.save()
    assert article_pdf_access(request_from(OUTSIDE), article=open_article) is None
