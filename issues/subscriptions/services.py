"""Registering readers, subscription requests and decisions, and the publication notices."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from issues.mail import mail_staff, send_in_background, templated_email
from issues.models import Issue, Periodical
from issues.subscriptions.models import AccountMail, PublicationNotice, Subscriber, Subscription
from issues.throttle import RateLimit
from issues.workflow import change_status

REGISTRATION_RATE = RateLimit(
    limit=5, window=datetime.timedelta(hours=1), by_field="registered_ip", time_field="registered_at"
)
ACCOUNT_MAIL_WINDOW = datetime.timedelta(hours=1)
UNSUBSCRIBE_SALT = "bulletin.subscriptions.unsubscribe"
PENDING, APPROVED, REFUSED = Subscription.Status


class EmailConfirmationTokenGenerator(PasswordResetTokenGenerator):
    """Tokens for the link in the registration e-mail; confirming (activating) spends them."""

    key_salt = "bulletin.subscriptions.EmailConfirmationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.is_active}{user.email}{timestamp}"


confirmation_tokens = EmailConfirmationTokenGenerator()


def registrations_rate_limited(ip: str | None) -> bool:
    """Whether `ip` has registered its allowed accounts within the last hour."""
    return REGISTRATION_RATE.exceeded(Subscriber.objects.all(), ip)


@transaction.atomic
def account_mail_request(*, kind: AccountMail.Kind, email: str, ip: str | None) -> bool:
    """Whether a password-reset or confirmation e-mail to `email` may go now, recording it if so.

    At most ACCOUNT_MAIL_LIMIT an hour to one address and ACCOUNT_MAIL_IP_LIMIT an hour from one
    network address, per kind, whether or not the address has an account: a refused request is not
    recorded, so hammering does not push the hour on, and requests older than the hour are dropped.
    """
    now = timezone.now()
    AccountMail.objects.filter(requested_at__lt=now - ACCOUNT_MAIL_WINDOW).delete()
    email = email.strip().lower()
    requests = AccountMail.objects.filter(kind=kind)
    per_address = RateLimit(
        limit=settings.ACCOUNT_MAIL_LIMIT, window=ACCOUNT_MAIL_WINDOW, by_field="email", time_field="requested_at"
    )
    per_network = RateLimit(
        limit=settings.ACCOUNT_MAIL_IP_LIMIT, window=ACCOUNT_MAIL_WINDOW, by_field="ip", time_field="requested_at"
    )
    if per_address.exceeded(requests, email) or per_network.exceeded(requests, ip):
        return False
    AccountMail.objects.create(kind=kind, email=email, ip=ip or None, requested_at=now)
    return True


@transaction.atomic
def subscriber_register(
    *, name: str, organisation: str, email: str, password: str, ip: str | None, site_url: str
) -> Subscriber | None:
    """Create an inactive account and send the link that confirms its e-mail address.

    An address that already has an account gets a mail saying so instead (None is returned):
    the page the visitor sees is the same, so the form tells nobody who has an account.
    """
    users = get_user_model().objects
    if users.filter(Q(email__iexact=email) | Q(username__iexact=email)).exists():
        transaction.on_commit(lambda: _already_registered(email=email, site_url=site_url))
        return None
    user = get_user_model()(username=email.lower(), email=email, first_name=name[:150], is_active=False)
    user.set_password(password)
    user.save()
    subscriber = Subscriber.objects.create(user=user, name=name, organisation=organisation, registered_ip=ip)
    transaction.on_commit(lambda: send_confirmation(subscriber=subscriber, site_url=site_url))
    return subscriber


def _already_registered(*, email: str, site_url: str) -> None:
    context = {
        "periodical": Periodical.load(),
        "site_url": site_url.rstrip("/"),
        "reset_path": reverse("password_reset"),
    }
    send_in_background(templated_email("subscriptions/email/already_registered", context, to=[email]))


def send_confirmation(*, subscriber: Subscriber, site_url: str) -> None:
    user = subscriber.user
    path = reverse(
        "subscriptions:confirm",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": confirmation_tokens.make_token(user)},
    )
    _mail(subscriber, "confirm", confirm_url=site_url.rstrip("/") + path)


@transaction.atomic
def subscriber_confirm(*, subscriber: Subscriber) -> Subscription:
    """Activate the account and file its first subscription request (approved at once if so configured)."""
    user = subscriber.user
    user.is_active = True
    user.save(update_fields=["is_active"])
    subscriber.email_confirmed_at = timezone.now()
    subscriber.save(update_fields=["email_confirmed_at"])
    return subscription_request(subscriber=subscriber)


@transaction.atomic
def subscription_request(*, subscriber: Subscriber) -> Subscription:
    """Ask for a subscription (or its renewal) starting today or when the current one ends.

    A request already waiting is returned rather than doubled. With
    BULLETIN_SUBSCRIPTION_AUTO_APPROVE on, the request is approved at once.
    """
    Subscriber.objects.select_for_update().filter(pk=subscriber.pk).first()  # one request at a time
    pending = subscriber.subscriptions.filter(status=Subscription.Status.PENDING).first()
    if pending:
        return pending
    today = timezone.localdate()
    # The active subscription, or an approved renewal after it: the new period follows the last of them.
    latest = (
        subscriber.subscriptions.filter(status=Subscription.Status.APPROVED, ends_on__gte=today)
        .order_by("-ends_on")
        .first()
    )
    starts_on = latest.ends_on + datetime.timedelta(days=1) if latest else today
    subscription = Subscription.objects.create(
        subscriber=subscriber,
        starts_on=starts_on,
        ends_on=starts_on + datetime.timedelta(days=settings.SUBSCRIPTION_DAYS - 1),
    )
    if settings.SUBSCRIPTION_AUTO_APPROVE:
        return subscription_approve(subscription=subscription, by=None)
    transaction.on_commit(lambda: _tell_editors(subscription))
    return subscription


def _tell_editors(subscription):
    """One mail to each editor who may decide subscriptions (issues.mail.staff_addresses)."""
    path = reverse("admin:subscriptions_subscription_change", args=[subscription.pk])
    context = {
        "subscriber": subscription.subscriber,
        "subscription": subscription,
        "periodical": Periodical.load(),
        "admin_url": settings.SITE_URL.rstrip("/") + path,
    }
    mail_staff("subscriptions.change_subscription", "subscriptions/email/request_for_editors", context)


@transaction.atomic
def subscription_approve(*, subscription: Subscription, by, note: str = "") -> Subscription:
    """批准: the subscriber may download during the subscription's dates, and is told so."""
    return _decide(subscription, sources={PENDING, REFUSED}, target=APPROVED, by=by, note=note)


