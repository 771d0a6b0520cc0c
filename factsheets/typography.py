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

import bisect
import copy
import math
import re
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import NamedTuple

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
    return list(_hyphenation_points(word))


# Break points by word, as pyphen gave them or as breaks_record read them back from an earlier
# run: a process whose words are all known never reads pyphen's French patterns (10-14 ms of a
# drawing process's start). At most WORDS_KEPT, then started afresh.
WORDS_KEPT = 8192
_known_points: dict[str, tuple[tuple[str, str], ...]] = {}


def _hyphenation_points(word: str) -> tuple[tuple[str, str], ...]:
    # Remembered: a paragraph's break search asks ReportLab to break it at many widths,
    # and ReportLab asks again for the word each line ends on.
    points = _known_points.get(word)
    if points is None:
        if len(_known_points) >= WORDS_KEPT:
            _known_points.clear()
        points = _known_points[word] = _points_of(word)
    return points


def _points_of(word: str) -> tuple[tuple[str, str], ...]:
    found = ELIDED.match(word)
    if found is None:
        return tuple(_pyphen().iterate(word)) if len(word) >= MIN_WORD else ()
    elided, rest = found.groups()
    if len(rest) < MIN_WORD:
        return ()
    return tuple((elided + head, tail) for head, tail in _pyphen().iterate(rest))


def prepare_hyphenation() -> None:
    """pyphen's French patterns read now, unless earlier runs' break points are known
    (breaks_record): then a word they do not know still loads them, when it is met."""
    if not _known_points:
        _pyphen()


def french_hyphenator() -> Callable[[str], Iterator[tuple[str, str]]]:
    """The callable ReportLab's `hyphenationLang` takes (it iterates (head, tail) pairs)."""
    allow_elided_words()
    remember_string_widths()
    return lambda word: iter(_hyphenation_points(word))


@lru_cache(maxsize=1)
def allow_elided_words() -> None:
    """Let ReportLab offer words with an elided head ("l’incertitude") to the hyphenator."""
    from reportlab.platypus import paragraph

    letters = paragraph._hy_letters_pat
    elided = re.compile(rf"^(?:[{_LETTERS}]+[{APOSTROPHES}])*(?:{letters.pattern.lstrip('^').rstrip('$')})$")
    paragraph._hy_letters_pat = elided


# Widths of words in a face and size, remembered for ReportLab's line breaking.
REMEMBERED_WIDTHS = 65536


@lru_cache(maxsize=1)
def remember_string_widths() -> None:
    """Let ReportLab's line breaking measure each word once per face and size.

    A paragraph's break search breaks it at many widths, and ReportLab measures every word
    again each time (pdfmetrics.stringWidth, three calls deep for a TrueType face). Its
    paragraphs look the function up in reportlab.platypus.paragraph, where it is replaced,
    once, by one that remembers each width by the registered font object itself (a face
    registered again under the same name is measured anew), the same number as measured."""
    from reportlab.pdfbase.pdfmetrics import getFont
    from reportlab.platypus import paragraph

    @lru_cache(maxsize=REMEMBERED_WIDTHS)
    def width_in(font, text: str, size: float, encoding: str) -> float:
        return font.stringWidth(text, size, encoding=encoding)

    def remembered_width(text: str, font_name: str, size: float, encoding: str = "utf8") -> float:
        return width_in(getFont(font_name), text, size, encoding)

    paragraph.stringWidth = remembered_width


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


# A line whose word spaces would still fall outside those limits may have its letters spaced
# by up to this share of the font size to bring them back to the limit: 20/1000 em (a
# typesetter's tracking of ±20, 0.2 pt at 10 pt), what a compositor allows to mend a
# paragraph's ending; tried only where breaks alone leave a fault (« accessibles en / open
# data. », « …à droite les pays de destination. » on one line).
MOST_TRACKING_EM = 0.02
# A tracked line's word spaces are set this much (a share of the normal space) inside the
# limits, so the positions rounded in the PDF keep them within.
TRACKED_SPACE_MARGIN = 0.01
# A pushed line is broken this much (points) narrower than its natural width less the
# shrinking ReportLab allows, so its last word no longer fits; a pulled line this much wider
# than what it needs to take the next line's first word. Up to MOST_PUSHES lines of a
# paragraph pushed or pulled, the PUSH_BEAM best sets kept at each depth.
PUSH_MARGIN = 0.5
MOST_PUSHES, PUSH_BEAM = 3, 8


