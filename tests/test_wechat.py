"""复制到公众号: an article as HTML with inline styles only, its images fit for WeChat, the admin page
that previews it at a phone's width and copies it to the clipboard."""

import io
import random
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from articles.models import Article
from articles.wechat import ALLOWED_TAGS, MAX_IMAGE_BYTES, MAX_IMAGE_WIDTH, STYLES, article_wechat_export
from issues.models import Issue
from tests.browser import checked_page
from tests.factories import image_bytes, make_article, make_body_image, make_issue, make_section, photo_bytes

pytestmark = pytest.mark.django_db

SITE = "https://bulletin.example.cn"
# Elements whose look comes from their parent: everything else carries its own style attribute.
UNSTYLED = {"br", "tr", "thead", "tbody", "sub", "sup"}


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE + "/"


def load_demo():
    call_command("load_demo", stdout=io.StringIO())
    return Issue.objects.get(year=2017, number=1)


class Elements(HTMLParser):
    """Every element of an HTML fragment, in order: (tag, attributes), and the text."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.elements, self.texts = [], []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.texts.append(data)

    def tags(self, tag):
        return [attributes for name, attributes in self.elements if name == tag]

    @property
    def text(self):
        return "".join(self.texts)


def check_wechat_html(html):
    """What the WeChat editor keeps: allowed tags, inline styles only, no class, id, data-* or script."""
    parsed = Elements(html)
    assert parsed.elements
    assert {tag for tag, _attributes in parsed.elements} <= ALLOWED_TAGS
    for tag, attributes in parsed.elements:
        assert not {"class", "id"} & set(attributes), (tag, attributes)
        assert not [name for name in attributes if name.startswith(("data-", "on"))], (tag, attributes)
        assert set(attributes) <= {"style", "href", "src", "alt", "colspan", "rowspan", "start"}, (tag, attributes)
        if tag not in UNSTYLED:
            assert attributes.get("style") in STYLES.values(), (tag, attributes)
    assert "<style" not in html and "<script" not in html
    return parsed


# The export ------------------------------------------------------------------------------------


def test_every_demo_article_exports_as_inline_styled_html_with_its_source_and_address():
    issue = load_demo()
    articles = list(issue.articles.in_print_order())
    assert len(articles) == 19
    images = 0
    for article in articles:
        export = article_wechat_export(article=article)
        parsed = check_wechat_html(export.html)
        assert export.problems == [], article.title
        assert parsed.elements[0] == ("section", {"style": STYLES["article"]})
        assert parsed.elements[1] == ("h1", {"style": STYLES["title"]})
        url = SITE + article.get_absolute_url()
        assert export.url == url
        assert {"href": url, "style": STYLES["link"]} in parsed.tags("a")
        assert export.text.splitlines()[0] == article.title
        assert export.text.splitlines()[-1] == "阅读原文：" + unquote(url)  # readable, not %-encoded
        if article.source:
            assert f"（来源：{article.source}）" in export.text.splitlines()
        if article.subtitle:
            assert export.text.splitlines()[1] == "——" + article.subtitle
        if article.printed_byline:
            assert {"style": STYLES["byline"]} in parsed.tags("p") and article.printed_byline in parsed.text
        # Body paragraphs are indented two characters, justified, 16 px at line-height 1.75.
        if "<p>" in article.body:
            assert {"style": STYLES["paragraph"]} in parsed.tags("p")
        for image in parsed.tags("img"):  # the demo's chart
            images += 1
            assert image["src"].startswith(SITE + "/media/wechat/") and image["src"].endswith((".png", ".jpg"))
    assert images == 1
    assert "text-indent:2em" in STYLES["paragraph"] and "text-align:justify" in STYLES["paragraph"]
    assert "font-size:16px;line-height:1.75" in STYLES["paragraph"]
    for heading in ("title", "heading", "subheading"):
        assert "sans-serif" in STYLES[heading] and "font-weight:bold" in STYLES[heading]


def test_the_data_article_keeps_its_tables_header_rows_spans_and_headings():
    load_demo()
    article = Article.objects.get(title="2016年南滨电商企业融资盘点")
    export = article_wechat_export(article=article)
    parsed = check_wechat_html(export.html)
    body = Elements(article.body)
    assert len(parsed.tags("table")) == len(body.tags("table")) >= 1
    assert len(parsed.tags("tr")) == len(body.tags("tr"))
    assert len(parsed.tags("thead")) == len(body.tags("thead")) >= 1
    assert len(parsed.tags("th")) == len(body.tags("th"))
    assert len(parsed.tags("td")) == len(body.tags("td")) > 100
    assert all(cell["style"] == STYLES["header_cell"] for cell in parsed.tags("th"))
    assert all(cell["style"] == STYLES["cell"] for cell in parsed.tags("td"))
    for style in (STYLES["header_cell"], STYLES["cell"]):
        assert "border:1px solid" in style and "padding:6px 8px" in style
    assert "background" in STYLES["header_cell"] and "font-weight:bold" in STYLES["header_cell"]
    # The category cell spans many rows, as printed.
    spans = [int(cell["rowspan"]) for cell in parsed.tags("td") if "rowspan" in cell]
    assert spans == [int(cell["rowspan"]) for cell in body.tags("td") if "rowspan" in cell] and max(spans) > 3
    assert len(parsed.tags("h2")) == len(body.tags("h2")) >= 3
    assert "一、总体概况：事件数量回落，单笔金额上移" in export.text.splitlines()
    # Every table scrolls sideways in its own box on a phone rather than squeezing its columns.
    assert re.search(rf'<section style="{re.escape(STYLES["table_wrap"])}"><table', export.html.replace("'", "&#x27;"))


def test_lists_quotes_links_and_inline_marks_are_restyled():
    article = make_article(
        title="规则摘要",
        subtitle="新规要点",
        byline="本刊编辑部",
        source="本刊编辑部整理",
        body="<h2>要点</h2><ul><li><p>第一，<b>备案</b>。</p></li><li><p>第二，<i>公示</i>。</p></li></ul>"
        "<ol start='3'><li>第三<sub>1</sub></li></ol><blockquote><p>“引文”。</p></blockquote>"
        '<p>详见<a href="https://www.example.gov.cn/rule.html">通知原文</a>，或<a href="/issues/">往期</a>。</p>'
        "<h4>附</h4><hr><pre>代码  行</pre>",
    )
    export = article_wechat_export(article=article)
    parsed = check_wechat_html(export.html)
    assert parsed.tags("ol") == [{"start": "3", "style": STYLES["list"]}]
    assert [p["style"] for p in parsed.tags("p")].count(STYLES["list_paragraph"]) == 2
    assert parsed.tags("blockquote") and {"style": STYLES["quote_paragraph"]} in parsed.tags("p")
    assert parsed.tags("h3") == [{"style": STYLES["subheading"]}]  # h4 and below become h3
    assert ("strong", {"style": STYLES["strong"]}) in parsed.elements
    assert ("em", {"style": STYLES["emphasis"]}) in parsed.elements
    lines = export.text.splitlines()
    assert lines[:3] == ["规则摘要", "——新规要点", "本刊编辑部"]
    assert lines[-2:] == ["（来源：本刊编辑部整理）", "阅读原文：" + unquote(SITE + article.get_absolute_url())]
    # WeChat drops links to other sites: the address stays readable beside the text.
    assert (
        "详见通知原文（https://www.example.gov.cn/rule.html），或往期（https://bulletin.example.cn/issues/）。" in lines
    )
    assert {"href": f"{SITE}/issues/", "style": STYLES["link"]} in parsed.tags("a")


# Images ------------------------------------------------------------------------------------------


def exported_image(url, media_root):
    """The file behind an exported image's absolute URL, opened, and its size in bytes."""
    assert url.startswith(SITE + "/media/wechat/"), url
    path = Path(media_root) / url.removeprefix(SITE + "/media/")
    data = path.read_bytes()
    return Image.open(io.BytesIO(data)), len(data)


