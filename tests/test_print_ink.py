"""Ink for print: the print PDF sets its text and rules in CMYK (text on the black plate alone), the
screen PDF stays RGB.

The stylesheets are compared rule by rule, so a colour added to issue.css without its ink in
print.css fails here before anything is typeset; then a small issue with every kind of element is
typeset once for the module and every colour its pages paint is read back from the content
streams, so nothing that CSS does not show (WeasyPrint's own stylesheet, inherited colours) slips
through either.
"""

import colorsys
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import tinycss2
from django.conf import settings
from django.test import override_settings
from pypdf import PdfReader
from pypdf.generic import ContentStream, TextStringObject
from tinycss2.color5 import parse_color

from articles.models import Article, Contributor
from issues.models import Issue, Periodical, Section, StandingPage
from issues.typesetting.build import issue_build_pdf
from tests.factories import image_bytes, make_article, make_issue, make_section

pytestmark = pytest.mark.django_db

STYLES = Path(__file__).resolve().parent.parent / "static" / "typesetting"
PURE_BLACK = (0.0, 0.0, 0.0, 1.0)
PAPER = (0.0, 0.0, 0.0, 0.0)
MM = 72 / 25.4


# The stylesheets -------------------------------------------------------------------------------


def colour_declarations(css):
    """{(rule, property): [colours]} for every declaration of `css` that names a colour.

    `rule` is the selector, or "@page …" and "@page … @top-center" inside page rules.
    """
    found = {}

    def visit(nodes, context):
        for node in nodes:
            if node.type == "declaration":
                if colours := list(_colours(node.value)):
                    found[context, node.lower_name] = colours
            elif node.type == "qualified-rule":
                visit(tinycss2.parse_blocks_contents(node.content, skip_whitespace=True), _normalised(node.prelude))
            elif node.type == "at-rule" and node.content is not None:
                name = f"{context} @{node.lower_at_keyword} {_normalised(node.prelude)}".strip()
                visit(tinycss2.parse_blocks_contents(node.content, skip_whitespace=True), name)

    visit(tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True), "")
    return found


def _colours(tokens):
    """The inks a value names, those inside functions (a gradient's stops) too; not `transparent`."""
    for token in tokens:
        colour = parse_color(token)
        if colour is None and token.type == "function":
            yield from _colours(token.arguments)
        elif colour not in (None, "currentcolor") and colour.alpha > 0:
            yield colour


def _normalised(prelude):
    return re.sub(r"\s+", " ", tinycss2.serialize(prelude)).strip()


def screen_and_print_colours():
    screen = colour_declarations((STYLES / "issue.css").read_text(encoding="utf-8"))
    printed = colour_declarations((STYLES / "print.css").read_text(encoding="utf-8"))
    return screen, printed


def print_override(printed, rule, prop):
    """The colours print.css gives `prop` (or its -color longhand) of `rule`, or None."""
    for candidate in (prop, f"{prop}-color"):
        if (rule, candidate) in printed:
            return printed[rule, candidate]
    return None


def test_every_colour_of_issue_css_is_set_again_in_cmyk_by_print_css():
    screen, printed = screen_and_print_colours()
    assert len(screen) > 20  # the parser sees issue.css's colours
    missing = [
        f"{rule} {{ {prop} }}"
        for (rule, prop), colours in screen.items()
        if len(print_override(printed, rule, prop) or ()) != len(colours)
    ]
    assert missing == [], "print.css has no ink for these colours of issue.css (same selector, same property)"
    not_cmyk = [f"{rule} {{ {prop} }}" for (rule, prop), colours in printed.items() for colour in colours
                if colour.space != "device-cmyk"]  # fmt: skip
    assert not_cmyk == [], "print.css may only name device-cmyk() colours"
    # WeasyPrint 70 paints a gradient in sRGB whatever its stops (weasyprint/images.py): print a flat ink.
    assert "gradient(" not in (STYLES / "print.css").read_text(encoding="utf-8")


