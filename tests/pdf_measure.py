"""Measurements of a rendered PDF, read back with pdfplumber (pdfminer), independent of the
code that drew it: every glyph with its colour and the colour of what lies beneath it
(contrast), and the words of each text line (word spacing of justified lines).

The contrast formula is WCAG 2.1's, written here again rather than imported from the charts."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
from pdfminer.layout import LTChar, LTContainer, LTCurve, LTLine, LTRect
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.ttfonts import TTFont

from factsheets.paths import FONTS_DIR

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


def _drawn(container) -> Iterator:
    """The page's marks in painting order, form XObjects and text boxes opened."""
    for item in container:
        if isinstance(item, LTContainer) and not isinstance(item, LTChar):
            yield from _drawn(item)
        else:
            yield item


@dataclass(frozen=True)
class Glyph:
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


def _page_glyphs(number: int, page) -> Iterator[Glyph]:
    """The visible glyphs of one pdfplumber page (see glyphs)."""
    fills: list = []
    for item in _drawn(page.layout):
        if isinstance(item, (LTRect, LTCurve)) and not isinstance(item, LTLine):
            if item.fill:
                fills.append(item)
        elif isinstance(item, LTChar) and item.get_text().strip():
            x, y = (item.x0 + item.x1) / 2, (item.y0 + item.y1) / 2
            beneath = WHITE
            for shape in reversed(fills):
                if (
                    shape.x0 <= x <= shape.x1
                    and shape.y0 <= y <= shape.y1
                    and (isinstance(shape, LTRect) or _inside(x, y, shape.pts))
                ):
                    beneath = as_rgb(shape.non_stroking_color)
                    break
            yield Glyph(number, item.get_text(), item.size, "Bold" in item.fontname, as_rgb(item.graphicstate.ncolor), beneath)


def glyphs(path: Path) -> Iterator[Glyph]:
    """Every visible glyph, with the fill colour of the topmost filled shape painted before it
    under its centre (a rectangle, or a path tested by its outline), or the white page."""
    with pdfplumber.open(path) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            yield from _page_glyphs(number, page)


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


def _page_chars(page) -> list[dict]:
    """The page's characters as pdfplumber's `page.chars` gives them (the keys body_lines
    reads), taken from the layout that glyphs reads too: one parse of the page for both."""
    mb_x0, mb_top = page.mediabox[:2]
    return [
        {
            "text": item.get_text(),
            "size": item.size,
            "upright": item.upright,
            "x0": item.x0 + mb_x0,
            "x1": item.x1 + mb_x0,
            "bottom": (page.height - item.y0) + mb_top,
        }
        for item in _drawn(page.layout)
        if isinstance(item, LTChar)
    ]


def _page_body_lines(number: int, chars, size: float, space_em: float, right: float, tolerance: float) -> Iterator[TextLine]:
    rows: dict[float, list] = {}
    for char in chars:
        if abs(char["size"] - size) < 0.01 and char["upright"]:
            rows.setdefault(round(char["bottom"], 1), []).append(char)
    for chars in rows.values():
        chars.sort(key=lambda c: c["x0"])
        words: list[list] = [[]]
        for char in chars:
            if char["text"] == " ":
                if words[-1]:
                    words.append([])
            else:
                words[-1].append(char)
        words = [word for word in words if word]
        if len(words) < 3 or abs(words[-1][-1]["x1"] - right) > tolerance:
            continue
        gaps = tuple(b[0]["x0"] - a[-1]["x1"] for a, b in zip(words, words[1:]))
        yield TextLine(
            number,
            " ".join("".join(c["text"] for c in w) for w in words),
            size,
            words[0][0]["x0"],
            words[-1][-1]["x1"],
            gaps,
            space_em * size,
        )


def body_lines(path: Path, size: float, space_em: float, right: float, tolerance: float = 0.6) -> Iterator[TextLine]:
    """The text lines set at `size` points that reach the right margin `right` (x, points):
    the justified lines of the body text, and the few last lines that happen to be full.

    Words are split at ordinary spaces only (a no-break space stays inside its word), so a
    gap is what the justification put between two words. `space_em` is the font's space
    advance in em (Open Sans: 0.26)."""
    with pdfplumber.open(path) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            yield from _page_body_lines(number, page.chars, size, space_em, right, tolerance)


# The body text of the sheets (spec 11): 10 pt Open Sans, justified to the right margin.
BODY_SIZE = 10.0
RIGHT_MARGIN = A4[0] - 20 * 72 / 25.4


def space_em() -> float:
    """Open Sans's space advance in em, from the font file."""
    return TTFont("measure-space", str(FONTS_DIR / "OpenSans-Regular.ttf")).stringWidth(" ", 1)


@dataclass(frozen=True)
class SheetMeasures:
    """What test_contrast.py and test_justified_lines.py read of one sheet, from one parse."""

    glyphs: list[Glyph]
    body_lines: list[TextLine]
    body_paragraphs: list[BodyParagraph]


def measure_sheet(path: Path) -> SheetMeasures:
    """glyphs(path), body_lines(path, BODY_SIZE, space_em(), RIGHT_MARGIN) and
    body_paragraphs(path), each page parsed once for all three."""
    em = space_em()
    found, lines, paragraphs = [], [], []
    with pdfplumber.open(path) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            found.extend(_page_glyphs(number, page))
            chars = _page_chars(page)
            lines.extend(_page_body_lines(number, chars, BODY_SIZE, em, RIGHT_MARGIN, 0.6))
            paragraphs.extend(_page_body_paragraphs(number, chars, BODY_SIZE, BODY_LEADING, LEFT_MARGIN))
    return SheetMeasures(found, lines, paragraphs)


@dataclass(frozen=True)
class BodyParagraph:
    """The lines of one paragraph of body text (a bullet item is a paragraph), top to bottom."""

    page: int
    lines: tuple[str, ...]

    @property
    def hyphenated(self) -> tuple[bool, ...]:
        """Each line, whether it ends on a hyphen (a word broken at the line end)."""
        return tuple(line.endswith("-") for line in self.lines)

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


def _page_text_rows(chars, size: float) -> list[tuple[float, float, str]]:
    """The (bottom, x0, text) of each line of `size`-point characters, top to bottom; words
    split at ordinary spaces (a no-break space stays in its word) and joined by one space."""
    rows: dict[float, list] = {}
    for char in chars:
        if abs(char["size"] - size) < 0.01 and char["upright"]:
            rows.setdefault(round(char["bottom"], 1), []).append(char)
    found = []
    for bottom, row in sorted(rows.items()):
        row.sort(key=lambda c: c["x0"])
        text = "".join(c["text"] for c in row)
        found.append((bottom, row[0]["x0"], " ".join(text.split(" ")).strip()))
    return found


def _page_body_paragraphs(number: int, chars, size: float, leading: float, left: float) -> list[BodyParagraph]:
    paragraphs: list[BodyParagraph] = []
    current: list[str] = []
    previous = None
    for bottom, x0, text in _page_text_rows(chars, size):
        if abs(x0 - left) > 0.6:
            continue
        text = text.removeprefix("•").strip()
        if previous is not None and abs(bottom - previous - leading) < 0.3:
            current.append(text)
        else:
            if current:
                paragraphs.append(BodyParagraph(number, tuple(current)))
            current = [text]
        previous = bottom
    if current:
        paragraphs.append(BodyParagraph(number, tuple(current)))
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
    with pdfplumber.open(path) as pdf:
        return [
            paragraph
            for number, page in enumerate(pdf.pages, 1)
            for paragraph in _page_body_paragraphs(number, page.chars, size, leading, left)
        ]
