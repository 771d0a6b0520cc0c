"""A chart's ReportLab Drawing written onto a pdfgen canvas: renderPDF's operators, at less cost.

A chart Drawing is made of rectangles, lines, dots and strings in groups.
`renderPDF.draw` walks them with a full state tracker: for every shape a copy of the whole
graphics state, derived values looked up, the canvas and parent set on the shape and
deleted again (each a validated attribute), a dispatch on its class. `draw_drawing` walks
the same tree and makes the same calls on the canvas, in the same order and with the same
values, through renderPDF's own `applyStateChanges`, `drawRect`, `drawLine` and
`drawString`: so the page's bytes are renderPDF's. A Drawing with anything else in it
(another kind of shape, a derived value, a user node, a background, a scale) goes to
renderPDF itself.

The sheet's balance bars and treemap are marks (vector.ShapeChart): `draw_marks` writes
them as `draw_drawing` writes the Drawing of their shapes, without making the shapes.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

from reportlab import rl_config
from reportlab.graphics import renderPDF
from reportlab.graphics.renderbase import STATE_DEFAULTS
from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Rect, String
from reportlab.lib.colors import Color
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.validators import DerivedValue
from reportlab.pdfbase.pdfmetrics import getFont
from reportlab.pdfgen.canvas import PATH_OPS

from .vector import CircleMark, LineMark, RectMark, TextMark, _attributes_of, dot, drawing

# The state keys drawString reads from the combined state (renderPDF's tracker).
_TEXT_STATE = ("textAnchor", "fontName", "fontSize")
_SHAPES = (Rect, Line, String, Circle)  # the treemap's callouts have a dot


def _has_derived_value(node) -> bool:
    """Whether an attribute of `node` is a DerivedValue (renderPDF works it out at draw
    time): asked of the attributes' few types rather than of each value."""
    return any(issubclass(kind, DerivedValue) for kind in set(map(type, node.__dict__.values())))


def _plain(node) -> bool:
    """Whether renderPDF would draw `node` (and its children) without anything beyond
    what draw_drawing repeats."""
    kind = type(node)
    if kind is Group:
        if getattr(node, "background", None):
            return False
        children = node.contents
    elif kind in _SHAPES:
        if kind is Rect and (node.rx or node.ry):
            return False
        if kind is String and getattr(node, "textRenderMode", 0):
            return False
        children = ()
    else:
        return False
    if getattr(node, "_drawTimeCallback", None) is not None:
        return False
    if _has_derived_value(node):
        return False
    return all(_plain(child) for child in children)


class _State:
    """What drawString asks of renderPDF's tracker: the combined state of the node drawn."""

    def __init__(self):
        self.current: dict = {}

    def getState(self) -> dict:
        return self.current


def draw_drawing(drawing: Drawing, canvas, x: float = 0, y: float = 0) -> None:
    """`renderPDF.draw(drawing, canvas, x, y, showBoundary=False)`, the same operators."""
    if (
        type(drawing) is not Drawing
        or drawing.renderScale != 1.0
        or getattr(drawing, "background", None)
        or getattr(drawing, "_drawTimeCallback", None) is not None
        or not all(_plain(child) for child in drawing.contents)
        or _has_derived_value(drawing)
    ):
        renderPDF.draw(drawing, canvas, x, y, showBoundary=False)
        return
    _walk(drawing, canvas, x, y)


def _walk(drawing: Drawing, canvas, x: float, y: float, marks: tuple | None = None) -> None:
    """draw_drawing's walk of a plain Drawing; `marks` drawn as the children of its one
    empty Group (draw_marks)."""
    renderer = renderPDF._PDFRenderer()
    renderer._canvas = canvas
    tracker = renderer._tracker = _State()
    # The tracker's defaults: STATE_DEFAULTS, then the drawing's initial values.
    state = STATE_DEFAULTS.copy()
    for key in STATE_DEFAULTS:
        attribute = "initial" + key[:1].upper() + key[1:]
        if hasattr(drawing, attribute):
            state[key] = getattr(drawing, attribute)
    state["ctm"] = state["transform"]
    state["transform"] = tuple(list(state["transform"])[:4]) + (x, y)
    try:
        canvas.saveState()
        renderer.applyStateChanges(state, {})  # renderbase.Renderer.initState
        _draw_node(renderer, tracker, drawing, {key: state[key] for key in _TEXT_STATE}, marks)
        canvas.restoreState()
    finally:
        del renderer._canvas, renderer._tracker


