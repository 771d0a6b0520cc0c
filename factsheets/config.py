"""YAML configuration: settings (colours, sizes, top-N, fonts, allowed codes), texts, editions.

Every YAML file is read through `load_yaml` (or `read_source`, which also records the line
of every key), which turns a missing file or a syntax error into one FactsheetsError line
naming the file and the line. The folder read is the configuration in use
(`paths.config_dir()`: `--config DIR`, FACTSHEETS_CONFIG, or the shipped defaults).

Texts: `texts.yaml` holds the year-neutral texts; its `editions:` section holds, per year of
the data, the texts bound to that edition (the context paragraphs…) and its publication
date. `sheet_texts(year)` gives the texts of one year's sheets. Which `{placeholders}` a text
may use is declared once, in PLACEHOLDERS (checked by `factsheets check`).
"""

from __future__ import annotations

import datetime
import fnmatch
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from . import paths
from .errors import FactsheetsError, Problem

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Bounded work (SPEC 14): a configuration file is small. Beyond these bounds a file is refused
# before it is built, so an alias bomb ("billion laughs") or a huge file cannot hang a run.
MAX_YAML_BYTES = 4 * 1024 * 1024
"""The largest YAML file read (the shipped ones are under 20 kB)."""
MAX_YAML_NODES = 200_000
"""The most values a YAML file may hold once its aliases (*name) and merges (<<) are expanded."""


MAX_SIZE_POINTS = 2000
"""The largest chart size of settings.yaml, in points (an A4 page is 595 wide)."""
MAX_TOP = 500
"""The largest count of settings.yaml `indicators` (top products, countries…)."""


def in_range(value: Any, low: float, high: float, *, integer: bool = False, low_open: bool = False) -> bool:
    """Whether a configuration value is a finite number within [low, high] (]low, high] with
    low_open): never a boolean, an infinity, NaN or an absurd size (SPEC 14)."""
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
        return False
    if not math.isfinite(value):
        return False
    return (low < value if low_open else low <= value) and value <= high


def _read_text(path: Path, missing: str) -> str:
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_YAML_BYTES + 1)  # never more: a huge file (or a device) is not read whole
        if len(raw) > MAX_YAML_BYTES:
            raise FactsheetsError(
                Problem(
                    str(path),
                    what=f"fichier YAML trop gros (plus de {MAX_YAML_BYTES // 1024 // 1024} Mo)",
                    fix="un fichier de configuration tient en quelques dizaines de ko",
                )
            )
        return raw.decode("utf-8")
    except FileNotFoundError:
        raise FactsheetsError(Problem(str(path), what=missing)) from None
    except UnicodeDecodeError as error:
        raise FactsheetsError(
            Problem(str(path), what=f"texte non UTF-8 ({error.reason} à l'octet {error.start})", fix="enregistrez-le en UTF-8")
        ) from None
    except IsADirectoryError:
        raise FactsheetsError(Problem(str(path), what="c'est un dossier, un fichier YAML est attendu")) from None
    except OSError as error:
        raise FactsheetsError(Problem(str(path), what=f"lecture impossible ({error.strerror})")) from None


def _syntax_error(path: Path, error: yaml.YAMLError) -> FactsheetsError:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    return FactsheetsError(
        Problem(
            str(path),
            mark.line + 1 if mark is not None else None,
            f"YAML invalide ({problem})",
            "corrigez la syntaxe à cette ligne",
        )
    )


def _too_deep(path: Path) -> FactsheetsError:
    return FactsheetsError(Problem(str(path), what="YAML imbriqué trop profondément", fix="simplifiez la structure du fichier"))


def _expanded_size_error(path: Path, node: yaml.Node | None) -> FactsheetsError | None:
    """The error for a document that holds more than MAX_YAML_NODES values once its aliases
    are expanded (or that refers to itself), else None. Stops counting at the bound."""
    if node is None:
        return None
    count, stack = 0, [node]
    while stack:
        current = stack.pop()
        count += 1
        if count > MAX_YAML_NODES:
            return FactsheetsError(
                Problem(
                    str(path),
                    current.start_mark.line + 1 if current.start_mark is not None else None,
                    f"YAML trop grand une fois ses alias (*nom) développés (plus de {MAX_YAML_NODES} valeurs)",
                    "retirez les alias imbriqués (« billion laughs ») ou écrivez les valeurs en clair",
                )
            )
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                stack.append(key_node)
                stack.append(value_node)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return None


