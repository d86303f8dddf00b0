"""Which first row of a table is its header: set as <thead><tr><th>, print repeats it on each page.

Word marks a header row in several ways, and only one survives as HTML. "Repeat as header
row" (w:tblHeader) is already a <thead> when mammoth converts a .docx; pasted from Word into
the editor, or converted from a .docx without that setting, a header row is a first row set
in bold. So a table gets its first row as a header when all of this holds:

- it has no <thead> and no <th> yet (an explicit header is never second-guessed);
- it has a row after the first (a header needs a body to repeat over);
- every cell of the first row that holds text is bold throughout (<strong>/<b>), and at
  least one does — empty corner cells are common in headers;
- some later row holds text that is not bold (a table bold throughout has no header look);
- no cell of the first row spans down into the next (the row could not stand alone).

A first row with any ordinary text stays a body row. Shading is not a sign: it does not
survive as HTML, and banded tables shade body rows too.
"""

from html import escape
from html.parser import HTMLParser

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_BOLD = {"strong", "b"}
_ROW_GROUPS = {"thead", "tbody", "tfoot"}


class _Element:
    def __init__(self, tag: str, attrs: list[tuple[str, str | None]], parent: "_Element | None"):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[_Element | str] = []

    def elements(self, *tags: str) -> list["_Element"]:
        return [child for child in self.children if isinstance(child, _Element) and child.tag in tags]


class _TreeBuilder(HTMLParser):
    """A tree of HTML that `sanitize_html` has already cleaned, so tags are balanced."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = _Element("", [], None)

    def handle_starttag(self, tag, attrs):
        element = _Element(tag, attrs, self.current)
        self.current.children.append(element)
        if tag not in _VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(_Element(tag, attrs, self.current))

    def handle_endtag(self, tag):
        element = self.current
        while element.parent is not None and element.tag != tag:
            element = element.parent
        if element.parent is not None:
            self.current = element.parent

    def handle_data(self, data):
        self.current.children.append(data)


def with_header_rows(html: str) -> str:
    """`html` (already sanitised) with each table's bold first row made its header row."""
    if "<table" not in html:
        return html
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    changed = False
    for table in _tables(builder.root):
        changed |= _promote_first_row(table)
    return "".join(_serialised(child) for child in builder.root.children) if changed else html


def _tables(element: _Element):
    for child in element.children:
        if isinstance(child, _Element):
            if child.tag == "table":
                yield child
            yield from _tables(child)


def _rows(table: _Element) -> list[_Element]:
    """The table's own rows in order (not those of tables nested in its cells)."""
    rows = []
    for child in table.elements("tr", *_ROW_GROUPS):
        rows.extend([child] if child.tag == "tr" else child.elements("tr"))
    return rows


def _promote_first_row(table: _Element) -> bool:
    rows = _rows(table)
    if len(rows) < 2 or table.elements("thead") or any(row.elements("th") for row in rows):
        return False
    first = rows[0]
    if first.parent.tag == "tfoot" or any(_spans_down(cell) for cell in first.elements("td")):
        return False
    looks = [_bold_look(cell) for cell in first.elements("td")]
    if None in looks or True not in looks:  # some cell has ordinary text, or none has any
        return False
    if all(_bold_look(cell) is not None for row in rows[1:] for cell in row.elements("td")):
        return False  # bold throughout
    for cell in first.elements("td"):
        cell.tag = "th"
    first.parent.children.remove(first)
    thead = _Element("thead", [], table)
    thead.children.append(first)
    first.parent = thead
    position = next(
        (
            index
            for index, child in enumerate(table.children)
            if isinstance(child, _Element) and child.tag in ("tbody", "tr", "tfoot")
        ),
        len(table.children),
    )
    table.children.insert(position, thead)
    return True


def _spans_down(cell: _Element) -> bool:
    rowspan = dict(cell.attrs).get("rowspan") or "1"
    return not rowspan.strip().isdigit() or int(rowspan) > 1


def _bold_look(element: _Element, *, bold: bool = False) -> bool | None:
    """True: holds text, all of it bold; False: holds no text; None: holds text that is not bold."""
    bold = bold or element.tag in _BOLD
    has_text = False
    for child in element.children:
        if isinstance(child, str):
            if child.strip():
                if not bold:
                    return None
                has_text = True
        elif child.tag == "img":
            return None  # a picture is content, and not a bold one
        else:
            look = _bold_look(child, bold=bold)
            if look is None:
                return None
            has_text |= look
    return has_text


def _serialised(node: "_Element | str") -> str:
    if isinstance(node, str):
        return escape(node, quote=False)
    attributes = "".join(
        f' {name}="{escape(value, quote=True)}"' if value is not None else f" {name}" for name, value in node.attrs
    )
    if node.tag in _VOID:
        return f"<{node.tag}{attributes}>"
    return f"<{node.tag}{attributes}>{''.join(_serialised(child) for child in node.children)}</{node.tag}>"
