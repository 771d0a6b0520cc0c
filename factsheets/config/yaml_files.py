"""Reading a YAML configuration file: bounded, strict, with the line of every key.

Every YAML file is read through `load_yaml` (or `read_source`, which also records the line
of every key), which turns a missing file or a syntax error into one FactsheetsError line
naming the file and the line. `compare_keys` holds a file's keys against its schema (the
declared settings, or the shipped texts): missing, unknown (with the nearest known key), or
of the wrong kind.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigurationError, FactsheetsError, Problem, Problems, did_you_mean, near_key

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Bounded work (SPEC 14): a configuration file is small. Beyond these bounds a file is refused
# before it is built, so an alias bomb ("billion laughs") or a huge file cannot hang a run.
MAX_YAML_BYTES = 4 * 1024 * 1024
"""The largest YAML file read (the shipped ones are under 20 kB)."""
MAX_YAML_NODES = 200_000
"""The most values a YAML file may hold once its aliases (*name) and merges (<<) are expanded."""


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
    return _constructed(path, loader, node)


def _constructed(path: Path, loader, node: yaml.Node | None) -> Any:
    """The document of `node` built by `loader` (then disposed of); its errors as one line."""
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


@cache
def _cached_mapping(path: Path) -> dict[str, Any]:
    """A YAML mapping read once per process (tests empty the cache between runs)."""
    return load_mapping(path)


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
        data = _constructed(path, loader, node)
    except _DuplicateKey as duplicate:
        raise FactsheetsError(_duplicate_line(path, duplicate, duplicate_what)) from None
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


# -- what a loader last read ------------------------------------------------------------------------
def file_stamp(path: Path) -> tuple[int, int] | None:
    """What tells an edited file from the one read before (a test, a long process)."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


class LastRead:
    """What a loader last read of each file, as the file then stood: rendering takes what
    `check` (preflight) has just read and checked, instead of reading and checking it again."""

    def __init__(self) -> None:
        self._read: dict[tuple[Path, tuple[int, int] | None], tuple[Any, tuple[Problem, ...]]] = {}

    def keep(self, path: Path, stamp: tuple[int, int] | None, loaded: Any, problems: Problems) -> None:
        """`stamp`: the file's, taken before it was read."""
        self._read[path, stamp] = loaded, tuple(problem for problem in problems if not problem.warning)

    def known(self, path: Path) -> tuple[Any, tuple[Problem, ...]] | None:
        """What was read of `path` and its errors, if the file has not changed since; else None."""
        return self._read.get((path, file_stamp(path)))

    def loaded(self, path: Path, load: Callable[[], tuple[Any, Problems]]) -> Any:
        """What was read of `path` if it has not changed since, else what `load()` reads; its
        errors raise ConfigurationError, one line each."""
        known = self.known(path)
        loaded, problems = known if known is not None else load()
        errors = [problem for problem in problems if not problem.warning]
        if loaded is None or errors:
            raise ConfigurationError(errors or list(problems))
        return loaded


# -- a file against its schema ---------------------------------------------------------------------
Place = tuple[str, int | None]
"""(file, line) of a problem: Source.place(*keys)."""


def error_at(where: Place | Path | str, what: str, fix: str, *, warning: bool = False) -> Problem:
    """A problem at `where`: a (file, line) from Source.place, or a file (or folder) as a whole."""
    path, line = where if isinstance(where, tuple) else (str(where), None)
    return Problem(path, line, what, fix, warning)


def warning_at(where: Place | Path | str, what: str, fix: str) -> Problem:
    return error_at(where, what, fix, warning=True)


def dotted(keys: tuple) -> str:
    return ".".join(str(key) for key in keys)


def collect(action: Callable[[], Any], problems: Problems) -> Any:
    """Run a loader; the FactsheetsError it raises becomes its problems (None returned)."""
    try:
        return action()
    except FactsheetsError as error:
        problems.extend(error.problems)
        return None


DEEP = 12
"""Key lines recorded this deep by `mapping_source`."""


def mapping_source(path: Path, problems: Problems) -> Source | None:
    """`path` read with the line of every key, or None (its problems added) when it cannot be
    read or is not a mapping."""
    source = collect(lambda: read_source(path, depth=DEEP), problems)
    if source is not None and not isinstance(source.data, dict):
        problems.add(
            error_at(
                str(path),
                "le fichier doit être une suite de paires clé: valeur",
                "repartez de la copie écrite par « factsheets init »",
            )
        )
        return None
    return source


def kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    return "scalar"


KIND_WORDS = {"mapping": "des paires clé: valeur", "list": "une liste", "scalar": "une valeur simple"}


def wrong_kind(source: Source, keys: tuple, value: Any, default: Any) -> Problem | None:
    """The problem of a value of another kind than the schema's (a list for a mapping…), or None."""
    if kind_of(value) == kind_of(default) or default is None or value is None:
        return None
    return error_at(
        source.place(*keys),
        f"« {dotted(keys)} » doit être {KIND_WORDS[kind_of(default)]}",
        "reprenez la forme du fichier par défaut (factsheets init)",
    )


def compare_keys(
    source: Source,
    value: Any,
    default: Any,
    keys: tuple,
    problems: Problems,
    *,
    unknown_is_error: bool,
    free: set[tuple] = frozenset(),
    skip: set[tuple] = frozenset(),
) -> None:
    """Keys of `value` against the schema `default`: missing, unknown (nearest known key), wrong kind."""
    if keys in free or keys in skip:
        return
    wrong = wrong_kind(source, keys, value, default)
    if wrong is not None:
        problems.add(wrong)
        return
    if not isinstance(default, dict) or not isinstance(value, dict):
        return
    known = [str(key) for key in default]
    missing = [key for key in default if key not in value and keys + (key,) not in skip]
    nearest = {key: near_key(key, missing or known) for key in value if key not in default}
    misspelt = {near for near in nearest.values() if near is not None}
    for key in missing:
        if str(key) not in misspelt:  # a misspelt key is reported once, as unknown with its right name
            problems.add(
                error_at(
                    source.place(*keys),
                    f"clé « {dotted(keys + (key,))} » manquante",
                    "copiez-la depuis le fichier par défaut (factsheets init DOSSIER en écrit une copie)",
                )
            )
    for key in value:
        if key in default:
            compare_keys(
                source, value[key], default[key], keys + (key,), problems, unknown_is_error=unknown_is_error, free=free, skip=skip
            )
            continue
        if keys + (key,) in skip:
            continue
        near = nearest[key] if nearest[key] is not None else near_key(key, known)
        fix = did_you_mean(near) if near is not None else f"clés possibles ici : {', '.join(known)}"
        make = error_at if unknown_is_error else warning_at
        what = f"clé inconnue « {dotted(keys + (key,))} »" + ("" if unknown_is_error else " (ignorée)")
        problems.add(make(source.place(*keys, key), what, fix))
