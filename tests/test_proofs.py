"""三校: proof rounds on watermarked proofs, corrections, the changes between rounds and against the
manuscript, and no publication before 三校 is signed off."""

import io
import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from articles.models import Article
from articles.services import issue_publish
from issues.models import Issue
from issues.proofs.models import PROOFREADERS_GROUP, Correction, ProofRound
from issues.proofs.services import (
    ProofError,
    correction_mark_done,
    correction_record,
    proof_round_build,
    proof_round_sign_off,
    proof_round_start,
)
from issues.workflow import TransitionNotAllowed
from tests.factories import make_article, make_issue, make_section, make_subscriber, make_subscription
from tests.test_admin_chinese import english_words, visible_text

pytestmark = pytest.mark.django_db

REPORT = (
    "<p>截止2016年底，全市跨境电子商务交易额达到312亿元，同比增长27.5%。</p>"
    "<p>南滨空港物流园依托国际航空货运航线，重点发展跨境电商航空快件和直购进口业务。</p>"
)
BRIEF = "<p>1月10日，南滨综合保税区跨境电子商务公共服务平台正式上线运行。</p>"


def flat(text):
    return re.sub(r"\s+", "", text)


@pytest.fixture
def issue():
    issue = make_issue(year=2017, number=1, total_number=26)
    make_article(issue=issue, title="跨境电商发展报告", body=REPORT, position=1, accepted_text="")
    make_article(
        issue=issue,
        title="平台正式上线",
        body=BRIEF,
        position=2,
        section=make_section(name="行业动态"),
        office_written=True,
    )
    return issue


@pytest.fixture
def editor(django_user_model):
    """Staff who may change issues (mark corrections done, sign off), not a proofreader."""
    user = django_user_model.objects.create_user(username="刘主编", password="pw-editor-123", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            codename__in=["view_issue", "change_issue", "view_issuestatuschange", "view_proofround", "view_article"]
        )
    )
    return user


@pytest.fixture
def proofreader(django_user_model):
    user = django_user_model.objects.create_user(username="陈校对", password="pw-proof-123", is_staff=True)
    user.groups.add(Group.objects.get(name=PROOFREADERS_GROUP))  # created by the app's migration
    return user


def built_round(issue, *, by):
    return proof_round_build(proof_round=proof_round_start(issue=issue, by=by))


def signed(proof_round, *, by):
    return proof_round_sign_off(proof_round=proof_round, by=by)


# The proof ----------------------------------------------------------------------------------------


def test_a_proof_carries_its_watermark_on_every_page_and_is_not_for_subscribers(
    issue, editor, client, django_capture_on_commit_callbacks, settings
):
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):  # the build is a task, as 生成 PDF's
        response = client.post(reverse("admin:proofs_proofround_start", args=[issue.pk]))
    assert response.status_code == 302
    proof_round = ProofRound.objects.get(issue=issue)
    assert (proof_round.number, proof_round.status, proof_round.started_by) == (1, "done", editor)

    mark = f"一校样 {timezone.localdate():%Y-%m-%d}"
    assert proof_round.watermark == mark
    download = client.get(reverse("admin:proofs_proofround_proof", args=[proof_round.pk]))
    reader = PdfReader(io.BytesIO(b"".join(download.streaming_content)))
    assert len(reader.pages) == proof_round.page_count > 3
    assert all(flat(mark) in flat(page.extract_text()) for page in reader.pages)
    assert proof_round.path.is_relative_to(settings.PROTECTED_ROOT / "proofs")

    # The issue page's panel lists the round; the issue's own PDFs are untouched.
    page = client.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()
    panel = page.split('id="proofs-panel"')[1].split("</fieldset>")[0]
    assert "一校</strong></a>：已生成" in panel and "未签字" in panel
    assert "开始二校" not in panel  # 一校 is not signed off yet
    assert not issue.pdfs.exists()

    # Subscribers get the issue's PDF, never the proof: there is none for them until it is built.
    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.PUBLISHED, published_at=timezone.now())
    subscriber = make_subscriber()
    make_subscription(subscriber=subscriber)
    client.force_login(subscriber.user)
    assert client.get(reverse("issue_pdf", args=[2017, 1])).status_code == 404
    proof = client.get(reverse("admin:proofs_proofround_proof", args=[proof_round.pk]))
    assert proof.status_code == 302 and "/admin/login/" in proof["Location"]


def test_rounds_go_in_order_each_after_the_last_is_signed_off(issue, editor, proofreader):
    first = ProofRound.objects.create(issue=issue, number=1, started_by=editor, status="done")
    with pytest.raises(ProofError, match="一校尚未签字"):
        proof_round_start(issue=issue, by=editor)
    signed(first, by=editor)
    assert proof_round_start(issue=issue, by=editor).name == "二校"
    with pytest.raises(PermissionDenied):  # a proofreader does not start rounds
        proof_round_start(issue=issue, by=proofreader)


# Corrections ------------------------------------------------------------------------------------