def compose_yaml(path: Path, text: str, loader_class: type = _BaseLoader) -> tuple[Any, yaml.Node | None]:
    """The one way YAML is read: (loader, root node) of `text`, refused beyond the bounds.

    The caller constructs from the loader (or reads the nodes) and disposes of it."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as error:
        loader.dispose()
        raise _syntax_error(path, error) from None
    except RecursionError:
        loader.dispose()
        raise _too_deep(path) from None
    problem = _expanded_size_error(path, node)
    if problem is not None:
        loader.dispose()
        raise problem
    return loader, node


def compose_nodes(path: Path, text: str) -> yaml.Node | None:
    """The root node of `text` (for readers that keep the line of each value), bounds checked."""
    loader, node = compose_yaml(path, text)
    loader.dispose()
    return node


def load_yaml(path: Path) -> Any:
    path = Path(path)
    text = _read_text(path, "fichier introuvable")
    # The loader of read_source too: the same syntax error reads the same whichever reads it.
    loader, node = compose_yaml(path, text)
    try:
        return loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as error:
        raise _syntax_error(path, error) from None
    except RecursionError:
        raise _too_deep(path) from None
    finally:
        loader.dispose()


def load_mapping(path: Path) -> dict[str, Any]:
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise FactsheetsError(Problem(str(path), what="le premier niveau du YAML doit être une suite de paires clé: valeur"))
    return data


def require(mapping: dict[str, Any], key: str, source: Path | str) -> Any:
    """A key the program cannot do without: its absence is a config error naming file and key."""
    if key not in mapping:
        raise FactsheetsError(Problem(str(source), what=f"clé « {key} » manquante"))
    return mapping[key]


# -- YAML with the line of every key ----------------------------------------------------------
class _DuplicateKey(Exception):
    def __init__(self, key: Any, line: int, first_line: int):
        super().__init__(key)
        self.key, self.line, self.first_line = key, line, first_line


class _StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe YAML loader that refuses a key given twice in the same mapping.

    Plain `yaml.safe_load` keeps the last of two equal keys silently, which would drop a
    department or a product without a word. With `duplicates` set to a list, every duplicate
    is recorded there and reading goes on with the first value (the later pairs are dropped
    from the node, so that key lines still pair with the keys of the mapping).
    """

    duplicates: list[_DuplicateKey] | None = None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        kept = []
        for pair in node.value:
            key_node = pair[0]
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # unhashable key: the base constructor reports it
                break
            line = key_node.start_mark.line + 1
            if first is not None:
                if self.duplicates is None:
                    raise _DuplicateKey(key, line, first)
                self.duplicates.append(_DuplicateKey(key, line, first))
                continue
            seen[key] = line
            kept.append(pair)
        else:
            node.value = kept
        return super().construct_mapping(node, deep=deep)


@dataclass(frozen=True)
class Source:
    """A parsed YAML file with the line of each key (list items by their index)."""

    path: Path
    data: Any
    lines: dict[tuple, int]

    def line(self, *keys: Any) -> int | None:
        """The line of the deepest of `keys` whose line is known, else None."""
        for depth in range(len(keys), 0, -1):
            line = self.lines.get(tuple(keys[:depth]))
            if line is not None:
                return line
        return None

    def place(self, *keys: Any) -> tuple[str, int | None]:
        """(file, line) of `keys` (see `line`): where a problem with them is."""
        return str(self.path), self.line(*keys)

    def where(self, *keys: Any) -> str:
        """'file:line' of the deepest of `keys` whose line is known, else 'file'."""
        return Problem(str(self.path), self.line(*keys)).where

    def problem(self, *keys: Any, what: str, fix: str = "", warning: bool = False) -> Problem:
        """A problem at the line of `keys` (see `line`) in this file."""
        return Problem(str(self.path), self.line(*keys), what, fix, warning)


