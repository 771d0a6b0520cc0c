"""Cross-tables (`wide: country` / `wide: product`) turned into one row per code column."""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from ..load import LINE_COLUMN
from .profile import Profile

WIDE_CODE = "en-têtes du tableau croisé"  # the unpivoted columns' names, as messages show them
WIDE_VALUE = "cellules du tableau croisé"


def unpivot_wide(raw: pl.DataFrame, profile: Profile) -> tuple[pl.DataFrame, Profile]:
    """A cross-table (`wide:`) as one row per code column: its header is the code, its cell the
    value (an empty cell is zero); the profile that reads the result. Other tables as they are."""
    if profile.wide is None:
        return raw, profile
    mapped = [column for column in profile.columns.values()]
    codes = [name for name in raw.columns if name != LINE_COLUMN and name not in mapped]
    long = raw.unpivot(on=codes, index=[*mapped, LINE_COLUMN], variable_name=WIDE_CODE, value_name=WIDE_VALUE)
    # An empty cell is zero: no row (a cross-table is mostly empty), the same totals.
    cell = pl.col(WIDE_VALUE).cast(pl.String).str.strip_chars()
    long = long.filter(cell.is_not_null() & (cell != "")).sort(LINE_COLUMN, maintain_order=True)
    return long, replace(profile, columns={**profile.columns, profile.wide: WIDE_CODE, "value": WIDE_VALUE})
