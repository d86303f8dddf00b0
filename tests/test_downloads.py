"""Who gets an issue's PDF, how it is handed out, stamped and logged."""

import ipaddress
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse
from django.views.static import serve
from pypdf import PdfReader

from issues.files import write_atomically
from issues.models import IssuePDF, Periodical
from issues.subscriptions.delivery import STAMPED_DIR
from issues.subscriptions.models import Download, Subscription
from issues.typesetting.build import issue_build_pdf
from tests.factories import make_article, make_institution, make_issue, make_section, make_subscriber, make_subscription

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.7 stand-in for a built issue"
INSIDE, OUTSIDE = "203.0.113.77", "198.51.100.5"


def issue_with_pdf(*, status="published", data=PDF_BYTES):
    issue = make_issue(year=2017, number=1, total_number=26, status=status)
    record = IssuePDF.objects.create(
        issue=issue, variant="screen", status="done", build_key="k" * 64,
        file_name=f"issues/{issue.key}/{issue.key}-screen.pdf", page_count=1, size_bytes=len(data),
    )  # fmt: skip
    write_atomically(record.path, data)
    return issue


def pdf_url(issue):
    return reverse("issue_pdf", args=[issue.year, issue.number])


# The access matrix ----------------------------------------------------------------------------


def reader(kind, django_user_model):
    """Sign-in state for each kind of reader: (user or None, REMOTE_ADDR)."""
    if kind == "staff":
        return django_user_model.objects.create_user(username="editor", password="x", is_staff=True), OUTSIDE
    if kind in ("anonymous", "institution-outside"):
        return None, OUTSIDE
    if kind == "institution-inside":
        return None, INSIDE
    subscriber = make_subscriber()
    subscription = {
        "no-subscription": None,
        "expired": {"starts_in_days": -400, "days": 365},
        "not-started": {"starts_in_days": 3},
        "pending": {"status": Subscription.Status.PENDING},
        "refused": {"status": Subscription.Status.REFUSED},
        "active": {},
        "active-last-day": {"starts_in_days": -364, "days": 365},
    }[kind]
    if subscription is not None:
        make_subscription(subscriber=subscriber, **subscription)
    return subscriber.user, OUTSIDE


PUBLISHED_EXPECTED = {
    "anonymous": 302,
    "no-subscription": 403,
    "expired": 403,
    "not-started": 403,
    "pending": 403,
    "refused": 403,
    "active": 200,
    "active-last-day": 200,
    "institution-inside": 200,
    "institution-outside": 302,
    "staff": 200,
}


@pytest.mark.parametrize("status", ["published", "draft", "ready"])
@pytest.mark.parametrize("kind", PUBLISHED_EXPECTED)
def test_access_matrix(client, django_user_model, kind, status):
    make_institution(cidrs=["203.0.113.0/24", "2001:db8::/32"])
    issue = issue_with_pdf(status=status)
    user, address = reader(kind, django_user_model)
    if user:
        client.force_login(user)
    response = client.get(pdf_url(issue), REMOTE_ADDR=address)
    expected = PUBLISHED_EXPECTED[kind] if status == "published" or kind == "staff" else 404
    assert response.status_code == expected
    if expected == 200:
        assert b"".join(response.streaming_content) == PDF_BYTES
    if expected == 302:
        assert response["Location"] == f"/accounts/login/?next={pdf_url(issue)}"
    if expected == 403:
        html = response.content.decode()
        assert "如何订阅" in html and "您的账号目前没有有效的订阅" in html
    assert Download.objects.count() == (1 if expected == 200 else 0)


def test_the_403_page_tells_a_pending_or_expired_reader_where_they_stand(client):
    issue = issue_with_pdf()
    subscriber = make_subscriber()
    make_subscription(subscriber=subscriber, starts_in_days=-400, days=365)
    client.force_login(subscriber.user)
    html = client.get(pdf_url(issue)).content.decode()
    assert "已到期" in html and "申请续订" in html
    make_subscription(subscriber=subscriber, status=Subscription.Status.PENDING, starts_in_days=0)
    html = client.get(pdf_url(issue)).content.decode()
    assert "正在等待编辑部审核" in html and "申请续订" not in html


def test_institution_ranges_match_ipv6_and_ipv4_mapped_addresses_and_expire(client):
    issue = issue_with_pdf()
    library = make_institution(cidrs=["203.0.113.0/24", "2001:db8::/32"])
    assert client.get(pdf_url(issue), REMOTE_ADDR="2001:db8::1").status_code == 200
    assert client.get(pdf_url(issue), REMOTE_ADDR="::ffff:203.0.113.9").status_code == 200
    assert client.get(pdf_url(issue), REMOTE_ADDR="2001:db9::1").status_code == 302
    library.ends_on = library.starts_on
    library.save()
    assert client.get(pdf_url(issue), REMOTE_ADDR=INSIDE).status_code == 302


