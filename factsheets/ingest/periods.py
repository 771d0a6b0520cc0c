"""Quarters and months: the period kinds, their names, and the complete years kept."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ..load import PERIOD_COLUMN

if TYPE_CHECKING:
    from .profile import Profile


PERIOD_PARTS = {"year": 1, "quarter": 4, "month": 12}
PERIOD_NAMES = {"quarter": ("trimestre", "T"), "month": ("mois", "M")}
DEFAULT_PERIOD_PATTERNS = {
    "year": r"(?P<year>\d{4})",
    "quarter": r"(?P<year>\d{4})\D*(?P<part>\d{1,2})",
    "month": r"(?P<year>\d{4})\D*(?P<part>\d{1,2})",
}
# Quarter labels as customs files and spreadsheets write them, understood whatever the
# profile's pattern (SPEC 13), case ignored: "2024-T1", "2024 T1", "2024T1", "T1 2024",
# "T4-2024", "Q1 2024", "1er trimestre 2024", "2e trimestre 2024", "2ème trimestre 2024".
QUARTER_LABELS = (
    r"(?i)^(?P<year>\d{4})\s*[-/_ ]?\s*[TQ]\s*(?P<part>\d)$",
    r"(?i)^[TQ]\s*(?P<part>\d)\s*[-/_ ]?\s*(?P<year>\d{4})$",
    r"(?i)^(?P<part>\d)\s*(?:er|re|e|è|ème|eme|nd|nde)?\s*trimestre\s*(?P<year>\d{4})$",
)
QUARTER_EXAMPLES = "« T1 2024 », « 2024-T1 », « 1er trimestre 2024 »"


def period_fields(text: pl.Expr, kind: str, pattern: str) -> tuple[pl.Expr, pl.Expr | None]:
    """The year (text) and the part (Int32; None for yearly periods) of each period label.

    The profile's pattern is tried first; for quarters, a label it does not read (or reads
    without a quarter from 1 to 4) is read as one of QUARTER_LABELS. When nothing reads it,
    the pattern's groups are kept, so that the message says what is wrong.
    """
    groups = text.str.extract_groups(pattern)
    if kind == "year":
        return groups.struct.field("year"), None
    found = pl.struct(year=groups.struct.field("year"), part=groups.struct.field("part").cast(pl.Int32, strict=False))
    if kind == "quarter":
        candidates = [found]
        for label in QUARTER_LABELS:
            label_groups = text.str.extract_groups(label)
            candidates.append(
                pl.struct(year=label_groups.struct.field("year"), part=label_groups.struct.field("part").cast(pl.Int32))
            )
        valid = [
            pl.when(candidate.struct.field("year").is_not_null() & candidate.struct.field("part").is_between(1, 4)).then(
                candidate
            )
            for candidate in candidates
        ]
        found = pl.coalesce(*valid, found)
    return found.struct.field("year"), found.struct.field("part")


def _period_name(kind: str, year: int, part: int) -> str:
    return f"{year}{PERIOD_NAMES[kind][1]}{part}"


def complete_years(frame: pl.DataFrame, profile: Profile) -> tuple[pl.DataFrame, list[str], list[int]]:
    """Rows of the years whose every quarter (month) is present; a warning per year left out."""
    if profile.period_kind in (None, "year"):
        return frame, [], []
    kind = profile.period_kind
    parts = PERIOD_PARTS[kind]
    found = frame.group_by("year").agg(pl.col(PERIOD_COLUMN).unique().sort().alias("parts")).sort("year")
    warnings, left_out = [], []
    for year, present in found.iter_rows():
        if len(present) < parts:
            missing = [part for part in range(1, parts + 1) if part not in present]
            warnings.append(
                f"année {year} écartée, incomplète : {PERIOD_NAMES[kind][0]}s présents {', '.join(_period_name(kind, year, p) for p in present)} ; "
                f"il manque {', '.join(_period_name(kind, year, p) for p in missing)}"
            )
            left_out.append(year)
    return frame.filter(~pl.col("year").is_in(left_out)), warnings, left_out
