"""The typography measurer (tests/typography.py) on small PDFs made with plain WeasyPrint.

Sizes are in px so that every advance is a whole number of Pango units: at 12 px a column of
240 px holds exactly 20 ideographs, and a paragraph's first line, indented 2 em, 18.
"""

import pytest
import weasyprint

from tests.typography import measure_pdf

# Ideographs with no punctuation (the 千字文), so that line breaks fall where the counts say.
HANZI = (
    "天地玄黄宇宙洪荒日月盈昃辰宿列张寒来暑往秋收冬藏闰余成岁律吕调阳云腾致雨露结为霜金生丽水玉出昆冈"
    "剑号巨阙珠称夜光果珍李柰菜重芥姜海咸河淡鳞潜羽翔龙师火帝鸟官人皇始制文字乃服衣裳推位让国有虞陶唐"
    "吊民伐罪周发殷汤坐朝问道垂拱平章爱育黎首臣伏戎羌遐迩一体率宾归王"
)
FIRST_LINE, LINE = 18, 20  # ideographs in a paragraph's first line and in the others
PAGE_CSS = """
@page { size: 552px 420px; margin: 24px; }
body { margin: 0; font-family: "Noto Serif CJK SC"; font-size: 12px; line-height: 20px; }
.columns { columns: 2; column-gap: 24px; text-align: justify; }
.columns p { margin: 0; text-indent: 2em; break-inside: avoid; }
"""


def hanzi(count, start=0):
    return "".join(HANZI[(start + i) % len(HANZI)] for i in range(count))


def clean_paragraph(start=0):
    """Five lines: four full ones that need no stretching, and a last line of ten characters."""
    return f"<p>{hanzi(FIRST_LINE + 3 * LINE + 9, start)}。</p>"


def measure(tmp_path, body, css=""):
    path = tmp_path / "measured.pdf"
    weasyprint.HTML(string=f"<html lang='zh-CN'><style>{PAGE_CSS}{css}</style><body>{body}</body></html>").write_pdf(
        path
    )
    return measure_pdf(path)


def test_clean_running_text_has_no_findings(tmp_path):
    report = measure(tmp_path, f'<div class="columns">{"".join(clean_paragraph(i * 7) for i in range(4))}</div>')

    assert report.running_text_pages == [1]
    assert report.body_font == ("Noto-Serif-CJK-SC", 9.0)  # 12 px
    assert len(report.paragraph_starts) == 4
    assert {line.column for line in report.paragraph_starts} == {"left", "right"}
    assert len(report.full_lines) == 16, report.full_lines  # four per paragraph; last lines are not full
    assert report.flush_share == 1
    assert report.loose_share == 0
    assert report.lone_characters == []
    assert report.closing_punctuation_starts == []
    assert max(abs(line.shortfall_pt) for line in report.full_lines) < 0.01


def test_letter_spaced_lines_are_loose(tmp_path):
    spaced = hanzi(60, 3) + "。"  # 3 px = 0.25 em between characters: lines of 14, 16, 16 and 14
    body = (
        f'<div class="columns">{clean_paragraph()}<p style="letter-spacing: 3px">{spaced}</p>{clean_paragraph(9)}</div>'
    )
    report = measure(tmp_path, body)

    assert len(report.loose_lines) == 3, report.findings()
    assert all(line.text in spaced for line in report.loose_lines)
    # 0.25 em from the letter-spacing, more if the CJK justification patch is installed in this process.
    assert all(line.mean_gap_em >= 0.24 for line in report.loose_lines), report.findings()
    assert report.loose_share == pytest.approx(3 / len(report.full_lines))
    clean = [line for line in report.full_lines if line not in report.loose_lines]
    assert clean and all(line.mean_gap_em < 0.01 for line in clean)


@pytest.mark.parametrize("ending", ["了。", "化"])
def test_a_paragraph_ending_in_one_character_is_a_lone_character(tmp_path, ending):
    # The <br> keeps the character alone even where the project's line breaking (linebreaks.py,
    # which avoids 孤字) is installed in this process by an earlier test.
    lone = f"<p>{hanzi(FIRST_LINE + LINE, 5)}<br>{ending}</p>"
    two_characters = f"<p>{hanzi(FIRST_LINE + LINE, 11)}了吗。</p>"
    body = f'<div class="columns">{lone}{two_characters}{clean_paragraph()}{clean_paragraph(20)}</div>'
    report = measure(tmp_path, body)

    assert [str(line) for line in report.lone_characters] == [f"p.1 left: {ending}"]
    assert report.closing_punctuation_starts == []


def test_closing_punctuation_at_a_line_start(tmp_path):
    forced = f"<p>{hanzi(8)}<br>，{hanzi(40, 8)}。</p>"
    report = measure(tmp_path, f'<div class="columns">{forced}{clean_paragraph(3)}{clean_paragraph(30)}</div>')

    assert [line.text[:3] for line in report.closing_punctuation_starts] == [f"，{hanzi(2, 8)}"]
    assert report.closing_punctuation_starts[0].page == 1


