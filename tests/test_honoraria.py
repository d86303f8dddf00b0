"""稿酬 and 样刊: the rate card's proposal, the tax withheld, payment batches for finance, the copies sent."""

import csv
import datetime
import io
from decimal import Decimal
from urllib.parse import unquote

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from openpyxl import load_workbook

from articles.honoraria.models import ComplimentaryCopies, Honorarium, PaymentBatch, RateCard, SectionRate
from articles.honoraria.rules import character_count, split_equally, withholding_tax
from articles.honoraria.services import honoraria_propose, payment_batch_create, payment_batch_mark_paid
from articles.submissions.models import Submission
from issues.workflow import TransitionNotAllowed
from tests.factories import make_article, make_contributor, make_issue, make_section, make_submission
from tests.forms import form_data
from tests.test_admin_chinese import pages_with_english, visible_text

pytestmark = pytest.mark.django_db

HEADERS = ["收款人", "单位", "文章", "期次", "字数", "稿酬（税前）", "代扣个税", "实发金额"]


def body_of(characters: int) -> str:
    """A body whose plain text has exactly `characters` counted characters (spaces between them)."""
    return "<p>" + " ".join("电" * 10 for _ in range(characters // 10)) + "电" * (characters % 10) + "</p>"


@pytest.fixture
def editor(client, django_user_model):
    user = django_user_model.objects.create_user(username="财务编辑", password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["honoraria", "articles", "issues", "submissions"])
    )
    client.force_login(user)
    return user


# The rules ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "tax"),
    [
        ("0", "0.00"),
        ("500", "0.00"),
        ("800", "0.00"),  # at 800 nothing is taxable
        ("800.01", "0.00"),  # 0.01 × 14 % rounds to nothing
        ("801", "0.14"),
        ("3000", "308.00"),
        ("4000", "448.00"),  # the last amount less 800
        ("4000.01", "448.00"),  # from here less 20 %: 4,000.01 × 0.8 × 0.14 = 448.0011
        ("5000", "560.00"),
        ("12345.67", "1382.72"),  # 1,382.71504 rounded half up
    ],
)
def test_the_tax_withheld_follows_the_rule_for_gaofei_income(amount, tax):
    assert withholding_tax(Decimal(amount)) == Decimal(tax)
    assert str(withholding_tax(Decimal(amount))) == tax  # to the fen


def test_every_character_but_whitespace_is_counted():
    # 一、总体情况 (6) + B2B (3) + 交易额 (3) + 5.16 (4) + 万亿元。 (4); spaces, the ideographic space and
    # the line break are not counted.
    assert character_count("一、总体情况\nB2B 交易额　5.16 万亿元。") == 20


def test_an_amount_splits_to_the_fen_with_the_odd_fen_to_the_first_authors():
    assert split_equally(Decimal("1000"), 3) == [Decimal("333.34"), Decimal("333.33"), Decimal("333.33")]
    assert split_equally(Decimal("600"), 2) == [Decimal("300.00"), Decimal("300.00")]
    assert sum(split_equally(Decimal("1000.01"), 7)) == Decimal("1000.01")


# The proposal ----------------------------------------------------------------------------------


@pytest.fixture
def rate_card():
    card = RateCard.load()
    card.rate_per_thousand, card.minimum_amount = Decimal("100"), Decimal("150")
    card.save()
    return card


def test_the_proposal_counts_the_typeset_text_at_the_sections_rate(rate_card):
    report = make_section(name="特别报道")
    SectionRate.objects.create(rate_card=rate_card, section=report, rate_per_thousand=Decimal("200"))
    article = make_article(section=report, title="产业报告", body=body_of(4560))

    proposal = rate_card.proposal(article)

    assert proposal.characters == 4560
    assert proposal.amount == Decimal("912")  # 4,560 × 200 / 1,000
    assert proposal.basis == "4560 字 × 200.00 元/千字"


def test_a_section_without_a_rate_of_its_own_pays_the_default_and_a_short_piece_the_minimum(rate_card):
    exchange = make_section(name="业界交流")
    assert rate_card.proposal(make_article(section=exchange, body=body_of(3205))).amount == Decimal("321")
    short = rate_card.proposal(make_article(section=exchange, title="短评", body=body_of(800)))
    assert short.amount == Decimal("150") and "按最低稿酬计" in short.basis  # 80 yuan by the rate