def test_one_screen_colour_is_one_ink_and_greys_print_on_the_black_plate_alone():
    screen, printed = screen_and_print_colours()
    inks = {}
    for (rule, prop), colours in screen.items():
        overrides = print_override(printed, rule, prop) or []  # a missing one fails the test above
        for colour, ink in zip(colours, overrides, strict=False):
            inks.setdefault(tuple(round(channel, 4) for channel in colour.to("srgb").coordinates), set()).add(
                tuple(ink.coordinates)
            )
    assert all(len(ink) == 1 for ink in inks.values()), inks
    inks = {rgb: ink.pop() for rgb, ink in inks.items()}

    assert inks[tuple(round(channel, 4) for channel in parse_color("#1a1a1a").to("srgb").coordinates)] == PURE_BLACK
    assert inks[1.0, 1.0, 1.0] == PAPER
    greys = sorted((rgb for rgb in inks if colorsys.rgb_to_hsv(*rgb)[1] < 0.01), reverse=True)  # light to dark
    assert len(greys) >= 4
    assert all(inks[grey][:3] == (0, 0, 0) for grey in greys), {grey: inks[grey] for grey in greys}
    blacks = [inks[grey][3] for grey in greys]
    assert blacks == sorted(blacks), "a darker grey on screen prints with more black"


# The typeset PDFs -----------------------------------------------------------------------------


@dataclass
class Run:
    """Text shown by one operator: where (mm from the trimmed page's top left) and in which ink."""

    page: int
    text: str
    left: float
    top: float
    space: str
    colour: tuple[float, ...]


@dataclass
class Paint:
    """A fill or stroke of a path that reaches into the trimmed page, or a shading."""

    page: int
    operator: str
    space: str
    colour: tuple[float, ...]


@dataclass
class Inks:
    runs: list[Run]
    paints: list[Paint]
    images: int

    def of(self, fragment, where=lambda run: True):
        """The inks of the runs of text containing `fragment` (all of them must be found)."""
        inks = {run.colour for run in self.runs if fragment in run.text and where(run)}
        assert inks, f"{fragment!r} is not printed"
        return inks

    @property
    def spaces(self):
        return {run.space for run in self.runs} | {paint.space for paint in self.paints}


def read_inks(pdf):
    """Every run of text and every painted path of `pdf`, with the colour space and colour it is painted in.

    Paths wholly outside the trim box (WeasyPrint's crop marks) are left out, and so are images:
    they are the preflight's business.
    """
    reader = PdfReader(io.BytesIO(pdf))
    inks = Inks(runs=[], paints=[], images=0)
    for number, page in enumerate(reader.pages, start=1):
        trim = [float(value) for value in page.trimbox]
        _PageReader(reader, number, trim, inks).read(page.get_contents(), page["/Resources"], _PageReader.INITIAL)
    return inks


