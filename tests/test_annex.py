"""The data annex (factsheets/annex.py): its rows, and the XML it writes without xlsxwriter's cell API.

The annex writes its data rows as prepared XML (see annex._prepared_rows_worksheet). These
tests write the same tables through xlsxwriter's public `write_row` and compare the two
workbooks cell by cell: value, type and number format, read from the files' XML.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import polars as pl
import pytest
from cli_helpers import run_cli, run_in_process

from factsheets import annex
from factsheets.paths import SAMPLE_DATA

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


@pytest.fixture(scope="module")
def renderer():
    from factsheets.render import SheetOptions, SheetRenderer

    return SheetRenderer(SAMPLE_DATA, None, ["02", "60", "59", "976", "2A"], SheetOptions(evolution=True, annex="xlsx"))


def sheet_of(ind, texts, synthetic: bool = False):
    """The sheet's content model as render builds it, that the annex maps (no chart drawn: the annex needs none)."""
    from factsheets.charts.registry import SheetCharts
    from factsheets.config import sheet_texts
    from factsheets.content import build_content

    return build_content(ind, SheetCharts(), sheet_texts(ind.year, texts), synthetic)


def cells(content: bytes) -> dict[str, dict[str, tuple[str, str, str]]]:
    """sheet name -> {cell reference: (type, value, number format)}, read from the xlsx's XML."""
    import io

    archive = zipfile.ZipFile(io.BytesIO(content))
    shared = []
    if "xl/sharedStrings.xml" in archive.namelist():
        for item in ET.fromstring(archive.read("xl/sharedStrings.xml")).iter(f"{MAIN}si"):
            shared.append("".join(text.text or "" for text in item.iter(f"{MAIN}t")))
    styles = ET.fromstring(archive.read("xl/styles.xml"))
    codes = {fmt.get("numFmtId"): fmt.get("formatCode") for fmt in styles.iter(f"{MAIN}numFmt")}
    formats = [codes.get(xf.get("numFmtId"), xf.get("numFmtId")) for xf in styles.find(f"{MAIN}cellXfs")]
    workbook = ET.fromstring(archive.read("xl/workbook.xml"))
    targets = {rel.get("Id"): rel.get("Target") for rel in ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))}
    result = {}
    for sheet in workbook.iter(f"{MAIN}sheet"):
        root = ET.fromstring(archive.read("xl/" + targets[sheet.get(f"{RELS}id")]))
        table = {}
        for cell in root.iter(f"{MAIN}c"):
            kind = cell.get("t", "n")
            if kind == "s":
                kind, value = "text", shared[int(cell.find(f"{MAIN}v").text)]
            elif kind == "inlineStr":
                kind, value = "text", "".join(text.text or "" for text in cell.iter(f"{MAIN}t"))
            else:
                value = cell.find(f"{MAIN}v").text
            table[cell.get("r")] = (kind, value, formats[int(cell.get("s", "0"))])
        result[sheet.get("name")] = table
        dimension = root.find(f"{MAIN}dimension").get("ref")
        last = max(int(re.sub(r"[A-Z]+", "", reference)) for reference in table)
        assert dimension.endswith(str(last)), (sheet.get("name"), dimension, last)
    return result


def through_write_row(monkeypatch, make_bytes):
    """What `make_bytes()` gives when every data row goes through xlsxwriter's write_row."""
    from xlsxwriter.worksheet import Worksheet

    class PlainRows(Worksheet):
        def add_segments(self, segments, column_formats, keys, templates):
            number = 1
            for _, values, _ in segments:
                for row in values():
                    self.write_row(number, 0, [annex.cell_text(value) if isinstance(value, str) else value for value in row])
                    number += 1

    monkeypatch.setattr(annex, "_prepared_rows_worksheet", lambda: PlainRows)
    return make_bytes()


