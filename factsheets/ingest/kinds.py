"""Problems found batch by batch, reported as if the whole input had been checked at once.

A big CSV file is checked in batches of lines (readers.BATCH_BYTES). `Problems.add_kind`
writes the first few occurrences of a kind of problem and counts the others: over batches,
a kind's counts must add up and its first occurrences come from the first batches, in the
order the whole file gives. `Kinds` collects `add_kind` calls, merging those of the same
kind, and writes them out once everything has been read, in the order of the checks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..errors import SHOWN_PER_KIND, Problems

_SENTINEL = "\x00"
"""The value `describe` is called with to tell one kind from another (its text is the kind's)."""

# validate.check_rows checks its columns in this order; a kind's rank there is its column's.
CHECKED_COLUMNS = ("year", "flow", "value_eur", "department", "product", "country")


@dataclass
class _Kind:
    count: int
    occurrences: list[tuple[str, str]]
    describe: Callable[[str], tuple[str, str]]
    rank: int
    first_seen: int = field(default=0)


class Kinds:
    """`add_kind` calls of several batches merged by kind, written out by `flush_into` in rank order."""

    def __init__(self) -> None:
        self._kinds: dict[tuple[int, tuple[str, str]], _Kind] = {}
        self._rank: int | None = None

    def ranked(self, rank: int) -> Kinds:
        """This collector, the next kinds given `rank` (the index of the check that finds them)."""
        self._rank = rank
        return self

    def _column_rank(self, text: str) -> int:
        """The rank of a kind of validate.check_rows: its column's ("colonne department : …")."""
        column = text.removeprefix("colonne ").partition(" ")[0]
        return CHECKED_COLUMNS.index(column) if column in CHECKED_COLUMNS else len(CHECKED_COLUMNS)

    def add_kind(self, count: int, occurrences: Sequence[tuple[str, str]], describe: Callable[[str], tuple[str, str]]) -> None:
        text = describe(_SENTINEL)
        rank = self._rank if self._rank is not None else self._column_rank(text[0])
        self._rank = None
        kind = self._kinds.get((rank, text))
        if kind is None:
            self._kinds[(rank, text)] = _Kind(count, list(occurrences)[:SHOWN_PER_KIND], describe, rank, len(self._kinds))
            return
        kind.count += count
        kind.occurrences.extend(list(occurrences)[: SHOWN_PER_KIND - len(kind.occurrences)])

    def merge(self, other: Kinds) -> None:
        """`other`'s kinds added after this collector's own (a later source, a later year)."""
        for kind in sorted(other._kinds.values(), key=lambda kind: kind.first_seen):
            self._rank = kind.rank
            self.add_kind(kind.count, kind.occurrences, kind.describe)

    def __bool__(self) -> bool:
        return bool(self._kinds)

    def flush_into(self, problems: Problems) -> None:
        """Every kind into `problems`, by rank (then first seen): the whole input's lines."""
        for kind in sorted(self._kinds.values(), key=lambda kind: (kind.rank, kind.first_seen)):
            problems.add_kind(kind.count, kind.occurrences, kind.describe)
        self._kinds.clear()
