"""Which first row of a table is its header: set as <thead><tr><th>, print repeats it on each page.

Word marks a header row in three ways, and none survives as HTML unless converted so:

- "repeat as header row" (w:tblHeader on the row): mammoth writes it as <thead> itself;
- a table style that sets its first row apart (bold or shaded, as Word's built-in list and
  grid styles do) with the table's look (w:tblLook) switching the header row on: mammoth
  knows nothing of styles, so `word.py` reads them with `WordTableStyles` and `WordTables`
  and marks the row with `with_word_header_rows` before mammoth writes HTML;
- a first row set in bold by hand, which is also what a header looks like pasted from Word
  into the editor: `with_header_rows`, run by `sanitize_html` on every body, makes such a
  row the header when all of this holds:
  - the table has no <thead> and no <th> yet (an explicit header is never second-guessed; a
    first row of <th> only, as the editor's 设为表头行 writes it inside <tbody>, is moved into
    a <thead>);
  - it has a row after the first (a header needs a body to repeat over);
  - every cell of the first row that holds text is bold throughout (<strong>/<b>), and at
    least one does — empty corner cells are common in headers;
  - some later row holds text that is not bold (a table bold throughout has no header look);
  - no cell of the first row spans down into the next (the row could not stand alone).

A first row with any ordinary text stays a body row. Shading by hand is not a sign: it does
not survive as HTML, and banded tables shade body rows too.
"""

from html import escape
from html.parser import HTMLParser

from mammoth import documents

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
    if len(rows) < 2 or table.elements("thead") or rows[0].parent.tag == "tfoot":
        return False
    first = rows[0]
    if first.elements("th") and not first.elements("td"):
        # A header row made in the editor: Tiptap writes every row into <tbody>, and print
        # repeats only a <thead>.
        _move_into_thead(table, first)
        return True
    if any(row.elements("th") for row in rows) or any(_spans_down(cell) for cell in first.elements("td")):
        return False
    looks = [_bold_look(cell) for cell in first.elements("td")]
    if None in looks or True not in looks:  # some cell has ordinary text, or none has any
        return False
    if all(_bold_look(cell) is not None for row in rows[1:] for cell in row.elements("td")):
        return False  # bold throughout
    for cell in first.elements("td"):
        cell.tag = "th"
    _move_into_thead(table, first)
    return True


def _move_into_thead(table: _Element, first: _Element) -> None:
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


# Word's own header look, which mammoth does not carry over ---------------------------------------


class WordTableStyles:
    """Fed the XML events of a .docx styles part: which table styles set their first row apart.

    A table style sets the first row apart with conditional formatting (w:tblStylePr
    w:type="firstRow") that makes it bold or shades it — Word's built-in "网格表" and "清单表"
    styles do; "网格型" (Table Grid), the default, does not. A style based on such a style has
    the same look unless it says otherwise.
    """

    def __init__(self):
        self._stack: list[str] = []
        self._style: str | None = None
        self._in_first_row = False
        self._based_on: dict[str, str] = {}
        self._sets_apart: set[str] = set()

    def start(self, tag, attributes):
        attributes = _local(attributes)
        parent = self._stack[-1] if self._stack else None
        self._stack.append(tag)
        if tag == "w:style" and attributes.get("type") == "table":
            self._style = attributes.get("styleId")
        elif self._style is None:
            return
        elif tag == "w:basedOn" and parent == "w:style":
            self._based_on[self._style] = attributes.get("val", "")
        elif tag == "w:tblStylePr":
            self._in_first_row = attributes.get("type") == "firstRow"
        elif self._in_first_row and (
            (tag == "w:b" and _on(attributes.get("val")))
            or (tag == "w:shd" and attributes.get("fill", "auto").upper() not in ("AUTO", "FFFFFF"))
        ):
            self._sets_apart.add(self._style)

    def end(self, tag):
        self._stack.pop()
        if tag == "w:style":
            self._style = None
        elif tag == "w:tblStylePr":
            self._in_first_row = False

    def sets_first_row_apart(self, style: str | None) -> bool:
        seen = set()
        while style and style not in seen:
            if style in self._sets_apart:
                return True
            seen.add(style)
            style = self._based_on.get(style)
        return False


