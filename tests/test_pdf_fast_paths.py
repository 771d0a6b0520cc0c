"""The sheet's cheaper ways to write strings (pdf_text.TextCanvas), chart Drawings
(charts.pdf_drawing.draw_drawing) and marks (draw_marks), known characters into subsets (fonts.TaggedTTFont), font
subsets and streams made before (pdf_streams) write the very bytes ReportLab's own ways write;
a sheet drawn with fewer garbage collections (render.drawer) is the same sheet."""

from __future__ import annotations

import io
import zlib

import pytest
from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.pdfdoc import PDFDocument
from reportlab.pdfbase.pdfmetrics import getFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from factsheets.charts import balance_chart, balance_marks, treemap_chart, treemap_marks, vector
from factsheets.charts.pdf_drawing import draw_drawing
from factsheets.fonts import _NumbersArray
from factsheets.pdf_streams import _pdfdoc_encoded, compressing_once
from factsheets.pdf_text import TextCanvas
from factsheets.render import SheetRenderer

# Past the 224 glyphs of a first subset, so one string changes subsets midway.
MANY_GLYPHS = "".join(chr(code) for code in range(0x21, 0x7F)) + "".join(chr(code) for code in range(0xC0, 0x17F))
TEXTS = ["Exportations (M€)", "", "a\\b (c) d", "1\u00a0234,5\u202fM€", "Évolution", MANY_GLYPHS, "Zürich " * 3]


@pytest.fixture(scope="module")
def renderer() -> SheetRenderer:
    from factsheets.paths import SAMPLE_DATA

    return SheetRenderer(SAMPLE_DATA, None, ["02", "75", "976", "13"], history=False)


def pdf(kind: type[Canvas], fonts, draw) -> bytes:
    out = io.BytesIO()
    canvas = kind(out, invariant=1, initialFontName=fonts.regular)
    draw(canvas)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def test_strings_are_written_as_reportlab_writes_them(renderer):
    fonts = renderer.fonts

    def strings(canvas):
        for index, text in enumerate(TEXTS):
            for font, size in ((fonts.regular, 7.5), (fonts.bold, 11), (fonts.italic, 9)):
                canvas.setFont(font, size)
                canvas.drawString(20 + index, 700 - 12 * index, text)
                canvas.drawRightString(500.25, 400 - 11 * index, text)
                canvas.drawCentredString(300, 200 + 7.3 * index, text)
        canvas.setFont(fonts.regular, 10, leading=17)
        canvas.drawString(10, 10, "une autre interligne")
        # Cases left to ReportLab: a render mode, spacing.
        canvas.drawString(10, 30, "contour", mode=1)
        canvas.drawRightString(400, 30, "espacé", charSpace=1.5)
        canvas.drawCentredString(300, 50, "mots espacés", wordSpace=2)

    ours = pdf(TextCanvas, fonts, strings)
    assert ours == pdf(Canvas, fonts, strings)
    assert len(ours) > 20_000  # the fonts' subsets are in both


def test_chart_drawings_are_written_as_render_pdf_writes_them(renderer):
    settings = renderer.settings
    for code in renderer.indicators:
        ind = renderer.indicators[code]
        for drawing in (
            balance_chart(ind.balance_countries, settings),
            treemap_chart(ind.local.imports, ind.local.exports, settings),
            treemap_chart(ind.local.imports, ind.local.exports, settings, 150),
        ):
            ours = pdf(TextCanvas, renderer.fonts, lambda canvas, d=drawing: draw_drawing(d, canvas))
            theirs = pdf(
                TextCanvas, renderer.fonts, lambda canvas, d=drawing: renderPDF.draw(d, canvas, 0, 0, showBoundary=False)
            )
            assert ours == theirs, code


