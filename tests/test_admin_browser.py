"""The editors' admin in a real browser: Playwright driving Debian's Chromium against `live_server`.

Every test fails on a browser console error, an uncaught page error, or a static file the
browser could not load, because editors would see a broken page where the Django test
client sees a 200.
"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from articles.models import Article
from issues.models import Issue
from tests.browser import checked_page
from tests.factories import make_article, make_issue, make_section

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


def inline_row(page, *, title):
    """The row of the issue's article inline that holds the article titled `title`."""
    return page.locator("tr.form-row").filter(has=page.locator(f'input[name$="-title"][value="{title}"]'))


def table_of_contents(page):
    """The lines of the "本期目录" overview, as the editor reads them."""
    overview = page.locator(".field-table_of_contents .readonly li")
    return [line.strip() for line in overview.all_inner_texts()]


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


def test_issue_page_shows_masthead_articles_and_reorders_the_overview(page, django_user_model):
    issue = make_issue(year=2017, number=1, masthead=[("主编", "王毅"), ("责任编辑", "李娜")])
    report, data = make_section(name="特别报道", position=1), make_section(name="数据观察", position=2)
    make_article(issue=issue, section=report, title="调查一", position=1)
    make_article(issue=issue, section=report, title="调查二", position=2)
    make_article(issue=issue, section=data, title="数据图表", position=3)

    log_in(page, django_user_model, next_url=f"/admin/issues/issue/{issue.pk}/change/")

    masthead = page.locator("#masthead_lines-group")
    expect(masthead).to_contain_text("版权页（按印刷顺序）")
    expect(masthead.locator("#id_masthead_lines-0-label")).to_have_value("主编")
    expect(masthead.locator("#id_masthead_lines-0-value")).to_have_value("王毅")
    expect(masthead.locator("#id_masthead_lines-1-label")).to_have_value("责任编辑")
    expect(masthead.locator("#id_masthead_lines-1-value")).to_have_value("李娜")

    expect(page.locator("#articles-group")).to_contain_text("本期文章（按印刷顺序）")
    for title, position in [("调查一", "1"), ("调查二", "2"), ("数据图表", "3")]:
        expect(inline_row(page, title=title).locator('input[name$="-position"]')).to_have_value(position)

    expect(page.locator(".field-table_of_contents")).to_contain_text("本期目录")
    assert table_of_contents(page) == ["特别报道", "1. 调查一", "2. 调查二", "数据观察", "3. 数据图表"]

    inline_row(page, title="调查一").locator('input[name$="-position"]').fill("3")
    inline_row(page, title="数据图表").locator('input[name$="-position"]').fill("1")
    page.click("input[name=_continue]")

    expect(page.locator(".messagelist .success")).to_be_visible()
    assert table_of_contents(page) == ["数据观察", "1. 数据图表", "特别报道", "2. 调查二", "3. 调查一"]
    assert list(issue.articles.in_print_order().values_list("title", flat=True)) == ["数据图表", "调查二", "调查一"]


def test_new_issue_starts_from_the_next_numbers_and_the_last_masthead(page, django_user_model):
    year = timezone.localdate().year
    make_issue(year=year - 1, number=6, total_number=28, masthead=[("主编", "张三")])
    masthead = [("主编", "王毅"), ("责任编辑", "李娜"), ("印刷", "某某印刷厂")]
    make_issue(year=year, number=2, total_number=30, masthead=masthead)

    log_in(page, django_user_model, next_url="/admin/issues/issue/add/")

    expect(page.locator("#id_year")).to_have_value(str(year))
    expect(page.locator("#id_number")).to_have_value("3")
    expect(page.locator("#id_total_number")).to_have_value("31")
    expect(page.locator("#id_masthead_lines-TOTAL_FORMS")).to_have_value("3")
    for index, (label, value) in enumerate(masthead):
        expect(page.locator(f"#id_masthead_lines-{index}-position")).to_have_value(str(index + 1))
        expect(page.locator(f"#id_masthead_lines-{index}-label")).to_have_value(label)
        expect(page.locator(f"#id_masthead_lines-{index}-value")).to_have_value(value)

    page.fill("#id_title", "春季刊")
    page.click("input[name=_save]")

    expect(page.locator(".messagelist .success")).to_be_visible()
    new_issue = Issue.objects.get(year=year, number=3)
    assert new_issue.total_number == 31
    assert new_issue.title == "春季刊"
    assert list(new_issue.masthead_lines.values_list("label", "value")) == masthead