def test_the_address_comes_from_the_proxy_header_when_configured(client, settings):
    issue = issue_with_pdf()
    make_institution()
    # Without the setting a forged header is ignored.
    assert client.get(pdf_url(issue), REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP=INSIDE).status_code == 302
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    assert client.get(pdf_url(issue), REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP=INSIDE).status_code == 200
    assert Download.objects.get().ip == INSIDE
    assert client.get(pdf_url(issue), REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="garbage").status_code == 302


def test_the_proxy_header_counts_only_from_a_trusted_proxy(client, settings):
    issue = issue_with_pdf()
    make_institution()
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    # A reader outside writes the header themselves: ignored, their own address counts.
    assert client.get(pdf_url(issue), REMOTE_ADDR="198.51.100.7", HTTP_X_REAL_IP=INSIDE).status_code == 302
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    assert client.get(pdf_url(issue), REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP=INSIDE).status_code == 302
    assert client.get(pdf_url(issue), REMOTE_ADDR="10.1.2.3", HTTP_X_REAL_IP=INSIDE).status_code == 200
    assert Download.objects.get().ip == INSIDE


def test_a_pdf_not_built_yet_is_404_with_a_message(client, django_user_model):
    issue = make_issue(status="published")
    client.force_login(django_user_model.objects.create_user(username="editor", password="x", is_staff=True))
    response = client.get(pdf_url(issue))
    assert response.status_code == 404 and Download.objects.count() == 0


# Logging ----------------------------------------------------------------------------------------


def test_each_download_is_logged_with_who_or_which_institution(client):
    issue = issue_with_pdf()
    library = make_institution()
    subscriber = make_subscriber(name="王芳", organisation="南滨海关")
    make_subscription(subscriber=subscriber)
    client.get(pdf_url(issue), REMOTE_ADDR=INSIDE)
    client.force_login(subscriber.user)
    client.get(pdf_url(issue), REMOTE_ADDR=OUTSIDE)
    client.head(pdf_url(issue), REMOTE_ADDR=OUTSIDE)  # a HEAD request downloads nothing
    by_library, by_subscriber = Download.objects.order_by("id")
    assert (by_library.user, by_library.institution, by_library.ip) == (None, library, INSIDE)
    assert (by_subscriber.user, by_subscriber.institution, by_subscriber.ip) == (subscriber.user, None, OUTSIDE)
    assert by_subscriber.who == "王芳（南滨海关）" and by_library.who == "南滨市图书馆"
    assert Download.objects.count() == 2


def test_the_download_view_makes_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    issue = issue_with_pdf()
    make_institution(name="甲", cidrs=[f"10.{n}.0.0/16" for n in range(20)])
    subscriber = make_subscriber()
    make_subscription(subscriber=subscriber)
    client.force_login(subscriber.user)
    Periodical.load()
    # session, user, issue, subscriber, subscription, PDF record, periodical, log row
    with django_assert_max_num_queries(8):
        assert client.get(pdf_url(issue)).status_code == 200


# The response ---------------------------------------------------------------------------------


def test_headers_name_the_file_in_chinese_and_keep_it_private(client):
    issue = issue_with_pdf()
    make_institution()
    response = client.get(pdf_url(issue), REMOTE_ADDR=INSIDE)
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=\"2017-1.pdf\"; filename*=UTF-8''")
    assert unquote(disposition.split("''", 1)[1]) == f"{Periodical.load().name}2017年第1期（总第26期）.pdf"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(len(PDF_BYTES))
    assert response["Cache-Control"] == "private, no-cache"
    assert "Cookie" in response["Vary"] and response["ETag"] and response["Last-Modified"]


