"""Measurements of a rendered PDF, read back with PDFium (tests/pdf_marks.py), independent
of the code that drew it: every glyph with its colour and the colour of what lies beneath it
(contrast), the words of each text line (word spacing of justified lines), and what the
print layout rules look at (the footer rule, the chart titles, the tables' decimal marks,
the Sankeys' node columns).

The contrast formula is WCAG 2.1's, written here again rather than imported from the charts."""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import yaml
from pdf_marks import Char, PageMarks, Shape, read_pages
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.ttfonts import TTFont

from factsheets.paths import CONFIG_DIR, FONTS_DIR

WHITE = (1.0, 1.0, 1.0)


# Cached: a sheet has a few dozen colours and some 11,000 glyphs, each compared to the
# colour beneath it (colours are tuples of floats, looked up as they are).
@functools.cache
def luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


@functools.cache
def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def as_rgb(value) -> tuple[float, float, float]:
    """A pdfminer colour (gray, RGB or CMYK tuple; None is the PDF's initial black) as RGB."""
    if value is None:
        return (0.0, 0.0, 0.0)
    if isinstance(value, (int, float)):
        return (float(value),) * 3
    value = tuple(float(c) for c in value)
    if len(value) == 1:
        return value * 3
    if len(value) == 3:
        return value
    if len(value) == 4:
        c, m, y, k = value
        return ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k))
    raise ValueError(f"unknown colour {value!r}")


def _inside(x: float, y: float, polygon) -> bool:
    crossings = False
    for (x1, y1), (x2, y2) in zip(polygon, list(polygon[1:]) + [polygon[0]]):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            crossings = not crossings
    return crossings


class Glyph(NamedTuple):
    """A visible glyph and the colour beneath it. A tuple, not a dataclass: a sheet has some
    11,000 of them, made, pickled and read back once for the run (conftest.py)."""

    page: int
    text: str
    size: float
    bold: bool
    ink: tuple[float, float, float]
    beneath: tuple[float, float, float]

    @property
    def ratio(self) -> float:
        return contrast(self.ink, self.beneath)

    @property
    def large(self) -> bool:
        """WCAG "large text": 18 pt, or 14 pt bold."""
        return self.size >= 18 or (self.size >= 14 and self.bold)

    @property
    def required(self) -> float:
        return 3.0 if self.large else 4.5


def _beneath_all(chars: list[Char], fills: list[Shape]) -> list[tuple[float, float, float]]:
    """For each glyph, the fill colour of the topmost filled shape painted before it under
    its centre (a rectangle, or a path tested by its outline), or the white page.

    A sheet has some 11,000 glyphs and a page a few hundred filled shapes: which shapes'
    boxes hold which glyph's centre, painted before it, is one numpy comparison per page;
    only the candidates that are paths go through the outline test, topmost first."""
    if not fills:
        return [WHITE] * len(chars)
    centre_x = np.array([(char.x0 + char.x1) / 2 for char in chars])
    centre_y = np.array([(char.y0 + char.y1) / 2 for char in chars])
    char_order = np.array([char.order for char in chars])
    x0, y0, x1, y1, order = (np.array([getattr(shape, name) for shape in fills]) for name in ("x0", "y0", "x1", "y1", "order"))
    under = (
        (order[None, :] < char_order[:, None])
        & (x0[None, :] <= centre_x[:, None])
        & (centre_x[:, None] <= x1[None, :])
        & (y0[None, :] <= centre_y[:, None])
        & (centre_y[:, None] <= y1[None, :])
    )
    # The topmost candidate of each glyph; none is the page, a rectangle there settles it.
    topmost = len(fills) - 1 - np.argmax(under[:, ::-1], axis=1)
    found = []
    for index, (top, any_under) in enumerate(zip(topmost.tolist(), under.any(axis=1).tolist())):
        if not any_under:
            found.append(WHITE)
            continue
        if fills[top].kind == "rect":
            found.append(fills[top].fill)
            continue
        colour, x, y = WHITE, float(centre_x[index]), float(centre_y[index])
        for candidate in np.flatnonzero(under[index])[::-1].tolist():
            shape = fills[candidate]
            if shape.kind == "rect" or _inside(x, y, shape.points):
                colour = shape.fill
                break
        found.append(colour)
    return found


