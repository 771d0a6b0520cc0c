"""Issue 14 from the command line: `render --evolution --annexe`, the campaign summary, paths
streamed on stdout. PDFs read back with pypdf, spreadsheets with polars.read_excel (fastexcel),
totals checked against `indicators --json` and against sums made here."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from cli_helpers import PROJECT_ROOT, run_cli, run_in_process
from conftest import render_all_evolution_once
from pypdf import PdfReader
from test_render import font_problems, raster_images

from factsheets.paths import SAMPLE_DATA
from factsheets.reference import load_reference

NBSP = "\u00a0"
YEARS = ["2019", "2020", "2021", "2022", "2023", "2024"]
OISE = "commerce-exterieur-2024-60-oise"


def page_texts(path: Path) -> list[str]:
    return [" ".join(page.extract_text().replace(NBSP, " ").split()) for page in PdfReader(path).pages]


def indicators_json(code: str) -> dict:
    result = run_in_process("indicators", "--dept", code, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def oise(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("oise")
    result = run_in_process("render", "--dept", "60", "--evolution", "--annexe", "xlsx", "--out", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [str(out / f"{OISE}.pdf")]
    return out


def test_oise_with_evolution_has_nine_pages_the_years_and_the_changes(oise):
    pages = page_texts(oise / f"{OISE}.pdf")
    assert len(pages) == 9
    evolution = pages[7]  # before "Informations pratiques", the last page
    assert "Évolution des échanges" in evolution and "Évolution des échanges" not in pages[6]
    assert "Informations pratiques" in pages[8]
    for year in YEARS:
        assert evolution.count(year) >= 2, year  # on the chart's axis and in the table
    data = indicators_json("60")["evolution"]["changes"]
    # Totals: 9 114.8 M€ in 2024 against 2023, and the change as a signed percentage.
    from factsheets.numbers import format_change, format_millions

    exports = data["exports"]["total"]
    assert f"{format_millions(exports['previous_eur']).replace(NBSP, ' ')}" in evolution
    assert (
        f"les exportations s’élèvent à 9 114.8 millions d’euros ({format_change(exports['change_ratio'])} par rapport à 2023)"
        in evolution
    )
    for item in data["exports"]["top_products"][:5]:
        assert format_change(item["change_ratio"]) in evolution
    for item in data["imports"]["top_countries"][:5]:
        assert item["name"] in evolution
        assert format_millions(item["previous_eur"]).replace(NBSP, " ") in evolution


def test_oise_with_evolution_is_vector_with_embedded_fonts(oise):
    path = oise / f"{OISE}.pdf"
    assert raster_images(path) == 0
    assert font_problems(path) == []


def test_oise_annex_gives_the_json_totals_to_the_euro(oise):
    data = indicators_json("60")
    sheets = pl.read_excel(oise / f"{OISE}.xlsx", sheet_id=0)
    assert list(sheets) == ["À propos", "Totaux", "Produits", "Pays", "Flux", "Balance", "Évolution", "Variations"]
    totals = sheets["Totaux"]
    assert totals.columns[:5] == ["Niveau", "Territoire", "Flux", "Année", "Valeur (€)"]

    def value(level: str, flow: str) -> float:
        row = totals.filter((pl.col("Niveau") == level) & (pl.col("Flux") == flow))
        assert row.height == 1
        return row["Valeur (€)"][0]

    for flow, key in (("Exportations", "exports"), ("Importations", "imports")):
        assert value("Département", flow) == data[key]["total_eur"]
        assert value("Région", flow) == data[key]["region_total_eur"]
        assert value("France", flow) == data[key]["nation_total_eur"]
    assert value("Département", "Solde") == data["exports"]["total_eur"] - data["imports"]["total_eur"]
    oise_exports = totals.filter((pl.col("Niveau") == "Département") & (pl.col("Flux") == "Exportations"))
    assert oise_exports["Valeur (M€)"][0] == 9114.8
    assert oise_exports["Part de la région"][0] == pytest.approx(data["exports"]["share_of_region"])  # a fraction
    # Every Sankey ribbon of the department, "Autres" included, to the euro.
    flows = sheets["Flux"].filter((pl.col("Niveau") == "Département") & (pl.col("Flux") == "Exportations"))
    assert flows["Valeur (€)"].sum() == data["exports"]["total_eur"]
    assert flows.height == len(data["exports"]["flows"])
    products = sheets["Produits"].filter((pl.col("Niveau") == "Département") & (pl.col("Flux") == "Exportations"))
    assert products["Code produit"].head(10).to_list() == [p["code"] for p in data["exports"]["top_products"]]
    evolution = sheets["Évolution"].filter((pl.col("Niveau") == "Département") & (pl.col("Flux") == "Importations"))
    assert evolution["Valeur (€)"].to_list() == [row["imports_eur"] for row in data["evolution"]["department"]]
    balance = sheets["Balance"].filter(pl.col("Flux") == "Solde")
    assert balance["Code pays"].to_list() == [country["code"] for country in data["balance_countries"]]


def test_csv_annex_is_one_file_for_a_french_spreadsheet(tmp_path):
    result = run_in_process("render", "--dept", "976", "--annexe", "csv", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    path = tmp_path / "commerce-exterieur-2024-976-mayotte.csv"
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert {row["Tableau"] for row in rows} == {
        "À propos",
        "Totaux",
        "Produits",
        "Pays",
        "Flux",
        "Balance",
        "Évolution",
        "Variations",
    }
    data = indicators_json("976")
    exports = next(
        row for row in rows if row["Tableau"] == "Totaux" and row["Niveau"] == "Département" and row["Flux"] == "Exportations"
    )
    assert float(exports["Valeur (€)"].replace(",", ".")) == data["exports"]["total_eur"]
    assert "," in exports["Valeur (M€)"] or exports["Valeur (M€)"].isdigit()  # French decimal mark
    # Without --evolution the annex still carries the years (the figures, not the page).
    assert len(page_texts(tmp_path / "commerce-exterieur-2024-976-mayotte.pdf")) == 8


def test_a_single_year_leaves_the_page_out_and_says_so_once(tmp_path):
    single = tmp_path / "one-year.parquet"
    pl.read_parquet(SAMPLE_DATA).filter(pl.col("year") == 2024).write_parquet(single)
    out = tmp_path / "out"
    result = run_cli("render", "--dept", "60", "--dept", "02", "--evolution", "--data", single, "--out", out)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("une seule année (2024) dans les données : la page « Évolution » est omise") == 1
    for line in result.stdout.splitlines():
        assert len(PdfReader(line).pages) == 8


def test_bad_annex_format_is_one_clear_line(tmp_path):
    from cli_helpers import one_error_line

    result = run_in_process("render", "--dept", "60", "--annexe", "ods", "--out", tmp_path)
    assert "--annexe" in one_error_line(result) and "xlsx ou csv" in result.stderr
    assert not list(tmp_path.iterdir())


def test_paths_reach_stdout_while_the_run_goes_on(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "factsheets", "render", "--all", "--workers", "1", "--out", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=PROJECT_ROOT,
    )
    try:
        first = process.stdout.readline().strip()
        still_running = process.poll() is None
        sheets_on_disk = len(list(tmp_path.glob("*.pdf")))
    finally:
        process.kill()
        process.wait()
    assert first.endswith(".pdf") and Path(first).is_file()
    assert still_running and sheets_on_disk < 101


# -- every department, twice -------------------------------------------------------------
@pytest.fixture(scope="module")
def all_twice(tmp_path_factory) -> tuple[Path, Path, str]:
    """`render --all --evolution --annexe xlsx` twice: the run's shared one (conftest.py) and
    one more here."""
    shared, first = render_all_evolution_once(tmp_path_factory)
    assert shared.returncode == 0, shared.stderr
    second = tmp_path_factory.mktemp("second")
    result = run_cli("render", "--all", "--evolution", "--annexe", "xlsx", "--workers", "2", "--out", second, timeout=900)
    assert result.returncode == 0, result.stderr
    return first, second, shared.stdout


def test_all_departments_sheets_and_annexes_byte_identical(all_twice):
    first, second, stdout = all_twice
    pdfs, annexes = sorted(first.glob("*.pdf")), sorted(first.glob("commerce-*.xlsx"))
    assert len(pdfs) == 101 and len(annexes) == 101
    assert sorted(Path(line) for line in stdout.splitlines()) == pdfs
    for path in [*pdfs, *annexes, first / "synthese-2024.csv", first / "synthese-2024.xlsx"]:
        assert path.read_bytes() == (second / path.name).read_bytes(), path.name
    assert not list(first.glob(".*"))  # no temporary file left behind


def test_all_departments_have_the_evolution_page(all_twice):
    first, _, _ = all_twice
    for code in ("976", "48", "2A"):
        path = next(first.glob(f"commerce-exterieur-2024-{code.lower()}-*.pdf"))
        pages = page_texts(path)
        assert "Évolution des échanges" in pages[-2], code
        assert all(year in pages[-2] for year in YEARS)


def test_summary_has_every_department_and_the_json_totals(all_twice):
    first, _, _ = all_twice
    summary = pl.read_excel(first / "synthese-2024.xlsx")
    assert summary.height == 101
    reference = load_reference()
    assert summary["Code"].to_list() == reference.departments["code"].to_list()
    # Independent totals: a Polars group-by on the sample here.
    sample = pl.read_parquet(SAMPLE_DATA).filter(pl.col("year") == 2024)
    sums = sample.group_by("department", "flow").agg(pl.col("value_eur").sum())
    expected = {(row["department"], row["flow"]): row["value_eur"] for row in sums.iter_rows(named=True)}
    for row in summary.iter_rows(named=True):
        assert row["Exportations (€)"] == expected[(row["Code"], "export")], row["Code"]
        assert row["Importations (€)"] == expected[(row["Code"], "import")], row["Code"]
        assert row["Statut"] == "produite"
        assert row["SHA-256"] == hashlib.sha256((first / row["Fichier"]).read_bytes()).hexdigest()
    # And the command's own JSON for a few of them.
    for code in ("60", "02", "976"):
        data = indicators_json(code)
        row = summary.filter(pl.col("Code") == code).row(0, named=True)
        assert row["Exportations (€)"] == data["exports"]["total_eur"]
        assert row["Importations (€)"] == data["imports"]["total_eur"]
        assert row["Solde (€)"] == data["exports"]["total_eur"] - data["imports"]["total_eur"]
        assert row["Part nationale des exportations (%)"] == pytest.approx(data["exports"]["share_of_nation"] * 100)
    rows = list(csv.DictReader(io.StringIO((first / "synthese-2024.csv").read_text(encoding="utf-8-sig")), delimiter=";"))
    assert [row["Code"] for row in rows] == summary["Code"].to_list()
    assert [float(row["Exportations (€)"].replace(",", ".")) for row in rows] == summary["Exportations (€)"].to_list()


def test_every_annex_has_the_three_levels_flows_adding_up_to_the_sample(all_twice):
    """All 101 annexes: each level's totals, and its Sankey ribbons summed, equal a group-by of the sample."""
    first, _, _ = all_twice
    departments = load_reference().departments
    sample = pl.read_parquet(SAMPLE_DATA).filter(pl.col("year") == 2024)
    by_department = {
        (row[0], row[1]): row[2] for row in sample.group_by("department", "flow").agg(pl.col("value_eur").sum()).iter_rows()
    }
    by_region = {
        (row[0], row[1]): row[2]
        for row in sample.join(departments.select(pl.col("code").alias("department"), "region"), on="department")
        .group_by("region", "flow")
        .agg(pl.col("value_eur").sum())
        .iter_rows()
    }
    by_nation = {row[0]: row[1] for row in sample.group_by("flow").agg(pl.col("value_eur").sum()).iter_rows()}
    single = {region for region, count in departments.group_by("region").len().iter_rows() if count == 1}
    flows = {"Exportations": "export", "Importations": "import"}
    for code, region in departments.select("code", "region").iter_rows():
        path = next(first.glob(f"commerce-exterieur-2024-{code.lower()}-*.xlsx"))
        sheets = pl.read_excel(path, sheet_name=["Totaux", "Flux"])
        expected = {
            "Département": lambda flow: by_department[(code, flow)],
            "Région": lambda flow: by_region[(region, flow)],
            "France": lambda flow: by_nation[flow],
        }
        if region in single:  # 971-976: no region of its own in the annex, as on the sheet
            del expected["Région"]
        assert set(sheets["Flux"]["Niveau"]) == set(expected), code
        for level, total in expected.items():
            for label, flow in flows.items():
                row = sheets["Totaux"].filter((pl.col("Niveau") == level) & (pl.col("Flux") == label))
                assert row["Valeur (€)"].to_list() == [pytest.approx(total(flow), rel=1e-12)], (code, level, label)
                ribbons = sheets["Flux"].filter((pl.col("Niveau") == level) & (pl.col("Flux") == label))
                assert ribbons["Valeur (€)"].sum() == pytest.approx(total(flow), rel=1e-12), (code, level, label)


