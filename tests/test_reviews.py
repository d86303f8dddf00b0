"""三审: review levels held by groups, their opinions, expert reviews by private link, reminders, publishing."""

import datetime
import io

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from articles import word
from articles.models import Article
from articles.services import issue_publish
from articles.submissions.models import ExpertInvitation, Review, ReviewLevel, Submission, SubmissionEvent
from articles.submissions.reviews import expert_invite, review_record
from articles.submissions.services import submission_accept, submission_create, submission_transition
from issues.models import Issue
from issues.workflow import TransitionNotAllowed
from tests.factories import (
    docx_with_table,
    make_article,
    make_issue,
    make_section,
    make_submission,
    proofread,
    review,
    review_all,
)

Status = Submission.Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def chief(django_user_model):
    """The office's superuser, who sends pieces to review."""
    return django_user_model.objects.create_superuser(username="主编", password="x")


@pytest.fixture
def reviewers(django_user_model):
    """One staff member per default level, in its group: {"初审": user, "复审": user, "终审": user}."""
    users = {}
    for level in ReviewLevel.objects.select_related("group"):
        user = django_user_model.objects.create_user(username=f"{level.name}人", password="x", is_staff=True)
        user.groups.add(level.group)
        users[level.name] = user
    return users


def in_review(chief, **fields):
    return submission_transition(submission=make_submission(**fields), to=Status.UNDER_REVIEW, by=chief)


def level(name):
    return ReviewLevel.objects.get(name=name)


def test_the_migration_sets_up_three_levels_held_by_three_groups():
    levels = list(ReviewLevel.objects.select_related("group"))
    assert [(lv.name, lv.group.name) for lv in levels] == [
        ("初审", "初审编辑"),
        ("复审", "复审编辑"),
        ("终审", "终审编辑"),
    ]
    codenames = set(Group.objects.get(name="复审编辑").permissions.values_list("codename", flat=True))
    assert {"view_submission", "change_submission", "add_review", "add_expertinvitation"} <= codenames


def test_each_level_passes_the_piece_to_the_next_and_the_last_makes_it_ready(chief, reviewers):
    submission = in_review(chief)
    assert submission.review_level == level("初审") and submission.stage_label == "初审中"
    for name, next_stage in [("初审", "复审中"), ("复审", "终审中"), ("终审", "审稿通过，待录用")]:
        review_record(submission=submission, level=level(name), by=reviewers[name], opinion="pass", comment="好")
        submission.refresh_from_db()
        assert submission.status == Status.UNDER_REVIEW and submission.stage_label == next_stage
    assert submission.reviews_passed and submission.review_level is None
    assert [(r.level.name, r.reviewer, r.opinion) for r in submission.reviews.all()] == [
        (name, reviewers[name], "pass") for name in ("初审", "复审", "终审")
    ]
    assert [e.stage for e in submission.events.all()] == ["初审中", "复审中", "终审中", "审稿通过，待录用"]
    assert [e.changed_by for e in submission.events.all()][1:] == list(reviewers.values())


@pytest.mark.parametrize(
    ("passed", "recorder", "recorded", "message"),
    [
        ([], "初审", "复审", "稿件现在在“初审”，不能记录“复审”意见：审稿须逐级进行。"),  # nobody skips a level
        ([], "终审", "终审", "稿件现在在“初审”，不能记录“终审”意见"),  # not even the editor-in-chief
        ([], "复审", "初审", "只有“初审编辑”组的成员才能记录“初审”意见。"),  # nor records another level's
        (["初审"], "初审", "复审", "只有“复审编辑”组的成员才能记录“复审”意见。"),  # a 初审 member cannot do 复审
        (["初审"], "初审", "初审", "稿件现在在“复审”，不能记录“初审”意见"),  # nor pass it twice
        (["初审", "复审", "终审"], "终审", "终审", "稿件已通过全部审稿环节，等待录用。"),
    ],
)
def test_refused_opinions_say_why_and_change_nothing(chief, reviewers, passed, recorder, recorded, message):
    submission = in_review(chief)
    for name in passed:
        submission = review(submission, by=reviewers[name])
    before = (submission.status, submission.review_level_id, Review.objects.count(), SubmissionEvent.objects.count())
    with pytest.raises(TransitionNotAllowed, match=message):
        review_record(submission=submission, level=level(recorded), by=reviewers[recorder], opinion="pass")
    submission.refresh_from_db()
    after = (submission.status, submission.review_level_id, Review.objects.count(), SubmissionEvent.objects.count())
    assert after == before


