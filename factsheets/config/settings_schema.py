"""settings.yaml, typed and frozen: every value declared once (its type, default and help, in
the dataclasses below), read and checked once by `load_settings`, for `factsheets check` and
for rendering alike.

The declarations are the schema of a user's file: a key they declare and the file lacks is
missing (an error; the value read is the declared default), a key they do not declare is
unknown. Each value is checked where it is read (colours #RRGGBB, sizes, counts, opacities,
texts, font and logo files), and a bad one is one Problem at its file and line, naming the
file actually read (the `--config` folder's, or the shipped one). Consumers read attributes:
`settings.charts.treemap.font_size`, `settings.colors.text`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..errors import Problems, error_detail, printable
from .yaml_files import (
    LastRead,
    Source,
    compare_keys,
    error_at,
    file_stamp,
    in_range,
    kind_of,
    mapping_source,
    wrong_kind,
)

SETTINGS_FILE = "settings.yaml"
MAX_SIZE_POINTS = 2000
"""The largest chart size of settings.yaml, in points (an A4 page is 595 wide)."""
MAX_TOP = 500
"""The largest count of settings.yaml `indicators` (top products, countries…)."""
HEX_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
LOGO_KEYS = ("government", "agency")
MAX_LOGO_PIXELS = 50_000_000
"""The most pixels of a logo (a decompression bomb is refused, not drawn)."""
_FONT_MAGIC = (b"\x00\x01\x00\x00", b"true", b"OTTO", b"ttcf")
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")

Complaint = tuple[str, str] | None
"""(what is wrong, how to fix it), or None when the value is right."""


# -- kinds of value: how one is checked, and what is kept of it ------------------------------------
@dataclass(frozen=True)
class Kind:
    """`complaint(value, dotted name)`: what is wrong with a value; `convert`: the value kept.
    `opens_files`: the complaint reads the file the value names (a font, a logo).
    `entry_complaint(key, entry, dotted name)`: for a mapping of free keys (codes), what is
    wrong with one entry, reported at its own line; a wrong entry is left out."""

    complaint: Callable[[Any, str], Complaint]
    convert: Callable[[Any], Any] = lambda value: value
    opens_files: bool = False
    entry_complaint: Callable[[Any, Any, str], Complaint] | None = None


def _colour(value: Any, name: str) -> Complaint:
    if isinstance(value, str) and HEX_COLOUR.match(value.strip()):
        return None
    return f"couleur « {name} » invalide : « {value} »", 'écrivez-la en hexadécimal entre guillemets, par ex. "#18753C"'


def _count(value: Any, name: str) -> Complaint:
    if in_range(value, 1, MAX_TOP, integer=True):
        return None
    return f"« {name} » vaut « {value} »", f"indiquez un nombre entier entre 1 et {MAX_TOP}, par ex. 10"


def _size(value: Any, name: str) -> Complaint:
    if in_range(value, 0, MAX_SIZE_POINTS, low_open=True):
        return None
    return (
        f"taille « {name} » invalide : « {value} »",
        f"indiquez un nombre positif de points (1/72 de pouce) jusqu'à {MAX_SIZE_POINTS}, par ex. 480",
    )


def _opacity(value: Any, name: str) -> Complaint:
    if in_range(value, 0, 1, low_open=True):
        return None
    return f"opacité « {name} » invalide : « {value} »", "indiquez un nombre entre 0 et 1, par ex. 0.55"


def _text(example: str) -> Callable[[Any, str], Complaint]:
    def complaint(value: Any, name: str) -> Complaint:
        if isinstance(value, str) and value.strip():
            return None
        return f"« {name} » vaut « {printable(value)} »", f"indiquez un texte entre guillemets, par ex. {example}"

    return complaint


def _label(value: Any, name: str) -> Complaint:
    if isinstance(value, str):
        return None
    return f"« {name} » vaut « {printable(value)} »", 'indiquez un texte entre guillemets, par ex. "Importations"'


def _label_lines(value: Any, name: str) -> Complaint:
    lines = value if isinstance(value, list) else [value]
    if all(isinstance(line, str) for line in lines):
        return None
    return f"« {name} » vaut « {printable(value)} »", 'indiquez une liste de textes, par ex. ["{flow} :", "{value} {unit}"]'


def _has_magic(path: Path, magics: tuple[bytes, ...]) -> bool:
    try:
        with path.open("rb") as stream:
            head = stream.read(8)
    except OSError:
        return False
    return head.startswith(magics)


def _font_file(value: Any, name: str) -> Complaint:
    from ..fonts import find_font, font_problem

    if not isinstance(value, str) or not value.strip():
        return f"« {name} » vaut « {printable(value)} »", "indiquez le nom d'un fichier .ttf, par ex. OpenSans-Regular.ttf"
    found, candidates = find_font(value)
    if found is None:
        folders = " ou ".join(str(candidate.parent) for candidate in candidates)
        return (
            f"fichier de police « {value} » ({name}) introuvable dans {folders}",
            "corrigez le nom ou placez le fichier TTF dans le dossier fonts/ de la configuration",
        )
    if not _has_magic(found, _FONT_MAGIC):
        return f"« {found} » ({name}) n'est pas une police TrueType", "indiquez un fichier .ttf"
    problem = font_problem(found)  # opened, as a sheet will: truncated, damaged
    return None if problem is None else (f"« {found} » ({name}) : {problem.what}", problem.fix)


def image_problem(path: Path) -> str | None:
    """Why the image `path` cannot be drawn (a few words), or None: its header and data are read."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > MAX_LOGO_PIXELS:
                return f"est trop grand ({width} × {height} pixels)"
            image.load()
    except Exception as error:  # noqa: BLE001 (Pillow raises many kinds for a damaged file)
        return f"est illisible, fichier tronqué ou abîmé ({printable(error_detail(error), 80)})"
    return None