def _page_glyphs(page: PageMarks) -> Iterator[Glyph]:
    """The visible glyphs of one page (see glyphs)."""
    fills = [shape for shape in page.shapes if shape.filled and shape.kind != "line"]
    visible = [char for char in page.chars if char.text.strip()]
    for char, beneath in zip(visible, _beneath_all(visible, fills)):
        yield Glyph(page.number, char.text, char.size, "Bold" in char.font, char.ink, beneath)


def glyphs(path: Path) -> Iterator[Glyph]:
    """Every visible glyph of the PDF, with the colour beneath it (see _beneath)."""
    for page in read_pages(path):
        yield from _page_glyphs(page)


@dataclass(frozen=True)
class TextLine:
    page: int
    text: str
    size: float
    x0: float
    x1: float
    gaps: tuple[float, ...]  # between consecutive words, in points
    space: float  # the font's normal space at that size, in points

    @property
    def widest_gap_ratio(self) -> float:
        return max(self.gaps) / self.space if self.gaps else 1.0


def rows_of(chars: Iterable[Char], height=lambda char: char.y0) -> list[tuple[float, list[Char]]]:
    """`chars` grouped by `height` (rounded to 0.1 pt), the top of the page first: (that
    height, the row's characters left to right)."""
    rows: dict[float, list[Char]] = defaultdict(list)
    for char in chars:
        rows[round(height(char), 1)].append(char)
    return [(level, sorted(rows[level], key=lambda c: c.x0)) for level in sorted(rows, reverse=True)]


def _of_size(chars: Iterable[Char], size: float) -> Iterator[Char]:
    return (char for char in chars if abs(char.size - size) < 0.01)


def _page_body_lines(page: PageMarks, size: float, space_em: float, right: float, tolerance: float) -> Iterator[TextLine]:
    for _, chars in rows_of(_of_size(page.chars, size)):
        words: list[list[Char]] = [[]]
        for char in chars:
            if char.text == " ":
                if words[-1]:
                    words.append([])
            else:
                words[-1].append(char)
        words = [word for word in words if word]
        if len(words) < 3 or abs(words[-1][-1].x1 - right) > tolerance:
            continue
        gaps = tuple(b[0].x0 - a[-1].x1 for a, b in zip(words, words[1:]))
        yield TextLine(
            page.number,
            " ".join("".join(c.text for c in w) for w in words),
            size,
            words[0][0].x0,
            words[-1][-1].x1,
            gaps,
            space_em * size,
        )


def body_lines(path: Path, size: float, space_em: float, right: float, tolerance: float = 0.6) -> Iterator[TextLine]:
    """The text lines set at `size` points that reach the right margin `right` (x, points):
    the justified lines of the body text, and the few last lines that happen to be full.

    Words are split at ordinary spaces only (a no-break space stays inside its word), so a
    gap is what the justification put between two words. `space_em` is the font's space
    advance in em (Open Sans: 0.26)."""
    for page in read_pages(path):
        yield from _page_body_lines(page, size, space_em, right, tolerance)


# The body text of the sheets (spec 11): 10 pt Open Sans, justified to the right margin.
BODY_SIZE = 10.0
RIGHT_MARGIN = A4[0] - 20 * 72 / 25.4


@functools.cache  # read by every sheet's measure
def space_em() -> float:
    """Open Sans's space advance in em, from the font file."""
    return TTFont("measure-space", str(FONTS_DIR / "OpenSans-Regular.ttf")).stringWidth(" ", 1)


MM = 72 / 25.4
TABLE_FONT_SIZE = 8.5  # the evolution page's tables
_SETTINGS = yaml.safe_load((CONFIG_DIR / "settings.yaml").read_text(encoding="utf-8"))
NODE_COLOURS = {_SETTINGS["colors"]["sankey_node"].upper(), _SETTINGS["colors"]["sankey_other_node"].upper()}


@functools.cache  # called for each visible glyph, with a few dozen colours
def hex_colour(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(channel * 255):02X}" for channel in rgb)


@dataclass(frozen=True)
class Row:
    """One line of text as a reader sees it: its characters side by side on one baseline."""

    text: str  # no-break spaces read as spaces
    styles: frozenset  # (face, size, colour) of its visible glyphs
    x0: float  # the first and last visible glyphs' edges
    x1: float


@dataclass
class SheetLayout:
    """What the print layout rules read of one sheet (tests/test_print_layout.py)."""

    pages: int
    width: float = 0.0
    gaps: list[tuple[float | None, int]] = field(default_factory=list)  # per page: rule to closest content above it
    rows: list[list[Row]] = field(default_factory=list)  # per page, top to bottom
    pivots: dict[tuple[int, int], list[float]] = field(default_factory=lambda: defaultdict(list))
    node_columns: dict[int, set[float]] = field(default_factory=dict)  # per page: the x of the Sankey nodes


