"""Source profiles (config/profiles/NAME.yaml): how a raw file is laid out, read and checked once."""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import paths
from ..config import load_mapping, problem_at
from ..errors import FactsheetsError
from ..validate import FLOWS
from .periods import DEFAULT_PERIOD_PATTERNS, PERIOD_PARTS

# Profile fields: the canonical field each raw column feeds (`value` is in `unit`; `period`
# replaces `year` for quarterly or monthly data).
FIELDS = ("year", "period", "flow", "department", "product", "country", "value")
FORMATS = ("csv", "parquet", "excel", "auto")
UNITS = {"eur": 1, "thousands_eur": 1000}
DECIMALS = (".", ",")
PROFILE_KEYS = (
    "format",
    "separator",
    "decimal",
    "encoding",
    "unit",
    "header",
    "columns",
    "flow_codes",
    "department_pad",
    "year_value",
    "year_from_filename",
    "sheet",
    "skip_rows",
    "members",
    "period",
    "flow_from_filename",
    "department_from_filename",
    "wide",
)
WIDE_FIELDS = ("country", "product")  # `wide:` a cross-table whose unmapped columns are headed by these codes


@dataclass(frozen=True)
class Profile:
    """How to read one kind of raw file (see config/profiles/*.yaml)."""

    name: str
    path: Path
    format: str  # 'csv', 'parquet', 'excel' or 'auto' (by the file's extension)
    separator: str
    decimal: str
    encoding: str
    unit: str  # 'eur' or 'thousands_eur'
    header: bool
    columns: Mapping[str, str]  # field -> raw column name (or "1", "2"… without header)
    flow_codes: Mapping[str, str]  # raw code (compared ignoring case) -> 'export' | 'import'
    department_pad: int | None = None
    year_value: int | None = None
    year_from_filename: str | None = None
    sheet: str | int = 1  # Excel: sheet name, or 1-based rank
    skip_rows: int = 0  # lines above the header line
    members: tuple[str, ...] | None = None  # ZIP: globs of the member names to read (None: every readable one)
    period_kind: str | None = None  # with columns.period: 'year', 'quarter' or 'month'
    period_pattern: str | None = None  # regex with groups (?P<year>) and (?P<part>)
    flow_from_filename: Mapping[str, str] | None = None  # flow -> regex on the file or member name
    department_from_filename: str | None = None  # regex with one group around the department code
    # A fixed department code for every row (national.py: the national file's rows, which have
    # no department column, go under the configured unallocated code).
    department_value: str | None = None
    wide: str | None = None  # 'country' or 'product': every unmapped column is headed by such a code

    @property
    def multiplier(self) -> int:
        return UNITS[self.unit]


# --------------------------------------------------------------------------- profiles


def available_profiles(profiles_dir: Path | None = None) -> list[str]:
    folder = Path(profiles_dir or paths.PROFILES_DIR)
    return sorted(path.stem for path in folder.glob("*.yaml")) if folder.is_dir() else []


def _is_path(name_or_path: str) -> bool:
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return any(sep in name_or_path for sep in separators) or name_or_path.lower().endswith((".yaml", ".yml"))


def load_profile(name_or_path: str, profiles_dir: Path | None = None, *, national: bool = False) -> Profile:
    """A profile by name (config/profiles/NAME.yaml) or by path to a YAML file.

    national: the profile of a national file (no department column; see national.py).
    """
    text = str(name_or_path).strip()
    if _is_path(text):
        path = Path(text)
        if not path.is_file():
            raise FactsheetsError(
                f"{path} : fichier de profil introuvable ; indiquez un profil YAML existant ou un nom de profil"
            )
    else:
        folder = Path(profiles_dir or paths.PROFILES_DIR)
        path = folder / f"{text}.yaml"
        if not text or not path.is_file():
            names = ", ".join(available_profiles(folder)) or "aucun"
            raise FactsheetsError(
                f"profil inconnu « {text} » ; profils disponibles : {names} (dans {folder}), ou indiquez le chemin d'un fichier YAML"
            )
    return _parse_profile(load_mapping(path), path, national)


