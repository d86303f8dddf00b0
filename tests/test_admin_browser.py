"""The editors' admin in a real browser: Playwright driving Debian's Chromium against `live_server`.

Every test fails on a browser console error, an uncaught page error, or a static file the
browser could not load, because editors would see a broken page where the Django test
client sees a 200.
"""

import pytest
from playwright.sync_api import expect

from articles.models import Article
from tests.browser import checked_page
from tests.factories import make_section

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab on the live server; the test fails if the page reports any error."""
    with checked_page(browser, live_server) as page:
        yield page


def log_in(page, django_user_model, *, next_url):
    """Create an editor (a superuser) and log them in through the admin login form, landing on `next_url`."""
    django_user_model.objects.create_superuser(username="editor", password="pw-editor-123")
    page.goto(f"/admin/login/?next={next_url}")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "pw-editor-123")
    page.click("input[type=submit]")
    page.wait_for_url(f"**{next_url}")


def test_editor_writes_an_article_with_a_table_in_the_rich_text_editor(page, django_user_model):
    make_section(name="特别报道")

    log_in(page, django_user_model, next_url="/admin/articles/article/add/")
    editor = page.locator(".ProseMirror[contenteditable=true]")
    expect(editor).to_be_visible()

    page.fill("#id_title", "乡村振兴调查")
    page.select_option("#id_section", label="特别报道")
    editor.click()
    page.keyboard.type("今年的调查覆盖了三个县。")
    page.keyboard.press("Enter")
    page.locator('button[title="插入表格"]').click()
    dialog = page.locator("dialog[open]")
    # The dialog speaks Chinese through the project's djangojs catalogue (locale/zh_Hans).
    dialog.get_by_label("行数").fill("2")
    dialog.get_by_label("列数").fill("2")
    dialog.get_by_role("button", name="插入表格").click()
    expect(editor.locator("table")).to_be_visible()
    page.keyboard.type("地区")  # the cursor waits in the table's first cell
    page.click("input[name=_save]")

    expect(page.locator(".messagelist .success")).to_contain_text("乡村振兴调查")
    body = Article.objects.get(title="乡村振兴调查").body
    assert "今年的调查覆盖了三个县。" in body
    assert "<table>" in body
    assert body.count("<tr>") == 2
    assert "地区" in body[body.index("<table>") :]
