"""Justified Chinese: spread a line's slack over the gaps between CJK characters, and compress punctuation.

WeasyPrint 70 justifies a line by widening its spaces (U+0020/U+00A0). A line of Chinese
has none, so `text-align: justify` leaves it ragged. Here the slack is shared by every
justification opportunity of the line — spaces as before, plus the gap after each CJK
character except the line's last — by giving those characters Pango letter-spacing when
the line is drawn. Only glyph positions change: the PDF's text is the same characters,
so it copies and searches cleanly.

Every layout of Chinese text also sets adjacent punctuation half width (标点挤压, below), during
layout as when drawn, so line breaking sees the compressed widths; a layout made under a
`Squeeze` (linebreaks.py) compresses more and may be set slightly tighter.

`_gain` says how much each text box widens per unit of spacing, following how Pango
spreads letter-spacing, so full lines end exactly at the right margin (tests measure it).
`install()` replaces WeasyPrint's `justify_line`, wraps `Layout.set_text` and installs
linebreaks.py; all exist as used here in WeasyPrint 70 (tests/test_justify_contract.py).
"""

import re
from contextvars import ContextVar
from dataclasses import dataclass

from weasyprint.formatting_structure import boxes
from weasyprint.layout import inline
from weasyprint.text import line_break
from weasyprint.text.ffi import TO_UNITS, ffi, pango

# Han, kana, CJK symbols and punctuation, full-width forms, and the quotes and dashes
# Chinese text uses.
CJK = re.compile(
    "[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u2014\u2018\u2019\u201c\u201d\u2026\u00b7"
    "\U00020000-\U0003134f]"
)

# Punctuation that Chinese typesetting compresses to half width (标点挤压). The Noto CJK fonts
# shipped by Debian (2.00x) have no `chws` feature, so the rule is ours and each mark is set
# half width with the fonts' `halt` feature: a closing mark followed by another mark
# (“。”” → “。” half), an opening mark after another opening mark (“（“” → “ half). Question
# and exclamation marks sit in the middle of their em and are never compressed.
CLOSING = "，。、；：”’）》」』】〕〉"
OPENING = "“‘（《「『【〔〈"
PUNCTUATION = CLOSING + OPENING + "？！"
_COMPRESSIBLE = re.compile(f"[{CLOSING}](?=[{PUNCTUATION}])|(?<=[{OPENING}])[{OPENING}]")
_HALF_WIDTH = re.compile(f"[{CLOSING}{OPENING}]")
HALT = b"halt"


@dataclass(frozen=True)
class Squeeze:
    """How much tighter than its natural width a line of Chinese may be set (linebreaks.py decides when).

    The first `half_width_marks` punctuation marks of the line go half width (all of them when
    None), then every CJK character gets `letter_spacing_em` (negative) of letter-spacing.
    """

    half_width_marks: int | None = None
    letter_spacing_em: float = 0.0


# The squeeze the layouts created now get (linebreaks.py sets it around a line's trial layout); a
# context variable, so that builds in two threads (the immediate task backend) never share it.
current_squeeze: ContextVar[Squeeze | None] = ContextVar("current_squeeze", default=None)

_installed = False
_original_set_text = line_break.Layout.set_text


def install():
    """Make WeasyPrint justify and compress CJK lines, and break them by linebreaks.py's rules (idempotent)."""
    from issues.typesetting import linebreaks  # which imports this module

    global _installed
    if not _installed:
        line_break.Layout.set_text = _set_text
        inline.justify_line = justify_line
        linebreaks.install()
        _installed = True


def half_width_positions(text: str, squeeze: Squeeze | None = None) -> list[int]:
    """Indexes of the punctuation marks of `text` set half width."""
    positions = {match.start() for match in _COMPRESSIBLE.finditer(text)}
    if squeeze is not None:
        marks = [match.start() for match in _HALF_WIDTH.finditer(text)]
        positions.update(marks[: squeeze.half_width_marks])
    return sorted(positions)


