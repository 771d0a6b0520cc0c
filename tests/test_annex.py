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

from cli_helpers import run_cli
from factsheets import annex
from factsheets.paths import SAMPLE_DATA

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


@pytest.fixture(scope="module")
def renderer():
    from factsheets.render import SheetOptions, SheetRenderer

    return SheetRenderer(SAMPLE_DATA, None, ["02", "60", "59", "976", "2A"], SheetOptions(evolution=True, annex="xlsx"))


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
                    self.write_row(number, 0, [annex.cell_text(value) if isinstance(value, str) else value
                                               for value in row])
                    number += 1

    monkeypatch.setattr(annex, "_prepared_rows_worksheet", lambda: PlainRows)
    return make_bytes()


@pytest.mark.parametrize("code", ["02", "60", "59", "976", "2A"])
def test_annex_cells_equal_those_written_by_xlsxwriter(renderer, monkeypatch, code):
    writer = annex.Annexes(renderer.texts, "xlsx")
    for other in ("59", "02"):  # region blocks made for other departments first: reused as they are
        writer.content(renderer.indicators[other])
    prepared = writer.content(renderer.indicators[code])
    plain = through_write_row(monkeypatch, lambda: annex.Annexes(renderer.texts, "xlsx").content(renderer.indicators[code]))
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
    aisne, oise = (writer.blocks(renderer.indicators[code]) for code in ("02", "60"))
    shared = [(a, b) for a, b in zip(aisne, oise) if a.shared is not None]
    assert shared and all(a is b for a, b in shared)
    assert {block.table for block, _ in shared} == {"totals", "products", "countries", "flows", "evolution"}
    assert all(block.shared is None for block in aisne if block.rows and block.rows[0].level == "Département")


def test_annex_of_one_department_is_the_same_alone_or_after_its_region(tmp_path):
    """The region's rows, made for Aisne, serve Oise unchanged: the same bytes as Oise alone."""
    together = run_cli("render", "--dept", "02", "--dept", "60", "--annexe", "xlsx", "--workers", "1",
                       "--out", tmp_path / "together")
    alone = run_cli("render", "--dept", "60", "--annexe", "xlsx", "--out", tmp_path / "alone")
    assert together.returncode == 0 and alone.returncode == 0, together.stderr + alone.stderr
    name = "commerce-exterieur-2024-60-oise.xlsx"
    assert (tmp_path / "together" / name).read_bytes() == (tmp_path / "alone" / name).read_bytes()


def test_region_and_france_sankey_flows_add_up_to_their_totals(tmp_path):
    import json

    result = run_cli("render", "--dept", "60", "--annexe", "xlsx", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(run_cli("indicators", "--dept", "60", "--json").stdout)
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
    path.write_bytes(annex.Annexes(renderer.texts, "xlsx").content(renderer.indicators["60"]))
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
    workbook = pl.read_excel(io.BytesIO(annex.Annexes(renderer.texts, "xlsx").content(ind)), sheet_name="Balance")
    for country in ind.balance_countries:
        rows = {row["Flux"]: row for row in workbook.filter(pl.col("Code pays") == country.code).iter_rows(named=True)}
        assert rows["Solde"]["Valeur (M€)"] == float(printed_balance(country)), (code, country.code)
        assert rows["Solde"]["Valeur (€)"] == country.balance_eur
        assert rows["Exportations"]["Valeur (M€)"] == float(rounded_millions(country.export_eur))
