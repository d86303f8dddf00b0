"""One article's pages of the issue PDF: who gets them, what the file holds, how it is cached and logged.

The demo issue's screen PDF is built once for the module (a build takes seconds); every test
gets its own copy of the protected folder holding it, so what one test cuts, stamps or caches
the next does not see.
"""

import io
import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs, unquote

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from pdfminer.high_level import extract_text
from pypdf import PdfReader

from articles.citation import gbt7714_citation
from articles.models import Article, Contributor
from articles.services import issue_withdraw
from issues.models import Issue, IssuePDF, Periodical, Section, StandingPage
from issues.subscriptions.delivery import ARTICLES_DIR, STAMPED_DIR
from issues.subscriptions.models import Download
from issues.typesetting.build import issue_build_pdf
from tests.factories import (
    make_article,
    make_contributor,
    make_institution,
    make_issue,
    make_section,
    make_subscriber,
    make_subscription,
)

pytestmark = pytest.mark.django_db

INSIDE, OUTSIDE = "203.0.113.77", "198.51.100.5"
NO_BUILDS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture(scope="module")
def demo_root(django_db_setup, django_db_blocker, tmp_path_factory):
    """The protected folder holding the demo issue's screen PDF (the print variant is not needed)."""
    root = tmp_path_factory.mktemp("article-pdf")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=root / "media", PROTECTED_ROOT=root / "protected", TASKS=NO_BUILDS),
    ):
        call_command("load_demo", stdout=io.StringIO())  # published, its PDF builds queued and never run
        record = issue_build_pdf(issue=Issue.objects.get(year=2017, number=1), variant="screen")
        assert record.status == IssuePDF.Status.DONE, record.error
        yield root
        Article.objects.all().delete()
        for queryset in (Issue.objects, Section.objects.filter(parent__isnull=False), Section.objects,
                         Contributor.objects, StandingPage.objects, Periodical.objects):  # fmt: skip
            queryset.all().delete()


@pytest.fixture(autouse=True)
def isolated_files(settings, tmp_path, demo_root):
    """Each test's own protected folder, starting with the demo issue's PDF and nothing cut from it."""
    settings.MEDIA_ROOT = demo_root / "media"
    settings.PROTECTED_ROOT = tmp_path / "protected"
    shutil.copytree(demo_root / "protected" / "issues", settings.PROTECTED_ROOT / "issues")


def demo_issue():
    return Issue.objects.get(year=2017, number=1)


def demo_article(title_start):
    return Article.objects.select_related("issue").get(issue__year=2017, issue__number=1, title__startswith=title_start)


def alone_on_its_pages():
    """A report of several pages that shares none of them with another article."""
    articles = list(demo_issue().articles.in_print_order())
    for before, article, after in zip(articles, articles[1:], articles[2:]):
        several_pages = article.last_page > article.first_page
        if several_pages and before.last_page < article.first_page and article.last_page < after.first_page:
            return article, before, after
    raise AssertionError("the demo has no report alone on its pages")


def staff_client(*, superuser=False):
    """A client of its own signed in as an editor (the conftest fixture shares the test's `client`)."""
    make = get_user_model().objects.create_superuser if superuser else get_user_model().objects.create_user
    editor = make(username="editor", password="x", is_staff=True)
    staff = Client()
    staff.force_login(editor)
    return staff


def pdf_url(article):
    return reverse("article_pdf", args=[article.pk, article.slug])


def subscriber_client(client, **fields):
    subscriber = make_subscriber(**fields)
    make_subscription(subscriber=subscriber)
    client.force_login(subscriber.user)
    return client


def download(client, article, **extra):
    response = client.get(pdf_url(article), **extra)
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content), response


def flat(text):
    return re.sub(r"\s+", "", text)


def cut_files(folder_name=ARTICLES_DIR):
    """The PDFs under PROTECTED_ROOT/`folder_name`: the cuts, or with STAMPED_DIR the stamped copies."""
    folder = Path(settings.PROTECTED_ROOT, folder_name)
    return sorted(folder.rglob("*.pdf")) if folder.exists() else []


# What the file holds ----------------------------------------------------------------------------


def test_an_article_pdf_is_its_pages_with_its_title_and_no_other_article(client):
    article, before, after = alone_on_its_pages()
    data, _response = download(subscriber_client(client), article)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == article.last_page - article.first_page + 1
    assert reader.page_labels == [str(page) for page in range(article.first_page, article.last_page + 1)]
    text = flat(extract_text(io.BytesIO(data)))
    assert flat(article.title) in text
    assert flat(before.title) not in text and flat(after.title) not in text
    # The pages are the issue's own, byte for byte in their text: page 1 of the cut is the article's first page.
    issue_pdf = IssuePDF.objects.get(issue=article.issue, variant="screen")
    index = issue_pdf.front_pages + article.first_page - 1
    assert reader.pages[0].extract_text() == PdfReader(issue_pdf.path).pages[index].extract_text()


