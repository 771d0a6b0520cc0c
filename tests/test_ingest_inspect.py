"""`ingest --inspect` as a new user needs it, and quarter labels as the customs write them
(spec section 13, issue 22 item 3): closest names ignoring accents, case and units, the
archive members and sheets a profile leaves out, the profile lines to change (pasted back,
they make `ingest` work), and "T1 2024" / "1er trimestre 2024" read without a new regex.

The files are built the way the customs and Excel make them: legacy .xls members (xlwt) in a
ZIP with a "LisezMoi", workbooks with title lines above the table, CSV in cp1252 with ";" and
a decimal comma; the values come from the bundled sample, and every total is compared with
the sample's own sums.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
import xlwt
import yaml
from cli_helpers import run_in_process

from factsheets.paths import PROFILES_DIR, SAMPLE_DATA

DEPARTMENTS = ["48", "2A"]  # Lozère and Corse-du-Sud: the smallest departments of the sample
KEY = ["flow", "department", "product", "country"]


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    frame = pl.read_parquet(SAMPLE_DATA).filter(pl.col("year") == 2024, pl.col("department").is_in(DEPARTMENTS))
    assert (frame["value_eur"] % 1 == 0).all()  # whole euros: quarters in k€ with 3 decimals are exact
    return frame


def quarters(frame: pl.DataFrame) -> pl.DataFrame:
    """Each row as four quarters (column `quarter`) in whole euros summing exactly to the row's value."""
    share = pl.col("value_eur") // 4
    return frame.join(pl.DataFrame({"quarter": [1, 2, 3, 4]}), how="cross").with_columns(
        value_eur=pl.when(pl.col("quarter") == 4).then(pl.col("value_eur") - share * 3).otherwise(share)
    )


def totals(frame: pl.DataFrame) -> dict[tuple[str, str], float]:
    return {(d, f): v for d, f, v in frame.group_by("department", "flow").agg(pl.col("value_eur").sum()).rows()}


ORDINALS = {1: "1er", 2: "2e", 3: "3ème", 4: "4e"}
LABELS = {
    "T1 2024": lambda q: f"T{q} 2024",
    "2024-T1": lambda q: f"2024-T{q}",
    "2024 T1": lambda q: f"2024 T{q}",
    "t1-2024": lambda q: f"t{q}-2024",
    "1er trimestre 2024": lambda q: f"{ORDINALS[q]} trimestre 2024",
    "1ER TRIMESTRE 2024": lambda q: f"{ORDINALS[q]} trimestre 2024".upper(),
}


def legacy_xls(rows: pl.DataFrame, header: list[str], label) -> bytes:
    """A kiosque-like .xls (OLE2, xlwt): the header on line 1, departments as numbers where
    they are digits (as a spreadsheet stores them), values in k€ with three decimals."""
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("Feuil1")
    for column, name in enumerate(header):
        sheet.write(0, column, name)
    for line, (quarter, department, product, country, value) in enumerate(
        rows.select("quarter", "department", "product", "country", "value_eur").iter_rows(), start=1
    ):
        cells = [label(quarter), int(department) if department.isdigit() else department, product, country, value / 1000]
        for column, cell in enumerate(cells):
            sheet.write(line, column, cell)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


KIOSQUE_HEADER = ["Trimestre", "Département", "Code A129", "Code pays", "Valeur"]


def kiosque_zip(path: Path, sample: pl.DataFrame, label, header=KIOSQUE_HEADER) -> Path:
    """One region's download: per department an export and an import .xls, a 16-quarter
    product series (one dimension, not to be read) and the "LisezMoi"."""
    with zipfile.ZipFile(path, "w") as archive:
        for department in DEPARTMENTS:
            for flow, name in (("export", "exp"), ("import", "imp")):
                rows = quarters(sample.filter(pl.col("department") == department, pl.col("flow") == flow))
                archive.writestr(f"{department}/{department}_{name}_pays_produits.xls", legacy_xls(rows, header, label))
            archive.writestr(f"{department}/{department}_series_produits.xls", b"\xd0\xcf\x11\xe0 not read")
        archive.writestr("LisezMoi.txt", "Données croisées pays x produits, en milliers d'euros.\n")
    return path


