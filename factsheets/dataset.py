"""The data a command reads, opened once: reference, validated rows, year, coverage, synthetic flag.

Every command that reads a canonical file (render, mail, indicators, check, departements)
opens it with `open_dataset` and reads what it needs from the one frozen `Dataset`: no
command loads the reference, reads the rows and chooses the year itself, and none reaches
into another's loaded data.

How much of the file is read is the caller's choice (`rows`):

- "year": the sheet's year only (`render` without --evolution or --annexe). A Parquet file
  is scanned with the year filter pushed down: the other years are never held in memory nor
  validated (validate.load_year_data).
- "history": every year up to the sheet's, none after it (the evolution series, the
  annexes, `indicators --json`, `mail`), the same pushdown.
- "file": every row of the file, validated (`check`, `departements`: a bad row in any year
  is reported).

Nothing at module level imports Polars: render's helper processes import this module
(is_synthetic) and must stay light.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import polars as pl

    from .coverage import Coverage
    from .reference import Reference

Rows = Literal["year", "history", "file"]

SYNTHETIC_KEY = "factsheets.synthetic"  # Parquet metadata of the bundled sample (sample.py writes it)


@dataclass(frozen=True, eq=False)
class Dataset:
    """One data file read for one year: what the sheets, the JSON and `check` are made from."""

    path: Path  # the file given with --data
    reference: Reference
    trade: pl.DataFrame  # the validated rows read (see `rows` of open_dataset)
    year: int  # the year chosen: the one asked for, else the latest in the file
    years: tuple[int, ...]  # every year of the file, in order
    coverage: Coverage  # what the year's rows cover: France, which regions
    synthetic: bool  # the bundled synthetic sample (its sheets say so)
    departments: frozenset[str]  # department codes with at least one row in `year`


def open_dataset(path: Path, year: int | None = None, *, rows: Rows = "year") -> Dataset:
    """Read and validate `path` for `year` (None: the latest year of the file).

    Bad data or a year the file does not have raises FactsheetsError, before anything else
    is computed.
    """
    from .coverage import Coverage
    from .reference import load_reference
    from .validate import available_years, choose_year, departments_present, load_trade_data, load_year_data

    if rows not in ("year", "history", "file"):
        raise ValueError(f"rows: {rows!r}")
    path = Path(path)
    reference = load_reference()
    if rows == "file":
        trade = load_trade_data(path, reference)
        chosen = choose_year(trade, year, path)
        years = available_years(trade)
    else:
        trade, chosen, years = load_year_data(path, reference, year, history=rows == "history")
    return Dataset(
        path=path,
        reference=reference,
        trade=trade,
        year=chosen,
        years=tuple(years),
        coverage=Coverage.of(trade, reference, chosen, path),
        synthetic=is_synthetic(path),
        departments=frozenset(departments_present(trade, chosen)),
    )


def is_synthetic(data: Path) -> bool:
    """The bundled sample says it is synthetic in its Parquet metadata."""
    if Path(data).suffix.lower() != ".parquet":
        return False
    import polars as pl

    try:
        return pl.read_parquet_metadata(data).get(SYNTHETIC_KEY) == "true"
    except Exception:  # unreadable metadata: the loader reports the real problem
        return False
