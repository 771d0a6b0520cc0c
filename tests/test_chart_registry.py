"""One registry of the sheet's charts (factsheets.charts.registry), one set of marks.

The charts a sheet shows are counted here from the reference tables (a region of one
department has no region charts), never from the registry itself; both writers must show
exactly those, with the same alternative texts, and a drawn chart of any kind must draw
the same bytes as the route it replaced.
"""

from __future__ import annotations

import html
import io
import re

import pikepdf
import pytest
from cli_helpers import run_in_process
from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.pdfgen.canvas import Canvas
from tagged_pdf_reader import elements

from factsheets.charts import vector
from factsheets.charts.registry import CHART_KEYS, DrawingChart, SheetCharts, as_chart
from factsheets.reference import load_reference

CODES = ("02", "976", "2A")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("registry")
    args = [arg for code in CODES for arg in ("--dept", code)]
    result = run_in_process("render", *args, "--evolution", "--html", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def expected_chart_count(code: str) -> int:
    """Balance, treemap, evolution, and per flow the department, France and (when the region
    has more than one department) the region: from the reference, not from the registry."""
    departments = load_reference().departments
    region = departments.filter(departments["code"] == code)["region"][0]
    alone = (departments["region"] == region).sum() == 1
    return 3 + 2 * (2 if alone else 3)


@pytest.mark.parametrize("code", CODES)
def test_both_writers_show_the_charts_of_the_registry_with_the_same_alternative_texts(rendered, code):
    (pdf_path,) = rendered.glob(f"*-{code.lower()}-*.pdf")
    with pikepdf.open(pdf_path) as pdf:
        pdf_alts = [element.alt for element in elements(pdf) if element.role == "Figure"]
    page = pdf_path.with_suffix(".html").read_text(encoding="utf-8")
    html_alts = [html.unescape(text) for text in re.findall(r'<desc id="[^"]+">(.*?)</desc>', page)]
    assert len(pdf_alts) == expected_chart_count(code)
    assert pdf_alts == html_alts
    assert all(alt for alt in pdf_alts)


def test_sheet_charts_know_only_the_registry_keys():
    with pytest.raises(TypeError, match="pie"):
        SheetCharts(pie=None)
    charts = SheetCharts()
    assert [charts[key] for key in CHART_KEYS] == [None] * len(CHART_KEYS)
    with pytest.raises(TypeError):
        as_chart("not a chart")


def test_a_drawing_is_a_chart_that_draws_what_renderpdf_draws():
    drawing = Drawing(120, 40)
    drawing.add(Rect(5, 5, 50, 20, fillColor=vector.color("#000091"), strokeColor=None))
    drawing.add(String(60, 10, "Allemagne", fontName="Helvetica", fontSize=8))

    def page(draw) -> bytes:
        buffer = io.BytesIO()
        canvas = Canvas(buffer, invariant=1, pageCompression=0)
        draw(canvas)
        canvas.save()
        return buffer.getvalue()

    chart = as_chart(drawing)
    assert isinstance(chart, DrawingChart) and (chart.width, chart.height) == (120, 40)
    assert page(chart.draw_on) == page(lambda canvas: renderPDF.draw(drawing, canvas, 0, 0, showBoundary=False))
    assert as_chart(chart) is chart
    assert SheetCharts(balance=drawing)["balance"].drawing is drawing


def test_the_evolution_figure_is_made_of_the_same_marks_as_the_sankeys():
    """The matplotlib figure's marks are charts.vector's: every text it draws is in the page's SVG."""
    from factsheets.charts.evolution import evolution_chart
    from factsheets.config import settings
    from factsheets.fonts import register_pdf_fonts
    from factsheets.html import chart_elements
    from factsheets.indicators import compute_all
    from factsheets.paths import SAMPLE_DATA
    from factsheets.reference import load_reference as reference
    from factsheets.validate import choose_year, load_trade_data

    config = settings()
    ref = reference()
    trade = load_trade_data(SAMPLE_DATA, ref)
    ind = compute_all(trade, ref, config, choose_year(trade, None, SAMPLE_DATA), ["02"])["02"]
    chart = evolution_chart(ind.evolution, config, register_pdf_fonts(config))
    kinds = {type(mark) for mark in chart.marks}
    assert kinds <= {vector.TextMark, vector.PathMark} and vector.TextMark in kinds
    svg = chart_elements(chart)
    for mark in chart.marks:
        if isinstance(mark, vector.TextMark):
            assert f">{html.escape(mark.text, quote=False)}</text>" in svg
