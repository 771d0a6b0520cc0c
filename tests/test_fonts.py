"""Font registration: ReportLab and matplotlib both resolve "Open Sans" to the shipped TTFs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from reportlab.lib.fonts import tt2ps
from reportlab.pdfbase import pdfmetrics

from factsheets import paths
from factsheets.config import settings
from factsheets.errors import FactsheetsError
from factsheets.fonts import FontNames, find_font, font_files, register_fonts


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


def test_matplotlib_uses_the_same_files(fonts):
    from matplotlib import font_manager, rcParams

    found = font_manager.findfont(font_manager.FontProperties(family="Open Sans", weight="bold"), fallback_to_default=False)
    assert Path(found).resolve() == (paths.FONTS_DIR / "OpenSans-Bold.ttf").resolve()
    assert rcParams["font.family"] == ["Open Sans"]
    assert rcParams["svg.fonttype"] == "none"


def test_font_given_from_home_is_found_by_check_and_render(tmp_path, monkeypatch):
    # "~/..." in fonts: was expanded by `check` only, so the sheet failed where check passed.
    monkeypatch.setenv("HOME", str(tmp_path))
    shipped = paths.FONTS_DIR / "OpenSans-Regular.ttf"
    (tmp_path / "r.ttf").write_bytes(shipped.read_bytes())
    custom = dataclasses.replace(settings(), fonts=dataclasses.replace(settings().fonts, regular="~/r.ttf"))
    assert font_files(custom)["regular"] == tmp_path / "r.ttf"
    assert find_font("~/r.ttf") == (tmp_path / "r.ttf", [tmp_path / "r.ttf"])
    found, candidates = find_font("OpenSans-Bold.ttf")
    assert found is not None and found.name == "OpenSans-Bold.ttf" and found in candidates