def footer_rule(shapes: list[Shape], width: float) -> float | None:
    """The height (from the bottom edge, points) of the footer rule: the lowest line or thin
    rectangle across the frame's width in the bottom 30 mm."""
    rules = [
        shape.y0
        for shape in shapes
        if shape.kind in ("line", "rect")
        and abs(shape.y0 - shape.y1) < 1
        and shape.x1 - shape.x0 > width * 0.7
        and shape.y0 < 30 * MM
    ]
    return min(rules) if rules else None


def text_rows(chars: list[Char]) -> list[tuple[str, list[Char]]]:
    """The page's characters grouped by the top of their boxes, top to bottom, each row left
    to right, with its text (no-break spaces read as spaces)."""
    return [("".join(c.text for c in row).replace("\u00a0", " "), row) for _, row in rows_of(chars, lambda c: c.y1)]


def _row(text: str, chars: list[Char]) -> Row | None:
    visible = [c for c in chars if c.text.strip()]
    if not visible:
        return None
    styles = frozenset((c.font, round(c.size, 2), hex_colour(c.ink)) for c in visible)
    return Row(text, styles, visible[0].x0, visible[-1].x1)


def _cells(row: list[Char]) -> list[list[Char]]:
    """A table row's cells: runs of characters separated by more than 6 pt."""
    cells: list[list[Char]] = [[row[0]]]
    for previous, char in zip(row, row[1:]):
        if char.x0 - previous.x1 > 6:
            cells.append([])
        cells[-1].append(char)
    return cells


def _pivot(cell: list[Char]) -> float:
    """Where the decimal mark is, or would be: the "." itself, else the right edge of the last digit."""
    for char in cell:
        if char.text == ".":
            return char.x0
    digits = [char for char in cell if char.text.isdigit()]
    return digits[-1].x1


def _table_pivots(chars: list[Char], columns: dict[tuple[int, int], list[float]], number) -> None:
    """The decimal marks' places in the numeric cells of the page's tables, by (cells in the row, column)."""
    table = [c for c in chars if abs(c.size - TABLE_FONT_SIZE) < 0.01 and "Bold" not in c.font]
    for _text, row in text_rows(table):
        cells = _cells(row)
        for index, cell in enumerate(cells):
            if index and number.match("".join(c.text for c in cell).strip()):
                columns[(len(cells), index)].append(_pivot(cell))


def _layout_page(page: PageMarks, sheet: SheetLayout, pages: int, number) -> None:
    rule = footer_rule(page.shapes, page.width)
    bottoms = []
    if rule is not None:
        bottoms = [c.y0 for c in page.chars if c.text.strip() and c.y0 > rule]
        bottoms += [shape.y0 for shape in page.shapes if shape.y0 > rule + 0.5]
    sheet.gaps.append((min(bottoms) - rule if bottoms else None, page.number) if rule is not None else (None, page.number))
    sheet.rows.append([row for text, chars in text_rows(page.chars) if (row := _row(text, chars))])
    columns = {round(shape.x0, 1) for shape in page.rects if hex_colour(shape.fill) in NODE_COLOURS}
    if columns:
        sheet.node_columns[page.number] = columns
    if pages == 9 and page.number == 8:  # the evolution page, before "Informations pratiques"
        _table_pivots(page.chars, sheet.pivots, number)


@dataclass(frozen=True)
class SheetMeasures:
    """What test_contrast.py, test_justified_lines.py and test_print_layout.py read of one
    sheet, from one reading of its pages."""

    glyphs: list[Glyph]
    body_lines: list[TextLine]
    layout: SheetLayout
    body_paragraphs: list[BodyParagraph]


def _measure(path: Path, glyph_pages, number) -> SheetMeasures:
    em = space_em()
    pages = list(read_pages(path))
    layout = SheetLayout(len(pages), pages[0].width if pages else 0.0)
    found, lines, paragraphs = [], [], []
    for page in pages:
        if glyph_pages is None or page.number in glyph_pages(len(pages)):
            found.extend(_page_glyphs(page))
        lines.extend(_page_body_lines(page, BODY_SIZE, em, RIGHT_MARGIN, 0.6))
        paragraphs.extend(_page_body_paragraphs(page, BODY_SIZE, BODY_LEADING, LEFT_MARGIN))
        _layout_page(page, layout, len(pages), number)
    return SheetMeasures(found, lines, layout, paragraphs)