def _draw_node(renderer, tracker: _State, node, inherited: dict, marks: tuple | None = None) -> None:
    """renderPDF's drawNode: save, the node's own state, the node (or its children), restore."""
    canvas = renderer._canvas
    delta = {key: value for key, value in node.__dict__.items() if key in STATE_DEFAULTS}
    if type(node) in _LEAVES and _draw_leaf(renderer, tracker, node, delta, inherited):
        return
    canvas.saveState()
    renderer.applyStateChanges(delta, {})
    kind = type(node)
    if kind is Rect:
        renderer.drawRect(node)
    elif kind is String:
        tracker.current = {key: delta.get(key, inherited[key]) for key in _TEXT_STATE}
        renderer.drawString(node)
    elif kind is Line:
        renderer.drawLine(node)
    elif kind is Circle:
        renderer.drawCircle(node)
    else:  # a Group or the Drawing
        combined = {key: delta.get(key, inherited[key]) for key in _TEXT_STATE}
        if marks is not None and not node.contents:
            _draw_marks(renderer, tracker, marks, combined)
        for child in node.contents:
            _draw_node(renderer, tracker, child, combined, marks)
    canvas.restoreState()


_LEAVES = (Rect, Line, String)
# A leaf's own state keys that `_draw_leaf` writes itself (any other goes the way above);
# applyStateChanges writes nothing for the last two, nor for the opacities when None.
_LEAF_KEYS = frozenset(
    ("fillColor", "strokeColor", "strokeWidth", "strokeLineCap", "strokeLineJoin", "strokeDashArray", "fontName", "fontSize")
    + ("fillOpacity", "strokeOpacity", "strokeMiterLimit", "textAnchor")
)


def _draw_leaf(renderer, tracker: _State, node, delta: dict, inherited: dict) -> bool:
    """A rectangle, line or string written as `_draw_node` writes it, without the canvas's
    save and restore of its whole state around it; False (nothing written) when the node
    needs more than the common case.

    Between its q and Q a leaf changes nothing the rest of the page reads: the canvas's
    state is restored by Q (so it is never touched here, but for the font a string is
    written in, put back after), only renderer._fill and _stroke outlive it, as they do in
    renderPDF. The lines are those the canvas methods append, in applyStateChanges' order
    (sorted under rl_config.invariant). An opacity change (a colour whose alpha is not the
    current one: ExtGState.set would name a state) goes the canvas's way; the document's
    version already allows transparency, since draw_drawing set the initial colours
    through the canvas.
    """
    kind = type(node)
    if not _LEAF_KEYS.issuperset(delta) or (kind is Rect and not node.rx == node.ry == 0):
        return False
    if delta.get("fillOpacity") is not None or delta.get("strokeOpacity") is not None:
        return False
    canvas = renderer._canvas
    if canvas._enforceColorSpace is not None:
        return False
    opacities = canvas._extgstate._d
    lines = ["q"]
    fill, stroke = renderer._fill, renderer._stroke
    font_name, font_size = canvas._fontname, canvas._fontsize
    for key, value in sorted(delta.items()) if rl_config.invariant else delta.items():
        if key == "fillColor" or key == "strokeColor":
            if value is None:
                if key == "fillColor":
                    fill = 0
                else:
                    stroke = 0
                continue
            if type(value) is not Color or value.alpha != opacities.get("ca" if key == "fillColor" else "CA", 1):
                return False
            if key == "fillColor":
                fill = 1
            else:
                stroke = 1
            lines.append(_colour_line(value, "rg" if key == "fillColor" else "RG"))
        elif key == "strokeWidth":
            lines.append(f"{fp_str(value)} w")
        elif key == "strokeLineCap" or key == "strokeLineJoin":
            if value not in (0, 1, 2):
                return False
            lines.append("%d %s" % (value, "J" if key == "strokeLineCap" else "j"))  # noqa: UP031 (the canvas's %d)
        elif key == "strokeDashArray":
            if value:
                return False
            lines.append("[] 0 d")
        elif key == "fontName":
            font_name = value
        elif key == "fontSize":
            font_size = value
    if ("fontName" in delta or "fontSize" in delta) and not getattr(getFont(font_name), "_dynamicFont", False):
        return False  # Canvas.setFont writes a line for a standard font
    code = canvas._code
    renderer._fill, renderer._stroke = fill, stroke
    if kind is Rect:
        lines.append(_rect_path(node.x, node.y, node.width, node.height, stroke, fill, canvas._fillMode))
        code.extend(lines)
    elif kind is Line:
        if stroke:
            lines.append(_line_path(node.x1, node.y1, node.x2, node.y2))
        code.extend(lines)
    else:
        code.extend(lines)
        tracker.current = {key: delta.get(key, inherited[key]) for key in _TEXT_STATE}
        _draw_string(renderer, node, (font_name, font_size) if "fontName" in delta or "fontSize" in delta else None)
    code.append("Q")
    return True


