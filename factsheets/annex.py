"""The data annex next to each sheet (render --annexe xlsx|csv) and the campaign summary.

The annex holds the figures behind the charts of the sheet: totals and shares, products
and countries (top 10 + "Autres") and the Sankey flows of the department, its region and
France, the balance countries, the years of the evolution and the N / N-1 changes. Values
in euros (exact, as `indicators --json`) and in millions of euros (as printed).

It is a writer of the content model, as layout.py and html.py are: it maps a sheet's
content.SheetContent (its `numbers`, source line and synthetic notice); which areas,
totals and shares a sheet gives is decided there, once.

Formats, and why:
- xlsx (xlsxwriter): a first sheet "À propos" (title, the source line with the edition's
  publication date, the synthetic-data notice when the bundled sample was used, how shares
  and labels read), then one worksheet per table, numbers typed as numbers, French
  headers, an autofilter over each table, the title and source line as its printed page
  header and footer. Shares are fractions (0.0517) shown with a 0.00% format; products
  carry the chart's short label beside the full A129 one. Byte-identical on re-runs: fixed
  document properties (creation date: SOURCE_DATE_EPOCH, else the edition's publication
  date at noon UTC as the PDF's, else 1980-01-01) and xlsxwriter's fixed zip timestamps
  (1980-01-01, whatever the creation date).
- csv: ONE file rather than a zip of files, because a double click opens it in a
  spreadsheet and a zip must be unpacked first. The tables share one set of columns, and
  a "Tableau" column says which chart a row belongs to (a filter gives one table back).
  The "À propos" lines come first, right under the one header row, as rows of that same
  shape (Tableau = "À propos", the text in the next column): any csv reader still reads
  one table, and a spreadsheet user sees the source before the figures. Shares are
  fractions there too, and their headers say so. Written for the French spreadsheet
  locale: ";" between fields, "," as decimal mark, UTF-8 with a byte-order mark (without
  it, Excel reads the accents as Latin-1).
- Both: a text cell that would start a formula (= + - @, tab, CR), from the data or the
  configuration, gets a leading apostrophe (OWASP, CSV injection); numbers stay numbers.

No Polars here: helper processes write annexes and never import it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from . import paths
from .content import TOTAL_FLOWS, AreaNumbers, SheetContent, SheetNumbers, SheetTotals
from .errors import FactsheetsError
from .files import write_atomically
from .model import FLOWS, Change, Evolution, Item
from .numbers import format_spreadsheet_number, rounded_millions

ANNEX_FORMATS = ("xlsx", "csv")
COLUMNS = (
    "table",
    "level",
    "territory",
    "flow",
    "year",
    "rank",
    "product_code",
    "product",
    "product_short",
    "country_code",
    "country",
    "value_eur",
    "value_millions",
    "share_region",
    "share_nation",
)
TABLES = ("totals", "products", "countries", "flows", "balance", "evolution", "changes")
NUMERIC = {"year", "rank", "value_eur", "value_millions", "share_region", "share_nation"}
# Excel number formats: whole euros, millions with one decimal (as printed), shares (stored
# as fractions, 0.0517) shown as percentages.
EXCEL_FORMATS = {"value_eur": "#,##0", "value_millions": "#,##0.0", "share_region": "0.00%", "share_nation": "0.00%"}
# A text cell starting with one of these is a formula to a spreadsheet opening a csv (OWASP
# "CSV injection"): such a text from the data or the configuration gets a leading apostrophe.
FORMULA_STARTS = frozenset("=+-@\t\r")


class Row(NamedTuple):
    table: str
    level: str = ""
    territory: str = ""
    flow: str = ""
    year: int | None = None
    rank: int | None = None
    product_code: str = ""
    product: str = ""
    product_short: str = ""  # the label the charts print (Item.short_label)
    country_code: str = ""
    country: str = ""
    value_eur: float | None = None
    share_region: float | None = None  # fraction (0.0517 for 5.17 %)
    share_nation: float | None = None
    printed_millions: Decimal | None = None  # when the sheet prints other than value_eur rounded

    @property
    def value_millions(self) -> float | None:
        """The value in M€ as the sheet prints it (one decimal, half away from zero)."""
        if self.printed_millions is not None:
            return float(self.printed_millions)
        return None if self.value_eur is None else float(rounded_millions(self.value_eur))

    def get(self, column: str):
        return getattr(self, column)


def annex_path(pdf_path: Path, kind: str) -> Path:
    return Path(pdf_path).with_suffix(f".{kind}")


def _section(texts: dict, key: str) -> dict:
    section = texts.get(key)
    if not isinstance(section, dict):
        texts_file = paths.config_dir() / "texts.yaml"
        raise FactsheetsError(f"{texts_file} : section « {key}: » manquante ; reprenez-la du texts.yaml fourni")
    return section


class Block(NamedTuple):
    """Consecutive rows of one table. `shared` is set when the rows are the same in every
    annex of the run that shows this region (or France): then they are built, and their
    XML written, once per process (see Annexes)."""

    table: str
    rows: list[Row]
    shared: tuple | None = None
    columns: frozenset[str] = frozenset()  # the columns a shared block fills (found once)


class Annexes:
    """The annexes of one run: one set of texts, one format. A writer of the content model:
    each annex writes the numbers of one sheet's content (content.SheetNumbers) and its
    source lines, as they are; which areas, totals and shares a sheet gives is decided there.

    A region's and France's tables (totals, products, countries, Sankey flows, years) are
    the same in the annex of every department they show: a third of the rows, and with the
    flows of the three Sankeys about two thirds of the cells. They are built once per
    process and run and reused, so an annex costs what its department's own rows cost.
    The cache lives as long as this object: a new run (other data) starts a new one.
    """

    def __init__(self, texts: dict, kind: str):
        if kind not in ANNEX_FORMATS:
            raise FactsheetsError(f"format d'annexe inconnu « {kind} » ; utilisez --annexe xlsx ou --annexe csv")
        self.kind = kind
        self.texts = texts
        self.t = _section(texts, "annex")
        self._editions: dict[int, tuple[str | None, dt.datetime]] = {}
        self._blocks: dict[tuple, Block] = {}
        self._xml: dict[tuple, list[str]] = {}  # row templates of shared blocks (see xlsx_bytes)

    # -- rows ---------------------------------------------------------------------------
    def blocks(self, sheet: SheetContent) -> list[Block]:
        """Every row of the annex in blocks, table after table, in the order of the sheet's charts."""
        numbers, year = sheet.numbers, sheet.year
        # Totals and shares (pages 4 to 7), products and countries (treemap cells and Sankey
        # nodes, top 10 + "Autres"), the Sankey ribbons: product -> country (exports), country
        # -> product (imports); each of every area the sheet shows.
        builds: tuple[tuple[str, Callable[[str, AreaNumbers, int], list[Row]]], ...] = (
            ("totals", self._totals),
            ("products", self._items),
            ("countries", self._items),
            ("flows", self._flows),
        )
        blocks = [self._area_block(table, area, year, build) for table, build in builds for area in numbers.areas]
        blocks.append(Block("balance", self._balance(numbers, sheet.department_name, year)))
        if numbers.evolution is not None:
            blocks += [self._area_block("evolution", area, year, self._years) for area in numbers.areas]
            blocks.append(Block("changes", self._changes(numbers.evolution, sheet.department_name, year)))
        return blocks

    def _area_block(self, table: str, area: AreaNumbers, year: int, build: Callable[[str, AreaNumbers, int], list[Row]]) -> Block:
        """The department's rows, or a region's or France's (shared by the run's annexes)."""
        if area.level == "department":
            return Block(table, build(table, area, year))
        key = (table, area.level, area.code, year)
        if key not in self._blocks:
            rows = build(table, area, year)
            self._blocks[key] = Block(table, rows, key, frozenset(_used_columns(rows)))
        return self._blocks[key]

    def _row(self, table: str, level: str, territory: str, flow: str, year: int, **fields: Any) -> Row:
        """A row with the annex's words for the area's level and the flow."""
        return Row(table, self.t["levels"][level], territory, self.t["flows"][flow], year, **fields)

    def _totals(self, table: str, area: AreaNumbers, year: int) -> list[Row]:
        """Exports, imports and balance of the area, with the shares the sheet prints (the department's)."""
        return [
            self._row(
                table,
                area.level,
                area.name,
                total.flow,
                year,
                value_eur=total.value_eur,
                share_region=total.share_region,
                share_nation=total.share_nation,
            )
            for total in area.totals
        ]

    def _items(self, table: str, area: AreaNumbers, year: int) -> list[Row]:
        rows = []
        for flow in FLOWS:
            sankey = area.summary(flow).sankey
            rank = 0
            for item in sankey.products if table == "products" else sankey.countries:
                rank += 0 if item.is_other else 1
                rows.append(
                    self._row(
                        table,
                        area.level,
                        area.name,
                        flow,
                        year,
                        rank=None if item.is_other else rank,
                        value_eur=item.value_eur,
                        **self._item_fields("product" if table == "products" else "country", item),
                    )
                )
        return rows

    def _item_fields(self, kind: str, item: Item | Change) -> dict[str, str]:
        """A product's code, full label and chart label, or a country's code and name; "Autres" has no code."""
        other = isinstance(item, Item) and item.is_other
        code, label, short = ("", self.t["other"], self.t["other"]) if other else (item.code, item.label, item.chart_label)
        if kind == "product":
            return {"product_code": code, "product": label, "product_short": short}
        return {"country_code": code, "country": label}

    def _flows(self, table: str, area: AreaNumbers, year: int) -> list[Row]:
        rows = []
        for flow in FLOWS:
            sankey = area.summary(flow).sankey
            items = {item.code: item for item in (*sankey.left, *sankey.right)}
            for link in sankey.links:
                product, country = (link.source, link.target) if flow == "export" else (link.target, link.source)
                fields = {**self._item_fields("product", items[product]), **self._item_fields("country", items[country])}
                rows.append(self._row(table, area.level, area.name, flow, year, value_eur=link.value_eur, **fields))
        return rows

    def _balance(self, numbers: SheetNumbers, department: str, year: int) -> list[Row]:
        """The balance bars of page 3; in M€ the balance printed there (printed exports minus imports)."""
        return [
            self._row(
                "balance",
                "department",
                department,
                flow,
                year,
                country_code=country.code,
                country=country.name,
                value_eur=value,
                printed_millions=printed,
            )
            for country in numbers.balance_countries
            for flow, value, printed in (
                ("import", country.import_eur, None),
                ("export", country.export_eur, None),
                ("balance", country.balance_eur, country.printed_balance_millions),
            )
        ]

    def _years(self, table: str, area: AreaNumbers, year: int) -> list[Row]:
        return [
            self._row(table, area.level, area.name, flow, totals.year, value_eur=value)
            for totals in area.years
            for flow, value in (("export", totals.exports_eur), ("import", totals.imports_eur), ("balance", totals.balance_eur))
        ]

    def _changes(self, evolution: Evolution, department: str, year: int) -> list[Row]:
        """The N / N-1 tables of the evolution page (none without the year before)."""
        if evolution.previous_year is None:
            return []
        rows = []
        for flow, changes in (("export", evolution.exports), ("import", evolution.imports)):
            for kind, items in (("product", changes.top_products), ("country", changes.top_countries)):
                for rank, item in enumerate(items, start=1):
                    fields = self._item_fields(kind, item)
                    for row_year, value in ((year, item.value_eur), (evolution.previous_year, item.previous_eur)):
                        rows.append(
                            self._row("changes", "department", department, flow, row_year, rank=rank, value_eur=value, **fields)
                        )
        return rows

    # -- where the figures come from ----------------------------------------------------
    def _edition(self, year: int) -> tuple[str | None, dt.datetime]:
        """`year`'s edition: its publication date in French (None without one) and the annex's
        creation date (that date; SOURCE_DATE_EPOCH wins)."""
        if year not in self._editions:
            from .config import edition_of

            day = edition_of(self.texts, year).publication_date
            self._editions[year] = (None if day is None else self._french_date(day), _creation_date(day))
        return self._editions[year]

    def _french_date(self, day: dt.date) -> str:
        """« 1er juillet 2025 », « 14 juillet 2025 »."""
        about = self.t["about"]
        return f"{about['first_day'] if day.day == 1 else day.day} {about['months'][day.month - 1]} {day.year}"

    def about(self, sheet: SheetContent) -> list[str]:
        """The lines that say where the figures come from: title, the sheet's source line and
        edition, its synthetic-data notice when the bundled sample was used, how shares and
        labels read."""
        about = self.t["about"]
        date, _ = self._edition(sheet.year)
        source = sheet.footer_source
        lines = [
            about["title"].format(**sheet.values),
            source if date is None else about["edition"].format(source=source, date=date),
        ]
        if sheet.synthetic_notice is not None:
            lines.append(sheet.synthetic_notice)
        lines += [about["shares_csv" if self.kind == "csv" else "shares"], about["labels"]]
        return lines

    # -- files --------------------------------------------------------------------------
    def content(self, sheet: SheetContent) -> bytes:
        """The annex file's bytes, from the sheet's content (content.build_content)."""
        t = self.t
        headers = t["columns"]
        blocks = self.blocks(sheet)
        about = self.about(sheet)
        if self.kind == "csv":
            # The lines "À propos" first, under the header: one header row keeps the file
            # readable by any csv reader, and a filter on "Tableau" hides them.
            headers = {**headers, **(t.get("csv_columns") or {})}
            padding = [""] * (len(COLUMNS) - 2)
            return csv_bytes(
                [headers[c] for c in COLUMNS],
                [
                    *([t["about"]["table"], line, *padding] for line in about),
                    *(
                        [t["tables"][row.table] if c == "table" else row.get(c) for c in COLUMNS]
                        for block in blocks
                        for row in block.rows
                    ),
                ],
            )
        sheets = []
        for table in TABLES:
            table_blocks = [block for block in blocks if block.table == table and block.rows]
            if not table_blocks:
                continue
            keys = self._table_columns(table_blocks)
            segments = [(block.shared, partial(_cells, block.rows, keys), len(block.rows)) for block in table_blocks]
            sheets.append((t["tables"][table], keys, [headers[k] for k in keys], segments))
        return xlsx_bytes(
            sheets,
            f"{sheet.department_name} ({sheet.year})",
            EXCEL_FORMATS,
            self._xml,
            created=self._edition(sheet.year)[1],
            about=(t["about"]["sheet"], about),
        )

    @staticmethod
    def _table_columns(blocks: list[Block]) -> list[str]:
        """The columns the blocks fill, in COLUMNS order ("table" is the sheet's name in xlsx)."""
        used = set().union(*(block.columns if block.shared is not None else _used_columns(block.rows) for block in blocks))
        return [column for column in COLUMNS[1:] if column in used]

    def write(self, sheet: SheetContent, pdf_path: Path) -> Path:
        """The annex next to the sheet `pdf_path`, written whole or not at all."""
        path = annex_path(pdf_path, self.kind)
        write_atomically(path, self.content(sheet))
        return path