# A number as the evolution tables print it: sign, digits grouped by (no-break) spaces, a
# decimal part, a percent sign.
NUMBER = re.compile(r"^[+\u2212-]?\d[\d\u00a0 ]*(\.\d+)?%?$")


def measure_sheet(path: Path) -> SheetMeasures:
    """glyphs, body_lines(path, BODY_SIZE, space_em(), RIGHT_MARGIN), the print layout and
    body_paragraphs of one sheet, each page read once for all four."""
    return _measure(path, None, NUMBER)


def _evolution_page(pages: int) -> set[int]:
    return {8} if pages == 9 else set()


def measure_evolution_sheet(path: Path) -> SheetMeasures:
    """The same for a sheet rendered with --evolution, but the glyphs of its evolution page
    only: its other pages show the plain sheet's texts and charts, whose glyphs the plain
    sheets' measures hold (keeping 13,000 glyphs of each of 202 sheets would not fit a
    test worker's memory)."""
    return _measure(path, _evolution_page, NUMBER)


@dataclass(frozen=True)
class BodyParagraph:
    """The lines of one paragraph of body text (a bullet item is a paragraph), top to bottom."""

    page: int
    lines: tuple[str, ...]
    # Each line, whether it ends on a word broken at the line end: a hyphen, or the head of
    # a word the text layer gives whole (/ActualText, which PDFium reads: pdf_marks.Char.replaced).
    hyphenated: tuple[bool, ...]

    def longest_hyphen_run(self) -> int:
        run = longest = 0
        for hyphen in self.hyphenated:
            run = run + 1 if hyphen else 0
            longest = max(longest, run)
        return longest

    def ends_on_hyphenated_tail(self) -> bool:
        """« destina- / tion. »: the last line is the tail of a word broken on the line above."""
        return len(self.lines) > 1 and self.hyphenated[-2] and len(self.lines[-1].split(" ")) == 1

    def ends_on_lone_short_word(self, shortest: int) -> bool:
        """The last line is one word shorter than `shortest` characters (punctuation included)."""
        last = self.lines[-1]
        return len(self.lines) > 1 and len(last.split(" ")) == 1 and len(last) < shortest


def _page_text_rows(page: PageMarks, size: float) -> list[tuple[float, float, str, bool]]:
    """The (bottom, x0, text, ends on a broken word) of each line of `size`-point characters,
    top to bottom (bottom: from the page's top edge); words split at ordinary spaces (a
    no-break space stays in its word) and joined by one space."""
    found = []
    for level, row in rows_of(_of_size(page.chars, size)):
        bottom = page.height - level
        text = " ".join("".join(c.text for c in row).split(" ")).strip()
        visible = [c for c in row if c.text.strip()]
        broken = text.endswith("-") or bool(visible and visible[-1].replaced)
        found.append((bottom, row[0].x0, text, broken))
    return found


def _page_body_paragraphs(page: PageMarks, size: float, leading: float, left: float) -> list[BodyParagraph]:
    paragraphs: list[BodyParagraph] = []
    current: list[tuple[str, bool]] = []
    previous = None

    def close() -> None:
        if current:
            paragraphs.append(BodyParagraph(page.number, tuple(t for t, _ in current), tuple(b for _, b in current)))

    for bottom, x0, text, broken in _page_text_rows(page, size):
        if abs(x0 - left) > 0.6:
            continue
        text = text.removeprefix("•").strip()
        if previous is None or abs(bottom - previous - leading) >= 0.3:
            close()
            current = []
        current.append((text, broken))
        previous = bottom
    close()
    return paragraphs


# The body text's leading (layout.py's body style) and left margin.
BODY_LEADING = 14.2
LEFT_MARGIN = 20 * 72 / 25.4


def body_paragraphs(
    path: Path, size: float = BODY_SIZE, leading: float = BODY_LEADING, left: float = LEFT_MARGIN
) -> list[BodyParagraph]:
    """The paragraphs of body text: lines set at `size` points that start at the left margin
    `left` (or at a bullet there), one `leading` apart; a larger gap (a paragraph's or a list
    item's space after) or a new page starts a new paragraph. Chart labels and centred lines
    do not start at the margin and are left out."""
    return [paragraph for page in read_pages(path) for paragraph in _page_body_paragraphs(page, size, leading, left)]