def _logo_file(value: Any, name: str) -> Complaint:
    from .. import paths

    path = paths.logo_path(value)
    if path is None:
        return None
    if not path.is_file():
        return (
            f"logo « {name} » introuvable : {path}",
            f"déposez le fichier dans {paths.assets_dir()} ou corrigez le chemin (null : pas de logo)",
        )
    if not _has_magic(path, _IMAGE_MAGIC):
        return f"logo « {name} » : {path} n'est ni un PNG ni un JPEG", "convertissez-le en PNG"
    problem = image_problem(path)  # opened, as the cover will
    return None if problem is None else (f"logo « {name} » : {path} {problem}", "remplacez-le par un PNG ou un JPEG complet")


def _code_mapping(value: Any, name: str) -> Complaint:
    if value is None or isinstance(value, dict):
        return None
    return (
        f"{name} doit associer des codes à des noms (code: nom)",
        "écrivez une ligne « code: nom » par code, le code entre guillemets",
    )


def _code_key(code: Any, entry: Any, name: str) -> Complaint:
    if isinstance(code, str) and code.strip():
        return None
    return f"{name} : le code « {code} » doit être du texte", 'écrivez-le entre guillemets, par ex. "00"'


@dataclass(frozen=True)
class ProductName:
    """An extra product code's labels; `short_label` None: the reference's shortening of `label`."""

    label: str
    short_label: str | None = None


def _code_names(value: Any) -> Mapping[str, str]:
    """code: name (the code itself when the name is empty)."""
    return MappingProxyType({code: str(name) if name else code for code, name in (value or {}).items()})


def _product_names(value: Any) -> Mapping[str, ProductName]:
    """code: label, or code: {label, short_label}."""
    names = {}
    for code, entry in (value or {}).items():
        if isinstance(entry, dict):
            short = entry.get("short_label")
            names[code] = ProductName(str(entry.get("label") or code), str(short) if short else None)
        else:
            names[code] = ProductName(str(entry) if entry else code)
    return MappingProxyType(names)