def figure_article(url, *, title="各地数据"):
    return make_article(
        title=title,
        section=make_section(name="数据观察"),
        body=f'<p>见下图。</p><figure><img src="{url}" alt="各地区柱状图"><figcaption>图1 各地区<em>网络零售额</em></figcaption></figure>',
    )


def test_a_figure_with_an_uploaded_image_keeps_its_caption_and_points_at_a_public_copy(isolated_files):
    url = make_body_image(data=image_bytes(size=(1600, 900), color=(200, 40, 40)), name="chart.png")
    export = article_wechat_export(article=figure_article(url))
    parsed = check_wechat_html(export.html)
    assert parsed.tags("figure") == [{"style": STYLES["figure"]}]
    [image] = parsed.tags("img")
    assert image["alt"] == "各地区柱状图" and image["style"] == STYLES["image"]
    assert "max-width:100%" in STYLES["image"]
    assert parsed.tags("figcaption") == [{"style": STYLES["caption"]}]
    assert "图1 各地区网络零售额" in export.text.splitlines()
    picture, size = exported_image(image["src"], isolated_files)
    # One colour: a chart, not a photograph, so PNG, scaled to the phone's width.
    assert picture.format == "PNG" and picture.size == (MAX_IMAGE_WIDTH, 608) and size < MAX_IMAGE_BYTES


