"""The Chinese typography of a PDF, measured from its glyph positions: for tests and benchmarks.

Only the body lines of two-column running text are judged. Everything is read from the PDF
(pdfminer.six's LTChar boxes, which are the glyphs' advance boxes): the body font is the most
common (font, size) of all glyphs; the gutter, the column edges and the line pitch come from
where the body glyphs are, so the figures do not depend on the stylesheet's margins or columns.

- A body line is a run of glyphs on one baseline in one column, mostly in the body font
  (headings, running heads, folios, captions and tables are set in other faces or sizes).
  Lines that run across the gutter (contents, full-width text, a centred folio) are not
  column lines; nor is a column's top or bottom line standing apart at a height it has on
  most pages (a running head or folio, should one be set in the body font).
- Pages of running text have body lines in both columns and a paragraph that starts there or
  goes on from the page before; the cover's two columns of headlines have neither.
- A paragraph starts with a line indented by ≈2 em from its column's left edge. A line whose
  next line in the same column is about one line pitch below and not indented is a full line:
  the paragraph goes on, so the line should be justified. (The last line of a column is not
  judged, as the line after it is in another column.)
- Flush: a full line ends within 0.5 pt of its column's right edge (the rightmost line end in
  that column of that page that has support from another line and is not punctuation, which
  may hang).
- Loose: the mean gap between the boxes of adjacent CJK characters (ideographs and kana,
  never punctuation, whose boxes overlap when it is compressed) of a full line exceeds 0.12 em.
- 孤字 (a lone character): a paragraph's last line — not indented, and no continuation after
  it — holds one character, punctuation aside ("了。", "化").
- Closing punctuation (，。、；：？！”’）》」』】…) as the first character of a body line.

    .venv/bin/python tests/typography.py issue.pdf [--show 10]
"""

import argparse
import logging
import statistics
import unicodedata
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LTChar, LTContainer, LTTextLineHorizontal
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage

FLUSH_TOLERANCE_PT = 0.5
LOOSE_GAP_EM = 0.12
CLOSING_PUNCTUATION = frozenset("，。、；：？！”’）》」』】〉〕］｝")
OPENING_PUNCTUATION = frozenset("“‘（《「『【〈〔［｛")
# Indents in em of the line's font size, measured from the column's left edge. The ranges allow
# half an em either way for an opening bracket set in half its width (or hung into the margin).
PARAGRAPH_INDENT_EM = (1.4, 2.6)
NO_INDENT_EM = (-0.7, 0.4)
# Glyphs within this fraction of the body size from a line's baseline belong to that line
# (superscripts and subscripts included); body lines are a whole line pitch apart.
BASELINE_TOLERANCE_EM = 0.45
# Two columns are at least this far apart (7 mm at 10.5 pt is 1.9 em); a line of running text
# has no gap as wide around the middle of the page.
GUTTER_EM = 1.0
EDGE_WINDOW_PT = 0.5


@dataclass(frozen=True)
class Glyph:
    text: str
    x0: float
    x1: float
    baseline: float
    font: str
    size: float

    @property
    def centre(self):
        return (self.x0 + self.x1) / 2


@dataclass(frozen=True)
class Line:
    """A body line of a column, with what the measures need to know about it."""

    page: int  # 1-based index of the PDF page
    column: str  # "left" or "right"
    text: str
    x0: float
    x1: float
    baseline: float
    size: float  # of the body font, pt
    indent_em: float  # from the column's left edge
    right_edge: float  # the column's
    cjk_gaps_em: tuple[float, ...]  # between the boxes of adjacent CJK characters

    @property
    def mean_gap_em(self) -> float | None:
        return statistics.fmean(self.cjk_gaps_em) if self.cjk_gaps_em else None

    @property
    def shortfall_pt(self) -> float:
        """How far the line ends short of its column's right edge (negative: beyond it)."""
        return self.right_edge - self.x1

    @property
    def characters(self) -> str:
        """The line's text without spaces and punctuation."""
        return "".join(c for c in self.text if not c.isspace() and not unicodedata.category(c).startswith("P"))

    def __str__(self):
        return f"p.{self.page} {self.column}: {self.text}"