def test_no_opinion_is_recorded_before_review_or_after_a_decision(chief, reviewers):
    received = make_submission()
    with pytest.raises(TransitionNotAllowed, match="不在审稿中"):
        review_record(submission=received, level=level("初审"), by=chief, opinion="pass")
    rejected = review(in_review(chief, title="第二篇"), by=reviewers["初审"], opinion="reject")
    with pytest.raises(TransitionNotAllowed, match="“未录用”，不在审稿中"):
        review_record(submission=rejected, level=level("初审"), by=chief, opinion="pass")


def test_editors_cannot_decide_alone(chief):
    submission = in_review(chief)
    for to in (Status.REVISION_REQUESTED, Status.REJECTED):
        with pytest.raises(TransitionNotAllowed):
            submission_transition(submission=submission, to=to, by=chief)


def test_revision_goes_back_to_the_level_that_asked(chief, reviewers, django_capture_on_commit_callbacks):
    submission = review(in_review(chief), by=reviewers["初审"])
    with django_capture_on_commit_callbacks(execute=True):
        submission = review(
            submission, by=reviewers["复审"], opinion="revise", comment="数据陈旧", message="请更新2016年数据。"
        )
    assert submission.status == Status.REVISION_REQUESTED and submission.review_level == level("复审")
    assert len(mail.outbox) == 1 and "请更新2016年数据。" in mail.outbox[0].body
    assert "数据陈旧" not in mail.outbox[0].body and "复审人" not in mail.outbox[0].body
    submission = submission_transition(submission=submission, to=Status.UNDER_REVIEW, by=None, message="修改稿")
    assert submission.review_level == level("复审") and submission.stage_label == "复审中"
    review(submission, by=reviewers["复审"])
    submission.refresh_from_db()
    assert submission.stage_label == "终审中"


def test_no_use_rejects_the_piece(chief, reviewers, django_capture_on_commit_callbacks):
    submission = review(review(in_review(chief), by=reviewers["初审"]), by=reviewers["复审"])
    with django_capture_on_commit_callbacks(execute=True):
        submission = review(submission, by=reviewers["终审"], opinion="reject", comment="与本刊方向不符")
    assert submission.status == Status.REJECTED and not submission.reviews_passed
    assert "未被录用" in mail.outbox[0].body and "与本刊方向不符" not in mail.outbox[0].body


def test_acceptance_is_refused_until_the_last_level_has_passed(chief, reviewers):
    submission = review(in_review(chief), by=reviewers["初审"])
    with pytest.raises(TransitionNotAllowed, match="稿件还没有通过“复审”，不能录用。"):
        submission_accept(submission=submission, editor=chief, section=make_section())
    with pytest.raises(TransitionNotAllowed, match="复审"):
        submission_transition(submission=submission, to=Status.ACCEPTED, by=chief)
    submission.refresh_from_db()
    assert submission.status == Status.UNDER_REVIEW and not Article.objects.exists()
    review(review(submission, by=reviewers["复审"]), by=reviewers["终审"])
    assert submission_transition(submission=submission, to=Status.ACCEPTED, by=chief).status == Status.ACCEPTED


