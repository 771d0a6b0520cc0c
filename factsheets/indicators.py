"""The indicators: from a validated trade frame to one DepartmentIndicators per sheet.

All arithmetic is Polars expressions over every area at once (departments, regions and the
nation are three "levels" of the same computation); Python only turns the small aggregated
frames into the model objects.

Ranking rule everywhere: value descending, then code ascending (spec section 4).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import polars as pl

from .config import Settings
from .coverage import Coverage
from .model import (
    NATION_CODE,
    OTHER_CODE,
    OTHER_LABEL,
    AreaFlows,
    BalanceCountry,
    Change,
    DepartmentIndicators,
    Evolution,
    FlowChanges,
    FlowSummary,
    Item,
    Link,
    Sankey,
    Shares,
    Territory,
    YearTotals,
)
from .reference import Reference
from .validate import FLOWS

NATION_NAME = "France entière"
GROUP = ["level", "area", "flow"]


@dataclass(frozen=True)
class TopSizes:
    """How many products and countries are named (settings.yaml `indicators`)."""

    products: int
    countries: int
    balance: int

    @classmethod
    def from_settings(cls, settings: Settings) -> TopSizes:
        section = settings.indicators
        return cls(products=section.top_products, countries=section.top_countries, balance=section.balance_top)


def _by_level(trade: pl.LazyFrame, reference: Reference, departments: Iterable[str] | None) -> pl.LazyFrame:
    """The year's rows three times: per department, per region, and for the nation.

    The nation counts every row (unallocated trade included); regions count only the rows of
    their departments.
    """
    region_of = reference.departments.lazy().select(department="code", region="region")
    allocated = trade.join(region_of, on="department", how="inner")
    local = allocated if departments is None else allocated.filter(pl.col("department").is_in(list(departments)))
    regions = (
        None
        if departments is None
        else (reference.departments.filter(pl.col("code").is_in(list(departments)))["region"].unique().to_list())
    )
    region_rows = allocated if regions is None else allocated.filter(pl.col("region").is_in(regions))
    columns = ["level", "area", "flow", "product", "country", "value_eur"]
    return pl.concat(
        [
            local.with_columns(level=pl.lit("department"), area=pl.col("department")).select(columns),
            region_rows.with_columns(level=pl.lit("region"), area=pl.col("region")).select(columns),
            trade.with_columns(level=pl.lit("nation"), area=pl.lit(NATION_CODE)).select(columns),
        ]
    )


def _ranked(rows: pl.LazyFrame, key: str) -> pl.LazyFrame:
    """Per level, area and flow: the totals of `key` with their rank (0 = largest)."""
    return (
        rows.group_by(*GROUP, key)
        .agg(value_eur=pl.col("value_eur").sum())
        .sort([*GROUP, "value_eur", key], descending=[False, False, False, True, False])
        .with_columns(rank=pl.int_range(pl.len(), dtype=pl.UInt32).over(GROUP))
    )


@dataclass(frozen=True)
class _Aggregates:
    products: pl.DataFrame  # level, area, flow, product, value_eur, rank
    countries: pl.DataFrame  # level, area, flow, country, value_eur, rank
    links: pl.DataFrame  # level, area, flow, product_node, country_node, value_eur
    totals: pl.DataFrame  # level, area, flow, value_eur


def _aggregate(rows: pl.LazyFrame, sizes: TopSizes) -> _Aggregates:
    # The three levels' rows are materialised once: every query below reads them, and
    # Polars runs a cached lazy concat several times slower than a plain frame.
    rows = rows.collect().lazy()
    products = _ranked(rows, "product")
    countries = _ranked(rows, "country")
    # Each row's Sankey nodes: its product and country when in the area's top, else "Autres"
    # (left joins on the small top tables, cheaper than joining every rank).
    top_products = products.filter(pl.col("rank") < sizes.products).select(*GROUP, "product", product_node="product")
    top_countries = countries.filter(pl.col("rank") < sizes.countries).select(*GROUP, "country", country_node="country")
    links = (
        rows.join(top_products, on=[*GROUP, "product"], how="left")
        .join(top_countries, on=[*GROUP, "country"], how="left")
        .with_columns(pl.col("product_node", "country_node").fill_null(OTHER_CODE))
        .group_by(*GROUP, "product_node", "country_node")
        .agg(value_eur=pl.col("value_eur").sum())
        .filter(pl.col("value_eur") > 0)
        .sort([*GROUP, "value_eur", "product_node", "country_node"], descending=[False, False, False, True, False, False])
    )
    totals = rows.group_by(GROUP).agg(value_eur=pl.col("value_eur").sum())
    collected = pl.collect_all([products, countries, links, totals])
    return _Aggregates(*collected)


class _Labels:
    """The few named items of a sheet, "Autres" included, labelled from the reference."""

    def __init__(self, reference: Reference):
        self.reference = reference

    def product(self, code: str, value: float) -> Item:
        if code == OTHER_CODE:
            return Item(OTHER_CODE, OTHER_LABEL, OTHER_LABEL, value)
        label, short = self.reference.product_labels(code)
        return Item(code, label, short, value)

    def country(self, code: str, value: float) -> Item:
        if code == OTHER_CODE:
            return Item(OTHER_CODE, OTHER_LABEL, OTHER_LABEL, value)
        name = self.reference.country_name(code)
        return Item(code, name, name, value)


def _group_rows(frame: pl.DataFrame, columns: list[str]) -> dict[tuple, list[tuple]]:
    """The `columns` of each row (plain tuples, cheaper than named rows), grouped by GROUP,
    in the frame's order (the rank order)."""
    groups: dict[tuple, list[tuple]] = {}
    for level, area, flow, *values in frame.select(*GROUP, *columns).iter_rows():
        groups.setdefault((level, area, flow), []).append(values)
    return groups


