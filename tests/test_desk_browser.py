"""Making an issue on the desk in a real browser, counting the editor's interactions.

The editor composes the issue after the demo's 2017年第1期: new issue from the desk, its numbers
and masthead proposed, the waiting articles put in, dragged into order, marked ready in one go,
定稿, typeset, checked, corrected, typeset again and published with the page's own buttons.
"""

import tomllib
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from articles.models import Article
from issues.models import Issue, IssuePDF
from tests.browser import checked_page
from tests.factories import make_article, make_issue, make_section, proofread

pytestmark = pytest.mark.django_db(transaction=True)

DEMO = tomllib.loads((Path(settings.BASE_DIR) / "issues/bundles/demo/issue.toml").read_text())
INTERACTION_GOAL = 30


class Editor:
    """The page, and a count of what the editor did on it (a click, a field filled, a drag)."""

    def __init__(self, page):
        self.page, self.interactions = page, 0

    def click(self, locator):
        self.interactions += 1
        locator.click()

    def fill(self, locator, value):
        self.interactions += 1
        locator.fill(value)

    def drag(self, source, target):
        self.interactions += 1
        source.drag_to(target)


@pytest.fixture
def editor(browser, live_server, django_user_model):
    django_user_model.objects.create_superuser(username="editor", password="pw-editor-123")
    with checked_page(browser, live_server) as page:
        page.set_default_timeout(60_000)  # typesetting runs in the request (the tests' immediate task backend)
        page.goto("/admin/login/?next=/admin/")
        page.fill("#id_username", "editor")
        page.fill("#id_password", "pw-editor-123")
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/")
        yield Editor(page)


def previous_issue_and_waiting_articles():
    masthead = [(line["label"], line["value"]) for line in DEMO["masthead"]]
    make_issue(year=2017, number=1, total_number=26, print_run=1000, status=Issue.Status.PUBLISHED, masthead=masthead)
    editorial, reports, news = (
        make_section(name="卷首语", position=1),
        make_section(name="特别报道", position=2),
        make_section(name="行业动态", position=3),
    )
    body = "<p>" + "南滨市农村电子商务服务站覆盖全部行政村，带动农产品网络零售额增长。" * 8 + "</p>"
    return [
        make_article(section=reports, title="农村电商调查报告", body=body * 6),
        make_article(section=news, title="快递业务量再创新高", body=body),
        make_article(section=news, title="移动支付新规实施", body=body),
        make_article(section=editorial, title="写在第二期", body=body),  # to be dragged to the top
    ]


def test_compose_check_and_publish_the_next_issue_in_under_30_interactions(editor):
    previous_issue_and_waiting_articles()
    page = editor.page

    # The desk: the next issue from its list of issues in production.
    editor.click(page.get_by_role("link", name="新建下一期"))
    expect(page.locator("#id_year")).to_have_value("2017")
    expect(page.locator("#id_number")).to_have_value("2")
    expect(page.locator("#id_total_number")).to_have_value("27")
    expect(page.locator("#id_publication_date")).to_have_value("")
    labels = [line["label"] for line in DEMO["masthead"]]
    date_row, run_row = labels.index("出版日期"), labels.index("印数")
    expect(page.locator(f"#id_masthead_lines-{date_row}-value")).to_be_disabled()
    expect(page.locator(f"#id_masthead_lines-{run_row}-value")).to_have_value("")
    expect(page.locator("#id_masthead_lines-1-value")).to_have_value(DEMO["masthead"][1]["value"])

    editor.fill(page.locator("#id_publication_date"), "2017-02-28")
    editor.fill(page.locator("#id_print_run"), "1200")
    editor.fill(page.locator("#id_title"), "农村电商专题")
    editor.click(page.locator("#id_schedule_add_all"))  # 排入本期: all waiting articles
    editor.click(page.locator("input[name=_continue]"))

    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(page.locator(f"#id_masthead_lines-{date_row}-value")).to_have_value("2017年2月28日 2017年第2期（总第27期）")
    expect(page.locator(f"#id_masthead_lines-{run_row}-value")).to_have_value("1200 册")
    issue = Issue.objects.get(total_number=27)

    # The articles in print order: drag the editorial to the top, save.
    rows = page.locator("#articles-group tr.form-row.has_original")
    expect(rows).to_have_count(4)
    editor.drag(rows.nth(3).locator(".desk-handle"), rows.nth(0).locator(".desk-handle"))
    editor.click(page.locator("input[name=_continue]"))
    expect(page.locator(".messagelist .success")).to_be_visible()
    assert list(issue.articles.in_print_order().values_list("title", flat=True)) == [
        "写在第二期",
        "农村电商调查报告",
        "快递业务量再创新高",
        "移动支付新规实施",
    ]

    # The checklist names the drafts; one button marks them all ready, and it clears.
    checklist = page.locator(".desk-checklist")
    expect(checklist.locator("li")).to_have_count(4)
    expect(checklist).to_contain_text("《写在第二期》还是草稿")
    editor.click(page.get_by_role("button", name="将 4 篇草稿文章全部定稿"))
    expect(page.locator(".desk-clear")).to_have_text("可以“定稿”了。")
    assert set(issue.articles.values_list("status", flat=True)) == {Article.Status.READY}

    # 定稿, with the page saying what it does.
    editor.click(page.get_by_role("link", name="定稿…"))
    expect(page.locator(".desk-consequences")).to_contain_text("本期 4 篇文章全部定稿")
    editor.click(page.get_by_role("button", name="确认定稿"))
    expect(page.locator(".messagelist .success")).to_contain_text("已定稿")

    # Typeset; the panel shows the pages and each article's range.
    editor.click(page.locator("#pdf-panel").get_by_role("button", name="生成 PDF"))
    expect(page.locator(".messagelist .success")).to_be_visible()
    screen = IssuePDF.objects.get(issue=issue, variant=IssuePDF.Variant.SCREEN)
    assert screen.status == IssuePDF.Status.DONE, screen.error
    check_pdf_panel(page, issue=issue, record=screen)

    # A correction: the panel says the PDF is stale until it is built again.
    editor.click(page.locator("#articles-group").get_by_role("link", name="修改").first)
    editor.fill(page.locator("#id_title"), "写在第二期之前")
    editor.click(page.locator("input[name=_continue]"))
    editor.click(page.get_by_role("link", name="返回2017年第2期（总第27期）"))
    expect(page.locator("#pdf-panel")).to_contain_text("过期")
    editor.click(page.locator("#pdf-panel").get_by_role("button", name="重新生成 PDF"))
    expect(page.locator("#pdf-panel")).not_to_contain_text("过期")

    # Publish with the button, after reading what will happen (三校 is tested in test_proofs.py).
    proofread(issue)
    editor.click(page.get_by_role("link", name="发布…"))
    expect(page.locator(".desk-consequences")).to_contain_text("以下 4 篇文章随本期发布")
    editor.click(page.get_by_role("button", name="确认发布"))
    expect(page.locator(".messagelist .success")).to_contain_text("已发布")

    issue.refresh_from_db()
    assert issue.status == Issue.Status.PUBLISHED
    assert set(issue.articles.values_list("status", flat=True)) == {Article.Status.PUBLISHED}
    print(f"\nInteractions to compose, check and publish the issue: {editor.interactions}")
    assert editor.interactions < INTERACTION_GOAL


def check_pdf_panel(page, *, issue, record):
    panel = page.locator("#pdf-panel")
    expect(panel.locator(".desk-page img")).to_have_count(record.page_count)
    for article in issue.articles.all():
        expect(panel).to_contain_text(f"{article.title}")
        expect(panel).to_contain_text(article.page_range)
