"""The editors' side of subscriptions: approvals, institutions, download statistics and CSV."""

import csv
import datetime
import io

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from issues.subscriptions.models import Download, Institution, Subscription
from tests.factories import make_institution, make_issue, make_subscriber, make_subscription
from tests.forms import form_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:subscriptions_subscriber_changelist",
        "admin:subscriptions_subscription_changelist",
        "admin:subscriptions_subscription_add",
        "admin:subscriptions_institution_changelist",
        "admin:subscriptions_institution_add",
        "admin:subscriptions_download_changelist",
        "admin:subscriptions_download_statistics",
    ],
)
def test_subscription_admin_pages_load_for_staff(staff_client, url_name):
    subscriber = make_subscriber()
    make_subscription(subscriber=subscriber)
    Download.objects.create(issue=make_issue(status="published"), user=subscriber.user)
    assert staff_client.get(reverse(url_name)).status_code == 200


def test_statistics_and_exports_are_closed_to_readers(client):
    subscriber = make_subscriber()
    client.force_login(subscriber.user)
    for url in (
        reverse("admin:subscriptions_download_statistics"),
        reverse("admin:subscriptions_download_export", args=["log"]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


# Approving subscriptions --------------------------------------------------------------------------


@pytest.fixture
def act(staff_client, django_capture_on_commit_callbacks):
    """Run an admin action on some subscriptions, with the mail sent after commit as in production."""

    def run(action, subscriptions):
        with django_capture_on_commit_callbacks(execute=True):
            return staff_client.post(
                reverse("admin:subscriptions_subscription_changelist"),
                {"action": action, "_selected_action": [s.pk for s in subscriptions]},
                follow=True,
            )

    return run


def test_editors_approve_a_request_and_the_reader_is_told(staff_client, act):
    subscription = make_subscription(subscriber=make_subscriber(), status="pending")
    response = act("approve", [subscription])
    assert "已处理 1 项" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.status == "approved" and subscription.is_active
    assert subscription.decided_by == staff_client.user and subscription.decided_at
    (message,) = mail.outbox
    assert message.to == ["liming@example.cn"] and "订阅已开通" in message.subject
    assert f"{subscription.ends_on:%Y}年{subscription.ends_on.month}月{subscription.ends_on.day}日" in message.body


def test_editors_refuse_a_request_and_cannot_approve_twice(act):
    refused = make_subscription(subscriber=make_subscriber(), status="pending")
    act("refuse", [refused])
    refused.refresh_from_db()
    assert refused.status == "refused" and "未获批准" in mail.outbox[0].body
    approved = make_subscription(subscriber=make_subscriber(email="b@example.cn"))
    response = act("approve", [approved])
    assert "不能从“已批准”变为“已批准”" in response.content.decode() and len(mail.outbox) == 1


def test_a_subscription_entered_by_an_editor_is_granted_by_them(staff_client):
    subscriber = make_subscriber()
    url = reverse("admin:subscriptions_subscription_add")
    data = form_data(staff_client.get(url)) | {
        "subscriber": subscriber.pk, "starts_on": "2026-01-01", "ends_on": "2026-12-31", "note": "会员单位",
    }  # fmt: skip
    response = staff_client.post(url, data)
    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert (subscription.status, subscription.decided_by) == ("approved", staff_client.user)


def test_a_subscription_cannot_end_before_it_starts(staff_client):
    url = reverse("admin:subscriptions_subscription_add")
    data = form_data(staff_client.get(url)) | {
        "subscriber": make_subscriber().pk, "starts_on": "2026-12-31", "ends_on": "2026-01-01",
    }  # fmt: skip
    response = staff_client.post(url, data)
    assert "截止日期不能早于起始日期。" in response.content.decode() and not Subscription.objects.exists()


# Institutions ---------------------------------------------------------------------------------------


def institution_form(staff_client, *cidrs):
    url = reverse("admin:subscriptions_institution_add")
    data = form_data(staff_client.get(url)) | {
        "name": "南滨大学图书馆", "starts_on": "2026-01-01", "ends_on": "2026-12-31",
        "ip_ranges-TOTAL_FORMS": str(len(cidrs)),
    }  # fmt: skip
    for n, cidr in enumerate(cidrs):
        data[f"ip_ranges-{n}-cidr"] = cidr
    return staff_client.post(url, data)


def test_institution_ip_ranges_are_checked_in_chinese(staff_client):
    html = institution_form(staff_client, "202.120.0.0/33").content.decode()
    assert "不是有效的 IP 段" in html
    html = institution_form(staff_client, "202.120.7.0/16").content.decode()
    assert "含有主机位，应写成 202.120.0.0/16" in html
    assert not Institution.objects.exists()
    assert institution_form(staff_client, "202.120.0.0/16", "2001:da8::/32", "10.1.2.3").status_code == 302
    ranges = sorted(Institution.objects.get().ip_ranges.values_list("cidr", flat=True))
    assert ranges == ["10.1.2.3/32", "2001:da8::/32", "202.120.0.0/16"]


# Statistics and CSV ------------------------------------------------------------------------------------


@pytest.fixture
def downloads():
    """Issue 1: 李明 twice, 王芳 once, the library twice; issue 2: 李明 once."""
    first = make_issue(year=2017, number=1, total_number=26, status="published")
    second = make_issue(year=2017, number=2, total_number=27, status="published")
    liming = make_subscriber(name="李明", organisation="南滨市商务局", email="liming@example.cn")
    wangfang = make_subscriber(name="王芳", organisation="", email="wangfang@example.cn")
    library = make_institution(name="南滨市图书馆")
    when = timezone.now() - datetime.timedelta(days=1)
    for issue, user, institution in [
        (first, liming.user, None), (first, liming.user, None), (first, wangfang.user, None),
        (first, None, library), (first, None, library), (second, liming.user, None),
    ]:  # fmt: skip
        Download.objects.create(issue=issue, user=user, institution=institution, ip="203.0.113.7", downloaded_at=when)
    return first, second


def read_csv(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="downloads-')
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")  # so Excel reads the Chinese as UTF-8
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_statistics_show_downloads_per_issue_subscriber_and_institution(staff_client, downloads):
    html = staff_client.get(reverse("admin:subscriptions_download_statistics")).content.decode()
    assert "共 6 次下载" in html
    for caption in ("按期次", "按订阅用户", "按机构"):
        assert caption in html


def test_csv_exports_per_issue_per_subscriber_per_institution_and_the_log(staff_client, downloads):
    export = lambda table, query="": staff_client.get(  # noqa: E731
        reverse("admin:subscriptions_download_export", args=[table]) + query
    )
    assert read_csv(export("issues")) == [
        ["期次", "总期号", "下载次数", "PDF", "EPUB", "读者数", "机构数", "其中单篇文章"],
        ["2017年第2期", "27", "1", "1", "0", "1", "0", "0"],
        ["2017年第1期", "26", "5", "5", "0", "2", "1", "0"],
    ]
    rows = read_csv(export("subscribers"))
    assert rows[0] == ["姓名", "单位", "电子邮箱", "下载次数", "期数", "最近下载"]
    assert [row[:5] for row in rows[1:]] == [
        ["李明", "南滨市商务局", "liming@example.cn", "3", "2"],
        ["王芳", "", "wangfang@example.cn", "1", "1"],
    ]
    assert [row[:3] for row in read_csv(export("institutions"))] == [
        ["机构", "下载次数", "期数"],
        ["南滨市图书馆", "2", "1"],
    ]
    log = read_csv(export("log"))
    assert log[0] == ["下载时间", "期次", "读者", "单位", "电子邮箱", "机构", "IP 地址", "文章", "格式"]
    assert len(log) == 7 and log[1][1:4] == ["2017年第1期（总第26期）", "李明（南滨市商务局）", "南滨市商务局"]

    # The exports follow the list's filters.
    first, second = downloads
    assert len(read_csv(export("log", f"?issue__id__exact={second.pk}"))) == 2
    assert read_csv(export("issues", f"?issue__id__exact={second.pk}"))[1:] == [
        ["2017年第2期", "27", "1", "1", "0", "1", "0", "0"]
    ]
    assert staff_client.get(reverse("admin:subscriptions_download_export", args=["nothing"])).status_code == 404


def test_statistics_and_subscriber_list_make_a_fixed_number_of_queries(staff_client, django_assert_max_num_queries):
    issue = make_issue(status="published")
    for n in range(30):
        subscriber = make_subscriber(name=f"读者{n}", email=f"r{n}@example.cn")
        make_subscription(subscriber=subscriber)
        Download.objects.create(issue=issue, user=subscriber.user)
    for url, most in [  # each includes the sidebar's three counts of waiting work (issues/desk/sites.py)
        (
            reverse("admin:subscriptions_download_statistics"),
            16,
        ),  # four tables: issues, articles, readers, institutions
        (reverse("admin:subscriptions_subscriber_changelist"), 15),
        (reverse("admin:subscriptions_download_changelist"), 17),
        (reverse("admin:subscriptions_subscription_changelist"), 15),
    ]:
        with django_assert_max_num_queries(most):
            assert staff_client.get(url).status_code == 200


def test_the_issue_list_counts_downloads_and_links_to_them(staff_client, downloads):
    first, second = downloads
    html = staff_client.get(reverse("admin:issues_issue_changelist")).content.decode()
    link = reverse("admin:subscriptions_download_changelist") + f"?issue__id__exact={first.pk}"
    assert f'<a href="{link}">5</a>' in html
    listed = staff_client.get(link).content.decode()
    assert listed.count('<td class="field-who">') == 5


def test_the_active_filter_lists_only_approved_current_subscriptions(staff_client):
    active = make_subscription(subscriber=make_subscriber(name="有效读者", email="a@example.cn"))
    make_subscription(subscriber=make_subscriber(name="待审读者", email="b@example.cn"), status="pending")
    make_subscription(subscriber=make_subscriber(name="过期读者", email="c@example.cn"), starts_in_days=-800)
    html = staff_client.get(reverse("admin:subscriptions_subscription_changelist") + "?active=yes").content.decode()
    assert str(active.subscriber) in html and "待审读者" not in html and "过期读者" not in html
    html = staff_client.get(reverse("admin:subscriptions_subscription_changelist") + "?active=expired").content.decode()
    assert "过期读者" in html and "有效读者" not in html


def test_each_decision_is_logged_with_who_and_when(staff_client, act):
    subscription = make_subscription(subscriber=make_subscriber(), status="pending")
    act("approve", [subscription])
    act("refuse", [subscription])
    log = list(subscription.status_changes.order_by("id").values_list("from_status", "to_status", "changed_by"))
    assert log == [("pending", "approved", staff_client.user.pk), ("approved", "refused", staff_client.user.pk)]
    page = staff_client.get(reverse("admin:subscriptions_subscription_change", args=[subscription.pk]))
    assert "审批记录" in page.content.decode()


def test_statistics_and_exports_need_the_right_to_see_downloads(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="clerk", password="x", is_staff=True))
    assert client.get(reverse("admin:subscriptions_download_statistics")).status_code == 403
    assert client.get(reverse("admin:subscriptions_download_export", args=["log"])).status_code == 403