def _flow_summaries(aggregates: _Aggregates, sizes: TopSizes, labels: _Labels) -> dict[tuple[str, str, str], FlowSummary]:
    """FlowSummary per (level, area, flow) present in the data."""
    top_products = _group_rows(aggregates.products.filter(pl.col("rank") < sizes.products), ["product", "value_eur"])
    top_countries = _group_rows(aggregates.countries.filter(pl.col("rank") < sizes.countries), ["country", "value_eur"])
    links = _group_rows(aggregates.links, ["product_node", "country_node", "value_eur"])
    summaries = {}
    for level, area, flow, total in aggregates.totals.iter_rows():
        key = (level, area, flow)
        products = tuple(labels.product(code, value) for code, value in top_products.get(key, []))
        countries = tuple(labels.country(code, value) for code, value in top_countries.get(key, []))
        flow_links = links.get(key, [])
        other_products = sum(value for product, _, value in flow_links if product == OTHER_CODE)
        other_countries = sum(value for _, country, value in flow_links if country == OTHER_CODE)
        product_nodes = products + ((labels.product(OTHER_CODE, other_products),) if other_products > 0 else ())
        country_nodes = countries + ((labels.country(OTHER_CODE, other_countries),) if other_countries > 0 else ())
        if flow == "export":
            left, right = product_nodes, country_nodes
            sankey_links = tuple(Link(product, country, value) for product, country, value in flow_links)
        else:
            left, right = country_nodes, product_nodes
            sankey_links = tuple(Link(country, product, value) for product, country, value in flow_links)
        summaries[key] = FlowSummary(flow, total, products, countries, Sankey(flow, left, right, sankey_links))
    return summaries


def _empty_summary(flow: str) -> FlowSummary:
    return FlowSummary(flow, 0.0, (), (), Sankey(flow, (), (), ()))


def _balance_countries(
    aggregates: _Aggregates, departments: Sequence[str], size: int, labels: _Labels
) -> dict[str, tuple[BalanceCountry, ...]]:
    """Per department: the union of the top `size` countries by imports and by exports, with both values.

    Ordered by total trade (imports + exports) descending, then code, so the biggest partners
    come first on the chart. One Polars query for all the departments.
    """
    local = aggregates.countries.filter((pl.col("level") == "department") & pl.col("area").is_in(list(departments)))
    chosen = local.filter(pl.col("rank") < size).select("area", "country").unique()
    table = local.join(chosen, on=["area", "country"], how="semi").pivot(on="flow", index=["area", "country"], values="value_eur")
    for flow in FLOWS:
        if flow not in table.columns:
            table = table.with_columns(pl.lit(0.0).alias(flow))
    table = (
        table.with_columns(pl.col(list(FLOWS)).fill_null(0.0))
        .with_columns(trade=pl.col("export") + pl.col("import"))
        .sort(["area", "trade", "country"], descending=[False, True, False])
    )
    rows: dict[str, list[BalanceCountry]] = {code: [] for code in departments}
    for area, code, exports, imports in table.select("area", "country", "export", "import").iter_rows():
        rows[area].append(BalanceCountry(code, labels.country(code, 0.0).label, imports, exports))
    return {code: tuple(countries) for code, countries in rows.items()}


