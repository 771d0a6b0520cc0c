"""`ingest_sources`: every source expanded, read, converted and checked; periods summed to years."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..errors import FactsheetsError, Problems
from ..load import CANONICAL_COLUMNS, LINE_COLUMN, PERIOD_COLUMN, WHERE_COLUMN
from ..validate import CANONICAL_SCHEMA, DUPLICATE_FIX, KEY_COLUMNS, check_duplicates, check_rows
from .columns import check_columns
from .convert import SOURCE_COLUMN, convert
from .periods import complete_years
from .profile import Profile
from .readers import read_table
from .reshape import unpivot_wide
from .sources import expand_sources


@dataclass
class IngestResult:
    """The canonical frame and what the summary says about it."""

    frame: pl.DataFrame
    rows_per_source: dict[str, int]
    warnings: list[str]
    years_left_out: list[int]


def ingest_sources(sources: Sequence[Path], profile: Profile, reference=None, *, keep_origin: bool = False) -> IngestResult:
    """Every source read with `profile`, checked, periods summed to years, in the canonical layout.

    Rows are sorted by year, flow, department, product, country and value (then file order),
    so the output does not depend on the order of the files. With a `reference`, codes are
    checked too, and every problem (of every file) is raised together. With keep_origin,
    the first source row of each output row is kept (SOURCE_COLUMN, LINE_COLUMN, WHERE_COLUMN).
    """
    problems = Problems()
    tables = expand_sources(sources, profile, problems)
    frames, rows_per_source = [], {}
    for source in tables:
        try:
            raw = read_table(source, profile)
            if raw.is_empty():
                after = " après l’en-tête" if profile.header else ""
                raise FactsheetsError(
                    f"{source.where(profile.skip_rows + (2 if profile.header else 1))} : fichier vide, aucune ligne de données{after}"
                )
            check_columns(raw, source, profile)
            rows_per_source[source.where()] = raw.height
            raw, table_profile = unpivot_wide(raw, profile)
            frames.append(convert(raw, source, table_profile, problems))
        except FactsheetsError as error:
            problems.add(str(error))
    if not frames:  # every source failed, and each one said why in `problems`
        problems.raise_if_any()
    frame = pl.concat(frames, how="vertical")
    where = pl.col(WHERE_COLUMN)
    if reference is not None:
        check_rows(frame, reference, problems, where)
    key = [*KEY_COLUMNS[:1], PERIOD_COLUMN, *KEY_COLUMNS[1:]] if profile.period_kind not in (None, "year") else KEY_COLUMNS
    check_duplicates(frame, key, problems, where, DUPLICATE_FIX)
    problems.raise_if_any()

    frame, warnings, left_out = complete_years(frame, profile)
    if frame.is_empty():
        raise FactsheetsError(
            "aucune année complète dans les fichiers : "
            + " ; ".join(warnings)
            + " ; ajoutez les périodes manquantes ou vérifiez « period » dans "
            + str(profile.path)
        )
    if "period" in profile.columns:
        origin = [pl.col(name).first() for name in (SOURCE_COLUMN, LINE_COLUMN, WHERE_COLUMN)]
        total = pl.col("value_eur").sum()
        # Thousands of euros have three decimals: the sum of the periods is rounded like its terms.
        total = total.round(3) if profile.multiplier != 1 else total
        frame = (
            frame.sort([*KEY_COLUMNS, PERIOD_COLUMN], maintain_order=True)
            .group_by(KEY_COLUMNS, maintain_order=True)
            .agg(total, *origin)
        )
    frame = frame.sort(list(CANONICAL_COLUMNS), maintain_order=True).with_columns(
        pl.col(name).cast(dtype) for name, dtype in CANONICAL_SCHEMA.items()
    )
    columns = [*CANONICAL_COLUMNS, SOURCE_COLUMN, LINE_COLUMN, WHERE_COLUMN] if keep_origin else list(CANONICAL_COLUMNS)
    return IngestResult(frame.select(columns), rows_per_source, warnings, left_out)


def ingest(sources: Sequence[Path], profile: Profile, *, keep_origin: bool = False) -> pl.DataFrame:
    """The canonical frame of `sources` (values checked; codes are checked by `validate`)."""
    return ingest_sources(sources, profile, keep_origin=keep_origin).frame
