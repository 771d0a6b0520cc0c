"""Real data in, through the real CLI: spreadsheets and archives built from the sample,
quarters and months summed to years, `--inspect`, the summary, and input that used to fool
the totals or escape the one-line rule (issue 12)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
import xlwt
from cli_helpers import PROJECT_ROOT, one_error_line, run_cli, run_in_process

from factsheets.paths import SAMPLE_DATA

DEPARTMENTS = ["02", "60", "2A", "976"]
HEADER = "year,flow,department,product,country,value_eur\n"


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    """Every problem of a failed command: one French line each, no traceback."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and all(line.startswith("factsheets : erreur : ") for line in lines), result.stderr
    return lines


@pytest.fixture(scope="module")
def sample_2024() -> pl.DataFrame:
    frame = pl.read_parquet(SAMPLE_DATA).filter(pl.col("year") == 2024, pl.col("department").is_in(DEPARTMENTS))
    assert (frame["value_eur"] % 1 == 0).all()  # whole euros: quarters in k€ with 3 decimals are exact
    return frame


def split_in_parts(frame: pl.DataFrame, parts: int) -> pl.DataFrame:
    """Each row as `parts` rows (column `part`) in whole euros summing exactly to the row's value."""
    share = pl.col("value_eur") // parts
    return frame.join(pl.DataFrame({"part": list(range(1, parts + 1))}), how="cross").with_columns(
        value_eur=pl.when(pl.col("part") == parts).then(pl.col("value_eur") - share * (parts - 1)).otherwise(share)
    )


def totals(frame: pl.DataFrame) -> dict[tuple[str, str], float]:
    rows = frame.group_by("department", "flow").agg(pl.col("value_eur").sum()).rows()
    return {(department, flow): total for department, flow, total in rows}


def xlsx_bytes(frame: pl.DataFrame, sheet: str, title: str) -> bytes:
    """A workbook with a title line, an empty line, then the table (header on line 3)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.add_worksheet(sheet).write(0, 0, title)
    frame.write_excel(workbook, worksheet=sheet, position="A3", autofit=False)
    workbook.close()
    return buffer.getvalue()


def quarterly_table(frame: pl.DataFrame, year: int) -> pl.DataFrame:
    """The kiosque-like layout: a quarter column, values in thousands of euros, no flow column."""
    return split_in_parts(frame, 4).select(
        pl.format("{}-T{}", pl.lit(year), pl.col("part")).alias("Trimestre"),
        # Aisne written as "2", as a spreadsheet drops the leading zero.
        pl.col("department").str.strip_chars_start("0").alias("Département"),
        pl.col("product").alias("Code produit"),
        pl.col("country").alias("Code pays"),
        (pl.col("value_eur") / 1000).alias("Valeur (k€)"),
    )


QUARTER_PROFILE = """\
# Profil de test : les clés de la section 8 de la spécification.
format: excel
sheet: Données
skip_rows: 2
members: "*.xlsx"
unit: thousands_eur
flow_from_filename:
  export: '(?i)export'
  import: '(?i)import'
columns:
  period: Trimestre
  department: Département
  product: Code produit
  country: Code pays
  value: Valeur (k€)
period:
  kind: quarter
  pattern: '(?P<year>\\d{4})\\D*(?P<part>\\d{1,2})'