def test_annex_carries_no_date_of_the_run(oise):
    import zipfile

    with zipfile.ZipFile(oise / f"{OISE}.xlsx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode("utf-8")
    # The edition's publication date (texts.yaml editions.2024), not the run's.
    assert '<dcterms:created xsi:type="dcterms:W3CDTF">2025-07-01T12:00:00Z' in core
    assert "<dc:title>Oise (2024)</dc:title>" in core


def test_years_with_a_gap_draw_the_chart_without_the_comparison(tmp_path):
    """2019, 2020 and 2024 only: the page has the years but no N / N-1 tables; --year 2019 has no page."""
    gapped = tmp_path / "gapped.parquet"
    pl.read_parquet(SAMPLE_DATA).filter(pl.col("year").is_in([2019, 2020, 2024])).write_parquet(gapped)
    result = run_in_process("render", "--dept", "48", "--evolution", "--data", gapped, "--out", tmp_path / "a")
    assert result.returncode == 0, result.stderr
    pages = page_texts(Path(result.stdout.strip()))
    assert len(pages) == 9
    assert "de 2019 à 2024, en valeur." in pages[7] and "Cinq premiers" not in pages[7]
    assert all(year in pages[7] for year in ("2019", "2020", "2024")) and "2022" not in pages[7]
    earliest = run_in_process(
        "render", "--dept", "48", "--evolution", "--year", "2019", "--data", gapped, "--out", tmp_path / "b"
    )
    assert earliest.returncode == 0, earliest.stderr
    assert "aucune année avant 2019 dans les données : la page « Évolution » est omise" in earliest.stderr
    assert len(PdfReader(earliest.stdout.strip()).pages) == 8


def test_annex_of_an_overseas_department_has_no_region_of_its_own(tmp_path):
    result = run_in_process("render", "--dept", "976", "--annexe", "xlsx", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    sheets = pl.read_excel(tmp_path / "commerce-exterieur-2024-976-mayotte.xlsx", sheet_id=0)
    assert list(sheets)[0] == "À propos"
    for name, table in list(sheets.items())[1:]:
        assert "Région" not in table["Niveau"].to_list(), name
    assert "Part de la région" not in sheets["Totaux"].columns  # no share of itself
    assert "Part de la France" in sheets["Totaux"].columns
