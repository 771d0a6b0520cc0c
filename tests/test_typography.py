"""French hyphenation of elided words (factsheets/typography.py), checked against pyphen
itself and against the lines ReportLab actually sets."""

from __future__ import annotations

import pyphen
import pytest
from reportlab.lib.enums import TA_JUSTIFY
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
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
def oise_sheet(plain_sheets):
    """The Oise sheet of the run's shared `render --all` (the same bytes as `render --dept 60`)."""
    return next(path for path in plain_sheets if path.name == "commerce-exterieur-2024-60-oise.pdf")


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


def _body_style():
    from factsheets.layout import _styles

    settings = load_settings()
    return _styles(register_fonts(settings), settings.colors)


def _space_ratios(paragraph, space: float) -> list[float]:
    """The word spaces of each justified line (all but the last), as multiples of `space`."""
    from factsheets.typography import _lines

    return [1 + line.extra_space / (line.words - 1) / space for line in _lines(paragraph)[:-1] if line.words > 1]


def test_a_paragraph_whose_greedy_breaks_are_loose_is_broken_at_another_width():
    """The bullet « Enfin, l’échelle… » at the column width: ReportLab's greedy breaks left
    « acces- » at a line end with spaces 1.64× the normal one; broken a little narrower and
    justified back to the column, no line is loose and the paragraph keeps the column's width."""
    from reportlab.platypus import Paragraph as PlainParagraph

    from factsheets.layout import FRAME_WIDTH
    from factsheets.pdf_tags import TaggedParagraph
    from factsheets.typography import JustifiedParagraph

    style = _body_style()["bullet"]
    width = FRAME_WIDTH - 14  # a list item's text, right of its bullet
    text = (
        "Enfin, l’échelle infra-départementale, notamment celle des Territoires d’industrie, n’est pas accessible "
        "à ce jour. Pour les territoires interdépartementaux, il est recommandé de consulter les fiches des "
        "différents départements concernés."
    )
    space = stringWidth(" ", style.fontName, style.fontSize)
    greedy = PlainParagraph(text, style)
    greedy.wrap(width, 1000)
    assert max(_space_ratios(greedy, space)) > 1.6  # the case this test is about
    better = JustifiedParagraph(text, style)
    assert isinstance(better, TaggedParagraph)
    assert better.wrap(width, 1000)[0] == width
    assert better.breaks.offset != 0
    assert all(0.8 <= ratio <= 1.6 for ratio in _space_ratios(better, space)), _space_ratios(better, space)


def test_a_line_that_cannot_be_filled_is_set_flush_left_not_stretched():
    """« … à l’adresse » before an e-mail address that cannot break: the line would need spaces
    twice the normal one; it is drawn unjustified (no extra space) instead."""
    from factsheets.layout import FRAME_WIDTH
    from factsheets.typography import JustifiedParagraph, _lines

    style = _body_style()["body"]
    text = (
        "Enfin, vous pouvez contacter le programme Territoires d’Industrie au niveau national à l’adresse "
        '<a href="mailto:territoires-industrie@anct.gouv.fr">territoires-industrie@anct.gouv.fr</a>.'
    )
    paragraph = JustifiedParagraph(text, style)
    paragraph.wrap(FRAME_WIDTH, 1000)
    lines = _lines(paragraph)
    assert len(lines) == 2 and lines[1].text == "territoires-industrie@anct.gouv.fr."
    assert lines[0].extra_space == 0.0


def _hyphenated_words(pdf_path) -> list[tuple[str, str]]:
    """(head, tail) of each word broken at a line end, as pypdf reads the glyphs (it does not
    read /ActualText): « exporta- » at a line's end, « tions » at the next one's start."""
    import pypdf

    found = []
    for page in pypdf.PdfReader(pdf_path).pages:
        lines = [line.replace("\u00a0", " ").strip() for line in page.extract_text().splitlines()]
        for line, following in zip(lines, lines[1:]):
            head = line.split(" ")[-1]
            if len(head) > 2 and head.endswith("-") and head[-2].isalpha() and following:
                found.append((head, following.split(" ")[0]))
    return found


