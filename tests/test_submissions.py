"""Manuscript submissions: the public form, the author's status page, and the editors' workflow."""

import io
import re
import zipfile
from pathlib import Path

import docx
import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.models import Article, Contributor
from articles.submissions.models import Manuscript, Submission, SubmissionEvent
from articles.submissions.services import submission_accept, submission_transition
from issues.models import Periodical
from issues.workflow import TransitionNotAllowed
from tests.factories import image_bytes, make_contributor, make_section, review, review_all
from tests.forms import form_data

Status = Submission.Status

pytestmark = pytest.mark.django_db


def docx_bytes(*, paragraphs=("南滨市跨境电商发展迅速。",), heading=None, table=None, picture=False):
    document = docx.Document()
    if heading:
        document.add_heading(heading, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(grid.rows, table):
            for cell, value in zip(row.cells, values):
                cell.text = value
    if picture:
        document.add_picture(io.BytesIO(image_bytes(size=(120, 80))))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def submission_data(**overrides):
    data = {
        "title": "县域电商调研",
        "author_name": "周雅琴",
        "affiliation": "南滨市电子商务服务中心",
        "postal_address": "南滨市滨江区长堤路188号",
        "phone": "0123-68881026",
        "email": "zhou@example.cn",
        "co_authors": "马骏",
        "abstract": "三个镇的调研。",
        "consent": "on",
        "manuscript": SimpleUploadedFile("调研报告.docx", docx_bytes()),
    }
    return data | overrides


def post(client, **overrides):
    return client.post(reverse("submissions:submit"), submission_data(**overrides), REMOTE_ADDR="10.0.0.1")


def stored_files(root):
    root = Path(root)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def submitted(client, **overrides):
    response = post(client, **overrides)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Submission.objects.get()


# The form -------------------------------------------------------------------------------------


def test_form_shows_the_call_for_papers_and_the_limit(client):
    periodical = Periodical.load()
    periodical.call_for_papers = "欢迎各界投稿。"
    periodical.manuscript_char_limit = 5000
    periodical.save()
    html = client.get("/submit/").content.decode()
    assert "欢迎各界投稿。" in html and "不超过 5000 字" in html and 'enctype="multipart/form-data"' in html


def test_form_page_gives_its_own_address_and_keeps_the_e_mail_address_below_the_form(client, settings):
    settings.SITE_URL = "https://bulletin.example.cn"
    periodical = Periodical.load()
    periodical.call_for_papers = "欢迎各界投稿。"
    periodical.contact_email = "editor@example.cn"
    periodical.save()

    html = client.get("/submit/").content.decode()

    main = html[html.index("<main") : html.index("</main>")]
    address = '<a href="https://bulletin.example.cn/submit/">https://bulletin.example.cn/submit/</a>'
    assert main.index("在线投稿地址") < main.index(address) < main.index("<form")
    assert main.index("</form>") < main.index("editor@example.cn")
    assert "不必另发邮件" in main[main.index("</form>") :]


def test_the_demo_call_for_papers_asks_for_the_online_form_not_an_e_mail(client):
    call_command("load_demo", stdout=io.StringIO())

    html = client.get("/submit/").content.decode()

    form_at = html.index('<form class="site-form"')
    assert "在线投稿页面" in html[:form_at] and "Word文档" in html[:form_at]
    assert "nbds@example.cn" not in html[:form_at] and "电子邮件" not in html[:form_at]


def test_a_good_submission_is_stored_privately_receipted_and_confirmed(
    client, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client)
    submission = Submission.objects.get()
    assert response["Location"] == submission.get_status_url() + "?new=1"
    manuscript = submission.manuscript
    assert manuscript.original_name == "调研报告.docx" and manuscript.char_count == len("南滨市跨境电商发展迅速。")
    path = Path(manuscript.file.path)
    assert path.is_relative_to(Path(settings.PROTECTED_ROOT)) and "调研报告" not in path.name
    assert stored_files(settings.MEDIA_ROOT) == []
    receipt = client.get(response["Location"]).content.decode()
    assert submission.tracking_number in receipt and "已收稿" in receipt
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["zhou@example.cn"] and submission.tracking_number in email.subject
    assert submission.get_status_url() in email.body
    assert submission.events.get().to_status == Status.RECEIVED
    assert submission.submitter_ip == "10.0.0.1"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("稿件.docx", b"MZ\x90\x00" + b"\x00" * 200), "不是 Word"),
        (SimpleUploadedFile("稿件.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600), "另存为"),
        (SimpleUploadedFile("稿件.wps", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600), "另存为"),
        (SimpleUploadedFile("稿件.pdf", b"%PDF-1.7\n" + b"0" * 200), "PDF"),
        (SimpleUploadedFile("稿件.docx", docx_bytes()[:400]), ""),
        (SimpleUploadedFile("稿件.docx", b""), ""),
    ],
    ids=["renamed exe", "doc", "wps", "pdf", "corrupt zip", "empty"],
)
def test_files_that_are_not_docx_are_refused_with_nothing_stored(client, settings, upload, message):
    response = post(client, manuscript=upload)
    assert response.status_code == 200
    html = response.content.decode()
    errors = re.findall(r'<div class="error" id="id_manuscript_error"><p>(.*?)</p>', html)
    assert errors and message in errors[0], errors
    assert not Submission.objects.exists() and not Manuscript.objects.exists()
    assert stored_files(settings.PROTECTED_ROOT) == [] and mail.outbox == []


