"""Back issues that exist only as printed PDFs: checking the file, and each article's text from its pages.

The text comes from the PDF's text layer (pdfminer.six's lines, read column by column between
the lines that span the page). Running heads and folios are dropped: a line in the
top or bottom eighth of a page that recurs (digits aside) at the same height on at least two
other pages, and a lone page number such as "-3-" there. Lines are joined into paragraphs; a new
one starts at a first-line indent, after a line that stops short of its column, or after a gap
wider than the leading.

Short items share pages. An article's text starts after its own title on its first page and ends
where the next article's title appears, when that one starts on a page this one covers; titles are
matched in the text with all whitespace removed (a title broken over two lines still matches).
A title not found on a shared page is reported, and the whole page counts for both articles.
"""

import io
import re
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.translation import gettext as _
from pdfminer.high_level import extract_pages
from pdfminer.layout import LAParams, LTTextContainer, LTTextLine
from pypdf import PdfReader

from issues.bundles.errors import BundleError

# A character's width of space at most within a line: a two-column page's gutter (7 mm at 10 pt) stays a gap.
LAPARAMS = LAParams(char_margin=1.0)
BAND_GAP = 1.2  # line heights of blank across both columns that end a run of two-column text
MARGIN_BAND = 1 / 8  # of the page height, top and bottom: where running heads and folios sit
SAME_HEIGHT = 0.015  # of the page height: a running head's tolerance from page to page
REPEATS = 3  # pages a margin line must appear on (the same place) to count as a running head
_FOLIO = re.compile(r"[-—–－\s]*\d{1,4}[-—–－\s]*")
_DIGITS = re.compile(r"\d+")
_WHITESPACE = re.compile(r"\s+")
_LATIN_END, _LATIN_START = re.compile(r"[0-9A-Za-z]$"), re.compile(r"^[0-9A-Za-z]")
_PAGES = re.compile(r"\s*(\d+)\s*(?:[-–—~～]\s*(\d+)\s*)?")


@dataclass
class Line:
    text: str
    new_paragraph: bool


@dataclass
class ArticlePages:
    """What the cutter needs of one article: its head lines, to skip, and its PDF pages (0-based)."""

    title: str
    first: int
    last: int
    subtitle: str = ""
    byline: str = ""
    source: str = ""
    sections: tuple[str, ...] = ()  # section and sub-section names, printed above it where they begin


@dataclass
class ExtractedText:
    paragraphs: list[list[str]]  # per article, in the order given
    warnings: list[str] = field(default_factory=list)


def pdf_page_count(data: bytes) -> int:
    """The number of pages of a readable, unencrypted PDF; BundleError saying what is wrong otherwise."""
    if b"%PDF-" not in data[:1024]:
        raise BundleError(_("不是 PDF 文件。"))
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise BundleError(_("PDF 已加密，请提供未加密的文件。"))
        count = len(reader.pages)
    except BundleError:
        raise
    except Exception as exc:  # pypdf raises many kinds of errors for damaged files
        raise BundleError(_("PDF 文件已损坏，无法读取：%(error)s") % {"error": exc})
    if count < 1:
        raise BundleError(_("PDF 没有页面。"))
    return count


def parse_pages(value: str) -> tuple[int, int] | None:
    """ "2-10" → (2, 10), "5" → (5, 5): printed page numbers; None if malformed."""
    match = _PAGES.fullmatch(value)
    if not match:
        return None
    first = int(match[1])
    return first, int(match[2]) if match[2] else first