def _frozen(value: Any) -> Any:
    """A YAML value that cannot be changed: mappings read-only, lists as tuples."""
    if isinstance(value, dict):
        return MappingProxyType({key: _frozen(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    return value


COLOUR = Kind(_colour)
COUNT = Kind(_count)
SIZE = Kind(_size, float)
OPACITY = Kind(_opacity, float)
LABEL = Kind(_label)
LABEL_LINES = Kind(_label_lines, lambda value: tuple(value) if isinstance(value, list) else (value,))
FONT_FILE = Kind(_font_file, opens_files=True)
FAMILY = Kind(_text('"Open Sans"'))
PDF_TEXT = Kind(_text('"fr" pour la langue'))
LOGO = Kind(_logo_file, opens_files=True)
# Codes: their form here; whether a department code is a real department, with the reference tables.
CODE_NAMES = Kind(_code_mapping, _code_names, entry_complaint=_code_key)
PRODUCT_NAMES = Kind(_code_mapping, _product_names, entry_complaint=_code_key)


def _value(default: Any, kind: Kind, help: str) -> Any:
    """A setting: its default, its kind and what it is for, declared once."""
    if isinstance(default, dict):
        return field(default_factory=lambda: _frozen(default), metadata={"kind": kind, "help": help})
    return field(default=default, metadata={"kind": kind, "help": help})


def _section(cls: type, help: str, not_mapping: tuple[str, str] | None = None) -> Any:
    """A section of settings; `not_mapping`: (what, fix) when it is given as something else
    than key: value pairs, beyond what `compare_keys` says."""
    return field(default_factory=cls, metadata={"section": cls, "help": help, "not_mapping": not_mapping})


# -- the declarations (the order of settings.yaml) -------------------------------------------------
@dataclass(frozen=True)
class DataCodes:
    unallocated_departments: Mapping[str, str] = _value(
        {"00": "Non ventilé"}, CODE_NAMES, "codes département qui ne désignent aucun département (commerce non ventilé)"
    )
    extra_products: Mapping[str, ProductName] = _value({}, PRODUCT_NAMES, "codes produit admis en plus des tables de référence")
    extra_countries: Mapping[str, str] = _value({}, CODE_NAMES, "codes pays admis en plus des tables de référence")


@dataclass(frozen=True)
class Indicators:
    top_products: int = _value(10, COUNT, "produits nommés dans le treemap et les Sankey")
    top_countries: int = _value(10, COUNT, "pays nommés dans les Sankey")
    balance_top: int = _value(5, COUNT, "graphique 1 : union des premiers pays à l'import et à l'export")
    highlighted_flows: int = _value(5, COUNT, "Sankey : les plus grands flux nommés en rouge")


@dataclass(frozen=True)
class Fonts:
    family: str = _value("Open Sans", FAMILY, "nom de la famille (matplotlib, page web)")
    regular: str = _value("OpenSans-Regular.ttf", FONT_FILE, "fichier TTF du romain")
    bold: str = _value("OpenSans-Bold.ttf", FONT_FILE, "fichier TTF du gras")
    italic: str = _value("OpenSans-Italic.ttf", FONT_FILE, "fichier TTF de l'italique")
    bold_italic: str = _value("OpenSans-BoldItalic.ttf", FONT_FILE, "fichier TTF du gras italique")
    semibold: str = _value("OpenSans-Semibold.ttf", FONT_FILE, "fichier TTF du demi-gras")


@dataclass(frozen=True)
class Colours:
    text: str = _value("#1E1E1E", COLOUR, "texte courant")
    muted: str = _value("#666666", COLOUR, "texte secondaire")
    title: str = _value("#000091", COLOUR, "bleu des titres")
    accent: str = _value("#E1000F", COLOUR, "rouge")
    imports: str = _value("#3A6FB0", COLOUR, "treemap : bleu des importations")
    exports: str = _value("#7B3FA0", COLOUR, "treemap : violet des exportations")
    imports_label: str = _value("#1E1E1E", COLOUR, "libellés du bloc des importations du treemap")
    exports_label: str = _value("#1E1E1E", COLOUR, "libellés du bloc des exportations du treemap")
    balance_positive: str = _value("#18753C", COLOUR, "solde positif")
    balance_negative: str = _value("#CE0500", COLOUR, "solde négatif")
    bar_imports: str = _value("#3A6FB0", COLOUR, "barres des importations")
    bar_exports: str = _value("#7B3FA0", COLOUR, "barres des exportations")
    sankey_node: str = _value("#3C3C5A", COLOUR, "nœuds des Sankey")
    sankey_link: str = _value("#BDBDBD", COLOUR, "flux des Sankey")
    sankey_highlight: str = _value("#E1000F", COLOUR, "flux principaux des Sankey")
    sankey_other_node: str = _value("#9C9CB0", COLOUR, "nœud « Autres » des Sankey")
    rule: str = _value("#DDDDDD", COLOUR, "filets")


@dataclass(frozen=True)
class BalanceSizes:
    width: float = _value(480.0, SIZE, "largeur du graphique 1 (points)")
    row_height: float = _value(20.0, SIZE, "hauteur d'une ligne (points)")
    font_size: float = _value(8.0, SIZE, "taille des libellés (points)")


@dataclass(frozen=True)
class TreemapSizes:
    width: float = _value(480.0, SIZE, "largeur du treemap (points)")
    height: float = _value(270.0, SIZE, "hauteur du treemap (points)")
    font_size: float = _value(7.0, SIZE, "taille unique des libellés (cases, numéros, légende)")
    key_width: float = _value(140.0, SIZE, "largeur de la légende à droite du graphique")


@dataclass(frozen=True)
class SankeySizes:
    width: float = _value(480.0, SIZE, "largeur des Sankey (points)")
    height: float = _value(420.0, SIZE, "hauteur des Sankey (points)")
    font_size: float = _value(7.0, SIZE, "taille des libellés (points)")
    node_width: float = _value(8.0, SIZE, "largeur d'un nœud (points)")
    node_gap: float = _value(3.0, SIZE, "écart entre deux nœuds (points)")
    link_alpha: float = _value(0.55, OPACITY, "opacité des flux")
    highlight_alpha: float = _value(0.75, OPACITY, "opacité des flux principaux (en rouge)")


@dataclass(frozen=True)
class RegionSankeySizes:
    """What the comparison pages' Sankeys (region and France on one page) change of charts.sankey."""

    width: float = _value(480.0, SIZE, "largeur (points)")
    height: float = _value(285.0, SIZE, "hauteur (points)")
    font_size: float = _value(6.5, SIZE, "taille des libellés (points)")


@dataclass(frozen=True)
class EvolutionSizes:
    width: float = _value(480.0, SIZE, "largeur du graphique « Évolution » (points)")
    height: float = _value(215.0, SIZE, "hauteur (points)")
    font_size: float = _value(7.5, SIZE, "taille des libellés (points)")
    line_width: float = _value(1.8, SIZE, "épaisseur des courbes (points)")


@dataclass(frozen=True)
class ChartLabels:
    imports: str = _value("Importations", LABEL, "nom du flux des importations")
    exports: str = _value("Exportations", LABEL, "nom du flux des exportations")
    unit_millions: str = _value("M€", LABEL, "unité des montants")
    balance_imports: str = _value("Importations (M€)", LABEL, "en-tête des barres d'importations du graphique 1")
    balance_exports: str = _value("Exportations (M€)", LABEL, "en-tête des barres d'exportations du graphique 1")
    balance_header: str = _value("Solde (M€)", LABEL, "en-tête de la colonne des soldes")
    treemap_caption: str = _value("{flow}\u00a0: {value} {unit}", LABEL, "légende d'un bloc du treemap")
    treemap_caption_narrow: tuple[str, ...] = _value(
        ("{flow}\u00a0:", "{value} {unit}"), LABEL_LINES, "la même sur deux lignes, au-dessus d'un bloc étroit"
    )
    sankey_value: str = _value("{value}", LABEL, "valeur d'un nœud des Sankey")
    sankey_export_left: str = _value("Produits exportés (M€)", LABEL, "colonne de gauche du Sankey des exportations")
    sankey_export_right: str = _value("Pays de destination (M€)", LABEL, "colonne de droite du Sankey des exportations")
    sankey_import_left: str = _value("Pays d’origine (M€)", LABEL, "colonne de gauche du Sankey des importations")
    sankey_import_right: str = _value("Produits importés (M€)", LABEL, "colonne de droite du Sankey des importations")
    no_data: str = _value("Aucun échange enregistré", LABEL, "graphique sans donnée")


@dataclass(frozen=True)
class Charts:
    balance: BalanceSizes = _section(BalanceSizes, "graphique 1 : solde par pays")
    treemap: TreemapSizes = _section(TreemapSizes, "graphique 2 : produits")
    sankey: SankeySizes = _section(SankeySizes, "graphiques 3 et 4 : Sankey")
    region_sankey: RegionSankeySizes = _section(RegionSankeySizes, "Sankey des pages de comparaison")
    evolution: EvolutionSizes = _section(EvolutionSizes, "page « Évolution »")
    labels: ChartLabels = _section(ChartLabels, "les mots imprimés dans les graphiques")


@dataclass(frozen=True)
class Pdf:
    author: str = _value("Agence nationale de la cohésion des territoires", PDF_TEXT, "auteur du PDF")
    creator: str = _value("factsheets", PDF_TEXT, "outil qui l'a créé")
    language: str = _value("fr", PDF_TEXT, "langue du document")


@dataclass(frozen=True)
class LogoFiles:
    government: str | None = _value(None, LOGO, "logo de gauche (PNG ou JPEG), null : bloc texte")
    agency: str | None = _value(None, LOGO, "logo de droite (PNG ou JPEG), null : nom de l'agence")


@dataclass(frozen=True)
class Settings:
    """settings.yaml: codes, top-N, fonts, colours, chart sizes and words, PDF metadata, logos."""

    data: DataCodes = _section(DataCodes, "codes admis en entrée")
    indicators: Indicators = _section(Indicators, "combien de produits et de pays sont nommés")
    fonts: Fonts = _section(Fonts, "polices")
    colors: Colours = _section(Colours, "couleurs")
    charts: Charts = _section(Charts, "graphiques")
    pdf: Pdf = _section(Pdf, "métadonnées du PDF")
    logos: LogoFiles = _section(
        LogoFiles,
        "logos de la couverture",
        ("« logos » doit contenir government et agency", "écrivez par ex. « government: null »"),
    )


TREEMAP_LABELS = (("imports", "imports_label"), ("exports", "exports_label"))
"""(block colour, colour of the labels printed on its tiles) of the treemap's two blocks."""


def _check_treemap_labels(colours: Colours, source: Source, problems: Problems) -> None:
    """Each treemap block's label colour must read on every shade of the block
    (contrast.label_complaint): one problem at the label colour's line."""
    from ..contrast import label_complaint

    for block_key, label_key in TREEMAP_LABELS:
        complaint = label_complaint(getattr(colours, block_key), getattr(colours, label_key))
        if complaint is not None:
            what, fix = complaint
            problems.add(error_at(source.place("colors", label_key), f"« colors.{label_key} » : {what}", fix))


FREE_SECTIONS = {("data", "unallocated_departments"), ("data", "extra_products"), ("data", "extra_countries")}
"""Sections whose keys are free (codes), not names from the declarations."""

# The order `check` has always reported the values of settings.yaml in.
_CHECK_ORDER = ("colors", "indicators", "charts", "fonts", "logos", "pdf", "data")


def _plain(value: Any) -> Any:
    """A declared default as YAML reads it (mappings as dicts, tuples as lists)."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


@cache
def schema(cls: type = Settings) -> dict[str, Any]:
    """The declared defaults of `cls` as the mapping settings.yaml holds (a user's file is
    compared with it key by key)."""
    tree: dict[str, Any] = {}
    for declared in fields(cls):
        section = declared.metadata.get("section")
        tree[declared.name] = schema(section) if section is not None else _plain(_default(declared))
    return tree


def _default(declared: Any) -> Any:
    return declared.default_factory() if callable(declared.default_factory) else declared.default


def _read(
    cls: type,
    raw: Any,
    keys: tuple,
    source: Source,
    problems: Problems,
    order: tuple[str, ...] = (),
    not_mapping: tuple[str, str] | None = None,
    files: bool = True,
) -> Any:
    """An instance of the section `cls` from its YAML value `raw`: each value checked (one
    problem at its line when wrong, the declared default kept then), missing ones defaulted."""
    if not_mapping is not None and raw is not None and not isinstance(raw, dict):
        problems.add(error_at(source.place(*keys), *not_mapping))
    section = raw if isinstance(raw, dict) else {}
    declared = {item.name: item for item in fields(cls)}
    values = {}
    for name in sorted(declared, key=lambda name: order.index(name) if name in order else len(order)):
        item = declared[name]
        sub = item.metadata.get("section")
        if sub is not None:
            values[name] = _read(
                sub, section.get(name), keys + (name,), source, problems, not_mapping=item.metadata["not_mapping"], files=files
            )
            continue
        if name not in section:
            continue  # missing: `compare_keys` says so; the declared default is kept
        value = section[name]
        default = _plain(_default(item))
        free = keys + (name,) in FREE_SECTIONS  # `compare_keys` leaves these to their kind
        if not free and default is not None and value is not None and kind_of(value) != kind_of(default):
            continue  # a list for a number…: `compare_keys` says so, once; the declared default is kept
        kind: Kind = item.metadata["kind"]
        dotted_name = ".".join(keys + (name,))
        complaint = None if kind.opens_files and not files else kind.complaint(value, dotted_name)
        if complaint is not None:
            problems.add(error_at(source.place(*keys, name), *complaint))
            continue
        if kind.entry_complaint is not None and isinstance(value, dict):
            value = _checked_entries(kind.entry_complaint, value, keys + (name,), source, problems)
        values[name] = kind.convert(value)
    return cls(**values)


def _checked_entries(
    complaint: Callable[[Any, Any, str], Complaint], value: dict, keys: tuple, source: Source, problems: Problems
) -> dict:
    """The entries of `value` that pass `complaint`; each other one is a problem at its line."""
    kept = {}
    for key, entry in value.items():
        wrong = complaint(key, entry, ".".join(keys))
        if wrong is None:
            kept[key] = entry
        else:
            problems.add(error_at(source.place(*keys, key), *wrong))
    return kept


def load_settings(folder: Path, *, files: bool = True) -> tuple[Settings | None, Problems]:
    """settings.yaml of `folder`, typed, and its problems (one per wrong value, at its line).

    None when the file cannot be read as a mapping. With problems, the Settings hold the
    declared default in place of each wrong or missing value (for `check` to go on).
    `files=False` leaves the fonts and logos unopened (rendering, once check_cache knows
    that this very configuration, files included, passed `check`)."""
    path = Path(folder) / SETTINGS_FILE
    stamp = file_stamp(path)
    problems = Problems()
    source = mapping_source(path, problems)
    loaded = None
    if source is not None:
        compare_keys(source, source.data, schema(), (), problems, unknown_is_error=True, free=FREE_SECTIONS)
        loaded = _read(Settings, source.data, (), source, problems, _CHECK_ORDER, files=files)
        _check_treemap_labels(loaded.colors, source, problems)
    _LAST_READ.keep(path, stamp, loaded, problems)
    return loaded, problems


_LAST_READ = LastRead()  # rendering takes what check read: the fonts and logos are not opened again


def load_section(folder: Path, name: str) -> tuple[Any, Problems]:
    """One section of settings.yaml in `folder` (`data` for the reference tables), typed and
    read by the same declarations and checks as load_settings, and its problems, each at its
    key's line. The rest of the file is not held against the schema (`check` does that).
    None when the file cannot be read as a mapping."""
    path = Path(folder) / SETTINGS_FILE
    if _LAST_READ.known(path) is None:
        load_settings(folder, files=False)  # kept: rendering's settings() then reads nothing again
    known = _LAST_READ.known(path)
    if known is not None and known[0] is not None and not known[1]:
        return getattr(known[0], name), Problems()  # the whole file passed
    problems = Problems()  # the section alone, for its own problems at their lines
    source = mapping_source(path, problems)
    if source is None:
        return None, problems
    declared = next(item for item in fields(Settings) if item.name == name)
    raw = source.data.get(name)
    wrong = wrong_kind(source, (name,), raw, schema()[name])  # the same line as check's
    if wrong is not None:
        problems.add(wrong)
    section = raw if isinstance(raw, dict) else None
    return _read(declared.metadata["section"], section, (name,), source, problems, files=False), problems


def settings(config_dir: Path | None = None) -> Settings:
    """settings.yaml of the configuration in use (or of `config_dir`), typed and frozen; its
    errors raise ConfigurationError, one line each."""
    from .. import paths

    folder = Path(config_dir) if config_dir is not None else paths.config_dir()
    # Opened by check (the preflight, or its recorded pass: check_cache) before any rendering.
    return _LAST_READ.loaded(folder / SETTINGS_FILE, lambda: load_settings(folder, files=False))


def settings_file() -> Path:
    """The settings.yaml in use (--config), which messages name."""
    from .. import paths

    return paths.config_dir() / SETTINGS_FILE
