"""Readers' side of subscriptions: the protected downloads (an issue's PDF and EPUB, one article's PDF),
registration with e-mail confirmation, the subscription page, notice preferences."""

import contextlib
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db import IntegrityError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from articles.models import Article
from issues.files import protected_file_response
from issues.models import Issue, Periodical
from issues.subscriptions.access import article_pdf_access, pdf_access
from issues.subscriptions.delivery import article_copy, stamped_copy
from issues.subscriptions.forms import BackgroundPasswordResetForm, RegistrationForm, ResendConfirmationForm
from issues.subscriptions.models import AccountMail, Download, Subscriber
from issues.subscriptions.services import (
    account_mail_request,
    confirmation_tokens,
    registrations_rate_limited,
    send_confirmation,
    subscriber_confirm,
    subscriber_from_unsubscribe_token,
    subscriber_register,
    subscription_request,
)
from issues.typesetting import epub

# What the file name of a download (an article's title) may not hold on the reader's disk.
UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def issue_pdf(request, year, number):
    """The issue's screen PDF for staff, active subscribers and readers on a subscribing institution's network.

    Anonymous readers are sent to sign in; signed-in readers without access learn how to
    subscribe (403). Every download is logged.
    """
    issue = get_object_or_404(Issue.objects.visible_to(request.user), year=year, number=number)
    access = pdf_access(request)
    if access is None:
        return _refused(request)
    record = _screen_pdf(issue)
    path, etag = record.path, record.build_key
    if settings.PDF_STAMPING and access.stamp_for is not None:
        path = stamped_copy(record, access.stamp_for.stamp_line)
        etag += "-" + path.stem
    return _handed_out(
        request,
        access,
        path,
        issue=issue,
        filename=f"{Periodical.load().name}{issue.issue_line}.pdf",
        ascii_filename=f"{issue.key}.pdf",
        etag=etag,
    )


def article_pdf(request, pk, slug):
    """One article's pages of its issue's screen PDF, named by its title, its citation in the metadata.

    Who may have it is `article_pdf_access`'s answer; otherwise as `issue_pdf` (sign in, 403, stamp, log).
    """
    articles = Article.objects.visible_to(request.user).filter(issue__isnull=False)
    article = get_object_or_404(articles.select_related("issue", "section__parent").with_authors(), pk=pk)
    if slug != article.slug:
        return redirect("article_pdf", pk=article.pk, slug=article.slug)
    access = article_pdf_access(request, article)
    if access is None:
        return _refused(request)
    record = _screen_pdf(article.issue)
    if not record.pdf_indexes(article.first_page, article.last_page):
        raise Http404(_("本文暂无单篇 PDF 下载。"))
    stamp_line = access.stamp_for.stamp_line if settings.PDF_STAMPING and access.stamp_for is not None else None
    path = article_copy(record, article, stamp_line=stamp_line)
    return _handed_out(
        request,
        access,
        path,
        issue=article.issue,
        article=article,
        filename=f"{UNSAFE_IN_FILE_NAMES.sub('_', article.title)}.pdf",
        ascii_filename=f"{article.issue.key}-{article.pk}.pdf",
        etag=f"{record.build_key}-{path.stem}",
    )


def _refused(request):
    """Anonymous readers are sent to sign in; signed-in readers without access learn how to subscribe (403)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return how_to_subscribe(request, status=403)


def _screen_pdf(issue):
    """The issue's screen PDF record with its file on disk; 404 until there is one."""
    record = issue.screen_pdf()
    if record is None or not record.path.is_file():
        raise Http404(_("本期 PDF 正在生成，请稍后再试。"))
    return record


def _handed_out(request, access, path, *, issue, article=None, format=Download.Format.PDF, **file_options):
    """The protected file response, and the download logged (a GET that sends the file, not a 304 or HEAD)."""
    response = protected_file_response(request, path, **file_options)
    if request.method == "GET" and response.status_code == 200:
        Download.objects.create(
            issue=issue,
            article=article,
            format=format,
            user=access.user,
            institution=access.institution,
            ip=request.META.get("REMOTE_ADDR") or None,
        )
    return response


def issue_epub(request, year, number):
    """The issue as an EPUB 3, built on demand, to whoever may have its PDF (the same rules, the same log)."""
    issue = get_object_or_404(Issue.objects.visible_to(request.user), year=year, number=number)
    access = pdf_access(request)
    if access is None:
        return _refused(request)
    path = epub.issue_epub(issue=issue)
    return _handed_out(
        request,
        access,
        path,
        issue=issue,
        filename=f"{Periodical.load().name}{issue.issue_line}.epub",
        ascii_filename=f"{issue.key}.epub",
        etag=path.stem,  # carries the key of the content
        content_type="application/epub+zip",
        format=Download.Format.EPUB,
    )


def register(request):
    if request.user.is_authenticated:
        return redirect("subscriptions:account")
    form = RegistrationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        ip = request.META.get("REMOTE_ADDR")
        if form.is_spam:
            return redirect("subscriptions:register_sent")
        if registrations_rate_limited(ip):
            messages.error(request, _("该网络在一小时内注册次数过多，请稍后再试。"))
            status = 429
        elif form.is_valid():
            data = form.cleaned_data
            # IntegrityError: the same address registered a moment ago, by a double click.
            with contextlib.suppress(IntegrityError):
                subscriber_register(
                    name=data["name"],
                    organisation=data["organisation"],
                    email=data["email"],
                    password=data["password1"],
                    ip=ip,
                    site_url=request.build_absolute_uri("/"),
                )
            request.session["registered_email"] = data["email"]
            return redirect("subscriptions:register_sent")
    return render(request, "subscriptions/register.html", {"form": form}, status=status)