# --------------------------------------------------------------------------- quarter labels


@pytest.mark.parametrize("style", list(LABELS))
def test_quarter_labels_with_the_shipped_kiosque_profile(tmp_path, sample, style):
    archive = kiosque_zip(tmp_path / "region_76.zip", sample, LABELS[style])
    out = tmp_path / "donnees.parquet"
    result = run_in_process("ingest", archive, "--profile", "kiosque", "--out", out)
    assert result.returncode == 0, result.stderr
    written = pl.read_parquet(out)
    assert written["year"].unique().to_list() == [2024]
    assert totals(written) == totals(sample)
    # Row by row: the four quarters of each row summed back to the sample's value.
    assert written.drop("year").sort(KEY).equals(sample.drop("year").sort(KEY))


def test_inspect_of_a_download_as_the_profile_expects_it(tmp_path, sample):
    """Nothing to change; the product series and the "LisezMoi" listed as left out, with why."""
    archive = kiosque_zip(tmp_path / "region_76.zip", sample, LABELS["1er trimestre 2024"])
    result = run_in_process("ingest", "--inspect", archive, "--profile", "kiosque")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    kiosque = PROFILES_DIR / "kiosque.yaml"
    heads = [line.split(" › ")[1].split(" (")[0] for line in lines if line.startswith("== ")]
    assert heads == [f"{d}/{d}_{flow}_pays_produits.xls" for d in sorted(DEPARTMENTS) for flow in ("exp", "imp")]
    because = f"le nom ne correspond à aucun des motifs « *exp*.xls », « *imp*.xls » (members de {kiosque})"
    assert lines[-5:] == [
        "non lus par le profil kiosque (3) :",
        f"  {archive} › 48/48_series_produits.xls : non lu, {because}",
        f"  {archive} › 2A/2A_series_produits.xls : non lu, {because}",
        f"  {archive} › LisezMoi.txt : non lu, {because}",
        f"profil kiosque : rien à changer ({kiosque})",
    ]


def test_a_label_that_is_no_quarter_is_one_line_naming_it(tmp_path, sample):
    def label(quarter):
        return "5e trimestre 2024" if quarter == 2 else f"T{quarter} 2024"

    archive = tmp_path / "region.zip"
    rows = quarters(sample.filter(pl.col("department") == "48", pl.col("flow") == "export").head(1))
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("48_exp.xls", legacy_xls(rows, KIOSQUE_HEADER, label))
    result = run_in_process("ingest", archive, "--profile", "kiosque", "--out", tmp_path / "x.parquet")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"factsheets : erreur : {archive} › 48_exp.xls (feuille « Feuil1 », ligne 3) : colonne Trimestre : ")
    assert "« 5e trimestre 2024 » n'est pas une période reconnue" in line and "« T1 2024 »" in line
    assert not (tmp_path / "x.parquet").exists()


# --------------------------------------------------------------------------- closest names


def test_closest_names_ignore_accents_case_and_units():
    from factsheets.ingest.columns import closest_columns

    header = ["Trimestre", "Département", "Code produit", "Libellé pays", "CODE_PAYS", "Valeur (k€)", "VALEUR_EUROS"]
    assert closest_columns("valeur", header)[:2] == ["Valeur (k€)", "VALEUR_EUROS"]
    assert closest_columns("Valeur (milliers d'euros)", header)[:2] == ["Valeur (k€)", "VALEUR_EUROS"]
    assert closest_columns("departement", header) == ["Département"]
    assert closest_columns("Code pays", header)[0] == "CODE_PAYS"
    assert closest_columns("libelle_pays", header)[0] == "Libellé pays"
    assert closest_columns("flux", header) == []


def dgddi_csv(path: Path, frame: pl.DataFrame, header: list[str]) -> Path:
    """An annual customs CSV as Excel saves it: cp1252, ";", decimal comma, CRLF; values in euros."""
    lines = [";".join(header)]
    for year, flow, department, product, country, value in frame.select(
        "year", "flow", "department", "product", "country", "value_eur"
    ).iter_rows():
        lines.append(f"{year};{'E' if flow == 'export' else 'I'};{department};{product};{country};{value:.2f}".replace(".", ","))
    path.write_bytes("\r\n".join(lines).encode("cp1252"))
    return path


