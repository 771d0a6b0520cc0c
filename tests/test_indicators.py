"""Indicators against an independent computation (plain Python over the rows)."""

from collections import defaultdict

import polars as pl
import pytest

from factsheets.config import settings
from factsheets.indicators import compute_all, compute_indicators
from factsheets.model import OTHER_CODE
from factsheets.paths import SAMPLE_DATA
from factsheets.reference import load_reference
from factsheets.validate import load_trade_data


@pytest.fixture(scope="module")
def reference():
    return load_reference()


@pytest.fixture(scope="module")
def sample(reference):
    return load_trade_data(SAMPLE_DATA, reference)


def frame(rows):
    return pl.DataFrame(
        rows,
        schema={
            "year": pl.Int32,
            "flow": pl.String,
            "department": pl.String,
            "product": pl.String,
            "country": pl.String,
            "value_eur": pl.Float64,
        },
        orient="row",
    )


def expected_ranking(rows, department, flow, key, size=10):
    """Totals per key, sorted by value descending then code ascending, cut at `size`."""
    totals = defaultdict(float)
    for row in rows:
        if row["department"] == department and row["flow"] == flow:
            totals[row[key]] += row["value_eur"]
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return ranked[:size], ranked


def test_published_figures_on_the_bundled_sample(sample, reference):
    oise = compute_indicators(sample, reference, settings(), "60", 2024)
    assert oise.export_shares.total_eur == pytest.approx(9_114_800_000, abs=0.5)
    assert oise.import_shares.total_eur == pytest.approx(11_319_000_000, abs=0.5)
    assert oise.export_shares.region_total_eur == pytest.approx(68_021_000_000, abs=0.5)
    assert oise.import_shares.region_total_eur == pytest.approx(85_786_300_000, abs=0.5)
    assert oise.export_shares.nation_total_eur == pytest.approx(580_354_500_000, abs=0.5)
    assert oise.import_shares.nation_total_eur == pytest.approx(684_776_300_000, abs=0.5)
    aisne = compute_indicators(sample, reference, settings(), "02", 2024)
    assert aisne.export_shares.total_eur == pytest.approx(3_517_500_000, abs=0.5)
    assert aisne.region.name == "Hauts-de-France"
    assert aisne.territoires_industrie == ("Haute-Picardie", "Soissonnais – Valois", "Sud Aisne", "Thiérache et Pays de la Serre")


@pytest.mark.parametrize("department", ["02", "60", "2A", "2B", "971", "48"])
def test_totals_and_top_lists_match_a_plain_group_by(sample, reference, department):
    rows = sample.filter(pl.col("year") == 2024).to_dicts()
    result = compute_indicators(sample, reference, settings(), department, 2024)
    region_code = reference.department(department)[2]
    region_departments = set(reference.departments.filter(pl.col("region") == region_code)["code"])
    for flow, summary, shares in (
        ("export", result.local.exports, result.export_shares),
        ("import", result.local.imports, result.import_shares),
    ):
        total = sum(r["value_eur"] for r in rows if r["department"] == department and r["flow"] == flow)
        region_total = sum(r["value_eur"] for r in rows if r["department"] in region_departments and r["flow"] == flow)
        nation_total = sum(r["value_eur"] for r in rows if r["flow"] == flow)
        assert shares.total_eur == pytest.approx(total, rel=1e-12)
        assert shares.region_total_eur == pytest.approx(region_total, rel=1e-12)
        assert shares.nation_total_eur == pytest.approx(nation_total, rel=1e-12)
        assert shares.share_of_region == pytest.approx(total / region_total, rel=1e-12)
        assert shares.share_of_nation == pytest.approx(total / nation_total, rel=1e-12)
        top_products, _ = expected_ranking(rows, department, flow, "product")
        top_countries, _ = expected_ranking(rows, department, flow, "country")
        assert [(p.code, p.value_eur) for p in summary.top_products] == [(c, pytest.approx(v)) for c, v in top_products]
        assert [(c.code, c.value_eur) for c in summary.top_countries] == [(c, pytest.approx(v)) for c, v in top_countries]