def test_briefs_sharing_a_page_each_get_the_whole_page(client):
    first, second = demo_article("南滨综合保税区"), demo_article("全市新增农村电子商务服务站")
    assert first.first_page == first.last_page == second.first_page == second.last_page
    subscriber_client(client)
    for article in (first, second):
        data, _response = download(client, article)
        text = flat(extract_text(io.BytesIO(data)))
        assert len(PdfReader(io.BytesIO(data)).pages) == 1
        assert flat(first.title) in text and flat(second.title) in text


def test_the_metadata_carries_title_authors_citation_and_section(client):
    editorial = demo_article("从“有没有”")
    data, _response = download(subscriber_client(client), editorial)
    metadata = PdfReader(io.BytesIO(data)).metadata
    assert metadata.title == "从“有没有”走向“好不好”"
    assert metadata.author == "林知远"
    assert metadata.subject == "林知远. 从“有没有”走向“好不好”[J]. 南滨电子商务, 2017(1): 1."
    assert metadata["/Keywords"] == "卷首语"

    # Written by the office: the byline's name is the author.
    data, _response = download(client, demo_article("2016年南滨市各区县"))
    metadata = PdfReader(io.BytesIO(data)).metadata
    assert metadata.author == "本刊编辑部"
    assert metadata.subject == "本刊编辑部. 2016年南滨市各区县电子商务发展数据解读[J]. 南滨电子商务, 2017(1): 17-18."
    assert metadata["/Keywords"] == "数据观察 › 区域数据"


def test_the_file_is_named_by_the_title_with_an_ascii_fallback(client):
    article = demo_article("从“有没有”")
    data, response = download(subscriber_client(client), article)
    disposition = response["Content-Disposition"]
    assert disposition.startswith(f"attachment; filename=\"2017-1-{article.pk}.pdf\"; filename*=UTF-8''")
    assert unquote(disposition.split("''", 1)[1]) == "从“有没有”走向“好不好”.pdf"
    assert response["Content-Type"] == "application/pdf" and response["Content-Length"] == str(len(data))
    assert response["Cache-Control"] == "private, no-cache"


def test_a_title_with_a_slash_names_no_folder():
    article = demo_article("从“有没有”")
    article.title = "上/下：电商"
    article.save()
    _data, response = download(staff_client(), article)
    assert unquote(response["Content-Disposition"].split("''", 1)[1]) == "上_下：电商.pdf"


def test_gbt7714_citation_names_at_most_three_authors_and_the_pages():
    issue = make_issue(year=2018, number=2)
    names = ["甲一", "乙二", "丙三", "丁四"]
    article = make_article(issue=issue, title="县域电商", subtitle="以南滨为例", first_page=3, last_page=3,
                           authors=[make_contributor(name=name) for name in names])  # fmt: skip
    assert gbt7714_citation(article, periodical_name="南滨电子商务") == (
        "甲一, 乙二, 丙三, 等. 县域电商: 以南滨为例[J]. 南滨电子商务, 2018(2): 3."
    )
    editorial = make_article(issue=issue, title="从“有没有”走向“好不好”", byline="文 / 林知远",
                             first_page=1, last_page=2)  # fmt: skip
    assert gbt7714_citation(editorial, periodical_name="南滨电子商务") == (
        "林知远. 从“有没有”走向“好不好”[J]. 南滨电子商务, 2018(2): 1-2."
    )
    unplaced = make_article(title="未排期")
    assert gbt7714_citation(unplaced, periodical_name="南滨电子商务") == ""
    no_pages = make_article(issue=issue, title="简讯")
    assert gbt7714_citation(no_pages, periodical_name="南滨电子商务") == "简讯[J]. 南滨电子商务, 2018(2)."


# Who gets it ------------------------------------------------------------------------------------


def test_anonymous_readers_are_sent_to_sign_in(client):
    article = demo_article("从“有没有”")
    response = client.get(pdf_url(article), REMOTE_ADDR=OUTSIDE)
    login, query = response["Location"].split("?")
    assert (
        response.status_code == 302 and login == "/accounts/login/" and parse_qs(query) == {"next": [pdf_url(article)]}
    )
    assert Download.objects.count() == 0


def test_signed_in_readers_without_a_subscription_learn_how_to_subscribe(client):
    client.force_login(make_subscriber().user)
    response = client.get(pdf_url(demo_article("从“有没有”")))
    html = response.content.decode()
    assert response.status_code == 403 and "如何订阅" in html and "您的账号目前没有有效的订阅" in html
    assert Download.objects.count() == 0