OTHER_HEADER = ["ANNÉE", "FLUX", "DÉPARTEMENT", "Code_Produit", "CODE PAYS", "VALEUR_EUROS"]


def test_column_error_proposes_the_closest_names(tmp_path, sample):
    source = dgddi_csv(tmp_path / "export_2024.csv", sample, OTHER_HEADER)
    result = run_in_process("ingest", source, "--profile", "dgddi", "--out", tmp_path / "x.parquet")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"factsheets : erreur : {source}:1 : colonne(s) manquante(s) ")
    for fragment in (
        "« Annee » (columns.year) (la plus proche : « ANNÉE »)",
        "« Code département » (columns.department) (la plus proche : « DÉPARTEMENT »)",
        "« Code Pays » (columns.country) (la plus proche : « CODE PAYS »)",
        "« Valeur » (columns.value) (la plus proche : « VALEUR_EUROS »)",
    ):
        assert fragment in line
    assert not (tmp_path / "x.parquet").exists()


# --------------------------------------------------------------------------- the profile lines to change


def proposed_block(stdout: str) -> dict:
    """The YAML block that ends `--inspect`, as a mapping."""
    lines = stdout.splitlines()
    start = next(index for index, line in enumerate(lines) if "lignes à changer dans" in line)
    return yaml.safe_load("\n".join(lines[start + 1 :]))


def pasted(profile: Path, block: dict, out: Path) -> Path:
    """The profile with the block pasted over its keys of the same names."""
    data = yaml.safe_load(profile.read_text(encoding="utf-8"))
    data.update(block)
    out.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return out


def test_inspect_proposes_names_and_unit_and_the_pasted_block_ingests(tmp_path, sample):
    source = dgddi_csv(tmp_path / "export_2024.csv", sample, OTHER_HEADER)
    result = run_in_process("ingest", "--inspect", source, "--profile", "dgddi")
    assert result.returncode == 2  # what ingest would refuse, inspecting says by its exit code
    lines = result.stdout.splitlines()
    assert "  value      ← « Valeur » introuvable ; colonnes les plus proches : « VALEUR_EUROS »" in lines
    dgddi = PROFILES_DIR / "dgddi.yaml"
    tail = lines[lines.index(f"profil dgddi : lignes à changer dans {dgddi} (à coller à la place des clés du même nom) :") :]
    assert tail[1:] == [
        "unit: eur  # d'après l'en-tête « VALEUR_EUROS » ; thousands_eur avant",
        "columns:",
        '  year: "ANNÉE"  # au lieu de « Annee »',
        '  flow: "FLUX"  # au lieu de « Flux »',
        '  department: "DÉPARTEMENT"  # au lieu de « Code département »',
        '  product: "Code_Produit"  # seule colonne restante, à vérifier ; « Code A129 » avant',
        '  country: "CODE PAYS"  # au lieu de « Code Pays »',
        '  value: "VALEUR_EUROS"  # au lieu de « Valeur »',
    ]
    profile = pasted(dgddi, proposed_block(result.stdout), tmp_path / "corrige.yaml")
    again = run_in_process("ingest", "--inspect", source, "--profile", profile)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == f"profil corrige : rien à changer ({profile})"
    out = tmp_path / "donnees.parquet"
    result = run_in_process("ingest", source, "--profile", profile, "--out", out)
    assert result.returncode == 0, result.stderr
    assert totals(pl.read_parquet(out)) == totals(sample)