def test_sankey_matrix_buckets_everything_beyond_the_top_ten(sample, reference):
    rows = sample.filter(pl.col("year") == 2024).to_dicts()
    result = compute_indicators(sample, reference, settings(), "59", 2024)
    top_products = {c for c, _ in expected_ranking(rows, "59", "export", "product")[0]}
    top_countries = {c for c, _ in expected_ranking(rows, "59", "export", "country")[0]}
    expected = defaultdict(float)
    for r in rows:
        if r["department"] == "59" and r["flow"] == "export":
            key = (
                r["product"] if r["product"] in top_products else OTHER_CODE,
                r["country"] if r["country"] in top_countries else OTHER_CODE,
            )
            expected[key] += r["value_eur"]
    sankey = result.local.exports.sankey
    got = {(link.source, link.target): link.value_eur for link in sankey.links}
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value)
    assert len(sankey.left) == 11 and sankey.left[-1].code == OTHER_CODE
    assert len(sankey.right) == 11 and sankey.right[-1].code == OTHER_CODE
    assert sankey.total_eur == pytest.approx(result.export_shares.total_eur)
    # imports go the other way round: countries on the left
    imports = result.local.imports.sankey
    assert {item.code for item in imports.left[:-1]} == {c.code for c in result.local.imports.top_countries}


def test_region_and_nation_flows_are_shared_objects(sample, reference):
    results = compute_all(sample, reference, settings(), 2024, ["02", "60", "75"])
    assert results["02"].region_flows is results["60"].region_flows
    assert results["02"].nation_flows is results["75"].nation_flows
    assert results["75"].region.name == "Île-de-France"


def test_ties_break_by_code_and_small_departments_have_no_empty_autres(reference):
    rows = [
        (2024, "export", "48", "C11Z", "DE", 100.0),
        (2024, "export", "48", "C10A", "DE", 100.0),
        (2024, "export", "48", "C10A", "BE", 50.0),
        (2024, "export", "48", "A01Z", "IT", 150.0),  # ties C10A at 150: the lower code, A01Z, ranks first
        (2024, "import", "02", "C21Z", "CN", 10.0),
    ]
    result = compute_indicators(frame(rows), reference, settings(), "48", 2024)
    exports = result.local.exports
    assert [p.code for p in exports.top_products] == ["A01Z", "C10A", "C11Z"]
    assert [c.code for c in exports.top_countries] == ["DE", "IT", "BE"]
    assert all(item.code != OTHER_CODE for item in exports.sankey.left + exports.sankey.right)
    # no imports at all in Lozère: zero totals, empty lists, no division by zero
    assert result.local.imports.total_eur == 0
    assert result.local.imports.top_products == ()
    assert result.import_shares.share_of_region == 0.0
    assert result.import_shares.nation_total_eur == 10.0


def test_unallocated_trade_counts_for_the_nation_only(reference):
    rows = [
        (2024, "export", "02", "C10A", "DE", 100.0),
        (2024, "export", "00", "C10A", "DE", 900.0),
    ]
    result = compute_indicators(frame(rows), reference, settings(), "02", 2024)
    assert result.export_shares.region_total_eur == 100.0
    assert result.export_shares.nation_total_eur == 1000.0
    assert result.export_shares.share_of_nation == pytest.approx(0.1)


def test_balance_countries_are_the_union_of_both_top_fives(sample, reference):
    rows = sample.filter(pl.col("year") == 2024).to_dicts()
    result = compute_indicators(sample, reference, settings(), "60", 2024)
    top_imports = {c for c, _ in expected_ranking(rows, "60", "import", "country", 5)[0]}
    top_exports = {c for c, _ in expected_ranking(rows, "60", "export", "country", 5)[0]}
    balance = {b.code: b for b in result.balance_countries}
    assert set(balance) == top_imports | top_exports
    _, all_imports = expected_ranking(rows, "60", "import", "country")
    _, all_exports = expected_ranking(rows, "60", "export", "country")
    for code, b in balance.items():
        assert b.import_eur == pytest.approx(dict(all_imports).get(code, 0.0))
        assert b.export_eur == pytest.approx(dict(all_exports).get(code, 0.0))