def _set_text(self, text, justify=False):
    _original_set_text(self, text, justify)
    if not hasattr(self, "cjk_squeeze"):
        self.cjk_squeeze = current_squeeze.get()  # a layout keeps the squeeze it was made with, until it is drawn
    if not CJK.search(self.text):
        return
    squeeze = self.cjk_squeeze
    half = half_width_positions(self.text, squeeze)
    spacing = self.justification_spacing if justify else 0
    if squeeze is not None:
        spacing += squeeze.letter_spacing_em * self.style["font_size"]
    if not spacing and not half:
        return
    attributes = pango.pango_layout_get_attributes(self.layout)
    if attributes == ffi.NULL:
        attributes = ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
    offsets = [0]  # byte offset of each character in the UTF-8 string Pango holds
    for character in self.text:
        offsets.append(offsets[-1] + len(character.encode()))
    for index in half:
        attribute = pango.pango_attr_font_features_new(HALT)
        attribute.start_index, attribute.end_index = offsets[index], offsets[index + 1]
        pango.pango_attr_list_change(attributes, attribute)
    if spacing:
        style_spacing = self.style["letter_spacing"]
        units = int((spacing + (0 if style_spacing == "normal" else style_spacing)) * TO_UNITS)
        if units % TO_UNITS == 0:
            units += 1  # Pango rounds whole-pixel spacing to one side of the glyph, breaking the halves
        last = len(self.text) - 1 if getattr(self, "cjk_skip_last", False) else None
        for index, character in enumerate(self.text):
            if index != last and CJK.match(character):
                attribute = pango.pango_attr_letter_spacing_new(units)
                attribute.start_index, attribute.end_index = offsets[index], offsets[index + 1]
                pango.pango_attr_list_change(attributes, attribute)
    pango.pango_layout_set_attributes(self.layout, attributes)


def justify_line(context, line, extra_width):
    """Share `extra_width` among the line's spaces and CJK gaps (replaces WeasyPrint's)."""
    line_texts = [box for box in text_boxes(line) if box.text]
    if not line_texts:
        return
    last = line_texts[-1]
    gains = {id(box): _gain(box, skip_last=box is last) for box in line_texts}
    total = sum(gains.values())
    if total > 0:
        _widen(context, line, extra_width / total, gains, last, 0)


def text_boxes(box):
    """The text boxes of a line (or inline box), in order, in normal flow."""
    if isinstance(box, boxes.TextBox):
        yield box
    elif isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        for child in box.children:
            if child.is_in_normal_flow():
                yield from text_boxes(child)


def _gain(box, *, skip_last):
    """How much wider `box` gets per pixel of justification spacing.

    Each space widens by the spacing (WeasyPrint doubles it at the layout's edges, where
    Pango gives half). Pango puts half of a character's letter-spacing before it and half
    after, and drops the outer half at either edge of the layout.
    """
    text = box.text
    spaced = [bool(CJK.match(character)) for character in text]
    if skip_last:
        spaced[-1] = False
    return text.count(" ") + text.count("\u00a0") + sum(spaced) - (spaced[0] + spaced[-1]) / 2


def _widen(context, box, spacing, gains, last, x_advance):
    if isinstance(box, boxes.TextBox):
        box.justification_spacing = spacing
        box.position_x += x_advance
        if gain := gains.get(id(box)):
            layout = line_break.create_layout(
                box.text, box.style, context, max_width=None, justification_spacing=spacing
            )
            layout.cjk_skip_last = box is last
            layout.cjk_squeeze = getattr(box, "cjk_squeeze", None)
            layout.deactivate()
            box.pango_layout = layout
            x_advance += spacing * gain
            box.width += spacing * gain
    elif isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        box.position_x += x_advance
        before = x_advance
        children = box.children[::-1] if box.style["direction"] == "rtl" else box.children
        for child in children:
            if child.is_in_normal_flow():
                x_advance = _widen(context, child, spacing, gains, last, x_advance)
        box.width += x_advance - before
    else:
        box.translate(x_advance, 0)  # an atomic inline (image, inline-block) moves along
    return x_advance
