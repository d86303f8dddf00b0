"""Tables get their header row, whether pasted into the editor or converted from Word, and print repeats it."""

import io
import re
import zipfile

import docx
import pytest
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTTextContainer

from articles.sanitize import sanitize_html
from articles.word import docx_html
from issues.typesetting.build import issue_build_pdf
from tests.factories import docx_with_table, make_article, make_issue, make_section


def table(*rows):
    return (
        "<table>" + "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows) + "</table>"
    )


# Pasted into the editor, or any body that is saved ---------------------------------------------------


def test_a_bold_first_row_becomes_the_header_row():
    html = sanitize_html(
        table(["<p><strong>地区</strong></p>", "<b>金额（万元）</b>"], ["美国", "1,234"], ["日本", "567"])
    )

    assert html == (
        "<table><thead><tr><th><p><strong>地区</strong></p></th><th><b>金额（万元）</b></th></tr></thead>"
        "<tbody><tr><td>美国</td><td>1,234</td></tr><tr><td>日本</td><td>567</td></tr></tbody></table>"
    )


def test_word_html_pasted_with_its_own_markup_gets_a_header_row_and_nothing_else():
    pasted = (
        '<table class="MsoTableGrid" border="1" style="border-collapse:collapse">'
        '<tr style="mso-yfti-irow:0"><td width="120" style="background:#D9D9D9"><p class="MsoNormal">'
        '<b><span lang="ZH-CN" style="font-family:宋体">类别</span></b></p></td>'
        '<td width="120"><p class="MsoNormal"><b><span lang="EN-US">B2B</span></b><b> 企业</b></p></td></tr>'
        '<tr><td><p class="MsoNormal"><span lang="ZH-CN">电商平台</span></p></td><td><p>阿里巴巴</p></td></tr></table>'
    )

    html = sanitize_html(pasted)

    assert html == (
        "<table><thead><tr><th><p><b>类别</b></p></th><th><p><b>B2B</b><b> 企业</b></p></th></tr></thead>"
        "<tbody><tr><td><p>电商平台</p></td><td><p>阿里巴巴</p></td></tr></tbody></table>"
    )


def test_an_empty_corner_cell_does_not_stop_a_header_row():
    html = sanitize_html(table(["", "<strong>2016年</strong>", "<strong>2017年</strong>"], ["东部", "12", "15"]))

    assert "<thead><tr><th></th><th><strong>2016年</strong></th><th><strong>2017年</strong></th></tr></thead>" in html


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(table(["地区", "金额"], ["美国", "1,234"]), id="ordinary text"),
        pytest.param(table(["<strong>地区</strong>", "金额"], ["美国", "1,234"]), id="one cell of the row ordinary"),
        pytest.param(table(["<strong>美国</strong>：北美", "1,234"], ["日本", "567"]), id="part of a cell bold"),
        pytest.param(table(["<strong>地区</strong>", "<strong>金额</strong>"]), id="no row after it"),
        pytest.param(table(["", ""], ["美国", "1,234"]), id="empty row"),
        pytest.param(
            table(["<b>地区</b>", "<b>金额</b>"], ["<b>美国</b>", "<b>1,234</b>"], ["", "<b>567</b>"]),
            id="bold throughout",
        ),
        pytest.param(
            '<table><tr><td rowspan="2"><b>类别</b></td><td><b>企业</b></td></tr><tr><td>甲</td></tr></table>',
            id="a cell spanning into the next row",
        ),
        pytest.param(table(['<b>地区</b><img src="/media/flag.png">', "<b>金额</b>"], ["美国", "1"]), id="a picture"),
        pytest.param(
            "<table><tr><th>地区</th><td><b>金额</b></td></tr><tr><td>美国</td><td>1</td></tr></table>",
            id="a th already",
        ),
    ],
)
def test_a_first_row_that_does_not_look_like_a_header_stays_a_body_row(body):
    html = sanitize_html(body)

    assert "<thead>" not in html
    assert html.count("<th>") == body.count("<th>")


def test_a_table_with_a_header_row_is_left_as_it_is_and_sanitising_again_changes_nothing():
    once = sanitize_html(table(["<b>地区</b>", "<b>金额</b>"], ["美国", "1"]))

    assert sanitize_html(once) == once
    assert (
        sanitize_html(once.replace("<tbody>", "<tbody><tr><td><b>另一行</b></td><td><b>2</b></td></tr>")).count(
            "<thead>"
        )
        == 1
    )