def format_pages(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


def page_lines(data: bytes) -> list[list[Line]]:
    """The text lines of every page of the PDF, running heads and folios dropped."""
    try:
        pages = [_page_rows(page) for page in extract_pages(io.BytesIO(data), laparams=LAPARAMS)]
    except Exception as exc:  # pdfminer raises many kinds of errors for damaged content streams
        raise BundleError(_("无法读取 PDF 中的文字：%(error)s") % {"error": exc})
    margins = [(index, row) for index, rows in enumerate(pages) for row in rows if row.in_margin]
    needed = min(REPEATS, len(pages))
    result = []
    for index, rows in enumerate(pages):
        kept = []
        for row in rows:
            if row.in_margin and (_FOLIO.fullmatch(row.text) or _recurs(row, index, margins, needed)):
                continue
            kept.append(row)
        result.append(_paragraph_lines(kept))
    return result


def extract_articles(lines: list[list[Line]], articles: list[ArticlePages], *, describe) -> ExtractedText:
    """Each article's paragraphs, cut from the pages it covers; `describe(index)` names article `index` in warnings."""
    result = ExtractedText(paragraphs=[])
    for index, article in enumerate(articles):
        stream = _Stream([line for page in range(article.first, article.last + 1) for line in lines[page]])
        first_page_end = len(lines[article.first])
        start = stream.find(article.title, 0, stream.offset_of_line(first_page_end))
        shared_before = index > 0 and articles[index - 1].last >= article.first
        if start is None:
            start = 0
            if shared_before:
                result.warnings.append(
                    _(
                        "%(article)s：在与上一篇共用的 PDF 第 %(page)d 页上找不到标题，该页文字整页计入本篇和上一篇，请核对正文。"
                    )
                    % {"article": describe(index), "page": article.first + 1}
                )
        else:
            start += len(_squeeze(article.title))
            if article.subtitle:
                start = stream.skip(article.subtitle, stream.skip("——" + article.subtitle, start))
            if article.byline:
                start = stream.skip(article.byline, start)
        end = stream.length
        following = articles[index + 1] if index + 1 < len(articles) else None
        if following and following.first <= article.last:
            shared_from = sum(len(lines[page]) for page in range(article.first, following.first))
            found = stream.find(following.title, max(start, stream.offset_of_line(shared_from)), stream.length)
            if found is not None:
                end = found
                for name in reversed(following.sections):  # "行业动态" "国内" over the next one's title
                    end = stream.back(name, end, floor=start)
        paragraphs = stream.paragraphs(start, end)
        if article.source and paragraphs:
            paragraphs[-1] = _without_tail(paragraphs[-1], f"（来源：{article.source}）")
            paragraphs = [paragraph for paragraph in paragraphs if paragraph]
        if not paragraphs:
            result.warnings.append(
                _("%(article)s：PDF 第 %(first)d–%(last)d 页没有可提取的文字（可能是扫描件），正文为空。")
                % {"article": describe(index), "first": article.first + 1, "last": article.last + 1}
            )
        result.paragraphs.append(paragraphs)
    return result


def paragraphs_html(paragraphs: list[str]) -> str:
    return "".join(f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs)


# Pages into lines ----------------------------------------------------------------------------


@dataclass
class _Row:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    page_height: float

    @property
    def height(self):
        return max(self.y1 - self.y0, 1.0)

    @property
    def in_margin(self):
        band = self.page_height * MARGIN_BAND
        return self.y0 > self.page_height - band or self.y1 < band

    @property
    def key(self):
        return _DIGITS.sub("#", _squeeze(self.text))


def _page_rows(page) -> list[_Row]:
    rows = []
    for element in page:
        if isinstance(element, LTTextContainer):
            for line in element:
                if isinstance(line, LTTextLine) and (text := line.get_text().strip()):
                    rows.append(_Row(text, *line.bbox, page_height=page.height))
    return _reading_order(rows, page.width)


def _reading_order(rows: list[_Row], page_width: float) -> list[_Row]:
    """The rows as a reader takes them: two columns left then right, between lines that cross the gutter.

    A line that crosses the page's middle (a title, a full-width table, a one-column page) closes
    the band of two-column text above it, which is read left column first, and so does a blank
    across both columns taller than a line (the next run of columns starts below, e.g. after a
    sub-section's marker); pdfminer's own box
    order interleaves the columns of pages whose leading keeps every line a box of its own.
    """
    middle = page_width / 2
    ordered, left, right = [], [], []
    for row in sorted(rows, key=lambda row: -row.y1):
        band = left + right
        if band and min(other.y0 for other in band) - row.y1 > BAND_GAP * row.height:
            ordered += band  # blank across both columns: the two-column text above has ended
            left, right = [], []
        if row.x1 <= middle:
            left.append(row)
        elif row.x0 >= middle:
            right.append(row)
        else:
            ordered += left + right + [row]
            left, right = [], []
    return ordered + left + right


def _recurs(row: _Row, index: int, margins: list[tuple[int, _Row]], needed: int) -> bool:
    """Whether the same text (digits aside) stands at the same height on enough pages: a running head."""
    tolerance = row.page_height * SAME_HEIGHT
    pages = {page for page, other in margins if other.key == row.key and abs(other.y0 - row.y0) <= tolerance} | {index}
    return len(pages) >= needed > 1


def _paragraph_lines(rows: list[_Row]) -> list[Line]:
    """The rows as lines, each marked where a paragraph begins (indent, a short line before, a wide gap)."""
    lines = []
    for position, row in enumerate(rows):
        previous = rows[position - 1] if position else None
        lefts = [other.x0 for other in rows if row.x0 - 2.5 * row.height <= other.x0 <= row.x0]
        indented = row.x0 - min(lefts) > 0.5 * row.height
        if previous is None:
            new = indented
        else:
            # The column's full lines: those starting where it does (indented or not), not a table's cells.
            rights = [
                other.x1
                for other in rows
                if abs(other.x0 - previous.x0) <= 2.5 * previous.height
                and previous.x1 <= other.x1 <= previous.x1 + 2.5 * previous.height
            ]
            short = max(rights) - previous.x1 > 1.5 * previous.height  # justified lines end within a character
            same_column = row.x0 < previous.x1 and previous.x0 < row.x1
            gap = previous.y0 - row.y1
            new = indented or short or (same_column and gap > 0.8 * row.height) or (same_column and gap < 0)
        lines.append(Line(row.text, new_paragraph=new))
    return lines


# Cutting the text of several pages -----------------------------------------------------------


def _squeeze(text: str) -> str:
    return _WHITESPACE.sub("", text)


def _without_tail(paragraph: str, tail: str) -> str:
    """`paragraph` without `tail` at its end (whitespace aside), as when a source line ran into the last lines."""
    tail = _squeeze(tail)
    if not tail or not _squeeze(paragraph).endswith(tail):
        return paragraph
    position, left = len(paragraph), len(tail)
    while left:
        position -= 1
        left -= not paragraph[position].isspace()
    return paragraph[:position].rstrip()


class _Stream:
    """Lines of text searched with whitespace removed, and cut back into paragraphs at such offsets."""

    def __init__(self, lines: list[Line]):
        self.lines = lines
        self.chars = []  # (line index, character index) of each non-whitespace character
        for line_index, line in enumerate(lines):
            self.chars += [(line_index, i) for i, char in enumerate(line.text) if not char.isspace()]
        self.text = "".join(lines[li].text[ci] for li, ci in self.chars)
        self.length = len(self.text)

    def offset_of_line(self, line_index: int) -> int:
        """The squeezed offset at which line `line_index` begins."""
        for offset, (li, _ci) in enumerate(self.chars):
            if li >= line_index:
                return offset
        return self.length

    def find(self, needle: str, start: int, end: int) -> int | None:
        needle = _squeeze(needle)
        found = self.text.find(needle, start, end + len(needle)) if needle else -1
        return found if found >= 0 and found < end else None

    def skip(self, head: str, start: int) -> int:
        """`start` moved past `head` if the text goes on with it there."""
        head = _squeeze(head)
        return start + len(head) if head and self.text.startswith(head, start) else start

    def back(self, tail: str, end: int, *, floor: int) -> int:
        """`end` moved back before `tail` if the text just before it is `tail` (and stays above `floor`)."""
        tail = _squeeze(tail)
        if tail and end - len(tail) >= floor and self.text.startswith(tail, end - len(tail)):
            return end - len(tail)
        return end

    def paragraphs(self, start: int, end: int) -> list[str]:
        if start >= end:
            return []
        (first_line, first_char), (last_line, last_char) = self.chars[start], self.chars[end - 1]
        paragraphs = []
        for li in range(first_line, last_line + 1):
            line = self.lines[li]
            text = line.text[first_char if li == first_line else 0 : last_char + 1 if li == last_line else None]
            text = text.strip()
            if not text:
                continue
            if not paragraphs or (line.new_paragraph and li != first_line):
                paragraphs.append(text)
            else:
                joiner = " " if _LATIN_END.search(paragraphs[-1]) and _LATIN_START.search(text) else ""
                paragraphs[-1] += joiner + text
        return [" ".join(paragraph.split()) for paragraph in paragraphs]