def test_words_hyphenated_at_a_line_end_are_read_whole(oise_sheet):
    """SPEC 11: a word hyphenated at a line end is marked (/ActualText) so that extraction joins
    it; poppler's pdftotext honours /ActualText (PDF.js's getTextContent, pdfminer and pypdf
    read the glyphs): it reads « exportations » where the page shows « exporta- / tions ».
    Read with -raw, the content order, where poppler does not join hyphenated lines itself."""
    import subprocess

    from debian_tools import ensure_debian_program

    pdftotext = ensure_debian_program("pdftotext", "poppler-utils")
    words = _hyphenated_words(oise_sheet)
    assert len(words) >= 10, words  # the sheet hyphenates: the check below is not vacuous
    text = subprocess.run([pdftotext, "-raw", str(oise_sheet), "-"], capture_output=True, text=True, check=True).stdout
    lines = [line.strip() for line in text.replace("\u00a0", " ").splitlines()]
    for head, tail in words:
        whole = head[:-1] + tail
        assert any(whole in line.split(" ") for line in lines), (head, tail)
        assert not any(line.endswith(head) for line in lines), head  # the hyphen no longer read


def _set(text: str):
    from factsheets.layout import FRAME_WIDTH
    from factsheets.typography import JustifiedParagraph

    paragraph = JustifiedParagraph(text, _body_style()["body"])
    paragraph.wrap(FRAME_WIDTH, 1000)
    return paragraph


def _seen_space_ratios(paragraph) -> list[float]:
    """Each justified line's word space as a reader sees it (the space, its share of the
    line's extra space, and the letter-spacing after the word's last letter and the space),
    in normal spaces."""
    from factsheets.typography import _lines

    style = paragraph.style
    space = stringWidth(" ", style.fontName, style.fontSize)
    ratios = []
    lines = _lines(paragraph)
    for index, (line, tracking) in enumerate(zip(lines, paragraph.line_trackings)):
        last_unjustified = index == len(lines) - 1 and line.extra_space >= 0
        if line.words > 1 and line.extra_space and not last_unjustified:
            ratios.append(1 + (line.extra_space / (line.words - 1) + 2 * tracking) / space)
    return ratios


def test_a_short_last_word_is_mended_by_spacing_the_letters_of_a_line_a_little():
    """« …accessibles en open / data. » ends on a lone short word, and sending « open » down
    leaves the line above a little too loose: its letters are spaced (under 20/1000 em)."""
    from factsheets.typography import MOST_TRACKING_EM, _lines

    paragraph = _set(
        "Les infographies reposent sur les données départementales et régionales du commerce extérieur pour "
        "l’année 2024, produites par la Direction générale des Douanes et Droits indirects et accessibles en open data."
    )
    lines = _lines(paragraph)
    assert lines[-1].text == "open data."
    assert any(paragraph.line_trackings)
    assert all(abs(tracking) <= MOST_TRACKING_EM * 10 for tracking in paragraph.line_trackings)
    assert all(0.8 <= ratio <= 1.6 for ratio in _seen_space_ratios(paragraph)), _seen_space_ratios(paragraph)


def test_a_hyphenated_tail_is_mended_by_taking_it_back_on_a_tighter_line():
    """« …à droite les pays de destina- / tion. »: the paragraph is set on one line, its word
    spaces no tighter than 0.8 with its letters drawn a little closer."""
    from factsheets.typography import _lines

    paragraph = _set(
        "Figurent à gauche <b>les principaux biens exportés</b> depuis le département, à droite <b>les pays de destination</b>."
    )
    (line,) = _lines(paragraph)
    assert line.text.endswith("destination.")
    assert paragraph.line_trackings[0] < 0
    assert all(0.8 <= ratio <= 1.6 for ratio in _seen_space_ratios(paragraph))


def test_a_line_with_a_link_is_never_letter_spaced():
    """ReportLab places a link's area from the text's widths: letter-spacing would move the
    words away from it, so a loose line holding a link stays loose for the other rules."""
    from factsheets.typography import _Line, line_tracking

    loose = dict(words=5, text="un lien vers la page", extra_space=30.0)
    assert line_tracking(_Line(**loose), 30.0, 2.6, last=False) > 0
    assert line_tracking(_Line(**loose, trackable=False), 30.0, 2.6, last=False) == float("inf")
    assert line_tracking(_Line(**loose, trackable=False), 1.0, 2.6, last=False) == 0.0