@dataclass
class TypographyReport:
    pages: int
    running_text_pages: list[int]
    body_font: tuple[str, float] | None
    body_lines: list[Line] = field(default_factory=list)
    paragraph_starts: list[Line] = field(default_factory=list)
    full_lines: list[Line] = field(default_factory=list)
    unflush_lines: list[Line] = field(default_factory=list)
    loose_lines: list[Line] = field(default_factory=list)
    lone_characters: list[Line] = field(default_factory=list)  # 孤字: paragraphs' last lines
    closing_punctuation_starts: list[Line] = field(default_factory=list)

    @property
    def flush_share(self) -> float | None:
        return 1 - len(self.unflush_lines) / len(self.full_lines) if self.full_lines else None

    @property
    def loose_share(self) -> float | None:
        return len(self.loose_lines) / len(self.full_lines) if self.full_lines else None

    def summary(self) -> str:
        font = f"{self.body_font[0]} {self.body_font[1]:g} pt" if self.body_font else "none"
        shares = (
            f"{self.flush_share:.1%} flush, {self.loose_share:.1%} loose"
            if self.full_lines
            else "no full lines to judge"
        )
        return (
            f"{self.pages} pages, {len(self.running_text_pages)} of two-column running text; body font {font}; "
            f"{len(self.body_lines)} body lines, {len(self.paragraph_starts)} paragraph starts; "
            f"{len(self.full_lines)} full lines: {shares}; {len(self.lone_characters)} 孤字; "
            f"{len(self.closing_punctuation_starts)} closing punctuation at a line start"
        )

    def findings(self, limit: int | None = None) -> str:
        """The lines behind each figure, one per row, for a failure message or a look by eye."""
        sections = [
            ("not flush", self.unflush_lines, lambda line: f"{line.shortfall_pt:+.2f} pt"),
            ("loose", self.loose_lines, lambda line: f"{line.mean_gap_em:.3f} em"),
            ("孤字", self.lone_characters, lambda line: ""),
            ("closing punctuation at a line start", self.closing_punctuation_starts, lambda line: ""),
        ]
        rows = []
        for title, lines, figure in sections:
            shown = lines if limit is None else lines[:limit]
            rows.append(f"{title}: {len(lines)}" + (f" (first {len(shown)})" if len(shown) < len(lines) else ""))
            rows += [f"  {figure(line):>10}  {line}" for line in shown]
        return "\n".join(rows)


def text_lines(page) -> list:
    """pdfminer's text lines (LTTextLineHorizontal) anywhere in a laid-out page, for tests that read a PDF."""
    lines, stack = [], list(page)
    while stack:
        item = stack.pop()
        if isinstance(item, LTTextLineHorizontal):
            lines.append(item)
        elif isinstance(item, LTContainer):
            stack.extend(item)
    return lines