def test_the_authors_page_shows_the_stage_never_the_opinions(client, chief, reviewers):
    submission = review(in_review(chief), by=reviewers["初审"])
    Review.objects.filter(submission=submission).update(comment="初审意见：文字粗糙但可用")
    page = client.get(submission.get_status_url()).content.decode()
    assert "复审中" in page and "初审中" in page
    assert "文字粗糙" not in page and "初审人" not in page and "通过" not in page
    submission = review(
        submission, by=reviewers["复审"], opinion="revise", comment="内部：再看", message="请补充来源。"
    )
    page = client.get(submission.get_status_url()).content.decode()
    assert "需修改" in page and "请补充来源。" in page and "内部：再看" not in page and "退修" not in page


# The admin: only the actions the signed-in user may take -------------------------------------


def test_the_admin_offers_each_member_only_the_level_the_piece_is_at(client, chief, reviewers):
    submission = in_review(chief)
    url = reverse("admin:submissions_submission_change", args=[submission.pk])
    review_url = reverse("admin:submissions_review", args=[submission.pk])
    for name, user in reviewers.items():
        client.force_login(user)
        page = client.get(url).content.decode()
        assert ("记录初审意见" in page) == (name == "初审"), name
        assert "记录复审意见" not in page and "记录终审意见" not in page
    client.force_login(reviewers["复审"])
    assert client.get(review_url).status_code == 403
    assert client.post(review_url, {"opinion": "pass"}).status_code == 403

    client.force_login(reviewers["初审"])
    response = client.post(review_url, {"opinion": "pass", "comment": "可以", "message": ""})
    assert response.status_code == 302 and response["Location"] == url
    submission.refresh_from_db()
    assert submission.review_level == level("复审")
    assert "记录复审意见" not in client.get(url).content.decode()
    client.force_login(reviewers["复审"])
    page = client.get(url).content.decode()
    assert "记录复审意见" in page and "可以" in page  # the editors see the earlier opinion


def test_accepting_is_not_offered_before_the_last_level(client, chief, reviewers):
    submission = review(in_review(chief), by=reviewers["初审"])
    client.force_login(chief)
    url = reverse("admin:submissions_submission_change", args=[submission.pk])
    assert 'value="accepted"' not in client.get(url).content.decode()
    review(review(submission, by=reviewers["复审"]), by=reviewers["终审"])
    assert 'value="accepted"' in client.get(url).content.decode()


# External experts -----------------------------------------------------------------------------


def invited(chief, django_capture_on_commit_callbacks, *, due_in_days=10, **fields):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = expert_invite(
            submission=in_review(chief, **fields),
            name="赵教授",
            email="zhao@example.edu.cn",
            due_on=timezone.localdate() + datetime.timedelta(days=max(due_in_days, 0)),
            by=chief,
        )
    if due_in_days < 0:  # as if invited long ago: an editor cannot set a date in the past
        invitation.due_on = timezone.localdate() + datetime.timedelta(days=due_in_days)
        invitation.save(update_fields=["due_on"])
    return invitation


def mail_to(address):
    """The one mail sent to `address` (others go to the author and the editors meanwhile)."""
    (message,) = [message for message in mail.outbox if address in message.to]
    return message


def review_link(message):
    return next(line for line in message.body.splitlines() if "/submit/review/" in line).strip()


def test_an_editor_invites_an_expert_from_the_submissions_page(client, chief, django_capture_on_commit_callbacks):
    submission = in_review(chief)
    client.force_login(chief)
    url = reverse("admin:submissions_invite_expert", args=[submission.pk])
    assert (
        "邀请专家审稿"
        in client.get(reverse("admin:submissions_submission_change", args=[submission.pk])).content.decode()
    )
    due = timezone.localdate() + datetime.timedelta(days=7)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"name": "赵教授", "email": "zhao@example.edu.cn", "due_on": due.isoformat()})
    assert response.status_code == 302
    invitation = ExpertInvitation.objects.get()
    assert (invitation.submission, invitation.due_on, invitation.invited_by) == (submission, due, chief)
    assert mail.outbox[0].to == ["zhao@example.edu.cn"] and "审稿邀请" in mail.outbox[0].subject
    assert invitation.token in review_link(mail_to(invitation.email)) and invitation.nonce != invitation.token