def with_picture(*, replace_picture=None, linked=False):
    """A manuscript holding a picture whose bytes are replaced (None: removed) or which is only linked."""
    source = docx_bytes(picture=True)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as original, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in original.infolist():
            data = original.read(info)
            if info.filename.startswith("word/media/") and not linked:
                if replace_picture is None:
                    continue
                data = replace_picture
            if linked and info.filename == "word/_rels/document.xml.rels":
                data = re.sub(
                    rb'Target="media/[^"]+"', 'Target="file:///C:/图片.png" TargetMode="External"'.encode(), data
                )
            if linked and info.filename == "word/document.xml":
                data = data.replace(b"r:embed=", b"r:link=")
            copy.writestr(info, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (with_picture(replace_picture=b"not a picture"), "第 1 张图片无法使用"),
        (with_picture(replace_picture=None), "第 1 张图片已损坏"),
        (with_picture(linked=True), "第 1 张图片只是链接到了作者电脑上的文件"),
    ],
    ids=["garbage picture", "missing picture part", "linked picture"],
)
def test_manuscripts_whose_pictures_would_fail_acceptance_are_refused_at_upload(client, settings, data, message):
    response = post(client, manuscript=SimpleUploadedFile("稿件.docx", data))
    errors = re.findall(r'<div class="error" id="id_manuscript_error"><p>(.*?)</p>', response.content.decode())
    assert errors and message in errors[0], errors
    assert not Submission.objects.exists() and stored_files(settings.PROTECTED_ROOT) == []


def test_a_manuscript_acceptance_cannot_convert_is_a_message_to_the_editor(client, editor):
    submission = submission_transition(submission=submitted(client), to=Status.UNDER_REVIEW, by=editor)
    submission = review_all(submission, by=editor)
    manuscript = submission.manuscript  # as if stored before the upload check knew this rule
    manuscript.file.save("old.docx", ContentFile(with_picture(replace_picture=b"not a picture")))
    client.force_login(editor)
    url = reverse("admin:submissions_submission_change", args=[submission.pk])
    data = form_data(client.get(url)) | {"next_status": Status.ACCEPTED, "section": make_section().pk}
    response = client.post(url, data, follow=True)
    assert response.status_code == 200 and "第 1 张图片无法使用" in response.content.decode()
    submission.refresh_from_db()
    assert submission.status == Status.UNDER_REVIEW and not Article.objects.exists()