class _Line(NamedTuple):
    """What the break rules read of one wrapped line (either kind of ReportLab line)."""

    words: int
    text: str
    extra_space: float
    # Whether its letters may be spaced: ReportLab places a link's area, an underline or a
    # background from the text's widths, which letter-spacing would leave behind.
    trackable: bool = True


def _lines(paragraph) -> list[_Line]:
    lines = []
    for line in paragraph.blPara.lines:
        if paragraph.blPara.kind == 0:
            extra, words = line
            lines.append(_Line(len(words), " ".join(words).strip(), extra))
        else:
            text = "".join(getattr(frag, "text", "") for frag in line.words)
            lines.append(_Line(line.wordCount, text.strip(), line.extraSpace, not any(map(_placed_by_width, line.words))))
    return lines


def _placed_by_width(frag) -> bool:
    return bool(
        getattr(frag, "link", None)
        or getattr(frag, "underline", 0)
        or getattr(frag, "strike", 0)
        or getattr(frag, "backColor", None)
    )


def _first_word_width(para, style, index: int) -> float:
    """The width of line `index`'s first word, in the fonts it is set in (`para`: a
    paragraph's ReportLab lines, blPara; `style`: its style)."""
    line = para.lines[index]
    if para.kind == 0:
        return stringWidth(line[1][0] if line[1] else "", style.fontName, style.fontSize)
    width, started = 0.0, False
    for frag in line.words:
        text = getattr(frag, "text", "")
        word = text.lstrip(" ") if not started else text
        started = started or bool(word)
        head = word.split(" ", 1)[0]
        width += stringWidth(head, frag.fontName, frag.fontSize)
        if " " in word:
            break
    return width


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


def _faults_above(
    lines: Sequence[_Line], index: int, offset: float, narrowing: Sequence[float], space: float, most_tracking: float
) -> tuple[int, int, int]:
    """The faults lines 0 to `index` - 1 of `lines` (none of them the last) bring to any set
    of breaks that keeps them: a set moving line `index` has at least these (line_faults)."""
    above = lines[:index]
    offsets = line_offsets(offset, narrowing, len(above))
    spacing = sum(
        _badly_spaced(line, line.extra_space + offsets[row], space, False, most_tracking) for row, line in enumerate(above)
    )
    return spacing, 0, _hyphens_beyond(above)


def line_offsets(offset: float, narrowing: Sequence[float], count: int) -> list[float]:
    """How much narrower than the column each of `count` lines was broken: `offset` for all,
    plus line i's own `narrowing[i]` (see JustifiedParagraph)."""
    return [offset + (narrowing[index] if index < len(narrowing) else 0.0) for index in range(count)]


def line_tracking(line: _Line, extra: float, space: float, last: bool) -> float:
    """The letter-spacing (points added after each character) that brings the word spaces of
    `line`, justified with `extra` points to spare, back within TIGHTEST_SPACE..LOOSEST_SPACE
    times `space`; 0 when they are within already. A paragraph's last line is only squeezed
    (when wider than the column), never stretched."""
    if line.words < 2 or len(line.text) < 2 or (last and extra >= 0):
        return 0.0
    ratio = 1 + extra / (line.words - 1) / space
    if not line.trackable:
        return 0.0 if TIGHTEST_SPACE <= ratio <= LOOSEST_SPACE or (last and ratio > 1) else math.inf
    if ratio > LOOSEST_SPACE and not last:
        target = LOOSEST_SPACE - TRACKED_SPACE_MARGIN
    elif ratio < TIGHTEST_SPACE:
        target = TIGHTEST_SPACE + TRACKED_SPACE_MARGIN
    else:
        return 0.0
    # Seen between two words: the space, its share of `extra` and the spacing after two
    # characters (the word's last one and the space itself).
    spaces = line.words - 1
    return (extra - (target - 1) * spaces * space) / (len(line.text) - 1 - 2 * spaces)


