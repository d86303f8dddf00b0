"""Typesetting small issues: justification, hostile URLs, failures, rebuilds, and how builds are started."""

import http.server
import io
import logging
import re
import threading
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from pdfminer.high_level import extract_pages
from pdfminer.layout import LAParams
from pypdf import PdfReader

from articles.models import Article
from articles.services import issue_publish
from issues.models import Issue, IssuePDF, Periodical
from issues.typesetting.build import issue_build_pdf
from tests.factories import image_bytes, make_article, make_issue, make_section, proofread
from tests.typography import text_lines

pytestmark = pytest.mark.django_db

DEMO_REPORT = Path(__file__).resolve().parent.parent / "issues/bundles/demo/articles/02-report-cross-border.md"
MM = 72 / 25.4


def report_paragraphs(count):
    """Real paragraphs of Chinese running text (mixed with figures and Latin) from the demo report."""
    lines = [line for line in DEMO_REPORT.read_text(encoding="utf-8").splitlines() if len(line) > 120]
    return lines[:count]


def small_issue(*, body="<p>正文。</p>", title="测试文章", **fields):
    issue = make_issue(year=2020, number=1, total_number=90, **fields)
    make_article(issue=issue, section=make_section(name="特别报道"), title=title, body=body)
    return issue


def pdf_text(record):
    return "".join(page.extract_text() for page in PdfReader(record.path).pages)


# Justified Chinese ---------------------------------------------------------------------------


def column_lines(path, page_numbers):
    """Text lines of the body area, by page and column, top to bottom."""
    for page in extract_pages(path, page_numbers=page_numbers, laparams=LAParams(line_margin=0.3, char_margin=1.0)):
        lines = text_lines(page)
        body = [line for line in lines if line.y0 > 20 * MM and line.y1 < page.height - 22 * MM]
        for right_column in (False, True):
            column = [line for line in body if (line.x0 > page.width / 2) == right_column]
            yield sorted(column, key=lambda line: -line.y0)


def test_full_lines_of_chinese_end_flush_with_the_column(tmp_path):
    body = "".join(f"<p>{paragraph}</p>" for paragraph in report_paragraphs(24))
    record = issue_build_pdf(issue=small_issue(body=body))
    assert record.status == IssuePDF.Status.DONE, record.error

    # A4, 16 mm margins, two columns 7 mm apart.
    column_width = (210 - 2 * 16 - 7) / 2 * MM
    edges = {False: 16 * MM + column_width, True: 16 * MM + column_width + 7 * MM + column_width}
    shortfalls = []
    for column in column_lines(record.path, page_numbers=range(record.front_pages, record.page_count - 1)):
        if len(column) < 3:
            continue
        left = min(line.x0 for line in column)
        right_edge = edges[left > 210 / 2 * MM]
        for line, following in zip(column, column[1:]):
            # The paragraph goes on in the next line (not indented): this line is full.
            if abs(following.x0 - left) < 0.5:
                shortfalls.append(right_edge - line.x1)
    assert len(shortfalls) > 100, len(shortfalls)
    # Ragged lines fall short by up to one character (10.5 pt); justified ones reach the edge.
    assert max(abs(shortfall) for shortfall in shortfalls) < 0.5, sorted(shortfalls)[-10:]


# Hostile URLs --------------------------------------------------------------------------------


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    requests = []

    def do_GET(self):
        _CountingHandler.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(image_bytes())

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    """An HTTP server on 127.0.0.1 that counts what is asked of it."""
    _CountingHandler.requests = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_hostile_urls_in_an_article_are_refused_and_the_build_goes_on(local_server, settings, caplog):
    secret = Path(settings.MEDIA_ROOT).parent / "secret.png"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_bytes(image_bytes())
    body = (
        "<p>正文保留。</p>"
        f'<p><img src="{local_server}/tracker.png" alt="外部"></p>'
        '<p><img src="https://example.com/x.png" alt="外部二"></p>'
        '<p><img src="/media/../secret.png" alt="越界"></p>'
        '<p><img src="/media/%2e%2e/secret.png" alt="编码越界"></p>'
        '<p><img src="/static/../../bulletin/settings.py" alt="源码"></p>'
    )
    issue = small_issue(body="<p>正文保留。</p>")
    Article.objects.update(body=body)  # as stored before saving dropped remote images, or written by SQL
    assert Article.objects.get().body.count("<img") == 5
    with caplog.at_level(logging.WARNING, logger="issues.typesetting.fetcher"):
        record = issue_build_pdf(issue=issue)
    assert record.status == IssuePDF.Status.DONE, record.error
    assert "正文保留" in pdf_text(record)
    assert _CountingHandler.requests == []
    refused = [r.getMessage() for r in caplog.records if r.name == "issues.typesetting.fetcher"]
    for fragment in ("tracker.png", "example.com", "secret.png", "settings.py"):
        assert any(fragment in message for message in refused), fragment