department_pad: 2
"""


@pytest.fixture(scope="module")
def kiosque_like(tmp_path_factory, sample_2024) -> dict[str, Path]:
    """An archive of one XLSX per flow (2024 whole, 2025 T1-T2 only), and its profile."""
    folder = tmp_path_factory.mktemp("kiosque")
    archive = folder / "departements.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for flow in ("export", "import"):
            rows = sample_2024.filter(pl.col("flow") == flow)
            later = quarterly_table(rows, 2025).filter(pl.col("Trimestre").is_in(["2025-T1", "2025-T2"]))
            table = pl.concat([quarterly_table(rows, 2024), later])
            zipped.writestr(f"donnees/{flow}_trimestres.xlsx", xlsx_bytes(table, "Données", f"Commerce extérieur, {flow}"))
        zipped.writestr("LisezMoi.txt", "Fichiers de test.\n")
    profile = folder / "trimestres.yaml"
    profile.write_text(QUARTER_PROFILE, encoding="utf-8")
    out = folder / "canonique.parquet"
    result = run_in_process("ingest", archive, "--profile", profile, "--out", out)
    return {"archive": archive, "profile": profile, "out": out, "result": result, "folder": folder}


def test_zip_of_quarterly_xlsx_gives_the_sample_totals_to_the_euro(kiosque_like, sample_2024):
    result = kiosque_like["result"]
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(kiosque_like["out"])
    written = pl.read_parquet(kiosque_like["out"])
    assert written["year"].unique().to_list() == [2024]
    assert totals(written) == totals(sample_2024)
    assert len(totals(written)) == 2 * len(DEPARTMENTS)
    # Row by row too: each quarter summed back to the sample's value.
    key = ["flow", "department", "product", "country"]
    assert written.drop("year").sort(key).equals(sample_2024.drop("year").sort(key))


def test_incomplete_year_is_left_out_with_one_warning(kiosque_like):
    warnings = [line for line in kiosque_like["result"].stderr.splitlines() if "attention" in line]
    assert warnings == [
        "factsheets : attention : année 2025 écartée, incomplète : trimestres présents 2025T1, 2025T2 ; il manque 2025T3, 2025T4"
    ]


def test_summary_says_rows_years_departments_totals(kiosque_like, sample_2024):
    stderr = kiosque_like["result"].stderr
    archive = kiosque_like["archive"]
    exports = sample_2024.filter(pl.col("flow") == "export").height
    assert (
        f"factsheets : lu : {archive} › donnees/export_trimestres.xlsx (feuille « Données ») : {exports * 4 + exports * 2} ligne(s)"
        in stderr
    )
    assert "factsheets : années retenues : 2024 ; écartées : 2025" in stderr
    assert "factsheets : départements présents : 4 sur 101 ; absents : 01, 03," in stderr
    from factsheets.numbers import format_millions

    export_total = sample_2024.filter(pl.col("flow") == "export")["value_eur"].sum()
    assert f"factsheets : 2024 export : {format_millions(export_total)} M€, dont non ventilé par département : 0%" in stderr


def test_no_complete_year_is_an_error(kiosque_like, tmp_path):
    only_2025 = tmp_path / "export_2025.xlsx"
    table = pl.DataFrame(
        {
            "Trimestre": ["2025-T1", "2025-T2"],
            "Département": ["02", "02"],
            "Code produit": ["C10A", "C10A"],
            "Code pays": ["DE", "DE"],
            "Valeur (k€)": [1.0, 2.0],
        }
    )
    only_2025.write_bytes(xlsx_bytes(table, "Données", "titre"))
    line = one_error_line(run_in_process("ingest", only_2025, "--profile", kiosque_like["profile"], "--out", tmp_path / "x.csv"))
    assert "aucune année complète" in line and "2025T1, 2025T2" in line
    assert sorted(os.listdir(tmp_path)) == ["export_2025.xlsx"]


@pytest.fixture(scope="module")
def monthly_xls(tmp_path_factory, sample_2024) -> tuple[Path, Path]:
    """A legacy .xls (xlwt) for Corse-du-Sud: a month column and a flow column coded E / I."""
    folder = tmp_path_factory.mktemp("xls")
    rows = split_in_parts(sample_2024.filter(pl.col("department") == "2A"), 12)
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("Feuil1")
    for column, name in enumerate(["Mois", "Flux", "Dept", "Produit", "Pays", "Valeur"]):
        sheet.write(0, column, name)
    for line, (flow, product, country, part, value) in enumerate(
        rows.select("flow", "product", "country", "part", "value_eur").iter_rows(), start=1
    ):
        cells = [f"2024-{part:02d}", "E" if flow == "export" else "I", "2A", product, country, value / 1000]
        for column, cell in enumerate(cells):
            sheet.write(line, column, cell)
    source = folder / "corse_du_sud_2024.xls"
    workbook.save(str(source))
    profile = folder / "mensuel.yaml"
    profile.write_text(
        "format: auto\nseparator: ';'\ndecimal: ','\nencoding: latin-1\nunit: thousands_eur\n"
        "columns: {period: Mois, flow: Flux, department: Dept, product: Produit, country: Pays, value: Valeur}\n"
        "period: {kind: month, pattern: '(?P<year>\\d{4})-(?P<part>\\d{2})'}\n"
        "flow_codes: {E: export, I: import}\n",
        encoding="utf-8",
    )
    return source, profile


def test_legacy_xls_with_months_gives_the_sample_totals(monthly_xls, sample_2024, tmp_path):
    source, profile = monthly_xls
    assert source.read_bytes().startswith(b"\xd0\xcf\x11\xe0")  # a real OLE2 .xls, not an .xlsx renamed
    out = tmp_path / "corse.csv"
    result = run_in_process("ingest", source, "--profile", profile, "--out", out)
    assert result.returncode == 0, result.stderr
    written = pl.read_csv(out, schema_overrides={"department": pl.String})
    assert totals(written) == totals(sample_2024.filter(pl.col("department") == "2A"))


def test_missing_month_leaves_the_year_out(monthly_xls, tmp_path):
    source, profile = monthly_xls
    frame = pl.read_excel(source, engine="calamine", infer_schema_length=0).filter(pl.col("Mois") != "2024-07")
    partial = tmp_path / "partiel.xlsx"
    frame.write_excel(partial)
    line = one_error_line(run_in_process("ingest", partial, "--profile", profile, "--out", tmp_path / "x.csv"))
    assert "année 2024 écartée, incomplète" in line and "il manque 2024M7" in line


def test_inspect_names_the_closest_columns_and_writes_nothing(kiosque_like, tmp_path):
    odd = tmp_path / "export_odd.xlsx"
    table = pl.DataFrame(
        {
            "Trimestre": ["2024-T1"] * 4,
            "Dept.": ["2", "60", "2A", "976"],
            "Code produits": ["C10A"] * 4,
            "Pays partenaire": ["DE"] * 4,
            "Valeur k€": [1.5, 2.0, 3.0, 4.0],
        }
    )
    odd.write_bytes(xlsx_bytes(table, "Données", "titre"))
    before = sorted(os.listdir(tmp_path))
    result = run_in_process("ingest", "--inspect", odd, "--profile", kiosque_like["profile"])
    # Fields the profile cannot find: shown, and the exit code says so (SPEC 14).
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"factsheets : erreur : {odd} (feuille « Données ») : colonne(s) du profil introuvable(s) : « Département » (department), "
        f"« Code produit » (product), « Code pays » (country), « Valeur (k€) » (value) ; corrigez « columns » dans {kiosque_like['profile']} "
        "(les colonnes les plus proches sont montrées ci-dessus)"
    ]
    lines = result.stdout.splitlines()
    assert lines[0] == f"== {odd} (feuille « Données ») : 4 ligne(s) de données =="
    assert (
        lines[1]
        == f"en-tête ({odd} (feuille « Données », ligne 3)) : Trimestre | Dept. | Code produits | Pays partenaire | Valeur k€"
    )
    assert lines[2] == f"  {odd} (feuille « Données », ligne 4) : 2024-T1 | 2 | C10A | DE | 1.5"
    assert len([line for line in lines if "(feuille « Données », ligne" in line]) == 4  # header + 3 sample rows
    assert "  period     ← « Trimestre »" in lines
    assert "  flow       ← export (d'après le nom « export_odd.xlsx »)" in lines
    assert "  product    ← « Code produit » introuvable ; colonnes les plus proches : « Code produits »" in lines
    assert "  value      ← « Valeur (k€) » introuvable ; colonnes les plus proches : « Valeur k€ »" in lines
    assert any(line.startswith("  department ← « Département » introuvable") for line in lines)
    assert sorted(os.listdir(tmp_path)) == before


def test_inspect_shows_every_member_of_an_archive(kiosque_like):
    result = run_in_process("ingest", "--inspect", kiosque_like["archive"], "--profile", kiosque_like["profile"])
    assert result.returncode == 0, result.stderr
    heads = [line for line in result.stdout.splitlines() if line.startswith("== ")]
    assert [head.split(" › ")[1].split(" (")[0] for head in heads] == [
        "donnees/export_trimestres.xlsx",
        "donnees/import_trimestres.xlsx",
    ]
    assert "introuvable" not in result.stdout


def test_kiosque_profile_loads_and_states_its_assumptions():
    from factsheets.ingest import load_profile

    profile = load_profile("kiosque")
    assert (profile.format, profile.unit, profile.period_kind) == ("excel", "thousands_eur", "quarter")
    assert set(profile.flow_from_filename) == {"export", "import"}
    text = profile.path.read_text(encoding="utf-8")
    assert text.count("HYPOTHÈSE") >= 4 and "--inspect" in text


# --------------------------------------------------------------------------- duplicates


@pytest.fixture(scope="module")
def sample_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sample") / "echantillon.csv"
    pl.read_parquet(SAMPLE_DATA).filter(pl.col("year") == 2024).write_csv(path)
    return path


def test_aisne_rows_appended_again_are_refused_naming_both_lines(sample_csv, tmp_path):
    lines = sample_csv.read_text(encoding="utf-8").splitlines()
    aisne = [line for line in lines[1:] if line.split(",")[2] == "02"]
    doubled = tmp_path / "double.csv"
    doubled.write_text("\n".join(lines + aisne) + "\n", encoding="utf-8")
    first_copy = len(lines) + 1
    original = lines.index(aisne[0]) + 1
    result = run_in_process("indicators", "--dept", "02", "--json", "--data", doubled)
    problems = error_lines(result)
    assert len(problems) == 3  # the first few, the last one with the count of the others
    assert problems[0].startswith(f"factsheets : erreur : {doubled}:{first_copy} : ligne en double de {doubled}:{original} ")
    assert problems[-1].endswith(
        "; gardez une seule ligne par clé ; un même fichier ou un même extrait a-t-il été donné deux fois ?"
    )
    assert f"(et {len(aisne) - 3} autre(s) ligne(s) dans ce cas)" in problems[-1]
    assert result.stdout == ""


def test_duplicates_across_ingested_files_name_both_files(tmp_path):
    first = tmp_path / "a.csv"
    first.write_text(HEADER + "2024,export,02,C10A,DE,5\n2024,export,02,C10A,BE,5\n", encoding="utf-8")
    second = tmp_path / "b.csv"
    second.write_text(HEADER + "2024,import,02,C10A,DE,5\n2024,export,02,C10A,BE,7\n", encoding="utf-8")
    line = one_error_line(run_in_process("ingest", first, second, "--profile", "canonical", "--out", tmp_path / "out.csv"))
    assert f"{second}:3 : ligne en double de {first}:3" in line
    assert sorted(os.listdir(tmp_path)) == ["a.csv", "b.csv"]


# --------------------------------------------------------------------------- defects, one line each


def test_list_typed_parquet_value(tmp_path):
    path = tmp_path / "listes.parquet"
    pl.DataFrame(
        {
            "year": [2024],
            "flow": ["export"],
            "department": ["02"],
            "product": ["C10A"],
            "country": ["DE"],
            "value_eur": [[1.0, 2.0]],
        }
    ).write_parquet(path)
    for args in (
        ["indicators", "--dept", "02", "--json", "--data", path],
        ["ingest", path, "--profile", "canonical", "--out", tmp_path / "out.csv"],
    ):
        line = one_error_line(run_in_process(*args))
        assert (
            f"{path} (ligne 1) : colonne value_eur : une liste ou une structure (type List(Float64))" in line
            and "valeur simple" in line
        )
    assert os.listdir(tmp_path) == ["listes.parquet"]


def test_latin1_byte_in_canonical_csv(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes((HEADER + "2024,export,02,C10A,DE,5\n2024,export,02,C10A,BE,5 # Société\n").encode("latin-1"))
    line = one_error_line(run_in_process("indicators", "--dept", "02", "--json", "--data", path))
    assert line.startswith(f"factsheets : erreur : {path}:3 : texte utf-8 invalide (octet 0xe9) ; ")


def test_row_with_an_extra_field(tmp_path):
    path = tmp_path / "champs.csv"
    path.write_text(HEADER + "2024,export,02,C10A,DE,5\n2024,export,02,C10A,BE,5,9\n", encoding="utf-8")
    line = one_error_line(run_in_process("indicators", "--dept", "02", "--json", "--data", path))
    assert line.startswith(f"factsheets : erreur : {path}:3 : plus de champs que l'en-tête (qui en a 6, séparés par « , »)")


def test_unreadable_data_file(tmp_path):
    # Root reads any file: the CLI runs in a user namespace, where root's files are others'.
    if shutil.which("unshare") is None or subprocess.run(["unshare", "--user", "true"]).returncode != 0:
        pytest.skip("unshare --user indisponible : impossible de rendre un fichier illisible pour root")
    path = tmp_path / "verrou.csv"
    path.write_text(HEADER + "2024,export,02,C10A,DE,5\n", encoding="utf-8")
    path.chmod(0)
    result = subprocess.run(
        ["unshare", "--user", sys.executable, "-m", "factsheets", "indicators", "--dept", "02", "--json", "--data", str(path)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
    )
    line = one_error_line(result)
    assert line == (
        f"factsheets : erreur : {path} : fichier de données illisible (permission refusée) ; "
        "donnez le droit de lecture sur ce fichier ou indiquez un fichier CSV ou Parquet lisible avec --data"
    )
    assert result.returncode == 2


def test_full_disk_is_one_line(full_disk):
    result = run_cli("render", "--dept", "02", "--dept", "60", "--dept", "59", "--out", full_disk, "--workers", "1")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("factsheets")]
    assert len(errors) == 1 and errors[0].startswith(
        f"factsheets : erreur : 3 fiche(s) sur 3 en échec : disque plein ({full_disk}, "
    )
    assert errors[0].endswith(f"en écrivant dans {full_disk} ; libérez de la place ou choisissez un autre dossier (--out)")
    assert os.listdir(full_disk) == []
    out = full_disk / "tout.csv"
    line = one_error_line(run_in_process("ingest", SAMPLE_DATA, "--profile", "canonical", "--out", out))
    assert line.startswith(f"factsheets : erreur : {out} : fichier canonique non écrit, disque plein ({full_disk}, ")
    assert os.listdir(full_disk) == []


def test_zip_renamed_csv_shows_no_binary(tmp_path):
    path = tmp_path / "donnees.csv"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.csv", HEADER + "2024,export,02,C10A,DE,5\n")
    for args in (
        ["indicators", "--dept", "02", "--json", "--data", path],
        ["ingest", path, "--profile", "dgddi", "--out", tmp_path / "out.csv"],
    ):
        line = one_error_line(run_in_process(*args))
        assert f"{path} : ce fichier" in line and "une archive ZIP" in line
        assert line.isprintable() and "PK" not in line
    assert os.listdir(tmp_path) == ["donnees.csv"]


@pytest.mark.parametrize("command", [["render", "--dept", "02"], ["ingest", str(SAMPLE_DATA), "--profile", "canonical"]])
def test_empty_out_is_refused(command, tmp_path):
    result = run_in_process(*command, "--out", "", cwd=tmp_path)
    line = one_error_line(result)
    assert "valeur invalide pour l'option --out : chemin vide" in line and result.returncode == 2
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("2024,export,02,C10A,BE,1e30", "colonne value_eur : « 1e30 » dépasse 10^13 €"),
        ("2024,export,02,C10A,BE,1e300", "colonne value_eur : « 1e300 » dépasse 10^13 €"),
        ("2024,export,02,C10A,BE,10000000000001", "colonne value_eur : « 10000000000001 » dépasse 10^13 €"),
        ("24,export,02,C10A,BE,5", "colonne year : « 24 » n'est pas une année de quatre chiffres"),
        ("-2024,export,02,C10A,BE,5", "colonne year : « -2024 » n'est pas une année de quatre chiffres"),
        ("20245,export,02,C10A,BE,5", "colonne year : « 20245 » n'est pas une année de quatre chiffres"),
    ],
)
def test_implausible_values_and_years_are_refused_at_validation(row, expected, tmp_path):
    path = tmp_path / "donnees.csv"
    path.write_text(HEADER + "2024,export,02,C10A,DE,5\n" + row + "\n", encoding="utf-8")
    result = run_in_process("indicators", "--dept", "02", "--json", "--data", path)
    assert f"{path}:3 : {expected}" in one_error_line(result) and result.returncode == 2 and result.stdout == ""


def test_ingest_errors_name_the_source_line_never_the_output(tmp_path):
    source = tmp_path / "src.csv"
    source.write_text(HEADER + "2024,export,99,C10A,DE,5\n", encoding="utf-8")
    out = tmp_path / "out.parquet"
    line = one_error_line(run_in_process("ingest", source, "--profile", "canonical", "--out", out))
    assert line.startswith(
        f"factsheets : erreur : {source}:2 : colonne department : « 99 » n'est pas un code de département connu"
    )
    assert "out.parquet" not in line and not out.exists()


def test_all_problems_of_all_files_are_listed_together(tmp_path):
    first = tmp_path / "a.csv"
    first.write_text(HEADER + "2024,export,02,C10A,DE,abc\n2024,export,99,C10A,DE,5\n", encoding="utf-8")
    second = tmp_path / "b.csv"
    second.write_text(HEADER + "2024,export,02,C10A,DE,-1\n", encoding="utf-8")
    missing = tmp_path / "absent.csv"
    lines = error_lines(run_in_process("ingest", first, second, missing, "--profile", "canonical", "--out", tmp_path / "o.csv"))
    assert len(lines) == 4, lines
    text = "\n".join(lines)
    for fragment in (
        f"{first}:2 : colonne value_eur : « abc » n'est pas un nombre",
        f"{second}:2 : colonne value_eur : « -1 » est négatif",
        f"{missing} : fichier source introuvable",
        f"{first}:3 : colonne department : « 99 »",
    ):
        assert fragment in text
    assert sorted(os.listdir(tmp_path)) == ["a.csv", "b.csv"]


# --------------------------------------------------------------------------- render --all


def test_render_all_renders_only_the_departments_in_the_data(tmp_path):
    data = tmp_path / "trois.csv"
    data.write_text(
        HEADER + "2024,export,02,C10A,DE,1000\n2024,import,60,C21Z,CN,500\n2024,export,2A,C10A,IT,5\n", encoding="utf-8"
    )
    out = tmp_path / "fiches"
    result = run_in_process("render", "--all", "--data", data, "--out", out, "--workers", "1")
    assert result.returncode == 0, result.stderr
    assert sorted(path.name.split("-")[3] for path in out.glob("*.pdf")) == ["02", "2a", "60"]
    assert sorted(path.name for path in out.glob("synthese-*")) == ["synthese-2024.csv", "synthese-2024.xlsx"]
    assert len(result.stdout.splitlines()) == 3
    warnings = [line for line in result.stderr.splitlines() if "sans donnée" in line]
    assert len(warnings) == 1 and warnings[0].startswith(
        "factsheets : attention : 98 département(s) sans donnée en 2024, aucune fiche : 01, 03,"
    )
    assert "976" in warnings[0] and ", 02," not in warnings[0]

    line = one_error_line(run_in_process("render", "--dept", "48", "--data", data, "--out", tmp_path / "autre"))
    assert (
        line
        == f"factsheets : erreur : 48 : aucune donnée pour ce département en 2024 dans {data} ; vérifiez le code, --year ou --data"
    )
    assert not (tmp_path / "autre").exists() or not list((tmp_path / "autre").iterdir())


@pytest.mark.parametrize("value", ["1e300", "1234567890123456789012345678901234567890", "10 000 000 001"])
def test_ingest_refuses_implausible_thousands(value, tmp_path):
    source = tmp_path / "dgddi.csv"
    source.write_bytes(
        (
            f"Annee;Flux;Code département;Code A129;Code Pays;Valeur\r\n2024;E;02;C10A;DE;1,5\r\n2024;E;02;C10A;BE;{value}\r\n"
        ).encode("latin-1")
    )
    line = one_error_line(run_in_process("ingest", source, "--profile", "dgddi", "--out", tmp_path / "out.parquet"))
    assert line.startswith(
        f"factsheets : erreur : {source}:3 : colonne Valeur : « {value} » dépasse 10^13 € (10 000 milliards d'euros)"
    )
    assert os.listdir(tmp_path) == ["dgddi.csv"]
