"""QR codes printed under articles (刊物设置 › 文末印二维码): read back from the PDF with zbarimg."""

import io
import subprocess

import pypdfium2
import pytest
from django.conf import settings as django_settings
from pypdf import PdfReader

from articles.models import Article
from issues.models import Issue, IssuePDF, Periodical
from issues.qrcodes import qr_png
from issues.typesetting.build import issue_build_pdf
from tests.factories import make_article, make_issue, make_section

pytestmark = pytest.mark.django_db


def decoded(png: bytes, tmp_path) -> list[str]:
    """What zbarimg (Debian's zbar-tools) reads in a PNG: one string per symbol."""
    image = tmp_path / "scan.png"
    image.write_bytes(png)
    result = subprocess.run(["zbarimg", "--quiet", "--raw", str(image)], capture_output=True, text=True)
    return result.stdout.split()


def page_png(path, index: int) -> bytes:
    """One page of a PDF rendered at 200 dpi, as a phone camera would see it printed."""
    page = pypdfium2.PdfDocument(path)[index]
    out = io.BytesIO()
    page.render(scale=200 / 72, grayscale=True).to_pil().save(out, format="PNG")
    return out.getvalue()


def qr_issue(*, codes: bool):
    periodical = Periodical.load()
    periodical.article_qr_codes = codes
    periodical.save()
    issue = make_issue(year=2020, number=3, total_number=92)
    feature = make_article(
        issue=issue, section=make_section(name="特别报道"), title="跨境电商的十年", body="<p>正文一段。</p>" * 3
    )
    news = make_section(name="行业动态")
    brief = make_article(
        issue=issue, section=make_section(name="南滨", parent=news), title="平台上线", body="<p>一条简讯。</p>"
    )
    return issue, feature, brief


def test_the_symbol_decodes_to_the_address_it_was_made_of(tmp_path):
    url = "http://127.0.0.1:8000/articles/12/"
    assert decoded(qr_png(url), tmp_path) == [url]


@pytest.mark.parametrize("variant", [IssuePDF.Variant.SCREEN, IssuePDF.Variant.PRINT])
def test_each_article_but_briefs_ends_with_a_qr_code_of_its_address(variant, tmp_path):
    issue, feature, brief = qr_issue(codes=True)
    record = issue_build_pdf(issue=issue, variant=variant)
    assert record.status == IssuePDF.Status.DONE, record.error
    expected = django_settings.SITE_URL.rstrip("/") + f"/articles/{feature.pk}/"

    # One symbol in the whole issue, the feature's, on the page it ends; the brief has none.
    scans = {page: decoded(page_png(record.path, page), tmp_path) for page in range(record.page_count)}
    assert [code for codes in scans.values() for code in codes] == [expected]
    (page,) = [page for page, codes in scans.items() if codes]
    text = PdfReader(record.path).pages[page].extract_text()
    assert "扫码阅读、转发本文" in text and "跨境电商的十年" in text


def test_the_printed_address_leads_to_the_article_under_its_current_title(client):
    issue = make_issue(year=2020, number=4, status=Issue.Status.PUBLISHED)
    article = make_article(issue=issue, title="旧标题", status=Article.Status.PUBLISHED)
    article.title = "新标题"
    article.save()
    response = client.get(f"/articles/{article.pk}/")
    assert response.status_code == 302 and response["Location"] == article.get_absolute_url()
    assert "新标题" in client.get(response["Location"]).content.decode()
    draft = make_article(issue=make_issue(year=2020, number=5), title="草稿")
    assert client.get(f"/articles/{draft.pk}/").status_code == 404


def test_no_qr_code_unless_the_periodical_asks_for_it(tmp_path):
    issue, _feature, _brief = qr_issue(codes=False)
    record = issue_build_pdf(issue=issue, variant=IssuePDF.Variant.SCREEN)
    assert record.status == IssuePDF.Status.DONE, record.error
    assert not any(decoded(page_png(record.path, page), tmp_path) for page in range(record.page_count))
    assert "扫码阅读" not in "".join(page.extract_text() for page in PdfReader(record.path).pages)


def test_the_print_variant_carries_the_code_on_the_black_plate_alone():
    issue, _feature, _brief = qr_issue(codes=True)
    record = issue_build_pdf(issue=issue, variant=IssuePDF.Variant.PRINT)
    assert record.status == IssuePDF.Status.DONE, record.error
    assert not [finding for finding in record.preflight if finding["kind"] in ("rgb_image", "low_dpi")]
