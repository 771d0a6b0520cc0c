"""The alternative text of each chart of a sheet (the tagged PDF's Figure /Alt).

Each says what the chart shows with its main figures, from the indicators the chart is
drawn from, through the French templates of the `accessibility` section of texts.yaml.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .model import DepartmentIndicators, FlowSummary, Item
from .numbers import format_millions, format_percent, format_rounded_millions

TOP_ITEMS = 5


def _join(parts: Sequence[str]) -> str:
    return " ; ".join(parts)


def balance_alt(ind: DepartmentIndicators, texts: dict[str, Any], values: dict[str, Any]) -> str:
    countries = sorted(ind.balance_countries, key=lambda c: -(c.import_eur + c.export_eur))[:TOP_ITEMS]
    items = []
    for country in countries:
        balance = country.printed_balance_millions
        items.append(
            texts["balance_item"].format(
                name=country.name,
                imports=format_millions(country.import_eur),
                exports=format_millions(country.export_eur),
                balance=("+" if balance > 0 else "") + format_rounded_millions(balance),
            )
        )
    return texts["balance"].format(items=_join(items), **values)


def _shares(summary: FlowSummary, texts: dict[str, Any]) -> str:
    total = summary.total_eur
    return _join(
        [
            texts["treemap_item"].format(name=item.label, share=format_percent(item.value_eur / total, 1))
            for item in summary.top_products[:TOP_ITEMS]
        ]
        if total > 0
        else []
    )


def treemap_alt(ind: DepartmentIndicators, texts: dict[str, Any], values: dict[str, Any]) -> str:
    exports, imports = ind.local.exports, ind.local.imports
    return texts["treemap"].format(
        exports=format_millions(exports.total_eur),
        imports=format_millions(imports.total_eur),
        export_items=_shares(exports, texts),
        import_items=_shares(imports, texts),
        **values,
    )


def _items(items: Sequence[Item], texts: dict[str, Any]) -> str:
    return _join(
        [texts["flow_item"].format(name=item.label, value=format_millions(item.value_eur)) for item in items[:TOP_ITEMS]]
    )


def sankey_alt(summary: FlowSummary, area: str, texts: dict[str, Any], values: dict[str, Any]) -> str:
    template = texts["export_sankey" if summary.flow == "export" else "import_sankey"]
    return template.format(
        area=area,
        total=format_millions(summary.total_eur),
        products=_items(summary.top_products, texts),
        countries=_items(summary.top_countries, texts),
        **values,
    )


def evolution_alt(ind: DepartmentIndicators, texts: dict[str, Any], values: dict[str, Any]) -> str:
    evolution = ind.evolution
    items = [
        texts["evolution_item"].format(
            item_year=row.year, exports=format_millions(row.exports_eur), imports=format_millions(row.imports_eur)
        )
        for row in evolution.department
    ]
    return texts["evolution"].format(first_year=evolution.years[0], items=_join(items), **values)
