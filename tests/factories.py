"""Keyword-only factories: each test says what it needs and gets nothing hidden."""

import datetime
import io

import docx
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from PIL import Image

from articles.models import Article, Authorship, Contributor
from articles.submissions.models import Submission
from issues.circulation.models import Recipient
from issues.models import Issue, MastheadLine, Periodical, Section
from issues.proofs.models import ProofRound
from issues.subscriptions.models import Institution, IPRange, Subscriber, Subscription


def make_section(*, name="特别报道", parent=None, position=0, kind=Section.Kind.NEWS):
    return Section.objects.get_or_create(name=name, parent=parent, defaults={"position": position, "kind": kind})[0]


def make_issue(*, year=2017, number=1, total_number=None, status=Issue.Status.DRAFT, masthead=(), **fields):
    issue = Issue.objects.create(
        year=year,
        number=number,
        total_number=total_number or (year - 2000) * 10 + number,
        publication_date=fields.pop("publication_date", datetime.date(year, 1, 31)),
        status=status,
        published_at=fields.pop("published_at", None)
        or (datetime.datetime(year, 2, 1, tzinfo=datetime.UTC) if status == Issue.Status.PUBLISHED else None),
        **fields,
    )
    for position, (label, value) in enumerate(masthead, start=1):
        MastheadLine.objects.create(
            issue=issue, position=position, label=label, value=value, kind=MastheadLine.kind_for_label(label)
        )
    return issue


def make_contributor(*, name="王毅", **fields):
    return Contributor.objects.create(name=name, **fields)


def make_article(
    *, issue=None, section=None, title="文章标题", position=1, authors=(), status=Article.Status.DRAFT, **fields
):
    """An article; the office's own piece (本刊撰稿) unless `office_written=False`, so it needs no 三审."""
    fields.setdefault("office_written", True)
    article = Article.objects.create(
        issue=issue,
        section=section or make_section(),
        title=title,
        position=position,
        status=status,
        **fields,
    )
    for order, contributor in enumerate(authors, start=1):
        Authorship.objects.create(article=article, contributor=contributor, position=order)
    return article


def image_bytes(*, format="PNG", size=(60, 40), color=(20, 90, 130)):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=format)
    return out.getvalue()


def make_reading_issues(*, masthead=(("主编", "王毅"), ("责任编辑", "李娜")), **periodical_fields):
    """The periodical 乡村观察 with two published issues with covers, 2024年第2期 (春耕) and 第3期 (县域经济).

    Returns the latest; `periodical_fields` go on the periodical, `masthead` on the latest issue.
    """
    periodical = Periodical.load()
    fields = {"name": "乡村观察", "slogan": "记录田野里的中国", "contact_email": "editor@example.org"}
    for name, value in (fields | periodical_fields).items():
        setattr(periodical, name, value)
    periodical.save()
    earlier = make_issue(year=2024, number=2, total_number=57, status=Issue.Status.PUBLISHED, title="春耕")
    earlier.cover.save("earlier.png", ContentFile(image_bytes(size=(300, 420), color=(160, 60, 40))))
    latest = make_issue(
        year=2024, number=3, total_number=58, status=Issue.Status.PUBLISHED, title="县域经济", masthead=masthead
    )
    latest.cover.save("latest.png", ContentFile(image_bytes(size=(300, 420))))
    return latest


def make_subscriber(
    *, name="李明", organisation="南滨市商务局", email="liming@example.cn", password="pw-reader-2017", **fields
):
    """A confirmed reader's account, without any subscription."""
    user = get_user_model().objects.create_user(username=email.lower(), email=email, password=password)
    return Subscriber.objects.create(
        user=user,
        name=name,
        organisation=organisation,
        email_confirmed_at=datetime.datetime.now(datetime.UTC),
        **fields,
    )


def make_subscription(*, subscriber, status=Subscription.Status.APPROVED, starts_in_days=-30, days=365):
    """A subscription starting `starts_in_days` from today and lasting `days` days."""
    starts_on = timezone.localdate() + datetime.timedelta(days=starts_in_days)
    return Subscription.objects.create(
        subscriber=subscriber, status=status, starts_on=starts_on, ends_on=starts_on + datetime.timedelta(days=days - 1)
    )


