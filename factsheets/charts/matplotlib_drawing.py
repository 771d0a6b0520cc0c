"""A matplotlib figure replayed onto a ReportLab canvas: vector shapes, real text, our fonts.

Why a renderer of our own rather than matplotlib -> SVG -> svglib (see charts/vector.py for
the cost of that route, ~60 ms a chart): matplotlib draws every figure through a small
`RendererBase` interface (paths, text, text metrics). `MarksRenderer` implements it by
collecting marks, plain tuples like the Sankeys' (charts/vector.py), that `FigureChart`
writes straight onto the pdfgen canvas, so a figure goes into the PDF with no file format,
no shape objects and no renderPDF walk in between:

- paths become PDF path operators (lines, Beziers, fills, dashes), never pixels
  (`draw_image` refuses: the sheets are vector only);
- text is drawn by the canvas in the registered TrueType faces (the body's Open Sans,
  embedded and subset by ReportLab), and matplotlib lays it out with ReportLab's own
  measurements of those faces, so ticks and labels are placed for the font that is printed.

`FigureChart.to_drawing()` gives the same marks as a ReportLab Drawing, for the tests that
inspect shapes and strings. Coordinates: the figure is drawn at 72 dpi, so one matplotlib
pixel is one PDF point, and both put the origin bottom-left (`flipy` is False). Clipping
is not replayed: the charts that use this renderer keep their marks inside the axes.
"""

from __future__ import annotations

from contextlib import contextmanager, nullcontext

from matplotlib.backend_bases import GraphicsContextBase, RendererBase
from matplotlib.path import Path as MplPath
from reportlab.graphics.shapes import Drawing, Group, Path, String
from reportlab.lib.colors import Color
from reportlab.pdfbase.pdfmetrics import getFont, stringWidth

from ..errors import FactsheetsError
from ..fonts import FontNames
from .vector import Font, PathMark, TextMark

POINTS_PER_INCH = 72
_CAPS = {"butt": 0, "round": 1, "projecting": 2}
_JOINS = {"miter": 0, "round": 1, "bevel": 2}


def _weight_number(weight) -> int:
    names = {
        "ultralight": 200,
        "light": 300,
        "normal": 400,
        "regular": 400,
        "book": 400,
        "medium": 500,
        "roman": 400,
        "semibold": 600,
        "demibold": 600,
        "demi": 600,
        "bold": 700,
        "heavy": 800,
        "extra bold": 800,
        "black": 900,
    }
    return int(weight) if isinstance(weight, (int, float)) else names.get(str(weight).lower(), 400)


