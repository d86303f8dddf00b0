"""Brute-force limits: wrong passwords on both sign-in pages, password-reset and confirmation e-mails."""

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core import mail
from django.db.models import F
from django.http import HttpRequest

from issues.subscriptions.models import AccountMail
from tests.factories import make_subscriber

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent
LIMIT = 5  # the defaults: BULLETIN_LOGIN_FAILURE_LIMIT, BULLETIN_LOGIN_LOCKOUT_MINUTES
MINUTES = 15
LOCKED = f"登录失败次数过多，请 {MINUTES} 分钟后再试。"
ATTACKER, READER = "203.0.113.66", "198.51.100.7"


@pytest.fixture(autouse=True)
def default_limits(settings):
    """The numbers these tests count to are the defaults, whatever the environment of the run sets."""
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=MINUTES)
    settings.ACCOUNT_MAIL_LIMIT = 3
    settings.ACCOUNT_MAIL_IP_LIMIT = 20


@pytest.fixture
def editor():
    return get_user_model().objects.create_superuser(username="editor", password="pw-editor-123")


@pytest.fixture
def reader():
    return make_subscriber(email="liming@example.cn", password="pw-reader-2017").user


# Each sign-in page with the account that signs in there and its right password.
PAGES = {
    "reader": ("/accounts/login/", "reader", "liming@example.cn", "pw-reader-2017"),
    "admin": ("/admin/login/", "editor", "editor", "pw-editor-123"),
}


@pytest.fixture(params=PAGES.values(), ids=PAGES.keys())
def page(request):
    url, account, username, password = request.param
    request.getfixturevalue(account)
    return url, username, password


def sign_in(client, url, username, password, ip=ATTACKER):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


def signed_in_as(client):
    return get_user_model().objects.filter(pk=client.session.get("_auth_user_id")).first()


def fail(client, url, username, times, ip=ATTACKER):
    return [sign_in(client, url, username, f"wrong-{n}", ip=ip) for n in range(times)]


def age_attempts(minutes):
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - datetime.timedelta(minutes=minutes))


# Signing in -------------------------------------------------------------------------------------


def test_wrong_passwords_lock_the_account_out_and_then_the_right_one_is_refused(client, page):
    url, username, password = page

    responses = fail(client, url, username, LIMIT)
    assert [response.status_code for response in responses] == [200] * (LIMIT - 1) + [429]

    response = sign_in(client, url, username, password)

    assert response.status_code == 429 and LOCKED in response.content.decode()
    assert response["Retry-After"] == str(MINUTES * 60)
    assert signed_in_as(client) is None


def test_one_wrong_password_fewer_than_the_limit_still_lets_the_right_one_in(client, page):
    url, username, password = page
    fail(client, url, username, LIMIT - 1)

    response = sign_in(client, url, username, password)

    assert response.status_code == 302 and signed_in_as(client).get_username() == username


def test_the_lockout_page_of_the_admin_is_the_admins(client, editor):
    fail(client, "/admin/login/", "editor", LIMIT)

    page = sign_in(client, "/admin/login/", "editor", "pw-editor-123").content.decode()

    assert "期刊编辑部" in page and LOCKED in page


def test_the_lockout_page_of_readers_offers_a_password_reset(client, reader):
    fail(client, "/accounts/login/", "liming@example.cn", LIMIT)

    page = sign_in(client, "/accounts/login/", "liming@example.cn", "pw-reader-2017").content.decode()

    assert LOCKED in page and 'href="/accounts/password/reset/"' in page


def test_both_pages_count_the_same_account_together(client, editor):
    fail(client, "/accounts/login/", "editor", LIMIT - 1, ip="10.0.0.1")
    fail(client, "/admin/login/", "editor", 1, ip="10.0.0.2")

    assert sign_in(client, "/admin/login/", "editor", "pw-editor-123", ip=READER).status_code == 429


def test_an_address_in_other_letters_is_the_same_account(client, reader):
    spellings = [
        "LiMing@Example.cn",
        "LIMING@EXAMPLE.CN",
        " liming@example.CN ",
        "liming@EXAMPLE.cn",
        "Liming@example.cn",
    ]
    for n, spelling in enumerate(spellings):  # each from its own network: only the account can add them up
        sign_in(client, "/accounts/login/", spelling, "wrong", ip=f"10.0.0.{n}")

    assert sign_in(client, "/accounts/login/", "liming@example.cn", "pw-reader-2017", ip=READER).status_code == 429


def test_the_locked_account_is_locked_from_every_network(client, reader):
    fail(client, "/accounts/login/", "liming@example.cn", LIMIT)

    response = sign_in(client, "/accounts/login/", "liming@example.cn", "pw-reader-2017", ip=READER)

    assert response.status_code == 429 and signed_in_as(client) is None


