"""`ingest --inspect`: how a profile sees the files (header, sample rows, mapping), without converting."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import FactsheetsError, Problems
from ..load import LINE_COLUMN, printable
from .columns import CLOSEST_CUTOFF, closest_columns, column_unit, header_where, similarity
from .convert import department_from_name, flow_from_name
from .profile import Profile
from .readers import read_table
from .sources import Source, archive_member_names, chosen_sheet, expand_sources, proposed_members

WIDE_PROPOSAL_MIN = 3  # unmapped header names that are codes before --inspect proposes `wide:`
SAMPLE_ROWS = 3
WORD_KEYS = ("unit", "wide")  # profile keys whose values are plain words
HEADER_SEARCH_ROWS = 30  # rows searched for the real header under title lines


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
    """For each file, member and sheet: header, sample rows, the profile's mapping; then what
    the profile leaves out, and the profile lines to change. Reads only."""
    problems = Problems()
    out: list[str] = []
    tables = []
    left_out: list[str] = []
    proposal = Proposal(profile)
    expanded = expand_sources(sources, profile, problems, any_sheet=True, left_out=left_out)
    expanded += _with_proposed_members(sources, expanded, profile, proposal, out)
    for source in expanded:
        if source.sheets and chosen_sheet(source, profile) is None:
            out.append(
                f"{source.label} : la feuille « {profile.sheet} » du profil n'existe pas ; feuilles : {', '.join(source.sheets)}"
            )
            problems.add(
                f"{source.label} : feuille « {profile.sheet} » introuvable ; corrigez « sheet » dans {profile.path} "
                "(les feuilles sont montrées ci-dessus)"
            )
        elif len(source.sheets) > 1:
            read = chosen_sheet(source, profile)
            left_out += [
                f"{source.label} (feuille « {sheet} ») : non lue, le profil lit la feuille « {read} » (sheet)"
                for sheet in source.sheets
                if sheet != read
            ]
        # Every sheet of a workbook: the data may be on another one than the profile says.
        tables += [replace(source, sheet=sheet) for sheet in source.sheets] if source.sheets else [source]
    read_tables: dict[str, list[tuple[Source, pl.DataFrame]]] = {}
    for source in tables:
        try:
            frame = read_table(source, profile)
        except FactsheetsError as error:
            if source.sheets and source.sheet != chosen_sheet(source, profile):
                out.append(f"{error} (feuille que le profil ne lit pas)")  # not what ingest would refuse
            else:
                problems.add(str(error))
            continue
        read_tables.setdefault(source.label, []).append((source, frame))
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
    for sheets in read_tables.values():
        _propose(sheets, profile, proposal)
    if left_out:
        out.append(f"non lus par le profil {profile.name} ({len(left_out)}) :")
        out.extend(f"  {line}" for line in left_out)
    out.extend(proposal.lines())
    return out, problems


def _wide_field(header: list[str], profile: Profile) -> tuple[str, str, list[str]] | None:
    """A cross-table recognised: (wide field, its French name, the code columns), or None."""
    if profile.wide is not None:
        return None
    from ..reference import load_reference

    reference = load_reference()
    known = {"country": set(reference.countries["code"].to_list()), "product": set(reference.products["code"].to_list())}
    unmapped = [name for name in header if name not in profile.columns.values()]
    for wide, names in (("country", "pays"), ("product", "produit")):
        codes = [name for name in unmapped if name.strip().upper() in known[wide]]
        if len(codes) >= WIDE_PROPOSAL_MIN:
            return wide, names, codes
    return None


def _wide_proposal(header: list[str], profile: Profile) -> list[str]:
    """A cross-table recognised: many unmapped header names are country (product) codes."""
    found = _wide_field(header, profile)
    if found is None:
        return []
    wide, names, codes = found
    unmapped = [name for name in header if name not in profile.columns.values()]
    shown = ", ".join(printable(name) for name in codes[:8]) + (" …" if len(codes) > 8 else "")
    return [
        f"tableau croisé : {len(codes)} colonne(s) sur {len(unmapped)} non nommée(s) ont pour en-tête un code {names} "
        f"({shown}) ; ajoutez au profil {profile.path} la ligne « wide: {wide} » et retirez columns.{wide} "
        "et columns.value"
    ]


# --------------------------------------------------------------------------- the profile lines to change


@dataclass
class Proposal:
    """The profile keys `--inspect` proposes to change, gathered over every table, first one kept."""

    profile: Profile
    values: dict[str, Any] = field(default_factory=dict)  # top-level key -> value
    columns: dict[str, str | None] = field(default_factory=dict)  # field -> raw column (None: remove it)
    notes: dict[str, str] = field(default_factory=dict)  # key or "columns.FIELD" -> why

    def set(self, key: str, value: Any, note: str) -> None:
        if key in self.values:
            self._other(key, self.values[key], value)
        elif value != getattr(self.profile, key, None):
            self.values[key] = value
            self.notes[key] = note

    def column(self, field_: str, raw: str | None, note: str) -> None:
        if field_ in self.columns:
            self._other(f"columns.{field_}", self.columns[field_], raw)
        else:
            self.columns[field_] = raw
            self.notes[f"columns.{field_}"] = note

    def _other(self, key: str, kept: Any, value: Any) -> None:
        """Another file wants another value: the first is kept, the note says the other."""
        other = f"un autre fichier a {'une autre valeur' if value is None else _yaml(value)}"
        if value != kept and other not in self.notes[key]:
            self.notes[key] += f" ; {other}"

    def lines(self) -> list[str]:
        """A YAML block to paste over the profile's keys of the same names (`columns` whole)."""
        profile = self.profile
        if not self.values and not self.columns:
            return [f"profil {profile.name} : rien à changer ({profile.path})"]
        lines = [f"profil {profile.name} : lignes à changer dans {profile.path} (à coller à la place des clés du même nom) :"]
        for key, value in self.values.items():
            shown = value if key in WORD_KEYS else _yaml(value)
            lines.append(f"{key}: {shown}  # {self.notes[key]}")
        if self.columns:
            lines.append("columns:")
            for field_, raw in profile.columns.items():
                new = self.columns.get(field_, raw)
                note = self.notes.get(f"columns.{field_}")
                if new is None:
                    lines.append(f"  # {field_} : retiré ({note})")
                else:
                    lines.append(f"  {field_}: {_yaml(new)}" + (f"  # {note}" if note else ""))
        return lines