def register_sent(request):
    return render(request, "subscriptions/register_sent.html", {"email": request.session.get("registered_email")})


def confirm(request, uidb64, token):
    """The link in the registration e-mail: activates the account, signs the reader in."""
    try:
        user = get_user_model().objects.get(pk=force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError, OverflowError, get_user_model().DoesNotExist):
        user = None
    subscriber = Subscriber.objects.filter(user=user).first() if user else None
    # Once confirmed, never again: an account an editor has since switched off must stay off.
    if subscriber and (user.is_active or subscriber.email_confirmed_at):
        messages.info(request, _("您的邮箱已经确认过了，请登录。"))
        return redirect("login")
    if subscriber is None or not confirmation_tokens.check_token(user, token):
        return render(request, "subscriptions/confirm_invalid.html", status=400)
    subscription = subscriber_confirm(subscriber=subscriber)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if subscription.is_active:
        messages.success(request, _("邮箱已确认，订阅已开通。"))
    else:
        messages.success(request, _("邮箱已确认。您的订阅申请已提交，编辑部审核后会发邮件通知您。"))
    return redirect("subscriptions:account")


def resend_confirmation(request):
    form = ResendConfirmationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        ip = request.META.get("REMOTE_ADDR")
        if account_mail_request(kind=AccountMail.Kind.CONFIRMATION, email=email, ip=ip):
            subscriber = Subscriber.objects.filter(
                user__email__iexact=email, user__is_active=False, email_confirmed_at=None
            ).first()
            if subscriber:
                send_confirmation(subscriber=subscriber, site_url=request.build_absolute_uri("/"))
        # The same answer either way (sent, no such account, over the limit): it reveals nothing.
        messages.success(request, _("如果该邮箱已注册且尚未确认，确认邮件已重新发出，请查收。"))
        return redirect("subscriptions:resend_confirmation")
    return render(request, "subscriptions/resend_confirmation.html", {"form": form})


@login_required
def account(request):
    subscriber = Subscriber.objects.filter(user=request.user).first()
    context = {"subscriber": subscriber}
    if subscriber:
        context |= {
            "current": subscriber.current_subscription(),
            "subscriptions": subscriber.subscriptions.all(),
            "can_request": not subscriber.subscriptions.filter(status="pending").exists(),
            "downloads": request.user.pdf_downloads.select_related("issue", "article")[:10],
        }
    return render(request, "subscriptions/account.html", context)


@login_required
@require_POST
def renew(request):
    subscriber = Subscriber.objects.filter(user=request.user).first()
    if subscriber is None:
        messages.error(request, _("此账号没有订阅资料，请联系编辑部。"))
        return redirect("subscriptions:account")
    subscription = subscription_request(subscriber=subscriber)
    if subscription.is_active:
        messages.success(request, _("订阅已开通。"))
    else:
        messages.success(request, _("订阅申请已提交，编辑部审核后会发邮件通知您。"))
    return redirect("subscriptions:account")


@login_required
@require_POST
def notices(request):
    wanted = request.POST.get("receives_notices") == "1"
    updated = Subscriber.objects.filter(user=request.user).update(receives_notices=wanted)
    if updated:
        messages.success(request, _("已开启新刊邮件通知。") if wanted else _("已关闭新刊邮件通知。"))
    return redirect("subscriptions:account")


@csrf_exempt  # RFC 8058: mail programs POST here without a form; the signed token is the credential
def unsubscribe(request, token):
    """One click from a notice e-mail stops further notices (GET from the link, POST from mail programs)."""
    subscriber = subscriber_from_unsubscribe_token(token)
    if subscriber is None:
        return render(request, "subscriptions/unsubscribe.html", {"invalid": True}, status=400)
    if request.method in ("GET", "POST"):
        Subscriber.objects.filter(pk=subscriber.pk).update(receives_notices=False)
    return render(request, "subscriptions/unsubscribe.html", {"subscriber": subscriber, "token": token})


@require_POST
def resubscribe(request, token):
    subscriber = subscriber_from_unsubscribe_token(token)
    if subscriber is None:
        return render(request, "subscriptions/unsubscribe.html", {"invalid": True}, status=400)
    Subscriber.objects.filter(pk=subscriber.pk).update(receives_notices=True)
    return render(request, "subscriptions/unsubscribe.html", {"subscriber": subscriber, "resubscribed": True})


def how_to_subscribe(request, status=200):
    """Who may download PDFs and how to become one; also the page a reader without access gets (403)."""
    context = {"periodical": Periodical.load()}
    if request.user.is_authenticated:
        subscriber = Subscriber.objects.filter(user=request.user).first()
        context |= {"subscriber": subscriber, "current": subscriber.current_subscription() if subscriber else None}
    return render(request, "subscriptions/how_to_subscribe.html", context, status=status)


class PasswordResetView(auth.PasswordResetView):
    """Django's reset view, limited per address and network, with the periodical's name in the e-mail."""

    template_name = "accounts/password_reset_form.html"
    form_class = BackgroundPasswordResetForm
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"

    def form_valid(self, form):
        email, ip = form.cleaned_data["email"], self.request.META.get("REMOTE_ADDR")
        if not account_mail_request(kind=AccountMail.Kind.PASSWORD_RESET, email=email, ip=ip):
            # Over the hourly limit: no e-mail, and the same "sent" page, which says nothing either way.
            return HttpResponseRedirect(self.get_success_url())
        self.extra_email_context = {"site_name": Periodical.load().name}
        return super().form_valid(form)