def test_a_line_broken_short_inside_a_paragraph_is_not_flush(tmp_path):
    broken = f"<p>{hanzi(8)}<br>{hanzi(45, 8)}。</p>"  # lines of 8, 20, 20 and 5
    report = measure(tmp_path, f'<div class="columns">{broken}{clean_paragraph(3)}{clean_paragraph(30)}</div>')

    assert [line.text for line in report.unflush_lines] == [hanzi(8)]
    assert report.unflush_lines[0].shortfall_pt == pytest.approx(10 * 9, abs=0.1)  # ten characters of 9 pt
    assert report.flush_share == pytest.approx(1 - 1 / len(report.full_lines))


def test_only_two_column_running_text_is_measured(tmp_path):
    css = """
    @page { @top-right { content: "，栏目"; font-family: "Noto Sans CJK SC"; font-size: 9px; }
            @bottom-center { content: "化"; font-family: "Noto Serif CJK SC"; font-size: 12px; } }
    .cover { columns: 2; column-gap: 32px; line-height: 18px; break-after: page; }
    .cover p { margin: 0 0 0 1.2em; }
    h2 { font-family: "Noto Sans CJK SC"; font-size: 16px; }
    .columns h3 { font-family: "Noto Sans CJK SC"; font-size: 12px; margin: 0; }
    .wide { text-indent: 2em; text-align: justify; margin: 0; }
    """
    cover = '<div class="cover">' + "".join(f"<p>{hanzi(6, i * 6)}</p>" for i in range(9)) + "<p>序</p></div>"
    body = (
        f"{cover}<h2>化</h2>"
        f'<p class="wide">{hanzi(38 + 40, 50)}了。</p>'  # full width: 38 + 42 characters a line
        f'<div class="columns"><h3>序</h3>{clean_paragraph()}{clean_paragraph(7)}{clean_paragraph(14)}</div>'
    )
    report = measure(tmp_path, body, css)

    assert report.pages == 2
    assert report.running_text_pages == [2]
    assert report.lone_characters == []
    assert report.closing_punctuation_starts == []
    column_text = "".join(hanzi(FIRST_LINE + 3 * LINE + 9, start) + "。" for start in (0, 7, 14))
    assert {line.page for line in report.body_lines} == {2}
    assert "".join(line.text for line in report.body_lines) == column_text
    assert len(report.full_lines) == 12 and report.flush_share == 1


def test_findings_name_their_page(tmp_path):
    second_page = (
        f"<p>{hanzi(FIRST_LINE + LINE, 5)}<br>了。</p>{clean_paragraph()}{clean_paragraph(9)}"  # <br>: see above
    )
    body = (
        f'<div class="columns">{clean_paragraph(1)}{clean_paragraph(2)}</div>'
        f'<div class="columns" style="break-before: page">{second_page}</div>'
    )
    report = measure(tmp_path, body)

    assert report.running_text_pages == [1, 2]
    assert [str(line) for line in report.lone_characters] == ["p.2 left: 了。"]
    assert "p.2 left: 了。" in report.findings()


def test_column_edges_are_read_from_each_page(tmp_path):
    # Left-hand pages sit 16 px further right; the text area keeps its width.
    css = "@page :left { margin-left: 40px; margin-right: 8px; }"
    block = f'<div class="columns">{"".join(clean_paragraph(i) for i in range(4))}</div>'
    report = measure(
        tmp_path, block + block.replace('class="columns"', 'class="columns" style="break-before: page"'), css
    )

    assert report.running_text_pages == [1, 2]
    starts = {(line.page, line.column): round(line.x0 - 18) for line in report.paragraph_starts}  # less 2 em
    assert starts == {(1, "left"): 18, (1, "right"): 216, (2, "left"): 30, (2, "right"): 228}
    assert len(report.full_lines) == 32
    assert report.flush_share == 1
    assert report.loose_lines == report.lone_characters == []


def test_running_heads_and_folios_in_the_body_font_are_not_body_lines(tmp_path):
    css = """
    @page { margin-top: 48px; margin-bottom: 48px; font: 12px "Noto Serif CJK SC";
            @top-left { content: "，栏目"; } @bottom-left { content: "化"; } }
    @page :left { @top-left { content: none; } @top-right { content: "，栏目"; } }
    """
    paragraphs = [clean_paragraph(page * 4 + i) for page in range(4) for i in range(4)]
    body = "".join(
        f'<div class="columns" style="break-before: page">{"".join(paragraphs[page * 4 : page * 4 + 4])}</div>'
        for page in range(4)
    )
    report = measure(tmp_path, body, css)

    assert report.running_text_pages == [1, 2, 3, 4]
    assert report.closing_punctuation_starts == []
    assert report.lone_characters == []
    assert "".join(line.text for line in report.body_lines) == "".join(
        paragraph.removeprefix("<p>").removesuffix("</p>") for paragraph in paragraphs
    )
    assert len(report.full_lines) == 64 and report.flush_share == 1