# -- writers --------------------------------------------------------------------------
def _creation_date(day: dt.date | None = None) -> dt.datetime:
    """The xlsx creation date: SOURCE_DATE_EPOCH when set (reproducible builds), else the
    edition's publication date `day` at noon UTC (as the PDF's: the same date in every time
    zone), else 1980-01-01 (the zip epoch)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).replace(tzinfo=None)
    if day is not None:
        return dt.datetime(day.year, day.month, day.day, 12, 0, 0)
    return dt.datetime(1980, 1, 1)


def cell_text(value: str) -> str:
    """`value` as a spreadsheet cell's text: a leading apostrophe when it would start a formula
    (= + - @, tab, CR: OWASP's CSV injection advice). Numbers are never passed here."""
    return "'" + value if value and value[0] in FORMULA_STARTS else value


# A table's rows as (cache key or None, the rows' values, their number): see xlsx_bytes.
Segment = tuple[Any, Callable[[], list[list[Any]]], int]


def _footer_text(text: str) -> str | None:
    """`text` as a page header or footer (left), "&" doubled; None beyond Excel's 255 characters."""
    text = "&L" + text.replace("&", "&&")
    return text if len(text) <= 255 else None


def xlsx_bytes(
    sheets: Iterable[tuple[str, list[str], list[str], list[Segment]]],
    title: str,
    number_formats: dict[str, str],
    templates: dict | None = None,
    created: dt.datetime | None = None,
    about: tuple[str, list[str]] | None = None,
) -> bytes:
    """An .xlsx of (sheet name, column keys, headers, row segments) tables; the same bytes for the same input.

    `number_formats` gives the Excel format of the columns (by key) that have one. Values
    are typed as xlsxwriter's write_row types them: numbers as numbers, text as text, None
    and "" as empty cells; a text that would start a formula gets an apostrophe (cell_text).
    A segment with a key has its rows' XML kept in `templates` under that key (and the
    columns), and reused by the next workbook that has it. Every table has an autofilter
    over its header and rows. `about`: (sheet name, lines) of a first sheet saying where
    the figures come from; its second line (the source) is also each table's printed footer
    and its first line the header. `created`: the document's creation date (the zip
    entries keep xlsxwriter's fixed 1980-01-01).
    """
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    )
    workbook.set_properties({"title": title, "author": "factsheets", "company": "", "created": created or _creation_date()})
    header_format = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top", "bottom": 1})
    formats = {key: workbook.add_format({"num_format": fmt}) for key, fmt in number_formats.items()}
    page_header = page_footer = None
    if about is not None:
        name, lines = about
        # Through the prepared rows too: its text inline as the tables', no shared-strings part.
        sheet = workbook.add_worksheet(name[:31], worksheet_class=_prepared_rows_worksheet())
        sheet.set_column(0, 0, 120)
        sheet.write_string(0, 0, cell_text(lines[0]), workbook.add_format({"bold": True}))
        sheet.add_segments([(None, lambda: [[line] for line in lines[1:]], len(lines) - 1)], [None], ("about",), {})
        page_header = _footer_text(lines[0])
        page_footer = _footer_text(lines[1]) if len(lines) > 1 else None
    for name, keys, headers, segments in sheets:
        sheet = workbook.add_worksheet(name[:31], worksheet_class=_prepared_rows_worksheet())
        sheet.write_row(0, 0, [cell_text(header) for header in headers], header_format)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, sum(segment[2] for segment in segments), len(keys) - 1)
        if page_header:
            sheet.set_header(page_header)
        if page_footer:
            sheet.set_footer(page_footer)
        for column, key in enumerate(keys):
            width = 16 if key in number_formats or key in NUMERIC else 24
            sheet.set_column(column, column, width, formats.get(key))
        sheet.add_segments(segments, [formats.get(key) for key in keys], tuple(keys), templates if templates is not None else {})
    workbook.close()
    return buffer.getvalue()


