"""Word spacing and line breaks of the justified body text (spec 11: no justified line whose
word spaces exceed 1.6× the normal space; no paragraph ending on a hyphenated tail or a lone
short word; at most two hyphenated line ends in a row), measured on the 101 sheets of one
`render --all` and the 101 of one `render --all --evolution` (shared, see conftest.py) from
the glyph positions PDFium reads back (tests/pdf_measure.py).

A body line is a line of 10 pt text that reaches the right margin; its widest gap between
two words is compared with Open Sans's space (0.26 em, from the font file). A paragraph is a
run of 10 pt lines from the left margin one leading apart."""

from __future__ import annotations

import re
from collections import Counter

import pytest

LIMIT = 1.6
# Word spaces are also never squeezed below this share of the normal space (line breaks
# taken at a slightly wider measure are justified back to the column, typography.py).
TIGHTEST = 0.8
# A one-word last line shorter than this (characters, punctuation included) is a lone short word.
SHORTEST_LONE_LAST_WORD = 8


@pytest.fixture(scope="module")
def lines(evolution_sheet_measures, plain_sheets, plain_sheet_measures) -> list:
    """pdf_measure.body_lines(sheet, BODY_SIZE, space_em(), RIGHT_MARGIN) of every sheet, read
    once for the whole run with the glyphs of test_contrast.py (see conftest.py). The
    --evolution sheets first: test_contrast.py, which the other pytest-xdist worker starts
    with, renders and measures the plain ones meanwhile (each then helps with the other's)."""
    plain = [(path.name, line) for path in plain_sheets for line in plain_sheet_measures[path].body_lines]
    evolution = [
        (f"evolution/{path.name}", line) for path, measures in evolution_sheet_measures.items() for line in measures.body_lines
    ]
    return plain + evolution


@pytest.fixture(scope="module")
def paragraphs(evolution_sheet_measures, plain_sheets, plain_sheet_measures) -> list:
    plain = [(path.name, paragraph) for path in plain_sheets for paragraph in plain_sheet_measures[path].body_paragraphs]
    evolution = [
        (f"evolution/{path.name}", paragraph)
        for path, measures in evolution_sheet_measures.items()
        for paragraph in measures.body_paragraphs
    ]
    return plain + evolution


def test_the_measure_reads_the_body_text(lines):
    assert len({name for name, _ in lines}) == 202
    assert len(lines) > 101 * 40  # every sheet's justified paragraphs, not a stray line
    ratios = sorted(line.widest_gap_ratio for _, line in lines)
    assert 0.95 < ratios[len(ratios) // 2] < 1.5  # a typical justified line is close to normal spacing


def test_no_justified_line_spaces_its_words_over_1_6_times_the_normal_space(lines):
    loose = Counter()
    for _name, line in lines:
        if line.widest_gap_ratio > LIMIT:
            loose[(line.page, line.text[:60], round(line.widest_gap_ratio, 2))] += 1
    assert not loose, f"{sum(loose.values())} loose lines, e.g. {loose.most_common(5)}"


def test_no_justified_line_squeezes_its_words(lines):
    tight = Counter()
    for _name, line in lines:
        if line.gaps and min(line.gaps) / line.space < TIGHTEST:
            tight[(line.page, line.text[:60], round(min(line.gaps) / line.space, 2))] += 1
    assert not tight, f"{sum(tight.values())} tight lines, e.g. {tight.most_common(5)}"


def test_the_paragraph_measure_reads_the_body_text(paragraphs):
    assert len({name for name, _ in paragraphs}) == 202
    assert len(paragraphs) > 202 * 20
    hyphenated = sum(sum(paragraph.hyphenated) for _, paragraph in paragraphs)
    assert hyphenated > 101 * 5  # the sheets do hyphenate: the rules below are not vacuous


def test_at_most_two_hyphenated_line_ends_in_a_row(paragraphs):
    runs = Counter((paragraph.page, paragraph.lines[0][:50]) for _, paragraph in paragraphs if paragraph.longest_hyphen_run() > 2)
    assert not runs, runs.most_common(5)


def test_no_paragraph_ends_on_a_hyphenated_tail_or_a_lone_short_word(paragraphs):
    endings = Counter(
        (paragraph.page, f"{paragraph.lines[-2][-30:]} / {paragraph.lines[-1]}")
        for _, paragraph in paragraphs
        if paragraph.ends_on_hyphenated_tail() or paragraph.ends_on_lone_short_word(SHORTEST_LONE_LAST_WORD)
    )
    assert not endings, f"{sum(endings.values())} bad endings: {endings.most_common(5)}"


# typography.MOST_TRACKING_EM, written again: the letter-spacing a line may get, in em.
MOST_TRACKING_EM = 0.02
_FONT = re.compile(rb"/(\S+) ([\d.]+) Tf")
_TRACKING = re.compile(rb"(-?[\d.]+) Tc")


def _trackings(path) -> list[tuple[float, float]]:
    """(Tc, font size in force) of every character spacing the sheet's pages set."""
    import pikepdf

    found = []
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            contents = page.obj.get("/Contents")
            stream = b"".join(part.read_bytes() for part in (contents if isinstance(contents, pikepdf.Array) else [contents]))
            size = None
            for match in re.finditer(rb"/\S+ [\d.]+ Tf|-?[\d.]+ Tc", stream):
                font = _FONT.fullmatch(match.group())
                if font:
                    size = float(font.group(2))
                else:
                    found.append((float(_TRACKING.fullmatch(match.group()).group(1)), size))
    return found


def test_letters_are_spaced_only_a_little_and_only_where_a_paragraph_needs_it(plain_sheets, evolution_sheets):
    """Letter-spacing (Tc) mends the paragraphs no breaks can (« accessibles en / open data. »):
    on every sheet it stays within ±20/1000 em of the font in force and each tracked line
    sets it back to 0 after itself."""
    per_sheet = Counter()
    for path in [*plain_sheets, *evolution_sheets]:
        trackings = _trackings(path)
        assert all(size and abs(value) <= MOST_TRACKING_EM * size + 1e-3 for value, size in trackings), (path.name, trackings)
        set_values = [value for value, _ in trackings if value]
        assert len(set_values) * 2 == len(trackings), (path.name, trackings)  # each one undone by a "0 Tc"
        per_sheet[len(set_values)] += 1
    # a handful of lines per sheet, not a whole text letter-spaced
    assert set(per_sheet) <= set(range(1, 11)), per_sheet
