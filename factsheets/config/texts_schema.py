"""texts.yaml: every fixed French text of the sheet, its editions, and the placeholders allowed.

Texts: `texts.yaml` holds the year-neutral texts; its `editions:` section holds, per year of
the data, the texts bound to that edition (the context paragraphs…) and its publication
date. `sheet_texts(year)` gives the texts of one year's sheets. Which `{placeholders}` a text
may use is declared once, in PLACEHOLDERS (checked by `factsheets check`).
"""

from __future__ import annotations

import datetime
import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import paths
from .yaml_files import _cached_mapping


def _folder(config_dir: Path | None) -> Path:
    return Path(config_dir) if config_dir is not None else paths.config_dir()


def texts(config_dir: Path | None = None) -> dict[str, Any]:
    """texts.yaml of the configuration in use: every fixed French text of the sheet."""
    return _cached_mapping(_folder(config_dir) / "texts.yaml")


def settings_mapping(config_dir: Path | None = None) -> dict[str, Any]:
    """settings.yaml as YAML reads it, for the reference tables, which check its free `data`
    codes themselves (everything else reads the typed `settings()`)."""
    return _cached_mapping(_folder(config_dir) / "settings.yaml")


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
