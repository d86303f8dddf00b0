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
from issues.models import Issue, Periodical
from tests.browser import checked_page
from tests.factories import image_bytes, make_article, make_contributor, make_issue, make_section

PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
MIN_TEXT_CONTRAST = 4.5  # WCAG 2.2 AA, 1.4.3, normal-size text
MIN_FOCUS_CONTRAST = 3.0  # WCAG 2.2 AA, 1.4.11, a focus indicator against what surrounds it

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
    periodical = Periodical.load()
    periodical.name = "乡村观察"
    periodical.slogan = "记录田野里的中国"
    periodical.host_unit = "某某省乡村发展研究会"
    periodical.contact_email = "editor@example.org"
    periodical.save()

    earlier = make_issue(year=2024, number=2, total_number=57, status=Issue.Status.PUBLISHED, title="春耕")
    earlier.cover.save("earlier.png", ContentFile(image_bytes(size=(300, 420), color=(160, 60, 40))))
    issue = make_issue(
        year=2024,
        number=3,
        total_number=58,
        status=Issue.Status.PUBLISHED,
        title="县域经济",
        masthead=[("主编", "王毅"), ("责任编辑", "李娜"), ("印刷", "某某印刷厂")],
    )
    issue.cover.save("latest.png", ContentFile(image_bytes(size=(300, 420))))
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


def check_reading_page(page, response):
    """What every page of the reading site promises, at whatever width the tab has."""
    assert response.status == 200, response.url
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    expect(page.locator("h1:visible")).to_have_count(1)
    expect(page.get_by_role("banner")).to_have_count(1)
    expect(page.get_by_role("navigation", name="主导航")).to_be_visible()
    expect(page.get_by_role("main")).to_have_count(1)
    expect(page.get_by_role("contentinfo")).to_have_count(1)
    expect(page.get_by_role("contentinfo")).to_contain_text("乡村观察")

    images = page.locator("img")
    for index in range(images.count()):
        image = images.nth(index)
        assert (image.get_attribute("alt") or "").strip(), f"<img src={image.get_attribute('src')}> has no alt text"
        image.scroll_into_view_if_needed()  # covers in the issue list load lazily
        assert image.evaluate("img => img.decode().then(() => img.naturalWidth, () => 0)"), image.get_attribute("src")
    page.evaluate("window.scrollTo(0, 0)")

    # On a phone Chromium widens the layout viewport to fit content that is too wide, so
    # innerWidth alone would hide the overflow: compare with the screen's own width too.
    width = page.viewport_size["width"]
    overflow = page.evaluate(PAGE_OVERFLOW_JS, width)
    assert overflow["scrollWidth"] <= min(overflow["innerWidth"], width) + 1, (
        f"The page is wider than the screen: {overflow}"
    )

    contrast = page.evaluate(TEXT_CONTRAST_JS, MIN_TEXT_CONTRAST)
    assert contrast["checked"]["a"] > 0 and contrast["checked"]["text"] > 0, contrast["checked"]
    assert not contrast["failures"], "Text below 4.5:1 contrast:\n" + "\n".join(map(str, contrast["failures"]))


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
    entries = [
        (
            entry.locator("> a").inner_text(),
            entry.locator(".page").inner_text(),
            entry.locator(".page").get_attribute("aria-label"),
        )
        for entry in contents.locator(".toc li").all()
    ]
    assert entries == [
        ("跨境电商的县域样本", "3", "第 3 页"),
        ("乡村振兴调查", "9", "第 9 页"),
        ("各地区跨境贸易数据", "13", "第 13 页"),
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
    expect(page.get_by_role("main").get_by_role("link", name="跨境电商的县域样本")).to_be_focused()
    check_focus_outline(page)


def check_focus_outline(page):
    """The focused element shows an outline that stands out from the background behind it."""
    focus = page.evaluate(FOCUS_OUTLINE_JS)
    assert focus["style"] != "none" and focus["width"] >= 2, focus
    assert focus["contrast"] >= MIN_FOCUS_CONTRAST, focus


# Colour arithmetic of WCAG 2.2 (relative luminance, contrast ratio), run in the page.
COLOUR_JS = """
const parse = (css) => {
  const parts = css.match(/[\\d.]+/g).map(Number);
  return {r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1};
};
const over = (top, below) => ({
  r: top.r * top.a + below.r * (1 - top.a),
  g: top.g * top.a + below.g * (1 - top.a),
  b: top.b * top.a + below.b * (1 - top.a),
  a: 1,
});
const backgroundOf = (element) => {
  const layers = [];
  for (let node = element; node; node = node.parentElement) {
    const colour = parse(getComputedStyle(node).backgroundColor);
    if (colour.a > 0) layers.push(colour);
    if (colour.a === 1) break;
  }
  return layers.reverse().reduce((below, top) => over(top, below), {r: 255, g: 255, b: 255, a: 1});
};
const luminance = ({r, g, b}) => {
  const [R, G, B] = [r, g, b].map((v) => {
    v /= 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * R + 0.7152 * G + 0.0722 * B;
};
const contrast = (one, other) => {
  const [light, dark] = [luminance(one), luminance(other)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
};
"""

TEXT_CONTRAST_JS = (
    "(minimum) => {"
    + COLOUR_JS
    + """
  const checked = {a: 0, text: 0, control: 0};
  const failures = [];
  const ownText = (element) =>
    [...element.childNodes].some((node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim());
  for (const element of document.body.querySelectorAll("*")) {
    const control = element.matches("input, select, button") && (element.value || element.textContent).trim();
    if (!control && !ownText(element)) continue;
    const style = getComputedStyle(element);
    const rect = element.getBoundingClientRect();
    if (style.visibility !== "visible" || rect.width <= 1 || rect.height <= 1) continue;
    const background = backgroundOf(element);
    const ratio = contrast(over(parse(style.color), background), background);
    checked[element.tagName === "A" ? "a" : control ? "control" : "text"] += 1;
    if (ratio < minimum) {
      failures.push({
        element: element.tagName.toLowerCase() + (element.className ? "." + element.className : ""),
        text: (element.value || element.textContent).trim().slice(0, 20),
        color: style.color,
        background: `rgb(${background.r}, ${background.g}, ${background.b})`,
        ratio: Math.round(ratio * 100) / 100,
      });
    }
  }
  return {checked, failures};
}"""
)

FOCUS_OUTLINE_JS = (
    "() => {"
    + COLOUR_JS
    + """
  const element = document.activeElement;
  const style = getComputedStyle(element);
  return {
    element: element.tagName.toLowerCase() + (element.className ? "." + element.className : ""),
    style: style.outlineStyle,
    width: parseFloat(style.outlineWidth),
    colour: style.outlineColor,
    contrast: Math.round(contrast(parse(style.outlineColor), backgroundOf(element.parentElement)) * 100) / 100,
  };
}"""
)

PAGE_OVERFLOW_JS = """(width) => {
  // What sticks out past the screen's right edge: element boxes, and text that cannot wrap.
  const past = (rect) => rect.width > 0 && rect.right > width + 1;
  const culprits = [...document.body.querySelectorAll("*")]
    .filter((element) => past(element.getBoundingClientRect()))
    .map((element) => element.tagName.toLowerCase() + (element.className ? "." + element.className : ""));
  const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (texts.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(texts.currentNode);
    const parent = texts.currentNode.parentElement;
    if (past(range.getBoundingClientRect())) {
      culprits.push(`text in ${parent.tagName.toLowerCase()}.${parent.className}: ${texts.currentNode.textContent.trim().slice(-40)}`);
    }
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    culprits: culprits.slice(0, 5),
  };
}"""