class MarksRenderer(RendererBase):
    """Collects a figure's marks (see the module docstring)."""

    def __init__(self, width: float, height: float, fonts: FontNames):
        super().__init__()
        self.width = width
        self.height = height
        self.fonts = fonts
        self.marks: list[PathMark | TextMark] = []

    # -- what matplotlib asks of a renderer ---------------------------------------------
    def flipy(self) -> bool:
        return False

    def get_canvas_width_height(self):
        return self.width, self.height

    def points_to_pixels(self, points):
        return points

    def new_gc(self):
        return GraphicsContextBase()

    def option_image_nocomposite(self) -> bool:
        return True

    def draw_image(self, gc, x, y, im, transform=None):
        raise FactsheetsError("graphique matplotlib : une image matricielle n'a pas sa place dans une fiche vectorielle")

    def face(self, prop) -> str:
        """The registered face for a matplotlib FontProperties (weight and style)."""
        weight = _weight_number(prop.get_weight())
        italic = prop.get_style() in ("italic", "oblique")
        if weight >= 700:
            return self.fonts.bold_italic if italic else self.fonts.bold
        if italic:
            return self.fonts.italic
        return self.fonts.semibold if weight >= 600 else self.fonts.regular

    def get_text_width_height_descent(self, s, prop, ismath):
        name = self.face(prop)
        size = prop.get_size_in_points()
        face = getFont(name).face
        ascent, descent = face.ascent / 1000 * size, -face.descent / 1000 * size
        return stringWidth(s, name, size), ascent + descent, descent

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if not s:
            return
        red, green, blue, alpha = gc.get_rgb()
        self.marks.append(
            TextMark(
                float(x),
                float(y),
                s,
                Font(self.face(prop), prop.get_size_in_points()),
                Color(red, green, blue, alpha),
                float(angle or 0.0),
            )
        )

    def draw_markers(self, gc, marker_path, marker_trans, path, trans, rgbFace=None):
        """All the markers of a line as one path (one mark, not one per point: cheaper to draw)."""
        import numpy as np
        from matplotlib.transforms import IdentityTransform

        marker = marker_trans.transform_path(marker_path)
        points = trans.transform(path.vertices)
        points = points[np.isfinite(points).all(axis=1)]
        if not len(points) or not len(marker.vertices):
            return
        codes = marker.codes if marker.codes is not None else np.full(len(marker.vertices), MplPath.LINETO)
        codes = codes.copy()
        codes[0] = MplPath.MOVETO
        vertices = np.concatenate([marker.vertices + point for point in points])
        self.draw_path(gc, MplPath(vertices, np.tile(codes, len(points))), IdentityTransform(), rgbFace)

    def draw_path(self, gc, path, transform, rgbFace=None):
        stroke_width = gc.get_linewidth()
        stroke = None
        if stroke_width > 0:
            red, green, blue, alpha = gc.get_rgb()
            if alpha > 0:
                stroke = Color(red, green, blue, alpha)
        fill = None
        if rgbFace is not None:
            red, green, blue, *rest = rgbFace
            alpha = gc.get_alpha() if gc.get_forced_alpha() else (rest[0] if rest else 1.0)
            if alpha > 0:
                fill = Color(red, green, blue, alpha)
        if stroke is None and fill is None:
            return
        offset, dashes = gc.get_dashes()
        dashed = (
            (offset or 0, tuple(float(d) for d in dashes)) if stroke is not None and dashes is not None and len(dashes) else None
        )
        segments = []
        last = (0.0, 0.0)
        for vertices, code in path.iter_segments(transform, remove_nans=True, simplify=False):
            if code == MplPath.MOVETO:
                segments.append(("m", tuple(vertices[:2])))
            elif code == MplPath.LINETO:
                segments.append(("l", tuple(vertices[:2])))
            elif code == MplPath.CURVE3:  # quadratic: the equivalent cubic
                (cx, cy), (ex, ey) = vertices[:2], vertices[2:]
                x0, y0 = last
                segments.append(
                    (
                        "c",
                        (x0 + 2 / 3 * (cx - x0), y0 + 2 / 3 * (cy - y0), ex + 2 / 3 * (cx - ex), ey + 2 / 3 * (cy - ey), ex, ey),
                    )
                )
            elif code == MplPath.CURVE4:
                segments.append(("c", tuple(vertices[:6])))
            elif code == MplPath.CLOSEPOLY:
                segments.append(("h", ()))
                continue
            last = (vertices[-2], vertices[-1])
        self.marks.append(
            PathMark(
                tuple((op, tuple(float(v) for v in coordinates)) for op, coordinates in segments),
                fill,
                stroke,
                stroke_width if stroke else 0.0,
                _CAPS.get(gc.get_capstyle(), 0),
                _JOINS.get(gc.get_joinstyle(), 0),
                dashed,
            )
        )