def _profile_error(path: Path, key: str, problem: str) -> FactsheetsError:
    """The problem at the line of `key` (dotted) in the profile file, as `check` reports a
    setting's: `path:line : clé « key » : problem`."""
    keys = tuple(int(part) if part.isdigit() else part for part in key.split("."))
    return FactsheetsError(problem_at(path, *keys, what=f"clé « {key} » : {problem}"))


def _required(data: Mapping[str, Any], key: str, path: Path) -> Any:
    if key not in data or data[key] is None:
        raise FactsheetsError(f"{path} : clé « {key} » manquante ; voir config/profiles/dgddi.yaml pour un profil complet")
    return data[key]


def _choice(data: Mapping[str, Any], key: str, path: Path, choices: Sequence[str]) -> str:
    value = _required(data, key, path)
    if value not in choices:
        raise _profile_error(path, key, f"« {value} » n'est pas l'une des valeurs {', '.join(choices)}")
    return value


def _parse_columns(data: Mapping[str, Any], path: Path, header: bool, optional: set[str]) -> dict[str, str]:
    columns = _required(data, "columns", path)
    if not isinstance(columns, dict):
        raise _profile_error(path, "columns", "attendu : des paires champ canonique: nom de la colonne brute")
    unknown = sorted(set(map(str, columns)) - set(FIELDS))
    if unknown:
        raise _profile_error(path, f"columns.{unknown[0]}", f"champ inconnu ; les champs sont {', '.join(FIELDS)}")
    parsed: dict[str, str] = {}
    for name in FIELDS:
        if name not in columns or columns[name] is None:
            if name in optional:
                continue
            what = f"clé « columns.{name} » manquante"
            raise FactsheetsError(
                problem_at(path, "columns", what=what, fix=f"indiquez la colonne brute qui contient le champ {name}")
            )
        raw = columns[name]
        if header and not (isinstance(raw, str) and raw.strip()):
            raise _profile_error(path, f"columns.{name}", f"« {raw} » n'est pas un nom de colonne")
        if not header and not (isinstance(raw, int) and not isinstance(raw, bool) and raw >= 1):
            raise _profile_error(
                path, f"columns.{name}", f"« {raw} » : sans en-tête, indiquez la position de la colonne (1, 2, …)"
            )
        parsed[name] = str(raw).strip()
    return parsed


def _parse_flow_codes(data: Mapping[str, Any], path: Path) -> dict[str, str]:
    codes = _required(data, "flow_codes", path)
    if not isinstance(codes, dict) or not codes:
        raise _profile_error(
            path, "flow_codes", "attendu : des paires code de flux brut: export ou import, par ex. {E: export, I: import}"
        )
    parsed: dict[str, str] = {}
    for raw, flow in codes.items():
        if flow not in FLOWS:
            raise _profile_error(path, f"flow_codes.{raw}", f"« {flow} » n'est ni export ni import")
        code = str(raw).strip()
        if not code or code.lower() in {known.lower() for known in parsed}:
            raise _profile_error(
                path, f"flow_codes.{raw}", "code vide ou répété (les codes sont comparés sans tenir compte de la casse)"
            )
        parsed[code] = flow
    return parsed


def _parse_period(data: Mapping[str, Any], path: Path) -> tuple[str, str]:
    period = data.get("period") or {}
    if not isinstance(period, dict) or set(map(str, period)) - {"kind", "pattern"}:
        raise _profile_error(path, "period", "attendu : {kind: year | quarter | month, pattern: expression régulière}")
    kind = period.get("kind", "quarter")
    if kind not in PERIOD_PARTS:
        raise _profile_error(path, "period.kind", f"« {kind} » n'est pas l'une des valeurs {', '.join(PERIOD_PARTS)}")
    pattern = str(period.get("pattern") or DEFAULT_PERIOD_PATTERNS[kind])
    try:
        groups = re.compile(pattern).groupindex
    except re.error as error:
        raise _profile_error(path, "period.pattern", f"expression régulière invalide ({error})") from None
    wanted = {"year"} | ({"part"} if kind != "year" else set())
    if not wanted <= set(groups):
        names = " et ".join(f"(?P<{name}>…)" for name in sorted(wanted, reverse=True))
        raise _profile_error(path, "period.pattern", f"l'expression doit nommer ses groupes {names}")
    return kind, pattern