def test_a_manuscript_over_the_limit_is_refused_saying_how_long_it_is(client):
    periodical = Periodical.load()
    periodical.manuscript_char_limit = 100
    periodical.save()
    text = "字" * 90
    table = [["表" * 10, "格" * 5]]
    response = post(client, manuscript=SimpleUploadedFile("长.docx", docx_bytes(paragraphs=[text], table=table)))
    assert "稿件正文共 105 字，超过了 100 字的上限" in response.content.decode()
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "输入一个有效的 Email 地址"),
        ("phone", "abc", "有效的电话号码"),
        ("phone", "12", "有效的电话号码"),
        ("title", "", "这个字段是必填项"),
        ("affiliation", "", "这个字段是必填项"),
        ("consent", "", "请阅读并同意投稿须知"),
        ("abstract", "摘" * 600_000, "确保该变量包含不超过 2000 字符"),
        ("co_authors", "马" * 301, "确保该变量包含不超过 300 字符"),
    ],
)
def test_wrong_fields_get_a_message_next_to_them_and_nothing_is_stored(client, field, value, message):
    data = submission_data(**{field: value})
    if not value:
        data.pop(field)
    response = client.post(reverse("submissions:submit"), data)
    html = response.content.decode()
    assert re.search(rf'id="id_{field}_error"><p>[^<]*{message}', html), html[html.find("error") - 200 :][:800]
    assert not Submission.objects.exists()


def test_the_honeypot_stores_nothing(client, settings):
    response = post(client, website="http://spam.example")
    assert response.status_code == 200 and "感谢投稿" in response.content.decode()
    assert not Submission.objects.exists() and stored_files(settings.PROTECTED_ROOT) == [] and mail.outbox == []


def test_an_ip_address_may_submit_five_times_an_hour(client):
    for n in range(5):
        assert post(client, manuscript=SimpleUploadedFile("a.docx", docx_bytes())).status_code == 302, n
    response = post(client, manuscript=SimpleUploadedFile("a.docx", docx_bytes()))
    assert response.status_code == 429 and "请稍后再试" in response.content.decode()
    assert Submission.objects.count() == 5
    other = client.post(reverse("submissions:submit"), submission_data(), REMOTE_ADDR="10.0.0.2")
    assert other.status_code == 302


def test_the_form_needs_its_csrf_token():
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("submissions:submit"), submission_data()).status_code == 403
    assert not Submission.objects.exists()


# The status page and the workflow ------------------------------------------------------------


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user(username="editor", password="x", is_staff=True, is_superuser=True)


def test_status_page_shows_only_its_own_submission_and_the_editors_messages(client, editor):
    mine = submitted(client)
    mine.internal_notes = "内部：作者是老朋友"
    mine.save()
    submission_transition(submission=mine, to=Status.UNDER_REVIEW, by=editor, message="已送审，请耐心等待。")
    html = client.get(mine.get_status_url()).content.decode()
    assert "初审中" in html and "已送审，请耐心等待。" in html and "老朋友" not in html
    assert client.get(reverse("submissions:status", args=["not-the-token"])).status_code == 404


