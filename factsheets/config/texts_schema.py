"""texts.yaml: every fixed French text of the sheet, its editions, and the placeholders allowed.

Texts: `texts.yaml` holds the year-neutral texts; its `editions:` section holds, per year of
the data, the texts bound to that edition (the context paragraphs…) and its publication
date. `sheet_texts(year)` gives the texts of one year's sheets. Which `{placeholders}` a text
may use is declared once, in PLACEHOLDERS (checked by `factsheets check`).
"""

from __future__ import annotations

import datetime
import fnmatch
import os
import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from .. import paths
from ..errors import Problem, Problems, did_you_mean, near_key
from .yaml_files import (
    KIND_WORDS,
    LastRead,
    Source,
    _cached_mapping,
    collect,
    compare_keys,
    dotted,
    error_at,
    file_stamp,
    kind_of,
    mapping_source,
    read_source,
    warning_at,
)

TEXTS_FILE = "texts.yaml"


def _folder(config_dir: Path | None) -> Path:
    return Path(config_dir) if config_dir is not None else paths.config_dir()


def texts(config_dir: Path | None = None) -> FrozenTexts:
    """texts.yaml of the configuration in use (or of `config_dir`): every fixed French text of
    the sheet and its editions, read-only; its errors raise ConfigurationError, one line each."""
    return loaded_texts(config_dir).all


def loaded_texts(config_dir: Path | None = None) -> Texts:
    """texts.yaml of the configuration in use, frozen and typed (see load_texts): the one
    `check` (preflight) has just read when the file has not changed since."""
    folder = _folder(config_dir)
    return _LAST_READ.loaded(folder / TEXTS_FILE, lambda: load_texts(folder))


def settings_mapping(config_dir: Path | None = None) -> dict[str, Any]:
    """settings.yaml as YAML reads it, for check_cache, which names the files it points to
    without checking it (everything else reads the typed `settings()` or `load_section`)."""
    return _cached_mapping(_folder(config_dir) / "settings.yaml")


# -- the texts as read: frozen ------------------------------------------------------------------------
def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
    raise TypeError("the texts of texts.yaml are read-only (copy.deepcopy gives a copy to change)")


class FrozenTexts(dict):
    """A mapping of texts.yaml that cannot be changed (a dict, so that every reader of the
    texts reads it as before); copy.deepcopy gives plain dicts and lists to change."""

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _refuse

    def __deepcopy__(self, memo: dict) -> dict:
        import copy

        return {key: copy.deepcopy(value, memo) for key, value in self.items()}

    def __reduce__(self):
        return FrozenTexts, (dict(self),)


class FrozenList(list):
    """A list of texts.yaml (paragraphs, blocks, links) that cannot be changed."""

    __setitem__ = __delitem__ = __iadd__ = __imul__ = append = extend = insert = pop = remove = clear = sort = reverse = _refuse

    def __deepcopy__(self, memo: dict) -> list:
        import copy

        return [copy.deepcopy(value, memo) for value in self]

    def __reduce__(self):
        return FrozenList, (list(self),)


def frozen_texts(value: Any) -> Any:
    """`value` (YAML as read) with every mapping and list made read-only."""
    if isinstance(value, dict):
        return FrozenTexts({key: frozen_texts(item) for key, item in value.items()})
    if isinstance(value, list):
        return FrozenList(frozen_texts(item) for item in value)
    return value


# -- editions ----------------------------------------------------------------------------------
EDITIONS_KEY = "editions"
PUBLICATION_DATE_KEY = "publication_date"


@dataclass(frozen=True)
class Edition:
    year: int
    publication_date: datetime.date | None  # None: no edition for that year (year-neutral texts)


@dataclass(frozen=True)
class Texts:
    """texts.yaml as read and checked: `all` the whole file, read-only (what the writers are
    given), `editions` the years it has an edition for, typed."""

    path: Path
    all: FrozenTexts
    editions: Mapping[int, Edition]

    def edition(self, year: int) -> Edition:
        """`year`'s edition; without one, no publication date (`check` warns)."""
        return self.editions.get(year) or Edition(year, None)

    def sheet_texts(self, year: int) -> FrozenTexts:
        """The texts of the sheets of `year` (see the function sheet_texts)."""
        return sheet_texts(year, self.all)


