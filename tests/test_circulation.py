"""发行: the recipients list in and out of Excel, the print order, the mailing labels, the masthead's print run."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from pdfminer.high_level import extract_pages, extract_text
from pdfminer.layout import LAParams, LTTextLine
from pypdf import PdfReader

from articles.honoraria.models import ComplimentaryCopies
from issues.circulation.models import PrintOrder, Recipient
from issues.circulation.sheets import SHEETS
from issues.models import Issue, IssuePDF
from tests.factories import make_article, make_contributor, make_issue, make_recipient
from tests.test_admin_chinese import pages_with_english, visible_text

pytestmark = pytest.mark.django_db

HEADERS = ["单位", "联系人", "地址", "邮编", "电话", "份数", "起送日期", "止送日期", "备注"]
MM = 72 / 25.4  # points per millimetre


@pytest.fixture
def editor(client, django_user_model):
    """An editor of the office who may handle circulation and issues."""
    user = django_user_model.objects.create_user(username="发行编辑", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["circulation", "issues"]))
    client.force_login(user)
    return user


def some_recipients():
    make_recipient(
        organisation="南滨市商务局",
        contact="苏曼",
        address="南滨市滨江区长堤路188号",
        post_code="365100",
        phone="0123-68881026",
        copies=3,
        note="局办公室转",
    )
    make_recipient(organisation="北方市图书馆", contact="", address="北方市中山路1号", post_code="010010")
    make_recipient(
        organisation="已停寄单位",
        address="南滨市老街2号",
        post_code="365200",
        active_from=datetime.date(2015, 3, 1),
        active_to=datetime.date(2016, 12, 31),
    )


def recipient_rows():
    return sorted(Recipient.objects.values_list(*[f.name for f in Recipient._meta.fields if f.name != "id"]))


def upload(client, name, content):
    return client.post(
        reverse("admin:circulation_recipient_import"), {"file": SimpleUploadedFile(name, content)}, follow=True
    )


def page_text(response):
    return visible_text(response.content.decode())


# The list in and out of Excel ----------------------------------------------------------------------


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_the_recipients_list_exported_and_imported_again_is_the_same_list(client, editor, extension):
    some_recipients()
    before = recipient_rows()
    response = client.get(reverse("admin:circulation_recipient_export", args=[extension]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    exported = response.content
    if extension == "csv":
        assert exported.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
        rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    else:
        rows = [list(row) for row in load_workbook(io.BytesIO(exported)).active.iter_rows(values_only=True)]
    assert rows[0] == HEADERS
    assert [row[0] for row in rows[1:]] == ["北方市图书馆", "南滨市商务局", "已停寄单位"]
    assert rows[1][3] == "010010"  # the post code keeps its leading zero

    Recipient.objects.all().delete()
    response = upload(client, f"名单.{extension}", exported)
    assert "已导入发送对象：新增 3，更新 0。" in page_text(response)
    assert recipient_rows() == before

    response = upload(client, f"名单.{extension}", exported)  # the same list again changes nothing
    assert "新增 0，更新 3" in page_text(response)
    assert recipient_rows() == before


def test_a_csv_saved_by_excel_on_chinese_windows_is_read_as_gb18030(client, editor):
    make_recipient(organisation="南滨市商务局", address="南滨市滨江区长堤路188号", copies=1)
    text = (
        "单位,联系人,地址,邮编,份数\r\n"
        "南滨市商务局,苏曼,南滨市滨江区长堤路188号,365100,5\r\n"
        "镕铖科技有限公司,李明,南滨市高新区科技路8号,365300,\r\n"
    )
    response = upload(client, "发送对象.csv", text.encode("gb18030"))
    assert "已导入发送对象：新增 1，更新 1。" in page_text(response)
    updated = Recipient.objects.get(organisation="南滨市商务局")
    assert (updated.contact, updated.copies) == ("苏曼", 5)
    new = Recipient.objects.get(organisation="镕铖科技有限公司")
    assert (new.post_code, new.copies, new.active_from) == ("365300", 1, timezone.localdate())


def test_a_workbook_typed_by_hand_with_numbers_and_dates_in_excels_own_types_is_read(client, editor):
    workbook = Workbook()
    workbook.active.append(["单位", "地址", "邮编", "份数", "起送日期"])
    workbook.active.append(["北方市图书馆", "北方市中山路1号", 10010, 2, datetime.datetime(2017, 1, 1)])
    out = io.BytesIO()
    workbook.save(out)
    response = upload(client, "名单.xlsx", out.getvalue())
    assert "新增 1，更新 0" in page_text(response)
    recipient = Recipient.objects.get()
    assert (recipient.post_code, recipient.copies, recipient.active_from) == ("010010", 2, datetime.date(2017, 1, 1))


def test_bad_rows_are_refused_with_their_numbers_and_nothing_is_written(client, editor):
    make_recipient(organisation="南滨市商务局", address="南滨市滨江区长堤路188号", copies=1)
    text = (
        "单位,地址,邮编,份数,起送日期,止送日期\n"
        "南滨市商务局,南滨市滨江区长堤路188号,365100,9,,\n"  # good: would update
        ",南滨市某路1号,365100,1,,\n"
        "甲单位,南滨市某路2号,36510,1,,\n"
        "乙单位,南滨市某路3号,365100,0,,\n"
        "丙单位,南滨市某路4号,365100,两份,,\n"
        "丁单位,南滨市某路5号,365100,1,2017-13-01,\n"
        "戊单位,南滨市某路6号,365100,1,2017-03-01,2017-02-01\n"
        "\n"
        "甲单位,南滨市某路2号,365101,1,,\n"
    )
    response = upload(client, "名单.csv", text.encode("utf-8"))
    page = page_text(response)
    assert "名单未导入" in page
    problems = [line for line in page.splitlines() if line.startswith("第 ")]
    assert problems == [
        "第 3 行：单位：不能为空。",
        "第 4 行：邮编：应为 6 位数字。",
        "第 5 行：份数：应为正整数。",
        "第 6 行：份数：应为正整数。",
        "第 7 行：起送日期：不是有效日期（例如 2024-01-31）。",
        "第 8 行：止送日期：早于起送日期。",
        "第 10 行：与第 4 行是同一单位、同一地址。",
    ]
    assert Recipient.objects.count() == 1 and Recipient.objects.get().copies == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("名单.csv", "单位,地址,邮编\n南滨市商务局,长堤路,365100\n".encode("utf-16"), "无法识别文件的编码"),
        ("名单.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "旧版 Excel 文件"),
        ("名单.xlsx", b"PK\x03\x04" + b"not really a zip", "不是 .xlsx 工作簿"),
        ("封面.png", b"\x89PNG\r\n\x1a\n" + bytes(200), "这不是 CSV 或电子表格文件"),
        ("名单.csv", "名称,地址\n南滨市商务局,长堤路\n".encode(), "缺少：单位、邮编"),
        ("名单.csv", "单位,地址,邮编\n".encode(), "没有发送对象"),
    ],
)
def test_a_file_that_is_no_recipients_list_gets_a_clear_message(client, editor, name, content, message):
    response = upload(client, name, content)
    assert message in page_text(response)
    assert not Recipient.objects.exists()


# What an issue needs printed and posted ------------------------------------------------------------


@pytest.fixture
def issue_with_parcels():
    """An issue of 2017-01-31: three recipients active then (one ended before, one starts after), two 样刊."""
    issue = make_issue(
        year=2017, number=1, masthead=[("主编", "林知远"), ("印数", ""), ("印刷单位", "南滨印务有限公司")]
    )
    make_recipient(
        organisation="南滨市商务局", contact="苏曼", address="南滨市滨江区长堤路188号", post_code="365100", copies=3
    )
    make_recipient(organisation="北方市图书馆", address="北方市中山路1号", post_code="010010")
    make_recipient(
        organisation="南滨大学图书馆", contact="赵磊", address="南滨市大学城1号", post_code="365300", copies=2
    )
    make_recipient(
        organisation="已停寄单位", address="老街2号", post_code="365200", active_to=datetime.date(2016, 12, 31)
    )
    make_recipient(
        organisation="下期起寄单位", address="新街3号", post_code="365000", active_from=datetime.date(2017, 2, 1)
    )
    article = make_article(issue=issue, authors=[make_contributor(name="陈思远", affiliation="南滨创投研究院")])
    ComplimentaryCopies.objects.create(
        article=article, contributor=article.authorships.get().contributor, copies=2, address="南滨市创业路8号 365200"
    )
    other = make_article(issue=issue, title="县域调研", position=2, authors=[make_contributor(name="周雅琴")])
    ComplimentaryCopies.objects.create(
        article=other, contributor=other.authorships.get().contributor, copies=1, address="南滨县城关镇"
    )
    return Issue.objects.get(pk=issue.pk)


def labels_on(pdf: bytes, sheet) -> list[list[str]]:
    """The labels of a sheet PDF, page by page and cell by cell, each its lines from top to bottom."""
    labels = []
    for page in extract_pages(io.BytesIO(pdf), laparams=LAParams()):
        cells = {}
        for line in _text_lines(page):
            x, y = line.x0 / MM, (page.height - line.y1) / MM
            for index in range(sheet.per_sheet):
                left, top = sheet.position(index)
                if left <= x < left + sheet.width and top <= y < top + sheet.height:
                    cells.setdefault(index, []).append((y, line.get_text().strip()))
        labels += [[text for _y, text in sorted(cells[index])] for index in sorted(cells)]
    return labels


def _text_lines(element):
    for child in element:
        if isinstance(child, LTTextLine):
            yield child
        elif hasattr(child, "__iter__"):
            yield from _text_lines(child)


@pytest.mark.parametrize("sheet_name", ["2x7", "3x8"])
def test_the_labels_are_one_per_parcel_in_post_code_order_with_the_address_in_chinese_order(
    client, editor, issue_with_parcels, sheet_name
):
    response = client.get(reverse("admin:circulation_labels_pdf", args=[issue_with_parcels.pk, sheet_name]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert labels_on(response.content, SHEETS[sheet_name]) == [
        ["010010", "北方市中山路1号", "北方市图书馆", "收"],
        ["365100", "南滨市滨江区长堤路188号", "南滨市商务局", "苏曼 收　3 册"],
        ["365200", "南滨市创业路8号", "南滨创投研究院", "陈思远 收　2 册"],  # 样刊: the post code read from the address
        ["365300", "南滨市大学城1号", "南滨大学图书馆", "赵磊 收　2 册"],
        ["南滨县城关镇", "周雅琴 收"],  # an address without a post code comes last
    ]


@pytest.mark.parametrize(("sheet_name", "pages"), [("2x7", 3), ("3x8", 2)])
def test_more_parcels_than_a_sheet_holds_go_onto_further_sheets(client, editor, sheet_name, pages):
    issue = make_issue()
    for n in range(30):
        make_recipient(organisation=f"第{n:02d}单位", address=f"长堤路{n}号", post_code=f"{365100 + n}")
    pdf = client.get(reverse("admin:circulation_labels_pdf", args=[issue.pk, sheet_name])).content
    assert len(PdfReader(io.BytesIO(pdf)).pages) == pages
    labels = labels_on(pdf, SHEETS[sheet_name])
    assert [label[0] for label in labels] == [f"{365100 + n}" for n in range(30)]


def test_the_print_order_states_the_print_run_from_the_list_the_authors_and_the_reserve(
    client, editor, issue_with_parcels
):
    PrintOrder.objects.create(
        issue=issue_with_parcels, reserve=30, paper_note="内文 80 克胶版纸", delivery_date=datetime.date(2017, 1, 25)
    )
    response = client.get(reverse("admin:circulation_printorder_pdf", args=[issue_with_parcels.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = extract_text(io.BytesIO(response.content))
    assert "印刷委托单" in text and "2017年第1期（总第171期）" in text
    # 3 + 1 + 2 copies to the recipients of 2017-01-31, 2 + 1 样刊, 30 kept: 39.
    assert "39 册" in text and "其中发送对象 3 家 6 册，作者样刊 3 册，留存 30 册" in text
    assert "210×297 毫米（A4）" in text and "待定" in text  # no PDF built yet: pages to be decided
    assert "内文 80 克胶版纸" in text and "2017年1月25日" in text and "南滨印务有限公司" in text

    # The editor's own print run is what the masthead prints, so it is what the printer is asked for.
    issue_with_parcels.print_run = 1000
    issue_with_parcels.save()
    text = extract_text(io.BytesIO(client.get(response.request["PATH_INFO"]).content))
    assert "1000 册" in text and "编辑部指定；按发送对象合计 39 册" in text

    IssuePDF.objects.create(issue=issue_with_parcels, variant="screen", file_name="s.pdf", page_count=26)
    IssuePDF.objects.create(issue=issue_with_parcels, variant="print", file_name="p.pdf", page_count=28)
    text = extract_text(io.BytesIO(client.get(response.request["PATH_INFO"]).content))
    assert "28 页" in text


def test_a_new_print_order_starts_from_the_previous_issues(client, editor, issue_with_parcels):
    PrintOrder.objects.create(
        issue=issue_with_parcels, reserve=50, paper_note="特种纸", delivery_date=datetime.date(2017, 1, 24)
    )
    next_issue = make_issue(year=2017, number=2, publication_date=datetime.date(2017, 4, 30))
    page = client.get(reverse("admin:circulation_printorder_for_issue", args=[next_issue.pk]), follow=True)
    form = page.context["adminform"].form
    assert form.initial["issue"] == str(next_issue.pk)
    assert (form.initial["reserve"], form.initial["paper_note"]) == (50, "特种纸")
    assert form.initial["delivery_date"] == datetime.date(2017, 4, 23)  # the same week before publication
    # Its PDF, before anything is saved, prints the same.
    text = extract_text(
        io.BytesIO(client.get(reverse("admin:circulation_printorder_pdf", args=[next_issue.pk])).content)
    )
    assert "留存 50 册" in text and "特种纸" in text


# The masthead's print run ------------------------------------------------------------------------


def print_run_line(issue):
    return issue.masthead_lines.get(kind="print_run").value


def test_the_masthead_prints_the_lists_total_unless_the_editor_gives_a_print_run(issue_with_parcels):
    issue = issue_with_parcels
    assert print_run_line(issue) == "29 册"  # 6 to recipients + 3 样刊 + 20 kept (the default reserve)
    make_recipient(organisation="新单位", address="新路1号", copies=4)  # a change of the list moves it
    assert print_run_line(issue) == "33 册"
    PrintOrder.objects.create(issue=issue, reserve=0)
    assert print_run_line(issue) == "13 册"

    issue.print_run = 1000
    issue.save()
    assert print_run_line(issue) == "1000 册"
    issue.print_run = None
    issue.save()
    assert print_run_line(issue) == "13 册"

    issue.status, issue.published_at = Issue.Status.PUBLISHED, timezone.now()
    issue.save()
    make_recipient(organisation="发布后新增", address="后路1号", copies=100)
    assert print_run_line(issue) == "13 册"  # a published issue keeps what was printed


def test_without_recipients_the_masthead_leaves_the_print_run_out():
    issue = make_issue(masthead=[("印数", "")])
    assert print_run_line(issue) == "" and issue.default_print_run() is None


def test_importing_the_list_updates_the_masthead_once(
    client, editor, issue_with_parcels, django_assert_max_num_queries
):
    text = "单位,地址,邮编,份数,起送日期\n" + "".join(f"单位{n},路{n}号,365100,1,2016-06-01\n" for n in range(40))
    with django_assert_max_num_queries(40):
        response = upload(client, "名单.csv", text.encode())
    assert "新增 40，更新 0" in page_text(response)
    assert print_run_line(issue_with_parcels) == "69 册"


# The admin -------------------------------------------------------------------------------------------


def test_the_issue_page_shows_the_print_run_and_links_the_print_order_and_labels(client, editor, issue_with_parcels):
    page = client.get(reverse("admin:issues_issue_change", args=[issue_with_parcels.pk])).content.decode()
    text = visible_text(page)
    assert "按发送对象合计" in text and "29 册" in text
    assert "29 册（发送对象 3 家 6 册，作者样刊 3 册，留存 20 册）" in text
    assert reverse("admin:circulation_printorder_pdf", args=[issue_with_parcels.pk]) in page
    for sheet in ("2x7", "3x8"):
        assert reverse("admin:circulation_labels_pdf", args=[issue_with_parcels.pk, sheet]) in page
    assert "每页 2×7 张（99.1×38.1 毫米）" in text and "填写印刷委托单" in text
    assert reverse("admin:circulation_printorder_for_issue", args=[issue_with_parcels.pk]) in page


def test_the_circulation_pages_are_in_chinese(client, editor, issue_with_parcels):
    order = PrintOrder.objects.create(issue=issue_with_parcels)
    recipient = Recipient.objects.first()
    pages = [
        reverse("admin:app_list", args=["circulation"]),
        reverse("admin:circulation_recipient_changelist"),
        reverse("admin:circulation_recipient_changelist") + "?active=now",
        reverse("admin:circulation_recipient_changelist") + "?active=ended",
        reverse("admin:circulation_recipient_add"),
        reverse("admin:circulation_recipient_change", args=[recipient.pk]),
        reverse("admin:circulation_recipient_import"),
        reverse("admin:circulation_printorder_changelist"),
        reverse("admin:circulation_printorder_change", args=[order.pk]),
        reverse("admin:index"),
    ]
    assert pages_with_english(client, pages) == {}
    recipients = visible_text(client.get(pages[1]).content.decode())
    assert "发行" in recipients and "导入" in recipients and "导出电子表格" in recipients
    assert "已停寄单位" not in visible_text(client.get(pages[2]).content.decode())
    assert "已停寄单位" in visible_text(client.get(pages[3]).content.decode())


def test_the_post_code_is_checked_on_the_form(client, editor):
    response = client.post(
        reverse("admin:circulation_recipient_add"),
        {
            "organisation": "甲单位",
            "address": "某路1号",
            "post_code": "36510A",
            "copies": "0",
            "active_from": "2017-01-01",
        },
    )
    assert response.status_code == 200
    text = visible_text(response.content.decode())
    assert "应为 6 位数字。" in text and not Recipient.objects.exists()


def test_staff_without_the_circulation_permissions_are_refused(client, django_user_model, issue_with_parcels):
    user = django_user_model.objects.create_user(username="校对", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="issues"))
    client.force_login(user)
    for url in [
        reverse("admin:circulation_recipient_changelist"),
        reverse("admin:circulation_recipient_import"),
        reverse("admin:circulation_recipient_export", args=["csv"]),
        reverse("admin:circulation_printorder_pdf", args=[issue_with_parcels.pk]),
        reverse("admin:circulation_labels_pdf", args=[issue_with_parcels.pk, "2x7"]),
    ]:
        assert client.get(url).status_code == 403, url
    assert upload(client, "名单.csv", "单位,地址,邮编\n甲,乙,365100\n".encode()).status_code == 403
    assert not Recipient.objects.filter(organisation="甲").exists()
    page = client.get(reverse("admin:issues_issue_change", args=[issue_with_parcels.pk])).content.decode()
    assert "circulation-panel" not in page
