"""A reader registers, confirms the e-mail address and downloads an issue's PDF, in a real browser.

The live server runs in this process, so the confirmation e-mail lands in `mail.outbox`; its link
is built from the request's host and so points at the live server. The account pages are held to
what every page of the reading site promises (tests/browser.py: check_reading_page) at a phone's
width and a desktop's, and every form field must carry a label.
"""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from issues.files import write_atomically
from issues.models import Issue, IssuePDF, Periodical
from issues.subscriptions.models import Download, Subscription
from issues.subscriptions.services import subscription_approve
from tests.browser import DESKTOP, PHONE, check_reading_page, checked_page
from tests.factories import make_issue, make_subscriber, make_subscription

pytestmark = pytest.mark.django_db(transaction=True)

PDF_BYTES = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"

UNLABELLED_FIELDS_JS = """() => [...document.querySelectorAll("input, select, textarea")]
  .filter((field) => !["hidden", "submit", "button"].includes(field.type))
  .filter((field) => ![...field.labels].some((label) => label.textContent.trim()))
  .map((field) => field.name || field.outerHTML)"""


def published_issue_with_pdf():
    """乡村观察 2024年第3期, published, with its screen PDF on disk."""
    Periodical.objects.update_or_create(pk=1, defaults={"name": "乡村观察"})
    issue = make_issue(year=2024, number=3, total_number=58, status=Issue.Status.PUBLISHED)
    record = IssuePDF.objects.create(
        issue=issue, variant="screen", status="done", file_name=f"issues/{issue.key}/{issue.key}-screen.pdf",
        page_count=1, size_bytes=len(PDF_BYTES),
    )  # fmt: skip
    write_atomically(record.path, PDF_BYTES)
    return issue


def check_form_page(page, response):
    check_reading_page(page, response)
    assert page.evaluate(UNLABELLED_FIELDS_JS) == []


def test_a_reader_registers_confirms_and_downloads_the_pdf_once_approved(browser, live_server):
    issue = published_issue_with_pdf()
    pdf_url = f"/issues/{issue.year}/{issue.number}/pdf/"

    with checked_page(browser, live_server, refusals=[pdf_url], **DESKTOP) as page:
        page.goto("/accounts/register/")
        expect(page.locator("#id_website")).not_to_be_in_viewport()  # the honeypot stays out of sight
        page.get_by_label("姓名").fill("李明")
        page.get_by_label("单位").fill("南滨市商务局")
        page.get_by_label("电子邮箱").fill("LiMing@Example.cn")
        page.get_by_label(re.compile("^密码")).fill("pw-reader-2017")
        page.get_by_label("再次输入密码").fill("pw-reader-2017")
        page.get_by_role("button", name="注册").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("请确认邮箱")
        expect(page.get_by_role("main")).to_contain_text("确认邮件已发送到 LiMing@Example.cn。")
        assert len(mail.outbox) == 1 and mail.outbox[0].to == ["LiMing@Example.cn"]
        link = re.search(r"https?://\S+/accounts/confirm/\S+/", mail.outbox[0].body).group(0)
        assert link.startswith(live_server.url + "/")

        page.goto(link)

        expect(page).to_have_url(f"{live_server.url}/accounts/")
        expect(page.get_by_role("heading", level=1)).to_have_text("我的订阅")
        expect(page.get_by_role("status")).to_have_text("邮箱已确认。您的订阅申请已提交，编辑部审核后会发邮件通知您。")
        expect(page.locator(".account-status")).to_contain_text("订阅状态：待审批")

        refused = page.goto(pdf_url)

        assert refused.status == 403
        expect(page.get_by_role("heading", level=1)).to_have_text("如何订阅")
        expect(page.get_by_role("main")).to_contain_text("您的账号目前没有有效的订阅，因此不能下载 PDF。")
        assert not Download.objects.exists()

        subscription_approve(subscription=Subscription.objects.get(), by=None)
        assert mail.outbox[-1].subject == "您的《乡村观察》订阅已开通"
        page.goto(issue.get_absolute_url())
        with page.expect_download() as download:
            page.get_by_role("link", name="下载本期 PDF（1 页）").click()

        assert download.value.suggested_filename == "乡村观察2024年第3期（总第58期）.pdf"
        with open(download.value.path(), "rb") as pdf:
            assert pdf.read() == PDF_BYTES
        assert Download.objects.get().user.username == "liming@example.cn"


@pytest.mark.parametrize("screen", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_register_login_and_account_pages_fit_the_screen_and_read_well(browser, live_server, screen):
    issue = published_issue_with_pdf()
    subscriber = make_subscriber(email="liming@example.cn", password="pw-reader-2017")
    make_subscription(subscriber=subscriber)
    Download.objects.create(issue=issue, user=subscriber.user, ip="10.0.0.1")

    with checked_page(browser, live_server, **screen) as page:
        check_form_page(page, page.goto("/accounts/register/"))
        expect(page.get_by_role("heading", level=1)).to_have_text("注册订阅")

        check_form_page(page, page.goto("/accounts/login/"))
        expect(page.get_by_role("heading", level=1)).to_have_text("登录")
        page.get_by_label("电子邮箱或用户名").fill("LiMing@Example.cn")
        page.get_by_label("密码").fill("pw-reader-2017")
        with page.expect_response(lambda response: response.url == f"{live_server.url}/accounts/") as account:
            page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()

        check_form_page(page, account.value)
        expect(page.get_by_role("heading", level=1)).to_have_text("我的订阅")
        expect(page.locator(".account-status")).to_contain_text("订阅状态：有效")
        expect(page.locator(".data-table")).to_contain_text("2024年第3期（总第58期）")
        expect(page.get_by_role("button", name="退出登录")).to_be_visible()