def test_a_table_nested_in_a_cell_is_judged_on_its_own():
    inner = table(["<b>子项</b>"], ["数值"])
    html = sanitize_html(table(["说明", inner], ["甲", "乙"]))

    assert html.count("<thead>") == 1
    assert "<thead><tr><th><b>子项</b></th></tr></thead>" in html
    assert html.startswith("<table><tbody><tr><td>说明</td>")


def test_text_and_attributes_survive_the_header_row_unchanged():
    html = sanitize_html(
        table(
            ["<b>A &amp; B &lt;x&gt;</b>", '<b><a href="https://example.cn/?a=1&amp;b=2">链接</a></b>'], ['"引号"', "1"]
        )
        + "<p>之后的段落&nbsp;照旧</p>"
    )

    assert "<th><b>A &amp; B &lt;x&gt;</b></th>" in html
    assert '<a href="https://example.cn/?a=1&amp;b=2" rel="noopener noreferrer">链接</a>' in html
    assert '<td>"引号"</td>' in html and "<p>之后的段落&nbsp;照旧</p>" in html


# From Word ------------------------------------------------------------------------------------------


def test_a_word_table_with_a_bold_first_row_gets_a_header_row():
    html, _images = docx_html(
        docx_with_table([["地区", "金额"], ["美国", "1,234"]], bold_first_row=True), image_folder=None
    )

    assert "<thead><tr><th><p><strong>地区</strong></p></th><th><p><strong>金额</strong></p></th></tr></thead>" in html
    assert "<tbody><tr><td><p>美国</p></td>" in html


def test_a_word_table_whose_first_row_repeats_as_header_row_gets_it_as_header():
    data = docx_with_table([["地区", "金额"], ["美国", "1,234"]], repeat_first_row=True)

    html, _images = docx_html(data, image_folder=None)

    assert "<thead><tr><th><p>地区</p></th><th><p>金额</p></th></tr></thead>" in html


def test_a_word_table_with_an_ordinary_first_row_has_no_header_row():
    html, _images = docx_html(docx_with_table([["美国", "1,234"], ["日本", "567"]]), image_folder=None)

    assert "<thead>" not in html and "<th>" not in html
    assert "<tbody><tr><td><p>美国</p></td>" in html


# In print ------------------------------------------------------------------------------------------

HEADER = ["类别", "企业名称", "所属领域", "融资轮次", "融资金额"]


def page_lines(path):
    """Each page's text lines as (height on the page, text without spaces), top to bottom."""
    pages = []
    for page in extract_pages(path):
        lines = [
            (line.y0, re.sub(r"\s+", "", line.get_text()))
            for box in page
            if isinstance(box, LTTextContainer)
            for line in box
        ]
        pages.append(sorted(lines, reverse=True))
    return pages


@pytest.mark.django_db
def test_a_long_word_table_repeats_its_header_on_every_page_and_never_leaves_it_alone_at_a_page_foot():
    rows = [HEADER] + [
        [
            "电子商务平台" if n % 3 else "跨境电商",
            f"南滨第{n}号科技有限公司",
            "跨境物流与供应链服务",
            "A轮",
            f"{n * 100}万元",
        ]
        for n in range(1, 61)
    ]
    body, _images = docx_html(docx_with_table(rows, bold_first_row=True), image_folder=None)
    issue = make_issue(year=2020, number=1, total_number=90)
    make_article(
        issue=issue,
        section=make_section(name="数据观察"),
        title="融资盘点",
        # Running text before the table, so that it starts part-way down a page.
        body="<p>" + "融资市场继续回暖，跨境电商领域尤为活跃。" * 60 + "</p>" + body,
    )

    record = issue_build_pdf(issue=issue, variant="screen")

    pages = page_lines(record.path)
    table_pages = [lines for lines in pages if any("南滨第" in text for _y, text in lines)]
    assert len(table_pages) >= 3
    for lines in table_pages:
        header_heights = [y for y, text in lines if text == "企业名称"]
        assert len(header_heights) == 1, lines
        assert all(heading in [text for _y, text in lines] for heading in HEADER)
        # Some row of the table follows the header on its page.
        assert any(y < header_heights[0] and "南滨第" in text for y, text in lines), lines
    for lines in pages:
        if any(text == "企业名称" for _y, text in lines):
            assert any("南滨第" in text for _y, text in lines), "a page ends with the table's header alone"
    printed_rows = re.findall(r"南滨第(\d+)号", "".join(text for lines in table_pages for _y, text in lines))
    assert sorted(map(int, printed_rows)) == list(range(1, 61))


