"""What one sheet says, as one frozen description: the model every writer maps.

`build_content` turns one department's indicators, its charts (already drawn as marks or
drawings) and the edition's texts into pages of headings, paragraphs, lists, figures (a
chart with its title, alternative text and the table of figures behind it), totals and
tables, every text filled and every number formatted, and the figures behind the charts as
numbers (`SheetNumbers`). The writers (factsheets.html for the web page, factsheets.layout
for the PDF, factsheets.annex for the data annex, and for the campaign summary the
department's totals as `SheetTotals`) only map these to their own format: what the sheet
says, and which content rules apply, is decided here once.

Content rules that live here:
- a single-department region (971-976) has no share of the region and no region chart
  (nor region figures in the annex, nor a share of the region in the summary); an area
  the data does not cover has no share or chart;
- no Territoires d'industrie block without a configured list;
- a link without a configured address is left out with the paragraph introducing it, and
  no address is linked twice;
- the evolution page only when its chart was drawn.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from . import alt_texts
from .charts.registry import AREA_LEVELS, CHART_KEYS, area_flows, area_shown
from .model import BalanceCountry, Change, DepartmentIndicators, Evolution, Flow, FlowSummary, Level, Sankey, YearTotals
from .numbers import format_change, format_millions, format_rounded_millions, format_share_of_nation, format_share_of_region
from .totals import TOTAL_FLOWS, SheetTotals, Total, TotalFlow

TextRole = Literal["body", "total", "share", "reading_key", "subtitle", "intro"]


class Span(NamedTuple):
    """A run of text: plain, bold, or a link (`url`)."""

    text: str
    bold: bool = False
    url: str | None = None


class Heading(NamedTuple):
    level: int  # 1: the sheet's title; 2: a page's heading; 3: a heading within a page
    spans: tuple[Span, ...]

    @property
    def text(self) -> str:
        return plain(self.spans)


class Paragraph(NamedTuple):
    spans: tuple[Span, ...]
    role: TextRole = "body"

    @property
    def text(self) -> str:
        return plain(self.spans)


class BulletList(NamedTuple):
    items: tuple[tuple[Span, ...], ...]


class DataTable(NamedTuple):
    """A table of figures: a caption, one header row, body rows of formatted text.

    `numeric[i]` says column i holds numbers (aligned on the decimal mark by writers); the
    first column of each row names it (a row header)."""

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]


# Figure and SheetContent stay dataclasses: a figure's chart and a sheet's numbers are not
# part of their equality (pdf_replay keys a page by its content, its charts apart); the other
# records are named tuples, cheaper to create (at import, and by the thousand per sheet).
@dataclass(frozen=True)
class Figure:
    """A chart: `key` names it in the chart registry (charts.registry), `chart` is what the
    charts stage drew (a charts.registry.Chart), `alt` says in words what it shows with its main
    figures, `table` holds the figures behind it; `at_height`, when given, draws the chart
    again at another height (a writer with less room than `chart` needs)."""

    key: str
    title: tuple[Span, ...] | None
    chart: Any = field(compare=False)
    alt: str
    table: DataTable
    at_height: Callable[[float], Any] | None = field(default=None, compare=False)


class Page(NamedTuple):
    key: str  # cover, context, balance, exports, exports_comparison, imports, ...
    bookmark: str  # the outline entry of the page's section
    blocks: tuple[Heading | Paragraph | BulletList | Figure | DataTable, ...]


class AreaNumbers(NamedTuple):
    """An area whose charts the sheet shows, as numbers: its flows (the Sankeys' nodes and
    ribbons, the treemap's cells), its totals, and its years (the evolution series; empty
    when the data was read for the sheet's year only)."""

    level: Level
    code: str
    name: str
    exports: FlowSummary
    imports: FlowSummary
    totals: tuple[Total, ...]  # in TOTAL_FLOWS order
    years: tuple[YearTotals, ...]

    def summary(self, flow: Flow) -> FlowSummary:
        return self.exports if flow == "export" else self.imports

    def total(self, flow: TotalFlow) -> Total:
        return self.totals[TOTAL_FLOWS.index(flow)]


class SheetNumbers(NamedTuple):
    """The figures behind the sheet's charts, as numbers: the pages' tables and totals print
    them formatted, the annex writes them as they are. `areas`: the department, then its
    region and France when the sheet shows them (charts.registry.area_shown)."""

    areas: tuple[AreaNumbers, ...]
    balance_countries: tuple[BalanceCountry, ...]
    evolution: Evolution | None  # its N / N-1 changes; the series are the areas' `years`

    @property
    def department(self) -> AreaNumbers:
        return self.areas[0]

    def area(self, level: Level) -> AreaNumbers | None:
        return next((area for area in self.areas if area.level == level), None)


@dataclass(frozen=True)
class SheetContent:
    title: str  # the document's title (PDF metadata, HTML <title>)
    subject: str
    department_code: str
    department_name: str
    year: int
    pages: tuple[Page, ...]
    footer_source: str
    footer_page: str  # the page number's text, "{page}" standing for the number
    synthetic_notice: str | None  # printed on every page when the bundled sample was used
    numbers: SheetNumbers = field(compare=False)
    values: Mapping[str, Any] = field(compare=False)  # the texts' placeholders, as the sheet fills them

    def figures(self) -> list[Figure]:
        return [block for page in self.pages for block in page.blocks if isinstance(block, Figure)]


def plain(spans: Sequence[Span]) -> str:
    return "".join(span.text for span in spans)


_TAG = re.compile(r"(</?b>)")


def parse_markup(markup: str) -> tuple[Span, ...]:
    """The texts' markup (`<b>…</b>`, entities such as `&amp;`) as spans of plain text."""
    spans: list[Span] = []
    bold = False
    for part in _TAG.split(markup):
        if part == "<b>":
            bold = True
        elif part == "</b>":
            bold = False
        elif part:
            text = html.unescape(part)
            if spans and spans[-1].bold == bold and spans[-1].url is None:
                spans[-1] = Span(spans[-1].text + text, bold)
            else:
                spans.append(Span(text, bold))
    return tuple(spans)


class _Filler:
    """Fills the texts' templates with the sheet's values (escaped, since templates are markup)."""

    def __init__(self, ind: DepartmentIndicators):
        self.values = {
            "department": ind.department.name,
            "code": ind.department.code,
            "region": ind.region.name,
            "year": ind.year,
            "next_year": ind.year + 1,
            "de_department": ind.department_after_de,  # "de l'Aisne", "du Nord" (COG article)
        }

    def markup(self, template: str, **extra: Any) -> str:
        values = {key: html.escape(str(value), quote=False) for key, value in {**self.values, **extra}.items()}
        return template.format(**values)

    def spans(self, template: str, **extra: Any) -> tuple[Span, ...]:
        return parse_markup(self.markup(template, **extra))

    def text(self, template: str, **extra: Any) -> str:
        return plain(self.spans(template, **extra))


EVOLUTION_TOP_ROWS = 5  # products and countries in each N / N-1 table of the evolution page


def change_text(change: Change, new_word: str) -> str:
    """ "+3.2%", or the word for "new" when the year before had nothing to compare with."""
    ratio = change.change_ratio
    return new_word if ratio is None else format_change(ratio)


def evolution_values(evolution: Evolution, texts: dict) -> dict[str, str]:
    """The placeholders of the evolution page's texts (years, totals and their changes)."""
    first, last = evolution.years[0], evolution.years[-1]
    values = {"first_year": str(first), "previous_year": str(evolution.previous_year or last)}
    if evolution.exports is not None and evolution.imports is not None and evolution.balance is not None:
        new = texts["new"]
        values.update(
            exports=format_millions(evolution.exports.total.value_eur),
            imports=format_millions(evolution.imports.total.value_eur),
            exports_change=change_text(evolution.exports.total, new),
            imports_change=change_text(evolution.imports.total, new),
            balance=format_millions(evolution.balance.value_eur),
            balance_previous=format_millions(evolution.balance.previous_eur),
        )
    return values


def _millions_column(values: Sequence[float]) -> list[str]:
    return [format_millions(value, in_table=True) for value in values]


@functools.lru_cache(maxsize=64)  # a region's and France's tables serve every sheet of the run
def _sankey_table(caption: str, sankey: Sankey, left_header: str, right_header: str, value_header: str) -> DataTable:
    names = {item.code: item.chart_label for item in (*sankey.left, *sankey.right)}
    rows = tuple(
        (names[link.source], names[link.target], format_millions(link.value_eur, in_table=True)) for link in sankey.links
    )
    return DataTable(caption, (left_header, right_header, value_header), rows, (False, False, True))


def sheet_numbers(ind: DepartmentIndicators) -> SheetNumbers:
    """The figures behind the sheet's charts, of the areas it shows; the department's totals
    carry its shares (none of a region it is alone in, none of an area the data does not cover)."""
    evolution = ind.evolution
    areas = []
    for level in AREA_LEVELS:
        if not area_shown(ind, level):
            continue
        flows = area_flows(ind, level)
        exports, imports = flows.exports.total_eur, flows.imports.total_eur
        if level == "department":  # a department alone in its region is not a share of it
            flow_totals = tuple(
                Total(flow, shares.total_eur, shares.share_of_region if ind.shows_region else None, shares.share_of_nation)
                for flow, shares in (("export", ind.export_shares), ("import", ind.import_shares))
            )
        else:
            flow_totals = (Total("export", exports), Total("import", imports))
        years = () if evolution is None else getattr(evolution, level)  # Evolution's series are named by level
        areas.append(
            AreaNumbers(
                level,
                flows.territory.code,
                flows.territory.name,
                flows.exports,
                flows.imports,
                (*flow_totals, Total("balance", exports - imports)),
                years,
            )
        )
    return SheetNumbers(tuple(areas), ind.balance_countries, evolution)


def sheet_totals(ind: DepartmentIndicators, numbers: SheetNumbers) -> SheetTotals:
    """The totals of the sheet whose figures are `numbers` (sheet_numbers(ind))."""
    return SheetTotals(ind.department.code, ind.department.name, ind.region.name, numbers.department.totals)


class _Builder:
    def __init__(self, ind: DepartmentIndicators, charts, texts: dict[str, Any], synthetic: bool):
        self.ind = ind
        self.numbers = sheet_numbers(ind)
        self.charts = charts
        self.texts = texts
        self.synthetic = synthetic
        self.fill = _Filler(ind)
        self.figure_texts = texts["figures"]
        self.alt = texts["accessibility"]  # the charts' alternative texts: the tagged PDF's own

    # -- blocks ---------------------------------------------------------------------------
    def heading(self, level: int, template: str, **extra) -> Heading:
        return Heading(level, self.fill.spans(template, **extra))

    def para(self, template: str, role: TextRole = "body", **extra) -> Paragraph:
        return Paragraph(self.fill.spans(template, **extra), role)

    def bullets(self, templates: Sequence[str]) -> BulletList:
        return BulletList(tuple(self.fill.spans(template) for template in templates))

    def sankey_figure(
        self, key: str, summary: FlowSummary, title: tuple[Span, ...] | None, area: str, alt_area: str | None = None
    ) -> Figure:
        """`area` names the area in the table's caption, `alt_area` (default: the same) in the alternative text."""
        t = self.figure_texts
        exports = summary.flow == "export"
        left, right = (t["product"], t["country"]) if exports else (t["country"], t["product"])
        alt = alt_texts.sankey_alt(summary, alt_area or area, self.alt, self.fill.values)
        caption = self.fill.text(t["sankey_table"], area=area, flow=t["exports" if exports else "imports"])
        table = _sankey_table(caption, summary.sankey, left, right, t["value"])
        return Figure(key, title, self.charts[key], alt, table)

    def totals(self, section: dict[str, Any], total: Total) -> list[Paragraph]:
        """The total's line, then its shares where the numbers have them (sheet_numbers)."""
        blocks = [self.para(section["total"], "total", total=format_millions(total.value_eur))]
        if total.share_region is not None:
            blocks.append(self.para(section["share_region"], "share", share_region=format_share_of_region(total.share_region)))
        if total.share_nation is not None:
            blocks.append(self.para(section["share_nation"], "share", share_nation=format_share_of_nation(total.share_nation)))
        return blocks

    # -- pages ----------------------------------------------------------------------------
    def cover(self) -> Page:
        t = self.texts["cover"]
        blocks: list = [
            self.heading(1, t["title"]),
            self.para(t["subtitle"], "subtitle"),
            self.heading(2, t["introduction_heading"]),
            *[self.para(p) for p in t["introduction"]],
        ]
        territoires = list(self.ind.territoires_industrie)
        if territoires:  # no list configured: no block at all (never a placeholder)
            blocks += [self.heading(2, t["territoires_heading"]), BulletList(tuple((Span(name),) for name in territoires))]
        return Page("cover", self.fill.text(t["introduction_heading"]), tuple(blocks))

    def context(self) -> Page:
        t = self.texts["context"]
        return Page(
            "context",
            self.fill.text(t["heading"]),
            (
                self.heading(2, t["heading"]),
                self.heading(3, t["context_heading"]),
                *[self.para(p) for p in t["context"]],
                self.heading(3, t["method_heading"]),
                self.para(t["method_intro"]),
                self.bullets(t["method_bullets"]),
                self.para(t["method_source"]),
            ),
        )

    def balance(self) -> Page:
        t, f = self.texts["balance"], self.figure_texts
        ind = self.ind
        countries = self.numbers.balance_countries
        rows = tuple(
            (
                c.name,
                format_millions(c.import_eur, in_table=True),
                format_millions(c.export_eur, in_table=True),
                format_rounded_millions(c.printed_balance_millions, in_table=True),
            )
            for c in countries
        )
        balance_figure = Figure(
            "balance",
            self.fill.spans(t["chart_title"]),
            self.charts["balance"],
            alt_texts.balance_alt(ind, self.alt, self.fill.values),
            DataTable(
                self.fill.text(f["balance_table"]),
                (f["country"], f["imports_m"], f["exports_m"], f["balance_m"]),
                rows,
                (False, True, True, True),
            ),
        )
        local = self.numbers.department
        treemap_rows = []
        for summary, flow_word in ((local.imports, f["imports"]), (local.exports, f["exports"])):
            for item in summary.products_with_other:
                share = item.value_eur / summary.total_eur if summary.total_eur else 0.0
                treemap_rows.append(
                    (
                        item.chart_label,
                        flow_word,
                        format_millions(item.value_eur, in_table=True),
                        format_share_of_region(share),
                    )
                )
        treemap_figure = Figure(
            "treemap",
            self.fill.spans(t["treemap_title"]),
            self.charts["treemap"],
            alt_texts.treemap_alt(ind, self.alt, self.fill.values),
            DataTable(
                self.fill.text(f["treemap_table"]),
                (f["product"], f["flow"], f["value"], f["share"]),
                tuple(treemap_rows),
                (False, False, True, True),
            ),
            self.charts.treemap_at_height,
        )
        return Page(
            "balance",
            self.fill.text(t["heading"]),
            (
                self.heading(2, t["heading"]),
                self.para(t["intro"]),
                balance_figure,
                self.para(t["reading_key"], "reading_key"),
                self.para(t["treemap_intro"]),
                treemap_figure,
            ),
        )

    def flow_pages(self, key: str) -> list[Page]:
        t = self.texts[key]
        flow: Flow = "export" if key == "exports" else "import"
        department = self.numbers.department
        chart_key = f"{flow}_sankey"
        department_page = Page(
            key,
            self.fill.text(t["heading"]),
            (
                self.heading(2, t["heading"]),
                self.para(t["intro"]),
                self.sankey_figure(chart_key, department.summary(flow), self.fill.spans(t["chart_title"]), department.name),
                *self.totals(t, department.total(flow)),
                self.para(t["reading"]),
            ),
        )
        # Only the areas the sheet shows (sheet_numbers): never a region of one department,
        # never an area the data does not cover (coverage.py).
        region, nation = self.numbers.area("region"), self.numbers.area("nation")
        with_region, with_nation = region is not None, nation is not None
        if not with_region and not with_nation:
            return [department_page]
        if not with_nation:
            comparison = self.texts["partial_coverage"][f"{key}_comparison"]
        elif not with_region:
            comparison = self.texts["single_department_region"][f"{key}_comparison"]
        else:
            comparison = t["comparison"]
        blocks: list = [self.para(comparison)]
        if region is not None:
            blocks += [
                self.heading(3, t["region_title"]),
                self.sankey_figure(f"region_{chart_key}", region.summary(flow), None, region.name),
                *self.totals({"total": t["total"]}, region.total(flow)),
            ]
        if nation is not None:
            blocks += [
                self.heading(3, t["nation_title"]),
                self.sankey_figure(
                    f"nation_{chart_key}", nation.summary(flow), None, self.figure_texts["nation"], self.alt["france"]
                ),
                *self.totals({"total": t["total"]}, nation.total(flow)),
            ]
        return [department_page, Page(f"{key}_comparison", self.fill.text(t["heading"]), tuple(blocks))]

    def evolution(self) -> list[Page]:
        evolution = self.numbers.evolution
        if self.charts["evolution"] is None or evolution is None:
            return []
        t = self.texts["evolution"]
        values = evolution_values(evolution, t)
        years_table = DataTable(
            self.fill.text(t["chart_title"], **values),
            (t["years_header"], *(str(year) for year in evolution.years)),
            tuple(
                (label, *_millions_column([pick(row) for row in self.numbers.department.years]))
                for label, pick in zip(
                    t["years_rows"], (lambda r: r.exports_eur, lambda r: r.imports_eur, lambda r: r.balance_eur)
                )
            ),
            (False, *([True] * len(evolution.years))),
        )
        figure = Figure(
            "evolution",
            self.fill.spans(t["chart_title"], **values),
            self.charts["evolution"],
            alt_texts.evolution_alt(self.ind, self.alt, self.fill.values),
            years_table,
        )
        blocks: list = [
            self.heading(2, t["heading"]),
            self.para(t["intro"] if evolution.previous_year is not None else t["intro_without_previous"], **values),
            figure,
        ]
        if evolution.previous_year is not None:
            blocks.append(self.para(t["summary"], **values))
            value_header = [self.fill.text(t["value_header"], year=y) for y in (self.ind.year, evolution.previous_year)]
            for title_key, label_key, items in (
                ("products_title", "product_header", evolution.exports.top_products),
                ("countries_title", "country_header", evolution.imports.top_countries),
            ):
                title = self.fill.text(t[title_key], **values)
                rows = tuple(
                    (
                        item.chart_label,
                        format_millions(item.value_eur, in_table=True),
                        format_millions(item.previous_eur, in_table=True),
                        change_text(item, t["new"]),
                    )
                    for item in items[:EVOLUTION_TOP_ROWS]
                )
                blocks += [
                    Heading(3, (Span(title),)),
                    DataTable(title, (t[label_key], *value_header, t["change_header"]), rows, (False, True, True, True)),
                ]
        return [Page("evolution", self.fill.text(t["heading"]), tuple(blocks))]

    def practical(self) -> Page:
        t = self.texts["practical"]
        blocks: list = [self.heading(2, t["heading"])]
        shown: set[str] = set()
        for block in t["blocks"]:
            if "paragraph" in block:
                email = block.get("email")
                markup = self.fill.markup(block["paragraph"], email="\x00")
                before, _, after = markup.partition("\x00")
                spans = list(parse_markup(before))
                if email and "\x00" in markup:
                    spans.append(Span(email, url=f"mailto:{email}"))
                spans += parse_markup(after)
                blocks.append(Paragraph(tuple(spans)))
            elif "link" in block:
                link = block["link"]
                if _new_address(link.get("url"), shown):  # printed with its address or not at all
                    if link.get("paragraph"):
                        blocks.append(self.para(link["paragraph"]))
                    blocks.append(BulletList(((Span(link["text"], url=link["url"]),),)))
        further = self.texts["further"]
        items = tuple(
            (Span(item["prefix"]), Span(item["url"], url=item["url"]))
            for item in further["links"]
            if _new_address(item.get("url"), shown)
        )
        if items:
            blocks += [self.heading(3, further["heading"]), BulletList(items)]
        return Page("practical", self.fill.text(t["heading"]), tuple(blocks))

    def build(self) -> SheetContent:
        metadata, footer = self.texts["metadata"], self.texts["footer"]
        pages = [
            self.cover(),
            self.context(),
            self.balance(),
            *self.flow_pages("exports"),
            *self.flow_pages("imports"),
            *self.evolution(),
            self.practical(),
        ]
        return SheetContent(
            title=self.fill.text(metadata["title"]),
            subject=self.fill.text(metadata["subject"]),
            department_code=self.ind.department.code,
            department_name=self.ind.department.name,
            year=self.ind.year,
            pages=tuple(pages),
            footer_source=footer["source"].format(**self.fill.values),
            footer_page=footer["page"].format(**{**self.fill.values, "page": "{page}"}),
            synthetic_notice=footer["synthetic"].format(**self.fill.values) if self.synthetic else None,
            numbers=self.numbers,
            values=MappingProxyType(self.fill.values),
        )


def _new_address(url: str | None, shown: set[str]) -> bool:
    """A link is printed only with a configured address, and never twice to the same one."""
    if not url or url in shown:
        return False
    shown.add(url)
    return True


def build_content(ind: DepartmentIndicators, charts, texts: dict[str, Any], synthetic: bool = False) -> SheetContent:
    """The whole sheet as content: pages of blocks, every text filled, every number formatted.
    `charts` carries the drawn charts by key (charts.registry.SheetCharts)."""
    return _Builder(ind, charts, texts, synthetic).build()


__all__ = [
    "CHART_KEYS",
    "AreaNumbers",
    "BulletList",
    "DataTable",
    "Figure",
    "Heading",
    "Page",
    "Paragraph",
    "SheetContent",
    "SheetNumbers",
    "SheetTotals",
    "Span",
    "TOTAL_FLOWS",
    "Total",
    "TotalFlow",
    "build_content",
    "parse_markup",
    "plain",
    "sheet_numbers",
    "sheet_totals",
]