def test_active_subscribers_institution_networks_and_staff_get_it(client):
    article = demo_article("从“有没有”")
    download(subscriber_client(client), article)
    client.logout()
    make_institution()
    download(client, article, REMOTE_ADDR=INSIDE)
    download(staff_client(), article)
    assert Download.objects.count() == 3


def test_an_unpublished_issue_is_404_to_readers_and_open_to_staff(client):
    issue_withdraw(issue=demo_issue())
    article = demo_article("从“有没有”")
    assert subscriber_client(client).get(pdf_url(article)).status_code == 404
    client.logout()
    make_institution()
    assert client.get(pdf_url(article), REMOTE_ADDR=INSIDE).status_code == 404
    data, _response = download(staff_client(), article)
    assert len(PdfReader(io.BytesIO(data)).pages) == 1


def test_an_article_without_pages_or_an_issue_without_a_pdf_has_no_download(client):
    unplaced = make_article(issue=demo_issue(), section=make_section(name="卷首语"), title="后来补的", position=99,
                            status=Article.Status.PUBLISHED)  # fmt: skip
    response = subscriber_client(client).get(pdf_url(unplaced))
    assert response.status_code == 404 and response.context["exception"] == "本文暂无单篇 PDF 下载。"
    html = client.get(unplaced.get_absolute_url()).content.decode()
    assert "下载本文 PDF" not in html
    other = make_issue(year=2017, number=2, status="published")
    unbuilt = make_article(issue=other, title="尚未排版", first_page=1, last_page=1, status=Article.Status.PUBLISHED)
    response = staff_client().get(pdf_url(unbuilt))
    assert response.status_code == 404 and response.context["exception"] == "本期 PDF 正在生成，请稍后再试。"
    assert Download.objects.count() == 0


def test_a_wrong_slug_is_redirected_to_the_articles_own_address(client):
    article = demo_article("从“有没有”")
    response = subscriber_client(client).get(reverse("article_pdf", args=[article.pk, "old-slug"]))
    assert response.status_code == 302 and response["Location"] == pdf_url(article)


# The article page links to it -------------------------------------------------------------------


def test_the_article_page_offers_the_download_with_its_pages(client):
    report, _before, _after = alone_on_its_pages()
    html = client.get(report.get_absolute_url()).content.decode()
    assert f'<a href="{pdf_url(report)}" type="application/pdf">下载本文 PDF（第 {report.page_range} 页）</a>' in html
    assert "下载本期 PDF" in html  # the whole issue is still offered beside it
    # Anonymous readers and crawlers may not fetch it: Google Scholar is promised no PDF.
    assert "citation_pdf_url" not in html
    assert client.get(pdf_url(report)).status_code == 302


