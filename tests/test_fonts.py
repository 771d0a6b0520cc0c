"""Font registration: ReportLab, svglib and matplotlib all resolve "Open Sans" to the shipped TTFs."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.graphics import renderPDF
from reportlab.lib.fonts import tt2ps
from reportlab.pdfbase import pdfmetrics

from factsheets import paths
from factsheets.config import settings
from factsheets.errors import FactsheetsError
from factsheets.fonts import FontNames, register_fonts


@pytest.fixture(scope="module")
def fonts() -> FontNames:
    return register_fonts(settings())


def test_faces_registered_with_reportlab_as_a_family(fonts):
    registered = set(pdfmetrics.getRegisteredFontNames())
    assert {fonts.regular, fonts.bold, fonts.italic, fonts.bold_italic, fonts.semibold} <= registered
    assert fonts.regular == "OpenSans" and fonts.semibold == "OpenSans-Semibold"
    # <b> and <i> in Paragraphs resolve through the family mapping.
    assert tt2ps(fonts.regular, 1, 0) == fonts.bold
    assert tt2ps(fonts.regular, 0, 1) == fonts.italic
    assert tt2ps(fonts.regular, 1, 1) == fonts.bold_italic
    face = pdfmetrics.getFont(fonts.semibold).face
    assert Path(face.filename).name == "OpenSans-Semibold.ttf"


def test_registration_is_idempotent(fonts):
    assert register_fonts(settings()) is fonts


def test_missing_font_file_names_the_path(tmp_path):
    with pytest.raises(FactsheetsError) as error:
        register_fonts(settings(), fonts_dir=tmp_path)
    message = str(error.value)
    assert str(tmp_path / "OpenSans-Regular.ttf") in message
    assert "\n" not in message


def test_missing_fonts_key_is_named():
    broken = {"fonts": {key: value for key, value in settings()["fonts"].items() if key != "semibold"}}
    with pytest.raises(FactsheetsError, match="fonts.semibold"):
        register_fonts(broken)


@pytest.mark.parametrize(
    ("weight", "style", "face"),
    [
        ("normal", "normal", "regular"),
        ("bold", "normal", "bold"),
        ("700", "normal", "bold"),
        ("600", "normal", "semibold"),
        ("400", "italic", "italic"),
        ("bold", "italic", "bold_italic"),
    ],
)
def test_svglib_maps_the_family_to_the_registered_faces(fonts, weight, style, face):
    from svglib.fonts import find_font

    assert find_font("Open Sans", weight, style) == (fonts.face(face), True)
    assert find_font("open sans", weight, style) == (fonts.face(face), True)


def test_svg_text_becomes_embedded_open_sans(fonts):
    """An SVG with text in 'Open Sans' (regular and bold) renders with the embedded TTFs only."""
    from svglib.svglib import svg2rlg

    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60">'
        '<text x="5" y="20" style="font-family: \'Open Sans\'; font-size: 10px">États-Unis</text>'
        '<text x="5" y="40" style="font-family: \'Open Sans\'; font-size: 10px; font-weight: 700">Autres</text>'
        "</svg>"
    )
    drawing = svg2rlg(io.BytesIO(svg.encode()))
    drawing.initialFontName = fonts.regular
    buffer = io.BytesIO()
    renderPDF.drawToFile(drawing, buffer)
    reader = PdfReader(io.BytesIO(buffer.getvalue()))
    text = reader.pages[0].extract_text()
    assert "États-Unis" in text and "Autres" in text
    fonts_used = reader.pages[0]["/Resources"]["/Font"]
    base_names = sorted(str(font.get_object()["/BaseFont"]).split("+")[-1] for font in fonts_used.values())
    assert base_names == [fonts.regular, fonts.bold]


def test_matplotlib_uses_the_same_files(fonts):
    from matplotlib import font_manager, rcParams

    found = font_manager.findfont(font_manager.FontProperties(family="Open Sans", weight="bold"), fallback_to_default=False)
    assert Path(found).resolve() == (paths.FONTS_DIR / "OpenSans-Bold.ttf").resolve()
    assert rcParams["font.family"] == ["Open Sans"]
    assert rcParams["svg.fonttype"] == "none"