def test_proofreaders_record_corrections_and_editors_mark_them_done(issue, editor, proofreader, client):
    proof_round = ProofRound.objects.create(issue=issue, number=1, started_by=editor, status="done")
    report = issue.articles.get(title="跨境电商发展报告")
    change_url = reverse("admin:proofs_proofround_change", args=[proof_round.pk])
    record_url = reverse("admin:proofs_proofround_record", args=[proof_round.pk])

    client.force_login(proofreader)
    page = client.get(change_url).content.decode()
    assert "记录校改" in page and "签字" not in visible_text(page).replace("尚未签字", "")
    response = client.post(record_url, {"article": report.pk, "text": "第1段“截止”应为“截至”"}, follow=True)
    assert "已记录校改" in response.content.decode()
    correction = Correction.objects.get()
    assert (correction.article, correction.created_by, correction.is_done) == (report, proofreader, False)
    done_url = reverse("admin:proofs_proofround_done", args=[proof_round.pk, correction.pk])
    assert client.post(done_url).status_code == 403  # proofreaders note; editors correct

    client.force_login(editor)
    assert client.post(record_url, {"article": report.pk, "text": "编辑自己记的"}).status_code == 403
    assert Correction.objects.count() == 1
    with pytest.raises(ProofError, match="还有 1 处校改未改正"):
        signed(proof_round, by=editor)
    response = client.post(done_url, follow=True)
    assert "已标记为改正" in response.content.decode()
    correction.refresh_from_db()
    assert correction.done_by == editor and correction.done_at is not None
    response = client.post(reverse("admin:proofs_proofround_sign_off", args=[proof_round.pk]), follow=True)
    assert "一校已签字" in response.content.decode()
    proof_round.refresh_from_db()
    assert proof_round.signed_off_by == editor

    with pytest.raises(ProofError, match="已经签字"):
        correction_record(proof_round=proof_round, article=report, text="太晚了", by=proofreader)


def test_only_proofreaders_and_superusers_record(issue, editor, django_user_model):
    proof_round = ProofRound.objects.create(issue=issue, number=1, started_by=editor, status="done")
    article = issue.articles.first()
    with pytest.raises(PermissionDenied):  # an editor outside 校对
        correction_record(proof_round=proof_round, article=article, text="改", by=editor)
    chief = django_user_model.objects.create_superuser(username="总编")
    correction = correction_record(proof_round=proof_round, article=article, text="改", by=chief)
    assert correction_mark_done(correction=correction, by=chief).is_done


# What changed, and the manuscript ----------------------------------------------------------------


def test_the_next_round_shows_what_changed_in_each_article(issue, editor, client):
    first = built_round(issue, by=editor)
    report = issue.articles.get(title="跨境电商发展报告")
    assert flat(first.texts.get(article=report).body) == flat(report.plain_text)
    signed(first, by=editor)

    report.body = REPORT.replace("截止", "截至").replace("同比增长27.5%。", "同比增长27.5%，增速居全省前列。")
    report.save()
    second = built_round(issue, by=editor)

    client.force_login(editor)
    page = client.get(reverse("admin:proofs_proofround_change", args=[second.pk])).content.decode()
    diffs = page.split("二校与上一校相比")[1]
    report_part, brief_part = diffs.split("平台正式上线")
    assert "跨境电商发展报告 · 有改动（删 1 字，增 9 字）" in report_part
    assert '<del title="删去">止</del><ins title="增加">至</ins>' in report_part
    assert '<ins title="增加">，增速居全省前列</ins>' in report_part
    assert "无改动" in brief_part


def test_the_typeset_body_is_checked_against_the_accepted_manuscript(issue, editor, client):
    report = issue.articles.get(title="跨境电商发展报告")
    report.accepted_text = report.plain_text  # as accepted; then edited in the admin
    report.body = REPORT.replace("重点发展跨境电商航空快件和直购进口业务", "重点发展航空快件业务").replace(
        "312亿元", "312.6亿元"
    )
    report.save()
    proof_round = built_round(issue, by=editor)

    client.force_login(editor)
    page = client.get(reverse("admin:proofs_proofround_change", args=[proof_round.pk])).content.decode()
    checks = page.split("与录用稿比对（不计空白）")[1]
    assert "跨境电商发展报告 · 少 9 字，多 2 字" in checks
    assert '<ins title="排版后多出">.6</ins>' in checks
    assert '<del title="录用稿有、排版后没有">跨境电商</del>' in checks
    assert "平台正式上线" not in checks  # written by the office: no manuscript to compare with


# Publication -------------------------------------------------------------------------------------


def test_publishing_is_refused_until_the_third_round_is_signed_off(issue, editor):
    Article.objects.update(status=Article.Status.READY)
    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.READY)
    for number in (1, 2, 3):
        with pytest.raises(TransitionNotAllowed, match="三校尚未签字"):
            issue_publish(issue=issue, by=editor)
        proof_round = ProofRound.objects.create(issue=issue, number=number, started_by=editor, status="done")
        signed(proof_round, by=editor)
    assert issue_publish(issue=issue, by=editor).status == Issue.Status.PUBLISHED


def test_a_rounds_page_and_the_panel_are_in_chinese(issue, editor, client):
    first = built_round(issue, by=editor)
    signed(first, by=editor)
    second = built_round(issue, by=editor)
    client.force_login(editor)
    for proof_round in (first, second):
        page = client.get(reverse("admin:proofs_proofround_change", args=[proof_round.pk])).content.decode()
        assert english_words(visible_text(page)) == []
    panel = client.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()
    assert "二校" in panel and "未签字" in panel and "开始三校" not in panel  # 二校 is open
    assert english_words(visible_text(panel.split('<div class="proofs-panel">')[1].split("</fieldset>")[0])) == []
