"""`ingest --inspect`: how a profile sees the files (header, sample rows, mapping), without converting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import polars as pl

from ..errors import FactsheetsError, Problems
from ..load import LINE_COLUMN, printable
from .columns import closest_columns, header_where
from .convert import department_from_name, flow_from_name
from .profile import Profile
from .readers import read_table
from .sources import Source, chosen_sheet, expand_sources

WIDE_PROPOSAL_MIN = 3  # unmapped header names that are codes before --inspect proposes `wide:`
SAMPLE_ROWS = 3


def _mapping_lines(frame: pl.DataFrame, source: Source, profile: Profile) -> list[str]:
    found = [name for name in frame.columns if name != LINE_COLUMN]
    lines = []
    for field_ in ("year", "period", "flow", "department", "product", "country", "value"):
        raw = profile.columns.get(field_)
        if raw is None and profile.wide and field_ in (profile.wide, "value"):
            codes = [name for name in found if name not in profile.columns.values()]
            shown = ", ".join(printable(name) for name in codes[:8]) + (" …" if len(codes) > 8 else "")
            origin = "en-têtes" if field_ == profile.wide else "cellules"
            lines.append(f"  {field_:<10} ← {origin} des {len(codes)} colonne(s) non nommée(s) (wide: {profile.wide}) : {shown}")
            continue
        if raw is None:
            if field_ == "year" and "period" not in profile.columns:
                origin = (
                    f"{profile.year_value} (year_value)"
                    if profile.year_value is not None
                    else "tirée du nom du fichier (year_from_filename)"
                )
                lines.append(f"  year       ← {origin}")
            elif field_ == "department" and profile.department_from_filename:
                try:
                    lines.append(f"  department ← {department_from_name(source, profile)} (d'après le nom « {source.name} »)")
                except FactsheetsError:
                    lines.append(
                        f"  department ← introuvable : le nom « {source.name} » ne correspond pas à department_from_filename"
                    )
            elif field_ == "flow" and profile.flow_from_filename:
                try:
                    lines.append(f"  flow       ← {flow_from_name(source, profile)} (d'après le nom « {source.name} »)")
                except FactsheetsError:
                    lines.append(f"  flow       ← introuvable : le nom « {source.name} » ne correspond pas à flow_from_filename")
            continue
        if raw in found:
            lines.append(f"  {field_:<10} ← « {raw} »")
        else:
            close = closest_columns(raw, found)
            nearest = ", ".join(f"« {printable(name)} »" for name in close) if close else "aucune"
            lines.append(f"  {field_:<10} ← « {raw} » introuvable ; colonnes les plus proches : {nearest}")
    return lines


def inspect_sources(sources: Sequence[Path], profile: Profile) -> tuple[list[str], Problems]:
    """For each file, member and sheet: header, sample rows, the profile's mapping. Reads only."""
    problems = Problems()
    out: list[str] = []
    tables = []
    for source in expand_sources(sources, profile, problems, any_sheet=True):
        if source.sheets and chosen_sheet(source, profile) is None:
            out.append(
                f"{source.label} : la feuille « {profile.sheet} » du profil n'existe pas ; feuilles : {', '.join(source.sheets)}"
            )
            problems.add(
                f"{source.label} : feuille « {profile.sheet} » introuvable ; corrigez « sheet » dans {profile.path} "
                "(les feuilles sont montrées ci-dessus)"
            )
        # Every sheet of a workbook: the data may be on another one than the profile says.
        tables += [replace(source, sheet=sheet) for sheet in source.sheets] if source.sheets else [source]
    for source in tables:
        try:
            frame = read_table(source, profile)
        except FactsheetsError as error:
            problems.add(str(error))
            continue
        header = [name for name in frame.columns if name != LINE_COLUMN]
        chosen = (
            " (la feuille que lit le profil)" if len(source.sheets) > 1 and source.sheet == chosen_sheet(source, profile) else ""
        )
        out.append(f"== {source.where()} : {frame.height} ligne(s) de données{chosen} ==")
        out.append(f"en-tête ({header_where(source, profile)}) : " + " | ".join(printable(name) for name in header))
        for row in frame.head(SAMPLE_ROWS).iter_rows(named=True):
            values = " | ".join("" if row[name] is None else printable(row[name], 30) for name in header)
            out.append(f"  {source.where(row[LINE_COLUMN])} : {values}")
        out.append(f"correspondance (profil {profile.name}, {profile.path}) :")
        out.extend(_mapping_lines(frame, source, profile))
        out.extend(_wide_proposal(header, profile))
        missing = [f"« {printable(raw)} » ({field_})" for field_, raw in profile.columns.items() if raw not in header]
        if missing and (not source.sheets or source.sheet == chosen_sheet(source, profile)):
            # What ingest would refuse: inspecting says so by its exit code too (SPEC 14).
            problems.add(
                f"{source.where()} : colonne(s) du profil introuvable(s) : {', '.join(missing)} ; "
                f"corrigez « columns » dans {profile.path} (les colonnes les plus proches sont montrées ci-dessus)"
            )
    return out, problems


def _wide_proposal(header: list[str], profile: Profile) -> list[str]:
    """A cross-table recognised: many unmapped header names are country (product) codes."""
    if profile.wide is not None:
        return []
    from ..reference import load_reference

    reference = load_reference()
    known = {"country": set(reference.countries["code"].to_list()), "product": set(reference.products["code"].to_list())}
    unmapped = [name for name in header if name not in profile.columns.values()]
    for wide, names in (("country", "pays"), ("product", "produit")):
        codes = [name for name in unmapped if name.strip().upper() in known[wide]]
        if len(codes) >= WIDE_PROPOSAL_MIN:
            shown = ", ".join(printable(name) for name in codes[:8]) + (" …" if len(codes) > 8 else "")
            return [
                f"tableau croisé : {len(codes)} colonne(s) sur {len(unmapped)} non nommée(s) ont pour en-tête un code {names} "
                f"({shown}) ; ajoutez au profil {profile.path} la ligne « wide: {wide} » et retirez columns.{wide} "
                "et columns.value"
            ]
    return []