def _multiply(m, n):
    """The matrix product m × n of two PDF matrices (a b c d e f)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


def _apply(m, x, y):
    return (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])


class _PageReader:
    """Enough of a PDF content-stream interpreter to know the colour of every mark on a page."""

    DEVICE = {b"rg": "/DeviceRGB", b"g": "/DeviceGray", b"k": "/DeviceCMYK"}
    FILLS, STROKES = {b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"}, {b"S", b"s", b"B", b"B*", b"b", b"b*"}
    SHOWS = {b"Tj", b"TJ", b"'", b'"'}
    # Graphics state: matrix, fill and stroke (colour space, colour), text rendering mode.
    INITIAL = {"ctm": (1, 0, 0, 1, 0, 0), "fill": ("/DeviceGray", (0.0,)), "stroke": ("/DeviceGray", (0.0,)), "mode": 0}

    def __init__(self, reader, number, trim, inks):
        self.reader, self.number, self.trim, self.inks = reader, number, trim, inks

    def read(self, stream, resources, state):
        resources, state = resources.get_object(), dict(state)
        stack, path, font, text_matrix = [], [], None, (1, 0, 0, 1, 0, 0)
        for operands, operator in ContentStream(stream, self.reader).operations:
            if operator == b"q":
                stack.append(dict(state))
            elif operator == b"Q":
                state = stack.pop()
            elif operator == b"cm":
                state["ctm"] = _multiply(tuple(map(float, operands)), state["ctm"])
            elif operator.lower() in self.DEVICE:
                side = "fill" if operator.islower() else "stroke"
                state[side] = (self.DEVICE[operator.lower()], tuple(map(float, operands)))
            elif operator in (b"cs", b"CS"):
                side = "fill" if operator == b"cs" else "stroke"
                state[side] = (self._space(operands[0], resources), ())
            elif operator in (b"sc", b"scn", b"SC", b"SCN"):
                side = "fill" if operator.islower() else "stroke"
                state[side] = (state[side][0], tuple(float(o) for o in operands if not isinstance(o, str)))
            elif operator in (b"m", b"l", b"c", b"v", b"y"):
                path.extend(_apply(state["ctm"], *map(float, operands[i : i + 2])) for i in range(0, len(operands), 2))
            elif operator == b"re":
                x, y, width, height = map(float, operands)
                path.extend(_apply(state["ctm"], px, py) for px in (x, x + width) for py in (y, y + height))
            elif operator in self.FILLS | self.STROKES | {b"n"}:
                if self._reaches_trim(path):
                    for side, painting in (("fill", self.FILLS), ("stroke", self.STROKES)):
                        if operator in painting:
                            self.inks.paints.append(Paint(self.number, operator.decode(), *state[side]))
                path = []
            elif operator == b"sh":
                shading = resources["/Shading"][operands[0]].get_object()
                space = self._space(shading["/ColorSpace"], resources)
                self.inks.paints.append(Paint(self.number, "sh", space, ()))
            elif operator == b"Tr":
                state["mode"] = int(operands[0])
            elif operator == b"Tf":
                font = self._to_unicode(resources["/Font"][operands[0]].get_object())
            elif operator == b"BT":
                text_matrix = (1, 0, 0, 1, 0, 0)
            elif operator == b"Tm":
                text_matrix = tuple(map(float, operands))
            elif operator in (b"Td", b"TD"):
                text_matrix = _multiply((1, 0, 0, 1, float(operands[0]), float(operands[1])), text_matrix)
            elif operator in self.SHOWS:
                strings = operands[0] if operator == b"TJ" else operands[-1:]
                text = "".join(self._decode(string, font) for string in strings if not isinstance(string, int | float))
                x, y = _apply(_multiply(text_matrix, state["ctm"]), 0, 0)
                where = (x - self.trim[0]) / MM, (self.trim[3] - y) / MM
                if state["mode"] in (0, 2, 4, 6):
                    self.inks.runs.append(Run(self.number, text, *where, *state["fill"]))
                if state["mode"] in (1, 2, 5, 6):
                    self.inks.runs.append(Run(self.number, text, *where, *state["stroke"]))
            elif operator == b"Do":
                xobject = resources["/XObject"][operands[0]].get_object()
                if xobject["/Subtype"] == "/Form":  # drawn in the state it is called in
                    matrix = tuple(map(float, xobject.get("/Matrix", (1, 0, 0, 1, 0, 0))))
                    inner = dict(state, ctm=_multiply(matrix, state["ctm"]))
                    self.read(xobject, xobject.get("/Resources", resources), inner)
                else:
                    self.inks.images += 1
            elif operator == b"INLINE IMAGE":
                self.inks.images += 1

    def _space(self, name, resources):
        if name in ("/DeviceRGB", "/DeviceGray", "/DeviceCMYK", "/Pattern"):
            return name
        space = resources["/ColorSpace"][name].get_object() if isinstance(name, str) else name.get_object()
        if space[0] == "/ICCBased":
            return f"/ICCBased({space[1].get_object()['/N']})"
        return str(space[0])

    def _reaches_trim(self, points, tolerance=0.01):
        if not points:
            return False
        left, bottom, right, top = self.trim
        xs, ys = [x for x, _y in points], [y for _x, y in points]
        return (
            max(xs) > left + tolerance
            and min(xs) < right - tolerance
            and max(ys) > bottom + tolerance
            and min(ys) < top - tolerance
        )

    def _to_unicode(self, font):
        """{glyph code: text} from the font's ToUnicode map (WeasyPrint writes bfchar entries only)."""
        cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
        return {
            bytes.fromhex(code): bytes.fromhex(text).decode("utf-16-be")
            for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.DOTALL)
            for code, text in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>", block)
        }

    def _decode(self, string, font):
        raw = string.original_bytes if isinstance(string, TextStringObject) else bytes(string)
        width = len(next(iter(font))) if font else 1
        return "".join(font.get(raw[i : i + width], "\ufffd") for i in range(0, len(raw), width))


