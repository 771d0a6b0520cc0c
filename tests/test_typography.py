"""French hyphenation of elided words (factsheets/typography.py), checked against pyphen
itself and against the lines ReportLab actually sets."""

from __future__ import annotations

from pathlib import Path

import pyphen
import pytest
from reportlab.lib.enums import TA_JUSTIFY
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph

from factsheets.config import settings as load_settings
from factsheets.fonts import register_fonts
from factsheets.typography import french_hyphenator, hyphenation_points

PYPHEN = pyphen.Pyphen(lang="fr_FR", left=2, right=3)


@pytest.mark.parametrize("word", ["incertitude", "exportations", "approvisionnements"])
def test_a_plain_word_breaks_where_pyphen_breaks_it(word):
    assert hyphenation_points(word) == list(PYPHEN.iterate(word))


@pytest.mark.parametrize(
    "elided, rest", [("l’", "incertitude"), ("d’", "exportation"), ("l'", "importation"), ("jusqu’", "aujourd")]
)
def test_an_elided_word_breaks_in_its_rest_with_the_elided_head_kept(elided, rest):
    points = hyphenation_points(elided + rest)
    expected = [(elided + head, tail) for head, tail in PYPHEN.iterate(rest)] if len(rest) >= 6 else []
    assert points == expected
    assert all(head != elided for head, _ in points)  # never "l’-" at a line end


def test_a_short_rest_is_not_broken():
    assert hyphenation_points("l’usine") == []  # "usine" has 5 letters, under the 6 of the rule


def test_reportlab_breaks_an_elided_word_at_a_line_end():
    names = register_fonts(load_settings())
    style = ParagraphStyle(
        "t",
        fontName=names.regular,
        fontSize=10,
        leading=12,
        alignment=TA_JUSTIFY,
        hyphenationLang=french_hyphenator(),
        hyphenationMinWordLength=6,
    )
    text = "Les effets de l’incertitude"
    # as wide as "Les effets de l’incer-": the word only fits broken
    from reportlab.pdfbase.pdfmetrics import stringWidth

    width = stringWidth("Les effets de l’incer-", names.regular, 10) + 1
    paragraph = Paragraph(text, style)
    paragraph.wrap(width, 1000)
    lines = [
        " ".join(str(w) for w in line.words) if hasattr(line, "words") else " ".join(line[1]) for line in paragraph.blPara.lines
    ]
    assert lines[0].endswith("l’incer-") and lines[1].startswith("titude"), lines


@pytest.fixture(scope="module")
def oise_sheet(tmp_path_factory):
    from cli_helpers import run_cli

    out = tmp_path_factory.mktemp("oise")
    result = run_cli("render", "--dept", "60", "--out", out)
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip())


def test_no_break_spaces_survive_copy_paste(oise_sheet):
    """Spec 11: the no-break spaces of the texts (before « : », inside « », in numbers) come
    out of the PDF's text layer (its ToUnicode maps) as U+00A0, as pypdf and pdfminer read it.

    (pdftotext and PDF.js read the same code as U+00A0 and then, by their own design, write
    every Unicode space as a plain one: poppler breaks words at any whitespace character.)"""
    import pdfplumber
    import pypdf

    pages = [page.extract_text() for page in pypdf.PdfReader(oise_sheet).pages]
    assert "Total des exportations\u00a0: 9\u00a0114.8 millions d’euros" in pages[3], pages[3][:400]
    assert "La catégorie «\u00a0autres\u00a0» comprend" in "".join(pages).replace("\n", " ")
    with pdfplumber.open(oise_sheet) as pdf:
        chars = "".join(char["text"] for char in pdf.pages[3].chars)
    assert "exportations\u00a0:" in chars and "9\u00a0114.8" in chars


def test_a_justified_line_with_no_break_spaces_still_reaches_the_margin(tmp_path):
    """The no-break space has its own code (not the word-spacing code 32): ReportLab must not
    count it among the stretched spaces, or such a line would end short of the margin."""
    import pdfplumber
    from reportlab.pdfgen.canvas import Canvas

    names = register_fonts(load_settings())
    style = ParagraphStyle("t", fontName=names.regular, fontSize=10, leading=12, alignment=TA_JUSTIFY)
    text = "Total des exportations\u00a0: 9\u00a0114.8 millions d’euros, soit 13.4\u00a0% de la région\u00a0; " * 4
    path = tmp_path / "nbsp.pdf"
    canvas = Canvas(str(path))
    paragraph = Paragraph(text, style)
    left, width = 72, 300
    _, height = paragraph.wrapOn(canvas, width, 1000)
    paragraph.drawOn(canvas, left, 800 - height)
    canvas.save()
    right = left + width
    with pdfplumber.open(path) as pdf:
        rows: dict[float, list] = {}
        for char in pdf.pages[0].chars:
            rows.setdefault(round(char["top"], 1), []).append(char)
    lines = [sorted(row, key=lambda c: c["x0"]) for _, row in sorted(rows.items())]
    assert len(lines) >= 3
    assert any("\u00a0" in "".join(c["text"] for c in line) for line in lines[:-1])
    for line in lines[:-1]:  # every line but the last is justified to the margin
        assert abs(line[-1]["x1"] - right) < 0.5, ("".join(c["text"] for c in line), line[-1]["x1"], right)
