"""The data annex next to each sheet (render --annexe xlsx|csv) and the campaign summary.

The annex holds the figures behind the charts of the sheet: totals and shares, products
and countries (top 10 + "Autres", for the department, its region and France), the
department's Sankey flows (not the region's and France's ribbons: see annex_rows), the
balance countries, the years of the evolution and the N / N-1 changes. Values
in euros (exact, as `indicators --json`) and in millions of euros (as printed).

Formats, and why:
- xlsx (xlsxwriter): one worksheet per table, numbers typed as numbers, French headers.
  Byte-identical on re-runs: fixed document properties (creation date from
  SOURCE_DATE_EPOCH, else 1980-01-01, the zip epoch) and xlsxwriter's fixed zip
  timestamps.
- csv: ONE file rather than a zip of files, because a double click opens it in a
  spreadsheet and a zip must be unpacked first. The tables share one set of columns, and
  a "Tableau" column says which chart a row belongs to (a filter gives one table back).
  Written for the French spreadsheet locale: ";" between fields, "," as decimal mark,
  UTF-8 with a byte-order mark (without it, Excel reads the accents as Latin-1).

No Polars here: helper processes write annexes and never import it.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from .errors import FactsheetsError
from .files import write_atomically
from .model import AreaFlows, DepartmentIndicators, FlowSummary
from .numbers import round_half_away

ANNEX_FORMATS = ("xlsx", "csv")
COLUMNS = ("table", "level", "territory", "flow", "year", "rank", "product_code", "product", "country_code",
           "country", "value_eur", "value_millions", "share_region", "share_nation")
TABLES = ("totals", "products", "countries", "flows", "balance", "evolution", "changes")
NUMERIC = {"year", "rank", "value_eur", "value_millions", "share_region", "share_nation"}
# Excel number formats: whole euros, millions with one decimal (as printed), percentages.
EXCEL_FORMATS = {"value_eur": "#,##0", "value_millions": "#,##0.0", "share_region": "0.00", "share_nation": "0.00"}


class Row(NamedTuple):
    table: str
    level: str = ""
    territory: str = ""
    flow: str = ""
    year: int | None = None
    rank: int | None = None
    product_code: str = ""
    product: str = ""
    country_code: str = ""
    country: str = ""
    value_eur: float | None = None
    share_region: float | None = None  # percent
    share_nation: float | None = None

    @property
    def value_millions(self) -> float | None:
        """The value in M€ as the sheet prints it (one decimal, half away from zero)."""
        return None if self.value_eur is None else float(round_half_away(self.value_eur / 1e6, 1))

    def get(self, column: str):
        return getattr(self, column)


def annex_path(pdf_path: Path, kind: str) -> Path:
    return Path(pdf_path).with_suffix(f".{kind}")


def _section(texts: dict, key: str) -> dict:
    section = texts.get(key)
    if not isinstance(section, dict):
        raise FactsheetsError(f"config/texts.yaml : section « {key}: » manquante ; reprenez-la du texts.yaml fourni")
    return section


def annex_rows(ind: DepartmentIndicators, texts: dict) -> list[Row]:
    """Every row of the annex, table after table, in the order of the sheet's charts."""
    t = _section(texts, "annex")
    flows, levels = t["flows"], t["levels"]
    year = ind.year
    # A region of one department (971-976) has no chart or share of its own on the sheet.
    single = ind.single_department_region
    areas: list[tuple[str, AreaFlows]] = [("department", ind.local), ("region", ind.region_flows),
                                          ("nation", ind.nation_flows)]
    if single:
        areas = [area for area in areas if area[0] != "region"]

    def summary(area: AreaFlows, flow: str) -> FlowSummary:
        return area.exports if flow == "export" else area.imports

    rows: list[Row] = []
    # Totals and shares (pages 4 to 7), the balance of each area.
    for level, area in areas:
        name = area.territory.name
        for flow, shares in (("export", ind.export_shares), ("import", ind.import_shares)):
            local = level == "department"
            rows.append(Row("totals", levels[level], name, flows[flow], year, value_eur=summary(area, flow).total_eur,
                            share_region=shares.share_of_region * 100 if local and not single else None,
                            share_nation=shares.share_of_nation * 100 if local else None))
        rows.append(Row("totals", levels[level], name, flows["balance"], year,
                        value_eur=area.exports.total_eur - area.imports.total_eur))
    # Products and countries: treemap cells and Sankey nodes (top 10 + "Autres").
    for table, pick in (("products", lambda s: s.sankey.products), ("countries", lambda s: s.sankey.countries)):
        for level, area in areas:
            for flow in ("export", "import"):
                rank = 0
                for item in pick(summary(area, flow)):
                    rank += 0 if item.is_other else 1
                    code, label = ("", t["other"]) if item.is_other else (item.code, item.label)
                    fields = ({"product_code": code, "product": label} if table == "products"
                              else {"country_code": code, "country": label})
                    rows.append(Row(table, levels[level], area.territory.name, flows[flow], year,
                                    None if item.is_other else rank, value_eur=item.value_eur, **fields))
    # Sankey ribbons: product -> country (exports), country -> product (imports), of the
    # department. The region's and France's ribbons are left out: they would be five sixths
    # of the annex, the same in every annex of a region, and would make writing it cost more
    # than the sheet itself (issue 14 caps --annexe at half a sheet); their totals, products
    # and countries (the Sankeys' nodes) are above.
    for level, area in areas[:1]:
        for flow in ("export", "import"):
            sankey = summary(area, flow).sankey
            names = {item.code: (("", t["other"]) if item.is_other else (item.code, item.label))
                     for item in (*sankey.left, *sankey.right)}
            for link in sankey.links:
                product, country = (link.source, link.target) if flow == "export" else (link.target, link.source)
                (product_code, product_label), (country_code, country_label) = names[product], names[country]
                rows.append(Row("flows", levels[level], area.territory.name, flows[flow], year,
                                product_code=product_code, product=product_label, country_code=country_code,
                                country=country_label, value_eur=link.value_eur))
    # Balance bars (page 3).
    for country in ind.balance_countries:
        for flow, value in (("import", country.import_eur), ("export", country.export_eur),
                            ("balance", country.balance_eur)):
            rows.append(Row("balance", levels["department"], ind.department.name, flows[flow], year,
                            country_code=country.code, country=country.name, value_eur=value))
    evolution = ind.evolution
    if evolution is not None:
        for level, series, name in (("department", evolution.department, ind.department.name),
                                    ("region", () if single else evolution.region, ind.region.name),
                                    ("nation", evolution.nation, ind.nation_flows.territory.name)):
            for totals in series:
                for flow, value in (("export", totals.exports_eur), ("import", totals.imports_eur),
                                    ("balance", totals.balance_eur)):
                    rows.append(Row("evolution", levels[level], name, flows[flow], totals.year, value_eur=value))
        if evolution.previous_year is not None:
            for flow, changes in (("export", evolution.exports), ("import", evolution.imports)):
                for kind, items in (("product", changes.top_products), ("country", changes.top_countries)):
                    for rank, item in enumerate(items, start=1):
                        fields = ({"product_code": item.code, "product": item.label} if kind == "product"
                                  else {"country_code": item.code, "country": item.label})
                        for row_year, value in ((year, item.value_eur), (evolution.previous_year, item.previous_eur)):
                            rows.append(Row("changes", levels["department"], ind.department.name, flows[flow],
                                            row_year, rank, value_eur=value, **fields))
    return rows