def test_the_expert_reviews_through_the_link_once(client, chief, django_capture_on_commit_callbacks, settings):
    invitation = invited(chief, django_capture_on_commit_callbacks)
    link = review_link(mail_to(invitation.email)).removeprefix(settings.SITE_URL.rstrip("/"))
    page = client.get(link)
    assert page.status_code == 200 and invitation.submission.title in page.content.decode()
    response = client.post(link, {"opinion": "revise", "comment": "第三部分论证不足。"})
    assert response.status_code == 200 and "感谢审稿" in response.content.decode()
    invitation.refresh_from_db()
    assert (invitation.opinion, invitation.comment) == ("revise", "第三部分论证不足。") and invitation.answered_at
    again = client.post(link, {"opinion": "pass", "comment": "改主意了"})
    assert again.status_code == 410 and "审稿链接已失效" in again.content.decode()
    invitation.refresh_from_db()
    assert invitation.opinion == "revise"
    client.force_login(chief)
    admin_page = client.get(reverse("admin:submissions_submission_change", args=[invitation.submission_id]))
    assert "第三部分论证不足。" in admin_page.content.decode()
    client.logout()
    assert "第三部分论证不足" not in client.get(invitation.submission.get_status_url()).content.decode()


def test_the_review_page_shows_the_manuscript_converted_and_sanitised(client, chief):
    data = docx_with_table([["镇", "站点"], ["青石镇", "15"]])
    submission = submission_create(
        fields={"title": "县域电商调研", "author_name": "周雅琴", "affiliation": "南滨市电商中心",
                "postal_address": "长堤路188号", "phone": "0123-68881026", "email": "zhou@example.cn",
                "abstract": "<script>alert(1)</script>"},
        file_name="稿.docx", data=data, inspected=word.check_docx(data), ip=None,
    )  # fmt: skip
    submission = submission_transition(submission=submission, to=Status.UNDER_REVIEW, by=chief)
    invitation = expert_invite(
        submission=submission, name="赵教授", email="zhao@example.edu.cn", due_on=timezone.localdate(), by=chief
    )
    page = client.get(reverse("submissions:expert_review", args=[invitation.token])).content.decode()
    assert "下表为融资情况。" in page and "<table>" in page and "<td><p>青石镇</p></td>" in page
    assert "<script>alert" not in page and "周雅琴" not in page  # the expert reviews the text, not the author
    assert "赵教授专家" in page and "提交审稿意见" in page


@pytest.mark.parametrize(
    ("days_late", "status"),
    [(0, 200), (ExpertInvitation.GRACE.days, 200), (ExpertInvitation.GRACE.days + 1, 410)],
)
def test_the_link_works_until_the_grace_after_the_due_date(
    client, chief, django_capture_on_commit_callbacks, days_late, status
):
    invitation = invited(chief, django_capture_on_commit_callbacks, due_in_days=-days_late)
    response = client.get(reverse("submissions:expert_review", args=[invitation.token]))
    assert response.status_code == status
    if status == 410:
        page = response.content.decode()
        assert "审稿链接已失效" in page and invitation.submission.title not in page


@pytest.mark.parametrize("wrong", ["0" * 64, "short", "x" * 200])
def test_wrong_tokens_are_refused_saying_nothing(client, chief, django_capture_on_commit_callbacks, wrong):
    invitation = invited(chief, django_capture_on_commit_callbacks)
    forged = invitation.nonce + "0" * 32  # the nonce from a leaked database, without the secret key's HMAC
    for token in (wrong, forged):
        response = client.get(reverse("submissions:expert_review", args=[token]))
        assert response.status_code == 404 and "审稿链接已失效" in response.content.decode()
        assert invitation.submission.title not in response.content.decode()


