"""The Content-Security-Policy in a real browser: nothing the site or the admin needs is refused.

Chromium reports every refusal as a `securitypolicyviolation` event, recorded here from before
the page's own scripts run; `checked_page` also fails the test on the console error it logs.
"""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from playwright.sync_api import expect

from articles.models import Article
from issues.models import Issue
from tests.browser import checked_page
from tests.factories import image_bytes, make_article, make_issue, make_section
from tests.test_admin_browser import log_in

pytestmark = pytest.mark.django_db(transaction=True)

RECORD_VIOLATIONS_JS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(
    `${event.effectiveDirective} refused ${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


@pytest.fixture
def page(browser, live_server):
    with checked_page(browser, live_server) as page:
        page.add_init_script(RECORD_VIOLATIONS_JS)
        yield page


def violations(page):
    return page.evaluate("window.cspViolations")


def test_editor_writes_in_the_prose_editor_and_saves_without_a_refusal(page, django_user_model):
    issue = make_issue(year=2017, number=1)
    article = make_article(
        issue=issue, section=make_section(name="特别报道"), title="乡村振兴调查", body="<p>初稿。</p>"
    )

    log_in(page, django_user_model, next_url=f"/admin/articles/article/{article.pk}/change/")
    editor = page.locator(".ProseMirror[contenteditable=true]")
    expect(editor).to_be_visible()
    # Tiptap's base stylesheet (the one allowed by hash) is in force: the editor keeps spaces.
    assert editor.evaluate("node => getComputedStyle(node).whiteSpace") == "break-spaces"

    editor.click()
    page.keyboard.press("Control+End")  # where ProseMirror puts the caret may lag behind: order is not checked
    page.keyboard.press("Enter")
    page.keyboard.type("今年的调查覆盖了三个县。")
    page.locator('button[title="插入表格"]').click()
    page.locator("dialog[open]").get_by_role("button", name="插入表格").click()
    expect(editor.locator("table")).to_be_visible()
    page.keyboard.type("地区")
    assert violations(page) == []
    page.click("input[name=_continue]")

    expect(page.locator(".messagelist .success")).to_contain_text("乡村振兴调查")
    expect(editor).to_contain_text("今年的调查覆盖了三个县。")
    assert violations(page) == []
    body = Article.objects.get(pk=article.pk).body
    assert "初稿。" in body and "<p>今年的调查覆盖了三个县。</p>" in body
    assert "<table>" in body and "地区" in body


def test_issue_page_and_article_list_of_the_admin_load_without_a_refusal(page, django_user_model):
    issue = make_issue(year=2017, number=1, masthead=[("主编", "王毅")])
    make_article(issue=issue, section=make_section(name="特别报道"), title="调查一")

    log_in(page, django_user_model, next_url=f"/admin/issues/issue/{issue.pk}/change/")
    expect(page.locator("#articles-group")).to_contain_text("调查一")
    assert violations(page) == []

    page.goto("/admin/articles/article/?status__exact=draft")
    expect(page.locator("#result_list")).to_contain_text("调查一")
    page.locator("#action-toggle").check()  # the change list's own script runs
    expect(page.locator(".action-counter")).to_contain_text("1")
    assert violations(page) == []


def test_home_issue_and_article_pages_load_without_a_refusal(page):
    issue = make_issue(year=2017, number=1, status=Issue.Status.PUBLISHED, title="春季刊")
    issue.cover.save("cover.png", ContentFile(image_bytes(size=(300, 420))))
    chart = default_storage.save("articles/chart.png", ContentFile(image_bytes(size=(600, 200))))
    article = make_article(
        issue=issue,
        section=make_section(name="数据观察"),
        title="各地区数据",
        status=Article.Status.PUBLISHED,
        body=f'<p>下图是各地区的数据。</p><p><img src="{default_storage.url(chart)}" alt="各地区柱状图"></p>',
    )

    for path in ["/", issue.get_absolute_url(), article.get_absolute_url()]:
        response = page.goto(path)
        assert response.status == 200, path
        assert "default-src 'self'" in response.headers["content-security-policy"]
        images = page.locator("img")
        assert images.count() > 0, path
        for index in range(images.count()):
            image = images.nth(index)
            image.scroll_into_view_if_needed()
            assert image.evaluate("img => img.decode().then(() => img.naturalWidth, () => 0)"), path
        assert violations(page) == [], path