def _colour_line(colour: Color, operator: str) -> str:
    """A fill ("rg") or stroke ("RG") colour, as Canvas.setFillColor and setStrokeColor write it."""
    return f"{fp_str(colour.red, colour.green, colour.blue)} {operator}"


def _rect_path(x: float, y: float, width: float, height: float, stroke: int, fill: int, fill_mode: int) -> str:
    """A rectangle as Canvas.rect writes it."""
    return f"n {fp_str(x, y, width, height)} re {PATH_OPS[stroke, fill, fill_mode]}"


def _line_path(x1: float, y1: float, x2: float, y2: float) -> str:
    """A stroked line as Canvas.line writes it."""
    return f"n {fp_str(x1, y1)} m {fp_str(x2, y2)} l S"


def _draw_string(renderer, node, font: tuple[str, float] | None) -> None:
    """renderPDF's drawString of `node`, in `font` (name, size) when given: set on the canvas
    for that string only, as Canvas.setFont sets a TrueType face (it writes no line for one)."""
    canvas = renderer._canvas
    saved = canvas._fontname, canvas._fontsize, canvas._leading
    if font is not None:
        name, size = font
        canvas._fontname, canvas._fontsize, canvas._leading = name, size, size * 1.2
    try:
        renderer.drawString(node)
    finally:
        canvas._fontname, canvas._fontsize, canvas._leading = saved


# -- a ShapeChart's marks, as draw_drawing draws the Drawing of their shapes -----------------
def draw_marks(chart, canvas) -> None:
    """`draw_drawing(chart.to_drawing(), canvas)`, the same operators, without the shapes.

    `_draw_leaf` writes each shape of that Drawing from its attributes; here each mark writes
    the same lines from its fields: the state keys its shape would carry (the constructor's
    defaults with the mark's values, vector.text/rect/line), in the same sorted order. Texts
    have their anchor applied already (vector.text_mark: the same subtraction renderPDF
    makes), and go through the canvas as renderPDF sends them. When the canvas is not in
    the common case `_draw_leaf` needs (see _marks_drawable), the Drawing is made and drawn.
    """
    if not rl_config.invariant or not _marks_drawable(chart.marks, canvas):
        draw_drawing(chart.to_drawing(), canvas)
        return
    shell = drawing(chart.width, chart.height, (), chart.font)  # the Drawing of the shapes, its Group empty
    _walk(shell, canvas, 0, 0, chart.marks)


@functools.cache
def _shape_lines(kind: type) -> tuple[str, ...]:
    """The lines `_draw_leaf` writes for the line settings a `kind` shape's constructor
    leaves as they are (dash, cap, join), in the sorted order they come between its stroke
    colour and its line width."""
    attributes = _attributes_of(kind)
    if attributes.get("strokeDashArray") or not {attributes.get("strokeLineCap"), attributes.get("strokeLineJoin")} <= {0, 1, 2}:
        raise ValueError(f"{kind.__name__}'s default line settings are not the common case")
    return ("[] 0 d", "%d J" % attributes["strokeLineCap"], "%d j" % attributes["strokeLineJoin"])  # noqa: UP031


