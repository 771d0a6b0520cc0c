"""The indicator objects: what the indicators stage produces and charts and layout consume.

Plain named tuples with no behaviour beyond derived views, so later stages depend on
this module only, never on how the numbers were computed. Named tuples rather than frozen
dataclasses: as immutable and compared by value, but made at import in ~0.05 ms each
rather than ~0.35 (a dataclass compiles its methods), and every command imports this.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, NamedTuple

from .numbers import rounded_millions

OTHER_CODE = "AUTRES"
OTHER_LABEL = "Autres"
NATION_CODE = "FR"

Flow = Literal["export", "import"]
FLOWS: tuple[Flow, ...] = ("export", "import")
Level = Literal["department", "region", "nation"]


class Territory(NamedTuple):
    code: str
    name: str


class Item(NamedTuple):
    """A product or a country with its value. `short_label` is the chart label."""

    code: str
    label: str
    short_label: str
    value_eur: float

    @property
    def is_other(self) -> bool:
        return self.code == OTHER_CODE

    @property
    def chart_label(self) -> str:
        """The label charts and tables print: the short one when there is one."""
        return self.short_label or self.label


class Link(NamedTuple):
    """One ribbon of a Sankey: left node code -> right node code."""

    source: str
    target: str
    value_eur: float


class Sankey(NamedTuple):
    """Nodes in display order (top to bottom, "Autres" last when present) and ribbons.

    Exports: left = products, right = countries. Imports: left = countries, right = products.
    Links are sorted by value descending, then (source, target) ascending; none is zero.
    """

    flow: Flow
    left: tuple[Item, ...]
    right: tuple[Item, ...]
    links: tuple[Link, ...]

    @property
    def total_eur(self) -> float:
        return sum(link.value_eur for link in self.links)

    @property
    def products(self) -> tuple[Item, ...]:
        return self.left if self.flow == "export" else self.right

    @property
    def countries(self) -> tuple[Item, ...]:
        return self.right if self.flow == "export" else self.left


class FlowSummary(NamedTuple):
    """One flow (exports or imports) of one area (department, region or France) in one year."""

    flow: Flow
    total_eur: float
    top_products: tuple[Item, ...]  # top N by value, descending, no "Autres"
    top_countries: tuple[Item, ...]
    sankey: Sankey  # top N + "Autres" on each side

    @property
    def products_with_other(self) -> tuple[Item, ...]:
        """Top products plus "Autres" (when non-empty): the treemap cells."""
        return self.sankey.products


class AreaFlows(NamedTuple):
    territory: Territory
    level: Level
    year: int
    exports: FlowSummary
    imports: FlowSummary


class Shares(NamedTuple):
    """None for the region's (the nation's) figures when the data does not cover it (coverage.py)."""

    total_eur: float
    region_total_eur: float | None
    nation_total_eur: float | None
    share_of_region: float | None  # fraction 0-1
    share_of_nation: float | None


class BalanceCountry(NamedTuple):
    code: str
    name: str
    import_eur: float
    export_eur: float

    @property
    def balance_eur(self) -> float:
        return self.export_eur - self.import_eur

    @property
    def printed_balance_millions(self) -> Decimal:
        """The balance a reader can check: printed exports minus printed imports (each in M€,
        rounded first), as the balance chart prints it and the annex gives it."""
        return rounded_millions(self.export_eur) - rounded_millions(self.import_eur)


class YearTotals(NamedTuple):
    """One area's exports and imports in one year."""

    year: int
    exports_eur: float
    imports_eur: float

    @property
    def balance_eur(self) -> float:
        return self.exports_eur - self.imports_eur


class Change(NamedTuple):
    """A value in the sheet's year N and in N-1. `previous_eur` is 0 when absent in N-1."""

    code: str
    label: str
    value_eur: float
    previous_eur: float
    short_label: str = ""  # the table label (products: the short label)

    @property
    def chart_label(self) -> str:
        """The label tables print: the short one when there is one."""
        return self.short_label or self.label

    @property
    def change_eur(self) -> float:
        return self.value_eur - self.previous_eur

    @property
    def change_ratio(self) -> float | None:
        """(N - (N-1)) / |N-1|; None when N-1 is zero (no meaningful percentage)."""
        return self.change_eur / abs(self.previous_eur) if self.previous_eur else None

    def to_json(self, name_key: str = "label") -> dict:
        return {
            "code": self.code,
            name_key: self.label,
            "value_eur": self.value_eur,
            "previous_eur": self.previous_eur,
            "change_eur": self.change_eur,
            "change_ratio": self.change_ratio,
        }