# Failures, rebuilds ---------------------------------------------------------------------------


def test_a_character_no_font_has_fails_the_build_loudly_and_keeps_the_old_pdf():
    issue = small_issue(body="<p>第一版。</p>")
    first = issue_build_pdf(issue=issue)
    old_bytes, old_key = first.path.read_bytes(), first.build_key

    Article.objects.update(body="<p>第二版含有无字形的字符\U0010fffd。</p>")
    failed = issue_build_pdf(issue=issue)
    assert failed.status == IssuePDF.Status.FAILED
    assert "U+10FFFD" in failed.error and "方框" in failed.error
    assert failed.path.read_bytes() == old_bytes
    assert failed.build_key == old_key


def test_any_failure_is_recorded_and_keeps_the_old_pdf(monkeypatch):
    issue = small_issue()
    first = issue_build_pdf(issue=issue)
    old_bytes = first.path.read_bytes()
    Article.objects.update(body="<p>改过的正文。</p>")

    def broken_write(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("weasyprint.document.Document.write_pdf", broken_write)
    failed = issue_build_pdf(issue=issue)
    assert failed.status == IssuePDF.Status.FAILED and "disk full" in failed.error
    assert failed.path.read_bytes() == old_bytes
    kept = {failed.path.name, "2020-1-screen-pages"}  # the PDF and the page images of its build
    assert not [p for p in failed.path.parent.iterdir() if p.name not in kept]  # no temporary left


def test_an_edited_issue_is_rebuilt_and_an_unchanged_one_is_not():
    issue = small_issue()
    first = issue_build_pdf(issue=issue)
    assert issue_build_pdf(issue=issue).built_at == first.built_at
    Article.objects.update(title="改过的标题")
    second = issue_build_pdf(issue=issue)
    assert second.built_at > first.built_at
    assert "改过的标题" in pdf_text(second)


def test_the_call_for_papers_prints_the_address_of_the_online_form_from_the_settings(settings):
    settings.SITE_URL = "https://bulletin.example.cn/"
    periodical = Periodical.load()
    periodical.call_for_papers = "欢迎各界投稿。"
    periodical.save()

    record = issue_build_pdf(issue=small_issue(), variant="screen")

    last_page = PdfReader(record.path).pages[-1]
    assert "在线投稿：https://bulletin.example.cn/submit/" in last_page.extract_text().replace(" ", "")
    links = [annotation.get_object()["/A"].get("/URI") for annotation in last_page.get("/Annots", [])]
    assert "https://bulletin.example.cn/submit/" in links


def test_page_size_comes_from_the_periodical():
    periodical = Periodical.load()
    periodical.page_size = "185mm 260mm"
    periodical.save()
    record = issue_build_pdf(issue=small_issue())
    box = PdfReader(record.path).pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx((185 * MM, 260 * MM), abs=0.05)


def test_articles_get_their_pages_from_the_layout():
    issue = make_issue(year=2020, number=1, total_number=90)
    section = make_section(name="特别报道")
    long_body = "".join(f"<p>{paragraph}</p>" for paragraph in report_paragraphs(12))
    first = make_article(issue=issue, section=section, title="长文", body=long_body, position=1)
    second = make_article(issue=issue, section=section, title="短文", body="<p>一段。</p>", position=2)
    issue_build_pdf(issue=issue)
    first.refresh_from_db(), second.refresh_from_db()
    assert first.first_page == 1  # after the front matter (cover, contents with masthead), without folios
    assert first.last_page > first.first_page
    assert second.first_page == first.last_page == second.last_page


# How builds are started ------------------------------------------------------------------------


def test_publishing_an_issue_builds_both_variants(django_capture_on_commit_callbacks):
    issue = small_issue(status=Issue.Status.READY)
    Article.objects.update(status=Article.Status.READY)
    proofread(issue)
    with django_capture_on_commit_callbacks(execute=True):
        issue_publish(issue=issue)
    records = {record.variant: record for record in IssuePDF.objects.filter(issue=issue)}
    assert set(records) == {"screen", "print"}
    assert all(record.status == IssuePDF.Status.DONE and record.path.is_file() for record in records.values())


def test_the_generate_button_builds_and_the_issue_page_shows_the_result(
    staff_client, django_capture_on_commit_callbacks
):
    issue = small_issue()
    change_url = reverse("admin:issues_issue_change", args=[issue.pk])
    assert "生成 PDF" in staff_client.get(change_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:issues_issue_build_pdf", args=[issue.pk]))
    assert response.status_code == 302
    page = staff_client.get(change_url).content.decode()
    assert "屏幕版" in page and "印刷版" in page and "已生成" in page
    assert re.search(r"\d+ 页，[\d.]+ MB，耗时 [\d.]+ 秒", page)
    download = staff_client.get(reverse("admin:issues_issue_pdf", args=[issue.pk, "screen"]))
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_the_admin_action_builds_the_selected_issues(staff_client, django_capture_on_commit_callbacks):
    issue = small_issue()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:issues_issue_changelist"), {"action": "build_pdfs", "_selected_action": [issue.pk]}
        )
    assert IssuePDF.objects.filter(issue=issue, status=IssuePDF.Status.DONE).count() == 2


def test_a_failed_build_shows_its_error_to_the_editor(staff_client):
    issue = small_issue(body="<p>无字形\U0010fffd</p>")
    issue_build_pdf(issue=issue)
    page = staff_client.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()
    assert "生成失败" in page and "U+10FFFD" in page


def test_building_and_downloading_need_staff(client, django_user_model):
    issue = small_issue()
    issue_build_pdf(issue=issue)
    client.force_login(django_user_model.objects.create_user(username="reader", password="x"))
    assert client.post(reverse("admin:issues_issue_build_pdf", args=[issue.pk])).status_code == 302
    assert client.get(reverse("admin:issues_issue_pdf", args=[issue.pk, "screen"])).status_code == 302
    assert not IssuePDF.objects.filter(status=IssuePDF.Status.QUEUED).exists()


def test_staff_without_the_permission_are_refused_and_unknown_issues_are_404(client, django_user_model):
    issue = small_issue()
    issue_build_pdf(issue=issue)
    viewer = django_user_model.objects.create_user(username="viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_issue"))
    client.force_login(viewer)
    assert client.post(reverse("admin:issues_issue_build_pdf", args=[issue.pk])).status_code == 403
    assert client.get(reverse("admin:issues_issue_pdf", args=[issue.pk, "screen"])).status_code == 200
    assert client.get(reverse("admin:issues_issue_pdf", args=[issue.pk, "poster"])).status_code == 404
    assert client.get(reverse("admin:issues_issue_pdf", args=[issue.pk + 1, "screen"])).status_code == 404
    assert not IssuePDF.objects.filter(status=IssuePDF.Status.QUEUED).exists()
    client.force_login(django_user_model.objects.create_user(username="other", password="x", is_staff=True))
    assert client.get(reverse("admin:issues_issue_pdf", args=[issue.pk, "screen"])).status_code == 403


def test_command_refuses_unknown_issues_and_reports_failures():
    with pytest.raises(CommandError, match="没有 2020 年第 5 期"):
        call_command("build_issue_pdf", "2020-5")
    with pytest.raises(CommandError, match="YEAR-NUMBER"):
        call_command("build_issue_pdf", "2020")
    small_issue(body="<p>无字形\U0010fffd</p>")
    with pytest.raises(CommandError, match="生成失败.*U\\+10FFFD"):
        call_command("build_issue_pdf", "2020-1", stdout=io.StringIO())