@pytest.mark.parametrize(
    ("path", "by_editor", "allowed"),
    [
        (["under_review", "revision", "under_review", "accepted"], True, True),
        (["under_review", "revision", "under_review"], True, True),  # the editor takes a revision sent by mail
        (["rejected"], True, False),  # 不用 is a review level's opinion, not an editor's move
        (["under_review", "rejected"], True, False),
        (["under_review", "revision"], True, False),  # and so is 退修
        (["accepted"], True, False),  # a received piece is reviewed first
        (["under_review", "accepted", "rejected"], True, False),  # decisions are final
        (["withdrawn"], True, False),  # only the author withdraws
        (["under_review"], False, False),  # the author cannot review
    ],
)
def test_transitions(client, editor, path, by_editor, allowed):
    submission = submitted(client)
    by = editor if by_editor else None

    def move(submission, to, message=""):
        # 退修 and 通过 at every level are the review levels' (reviews.py); the rest are moves.
        if to == Status.REVISION_REQUESTED and allowed:
            return review(submission, by=editor, opinion="revise", message=message)
        if to == Status.ACCEPTED and allowed:
            review_all(submission, by=editor)
        return submission_transition(submission=submission, to=to, by=by, message=message)

    if allowed:
        for to in path:
            submission = move(submission, to, f"到{to}")
        assert submission.status == path[-1]
        assert [e.to_status for e in submission.events.all() if e.to_status != e.from_status] == ["received", *path]
        assert all(e.changed_by == editor for e in submission.events.all()[1:])
    else:
        for to in path[:-1]:
            submission = move(submission, to) if to != Status.ACCEPTED else review_all(submission, by=editor)
            if to == Status.ACCEPTED:
                submission = submission_transition(submission=submission, to=to, by=by)
        with pytest.raises(TransitionNotAllowed):
            submission_transition(submission=submission, to=path[-1], by=by)
        submission.refresh_from_db()
        assert submission.status == (path[-2] if len(path) > 1 else "received")


def test_the_author_is_emailed_at_each_step_an_editor_takes(client, editor, django_capture_on_commit_callbacks):
    submission = submitted(client)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_transition(submission=submission, to=Status.UNDER_REVIEW, by=editor)
    assert len(mail.outbox) == 1 and "审稿" in mail.outbox[0].subject  # the admin form says the author is told
    with django_capture_on_commit_callbacks(execute=True):
        review(submission, by=editor, opinion="revise", message="请补充数据来源。")  # 初审 asks for a revision
    assert len(mail.outbox) == 2
    assert "需要修改" in mail.outbox[1].subject and "请补充数据来源。" in mail.outbox[1].body


def test_the_author_uploads_a_revision_from_the_status_page(client, editor):
    submission = submitted(client)
    submission = submission_transition(submission=submission, to=Status.UNDER_REVIEW, by=editor)
    submission = review(submission, by=editor, opinion="revise", message="请修改。")
    page = client.get(submission.get_status_url()).content.decode()
    assert "上传修改稿" in page
    revised = SimpleUploadedFile("修改稿.docx", docx_bytes(paragraphs=["修改后的正文更长一些。"]))
    response = client.post(submission.get_status_url(), {"manuscript": revised})
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Status.UNDER_REVIEW
    assert submission.manuscripts.count() == 2 and submission.manuscript.original_name == "修改稿.docx"
    assert "作者上传了修改稿" in client.get(submission.get_status_url()).content.decode()


def test_a_revision_is_refused_unless_asked_for(client):
    submission = submitted(client)
    response = client.post(submission.get_status_url(), {"manuscript": SimpleUploadedFile("x.docx", docx_bytes())})
    assert "只有编辑部要求修改时才能上传修改稿" in client.get(
        response.get("Location", submission.get_status_url())
    ).content.decode() or (submission.manuscripts.count() == 1)
    assert submission.manuscripts.count() == 1


def test_the_author_can_withdraw_until_a_decision(client, editor):
    submission = submitted(client)
    client.post(reverse("submissions:withdraw", args=[submission.token]))
    submission.refresh_from_db()
    assert submission.status == Status.WITHDRAWN
    decided = submitted_again(client)
    decided = submission_transition(submission=decided, to=Status.UNDER_REVIEW, by=editor)
    review(decided, by=editor, opinion="reject")
    client.post(reverse("submissions:withdraw", args=[decided.token]))
    decided.refresh_from_db()
    assert decided.status == Status.REJECTED
    assert "撤回稿件" not in client.get(decided.get_status_url()).content.decode()