class FigureChart:
    """A figure's marks, written straight onto a pdfgen canvas: `width`, `height`, `draw_on`.

    Marks are drawn in matplotlib's order (grid under lines, labels over them). Texts always
    go through the canvas, whose font subsets number the glyphs per document.
    """

    def __init__(self, width: float, height: float, marks, font: str):
        self.width = width
        self.height = height
        self.marks = tuple(marks)
        self.font = font  # the Drawing's initial font, for `to_drawing`

    def draw_on(self, canvas) -> None:
        for mark in self.marks:
            canvas.saveState()
            if isinstance(mark, TextMark):
                canvas.setFont(mark.font.name, mark.font.size)
                canvas.setFillColor(mark.fill)
                if mark.angle:
                    canvas.translate(mark.x, mark.y)
                    canvas.rotate(mark.angle)
                    canvas.drawString(0, 0, mark.text)
                else:
                    canvas.drawString(mark.x, mark.y, mark.text)
            else:
                if mark.fill is not None:
                    canvas.setFillColor(mark.fill)
                if mark.stroke is not None:
                    canvas.setStrokeColor(mark.stroke)
                    canvas.setLineWidth(mark.width)
                    canvas.setLineCap(mark.cap)
                    canvas.setLineJoin(mark.join)
                    if mark.dashes is not None:
                        canvas.setDash(list(mark.dashes[1]), mark.dashes[0])
                canvas.addLiteral(mark.operators())
            canvas.restoreState()

    def drawn_marks(self) -> tuple:
        """The marks in the order they are drawn: matplotlib's."""
        return self.marks

    def to_drawing(self) -> Drawing:
        """The same marks as ReportLab shapes (for inspection: the sheet uses draw_on)."""
        shapes = []
        for mark in self.marks:
            if isinstance(mark, TextMark):
                group = Group(String(0, 0, mark.text, fontName=mark.font.name, fontSize=mark.font.size, fillColor=mark.fill))
                group.translate(mark.x, mark.y)
                if mark.angle:
                    group.rotate(mark.angle)
                shapes.append(group)
                continue
            shape = Path(
                fillColor=mark.fill,
                strokeColor=mark.stroke,
                strokeWidth=mark.width,
                strokeLineCap=mark.cap,
                strokeLineJoin=mark.join,
            )
            if mark.dashes is not None:
                shape.strokeDashArray = [mark.dashes[0], list(mark.dashes[1])]
            draw = {"m": shape.moveTo, "l": shape.lineTo, "c": shape.curveTo}
            for op, coordinates in mark.segments:
                if op == "h":
                    shape.closePath()
                else:
                    draw[op](*coordinates)
            shapes.append(shape)
        result = Drawing(self.width, self.height, initialFontName=self.font, initialFontSize=8)
        result.add(Group(*shapes))
        return result


class StaticMarks:
    """The marks of artists that look the same in every draw of a figure, made once.

    A figure reused from sheet to sheet (charts/evolution.py) keeps its x axis, frame and
    legend; only its data moves. Their draw, a good third of the figure's, is recorded the
    first time and replayed afterwards, in the same place of the drawing order. Keyed by the
    fonts, since the marks carry the face names.
    """

    def __init__(self, artists):
        self.artists = list(artists)
        self._marks: dict[tuple, list] = {}

    @contextmanager
    def replayed(self, renderer: MarksRenderer):
        def replay(index: int, draw):
            def draw_or_replay(draw_renderer, *args, **kwargs):
                key = (index, renderer.fonts)
                if key not in self._marks:
                    start = len(renderer.marks)
                    draw(draw_renderer, *args, **kwargs)
                    self._marks[key] = renderer.marks[start:]
                else:
                    renderer.marks.extend(self._marks[key])

            return draw_or_replay

        for index, artist in enumerate(self.artists):
            artist.draw = replay(index, artist.draw)  # an instance attribute hides the method
        try:
            yield
        finally:
            for artist in self.artists:
                del artist.draw


def figure_chart(figure, fonts: FontNames, static: StaticMarks | None = None) -> FigureChart:
    """The figure as a FigureChart of its size in points (the figure's dpi is set to 72).

    `static`: artists whose marks are replayed from the figure's first draw (see StaticMarks).
    """
    figure.set_dpi(POINTS_PER_INCH)
    width, height = (float(v) * POINTS_PER_INCH for v in figure.get_size_inches())
    # One renderer per size and fonts, reused: matplotlib caches text measurements per
    # renderer, and the same tick labels, years and legend come back on every sheet.
    key = (width, height, fonts)
    renderer = _RENDERERS.get(key)
    if renderer is None:
        renderer = _RENDERERS[key] = MarksRenderer(width, height, fonts)
    renderer.marks = []
    with static.replayed(renderer) if static is not None else nullcontext():
        figure.draw(renderer)
    return FigureChart(width, height, renderer.marks, fonts.regular)


_RENDERERS: dict[tuple, MarksRenderer] = {}
