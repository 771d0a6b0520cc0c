"""`factsheets indicators --json` on the bundled sample: the published figures, the spec's keys."""

from __future__ import annotations

import json

import pytest
from cli_helpers import run_in_process

from factsheets.numbers import format_millions, format_share_of_nation, format_share_of_region

FLOW_KEYS = {
    "total_eur",
    "region_total_eur",
    "nation_total_eur",
    "share_of_region",
    "share_of_nation",
    "top_products",
    "top_countries",
    "flows",
}


def indicators(*args: str) -> dict:
    result = run_in_process("indicators", *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def printed(flow: dict) -> tuple[str, str, str]:
    """The three figures as the sheet prints them (plain spaces for comparison)."""
    return (
        format_millions(flow["total_eur"]).replace("\u00a0", " "),
        format_share_of_region(flow["share_of_region"]),
        format_share_of_nation(flow["share_of_nation"]),
    )


def test_oise_as_published():
    oise = indicators("--dept", "60")
    assert oise["department"] == {"code": "60", "name": "Oise"}
    assert oise["region"] == {"code": "32", "name": "Hauts-de-France"}
    assert oise["year"] == 2024
    assert printed(oise["exports"]) == ("9 114.8", "13.4%", "1.57%")
    assert printed(oise["imports"]) == ("11 319", "13.2%", "1.65%")
    assert format_millions(oise["exports"]["region_total_eur"]).replace("\u00a0", " ") == "68 021"
    assert format_millions(oise["imports"]["region_total_eur"]).replace("\u00a0", " ") == "85 786.3"
    assert format_millions(oise["exports"]["nation_total_eur"]).replace("\u00a0", " ") == "580 354.5"
    assert format_millions(oise["imports"]["nation_total_eur"]).replace("\u00a0", " ") == "684 776.3"


def test_aisne_exports_as_published():
    assert printed(indicators("--dept", "02")["exports"]) == ("3 517.5", "5.2%", "0.61%")


@pytest.mark.parametrize("code", ["2A", "973"])
def test_json_has_the_keys_of_the_spec_and_a_consistent_matrix(code):
    data = indicators("--dept", code)
    assert {"department", "region", "year", "exports", "imports", "balance_countries"} <= set(data)
    for flow in ("exports", "imports"):
        block = data[flow]
        assert FLOW_KEYS <= set(block)
        assert 0 <= block["share_of_region"] <= 1 and 0 <= block["share_of_nation"] <= 1
        values = [item["value_eur"] for item in block["top_products"]]
        assert values == sorted(values, reverse=True) and len(values) <= 10
        assert all({"code", "label", "value_eur"} <= set(item) for item in block["top_products"])
        assert all({"code", "name", "value_eur"} <= set(item) for item in block["top_countries"])
        # The Sankey matrix, "Autres" included, carries every euro of the department.
        assert sum(item["value_eur"] for item in block["flows"]) == pytest.approx(block["total_eur"], rel=1e-9)
        assert all({"product", "country", "value_eur"} <= set(item) for item in block["flows"])
    for country in data["balance_countries"]:
        assert {"code", "name", "import_eur", "export_eur"} <= set(country)


def test_year_option():
    assert indicators("--dept", "60", "--year", "2023")["year"] == 2023
