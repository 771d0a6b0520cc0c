"""Hand-built indicator objects for chart tests and previews (no data files, no indicators module).

`flow_summary` follows the model's contract (factsheets.model): top N products and countries
by value descending then code ascending, everything else in "Autres" (code AUTRES, last),
links aggregated per node pair and sorted by value descending then (source, target).
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from factsheets.model import OTHER_CODE, OTHER_LABEL, BalanceCountry, FlowSummary, Item, Link, Sankey

PRODUCTS = {
    "C21Z": ("Produits pharmaceutiques de base et préparations pharmaceutiques", "Pharmacie"),
    "C29A": ("Produits de la construction automobile", "Automobiles"),
    "C30C": ("Produits de la construction aéronautique et spatiale", "Aéronautique et spatial"),
    "C20B": ("Produits chimiques de base, engrais, plastiques et caoutchouc synthétique", "Chimie de base"),
    "C10A": ("Viandes et produits à base de viande", "Viandes"),
    "C11Z": ("Boissons", "Boissons"),
    "A01Z": ("Produits de l'agriculture et de la chasse", "Agriculture"),
    "C24A": ("Produits sidérurgiques et premiers produits de la transformation de l'acier", "Sidérurgie"),
    "C26A": ("Composants et cartes électroniques", "Composants électroniques"),
    "C28A": ("Machines d'usage général", "Machines d'usage général"),
    "C22A": ("Produits en caoutchouc", "Caoutchouc"),
    "C27A": ("Moteurs, génératrices et transformateurs électriques", "Moteurs électriques"),
    "C13Z": ("Textiles", "Textiles"),
    "C17B": ("Articles en papier ou en carton", "Papier, carton"),
    "C20C": ("Parfums, cosmétiques et produits d'entretien", "Parfums et cosmétiques"),
    "C25A": ("Éléments en métal pour la construction", "Métal pour la construction"),
    "C31Z": ("Meubles", "Meubles"),
    "C32B": ("Instruments et fournitures à usage médical et dentaire", "Instruments médicaux"),
}
COUNTRIES = {
    "DE": "Allemagne",
    "US": "États-Unis",
    "BE": "Belgique",
    "IT": "Italie",
    "ES": "Espagne",
    "GB": "Royaume-Uni",
    "NL": "Pays-Bas",
    "CN": "Chine",
    "CH": "Suisse",
    "PL": "Pologne",
    "KR": "Corée du Sud",
    "JP": "Japon",
    "AE": "Émirats arabes unis",
    "TR": "Turquie",
    "MA": "Maroc",
    "IN": "Inde",
    "SE": "Suède",
    "AT": "Autriche",
    "PT": "Portugal",
    "CA": "Canada",
}

Matrix = Mapping[tuple[str, str], float]  # (product, country) -> euros


def product_item(code: str, value: float) -> Item:
    if code == OTHER_CODE:
        return Item(OTHER_CODE, OTHER_LABEL, OTHER_LABEL, value)
    label, short = PRODUCTS.get(code, (code, code))
    return Item(code, label, short, value)


def country_item(code: str, value: float) -> Item:
    if code == OTHER_CODE:
        return Item(OTHER_CODE, OTHER_LABEL, OTHER_LABEL, value)
    name = COUNTRIES.get(code, code)
    return Item(code, name, name, value)


def _top(totals: dict[str, float], size: int) -> list[tuple[str, float]]:
    return sorted(totals.items(), key=lambda pair: (-pair[1], pair[0]))[:size]


def flow_summary(flow: str, matrix: Matrix, top_products: int = 10, top_countries: int = 10) -> FlowSummary:
    product_totals: dict[str, float] = {}
    country_totals: dict[str, float] = {}
    for (product, country), value in matrix.items():
        product_totals[product] = product_totals.get(product, 0.0) + value
        country_totals[country] = country_totals.get(country, 0.0) + value
    products = _top(product_totals, top_products)
    countries = _top(country_totals, top_countries)
    named_products = {code for code, _ in products}
    named_countries = {code for code, _ in countries}
    pairs: dict[tuple[str, str], float] = {}
    for (product, country), value in matrix.items():
        key = (product if product in named_products else OTHER_CODE, country if country in named_countries else OTHER_CODE)
        pairs[key] = pairs.get(key, 0.0) + value
    other_products = sum(value for (p, _), value in pairs.items() if p == OTHER_CODE)
    other_countries = sum(value for (_, c), value in pairs.items() if c == OTHER_CODE)
    product_nodes = tuple(product_item(c, v) for c, v in products) + (
        (product_item(OTHER_CODE, other_products),) if other_products > 0 else ()
    )
    country_nodes = tuple(country_item(c, v) for c, v in countries) + (
        (country_item(OTHER_CODE, other_countries),) if other_countries > 0 else ()
    )
    ordered = sorted(((p, c, value) for (p, c), value in pairs.items() if value > 0), key=lambda t: (-t[2], t[0], t[1]))
    if flow == "export":
        sankey = Sankey("export", product_nodes, country_nodes, tuple(Link(p, c, value) for p, c, value in ordered))
    else:
        links = sorted((Link(c, p, value) for p, c, value in ordered), key=lambda l: (-l.value_eur, l.source, l.target))
        sankey = Sankey("import", country_nodes, product_nodes, tuple(links))
    return FlowSummary(
        flow=flow,
        total_eur=sum(matrix.values()),
        top_products=tuple(product_item(c, v) for c, v in products),
        top_countries=tuple(country_item(c, v) for c, v in countries),
        sankey=sankey,
    )


def random_matrix(seed: int, products: int, countries: int, scale: float) -> dict[tuple[str, str], float]:
    """A skewed, deterministic trade matrix over the first `products` x `countries` codes."""
    rng = random.Random(seed)
    product_codes = list(PRODUCTS)[:products]
    country_codes = list(COUNTRIES)[:countries]
    product_weight = {code: rng.lognormvariate(0.0, 1.0) for code in product_codes}
    country_weight = {code: rng.lognormvariate(0.0, 1.0) for code in country_codes}
    matrix = {}
    for p in product_codes:
        for c in country_codes:
            if rng.random() < 0.8:
                matrix[(p, c)] = round(scale * product_weight[p] * country_weight[c] * rng.uniform(0.2, 1.8), 2)
    return matrix


def big_department(seed: int = 7) -> tuple[FlowSummary, FlowSummary]:
    """(exports, imports) of a large department: 18 products x 20 countries, billions of euros."""
    return (
        flow_summary("export", random_matrix(seed, 18, 20, 9e6)),
        flow_summary("import", random_matrix(seed + 1, 18, 20, 11e6)),
    )


def small_department() -> tuple[FlowSummary, FlowSummary]:
    """(exports, imports) with 3 products and 4 countries: no "Autres" node anywhere."""
    exports = {
        ("C21Z", "DE"): 12.5e6,
        ("C21Z", "US"): 4.2e6,
        ("C21Z", "BE"): 1.1e6,
        ("C11Z", "DE"): 2.0e6,
        ("C11Z", "GB"): 0.8e6,
        ("A01Z", "BE"): 3.3e6,
        ("A01Z", "GB"): 0.4e6,
        ("A01Z", "US"): 0.05e6,
    }
    imports = {
        ("C21Z", "DE"): 5.0e6,
        ("C11Z", "US"): 1.5e6,
        ("A01Z", "BE"): 2.2e6,
        ("A01Z", "GB"): 0.3e6,
    }
    return flow_summary("export", exports), flow_summary("import", imports)


def balance_countries(exports: FlowSummary, imports: FlowSummary, size: int = 5) -> tuple[BalanceCountry, ...]:
    """Union of the top `size` countries by imports and by exports, largest total trade first."""
    export_values = {item.code: item.value_eur for item in exports.top_countries}
    import_values = {item.code: item.value_eur for item in imports.top_countries}
    chosen = {item.code for item in exports.top_countries[:size]} | {item.code for item in imports.top_countries[:size]}
    rows = [
        BalanceCountry(code, COUNTRIES.get(code, code), import_values.get(code, 0.0), export_values.get(code, 0.0))
        for code in chosen
    ]
    return tuple(sorted(rows, key=lambda b: (-(b.import_eur + b.export_eur), b.code)))
