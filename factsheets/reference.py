"""Reference tables: departments, regions, A129 products, partner countries, Territoires d'industrie.

The tables are YAML files under config/reference/ (each names its source and version in its
header); the country list is ISO 3166-1 read from pycountry with its French translation,
corrected by config/reference/countries.yaml. Codes a user adds in config/settings.yaml
(data.extra_products, data.extra_countries, data.unallocated_departments) are merged in.

Every problem in these files is one line naming the file and the line: a YAML syntax error,
a duplicate code, an unquoted code that YAML read as a number or a boolean, a key a table
does not have, a department pointing to an unknown region, a Territoire d'industrie of an
unknown department. All the problems of all the tables are raised together, as one
ConfigurationError (one line each), so that a user fixes them in one go.
"""

from __future__ import annotations

import functools
import gettext
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pycountry

from . import paths
from .config import SETTINGS_FILE, load_section, problem_at, read_source
from .config import Source as _Source
from .errors import ConfigurationError, FactsheetsError, Problem, Problems

if TYPE_CHECKING:
    import polars as pl

DEPARTMENT_CODE = re.compile(r"^(0[1-9]|1[0-9]|2[1-9]|[3-8][0-9]|9[0-5]|2A|2B|97[12346])$")
REGION_CODE = re.compile(r"^[0-9]{2}$")
PRODUCT_CODE = re.compile(r"^[A-Z][0-9]{2}[A-Z]$")
COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
SHORT_LABEL_MAX = 26

_MISSING_TABLE = "table de référence introuvable ; restaurez-la (factsheets init DIR en écrit une copie)"
DEPARTMENT_KEYS = ("name", "region", "tncc")
PRODUCT_KEYS = ("label", "short_label")
COUNTRY_SECTIONS = ("overrides", "extra", "special")

# Every loader below appends each problem it finds to `problems` (a Problem: `file:line : what ;
# how to fix`) and goes on with the next entry, so that one run lists all of them; an entry
# with a problem is left out of the result. Only a file that cannot be read as a whole
# (missing, YAML syntax, not `code: value` pairs) is a single problem.


def _read_table(path: Path, problems: Problems) -> _Source | None:
    """The parsed table, its duplicate codes listed; None when the file cannot be read."""
    duplicates: list[Problem] = []
    try:
        source = read_source(path, depth=2, missing=_MISSING_TABLE, duplicate_what="le code", duplicates=duplicates)
    except FactsheetsError as error:
        problems.extend(error.problems)
        return None
    problems.extend(duplicates)
    return source


def _mapping(source: _Source, value: Any, *keys: Any, what: str, problems: Problems) -> dict | None:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.add(source.problem(*keys, what=f"{what} doit associer des codes à des valeurs (code: valeur)"))
        return None
    return value


def _table(path: Path, problems: Problems, empty: str | None = None) -> tuple[_Source, dict] | tuple[None, None]:
    """A table's source and its `code: value` entries, or (None, None) when the file is unusable
    (`empty`, when given, is the problem of a file without entries)."""
    source = _read_table(path, problems)
    entries = None if source is None else _mapping(source, source.data, what="le fichier", problems=problems)
    if entries is None:
        return None, None
    if not entries and empty is not None:
        problems.add(Problem(str(path), what=empty))
        return None, None
    return source, entries


def _checked_code(
    source: _Source, key: Any, pattern: re.Pattern, kind: str, example: str, *parents: Any, problems: Problems
) -> str | None:
    if not isinstance(key, str):
        problems.add(
            source.problem(
                *parents,
                key,
                what=f"le code {kind} {key!r} a été lu comme {type(key).__name__} et non comme du texte",
                fix=f'écrivez-le entre guillemets, par ex. "{example}"',
            )
        )
        return None
    if not pattern.match(key):
        problems.add(source.problem(*parents, key, what=f"« {key} » n'est pas un code {kind} valide (par ex. {example})"))
        return None
    return key


def _text(source: _Source, value: Any, what: str, *keys: Any, problems: Problems) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.add(
            source.problem(
                *keys, what=f"{what} doit être un texte non vide", fix="écrivez-le, entre guillemets s'il contient « : » ou « # »"
            )
        )
        return None
    return value.strip()


