"""The PDF panel in a real browser: its page images load under the site's CSP, and its button rebuilds.

The panel sits inside the issue's change form, where a form of its own cannot nest; this is
where that would show (the button would save the issue instead).
"""

import pytest
from playwright.sync_api import expect

from articles.models import Article
from issues.typesetting.build import issue_build_pdf
from tests.browser import checked_page
from tests.factories import make_article, make_issue, make_section

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def page(browser, live_server):
    with checked_page(browser, live_server) as page:
        yield page


def test_the_panel_shows_every_page_and_its_button_rebuilds_a_stale_pdf(page, django_user_model):
    issue = make_issue(year=2020, number=1, total_number=90)
    article = make_article(issue=issue, section=make_section(name="特别报道"), title="短讯", body="<p>一段。</p>" * 400)
    record = issue_build_pdf(issue=issue)
    article.refresh_from_db()  # the build stored its pages
    article.body = "<p>改过的一段。</p>"
    article.save()

    django_user_model.objects.create_superuser(username="editor", password="pw-editor-123")
    url = f"/admin/issues/issue/{issue.pk}/change/"
    page.goto(f"/admin/login/?next={url}")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "pw-editor-123")
    page.click("input[type=submit]")
    page.wait_for_url(f"**{url}")

    panel = page.locator(".desk-pdf-panel")
    expect(panel.locator(".desk-stale")).to_have_text("过期")
    images = panel.locator(".desk-page img")
    expect(images).to_have_count(record.page_count)
    for index in range(record.page_count):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("image => image.naturalWidth") == 240

    page.get_by_role("button", name="重新生成 PDF").click()  # the immediate task backend builds at once
    page.wait_for_url(f"**{url}")
    expect(page.locator(".messagelist .success")).to_contain_text("已安排生成 PDF")
    expect(panel.locator(".desk-stale")).to_have_count(0)
    expect(panel).to_contain_text("刚刚生成")
    assert Article.objects.get().body == "<p>改过的一段。</p>"  # the button rebuilt; it saved nothing