def test_groups_transforms_and_other_shapes(renderer):
    font = renderer.fonts.regular
    inner = Group(
        String(5, 5, "au milieu", fontName=font, fontSize=8, textAnchor="middle"),
        Line(0, 0, 10, 10, strokeColor=None),
        Rect(1, 2, 3, 4, fillColor=None, strokeColor=colors.red, strokeWidth=0.3, strokeDashArray=[2, 1]),
        transform=(1, 0, 0, 1, 30, 40),
    )
    outer = Group(inner, String(0, 0, "à droite", fontName=font, fontSize=9, textAnchor="end"), transform=(2, 0, 0, 2, 5, 5))
    plain = Drawing(200, 100, outer, initialFontName=font, initialFontSize=9)
    with_circle = Drawing(200, 100, Group(Rect(0, 0, 5, 5), Circle(10, 10, 4, fillColor=colors.blue)), initialFontName=font)
    rounded = Drawing(200, 100, Group(Rect(0, 0, 50, 30, rx=4, ry=4)), initialFontName=font)  # left to renderPDF
    # Leaves past draw_drawing's common case: opacities (named states), a standard font, a
    # string after it, caps and joins, a leaf drawn after a see-through one.
    see_through = Drawing(
        200,
        100,
        Group(
            Rect(0, 0, 5, 5, fillOpacity=0.5),
            Rect(5, 5, 5, 5, fillColor=colors.Color(0, 0, 1, alpha=0.4), strokeColor=colors.Color(1, 0, 0, alpha=0.7)),
            Rect(10, 10, 5, 5, fillColor=colors.green),
            Line(0, 0, 20, 20, strokeLineCap=1, strokeLineJoin=2, strokeWidth=2),
            String(0, 20, "Helvetica", fontName="Helvetica", fontSize=7),
            String(0, 30, "après Helvetica", fontName=font, fontSize=6),
        ),
        initialFontName=font,
    )
    for drawing in (plain, with_circle, rounded, see_through):
        ours = pdf(Canvas, renderer.fonts, lambda canvas, d=drawing: draw_drawing(d, canvas, 12, 34))
        theirs = pdf(Canvas, renderer.fonts, lambda canvas, d=drawing: renderPDF.draw(d, canvas, 12, 34, showBoundary=False))
        assert ours == theirs


@pytest.fixture(scope="module")
def every_department(renderer) -> SheetRenderer:
    from factsheets.paths import SAMPLE_DATA

    codes = renderer.reference.departments["code"].to_list()
    return SheetRenderer(SAMPLE_DATA, None, codes, history=False)


def shape_charts(every_department):
    """Each department's balance and treemap, and its treemap drawn again lower (the layout's
    refit), as the sheet draws them: marks."""
    settings = every_department.settings
    for code, ind in every_department.indicators.items():
        yield code, balance_marks(ind.balance_countries, settings)
        yield code, treemap_marks(ind.local.imports, ind.local.exports, settings)
        yield code, treemap_marks(ind.local.imports, ind.local.exports, settings, 150)


def test_every_departments_balance_and_treemap_marks_are_written_as_render_pdf_writes_their_shapes(every_department):
    """draw_marks writes, from the marks, the bytes renderPDF writes for the Drawing of their
    shapes: on all 101 departments, with every kind of mark among them."""
    fonts = every_department.fonts
    kinds = set()
    count = 0
    for code, chart in shape_charts(every_department):
        kinds |= {type(mark) for mark in chart.marks}
        ours = pdf(TextCanvas, fonts, chart.draw_on)
        theirs = pdf(TextCanvas, fonts, lambda canvas, c=chart: renderPDF.draw(c.to_drawing(), canvas, 0, 0, showBoundary=False))
        assert ours == theirs, code
        count += 1
    assert count == 3 * 101
    assert kinds == {vector.TextMark, vector.RectMark, vector.LineMark, vector.CircleMark}