def _unknown_keys(source: _Source, key: Any, entry: dict, known: tuple[str, ...], what: str, problems: Problems) -> set[str]:
    """Each key of an entry that the table does not have is a problem, with the known key it
    probably stands for; those known keys are returned, so that their absence is not reported
    a second time."""
    from .errors import did_you_mean, near_key

    stands_for: set[str] = set()
    for name in entry:
        if name in known:
            continue
        absent = [item for item in known if item not in entry]
        near = near_key(name, absent or list(known))
        fix = did_you_mean(near) if near is not None else f"clés possibles : {', '.join(known)}"
        problems.add(source.problem(key, name, what=f"clé inconnue « {name} » pour {what}", fix=fix))
        if near is not None and near not in entry:
            stands_for.add(near)
    return stands_for


def _load_regions(path: Path, problems: Problems) -> tuple[dict[str, str], set[str] | None]:
    """Region names by code, and every valid code (None when the file is unusable: nothing can
    then be said of the regions the departments point to)."""
    source, entries = _table(path, problems, "aucune région ; le fichier doit lister les régions INSEE")
    if entries is None:
        return {}, None
    names, codes = {}, set()
    for key, value in entries.items():
        code = _checked_code(source, key, REGION_CODE, "de région", "32", problems=problems)
        name = _text(source, value, f"le nom de la région {key}", key, problems=problems)
        if code is not None:
            codes.add(code)
            if name is not None:
                names[code] = name
    return names, codes


def _load_departments(
    path: Path, regions: set[str] | None, problems: Problems
) -> tuple[list[tuple[str, str, str, int]], set[str] | None]:
    """Department rows, and every valid code (None when the file is unusable)."""
    source, entries = _table(path, problems, "aucun département ; le fichier doit lister les départements INSEE")
    if entries is None:
        return [], None
    rows, codes = [], set()
    for key, entry in entries.items():
        code = _checked_code(source, key, DEPARTMENT_CODE, "de département", "02", problems=problems)
        if code is not None:
            codes.add(code)
        if not isinstance(entry, dict):
            problems.add(
                source.problem(
                    key,
                    what=f"le département {key} doit avoir « name », « region » et « tncc »",
                    fix='écrivez par ex. {name: Aisne, region: "32", tncc: 5}',
                )
            )
            continue
        misspelt = _unknown_keys(source, key, entry, DEPARTMENT_KEYS, f"le département {key}", problems)
        name = entry.get("name")
        if "name" not in misspelt:
            name = _text(source, name, f"le nom du département {key}", key, problems=problems)
        region = entry.get("region")
        region_ok = isinstance(region, str) and (regions is None or region in regions)
        if not region_ok and "region" not in misspelt:
            problems.add(
                source.problem(
                    key,
                    what=f"le département {key} renvoie à la région « {region} », absente de {path.parent / 'regions.yaml'}",
                    fix='utilisez un code de région entre guillemets, par ex. "32"',
                )
            )
        tncc = entry.get("tncc")
        tncc_ok = not isinstance(tncc, bool) and tncc in TNCC_ARTICLES
        if not tncc_ok and "tncc" not in misspelt:
            problems.add(
                source.problem(
                    key,
                    what=f"le département {key} doit avoir « tncc », le type de nom en clair du COG "
                    "(un entier de 0 à 8, ex. 5 pour « l'Aisne »)",
                    fix=f"trouvé : « {tncc} »",
                )
            )
        if code is not None and isinstance(name, str) and region_ok and tncc_ok:
            rows.append((code, name, region, tncc))
    return rows, codes


# INSEE COG "type de nom en clair" -> (article, the name's form after "de"): 0 no article,
# consonant ("de Paris"); 1 no article, vowel or mute h ("d'"); 2 le ("du"); 3 la ("de la");
# 4 les ("des"); 5 l' ("de l'"); 6 aux ("des"); 7 las ("de las"); 8 los ("de los").
TNCC_ARTICLES = {0: "de ", 1: "d’", 2: "du ", 3: "de la ", 4: "des ", 5: "de l’", 6: "des ", 7: "de las ", 8: "de los "}


def name_after_de(name: str, tncc: int) -> str:
    """A place name after "de", with its article: "de l'Aisne", "du Nord", "des Bouches-du-Rhône"."""
    return TNCC_ARTICLES[tncc] + name