def test_reminders_go_once_per_invitation_and_kind(chief, django_capture_on_commit_callbacks, settings):
    settings.REVIEW_REMINDER_DAYS = 3
    due_soon = invited(chief, django_capture_on_commit_callbacks, due_in_days=2, title="快到期")
    overdue = invited(chief, django_capture_on_commit_callbacks, due_in_days=-1, title="已逾期")
    invited(chief, django_capture_on_commit_callbacks, due_in_days=10, title="还早")
    answered = invited(chief, django_capture_on_commit_callbacks, due_in_days=1, title="已回复")
    ExpertInvitation.objects.filter(pk=answered.pk).update(answered_at=timezone.now(), opinion="pass")
    invited(chief, django_capture_on_commit_callbacks, due_in_days=-30, title="早已过期")
    mail.outbox.clear()

    out = io.StringIO()
    call_command("send_review_reminders", stdout=out)
    call_command("send_review_reminders", stdout=out)  # the timer runs it daily: nobody is mailed twice

    assert sorted(message.subject for message in mail.outbox) == [
        "【期刊名称】审稿已逾期：《已逾期》",
        "【期刊名称】审稿提醒：《快到期》",
    ]
    assert "已发送审稿提醒 2 封" in out.getvalue() and "已发送审稿提醒 0 封" in out.getvalue()
    for message, invitation in [(mail.outbox[0], due_soon), (mail.outbox[1], overdue)]:
        if invitation.submission.title in message.subject:
            assert invitation.token in message.body

    # The piece due soon becomes overdue: that is the other kind, sent once too.
    ExpertInvitation.objects.filter(pk=due_soon.pk).update(due_on=timezone.localdate() - datetime.timedelta(days=1))
    call_command("send_review_reminders", stdout=out)
    call_command("send_review_reminders", stdout=out)
    assert len(mail.outbox) == 3 and "《快到期》" in mail.outbox[2].subject and "逾期" in mail.outbox[2].subject


# Publishing -----------------------------------------------------------------------------------


def ready_issue_with(article_fields):
    """A ready issue with one ready article, proofread (三校 signed off), so only 三审 can stop it."""
    issue = make_issue(status=Issue.Status.READY)
    proofread(issue)
    return issue, make_article(issue=issue, status=Article.Status.READY, **article_fields)


def test_publishing_waits_for_every_submitted_article_to_pass_the_last_level(chief, reviewers):
    submission = review(in_review(chief), by=reviewers["初审"])
    issue, article = ready_issue_with({"office_written": False, "title": "来稿一篇"})
    Submission.objects.filter(pk=submission.pk).update(article=article)
    with pytest.raises(TransitionNotAllowed, match="《来稿一篇》尚未通过终审（现在复审中）"):
        issue_publish(issue=issue, by=chief)
    assert Issue.objects.get().status == Issue.Status.READY
    review_all(submission, by=chief)
    assert issue_publish(issue=issue, by=chief).status == Issue.Status.PUBLISHED


def test_an_article_neither_submitted_nor_office_written_stops_publication(chief):
    issue, article = ready_issue_with({"office_written": False, "title": "来历不明"})
    with pytest.raises(TransitionNotAllowed, match="《来历不明》不是来稿，也没有标为“本刊撰稿”"):
        issue_publish(issue=issue, by=chief)
    Article.objects.filter(pk=article.pk).update(office_written=True)
    assert issue_publish(issue=issue, by=chief).status == Issue.Status.PUBLISHED


def test_the_desk_links_the_article_that_waits_for_review(client, chief):
    issue, article = ready_issue_with({"office_written": False, "title": "来稿两篇"})
    client.force_login(chief)
    page = client.get(reverse("admin:issues_issue_step", args=[issue.pk, "publish"])).content.decode()
    assert "来稿两篇" in page and reverse("admin:articles_article_change", args=[article.pk]) in page