BODY = (
    "<p>正文第一段，黑色油墨印刷。</p>"
    "<h2>一、小标题</h2><p>小标题下的正文。<mark>重点提示</mark>，<u>下划线</u>，<s>删除线</s>。</p>"
    "<h3>（一）三级标题</h3><ul><li>列表一项</li></ul><blockquote>引文一段。</blockquote><hr>"
    "<table><thead><tr><th>地区</th><th>金额</th></tr></thead>"
    "<tbody><tr><td>南滨</td><td>12.5</td></tr><tr><td>北岭</td><td>8.0</td></tr></tbody></table>"
    '<p>表后正文。</p><figure><img src="/media/articles/images/ink.png" alt="图"><figcaption>图1 油墨示意</figcaption></figure>'
)


@pytest.fixture(scope="module")
def inks(django_db_setup, django_db_blocker, tmp_path_factory):
    """The print and screen PDFs of a small issue with every kind of element, read for their inks."""
    root = tmp_path_factory.mktemp("ink-build")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=root / "media", PROTECTED_ROOT=root / "protected"):
        (Path(settings.MEDIA_ROOT) / "articles" / "images").mkdir(parents=True)
        (Path(settings.MEDIA_ROOT) / "articles" / "images" / "ink.png").write_bytes(image_bytes(size=(300, 200)))
        periodical = Periodical.load()
        periodical.name, periodical.slogan, periodical.permit_number = "油墨通讯", "聚焦油墨前沿", "油内字第 1 号"
        periodical.guiding_unit, periodical.host_unit = "南滨市印刷局", "南滨市印刷中心"
        periodical.call_for_papers = "本刊征集印刷技术稿件。"
        periodical.pages_per_signature = 8  # room for the standing page
        periodical.save()
        StandingPage.objects.create(periodical=periodical, title="读者须知", text="本刊免费赠阅。")
        issue = make_issue(year=2021, number=3, title="油墨专题", masthead=[("主编", "赵主编")])
        make_article(issue=issue, section=make_section(name="卷首语", position=1), title="致读者", position=1,
                     body="<p>卷首语正文。</p>", byline="文 / 钱卷首")  # fmt: skip
        make_article(issue=issue, section=make_section(name="特别报道", position=2), title="印刷油墨报告",
                     subtitle="规模与结构", byline="文 / 孙研究", source="南滨日报", position=2, body=BODY)  # fmt: skip
        news = make_section(name="行业动态", position=3)
        local = make_section(name="本地简讯", parent=news, position=1)
        make_article(issue=issue, section=local, title="简讯甲", position=3, body="<p>简讯甲正文。</p>", source="晚报")
        make_article(issue=issue, section=local, title="简讯乙", position=4, body="<p>简讯乙正文。</p>", in_toc=False)
        built = {variant: issue_build_pdf(issue=issue, variant=variant, force=True) for variant in ("print", "screen")}
        assert all(record.error == "" for record in built.values()), [record.error for record in built.values()]
        yield {variant: read_inks(record.path.read_bytes()) for variant, record in built.items()}
        Article.objects.all().delete()
        for queryset in (Issue.objects, Section.objects.filter(parent__isnull=False), Section.objects,
                         Contributor.objects, StandingPage.objects, Periodical.objects):  # fmt: skip
            queryset.all().delete()