def _editions(data: dict) -> Mapping[int, Edition]:
    """The editions `check` found right (a wrong one is reported, and its year has no date)."""
    from types import MappingProxyType

    editions = data.get(EDITIONS_KEY)
    found = {}
    for year, entry in editions.items() if isinstance(editions, dict) else ():
        if isinstance(year, int) and not isinstance(year, bool) and isinstance(entry, dict):
            try:
                found[year] = edition_of(data, year)
            except (TypeError, ValueError):  # an invalid date, which `check` reports
                continue
    return MappingProxyType(found)


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
    if isinstance(edition, dict):
        overrides = {key: value for key, value in edition.items() if key != PUBLICATION_DATE_KEY}
        neutral = _overlay(neutral, overrides)
    return frozen_texts(neutral) if isinstance(all_texts, FrozenTexts) else neutral


def pdf_timestamp(edition: Edition) -> datetime.datetime | None:
    """The PDF creation date: the edition's publication date (noon UTC, so that the date
    reads the same in every time zone); None leaves it to ReportLab (SOURCE_DATE_EPOCH or its
    fixed date)."""
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


# -- reading and checking texts.yaml -----------------------------------------------------------------
_LAST_READ = LastRead()


def _strings(value: Any, keys: tuple) -> Iterator[tuple[tuple, str]]:
    if isinstance(value, str):
        yield keys, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, keys + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, keys + (index,))


def _pattern_path(keys: tuple) -> str:
    """'practical.blocks.*.paragraph' for ('practical', 'blocks', 3, 'paragraph')."""
    return ".".join("*" if isinstance(key, int) else str(key) for key in keys)


def _check_placeholders(source: Source, keys: tuple, text: str, text_keys: tuple, problems: Problems) -> None:
    """`keys`: where the text is in the file; `text_keys`: which sheet text it is (an edition's
    text is the text it replaces)."""
    where = source.place(*keys)
    name = dotted(keys)
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(text) if field is not None]
    except ValueError:
        problems.add(
            error_at(
                where,
                f"accolade seule dans « {name} »",
                "les accolades entourent une variable ({department}) ; retirez l'accolade isolée",
            )
        )
        return
    allowed = allowed_placeholders(_pattern_path(text_keys))
    for field in fields:
        base = re.split(r"[.\[!:]", field, maxsplit=1)[0]
        if base not in allowed or base != field:
            listed = ", ".join("{" + item + "}" for item in sorted(allowed))
            problems.add(error_at(where, f"variable inconnue {{{field}}} dans « {name} »", f"variables possibles ici : {listed}"))


def load_texts(folder: Path, year: int | None = None) -> tuple[Texts | None, Problems]:
    """texts.yaml of `folder`, frozen, and its problems, one per wrong text at its line (with
    `year`, a warning when that year has no edition). None when the file cannot be read as a
    mapping."""
    path = Path(folder) / TEXTS_FILE
    stamp = file_stamp(path)
    problems = Problems()
    source = mapping_source(path, problems)
    if source is None:
        _LAST_READ.keep(path, stamp, None, problems)
        return None, problems
    data = source.data
    neutral = neutral_texts(data)
    if Path(folder).resolve() != paths.DEFAULT_CONFIG_DIR.resolve():
        defaults = collect(lambda: read_source(paths.DEFAULT_CONFIG_DIR / TEXTS_FILE, depth=1).data, problems)
        if isinstance(defaults, dict):
            defaults = neutral_texts(defaults)
            # Lists of texts (paragraphs, blocks) may have any length: only their kind is compared.
            compare_keys(source, neutral, defaults, (), problems, unknown_is_error=False)
    for keys, text in _strings(neutral, ()):
        _check_placeholders(source, keys, text, keys, problems)
    _check_editions(source, neutral, problems, year)
    loaded = Texts(path, frozen_texts(data), _editions(data))
    _LAST_READ.keep(path, stamp, loaded, problems)
    return loaded, problems