@pytest.mark.parametrize("code", ["02", "60", "59", "976", "2A"])
def test_annex_cells_equal_those_written_by_xlsxwriter(renderer, monkeypatch, code):
    writer = annex.Annexes(renderer.texts, "xlsx")
    for other in ("59", "02"):  # region blocks made for other departments first: reused as they are
        writer.content(sheet_of(renderer.indicators[other], renderer.texts))
    prepared = writer.content(sheet_of(renderer.indicators[code], renderer.texts))
    sheet = sheet_of(renderer.indicators[code], renderer.texts)
    plain = through_write_row(monkeypatch, lambda: annex.Annexes(renderer.texts, "xlsx").content(sheet))
    ours, theirs = cells(prepared), cells(plain)
    assert list(ours) == list(theirs)
    for name in ours:
        assert ours[name] == theirs[name], name
    assert sum(len(table) for table in ours.values()) > 3000


def test_text_is_escaped_as_xlsxwriter_escapes_it(monkeypatch):
    rows = [["A & B <c>", " lead", "tab\there", "ctrl\x01x", "_x0041_", 1.5, None, ""], ["", 2, 3.25, "ok", None, 0, -7, "é"]]
    keys = ["a", "b", "c", "d", "e", "value_eur", "g", "h"]

    def workbook() -> bytes:
        return annex.xlsx_bytes([("T", keys, keys, [(None, lambda: rows, len(rows))])], "t", {"value_eur": "#,##0"})

    assert cells(workbook()) == cells(through_write_row(monkeypatch, workbook))


def test_a_value_that_is_not_finite_is_refused():
    from factsheets.errors import FactsheetsError

    with pytest.raises(FactsheetsError, match="non finie"):
        annex.xlsx_bytes([("T", ["v"], ["v"], [(None, lambda: [[float("nan")]], 1)])], "t", {})


def test_the_region_and_france_blocks_are_shared_not_copied(renderer):
    writer = annex.Annexes(renderer.texts, "xlsx")
    aisne, oise = (writer.blocks(sheet_of(renderer.indicators[code], renderer.texts)) for code in ("02", "60"))
    shared = [(a, b) for a, b in zip(aisne, oise) if a.shared is not None]
    assert shared and all(a is b for a, b in shared)
    assert {block.table for block, _ in shared} == {"totals", "products", "countries", "flows", "evolution"}
    assert all(block.shared is None for block in aisne if block.rows and block.rows[0].level == "Département")


def test_annex_of_one_department_is_the_same_alone_or_after_its_region(tmp_path):
    """The region's rows, made for Aisne, serve Oise unchanged: the same bytes as Oise alone."""
    together = run_cli(
        "render", "--dept", "02", "--dept", "60", "--annexe", "xlsx", "--workers", "1", "--out", tmp_path / "together"
    )
    alone = run_in_process("render", "--dept", "60", "--annexe", "xlsx", "--out", tmp_path / "alone")
    assert together.returncode == 0 and alone.returncode == 0, together.stderr + alone.stderr
    name = "commerce-exterieur-2024-60-oise.xlsx"
    assert (tmp_path / "together" / name).read_bytes() == (tmp_path / "alone" / name).read_bytes()


