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