def _check_editions(source: Source, neutral: dict, problems: Problems, year: int | None) -> None:
    editions = source.data.get(EDITIONS_KEY)
    if editions is None:
        editions = {}
    if not isinstance(editions, dict):
        problems.add(
            error_at(
                source.place(EDITIONS_KEY),
                "« editions » doit associer des années à leurs textes",
                "écrivez par ex. « 2024: {publication_date: 2025-07-01, …} »",
            )
        )
        return
    for edition_year, edition in editions.items():
        keys = (EDITIONS_KEY, edition_year)
        where = source.place(*keys)
        if not isinstance(edition_year, int) or isinstance(edition_year, bool) or not 1900 <= edition_year <= 2200:
            problems.add(
                error_at(
                    where, f"édition « {edition_year} » : une année est attendue", "écrivez l'année sans guillemets, par ex. 2024"
                )
            )
            continue
        if not isinstance(edition, dict):
            problems.add(
                error_at(
                    where,
                    f"l'édition {edition_year} doit contenir publication_date et ses textes",
                    "écrivez par ex. « publication_date: 2025-07-01 »",
                )
            )
            continue
        date = edition.get(PUBLICATION_DATE_KEY)
        valid = isinstance(date, datetime.date) and not isinstance(date, datetime.datetime)
        if isinstance(date, str):
            try:
                datetime.date.fromisoformat(date)
                valid = True
            except ValueError:
                valid = False
        if not valid:
            problems.add(
                error_at(
                    source.place(*keys, PUBLICATION_DATE_KEY),
                    f"« editions.{edition_year}.publication_date » manquante ou invalide : « {date} »",
                    "indiquez la date de publication sous la forme AAAA-MM-JJ, par ex. 2025-07-01",
                )
            )
        texts_part = {key: value for key, value in edition.items() if key != PUBLICATION_DATE_KEY}
        _compare_edition(source, texts_part, neutral, keys, (), problems)
    missing = missing_edition(source, editions, year)
    if missing is not None:
        problems.add(missing)


def missing_edition(source: Source, editions: dict, year: int | None) -> Problem | None:
    """The warning for sheets of `year` when texts.yaml has no edition for it, else None."""
    if year is None or year in editions:
        return None
    known = ", ".join(str(key) for key in editions) or "aucune"
    return warning_at(
        source.place(EDITIONS_KEY) if editions else source.path,
        f"pas d'édition {year} (éditions : {known}) : les fiches {year} prennent les textes neutres et la date par défaut",
        f"ajoutez « editions: {year}: » avec publication_date et les textes propres à cette année",
    )


def _compare_edition(source: Source, value: Any, neutral: Any, keys: tuple, text_keys: tuple, problems: Problems) -> None:
    """An edition's texts replace existing texts: same keys, same kind; placeholders as theirs."""
    if isinstance(value, dict) and isinstance(neutral, dict):
        for key, item in value.items():
            if key not in neutral:
                near = near_key(key, list(neutral))
                fix = did_you_mean(near) if near is not None else "une édition ne remplace que des textes existants"
                problems.add(error_at(source.place(*keys, key), f"clé inconnue « {dotted(keys + (key,))} »", fix))
            else:
                _compare_edition(source, item, neutral[key], keys + (key,), text_keys + (key,), problems)
        return
    if kind_of(value) != kind_of(neutral):
        problems.add(
            error_at(
                source.place(*keys),
                f"« {dotted(keys)} » doit être {KIND_WORDS[kind_of(neutral)]}, comme le texte qu'elle remplace",
                "reprenez la forme du texte neutre",
            )
        )
        return
    for inner, text in _strings(value, ()):
        _check_placeholders(source, keys + inner, text, text_keys + inner, problems)
