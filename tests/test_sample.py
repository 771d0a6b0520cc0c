"""The shipped synthetic sample: calibration, breadth, shape, provenance and reproducibility."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from factsheets.numbers import format_millions
from factsheets.paths import SAMPLE_DATA
from factsheets.reference import load_reference
from factsheets.sample import BIG_DEPARTMENTS, YEARS, _split, main

SPECIAL_PARTNERS = {"QP", "QQ", "QR", "QS", "QU", "QV", "QW", "QX", "QY", "QZ"}


@pytest.fixture(scope="module")
def reference():
    return load_reference()


@pytest.fixture(scope="module")
def sample():
    return pl.read_parquet(SAMPLE_DATA)


@pytest.fixture(scope="module")
def totals(sample, reference):
    """Whole-euro totals per (year, flow, area) by a plain loop over the rows.

    Areas: "FR" (every row), "R<region>" (departments of the region) and the department code.
    """
    region_of = dict(zip(reference.departments["code"], reference.departments["region"]))
    result: dict[tuple[int, str, str], int] = defaultdict(int)
    columns = [sample[name].to_list() for name in ("year", "flow", "department", "value_eur")]
    for year, flow, department, value in zip(*columns):
        euros = int(value)
        result[(year, flow, "FR")] += euros
        result[(year, flow, department)] += euros
        if department in region_of:
            result[(year, flow, "R" + region_of[department])] += euros
    return result


def test_published_2024_figures_are_exact(totals):
    assert totals[(2024, "export", "FR")] == 580_354_500_000
    assert totals[(2024, "import", "FR")] == 684_776_300_000
    assert totals[(2024, "export", "R32")] == 68_021_000_000
    assert totals[(2024, "import", "R32")] == 85_786_300_000
    assert totals[(2024, "export", "02")] == 3_517_500_000
    assert totals[(2024, "export", "60")] == 9_114_800_000
    assert totals[(2024, "import", "60")] == 11_319_000_000


def test_region_32_is_its_five_departments(totals):
    for flow in ("export", "import"):
        parts = sum(totals[(2024, flow, code)] for code in ("02", "59", "60", "62", "80"))
        assert parts == totals[(2024, flow, "R32")]


def test_unallocated_trade_counts_for_the_nation_only(totals, reference):
    for year in YEARS:
        for flow in ("export", "import"):
            unallocated = totals[(year, flow, "00")]
            departments = sum(totals[(year, flow, code)] for code in reference.departments["code"])
            assert 0 < unallocated < 0.05 * totals[(year, flow, "FR")]
            assert departments + unallocated == totals[(year, flow, "FR")]


def test_2023_differs_by_a_few_percent(totals):
    for flow in ("export", "import"):
        change = totals[(2024, flow, "FR")] / totals[(2023, flow, "FR")] - 1
        assert 0.005 < abs(change) < 0.08


def test_national_paths_dip_in_2020_and_imports_surge_in_2022(totals):
    exports = [totals[(year, "export", "FR")] for year in YEARS]
    imports = [totals[(year, "import", "FR")] for year in YEARS]
    for series in (exports, imports):
        assert min(series) == series[YEARS.index(2020)]
        assert series[YEARS.index(2020)] < 0.9 * series[YEARS.index(2019)]
    assert max(imports) == imports[YEARS.index(2022)]
    assert imports[YEARS.index(2022)] > 1.2 * imports[YEARS.index(2021)]


def test_energy_imports_surge_in_2022(sample):
    energy = (
        sample.filter((pl.col("flow") == "import") & pl.col("product").is_in(["B06Z", "C19Z"]))
        .group_by("year")
        .agg(pl.col("value_eur").sum())
        .sort("year")
    )
    by_year = dict(zip(energy["year"], energy["value_eur"]))
    assert by_year[2022] > 1.6 * by_year[2021]


def test_every_department_prints_its_own_total_every_year(totals, reference):
    """As printed (0.1 M€): no two departments show the same export, or import, total in a year."""
    for year in YEARS:
        for flow in ("export", "import"):
            printed = [format_millions(totals[(year, flow, code)]) for code in reference.departments["code"]]
            assert len(printed) == 101
            duplicated = sorted({value for value in printed if printed.count(value) > 1})
            assert not duplicated, (year, flow, duplicated)


def test_shape_and_types(sample):
    assert sample.schema == pl.Schema(
        {
            "year": pl.Int32,
            "flow": pl.String,
            "department": pl.String,
            "product": pl.String,
            "country": pl.String,
            "value_eur": pl.Float64,
        }
    )
    assert sorted(sample["year"].unique().to_list()) == [2019, 2020, 2021, 2022, 2023, 2024]
    assert sorted(sample["flow"].unique().to_list()) == ["export", "import"]
    keys = ["year", "flow", "department", "product", "country"]
    assert sample.select(pl.struct(keys).is_unique().all()).item()
    assert sample.equals(sample.sort(keys))
    values = sample["value_eur"]
    assert values.min() > 0
    assert (values == values.floor()).all()
    assert sample.null_count().sum_horizontal().item() == 0


def test_breadth_of_every_department(sample, reference):
    breadth = (
        sample.filter(~pl.col("country").is_in(list(SPECIAL_PARTNERS)))
        .group_by("year", "flow", "department")
        .agg(countries=pl.col("country").n_unique(), products=pl.col("product").n_unique())
    )
    expected = {(year, flow, code) for year in YEARS for flow in ("export", "import") for code in reference.departments["code"]}
    found = {(row["year"], row["flow"], row["department"]): row for row in breadth.iter_rows(named=True)}
    assert expected <= set(found)
    for key in expected:
        assert found[key]["countries"] >= 40, key
        assert found[key]["products"] >= 30, key
        if key[2] in BIG_DEPARTMENTS:
            assert found[key]["countries"] >= 120, key
            assert found[key]["products"] >= 70, key
    assert {"13", "31", "33", "44", "59", "67", "69", "75", "76", "92", "93", "94"} <= set(BIG_DEPARTMENTS)


def test_every_code_is_in_the_reference_tables(sample, reference):
    departments = set(reference.departments["code"]) | set(reference.unallocated_departments)
    assert set(sample["department"]) == departments
    assert set(sample["product"]) <= set(reference.products["code"])
    assert set(sample["country"]) <= set(reference.countries["code"])
    assert "FR" not in set(sample["country"])  # France is never its own partner
    assert {"QQ", "QS"} <= set(sample["country"])  # customs special codes appear a little
    special = sample.filter(pl.col("country").is_in(list(SPECIAL_PARTNERS)))["value_eur"].sum()
    assert 0 < special < 0.01 * sample["value_eur"].sum()


def test_specialities_show(sample):
    def top_product(department: str, flow: str) -> str:
        rows = sample.filter((pl.col("year") == 2024) & (pl.col("department") == department) & (pl.col("flow") == flow))
        ranked = rows.group_by("product").agg(pl.col("value_eur").sum()).sort(["value_eur", "product"], descending=[True, False])
        return ranked["product"][0]

    assert top_product("31", "export") == "C30C"
    assert top_product("76", "import") == "B06Z"
    assert top_product("51", "export") == "C11Z"
    assert top_product("16", "export") == "C11Z"
    assert top_product("60", "export") in {"C21Z", "C20D"}


def test_a_small_department_has_two_products_with_equal_totals(sample):
    lozere = (
        sample.filter((pl.col("year") == 2024) & (pl.col("department") == "48") & (pl.col("flow") == "export"))
        .group_by("product")
        .agg(pl.col("value_eur").sum())
        .sort(["value_eur", "product"], descending=[True, False])
        .head(10)
    )
    values = lozere["value_eur"].to_list()
    tied = [i for i in range(len(values) - 1) if values[i] == values[i + 1]]
    assert tied, lozere
    first = tied[0]
    assert lozere["product"][first] < lozere["product"][first + 1]


def test_split_is_exact_and_proportional():
    parts = _split(1_000_000_007, np.array([3.0, 1.0, 1.0, 0.5]))
    assert parts.sum() == 1_000_000_007
    assert parts.tolist() == [545_454_549, 181_818_183, 181_818_183, 90_909_092]


def test_regenerating_gives_the_shipped_file(tmp_path, sample, capsys):
    out = tmp_path / "sample.parquet"
    assert main(["--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert_frame_equal(pl.read_parquet(out), sample)
    metadata = pl.read_parquet_metadata(out)
    assert metadata["factsheets.synthetic"] == "true"
    assert "synthétiques" in metadata["factsheets.description"]


def test_shipped_file_says_it_is_synthetic():
    metadata = pl.read_parquet_metadata(SAMPLE_DATA)
    assert metadata["factsheets.synthetic"] == "true"
    assert metadata["factsheets.description"].startswith("Données synthétiques")
    assert SAMPLE_DATA.stat().st_size < 8_000_000
    assert (SAMPLE_DATA.parent / "README.md").read_text(encoding="utf-8").count("synthétique") >= 2