@transaction.atomic
def subscription_refuse(*, subscription: Subscription, by, note: str = "") -> Subscription:
    """拒绝: the request (or a granted subscription) is refused, and the subscriber told why."""
    return _decide(subscription, sources={PENDING, APPROVED}, target=REFUSED, by=by, note=note)


def _decide(subscription, *, sources, target, by, note):
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    change_status(subscription, sources=sources, target=target, by=by, comment=note, log=subscription.status_changes)
    subscription.decided_by = by if by is not None and by.is_authenticated else None
    subscription.decided_at = timezone.now()
    if note:
        subscription.note = note
    subscription.save(update_fields=["status", "decided_by", "decided_at", "note"])
    template = "approved" if target == APPROVED else "refused"
    transaction.on_commit(lambda: _mail(subscription.subscriber, template, subscription=subscription, note=note))
    return subscription


def unsubscribe_token(subscriber: Subscriber) -> str:
    """A signed token that stops notices for `subscriber` without signing in (one click in the e-mail)."""
    return signing.dumps(subscriber.pk, salt=UNSUBSCRIBE_SALT)


def subscriber_from_unsubscribe_token(token: str) -> Subscriber | None:
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return Subscriber.objects.filter(pk=pk).first()


def notice_recipients(issue: Issue):
    """Subscribers who should hear of `issue` and have not: active, opted in, confirmed, not yet told."""
    active = Subscription.objects.active().values("subscriber")
    return (
        Subscriber.objects.filter(pk__in=active, receives_notices=True, user__is_active=True)
        .exclude(notices__issue=issue)
        .select_related("user")
        .order_by("pk")
    )


def publication_notices_send(*, issue: Issue, batch_size: int | None = None) -> int:
    """E-mail each active subscriber once that `issue` is out, in batches; returns how many were sent.

    Each recipient is claimed by a PublicationNotice row (unique per issue and subscriber)
    before the mail goes, so a re-run, a second worker or a re-publication never sends twice.
    If the mail server fails, that batch's claims are released for the next run.
    """
    if not issue.is_published:
        return 0
    batch_size = batch_size or settings.NOTICE_BATCH_SIZE
    periodical = Periodical.load()
    site_url = settings.SITE_URL.rstrip("/")
    sent = 0
    while True:
        batch = _claim(issue, list(notice_recipients(issue)[:batch_size]))
        if not batch:
            return sent
        messages = [_notice_message(subscriber, issue, periodical, site_url) for subscriber in batch]
        try:
            with get_connection() as connection:
                connection.send_messages(messages)
        except Exception:
            PublicationNotice.objects.filter(issue=issue, subscriber__in=batch, sent_at=None).delete()
            raise
        PublicationNotice.objects.filter(issue=issue, subscriber__in=batch).update(sent_at=timezone.now())
        sent += len(batch)


def _claim(issue, subscribers):
    """The subscribers whose notice row this run created (another run may have claimed some)."""
    claimed = []
    for subscriber in subscribers:
        try:
            with transaction.atomic():
                PublicationNotice.objects.create(issue=issue, subscriber=subscriber)
        except IntegrityError:
            continue
        claimed.append(subscriber)
    return claimed


def _notice_message(subscriber, issue, periodical, site_url):
    unsubscribe_url = site_url + reverse("subscriptions:unsubscribe", args=[unsubscribe_token(subscriber)])
    context = {
        "subscriber": subscriber,
        "issue": issue,
        "periodical": periodical,
        "issue_url": site_url + issue.get_absolute_url(),
        "pdf_url": site_url + reverse("issue_pdf", args=[issue.year, issue.number]),
        "unsubscribe_url": unsubscribe_url,
    }
    return templated_email(
        "subscriptions/email/notice",
        context,
        to=[subscriber.email],
        # RFC 2369 / RFC 8058: mail programs show an unsubscribe button that POSTs to this URL.
        headers={"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


def _mail(subscriber, template, **context):
    context |= {"subscriber": subscriber, "periodical": Periodical.load(), "site_url": settings.SITE_URL.rstrip("/")}
    send_in_background(templated_email(f"subscriptions/email/{template}", context, to=[subscriber.email]))
