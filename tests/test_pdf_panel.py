"""The PDF panel of the issue's admin page: page images, the flat plan, staleness, rebuilds."""

import datetime
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from PIL import Image

from articles.models import Article
from issues.models import IssuePDF, MastheadLine, Periodical, Section
from issues.typesetting import flatplan, thumbnails
from issues.typesetting.build import issue_build_pdf
from tests.factories import make_article, make_contributor, make_issue, make_section
from tests.forms import form_data

pytestmark = pytest.mark.django_db

DEMO_REPORT = Path(__file__).resolve().parent.parent / "issues/bundles/demo/articles/02-report-cross-border.md"


def long_body(paragraphs=12):
    lines = [line for line in DEMO_REPORT.read_text(encoding="utf-8").splitlines() if len(line) > 120]
    return "".join(f"<p>{line}</p>" for line in lines[:paragraphs])


def two_article_issue():
    issue = make_issue(year=2020, number=1, total_number=90, masthead=[("主编", "张三")])
    section = make_section(name="特别报道")
    author = make_contributor(name="王毅")
    make_article(issue=issue, section=section, title="长篇报告", body=long_body(), position=1, authors=[author])
    make_article(issue=issue, section=section, title="短讯一则", body="<p>一段。</p>", position=2)
    return issue


def images_of(record):
    folder = thumbnails.page_images_folder(record)
    return sorted(folder.iterdir(), key=lambda path: int(path.stem)) if folder else []


def change_page(client, issue):
    return client.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()


def page_image_url(issue, number):
    return reverse("admin:issues_issue_page_image", args=[issue.pk, number])


# Page images --------------------------------------------------------------------------------


def test_a_build_makes_an_image_of_every_page_beside_the_pdf(settings):
    record = issue_build_pdf(issue=two_article_issue())
    assert record.status == IssuePDF.Status.DONE, record.error
    images = images_of(record)
    assert [path.name for path in images] == [f"{number}.webp" for number in range(1, record.page_count + 1)]
    for path in images:
        assert path.is_relative_to(settings.PROTECTED_ROOT)  # unpublished pages are confidential
        with Image.open(path) as image:
            image.verify()
            assert image.format == "WEBP"
            assert image.width == thumbnails.THUMBNAIL_WIDTH
            assert image.height / image.width == pytest.approx(297 / 210, abs=0.01)  # A4


def test_the_print_variant_has_no_page_images_of_its_own():
    record = issue_build_pdf(issue=two_article_issue(), variant=IssuePDF.Variant.PRINT)
    assert record.status == IssuePDF.Status.DONE and thumbnails.page_images_folder(record) is None


def test_a_rebuild_replaces_the_page_images_once_it_is_recorded(django_capture_on_commit_callbacks):
    issue = two_article_issue()
    first = issue_build_pdf(issue=issue)
    old_folder = thumbnails.page_images_folder(first)
    Article.objects.filter(title="短讯一则").update(title="改过的短讯")
    with django_capture_on_commit_callbacks(execute=True):
        second = issue_build_pdf(issue=issue)
    assert second.build_key != first.build_key
    assert not old_folder.exists()
    assert [folder.name for folder in thumbnails.pages_folder(second).iterdir()] == [second.build_key]
    assert len(images_of(second)) == second.page_count


def test_a_failed_image_step_leaves_no_half_written_images_and_the_build_stands(
    monkeypatch, caplog, django_capture_on_commit_callbacks
):
    issue = two_article_issue()
    first = issue_build_pdf(issue=issue)
    Article.objects.filter(title="短讯一则").update(title="改过的短讯")
    written = []

    def write_two_then_fail(path, data):
        if len(written) == 2:
            raise OSError("disk full")
        written.append(path)
        path.write_bytes(data)

    monkeypatch.setattr(thumbnails, "write_atomically", write_two_then_fail)
    with django_capture_on_commit_callbacks(execute=True):
        second = issue_build_pdf(issue=issue)
    assert len(written) == 2
    # The PDF is good, so the build is done; its page images are not there at all, not in part.
    assert second.status == IssuePDF.Status.DONE and second.build_key != first.build_key
    assert thumbnails.page_images_folder(second) is None
    assert not any(path.exists() for path in written)
    assert list(thumbnails.pages_folder(second).iterdir()) == []  # no staging folder, no earlier build's pages
    assert "Page images" in caplog.text and "disk full" in caplog.text
    panel = flatplan.pdf_panel(issue)
    assert panel.images_missing and not any(page.has_image for spread in panel.spreads for page in spread)

    monkeypatch.undo()
    again = issue_build_pdf(issue=issue)  # nothing changed: the PDF is kept, its images are made
    assert again.built_at == second.built_at
    assert len(images_of(again)) == again.page_count