@functools.cache
def _shapes_opaque_by_default() -> bool:
    """Whether the String, Rect and Line constructors leave the opacities unset (_draw_leaf
    writes no shape with one)."""
    return all(
        _attributes_of(kind).get("fillOpacity") is None and _attributes_of(kind).get("strokeOpacity") is None
        for kind in (Rect, Line, String)
    )


def _marks_drawable(marks: tuple, canvas) -> bool:
    """Whether `_draw_leaf` would write every mark's shape itself: no colour space enforced,
    every colour opaque as the canvas's current opacities are, every font a TrueType one
    (Canvas.setFont writes a line for a standard font), no default opacity on the shapes."""
    if canvas._enforceColorSpace is not None or not _shapes_opaque_by_default():
        return False
    opacities = canvas._extgstate._d
    fill_alpha, stroke_alpha = opacities.get("ca", 1), opacities.get("CA", 1)
    fonts = set()
    for mark in marks:
        kind = type(mark)
        if kind is TextMark:
            fonts.add(mark.font.name)
            colours = ((mark.fill, fill_alpha),)
        elif kind is RectMark:
            colours = ((mark.fill, fill_alpha), (mark.stroke, stroke_alpha))
        elif kind is LineMark:
            colours = ((mark.stroke, stroke_alpha),)
        else:  # a CircleMark: drawn through the canvas, as _draw_node draws a Circle
            continue
        for colour, alpha in colours:
            if colour is not None and (type(colour) is not Color or colour.alpha != alpha):
                return False
    return all(getattr(getFont(name), "_dynamicFont", False) for name in fonts)


class _TextNode(NamedTuple):
    """What renderPDF's drawString reads of a String."""

    x: float
    y: float
    text: str
    encoding: str = "utf8"


def _draw_marks(renderer, tracker: _State, marks: tuple, inherited: dict) -> None:
    """Each mark as `_draw_node` draws its shape in a Group whose inherited text state is
    `inherited`."""
    canvas = renderer._canvas
    code = canvas._code
    fill_mode = canvas._fillMode
    rect_lines, line_lines = _shape_lines(Rect), _shape_lines(Line)
    for mark in marks:
        kind = type(mark)
        if kind is RectMark:
            # Sorted keys: fillColor, fillOpacity (None: no line), strokeColor, strokeDashArray,
            # strokeLineCap, strokeLineJoin, strokeMiterLimit and strokeOpacity (none), strokeWidth.
            lines = ["q"]
            fill = 0 if mark.fill is None else 1
            stroke = 0 if mark.stroke is None else 1
            if fill:
                lines.append(_colour_line(mark.fill, "rg"))
            if stroke:
                lines.append(_colour_line(mark.stroke, "RG"))
            lines += rect_lines
            lines.append(f"{fp_str(mark.stroke_width)} w")
            lines.append(_rect_path(mark.x, mark.y, mark.width, mark.height, stroke, fill, fill_mode))
            lines.append("Q")
            code.extend(lines)
            renderer._fill, renderer._stroke = fill, stroke
        elif kind is LineMark:
            lines = ["q"]
            stroke = 0 if mark.stroke is None else 1
            if stroke:
                lines.append(_colour_line(mark.stroke, "RG"))
            lines += line_lines
            lines.append(f"{fp_str(mark.width)} w")
            if stroke:
                lines.append(_line_path(mark.x1, mark.y1, mark.x2, mark.y2))
            lines.append("Q")
            code.extend(lines)
            renderer._stroke = stroke
        elif kind is TextMark:
            # Sorted keys: fillColor, fontName, fontSize (no line for a TrueType face), textAnchor.
            if mark.fill is None:
                code.extend(("q", "Q"))
                renderer._fill = 0
                continue
            code.extend(("q", _colour_line(mark.fill, "rg")))
            renderer._fill = 1
            # vector.text makes the String anchored at its start: renderPDF shifts nothing.
            tracker.current = {"textAnchor": "start", "fontName": mark.font.name, "fontSize": mark.font.size}
            _draw_string(renderer, _TextNode(mark.x, mark.y, mark.text), mark.font)
            code.append("Q")
        elif kind is CircleMark:
            _draw_node(renderer, tracker, dot(mark), inherited)
        else:
            raise TypeError(f"no ShapeChart mark {kind.__name__}")