def test_briefs_are_paid_their_fixed_amount_also_in_sub_sections_and_below_the_minimum(rate_card):
    news = make_section(name="行业动态")
    SectionRate.objects.create(rate_card=rate_card, section=news, brief_amount=Decimal("50"))
    shenzhen = make_section(name="深圳", parent=news)
    domestic = make_section(name="国内", parent=news)
    SectionRate.objects.create(rate_card=rate_card, section=domestic, rate_per_thousand=Decimal("300"))

    brief = rate_card.proposal(make_article(section=shenzhen, title="简讯", body=body_of(2400)))
    assert (brief.amount, brief.basis) == (Decimal("50"), "简讯定额 50.00 元")
    # A sub-section's own row wins over its parent's.
    assert rate_card.proposal(make_article(section=domestic, title="国内", body=body_of(1000))).amount == 300


def test_co_authors_split_the_proposal_and_proposing_again_keeps_what_the_editor_changed(rate_card):
    authors = [make_contributor(name=name) for name in ("王毅", "李娜", "陈晨")]
    article = make_article(title="合写报告", body=body_of(10000), authors=authors)  # 1,000 yuan

    created = honoraria_propose(article=article)

    assert [(h.contributor.name, h.char_count, h.amount, h.tax) for h in created] == [
        ("王毅", 10000, Decimal("333.34"), Decimal("0.00")),
        ("李娜", 10000, Decimal("333.33"), Decimal("0.00")),
        ("陈晨", 10000, Decimal("333.33"), Decimal("0.00")),
    ]
    assert created[0].basis == "10000 字 × 100.00 元/千字，3 人平分"
    assert ComplimentaryCopies.objects.filter(article=article).count() == 3
    Honorarium.objects.filter(contributor__name="陈晨").delete()  # the editor removes a payee
    Honorarium.objects.filter(contributor__name="王毅").update(amount=Decimal("600"))
    assert [h.contributor.name for h in honoraria_propose(article=article)] == ["陈晨"]  # only the missing one
    assert Honorarium.objects.get(contributor__name="王毅").amount == Decimal("600")


def test_an_editor_adds_a_payee_and_a_blank_amount_is_the_proposed_share(client, editor, rate_card):
    authors = [make_contributor(name="王毅"), make_contributor(name="李娜")]
    article = make_article(title="本刊编辑部与外来作者合写", office_written=True, body=body_of(5000), authors=authors)
    url = reverse("admin:honoraria_honorarium_add")
    data = form_data(client.get(url)) | {"article": article.pk, "contributor": authors[1].pk}

    assert client.post(url, data).status_code == 302

    honorarium = Honorarium.objects.get()
    assert (honorarium.char_count, honorarium.amount, honorarium.net) == (5000, Decimal("250.00"), Decimal("250.00"))


def test_an_issues_honoraria_are_proposed_from_the_admin(client, editor, rate_card):
    issue = make_issue(year=2017, number=2)
    make_article(issue=issue, title="有作者", body=body_of(6000), authors=[make_contributor(name="王毅")])
    make_article(issue=issue, title="编辑部整理", position=2, body=body_of(900))  # nobody to pay
    url = reverse("admin:honoraria_honorarium_propose")
    assert "按期生成稿酬" in client.get(reverse("admin:honoraria_honorarium_changelist")).content.decode()

    response = client.post(url, {"issue": issue.pk}, follow=True)

    assert "已按稿酬标准生成 1 笔稿酬" in response.content.decode()
    assert [(h.article.title, h.amount) for h in Honorarium.objects.all()] == [("有作者", Decimal("600.00"))]


# Payment batches -------------------------------------------------------------------------------


@pytest.fixture
def honoraria(rate_card):
    issue = make_issue(year=2017, number=1, total_number=26)
    first = make_contributor(name="王毅", affiliation="南滨市商务局")
    second = make_contributor(name="李娜", affiliation="南滨大学")
    report = make_article(issue=issue, title="县域电商调查", body=body_of(30000), authors=[first])  # 3,000
    essay = make_article(issue=issue, title="跨境电商观察", position=2, body=body_of(50000), authors=[second])
    return [*honoraria_propose(article=report), *honoraria_propose(article=essay)]


