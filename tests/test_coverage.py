"""France and region figures only from data that covers them (spec section 13, issue 22).

Region-only data is the bundled sample cut to Hauts-de-France's departments, written as a
canonical Parquet file; the sheet is rendered through the real command line and read back
as text with pdftotext.
"""

from __future__ import annotations

import json
import subprocess

import polars as pl
import pytest
from cli_helpers import run_in_process
from debian_tools import ensure_debian_program

from factsheets.paths import SAMPLE_DATA

HAUTS_DE_FRANCE = ["02", "59", "60", "62", "80"]


def pdf_text(path) -> str:
    """The text layer, with the typographic apostrophe and no-break spaces read as ' and a space.
    (pdftotext is installed when missing, not skipped: a skip decided when the tests are
    collected saw a fresh machine without it, before another test installed it.)"""
    pdftotext = ensure_debian_program("pdftotext", "poppler-utils")
    text = subprocess.run([pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.replace("\u2019", "'").replace("\u00a0", " ")


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    return pl.read_parquet(SAMPLE_DATA)


def _render(tmp_path, data, *extra):
    out = tmp_path / "out"
    result = run_in_process("render", "--dept", "59", "--data", data, "--workers", "1", "--out", out, *extra)
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
    result = run_in_process("indicators", "--dept", "59", "--json", "--data", data)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["coverage"]["departments_present"] == 4
    assert found["coverage"]["nation"] is False and found["coverage"]["region"] is False
    assert found["coverage"]["national_source"] is False
    for flow in ("exports", "imports"):
        for key in ("region_total_eur", "nation_total_eur", "share_of_region", "share_of_nation"):
            assert found[flow][key] is None
    assert found["evolution"]["nation"] == [] and found["evolution"]["region"] == []
    full = json.loads(run_in_process("indicators", "--dept", "59", "--json").stdout)
    assert full["coverage"] == {
        "year": 2024,
        "departments_present": 101,
        "departments_total": 101,
        "nation": True,
        "region": True,
        "national_source": False,
        "region_missing": [],
    }
    assert full["exports"]["nation_total_eur"] == pytest.approx(
        sample.filter((pl.col("year") == 2024) & (pl.col("flow") == "export"))["value_eur"].sum(), abs=0.5
    )


def _national(sample: pl.DataFrame, extra: dict[tuple[str, str, str], float]) -> pl.DataFrame:
    """France per year, flow, product, country (the sample's, every department and unallocated
    row), plus `extra` euros on some (flow, product, country) of every year: trade the
    departments do not have."""
    nation = sample.group_by("year", "flow", "product", "country").agg(pl.col("value_eur").sum())
    for (flow, product, country), amount in extra.items():
        hit = (pl.col("flow") == flow) & (pl.col("product") == product) & (pl.col("country") == country)
        nation = nation.with_columns(
            pl.when(hit).then(pl.col("value_eur") + amount).otherwise(pl.col("value_eur")).alias("value_eur")
        )
    return nation.sort("year", "flow", "product", "country")


def test_national_file_gives_france_to_the_euro(tmp_path, sample):
    from factsheets.numbers import format_millions

    departments = tmp_path / "hdf.csv"
    sample.filter(pl.col("department").is_in(HAUTS_DE_FRANCE)).write_csv(departments)
    national = tmp_path / "france.csv"
    nation = _national(sample, {("export", "C29A", "DE"): 12_345_678.0, ("import", "C21Z", "US"): 1_000_000.0})
    nation.write_csv(national)
    out = tmp_path / "canonique.parquet"
    ingested = run_in_process("ingest", departments, "--profile", "canonical", "--national", national, "--out", out)
    assert ingested.returncode == 0, ingested.stderr
    metadata = pl.read_parquet_metadata(out)
    assert metadata["factsheets.departments"] == ",".join(HAUTS_DE_FRANCE)
    assert json.loads(metadata["factsheets.national_source"])["file"] == "france.csv"
    written = pl.read_parquet(out)
    # France (every row) equals the national file per year and flow, to the euro.
    expected = nation.group_by("year", "flow").agg(pl.col("value_eur").sum()).sort("year", "flow")
    got = written.group_by("year", "flow").agg(pl.col("value_eur").sum()).sort("year", "flow")
    assert got["year"].to_list() == expected["year"].to_list()
    for a, b in zip(got["value_eur"], expected["value_eur"]):
        assert abs(a - b) < 1.0
    assert set(written["department"].unique()) == {*HAUTS_DE_FRANCE, "00"}

    result, text, _ = _render(tmp_path, out)
    assert "France entière absente" not in result.stderr
    year = nation.filter(pl.col("year") == 2024)
    for flow, title in (("export", "Flux à l'export, France entière"), ("import", "Flux à l'import, France entière")):
        france = sum(year.filter(pl.col("flow") == flow)["value_eur"])
        label = "exportations" if flow == "export" else "importations"
        assert f"{title} (en valeur, 2024)" in text
        assert f"Total des {label} : {' '.join(format_millions(france).split())} millions d'euros" in text
        nord = sum(
            sample.filter((pl.col("year") == 2024) & (pl.col("flow") == flow) & (pl.col("department") == "59"))["value_eur"]
        )
        verb = "exportée" if flow == "export" else "importée"
        assert f"de la valeur {verb} au niveau national" in text
        shares = json.loads(run_in_process("indicators", "--dept", "59", "--json", "--data", out).stdout)
        assert shares["coverage"]["national_source"] is True and shares["coverage"]["nation"] is True
        assert shares[f"{flow}s"]["nation_total_eur"] == pytest.approx(france, abs=1.0)
        assert shares[f"{flow}s"]["share_of_nation"] == pytest.approx(nord / france, rel=1e-9)


def test_national_file_below_the_departments_is_an_error_naming_the_key(tmp_path, sample):
    departments = tmp_path / "hdf.csv"
    sample.filter(pl.col("department").is_in(HAUTS_DE_FRANCE)).write_csv(departments)
    nation = _national(sample, {})
    nord_2024 = sample.filter((pl.col("year") == 2024) & (pl.col("department") == "59") & (pl.col("flow") == "export"))
    product, country = nord_2024.sort("value_eur", descending=True).row(0)[3:5]
    small_product, small_country = nord_2024.sort("value_eur", descending=True).row(1)[3:5]

    def lower(frame, product_, country_, by):
        hit = (
            (pl.col("year") == 2024)
            & (pl.col("flow") == "export")
            & (pl.col("product") == product_)
            & (pl.col("country") == country_)
        )
        return frame.with_columns(pl.when(hit).then(pl.col("value_eur") - by).otherwise(pl.col("value_eur")).alias("value_eur"))

    # Far below (the national value minus the whole of France's other departments plus 5 000 €) on one key.
    france_key = nation.filter(
        (pl.col("year") == 2024) & (pl.col("flow") == "export") & (pl.col("product") == product) & (pl.col("country") == country)
    )["value_eur"][0]
    hdf_key = sample.filter(
        pl.col("department").is_in(HAUTS_DE_FRANCE)
        & (pl.col("year") == 2024)
        & (pl.col("flow") == "export")
        & (pl.col("product") == product)
        & (pl.col("country") == country)
    )["value_eur"].sum()
    bad = lower(nation, product, country, france_key - hdf_key + 5000.0)
    national = tmp_path / "france.csv"
    bad.write_csv(national)
    out = tmp_path / "x.parquet"
    result = run_in_process("ingest", departments, "--profile", "canonical", "--national", national, "--out", out)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"2024, export, produit {product}, pays {country}" in result.stderr
    assert not out.exists()

    # 500 € below on a key: clipped to zero, no error.
    small_france = nation.filter(
        (pl.col("year") == 2024)
        & (pl.col("flow") == "export")
        & (pl.col("product") == small_product)
        & (pl.col("country") == small_country)
    )["value_eur"][0]
    small_hdf = sample.filter(
        pl.col("department").is_in(HAUTS_DE_FRANCE)
        & (pl.col("year") == 2024)
        & (pl.col("flow") == "export")
        & (pl.col("product") == small_product)
        & (pl.col("country") == small_country)
    )["value_eur"].sum()
    lower(nation, small_product, small_country, small_france - small_hdf + 500.0).write_csv(national)
    result = run_in_process("ingest", departments, "--profile", "canonical", "--national", national, "--out", out)
    assert result.returncode == 0, result.stderr
    written = pl.read_parquet(out)
    assert (
        written.filter(
            (pl.col("department") == "00")
            & (pl.col("year") == 2024)
            & (pl.col("flow") == "export")
            & (pl.col("product") == small_product)
            & (pl.col("country") == small_country)
        ).height
        == 0
    )


def test_national_needs_a_parquet_output(tmp_path, sample):
    departments = tmp_path / "hdf.csv"
    sample.filter(pl.col("department").is_in(HAUTS_DE_FRANCE)).head(100).write_csv(departments)
    result = run_in_process(
        "ingest", departments, "--profile", "canonical", "--national", departments, "--out", tmp_path / "x.csv"
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and ".parquet" in lines[0] and "Traceback" not in result.stderr


def test_national_file_through_its_own_profile_and_check_reads_the_coverage(tmp_path, sample):
    departments = tmp_path / "hdf.parquet"
    sample.filter(pl.col("department").is_in(HAUTS_DE_FRANCE)).write_parquet(departments)
    check = run_in_process("check", "--data", departments)
    assert check.returncode == 0, check.stdout + check.stderr
    assert [line for line in check.stdout.splitlines() if "France entière absente" in line and line.startswith("attention")]
    # The national file as the customs give it: thousands of euros with a comma, ";", cp1252
    # headers, no department column; its own profile.
    nation = _national(sample, {("export", "C29A", "DE"): 2_500_000.0}).filter(pl.col("year") == 2024)
    lines = ["Année;Flux;Produit;Pays;Valeur (k€)"] + [
        f"{year};{'E' if flow == 'export' else 'I'};{product};{country};{value / 1000:.3f}".replace(".", ",")
        for year, flow, product, country, value in nation.iter_rows()
    ]
    national = tmp_path / "national.csv"
    national.write_bytes("\n".join(lines).encode("cp1252"))
    profile = tmp_path / "national.yaml"
    profile.write_text(
        'format: csv\nseparator: ";"\ndecimal: ","\nencoding: cp1252\nunit: thousands_eur\nheader: true\n'
        'columns:\n  year: "Année"\n  flow: Flux\n  product: Produit\n  country: Pays\n  value: "Valeur (k€)"\n'
        "flow_codes:\n  E: export\n  I: import\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.parquet"
    result = run_in_process(
        "ingest", departments, "--profile", "canonical", "--national", national, "--national-profile", profile, "--out", out
    )
    assert result.returncode == 0, result.stderr
    assert "fichier national" in result.stderr and "années couvertes : 2024" in result.stderr
    written = pl.read_parquet(out).filter(pl.col("year") == 2024)
    for flow in ("export", "import"):
        expected = sum(round(value / 1000, 3) * 1000 for value in nation.filter(pl.col("flow") == flow)["value_eur"])
        assert abs(written.filter(pl.col("flow") == flow)["value_eur"].sum() - expected) < 1.0
    check = run_in_process("check", "--data", out)
    assert "France entière absente" not in check.stdout  # 2024 is covered by the national file


def test_campaign_summary_leaves_uncovered_shares_empty(tmp_path, sample):
    data = tmp_path / "hdf.parquet"
    sample.filter(pl.col("department").is_in(HAUTS_DE_FRANCE)).write_parquet(data)
    out = tmp_path / "out"
    result = run_in_process("render", "--dept", "59", "--dept", "60", "--data", data, "--workers", "1", "--out", out)
    assert result.returncode == 0, result.stderr
    assert sum("France entière absente" in line for line in result.stderr.splitlines()) == 1
    summary = (out / "synthese-2024.csv").read_text(encoding="utf-8-sig").splitlines()
    header = summary[0].split(";")
    rows = {row.split(";")[0]: dict(zip(header, row.split(";"))) for row in summary[1:]}
    for code in ("59", "60"):
        assert rows[code]["Part nationale des exportations (%)"] == ""
        assert rows[code]["Part nationale des importations (%)"] == ""
        assert rows[code]["Part régionale des exportations (%)"] != ""


def test_national_file_with_an_incomplete_region_keeps_france_only(tmp_path, sample):
    departments = tmp_path / "hdf4.csv"
    sample.filter(pl.col("department").is_in(HAUTS_DE_FRANCE[:-1])).write_csv(departments)
    national = tmp_path / "france.csv"
    _national(sample, {}).write_csv(national)
    out = tmp_path / "canonique.parquet"
    plain = run_in_process("ingest", departments, "--profile", "canonical", "--out", tmp_path / "plain.csv")
    assert "sans fichier national" in plain.stderr and "97 département(s)" in plain.stderr
    assert run_in_process("ingest", departments, "--profile", "canonical", "--national", national, "--out", out).returncode == 0
    result, text, _ = _render(tmp_path, out)
    assert "Flux à l'export, France entière (en valeur, 2024)" in text
    assert "comparée à celle du pays :" in text
    assert "par la région" not in text and "Flux à l'export, Hauts-de-France" not in text
    assert "France entière absente" not in result.stderr
    assert sum("Hauts-de-France (4 sur 5, manque 80)" in line for line in result.stderr.splitlines()) == 1