def _load_products(path: Path, problems: Problems) -> list[tuple[str, str, str]]:
    source, entries = _table(path, problems, "aucun produit ; le fichier doit lister les codes produits A129")
    if entries is None:
        return []
    rows = []
    for key, entry in entries.items():
        code = _checked_code(source, key, PRODUCT_CODE, "produit A129", "C30C", problems=problems)
        if not isinstance(entry, dict):
            problems.add(
                source.problem(
                    key,
                    what=f"le produit {key} doit avoir « label » et « short_label »",
                    fix="écrivez-les en retrait sous le code, une ligne chacun",
                )
            )
            continue
        misspelt = _unknown_keys(source, key, entry, PRODUCT_KEYS, f"le produit {key}", problems)
        label, short = (
            None if field in misspelt else _text(source, entry.get(field), f"le {field} du produit {key}", key, problems=problems)
            for field in PRODUCT_KEYS
        )
        if code is not None and label is not None and short is not None:
            rows.append((code, label, short))
    return rows


def _iso_country_names() -> dict[str, str]:
    """ISO 3166-1 alpha-2 codes with their French names (English where no translation)."""
    try:
        french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
        translate = french.gettext
    except OSError:  # a pycountry build without translations: English names, still usable
        translate = str
    return {country.alpha_2: translate(country.name) for country in pycountry.countries}


def _load_countries(path: Path, problems: Problems) -> dict[str, str]:
    source, sections = _table(path, problems)
    if sections is None:
        return {}
    for section in sections:
        if section not in COUNTRY_SECTIONS:
            problems.add(
                source.problem(section, what=f"section inconnue « {section} »", fix="utilisez overrides, extra ou special")
            )
    names = _iso_country_names()
    for section in COUNTRY_SECTIONS:
        entries = _mapping(source, sections.get(section), section, what=f"la section « {section} »", problems=problems)
        for key, value in (entries or {}).items():
            code = _checked_code(source, key, COUNTRY_CODE, "pays", "DE", section, problems=problems)
            name = _text(source, value, f"le nom du pays {key}", section, key, problems=problems)
            if code is not None and name is not None:
                names[code] = name
    return names


def _load_territoires(path: Path, departments: set[str] | None, problems: Problems) -> dict[str, tuple[str, ...]]:
    """Territoires d'industrie by department; `departments`: the valid codes of departments.yaml
    (None when that file is unusable: the codes are then only checked for their form)."""
    source, entries = _table(path, problems)
    if entries is None:
        return {}
    result = {}
    for key, names in entries.items():
        code = _checked_code(source, key, DEPARTMENT_CODE, "de département", "02", problems=problems)
        if code is not None and departments is not None and code not in departments:
            problems.add(
                source.problem(
                    key,
                    what=f"le département {key} ne figure pas dans departments.yaml",
                    fix="corrigez le code, ou ajoutez le département à departments.yaml",
                )
            )
            code = None
        if not isinstance(names, list) or not names:
            problems.add(
                source.problem(
                    key,
                    what=f"le département {key} doit avoir une liste de Territoires d'industrie",
                    fix="écrivez un nom par ligne sous le code, précédé de « - »",
                )
            )
            continue
        texts = [
            _text(source, name, f"un Territoire d'industrie de {key}", key, index, problems=problems)
            for index, name in enumerate(names)
        ]
        if code is not None and None not in texts:
            result[code] = tuple(texts)
    return result


def _short(name: str) -> str:
    return name if len(name) <= SHORT_LABEL_MAX else name[: SHORT_LABEL_MAX - 1].rstrip() + "…"


def _settings_codes(config_dir: Path, departments: set[str], problems: Problems) -> tuple[dict[str, str], dict, dict[str, str]]:
    """data.unallocated_departments, data.extra_products, data.extra_countries: the typed `data`
    section of settings.yaml (its problems at their lines), and whether an unallocated code is
    a real department of the reference tables."""
    data, found = load_section(Path(config_dir), "data")
    problems.extend(found)
    if data is None:
        return {}, {}, {}
    unallocated = dict(data.unallocated_departments)
    for code in unallocated:
        if code in departments:
            problems.add(
                problem_at(
                    Path(config_dir) / SETTINGS_FILE,
                    "data",
                    "unallocated_departments",
                    code,
                    what=f"data.unallocated_departments contient « {code} », qui est un vrai département",
                    fix="retirez-le",
                )
            )
    products = {code: (name.label, name.short_label or _short(name.label)) for code, name in data.extra_products.items()}
    return unallocated, products, dict(data.extra_countries)