def test_open_article_pdfs_are_promised_to_google_scholar_and_anyone_gets_them(client):
    report, _before, _after = alone_on_its_pages()
    periodical = Periodical.load()
    periodical.article_pdfs_open = True  # 刊物设置 › 单篇 PDF 向所有读者开放
    periodical.save()
    html = client.get(report.get_absolute_url()).content.decode()
    assert f'<meta name="citation_pdf_url" content="http://testserver{pdf_url(report)}">' in html
    data, response = download(client, report)  # anonymous, as Google Scholar's crawler comes
    assert response["Content-Type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(data)).pages) == report.last_page - report.first_page + 1


# Stamping ---------------------------------------------------------------------------------------


def test_stamping_prints_the_readers_name_on_each_page_and_keeps_the_metadata(client, settings):
    settings.PDF_STAMPING = True
    report, _before, _after = alone_on_its_pages()
    data, _response = download(subscriber_client(client, name="李明", organisation="南滨市商务局"), report)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == report.last_page - report.first_page + 1
    for number, page in enumerate(reader.pages, start=1):
        assert "仅供 李明（南滨市商务局）使用" in page.extract_text(), f"page {number}"
    assert reader.metadata.title.startswith(report.title) and "[J]. 南滨电子商务, 2017(1)" in reader.metadata.subject
    # The unstamped cut stays as it was, for staff and for the next reader's stamp.
    (cut,) = cut_files()
    assert "仅供" not in extract_text(cut)


# The cache --------------------------------------------------------------------------------------


def test_a_second_download_serves_the_same_cut_and_stamped_copy(client, settings):
    settings.PDF_STAMPING = True
    article = demo_article("从“有没有”")
    subscriber_client(client, name="李明", email="liming@example.cn")
    first, response = download(client, article)
    (cut,) = cut_files()
    (stamped,) = cut_files(STAMPED_DIR)
    made = (cut.stat().st_mtime_ns, stamped.stat().st_mtime_ns)
    again, second_response = download(client, article)
    assert again == first and second_response["ETag"] == response["ETag"]
    assert (cut.stat().st_mtime_ns, stamped.stat().st_mtime_ns) == made  # neither cut nor stamped again
    # Another reader: the same cut, their own stamp.
    subscriber_client(client, name="王芳", email="wangfang@example.cn")
    download(client, article)
    assert cut_files() == [cut] and cut.stat().st_mtime_ns == made[0]
    assert len(cut_files(STAMPED_DIR)) == 2


def test_a_browser_holding_the_current_copy_gets_304_and_no_new_log_row(client):
    article = demo_article("从“有没有”")
    _data, response = download(subscriber_client(client), article)
    again = client.get(pdf_url(article), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and Download.objects.count() == 1


def test_a_new_build_of_the_issue_makes_a_new_cut_and_removes_the_old_builds_folder(client):
    issue = make_issue(year=2017, number=3, total_number=28, status="published")
    section = make_section(name="特别报道")
    body = "".join(f"<p>第{n}段：跨境电商综合试验区建设稳步推进。</p>" for n in range(40))
    article = make_article(issue=issue, section=section, title="原来的标题", body=body, status="published")
    issue_build_pdf(issue=issue, variant="screen")
    article.refresh_from_db()
    staff = staff_client()
    data, _response = download(staff, article)
    (old_cut,) = cut_files()
    assert "原来的标题" in extract_text(io.BytesIO(data))

    article.title = "改过的标题"
    article.save()
    issue_build_pdf(issue=issue, variant="screen")
    article.refresh_from_db()
    data, _response = download(staff, article)
    (new_cut,) = cut_files()
    assert new_cut.parent != old_cut.parent and not old_cut.parent.exists()
    assert "改过的标题" in extract_text(io.BytesIO(data))


def test_an_edit_of_the_authors_since_the_build_makes_a_cut_with_the_new_metadata(client):
    article = demo_article("从“有没有”")
    staff = staff_client()
    _data, first = download(staff, article)
    article.authorships.update(contributor=make_contributor(name="林知远、王毅"))
    data, again = download(staff, article)
    assert again["ETag"] != first["ETag"]
    assert PdfReader(io.BytesIO(data)).metadata.author == "林知远、王毅"
    assert len(cut_files()) == 2  # the same build's folder; the next build removes both


# Logging and queries ----------------------------------------------------------------------------


def test_each_download_is_logged_with_the_article(client):
    article = demo_article("从“有没有”")
    library = make_institution()
    download(client, article, REMOTE_ADDR=INSIDE)
    client.head(pdf_url(article), REMOTE_ADDR=INSIDE)  # a HEAD request downloads nothing
    logged = Download.objects.get()
    assert (logged.issue, logged.article, logged.institution, logged.ip) == (article.issue, article, library, INSIDE)


def test_the_admin_log_and_statistics_tell_article_downloads_apart(client):
    article = demo_article("从“有没有”")
    subscriber_client(client, name="李明", email="liming@example.cn")
    download(client, article)
    client.get(reverse("issue_pdf", args=[2017, 1]))
    changelist, staff = reverse("admin:subscriptions_download_changelist"), staff_client(superuser=True)
    html = staff.get(changelist).content.decode()
    contents = re.findall(r'<td class="field-content">([^<]*)</td>', html)
    assert contents == ["整期", "从“有没有”走向“好不好”"]
    only_articles = staff.get(changelist + "?kind=article").content.decode()
    assert only_articles.count('<td class="field-who">') == 1
    html = staff.get(reverse("admin:subscriptions_download_statistics")).content.decode()
    assert "按文章（单篇 PDF）" in html and "其中单篇文章" in html
    rows = staff.get(reverse("admin:subscriptions_download_export", args=["articles"]))
    text = b"".join(rows.streaming_content).decode().removeprefix("\ufeff")
    assert text.splitlines() == ["文章,期次,页码,下载次数,读者数,机构数", "从“有没有”走向“好不好”,2017年第1期,1,1,1,0"]


@pytest.mark.parametrize("stamping", [False, True])
def test_the_view_makes_a_fixed_number_of_queries(client, settings, django_assert_max_num_queries, stamping):
    settings.PDF_STAMPING = stamping
    make_institution(name="甲", cidrs=[f"10.{n}.0.0/16" for n in range(20)])
    subscriber_client(client)
    Periodical.load()
    report, _before, _after = alone_on_its_pages()
    # session, user, article (with issue and section), its authors, subscriber, subscription,
    # PDF record, periodical (the citation), log row — the same for the first (cutting) download and the next
    for _attempt in range(2):
        with django_assert_max_num_queries(9):
            assert client.get(pdf_url(report)).status_code == 200