@dataclass(frozen=True)
class _History:
    """The aggregates behind the evolution of every requested department."""

    years: tuple[int, ...]
    totals: dict[tuple[str, str], dict[int, tuple[float, float]]]  # (level, area) -> year -> (exports, imports)
    previous_year: int | None
    # (department, flow) -> [(code, value N, value N-1)] in rank order, per item kind
    previous_products: dict[tuple[str, str], list[tuple[str, float, float]]]
    previous_countries: dict[tuple[str, str], list[tuple[str, float, float]]]


def _history(
    trade: pl.DataFrame, reference: Reference, codes: Sequence[str], year: int, aggregates: _Aggregates, sizes: TopSizes
) -> _History:
    """Yearly totals up to `year` per department, region and France, and the top items of
    `year` with their value the year before. One pass of Polars queries for every department."""
    upto = trade.lazy().filter(pl.col("year") <= year)
    region_of = reference.departments.lazy().select(department="code", region="region")
    regions = sorted({reference.department(code).region for code in codes})
    per_department = upto.group_by("year", "flow", "department").agg(value_eur=pl.col("value_eur").sum())
    allocated = per_department.join(region_of, on="department", how="inner")
    columns = ["level", "area", "year", "flow", "value_eur"]
    levels = pl.concat(
        [
            allocated.filter(pl.col("department").is_in(list(codes)))
            .with_columns(level=pl.lit("department"), area=pl.col("department"))
            .select(columns),
            allocated.filter(pl.col("region").is_in(regions))
            .group_by("region", "year", "flow")
            .agg(pl.col("value_eur").sum())
            .with_columns(level=pl.lit("region"), area=pl.col("region"))
            .select(columns),
            per_department.group_by("year", "flow")
            .agg(pl.col("value_eur").sum())
            .with_columns(level=pl.lit("nation"), area=pl.lit(NATION_CODE))
            .select(columns),
        ]
    )
    previous_year = year - 1
    previous = upto.filter((pl.col("year") == previous_year) & pl.col("department").is_in(list(codes))).rename(
        {"department": "area"}
    )

    def with_previous(table: pl.DataFrame, key: str, size: int) -> pl.LazyFrame:
        before = previous.group_by("area", "flow", key).agg(previous_eur=pl.col("value_eur").sum())
        return (
            table.lazy()
            .filter((pl.col("level") == "department") & (pl.col("rank") < size))
            .join(before, on=["area", "flow", key], how="left")
            .with_columns(pl.col("previous_eur").fill_null(0.0))
            .sort("area", "flow", "rank")
            .select("area", "flow", key, "value_eur", "previous_eur")
        )

    level_totals, products, countries = pl.collect_all(
        [
            levels.sort(columns[:4]),
            with_previous(aggregates.products, "product", sizes.products),
            with_previous(aggregates.countries, "country", sizes.countries),
        ]
    )
    years = tuple(sorted(set(level_totals["year"].to_list())))
    totals: dict[tuple[str, str], dict[int, list[float]]] = {}
    for level, area, row_year, flow, value in level_totals.iter_rows():
        pair = totals.setdefault((level, area), {}).setdefault(row_year, [0.0, 0.0])
        pair[FLOWS.index(flow)] = value

    def grouped(frame: pl.DataFrame) -> dict[tuple[str, str], list[tuple[str, float, float]]]:
        groups: dict[tuple[str, str], list[tuple[str, float, float]]] = {}
        for area, flow, code, value, before in frame.iter_rows():
            groups.setdefault((area, flow), []).append((code, value, before))
        return groups

    return _History(
        years=years,
        totals={key: {y: (pair[0], pair[1]) for y, pair in by_year.items()} for key, by_year in totals.items()},
        previous_year=previous_year if previous_year in years else None,
        previous_products=grouped(products),
        previous_countries=grouped(countries),
    )