class FlowChanges(NamedTuple):
    """One flow of the department, year N against N-1: the total and the top items of year N."""

    total: Change
    top_products: tuple[Change, ...]
    top_countries: tuple[Change, ...]


class Evolution(NamedTuple):
    """The department over the years of the data up to the sheet's, with its region and France.

    Series are in year order and share `years` (a year missing for an area counts 0).
    `previous_year` is the sheet's year minus one when the data has it, else None and no
    changes.
    """

    years: tuple[int, ...]
    department: tuple[YearTotals, ...]
    region: tuple[YearTotals, ...]
    nation: tuple[YearTotals, ...]
    previous_year: int | None = None
    exports: FlowChanges | None = None
    imports: FlowChanges | None = None
    balance: Change | None = None

    @property
    def has_history(self) -> bool:
        return len(self.years) > 1

    def to_json(self) -> dict:
        def series(rows: tuple[YearTotals, ...]) -> list[dict]:
            return [
                {"year": r.year, "exports_eur": r.exports_eur, "imports_eur": r.imports_eur, "balance_eur": r.balance_eur}
                for r in rows
            ]

        def flow(changes: FlowChanges | None) -> dict | None:
            if changes is None:
                return None
            return {
                "total": changes.total.to_json(),
                "top_products": [c.to_json("label") for c in changes.top_products],
                "top_countries": [c.to_json("name") for c in changes.top_countries],
            }

        return {
            "years": list(self.years),
            "department": series(self.department),
            "region": series(self.region),
            "nation": series(self.nation),
            "previous_year": self.previous_year,
            "changes": None
            if self.previous_year is None
            else {
                "exports": flow(self.exports),
                "imports": flow(self.imports),
                "balance": self.balance.to_json() if self.balance else None,
            },
        }


class DepartmentIndicators(NamedTuple):
    """Everything one sheet shows. `region_flows` and `nation_flows` are shared between sheets."""

    department: Territory
    region: Territory
    year: int
    territoires_industrie: tuple[str, ...]
    local: AreaFlows
    region_flows: AreaFlows
    nation_flows: AreaFlows
    export_shares: Shares
    import_shares: Shares
    balance_countries: tuple[BalanceCountry, ...] = ()
    # The region has this department only (971-976): a share of the region or a region
    # chart would compare the department with itself, so the sheet leaves them out.
    single_department_region: bool = False
    evolution: Evolution | None = None
    # The name after "de" with the COG's article ("de l'Aisne", "du Nord"): set by the
    # indicators stage, so that drawing a sheet needs no reference table (no Polars).
    department_after_de: str = ""
    # Whether the data covers France and the whole region (coverage.Coverage): a sheet prints
    # no figure of an area the data does not cover.
    nation_covered: bool = True
    region_covered: bool = True
    coverage: dict | None = None  # coverage.Coverage.to_json, for `indicators --json`

    @property
    def shows_region(self) -> bool:
        """The sheet compares with the region: a whole region of more than this department."""
        return self.region_covered and not self.single_department_region

    def to_json(self) -> dict:
        """The JSON contract of `factsheets indicators --json` (spec section 5)."""

        def flow_json(summary: FlowSummary, shares: Shares) -> dict:
            product_side = "left" if summary.flow == "export" else "right"
            return {
                "total_eur": shares.total_eur,
                "region_total_eur": shares.region_total_eur,
                "nation_total_eur": shares.nation_total_eur,
                "share_of_region": shares.share_of_region,
                "share_of_nation": shares.share_of_nation,
                "top_products": [{"code": p.code, "label": p.label, "value_eur": p.value_eur} for p in summary.top_products],
                "top_countries": [{"code": c.code, "name": c.label, "value_eur": c.value_eur} for c in summary.top_countries],
                "flows": [
                    {
                        "product": link.source if product_side == "left" else link.target,
                        "country": link.target if product_side == "left" else link.source,
                        "value_eur": link.value_eur,
                    }
                    for link in summary.sankey.links
                ],
            }

        return {
            "department": self.department._asdict(),
            "region": self.region._asdict(),
            "year": self.year,
            "territoires_industrie": list(self.territoires_industrie),
            "exports": flow_json(self.local.exports, self.export_shares),
            "imports": flow_json(self.local.imports, self.import_shares),
            "balance_countries": [
                {"code": b.code, "name": b.name, "import_eur": b.import_eur, "export_eur": b.export_eur}
                for b in self.balance_countries
            ],
            "evolution": self.evolution.to_json() if self.evolution is not None else None,
            **({"coverage": self.coverage} if self.coverage is not None else {}),
        }