def line_faults(
    lines: Sequence[_Line], space: float, offsets: Sequence[float], ends_paragraph: bool, most_tracking: float = 0.0
) -> tuple[int, int, int]:
    """(badly spaced lines, bad ending, hyphenated line ends beyond the second in a row) of
    `lines`, line i broken `offsets[i]` points narrower than the column it is justified to.

    A line is badly spaced when justifying it would set its word spaces outside
    TIGHTEST_SPACE..LOOSEST_SPACE times `space` even with letters spaced by `most_tracking`
    points at most; the last line of a paragraph is not justified (unless wider than the
    column). A bad ending: the last line is the tail of a word broken on the line above
    (« destina- / tion. ») or one short word."""
    spacing = 0
    for index, line in enumerate(lines):
        last = ends_paragraph and index == len(lines) - 1
        spacing += _badly_spaced(line, line.extra_space + offsets[index], space, last, most_tracking)
    ending = 0
    if ends_paragraph and len(lines) > 1 and lines[-1].words == 1:
        last = lines[-1].text.strip()
        ending = int(lines[-2].text.endswith("-") or len(last) < SHORTEST_LONE_LAST_WORD)
    return spacing, ending, _hyphens_beyond(lines)


def _badly_spaced(line: _Line, extra: float, space: float, last: bool, most_tracking: float) -> bool:
    """Whether `line`, justified with `extra` points to spare, is badly spaced (line_faults)."""
    return abs(line_tracking(line, extra, space, last)) > most_tracking


def _hyphens_beyond(lines: Sequence[_Line]) -> int:
    """How many of `lines` end hyphenated beyond the MOST_HYPHENS_IN_A_ROW-th in a row."""
    run = beyond = 0
    for line in lines:
        run = run + 1 if line.text.endswith("-") else 0
        beyond += run > MOST_HYPHENS_IN_A_ROW
    return beyond


# How far (points) the spare space of a line broken at one width may differ, through float
# rounding, from that of the same line broken at another: the faults of breaks met at one
# width are taken for another only when no line is this close to a spacing limit.
WIDTH_ROUNDING = 1e-6


def clear_of_limits(lines: Sequence[_Line], space: float, offsets: Sequence[float], ends_paragraph: bool) -> bool:
    """Whether every line of `lines` (as line_faults reads them, no letter-spacing) is badly
    spaced or not alike with WIDTH_ROUNDING points more or less to spare."""
    for index, line in enumerate(lines):
        last = ends_paragraph and index == len(lines) - 1
        extra = line.extra_space + offsets[index]
        if _badly_spaced(line, extra - WIDTH_ROUNDING, space, last, 0.0) != _badly_spaced(
            line, extra + WIDTH_ROUNDING, space, last, 0.0
        ):
            return False
    return True


class _Trial(NamedTuple):
    """One set of breaks tried: what the rules read of its lines, their faults, and
    ReportLab's lines (a paragraph's blPara, which later wraps replace but never change)."""

    lines: list[_Line]
    faults: tuple[int, int, int]
    para: object