class WordTables:
    """Fed the XML events of a .docx main document part: each table's style, look and first row's text.

    Like mammoth, the tables of mc:Choice are skipped (it reads mc:Fallback), so the tables
    found here are mammoth's, in the same order.
    """

    def __init__(self):
        self.tables: list[dict] = []
        self._open: list[dict] = []  # the tables being read, innermost last
        self._skipped = 0  # depth inside mc:Choice
        self._in_text = 0

    def start(self, tag, attributes):
        attributes = _local(attributes)
        if tag == "mc:Choice" or self._skipped:
            self._skipped += 1
            return
        table = self._open[-1] if self._open else None
        if tag == "w:tbl":
            self._open.append({"style": None, "look": None, "rows": 0, "first_row": []})
            self.tables.append(self._open[-1])
        elif table is None:
            return
        elif tag == "w:tblStyle" and table["rows"] == 0:
            table["style"] = attributes.get("val")
        elif tag == "w:tblLook" and table["rows"] == 0:
            first_row = attributes.get("firstRow")
            table["look"] = _on(first_row) if first_row is not None else _look_bits(attributes.get("val")) & 0x0020
        elif tag == "w:tr":  # rows of a nested table count in that table, the innermost open
            table["rows"] += 1
        elif tag == "w:t" and table["rows"] == 1:
            self._in_text += 1

    def end(self, tag):
        if self._skipped:
            self._skipped -= 1
            return
        if tag == "w:tbl":
            self._open.pop()
        elif tag == "w:t" and self._in_text:
            self._in_text -= 1

    def characters(self, data):
        if self._in_text and not self._skipped:
            self._open[-1]["first_row"].append(data)

    def header_looks(self, styles: WordTableStyles) -> list[tuple[bool, str]]:
        """For each table in order: whether Word sets its first row apart, and that row's text."""
        return [
            (
                bool(table["look"]) and styles.sets_first_row_apart(table["style"]),
                "".join("".join(table["first_row"]).split()),
            )
            for table in self.tables
        ]


def with_word_header_rows(document, looks: list[tuple[bool, str]]):
    """A mammoth document whose tables Word gives a header look have their first row as header row.

    A table is matched to its look by position and checked by its first row's text, so a
    table mammoth reads differently from `WordTables` is left as it is.
    """
    position = 0

    def visit(element):
        nonlocal position
        if isinstance(element, documents.Table):
            index, position = position, position + 1
            rows = element.children
            if (
                index < len(looks)
                and looks[index][0]
                and len(rows) > 1
                and all(isinstance(row, documents.TableRow) and not row.is_header for row in rows)
                and _mammoth_text(rows[0]) == looks[index][1]
            ):
                element = element.copy(children=[rows[0].copy(is_header=True), *rows[1:]])
        if isinstance(element, documents.HasChildren):
            element = element.copy(children=[visit(child) for child in element.children])
        return element

    return visit(document)


def _mammoth_text(element) -> str:
    if isinstance(element, documents.Text):
        return "".join(element.value.split())
    return "".join(_mammoth_text(child) for child in getattr(element, "children", []))


def _local(attributes: dict[str, str]) -> dict[str, str]:
    """Attributes by local name (expat names them `namespace}local`)."""
    return {name.rpartition("}")[2]: value for name, value in attributes.items()}


def _on(value: str | None) -> bool:
    """An OOXML on/off attribute: absent means on."""
    return value is None or value.lower() not in ("0", "false", "off")


def _look_bits(value: str | None) -> int:
    try:
        return int(value or "0", 16)
    except ValueError:
        return 0