def test_marks_past_the_common_case_are_drawn_through_their_drawing(renderer, monkeypatch):
    """A canvas with a see-through fill, a standard font, a stroked rectangle's opacity, an
    unsorted state (rl_config.invariant off): the marks go the Drawing's way, the same bytes."""
    from reportlab import rl_config

    fonts = renderer.fonts
    font = vector.Font(fonts.regular, 8)
    marks = [
        vector.RectMark(0, 0, 10, 5, colors.Color(0, 0, 1, alpha=0.4), colors.white, 1.0),
        vector.TextMark(3, 4, "Zürich", font, colors.black),
        vector.CircleMark(20, 20, 1.5, colors.red),
        vector.LineMark(0, 0, 30, 30, colors.green, 0.5),
    ]
    see_through = vector.ShapeChart(50, 50, marks, font)
    standard_font = vector.ShapeChart(
        50, 50, [vector.TextMark(1, 1, "Helvetica", vector.Font("Helvetica", 7), colors.black)], font
    )
    opaque = vector.ShapeChart(50, 50, [marks[0]._replace(fill=colors.blue), *marks[1:]], font)

    def both(chart, before=lambda canvas: None):
        def ours(canvas):
            before(canvas)
            chart.draw_on(canvas)

        def theirs(canvas):
            before(canvas)
            renderPDF.draw(chart.to_drawing(), canvas, 0, 0, showBoundary=False)

        return pdf(Canvas, fonts, ours), pdf(Canvas, fonts, theirs)

    for chart, before in (
        (see_through, lambda canvas: None),
        (standard_font, lambda canvas: None),
        (opaque, lambda canvas: canvas.setFillAlpha(0.5)),  # the canvas's opacity is not the colours'
        (opaque, lambda canvas: None),
    ):
        ours, theirs = both(chart, before)
        assert ours == theirs
    monkeypatch.setattr(rl_config, "invariant", 0)
    ours, theirs = both(opaque)
    assert ours == theirs


def test_every_departments_balance_and_treemap_are_the_same_svg_as_their_shapes(every_department):
    """The web page draws a ShapeChart's marks as it draws the shapes of their Drawing."""
    from factsheets.charts.registry import DrawingChart
    from factsheets.html import chart_elements

    for code, chart in shape_charts(every_department):
        assert chart_elements(chart) == chart_elements(DrawingChart(chart.to_drawing())), code


def test_each_kind_of_chart_refuses_the_marks_it_cannot_draw(renderer):
    font = vector.Font(renderer.fonts.regular, 8)
    for mark in (vector.RectMark(0, 0, 1, 1, colors.blue, colors.white, 1.0), vector.CircleMark(1, 1, 1, colors.red)):
        with pytest.raises(TypeError, match="ShapeChart"):
            pdf(Canvas, renderer.fonts, vector.CanvasChart(10, 10, [mark], font).draw_on)
    ribbon = vector.RibbonMark(0, 10, (0, 1), (2, 3), colors.blue, 0.5)
    turned = vector.TextMark(1, 1, "incliné", font, colors.black, 90.0)
    for mark, message in ((ribbon, "no RibbonMark"), (turned, "no TextMark at an angle")):
        with pytest.raises(TypeError, match=message):
            vector.ShapeChart(10, 10, [mark], font)


REPORTLAB_SPLIT = TTFont.splitString
ZLIB_COMPRESS = zlib.compress
PDFDOC_ENCODE = pdfdoc.pdfdocEnc


def reportlab_split(font, text: str, doc) -> list[tuple[int, bytes]]:
    """ReportLab's own character loop, with the project's stand-in for the no-break space."""
    if "\u00a0" in text and 0xF8A0 in font.face.charToGlyph:
        text = text.replace("\u00a0", "\uf8a0")
    return REPORTLAB_SPLIT(font, text, doc)


def test_known_characters_are_encoded_as_reportlab_encodes_them(renderer, monkeypatch):
    font = getFont(renderer.fonts.regular)
    ours, theirs = PDFDocument(invariant=1), PDFDocument(invariant=1)
    # Twice over: the second time every character has its code (subset 0, and past it for
    # MANY_GLYPHS), and a character the face lacks ("\u4e00") never gets one.
    texts = [*TEXTS, "\u4e00 absent", "\u00a0"]
    looped = []  # the texts ReportLab's loop encoded for `ours`
    monkeypatch.setattr(
        TTFont, "splitString", lambda self, text, doc, *rest: looped.append(text) or REPORTLAB_SPLIT(self, text, doc)
    )
    rounds = []
    for _ in range(2):
        looped.clear()
        for text in texts:
            assert font.splitString(text, ours) == reportlab_split(font, text, theirs), text
        rounds.append(list(looped))
    assert font.state[ours].assignments == font.state[theirs].assignments
    second_round = rounds[1]
    assert "Évolution" in rounds[0] and MANY_GLYPHS in second_round and "\u4e00 absent" in second_round
    assert "Évolution" not in second_round and "Exportations (M€)" not in second_round  # known: no loop


