"""The A4 label sheets the mailing labels are printed on (most offices keep one of these in the drawer)."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy


@dataclass(frozen=True)
class LabelSheet:
    """A sheet of self-adhesive labels on A4 (210 × 297 mm), measured in millimetres."""

    name: str
    title: str
    columns: int
    rows: int
    width: float
    height: float
    top: float  # margin above the first row
    left: float  # margin left of the first column
    column_gap: float = 0.0
    font_size: float = 11.0  # pt, of the address lines; the post code is set larger

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows

    def position(self, index: int) -> tuple[float, float]:
        """(left, top) of the `index`-th label of a sheet, filled row by row."""
        row, column = divmod(index, self.columns)
        return self.left + column * (self.width + self.column_gap), self.top + row * self.height


SHEETS = {
    "2x7": LabelSheet(
        "2x7", gettext_lazy("每页 2×7 张（99.1×38.1 毫米）"), 2, 7, 99.1, 38.1, top=15.15, left=4.65, column_gap=2.5
    ),
    "3x8": LabelSheet("3x8", gettext_lazy("每页 3×8 张（70×37 毫米）"), 3, 8, 70.0, 37.0, top=0.5, left=0, font_size=9),
}
