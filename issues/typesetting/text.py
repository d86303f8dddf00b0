"""The text of each article as it was typeset, read from WeasyPrint's laid-out boxes.

Boxes rather than the PDF's pages: short items share a page, and a page's text also holds its
running head, folio and whatever else is drawn on it. Each box knows the element it was laid out
from, so an article's text is that of the boxes inside its `<article id="article-N">`, paragraph
by paragraph (a paragraph broken over columns or pages is joined again), whatever page it is on.
"""

import re
from dataclasses import dataclass, field

from weasyprint.formatting_structure import boxes

ARTICLE_ID = re.compile(r"article-(\d+)")
HEAD_CLASS, SOURCE_CLASS = "article-head", "source"
_LATIN = re.compile(r"[0-9A-Za-z]")


@dataclass
class ArticleText:
    """An article's typeset paragraphs: its head (title, subtitle, byline), its body and its source line."""

    head: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    source: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.head + self.body + self.source)

    @property
    def body_text(self) -> str:
        return "\n".join(self.body)


def article_texts(document) -> dict[int, ArticleText]:
    """Article pk → its typeset text, for a rendered WeasyPrint document of the issue HTML.

    List markers (numbers, bullets) are left out, as the article's plain text has none, and a
    table's header row, repeated on every page the table runs over, is read once.
    """
    collector = _Collector()
    for page in document.pages:
        collector.collect(page._page_box, article=None, part="body")
    texts = {}
    for pk, found in collector.paragraphs.items():
        text = texts[pk] = ArticleText()
        for part, lines in found.values():
            getattr(text, part).append(_joined(lines))
    return texts


class _Collector:
    def __init__(self):
        self.paragraphs: dict[int, dict] = {}  # pk -> {paragraph element: [part, lines]}, in reading order
        self.headers_seen = set()

    def collect(self, box, *, article, part):
        if _is_marker(box):
            return
        element = box.element
        if isinstance(box, boxes.TableRowGroupBox) and box.is_header:
            if element in self.headers_seen:
                return
            self.headers_seen.add(element)
        if element is not None and box.element_tag == "article":
            match = ARTICLE_ID.fullmatch(element.get("id", ""))
            article = int(match[1]) if match else article
        if article is not None and element is not None:
            classes = element.get("class", "").split()
            part = "head" if HEAD_CLASS in classes else "source" if SOURCE_CLASS in classes else part
        if isinstance(box, boxes.LineBox):
            if article is not None:
                self.paragraphs.setdefault(article, {}).setdefault(element, [part, []])[1].append(_line_text(box))
            return
        for child in getattr(box, "children", ()):
            self.collect(child, article=article, part=part)


def _is_marker(box) -> bool:
    return (box.element_tag or "").endswith("::marker")


def _line_text(box) -> str:
    if _is_marker(box):
        return ""
    if isinstance(box, boxes.TextBox):
        return box.text
    return "".join(_line_text(child) for child in getattr(box, "children", ()))


def _joined(lines: list[str]) -> str:
    """A paragraph's lines as one string; a space where a line broke between two Latin words."""
    text = ""
    for line in lines:
        line = line.strip()
        if text and line and _LATIN.match(text[-1]) and _LATIN.match(line[0]):
            text += " "
        text += line
    return text