@pytest.mark.parametrize(
    ("image_format", "size", "quality", "copy_size"),
    [
        ("PNG", (2400, 1600), None, (1080, 720)),  # a photograph saved as PNG: 4.9 MB
        ("JPEG", (4000, 3000), 95, (1080, 810)),  # straight from a camera: 8 MB
    ],
)
def test_a_large_photograph_becomes_a_jpeg_under_1_mb_and_1080_px(
    isolated_files, image_format, size, quality, copy_size
):
    data = photo_bytes(format=image_format, size=size, **({"quality": quality} if quality else {}))
    assert len(data) > 4 * MAX_IMAGE_BYTES
    export = article_wechat_export(article=figure_article(make_body_image(data=data, name=f"photo.{image_format}")))
    [image] = Elements(export.html).tags("img")
    picture, file_size = exported_image(image["src"], isolated_files)
    assert picture.format == "JPEG" and file_size < MAX_IMAGE_BYTES and picture.size == copy_size


def test_even_pure_noise_is_brought_under_1_mb(isolated_files):
    grain = random.Random(26).randbytes(1600 * 1600 * 3)  # nothing to compress: quality, then size, give way
    out = io.BytesIO()
    Image.frombytes("RGB", (1600, 1600), grain).save(out, format="PNG")
    export = article_wechat_export(article=figure_article(make_body_image(data=out.getvalue(), name="noise.png")))
    [image] = Elements(export.html).tags("img")
    picture, size = exported_image(image["src"], isolated_files)
    assert picture.format == "JPEG" and size < MAX_IMAGE_BYTES and picture.width <= MAX_IMAGE_WIDTH


def test_an_image_with_transparency_stays_a_png(isolated_files):
    out = io.BytesIO()
    Image.new("RGBA", (500, 300), (20, 90, 130, 0)).save(out, format="PNG")
    export = article_wechat_export(article=figure_article(make_body_image(data=out.getvalue(), name="logo.png")))
    [image] = Elements(export.html).tags("img")
    picture, _size = exported_image(image["src"], isolated_files)
    assert picture.format == "PNG" and picture.size == (500, 300) and picture.mode in ("RGBA", "P")


def test_a_copy_is_made_once_per_image_content(isolated_files):
    data = image_bytes(size=(300, 200))
    first = article_wechat_export(article=figure_article(make_body_image(data=data)))
    second = article_wechat_export(article=figure_article(make_body_image(data=data), title="再次引用"))
    [first_image], [second_image] = Elements(first.html).tags("img"), Elements(second.html).tags("img")
    assert first_image["src"] == second_image["src"]
    copies = sorted((Path(isolated_files) / "wechat").iterdir())
    assert [path.name for path in copies] == [first_image["src"].rpartition("/")[2]]  # and no temporary file


def test_a_missing_or_foreign_image_is_left_out_and_said_in_chinese(isolated_files):
    article = make_article(
        title="缺图",
        body='<figure><img src="/media/articles/images/2026/01/gone.png" alt="已删除的图"><figcaption>图1</figcaption></figure>'
        '<p><img src="/media/../../etc/passwd" alt="越界"></p>',
    )
    export = article_wechat_export(article=article)
    assert Elements(export.html).tags("img") == []
    assert export.problems == [
        "图片“已删除的图”未能导出：图片文件不存在。",
        "图片“越界”未能导出：图片不在本站的媒体文件中。",
    ]


# The admin page ----------------------------------------------------------------------------------


def wechat_url(article):
    return reverse("admin:articles_article_wechat", args=[article.pk])


