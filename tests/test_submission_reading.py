"""Reading a submission in the admin (the converted text, the versions, their changes) and
accepting it in one step into a clean draft article."""

import io
from urllib.parse import quote

import docx
import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from articles.models import Article, Contributor
from articles.submissions.manuscripts import listed_co_authors, paragraph_changes, without_title_and_byline
from articles.submissions.models import Submission, SubmissionEvent
from articles.submissions.services import submission_accept, submission_transition
from issues.workflow import TransitionNotAllowed
from tests.factories import make_contributor, make_issue, make_section, review, review_all
from tests.forms import form_data
from tests.test_submissions import submitted

Status = Submission.Status

pytestmark = pytest.mark.django_db

BODY = "南滨市跨境电商交易额去年增长了三成。"


def manuscript_docx(*, body=(BODY, "各镇服务站已有四十五个。")):
    """A manuscript as authors send it: its title, byline and affiliation on top, then the text."""
    document = docx.Document()
    document.add_paragraph("县域电商调研")
    document.add_paragraph("作者：张三、李四")
    document.add_paragraph("（南滨市电子商务服务中心）")
    document.add_heading("一、基本情况", level=1)
    for text in body:
        document.add_paragraph(text)
    table = document.add_table(rows=2, cols=2)
    for row, values in zip(table.rows, [["镇", "站点"], ["青石镇", "15"]]):
        for cell, value in zip(row.cells, values):
            cell.text = value
    document.add_heading("二、下一步", level=1)
    document.add_paragraph("张三在调研中走访了十个村。")  # names in body text stay
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def submitted_manuscript(client, **overrides):
    """A submission sent through the public form with `manuscript_docx`."""
    fields = {
        "author_name": "张三",
        "email": "zhang@example.cn",
        "co_authors": "李四（南滨大学）、王五",
        "manuscript": SimpleUploadedFile("县域电商调研（终稿）.docx", manuscript_docx()),
    }
    return submitted(client, **(fields | overrides))


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user(username="editor", password="x", is_staff=True, is_superuser=True)


def change_url(submission):
    return reverse("admin:submissions_submission_change", args=[submission.pk])


def download_url(manuscript):
    return reverse("admin:submissions_submission_manuscript", args=[manuscript.submission_id, manuscript.pk])


# Accepting in one step ------------------------------------------------------------------------


def reviewed(submission, *, by, revised_in_between=False, client=None):
    """Sent to review and passed by every level (三审); with a revision asked and uploaded on the way."""
    submission = submission_transition(submission=submission, to=Status.UNDER_REVIEW, by=by)
    if revised_in_between:
        submission = review(submission, by=by, opinion="revise")
        revision = SimpleUploadedFile("修改稿.docx", manuscript_docx())
        assert client.post(submission.get_status_url(), {"manuscript": revision}).status_code == 302
    return review_all(submission, by=by)


@pytest.mark.parametrize("revised_in_between", [False, True])
def test_once_reviewed_an_editor_accepts_in_one_save(
    client, editor, mailoutbox, django_capture_on_commit_callbacks, revised_in_between
):
    submission = reviewed(submitted_manuscript(client), by=editor, revised_in_between=revised_in_between, client=client)
    existing = make_contributor(name="李四")  # listed by name only: the one without an e-mail address
    make_contributor(name="王五", email="wang@example.org")  # someone else of that name
    issue = make_issue()
    client.force_login(editor)
    mailoutbox.clear()
    data = form_data(client.get(change_url(submission)))
    data |= {"next_status": Status.ACCEPTED, "section": make_section(name="业界交流").pk, "issue": issue.pk}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(change_url(submission), data | {"message": "录用，谢谢。"})

    article = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:articles_article_change", args=[article.pk])
    assert article.issue == issue and article.status == Article.Status.DRAFT
    authors = [(a.position, a.contributor) for a in article.authorships.all()]
    assert [(position, c.name) for position, c in authors] == [(1, "张三"), (2, "李四"), (3, "王五")]
    assert authors[1][1] == existing and authors[1][1].affiliation == "南滨大学"
    assert authors[2][1].email == "" and Contributor.objects.filter(name="王五").count() == 2
    assert authors[0][1].email == "zhang@example.cn"

    assert article.title == "县域电商调研"
    assert "县域电商调研" not in article.body and "作者" not in article.body
    assert "南滨市电子商务服务中心" not in article.body
    assert article.body.startswith("<h1>一、基本情况</h1>")
    assert "<h1>二、下一步</h1>" in article.body and "<table>" in article.body and "青石镇" in article.body
    assert "<p>张三在调研中走访了十个村。</p>" in article.body
    assert article.accepted_text.startswith("一、基本情况\n" + BODY)
    assert "张三在调研中走访了十个村。" in article.accepted_text and "作者" not in article.accepted_text

    submission.refresh_from_db()
    moves = list(submission.events.values_list("from_status", "to_status", "changed_by"))
    assert moves[-1] == ("under_review", "accepted", editor.pk)  # one save, one logged move
    assert [to for _f, to, _by in moves].count("accepted") == 1
    assert SubmissionEvent.objects.get(to_status=Status.ACCEPTED).comment == "录用，谢谢。"
    assert submission.status == Status.ACCEPTED and submission.article == article
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["zhang@example.cn"]
    assert "已录用" in mailoutbox[0].subject and "录用，谢谢。" in mailoutbox[0].body


