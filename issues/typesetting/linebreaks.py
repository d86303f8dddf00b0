"""Where lines of Chinese break: better than the browser's first fit, within WeasyPrint's own loop.

WeasyPrint (like Chromium) breaks a line at the last opportunity that fits and leaves the rest
to justification. In Chinese that goes wrong in three ways, fixed here one line at a time when
`split_text_box` has broken a justified text box:

- **Loose lines.** When an unbreakable run (``2294.45``, ``B2B``) does not fit, the line's slack
  is spread over its gaps and the line looks spaced out. The line is then laid out again
  squeezed (justify.Squeeze: one, two, three, then all of its punctuation marks half width,
  then slightly negative letter-spacing); the first squeeze that takes in more text is kept, and
  justification spreads what is left over.
- **孤字.** A paragraph whose last line would hold one character: the line before it is squeezed
  to take the character in, or, if no squeeze can, breaks one character earlier (pushed), so the
  last line holds two.
- **Punctuation at the wrong end of a line.** Pango follows UAX #14, under which quotation marks
  are ambiguous: a closing ” may start a line and an opening “ end one. Such a break is squeezed
  or pushed like a 孤字.

Only the text box that ends a line is laid out again, so the cost is a few extra Pango layouts
per affected line. `install()` wraps `weasyprint.layout.inline.split_text_box` and
`weasyprint.layout.block.iter_line_boxes` (which marks the text box that ends a paragraph).
"""

from weasyprint.formatting_structure import boxes
from weasyprint.layout import block, inline

from issues.typesetting import justify

# A line is loose when its slack would widen each gap by more than this (the benchmark's limit is 0.12).
LOOSE_EM = 0.1
# Tried in order: punctuation compression first, letter-spacing last.
SQUEEZES = (
    justify.Squeeze(half_width_marks=1),
    justify.Squeeze(half_width_marks=2),
    justify.Squeeze(half_width_marks=3),
    justify.Squeeze(),
    justify.Squeeze(letter_spacing_em=-0.03),
    justify.Squeeze(letter_spacing_em=-0.06),
)
MAX_PUSH = 3  # characters a line may give to the next to avoid a 孤字 or a misplaced mark

_original_split_text_box = inline.split_text_box
_original_iter_line_boxes = block.iter_line_boxes


def install():
    inline.split_text_box = split_text_box
    block.iter_line_boxes = iter_line_boxes


def iter_line_boxes(context, box, *args, **kwargs):
    """WeasyPrint's, after marking the last text box of the paragraph `box` (a LineBox) holds."""
    if not getattr(box, "cjk_marked", False):
        box.cjk_marked = True
        last = _last_text_box(box)
        if last is not None:
            last.ends_paragraph = True
    return _original_iter_line_boxes(context, box, *args, **kwargs)


def _last_text_box(box):
    for child in reversed(getattr(box, "children", ())):
        if not child.is_in_normal_flow():
            continue
        if isinstance(child, boxes.TextBox):
            if child.text.strip():
                return child
        elif isinstance(child, (boxes.InlineBox, boxes.LineBox)):
            found = _last_text_box(child)
            if found is not None:
                return found
        else:
            return None  # an image or inline block ends the paragraph
    return None


def split_text_box(context, box, available_width, skip, is_line_start=True):
    """WeasyPrint's split, laid out again squeezed or pushed when the break is one of the module's faults."""
    result = _original_split_text_box(context, box, available_width, skip, is_line_start)
    new_box, resume, preserved_break = result
    if (
        new_box is None
        or resume is None
        or preserved_break
        or available_width is None
        or box.style["text_align_all"] != "justify"
        or box.style["white_space"] != "normal"
        or not justify.CJK.search(new_box.text)
    ):
        return result
    faults = _faults(box, new_box, resume, available_width)
    if not faults:
        return result

    for squeeze in SQUEEZES:
        token = justify.current_squeeze.set(squeeze)
        try:
            squeezed = _original_split_text_box(context, box, available_width, skip, is_line_start)
        finally:
            justify.current_squeeze.reset(token)
        squeezed_box, squeezed_resume, _preserved = squeezed
        if squeezed_box is None or (squeezed_resume is not None and squeezed_resume <= resume):
            continue  # took in nothing more
        if squeezed_resume is None or not _faults(box, squeezed_box, squeezed_resume, available_width) - {"loose"}:
            squeezed_box.cjk_squeeze = squeeze
            return squeezed
    if faults == {"loose"}:
        return result

    font_size = box.style["font_size"]
    for characters in range(1, MAX_PUSH + 1):
        pushed = _original_split_text_box(context, box, available_width - characters * font_size, skip, is_line_start)
        pushed_box, pushed_resume, _preserved = pushed
        if pushed_box is None or pushed_resume is None or pushed_resume >= resume:
            continue
        if not _faults(box, pushed_box, pushed_resume, available_width) - {"loose"}:
            return pushed
    return result


def _faults(box, new_box, resume, available_width) -> set[str]:
    """What is wrong with breaking `box` after `new_box`, the rest starting at byte `resume`."""
    faults = set()
    line, rest = new_box.text.rstrip(), box.text.encode()[resume:].decode()
    gaps = max(1, len(justify.CJK.findall(line)) - 1)
    if (available_width - new_box.width) / gaps > LOOSE_EM * box.style["font_size"]:
        faults.add("loose")
    if getattr(box, "ends_paragraph", False) and len(rest.strip().rstrip(justify.PUNCTUATION)) <= 1:
        faults.add("orphan")
    if rest[:1] in justify.CLOSING or rest[:1] in "？！" or (line and line[-1] in justify.OPENING):
        faults.add("punctuation")
    return faults
