"""Sankeys written straight onto the canvas draw exactly what their ReportLab Drawing draws.

The sheet draws its Sankeys with `CanvasChart.draw_on` (no shape objects, no renderPDF
walk); tests and previews inspect the Drawing of the same marks. Both are drawn into a PDF
here and their content streams are replayed: the same filled paths with the same colours
and opacities, the same strokes, the same texts at the same places in the same faces.
And a region chart reused from sheet to sheet leaves the bytes of a fresh one.
"""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream
from reportlab.graphics import renderPDF
from reportlab.pdfgen.canvas import Canvas

from factsheets.charts import sankey_chart, sankey_marks
from factsheets.config import settings as load_settings
from factsheets.fonts import register_pdf_fonts
from factsheets.paths import SAMPLE_DATA
from factsheets.render import SheetDrawer, SheetRenderer

CODES = ["59", "48", "974"]  # a big department, a small one, a one-department region
NUMERIC = {"cm", "rg", "RG", "w", "m", "l", "c", "re", "Tm"}  # operators whose operands are all numbers


@pytest.fixture(scope="module")
def renderer() -> SheetRenderer:
    return SheetRenderer(SAMPLE_DATA, None, CODES)


@pytest.fixture(scope="module")
def settings() -> dict:
    loaded = load_settings()
    register_pdf_fonts(loaded)
    return loaded


def _page(draw, width: float, height: float, font: str):
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), initialFontName=font, invariant=1)
    draw(canvas)
    canvas.showPage()
    canvas.save()
    return PdfReader(io.BytesIO(buffer.getvalue())).pages[0]


def _multiply(m, n):
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2, e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


def painted(page) -> tuple[list, list]:
    """(shapes, texts) as painted: each fill or stroke with its colour, opacity and
    coordinates in page space, each text run with its face, size, position, colour, bytes."""
    resources = page["/Resources"]
    states = resources.get("/ExtGState", {})
    fonts = resources.get("/Font", {})
    stream = ContentStream(page.get_contents(), page.pdf)
    state = {"ctm": (1, 0, 0, 1, 0, 0), "fill": None, "stroke": None, "alpha": 1.0, "width": 1.0}
    stack, path, shapes, texts = [], [], [], []
    font = size = None
    position = (0.0, 0.0)

    def point(x, y):
        a, b, c, d, e, f = state["ctm"]
        return round(a * x + c * y + e, 3), round(b * x + d * y + f, 3)

    for operands, operator in stream.operations:
        op = operator.decode()
        values = [float(v) for v in operands] if op in NUMERIC else []
        if op == "q":
            stack.append(dict(state))
        elif op == "Q":
            state = stack.pop()
        elif op == "cm":
            state["ctm"] = _multiply(tuple(values), state["ctm"])
        elif op == "rg":
            state["fill"] = tuple(round(v, 4) for v in values)
        elif op == "RG":
            state["stroke"] = tuple(round(v, 4) for v in values)
        elif op == "w":
            state["width"] = values[0]
        elif op == "gs":
            state["alpha"] = float(states[operands[0]].get_object().get("/ca", state["alpha"]))
        elif op in ("m", "l"):
            path.append((op, point(*values)))
        elif op == "c":
            path.append((op, point(*values[0:2]), point(*values[2:4]), point(*values[4:6])))
        elif op == "re":
            x, y, w, h = values
            path.append(("re", point(x, y), point(x + w, y + h)))
        elif op in ("f", "f*"):
            shapes.append(("fill", state["fill"], state["alpha"], tuple(path)))
            path = []
        elif op == "S":
            shapes.append(("stroke", state["stroke"], state["width"], tuple(path)))
            path = []
        elif op in ("h", "n"):
            continue
        elif op == "Tf":
            font, size = str(fonts[operands[0]].get_object()["/BaseFont"]).split("+")[-1], float(operands[1])
        elif op == "Tm":
            position = point(values[4], values[5])
        elif op in ("Tj", "TJ"):
            shown = operands[0]
            texts.append((font, size, position, state["fill"], getattr(shown, "original_bytes", None) or repr(shown)))
    return shapes, texts


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("flow", ["exports", "imports"])
@pytest.mark.parametrize("size", ["department", "region"])
def test_canvas_chart_paints_what_the_drawing_paints(renderer, settings, code, flow, size):
    summary = getattr(renderer.indicators[code].local, flow)
    chart = sankey_marks(summary, settings, size)
    drawing = sankey_chart(summary, settings, size)
    assert (chart.width, chart.height) == (drawing.width, drawing.height)
    direct = _page(chart.draw_on, chart.width, chart.height, chart.font.name)
    walked = _page(lambda canvas: renderPDF.draw(drawing, canvas, 0, 0), chart.width, chart.height, chart.font.name)
    direct_shapes, direct_texts = painted(direct)
    walked_shapes, walked_texts = painted(walked)
    assert len(direct_shapes) > 20 and len(direct_texts) > 10
    assert direct_shapes == walked_shapes
    assert direct_texts == walked_texts
    assert direct.extract_text() == walked.extract_text()


def test_a_region_chart_reused_by_later_sheets_leaves_their_bytes_unchanged(renderer):
    """A process draws a region's charts once; the sheets drawn with them are those of a fresh process."""
    shared = SheetDrawer()
    first = shared.draw(renderer.indicators["59"], renderer.synthetic)
    # "02" and "59" share Hauts-de-France and France; "48" shares only France.
    later = {code: shared.draw(renderer.indicators[code], renderer.synthetic) for code in ("48", "59")}
    assert later["59"] == first
    assert later["48"] == SheetDrawer().draw(renderer.indicators["48"], renderer.synthetic)
    renderer.add(["02"])
    assert shared.draw(renderer.indicators["02"], renderer.synthetic) == SheetDrawer().draw(
        renderer.indicators["02"], renderer.synthetic
    )