# -- writers --------------------------------------------------------------------------
def _creation_date() -> dt.datetime:
    """The xlsx creation date: SOURCE_DATE_EPOCH when set (reproducible builds), else 1980-01-01."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc).replace(tzinfo=None)
    return dt.datetime(1980, 1, 1)


def xlsx_bytes(sheets: Iterable[tuple[str, list[str], list[str], list[list[Any]]]], title: str,
               number_formats: dict[str, str]) -> bytes:
    """An .xlsx of (sheet name, column keys, headers, rows) tables; the same bytes for the same input.

    `number_formats` gives the Excel format of the columns (by key) that have one.
    """
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                            "strings_to_formulas": False, "strings_to_urls": False})
    workbook.set_properties({"title": title, "author": "factsheets", "company": "", "created": _creation_date()})
    header_format = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top", "bottom": 1})
    formats = {key: workbook.add_format({"num_format": fmt}) for key, fmt in number_formats.items()}
    for name, keys, headers, rows in sheets:
        sheet = workbook.add_worksheet(name[:31])
        sheet.write_row(0, 0, headers, header_format)
        sheet.freeze_panes(1, 0)
        for column, key in enumerate(keys):
            width = 16 if key in number_formats or key in NUMERIC else 24
            sheet.set_column(column, column, width, formats.get(key))
        # One call a row: xlsxwriter types each value (str, int, float) and leaves None and
        # "" cells empty, as the spreadsheet should show them.
        write_row = sheet.write_row
        for index, row in enumerate(rows, start=1):
            write_row(index, 0, row)
    workbook.close()
    return buffer.getvalue()


def _csv_number(value: float) -> str:
    """French spreadsheet style: "," as decimal mark, no thousands separator, whole numbers bare."""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value)).replace(".", ",")


def csv_bytes(headers: list[str], rows: Iterable[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if value is None else _csv_number(value) if isinstance(value, (int, float))
                         else value for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


_FIELD_INDEX = {name: index for index, name in enumerate(Row._fields)}  # value_millions: computed


def _used_columns(rows: list[Row]) -> list[str]:
    """The columns a table fills, in COLUMNS order ("table" is the sheet's name in xlsx).

    Millions are filled exactly where euros are (one is computed from the other).
    """
    used = {name for name, index in _FIELD_INDEX.items() if any(row[index] not in (None, "") for row in rows)}
    if "value_eur" in used:
        used.add("value_millions")
    return [column for column in COLUMNS[1:] if column in used]


def _cells(rows: list[Row], keys: list[str]) -> list[list[Any]]:
    """The rows' values in the columns `keys` (fields by position: ~4 000 cells an annex)."""
    positions = [_FIELD_INDEX.get(key) for key in keys]
    return [[row.value_millions if position is None else row[position] for position in positions] for row in rows]


def annex_bytes(ind: DepartmentIndicators, texts: dict, kind: str) -> bytes:
    if kind not in ANNEX_FORMATS:
        raise FactsheetsError(f"format d'annexe inconnu « {kind} » ; utilisez --annexe xlsx ou --annexe csv")
    t = _section(texts, "annex")
    headers = t["columns"]
    rows = annex_rows(ind, texts)
    if kind == "csv":
        return csv_bytes([headers[c] for c in COLUMNS],
                         ([t["tables"][row.table] if c == "table" else row.get(c) for c in COLUMNS] for row in rows))
    sheets = []
    for table in TABLES:
        table_rows = [row for row in rows if row.table == table]
        if not table_rows:
            continue
        keys = _used_columns(table_rows)
        sheets.append((t["tables"][table], keys, [headers[k] for k in keys], _cells(table_rows, keys)))
    return xlsx_bytes(sheets, f"{ind.department.name} ({ind.year})", EXCEL_FORMATS)


def write_annex(ind: DepartmentIndicators, texts: dict, pdf_path: Path, kind: str) -> Path:
    path = annex_path(pdf_path, kind)
    write_atomically(path, annex_bytes(ind, texts, kind))
    return path


# -- campaign summary -----------------------------------------------------------------
SUMMARY_COLUMNS = ("code", "name", "region", "exports", "imports", "balance", "export_share_region",
                   "export_share_nation", "import_share_region", "import_share_nation", "file", "sha256", "status")
SUMMARY_FORMATS = {"exports": "#,##0", "imports": "#,##0", "balance": "#,##0", "export_share_region": "0.00",
                   "export_share_nation": "0.00", "import_share_region": "0.00", "import_share_nation": "0.00"}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def summary_rows(report, indicators: dict[str, DepartmentIndicators], texts: dict) -> Iterator[list[Any]]:
    """One row per requested department, in the order asked, failures included."""
    t = _section(texts, "summary")
    for code in report.codes:
        ind = indicators.get(code)
        path = report.written.get(code)
        status = t["written"] if path is not None else t["failed"].format(message=report.failures.get(code, ""))
        exports = ind.export_shares if ind else None
        imports = ind.import_shares if ind else None
        yield [
            code,
            ind.department.name if ind else "",
            ind.region.name if ind else "",
            exports.total_eur if ind else None,
            imports.total_eur if ind else None,
            exports.total_eur - imports.total_eur if ind else None,
            exports.share_of_region * 100 if ind else None,
            exports.share_of_nation * 100 if ind else None,
            imports.share_of_region * 100 if ind else None,
            imports.share_of_nation * 100 if ind else None,
            path.name if path is not None else "",
            _sha256(path) if path is not None else "",
            status,
        ]


def summary_paths(out_dir: Path, year: int) -> list[Path]:
    return [Path(out_dir) / f"synthese-{year}.{kind}" for kind in ("csv", "xlsx")]


def write_summary(report, indicators: dict[str, DepartmentIndicators], texts: dict, out_dir: Path) -> list[Path]:
    """synthese-{year}.csv and .xlsx in `out_dir`, each written whole or not at all."""
    t = _section(texts, "summary")
    headers = [t["columns"][key] for key in SUMMARY_COLUMNS]
    rows = list(summary_rows(report, indicators, texts))
    csv_path, xlsx_path = summary_paths(out_dir, report.year)
    write_atomically(csv_path, csv_bytes(headers, rows))
    write_atomically(xlsx_path, xlsx_bytes([(t["sheet"], list(SUMMARY_COLUMNS), headers, rows)],
                                           f"{t['sheet']} {report.year}", SUMMARY_FORMATS))
    return [csv_path, xlsx_path]
