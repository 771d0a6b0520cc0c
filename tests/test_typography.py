"""French hyphenation of elided words (factsheets/typography.py), checked against pyphen
itself and against the lines ReportLab actually sets."""

from __future__ import annotations

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


@pytest.mark.xfail(
    strict=True,
    reason="ReportLab's TTFont.splitString maps U+00A0 to the space code 32, so the "
    "text layer (ToUnicode) reads a plain space; needs the writer (own code for U+00A0, or ActualText)",
)
def test_no_break_spaces_survive_copy_paste(tmp_path):
    """Spec 11: the no-break spaces of the texts (before « : », in numbers) come out of the
    PDF's text layer as U+00A0 (or U+202F), as pdftotext reads it."""
    import shutil
    import subprocess

    from cli_helpers import run_cli

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    result = run_cli("render", "--dept", "60", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    text = subprocess.run(
        ["pdftotext", "-f", "4", "-l", "4", result.stdout.strip(), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Total des exportations" in text
    assert "exportations\u00a0: 9\u00a0114.8" in text, repr(text[text.index("Total des") :][:50])