def test_a_network_trying_many_accounts_is_locked_out_of_all_of_them(client, reader):
    for n in range(LIMIT):
        sign_in(client, "/accounts/login/", f"guess-{n}@example.cn", "wrong")

    assert sign_in(client, "/accounts/login/", "liming@example.cn", "pw-reader-2017").status_code == 429


def test_another_account_on_another_network_is_not_affected(client, reader, editor):
    fail(client, "/admin/login/", "editor", LIMIT * 2)

    response = sign_in(client, "/accounts/login/", "liming@example.cn", "pw-reader-2017", ip=READER)

    assert response.status_code == 302 and signed_in_as(client) == reader


def test_the_lockout_ends_when_the_cool_off_has_passed_and_the_page_counts_down(client, page):
    url, username, password = page
    fail(client, url, username, LIMIT)

    age_attempts(MINUTES - 3)
    response = sign_in(client, url, username, password)
    assert response.status_code == 429 and "登录失败次数过多，请 3 分钟后再试。" in response.content.decode()
    assert 120 < int(response["Retry-After"]) <= 180
    age_attempts(3)
    response = sign_in(client, url, username, password)

    assert response.status_code == 302 and signed_in_as(client).get_username() == username


def test_the_lockout_lasts_until_enough_failures_have_aged_out(client, reader):
    fail(client, "/accounts/login/", "liming@example.cn", 2, ip="10.0.0.1")
    age_attempts(10)
    locking = fail(client, "/accounts/login/", "liming@example.cn", LIMIT - 2, ip="10.0.0.2")[-1]  # 5 in 15 minutes
    assert locking.status_code == 429 and "请 5 分钟后再试。" in locking.content.decode()  # when the first two age out
    age_attempts(6)

    response = sign_in(client, "/accounts/login/", "liming@example.cn", "pw-reader-2017", ip=READER)

    assert response.status_code == 302


def test_tries_during_a_lockout_are_refused_without_writing_anything(client, reader, django_assert_max_num_queries):
    fail(client, "/accounts/login/", "liming@example.cn", LIMIT)
    before = list(AccessAttempt.objects.values_list("failures_since_start", "post_data", "attempt_time"))

    for n in range(20):
        assert sign_in(client, "/accounts/login/", "liming@example.cn", f"flood-{n}").status_code == 429
    # Reads only; the page's share image (the latest cover, for Open Graph) is one of them.
    with django_assert_max_num_queries(10) as queries:
        response = sign_in(client, "/accounts/login/", "liming@example.cn", "pw-reader-2017")

    assert [query["sql"] for query in queries.captured_queries if not query["sql"].startswith("SELECT")] == []

    assert response.status_code == 429 and LOCKED in response.content.decode()
    assert list(AccessAttempt.objects.values_list("failures_since_start", "post_data", "attempt_time")) == before


def test_the_limit_and_cool_off_come_from_the_settings(client, settings, reader):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=90)
    fail(client, "/accounts/login/", "liming@example.cn", 2)

    response = sign_in(client, "/accounts/login/", "liming@example.cn", "pw-reader-2017")

    assert response.status_code == 429 and "登录失败次数过多，请 90 分钟后再试。" in response.content.decode()
    assert response["Retry-After"] == "5400"