def measure_pdf(path: Path | str) -> TypographyReport:
    """The typography report of the PDF at `path` (see the module docstring for what is measured)."""
    pdfminer_logger = logging.getLogger("pdfminer")
    level = pdfminer_logger.level
    pdfminer_logger.setLevel(logging.ERROR)  # Chromium's fonts lack a FontBBox, once per glyph
    try:
        pages = list(_page_glyphs(path))
    finally:
        pdfminer_logger.setLevel(level)
    fonts = Counter((glyph.font, glyph.size) for glyphs in pages for glyph in glyphs if not glyph.text.isspace())
    if not fonts:
        return TypographyReport(pages=len(pages), running_text_pages=[], body_font=None)
    body_font = fonts.most_common(1)[0][0]
    size = body_font[1]

    middles = _gutter_middles(pages, body_font)
    rows = {}  # (page, column) -> body lines as glyph lists, top to bottom
    for number, glyphs in enumerate(pages, start=1):
        middle = middles.get(number % 2)
        if middle is None:
            continue
        left, right = _column_glyphs(glyphs, middle=middle, size=size)
        for column, column_glyphs in (("left", left), ("right", right)):
            rows[number, column] = [line for line in _lines(column_glyphs, size=size) if _is_body(line, body_font)]

    pitch = _line_pitch(rows.values(), size=size)
    rows = _without_margin_lines(rows, pitch=pitch)
    edges = _column_edges(rows)
    report = TypographyReport(pages=len(pages), running_text_pages=[], body_font=body_font)
    running_on = False  # the last body line so far belongs to a paragraph
    for number in range(1, len(pages) + 1):
        columns = {
            column: [
                _line(glyphs, page=number, column=column, size=size, edges=edges[number, column])
                for glyphs in rows.get((number, column), [])
            ]
            for column in ("left", "right")
        }
        if not columns["left"] and not columns["right"]:
            continue  # no body text (a table across the page): a paragraph may go on after it
        judged = {column: _judge(lines, pitch=pitch) for column, lines in columns.items()}
        # Running text: two columns of body lines where a paragraph starts, or goes on from the
        # page before (an article's last page). A cover's two columns of headlines do neither.
        paragraph_goes_on = running_on
        last_line = (columns["right"] or columns["left"])[-1]
        running_on = _unindented(last_line) or _starts_paragraph(last_line)
        if not columns["left"] or not columns["right"]:
            running_on = False  # contents, full-width text
            continue
        if not paragraph_goes_on and not any(verdict.starts for verdict in judged.values()):
            running_on = False
            continue
        report.running_text_pages.append(number)
        for column in ("left", "right"):
            verdict = judged[column]
            report.body_lines += columns[column]
            report.paragraph_starts += verdict.starts
            report.full_lines += verdict.full
            report.lone_characters += verdict.last_lines_of_one
    report.unflush_lines = [line for line in report.full_lines if line.shortfall_pt > FLUSH_TOLERANCE_PT]
    report.loose_lines = [line for line in report.full_lines if (line.mean_gap_em or 0) > LOOSE_GAP_EM]
    report.closing_punctuation_starts = [
        line for line in report.body_lines if line.text.lstrip()[:1] in CLOSING_PUNCTUATION
    ]
    return report


# Glyphs ---------------------------------------------------------------------------------------


def _page_glyphs(path):
    """The upright glyphs of each page (layout analysis off: lines are made here, per column)."""
    resources = PDFResourceManager(caching=True)
    device = PDFPageAggregator(resources, laparams=None)
    interpreter = PDFPageInterpreter(resources, device)
    with open(path, "rb") as file:
        for page in PDFPage.get_pages(file):
            interpreter.process_page(page)
            glyphs, stack = [], list(device.get_result())
            while stack:
                item = stack.pop()
                if isinstance(item, LTChar):
                    if item.upright:
                        glyphs.append(
                            Glyph(
                                text=_ideograph_for_radical(item.get_text()),
                                x0=item.x0,
                                x1=item.x1,
                                baseline=item.matrix[5],
                                font=_font_name(item.fontname),
                                size=round(item.size, 1),
                            )
                        )
                elif isinstance(item, LTContainer):
                    stack.extend(item)
            yield glyphs


def _ideograph_for_radical(text: str) -> str:
    """子 for ⼦: Chromium's PDFs map some ideographs' glyphs to the Kangxi radical that shares them."""
    if len(text) == 1 and 0x2E80 <= ord(text) <= 0x2FDF:
        return unicodedata.normalize("NFKC", text)
    return text


def _font_name(name: str) -> str:
    """The font's name without the subset tag (ABCDEF+): subsets of one font are one font."""
    tag, plus, rest = name.partition("+")
    return rest if plus and len(tag) == 6 and tag.isupper() else name


def _robust_extreme(values, *, largest, window=EDGE_WINDOW_PT, support=2):
    """The most extreme of `values` with `support` of them (itself included) within `window` inside it.

    A lone outlier (a word overflowing the column, a glyph hung into the margin) is passed over.
    """
    ordered = sorted(values)
    if not ordered:
        return None
    need = min(support, len(ordered))
    for value in reversed(ordered) if largest else ordered:
        if largest:
            count = bisect_right(ordered, value) - bisect_left(ordered, value - window)
        else:
            count = bisect_right(ordered, value + window) - bisect_left(ordered, value)
        if count >= need:
            return value
    return None


# Columns and lines ----------------------------------------------------------------------------


