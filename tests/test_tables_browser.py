"""A table from Word on a phone: set as a table, scrolled inside itself, the page no wider than the screen."""

import pytest
from playwright.sync_api import expect

from articles.models import Article
from articles.word import docx_html
from issues.models import Issue
from tests.browser import PHONE, check_reading_page, checked_page
from tests.factories import docx_with_table, make_article, make_issue, make_section

pytestmark = pytest.mark.django_db(transaction=True)

# What authors send: a first row in bold, short names beside long descriptions.
ROWS = [
    ["国家", "企业", "主营业务", "融资轮次", "金额"],
    ["美国", "太平洋物流科技有限公司", "跨境电商海外仓与末端配送服务", "B轮", "2,000万美元"],
    ["日本", "东方优选网络科技有限公司", "母婴用品跨境进口零售平台", "A轮", "8,000万元"],
    ["德国", "莱茵供应链管理有限公司", "中欧班列跨境电商专线物流", "天使轮", "1,500万元"],
]


def test_a_word_table_on_a_phone_keeps_short_cells_on_one_line_and_scrolls_inside_itself(browser, live_server):
    body, _images = docx_html(docx_with_table(ROWS, bold_first_row=True), image_folder=None)
    issue = make_issue(year=2024, number=3, total_number=58, status=Issue.Status.PUBLISHED)
    article = make_article(
        issue=issue,
        section=make_section(name="数据观察"),
        title="跨境电商融资一览",
        status=Article.Status.PUBLISHED,
        body="<p>下表列出本季度跨境电商领域的主要融资事件。</p>" + body,
    )

    with checked_page(browser, live_server, **PHONE) as page:
        response = page.goto(article.get_absolute_url())

        check_reading_page(page, response)
        table = page.locator(".body table")
        expect(table.locator("thead th")).to_have_text(ROWS[0])
        # Each short cell sits on one line: every box of its text has the same top.
        for name in ("美国", "日本", "德国"):
            cell = table.locator("td", has_text=name)
            tops = cell.evaluate(
                """td => {
                    const text = document.createTreeWalker(td, NodeFilter.SHOW_TEXT).nextNode();
                    const range = document.createRange();
                    range.selectNodeContents(text);
                    return [...range.getClientRects()].map(rect => Math.round(rect.top));
                }"""
            )
            assert tops and len(set(tops)) == 1, (name, tops)
        style = table.locator("td p").first.evaluate(
            "p => ({indent: getComputedStyle(p).textIndent, align: getComputedStyle(p).textAlign})"
        )
        assert style == {"indent": "0px", "align": "start"}, style
        # The page keeps to the screen; the table scrolls inside its own box.
        assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["viewport"]["width"]
        box = table.evaluate(
            "t => ({scroll: t.scrollWidth, client: t.clientWidth, right: t.getBoundingClientRect().right,"
            " overflowX: getComputedStyle(t).overflowX})"
        )
        assert box["overflowX"] == "auto" and box["right"] <= PHONE["viewport"]["width"], box