def _index_lines(node: yaml.Node, data: Any, prefix: tuple, lines: dict[tuple, int], depth: int) -> None:
    if depth == 0:
        return
    if isinstance(node, yaml.MappingNode) and isinstance(data, dict):
        for (key_node, value_node), key in zip(node.value, data):
            lines[prefix + (key,)] = key_node.start_mark.line + 1
            _index_lines(value_node, data[key], prefix + (key,), lines, depth - 1)
    elif isinstance(node, yaml.SequenceNode) and isinstance(data, list):
        for index, (item_node, item) in enumerate(zip(node.value, data)):
            lines[prefix + (index,)] = item_node.start_mark.line + 1
            _index_lines(item_node, item, prefix + (index,), lines, depth - 1)


def _duplicate_line(path: Path, duplicate: _DuplicateKey, what: str) -> Problem:
    return Problem(
        str(path),
        duplicate.line,
        f"{what} « {duplicate.key} » figure deux fois (d'abord à la ligne {duplicate.first_line})",
        f"gardez une seule entrée{' par code' if what == 'le code' else ''}",
    )


def read_source(
    path: Path,
    *,
    depth: int = 2,
    missing: str = "fichier introuvable",
    duplicate_what: str = "la clé",
    duplicates: list[Problem] | None = None,
) -> Source:
    """Parse `path` strictly, recording key lines `depth` levels deep.

    A key given twice in one mapping raises, unless `duplicates` is a list: then one problem per
    duplicate is appended to it and the file is read to its end (the first value kept).
    """
    path = Path(path)
    text = _read_text(path, missing)
    loader, node = compose_yaml(path, text, _StrictLoader)
    if duplicates is not None:
        loader.duplicates = []
    try:
        data = loader.construct_document(node) if node is not None else None
    except _DuplicateKey as duplicate:
        raise FactsheetsError(_duplicate_line(path, duplicate, duplicate_what)) from None
    except yaml.YAMLError as error:
        raise _syntax_error(path, error) from None
    except RecursionError:
        raise _too_deep(path) from None
    finally:
        loader.dispose()
    if duplicates is not None:
        duplicates.extend(_duplicate_line(path, duplicate, duplicate_what) for duplicate in loader.duplicates)
    lines: dict[tuple, int] = {}
    if node is not None:
        _index_lines(node, data, (), lines, depth)
    return Source(path, data, lines)


def problem_at(path: Path, *keys: Any, what: str, fix: str = "", warning: bool = False) -> Problem:
    """A problem at the line of `keys` in the YAML file `path` (read again for its lines, only
    to report it), or at the file when that line cannot be found."""
    try:
        line = read_source(path, depth=max(len(keys), 1)).line(*keys)
    except FactsheetsError:
        line = None
    return Problem(str(path), line, what, fix, warning)


# -- settings and texts ------------------------------------------------------------------------
def _folder(config_dir: Path | None) -> Path:
    return Path(config_dir) if config_dir is not None else paths.config_dir()


def settings(config_dir: Path | None = None) -> dict[str, Any]:
    """settings.yaml of the configuration in use: colours, sizes, top-N, fonts, metadata, codes."""
    return _cached_mapping(_folder(config_dir) / "settings.yaml")


def texts(config_dir: Path | None = None) -> dict[str, Any]:
    """texts.yaml of the configuration in use: every fixed French text of the sheet."""
    return _cached_mapping(_folder(config_dir) / "texts.yaml")


@cache
def _cached_mapping(path: Path) -> dict[str, Any]:
    return load_mapping(path)


# -- editions ----------------------------------------------------------------------------------
EDITIONS_KEY = "editions"
PUBLICATION_DATE_KEY = "publication_date"


@dataclass(frozen=True)
class Edition:
    year: int
    publication_date: datetime.date | None  # None: no edition for that year (year-neutral texts)


def edition_of(all_texts: dict[str, Any], year: int) -> Edition:
    entry = (all_texts.get(EDITIONS_KEY) or {}).get(year)
    date = entry.get(PUBLICATION_DATE_KEY) if isinstance(entry, dict) else None
    if isinstance(date, str):
        date = datetime.date.fromisoformat(date)
    return Edition(year, date if isinstance(date, datetime.date) else None)


