"""Vector primitives shared by the charts: colours, measured text, shapes, marks on the canvas.

Route choice: the charts are drawn directly as ReportLab graphics (`reportlab.graphics.shapes`),
not through matplotlib -> SVG -> svglib.

Both routes were built and measured here (Python 3.11, one core, the bundled sample):

- matplotlib figure -> SVG (`svg.fonttype = none`, so text stays `<text>`) -> `svg2rlg`:
  a Sankey-like figure (60 Bezier ribbons, 22 labels, 480 x 420 pt) takes ~22 ms in
  `savefig(format="svg")` plus ~40 ms in svglib, ~60 ms per chart (an earlier prototype
  measured ~110 ms). The 442 charts of a full run (101 departments x 4, plus 2 per region
  and for France) would cost ~27 s of CPU before a single page is laid out. It works (text
  as real text in the embedded Open Sans, shapes vector): benchmarks/peer_matplotlib.py
  keeps it, done plainly, as the peer benchmarks/bench_peer.py measures each sheet against.
- ReportLab shapes directly (this package): building the Drawing takes ~1.1 ms for the
  balance bars, ~1.9 ms for the treemap, ~3.3 ms for a department Sankey and ~3.9 ms for a
  region or France one (benchmarks/preview_charts.py); all 442 charts of a full run take
  ~1.8 s to build and ~1.1 s more to draw into a PDF canvas.
- The Sankeys, the heaviest charts, go one step further: marks (plain tuples, see
  `CanvasChart` below) written straight onto the pdfgen canvas, without shape objects nor
  renderPDF's walk. Same pixels, about half of the cost of a whole sheet saved.

Other reasons, beyond speed:
- Text is measured with `pdfmetrics.stringWidth` on the very TrueType face that is embedded
  in the PDF, so the "does this label fit in its treemap cell" decisions are exact; there is
  no second renderer's idea of the text extents to reconcile.
- None of these charts uses what matplotlib is good at (axes, ticks, scales, legends): they
  are rectangles, Bezier ribbons and labels positioned by our own layout functions.
- Output is a pure function of the inputs: no figure state, no SVG ids or hash salts, no
  global rcParams to keep deterministic.

matplotlib stays configured with the same fonts (factsheets.fonts sets its family and
`svg.fonttype`), so any future matplotlib-based figure can take the SVG route unchanged.

Coordinates here are ReportLab's: points, origin bottom-left, y upwards.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import NamedTuple

from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Path, Rect, String
from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase.pdfmetrics import getFont

ELLIPSIS = "\u2026"
FIT_TOLERANCE = 1e-6  # points: widths computed from sums of the same widths must still "fit"
MIN_FRAGMENT = 3  # letters of a cut word worth showing before "…"
# Ink extents in em, measured on the Open Sans faces (glyph bounding boxes of "É", "H", "g").
ACCENT_TOP = 0.94
CAP_HEIGHT = 0.72
DESCENDER = 0.25


def color(value: str) -> Color:
    return HexColor(value)


def mix(base: Color, other: Color, amount: float) -> Color:
    """`base` moved `amount` (0-1) of the way towards `other` (e.g. white for a lighter shade)."""
    return Color(
        base.red + (other.red - base.red) * amount,
        base.green + (other.green - base.green) * amount,
        base.blue + (other.blue - base.blue) * amount,
    )


def tint(base: Color, amount: float) -> Color:
    return mix(base, white, amount)


class Font(NamedTuple):
    """A registered ReportLab face at a size, with its measurements."""

    name: str
    size: float

    def width(self, text: str) -> float:
        return _measured(getFont(self.name), self.size, text)

    @property
    def top(self) -> float:
        """Highest ink above the baseline: accented capitals ("É" is 0.93 em in Open Sans)."""
        return ACCENT_TOP * self.size

    @property
    def bottom(self) -> float:
        """Lowest ink below the baseline, as a positive number (descenders: g, p, q)."""
        return DESCENDER * self.size

    @property
    def cap_height(self) -> float:
        """Height of unaccented capitals, used to centre a line on a point."""
        return CAP_HEIGHT * self.size

    @property
    def line_height(self) -> float:
        return 1.2 * self.size


# A sheet's charts measure some 800 labels, values and trial cuts, most of them measured on
# earlier sheets (the same products, countries, headers): each is measured once per process,
# by the face object registered under the name (a name registered again is measured anew).
@functools.lru_cache(maxsize=16384)
def _measured(face, size: float, text: str) -> float:
    """pdfmetrics.stringWidth(text, name, size) for the face registered as that name."""
    return face.stringWidth(text, size)


def truncate(text: str, font: Font, max_width: float) -> str | None:
    """`text`, or its longest prefix + "…" that fits `max_width`; None when not even "x…" fits.

    The cut is made between characters, so "Produits sidérurgiques" gives "Produits sidér…"
    rather than a bare "Produits…" that would not tell two products apart. A cut leaving
    fewer than MIN_FRAGMENT letters of a word falls back to the previous word boundary.
    """
    max_width += FIT_TOLERANCE
    if font.width(text) <= max_width:
        return text
    for end in range(len(text) - 1, 0, -1):
        prefix = text[:end]
        fragment = prefix.rsplit(" ", 1)[-1]
        if " " in prefix and 0 < len(fragment) < MIN_FRAGMENT and not text[end].isspace():
            continue  # "Produits s…": the lone letter says nothing; the boundary cut comes later
        candidate = prefix.rstrip(" ,;:-–") + ELLIPSIS
        if candidate != ELLIPSIS and font.width(candidate) <= max_width:
            return candidate
    return None


def wrap(text: str, font: Font, max_width: float, max_lines: int, shorten: bool = False) -> list[str] | None:
    """Greedy word wrap into at most `max_lines` lines of `max_width`.

    Without `shorten`, None when the whole text cannot fit. With it, the text that does not
    fit goes on the last line, cut with "…" (see `truncate`); None only when nothing fits.
    """
    max_width += FIT_TOLERANCE
    words = text.split()
    lines: list[str] = []
    while words and max_lines > 0:
        if len(lines) == max_lines - 1:  # the last line takes the rest, whole or cut
            rest = " ".join(words)
            if font.width(rest) <= max_width:
                return lines + [rest]
            last = truncate(rest, font, max_width - FIT_TOLERANCE) if shorten else None
            return lines + [last] if last else None
        count = 0
        while count < len(words) and font.width(" ".join(words[: count + 1])) <= max_width:
            count += 1
        if count == 0:  # a word wider than the line: only a cut can show it
            last = truncate(" ".join(words), font, max_width - FIT_TOLERANCE) if shorten else None
            return lines + [last] if last else None
        lines.append(" ".join(words[:count]))
        words = words[count:]
    return lines if not words else None


# The attributes a String, Rect or Line constructor sets, with their defaults, in the order
# it sets them (its __dict__), from one shape made per process: pdf_drawing.draw_marks writes
# the lines a shape's defaults give.
@functools.cache
def _attributes_of(kind: type) -> dict:
    made = {String: lambda: String(0, 0, ""), Rect: lambda: Rect(0, 0, 0, 0), Line: lambda: Line(0, 0, 0, 0)}[kind]()
    return dict(made.__dict__)


def text(x: float, y: float, value: str, font: Font, fill: Color, anchor: str = "start") -> String:
    return String(x, y, value, fontName=font.name, fontSize=font.size, fillColor=fill, textAnchor=anchor)


def rect(
    x: float,
    y: float,
    width: float,
    height: float,
    fill: Color,
    stroke: Color | None = None,
    stroke_width: float = 0.0,
    opacity: float | None = None,
) -> Rect:
    shape = Rect(x, y, width, height, fillColor=fill, strokeColor=stroke, strokeWidth=stroke_width)
    if opacity is not None:
        shape.fillOpacity = opacity
    return shape


def line(x1: float, y1: float, x2: float, y2: float, stroke: Color, width: float = 0.5) -> Line:
    return Line(x1, y1, x2, y2, strokeColor=stroke, strokeWidth=width)


def dot(mark: CircleMark) -> Circle:
    """A CircleMark as a shape: filled, not stroked."""
    return Circle(mark.x, mark.y, mark.radius, fillColor=mark.fill, strokeColor=None, strokeWidth=0)


def ribbon(x0: float, x1: float, source: tuple[float, float], target: tuple[float, float], fill: Color, opacity: float) -> Path:
    """A filled band from the vertical span `source` at x0 to `target` at x1.

    Both edges are cubic Beziers with horizontal tangents at the ends (control points at the
    middle x), the usual smooth Sankey ribbon; spans are (low, high) in drawing coordinates.
    """
    mid = (x0 + x1) / 2
    (s_low, s_high), (t_low, t_high) = source, target
    path = Path(fillColor=fill, fillOpacity=opacity, strokeColor=None, strokeWidth=0)
    path.moveTo(x0, s_high)
    path.curveTo(mid, s_high, mid, t_high, x1, t_high)
    path.lineTo(x1, t_low)
    path.curveTo(mid, t_low, mid, s_low, x0, s_low)
    path.closePath()
    return path


def drawing(width: float, height: float, shapes: Sequence, font: Font) -> Drawing:
    """The chart. Its initial font is ours, so rendering it never pulls in Helvetica."""
    result = Drawing(width, height, initialFontName=font.name, initialFontSize=font.size)
    group = Group(*shapes)
    result.add(group)
    return result


# -- marks: one description of a chart, two ways to draw it --------------------------------
# A Sankey is a few hundred marks. As `reportlab.graphics.shapes` objects, each one is an
# object with validated attributes that renderPDF then walks node by node, saving and
# restoring the graphics state around every shape: that walk was most of a sheet's cost.
# Marks are plain tuples; `CanvasChart` writes them straight onto the pdfgen canvas (each
# fill colour and opacity set once per run of marks), and `to_drawing` turns the same marks
# into a Drawing for the tests and previews that inspect shapes.
# The marks of every chart drawn as marks (the Sankeys here, the matplotlib figure in
# charts/matplotlib_drawing.py), declared once: the PDF canvas, the web page's SVG
# (html.py) and the Typst peer read the same tuples.
class TextMark(NamedTuple):
    x: float  # where the text starts: the anchor is already applied
    y: float  # baseline
    text: str
    font: Font
    fill: Color
    angle: float = 0.0  # degrees, counter-clockwise, about (x, y)


class RectMark(NamedTuple):
    x: float
    y: float
    width: float
    height: float
    fill: Color
    stroke: Color | None = None  # an outline (the treemap's tiles): ShapeChart only
    stroke_width: float = 0.0


class CircleMark(NamedTuple):
    """A filled disc (the treemap's callout dots): ShapeChart only."""

    x: float
    y: float
    radius: float
    fill: Color


class RibbonMark(NamedTuple):
    x0: float
    x1: float
    source: tuple[float, float]
    target: tuple[float, float]
    fill: Color
    opacity: float


class LineMark(NamedTuple):
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: Color
    width: float


class PathMark(NamedTuple):
    """Any path: moves, lines, Beziers, closed or not, filled and/or stroked (a figure's)."""

    segments: tuple  # ("m" | "l" | "c" | "h", coordinates) in order
    fill: Color | None
    stroke: Color | None
    width: float
    cap: int
    join: int
    dashes: tuple | None  # (phase, lengths) of a dashed stroke

    def operators(self) -> str:
        """The path's PDF operators, painted as its fill and stroke ask."""
        parts = [f"{fp_str(*coordinates)} {op}" if coordinates else op for op, coordinates in self.segments]
        paint = "B" if self.fill is not None and self.stroke is not None else "f" if self.fill is not None else "S"
        return " ".join(parts) + f" {paint}"


Mark = TextMark | RectMark | RibbonMark | LineMark | PathMark | CircleMark


def text_mark(x: float, y: float, value: str, font: Font, fill: Color, anchor: str = "start") -> TextMark:
    """A text placed as `text()` places it: `anchor` start, middle or end at x."""
    if anchor == "end":
        x -= font.width(value)
    elif anchor == "middle":
        x -= font.width(value) / 2
    elif anchor != "start":
        raise ValueError(f"unknown text anchor {anchor!r}")
    return TextMark(x, y, value, font, fill)


def to_drawing(width: float, height: float, marks: Sequence, font: Font) -> Drawing:
    """The marks as ReportLab shapes, in the same order: what `CanvasChart` draws, inspectable."""
    shapes = []
    for mark in marks:
        if isinstance(mark, TextMark):
            shapes.append(text(mark.x, mark.y, mark.text, mark.font, mark.fill))
        elif isinstance(mark, RectMark):
            shapes.append(rect(mark.x, mark.y, mark.width, mark.height, mark.fill, mark.stroke, mark.stroke_width))
        elif isinstance(mark, RibbonMark):
            shapes.append(ribbon(mark.x0, mark.x1, mark.source, mark.target, mark.fill, mark.opacity))
        elif isinstance(mark, CircleMark):
            shapes.append(dot(mark))
        else:
            shapes.append(line(mark.x1, mark.y1, mark.x2, mark.y2, mark.stroke, mark.width))
    return drawing(width, height, shapes, font)


def _ribbon_ops(mark: RibbonMark) -> str:
    mid = (mark.x0 + mark.x1) / 2
    (s_low, s_high), (t_low, t_high) = mark.source, mark.target
    return (
        f"{fp_str(mark.x0, s_high)} m {fp_str(mid, s_high, mid, t_high, mark.x1, t_high)} c "
        f"{fp_str(mark.x1, t_low)} l {fp_str(mid, t_low, mid, s_low, mark.x0, s_low)} c h f*"
    )


class _MarksChart:
    """A chart of marks: its size in points, its marks, the font its Drawing starts with
    (`to_drawing`: the same marks as ReportLab shapes, for the tests and previews)."""

    def __init__(self, width: float, height: float, marks: Sequence, font: Font):
        self.width = width
        self.height = height
        self.marks = tuple(marks)
        self.font = font

    def to_drawing(self) -> Drawing:
        return to_drawing(self.width, self.height, self.marks, self.font)


class CanvasChart(_MarksChart):
    """A chart written straight onto a pdfgen canvas: `width`, `height` and `draw_on(canvas)`.

    Shapes first (ribbons, rectangles, lines, in their order), then the texts. The shapes' PDF operators depend on nothing but the marks, so they are
    formatted once per chart and reused each time it is drawn (a region's charts are drawn
    on every sheet of the region); colours and opacities are set through the canvas, which
    names the opacity states of its own document, and texts always go through the canvas,
    whose font subsets number the glyphs per document. So the bytes are those of a fresh
    chart on every page.
    """

    def __init__(self, width: float, height: float, marks: Sequence, font: Font):
        super().__init__(width, height, marks, font)
        self._runs: list[tuple[tuple, str]] | None = None
        self._texts = [mark for mark in self.marks if isinstance(mark, TextMark)]

    def drawn_marks(self) -> list:
        """The marks in the order they are drawn: shapes first, then the texts."""
        return [mark for mark in self.marks if not isinstance(mark, TextMark)] + self._texts

    def _shape_runs(self) -> list[tuple[tuple, str]]:
        """(graphics state, operators) for each run of shapes drawn with the same state."""
        if self._runs is None:
            runs: list[tuple[tuple, list[str]]] = []
            for mark in self.marks:
                if isinstance(mark, RibbonMark):
                    state, ops = ("fill", mark.fill, mark.opacity), _ribbon_ops(mark)
                elif isinstance(mark, RectMark):
                    if mark.stroke is not None:
                        raise TypeError("a CanvasChart fills its rectangles: an outlined one is a ShapeChart's")
                    state, ops = ("fill", mark.fill, 1.0), f"{fp_str(mark.x, mark.y, mark.width, mark.height)} re f*"
                elif isinstance(mark, LineMark):
                    state, ops = (
                        ("stroke", mark.stroke, mark.width),
                        f"{fp_str(mark.x1, mark.y1)} m {fp_str(mark.x2, mark.y2)} l S",
                    )
                elif isinstance(mark, TextMark):
                    continue
                else:
                    raise TypeError(f"a CanvasChart draws no {type(mark).__name__}: a ShapeChart does")
                if runs and runs[-1][0] == state:
                    runs[-1][1].append(ops)
                else:
                    runs.append((state, [ops]))
            self._runs = [(state, "\n".join(ops)) for state, ops in runs]
        return self._runs

    def draw_on(self, canvas) -> None:
        canvas.saveState()
        for (kind, paint, amount), ops in self._shape_runs():
            if kind == "fill":
                canvas.setFillColor(paint)
                canvas.setFillAlpha(amount)
            else:
                canvas.setStrokeColor(paint)
                canvas.setLineWidth(amount)
            canvas.addLiteral(ops)
        canvas.restoreState()
        if self._texts:
            # One text object per string, as renderPDF writes them: text extraction then
            # sees each label as its own line.
            canvas.saveState()
            font = fill = None
            for mark in self._texts:
                # The marks share a few Font and Color objects: the same object is the same
                # value, without comparing Font's fields and Color's __eq__ (some 500 calls a sheet).
                if mark.font is not font and mark.font != font:
                    font = mark.font
                    canvas.setFont(font.name, font.size)
                if mark.fill is not fill and mark.fill != fill:
                    fill = mark.fill
                    canvas.setFillColor(fill)
                canvas.drawString(mark.x, mark.y, mark.text)
            canvas.restoreState()


_SHAPE_MARKS = (TextMark, RectMark, LineMark, CircleMark)


class ShapeChart(_MarksChart):
    """A chart whose marks are drawn one by one, in their order, as renderPDF draws a Drawing
    of the same shapes (`to_drawing`): each mark inside its own saved graphics state, its
    colours and line settings set anew. The balance bars and the treemap: their PDF
    operators are those they had as Drawings (charts.pdf_drawing.draw_marks writes them
    from the marks, without making the shapes), and the web page draws the same marks.
    `width`, `height` and `draw_on(canvas)`, like CanvasChart."""

    def __init__(self, width: float, height: float, marks: Sequence, font: Font):
        super().__init__(width, height, marks, font)
        for mark in self.marks:  # what a Drawing of shapes can say (a String has no angle)
            if type(mark) not in _SHAPE_MARKS or (type(mark) is TextMark and mark.angle):
                raise TypeError(f"a ShapeChart draws no {type(mark).__name__}{' at an angle' if type(mark) is TextMark else ''}")

    def drawn_marks(self) -> tuple:
        """The marks in the order they are drawn: their own."""
        return self.marks

    def draw_on(self, canvas) -> None:
        from .pdf_drawing import draw_marks

        draw_marks(self, canvas)
