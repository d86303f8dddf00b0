"""New-issue e-mails to subscribers: once each, in batches, with a one-click unsubscribe."""

import re

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.test import Client
from django.urls import reverse

from articles.services import issue_publish, issue_withdraw
from issues.models import Issue
from issues.subscriptions.models import PublicationNotice, Subscriber, Subscription
from issues.subscriptions.services import publication_notices_send
from tests.factories import make_article, make_issue, make_subscriber, make_subscription, proofread

pytestmark = pytest.mark.django_db


def subscribers(count, **subscription):
    people = []
    for n in range(count):
        subscriber = make_subscriber(name=f"读者{n}", email=f"reader{n}@example.cn")
        make_subscription(subscriber=subscriber, **subscription)
        people.append(subscriber)
    return people


def recipients():
    return sorted(address for message in mail.outbox for address in message.to)


def unsubscribe_link(message):
    return re.search(r"http://\S+/accounts/notices/unsubscribe/\S+/", message.body).group(0)


def test_publishing_an_issue_emails_each_active_subscriber_once(django_capture_on_commit_callbacks):
    active = subscribers(2)
    make_subscription(subscriber=make_subscriber(name="待审", email="pending@example.cn"), status="pending")
    make_subscription(subscriber=make_subscriber(name="过期", email="old@example.cn"), starts_in_days=-800)
    make_subscription(subscriber=make_subscriber(name="退订", email="quiet@example.cn", receives_notices=False))
    unconfirmed = make_subscriber(name="未确认", email="new@example.cn")
    unconfirmed.user.is_active = False
    unconfirmed.user.save()
    make_subscription(subscriber=unconfirmed)
    issue = make_issue(year=2017, number=1, total_number=26, status=Issue.Status.READY, title="跨境电商专题")
    make_article(issue=issue, title="文章", status="ready")
    proofread(issue)

    with django_capture_on_commit_callbacks(execute=True):
        issue_publish(issue=issue)
    assert recipients() == sorted(subscriber.email for subscriber in active)
    message = mail.outbox[0]
    assert message.subject == "《期刊名称》2017年第1期（总第26期）已出版"
    assert "跨境电商专题" in message.body and "http://127.0.0.1:8000/issues/2017/1/" in message.body
    assert "http://127.0.0.1:8000/issues/2017/1/pdf/" in message.body
    assert message.extra_headers["List-Unsubscribe"] == f"<{unsubscribe_link(message)}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Withdrawn and published again, or the job run twice: nobody hears twice.
    with django_capture_on_commit_callbacks(execute=True):
        issue_withdraw(issue=issue)
        issue_publish(issue=issue)
    assert publication_notices_send(issue=issue) == 0
    assert len(mail.outbox) == 2
    assert PublicationNotice.objects.filter(issue=issue, sent_at__isnull=False).count() == 2


def test_a_subscriber_who_joins_later_is_told_on_the_next_run_and_only_they_are():
    subscribers(2)
    issue = make_issue(status=Issue.Status.PUBLISHED)
    assert publication_notices_send(issue=issue) == 2
    late = make_subscriber(name="新读者", email="late@example.cn")
    make_subscription(subscriber=late)
    assert publication_notices_send(issue=issue) == 1
    assert mail.outbox[-1].to == ["late@example.cn"] and len(mail.outbox) == 3


def test_unpublished_issues_send_nothing():
    subscribers(1)
    assert publication_notices_send(issue=make_issue(status=Issue.Status.READY)) == 0
    assert mail.outbox == [] and not PublicationNotice.objects.exists()


class FailOnThirdBatch(EmailBackend):
    """An SMTP server that accepts two batches and then goes away."""

    batches = 0

    def send_messages(self, messages):
        type(self).batches += 1
        if type(self).batches == 3:
            raise ConnectionRefusedError("mail server down")
        return super().send_messages(messages)


def test_notices_go_in_batches_and_a_failed_batch_is_retried_later(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FailOnThirdBatch"
    FailOnThirdBatch.batches = 0
    people = subscribers(7)
    issue = make_issue(status=Issue.Status.PUBLISHED)
    with pytest.raises(ConnectionRefusedError):
        publication_notices_send(issue=issue, batch_size=2)
    assert len(mail.outbox) == 4  # two batches of two went out
    assert PublicationNotice.objects.count() == 4  # the failed batch's claims were released

    assert publication_notices_send(issue=issue, batch_size=2) == 3  # the server is back
    assert recipients() == sorted(subscriber.email for subscriber in people)


def test_the_link_in_the_email_unsubscribes_in_one_click_and_can_be_undone(client):
    (subscriber,) = subscribers(1)
    publication_notices_send(issue=make_issue(status=Issue.Status.PUBLISHED))
    link = unsubscribe_link(mail.outbox[0]).removeprefix("http://127.0.0.1:8000")

    response = client.get(link)
    assert response.status_code == 200 and "已退订" in response.content.decode()
    subscriber.refresh_from_db()
    assert not subscriber.receives_notices
    assert publication_notices_send(issue=make_issue(number=2, status=Issue.Status.PUBLISHED)) == 0
    assert Subscription.objects.active().filter(subscriber=subscriber).exists()  # the subscription stays

    token = link.rstrip("/").rsplit("/", 1)[1]
    response = client.post(reverse("subscriptions:resubscribe", args=[token]))
    assert "已恢复" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.receives_notices


def test_mail_programs_unsubscribe_with_a_post_and_no_csrf_token():
    (subscriber,) = subscribers(1)
    publication_notices_send(issue=make_issue(status=Issue.Status.PUBLISHED))
    link = unsubscribe_link(mail.outbox[0]).removeprefix("http://127.0.0.1:8000")
    response = Client(enforce_csrf_checks=True).post(link, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not Subscriber.objects.get(pk=subscriber.pk).receives_notices


def test_a_tampered_unsubscribe_link_changes_nothing(client):
    (subscriber,) = subscribers(1)
    publication_notices_send(issue=make_issue(status=Issue.Status.PUBLISHED))
    link = unsubscribe_link(mail.outbox[0]).removeprefix("http://127.0.0.1:8000")
    response = client.get(link.rstrip("/") + "tampered/")
    assert response.status_code == 400 and "退订链接无效" in response.content.decode()
    assert Subscriber.objects.get(pk=subscriber.pk).receives_notices


def test_editors_can_send_the_notices_again_and_only_those_not_told_get_one(
    staff_client, django_capture_on_commit_callbacks
):
    subscribers(1)
    issue = make_issue(status=Issue.Status.PUBLISHED)
    draft = make_issue(number=2)
    publication_notices_send(issue=issue)
    make_subscription(subscriber=make_subscriber(name="新读者", email="late@example.cn"))
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:issues_issue_changelist"),
            {"action": "send_notices", "_selected_action": [issue.pk, draft.pk]},
            follow=True,
        )
    html = response.content.decode()
    assert "已安排发送 1 期的新刊通知" in html and "未发布的期不发送新刊通知" in html
    assert recipients() == ["late@example.cn", "reader0@example.cn"] and len(mail.outbox) == 2
