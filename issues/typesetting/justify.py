"""Justified Chinese: spread a line's slack over the gaps between CJK characters, not only spaces.

WeasyPrint 70 justifies a line by widening its spaces (U+0020/U+00A0). A line of Chinese
has none, so `text-align: justify` leaves it ragged. Here the slack is shared by every
justification opportunity of the line — spaces as before, plus the gap after each CJK
character except the line's last — by giving those characters Pango letter-spacing when
the line is drawn. Only glyph positions change: the PDF's text is the same characters,
so it copies and searches cleanly.

`_gain` says how much each text box widens per unit of spacing, following how Pango
spreads letter-spacing, so full lines end exactly at the right margin (tests measure it). `install()` replaces WeasyPrint's `justify_line` and wraps
`Layout.set_text`; both exist as used here in WeasyPrint 70.
"""

import re

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

_installed = False
_original_set_text = line_break.Layout.set_text


def install():
    """Make WeasyPrint justify CJK lines (idempotent)."""
    global _installed
    if not _installed:
        line_break.Layout.set_text = _set_text
        inline.justify_line = justify_line
        _installed = True


def _set_text(self, text, justify=False):
    _original_set_text(self, text, justify)
    spacing = self.justification_spacing if justify else 0
    if not spacing or not CJK.search(self.text):
        return
    style_spacing = self.style["letter_spacing"]
    units = int((spacing + (0 if style_spacing == "normal" else style_spacing)) * TO_UNITS)
    if units % TO_UNITS == 0:
        units += 1  # Pango rounds whole-pixel spacing to one side of the glyph, breaking the halves
    attributes = pango.pango_layout_get_attributes(self.layout)
    if attributes == ffi.NULL:
        attributes = ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
    last = len(self.text) - 1 if getattr(self, "cjk_skip_last", False) else None
    offset = 0  # byte offset of the current character in the UTF-8 string Pango holds
    for index, character in enumerate(self.text):
        size = len(character.encode())
        if index != last and CJK.match(character):
            attribute = pango.pango_attr_letter_spacing_new(units)
            attribute.start_index, attribute.end_index = offset, offset + size
            pango.pango_attr_list_change(attributes, attribute)
        offset += size
    pango.pango_layout_set_attributes(self.layout, attributes)


def justify_line(context, line, extra_width):
    """Share `extra_width` among the line's spaces and CJK gaps (replaces WeasyPrint's)."""
    text_boxes = [box for box in _text_boxes(line) if box.text]
    if not text_boxes:
        return
    last = text_boxes[-1]
    gains = {id(box): _gain(box, skip_last=box is last) for box in text_boxes}
    total = sum(gains.values())
    if total > 0:
        _widen(context, line, extra_width / total, gains, last, 0)


def _text_boxes(box):
    if isinstance(box, boxes.TextBox):
        yield box
    elif isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        for child in box.children:
            if child.is_in_normal_flow():
                yield from _text_boxes(child)


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
