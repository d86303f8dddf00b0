"""Reader accounts: registering, confirming the e-mail address, signing in, passwords and the account page."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from issues.mail import deliver_email
from issues.models import Issue, Periodical
from issues.subscriptions.models import Download, Subscriber, Subscription
from issues.subscriptions.services import REGISTRATION_RATE, subscription_refuse
from tests.factories import make_issue, make_subscriber, make_subscription
from tests.forms import form_data

pytestmark = pytest.mark.django_db

User = get_user_model()
Status = Subscription.Status
PASSWORD = "pw-reader-2017"


def registration_data(**overrides):
    data = {
        "name": "李明",
        "organisation": "南滨市商务局",
        "email": "LiMing@Example.cn",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "website": "",
    }
    return data | overrides


def register(client, *, ip="10.0.0.1", **overrides):
    return client.post("/accounts/register/", registration_data(**overrides), REMOTE_ADDR=ip)


def registered(client, capture, **overrides):
    """Register through the form and return the confirmation e-mail it sent."""
    with capture(execute=True):
        response = register(client, **overrides)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert len(mail.outbox) == 1
    return mail.outbox[0]


def link_in(message, path):
    """The absolute link to `path`… in the body of an e-mail."""
    return re.search(rf"https?://[^/\s]+{re.escape(path)}\S*", message.body).group(0)


def field_errors(response, field):
    """The error messages shown under `field`, in the element its aria-describedby names."""
    block = re.search(rf'<div class="error" id="id_{field}_error">(.*?)</div>', response.content.decode())
    return re.findall(r"<p>([^<]*)</p>", block.group(1)) if block else []


def messages_on(response):
    return [str(message) for message in response.context["messages"]]


def signed_in(client, subscriber):
    client.force_login(subscriber.user)
    return client


def log_in(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


# Registering ----------------------------------------------------------------------------------


def test_registering_creates_an_inactive_account_and_sends_a_chinese_confirmation(
    client, django_capture_on_commit_callbacks
):
    periodical = Periodical.load()
    periodical.name = "乡村观察"
    periodical.save()

    message = registered(client, django_capture_on_commit_callbacks)

    user = User.objects.get()
    assert user.username == "liming@example.cn" and user.email == "LiMing@Example.cn" and not user.is_active
    subscriber = user.subscriber
    assert (subscriber.name, subscriber.organisation) == ("李明", "南滨市商务局")
    assert subscriber.registered_ip == "10.0.0.1" and subscriber.email_confirmed_at is None
    assert not Subscription.objects.exists()
    assert message.to == ["LiMing@Example.cn"]
    assert message.subject == "请确认您在《乡村观察》的注册邮箱"
    assert message.body.startswith("李明：\n\n您好！感谢您注册订阅《乡村观察》。")
    assert link_in(message, "/accounts/confirm/").startswith("http://testserver/accounts/confirm/")
    sent = client.get("/accounts/register/sent/")
    assert "确认邮件已发送到 LiMing@Example.cn。" in sent.content.decode()


def test_the_confirmation_link_activates_signs_in_and_files_a_pending_request(
    client, settings, django_capture_on_commit_callbacks
):
    settings.SUBSCRIPTION_DAYS = 365
    link = link_in(registered(client, django_capture_on_commit_callbacks), "/accounts/confirm/")

    response = client.get(link, follow=True)

    assert response.redirect_chain == [("/accounts/", 302)]
    assert messages_on(response) == ["邮箱已确认。您的订阅申请已提交，编辑部审核后会发邮件通知您。"]
    html = response.content.decode()
    assert "订阅状态：待审批" in html and "李明（南滨市商务局） · LiMing@Example.cn" in html
    assert response.context["user"].username == "liming@example.cn"  # signed in
    subscriber = Subscriber.objects.get()
    assert subscriber.user.is_active and subscriber.email_confirmed_at is not None
    subscription = subscriber.subscriptions.get()
    today = timezone.localdate()
    assert subscription.status == Status.PENDING and subscription.starts_on == today
    assert (subscription.ends_on - subscription.starts_on).days + 1 == 365
    assert len(mail.outbox) == 1  # nothing more until an editor decides


def test_a_used_confirmation_link_says_the_address_is_confirmed_and_offers_to_sign_in(
    client, django_capture_on_commit_callbacks
):
    link = link_in(registered(client, django_capture_on_commit_callbacks), "/accounts/confirm/")
    client.get(link)

    again = Client().get(link, follow=True)

    assert again.redirect_chain == [("/accounts/login/", 302)]
    assert messages_on(again) == ["您的邮箱已经确认过了，请登录。"]
    assert Subscription.objects.count() == 1


@pytest.mark.parametrize("tamper", ["token", "uid"])
def test_a_tampered_confirmation_link_is_refused(client, django_capture_on_commit_callbacks, tamper):
    link = link_in(registered(client, django_capture_on_commit_callbacks), "/accounts/confirm/")
    uid, token = link.rstrip("/").split("/")[-2:]
    if tamper == "token":
        token = token[:-1] + ("a" if token[-1] != "a" else "b")
    else:
        uid = "OTk5"  # base64 of 999, nobody

    response = client.get(f"/accounts/confirm/{uid}/{token}/")

    assert response.status_code == 400
    assert "确认链接无效" in response.content.decode() and "重新发送确认邮件" in response.content.decode()
    assert not User.objects.get().is_active and not Subscription.objects.exists()


def test_with_auto_approval_the_confirmed_reader_is_subscribed_at_once(
    client, settings, django_capture_on_commit_callbacks
):
    settings.SUBSCRIPTION_AUTO_APPROVE = True
    Periodical.objects.update_or_create(pk=1, defaults={"name": "乡村观察"})
    link = link_in(registered(client, django_capture_on_commit_callbacks), "/accounts/confirm/")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(link, follow=True)

    assert messages_on(response) == ["邮箱已确认，订阅已开通。"]
    assert "订阅状态：有效" in response.content.decode()
    subscription = Subscription.objects.get()
    assert subscription.status == Status.APPROVED and subscription.is_active and subscription.decided_by is None
    approval = mail.outbox[-1]
    assert len(mail.outbox) == 2 and approval.to == ["LiMing@Example.cn"]
    assert approval.subject == "您的《乡村观察》订阅已开通"
    assert f"订阅期为 {subscription.starts_on:%Y}年" in approval.body


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"password2": "pw-reader-2018"}, "password2", "两次输入的密码不一致。"),
        ({"password1": "583920174622", "password2": "583920174622"}, "password1", "密码只包含数字。"),
        ({"password1": "q7#Lm", "password2": "q7#Lm"}, "password1", "密码长度太短。密码必须包含至少 8 个字符。"),
        ({"password1": "password123", "password2": "password123"}, "password1", "这个密码太常见了。"),
        ({"password1": "liming@example.cn", "password2": "liming@example.cn"}, "password1", "太相似"),
        ({"email": "liming.example.cn"}, "email", "输入一个有效的 Email 地址。"),
        ({"name": "  "}, "name", "这个字段是必填项。"),
    ],
    ids=["mismatch", "numeric", "too short", "common", "like the e-mail", "bad e-mail", "no name"],
)
def test_bad_registrations_say_what_is_wrong_in_chinese_and_create_nothing(client, overrides, field, message):
    make_subscriber(email="taken@example.cn")
    users_before = User.objects.count()

    response = register(client, **overrides)

    assert response.status_code == 200
    errors = field_errors(response, field)
    assert errors and message in errors[0], (
        errors,
        re.findall(r'class="error"[^>]*>([^<]*)', response.content.decode()),
    )
    assert User.objects.count() == users_before and mail.outbox == []
    kept = form_data(response)
    assert kept["organisation"] == "南滨市商务局" and kept["password1"] == ""  # passwords are not sent back


def test_registering_a_known_address_looks_the_same_and_mails_that_address(client, django_capture_on_commit_callbacks):
    make_subscriber(email="taken@example.cn")
    users_before = User.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = register(client, email="TAKEN@example.CN")
    assert response.status_code == 302 and response["Location"] == "/accounts/register/sent/"
    assert User.objects.count() == users_before
    (message,) = mail.outbox
    assert message.to == ["TAKEN@example.CN"] and "这个邮箱已经注册过了" in message.body
    assert "/accounts/password/reset/" in message.body and "确认" not in message.subject


def test_the_honeypot_creates_nothing_but_looks_like_success(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/register/", registration_data(website="http://spam.example"), REMOTE_ADDR="10.0.0.1", follow=True
        )
    assert response.redirect_chain == [("/accounts/register/sent/", 302)]
    assert "确认邮件已发送。" in response.content.decode()
    assert not User.objects.exists() and mail.outbox == []


def test_an_ip_address_may_register_five_accounts_an_hour(client, django_capture_on_commit_callbacks):
    assert REGISTRATION_RATE.limit == 5
    two_hours_ago = timezone.now() - datetime.timedelta(hours=2)
    make_subscriber(email="old@example.cn", registered_ip="10.0.0.1", registered_at=two_hours_ago)
    for n in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            assert register(Client(), email=f"reader{n}@example.cn").status_code == 302, n

    response = register(client, email="reader6@example.cn")

    assert response.status_code == 429
    assert messages_on(response) == ["该网络在一小时内注册次数过多，请稍后再试。"]
    assert not User.objects.filter(username="reader6@example.cn").exists() and len(mail.outbox) == 5
    assert register(Client(), email="reader6@example.cn", ip="10.0.0.2").status_code == 302


def test_a_signed_in_reader_is_not_offered_the_registration_form(client):
    signed_in(client, make_subscriber())
    response = client.get("/accounts/register/")
    assert response.status_code == 302 and response["Location"] == "/accounts/"


# Signing in and out ---------------------------------------------------------------------------


def test_a_reader_signs_in_with_the_email_in_any_letter_case(client):
    make_subscriber(email="liming@example.cn", password=PASSWORD)

    response = log_in(client, "  LiMing@Example.CN ", PASSWORD)

    assert response.status_code == 302 and response["Location"] == "/accounts/"
    assert "我的订阅" in client.get("/accounts/").content.decode()


def test_an_unconfirmed_account_is_told_to_confirm_rather_than_that_the_password_is_wrong(
    client, django_capture_on_commit_callbacks
):
    registered(client, django_capture_on_commit_callbacks)

    right = log_in(client, "liming@example.cn", PASSWORD)
    wrong = log_in(client, "liming@example.cn", "not-my-password")

    assert right.status_code == 200 and "该账号尚未确认邮箱。请点击注册确认邮件中的链接。" in right.content.decode()
    assert "邮箱（用户名）或密码不正确。" in wrong.content.decode()
    assert "尚未确认邮箱" not in wrong.content.decode()  # only the owner learns the account exists


def test_a_wrong_password_gets_a_chinese_error(client):
    make_subscriber(email="liming@example.cn", password=PASSWORD)

    response = log_in(client, "liming@example.cn", "pw-reader-2016")

    assert response.status_code == 200 and "邮箱（用户名）或密码不正确。" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_login_page_explains_why_a_pdf_needs_an_account(client):
    html = client.get("/accounts/login/", {"next": "/issues/2017/1/pdf/"}).content.decode()
    assert "各期 PDF 仅供订阅用户下载，请先登录。" in html
    assert 'name="next" value="/issues/2017/1/pdf/"' in html


def test_signing_out_is_a_post(client):
    signed_in(client, make_subscriber())

    assert client.get("/accounts/logout/").status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post("/accounts/logout/")

    assert response.status_code == 302 and response["Location"] == "/"
    assert "_auth_user_id" not in client.session


# Sending the confirmation again ---------------------------------------------------------------

RESENT = "如果该邮箱已注册且尚未确认，确认邮件已重新发出，请查收。"


def test_the_confirmation_is_sent_again_to_an_unconfirmed_account(client, django_capture_on_commit_callbacks):
    registered(client, django_capture_on_commit_callbacks)

    response = client.post("/accounts/confirm/resend/", {"email": "liming@EXAMPLE.cn"}, follow=True)

    assert messages_on(response) == [RESENT]
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["LiMing@Example.cn"]
    client.get(link_in(mail.outbox[1], "/accounts/confirm/"))
    assert User.objects.get().is_active


@pytest.mark.parametrize("email", ["liming@example.cn", "nobody@example.cn"], ids=["confirmed", "unknown"])
def test_the_confirmation_is_not_sent_to_confirmed_or_unknown_addresses_and_the_answer_is_the_same(client, email):
    make_subscriber(email="liming@example.cn")

    response = client.post("/accounts/confirm/resend/", {"email": email}, follow=True)

    assert messages_on(response) == [RESENT] and mail.outbox == []


def test_a_deactivated_account_cannot_reactivate_itself_through_the_confirmation(
    client, django_capture_on_commit_callbacks
):
    link = link_in(registered(client, django_capture_on_commit_callbacks), "/accounts/confirm/")
    client.get(link)
    client.logout()
    User.objects.update(is_active=False)  # an editor switched the account off in the admin

    client.post("/accounts/confirm/resend/", {"email": "liming@example.cn"})
    client.get(link)
    response = log_in(client, "liming@example.cn", PASSWORD)

    assert len(mail.outbox) == 1 and not User.objects.get().is_active
    assert "邮箱（用户名）或密码不正确。" in response.content.decode()


# Passwords ------------------------------------------------------------------------------------


def test_a_reader_resets_a_forgotten_password_from_a_chinese_email(client):
    Periodical.objects.update_or_create(pk=1, defaults={"name": "乡村观察"})
    make_subscriber(email="liming@example.cn", password=PASSWORD)

    response = client.post("/accounts/password/reset/", {"email": "LiMing@example.cn"}, follow=True)

    assert response.redirect_chain == [("/accounts/password/reset/sent/", 302)]
    assert "重设密码的链接已发送" in response.content.decode()
    message = mail.outbox[0]
    assert message.to == ["liming@example.cn"] and message.subject == "重设您在 乡村观察 的密码"
    assert "有人（希望是您本人）申请重设 乡村观察 账号 liming@example.cn 的密码。" in message.body
    form = client.get(link_in(message, "/accounts/password/reset/"), follow=True)
    assert "设置新密码" in form.content.decode() and form.context["validlink"]
    too_short = client.post(form.request["PATH_INFO"], {"new_password1": "q7#Lm", "new_password2": "q7#Lm"})
    assert "密码长度太短。密码必须包含至少 8 个字符。" in too_short.content.decode()

    done = client.post(
        form.request["PATH_INFO"], {"new_password1": "new-pw-2025!", "new_password2": "new-pw-2025!"}, follow=True
    )

    assert (
        done.redirect_chain == [("/accounts/password/reset/done/", 302)] and "新密码已生效。" in done.content.decode()
    )
    assert log_in(Client(), "liming@example.cn", PASSWORD).status_code == 200  # the old one no longer works
    assert log_in(Client(), "liming@example.cn", "new-pw-2025!").status_code == 302
    assert client.get(link_in(message, "/accounts/password/reset/"), follow=True).context["validlink"] is False


def test_a_signed_in_reader_changes_the_password(client):
    signed_in(client, make_subscriber(email="liming@example.cn", password=PASSWORD))

    wrong = client.post(
        "/accounts/password/change/",
        {"old_password": "guess", "new_password1": "new-pw-2025!", "new_password2": "new-pw-2025!"},
    )
    response = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": "new-pw-2025!", "new_password2": "new-pw-2025!"},
        follow=True,
    )

    assert "你的旧密码不正确。请重新输入。" in wrong.content.decode()
    assert response.redirect_chain == [("/accounts/password/change/done/", 302)]
    assert "您的密码已修改。" in response.content.decode()
    assert log_in(Client(), "liming@example.cn", "new-pw-2025!").status_code == 302


def test_changing_the_password_needs_a_signed_in_reader(client):
    response = client.get("/accounts/password/change/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/accounts/password/change/"


# The account page -----------------------------------------------------------------------------


def test_the_account_page_needs_a_signed_in_reader(client):
    response = client.get("/accounts/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/accounts/"


def account_page(client):
    response = client.get("/accounts/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_account_page_of_a_reader_without_a_subscription_offers_to_apply(client):
    signed_in(client, make_subscriber())
    html = account_page(client)
    assert "您还没有订阅。" in html and ">申请订阅</button>" in html and "订阅状态" not in html


def test_the_account_page_shows_an_active_subscription_and_its_dates(client):
    subscriber = make_subscriber()
    subscription = make_subscription(subscriber=subscriber, starts_in_days=-30, days=365)
    signed_in(client, subscriber)

    html = account_page(client)

    assert "订阅状态：有效" in html
    start, end = subscription.starts_on, subscription.ends_on
    assert f"订阅期：{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日" in html
    assert ">申请续订</button>" in html


@pytest.mark.parametrize(
    ("status", "starts_in_days", "state", "renewable"),
    [
        (Status.PENDING, 0, "订阅状态：待审批", False),
        (Status.REFUSED, 0, "订阅状态：未批准", True),
        (Status.APPROVED, -400, "订阅状态：已到期", True),
        (Status.APPROVED, 10, "订阅状态：尚未开始", True),
    ],
    ids=["pending", "refused", "expired", "not yet started"],
)
def test_the_account_page_says_what_state_the_subscription_is_in(client, status, starts_in_days, state, renewable):
    subscriber = make_subscriber()
    make_subscription(subscriber=subscriber, status=status, starts_in_days=starts_in_days)
    signed_in(client, subscriber)

    html = account_page(client)

    assert state in html
    assert ("申请续订</button>" in html) is renewable
    assert ("正在等待编辑部审核" in html) is (status == Status.PENDING)


def test_a_refused_request_shows_the_editors_note(client):
    subscriber = make_subscriber()
    subscription = make_subscription(subscriber=subscriber, status=Status.PENDING)
    subscription_refuse(subscription=subscription, by=None, note="请注明单位全称。")
    signed_in(client, subscriber)

    assert "编辑部说明：请注明单位全称。" in account_page(client)


def test_renewing_files_one_request_starting_when_the_current_subscription_ends(client):
    subscriber = make_subscriber()
    current = make_subscription(subscriber=subscriber, starts_in_days=-300, days=365)
    signed_in(client, subscriber)

    response = client.post("/accounts/renew/", follow=True)
    client.post("/accounts/renew/")

    assert messages_on(response) == ["订阅申请已提交，编辑部审核后会发邮件通知您。"]
    renewal = subscriber.subscriptions.get(status=Status.PENDING)
    assert renewal.starts_on == current.ends_on + datetime.timedelta(days=1)
    assert renewal.ends_on == current.ends_on + datetime.timedelta(days=365)
    assert subscriber.subscriptions.count() == 2
    html = response.content.decode()
    assert "订阅状态：有效" in html and "申请续订</button>" not in html  # the active one is still what counts


def test_renewing_after_an_approved_renewal_continues_from_its_end(client):
    subscriber = make_subscriber()
    current = make_subscription(subscriber=subscriber, starts_in_days=-300, days=365)
    renewal = make_subscription(subscriber=subscriber, starts_in_days=65, days=365)
    assert renewal.starts_on == current.ends_on + datetime.timedelta(days=1)
    signed_in(client, subscriber)

    client.post("/accounts/renew/")

    another = subscriber.subscriptions.get(status=Status.PENDING)
    assert another.starts_on == renewal.ends_on + datetime.timedelta(days=1)


def test_a_reader_without_a_subscription_asks_for_one_starting_today(client, settings):
    settings.SUBSCRIPTION_DAYS = 30
    subscriber = make_subscriber()
    make_subscription(subscriber=subscriber, starts_in_days=-400, days=365)  # long expired
    signed_in(client, subscriber)

    client.post("/accounts/renew/")

    request = subscriber.subscriptions.get(status=Status.PENDING)
    assert request.starts_on == timezone.localdate()
    assert request.ends_on == timezone.localdate() + datetime.timedelta(days=29)


def test_renewing_with_auto_approval_says_the_subscription_is_open(
    client, settings, django_capture_on_commit_callbacks
):
    settings.SUBSCRIPTION_AUTO_APPROVE = True
    subscriber = make_subscriber()
    signed_in(client, subscriber)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/renew/", follow=True)

    assert messages_on(response) == ["订阅已开通。"]
    assert "订阅状态：有效" in response.content.decode()
    assert subscriber.subscriptions.get().status == Status.APPROVED and len(mail.outbox) == 1


def test_renewing_is_a_post_for_a_signed_in_reader(client):
    signed_in(client, make_subscriber())
    assert client.get("/accounts/renew/").status_code == 405
    assert not Subscription.objects.exists()
    client.logout()
    assert client.post("/accounts/renew/")["Location"] == "/accounts/login/?next=/accounts/renew/"


def test_the_notices_switch_turns_publication_emails_off_and_on(client):
    subscriber = make_subscriber()
    signed_in(client, subscriber)
    assert "新刊出版时，我们会发邮件通知您。" in account_page(client)

    off = client.post("/accounts/notices/", {"receives_notices": "0"}, follow=True)
    subscriber.refresh_from_db()
    assert not subscriber.receives_notices
    assert messages_on(off) == ["已关闭新刊邮件通知。"] and "您已关闭新刊邮件通知。" in off.content.decode()

    on = client.post("/accounts/notices/", {"receives_notices": "1"}, follow=True)
    subscriber.refresh_from_db()
    assert subscriber.receives_notices and messages_on(on) == ["已开启新刊邮件通知。"]
    assert client.get("/accounts/notices/").status_code == 405


def test_the_account_page_lists_recent_downloads(client):
    subscriber = make_subscriber()
    make_subscription(subscriber=subscriber)
    issue = make_issue(year=2017, number=3, status=Issue.Status.PUBLISHED)
    Download.objects.create(issue=issue, user=subscriber.user, ip="10.0.0.1")
    signed_in(client, subscriber)

    html = account_page(client)

    assert "最近下载" in html and f'<a href="{issue.get_absolute_url()}">2017年第3期（总第173期）</a>' in html


def test_a_staff_account_without_subscriber_details_is_told_so(staff_client):
    html = account_page(staff_client)
    assert "此账号没有订阅资料。" in html and "编辑部工作人员可以直接下载各期 PDF。" in html


def test_the_account_page_takes_as_many_queries_for_many_subscriptions_and_downloads_as_for_one(
    client, django_assert_max_num_queries
):
    one, many = make_subscriber(email="one@example.cn"), make_subscriber(email="many@example.cn")
    make_subscription(subscriber=one)
    for years_ago in range(4):
        make_subscription(subscriber=many, starts_in_days=-30 - 365 * years_ago)
    make_subscription(subscriber=many, status=Status.PENDING, starts_in_days=335)
    issues = [make_issue(year=2010 + n, number=1, status=Issue.Status.PUBLISHED) for n in range(12)]
    Download.objects.create(issue=issues[0], user=one.user)
    for issue in issues:
        Download.objects.create(issue=issue, user=many.user)
    Periodical.load()

    signed_in(client, one)
    account_page(client)  # the session and the periodical are warm, as for every later page
    with django_assert_max_num_queries(10) as for_one:
        assert "2010年第1期" in account_page(client)
    queries_for_one = len(for_one)  # read now: the next request clears the query log
    signed_in(client, many)
    account_page(client)
    with django_assert_max_num_queries(queries_for_one):
        html = account_page(client)
    assert html.count("<tr><td><a") == 10  # the ten most recent downloads


# How to subscribe -----------------------------------------------------------------------------


def test_how_to_subscribe_invites_anonymous_readers_to_register(client):
    Periodical.objects.update_or_create(pk=1, defaults={"name": "乡村观察", "contact_email": "editor@example.org"})

    response = client.get("/accounts/subscribe/")

    html = response.content.decode()
    assert response.status_code == 200 and "<h1>如何订阅</h1>" in html
    assert "《乡村观察》各期 PDF 仅供订阅用户下载。" in html
    assert 'href="/accounts/register/">注册账号</a>' in html and "已有账号，登录" in html
    assert "mailto:editor@example.org" in html and "没有有效的订阅" not in html


def test_how_to_subscribe_offers_a_signed_in_reader_without_a_subscription_to_apply(client):
    signed_in(client, make_subscriber())

    response = client.get("/accounts/subscribe/")

    html = response.content.decode()
    assert response.status_code == 200 and "您的账号目前没有有效的订阅，因此不能下载 PDF。" in html
    assert ">申请订阅</button>" in html and 'href="/accounts/register/"' not in html


def test_how_to_subscribe_does_not_tell_an_active_subscriber_they_have_no_subscription(client):
    subscriber = make_subscriber()
    make_subscription(subscriber=subscriber)
    signed_in(client, subscriber)

    html = client.get("/accounts/subscribe/").content.decode()

    assert "订阅状态：有效" in html and "没有有效的订阅" not in html


def test_account_mails_wait_in_the_task_queue_not_in_the_request(client, settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # as in production
    make_subscriber(email="liming@example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": "liming@example.cn"})
        register(Client(), email="new@example.cn")
    assert mail.outbox == []
    queued = DBTaskResult.objects.order_by("enqueued_at")
    assert [result.task_path for result in queued] == ["issues.mail.deliver_email"] * 2
    for result in queued:
        deliver_email.call(**result.args_kwargs["kwargs"])
    assert sorted(message.to[0] for message in mail.outbox) == ["liming@example.cn", "new@example.cn"]