def test_a_decided_submission_cannot_be_accepted(client, editor):
    submission = submission_transition(submission=submitted_manuscript(client), to=Status.UNDER_REVIEW, by=editor)
    submission = review(submission, by=editor, opinion="reject")  # 初审: 不用
    events = submission.events.count()
    with pytest.raises(TransitionNotAllowed, match="未录用"):
        submission_accept(submission=submission, editor=editor, section=make_section())
    assert not Article.objects.exists() and submission.events.count() == events


def test_without_an_issue_the_draft_waits_unscheduled(client, editor):
    submission = reviewed(submitted_manuscript(client), by=editor)
    article = submission_accept(submission=submission, editor=editor, section=make_section())
    assert article.issue is None and article.position == 0


# Recognising the title and byline -------------------------------------------------------------


def test_co_authors_are_split_and_their_affiliations_taken_out():
    people = listed_co_authors("李四（南滨大学）、王五，赵六 ; 钱七(南滨学院), 王五")
    assert [(p.name, p.affiliation) for p in people] == [
        ("李四", "南滨大学"), ("王五", ""), ("赵六", ""), ("钱七", "南滨学院"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("html", "kept"),
    [
        ("<p>县域电商调研</p><p>文 / 张三　李四</p><p>正文。</p>", "<p>正文。</p>"),
        ("<p>县域 电商 调研</p><p>文/张三（南滨大学）</p><p>正文。</p>", "<p>正文。</p>"),
        ("<h1>县域电商调研</h1><p>张三</p><p>单位：南滨大学</p><p>正文。</p>", "<p>正文。</p>"),
        ("<p></p><p>张三、李四</p><p>（南滨大学，南滨市电子商务服务中心）</p><p>正文。</p>", "<p>正文。</p>"),
        # Not the submission's own lines: kept
        ("<p>县域电商调研报告</p><p>正文。</p>", "<p>县域电商调研报告</p><p>正文。</p>"),
        ("<p>作者：张三、赵六</p><p>正文。</p>", "<p>作者：张三、赵六</p><p>正文。</p>"),
        ("<p>张三认为，电商很重要。</p>", "<p>张三认为，电商很重要。</p>"),
        ("<p>（南滨大学经济学院）</p>", "<p>（南滨大学经济学院）</p>"),
        # Only from the top: once body text has begun, nothing more goes
        ("<p>正文。</p><p>县域电商调研</p><p>张三</p>", "<p>正文。</p><p>县域电商调研</p><p>张三</p>"),
        ("<table><tr><td>张三</td></tr></table>", "<table><tr><td>张三</td></tr></table>"),
    ],
)
def test_only_the_submissions_own_title_and_byline_lines_go_from_the_top(html, kept):
    body, _removed = without_title_and_byline(
        html, title="县域电商调研", names=["张三", "李四"], affiliations=["南滨大学", "南滨市电子商务服务中心"]
    )
    assert body == kept


def test_paragraph_changes_list_what_was_removed_and_added():
    changes = paragraph_changes("甲\n乙\n丙", "甲\n乙（改）\n丙\n丁")
    assert [(c.added, c.text) for c in changes] == [(False, "乙"), (True, "乙（改）"), (True, "丁")]


# Reading it in the admin ----------------------------------------------------------------------


def revised(client, editor, submission, body):
    submission = submission_transition(submission=submission, to=Status.UNDER_REVIEW, by=editor)
    review(submission, by=editor, opinion="revise")
    revision = SimpleUploadedFile("修改稿.docx", manuscript_docx(body=body))
    assert client.post(submission.get_status_url(), {"manuscript": revision}).status_code == 302
    return Submission.objects.get(pk=submission.pk)


def test_the_admin_page_renders_the_manuscript_as_the_article_will_look(client, editor):
    submission = submitted_manuscript(client)
    client.force_login(editor)
    page = client.get(change_url(submission)).content.decode()
    body = page[page.index('<div class="manuscript-body">') :]
    body = body[: body.index("</div>")]
    assert "<h1>一、基本情况</h1>" in body and f"<p>{BODY}</p>" in body and "<td><p>青石镇</p></td>" in body
    assert "&lt;p&gt;" not in page and "作者：张三、李四" not in body
    assert "录用时将去掉" in page and "<li>作者：张三、李四</li>" in page


def test_author_html_is_never_shown_unsanitised(client, editor):
    submission = submitted_manuscript(
        client, manuscript=SimpleUploadedFile("x.docx", manuscript_docx(body=['<script>alert("x")</script>']))
    )
    client.force_login(editor)
    page = client.get(change_url(submission)).content.decode()
    assert '<script>alert("x")</script>' not in page and "&lt;script&gt;" in page


def test_every_version_is_listed_newest_first_and_the_revision_shows_its_changes(client, editor):
    submission = revised(client, editor, submitted_manuscript(client), body=[BODY, "各镇服务站已有六十个。"])
    client.force_login(editor)
    page = client.get(change_url(submission)).content.decode()
    newest, first = submission.manuscripts.all()
    assert page.index(download_url(newest)) < page.index(download_url(first))
    assert ">修改稿.docx</a>" in page and ">县域电商调研（终稿）.docx</a>" in page
    assert "KB" in page
    changes = page[page.index('<div class="manuscript-changes">') :]
    assert "第 2 版" in changes
    assert changes.index("删去段落") < changes.index("<del>各镇服务站已有四十五个。</del>")
    assert changes.index("新增段落") < changes.index("<ins>各镇服务站已有六十个。</ins>")
    assert BODY not in changes  # unchanged paragraphs are not listed


def test_staff_download_each_version_under_its_original_name(client, editor):
    submission = revised(client, editor, submitted_manuscript(client), body=["新的正文。"])
    client.force_login(editor)
    first = submission.manuscripts.last()
    response = client.get(download_url(first))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{submission.tracking_number}-{first.pk}.docx"; '
        f"filename*=UTF-8''{quote('县域电商调研（终稿）.docx', safe='')}"
    )
    assert b"".join(response.streaming_content) == first.file.open("rb").read()
    assert "private" in response["Cache-Control"]


def test_in_production_nginx_sends_the_manuscript(client, editor, settings):
    settings.PROTECTED_ACCEL_PREFIX = "/_protected/"
    manuscript = submitted_manuscript(client).manuscript
    client.force_login(editor)
    response = client.get(download_url(manuscript))
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == "/_protected/" + manuscript.file.name


def test_only_staff_who_may_view_submissions_download(client, editor, django_user_model):
    submission = submitted_manuscript(client)
    url = download_url(submission.manuscript)
    login = reverse("admin:login")
    assert client.get(url)["Location"].startswith(login)  # anonymous: to the sign-in page, then back
    reader = django_user_model.objects.create_user(username="reader", password="x")
    client.force_login(reader)
    assert client.get(url)["Location"].startswith(login)  # not staff
    clerk = django_user_model.objects.create_user(username="clerk", password="x", is_staff=True)
    client.force_login(clerk)
    assert client.get(url).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_submission"))
    client.force_login(clerk)
    assert client.get(url).status_code == 200
    client.force_login(editor)
    other = reverse("admin:submissions_submission_manuscript", args=[submission.pk + 1, submission.manuscript.pk])
    assert client.get(other).status_code == 404
