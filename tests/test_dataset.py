"""The one Dataset every command reads (spec section 16): opened once, frozen, read as asked."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import polars as pl
import pytest

from factsheets.dataset import is_synthetic, open_dataset
from factsheets.errors import FactsheetsError
from factsheets.paths import SAMPLE_DATA

HEADER = "year,flow,department,product,country,value_eur\n"


@pytest.fixture(scope="module")
def raw() -> pl.DataFrame:
    return pl.read_parquet(SAMPLE_DATA)


def test_the_sample_for_its_latest_year(raw):
    latest = raw["year"].max()
    dataset = open_dataset(SAMPLE_DATA)
    assert dataset.year == latest
    assert dataset.years == tuple(sorted(raw["year"].unique().to_list()))
    year_rows = raw.filter(pl.col("year") == latest)
    assert dataset.departments == frozenset(year_rows["department"].unique().to_list())
    assert dataset.trade["year"].unique().to_list() == [latest] and dataset.trade.height == year_rows.height
    assert dataset.trade["value_eur"].sum() == pytest.approx(year_rows["value_eur"].sum())
    codes = set(dataset.reference.departments["code"].to_list())
    assert dataset.coverage.year == latest and dataset.coverage.present == frozenset(dataset.departments & codes)
    assert dataset.synthetic and is_synthetic(SAMPLE_DATA)
    with pytest.raises(dataclasses.FrozenInstanceError):
        dataset.year = latest - 1


def test_history_reads_no_year_after_the_sheets(raw):
    dataset = open_dataset(SAMPLE_DATA, 2022, rows="history")
    assert dataset.year == 2022 and dataset.years == tuple(sorted(raw["year"].unique().to_list()))
    assert max(dataset.trade["year"].to_list()) == 2022
    for year in (2022, 2021):  # the sheet's year and the one before: every row
        assert dataset.trade.filter(pl.col("year") == year).height == raw.filter(pl.col("year") == year).height
    older = raw.filter(pl.col("year") < 2021)
    assert dataset.trade.filter(pl.col("year") < 2021)["value_eur"].sum() == pytest.approx(older["value_eur"].sum())
    assert dataset.departments == frozenset(raw.filter(pl.col("year") == 2022)["department"].unique().to_list())


def test_the_whole_file_is_validated_only_when_asked(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text(
        HEADER + "2023,export,02,C10A,DE,1000\n2023,import,60,C10A,DE,500\n2024,export,02,C10A,DE,-5\n", encoding="utf-8"
    )
    dataset = open_dataset(data, 2023)  # the 2024 row is never read
    assert (dataset.year, dataset.years, dataset.departments) == (2023, (2023, 2024), frozenset({"02", "60"}))
    assert not dataset.synthetic and not dataset.coverage.nation
    with pytest.raises(FactsheetsError, match="-5"):
        open_dataset(data, 2023, rows="file")


def test_a_year_the_file_lacks_is_named(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text(HEADER + "2023,export,02,C10A,DE,1000\n", encoding="utf-8")
    for rows in ("year", "history", "file"):
        with pytest.raises(FactsheetsError, match="2021.*2023"):
            open_dataset(data, 2021, rows=rows)


@pytest.mark.parametrize(
    "command, rows",
    [
        (["render", "--dept", "02", "--dept", "oise", "--workers", "1", "--annexe", "csv"], "history"),
        (["render", "--dept", "02", "--workers", "1"], "year"),
        (["indicators", "--dept", "60", "--json"], "history"),
        (["check"], "file"),
        (["departements"], "file"),
        (["mail", "--recipients", "examples/recipients.example.yaml", "--preview", "{tmp}/preview"], "history"),
    ],
)
def test_each_command_opens_the_data_once(monkeypatch, tmp_path, command, rows):
    from cli_helpers import run_in_process

    import factsheets.dataset

    opened = []
    original = factsheets.dataset.open_dataset

    def counting(path, year=None, **kwargs):
        opened.append((Path(path), year, kwargs.get("rows", "year")))
        return original(path, year, **kwargs)

    monkeypatch.setattr(factsheets.dataset, "open_dataset", counting)
    monkeypatch.setenv("FACTSHEETS_STATE", str(tmp_path / "state"))  # mail's journal
    out = ["--out", str(tmp_path)] if command[0] in ("render", "mail") else []
    result = run_in_process(*(arg.format(tmp=tmp_path) for arg in command), *out)
    assert result.returncode == 0, result.stderr
    assert opened == [(SAMPLE_DATA, None, rows)]
