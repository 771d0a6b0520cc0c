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


@pytest.mark.parametrize("elided, rest", [("l’", "incertitude"), ("d’", "exportation"), ("l'", "importation"),
                                          ("jusqu’", "aujourd")])
def test_an_elided_word_breaks_in_its_rest_with_the_elided_head_kept(elided, rest):
    points = hyphenation_points(elided + rest)
    expected = [(elided + head, tail) for head, tail in PYPHEN.iterate(rest)] if len(rest) >= 6 else []
    assert points == expected
    assert all(head != elided for head, _ in points)  # never "l’-" at a line end


def test_a_short_rest_is_not_broken():
    assert hyphenation_points("l’usine") == []  # "usine" has 5 letters, under the 6 of the rule


def test_reportlab_breaks_an_elided_word_at_a_line_end():
    names = register_fonts(load_settings())
    style = ParagraphStyle("t", fontName=names.regular, fontSize=10, leading=12, alignment=TA_JUSTIFY,
                           hyphenationLang=french_hyphenator(), hyphenationMinWordLength=6)
    text = "Les effets de l’incertitude"
    # as wide as "Les effets de l’incer-": the word only fits broken
    from reportlab.pdfbase.pdfmetrics import stringWidth

    width = stringWidth("Les effets de l’incer-", names.regular, 10) + 1
    paragraph = Paragraph(text, style)
    paragraph.wrap(width, 1000)
    lines = [" ".join(str(w) for w in line.words) if hasattr(line, "words") else " ".join(line[1])
             for line in paragraph.blPara.lines]
    assert lines[0].endswith("l’incer-") and lines[1].startswith("titude"), lines
