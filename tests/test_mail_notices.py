"""Mail and notices: the author at each step the admin announces, editors at each new piece of work,
and the mail templates the office words itself in the admin (issues.mail, issues.models.MailTemplate)."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse

from articles.submissions.models import Submission
from articles.submissions.services import submission_transition
from issues.mail import known_mails, render_plain, templated_email
from issues.models import MailTemplate
from issues.subscriptions.models import Subscription
from issues.subscriptions.services import subscription_request
from tests.factories import make_submission, make_subscriber, make_subscription, review, review_all
from tests.forms import form_data
from tests.test_submissions import submitted

pytestmark = pytest.mark.django_db
Status = Submission.Status
AUTHOR = "zhou@example.cn"  # tests.test_submissions.submission_data


def staff(django_user_model, username, *, codename=None, **fields):
    fields = {"is_staff": True, "email": f"{username}@example.cn"} | fields
    user = django_user_model.objects.create_user(username=username, **fields)
    if codename:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def office(django_user_model, codename):
    """Who hears of new work needing `codename`, and those who do not: returns the addresses that should."""
    staff(django_user_model, "direct", codename=codename)
    group = Group.objects.create(name="编辑部")
    group.permissions.add(Permission.objects.get(codename=codename))
    staff(django_user_model, "grouped").groups.add(group)
    staff(django_user_model, "chief", is_superuser=True)
    staff(django_user_model, "no-permission")
    staff(django_user_model, "not-staff", codename=codename, is_staff=False)
    staff(django_user_model, "gone", codename=codename, is_active=False)
    staff(django_user_model, "no-address", codename=codename, email="")
    return ["chief@example.cn", "direct@example.cn", "grouped@example.cn"]


# The author ------------------------------------------------------------------------------------


def _to_review(submission, editor):
    return submission_transition(submission=submission, to=Status.UNDER_REVIEW, by=editor)


# Each step: how the piece gets there first, then the step itself (with a message to the author).
STEPS = {
    "sent to review": (
        lambda s, e: s,
        lambda s, e, m: submission_transition(submission=s, to=Status.UNDER_REVIEW, by=e, message=m),
        "已进入审稿",
    ),
    "a level asks for a revision": (_to_review, lambda s, e, m: review(s, by=e, opinion="revise", message=m), "需要修改"),
    "accepted after 终审": (lambda s, e: review_all(_to_review(s, e), by=e),
                           lambda s, e, m: submission_transition(submission=s, to=Status.ACCEPTED, by=e, message=m),
                           "已录用"),
    "a level rejects it": (_to_review, lambda s, e, m: review(s, by=e, opinion="reject", message=m), "关于稿件"),
}  # fmt: skip


@pytest.mark.parametrize("step", STEPS)
def test_each_step_an_editor_takes_sends_the_author_one_mail(
    client, django_user_model, django_capture_on_commit_callbacks, step
):
    before, act, subject = STEPS[step]
    editor = staff(django_user_model, "editor", is_superuser=True)  # holds every review level
    submission = before(make_submission(title="县域电商调查", email=AUTHOR), editor)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        act(submission, editor, "请补充数据来源。")
    assert [message.to for message in mail.outbox] == [[AUTHOR]]
    assert subject in mail.outbox[0].subject and "《县域电商调查》" in mail.outbox[0].subject
    assert "请补充数据来源。" in mail.outbox[0].body
    assert submission.get_status_url() in mail.outbox[0].body


def test_a_level_passing_the_piece_on_mails_nobody(django_user_model, django_capture_on_commit_callbacks):
    editor = staff(django_user_model, "editor", is_superuser=True)
    submission = _to_review(make_submission(email=AUTHOR), editor)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        review(submission, by=editor)  # 初审 通过: on to 复审, still 审稿中
    assert mail.outbox == []


def test_moving_a_piece_to_review_in_the_admin_mails_the_author_as_the_form_says(
    staff_client, django_capture_on_commit_callbacks
):
    submission = make_submission(email=AUTHOR)
    url = reverse("admin:submissions_submission_change", args=[submission.pk])
    page = staff_client.get(url)
    assert "作者会在状态页和邮件里看到。" in page.content.decode()
    data = form_data(page) | {"next_status": Status.UNDER_REVIEW, "message": "已送审。"}
    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.post(url, data).status_code == 302
    assert [message.to for message in mail.outbox] == [[AUTHOR]]
    assert "审稿" in mail.outbox[0].subject and "已送审。" in mail.outbox[0].body


def test_the_authors_own_steps_send_nothing(django_capture_on_commit_callbacks):
    submission = make_submission(email=AUTHOR)
    with django_capture_on_commit_callbacks(execute=True):
        submission_transition(submission=submission, to=Status.WITHDRAWN, by=None)
    assert mail.outbox == []


def test_a_subject_keeps_the_titles_quotes_and_ampersands():
    submission = make_submission(title='"互联网+"与B&B民宿')
    context = {"submission": submission, "periodical": {"name": "南滨电子商务"}, "message": "", "status_url": "/"}
    message = templated_email("submissions/email/under_review", context, to=[AUTHOR])
    assert message.subject == '【南滨电子商务】稿件《"互联网+"与B&B民宿》已进入审稿'
    assert '《"互联网+"与B&B民宿》' in message.body


# The editors -----------------------------------------------------------------------------------


def test_a_new_manuscript_mails_each_editor_once_and_nobody_else(
    client, django_user_model, django_capture_on_commit_callbacks
):
    editors = office(django_user_model, "change_submission")
    with django_capture_on_commit_callbacks(execute=True):
        submission = submitted(client)
    recipients = sorted(message.to[0] for message in mail.outbox if message.to != [AUTHOR])
    assert recipients == editors and all(len(message.to) == 1 for message in mail.outbox)
    assert [message.to for message in mail.outbox].count([AUTHOR]) == 1  # the receipt
    to_editor = next(message for message in mail.outbox if message.to == ["direct@example.cn"])
    assert submission.tracking_number in to_editor.subject
    assert reverse("admin:submissions_submission_change", args=[submission.pk]) in to_editor.body


def test_a_subscription_request_mails_each_editor_once_and_a_repeated_one_nobody(
    django_user_model, django_capture_on_commit_callbacks
):
    editors = office(django_user_model, "change_subscription")
    reader = make_subscriber(name="赵敏", email="zhaomin@example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        subscription = subscription_request(subscriber=reader)
    assert sorted(message.to[0] for message in mail.outbox) == editors
    assert "赵敏" in mail.outbox[0].subject and "zhaomin@example.cn" in mail.outbox[0].body
    assert reverse("admin:subscriptions_subscription_change", args=[subscription.pk]) in mail.outbox[0].body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert subscription_request(subscriber=reader) == subscription  # already waiting
    assert mail.outbox == []


def test_an_approved_at_once_request_mails_the_reader_not_the_editors(
    django_user_model, settings, django_capture_on_commit_callbacks
):
    settings.SUBSCRIPTION_AUTO_APPROVE = True
    office(django_user_model, "change_subscription")
    with django_capture_on_commit_callbacks(execute=True):
        subscription_request(subscriber=make_subscriber(email="zhaomin@example.cn"))
    assert [message.to for message in mail.outbox] == [["zhaomin@example.cn"]]


def test_the_desk_counts_every_new_manuscript_and_request(staff_client):
    for n in range(10):
        make_submission(title=f"新稿{n}")
    make_submission(title="审稿中", status=Status.UNDER_REVIEW)
    for n in range(9):
        make_subscription(subscriber=make_subscriber(email=f"r{n}@example.cn"), status=Subscription.Status.PENDING)

    page = staff_client.get(reverse("admin:index")).content.decode()

    def count(heading):
        return page.split(f'{heading} <span class="desk-count">', 1)[1].split("<", 1)[0]

    assert count("新来稿") == "10" and count("待审批的订阅申请") == "9"  # more than the eight rows shown


# The office's own wording ----------------------------------------------------------------------

RECEIVED = "submissions/email/received"


def received_context():
    return known_mails()[RECEIVED].sample_context()


def test_an_edited_wording_is_sent_and_the_file_template_once_it_is_deleted():
    edited = MailTemplate.objects.create(
        name=RECEIVED, subject="【{{ periodical.name }}】收稿 {{ submission.tracking_number }}",
        body="{{ submission.author_name }}：稿件“{{ submission.title }}”已收到。<不转义>",
    )  # fmt: skip
    message = templated_email(RECEIVED, received_context(), to=[AUTHOR])
    assert message.subject == "【南滨电子商务】收稿 20170131-3F9A2C"
    assert message.body == "周明：稿件“跨境电商的实践与思考”已收到。<不转义>"
    edited.delete()
    message = templated_email(RECEIVED, received_context(), to=[AUTHOR])
    assert message.subject == "【南滨电子商务】稿件已收到（编号 20170131-3F9A2C）"
    assert "此地址仅供您本人使用" in message.body


def test_every_mail_is_declared_with_the_variables_its_templates_use_and_edits_from_the_same_text():
    mails = known_mails()
    assert {RECEIVED, "submissions/email/under_review", "submissions/email/new_for_editors",
            "subscriptions/email/request_for_editors", "subscriptions/email/notice"} <= set(mails)  # fmt: skip
    for name, spec in mails.items():
        context = spec.sample_context()
        for source, edited, suffix in zip(spec.file_sources(), spec.editable_sources(), ["_subject", ""], strict=True):
            assert spec.unknown_variables(source) == [], name
            as_file = render_to_string(f"{name}{suffix}.txt", context)
            assert render_plain(edited, context).split() == as_file.split(), name


def test_the_admin_lists_every_mail_and_starts_an_edit_from_its_text(staff_client):
    MailTemplate.objects.create(name=RECEIVED, subject="收稿", body="已收到。")
    page = staff_client.get(reverse("admin:issues_mailtemplate_changelist")).content.decode()
    for spec in known_mails().values():
        assert str(spec.description) in page
    assert "编辑部修改" in page and "系统自带" in page
    add = staff_client.get(reverse("admin:issues_mailtemplate_add") + "?name=submissions/email/under_review")
    body = add.context["adminform"].form.initial["body"]
    assert "{{ submission.author_name }}：" in body and "blocktranslate" not in body


def edit(client, **fields):
    url = reverse("admin:issues_mailtemplate_add")
    data = {"name": RECEIVED, "subject": "收稿 {{ submission.tracking_number }}", "body": "已收到。"} | fields
    return client.post(url, data)


def test_a_wording_with_a_syntax_error_is_refused_with_a_chinese_message(staff_client):
    response = edit(staff_client, body="{% if message %}编辑部意见：{{ message }}")
    assert response.status_code == 200
    assert "模板写法有误，无法使用" in response.content.decode()
    assert not MailTemplate.objects.exists()


def test_a_wording_with_a_variable_the_mail_lacks_is_refused(staff_client):
    response = edit(staff_client, subject="收稿 {{ submission.email }}")
    assert response.status_code == 200
    assert "这封邮件没有这些变量：submission.email" in response.content.decode()
    assert not MailTemplate.objects.exists()


def test_the_preview_shows_the_mail_with_sample_values_and_the_variables_and_saves_nothing(staff_client):
    response = edit(staff_client, body="{{ submission.author_name }}：《{{ submission.title }}》已收到。", _preview="1")
    page = response.content.decode()
    assert response.status_code == 200 and not MailTemplate.objects.exists()
    assert "预览（示例数据，尚未保存）" in page
    assert "收稿 20170131-3F9A2C" in page and "周明：《跨境电商的实践与思考》已收到。" in page
    assert "{{ submission.title }}" in page and "稿件标题" in page  # the variables, beside the form
    assert edit(staff_client).status_code == 302
    assert MailTemplate.objects.get().subject == "收稿 {{ submission.tracking_number }}"