def xlsx_with_title(rows: pl.DataFrame, header: list[str], sheets=("Données",)) -> bytes:
    """A workbook as a person saves it from the kiosque: a title line, an empty line, then the
    table (header on line 3); other sheets hold notes."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    notes = workbook.add_worksheet("Notes")
    notes.write(0, 0, "Source : DGDDI")
    sheet = workbook.add_worksheet(sheets[0])
    sheet.write(0, 0, "Commerce extérieur par trimestre, en milliers d'euros")
    for column, name in enumerate(header):
        sheet.write(2, column, name)
    for line, (quarter, department, product, country, value) in enumerate(
        rows.select("quarter", "department", "product", "country", "value_eur").iter_rows(), start=3
    ):
        for column, cell in enumerate([f"{quarter}e trimestre 2024", department, product, country, value / 1000]):
            sheet.write(line, column, cell)
    workbook.close()
    return buffer.getvalue()


def test_inspect_of_an_archive_the_profile_reads_nothing_of(tmp_path, sample):
    """The shipped kiosque profile on a download saved again as .xlsx with title lines and
    other column names: members, sheet, skip_rows and columns proposed; pasted, they ingest."""
    header = ["Période", "Dépt", "Produit (A129)", "Pays", "Valeur (k€)"]
    archive = tmp_path / "region_76.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for department in DEPARTMENTS:
            for flow, name in (("export", "EXP"), ("import", "IMP")):
                rows = quarters(sample.filter(pl.col("department") == department, pl.col("flow") == flow))
                zipped.writestr(f"{department}_{name}.xlsx", xlsx_with_title(rows, header))
        zipped.writestr("LisezMoi.txt", "Fichiers en milliers d'euros.\n")
        zipped.writestr("archives/2023.zip", b"PK\x05\x06" + b"\0" * 18)
    result = run_in_process("ingest", "--inspect", archive, "--profile", "kiosque")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    kiosque = PROFILES_DIR / "kiosque.yaml"
    left_out = lines[lines.index("non lus par le profil kiosque (10) :") + 1 :][:6]  # then the sheets
    because = f"le nom ne correspond à aucun des motifs « *exp*.xls », « *imp*.xls » (members de {kiosque})"
    assert left_out == [
        f"  {archive} › {name} : non lu, {because}"
        for name in ["48_EXP.xlsx", "48_IMP.xlsx", "2A_EXP.xlsx", "2A_IMP.xlsx", "LisezMoi.txt", "archives/2023.zip"]
    ]
    block = proposed_block(result.stdout)
    assert block == {
        "members": ["*exp*.xlsx", "*imp*.xlsx"],
        "sheet": "Données",
        "skip_rows": 2,
        "columns": {
            "period": "Période",
            "department": "Dépt",
            "product": "Produit (A129)",
            "country": "Pays",
            "value": "Valeur (k€)",
        },
    }
    assert "unit" not in block  # "Valeur (k€)": thousands of euros, as the profile says
    profile = pasted(kiosque, block, tmp_path / "kiosque-corrige.yaml")
    again = run_in_process("ingest", "--inspect", archive, "--profile", profile)
    assert again.returncode == 0, again.stderr
    assert f"  {archive} › 48_EXP.xlsx (feuille « Notes ») : non lue, le profil lit la feuille « Données » (sheet)" in (
        again.stdout.splitlines()
    )
    out = tmp_path / "donnees.parquet"
    result = run_in_process("ingest", archive, "--profile", profile, "--out", out)
    assert result.returncode == 0, result.stderr
    written = pl.read_parquet(out)
    assert totals(written) == totals(sample)
    assert written.drop("year").sort(KEY).equals(sample.drop("year").sort(KEY))


def test_members_left_out_without_globs_name_their_extension(tmp_path, sample):
    archive = tmp_path / "envoi.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        sample.write_csv(buffer := io.BytesIO())
        zipped.writestr("donnees.csv", buffer.getvalue())
        zipped.writestr("donnees.ods", b"PK not read")
        zipped.writestr("LISEZMOI", "lisez-moi\n")
        zipped.writestr("ancien.zip", b"PK\x05\x06" + b"\0" * 18)
    result = run_in_process("ingest", "--inspect", archive, "--profile", "canonical")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    start = lines.index("non lus par le profil canonical (3) :")
    formats = "(formats lus : .csv, .txt, .parquet, .xlsx, .xlsm, .xls)"
    assert lines[start + 1 : start + 4] == [
        f"  {archive} › donnees.ods : non lu, extension « .ods » non lue {formats}",
        f"  {archive} › LISEZMOI : non lu, extension « (aucune) » non lue {formats}",
        f"  {archive} › ancien.zip : non lu, archive dans l'archive (décompressez-la d'abord)",
    ]
    assert lines[-1] == f"profil canonical : rien à changer ({PROFILES_DIR / 'canonical.yaml'})"


def test_inspect_proposes_wide_for_a_cross_table_and_the_pasted_block_ingests(tmp_path, sample):
    lozere = sample.filter(pl.col("department") == "48").with_columns((pl.col("value_eur") / 1000).alias("k_eur"))
    table = lozere.pivot(on="country", index=["year", "flow", "department", "product"], values="k_eur").sort("flow", "product")
    codes = [name for name in table.columns if name not in ("year", "flow", "department", "product")]
    lines = [";".join(["Année", "Flux", "Département", "Produit", *codes])]
    for row in table.iter_rows(named=True):
        cells = ["" if row[code] is None else f"{row[code]:.3f}".replace(".", ",") for code in codes]
        lines.append(";".join([str(row["year"]), row["flow"][0].upper(), "48", row["product"], *cells]))
    source = tmp_path / "croise.csv"
    source.write_bytes("\r\n".join(lines).encode("cp1252"))
    profile = tmp_path / "long.yaml"
    profile.write_text(
        'format: csv\nseparator: ";"\ndecimal: ","\nencoding: cp1252\nunit: eur\n'
        "columns: {year: Année, flow: Flux, department: Département, product: Produit, country: Pays, value: Valeur}\n"
        "flow_codes: {E: export, I: import}\n",
        encoding="utf-8",
    )
    result = run_in_process("ingest", "--inspect", source, "--profile", profile)
    assert result.returncode == 2
    tail = result.stdout.splitlines()[-9:]
    assert tail == [
        f"profil long : lignes à changer dans {profile} (à coller à la place des clés du même nom) :",
        f"wide: country  # tableau croisé : {len(codes)} colonnes ont pour en-tête un code pays",
        "columns:",
        '  year: "Année"',
        '  flow: "Flux"',
        '  department: "Département"',
        '  product: "Produit"',
        "  # country : retiré (avec wide: country)",
        "  # value : retiré (avec wide: country)",
    ]
    # The unit is not in a cross-table's header: it stays the user's to set (here k€).
    fixed = pasted(profile, {**proposed_block(result.stdout), "unit": "thousands_eur"}, tmp_path / "croise.yaml")
    out = tmp_path / "out.csv"
    result = run_in_process("ingest", source, "--profile", fixed, "--out", out)
    assert result.returncode == 0, result.stderr
    written = pl.read_csv(out, schema_overrides={"department": pl.String})
    for flow in ("export", "import"):
        expected = lozere.filter(pl.col("flow") == flow)["value_eur"].sum()
        assert written.filter(pl.col("flow") == flow)["value_eur"].sum() == pytest.approx(expected, abs=0.01)


def test_header_unit_differing_from_the_profile_is_proposed(tmp_path, sample):
    """A profile in euros given a file in thousands: the unit line proposed, from the header."""
    rows = quarters(sample.filter(pl.col("department") == "2A", pl.col("flow") == "export"))
    source = tmp_path / "2A_export.xlsx"
    source.write_bytes(xlsx_with_title(rows, ["Trimestre", "Département", "Produit", "Pays", "Valeur (milliers d'euros)"]))
    profile = tmp_path / "euros.yaml"
    profile.write_text(
        "format: excel\nsheet: Données\nskip_rows: 2\nunit: eur\nflow_from_filename: {export: '(?i)export'}\n"
        "columns: {period: Trimestre, department: Département, product: Produit, country: Pays, value: Valeur}\n"
        "period: {kind: quarter}\n",
        encoding="utf-8",
    )
    result = run_in_process("ingest", "--inspect", source, "--profile", profile)
    block = proposed_block(result.stdout)
    assert block == {
        "unit": "thousands_eur",
        "columns": {**yaml.safe_load(profile.read_text())["columns"], "value": "Valeur (milliers d'euros)"},
    }
    out = tmp_path / "out.parquet"
    result = run_in_process("ingest", source, "--profile", pasted(profile, block, tmp_path / "k.yaml"), "--out", out)
    assert result.returncode == 0, result.stderr
    assert totals(pl.read_parquet(out)) == totals(sample.filter(pl.col("department") == "2A", pl.col("flow") == "export"))


def test_national_file_in_quarter_labels_gives_france_to_the_euro(tmp_path, sample):
    """One region's kiosque download plus the national file, both in "T1 2024" quarters: the
    France totals of the output equal the national file's, computed here from its rows."""
    archive = kiosque_zip(tmp_path / "region_76.zip", sample, LABELS["T1 2024"])
    france = pl.read_parquet(SAMPLE_DATA).filter(pl.col("year") == 2024)
    # France on the keys the two departments trade (a national file of every key is slow to build).
    traded = france.join(sample.select("flow", "product", "country").unique(), on=["flow", "product", "country"])
    national = quarters(traded.group_by("year", "flow", "product", "country").agg(pl.col("value_eur").sum()))
    national_zip = tmp_path / "france.zip"
    header = ["Trimestre", "Code A129", "Code pays", "Valeur"]
    with zipfile.ZipFile(national_zip, "w") as zipped:
        for flow, name in (("export", "exp"), ("import", "imp")):
            rows = national.filter(pl.col("flow") == flow).with_columns(department=pl.lit(None, pl.String))
            workbook = xlwt.Workbook()
            sheet = workbook.add_sheet("Feuil1")
            for column, title in enumerate(header):
                sheet.write(0, column, title)
            for line, (quarter, product, country, value) in enumerate(
                rows.select("quarter", "product", "country", "value_eur").iter_rows(), start=1
            ):
                for column, cell in enumerate([f"T{quarter} 2024", product, country, value / 1000]):
                    sheet.write(line, column, cell)
            buffer = io.BytesIO()
            workbook.save(buffer)
            zipped.writestr(f"france_{name}.xls", buffer.getvalue())
    out = tmp_path / "donnees.parquet"
    result = run_in_process("ingest", archive, "--profile", "kiosque", "--national", national_zip, "--out", out)
    assert result.returncode == 0, result.stderr
    written = pl.read_parquet(out)
    for flow in ("export", "import"):
        expected = national.filter(pl.col("flow") == flow)["value_eur"].sum()
        assert written.filter(pl.col("flow") == flow)["value_eur"].sum() == pytest.approx(expected, abs=1.0)
    # The departments' own rows are the sample's, to the euro.
    assert totals(written.filter(pl.col("department").is_in(DEPARTMENTS))) == totals(sample)
    assert pl.read_parquet_metadata(out)["factsheets.departments"] == "2A,48"  # in the COG's order