def _gutter_middles(pages, body_font):
    """The middle of the text area, per page parity (left and right pages may have other margins)."""
    middles = defaultdict(list)
    for number, glyphs in enumerate(pages, start=1):
        body = [glyph for glyph in glyphs if (glyph.font, glyph.size) == body_font and not glyph.text.isspace()]
        if len(body) < 10:
            continue
        left = _robust_extreme([glyph.x0 for glyph in body], largest=False, support=3)
        right = _robust_extreme([glyph.x1 for glyph in body], largest=True, support=3)
        if left is not None and right is not None:
            middles[number % 2].append((left + right) / 2)
    pooled = {parity: statistics.median(values) for parity, values in middles.items()}
    for parity in (0, 1):
        if parity not in pooled and pooled:
            pooled[parity] = next(iter(pooled.values()))
    return pooled


def _baseline_groups(glyphs, tolerance):
    """Glyphs grouped by baseline, top first: a group takes glyphs within `tolerance` of its first."""
    groups = []
    for glyph in sorted(glyphs, key=lambda glyph: -glyph.baseline):
        if groups and groups[-1][0].baseline - glyph.baseline <= tolerance:
            groups[-1].append(glyph)
        else:
            groups.append([glyph])
    return groups


def _column_glyphs(glyphs, *, middle, size):
    """The page's glyphs left and right of the gutter; lines that run across it are left out."""
    left, right = [], []
    for group in _baseline_groups(glyphs, tolerance=0.1 * size):
        ink = [glyph for glyph in group if not glyph.text.isspace()]
        before = [glyph for glyph in ink if glyph.centre < middle]
        after = [glyph for glyph in ink if glyph.centre >= middle]
        straddles = any(glyph.x0 < middle < glyph.x1 for glyph in ink)
        narrow = before and after and min(g.x0 for g in after) - max(g.x1 for g in before) < GUTTER_EM * size
        if straddles or narrow:
            continue
        left += [glyph for glyph in group if glyph.centre < middle]
        right += [glyph for glyph in group if glyph.centre >= middle]
    return left, right


def _lines(glyphs, *, size):
    """A column's glyphs as lines (each sorted left to right), top to bottom."""
    lines = []
    for group in _baseline_groups(glyphs, tolerance=BASELINE_TOLERANCE_EM * size):
        line = sorted(group, key=lambda glyph: glyph.x0)
        if any(not glyph.text.isspace() for glyph in line):
            lines.append(line)
    return lines


def _is_body(line, body_font):
    ink = _ink(line)
    return 2 * sum((glyph.font, glyph.size) == body_font for glyph in ink) >= len(ink)


def _ink(line):
    return [glyph for glyph in line if not glyph.text.isspace()]


def _baseline(line):
    return statistics.median(glyph.baseline for glyph in line)


def _line_pitch(columns, *, size):
    """The usual distance between the baselines of consecutive lines in a column."""
    steps = [
        _baseline(upper) - _baseline(lower)
        for lines in columns
        for upper, lower in zip(lines, lines[1:])
        if 0.8 * size < _baseline(upper) - _baseline(lower) < 3 * size
    ]
    return statistics.median(steps) if steps else 1.5 * size


def _without_margin_lines(rows, *, pitch):
    """`rows` less running heads and folios that are set in the body font, should they be.

    Such a line is a column's top (bottom) line that stands apart from the next one (not one
    pitch away), above (below) every other line of that column on the pages of its parity, at a
    height where most of those pages have one.
    """
    margin_lines = set()  # (page, column, 0 for the top line or -1 for the bottom one)
    for end, inner, outward in ((0, 1, 1), (-1, -2, -1)):
        apart, others, pages = defaultdict(list), defaultdict(list), Counter()
        for (page, column), lines in rows.items():
            if len(lines) < 2:
                continue
            group = page % 2, column
            pages[group] += 1
            step = abs(_baseline(lines[end]) - _baseline(lines[inner]))
            if 0.85 * pitch < step < 1.15 * pitch:
                others[group] += [outward * _baseline(line) for line in lines]
            else:
                apart[group].append((page, outward * _baseline(lines[end])))
                others[group] += [outward * _baseline(line) for line in lines if line is not lines[end]]
        for group, candidates in apart.items():
            beyond = max(others[group], default=float("-inf")) + EDGE_WINDOW_PT
            for page, height in candidates:
                repeats = sum(abs(other - height) <= EDGE_WINDOW_PT for _page, other in candidates)
                if height > beyond and repeats >= max(2, pages[group] / 2):
                    margin_lines.add((page, group[1], end))
    return {
        (page, column): [
            line
            for index, line in enumerate(lines)
            if not any((page, column, end) in margin_lines and index == end % len(lines) for end in (0, -1))
        ]
        for (page, column), lines in rows.items()
    }