def load_spreadsheet_writer() -> None:
    """xlsxwriter imported now (~13 ms), for the summary a run writes after its last sheet:
    by the main process while its helpers draw (render.batch), not once they are done and
    only the summary is left to do."""
    _prepared_rows_worksheet()


_WORKSHEET_CLASS = None
_ROW = "\0"  # stands for the row number in a row's XML template (never in the text: see _escape_control_characters)


def _prepared_rows_worksheet():
    """xlsxwriter's Worksheet, writing the data rows below the header straight to XML.

    Why: xlsxwriter spends ~5 µs a cell (typing each value, a cell object, a shared string,
    then the XML), which made the annex cost half a sheet; here a cell is one f-string,
    and the rows of a region or of France are formatted once per run. The XML is the one
    xlsxwriter itself writes in its constant_memory mode: the same cell references, the
    column's number format as the cell's style, text as inline strings escaped by
    xlsxwriter's own functions. tests/test_annex.py reads both routes back and compares
    them cell by cell. Built on first use: processes that write no spreadsheet never
    import xlsxwriter.
    """
    global _WORKSHEET_CLASS
    if _WORKSHEET_CLASS is not None:
        return _WORKSHEET_CLASS
    import math

    from xlsxwriter.utility import xl_col_to_name
    from xlsxwriter.worksheet import Worksheet

    class PreparedRowsWorksheet(Worksheet):
        def add_segments(self, segments: list[Segment], column_formats: list, keys: tuple, templates: dict) -> None:
            """Rows written under the header (row 2 on), each value in the column of its position."""
            self._segments, self._column_formats, self._keys, self._templates = segments, column_formats, keys, templates
            self._data_rows: list[str] | None = None

        def _rows_xml(self) -> list[str]:
            """Each data row's XML, its row number left as _ROW. Made while the workbook closes,
            when the formats' style indexes are known, and asked twice (dimension, then rows)."""
            if getattr(self, "_data_rows", None) is None:
                self._data_rows = [
                    template for segment in getattr(self, "_segments", ()) for template in self._row_templates(*segment)
                ]
            return self._data_rows

        def _write_dimension(self) -> None:
            if self._rows_xml():
                self._check_dimensions(len(self._rows_xml()), 0)
            super()._write_dimension()

        def _write_rows(self) -> None:
            super()._write_rows()  # the header, written through xlsxwriter's API
            self.fh.write(
                "".join(template.replace(_ROW, str(number)) for number, template in enumerate(self._rows_xml(), start=2))
            )

        def _row_templates(self, key, values: Callable[[], list[list[Any]]], count: int = 0) -> list[str]:
            styles = tuple(None if fmt is None else fmt._get_xf_index() for fmt in self._column_formats)
            cache_key = None if key is None else (key, self._keys, styles)
            if cache_key is not None and cache_key in self._templates:
                return self._templates[cache_key]
            columns = [
                (f"{xl_col_to_name(column)}{_ROW}", "" if style is None else f' s="{style}"')
                for column, style in enumerate(styles)
            ]
            texts: dict[str, str] = self._templates.setdefault("texts", {})  # each text's cell tail, escaped once
            isfinite = math.isfinite
            result = []
            for row in values():
                cells = [f'<row r="{_ROW}">']
                for (reference, style), value in zip(columns, row):
                    if value is None or value == "":
                        continue
                    if isinstance(value, str):
                        tail = texts.get(value)
                        if tail is None:
                            text = cell_text(value)
                            escaped = self._escape_data(self._escape_control_characters(text))
                            space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
                            tail = texts[value] = f' t="inlineStr"><is><t{space}>{escaped}</t></is></c>'
                        cells.append(f'<c r="{reference}"{style}{tail}')
                    elif isfinite(value):
                        cells.append(f'<c r="{reference}"{style}><v>{value:.16G}</v></c>')
                    else:
                        raise FactsheetsError(f"valeur non finie ({value}) dans un tableau de l'annexe")
                cells.append("</row>")
                result.append("".join(cells))
            if cache_key is not None:
                self._templates[cache_key] = result
            return result

    _WORKSHEET_CLASS = PreparedRowsWorksheet
    return _WORKSHEET_CLASS


