"""The public reading site in a real browser, at a phone's width and a desktop's.

Playwright drives Debian's Chromium against `live_server`, as in test_admin_browser.py. Every
page a reader reaches must load without browser errors, keep to the width of the screen (a wide
table scrolls inside itself), expose the landmarks and one h1 that assistive technology relies
on, give every image a text alternative, keep text readable against its background, and be
usable from the keyboard.
"""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from playwright.sync_api import expect

from articles.models import Article
from tests.browser import DESKTOP, PHONE, check_focus_outline, check_reading_page, checked_page
from tests.factories import (
    image_bytes,
    make_article,
    make_contributor,
    make_issue,
    make_reading_issues,
    make_section,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone", "desktop"])
def page(request, browser, live_server):
    """A fresh tab at one screen width; the test fails if the page reports any error."""
    with checked_page(browser, live_server, **request.param) as page:
        yield page


def publish_reading_issue():
    """A published issue as readers get it: masthead, two sections, three published articles, a table.

    Also an earlier published issue (for the home page's 近期), a draft article in the issue and a
    later draft issue, which readers must never see.
    """
    issue = make_reading_issues(
        host_unit="某某省乡村发展研究会", masthead=[("主编", "王毅"), ("责任编辑", "李娜"), ("印刷", "某某印刷厂")]
    )
    make_issue(year=2024, number=4, total_number=59, title="尚未发布")

    report, data = make_section(name="特别报道", position=1), make_section(name="数据观察", position=2)
    wang, li = make_contributor(name="王毅"), make_contributor(name="李娜")
    paragraphs = "".join(
        f"<p>{text}</p>"
        for text in [
            "今年春天，调查组走访了三个县的十二个乡镇，记录跨境电商如何改变农产品的销路。",
            "在县城的物流园里，每天有上千个包裹发往东南亚。当地干部说，跨境订单已经占到全县网络零售额的三成。",
            "这些变化并非一帆风顺：冷链、品控和语言都是难题。",
        ]
    )
    make_article(
        issue=issue,
        section=report,
        title="跨境电商的县域样本",
        subtitle="来自三个县的调查",
        position=1,
        authors=[wang, li],
        status=Article.Status.PUBLISHED,
        body=paragraphs,
        first_page=3,
        last_page=8,
    )
    make_article(
        issue=issue,
        section=report,
        title="乡村振兴调查",
        position=2,
        authors=[li],
        status=Article.Status.PUBLISHED,
        body="<p>今年的调查覆盖了三个县。</p>",
        first_page=9,
        last_page=12,
    )
    chart = default_storage.save("articles/chart.png", ContentFile(image_bytes(size=(900, 300))))
    # Eight columns of figures that cannot wrap: wider than a phone, and than the article column.
    header = "".join(
        f"<th>{label}</th>" for label in ["地区", "2019年", "2020年", "2021年", "2022年", "2023年", "2024年", "增长率"]
    )
    rows = "".join(
        f"<tr><td>{region}</td>" + "".join(f"<td>{value:,}.00</td>" for value in values) + "<td>12.5%</td></tr>"
        for region, values in [
            ("东部", [1234567, 1345678, 1456789, 1567890, 1678901, 1789012]),
            ("西部", [234567, 345678, 456789, 567890, 678901, 789012]),
        ]
    )
    table_article = make_article(
        issue=issue,
        section=data,
        title="各地区跨境贸易数据",
        position=3,
        authors=[wang],
        status=Article.Status.PUBLISHED,
        body=(
            "<p>下表列出近六年各地区的跨境贸易额（万元）。</p>"
            f"<table><tr>{header}</tr>{rows}</table>"
            f'<p><img src="{default_storage.url(chart)}" alt="各地区跨境贸易额柱状图"></p>'
            "<p>东部地区仍然领先，西部增长最快。</p>"
        ),
        first_page=13,
        last_page=14,
    )
    make_article(issue=issue, section=data, title="未发布的跨境稿件", position=4, body="<p>跨境</p>")
    return issue, table_article


def test_home_page_shows_the_latest_issue_and_its_contents(page):
    issue, _ = publish_reading_issue()

    response = page.goto("/")

    check_reading_page(page, response)
    expect(page).to_have_title("乡村观察")
    expect(page.locator("h1")).to_have_text("乡村观察")
    expect(page.locator(".slogan")).to_have_text("记录田野里的中国")
    latest = page.get_by_role("region", name="最新一期")
    expect(latest.get_by_role("heading", level=2)).to_have_text(f"最新一期：{issue.issue_line}")
    expect(latest.get_by_role("img")).to_have_attribute("alt", f"{issue.issue_line}封面")
    assert latest.locator(".toc li > a").all_inner_texts() == [
        "跨境电商的县域样本",
        "乡村振兴调查",
        "各地区跨境贸易数据",
    ]
    recent = page.get_by_role("region", name="近期")
    expect(recent.locator(".issue-card")).to_have_count(1)
    expect(recent.locator(".issue-card")).to_contain_text("2024年第2期（总第57期）")
    expect(page.get_by_text("尚未发布")).to_have_count(0)
    expect(page.get_by_text("未发布的跨境稿件")).to_have_count(0)


def test_issue_page_shows_the_issue_line_contents_with_pages_and_masthead(page):
    issue, _ = publish_reading_issue()

    response = page.goto(issue.get_absolute_url())

    check_reading_page(page, response)
    expect(page.locator("h1")).to_have_text("乡村观察 2024年第3期（总第58期）")
    expect(page.locator(".issue-title")).to_have_text("县域经济")
    expect(page.locator("time")).to_have_text("2024年1月31日")
    contents = page.get_by_role("region", name="目录")
    assert contents.locator(".toc-section").all_inner_texts() == ["特别报道", "数据观察"]
    # The page number shows as a figure; "第 … 页" around it is for screen readers (visually hidden).
    entries = [
        (
            entry.locator("> a").inner_text(),
            entry.locator(".page").text_content(),
            entry.locator(".page .visually-hidden").count(),
        )
        for entry in contents.locator(".toc li").all()
    ]
    assert entries == [
        ("跨境电商的县域样本", "第 3 页", 2),
        ("乡村振兴调查", "第 9 页", 2),
        ("各地区跨境贸易数据", "第 13 页", 2),
    ]
    expect(contents.locator(".toc li").first).to_contain_text("——来自三个县的调查")
    expect(contents.locator(".toc li").first).to_contain_text("文 / 王毅　李娜")
    masthead = page.get_by_role("region", name="版权页")
    assert masthead.locator("dt").all_inner_texts() == ["主编", "责任编辑", "印刷"]
    assert masthead.locator("dd").all_inner_texts() == ["王毅", "李娜", "某某印刷厂"]
    expect(page.get_by_text("未发布的跨境稿件")).to_have_count(0)


def test_article_page_shows_its_table_without_widening_the_page(page):
    _, article = publish_reading_issue()

    response = page.goto(article.get_absolute_url())

    check_reading_page(page, response)
    expect(page.locator("h1")).to_have_text("各地区跨境贸易数据")
    expect(page.locator(".kicker")).to_have_text("2024年第3期（总第58期） · 数据观察 · 第 13–14 页")
    expect(page.locator(".byline")).to_have_text("文 / 王毅")
    table = page.locator(".body table")
    expect(table).to_be_visible()
    assert table.locator("th").all_inner_texts()[:2] == ["地区", "2019年"]
    assert table.locator("tr").nth(1).locator("td").all_inner_texts()[:3] == ["东部", "1,234,567.00", "1,345,678.00"]
    # The table is wider than the text column, so it scrolls inside its own box.
    box = table.evaluate(
        "t => ({scroll: t.scrollWidth, client: t.clientWidth, right: t.getBoundingClientRect().right,"
        " overflowX: getComputedStyle(t).overflowX})"
    )
    assert box["scroll"] > box["client"] and box["overflowX"] == "auto", box
    assert box["right"] <= page.viewport_size["width"], box
    expect(page.get_by_role("img", name="各地区跨境贸易额柱状图")).to_be_visible()
    prev_next = page.get_by_role("navigation", name="本期其他文章")
    expect(prev_next.locator("a[rel=prev]")).to_have_text("← 乡村振兴调查")
    expect(prev_next.locator("a[rel=next]")).to_have_count(0)  # the draft that follows stays hidden


def test_search_from_the_header_highlights_the_words_in_the_results(page):
    publish_reading_issue()
    page.goto("/")

    page.get_by_role("search").get_by_role("searchbox").fill("跨境")
    with page.expect_response(lambda response: "/search/" in response.url) as search:
        page.get_by_role("search").get_by_role("searchbox").press("Enter")
    page.wait_for_load_state()

    check_reading_page(page, search.value)
    expect(page.locator("h1")).to_have_text("搜索")
    expect(page.locator("#id_q")).to_have_value("跨境")
    expect(page.locator(".result-count")).to_have_text("找到 2 篇文章。")
    results = page.locator(".results > li")
    assert results.locator(".result-title").all_inner_texts() == ["跨境电商的县域样本", "各地区跨境贸易数据"]
    for index in range(2):
        expect(results.nth(index).locator(".result-title mark")).to_have_text("跨境")
        expect(results.nth(index).locator(".snippet mark").first).to_have_text("跨境")
    expect(results.first.locator(".meta")).to_have_text("2024年第3期（总第58期） · 特别报道 · 文 / 王毅　李娜")


def test_keyboard_reader_skips_to_the_content_and_sees_where_the_focus_is(page):
    issue, _ = publish_reading_issue()
    page.goto(issue.get_absolute_url())
    skip_link = page.get_by_role("link", name="跳到正文")
    expect(skip_link).not_to_be_in_viewport()

    page.keyboard.press("Tab")

    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport(ratio=1)
    check_focus_outline(page)

    page.keyboard.press("Tab")
    expect(page.locator(".site-name")).to_be_focused()
    check_focus_outline(page)

    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    page.keyboard.press("Tab")
    # The issue's downloads come first (no PDF built here, so the EPUB), then its contents.
    expect(page.get_by_role("main").get_by_role("link", name="下载 EPUB")).to_be_focused()
    check_focus_outline(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # 如何订阅
    expect(page.get_by_role("main").get_by_role("link", name="跨境电商的县域样本")).to_be_focused()
    check_focus_outline(page)
