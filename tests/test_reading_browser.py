"""The reading experience in Chromium: the share panel, web typography at a phone's and a desktop's width,
and an article printed to PDF."""

import io
import subprocess
import unicodedata

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from articles.models import Article
from issues.models import Issue, Periodical
from tests.browser import DESKTOP, PHONE, check_focus_outline, check_reading_page, checked_page
from tests.factories import make_article, make_contributor, make_issue, make_section

pytestmark = pytest.mark.django_db(transaction=True)

PARAGRAPH = (
    "据南滨市统计局快报数据，全市实现电子商务交易额一千二百八十六亿元，同比增长两成以上，首次突破千亿元；"
    "其中网络零售额三百一十二亿元，增速比上年提高三个百分点，高出全市社会消费品零售总额增速十八个百分点。"
    "从各区县情况看，全市电子商务呈现中心城区稳中有升、临港新区快速崛起、山区县后发追赶的格局。"
)


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone", "desktop"])
def screen(request):
    return request.param


def published_article(settings, live_server):
    settings.SITE_URL = live_server.url
    periodical = Periodical.load()
    periodical.name = "南滨电子商务"
    periodical.save()
    issue = make_issue(year=2017, number=1, total_number=26, status=Issue.Status.PUBLISHED)
    section = make_section(name="特别报道")
    article = make_article(
        issue=issue,
        section=section,
        title="南滨市跨境电子商务发展报告",
        position=1,
        status=Article.Status.PUBLISHED,
        authors=[make_contributor(name="王毅")],
        source="本刊编辑部整理",
        body=(
            f"<p>{PARAGRAPH}</p><h2>一、分区县主要指标</h2><p>{PARAGRAPH}</p>"
            "<table><tr><th>区县</th><th>交易额（亿元）</th></tr><tr><td>滨江区</td><td>412.6</td></tr></table>"
            f"<p>{PARAGRAPH}</p>"
        ),
    )
    make_article(issue=issue, section=section, title="第二篇", position=2, status=Article.Status.PUBLISHED)
    return article


def zbar(png: bytes, tmp_path) -> list[str]:
    path = tmp_path / "seen.png"
    path.write_bytes(png)
    result = subprocess.run(["zbarimg", "--quiet", "--raw", str(path)], capture_output=True, text=True)
    return result.stdout.split()


# The share panel -----------------------------------------------------------------------------


def test_the_share_panel_shows_a_qr_code_of_the_address_and_copies_it(browser, live_server, settings, screen, tmp_path):
    article = published_article(settings, live_server)
    canonical = live_server.url + article.get_absolute_url()
    with checked_page(browser, live_server, **screen) as page:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
        check_reading_page(page, page.goto(article.get_absolute_url()))
        panel = page.get_by_role("complementary", name="分享本文")
        expect(panel).to_be_visible()
        expect(panel).to_contain_text("微信扫一扫")
        qr = panel.get_by_role("img", name="本文网址的二维码")
        qr.scroll_into_view_if_needed()
        # What the reader's phone camera sees on the screen: the image as the page shows it.
        assert zbar(qr.screenshot(), tmp_path) == [canonical]
        box = qr.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]

        # From the keyboard: the address field, then the copy button.
        panel.get_by_label("本文网址").focus()
        page.keyboard.press("Tab")
        copy = panel.get_by_role("button", name="复制链接")
        expect(copy).to_be_focused()
        check_focus_outline(page)
        page.keyboard.press("Enter")
        expect(panel.get_by_role("status")).to_have_text("链接已复制，可以粘贴到微信发给朋友了。")
        assert page.evaluate("navigator.clipboard.readText()") == canonical
        # Chromium on Linux has no Web Share API: its button stays hidden rather than failing.
        has_share = page.evaluate("'share' in navigator")
        expect(panel.get_by_role("button", name="分享到…")).to_have_count(1 if has_share else 0)


def test_without_the_clipboard_api_the_copy_button_falls_back_to_the_selection(browser, live_server, settings):
    article = published_article(settings, live_server)
    with checked_page(browser, live_server, **DESKTOP) as page:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
        page.add_init_script("Object.defineProperty(Clipboard.prototype, 'writeText', {value: undefined})")
        page.goto(article.get_absolute_url())
        page.get_by_role("button", name="复制链接").click()
        expect(page.get_by_role("status")).to_have_text("链接已复制，可以粘贴到微信发给朋友了。")
        assert page.evaluate(
            "navigator.clipboard.read().then(([item]) => item.getType('text/plain')).then(b => b.text())"
        ) == (live_server.url + article.get_absolute_url())