def csv_bytes(headers: list[str], rows: Iterable[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([cell_text(header) for header in headers])
    for row in rows:
        writer.writerow(
            [
                "" if value is None else format_spreadsheet_number(value) if isinstance(value, (int, float)) else cell_text(value)
                for value in row
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


_FIELD_INDEX = {name: index for index, name in enumerate(Row._fields)}  # value_millions: computed


def _used_columns(rows: list[Row]) -> set[str]:
    """The columns that rows fill. Millions are filled exactly where euros are (one is computed from the other)."""
    used = {name for name, index in _FIELD_INDEX.items() if any(row[index] not in (None, "") for row in rows)}
    if "value_eur" in used:
        used.add("value_millions")
    return used


def _cells(rows: list[Row], keys: list[str]) -> list[list[Any]]:
    """The rows' values in the columns `keys` (fields by position: ~4 000 cells an annex)."""
    positions = [_FIELD_INDEX.get(key) for key in keys]
    return [[row.value_millions if position is None else row[position] for position in positions] for row in rows]


# -- campaign summary -----------------------------------------------------------------
SUMMARY_COLUMNS = (
    "code",
    "name",
    "region",
    "exports",
    "imports",
    "balance",
    "export_share_region",
    "export_share_nation",
    "import_share_region",
    "import_share_nation",
    "file",
    "sha256",
    "status",
)
SUMMARY_FORMATS = {
    "exports": "#,##0",
    "imports": "#,##0",
    "balance": "#,##0",
    "export_share_region": "0.00",
    "export_share_nation": "0.00",
    "import_share_region": "0.00",
    "import_share_nation": "0.00",
}


def _percent(fraction: float | None) -> float | None:
    """A share in percent; None (an empty cell) where the sheet prints none (content.sheet_numbers)."""
    return None if fraction is None else fraction * 100


def _totals_cells(sheet: SheetTotals | None) -> list[Any]:
    """The name, region, totals and shares of a row, as the department's sheet prints them;
    empty cells for a department without figures (no data in the year)."""
    if sheet is None:
        return ["", "", None, None, None, None, None, None, None]
    exports, imports, balance = (sheet.total(flow) for flow in TOTAL_FLOWS)
    return [
        sheet.name,
        sheet.region,
        exports.value_eur,
        imports.value_eur,
        balance.value_eur,
        _percent(exports.share_region),
        _percent(exports.share_nation),
        _percent(imports.share_region),
        _percent(imports.share_nation),
    ]


def summary_rows(report, texts: dict) -> Iterator[list[Any]]:
    """One row per requested department, in the order asked, failures included: the totals
    of `report.totals` (each sheet's, content.sheet_totals), the file, its SHA-256 (as the
    process that wrote it hashed its bytes) and its status."""
    t = _section(texts, "summary")
    for code in report.codes:
        path = report.written.get(code)
        status = t["written"] if path is not None else t["failed"].format(message=report.failures.get(code, ""))
        yield [
            code,
            *_totals_cells(report.totals.get(code)),
            path.name if path is not None else "",
            report.digests[code] if path is not None else "",
            status,
        ]


def summary_paths(out_dir: Path, year: int) -> list[Path]:
    return [Path(out_dir) / f"synthese-{year}.{kind}" for kind in ("csv", "xlsx")]


def write_summary(report, texts: dict, out_dir: Path) -> list[Path]:
    """synthese-{year}.csv and .xlsx in `out_dir`, each written whole or not at all."""
    t = _section(texts, "summary")
    headers = [t["columns"][key] for key in SUMMARY_COLUMNS]
    rows = list(summary_rows(report, texts))
    csv_path, xlsx_path = summary_paths(out_dir, report.year)
    write_atomically(csv_path, csv_bytes(headers, rows))
    from .config import edition_of

    created = _creation_date(edition_of(texts, report.year).publication_date)
    write_atomically(
        xlsx_path,
        xlsx_bytes(
            [(t["sheet"], list(SUMMARY_COLUMNS), headers, [(None, lambda: rows, len(rows))])],
            f"{t['sheet']} {report.year}",
            SUMMARY_FORMATS,
            created=created,
        ),
    )
    return [csv_path, xlsx_path]