class _WidthTrials:
    """A paragraph broken at each of BREAK_WIDTH_OFFSETS (all its lines that much narrower),
    each asked for in turn, with as few wraps as it takes.

    ReportLab breaks lines greedily: a line takes every word that fits, then the first head
    of the next word that fits; each of these tests only passes more easily on a wider
    line. So two widths that break a paragraph the same way break it that way at every
    width between them too, with the same words on each line, hence the same faults (a
    line's offset and its spare space add up to the same there). An offset between two
    known ones broken alike is not wrapped; otherwise the middle of the unknown stretch
    around it is (the first time, the widest and narrowest offsets): a bisection for where
    the breaks change, a few wraps for a long run of widths that break alike. Faults are
    taken from another width only where its lines are clear_of_limits."""

    def __init__(self, paragraph: JustifiedParagraph, width: float, height: float, space: float, ends_paragraph: bool):
        self.paragraph, self.width, self.height = paragraph, width, height
        self.space, self.ends_paragraph = space, ends_paragraph
        self.offsets = sorted(BREAK_WIDTH_OFFSETS)
        self.tried: dict[int, tuple[tuple, tuple[int, int, int], bool]] = {}  # index -> (line texts, faults, clear)
        self.wrapped_at: int | None = None

    def faults(self, offset: float) -> tuple[int, int, int]:
        index = self.offsets.index(offset)
        while index not in self.tried:
            below = max((known for known in self.tried if known < index), default=None)
            above = min((known for known in self.tried if known > index), default=None)
            if below is not None and above is not None:
                texts, faults, clear = self.tried[below]
                if clear and texts == self.tried[above][0]:
                    return faults
                self._wrap((below + above) // 2)
            elif not self.tried:
                self._wrap(index)
            else:
                self._wrap(0 if below is None else len(self.offsets) - 1)
        return self.tried[index][1]

    def leave_wrapped_at(self, offset: float) -> None:
        """The paragraph wrapped with `offset`, as its search ends."""
        index = self.offsets.index(offset)
        if self.wrapped_at != index:
            self._wrap(index)

    def _wrap(self, index: int) -> None:
        offset = self.offsets[index]
        trial = self.paragraph._try(self.width - offset, self.height, offset, self.space, self.ends_paragraph, 0.0)
        offsets = line_offsets(offset, (), len(trial.lines))
        clear = clear_of_limits(trial.lines, self.space, offsets, self.ends_paragraph)
        self.tried[index] = (tuple((line.words, line.text) for line in trial.lines), trial.faults, clear)
        self.wrapped_at = index


class Breaks(NamedTuple):
    """Where a justified paragraph's lines break: every line `offset` points narrower than
    the column, line i `narrowing[i]` more (the lines beyond: none), letters spaced by
    `tracking` points at most where a line needs it."""

    offset: float = 0.0
    narrowing: tuple[float, ...] = ()
    tracking: float = 0.0


class BreaksKey(NamedTuple):
    """What a paragraph's breaks depend on: the same key, the same Breaks (_chosen_breaks)."""

    text: str
    style: str  # the style's name: its values are the configuration's, fixed for a process
    width: float
    ends_paragraph: bool
    given: Breaks | None  # a split paragraph's part: the whole's breaks


class JustifiedParagraph(TaggedParagraph):
    """A justified paragraph whose lines keep SPEC 11's rules (see line_faults).

    ReportLab breaks lines greedily at the column width. A paragraph whose lines break badly
    there is broken again at slightly other widths (BREAK_WIDTH_OFFSETS), each line then
    justified to the column: the first set of breaks with no fault is kept. If none is
    faultless, single lines are broken narrower than the others, each just enough to send
    its last word (or the head of it) to the next line, or wider, to take the next line's
    first word, up to MOST_PUSHES lines, a line's letters spaced by up to MOST_TRACKING_EM
    where its word spaces alone would be too loose or too tight — what a compositor does to
    mend a paragraph's ending. The first faultless set is kept, else the one with the fewest
    faults; a line still too loose even so (a long address that cannot break) is set flush
    left rather than stretched. The parts of a paragraph split over two pages keep the
    widths chosen for the whole."""

    given_breaks: Breaks | None = None  # given to the parts of a split paragraph (their lines' share)
    breaks: Breaks = Breaks()  # the breaks chosen
    # The narrowing of the lines being broken (Breaks.narrowing), a value of the wrap cache
    # (pdf_paragraph.SharedParagraph).
    break_variant: tuple[float, ...] = ()
    line_trackings: tuple[float, ...] = ()  # each line's letter-spacing, in points

    def breakLines(self, width):  # noqa: N802 (ReportLab's name)
        narrowing = self.break_variant
        if narrowing:
            first, later = width if isinstance(width, (list, tuple)) else (width, width)
            width = [(first if index == 0 else later) - points for index, points in enumerate(narrowing)] + [later]
        return super().breakLines(width)

    def wrap(self, available_width, available_height):
        space = stringWidth(" ", self.style.fontName, self.style.fontSize)
        ends_paragraph = not getattr(self, "_JustifyLast", False)
        # The same text at the same width breaks the same way: platypus wraps a paragraph
        # several times, and most paragraphs come back on every sheet of a run.
        text = getattr(self, "text", None)
        key = BreaksKey(text, self.style.name, available_width, ends_paragraph, self.given_breaks)
        breaks = _chosen_breaks.get(key) if text is not None else None
        if breaks is not None:
            self.break_variant = breaks.narrowing
            super().wrap(available_width - breaks.offset, available_height)
        else:
            breaks = self._search_breaks(available_width, available_height, space, ends_paragraph)
            if text is not None:
                if len(_chosen_breaks) >= _CHOSEN_OFFSETS_KEPT:
                    _chosen_breaks.clear()
                _chosen_breaks[key] = breaks
        self.breaks = breaks
        _own_lines(self)
        lines = _lines(self)
        trackings = []
        for index, (line, line_offset) in enumerate(zip(lines, line_offsets(breaks.offset, breaks.narrowing, len(lines)))):
            extra = line.extra_space + line_offset
            last = index == len(lines) - 1 and ends_paragraph
            tracking = line_tracking(line, extra, space, last)
            if tracking and abs(tracking) <= breaks.tracking + 1e-9:
                extra -= tracking * (len(line.text) - 1)
            else:
                tracking = 0.0
            trackings.append(tracking)
            loose = line.words > 1 and 1 + extra / (line.words - 1) / space > LOOSEST_SPACE
            _set_extra_space(self, index, 0.0 if loose and not last else extra)
        self.line_trackings = tuple(trackings)
        self.width = available_width
        return self.width, self.height

    def _try(
        self, width: float, height: float, offset: float, space: float, ends_paragraph: bool, most_tracking: float
    ) -> _Trial:
        """The paragraph wrapped at `width` (`offset` narrower than the column, its lines
        narrowed by break_variant), and its faults with letters spaced by `most_tracking`."""
        super().wrap(width, height)
        lines = _lines(self)
        offsets = line_offsets(offset, self.break_variant, len(lines))
        return _Trial(lines, line_faults(lines, space, offsets, ends_paragraph, most_tracking), self.blPara)

    def _search_breaks(self, available_width: float, available_height: float, space: float, ends_paragraph: bool) -> Breaks:
        """The first faultless breaks, else those with the fewest faults; the paragraph is
        left wrapped with them."""
        given = self.given_breaks
        if given is not None:  # a part of a split paragraph: the whole's breaks
            self.break_variant = given.narrowing
            super().wrap(available_width - given.offset, available_height)
            return given
        self.break_variant = ()
        trials = _WidthTrials(self, available_width, available_height, space, ends_paragraph)
        best = None
        for offset in BREAK_WIDTH_OFFSETS:
            faults = trials.faults(offset)
            if best is None or faults < best[0]:
                best = (faults, offset, (), 0.0)
            if not any(faults):
                trials.leave_wrapped_at(offset)
                return Breaks(offset)
        tracking = MOST_TRACKING_EM * self.style.fontSize
        best = self._search_pushes(best, available_width, available_height, space, ends_paragraph, tracking)
        _faults, offset, self.break_variant, tracking = best
        super().wrap(available_width - offset, available_height)
        return Breaks(offset, self.break_variant, tracking)

    def _search_pushes(
        self, best: tuple, available_width: float, available_height: float, space: float, ends_paragraph: bool, tracking: float
    ) -> tuple:
        """Breadth first over the lines pushed or pulled, from the last line up, letters
        spaced by `tracking` points at most: (faults, offset, narrowing, tracking) of the
        faultless set with the least letter-spacing among the fewest moves, else the best
        met (`best` to start with).

        A move leaves the lines above the one it moves as they were, and their faults: a
        set whose lines above already have more faults than the best met, and than the
        PUSH_BEAM best of its depth, cannot be chosen nor lead to a choice, and is not
        wrapped (nor, once a faultless set is met, one with any fault above)."""
        offset = best[1]
        candidates, seen = [((), (0, 0, 0))], {()}  # (narrowing, the faults its unmoved lines have at least)
        for depth in range(MOST_PUSHES + 1):
            met, ranked, faultless = [], [], []
            for candidate, least in candidates:
                if not self._may_count(least, candidate, best[0], ranked, bool(faultless), depth < MOST_PUSHES):
                    continue
                self.break_variant = candidate
                trial = self._try(available_width - offset, available_height, offset, space, ends_paragraph, tracking)
                if not any(trial.faults):
                    faultless.append((self._most_tracking(trial.lines, offset, space, ends_paragraph), candidate))
                met.append((trial.faults, candidate, trial))
                bisect.insort(ranked, (trial.faults, candidate))
                if trial.faults < best[0]:
                    best = (trial.faults, offset, candidate, tracking)
            if faultless:
                return (0, 0, 0), offset, min(faultless)[1], tracking
            if depth == MOST_PUSHES:
                break
            met.sort(key=lambda entry: entry[:2])
            candidates = []
            for _faults, narrowing, trial in met[:PUSH_BEAM]:
                for moved, index in self._moves(trial, narrowing, space, ends_paragraph):
                    if moved not in seen:
                        seen.add(moved)
                        candidates.append((moved, _faults_above(trial.lines, index, offset, narrowing, space, tracking)))
        return best

    @staticmethod
    def _may_count(
        least: tuple[int, int, int], candidate: tuple, best: tuple, ranked: list, faultless_met: bool, for_next_depth: bool
    ) -> bool:
        """Whether a set with at least the faults `least` may be chosen, or kept for the next
        depth's moves, given the best faults met, this depth's sets `ranked` so far, and
        whether a faultless one is among them."""
        if not any(least):
            return True
        if faultless_met:
            return False
        return least < best or (for_next_depth and bisect.bisect_left(ranked, (least, candidate)) < PUSH_BEAM)

    def _most_tracking(self, lines: list[_Line], offset: float, space: float, ends_paragraph: bool) -> float:
        """The largest letter-spacing (points, either way) a line of `lines` needs."""
        offsets = line_offsets(offset, self.break_variant, len(lines))
        return max(
            abs(line_tracking(line, line.extra_space + offsets[index], space, ends_paragraph and index == len(lines) - 1))
            for index, line in enumerate(lines)
        )

    def _moves(
        self, trial: _Trial, narrowing: tuple[float, ...], space: float, ends_paragraph: bool
    ) -> list[tuple[tuple[float, ...], int]]:
        """The narrowings one move away from `narrowing` (whose breaks are `trial`), each with
        the line it moves: each line but the last pushing its last word down, then each line
        but the last taking the next line's first word, from the last line up."""
        lines = trial.lines
        movable = range(len(lines) - 1 if ends_paragraph else len(lines))
        moves = []
        for pull in (False, True):
            for index in reversed(movable):
                if pull and index + 1 >= len(lines):
                    continue
                moved = list(narrowing) + [0.0] * (index + 1 - len(narrowing))
                if pull:
                    # the next line's first word, after a space or in place of this line's hyphen
                    hyphenated = lines[index].text.endswith("-")
                    wanted = _first_word_width(trial.para, self.style, index + 1) - (
                        stringWidth("-", self.style.fontName, self.style.fontSize) if hyphenated else -space
                    )
                    moved[index] = round(moved[index] + lines[index].extra_space - wanted - PUSH_MARGIN, 3)
                else:
                    # ReportLab lets a line's spaces shrink by style.spaceShrinkage to fit a word
                    shrink = self.style.spaceShrinkage * space * max(lines[index].words - 1, 0)
                    moved[index] = round(moved[index] + lines[index].extra_space + shrink + PUSH_MARGIN, 3)
                moves.append((tuple(moved), index))
        return moves

    def beginText(self, x, y):  # noqa: N802 (ReportLab's name)
        allow_line_tracking()
        text_object = super().beginText(x, y)
        text_object.line_trackings = iter(self.line_trackings)  # read by the lines drawn, in order
        return text_object

    def split(self, available_width, available_height):
        parts = super().split(available_width, available_height)
        breaks = self.breaks
        shares = [breaks.narrowing] * len(parts)
        if len(parts) == 2 and breaks.narrowing:
            cut = len(parts[0].blPara.lines)
            shares = [breaks.narrowing[:cut], breaks.narrowing[cut:]]
        for part, share in zip(parts, shares):
            part.given_breaks = breaks._replace(narrowing=share)
        return parts


@lru_cache(maxsize=1)
def allow_line_tracking() -> None:
    """Let a justified line be drawn with its letters spaced (JustifiedParagraph.line_trackings).

    ReportLab draws each line of a justified paragraph with a module-level function of
    reportlab.platypus.paragraph, looked up when the paragraph is drawn; each is wrapped,
    once, to set the line's character spacing (Tc) around it when its text object carries
    the trackings of its lines."""
    from reportlab.platypus import paragraph

    def tracked(draw_line):
        def draw_tracked_line(text_object, *args, **kwargs):
            trackings = getattr(text_object, "line_trackings", None)
            tracking = next(trackings, 0.0) if trackings is not None else 0.0
            if tracking:
                text_object.setCharSpace(tracking)
            drawn = draw_line(text_object, *args, **kwargs)
            if tracking:
                text_object.setCharSpace(0)
            return drawn

        return draw_tracked_line

    paragraph._justifyDrawParaLine = tracked(paragraph._justifyDrawParaLine)
    paragraph._justifyDrawParaLineX = tracked(paragraph._justifyDrawParaLineX)


_CHOSEN_OFFSETS_KEPT = 4096
_chosen_breaks: dict[BreaksKey, Breaks] = {}
