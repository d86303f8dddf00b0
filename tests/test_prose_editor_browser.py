"""The article body editor in a real browser: Chinese throughout, header rows, images uploaded into the body."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from articles.models import Article
from tests.browser import checked_page
from tests.factories import image_bytes, make_article, make_issue, make_section
from tests.test_admin_browser import log_in

pytestmark = pytest.mark.django_db(transaction=True)

# Latin words an editor may meet in the editor's Chinese labels.
ALLOWED_LATIN = {"HTML", "JPEG", "PNG", "GIF", "WebP"}

# Every label the editor shows: tooltips and accessible names of the buttons (the text of
# icon buttons is the icon font's ligature, e.g. "format_bold", which nobody reads), dropdown
# options, and the text of open dialogs.
LABELS_JS = """(root) => {
  const labels = [];
  for (const button of root.querySelectorAll(".prose-menubar button")) {
    if (button.matches(".prose-menubar__option")) labels.push(button.textContent);
    else labels.push(button.title, button.getAttribute("aria-label"));
  }
  for (const dialog of document.querySelectorAll("dialog[open]")) {
    for (const element of dialog.querySelectorAll("h3, label, button, option")) labels.push(element.textContent);
    for (const help of dialog.querySelectorAll(".prose-editor-help")) {
      if (help.textContent.trim()) labels.push(help.textContent);  // a message, when there is one
    }
  }
  return labels.map((label) => (label || "").trim());
}"""


def english_in(labels):
    """The labels holding a Latin word outside the allowlist (or empty ones, which say nothing)."""
    return [
        label
        for label in labels
        if not label or any(word not in ALLOWED_LATIN for word in re.findall(r"[A-Za-z_]+", label))
    ]


@pytest.fixture
def page(browser, live_server):
    with checked_page(browser, live_server) as page:
        yield page


def open_editor(page, django_user_model, article):
    log_in(page, django_user_model, next_url=f"/admin/articles/article/{article.pk}/change/")
    editor = page.locator(".ProseMirror[contenteditable=true]")
    expect(editor).to_be_visible()
    return editor


def test_menus_tooltips_and_the_table_dialog_are_chinese(page, django_user_model):
    article = make_article(
        issue=make_issue(),
        title="表格测试",
        body="<h2>一、概况</h2><p>正文。</p><table><tbody><tr><td>地区</td><td>金额</td></tr></tbody></table>",
    )
    editor = open_editor(page, django_user_model, article)
    editor.locator("td").first.click()  # inside the table, so its buttons show too

    root = page.locator(".prose-editor")
    labels = root.evaluate(LABELS_JS)
    assert len(labels) > 40
    assert english_in(labels) == []
    for expected in [
        "标题 2",
        "正文",
        "加粗",
        "插入表格",
        "在右侧插入一列",
        "删除表格",
        "设为表头行",
        "插入图片（上传）",
    ]:
        assert expected in labels, expected

    page.get_by_role("button", name="插入表格").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    assert english_in(root.evaluate(LABELS_JS)) == []
    header_row = dialog.get_by_label("包含表头行")
    expect(header_row).to_be_checked()
    dialog.get_by_label("行数").fill("2")
    dialog.get_by_role("button", name="插入表格").click()
    expect(editor.locator("table")).to_have_count(2)
    expect(editor.locator("table th")).to_have_count(3)  # the new table's header row, three columns


def test_the_table_menu_toggles_the_header_row_and_saving_keeps_it(page, django_user_model):
    article = make_article(
        issue=make_issue(),
        title="融资表",
        body="<table><tbody><tr><td>类别</td><td>公司</td></tr><tr><td>电商</td><td>甲公司</td></tr></tbody></table>",
    )
    editor = open_editor(page, django_user_model, article)
    editor.locator("td", has_text="电商").click()

    page.get_by_role("button", name="设为表头行").click()
    expect(editor.locator("th")).to_have_count(2)
    expect(page.get_by_role("button", name="取消表头行")).to_have_attribute("aria-pressed", "true")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .success")).to_contain_text("融资表")
    body = Article.objects.get(pk=article.pk).body
    # Saved as a <thead> (articles/tables.py), the one header print repeats on every page.
    assert "<thead><tr><th><p>类别</p></th><th><p>公司</p></th></tr></thead><tbody><tr><td><p>电商</p></td>" in body

    editor.locator("td", has_text="电商").click()
    page.get_by_role("button", name="取消表头行").click()
    expect(editor.locator("th")).to_have_count(0)
    expect(page.get_by_role("button", name="设为表头行")).to_have_attribute("aria-pressed", "false")


def test_an_editor_uploads_an_image_with_alt_text_and_caption_and_readers_see_the_figure(
    browser, live_server, django_user_model
):
    # The refused upload below is a 400, which Chromium reports on the console.
    with checked_page(browser, live_server, refusals=["/admin/articles/article/body-images/"]) as page:
        upload_an_image_and_read_the_article(page, django_user_model)


def upload_an_image_and_read_the_article(page, django_user_model):
    article = make_article(
        issue=make_issue(), section=make_section(name="数据观察"), title="各地数据", body="<p>见下图。</p>"
    )
    editor = open_editor(page, django_user_model, article)
    editor.locator("p").click()
    page.keyboard.press("End")

    page.get_by_role("button", name="插入图片（上传）").click()
    dialog = page.locator("dialog[open]")
    assert english_in(page.locator(".prose-editor").evaluate(LABELS_JS)) == []
    # Not an image: the server's reason, in Chinese, and the dialog stays open.
    dialog.get_by_label("图片文件").set_input_files(
        files=[{"name": "chart.png", "mimeType": "image/png", "buffer": b"not a picture"}]
    )
    dialog.get_by_label("替代文字").fill("各地区柱状图")
    dialog.get_by_role("button", name="上传并插入").click()
    expect(dialog.get_by_role("alert")).to_have_text("无法识别的图片文件。")

    dialog.get_by_label("图片文件").set_input_files(
        files=[{"name": "柱状图.png", "mimeType": "image/png", "buffer": image_bytes(size=(600, 300))}]
    )
    dialog.get_by_label("图注").fill("图1 各地区网络零售额")
    dialog.get_by_role("button", name="上传并插入").click()
    expect(dialog).to_have_count(0)
    figure = editor.locator("figure")
    expect(figure.locator("img")).to_have_attribute("alt", "各地区柱状图")
    expect(figure.locator("figcaption")).to_have_text("图1 各地区网络零售额")

    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .success")).to_contain_text("各地数据")
    body = Article.objects.get(pk=article.pk).body
    match = re.search(r'<figure><img src="(/media/articles/images/\d{4}/\d{2}/[0-9a-f]+\.png)" alt="各地区柱状图">'
                      r"<figcaption>图1 各地区网络零售额</figcaption></figure>", body)  # fmt: skip
    assert match, body
    stored = Path(settings.MEDIA_ROOT, match[1].removeprefix(settings.MEDIA_URL))
    assert stored.read_bytes() == image_bytes(size=(600, 300))

    page.goto(article.get_absolute_url())  # staff preview of the draft
    figure = page.locator(".body figure")
    expect(figure.locator("figcaption")).to_have_text("图1 各地区网络零售额")
    image = figure.locator("img")
    expect(image).to_have_attribute("alt", "各地区柱状图")
    # It loads, from the uploaded file itself: at 600 px it is the widest of its srcset for the column.
    # (naturalWidth is the srcset's density-corrected size, the column's 648 px, not the file's.)
    assert image.evaluate("img => img.decode().then(() => img.naturalWidth, () => 0)") > 0
    assert image.evaluate("img => img.currentSrc").endswith("/" + stored.name)
    caption_box, image_box = figure.locator("figcaption").bounding_box(), image.bounding_box()
    assert caption_box["y"] >= image_box["y"] + image_box["height"]  # the caption is under the image
