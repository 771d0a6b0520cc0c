"""French typography helpers for the ReportLab writer: hyphenation of elided words.

pyphen's French patterns hyphenate "incertitude", but ReportLab only asks its hyphenator
about words made of letters alone, so an elided word such as "l’incertitude" or
"d’exportation" (one word for ReportLab: the apostrophe joins them) was never broken and
stretched the justified line around it. `french_hyphenator` splits such a word at its
apostrophe, hyphenates the rest with pyphen and puts the elided head back in front of
every break ("l’incer-" / "titude"); the break itself never falls right after the
apostrophe (the elided article stays with its word, and ReportLab would print "l’-").

`allow_elided_words` widens ReportLab's letters-only test so that these words reach the
hyphenator: ReportLab keeps that test in a module-level pattern of
reportlab.platypus.paragraph (`_hy_letters_pat`); it is replaced, once, by the same letters
with an optional elided head in front.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from reportlab.pdfbase.pdfmetrics import stringWidth

from .pdf_tags import TaggedParagraph

APOSTROPHES = "’'"  # typographic first, the straight one still met in data
# French rules: at least 2 letters before the break and 3 after it, words of 6 letters or more.
LEFT, RIGHT, MIN_WORD = 2, 3, 6
# Letters as ReportLab's own pattern has them (Latin with accents, ligatures included).
_LETTERS = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
ELIDED = re.compile(rf"^((?:[{_LETTERS}]+[{APOSTROPHES}])+)([{_LETTERS}]+)$")


@lru_cache(maxsize=1)
def _pyphen():
    import pyphen

    return pyphen.Pyphen(lang="fr_FR", left=LEFT, right=RIGHT)


def hyphenation_points(word: str) -> list[tuple[str, str]]:
    """The (head, tail) break points of `word`, longest head first, as ReportLab wants them.

    "incertitude" -> [("incerti", "tude"), ("incer", "titude"), ("in", "certitude")];
    "l’incertitude" -> the same with "l’" in front of every head; a rest shorter than
    MIN_WORD letters is not broken."""
    found = ELIDED.match(word)
    if found is None:
        return list(_pyphen().iterate(word)) if len(word) >= MIN_WORD else []
    elided, rest = found.groups()
    if len(rest) < MIN_WORD:
        return []
    return [(elided + head, tail) for head, tail in _pyphen().iterate(rest)]


def french_hyphenator() -> Callable[[str], Iterator[tuple[str, str]]]:
    """The callable ReportLab's `hyphenationLang` takes (it iterates (head, tail) pairs)."""
    allow_elided_words()
    return lambda word: iter(hyphenation_points(word))


@lru_cache(maxsize=1)
def allow_elided_words() -> None:
    """Let ReportLab offer words with an elided head ("l’incertitude") to the hyphenator."""
    from reportlab.platypus import paragraph

    letters = paragraph._hy_letters_pat
    elided = re.compile(rf"^(?:[{_LETTERS}]+[{APOSTROPHES}])*(?:{letters.pattern.lstrip('^').rstrip('$')})$")
    paragraph._hy_letters_pat = elided


# -- justified paragraphs: where the lines break (SPEC 11 print typography) -------------------
# A justified line's word spaces stay between these multiples of the font's normal space.
LOOSEST_SPACE, TIGHTEST_SPACE = 1.6, 0.8
# A paragraph's last line, when it is a single word, has at least this many characters.
SHORTEST_LONE_LAST_WORD = 8
MOST_HYPHENS_IN_A_ROW = 2
# The widths the lines are broken at, in points narrower (+) or wider (−) than the column,
# nearest first: each line is then justified to the column itself, its spaces a little wider
# or narrower, so that another set of breaks can avoid a loose line or a bad ending. Up to
# 3 pt either way: on the 202 sample sheets every paragraph is set at 0 or −0.5 pt, and the
# six whose faults no offset removes (their endings) try every offset in each new process
# (±6 pt cost ~0.16 s on a run's first sheet, ±3 pt half that, for the same sheets).
BREAK_WIDTH_OFFSETS = tuple(sign * step / 4 for step in range(0, 13) for sign in ((1,) if step == 0 else (1, -1)))


@dataclass(frozen=True)
class _Line:
    """What the break rules read of one wrapped line (either kind of ReportLab line)."""

    words: int
    text: str
    extra_space: float


def _lines(paragraph) -> list[_Line]:
    lines = []
    for line in paragraph.blPara.lines:
        if paragraph.blPara.kind == 0:
            extra, words = line
            lines.append(_Line(len(words), " ".join(words).strip(), extra))
        else:
            text = "".join(getattr(frag, "text", "") for frag in line.words)
            lines.append(_Line(line.wordCount, text.strip(), line.extraSpace))
    return lines


def _own_lines(paragraph) -> None:
    """Give the paragraph line objects of its own: the wrap may have handed it lines shared
    with every equal paragraph of the process (pdf_paragraph.SharedParagraph), which the
    justification below must not change for them."""
    shared = paragraph.blPara
    own = copy.copy(shared)
    own.lines = list(shared.lines) if shared.kind == 0 else [copy.copy(line) for line in shared.lines]
    paragraph.blPara = own