def _overlay(base: Any, override: Any) -> Any:
    """`override` laid over `base`: mappings merged key by key, anything else replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _overlay(base.get(key), value)
        return merged
    return override


def neutral_texts(all_texts: dict[str, Any]) -> dict[str, Any]:
    """The year-neutral texts of texts.yaml: everything but `editions:`."""
    return {key: value for key, value in all_texts.items() if key != EDITIONS_KEY}


def sheet_texts(year: int, all_texts: dict[str, Any] | None = None) -> dict[str, Any]:
    """The texts of the sheets of `year`: the year-neutral texts with that year's edition laid
    over them (its texts replace the neutral ones key by key). Without an edition for `year`,
    the year-neutral texts (`factsheets check` warns)."""
    all_texts = texts() if all_texts is None else all_texts
    edition = (all_texts.get(EDITIONS_KEY) or {}).get(year)
    neutral = neutral_texts(all_texts)
    if not isinstance(edition, dict):
        return neutral
    overrides = {key: value for key, value in edition.items() if key != PUBLICATION_DATE_KEY}
    return _overlay(neutral, overrides)


def pdf_timestamp(edition: Edition) -> datetime.datetime | None:
    """The PDF creation date: the edition's publication date (noon UTC, so that the date
    reads the same in every time zone); None leaves it to ReportLab (SOURCE_DATE_EPOCH or its
    fixed date)."""
    import os

    if os.environ.get("SOURCE_DATE_EPOCH", "").strip() or edition.publication_date is None:
        return None
    day = edition.publication_date
    return datetime.datetime(day.year, day.month, day.day, 12, 0, 0, tzinfo=datetime.UTC)


# -- placeholders ------------------------------------------------------------------------------
# Placeholders every sheet text may use (filled by content.build_content for every sheet).
SHEET_PLACEHOLDERS = frozenset({"department", "de_department", "code", "region", "year", "next_year"})

# Further placeholders by text key: a dotted path in texts.yaml, list items as `*`, shell-style
# patterns allowed. A module that fills more values into its texts adds its entry here with
# `allow_placeholders` (and `factsheets check` then accepts them).
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "*.total": frozenset({"total"}),
    "*.share_region": frozenset({"share_region"}),
    "*.share_nation": frozenset({"share_nation"}),
    "practical.blocks.*.paragraph": frozenset({"email"}),
    "footer.page": frozenset({"page"}),
    # render --evolution (content.evolution_values) and the campaign summary (annex.py).
    "evolution.*": frozenset(
        {"first_year", "previous_year", "exports", "imports", "exports_change", "imports_change", "balance", "balance_previous"}
    ),
    "summary.failed": frozenset({"message"}),
    "html.index.*": frozenset({"count"}),
    # The web page's data tables (content.py).
    "figures.*": frozenset({"area", "flow"}),
    "annex.about.edition": frozenset({"source", "date"}),
    # The tagged PDF's alternative texts (alt_texts.py) and link texts (pdf_tags.py).
    "accessibility.*": frozenset(
        {
            "items",
            "area",
            "total",
            "exports",
            "imports",
            "products",
            "countries",
            "first_year",
            "export_items",
            "import_items",
            "name",
            "value",
            "share",
            "balance",
            "item_year",
            "target",
        }
    ),
}


def allow_placeholders(pattern: str, names: set[str] | frozenset[str]) -> None:
    """Declare that the texts matching `pattern` (e.g. 'evolution.*') may use `names`."""
    PLACEHOLDERS[pattern] = PLACEHOLDERS.get(pattern, frozenset()) | frozenset(names)


def allowed_placeholders(key_path: str) -> frozenset[str]:
    """Placeholders the text at `key_path` ('exports.total', 'practical.blocks.*.paragraph') may use."""
    allowed = set(SHEET_PLACEHOLDERS)
    for pattern, names in PLACEHOLDERS.items():
        if fnmatch.fnmatchcase(key_path, pattern):
            allowed |= names
    return frozenset(allowed)