# Web typography ------------------------------------------------------------------------------

MEASURE_JS = """(selector) => {
  // Characters per line of the first paragraph: its text split at the line boxes' tops.
  const paragraph = document.querySelector(selector);
  const text = paragraph.firstChild;
  const lines = [];
  let top = null;
  for (let i = 0; i < text.length; i++) {
    const range = document.createRange();
    range.setStart(text, i);
    range.setEnd(text, i + 1);
    const rect = range.getClientRects()[0];
    if (!rect) continue;
    if (top === null || rect.top > top + 2) { lines.push(""); top = rect.top; }
    lines[lines.length - 1] += text.data[i];
  }
  const style = getComputedStyle(paragraph);
  const heading = getComputedStyle(document.querySelector(".article h1"));
  return {
    lines,
    body: style.fontFamily, heading: heading.fontFamily,
    align: style.textAlign, justify: style.textJustify, lineHeight: parseFloat(style.lineHeight) / parseFloat(style.fontSize),
    usedFont: document.fonts.check(`16px ${style.fontFamily}`),
  };
}"""


@pytest.mark.parametrize(("viewport", "fewest", "most"), [(DESKTOP, 32, 40), (PHONE, 18, 24)], ids=["desktop", "phone"])
def test_article_text_is_set_in_the_house_style_with_a_comfortable_measure(
    browser, live_server, settings, viewport, fewest, most
):
    article = published_article(settings, live_server)
    with checked_page(browser, live_server, **viewport) as page:
        page.goto(article.get_absolute_url())
        measured = page.evaluate(MEASURE_JS, ".body p")
    assert measured["body"].startswith('"Noto Serif CJK SC", "Source Han Serif SC", "Songti SC", SimSun, serif')
    assert measured["heading"].startswith('"Noto Sans CJK SC"') and measured["heading"].endswith("sans-serif")
    assert "Microsoft YaHei" in measured["heading"] and "PingFang SC" in measured["heading"]
    assert (measured["align"], measured["justify"]) == ("justify", "inter-character")
    assert 1.7 <= measured["lineHeight"] <= 1.9
    full_lines = measured["lines"][1:-1]  # the first is indented two characters, the last is short
    assert full_lines and all(fewest <= len(line) <= most for line in full_lines), measured["lines"]


# Printing one article --------------------------------------------------------------------------


# Noto CJK's cmap gives some ideographs as radicals: Kangxi radicals (⼦ for 子) go back with NFKC,
# the supplement's simplified forms (⻓ for 长) need a table.
RADICALS = str.maketrans("⻓⻔⻅⻢⻛⻜⻝⻩⻦⻥⻉⻋⻚⻘", "长门见马风飞饣黄鸟鱼贝车页青")


def flat(text):
    """Text without spaces, in the form PDF extraction gives and with ideographs for radicals."""
    return unicodedata.normalize("NFKC", "".join(text.split())).translate(RADICALS)


def test_a_printed_article_has_its_text_and_address_but_not_the_site_around_it(browser, live_server, settings):
    article = published_article(settings, live_server)
    canonical = live_server.url + article.get_absolute_url()
    with checked_page(browser, live_server, **DESKTOP) as page:
        page.goto(article.get_absolute_url())
        pdf = page.pdf(prefer_css_page_size=True)
    reader = PdfReader(io.BytesIO(pdf))
    printed = flat("".join(page.extract_text() for page in reader.pages))
    for text in ("南滨市跨境电子商务发展报告", "文 / 王毅", PARAGRAPH[:40], PARAGRAPH[-30:], "滨江区 412.6"):
        assert flat(text) in printed, text
    # At the end: the source, the issue it appeared in, its address.
    assert printed.endswith(flat(f"（来源：本刊编辑部整理）南滨电子商务 2017年第1期（总第26期）本文网址：{canonical}"))
    for screen_only in (
        "主导航",
        "往期",
        "投稿",
        "搜索文章",
        "分享本文",
        "复制链接",
        "微信扫一扫",
        "第二篇",
        "订阅文章",
    ):
        assert flat(screen_only) not in printed, screen_only
    width, height = (float(value) for value in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4, from @page