def test_region_and_france_sankey_flows_add_up_to_their_totals(tmp_path):
    import json

    result = run_in_process("render", "--dept", "60", "--annexe", "xlsx", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(run_in_process("indicators", "--dept", "60", "--json").stdout)
    sheets = pl.read_excel(tmp_path / "commerce-exterieur-2024-60-oise.xlsx", sheet_id=0)
    flows, products = sheets["Flux"], sheets["Produits"]
    for level, suffix in (("Région", "region_total_eur"), ("France", "nation_total_eur")):
        for flow, key in (("Exportations", "exports"), ("Importations", "imports")):
            ribbons = flows.filter((pl.col("Niveau") == level) & (pl.col("Flux") == flow))
            assert ribbons.height >= 20, (level, flow)
            assert ribbons["Valeur (€)"].sum() == pytest.approx(data[key][suffix], rel=1e-12)
            # Every ribbon's product is one of that level's Sankey nodes (top 10 + "Autres").
            nodes = products.filter((pl.col("Niveau") == level) & (pl.col("Flux") == flow))["Produit"]
            assert set(ribbons["Produit"]) <= set(nodes)
    assert set(flows["Territoire"]) == {"Oise", "Hauts-de-France", "France entière"}


def test_openpyxl_reads_the_annex_as_calamine_does(renderer, tmp_path):
    """A second, independent reader: the same values, and the number formats of the sheet."""
    import openpyxl

    path = tmp_path / "oise.xlsx"
    path.write_bytes(annex.Annexes(renderer.texts, "xlsx").content(sheet_of(renderer.indicators["60"], renderer.texts)))
    workbook = openpyxl.load_workbook(path)
    frames = pl.read_excel(path, sheet_id=0)
    assert workbook.sheetnames == list(frames)
    for name, frame in frames.items():
        sheet = workbook[name]
        header = [cell.value for cell in sheet[1]]
        assert header == frame.columns
        rows = [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert len(rows) == frame.height
        assert rows == [list(row) for row in frame.rows()], name
        if "Valeur (€)" in header:
            column = header.index("Valeur (€)") + 1
            assert sheet.cell(row=2, column=column).number_format == "#,##0"
            assert sheet.cell(row=2, column=column + 1).number_format == "#,##0.0"


@pytest.mark.parametrize("code", ["02", "60", "59", "976", "2A"])
def test_balance_millions_are_those_the_chart_prints(renderer, code):
    """Page 3 prints printed exports minus printed imports; the annex's M€ column says the same."""
    from factsheets.charts.balance import printed_balance
    from factsheets.numbers import rounded_millions

    ind = renderer.indicators[code]
    workbook = pl.read_excel(
        io.BytesIO(annex.Annexes(renderer.texts, "xlsx").content(sheet_of(ind, renderer.texts))), sheet_name="Balance"
    )
    for country in ind.balance_countries:
        rows = {row["Flux"]: row for row in workbook.filter(pl.col("Code pays") == country.code).iter_rows(named=True)}
        assert rows["Solde"]["Valeur (M€)"] == float(printed_balance(country)), (code, country.code)
        assert rows["Solde"]["Valeur (€)"] == country.balance_eur
        assert rows["Exportations"]["Valeur (M€)"] == float(rounded_millions(country.export_eur))


# -- where the figures come from, labels, shares, dates, filters, formulas (SPEC 12, 14) ----------
AWKWARD = ["02", "60", "976", "2A", "59"]
SOURCE_SHEET = "À propos"


def raw_texts() -> dict:
    """config/texts.yaml read here with PyYAML, not through factsheets.config."""
    import yaml

    from factsheets.paths import CONFIG_DIR

    return yaml.safe_load((Path(CONFIG_DIR) / "texts.yaml").read_text(encoding="utf-8"))


def expected_source_line() -> str:
    texts = raw_texts()
    assert str(texts["editions"][2024]["publication_date"]) == "2025-07-01"
    return texts["footer"]["source"].replace("{year}", "2024") + "\u00a0; édition du 1er juillet 2025"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """render of the awkward departments, xlsx and csv, twice (bytes compared)."""
    out = tmp_path_factory.mktemp("annexes")
    codes = [arg for code in AWKWARD for arg in ("--dept", code)]
    for run in ("a", "b"):
        for kind in ("xlsx", "csv"):
            result = run_in_process("render", *codes, "--annexe", kind, "--workers", "1", "--out", out / run / kind)
            assert result.returncode == 0, result.stderr
    return out


def annex_file(folder: Path, code: str, kind: str) -> Path:
    return next(folder.glob(f"commerce-exterieur-2024-{code.lower()}-*.{kind}"))


def test_annexes_are_the_same_bytes_on_a_second_run(rendered):
    for kind in ("xlsx", "csv"):
        for code in AWKWARD:
            first, second = annex_file(rendered / "a" / kind, code, kind), annex_file(rendered / "b" / kind, code, kind)
            assert first.read_bytes() == second.read_bytes(), (kind, code)
        summaries = [(rendered / run / kind / "synthese-2024.xlsx").read_bytes() for run in ("a", "b")]
        assert summaries[0] == summaries[1]


@pytest.mark.parametrize("code", AWKWARD)
def test_xlsx_annex_names_its_source_edition_and_the_synthetic_notice(rendered, code):
    import datetime as dt

    import openpyxl

    workbook = openpyxl.load_workbook(annex_file(rendered / "a" / "xlsx", code, "xlsx"))
    assert workbook.sheetnames[0] == SOURCE_SHEET
    lines = [row[0] for row in workbook[SOURCE_SHEET].iter_rows(values_only=True)]
    assert expected_source_line() in lines
    assert raw_texts()["footer"]["synthetic"] in lines  # the bundled sample is synthetic
    # The edition's publication date, as the PDF's (noon UTC), not the run's nor 1980.
    assert workbook.properties.created == dt.datetime(2025, 7, 1, 12, 0, 0)
    for name in workbook.sheetnames[1:]:
        sheet = workbook[name]
        # The autofilter covers the header and every row and column of the table.
        assert sheet.auto_filter.ref == sheet.dimensions, name
        assert sheet.max_row > 1
        # Printed, each table says where it comes from.
        assert sheet.oddFooter.left.text == expected_source_line().replace("&", "&&"), name


def test_zip_entries_keep_a_fixed_date(rendered):
    for code in AWKWARD:
        with zipfile.ZipFile(annex_file(rendered / "a" / "xlsx", code, "xlsx")) as archive:
            assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


@pytest.mark.parametrize("code", AWKWARD)
def test_shares_are_fractions_with_a_percent_format(rendered, code):
    import json

    import openpyxl

    data = json.loads(run_in_process("indicators", "--dept", code, "--json").stdout)
    sheet = openpyxl.load_workbook(annex_file(rendered / "a" / "xlsx", code, "xlsx"))["Totaux"]
    header = [cell.value for cell in sheet[1]]
    rows = {(row[0].value, row[2].value): row for row in sheet.iter_rows(min_row=2)}
    single = code == "976"
    assert ("Part de la région" in header) is not single
    for flow, key in (("Exportations", "exports"), ("Importations", "imports")):
        cells_of = {name: rows[("Département", flow)][header.index(name)] for name in header}
        nation = cells_of["Part de la France"]
        assert nation.number_format == "0.00%"
        assert nation.value == pytest.approx(data[key]["total_eur"] / data[key]["nation_total_eur"], rel=1e-12)
        # Independently of the json's shares: the annex's own totals divided.
        france = rows[("France", flow)][header.index("Valeur (€)")].value
        assert nation.value == pytest.approx(cells_of["Valeur (€)"].value / france, rel=1e-12)
        if not single:
            region = cells_of["Part de la région"]
            assert region.number_format == "0.00%"
            assert region.value == pytest.approx(data[key]["total_eur"] / data[key]["region_total_eur"], rel=1e-12)
            assert 0 < region.value <= 1


@pytest.mark.parametrize("code", AWKWARD)
def test_products_carry_the_charts_short_label_beside_the_full_one(renderer, rendered, code):
    import openpyxl

    from factsheets.charts import sankey, treemap

    reference = {row["code"]: (row["label"], row["short_label"]) for row in renderer.reference.products.iter_rows(named=True)}
    workbook = openpyxl.load_workbook(annex_file(rendered / "a" / "xlsx", code, "xlsx"))
    ind = renderer.indicators[code]
    for name in ("Produits", "Flux", "Variations"):
        sheet = workbook[name]
        header = [cell.value for cell in sheet[1]]
        full, short, product = (header.index(key) for key in ("Produit", "Produit (libellé des graphiques)", "Code produit"))
        seen = 0
        for row in sheet.iter_rows(min_row=2, values_only=True):
            if row[product]:
                assert (row[full], row[short]) == reference[row[product]], (name, row)
                seen += 1
            elif row[full] is not None or row[short] is not None:  # else a country's row (Variations)
                assert row[full] == row[short] == "Autres"
        assert seen, name
    # The very labels the charts print, department by department, flow by flow.
    sheet = workbook["Produits"]
    header = [cell.value for cell in sheet[1]]
    annexed = {
        (row[header.index("Flux")], row[header.index("Code produit")] or None): row[
            header.index("Produit (libellé des graphiques)")
        ]
        for row in sheet.iter_rows(min_row=2, values_only=True)
        if row[0] == "Département"
    }
    for flow, summary in (("Exportations", ind.local.exports), ("Importations", ind.local.imports)):
        side = "left" if flow == "Exportations" else "right"
        for item in summary.sankey.products:
            if not item.is_other:
                assert annexed[(flow, item.code)] == sankey._display_name(item, side, summary.flow) == treemap._name(item)


@pytest.mark.parametrize("code", AWKWARD)
def test_csv_annex_says_the_same_and_stays_one_table(rendered, code):
    import csv

    import openpyxl

    raw = annex_file(rendered / "a" / "csv", code, "csv").read_bytes()
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len({len(row) for row in rows}) == 1  # rectangular: one header, every line as wide
    about = [row[1] for row in rows[1:] if row[0] == SOURCE_SHEET]
    assert expected_source_line() in about and raw_texts()["footer"]["synthetic"] in about
    assert rows[1][0] == SOURCE_SHEET  # right under the header, before any figure
    # A second reader: polars with the French decimal comma gives numbers, shares as fractions.
    frame = pl.read_csv(io.BytesIO(raw), separator=";", decimal_comma=True, infer_schema_length=None)
    assert frame.schema["Valeur (€)"].is_numeric() and frame.schema["Part de la France (fraction\u00a0: 0,05 = 5 %)"].is_float()
    workbook = openpyxl.load_workbook(annex_file(rendered / "a" / "xlsx", code, "xlsx"))
    totals = frame.filter((pl.col("Tableau") == "Totaux") & (pl.col("Niveau") == "Département"))
    sheet = workbook["Totaux"]
    header = [cell.value for cell in sheet[1]]
    xlsx_rows = [row for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] == "Département"]
    assert totals["Part de la France (fraction\u00a0: 0,05 = 5 %)"].to_list()[:2] == pytest.approx(
        [row[header.index("Part de la France")] for row in xlsx_rows[:2]], rel=1e-15
    )
    # A negative balance stays a number (no apostrophe): "-" only guarded in text.
    balance = totals.filter(pl.col("Flux") == "Solde")["Valeur (€)"][0]
    assert balance == xlsx_rows[2][header.index("Valeur (€)")]
    assert not any(
        cell.startswith(("=", "+", "@", "\t", "\r")) or (cell.startswith("-") and not _number(cell))
        for row in rows
        for cell in row
    )


def _number(cell: str) -> bool:
    try:
        float(cell.replace(",", "."))
        return True
    except ValueError:
        return False


FORMULAS = ['=HYPERLINK("http://x","y")', "+1+2", "-3+4", "@SUM(A1)", "\tTab", "\rCR"]


def test_text_that_would_start_a_formula_gets_an_apostrophe(tmp_path):
    import openpyxl

    rows = [[text, -5.5] for text in FORMULAS] + [["ok", -7], ["-", 0]]
    content = annex.xlsx_bytes(
        [("T", ["a", "value_eur"], ["=en-tête", "Valeur"], [(None, lambda: rows, len(rows))])], "t", {"value_eur": "#,##0"}
    )
    path = tmp_path / "t.xlsx"
    path.write_bytes(content)
    sheet = openpyxl.load_workbook(path)["T"]
    got = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert got[0] == ["'=en-tête", "Valeur"]
    # (a CR is written _x000D_, as xlsxwriter writes control characters; openpyxl leaves it so)
    assert [row[0] for row in got[1:]] == ["'" + text.replace("\r", "_x000D_") for text in FORMULAS] + ["ok", "'-"]
    assert [row[1] for row in got[1:]] == [-5.5] * len(FORMULAS) + [-7, 0]  # numbers stay numbers
    csv_text = annex.csv_bytes(["=h"], [[text, -5.5] for text in FORMULAS]).decode("utf-8-sig")
    import csv

    read = list(csv.reader(io.StringIO(csv_text), delimiter=";"))
    assert read[0] == ["'=h"]
    assert [row for row in read[1:]] == [["'" + text, "-5,5"] for text in FORMULAS]


def test_configuration_text_starting_a_formula_is_neutralised_in_both_formats(renderer, tmp_path):
    import copy
    import csv

    import openpyxl

    texts = copy.deepcopy(renderer.texts)
    texts["annex"]["levels"]["department"] = "=Département"
    texts["annex"]["columns"]["territory"] = "+Territoire"
    texts["annex"]["tables"]["totals"] = "@Totaux"
    texts["footer"]["synthetic"] = "-Données synthétiques"
    ind = renderer.indicators["60"]
    path = tmp_path / "oise.xlsx"
    path.write_bytes(annex.Annexes(texts, "xlsx").content(sheet_of(ind, texts, synthetic=True)))
    workbook = openpyxl.load_workbook(path)
    assert "'-Données synthétiques" in [row[0] for row in workbook[SOURCE_SHEET].iter_rows(values_only=True)]
    sheet = workbook["@Totaux"]  # a sheet's name is no cell
    assert sheet["B1"].value == "'+Territoire" and sheet["A2"].value == "'=Département"
    values = [cell.value for row in workbook.worksheets for line in row.iter_rows() for cell in line]
    assert not any(isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") for value in values)
    rows = list(
        csv.reader(
            io.StringIO(annex.Annexes(texts, "csv").content(sheet_of(ind, texts, synthetic=True)).decode("utf-8-sig")),
            delimiter=";",
        )
    )
    assert rows[0][2] == "'+Territoire"
    assert ["'@Totaux", "'=Département"] == rows[[row[0] for row in rows].index("'@Totaux")][:2]
    assert "'-Données synthétiques" in [row[1] for row in rows]


def test_no_notice_without_the_sample(renderer):
    """Real data (synthetic False): the source line, and no synthetic-data notice."""
    import csv

    content = annex.Annexes(renderer.texts, "csv").content(sheet_of(renderer.indicators["02"], renderer.texts))
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    about = [row[1] for row in rows if row[0] == SOURCE_SHEET]
    assert expected_source_line() in about
    assert raw_texts()["footer"]["synthetic"] not in about


def test_every_sample_annex_names_its_source_and_the_notice(plain_render_all):
    """All 101 annexes of the sample (synthetic), as the run's shared `render --all --annexe xlsx` wrote them."""
    import openpyxl

    result, out = plain_render_all
    assert result.returncode == 0, result.stderr
    annexes = sorted(out.glob("commerce-exterieur-*.xlsx"))
    assert len(annexes) == 101
    notice, source = raw_texts()["footer"]["synthetic"], expected_source_line()
    for path in annexes:
        workbook = openpyxl.load_workbook(path, read_only=True)
        lines = [row[0] for row in workbook[SOURCE_SHEET].iter_rows(values_only=True)]
        assert source in lines and notice in lines, path.name


def test_the_campaign_summary_has_the_edition_date_and_a_filter(rendered):
    import datetime as dt

    import openpyxl

    workbook = openpyxl.load_workbook(rendered / "a" / "xlsx" / "synthese-2024.xlsx")
    assert workbook.properties.created == dt.datetime(2025, 7, 1, 12, 0, 0)
    sheet = workbook.worksheets[0]
    assert sheet.auto_filter.ref == sheet.dimensions and sheet.max_row == len(AWKWARD) + 1


# -- the campaign summary: each sheet's totals, checked against the data --------------------------
SUMMARY_FIGURES = tuple(annex.SUMMARY_FORMATS)  # the columns of numbers: totals, balance, shares


def expected_summary(year: int) -> dict[str, dict]:
    """Each department's row of the summary, computed here from the sample with Polars and the
    reference YAML files (not through factsheets): its names, totals, balance and shares in
    percent, as its sheet prints them: no share of a region it is alone in (971-976). France
    counts every row (unallocated trade included), a region only its departments' rows."""
    import yaml

    from factsheets.paths import CONFIG_DIR

    reference = Path(CONFIG_DIR) / "reference"
    departments = yaml.safe_load((reference / "departments.yaml").read_text(encoding="utf-8"))
    regions = yaml.safe_load((reference / "regions.yaml").read_text(encoding="utf-8"))
    region_of = pl.DataFrame({"department": list(departments), "region": [d["region"] for d in departments.values()]})
    sample = pl.read_parquet(SAMPLE_DATA).filter(pl.col("year") == year)
    located = sample.join(region_of, on="department")

    def sums(frame: pl.DataFrame, key: str) -> dict[tuple[str, str], float]:
        totals = frame.group_by(key, "flow").agg(pl.col("value_eur").sum())
        return {(row[key], row["flow"]): row["value_eur"] for row in totals.iter_rows(named=True)}

    by_department, by_region = sums(located, "department"), sums(located, "region")
    nation = {flow: total for (_, flow), total in sums(sample.with_columns(nation=pl.lit("FR")), "nation").items()}
    sizes = region_of.group_by("region").len()
    alone = set(sizes.filter(pl.col("len") == 1)["region"])
    expected = {}
    for code, department in departments.items():
        region = department["region"]
        row = {"name": department["name"], "region": regions[region]}
        for flow, key in (("export", "exports"), ("import", "imports")):
            total = by_department[(code, flow)]
            row[key] = total
            row[f"{flow}_share_region"] = None if region in alone else 100 * total / by_region[(region, flow)]
            row[f"{flow}_share_nation"] = 100 * total / nation[flow]
        row["balance"] = row["exports"] - row["imports"]
        expected[code] = row
    return expected


def summary_headers() -> dict[str, str]:
    """The summary's column header -> its key (annex.SUMMARY_COLUMNS), from config/texts.yaml read here."""
    columns = raw_texts()["summary"]["columns"]
    return {columns[key]: key for key in annex.SUMMARY_COLUMNS}


def summary_from_xlsx(path: Path) -> list[dict]:
    import openpyxl

    rows = list(openpyxl.load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True))
    keys = [summary_headers()[header] for header in rows[0]]
    return [dict(zip(keys, row)) for row in rows[1:]]


def summary_from_csv(path: Path) -> list[dict]:
    import csv

    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    keys = [summary_headers()[header] for header in rows[0]]
    figures = set(SUMMARY_FIGURES)
    return [
        {key: (None if cell == "" else float(cell.replace(",", "."))) if key in figures else cell for key, cell in zip(keys, row)}
        for row in rows[1:]
    ]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_the_summary_gives_every_sheets_totals_and_shares_as_the_data_has_them(plain_render_all, kind):
    """All 101 rows of the shared `render --all` summary, read back with openpyxl and the csv
    module, against a Polars computation over the sample: totals and balance exact, shares
    to the last digits, and an empty cell where the sheet prints no share (a region of one
    department)."""
    result, out = plain_render_all
    assert result.returncode == 0, result.stderr
    read = summary_from_xlsx if kind == "xlsx" else summary_from_csv
    rows = read(out / f"synthese-2024.{kind}")
    expected = expected_summary(2024)
    assert [row["code"] for row in rows] == sorted(expected)  # every department, in code order
    assert sum(row["export_share_region"] is None for row in expected.values()) == 5  # 971-974 and 976
    for row in rows:
        code, want = row["code"], expected[row["code"]]
        assert (row["name"], row["region"], row["status"]) == (want["name"], want["region"], "produite"), code
        for key in SUMMARY_FIGURES:
            if "share" not in key:  # euros: exact
                assert row[key] == want[key], (code, key)
            elif want[key] is None:
                assert row[key] is None, (code, key)
            else:
                assert row[key] == pytest.approx(want[key], rel=1e-12), (code, key)


def test_a_sheet_that_failed_keeps_its_figures_in_the_summary(tmp_path):
    """A sheet that cannot be written (a folder in the way of its PDF) is a failure row with
    the figures its sheet would have printed (the sheets' own rule: no share of a region of
    one department); the sheet written beside it keeps its own."""
    out = tmp_path / "out"
    (out / "commerce-exterieur-2024-971-guadeloupe.pdf").mkdir(parents=True)
    result = run_in_process("render", "--dept", "60", "--dept", "971", "--workers", "1", "--out", out)
    assert result.returncode == 1 and "971 : écriture impossible" in result.stderr
    expected = expected_summary(2024)
    for read, kind in ((summary_from_csv, "csv"), (summary_from_xlsx, "xlsx")):
        rows = {row["code"]: row for row in read(out / f"synthese-2024.{kind}")}
        failed, written = rows["971"], rows["60"]
        assert (
            failed["status"].startswith("échec")
            and "écriture impossible" in failed["status"]
            and not failed["file"]
            and written["status"] == "produite"
        )
        for code, row in (("971", failed), ("60", written)):
            want = expected[code]
            assert (row["name"], row["region"]) == (want["name"], want["region"]), (kind, code)
            for key in SUMMARY_FIGURES:
                assert row[key] == (None if want[key] is None else pytest.approx(want[key], rel=1e-12)), (kind, code, key)
        assert failed["export_share_region"] is None and failed["export_share_nation"] is not None