def _yaml(value: Any) -> str:
    """A YAML scalar or flow list: strings quoted (JSON strings are YAML), numbers as they are."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_yaml(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)


def _found(profile: Profile, header: list[str]) -> int:
    return sum(raw in header for raw in profile.columns.values())


def _view(frame: pl.DataFrame, profile: Profile) -> tuple[list[str], int | None, int]:
    """The header `profile` should read in `frame`: its names; its line when it is a row below
    the header read (title lines above the table: skip_rows too small), else None; its score."""
    header = [name for name in frame.columns if name != LINE_COLUMN]
    best: tuple[list[str], int | None, int] = (header, None, _score(profile, header))
    if _found(profile, header) == len(profile.columns):
        return best
    for row in frame.head(HEADER_SEARCH_ROWS).iter_rows(named=True):
        cells = [str(row[name]).strip() for name in header if row[name] is not None and str(row[name]).strip()]
        score = _score(profile, cells)
        if score >= 2 and score > best[2]:
            best = (cells, row[LINE_COLUMN], score)
    return best


def _propose(sheets: list[tuple[Source, pl.DataFrame]], profile: Profile, proposal: Proposal) -> None:
    """What to change in `profile` for one file or member (each of its sheets given)."""
    views = [(source, *_view(frame, profile)) for source, frame in sheets]
    source, header, line, _ = views[0]
    if source.sheets:
        read = chosen_sheet(source, profile)
        best = max(views, key=lambda view: view[3])
        current = next((view for view in views if view[0].sheet == read), None)
        source, header, line, _ = current if current is not None and current[3] == best[3] else best
        if source.sheet != read:
            proposal.set("sheet", source.sheet, f"la feuille la plus proche du profil ; « {profile.sheet} » avant")
    if line is not None:
        proposal.set("skip_rows", line - 1, f"l'en-tête est à la ligne {line} ; {profile.skip_rows} avant")
    wide = _wide_field(header, profile)
    if wide is not None:
        proposal.set("wide", wide[0], f"tableau croisé : {len(wide[2])} colonnes ont pour en-tête un code {wide[1]}")
        for field_ in (wide[0], "value"):
            if field_ in profile.columns:
                proposal.column(field_, None, f"avec wide: {wide[0]}")
    used = {raw for raw in profile.columns.values() if raw in header}
    value_name = None if wide is not None or profile.wide else profile.columns.get("value")
    wanted = [
        (field_, raw)
        for field_, raw in profile.columns.items()
        if raw not in header and not (wide is not None and field_ in (wide[0], "value"))
    ]
    candidates = [name for name in header if name not in used and not (wide is not None and name in wide[2])]
    # The closest pairs first, each field and each column once: "Code Pays" takes "CODE PAYS"
    # before "Code A129" can, even though it comes later in the profile.
    pairs = sorted(
        (-score, rank, field_, raw, name)
        for rank, (field_, raw) in enumerate(wanted)
        for name in candidates
        if (score := similarity(raw, name)) >= CLOSEST_CUTOFF
    )
    paired: dict[str, str] = {}
    for _score, _rank, field_, _raw, name in pairs:
        if field_ not in paired and name not in used:
            paired[field_] = name
            used.add(name)
    unmatched = []
    for field_, raw in wanted:
        if field_ in paired:
            proposal.column(field_, paired[field_], f"au lieu de « {raw} »")
            value_name = paired[field_] if field_ == "value" else value_name
        else:
            unmatched.append((field_, raw))
    left = [name for name in candidates if name not in used]
    if len(unmatched) == 1 and len(left) == 1:  # one field and one column left: that column, to check
        (field_, raw), name = unmatched[0], left[0]
        proposal.column(field_, name, f"seule colonne restante, à vérifier ; « {raw} » avant")
        value_name = name if field_ == "value" else value_name
    else:
        for field_, raw in unmatched:
            proposal.column(field_, raw, "introuvable et aucune colonne proche : à corriger à la main")
    unit = column_unit(value_name) if value_name else None
    if unit is not None:
        proposal.set("unit", unit, f"d'après l'en-tête « {value_name} » ; {profile.unit} avant")


def _score(profile: Profile, header: list[str]) -> int:
    """How many of the profile's columns are in `header`, or have a close name there."""
    return sum(
        raw in header or any(similarity(raw, name) >= CLOSEST_CUTOFF for name in header) for raw in profile.columns.values()
    )


def _with_proposed_members(
    given: Sequence[Path], expanded: list[Source], profile: Profile, proposal: Proposal, out: list[str]
) -> list[Source]:
    """An archive of which the `members` globs read nothing: the globs that would read its
    tables, proposed, and its tables read with them (so that the rest can be proposed too)."""
    if not profile.members:
        return []
    read = {source.path for source in expanded}
    extra: list[Source] = []
    for path in map(Path, given):
        if path in read or not path.is_file():
            continue
        names = archive_member_names(path)
        if not names:
            continue
        globs = proposed_members(names, profile)
        if not globs:
            continue
        proposal.set("members", globs, "aucun membre de l'archive ne correspond aux motifs du profil")
        try:
            sources = expand_sources([path], replace(profile, members=tuple(globs)), Problems(), any_sheet=True)
        except FactsheetsError:
            continue
        out.append(f"{path} : inspecté avec les motifs proposés members: {_yaml(globs)}")
        extra += sources
    return extra