def submitted_again(client):
    post(client, title="第二篇", manuscript=SimpleUploadedFile("b.docx", docx_bytes()))
    return Submission.objects.get(title="第二篇")


# Accepting: manuscript → article draft -------------------------------------------------------


def test_accepting_converts_the_manuscript_into_a_draft_article(client, editor, settings):
    manuscript = docx_bytes(
        heading="一、基本情况",
        paragraphs=["三个镇的电商服务站。"],
        table=[["镇", "站点"], ["青石镇", "15"]],
        picture=True,
    )
    submission = submitted(client, manuscript=SimpleUploadedFile("稿.docx", manuscript))
    existing = make_contributor(name="周雅琴", email="zhou@example.cn")
    submission = submission_transition(submission=submission, to=Status.UNDER_REVIEW, by=editor)
    submission = review_all(submission, by=editor)
    article = submission_accept(submission=submission, editor=editor, section=make_section(name="业界交流"))
    assert article.status == Article.Status.DRAFT and article.issue is None
    assert article.title == "县域电商调研" and article.summary == "三个镇的调研。"
    assert "<h1>一、基本情况</h1>" in article.body or "<h2>一、基本情况</h2>" in article.body
    assert "<table>" in article.body and "青石镇" in article.body
    src = re.search(r'<img src="([^"]+)"', article.body).group(1)
    assert src.startswith(settings.MEDIA_URL)
    assert (Path(settings.MEDIA_ROOT) / src.removeprefix(settings.MEDIA_URL)).is_file()
    assert [a.contributor for a in article.authorships.all()] == [existing, Contributor.objects.get(name="马骏")]
    existing.refresh_from_db()
    assert existing.affiliation == "南滨市电子商务服务中心"
    submission.refresh_from_db()
    assert submission.status == Status.ACCEPTED and submission.article == article


def test_accepting_in_the_admin_opens_the_new_article(client, editor):
    submission = submitted(client)
    submission = submission_transition(submission=submission, to=Status.UNDER_REVIEW, by=editor)
    submission = review_all(submission, by=editor)
    section = make_section(name="业界交流")
    client.force_login(editor)
    url = reverse("admin:submissions_submission_change", args=[submission.pk])
    response = client.get(url)
    page = response.content.decode()
    assert "南滨市跨境电商发展迅速。" in page and "字数" in page
    data = form_data(response) | {"next_status": Status.ACCEPTED, "message": "录用"}
    response = client.post(url, data)
    assert "录用时请选择栏目" in response.content.decode()
    response = client.post(url, data | {"section": section.pk, "internal_notes": "好稿"})
    article = Article.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:articles_article_change", args=[article.pk]
    )
    assert [a.contributor.name for a in article.authorships.all()] == ["周雅琴", "马骏"]
    assert SubmissionEvent.objects.filter(to_status=Status.ACCEPTED, changed_by=editor, comment="录用").exists()


def test_the_submission_list_takes_the_same_queries_however_many_submissions_and_versions(client, editor):
    def list_page():
        client.force_login(editor)
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("admin:submissions_submission_changelist")).content.decode()
        return len(queries), page

    submitted(client)
    one, _page = list_page()
    for title in ("第二篇", "第三篇", "第四篇"):
        post(client, title=title, manuscript=SimpleUploadedFile("b.docx", docx_bytes(paragraphs=["一二三四五"])))
    for submission in Submission.objects.all():
        submission = submission_transition(submission=submission, to=Status.UNDER_REVIEW, by=editor)
        review(submission, by=editor, opinion="revise")
        revision = SimpleUploadedFile("修改稿.docx", docx_bytes(paragraphs=["修改后的正文共十个字"]))
        assert client.post(submission.get_status_url(), {"manuscript": revision}).status_code == 302
    many, page = list_page()
    assert many == one
    assert page.count('<td class="field-char_count">10</td>') == 4  # the latest version of each