def _parse_flow_patterns(data: Mapping[str, Any], path: Path) -> dict[str, str]:
    patterns = data["flow_from_filename"]
    if not isinstance(patterns, dict) or not patterns or set(map(str, patterns)) - set(FLOWS):
        raise _profile_error(
            path,
            "flow_from_filename",
            "attendu : une expression régulière par flux, par ex. {export: '(?i)exp', import: '(?i)imp'}",
        )
    for flow, pattern in patterns.items():
        try:
            re.compile(str(pattern))
        except re.error as error:
            raise _profile_error(path, f"flow_from_filename.{flow}", f"expression régulière invalide ({error})") from None
    return {str(flow): str(pattern) for flow, pattern in patterns.items()}


def _parse_sheet(data: Mapping[str, Any], path: Path) -> str | int:
    sheet = data.get("sheet", 1)
    if isinstance(sheet, bool) or not (isinstance(sheet, int) and sheet >= 1 or isinstance(sheet, str) and sheet.strip()):
        raise _profile_error(path, "sheet", f"« {sheet} » : indiquez le nom de la feuille ou son rang (1 pour la première)")
    return sheet


def _one_group_pattern(data: Mapping[str, Any], key: str, around: str, path: Path) -> str | None:
    """A regular expression on file names, with exactly one group (around what it reads)."""
    pattern = data.get(key)
    if pattern is None:
        return None
    try:
        compiled = re.compile(str(pattern))
    except re.error as error:
        raise _profile_error(path, key, f"expression régulière invalide ({error})") from None
    if compiled.groups != 1:
        raise _profile_error(path, key, f"l'expression régulière doit avoir exactement un groupe (…) autour {around}")
    return str(pattern)