class Department(NamedTuple):
    """A department of the reference: INSEE code, name (COG), region code."""

    code: str
    name: str
    region: str


class ProductLabels(NamedTuple):
    """A product's full A129 label and the shorter one the charts print."""

    label: str
    short_label: str


@dataclass(frozen=True, eq=False)
class Reference:
    """The reference tables, as small Polars frames plus dict lookups for single codes."""

    departments: pl.DataFrame  # code, name, region (sorted by code)
    regions: pl.DataFrame  # code, name
    products: pl.DataFrame  # code, label, short_label
    countries: pl.DataFrame  # code, name
    territoires_industrie: dict[str, tuple[str, ...]]
    unallocated_departments: dict[str, str]
    department_tncc: dict[str, int] = field(default_factory=dict)  # code -> COG "type de nom en clair"
    _departments: dict[str, Department] = field(init=False, repr=False, compare=False)
    _regions: dict[str, str] = field(init=False, repr=False, compare=False)
    _products: dict[str, ProductLabels] = field(init=False, repr=False, compare=False)
    _countries: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        departments = {row[0]: Department(*row) for row in self.departments.select("code", "name", "region").iter_rows()}
        object.__setattr__(self, "_departments", departments)
        object.__setattr__(self, "_regions", dict(self.regions.iter_rows()))
        products = self.products.select("code", "label", "short_label").iter_rows()
        object.__setattr__(self, "_products", {code: ProductLabels(label, short) for code, label, short in products})
        object.__setattr__(self, "_countries", dict(self.countries.select("code", "name").iter_rows()))

    def department(self, code: str) -> Department:
        """The department of an INSEE department code such as '02' or '2A'."""
        try:
            return self._departments[code]
        except (KeyError, TypeError):
            raise FactsheetsError(f"département inconnu « {code} » ; utilisez un code INSEE comme 02 ou 2A") from None

    def department_after_de(self, code: str) -> str:
        """The department's name after "de", with its article: "de l'Aisne", "du Nord"."""
        return name_after_de(self.department(code).name, self.department_tncc[code])

    def department_codes(self, typed: Iterable[str] | None = None) -> list[str]:
        """Codes as a user typed them, normalised and checked, duplicates dropped, in the order
        given; None means every department, in code order. An unknown code raises, naming it."""
        if typed is None:
            return list(self._departments)
        return list(dict.fromkeys(self.resolve_department(text) for text in typed))

    def resolve_department(self, typed: str) -> str:
        """The INSEE code of a department typed as a code ('2', '02', '2a') or as its name,
        case, accents and punctuation ignored ('aisne', 'Côtes-d'Armor', 'cotes d armor'); an
        unknown one raises, naming it."""
        found = self.find_department(typed)
        if found is None:
            raise FactsheetsError(
                f"département inconnu « {str(typed).strip()} » ; indiquez un code INSEE (02, 2A, 971) ou un nom "
                "(Aisne, Côtes-d'Armor) ; la liste : factsheets departements"
            )
        return found

    def find_department(self, typed: Any) -> str | None:
        """The one matching of what a user typed to a department (--dept, the recipients files):
        its INSEE code, or None. A code as typed ('2', '02', '2a', a spreadsheet's number 2.0)
        or its name, with case, accents, punctuation and a leading article
        ignored ('aisne', 'cotes d armor', 'Réunion' for 'La Réunion')."""
        text = str(typed).strip()
        if re.fullmatch(r"[0-9]+\.0+", text):  # a code a spreadsheet stored as a number
            text = text.split(".")[0]
        code = normalize_department_code(text)
        if code in self._departments:
            return code
        if not hasattr(self, "_by_name"):
            by_name_keys = {}
            for code, name, _ in self._departments.values():
                key = name_key(name)
                by_name_keys[key] = code
                by_name_keys.setdefault(re.sub(r"^(la|le|les|l) ", "", key), code)  # "Réunion" for "La Réunion"
            object.__setattr__(self, "_by_name", by_name_keys)
        return self._by_name.get(name_key(text))

    def product_labels(self, code: str) -> ProductLabels:
        """The labels of an A129 product code; a code the tables lack is its own label."""
        return self._products.get(code) or ProductLabels(code, code)

    def country_name(self, code: str) -> str:
        """The French name of a country code; a code the tables lack is its own name."""
        return self._countries.get(code, code)

    def region_name(self, code: str) -> str:
        try:
            return self._regions[code]
        except (KeyError, TypeError):
            raise FactsheetsError(f"région inconnue « {code} » ; utilisez un code de région INSEE comme 32") from None