@pytest.fixture(autouse=True)
def isolated_files():
    """The module's files stay where the issue was built (instead of a folder per test)."""


def test_the_print_variant_paints_text_and_rules_in_cmyk_only(inks):
    printed = inks["print"]
    assert len(printed.runs) > 50 and len(printed.paints) > 20 and printed.images == 1
    text = [f"p{run.page} {run.text[:12]!r} in {run.space} {run.colour}" for run in printed.runs
            if run.space != "/DeviceCMYK"]  # fmt: skip
    paths = [f"p{paint.page} {paint.operator} in {paint.space} {paint.colour}" for paint in printed.paints
             if paint.space != "/DeviceCMYK"]  # fmt: skip
    assert text + paths == []


def test_text_prints_in_pure_black_greys_in_black_alone_and_colour_in_the_brand_ink(inks):
    printed = inks["print"]
    black = ["正文第一段", "小标题下的正文", "一、小标题", "（一）三级标题", "列表一项", "引文一段", "地区", "北岭",
             "12.5", "表后正文", "印刷油墨报告", "简讯甲正文", "卷首语正文", "赵主编", "本刊征集印刷技术稿件",
             "本刊免费赠阅", "重点提示", "南滨市印刷中心", "-1-"]  # fmt: skip
    for fragment in black:
        assert printed.of(fragment) == {PURE_BLACK}, fragment
    assert printed.of(".", where=lambda run: run.page == 2) == {PURE_BLACK}  # the contents' dot leaders

    greys = set().union(
        *map(printed.of, ["文 / 孙研究", "——规模与结构", "（来源：南滨日报）", "（来源：晚报）", "图1 油墨示意"]),
        printed.of("本地简讯", where=lambda run: run.page == 2),  # the contents' sub-section marker
    )
    assert all(ink[:3] == (0, 0, 0) and 0 < ink[3] < 1 for ink in greys), greys  # tints of black alone

    for fragment in ["油墨通讯", "2021年第3期", "卷首语", "特别报道"]:  # on the cover's and the sections' bands
        assert PAPER in printed.of(fragment), fragment
    brand = set().union(
        printed.of("特别报道", where=lambda run: run.top < 22),  # running head
        printed.of("◎特别报道"),  # cover headlines
        printed.of("油墨专题"),  # cover theme
        printed.of("聚焦油墨前沿"),  # slogan
        printed.of("目", where=lambda run: run.page == 2),  # contents heading (letter-spaced)
        printed.of("本地简讯", where=lambda run: run.page > 2),  # the sub-section's marker over its briefs
        printed.of("读者须知"),
        printed.of("征稿启事"),
    )
    assert len(brand) == 1 and brand.pop()[:3] != (0, 0, 0)  # one ink, a colour and not a grey
    colours = {run.colour for run in printed.runs if run.colour[:3] != (0, 0, 0)}
    assert colours == printed.of("油墨专题"), "no rich black and no other colour"


def test_rules_print_in_the_brand_ink_or_in_black_alone(inks):
    printed = inks["print"]
    (brand,) = printed.of("油墨专题")
    # WeasyPrint fills a box's solid borders as a ring (f*) and strokes a collapsed table's and a text decoration's.
    rules = {paint.colour for paint in printed.paints if paint.operator in ("S", "f*")}
    assert {colour for colour in rules if colour[:3] != (0, 0, 0)} == {brand}  # running head, contents, masthead
    assert any(0 < colour[3] < 1 for colour in rules - {brand})  # the table's rules and <hr>, tints of black
    assert PURE_BLACK in rules  # underline and strike-through, in the text's ink
    bands = {paint.colour for paint in printed.paints if paint.operator == "f"}
    assert brand in bands  # the cover's and the sections' bands


def test_the_screen_variant_stays_rgb(inks):
    screen = inks["screen"]
    assert screen.spaces == {"/DeviceRGB"}
    body_text = parse_color("#1a1a1a").to("srgb").coordinates
    assert screen.of("正文第一段") == {tuple(round(channel, 6) for channel in body_text)}
