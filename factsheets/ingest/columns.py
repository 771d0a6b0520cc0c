"""The header of a table against the profile's columns: missing ones, and the closest names."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Sequence

import polars as pl

from ..errors import FactsheetsError
from ..load import LINE_COLUMN, printable
from ..reference import name_key
from .profile import Profile
from .sources import Source

# Words of a unit, and little words, left out when header names are compared: "Valeur (k€)",
# "VALEUR_EUROS", "Valeur en milliers d'euros" and "valeur" are the same name.
UNIT_WORDS = frozenset(
    {"k", "ke", "keur", "keuros", "eur", "euro", "euros", "millier", "milliers", "mille", "million", "millions"}
    | {"m", "meur", "md", "mds", "milliard", "milliards"}
)
LITTLE_WORDS = frozenset({"en", "d", "de", "des", "du", "l", "la", "le", "les"})
CLOSEST = 3  # names proposed at most
CLOSEST_CUTOFF = 0.5  # similarity (difflib ratio of the compared names) below which a name is not proposed
CLOSEST_SPREAD = 0.2  # ... and how much less similar than the closest one a name may be


@functools.lru_cache(maxsize=4096)  # --inspect compares every cell of the first rows with every profile column
def column_key(name: str) -> str:
    """A header name as it is compared: no accents, case, punctuation or unit ("Valeur (k€)" -> "valeur")."""
    words = name_key(str(name).replace("€", " eur ")).split()
    kept = [word for word in words if word not in UNIT_WORDS and word not in LITTLE_WORDS]
    return " ".join(kept or words)


def column_unit(name: str) -> str | None:
    """The unit a header name states: 'thousands_eur' ("Valeur (k€)", "milliers d'euros"), 'eur' ("Valeur €"), or None."""
    words = set(name_key(str(name).replace("€", " eur ")).split())
    if words & {"k", "ke", "keur", "keuros", "millier", "milliers", "mille"}:
        return "thousands_eur"
    if words & {"eur", "euro", "euros"}:
        return "eur"
    return None


def similarity(wanted: str, name: str) -> float:
    """How close two header names are, from 0 to 1 (1: the same name but for accents, case, units)."""
    return difflib.SequenceMatcher(None, column_key(wanted), column_key(name)).ratio()


def closest_columns(wanted: str, found: Sequence[str]) -> list[str]:
    """The header names nearest to `wanted` (accents, case, punctuation and units ignored), best first."""
    scored = []
    for rank, name in enumerate(found):
        score = similarity(wanted, name)
        if score >= CLOSEST_CUTOFF:
            scored.append((-score, rank, name))
    best = min(scored)[0] if scored else 0.0
    return [name for score, _rank, name in sorted(scored)[:CLOSEST] if score <= best + CLOSEST_SPREAD]


def header_where(source: Source, profile: Profile) -> str:
    return source.where(profile.skip_rows + 1) if profile.header and source.fmt != "parquet" else source.where()


def check_columns(frame: pl.DataFrame, source: Source, profile: Profile) -> None:
    found = [name for name in frame.columns if name != LINE_COLUMN]
    missing = [(field_, raw) for field_, raw in profile.columns.items() if raw not in frame.columns]
    if not missing:
        return
    wanted = []
    for field_, raw in missing:
        close = closest_columns(raw, found)
        nearest = "la plus proche" if len(close) == 1 else "les plus proches"
        hint = f" ({nearest} : {', '.join(f'« {printable(name)} »' for name in close)})" if close else ""
        wanted.append(f"« {raw} » (columns.{field_}){hint}")
    listed = ", ".join(f"« {printable(name)} »" for name in found[:12]) + (" …" if len(found) > 12 else "")
    hint = f" ; vérifiez « separator » (« {profile.separator} »)" if len(found) == 1 and source.fmt == "csv" else ""
    raise FactsheetsError(
        f"{header_where(source, profile)} : colonne(s) manquante(s) {', '.join(wanted)} requise(s) par le profil {profile.name} ; "
        f"trouvées : {listed}{hint} ; corrigez le fichier ou les « columns » de {profile.path} (factsheets ingest --inspect aide à les trouver)"
    )