def make_institution(*, name="南滨市图书馆", cidrs=("203.0.113.0/24",), starts_in_days=-30, days=365):
    starts_on = timezone.localdate() + datetime.timedelta(days=starts_in_days)
    institution = Institution.objects.create(
        name=name, starts_on=starts_on, ends_on=starts_on + datetime.timedelta(days=days - 1)
    )
    for cidr in cidrs:
        IPRange.objects.create(institution=institution, cidr=cidr)
    return institution


def make_submission(*, title="县域电商调查", status=Submission.Status.RECEIVED, **fields):
    """A manuscript as sent through the public form (without its file)."""
    defaults = {
        "author_name": "王毅",
        "affiliation": "南滨市商务局",
        "postal_address": "南滨市长堤路188号",
        "phone": "0123-68881026",
        "email": "wangyi@example.cn",
    }
    return Submission.objects.create(title=title, status=status, **(defaults | fields))


def review(submission, *, by, opinion="pass", comment="", message=""):
    """Record the opinion of the level `submission` is at now, signed by `by`; the submission as it is then."""
    from articles.submissions.reviews import review_record

    submission.refresh_from_db()
    review_record(
        submission=submission, level=submission.review_level, by=by, opinion=opinion, comment=comment, message=message
    )
    submission.refresh_from_db()
    return submission


def review_all(submission, *, by):
    """通过 at every review level in turn (初审, 复审, 终审 by default): ready to accept."""
    submission.refresh_from_db()
    while not submission.reviews_passed:
        submission = review(submission, by=by)
    return submission


def docx_with_table(rows, *, bold_first_row=False, repeat_first_row=False, style="Table Grid", look=None) -> bytes:
    """A Word document with a paragraph and a table of `rows` (lists of cell texts), as Word saves it.

    `style` is the table style's name; `look`, if given, replaces Word's table look (w:tblLook) with
    these attributes, e.g. {"firstRow": "0"}.
    """
    document = docx.Document()
    document.add_paragraph("下表为融资情况。")
    word = document.add_table(rows=len(rows), cols=len(rows[0]))
    word.style = style
    if look is not None:
        table_look = word._tbl.tblPr.find(qn("w:tblLook"))
        table_look.attrib.clear()
        for name, value in look.items():
            table_look.set(qn(f"w:{name}"), value)
    for row, texts in zip(word.rows, rows):
        for cell, text in zip(row.cells, texts):
            cell.text = text
    if bold_first_row:
        for cell in word.rows[0].cells:
            for run in cell.paragraphs[0].runs:
                run.bold = True
    if repeat_first_row:
        word.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def proofread(issue, *, by=None):
    """三校 done: the issue's three proof rounds, signed off by `by`, without building any proof PDF.

    Every issue needs them before it is published (issues.proofs registers the check).
    """
    by = by or get_user_model().objects.get_or_create(username="校对签字人", defaults={"is_staff": True})[0]
    now = timezone.now()
    for number in ProofRound.Number:
        ProofRound.objects.update_or_create(
            issue=issue,
            number=number,
            defaults={"started_by": by, "status": ProofRound.Status.DONE, "signed_off_at": now, "signed_off_by": by},
        )
    return issue


def make_recipient(*, organisation="南滨市商务局", address="南滨市滨江区长堤路1号", post_code="365100", **fields):
    """A unit the printed issue is mailed to (发送对象), sent since 2016 unless `active_from` says otherwise."""
    fields.setdefault("active_from", datetime.date(2016, 1, 1))
    return Recipient.objects.create(organisation=organisation, address=address, post_code=post_code, **fields)


def photo_bytes(*, format="JPEG", size=(4000, 3000), quality=95):
    """A photograph-like image (gradients and grain: thousands of colours, compressing as photos do)."""
    red = Image.linear_gradient("L").resize(size)
    green = Image.effect_noise(size, 48).point(lambda value: value // 2 + 64)
    blue = Image.radial_gradient("L").resize(size)
    out = io.BytesIO()
    Image.merge("RGB", (red, green, blue)).save(
        out, format=format, **({"quality": quality} if format == "JPEG" else {})
    )
    return out.getvalue()


def make_body_image(*, data, name="figure.png"):
    """An image uploaded into an article body, as the editor's 插入图片 stores it; its media URL."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from articles.images import body_image_save

    return body_image_save(upload=SimpleUploadedFile(name, data))