def _evolution(history: _History, code: str, region_code: str, labels: _Labels) -> Evolution:
    def series(level: str, area: str) -> tuple[YearTotals, ...]:
        by_year = history.totals.get((level, area), {})
        return tuple(YearTotals(year, *by_year.get(year, (0.0, 0.0))) for year in history.years)

    department = series("department", code)
    evolution = Evolution(history.years, department, series("region", region_code), series("nation", NATION_CODE))
    if history.previous_year is None:
        return evolution
    current, before = department[-1], department[history.years.index(history.previous_year)]

    def changes(flow: str, current_eur: float, before_eur: float) -> FlowChanges:
        def items(rows, name) -> tuple[Change, ...]:
            result = []
            for item_code, value, previous in rows.get((code, flow), []):
                item = name(item_code, value)
                result.append(Change(item_code, item.label, value, previous, item.short_label))
            return tuple(result)

        return FlowChanges(
            total=Change(flow, flow, current_eur, before_eur),
            top_products=items(history.previous_products, labels.product),
            top_countries=items(history.previous_countries, labels.country),
        )

    return evolution._replace(
        previous_year=history.previous_year,
        exports=changes("export", current.exports_eur, before.exports_eur),
        imports=changes("import", current.imports_eur, before.imports_eur),
        balance=Change("balance", "balance", current.balance_eur, before.balance_eur),
    )


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else 0.0


def compute_all(
    trade: pl.DataFrame,
    reference: Reference,
    settings: Settings,
    year: int,
    departments: Sequence[str] | None = None,
    coverage: Coverage | None = None,
) -> dict[str, DepartmentIndicators]:
    """Indicators of the given departments (all when None) for one year, keyed by code.

    `coverage` (coverage.Coverage of the data file and year) leaves out the figures of France
    and of the regions the data does not cover: their totals and shares are None and the
    sheet prints none of them. None: every area counts as covered (callers that pass frames
    they built; `render` and `indicators` always pass the data's coverage).

    Region and nation AreaFlows objects are built once and shared by every department of the
    run, so that their charts can be drawn once too.
    """
    sizes = TopSizes.from_settings(settings)
    labels = _Labels(reference)
    codes = reference.departments["code"].to_list() if departments is None else list(departments)
    for code in codes:
        reference.department(code)  # unknown code -> FactsheetsError naming it
    year_rows = trade.lazy().filter(pl.col("year") == year)
    aggregates = _aggregate(_by_level(year_rows, reference, None if departments is None else codes), sizes)
    summaries = _flow_summaries(aggregates, sizes, labels)

    def area_flows(level: str, territory: Territory) -> AreaFlows:
        exports, imports = (summaries.get((level, territory.code, flow)) or _empty_summary(flow) for flow in FLOWS)
        return AreaFlows(territory, level, year, exports, imports)

    nation = area_flows("nation", Territory(NATION_CODE, NATION_NAME))
    balance = _balance_countries(aggregates, codes, sizes.balance, labels)
    history = _history(trade, reference, codes, year, aggregates, sizes)
    regions: dict[str, AreaFlows] = {}
    region_sizes = dict(reference.departments.group_by("region").len().iter_rows())
    results = {}
    for code in codes:
        department = reference.department(code)
        name, region_code = department.name, department.region
        if region_code not in regions:
            regions[region_code] = area_flows("region", Territory(region_code, reference.region_name(region_code)))
        region = regions[region_code]
        local = area_flows("department", Territory(code, name))

        nation_covered = coverage is None or coverage.nation
        region_covered = coverage is None or coverage.region(region_code)

        def shares(flow: str) -> Shares:
            pick = (lambda a: a.exports) if flow == "export" else (lambda a: a.imports)
            total, region_total, nation_total = pick(local).total_eur, pick(region).total_eur, pick(nation).total_eur
            return Shares(
                total,
                region_total if region_covered else None,
                nation_total if nation_covered else None,
                _share(total, region_total) if region_covered else None,
                _share(total, nation_total) if nation_covered else None,
            )

        evolution = _evolution(history, code, region_code, labels)
        if not (nation_covered and region_covered):
            evolution = evolution._replace(
                region=evolution.region if region_covered else (), nation=evolution.nation if nation_covered else ()
            )

        results[code] = DepartmentIndicators(
            department=local.territory,
            region=region.territory,
            year=year,
            territoires_industrie=tuple(reference.territoires_industrie.get(code, ())),
            local=local,
            region_flows=region,
            nation_flows=nation,
            export_shares=shares("export"),
            import_shares=shares("import"),
            balance_countries=balance[code],
            single_department_region=region_sizes[region_code] == 1,
            evolution=evolution,
            nation_covered=nation_covered,
            region_covered=region_covered,
            coverage=None if coverage is None else coverage.to_json(region_code),
            department_after_de=reference.department_after_de(code),
        )
    return results


def compute_indicators(
    trade: pl.DataFrame,
    reference: Reference,
    settings: Settings,
    department: str,
    year: int,
    coverage: Coverage | None = None,
) -> DepartmentIndicators:
    return compute_all(trade, reference, settings, year, [department], coverage)[department]
