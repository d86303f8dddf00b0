"""Images uploaded into article bodies from the editor: the admin's upload endpoint, what a body
keeps of a figure, and the figure on the reading site and in the PDF."""

import io
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTFigure, LTImage
from PIL import Image
from pypdf import PdfReader

from articles.models import Article
from articles.sanitize import sanitize_html
from issues.models import IssuePDF
from issues.typesetting.build import issue_build_pdf
from tests.factories import image_bytes, make_article, make_issue, make_section

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/admin/articles/article/body-images/"


def upload(client, data, *, name="chart.png", alt="各地区柱状图", **extra):
    return client.post(UPLOAD_URL, {"image": SimpleUploadedFile(name, data), "alt": alt, **extra})


def stored_files(media_root):
    folder = Path(media_root) / "articles" / "images"
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def test_a_good_image_is_stored_under_media_and_its_url_returned(staff_client, isolated_files):
    data = image_bytes(format="JPEG", size=(800, 600))
    response = upload(staff_client, data, name="图表 一.jpeg")
    assert response.status_code == 200
    url = response.json()["url"]
    assert re.fullmatch(r"/media/articles/images/\d{4}/\d{2}/[0-9a-f]{24}\.jpg", url), url
    (stored,) = stored_files(isolated_files)
    assert stored.read_bytes() == data  # as uploaded, not re-encoded
    assert "/" + stored.relative_to(isolated_files).as_posix() == url.removeprefix("/media")
    assert [p.name for p in stored.parent.iterdir()] == [stored.name]  # no temporary file left beside it


@pytest.mark.parametrize("image_format", ["PNG", "GIF", "WEBP"])
def test_every_web_format_is_taken(staff_client, image_format):
    response = upload(staff_client, image_bytes(format=image_format), name="x")
    assert response.status_code == 200
    assert response.json()["url"].endswith("." + {"PNG": "png", "GIF": "gif", "WEBP": "webp"}[image_format])


def test_a_file_that_is_not_an_image_is_refused_in_chinese(staff_client, isolated_files):
    response = upload(staff_client, b"%PDF-1.7 not an image", name="chart.png")
    assert response.status_code == 400
    assert response.json() == {"error": "无法识别的图片文件。"}
    assert stored_files(isolated_files) == []


def test_a_damaged_image_is_refused(staff_client, isolated_files):
    response = upload(staff_client, image_bytes(size=(400, 400))[:300])
    assert response.status_code == 400
    assert response.json()["error"].startswith("图片文件已损坏")
    assert stored_files(isolated_files) == []


def test_a_format_the_web_and_the_pdf_do_not_both_show_is_refused(staff_client, isolated_files):
    response = upload(staff_client, image_bytes(format="TIFF"), name="scan.tif")
    assert response.status_code == 400
    assert response.json() == {"error": "不支持 TIFF 格式的图片，请上传 JPEG、PNG、GIF 或 WebP 图片。"}
    assert stored_files(isolated_files) == []


def test_an_image_over_the_size_limit_is_refused_before_it_is_read(staff_client, settings, isolated_files):
    settings.BODY_IMAGE_MAX_BYTES = 1024 * 1024
    response = upload(staff_client, b"\0" * (1024 * 1024 + 1))
    assert response.status_code == 400
    assert response.json() == {"error": "图片过大（1.0 MB），上限为 1.0 MB。"}
    assert stored_files(isolated_files) == []


@pytest.mark.parametrize(
    ("side", "message"),
    [
        (9_000, "图片尺寸过大（9000×9000 像素）。"),  # over our pixel limit
        (20_000, "无法识别的图片文件。"),  # so large that Pillow itself will not open it
    ],
)
def test_a_decompression_bomb_is_refused_without_being_decoded(staff_client, isolated_files, side, message):
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, format="PNG")  # many million pixels in a few kilobytes
    assert len(out.getvalue()) < 200_000
    response = upload(staff_client, out.getvalue())
    assert response.status_code == 400
    assert response.json() == {"error": message}
    assert stored_files(isolated_files) == []


def test_alt_text_is_required(staff_client, isolated_files):
    response = upload(staff_client, image_bytes(), alt="   ")
    assert response.status_code == 400
    assert "替代文字" in response.json()["error"]
    response = staff_client.post(UPLOAD_URL, {"alt": "图"})
    assert response.status_code == 400
    assert response.json() == {"error": "请选择要上传的图片文件。"}
    assert stored_files(isolated_files) == []


