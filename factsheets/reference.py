"""Reference tables: departments, regions, A129 products, partner countries, Territoires d'industrie.

The tables are YAML files under config/reference/ (each names its source and version in its
header); the country list is ISO 3166-1 read from pycountry with its French translation,
corrected by config/reference/countries.yaml. Codes a user adds in config/settings.yaml
(data.extra_products, data.extra_countries, data.unallocated_departments) are merged in.

Every problem in these files is one FactsheetsError naming the file and the line: a YAML
syntax error, a duplicate code, an unquoted code that YAML read as a number or a boolean, a
department pointing to an unknown region.
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
from typing import TYPE_CHECKING, Any

import pycountry

from . import paths
from .config import Source as _Source
from .config import read_source, settings
from .errors import FactsheetsError

if TYPE_CHECKING:
    import polars as pl

DEPARTMENT_CODE = re.compile(r"^(0[1-9]|1[0-9]|2[1-9]|[3-8][0-9]|9[0-5]|2A|2B|97[12346])$")
REGION_CODE = re.compile(r"^[0-9]{2}$")
PRODUCT_CODE = re.compile(r"^[A-Z][0-9]{2}[A-Z]$")
COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
SHORT_LABEL_MAX = 26

_MISSING_TABLE = "table de référence introuvable ; restaurez-la (factsheets init DIR en écrit une copie)"


def _read_source(path: Path) -> _Source:
    return read_source(path, depth=2, missing=_MISSING_TABLE, duplicate_what="le code")


def _mapping(source: _Source, value: Any, *keys: Any, what: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FactsheetsError(f"{source.where(*keys)} : {what} doit associer des codes à des valeurs (code: valeur)")
    return value


def _checked_code(source: _Source, key: Any, pattern: re.Pattern, kind: str, example: str, *parents: Any) -> str:
    where = source.where(*parents, key)
    if not isinstance(key, str):
        raise FactsheetsError(
            f"{where} : le code {kind} {key!r} a été lu comme {type(key).__name__} et non comme du texte ; "
            f'écrivez-le entre guillemets, par ex. "{example}"'
        )
    if not pattern.match(key):
        raise FactsheetsError(f"{where} : « {key} » n'est pas un code {kind} valide (par ex. {example})")
    return key


def _text(source: _Source, value: Any, what: str, *keys: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FactsheetsError(f"{source.where(*keys)} : {what} doit être un texte non vide")
    return value.strip()


def _load_regions(path: Path) -> dict[str, str]:
    source = _read_source(path)
    entries = _mapping(source, source.data, what="le fichier")
    if not entries:
        raise FactsheetsError(f"{path} : aucune région ; le fichier doit lister les régions INSEE")
    return {
        _checked_code(source, code, REGION_CODE, "de région", "32"): _text(source, name, f"le nom de la région {code}", code)
        for code, name in entries.items()
    }


def _load_departments(path: Path, regions: dict[str, str]) -> list[tuple[str, str, str, int]]:
    source = _read_source(path)
    entries = _mapping(source, source.data, what="le fichier")
    if not entries:
        raise FactsheetsError(f"{path} : aucun département ; le fichier doit lister les départements INSEE")
    rows = []
    for code, entry in entries.items():
        code = _checked_code(source, code, DEPARTMENT_CODE, "de département", "02")
        if not isinstance(entry, dict):
            raise FactsheetsError(f"{source.where(code)} : le département {code} doit avoir « name » et « region »")
        name = _text(source, entry.get("name"), f"le nom du département {code}", code)
        region = entry.get("region")
        if not isinstance(region, str) or region not in regions:
            raise FactsheetsError(
                f"{source.where(code)} : le département {code} renvoie à la région « {region} », absente de "
                f"{path.parent / 'regions.yaml'} ; utilisez un code de région entre guillemets, par ex. \"32\""
            )
        tncc = entry.get("tncc")
        if isinstance(tncc, bool) or tncc not in TNCC_ARTICLES:
            raise FactsheetsError(
                f"{source.where(code)} : le département {code} doit avoir « tncc », le type de nom en clair du COG "
                f"(un entier de 0 à 8, ex. 5 pour « l'Aisne ») ; trouvé : « {tncc} »"
            )
        rows.append((code, name, region, tncc))
    return rows


# INSEE COG "type de nom en clair" -> (article, the name's form after "de"): 0 no article,
# consonant ("de Paris"); 1 no article, vowel or mute h ("d'"); 2 le ("du"); 3 la ("de la");
# 4 les ("des"); 5 l' ("de l'"); 6 aux ("des"); 7 las ("de las"); 8 los ("de los").
TNCC_ARTICLES = {0: "de ", 1: "d'", 2: "du ", 3: "de la ", 4: "des ", 5: "de l'", 6: "des ", 7: "de las ", 8: "de los "}


def name_after_de(name: str, tncc: int) -> str:
    """A place name after "de", with its article: "de l'Aisne", "du Nord", "des Bouches-du-Rhône"."""
    return TNCC_ARTICLES[tncc] + name


def _load_products(path: Path) -> list[tuple[str, str, str]]:
    source = _read_source(path)
    entries = _mapping(source, source.data, what="le fichier")
    if not entries:
        raise FactsheetsError(f"{path} : aucun produit ; le fichier doit lister les codes produits A129")
    rows = []
    for code, entry in entries.items():
        code = _checked_code(source, code, PRODUCT_CODE, "produit A129", "C30C")
        if not isinstance(entry, dict):
            raise FactsheetsError(f"{source.where(code)} : le produit {code} doit avoir « label » et « short_label »")
        label = _text(source, entry.get("label"), f"le label du produit {code}", code)
        short = _text(source, entry.get("short_label"), f"le short_label du produit {code}", code)
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


def _load_countries(path: Path) -> dict[str, str]:
    source = _read_source(path)
    sections = _mapping(source, source.data, what="le fichier")
    unknown = sorted(set(map(str, sections)) - {"overrides", "extra", "special"})
    if unknown:
        raise FactsheetsError(
            f"{source.where(unknown[0])} : section inconnue « {unknown[0]} » ; utilisez overrides, extra ou special"
        )
    names = _iso_country_names()
    for section in ("overrides", "extra", "special"):
        entries = _mapping(source, sections.get(section), section, what=f"la section « {section} »")
        for code, name in entries.items():
            code = _checked_code(source, code, COUNTRY_CODE, "pays", "DE", section)
            names[code] = _text(source, name, f"le nom du pays {code}", section, code)
    return names


def _load_territoires(path: Path, departments: set[str]) -> dict[str, tuple[str, ...]]:
    source = _read_source(path)
    entries = _mapping(source, source.data, what="le fichier")
    result = {}
    for code, names in entries.items():
        code = _checked_code(source, code, DEPARTMENT_CODE, "de département", "02")
        if code not in departments:
            raise FactsheetsError(f"{source.where(code)} : le département {code} ne figure pas dans departments.yaml")
        if not isinstance(names, list) or not names:
            raise FactsheetsError(f"{source.where(code)} : le département {code} doit avoir une liste de Territoires d'industrie")
        result[code] = tuple(_text(source, name, f"un Territoire d'industrie de {code}", code) for name in names)
    return result


def _short(name: str) -> str:
    return name if len(name) <= SHORT_LABEL_MAX else name[: SHORT_LABEL_MAX - 1].rstrip() + "…"


def _settings_codes(config_dir: Path, departments: set[str]) -> tuple[dict[str, str], dict, dict[str, str]]:
    """data.unallocated_departments, data.extra_products, data.extra_countries from settings.yaml."""
    where = Path(config_dir) / "settings.yaml"
    data = settings(Path(config_dir)).get("data") or {}
    if not isinstance(data, dict):
        raise FactsheetsError(f"{where} : « data » doit contenir des paires clé: valeur")

    def section(key: str) -> dict:
        value = data.get(key) or {}
        if not isinstance(value, dict):
            raise FactsheetsError(f"{where} : data.{key} doit associer des codes à des noms (code: nom)")
        for code in value:
            if not isinstance(code, str) or not code.strip():
                raise FactsheetsError(f'{where} : data.{key} : le code « {code} » doit être du texte ; écrivez-le entre guillemets, par ex. "00"')
        return value

    unallocated = {code: str(label) for code, label in section("unallocated_departments").items()}
    clash = sorted(set(unallocated) & departments)
    if clash:
        raise FactsheetsError(
            f"{where} : data.unallocated_departments contient « {clash[0]} », qui est un vrai département ; retirez-le"
        )
    products = {}
    for code, entry in section("extra_products").items():
        if isinstance(entry, dict):
            label = str(entry.get("label") or code)
            products[code] = (label, str(entry.get("short_label") or _short(label)))
        else:
            label = str(entry) if entry else code
            products[code] = (label, _short(label))
    countries = {code: str(name) if name else code for code, name in section("extra_countries").items()}
    return unallocated, products, countries


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
    _departments: dict[str, tuple[str, str, str]] = field(init=False, repr=False, compare=False)
    _regions: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_departments", {row[0]: row for row in self.departments.iter_rows()})
        object.__setattr__(self, "_regions", dict(self.regions.iter_rows()))

    def department(self, code: str) -> tuple[str, str, str]:
        """(code, name, region code) of an INSEE department code such as '02' or '2A'."""
        try:
            return self._departments[code]
        except (KeyError, TypeError):
            raise FactsheetsError(f"département inconnu « {code} » ; utilisez un code INSEE comme 02 ou 2A") from None

    def department_after_de(self, code: str) -> str:
        """The department's name after "de", with its article: "de l'Aisne", "du Nord"."""
        _, name, _ = self.department(code)
        return name_after_de(name, self.department_tncc[code])

    def department_codes(self, typed: Iterable[str] | None = None) -> list[str]:
        """Codes as a user typed them, normalised and checked, duplicates dropped, in the order
        given; None means every department, in code order. An unknown code raises, naming it."""
        if typed is None:
            return list(self._departments)
        return list(dict.fromkeys(self.resolve_department(text) for text in typed))

    def resolve_department(self, typed: str) -> str:
        """The INSEE code of a department typed as a code ('2', '02', '2a') or as its name,
        case, accents and punctuation ignored ('aisne', 'Côtes-d'Armor', 'cotes d armor')."""
        code = normalize_department_code(typed)
        if code in self._departments:
            return code
        if not hasattr(self, "_by_name"):
            by_name = {}
            for code, name, _ in self._departments.values():
                key = name_key(name)
                by_name[key] = code
                by_name.setdefault(re.sub(r"^(la|le|les|l) ", "", key), code)  # "Réunion" for "La Réunion"
            object.__setattr__(self, "_by_name", by_name)
        found = self._by_name.get(name_key(str(typed)))
        if found is None:
            raise FactsheetsError(
                f"département inconnu « {str(typed).strip()} » ; indiquez un code INSEE (02, 2A, 971) ou un nom "
                "(Aisne, Côtes-d'Armor) ; la liste : factsheets departements"
            )
        return found

    def region_name(self, code: str) -> str:
        try:
            return self._regions[code]
        except (KeyError, TypeError):
            raise FactsheetsError(f"région inconnue « {code} » ; utilisez un code de région INSEE comme 32") from None


def name_key(text: str) -> str:
    """A name reduced for matching: no accents, lower case, words only ('cotes d armor')."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
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


def read_tables(reference_dir: Path | None = None) -> ReferenceTables:
    """Read and check the reference tables (no Polars: `factsheets check` uses this)."""
    reference_dir = Path(reference_dir) if reference_dir is not None else paths.reference_dir()
    regions = _load_regions(reference_dir / "regions.yaml")
    departments = _load_departments(reference_dir / "departments.yaml", regions)
    department_codes = {code for code, *_ in departments}
    return ReferenceTables(
        regions=regions,
        departments=departments,
        products=_load_products(reference_dir / "products.yaml"),
        countries=_load_countries(reference_dir / "countries.yaml"),
        territoires=_load_territoires(reference_dir / "territoires_industrie.yaml", department_codes),
    )


def _read_reference(reference_dir: Path, config_dir: Path) -> Reference:
    tables = read_tables(reference_dir)
    regions, departments, products, countries, territoires = (
        tables.regions, tables.departments, tables.products, dict(tables.countries), tables.territoires)
    department_codes = {code for code, *_ in departments}
    unallocated, extra_products, extra_countries = _settings_codes(config_dir, department_codes)

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
