"""render and indicators read only the years they draw (issue 24, item 5).

A Parquet file is scanned with the year filter pushed down: rows of the other years are not
held in memory and not validated, while a row of a year read, or a row whose year is not a
year, is reported as a full read reports it.
"""

from __future__ import annotations

import polars as pl
import pytest
from cli_helpers import one_error_line, run_in_process

from factsheets.errors import FactsheetsError
from factsheets.paths import SAMPLE_DATA
from factsheets.reference import load_reference
from factsheets.validate import load_trade_data, load_year_data


@pytest.fixture(scope="module")
def reference():
    return load_reference()


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Three years of two departments, small enough to validate quickly."""
    frame = pl.read_parquet(SAMPLE_DATA).filter(pl.col("department").is_in(["02", "60"]) & (pl.col("year") >= 2022))
    path = tmp_path_factory.mktemp("years") / "trade.parquet"
    frame.write_parquet(path)
    return frame, path


def with_row(frame: pl.DataFrame, path, **values) -> object:
    row = frame.head(1).with_columns(**{key: pl.lit(value, dtype=frame.schema[key]) for key, value in values.items()})
    out = path.with_name(f"with-{len(values)}-{'-'.join(map(str, values.values()))}.parquet")
    pl.concat([frame, row]).write_parquet(out)
    return out


def test_the_years_read_are_the_same_rows_as_a_full_read(small, reference):
    frame, path = small
    full = load_trade_data(path, reference)
    latest = load_year_data(path, reference, None, history=False)
    assert latest.year == 2024 and latest.years == [2022, 2023, 2024]
    assert latest.frame.equals(full.filter(pl.col("year") == 2024))
    upto = load_year_data(path, reference, 2023, history=True)
    assert upto.year == 2023 and upto.frame.equals(full.filter(pl.col("year") <= 2023))


def test_a_bad_row_of_a_year_not_read_is_not_validated(small, reference):
    frame, path = small
    bad = with_row(frame, path, year=2022, country="ZZ")
    assert load_year_data(bad, reference, 2024, history=False).year == 2024
    with pytest.raises(FactsheetsError, match="« ZZ »"):
        load_year_data(bad, reference, 2024, history=True)  # 2022 is read for the series
    with pytest.raises(FactsheetsError, match="« ZZ »"):
        load_trade_data(bad, reference)


def test_a_row_whose_year_is_not_a_year_is_always_reported(small, reference):
    frame, path = small
    bad = with_row(frame, path, year=24)
    with pytest.raises(FactsheetsError, match=r"\(ligne \d+\) : colonne year : « 24 »"):
        load_year_data(bad, reference, None, history=False)


def test_a_year_absent_from_the_file_lists_every_year_of_it(small):
    _, path = small
    line = one_error_line(
        run_in_process("render", "--dept", "02", "--year", "2019", "--data", path, "--out", path.parent / "out")
    )
    assert "aucune donnée pour l'année 2019" in line and "2022, 2023, 2024" in line


def test_the_older_years_come_as_totals_that_give_the_same_indicators(reference):
    from factsheets.config import settings
    from factsheets.indicators import compute_all

    full = load_trade_data(SAMPLE_DATA, reference)
    years = load_year_data(SAMPLE_DATA, reference, None, history=True)
    assert years.year == 2024 and years.years == [2019, 2020, 2021, 2022, 2023, 2024]
    older = years.frame.filter(pl.col("year") < 2023)
    assert older["product"].null_count() == older.height  # totals, not rows
    assert years.frame.filter(pl.col("year") >= 2023).equals(full.filter(pl.col("year") >= 2023))
    codes = ["02", "75", "974"]
    ours = compute_all(years.frame, reference, settings(), 2024, codes)
    theirs = compute_all(full, reference, settings(), 2024, codes)
    assert {code: ind.evolution for code, ind in ours.items()} == {code: ind.evolution for code, ind in theirs.items()}
    assert ours == theirs