def test_the_counted_address_is_the_one_the_client_address_middleware_sets(client, settings, reader):
    fail(client, "/accounts/login/", "nobody@example.cn", 2, ip="10.0.0.5")
    client.post(
        "/accounts/login/",
        {"username": "nobody@example.cn", "password": "wrong"},
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR="192.0.2.1",  # no proxy is configured: a header anyone can send
    )
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    client.post(
        "/accounts/login/",
        {"username": "nobody@example.cn", "password": "wrong"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_REAL_IP="192.0.2.44",
    )

    counted = dict(AccessAttempt.objects.values_list("ip_address", "failures_since_start"))
    assert counted == {"10.0.0.5": 3, "192.0.2.44": 1}


def test_tests_and_code_sign_in_as_before(client, reader):
    """force_login needs no password; authenticate() needs the request, which axes counts by."""
    client.force_login(reader)
    assert signed_in_as(client) == reader
    client.logout()

    assert client.login(request=HttpRequest(), username="liming@example.cn", password="pw-reader-2017")
    assert signed_in_as(client) == reader


def test_the_admin_lists_the_attempts_in_chinese(staff_client):
    fail(staff_client, "/accounts/login/", "nobody@example.cn", 2)

    index = staff_client.get("/admin/").content.decode()
    attempts = staff_client.get("/admin/axes/accessattempt/").content.decode()

    assert "登录记录" in index and "登录失败计数" in index and "登录日志" in index
    assert "失败次数" in attempts and "尝试时间" in attempts and "nobody@example.cn" in attempts


def manage(*args, env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BULLETIN_", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=clean | env, capture_output=True, text=True, timeout=120
    )


def test_the_limits_are_read_from_the_environment(tmp_path):
    code = (
        "from django.conf import settings as s; print(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME, s.ACCOUNT_MAIL_LIMIT)"
    )
    env = {
        "BULLETIN_DATA_DIR": str(tmp_path),
        "BULLETIN_LOGIN_FAILURE_LIMIT": "8",
        "BULLETIN_LOGIN_LOCKOUT_MINUTES": "30",
        "BULLETIN_ACCOUNT_MAIL_LIMIT": "2",
    }

    result = manage("shell", "-v", "0", "-c", code, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["8", "0:30:00", "2"]


@pytest.mark.parametrize("value", ["0", "-3", "five", "2.5"])
def test_a_limit_that_is_not_a_positive_whole_number_is_named(tmp_path, value):
    result = manage("check", env={"BULLETIN_DATA_DIR": str(tmp_path), "BULLETIN_LOGIN_FAILURE_LIMIT": value})

    assert result.returncode != 0
    assert f"BULLETIN_LOGIN_FAILURE_LIMIT must be a whole number of at least 1, not '{value}'" in result.stderr


# Password reset and sending the confirmation again ----------------------------------------------

RESET_SENT = "如果该邮箱已注册，重设密码的链接已发送"
RESENT = "如果该邮箱已注册且尚未确认，确认邮件已重新发出，请查收。"


def reset(client, email, ip=ATTACKER):
    return client.post("/accounts/password/reset/", {"email": email}, REMOTE_ADDR=ip, follow=True)


def resend(client, email, ip=ATTACKER):
    return client.post("/accounts/confirm/resend/", {"email": email}, REMOTE_ADDR=ip, follow=True)


def unconfirmed(email):
    subscriber = make_subscriber(email=email)
    subscriber.user.is_active = False
    subscriber.user.save()
    subscriber.email_confirmed_at = None
    subscriber.save()
    return subscriber


def neutral(response, kind):
    if kind == "reset":
        return response.redirect_chain == [("/accounts/password/reset/sent/", 302)] and (
            RESET_SENT in response.content.decode()
        )
    return [str(message) for message in response.context["messages"]] == [RESENT]


@pytest.fixture(params=["reset", "resend"])
def mail_request(request):
    """(kind, send(client, email, ip), make an account that the request sends a mail to)."""
    if request.param == "reset":
        return "reset", reset, lambda email: make_subscriber(email=email)
    return "resend", resend, unconfirmed


def test_an_address_gets_three_mails_an_hour_and_the_fourth_request_the_same_page_without_one(client, mail_request):
    kind, send, account = mail_request
    account("liming@example.cn")

    answers = [send(client, "liming@example.cn", ip=f"10.0.0.{n}") for n in range(4)]

    assert [neutral(answer, kind) for answer in answers] == [True] * 4
    assert len(mail.outbox) == 3 and {tuple(message.to) for message in mail.outbox} == {("liming@example.cn",)}


def test_the_address_is_counted_in_any_letter_case(client, mail_request):
    kind, send, account = mail_request
    account("liming@example.cn")

    for spelling in ["liming@example.cn", "LiMing@Example.cn", "LIMING@EXAMPLE.CN", "liming@EXAMPLE.cn"]:
        send(client, spelling)

    assert len(mail.outbox) == 3


def test_another_address_still_gets_its_mail(client, mail_request):
    kind, send, account = mail_request
    account("liming@example.cn")
    account("wangyi@example.cn")
    for _ in range(4):
        send(client, "liming@example.cn")

    assert neutral(send(client, "wangyi@example.cn"), kind)
    assert mail.outbox[-1].to == ["wangyi@example.cn"] and len(mail.outbox) == 4


def test_one_network_asking_for_many_addresses_is_limited_and_another_is_not(client, settings, mail_request):
    kind, send, account = mail_request
    settings.ACCOUNT_MAIL_IP_LIMIT = 2
    for n in range(4):
        account(f"reader{n}@example.cn")

    answers = [send(client, f"reader{n}@example.cn") for n in range(3)]
    assert [neutral(answer, kind) for answer in answers] == [True] * 3 and len(mail.outbox) == 2

    send(client, "reader3@example.cn", ip=READER)
    assert len(mail.outbox) == 3 and mail.outbox[-1].to == ["reader3@example.cn"]


def test_requests_for_unknown_addresses_count_too(client, settings, mail_request):
    kind, send, account = mail_request
    settings.ACCOUNT_MAIL_IP_LIMIT = 2
    account("liming@example.cn")
    send(client, "nobody@example.cn")
    send(client, "noone@example.cn")

    assert neutral(send(client, "liming@example.cn"), kind) and mail.outbox == []


def test_an_hour_later_the_address_gets_mail_again_and_old_requests_are_dropped(client, mail_request):
    kind, send, account = mail_request
    account("liming@example.cn")
    for _ in range(4):
        send(client, "liming@example.cn")
    AccountMail.objects.update(requested_at=F("requested_at") - datetime.timedelta(minutes=61))

    send(client, "liming@example.cn")

    assert len(mail.outbox) == 4 and AccountMail.objects.count() == 1