def test_the_editor_makes_a_batch_from_the_selected_honoraria(client, editor, honoraria):
    changelist = reverse("admin:honoraria_honorarium_changelist")
    selected = {"action": "create_batch", "_selected_action": [h.pk for h in honoraria]}

    response = client.post(changelist, selected)

    batch = PaymentBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:honoraria_paymentbatch_change", args=[batch.pk]
    )
    assert batch.created_by == editor and set(batch.items.all()) == set(honoraria)
    page = visible_text(client.get(response["Location"]).content.decode())
    assert "2 人次，80000 字，税前 8000.00 元，代扣个税 868.00 元，实发 7132.00 元" in page
    # What is in a batch goes into no other.
    again = client.post(changelist, selected, follow=True).content.decode()
    assert "已付或已列入付款批次" in again and PaymentBatch.objects.count() == 1


def test_the_batch_exports_as_csv_with_a_bom_and_chinese_file_name(client, editor, honoraria):
    batch = payment_batch_create(honoraria=honoraria, by=editor)

    response = client.get(reverse("admin:honoraria_paymentbatch_export", args=[batch.pk, "csv"]))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")
    assert unquote(disposition.split("''", 1)[1]) == f"稿酬付款批次{batch.pk}.csv"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        HEADERS,
        ["王毅", "南滨市商务局", "县域电商调查", "2017年第1期（总第26期）", "30000", "3000.00", "308.00", "2692.00"],
        ["李娜", "南滨大学", "跨境电商观察", "2017年第1期（总第26期）", "50000", "5000.00", "560.00", "4440.00"],
        ["合计", "", "", "", "80000", "8000.00", "868.00", "7132.00"],
    ]


def test_the_batch_exports_as_an_excel_workbook(client, editor, honoraria):
    batch = payment_batch_create(honoraria=honoraria, by=editor)

    response = client.get(reverse("admin:honoraria_paymentbatch_export", args=[batch.pk, "xlsx"]))

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert unquote(response["Content-Disposition"].split("''", 1)[1]) == f"稿酬付款批次{batch.pk}.xlsx"
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert sheet.title == "付款清单" and rows[0] == HEADERS
    assert rows[1] == ["王毅", "南滨市商务局", "县域电商调查", "2017年第1期（总第26期）", 30000, 3000, 308, 2692]
    assert rows[-1] == ["合计", None, None, None, 80000, 8000, 868, 7132]
    assert sheet["F2"].number_format == "#,##0.00" and sheet["A4"].font.bold


def test_marking_a_batch_paid_pays_its_honoraria_once(client, editor, honoraria):
    batch = payment_batch_create(honoraria=honoraria[:1], by=editor)
    changelist = reverse("admin:honoraria_paymentbatch_changelist")

    client.post(changelist, {"action": "mark_paid", "_selected_action": [batch.pk]})

    batch.refresh_from_db()
    assert batch.paid_on is not None and batch.paid_by == editor
    assert [h.paid_on for h in Honorarium.objects.order_by("pk")] == [batch.paid_on, None]
    assert list(Honorarium.objects.due()) == [honoraria[1]]
    with pytest.raises(TransitionNotAllowed, match="已于"):
        payment_batch_mark_paid(batch=batch, by=editor, paid_on=datetime.date(2030, 1, 1))
    # Paid: the honorarium is read-only and cannot be deleted, nor can the batch.
    page = client.get(reverse("admin:honoraria_honorarium_change", args=[honoraria[0].pk])).content.decode()
    assert 'name="amount"' not in page
    assert client.get(reverse("admin:honoraria_paymentbatch_delete", args=[batch.pk])).status_code == 403


# 样刊 ------------------------------------------------------------------------------------------