def _set_extra_space(paragraph, index: int, extra: float) -> None:
    lines = paragraph.blPara.lines
    if paragraph.blPara.kind == 0:
        lines[index] = (extra, lines[index][1])
    else:
        lines[index].extraSpace = extra


def line_faults(lines: Sequence[_Line], space: float, offset: float, ends_paragraph: bool) -> tuple[int, int, int]:
    """(badly spaced lines, bad ending, hyphenated line ends beyond the second in a row) of
    `lines` broken `offset` points narrower than the column they are justified to.

    A line is badly spaced when justifying it would set its word spaces outside
    TIGHTEST_SPACE..LOOSEST_SPACE times `space`; the last line of a paragraph is not
    justified (unless wider than the column). A bad ending: the last line is the tail of a
    word broken on the line above (« destina- / tion. ») or one short word."""
    spacing = 0
    justified = lines if not ends_paragraph else lines[:-1]
    for line in justified:
        if line.words > 1:
            ratio = 1 + (line.extra_space + offset) / (line.words - 1) / space
            spacing += not TIGHTEST_SPACE <= ratio <= LOOSEST_SPACE
    if ends_paragraph and lines and lines[-1].extra_space + offset < 0 and lines[-1].words > 1:
        spacing += 1 + (lines[-1].extra_space + offset) / (lines[-1].words - 1) / space < TIGHTEST_SPACE
    ending = 0
    if ends_paragraph and len(lines) > 1 and lines[-1].words == 1:
        last = lines[-1].text.strip()
        ending = int(lines[-2].text.endswith("-") or len(last) < SHORTEST_LONE_LAST_WORD)
    run = beyond = 0
    for line in lines:
        run = run + 1 if line.text.endswith("-") else 0
        beyond += run > MOST_HYPHENS_IN_A_ROW
    return spacing, ending, beyond


class JustifiedParagraph(TaggedParagraph):
    """A justified paragraph whose lines keep SPEC 11's rules (see line_faults).

    ReportLab breaks lines greedily at the column width. A paragraph whose lines break badly
    there is broken again at slightly other widths (BREAK_WIDTH_OFFSETS), each line then
    justified to the column: the first set of breaks with no fault is kept, else the one with
    the fewest. A line still too loose even so (a long address that cannot break) is set flush
    left rather than stretched. The parts of a paragraph split over two pages keep the offset
    chosen for the whole."""

    break_offset: float | None = None  # given to the parts of a split paragraph
    chosen_offset: float = 0.0

    def wrap(self, available_width, available_height):
        space = stringWidth(" ", self.style.fontName, self.style.fontSize)
        ends_paragraph = not getattr(self, "_JustifyLast", False)
        # The same text at the same width breaks the same way: platypus wraps a paragraph
        # several times, and most paragraphs come back on every sheet of a run.
        key = (getattr(self, "text", None), self.style.name, available_width, ends_paragraph, self.break_offset)
        offset = _chosen_offsets.get(key) if key[0] is not None else None
        if offset is not None:
            super().wrap(available_width - offset, available_height)
        else:
            offset = self._search_offset(available_width, available_height, space, ends_paragraph)
            if key[0] is not None:
                if len(_chosen_offsets) >= _CHOSEN_OFFSETS_KEPT:
                    _chosen_offsets.clear()
                _chosen_offsets[key] = offset
        self.chosen_offset = offset
        _own_lines(self)
        lines = _lines(self)
        for index, line in enumerate(lines):
            extra = line.extra_space + offset
            last = index == len(lines) - 1 and ends_paragraph
            loose = line.words > 1 and 1 + extra / (line.words - 1) / space > LOOSEST_SPACE
            _set_extra_space(self, index, 0.0 if loose and not last else extra)
        self.width = available_width
        return self.width, self.height

    def _search_offset(self, available_width: float, available_height: float, space: float, ends_paragraph: bool) -> float:
        """The first of the offsets to try whose breaks have no fault, else the one with the
        fewest; the paragraph is left wrapped at it."""
        offsets = BREAK_WIDTH_OFFSETS if self.break_offset is None else (self.break_offset,)
        best = wrapped = None
        for offset in offsets:
            super().wrap(available_width - offset, available_height)
            wrapped = offset
            faults = line_faults(_lines(self), space, offset, ends_paragraph)
            if best is None or faults < best[0]:
                best = (faults, offset)
            if not any(faults):
                break
        offset = best[1]
        if wrapped != offset:
            super().wrap(available_width - offset, available_height)
        return offset

    def split(self, available_width, available_height):
        parts = super().split(available_width, available_height)
        for part in parts:
            part.break_offset = self.chosen_offset
        return parts


_CHOSEN_OFFSETS_KEPT = 4096
_chosen_offsets: dict[tuple, float] = {}
