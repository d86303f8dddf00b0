"""WeasyPrint's internals that issues/typesetting/justify.py patches still have the shape it was written for.

justify.py replaces `weasyprint.layout.inline.justify_line` and wraps `Layout.set_text`, and reads
and writes a few box and layout attributes. A WeasyPrint release that changes any of that would
not fail loudly in a build: Chinese lines would silently come out ragged again. This test makes
an upgrade a conscious step.
"""

import inspect
import pkgutil
import re

import weasyprint.layout
from weasyprint.formatting_structure import boxes
from weasyprint.layout import inline
from weasyprint.text import ffi, line_break

UPGRADE = (
    "WeasyPrint changed what issues/typesetting/justify.py or linebreaks.py patch ({what}); it was written against "
    "WeasyPrint 70. Read the new code, adapt justify.py, then update this test and the pin in pyproject.toml."
)


def parameters(function):
    return list(inspect.signature(function).parameters)


def test_the_replaced_and_wrapped_functions_keep_their_signatures():
    expected = {
        "inline.justify_line": (inline.justify_line, ["context", "line", "extra_width"]),
        "line_break.Layout.set_text": (line_break.Layout.set_text, ["self", "text", "justify"]),
        "line_break.create_layout": (
            line_break.create_layout,
            ["text", "style", "context", "max_width", "justification_spacing"],
        ),
        "line_break.Layout.deactivate": (line_break.Layout.deactivate, ["self"]),
    }
    for name, (function, names) in expected.items():
        assert parameters(function) == names, UPGRADE.format(what=f"{name}{inspect.signature(function)}")


def test_justify_line_is_still_called_through_the_inline_module():
    """The patch replaces the module attribute, so every caller must look it up there at call time."""
    assert re.search(r"^\s+justify_line\(context, line, ", inspect.getsource(inline), re.M), UPGRADE.format(
        what="inline.py no longer calls justify_line(context, line, …)"
    )
    for module in pkgutil.iter_modules(weasyprint.layout.__path__):
        if module.name != "inline":
            source = inspect.getsource(__import__(f"weasyprint.layout.{module.name}", fromlist=["_"]))
            assert "import justify_line" not in source, UPGRADE.format(
                what=f"weasyprint.layout.{module.name} imports justify_line by name, out of the patch's reach"
            )


def test_the_attributes_and_pango_calls_justify_uses_are_there():
    for name in ("text", "justification_spacing", "position_x", "width", "pango_layout", "style"):
        assert name in inspect.getsource(boxes) + inspect.getsource(inline), UPGRADE.format(what=f"TextBox.{name}")
    for cls in (boxes.LineBox, boxes.InlineBox, boxes.TextBox):
        assert hasattr(cls, "is_in_normal_flow") and hasattr(cls, "translate"), UPGRADE.format(what=cls.__name__)
    set_text = inspect.getsource(line_break.Layout.set_text)
    assert "self.text" in set_text and "self.layout" in set_text, UPGRADE.format(what="Layout.set_text's attributes")
    for name in (
        "pango_attr_letter_spacing_new",
        "pango_attr_list_change",
        "pango_attr_list_new",
        "pango_attr_list_unref",
        "pango_layout_get_attributes",
        "pango_layout_set_attributes",
    ):
        assert hasattr(ffi.pango, name), UPGRADE.format(what=f"pango.{name}")
    assert ffi.TO_UNITS == 1024, UPGRADE.format(what="TO_UNITS")


def test_what_linebreaks_wraps_is_still_called_through_its_module():
    """linebreaks.py wraps inline.split_text_box and block.iter_line_boxes by replacing module attributes."""
    from weasyprint.layout import block

    assert parameters(inline.split_text_box) == ["context", "box", "available_width", "skip", "is_line_start"], (
        UPGRADE.format(what=f"inline.split_text_box{inspect.signature(inline.split_text_box)}")
    )
    assert re.search(r"= split_text_box\(\s*context, box, ", inspect.getsource(inline)), UPGRADE.format(
        what="inline.py no longer calls split_text_box(context, box, …)"
    )
    assert "from .inline import iter_line_boxes" in inspect.getsource(block), UPGRADE.format(
        what="block.py no longer imports iter_line_boxes by name (linebreaks.py replaces block.iter_line_boxes)"
    )
    assert re.search(r"= iter_line_boxes\(\s*context, child, ", inspect.getsource(block)), UPGRADE.format(
        what="block.py no longer calls iter_line_boxes(context, child, …)"
    )
    assert hasattr(ffi.pango, "pango_attr_font_features_new"), UPGRADE.format(what="pango_attr_font_features_new")
