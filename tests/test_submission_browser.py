"""An author sends a manuscript through the real form in a real browser, on a phone and a desktop."""

import io

import docx
import pytest
from playwright.sync_api import expect

from articles.submissions.models import Submission
from issues.models import Periodical
from tests.browser import checked_page

pytestmark = pytest.mark.django_db(transaction=True)


def manuscript(path):
    document = docx.Document()
    document.add_heading("一、调研背景", level=1)
    document.add_paragraph("三个镇的电商服务站点覆盖了七成行政村。")
    out = io.BytesIO()
    document.save(out)
    path.write_bytes(out.getvalue())
    return path


@pytest.mark.parametrize(
    "screen",
    [{"viewport": {"width": 375, "height": 740}, "is_mobile": True}, {"viewport": {"width": 1280, "height": 900}}],
    ids=["phone", "desktop"],
)
def test_an_author_submits_a_manuscript_and_gets_a_receipt(browser, live_server, tmp_path, screen):
    periodical = Periodical.load()
    periodical.call_for_papers = "欢迎投稿。"
    periodical.save()
    with checked_page(browser, live_server, **screen) as page:
        page.goto("/submit/")
        expect(page.get_by_role("heading", name="征稿启事")).to_be_visible()
        expect(page.locator("#id_website")).not_to_be_in_viewport()  # the honeypot stays out of sight
        page.get_by_label("标题").fill("县域电商调研")
        page.get_by_label("作者姓名").fill("周雅琴")
        page.get_by_label("单位").fill("南滨市电子商务服务中心")
        page.get_by_label("通讯地址").fill("南滨市滨江区长堤路188号")
        page.get_by_label("电话").fill("0123-68881026")
        page.get_by_label("电子邮箱").fill("not-an-email")
        page.get_by_label("稿件（Word .docx）").set_input_files(str(manuscript(tmp_path / "调研.docx")))
        page.get_by_label("我确认稿件为本人原创").check()
        page.get_by_role("button", name="提交稿件").click()
        expect(page.locator("#id_email_error")).to_contain_text("Email")
        assert not Submission.objects.exists()

        page.get_by_label("电子邮箱").fill("zhou@example.cn")
        page.get_by_label("稿件（Word .docx）").set_input_files(str(tmp_path / "调研.docx"))
        page.get_by_role("button", name="提交稿件").click()
        submission = Submission.objects.get()
        expect(page.locator(".receipt")).to_contain_text(submission.tracking_number)
        expect(page.locator(".status")).to_have_text("已收稿")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