# Word's table styles ------------------------------------------------------------------------------

ORDINARY = [["地区", "金额"], ["美国", "1,234"]]
STYLED_HEADER = "<thead><tr><th><p>地区</p></th><th><p>金额</p></th></tr></thead>"


@pytest.mark.parametrize("style", ["Light Grid Accent 1", "Medium Shading 1 Accent 1", "Light List"])
def test_a_word_table_style_that_sets_the_first_row_apart_gives_a_header_row(style):
    html, _images = docx_html(docx_with_table(ORDINARY, style=style), image_folder=None)

    assert STYLED_HEADER in html


@pytest.mark.parametrize(
    "look",
    [
        pytest.param({"val": "04A0"}, id="Word 2007's bits, header row on"),
        pytest.param({"firstRow": "1", "val": "0000"}, id="the attribute wins over the bits"),
        pytest.param({"firstRow": "true"}, id="true"),
    ],
)
def test_the_tables_look_switches_the_styles_header_row_on(look):
    html, _images = docx_html(docx_with_table(ORDINARY, style="Light Grid Accent 1", look=look), image_folder=None)

    assert STYLED_HEADER in html


@pytest.mark.parametrize(
    ("style", "look"),
    [
        pytest.param("Table Grid", None, id="Table Grid sets nothing apart"),
        pytest.param("Light Grid Accent 1", {"firstRow": "0", "val": "04A0"}, id="header row switched off"),
        pytest.param("Light Grid Accent 1", {"val": "0400"}, id="header row off in Word 2007's bits"),
        pytest.param("Light Grid Accent 1", {"val": "nonsense"}, id="unreadable bits"),
        pytest.param("Light Grid Accent 1", {}, id="no look at all"),
    ],
)
def test_a_word_table_whose_style_or_look_sets_nothing_apart_has_no_header_row(style, look):
    html, _images = docx_html(docx_with_table(ORDINARY, style=style, look=look), image_folder=None)

    assert "<thead>" not in html and "<th>" not in html


def test_a_table_style_based_on_one_with_a_header_look_has_it_too():
    data = docx_with_table(ORDINARY, style="Light Grid Accent 1")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        styles = archive.read("word/styles.xml").decode()
        document = archive.read("word/document.xml").decode()
    derived = (
        '<w:style w:type="table" w:customStyle="1" w:styleId="HouseTable"><w:name w:val="本刊表格"/>'
        '<w:basedOn w:val="LightGrid-Accent1"/></w:style>'
    )
    data = rezip(
        data,
        {
            "word/styles.xml": styles.replace("</w:styles>", derived + "</w:styles>"),
            "word/document.xml": document.replace(
                'w:tblStyle w:val="LightGrid-Accent1"', 'w:tblStyle w:val="HouseTable"'
            ),
        },
    )

    html, _images = docx_html(data, image_folder=None)

    assert STYLED_HEADER in html


def test_without_its_styles_part_a_style_sets_no_header_row():
    lost = rezip(docx_with_table(ORDINARY, style="Light Grid Accent 1"), drop={"word/styles.xml"})
    assert "<thead>" not in docx_html(lost, image_folder=None)[0]


def test_a_table_mammoth_reads_otherwise_than_its_look_says_is_left_alone():
    """A deleted first row (tracked changes) is not read by mammoth: the next row is not a header."""
    data = docx_with_table([["已删除的行", "x"], *ORDINARY], style="Light Grid Accent 1")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        document = archive.read("word/document.xml").decode()
    deleted = '<w:trPr><w:del w:id="1" w:author="编辑" w:date="2024-01-01T00:00:00Z"/></w:trPr>'
    data = rezip(data, {"word/document.xml": document.replace("<w:tr>", "<w:tr>" + deleted, 1)})

    html, _images = docx_html(data, image_folder=None)

    assert "已删除的行" not in html and "<thead>" not in html


