"""The line breaks chosen for a sheet's paragraphs, kept from one process to the next.

typography.JustifiedParagraph searches each paragraph's breaks for SPEC 11's rules and keeps
its choice for the process (typography._chosen_breaks): a process's first sheet pays the
search of every paragraph (~0.06 s, most of it for the texts every sheet has), the next
ones almost nothing. This module keeps the choices between runs too, so that a new
process's first sheet costs what a later one does:

- `load()`, before a drawer's first sheet, fills the choices from the record;
- `save()`, after each sheet, writes them back once, when that sheet added some.

The words' hyphenation points go with them (typography._known_points): the few words a run
asks pyphen about (27 for `render --all`), so that a process which finds them all here never
reads pyphen's French patterns (10-14 ms of each drawing process's start).

The record is JSON in the configuration's state folder (paths.state_dir()), named by the
check_cache fingerprint (configuration, fonts, factsheets' code, ReportLab's version) and
pyphen's version (its patterns): anything a choice or a word's points depend on besides its
key (text, style, width; the word). At most RECORDS_KEPT records, MOST_CHOICES choices and
MOST_WORDS words each; written whole or not at all (files.write_atomically). A record that
cannot be read or is not of this form is ignored (the search runs, as without it) and
written again. What is read back is what the search and pyphen give: the same bytes
(tests/test_render_cache.py).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from . import paths

RECORD_VERSION = 2
RECORDS_KEPT = 4
MOST_CHOICES = 2048
MOST_WORDS = 4096
_PREFIX = "breaks-"
# The record this process reads and writes (named by the drawer that loaded it last), and
# how many choices and words the process had when it last read or wrote it.
_state: dict = {"path": None, "saved_count": None}


def _count(typography) -> tuple[int, int]:
    return len(typography._chosen_breaks), len(typography._known_points)


def load() -> None:
    """The choices and words of the record, added to this process's (each drawer, once: see
    render.SheetDrawer.prepare_drawing)."""
    from . import typography

    path = _record_path()
    _state["path"], _state["saved_count"] = path, _count(typography)
    if path is None:
        return
    try:
        data = json.loads(path.read_bytes())
        if data.get("version") != RECORD_VERSION:
            return
        choices = dict(_choice(entry) for entry in data["choices"])
        words = dict(_word(entry) for entry in data["words"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return  # no record, or a damaged one: searched again, and written again
    for key, value in choices.items():
        typography._chosen_breaks.setdefault(key, value)
    for word, points in words.items():
        typography._known_points.setdefault(word, points)
    _state["saved_count"] = _count(typography)


def save() -> None:
    """Write the choices and words back if the process has new ones since the last load or save."""
    from . import typography
    from .files import keep_newest, write_atomically

    path = _state["path"]
    if path is None or _count(typography) == _state["saved_count"]:
        return
    _state["saved_count"] = _count(typography)
    kept = list(typography._chosen_breaks.items())[-MOST_CHOICES:]
    words = list(typography._known_points.items())[-MOST_WORDS:]
    data = {
        "version": RECORD_VERSION,
        "choices": [_entry(key, value) for key, value in kept],
        "words": [[word, [list(point) for point in points]] for word, points in words],
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        keep_newest(path.parent, f"{_PREFIX}*.json", RECORDS_KEPT)
    except (OSError, TypeError, ValueError):
        pass  # a read-only state folder, or a choice JSON cannot hold: searched again next time


def _record_path() -> Path | None:
    from .check_cache import fingerprint_or_none

    try:
        import pyphen

        fingerprint = fingerprint_or_none()
        folder = paths.state_dir()
    except (ImportError, RuntimeError):
        return None
    if fingerprint is None:
        return None
    digest = hashlib.sha256(f"{RECORD_VERSION} {fingerprint} pyphen {pyphen.__version__}".encode()).hexdigest()
    return folder / f"{_PREFIX}{digest[:16]}.json"


def _word(entry: list) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A word's points as typography keeps them; TypeError for anything else."""
    word, points = entry
    points = tuple((head, tail) for head, tail in points)
    if not isinstance(word, str) or not all(isinstance(part, str) for point in points for part in point):
        raise TypeError("word")
    return word, points


def _entry(key, breaks) -> list:
    """A choice (typography.BreaksKey, typography.Breaks) as JSON: [[text, style, width,
    ends_paragraph, given offset or null, given narrowing, given tracking], [offset,
    narrowing, tracking]]."""
    given = key.given
    given_fields = [None, [], 0.0] if given is None else [given.offset, list(given.narrowing), given.tracking]
    return [
        [key.text, key.style, key.width, key.ends_paragraph, *given_fields],
        [breaks.offset, list(breaks.narrowing), breaks.tracking],
    ]


def _choice(entry: list) -> tuple:
    """A choice as typography keeps it; TypeError for anything else."""
    from .typography import Breaks, BreaksKey

    (text, style, width, ends_paragraph, given_offset, given_narrowing, given_tracking), (offset, narrowing, tracking) = entry
    numbers = [width, given_tracking, offset, tracking, *given_narrowing, *narrowing] + (
        [] if given_offset is None else [given_offset]
    )
    if not (isinstance(text, str) and isinstance(style, str) and type(ends_paragraph) is bool):
        raise TypeError("choice")
    if not all(type(number) in (int, float) for number in numbers):
        raise TypeError("choice")
    given = None if given_offset is None else Breaks(given_offset, tuple(given_narrowing), given_tracking)
    return BreaksKey(text, style, width, ends_paragraph, given), Breaks(offset, tuple(narrowing), tracking)