def test_a_browser_holding_the_current_copy_gets_304_and_no_new_log_row(client):
    issue = issue_with_pdf()
    make_institution()
    first = client.get(pdf_url(issue), REMOTE_ADDR=INSIDE)
    again = client.get(pdf_url(issue), REMOTE_ADDR=INSIDE, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and Download.objects.count() == 1
    elsewhere = client.get(pdf_url(issue), REMOTE_ADDR=OUTSIDE, HTTP_IF_NONE_MATCH=first["ETag"])
    assert elsewhere.status_code == 302  # access is checked before the cache validators


def test_nginx_sends_the_file_when_an_internal_location_is_configured(client, settings):
    settings.PROTECTED_ACCEL_PREFIX = "/_protected/"
    issue = issue_with_pdf()
    make_institution()
    response = client.get(pdf_url(issue), REMOTE_ADDR=INSIDE)
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == "/_protected/issues/2017-1/2017-1-screen.pdf"
    assert response["Content-Length"] == str(len(PDF_BYTES))
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    assert Download.objects.count() == 1


def test_guessed_media_and_static_urls_do_not_reach_protected_files(client):
    issue = issue_with_pdf()
    relative = f"issues/{issue.key}/{issue.key}-screen.pdf"
    assert Path(settings.PROTECTED_ROOT, relative).is_file()
    for url in (
        f"/media/{relative}",
        f"/media/../protected/{relative}",
        f"/media/%2e%2e/protected/{relative}",
        f"/static/../protected/{relative}",
        f"/protected/{relative}",
    ):
        assert client.get(url).status_code == 404, url
    # Development serves MEDIA_ROOT with Django's static view, which refuses to leave its folder.
    request = RequestFactory().get("/")
    for guess in (relative, f"../protected/{relative}", str(Path(settings.PROTECTED_ROOT, relative))):
        with pytest.raises((Http404, SuspiciousFileOperation)):
            serve(request, guess, document_root=settings.MEDIA_ROOT)


def test_a_protected_root_inside_the_public_media_folder_fails_the_system_checks(settings):
    settings.PROTECTED_ROOT = Path(settings.MEDIA_ROOT) / "protected"
    with pytest.raises(SystemCheckError, match="subscriptions.E001"):
        call_command("check")


# Stamping ---------------------------------------------------------------------------------------


@pytest.fixture
def built_issue():
    """A small published issue really typeset (cover, masthead, contents, two articles)."""
    issue = make_issue(year=2017, number=1, total_number=26, status="published")
    section = make_section(name="特别报道")
    for position in (1, 2):
        body = "".join(f"<p>第{n}段：跨境电商综合试验区建设稳步推进。</p>" for n in range(60))
        make_article(issue=issue, section=section, title=f"文章{position}", body=body, position=position,
                     status="published")  # fmt: skip
    issue_build_pdf(issue=issue, variant="screen")
    return issue


def stamped_dir(issue):
    return Path(settings.PROTECTED_ROOT, STAMPED_DIR, issue.key)


def test_stamped_pdf_carries_the_readers_name_on_every_page(client, settings, built_issue):
    settings.PDF_STAMPING = True
    subscriber = make_subscriber(name="李明", organisation="南滨市商务局")
    make_subscription(subscriber=subscriber)
    client.force_login(subscriber.user)
    response = client.get(pdf_url(built_issue))
    assert response.status_code == 200
    path = Path(settings.PROTECTED_ROOT) / "stamped.pdf"
    path.write_bytes(b"".join(response.streaming_content))
    pages = PdfReader(path).pages
    original = PdfReader(IssuePDF.objects.get(issue=built_issue).path).pages
    assert len(pages) == len(original) >= 4
    for number, page in enumerate(pages, start=1):
        assert "仅供 李明（南滨市商务局）使用" in page.extract_text(), f"page {number}"
    assert "跨境电商综合试验区" in pages[-1].extract_text()  # the issue itself is still there
    assert "仅供" not in "".join(page.extract_text() for page in original)


def test_stamped_copies_are_made_once_per_reader_and_build(client, settings, built_issue):
    settings.PDF_STAMPING = True
    first = make_subscriber(name="李明", email="a@example.cn")
    second = make_subscriber(name="王芳", organisation="", email="b@example.cn")
    for subscriber in (first, second):
        make_subscription(subscriber=subscriber)
    client.force_login(first.user)
    etag = client.get(pdf_url(built_issue))["ETag"]
    (copy,) = stamped_dir(built_issue).rglob("*.pdf")
    made = copy.stat().st_mtime_ns
    assert client.get(pdf_url(built_issue))["ETag"] == etag
    assert copy.stat().st_mtime_ns == made  # served from the cache, not stamped again
    client.force_login(second.user)
    assert client.get(pdf_url(built_issue))["ETag"] != etag
    assert len(list(stamped_dir(built_issue).rglob("*.pdf"))) == 2

    # A new build of the issue replaces the old copies with ones stamped on the new file.
    article = built_issue.articles.first()
    article.title = "改过的标题"
    article.save()
    issue_build_pdf(issue=built_issue, variant="screen")
    response = client.get(pdf_url(built_issue))
    data = b"".join(response.streaming_content)
    assert len(list(stamped_dir(built_issue).rglob("*.pdf"))) == 1
    path = Path(settings.PROTECTED_ROOT) / "new.pdf"
    path.write_bytes(data)
    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    assert "改过的标题" in text and "仅供 王芳 使用" in text


def test_institutions_get_their_name_stamped_and_staff_the_plain_file(client, settings, django_user_model, built_issue):
    settings.PDF_STAMPING = True
    make_institution(name="南滨市图书馆<&>")
    response = client.get(pdf_url(built_issue), REMOTE_ADDR=INSIDE)
    path = Path(settings.PROTECTED_ROOT) / "library.pdf"
    path.write_bytes(b"".join(response.streaming_content))
    assert all("仅供 南滨市图书馆<&> 使用" in page.extract_text() for page in PdfReader(path).pages)
    client.force_login(django_user_model.objects.create_user(username="editor", password="x", is_staff=True))
    plain = b"".join(client.get(pdf_url(built_issue)).streaming_content)
    assert plain == IssuePDF.objects.get(issue=built_issue).path.read_bytes()


def test_without_the_setting_nobody_gets_a_stamp(client, built_issue):
    subscriber = make_subscriber()
    make_subscription(subscriber=subscriber)
    client.force_login(subscriber.user)
    data = b"".join(client.get(pdf_url(built_issue)).streaming_content)
    assert data == IssuePDF.objects.get(issue=built_issue).path.read_bytes()
    assert not stamped_dir(built_issue).exists()