def test_font_subsets_and_streams_made_once_are_the_bytes_made_anew(renderer, monkeypatch):
    fonts = renderer.fonts

    def page(canvas):
        canvas.setFont(fonts.bold, 12)
        canvas.drawString(20, 700, "Les mêmes titres, la même page")

    plain = pdf(Canvas, fonts, page)
    compressed = []
    monkeypatch.setattr(zlib, "compress", lambda data: compressed.append(data) or ZLIB_COMPRESS(data))
    with compressing_once():
        first = pdf(Canvas, fonts, page)
        made = len(compressed)
        again = pdf(Canvas, fonts, page)
    assert first == again == plain
    assert made >= 3 and len(compressed) == made  # the page, the subset and its map: not compressed again
    assert type(pdfdoc.PDFZCompress) is pdfdoc.PDFStreamFilterZCompress  # ReportLab's filter back after the save
    assert pdfdoc.pdfdocEnc is PDFDOC_ENCODE  # and its encoder


@pytest.mark.parametrize("count", [0, 1, 10, 11, 20, 21, 224])
def test_subset_widths_are_formatted_as_a_pdf_array_formats_them(count):
    widths = [(index * 37.5) % 1100 for index in range(count)]
    document = PDFDocument(invariant=1)
    assert _NumbersArray(widths).format(document) == pdfdoc.PDFArray(widths).format(document)


def test_ascii_strings_are_encoded_as_the_pdfdoc_codec_encodes_them():
    encode = pdfdoc.pdfdocEnc
    for text in [chr(code) for code in range(0x80)] + ["/Type /Page 12 0 R", "Évolution", "\u2212 3", "", b"(bytes)"]:
        try:
            expected = encode(text)
        except UnicodeError as error:
            with pytest.raises(type(error)):
                _pdfdoc_encoded(text)
        else:
            assert _pdfdoc_encoded(text) == expected, repr(text)
    with pytest.raises(UnicodeError):  # PDFDocEncoding gives 0x18-0x1F to accents
        _pdfdoc_encoded("a\x1fb")


def test_saved_states_come_back_as_reportlab_restores_them(renderer):
    fonts = renderer.fonts

    def nested(canvas):
        canvas.setFont(fonts.regular, 9)
        for depth in range(3):
            canvas.saveState()
            canvas.translate(10, 20)
            canvas.setFillColor(colors.Color(0.1 * depth, 0.2, 0.3))
            canvas.setFillAlpha(0.5 + 0.1 * depth)
            canvas.setLineWidth(depth + 0.25)
            canvas.setFont(fonts.bold, 10 + depth)
            canvas.drawString(0, 0, f"niveau {depth}")
        for depth in range(3):
            canvas.restoreState()
            canvas.drawString(5, 5, f"rendu {depth}")  # the font, colour and opacity of the level above
            canvas.rect(0, 0, 10, 10, fill=1)

    ours = TextCanvas(io.BytesIO(), invariant=1, initialFontName=fonts.regular)
    nested(ours)
    assert ours.state_stack == [] and ours._fontname == fonts.regular
    assert pdf(TextCanvas, fonts, nested) == pdf(Canvas, fonts, nested)


def test_a_sheet_is_drawn_with_fewer_collections_and_the_threshold_comes_back(renderer):
    import gc

    from factsheets.render.drawer import DRAWING_GC_THRESHOLD, _fewer_collections

    before = gc.get_threshold()
    with _fewer_collections():
        assert gc.get_threshold() == (max(before[0], DRAWING_GC_THRESHOLD), *before[1:])
    assert gc.get_threshold() == before
    first = renderer.sheet_bytes("13")
    assert gc.get_threshold() == before
    gc.collect()
    assert renderer.sheet_bytes("13") == first  # the collector's pace changes no byte