# The panel ------------------------------------------------------------------------------------


def test_the_issue_page_shows_the_pages_in_spreads_with_each_articles_pages(staff_client):
    issue = two_article_issue()
    record = issue_build_pdf(issue=issue)
    long_report, brief = issue.articles.in_print_order()
    assert long_report.last_page > long_report.first_page

    page = change_page(staff_client, issue)
    assert "版面预览" in page and "过期" not in page
    assert re.search(r"\d+ 页，[\d.]+ MB，耗时 [\d.]+ 秒，<time[^>]*>刚刚生成</time>", page)
    images = re.findall(r'src="([^"]*/pages/(\d+)/)\?v=(\w+)"', page)
    assert [int(number) for _url, number, _v in images] == list(range(1, record.page_count + 1))
    assert {version for _url, _number, version in images} == {record.build_key[:12]}
    # Page 1 alone, then 2–3, 4–5, …: as the printed issue opens.
    # The front matter has no folio; page 1 is the first article's.
    spreads = [
        re.findall(r'class="desk-page-number">([^<]+)<', spread) for spread in page.split('class="desk-spread"')[1:]
    ]
    assert record.front_pages == 2
    assert spreads[:2] == [["封面"], ["前辅文", "1"]]
    assert sum(len(spread) for spread in spreads) == record.page_count
    # Each page names the articles starting on it, linked to their admin pages.
    long_url = reverse("admin:articles_article_change", args=[long_report.pk])
    caption = re.search(rf'desk-page-number">{long_report.first_page}<(.*?)</figcaption>', page, re.S).group(1)
    assert long_url in caption and "长篇报告" in caption
    # And the list of articles with their page ranges.
    ranges = re.search(r'<table class="desk-page-ranges">(.*?)</table>', page, re.S).group(1)
    assert f"{long_report.first_page}–{long_report.last_page}" in ranges and long_url in ranges
    assert str(brief.first_page) in ranges and reverse("admin:articles_article_change", args=[brief.pk]) in ranges

    IssuePDF.objects.filter(pk=record.pk).update(built_at=record.built_at - datetime.timedelta(minutes=3))
    assert re.search(r"<time[^>]*>3\s分钟前生成</time>", change_page(staff_client, issue))

    response = staff_client.get(images[0][0])
    assert response["Content-Type"] == "image/webp"
    assert b"".join(response.streaming_content) == images_of(record)[0].read_bytes()


def test_an_article_edited_in_the_admin_makes_the_pdf_stale_and_rebuilding_clears_it(
    staff_client, django_capture_on_commit_callbacks
):
    issue = two_article_issue()
    issue_build_pdf(issue=issue)
    issue_build_pdf(issue=issue, variant=IssuePDF.Variant.PRINT)
    assert "过期" not in change_page(staff_client, issue)

    article = issue.articles.get(title="短讯一则")
    url = reverse("admin:articles_article_change", args=[article.pk])
    data = form_data(staff_client.get(url)) | {"body": "<p>改过的一段。</p>"}
    assert staff_client.post(url, data).status_code == 302
    page = change_page(staff_client, issue)
    assert page.count('class="desk-stale"') == 2  # both variants
    assert all(state.stale for state in flatplan.pdf_state(issue).values())

    # The panel's button posts the change form to the build view.
    button = re.search(r'<button type="submit"[^>]*formaction="([^"]+)"[^>]*>重新生成 PDF</button>', page)
    assert button.group(1) == reverse("admin:issues_issue_build_pdf", args=[issue.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(button.group(1), form_data(staff_client.get(url)))
    assert response.status_code == 302
    assert "过期" not in change_page(staff_client, issue)
    assert not any(state.stale for state in flatplan.pdf_state(issue).values())


def change_contributor(issue):
    contributor = make_contributor(name="李四")
    article = issue.articles.get(title="短讯一则")
    article.authorships.create(contributor=contributor, position=1)
    contributor.name = "李四光"
    contributor.save()


def rename_section(issue):
    section = Section.objects.get(name="特别报道")
    section.name = "专题报道"
    section.save()


def change_periodical(issue):
    periodical = Periodical.load()
    periodical.slogan = "新的口号"
    periodical.save()


def test_saving_without_changing_anything_printed_leaves_the_pdf_current():
    issue = two_article_issue()
    issue_build_pdf(issue=issue)
    Article.objects.get(title="长篇报告").save()
    issue.save()
    assert not flatplan.pdf_state(issue)["screen"].stale


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda issue: setattr(issue, "title", "新主题") or issue.save(), id="issue"),
        pytest.param(
            lambda issue: MastheadLine.objects.create(issue=issue, position=2, label="编辑", value="赵六"),
            id="masthead-line",
        ),
        pytest.param(rename_section, id="section"),
        pytest.param(change_contributor, id="contributor"),
        pytest.param(change_periodical, id="periodical"),
        pytest.param(lambda issue: issue.articles.get(title="短讯一则").delete(), id="article-removed"),
        pytest.param(
            lambda issue: make_article(issue=issue, section=make_section(name="特别报道"), title="新增", position=3),
            id="article-added",
        ),
    ],
)
def test_anything_printed_that_changes_makes_the_pdf_stale_even_through_the_cache(edit):
    issue = two_article_issue()
    issue_build_pdf(issue=issue)
    assert not flatplan.pdf_state(issue)["screen"].stale  # now cached
    edit(issue)
    assert flatplan.pdf_state(issue)["screen"].stale