def test_complimentary_copies_go_to_the_contributors_or_the_manuscripts_address():
    with_address = make_contributor(name="王毅", postal_address="南滨市长堤路188号")
    without = make_contributor(name="周雅琴")
    article = make_article(title="县域电商调查", authors=[with_address, without])
    make_submission(title="县域电商调查", author_name="周雅琴", postal_address="南滨市江滨路1号", article=article)

    honoraria_propose(article=article)

    copies = {c.contributor.name: (c.copies, c.address, c.sent_on) for c in ComplimentaryCopies.objects.all()}
    assert copies == {"王毅": (2, "南滨市长堤路188号", None), "周雅琴": (2, "南滨市江滨路1号", None)}
    elsewhere = ComplimentaryCopies.objects.get(contributor=with_address)
    elsewhere.address, elsewhere.copies, elsewhere.sent_on = "南滨大学图书馆", 5, datetime.date(2017, 2, 10)
    elsewhere.save()
    elsewhere.refresh_from_db()
    assert (elsewhere.copies, elsewhere.address, elsewhere.sent_on) == (5, "南滨大学图书馆", datetime.date(2017, 2, 10))


# The admin in Chinese ----------------------------------------------------------------------------


def test_the_honoraria_pages_are_in_chinese(client, editor, honoraria):
    batch = payment_batch_create(honoraria=honoraria, by=editor)
    SectionRate.objects.create(rate_card=RateCard.load(), section=make_section(name="行业动态"), brief_amount=50)
    copies = ComplimentaryCopies.objects.first()
    pages = [
        reverse("admin:app_list", args=["honoraria"]),
        reverse("admin:honoraria_ratecard_change", args=[RateCard.load().pk]),
        reverse("admin:honoraria_honorarium_changelist"),
        reverse("admin:honoraria_honorarium_changelist") + "?payment=due",
        reverse("admin:honoraria_honorarium_add"),
        reverse("admin:honoraria_honorarium_change", args=[honoraria[0].pk]),
        reverse("admin:honoraria_honorarium_propose"),
        reverse("admin:honoraria_paymentbatch_changelist"),
        reverse("admin:honoraria_paymentbatch_change", args=[batch.pk]),
        reverse("admin:honoraria_paymentbatch_delete", args=[batch.pk]),
        reverse("admin:honoraria_complimentarycopies_changelist"),
        reverse("admin:honoraria_complimentarycopies_change", args=[copies.pk]),
        reverse("admin:index"),
    ]
    assert pages_with_english(client, pages) == {}
    index = visible_text(client.get(reverse("admin:index")).content.decode())
    assert "稿酬与样刊" in index and "待付稿酬" in index


# The honoraria editors typed on submissions ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_amounts_typed_on_submissions_move_to_their_articles_authors():
    before = [("submissions", "0002_text_length_limits"), ("honoraria", "0001_initial")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    section = old.get_model("issues", "Section").objects.create(name="特别报道", slug="report")
    article = old.get_model("articles", "Article").objects.create(
        section=section, title="合写报告", slug="report", plain_text="县域电商 B2B 调查。"
    )
    for position, name in enumerate(["王毅", "李娜"], start=1):
        contributor = old.get_model("articles", "Contributor").objects.create(name=name)
        old.get_model("articles", "Authorship").objects.create(
            article=article, contributor=contributor, position=position
        )
    OldSubmission = old.get_model("submissions", "Submission")
    common = {"author_name": "王毅", "affiliation": "", "postal_address": "", "phone": "", "email": "a@example.cn"}
    OldSubmission.objects.create(
        tracking_number="1", token="a", title="合写报告", article=article, status="accepted",
        honorarium_amount=Decimal("1000.01"), honorarium_paid_on=datetime.date(2017, 2, 1), **common,
    )  # fmt: skip
    orphan = OldSubmission.objects.create(
        tracking_number="2", token="b", title="无文章", status="accepted", honorarium_amount=300, **common
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    moved = [
        (h.contributor.name, h.char_count, h.amount, h.paid_on, h.batch) for h in Honorarium.objects.order_by("pk")
    ]
    assert moved == [
        ("王毅", 10, Decimal("500.01"), datetime.date(2017, 2, 1), None),
        ("李娜", 10, Decimal("500.00"), datetime.date(2017, 2, 1), None),
    ]
    assert (
        Submission.objects.get(pk=orphan.pk).internal_notes
        == "原稿酬记录：300.00 元，未付（迁移时没有对应文章的作者）。"
    )