def test_files_that_disagree_keep_the_first_and_say_the_other(tmp_path, sample):
    first = dgddi_csv(
        tmp_path / "a.csv", sample.head(3), ["Annee", "Flux", "Code département", "Code A129", "Code Pays", "VALEUR_EUROS"]
    )
    second = dgddi_csv(
        tmp_path / "b.csv", sample.tail(3), ["Annee", "Flux", "Code département", "Code A129", "Code Pays", "Montant"]
    )
    result = run_in_process("ingest", "--inspect", first, second, "--profile", "dgddi")
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert '  value: "VALEUR_EUROS"  # au lieu de « Valeur » ; un autre fichier a "Montant"' in lines
    assert "unit: eur  # d'après l'en-tête « VALEUR_EUROS » ; thousands_eur avant" in lines


def test_a_cp1252_header_read_under_the_latin1_profile_keeps_its_euro_sign(tmp_path, sample):
    """Excel saves "€" as byte 0x80, a control character in Latin-1: read as browsers read
    Latin-1 (Windows-1252), the header shows its "€" and its unit is recognised."""
    header = ["Annee", "Flux", "Code département", "Code A129", "Code Pays", "VALEUR (€)"]
    source = dgddi_csv(tmp_path / "export_2024.csv", sample, header)
    assert b"\x80" in source.read_bytes()
    result = run_in_process("ingest", "--inspect", source, "--profile", "dgddi")
    assert "\x80" not in result.stdout
    block = proposed_block(result.stdout)
    assert block["unit"] == "eur" and block["columns"]["value"] == "VALEUR (€)"
    out = tmp_path / "donnees.parquet"
    result = run_in_process(
        "ingest", source, "--profile", pasted(PROFILES_DIR / "dgddi.yaml", block, tmp_path / "p.yaml"), "--out", out
    )
    assert result.returncode == 0, result.stderr
    assert totals(pl.read_parquet(out)) == totals(sample)