def test_the_state_is_cached_until_something_changes(monkeypatch):
    issue = two_article_issue()
    issue_build_pdf(issue=issue)
    calls = []
    real_issue_html = flatplan.issue_html
    monkeypatch.setattr(
        flatplan, "issue_html", lambda *args, **kwargs: calls.append(1) or real_issue_html(*args, **kwargs)
    )
    flatplan.pdf_state(issue)
    flatplan.pdf_state(issue)
    assert len(calls) == 1  # only the screen variant has a file
    Article.objects.get(title="短讯一则").save()
    flatplan.pdf_state(issue)
    assert len(calls) == 2
    flatplan.pdf_state(issue, exact=True)
    assert len(calls) == 3


def test_a_failed_build_shows_its_error_and_keeps_the_previous_pdf_and_its_pages(staff_client):
    issue = two_article_issue()
    first = issue_build_pdf(issue=issue)
    Article.objects.filter(title="短讯一则").update(body="<p>无字形\U0010fffd</p>")
    failed = issue_build_pdf(issue=issue)
    assert failed.status == IssuePDF.Status.FAILED

    state = flatplan.pdf_state(issue, exact=True)["screen"]
    assert state.failed and state.stale and state.needs_attention and "U+10FFFD" in state.error
    assert state.built_at == first.built_at and state.page_count == first.page_count
    page = change_page(staff_client, issue)
    assert "生成失败" in page and "U+10FFFD" in page and "上一次生成的 PDF 仍可下载" in page
    assert reverse("admin:issues_issue_pdf", args=[issue.pk, "screen"]) in page
    assert page.count('class="desk-page-number"') == first.page_count
    assert staff_client.get(page_image_url(issue, 1)).status_code == 200


def test_the_state_of_an_issue_never_built():
    states = flatplan.pdf_state(make_issue())
    assert set(states) == {"screen", "print"}
    assert all(state.status == "" and not state.stale and not state.needs_attention for state in states.values())


def test_pdf_states_reads_the_records_of_many_issues_at_once(django_assert_max_num_queries):
    issues = [make_issue(year=2020, number=number, total_number=90 + number) for number in (1, 2, 3)]
    for issue in issues:
        IssuePDF.objects.create(issue=issue, variant="screen", status=IssuePDF.Status.FAILED, error="坏了")
    with django_assert_max_num_queries(2):
        states = flatplan.pdf_states(issues)
    assert [states[issue.pk]["screen"].error for issue in issues] == ["坏了"] * 3


# Who may see the pages --------------------------------------------------------------------------


def test_page_images_are_for_staff_with_view_permission_only(client, django_user_model):
    issue = two_article_issue()
    record = issue_build_pdf(issue=issue)
    url = page_image_url(issue, 1)

    response = client.get(url)
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]

    client.force_login(django_user_model.objects.create_user(username="other", password="x", is_staff=True))
    assert client.get(url).status_code == 403

    viewer = django_user_model.objects.create_user(username="viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_issue"))
    client.force_login(viewer)
    assert client.get(url).status_code == 200
    assert client.get(page_image_url(issue, record.page_count + 1)).status_code == 404
    assert client.get(page_image_url(issue, 0)).status_code == 404
    assert client.get(reverse("admin:issues_issue_page_image", args=[issue.pk + 1, 1])).status_code == 404
    assert client.get(page_image_url(make_issue(year=2021), 1)).status_code == 404  # never built