def test_the_editor_reaches_the_page_from_the_article_and_the_issue_and_sees_the_export(staff_client):
    issue = make_issue()
    article = make_article(issue=issue, title="县域电商调查", body="<p>正文。</p>", source="本刊编辑部")
    for page in (
        reverse("admin:articles_article_change", args=[article.pk]),
        reverse("admin:issues_issue_change", args=[issue.pk]),
    ):
        assert f'href="{wechat_url(article)}"' in staff_client.get(page).content.decode(), page
    response = staff_client.get(wechat_url(article))
    assert response.status_code == 200
    page = response.content.decode()
    assert "复制到公众号" in page and "本文尚未发布" in page
    export = article_wechat_export(article=article)
    [button] = [button for button in Elements(page).tags("button") if button.get("id") == "wechat-copy"]
    assert button["data-html"] == export.html and button["data-text"] == export.text
    [frame] = Elements(page).tags("iframe")
    assert frame["sandbox"] == "allow-same-origin" and export.html in frame["srcdoc"]
    policy = response["Content-Security-Policy"]
    assert "'unsafe-hashes'" in policy and "'unsafe-inline'" not in policy and "script-src 'self'" in policy


def test_staff_without_the_right_to_view_articles_get_403_and_visitors_the_login_page(client, django_user_model):
    article = make_article(title="县域电商调查")
    response = client.get(wechat_url(article))
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    clerk = django_user_model.objects.create_user(username="clerk", password="pw-clerk-123", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_issue"))
    client.force_login(clerk)
    assert client.get(wechat_url(article)).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_article"))
    client.force_login(django_user_model.objects.get(pk=clerk.pk))  # a fresh user: permissions are cached
    assert client.get(wechat_url(article)).status_code == 200


# In Chromium: the phone-width preview, and the clipboard -------------------------------------

READ_CLIPBOARD_JS = """async () => {
    const [item] = await navigator.clipboard.read();
    return {types: item.types, html: await (await item.getType("text/html")).text(),
            text: await (await item.getType("text/plain")).text()};
}"""


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("clipboard_api", [True, False], ids=["clipboard-api", "execcommand"])
def test_the_editor_copies_the_export_from_a_phone_width_preview(
    browser, live_server, django_user_model, settings, clipboard_api
):
    settings.SITE_URL = live_server.url
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # no PDF builds in the test
    load_demo()
    article = Article.objects.get(title="2016年南滨电商企业融资盘点")
    export = article_wechat_export(article=article)
    django_user_model.objects.create_superuser(username="editor", password="pw-editor-123")
    with checked_page(browser, live_server) as page:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
        if not clipboard_api:  # an older browser: the fallback selects the preview and copies it
            page.add_init_script("delete Clipboard.prototype.write")
        page.goto(reverse("admin:login") + "?next=" + reverse("admin:articles_article_change", args=[article.pk]))
        page.fill("#id_username", "editor")
        page.fill("#id_password", "pw-editor-123")
        page.click("input[type=submit]")
        page.get_by_role("link", name="复制到公众号").click()

        frame = page.locator("#wechat-preview")
        assert frame.evaluate("frame => frame.clientWidth") == 375
        preview = page.frame_locator("#wechat-preview")
        expect(preview.locator("h1")).to_have_text(article.title)
        # The inline styles apply inside the frame (the page's policy lets exactly these through).
        assert (
            preview.locator("p", has_text="国内创业投资市场进入调整期").evaluate("p => getComputedStyle(p).textIndent")
            == "32px"
        )
        assert preview.locator("th").first.evaluate("th => getComputedStyle(th).fontWeight") == "700"
        assert preview.locator("body").evaluate("body => body.scrollWidth") <= 375

        page.get_by_role("button", name="复制到公众号").click()
        expect(page.get_by_role("status")).to_have_text("已复制，可以到公众号后台粘贴了。")
        clipboard = page.evaluate(READ_CLIPBOARD_JS)
    assert set(clipboard["types"]) == {"text/html", "text/plain"}
    assert clipboard["text"] == export.text
    # Chromium hands HTML back as a fragment behind a charset declaration; the markup is the export.
    assert same_markup(clipboard["html"], export.html)


def same_markup(copied, exported):
    copied = re.sub(r"^<meta charset=['\"]utf-8['\"]>", "", copied)
    return Elements(copied).elements == Elements(exported).elements and Elements(copied).text == Elements(exported).text
