"""The header of a table against the profile's columns: missing ones, and the closest names."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import polars as pl

from ..errors import FactsheetsError
from ..load import LINE_COLUMN, printable
from .profile import Profile
from .sources import Source


def closest_columns(wanted: str, found: Sequence[str]) -> list[str]:
    """The header names nearest to `wanted` (ignoring case), best first."""
    lowered = {name.lower(): name for name in found}
    return [lowered[name] for name in difflib.get_close_matches(wanted.lower(), list(lowered), n=3, cutoff=0.5)]


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