def _column_edges(rows):
    """(left, right) edge of each column on each page: from its own lines, else from pages of its parity.

    Line starts that are opening brackets and line ends that are punctuation are not evidence:
    a typesetter that compresses or hangs punctuation may set either into the margin.
    """
    measured = {}
    for key, lines in rows.items():
        starts = [_ink(line)[0].x0 for line in lines if _ink(line)[0].text not in OPENING_PUNCTUATION]
        ends = [_ink(line)[-1].x1 for line in lines if not _is_punctuation(_ink(line)[-1].text)]
        measured[key] = (
            _robust_extreme(starts, largest=False) if len(starts) >= 2 else None,
            _robust_extreme(ends, largest=True) if len(ends) >= 2 else None,
        )
    pooled = defaultdict(lambda: ([], []))  # (parity, column) -> (left edges, right edges)
    for (page, column), measured_edges in measured.items():
        for side, edge in enumerate(measured_edges):
            if edge is not None:
                pooled[page % 2, column][side].append(edge)

    def settled(page, column, side, last_resort):
        own = measured[page, column][side]
        if own is not None:
            return own
        found = pooled[page % 2, column][side] or pooled[1 - page % 2, column][side]
        return statistics.median(found) if found else last_resort

    return {
        (page, column): (
            settled(page, column, 0, min(_ink(line)[0].x0 for line in lines)),
            settled(page, column, 1, max(_ink(line)[-1].x1 for line in lines)),
        )
        for (page, column), lines in rows.items()
        if lines
    }


def _is_punctuation(text):
    return all(unicodedata.category(c).startswith("P") for c in text)


def _is_cjk(text):
    if len(text) != 1:
        return False
    code = ord(text)
    return (
        0x2E80 <= code <= 0x2FDF  # radicals: what Chromium's PDFs say some ideographs are
        or 0x3040 <= code <= 0x30FF  # kana
        or 0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x3134F
    )


def _line(glyphs, *, page, column, size, edges):
    left_edge, right_edge = edges
    ink = _ink(glyphs)
    gaps = tuple(
        (after.x0 - before.x1) / before.size
        for before, after in zip(glyphs, glyphs[1:])
        if _is_cjk(before.text) and _is_cjk(after.text)
    )
    return Line(
        page=page,
        column=column,
        text="".join(glyph.text for glyph in glyphs).strip(),
        x0=ink[0].x0,
        x1=ink[-1].x1,
        baseline=_baseline(glyphs),
        size=size,
        indent_em=(ink[0].x0 - left_edge) / size,
        right_edge=right_edge,
        cjk_gaps_em=gaps,
    )


@dataclass
class _Verdict:
    starts: list[Line]
    full: list[Line]
    last_lines_of_one: list[Line]


def _judge(lines, *, pitch):
    """Paragraph starts, full lines and lone-character last lines among a column's lines, top to bottom."""

    def continued_by(line, following):
        return (
            following is not None
            and 0.5 * pitch < line.baseline - following.baseline < 1.5 * pitch
            and _unindented(following)
        )

    verdict = _Verdict(starts=[], full=[], last_lines_of_one=[])
    for line, following in zip(lines, [*lines[1:], None]):
        paragraph_line = _starts_paragraph(line) or _unindented(line)
        if _starts_paragraph(line) and continued_by(line, following):
            verdict.starts.append(line)
        if paragraph_line and continued_by(line, following):
            verdict.full.append(line)
        elif _unindented(line) and len(line.characters) == 1:
            verdict.last_lines_of_one.append(line)
    return verdict


def _starts_paragraph(line):
    return PARAGRAPH_INDENT_EM[0] <= line.indent_em <= PARAGRAPH_INDENT_EM[1]


def _unindented(line):
    return NO_INDENT_EM[0] <= line.indent_em <= NO_INDENT_EM[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--show", type=int, default=10, help="lines listed per finding (default 10)")
    options = parser.parse_args()
    report = measure_pdf(options.pdf)
    print(report.summary())
    print(report.findings(limit=options.show))


if __name__ == "__main__":
    main()
