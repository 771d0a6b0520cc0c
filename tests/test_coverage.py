"""France and region figures only from data that covers them (spec section 13, issue 22).

Region-only data is the bundled sample cut to Hauts-de-France's departments, written as a
canonical Parquet file; the sheet is rendered through the real command line and read back
as text with pdftotext.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import polars as pl
import pytest

from cli_helpers import run_cli
from factsheets.paths import SAMPLE_DATA

HAUTS_DE_FRANCE = ["02", "59", "60", "62", "80"]

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext absent")


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    return pl.read_parquet(SAMPLE_DATA)


def _render(tmp_path, data, *extra):
    out = tmp_path / "out"
    result = run_cli("render", "--dept", "59", "--data", data, "--workers", "1", "--out", out, *extra)
    assert result.returncode == 0, result.stderr
    (pdf,) = out.glob("*.pdf")
    return result, " ".join(pdf_text(pdf).split()), out


def test_region_only_data_prints_no_france_figure(tmp_path, sample):
    data = tmp_path / "hdf.parquet"
    sample.filter(pl.col("department").is_in(HAUTS_DE_FRANCE)).write_parquet(data)
    result, text, out = _render(tmp_path, data, "--annexe", "csv")
    assert "France entière" not in text
    assert "valeur exportée au niveau national" not in text and "valeur importée au niveau national" not in text
    # The region is whole: its comparison and share stay, computed independently here.
    year = sample.filter(pl.col("department").is_in(HAUTS_DE_FRANCE) & (pl.col("year") == 2024))
    nord = year.filter((pl.col("department") == "59") & (pl.col("flow") == "export"))["value_eur"].sum()
    region = year.filter(pl.col("flow") == "export")["value_eur"].sum()
    assert f"soit {100 * nord / region:.1f}% de la valeur exportée par la région Hauts-de-France" in text
    assert "Flux à l'export, Hauts-de-France" in text
    assert "comparée à celle de la région :" in text
    notes = [line for line in result.stderr.splitlines() if "France entière absente" in line]
    assert len(notes) == 1 and "5 département(s) sur 101" in notes[0] and "--national" in notes[0]
    assert "Traceback" not in result.stderr
    annex = next(out.glob("*.csv")).read_text(encoding="utf-8-sig")
    rows = [row.split(";") for row in annex.splitlines()[1:]]
    assert rows and not [row for row in rows if row[1] == "France"]  # no France row (level column)
    department_totals = [row for row in rows if row[:2] == ["Totaux", "Département"] and row[3] != "Solde"]
    assert len(department_totals) == 2
    assert all(row[-1] == "" and row[-2] != "" for row in department_totals)  # share of France empty, region's kept


def test_region_with_a_missing_department_leaves_out_every_comparison(tmp_path, sample):
    data = tmp_path / "hdf4.csv"
    sample.filter(pl.col("department").is_in(HAUTS_DE_FRANCE[:-1])).write_csv(data)
    result, text, _ = _render(tmp_path, data)
    assert "France entière" not in text and "au niveau national à l'adresse" in text  # the practical page stays
    assert "par la région" not in text and "Flux à l'export, Hauts-de-France" not in text
    assert "peut être comparée" not in text  # neither area: no comparison page, no sentence
    region_notes = [line for line in result.stderr.splitlines() if "comparaison régionale absente" in line]
    assert len(region_notes) == 1 and "Hauts-de-France (4 sur 5, manque 80)" in region_notes[0]


def test_indicators_json_has_coverage_and_nulls(tmp_path, sample):
    data = tmp_path / "hdf4.parquet"
    sample.filter(pl.col("department").is_in(HAUTS_DE_FRANCE[:-1])).write_parquet(data)
    result = run_cli("indicators", "--dept", "59", "--json", "--data", data)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["coverage"]["departments_present"] == 4
    assert found["coverage"]["nation"] is False and found["coverage"]["region"] is False
    assert found["coverage"]["national_source"] is False
    for flow in ("exports", "imports"):
        for key in ("region_total_eur", "nation_total_eur", "share_of_region", "share_of_nation"):
            assert found[flow][key] is None
    assert found["evolution"]["nation"] == [] and found["evolution"]["region"] == []
    full = json.loads(run_cli("indicators", "--dept", "59", "--json").stdout)
    assert full["coverage"] == {"year": 2024, "departments_present": 101, "departments_total": 101, "nation": True,
                                "region": True, "national_source": False, "region_missing": []}
    assert full["exports"]["nation_total_eur"] == pytest.approx(
        sample.filter((pl.col("year") == 2024) & (pl.col("flow") == "export"))["value_eur"].sum(), abs=0.5)