def name_key(text: str) -> str:
    """A name reduced for matching: no accents, lower case, words only ('cotes d armor')."""
    decomposed = unicodedata.normalize("NFKD", text)
    # Accents dropped; any other sign (a typographic apostrophe ’, a dash) separates words.
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).lower()
    return " ".join(re.findall(r"[a-z0-9]+", plain))


def normalize_department_code(text: str) -> str:
    """What a user typed to an INSEE code: ' 2 ' -> '02', '2a' -> '2A', '971' unchanged.

    Only the form is normalised; whether the code exists is `Reference.department`'s job.
    """
    code = str(text).strip().upper()
    if code.isdigit() and len(code) == 1:
        code = "0" + code
    return code


def _frame(rows: list[tuple], columns: list[str]) -> pl.DataFrame:
    import polars as pl  # here only: `factsheets check` reads the tables without Polars

    return pl.DataFrame(rows, schema={name: pl.String for name in columns}, orient="row").sort("code")


@dataclass(frozen=True)
class ReferenceTables:
    """The reference tables as read and checked, before any Polars frame is built."""

    regions: dict[str, str]
    departments: list[tuple[str, str, str, str]]  # code, name, region, INSEE "type de nom en clair"
    products: list[tuple[str, str, str]]
    countries: dict[str, str]
    territoires: dict[str, tuple[str, ...]]


def _raise_if_any(problems: Problems) -> None:
    """One ConfigurationError listing every problem, file by file, each file's in line order."""
    if problems:
        raise ConfigurationError(problems.by_place())


def _read_tables(reference_dir: Path, problems: Problems) -> ReferenceTables:
    regions, region_codes = _load_regions(reference_dir / "regions.yaml", problems)
    departments, department_codes = _load_departments(reference_dir / "departments.yaml", region_codes, problems)
    return ReferenceTables(
        regions=regions,
        departments=departments,
        products=_load_products(reference_dir / "products.yaml", problems),
        countries=_load_countries(reference_dir / "countries.yaml", problems),
        territoires=_load_territoires(reference_dir / "territoires_industrie.yaml", department_codes, problems),
    )


def read_tables(reference_dir: Path | None = None) -> ReferenceTables:
    """Read and check the reference tables (no Polars: `factsheets check` uses this); every
    problem of every table is raised together, one line each."""
    reference_dir = Path(reference_dir) if reference_dir is not None else paths.reference_dir()
    problems = Problems()
    tables = _read_tables(reference_dir, problems)
    _raise_if_any(problems)
    return tables


def _read_reference(reference_dir: Path, config_dir: Path) -> Reference:
    problems = Problems()
    tables = _read_tables(reference_dir, problems)
    regions, departments, products, countries, territoires = (
        tables.regions,
        tables.departments,
        tables.products,
        dict(tables.countries),
        tables.territoires,
    )
    department_codes = {code for code, *_ in departments}
    unallocated, extra_products, extra_countries = _settings_codes(config_dir, department_codes, problems)
    _raise_if_any(problems)

    product_rows = {code: (code, label, short) for code, label, short in products}
    product_rows.update({code: (code, label, short) for code, (label, short) in extra_products.items()})
    countries.update(extra_countries)
    return Reference(
        departments=_frame([row[:3] for row in departments], ["code", "name", "region"]),
        regions=_frame(list(regions.items()), ["code", "name"]),
        products=_frame(list(product_rows.values()), ["code", "label", "short_label"]),
        countries=_frame(list(countries.items()), ["code", "name"]),
        territoires_industrie=territoires,
        unallocated_departments=unallocated,
        department_tncc={code: tncc for code, _, _, tncc in departments},
    )


_cached_reference = lru_cache(maxsize=None)(_read_reference)


@functools.wraps(_read_reference)
def load_reference(reference_dir: Path | None = None, config_dir: Path | None = None) -> Reference:
    """Read and check every reference table once per process (per configuration folder)."""
    reference_dir = Path(reference_dir) if reference_dir is not None else paths.reference_dir()
    config_dir = Path(config_dir) if config_dir is not None else paths.config_dir()
    return _cached_reference(reference_dir, config_dir)