def _parse_profile(data: dict[str, Any], path: Path, national: bool = False) -> Profile:
    unknown = sorted(set(map(str, data)) - set(PROFILE_KEYS))
    if unknown:
        raise _profile_error(path, unknown[0], f"clé inconnue ; les clés sont {', '.join(PROFILE_KEYS)}")
    fmt = _choice(data, "format", path, FORMATS)
    unit = _choice(data, "unit", path, tuple(UNITS))

    separator, decimal, encoding = ",", ".", "utf-8"
    if fmt in ("csv", "auto"):
        separator = _required(data, "separator", path)
        if not isinstance(separator, str) or len(separator) != 1 or separator in '\r\n"':
            raise _profile_error(path, "separator", f"« {separator} » n'est pas un caractère unique comme « ; » ou « , »")
        decimal = _choice(data, "decimal", path, DECIMALS)
        if decimal == separator:
            raise _profile_error(path, "decimal", f"« {decimal} » est aussi le séparateur (separator)")
        encoding = _required(data, "encoding", path)
        try:
            codecs.lookup(str(encoding))
        except LookupError:
            raise _profile_error(
                path, "encoding", f"« {encoding} » n'est pas un encodage connu (utilisez latin-1, utf-8, cp1252…)"
            ) from None
        encoding = str(encoding)

    header = data.get("header", True)
    if not isinstance(header, bool):
        raise _profile_error(path, "header", f"« {header} » n'est ni true ni false")
    if fmt != "csv" and not header:
        raise _profile_error(path, "header", "seuls les fichiers CSV peuvent être sans en-tête")

    year_value = data.get("year_value")
    year_from_filename = data.get("year_from_filename")
    if year_value is not None and year_from_filename is not None:
        raise _profile_error(path, "year_value", "indiquez year_value ou year_from_filename, pas les deux")
    if year_value is not None and (isinstance(year_value, bool) or not isinstance(year_value, int)):
        raise _profile_error(path, "year_value", f"« {year_value} » n'est pas une année comme 2024")
    year_from_filename = _one_group_pattern(data, "year_from_filename", "de l'année", path)
    columns_given = data.get("columns") if isinstance(data.get("columns"), dict) else {}
    has_period = columns_given.get("period") is not None
    needs_year = year_value is None and year_from_filename is None and not has_period
    flow_patterns = _parse_flow_patterns(data, path) if data.get("flow_from_filename") is not None else None
    department_pattern = _one_group_pattern(data, "department_from_filename", "du code", path)
    wide = data.get("wide")
    if wide is not None and wide not in WIDE_FIELDS:
        raise _profile_error(path, "wide", f"« {wide} » n'est pas l'une des valeurs {', '.join(WIDE_FIELDS)}")
    optional = (
        {"period"}
        | ({"year"} if not needs_year else set())
        | ({"flow"} if flow_patterns else set())
        | ({"department"} if department_pattern or national else set())
        | ({wide, "value"} if wide else set())
    )
    columns = _parse_columns(data, path, header, optional)
    if department_pattern and "department" in columns:
        raise _profile_error(
            path, "columns.department", "le département vient de department_from_filename ; retirez l'un des deux"
        )
    if not needs_year and "year" in columns:
        source = "columns.period" if has_period else "year_value ou de year_from_filename"
        raise _profile_error(path, "columns.year", f"l'année vient de {source} ; retirez l'un des deux")
    if has_period and (year_value is not None or year_from_filename is not None):
        raise _profile_error(path, "columns.period", "l'année vient de la période ; retirez year_value / year_from_filename")
    if flow_patterns and "flow" in columns:
        raise _profile_error(path, "columns.flow", "le flux vient de flow_from_filename ; retirez l'un des deux")
    if wide and (wide in columns or "value" in columns):
        mapped = wide if wide in columns else "value"
        raise _profile_error(
            path,
            f"columns.{mapped}",
            f"avec « wide: {wide} », les codes sont les en-têtes des colonnes "
            "non nommées dans columns et leurs cellules les valeurs ; retirez cette colonne",
        )
    if data.get("period") is not None and not has_period:
        raise _profile_error(path, "period", "indiquez aussi la colonne de la période dans columns.period")
    period_kind, period_pattern = _parse_period(data, path) if has_period else (None, None)
    skip_rows = data.get("skip_rows", 0)
    if isinstance(skip_rows, bool) or not isinstance(skip_rows, int) or skip_rows < 0:
        raise _profile_error(path, "skip_rows", f"« {skip_rows} » n'est pas un nombre de lignes (0, 1, 2…)")
    members = data.get("members")
    member_globs = [members] if isinstance(members, str) else members
    if members is not None and not (
        isinstance(member_globs, list) and member_globs and all(isinstance(glob, str) and glob.strip() for glob in member_globs)
    ):
        raise _profile_error(
            path, "members", f"« {members} » n'est pas un motif de noms comme « *.xls » (ou une liste de motifs)"
        )

    pad = data.get("department_pad")
    if pad is not None and (isinstance(pad, bool) or not isinstance(pad, int) or not 1 <= pad <= 3):
        raise _profile_error(path, "department_pad", f"« {pad} » n'est pas une largeur comprise entre 1 et 3")

    return Profile(
        name=path.stem,
        path=path,
        format=fmt,
        separator=separator,
        decimal=decimal,
        encoding=encoding,
        unit=unit,
        header=header,
        columns=columns,
        flow_codes=_parse_flow_codes(data, path) if not flow_patterns or data.get("flow_codes") is not None else {},
        department_pad=pad,
        year_value=year_value,
        year_from_filename=year_from_filename,
        sheet=_parse_sheet(data, path),
        skip_rows=skip_rows,
        members=tuple(member_globs) if members is not None else None,
        period_kind=period_kind,
        period_pattern=period_pattern,
        flow_from_filename=flow_patterns,
        department_from_filename=department_pattern,
        wide=wide,
    )