def test_staff_without_the_right_to_change_articles_may_not_upload(client, django_user_model, isolated_files):
    clerk = django_user_model.objects.create_user(username="clerk", password="pw-clerk-123", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_article"))
    client.force_login(clerk)
    response = upload(client, image_bytes())
    assert response.status_code == 403
    assert response.json() == {"error": "你没有修改文章的权限，不能上传图片。"}
    assert stored_files(isolated_files) == []

    clerk.user_permissions.add(Permission.objects.get(codename="change_article"))
    client.force_login(django_user_model.objects.get(pk=clerk.pk))  # a fresh user: permissions are cached
    assert upload(client, image_bytes()).status_code == 200


def test_anonymous_visitors_and_readers_are_sent_to_the_login_page(client, django_user_model, isolated_files):
    response = upload(client, image_bytes())
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    reader = django_user_model.objects.create_user(username="reader", password="pw-reader-123")
    client.force_login(reader)
    response = upload(client, image_bytes())
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert stored_files(isolated_files) == []


def test_the_upload_needs_the_csrf_token_and_a_post(django_user_model, isolated_files):
    client = Client(enforce_csrf_checks=True)
    client.force_login(django_user_model.objects.create_superuser(username="editor", password="pw-editor-123"))
    assert upload(client, image_bytes()).status_code == 403
    assert stored_files(isolated_files) == []
    assert client.get(UPLOAD_URL).status_code == 405


# What a body keeps of a figure ------------------------------------------------------------------


def test_a_figure_keeps_its_image_alt_text_and_caption():
    html = (
        '<figure class="figure" onclick="x()"><img src="/media/articles/images/2026/01/a.png" alt="柱状图" '
        'data-file="3" style="width:9px"><figcaption class="figure-caption">图1 <em>各地</em></figcaption></figure>'
    )
    assert sanitize_html(html) == (
        '<figure><img src="/media/articles/images/2026/01/a.png" alt="柱状图"><figcaption>图1 <em>各地</em></figcaption></figure>'
    )


def test_saving_drops_a_figure_image_from_another_host_but_keeps_one_from_media():
    article = make_article(
        body='<figure><img src="https://tracker.example/p.png" alt="外"><figcaption>外图</figcaption></figure>'
        '<figure><img src="/media/articles/images/2026/01/a.png" alt="内"><figcaption>内图</figcaption></figure>'
    )
    assert article.body == (
        '<figure><img alt="外"><figcaption>外图</figcaption></figure>'
        '<figure><img src="/media/articles/images/2026/01/a.png" alt="内"><figcaption>内图</figcaption></figure>'
    )


def test_header_cells_and_a_table_head_are_kept():
    html = (
        "<table><thead><tr><th colspan=2>类别</th></tr></thead><tbody><tr><th>甲</th><td>乙</td></tr></tbody></table>"
    )
    assert sanitize_html(html) == (
        '<table><thead><tr><th colspan="2">类别</th></tr></thead><tbody><tr><th>甲</th><td>乙</td></tr></tbody></table>'
    )


# The figure on the site and in the PDF ----------------------------------------------------------


def test_an_uploaded_figure_is_printed_with_its_caption(staff_client):
    url = upload(staff_client, image_bytes(size=(900, 500), color=(200, 40, 40))).json()["url"]
    issue = make_issue(year=2020, number=1, total_number=90)
    make_article(
        issue=issue,
        section=make_section(name="数据观察"),
        title="各地数据",
        body=f'<p>见下图。</p><figure><img src="{url}" alt="各地区柱状图"><figcaption>图1 各地区网络零售额</figcaption></figure>',
    )
    article = Article.objects.get()

    # On the site, the copy for the article column with the original in its srcset (test_responsive_images);
    # the PDF below prints the original.
    page = staff_client.get(article.get_absolute_url())
    variant = url.rsplit("/", 1)
    figure = re.search(
        r"<figure><img ([^>]*)><figcaption>图1 各地区网络零售额</figcaption></figure>", page.content.decode()
    )
    assert figure, page.content.decode()
    assert f'src="{variant[0]}/variants/{variant[1].removesuffix(".png")}-720w.png"' in figure.group(1)
    assert f"{url} 900w" in figure.group(1) and 'alt="各地区柱状图"' in figure.group(1)

    record = issue_build_pdf(issue=issue)
    assert record.status == IssuePDF.Status.DONE, record.error
    texts = [page.extract_text() for page in PdfReader(record.path).pages]
    (page_number,) = [number for number, text in enumerate(texts) if "图1各地区网络零售额" in re.sub(r"\s", "", text)]
    images = [
        item
        for figure in extract_pages(record.path, page_numbers=[page_number])
        for element in figure
        if isinstance(element, LTFigure)
        for item in element
        if isinstance(item, LTImage)
    ]
    assert [image.srcsize for image in images] == [(900, 500)]