def test_nested_tables_are_matched_to_their_own_looks():
    document = docx.Document()
    outer = document.add_table(rows=2, cols=2)
    outer.style = "Table Grid"
    for cell, text in zip(outer._cells, ["说明", "", "甲", "乙"]):
        cell.text = text
    inner = outer.cell(0, 1).add_table(rows=2, cols=1)
    inner.style = "Light Grid Accent 1"
    for cell, text in zip(inner._cells, ["子项", "数值"]):
        cell.text = text
    after = document.add_table(rows=2, cols=1)
    after.style = "Light Grid Accent 1"
    for cell, text in zip(after._cells, ["表头", "正文"]):
        cell.text = text
    out = io.BytesIO()
    document.save(out)

    html, _images = docx_html(out.getvalue(), image_folder=None)

    assert html.count("<thead>") == 2
    assert "<thead><tr><th><p>子项</p></th></tr></thead>" in html
    assert "<thead><tr><th><p>表头</p></th></tr></thead>" in html
    assert "<tbody><tr><td><p>说明</p></td>" in html


def rezip(data: bytes, replace=None, *, drop=(), add=None) -> bytes:
    """`data` with some members' contents replaced, some left out and others added."""
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in drop:
                target.writestr(info.filename, replace.get(info.filename, source.read(info)))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


@pytest.mark.django_db
def test_wherever_a_table_starts_on_the_page_its_header_is_never_left_alone_at_the_foot():
    rows = [HEADER] + [["跨境电商", f"南滨第{n}号科技有限公司", "跨境物流", "A轮", "100万元"] for n in range(1, 4)]
    table, _images = docx_html(docx_with_table(rows, bold_first_row=True), image_folder=None)
    # Two dozen short tables, each after a paragraph a little longer than the one before, so that
    # they start at every height of the page, the foot included (without a header row one is
    # stranded there).
    paragraph = "融资市场继续回暖，跨境电商领域尤为活跃。"
    body = "".join(f"<p>{paragraph * (3 + n)}</p>{table}" for n in range(24))
    issue = make_issue(year=2020, number=1, total_number=90)
    make_article(issue=issue, section=make_section(name="数据观察"), title="融资盘点", body=body)

    record = issue_build_pdf(issue=issue, variant="screen")

    headers = 0
    for lines in page_lines(record.path):
        for header_height in [y for y, text in lines if text == "企业名称"]:
            headers += 1
            assert any(y < header_height and "南滨第" in text for y, text in lines), lines
    assert headers >= 24


def test_a_header_row_made_in_the_editor_moves_into_thead_so_print_repeats_it():
    # Tiptap writes the header row toggled in the editor as <th> cells inside <tbody>.
    html = "<table><tbody><tr><th><p>地区</p></th><th><p>金额</p></th></tr><tr><td><p>美国</p></td><td><p>3</p></td></tr></tbody></table>"
    cleaned = sanitize_html(html)
    assert cleaned.startswith("<table><thead><tr><th>")
    assert "<tbody><tr><td><p>美国" in cleaned
    assert sanitize_html(cleaned) == cleaned  # stable when saved again


@pytest.mark.parametrize(
    ("target", "part"),
    [
        ("/custom/house.xml", "custom/house.xml"),  # where the document's relationships point
        ("house-styles.xml", "word/house-styles.xml"),  # relative to the main document's folder
        ("/Xstyles/house.xml", "Xstyles/house.xml"),  # absolute: only the leading slash goes
    ],
)
def test_the_styles_part_is_found_by_a_relative_or_an_absolute_target(target, part):
    data = docx_with_table(ORDINARY, style="Light Grid Accent 1")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        relationships = archive.read("word/_rels/document.xml.rels").decode()
        styles = archive.read("word/styles.xml")
    moved = rezip(
        data,
        {"word/_rels/document.xml.rels": relationships.replace('Target="styles.xml"', f'Target="{target}"')},
        drop={"word/styles.xml"},
        add={part: styles},
    )
    assert STYLED_HEADER in docx_html(moved, image_folder=None)[0]


def test_without_a_styles_relationship_the_usual_styles_part_is_read():
    data = docx_with_table(ORDINARY, style="Light Grid Accent 1")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        relationships = archive.read("word/_rels/document.xml.rels").decode()
    unlinked = re.sub(r'<Relationship [^>]*Target="styles.xml"[^>]*/>', "", relationships)
    assert unlinked != relationships
    assert STYLED_HEADER in docx_html(rezip(data, {"word/_rels/document.xml.rels": unlinked}), image_folder=None)[0]
