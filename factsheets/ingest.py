"""Raw customs files -> the canonical layout, through a YAML source profile.

A profile (config/profiles/NAME.yaml) says how a raw file is laid out: format (CSV,
Parquet, Excel, or ZIP archives of those), separator, decimal mark, encoding, sheet, lines
above the header, unit of the values, which raw column holds each canonical field, how
flows are coded (or which file names hold which flow) and, for quarterly or monthly data,
how to read the period. `ingest` reads every source with it, sums periods to calendar
years, and checks every row (values here, codes through `validate`): all problems are
reported together, each naming the source file (sheet, member) and its own line.
`write_canonical` writes the result atomically; `inspect_sources` shows how a profile sees
files without converting them.
"""

from __future__ import annotations

import codecs
import difflib
import fnmatch
import io
import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

import polars as pl

from . import paths
from .config import load_mapping
from .errors import FactsheetsError, Problems, error_detail, write_failure
from .files import atomic_file
from .load import (
    CANONICAL_COLUMNS,
    LINE_COLUMN,
    PERIOD_COLUMN,
    WHERE_COLUMN,
    binary_kind,
    decode_text,
    nested_column_problem,
    printable,
    read_bytes,
    read_csv_text,
)
from .validate import (
    CANONICAL_SCHEMA,
    DUPLICATE_FIX,
    FLOWS,
    KEY_COLUMNS,
    MAX_ROW_VALUE_EUR,
    MAX_ROW_VALUE_TEXT,
    check_duplicates,
    check_rows,
    report_bad_rows,
)

SOURCE_COLUMN = "__source"
"""With keep_origin=True, the source of each row (LINE_COLUMN holds its line, WHERE_COLUMN both)."""


# Profile fields: the canonical field each raw column feeds (`value` is in `unit`; `period`
# replaces `year` for quarterly or monthly data).
FIELDS = ("year", "period", "flow", "department", "product", "country", "value")
FORMATS = ("csv", "parquet", "excel", "auto")
EXTENSIONS = {
    ".csv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
    ".zip": "zip",
}
UNITS = {"eur": 1, "thousands_eur": 1000}
DECIMALS = (".", ",")
PERIOD_PARTS = {"year": 1, "quarter": 4, "month": 12}
PERIOD_NAMES = {"quarter": ("trimestre", "T"), "month": ("mois", "M")}
DEFAULT_PERIOD_PATTERNS = {
    "year": r"(?P<year>\d{4})",
    "quarter": r"(?P<year>\d{4})\D*(?P<part>\d{1,2})",
    "month": r"(?P<year>\d{4})\D*(?P<part>\d{1,2})",
}
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
WIDE_CODE = "en-têtes du tableau croisé"  # the unpivoted columns' names, as messages show them
WIDE_VALUE = "cellules du tableau croisé"
WIDE_PROPOSAL_MIN = 3  # unmapped header names that are codes before --inspect proposes `wide:`

# Spaces used as thousands separators: space, no-break space, narrow no-break space.
THOUSANDS_SPACES = r"[ \t\u00a0\u202f]"
NUMBER_PATTERN = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
YEAR_PATTERN = r"^\d{4}$"
SAMPLE_ROWS = 3

# Bounded work (SPEC 14): an archive member (and a workbook's XML part) is read only up to
# these sizes; beyond them, or compressed more than MAX_ZIP_RATIO to 1 (a "zip bomb"), it is
# refused before it is expanded.
MAX_MEMBER_BYTES = 2 * 1024**3
"""The largest expanded size of one ZIP member or workbook part."""
MAX_ARCHIVE_BYTES = 8 * 1024**3
"""The largest expanded size of all the members read from one archive or workbook."""
MAX_ZIP_RATIO = 200
"""The largest expanded/compressed ratio of a member (CSV compresses about 10 to 1)."""
RATIO_FROM_BYTES = 1024**2
"""Members smaller than this expanded are not held to the ratio (tiny files compress well)."""


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
    return FactsheetsError(f"{path} : clé « {key} » : {problem}")


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
            raise FactsheetsError(
                f"{path} : clé « columns.{name} » manquante ; indiquez la colonne brute qui contient le champ {name}"
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


# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class Source:
    """One table to read: a file, or a member of a ZIP archive (and, for Excel, one sheet)."""

    path: Path  # the file given on the command line
    fmt: str  # 'csv', 'parquet' or 'excel'
    data: bytes = field(repr=False)
    member: str | None = None  # the member's name inside the archive `path`
    sheet: str | None = None  # Excel: the sheet read
    sheets: tuple[str, ...] = ()  # Excel: every sheet of the workbook

    @property
    def name(self) -> str:
        """The file or member name, where flow_from_filename and year_from_filename look."""
        return PurePosixPath(self.member).name if self.member else self.path.name

    @property
    def label(self) -> str:
        """The file, and the member of an archive: 'kiosque.zip › 02_export.xls'."""
        return f"{self.path} › {self.member}" if self.member else str(self.path)

    def where(self, line: int | None = None) -> str:
        """A place in this source as messages show it (line: of the file, header included)."""
        if self.fmt == "csv":
            return f"{self.label}:{line}" if line is not None else self.label
        inside = [f"feuille « {self.sheet} »"] if self.sheet is not None else []
        inside += [f"ligne {line}"] if line is not None else []
        return f"{self.label} ({', '.join(inside)})" if inside else self.label

    def where_expression(self) -> pl.Expr:
        """`where(line)` for every row of a frame with LINE_COLUMN."""
        prefix, _, suffix = self.where(-1).rpartition("-1")
        return pl.concat_str(pl.lit(prefix), pl.col(LINE_COLUMN).cast(pl.String), pl.lit(suffix))


def _format_of(name: str, profile: Profile, data: bytes, label: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    if suffix == ".zip" or (data.startswith(b"PK\x03\x04") and suffix not in (".xlsx", ".xlsm") and profile.members):
        return "zip"
    if profile.format != "auto":
        return profile.format
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    known = ", ".join(sorted(EXTENSIONS))
    raise FactsheetsError(
        f"{label} : impossible de déduire le format de l'extension « {printable(suffix) or '(aucune)'} » ; "
        f"le profil {profile.name} lit les fichiers {known} (ou indiquez « format » dans {profile.path})"
    )


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    """Why a ZIP member (of an archive or an .xlsx workbook) is not read, or None."""
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
        return (
            f"nom de fichier « {printable(name, 80)} » qui sort de l'archive ; "
            "l'archive est suspecte : demandez-en une copie saine"
        )
    if info.file_size > MAX_MEMBER_BYTES:
        return (
            f"« {printable(name, 80)} » ferait {info.file_size // 1024**2} Mo une fois décompressé "
            f"(au plus {MAX_MEMBER_BYTES // 1024**2} Mo) ; découpez le fichier ou décompressez-le vous-même"
        )
    if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
        return (
            f"« {printable(name, 80)} » est compressé plus de {MAX_ZIP_RATIO} fois "
            f"({info.compress_size} octets pour {info.file_size}) : bombe de décompression probable ; "
            "vérifiez l'origine de l'archive"
        )
    return None


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, read in pieces and stopped at MAX_MEMBER_BYTES whatever its header says."""
    pieces, size = [], 0
    with archive.open(info) as stream:
        while piece := stream.read(1024 * 1024):
            size += len(piece)
            if size > MAX_MEMBER_BYTES or (size > RATIO_FROM_BYTES and size > MAX_ZIP_RATIO * max(info.compress_size, 1)):
                raise FactsheetsError(
                    f"« {printable(info.filename, 80)} » se décompresse au-delà de ce qu'annonce l'archive "
                    f"(plus de {size // 1024**2} Mo) : bombe de décompression probable ; vérifiez l'origine de l'archive"
                )
            pieces.append(piece)
    return b"".join(pieces)


def _workbook_problem(data: bytes) -> str | None:
    """Why an .xlsx workbook (a ZIP of XML parts) is not opened: a part too big expanded."""
    if not data.startswith(b"PK"):
        return None  # .xls: no parts to expand
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None  # the reader says what is wrong with it
    total = sum(info.file_size for info in infos)
    if total > MAX_ARCHIVE_BYTES:
        return f"classeur de {total // 1024**2} Mo une fois décompressé (au plus {MAX_ARCHIVE_BYTES // 1024**2} Mo) ; découpez-le"
    return next((f"partie {problem}" for info in infos if (problem := _member_problem(info)) is not None), None)


def _excel_source(path: Path, data: bytes, profile: Profile, member: str | None, any_sheet: bool = False) -> Source:
    import fastexcel

    label = f"{path} › {member}" if member else str(path)
    kind = binary_kind(data)
    if kind is None or kind == "un fichier Parquet":
        raise FactsheetsError(
            f"{label} : ce n'est pas un classeur Excel (.xlsx ou .xls) ; vérifiez le fichier ou « format » dans {profile.path}"
        )
    problem = _workbook_problem(data)
    if problem is not None:
        raise FactsheetsError(f"{label} : classeur Excel refusé, {problem}")
    try:
        sheets = tuple(fastexcel.read_excel(data).sheet_names)
    except (fastexcel.FastExcelError, ValueError, OSError, IndexError, KeyError) as error:
        raise FactsheetsError(
            f"{label} : classeur Excel illisible ({printable(error_detail(error), 120)}) ; "
            "enregistrez-le de nouveau depuis le tableur"
        ) from None
    if not sheets:  # a workbook whose xl/workbook.xml is missing or lists no sheet
        raise FactsheetsError(
            f"{label} : classeur Excel incomplet, aucune feuille (partie xl/workbook.xml absente ou vide) ; "
            "enregistrez-le de nouveau depuis le tableur"
        )
    source = Source(path, "excel", data, member, None, sheets)
    sheet = _chosen_sheet(source, profile)
    if any_sheet:  # inspecting: every sheet is shown, found or not
        return source
    if sheet is None and isinstance(profile.sheet, int):
        raise FactsheetsError(
            f"{label} : pas de feuille n° {profile.sheet}, le classeur en a {len(sheets)} ({', '.join(sheets)}) ; corrigez « sheet » dans {profile.path}"
        )
    if sheet is None:
        raise FactsheetsError(
            f"{label} : feuille « {profile.sheet} » introuvable ; feuilles du classeur : {', '.join(sheets)} ; corrigez « sheet » dans {profile.path}"
        )
    return replace(source, sheet=sheet)


def _table_source(path: Path, name: str, data: bytes, profile: Profile, member: str | None, any_sheet: bool = False) -> Source:
    fmt = _format_of(name, profile, data, f"{path} › {member}" if member else str(path))
    if fmt == "zip":
        raise FactsheetsError(f"{path} › {member} : archive dans l'archive, non prise en charge ; décompressez-la d'abord")
    if fmt == "excel":
        return _excel_source(path, data, profile, member, any_sheet)
    return Source(path, fmt, data, member)


def _zip_members(path: Path, data: bytes, profile: Profile, any_sheet: bool = False) -> list[Source]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = {info.filename: info for info in archive.infolist() if not info.is_dir()}
        names = list(infos)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise FactsheetsError(f"{path} : archive ZIP illisible ({printable(error, 120)}) ; téléchargez-la de nouveau") from None

    def wanted(name: str) -> bool:
        if profile.members:
            names = (name.lower(), PurePosixPath(name).name.lower())
            return any(fnmatch.fnmatch(candidate, glob.lower()) for glob in profile.members for candidate in names)
        return PurePosixPath(name).suffix.lower() in EXTENSIONS and not name.lower().endswith(".zip")

    chosen = sorted(name for name in names if wanted(name))
    if not chosen:
        listed = ", ".join(printable(name) for name in names[:8]) + (" …" if len(names) > 8 else "")
        rule = (
            f"aux motifs {', '.join(f'« {glob} »' for glob in profile.members)} (members)"
            if profile.members
            else "aux formats lus (.csv, .parquet, .xlsx, .xls)"
        )
        raise FactsheetsError(
            f"{path} : aucun fichier de l'archive ne correspond {rule} ; elle contient : {listed or 'rien'} ; corrigez « members » dans {profile.path}"
        )
    for name in chosen:
        problem = _member_problem(infos[name])
        if problem is not None:
            raise FactsheetsError(f"{path} : membre refusé, {problem}")
    total = sum(infos[name].file_size for name in chosen)
    if total > MAX_ARCHIVE_BYTES:
        raise FactsheetsError(
            f"{path} : les fichiers à lire feraient {total // 1024**2} Mo une fois décompressés "
            f"(au plus {MAX_ARCHIVE_BYTES // 1024**2} Mo) ; découpez l'archive"
        )
    sources = []
    for name in chosen:
        try:
            member_data = _read_member(archive, infos[name])
        except FactsheetsError as error:
            raise FactsheetsError(f"{path} : membre refusé, {error}") from None
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as error:
            raise FactsheetsError(
                f"{path} › {printable(name, 80)} : illisible dans l'archive ({printable(error, 120)})"
            ) from None
        sources.append(_table_source(path, name, member_data, profile, name, any_sheet))
    return sources


def expand_sources(paths_given: Sequence[Path], profile: Profile, problems: Problems, any_sheet: bool = False) -> list[Source]:
    """Every table to read (files, archive members), in order; unreadable ones go to `problems`.

    With any_sheet (inspecting), a workbook without the profile's sheet is kept too.
    """
    if not paths_given:
        raise FactsheetsError("aucun fichier source indiqué ; indiquez un ou plusieurs fichiers bruts à convertir")
    seen: dict[Path, Path] = {}
    for source in map(Path, paths_given):
        key = paths.resolved(source, "fichier source")
        if key in seen:
            raise FactsheetsError(
                f"{source} : indiqué deux fois (aussi comme {seen[key]}) ; indiquez chaque fichier source une seule fois"
            )
        seen[key] = source
    sources: list[Source] = []
    for path in seen.values():
        try:
            if not path.exists():
                raise FactsheetsError(f"{path} : fichier source introuvable ; vérifiez le chemin")
            if not path.is_file():
                raise FactsheetsError(f"{path} : ce n'est pas un fichier ; indiquez les fichiers de données brutes à convertir")
            data = read_bytes(path, "fichier source", "indiquez un autre fichier")
            if _format_of(path.name, profile, data, str(path)) == "zip":
                sources.extend(_zip_members(path, data, profile, any_sheet))
            else:
                sources.append(_table_source(path, path.name, data, profile, None, any_sheet))
        except FactsheetsError as error:
            problems.add(str(error))
    return sources


# --------------------------------------------------------------------------- reading


def _read_csv(source: Source, profile: Profile) -> pl.DataFrame:
    kind = binary_kind(source.data)
    if kind is not None:
        raise FactsheetsError(
            f"{source.label} : ce fichier est en réalité {kind}, pas du texte CSV ; renommez-le avec la bonne extension "
            f"ou corrigez « format » dans {profile.path}"
        )
    text = decode_text(
        source.label,
        source.data,
        profile.encoding,
        f"indiquez dans « encoding » du profil {profile.path} l'encodage du fichier (par ex. latin-1)",
    )
    if not text.strip():
        raise FactsheetsError(
            f"{source.label}:1 : fichier vide ; indiquez un fichier avec {'une ligne d’en-tête et ' if profile.header else ''}des lignes de données"
        )
    try:
        return read_csv_text(source.label, text, separator=profile.separator, header=profile.header, skip_rows=profile.skip_rows)
    except FactsheetsError as error:
        raise FactsheetsError(f"{error} (« separator » : « {profile.separator} » dans {profile.path})") from None


def _read_parquet(source: Source, profile: Profile) -> pl.DataFrame:
    try:
        frame = pl.read_parquet(io.BytesIO(source.data))
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        detail = error_detail(error)
        raise FactsheetsError(f"{source.label} : illisible en tant que Parquet ({printable(detail, 120)})") from None
    nested = nested_column_problem(source.label, frame, list(profile.columns.values()))
    if nested:
        raise FactsheetsError(nested)
    try:
        text = frame.select(pl.all().cast(pl.String))
    except pl.exceptions.PolarsError:
        kinds = ", ".join(f"{name} ({dtype})" for name, dtype in frame.schema.items())
        raise FactsheetsError(
            f"{source.label} : colonnes de types inattendus : {kinds} ; attendu : du texte et des nombres"
        ) from None
    return text.with_row_index(LINE_COLUMN, offset=1)


def _read_excel(source: Source, profile: Profile) -> pl.DataFrame:
    import fastexcel

    try:
        frame = pl.read_excel(
            source.data,
            sheet_name=source.sheet,
            engine="calamine",
            infer_schema_length=0,
            drop_empty_rows=False,
            read_options={"header_row": profile.skip_rows},
        )
    except (fastexcel.FastExcelError, pl.exceptions.PolarsError, ValueError, OSError, IndexError, KeyError) as error:
        detail = error_detail(error)
        raise FactsheetsError(
            f"{source.where()} : feuille illisible ({printable(detail, 120)}) ; vérifiez « skip_rows » dans {profile.path}"
        ) from None
    frame = frame.rename({name: str(name).strip() for name in frame.columns})
    # Line numbers as the spreadsheet shows them: the header is on line skip_rows + 1.
    frame = frame.with_row_index(LINE_COLUMN, offset=profile.skip_rows + 2)
    return frame.filter(~pl.all_horizontal(pl.exclude(LINE_COLUMN).is_null()))


def read_table(source: Source, profile: Profile) -> pl.DataFrame:
    """The source's columns as text, plus LINE_COLUMN (its line, header included)."""
    reader = {"csv": _read_csv, "parquet": _read_parquet, "excel": _read_excel}[source.fmt]
    return reader(source, profile)


def closest_columns(wanted: str, found: Sequence[str]) -> list[str]:
    """The header names nearest to `wanted` (ignoring case), best first."""
    lowered = {name.lower(): name for name in found}
    return [lowered[name] for name in difflib.get_close_matches(wanted.lower(), list(lowered), n=3, cutoff=0.5)]


def _header_where(source: Source, profile: Profile) -> str:
    return source.where(profile.skip_rows + 1) if profile.header and source.fmt != "parquet" else source.where()


def _check_columns(frame: pl.DataFrame, source: Source, profile: Profile) -> None:
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
        f"{_header_where(source, profile)} : colonne(s) manquante(s) {', '.join(wanted)} requise(s) par le profil {profile.name} ; "
        f"trouvées : {listed}{hint} ; corrigez le fichier ou les « columns » de {profile.path} (factsheets ingest --inspect aide à les trouver)"
    )


# --------------------------------------------------------------------------- converting


def unpivot_wide(raw: pl.DataFrame, profile: Profile) -> tuple[pl.DataFrame, Profile]:
    """A cross-table (`wide:`) as one row per code column: its header is the code, its cell the
    value (an empty cell is zero); the profile that reads the result. Other tables as they are."""
    if profile.wide is None:
        return raw, profile
    mapped = [column for column in profile.columns.values()]
    codes = [name for name in raw.columns if name != LINE_COLUMN and name not in mapped]
    long = raw.unpivot(on=codes, index=[*mapped, LINE_COLUMN], variable_name=WIDE_CODE, value_name=WIDE_VALUE)
    # An empty cell is zero: no row (a cross-table is mostly empty), the same totals.
    cell = pl.col(WIDE_VALUE).cast(pl.String).str.strip_chars()
    long = long.filter(cell.is_not_null() & (cell != "")).sort(LINE_COLUMN, maintain_order=True)
    return long, replace(profile, columns={**profile.columns, profile.wide: WIDE_CODE, "value": WIDE_VALUE})


def _flow_from_name(source: Source, profile: Profile) -> str:
    assert profile.flow_from_filename is not None
    flows = [flow for flow, pattern in profile.flow_from_filename.items() if re.search(pattern, source.name)]
    if len(flows) != 1:
        rules = ", ".join(f"{flow} : « {pattern} »" for flow, pattern in profile.flow_from_filename.items())
        problem = "ne correspond à aucun" if not flows else "correspond à plusieurs"
        raise FactsheetsError(
            f"{source.label} : le nom « {source.name} » {problem} des motifs de flow_from_filename ({rules}) ; "
            f"renommez le fichier ou corrigez flow_from_filename dans {profile.path}"
        )
    return flows[0]


def _year_from_name(source: Source, profile: Profile) -> int:
    assert profile.year_from_filename is not None
    match = re.search(profile.year_from_filename, source.name)
    if match is None or not re.fullmatch(r"\d{4}", match.group(1)):
        raise FactsheetsError(
            f"{source.label} : aucune année trouvée dans le nom du fichier avec le motif « {profile.year_from_filename} » "
            f"(year_from_filename dans {profile.path}) ; renommez le fichier pour qu'il contienne l'année, par ex. 2024"
        )
    return int(match.group(1))


def _department_from_name(source: Source, profile: Profile) -> str:
    assert profile.department_from_filename is not None
    match = re.search(profile.department_from_filename, source.name)
    if match is None or not match.group(1):
        raise FactsheetsError(
            f"{source.label} : aucun code de département dans le nom « {source.name} » avec le motif « {profile.department_from_filename} » "
            f"(department_from_filename dans {profile.path}) ; renommez le fichier ou corrigez le motif"
        )
    return match.group(1).upper()


def _number_text(raw: str, decimal: str) -> pl.Expr:
    """The raw value without thousands spaces, with '.' as decimal mark (null if ambiguous)."""
    text = pl.col(raw).str.strip_chars().str.replace_all(THOUSANDS_SPACES, "")
    if decimal == ",":
        # With a decimal comma, a '.' would be a thousands mark or a mistake: refuse it.
        return pl.when(text.str.contains(".", literal=True)).then(None).otherwise(text.str.replace(",", ".", literal=True))
    return pl.when(text.str.contains(",", literal=True)).then(None).otherwise(text)


def _euros(number: pl.Expr, multiplier: int) -> pl.Expr:
    """The value in euros. Thousands go through a decimal so that 1234,567 k€ is exactly 1234567 €.

    Thousands of euros have three decimals at most (precision to the euro): rounding to the
    thousandth of a euro removes the binary noise of spreadsheet numbers (580354500.123000026).
    """
    if multiplier == 1:
        return number.cast(pl.Float64, strict=False) + 0.0  # -0.0 is 0 (SPEC 14): + 0.0 drops the sign of a zero
    exact = (number.cast(pl.Decimal(38, 9), strict=False) * multiplier).cast(pl.Float64)
    return exact.fill_null(number.cast(pl.Float64, strict=False) * multiplier).round(3) + 0.0


def _shown(value: str | None) -> str:
    return "valeur vide" if value is None or not str(value).strip() else f"« {printable(value)} »"


def _convert(raw: pl.DataFrame, source: Source, profile: Profile, problems: Problems) -> pl.DataFrame:
    """The source's good rows in the canonical layout (+ period, origin); bad rows to `problems`."""
    col = profile.columns
    decimal = profile.decimal if source.fmt == "csv" else "."  # Parquet and Excel numbers come as text with '.'
    decimal_name = "la virgule" if decimal == "," else "le point"
    checks: list[tuple[pl.Expr, str, str, str]] = []  # (bad row, raw column, problem, fix)
    # Every derived value (year text, flow, codes, number, value) is computed once, as a
    # temporary column: the checks and the output then only read it. The final select
    # leaves the temporaries out.
    derived: dict[str, pl.Expr] = {}

    def code(field_: str) -> pl.Expr:
        text = pl.col(col[field_]).str.strip_chars().str.to_uppercase()
        # A spreadsheet may hold a numeric code as a number: 2.0 is the code 2.
        return text.str.replace(r"^(\d+)\.0+$", "$1") if source.fmt != "csv" else text

    # Year, and the part of the year (quarter or month) with a period column.
    part = pl.lit(0, dtype=pl.Int32)
    year_text = pl.col("__year_text")
    if "period" in col:
        assert profile.period_kind is not None and profile.period_pattern is not None
        groups = pl.col(col["period"]).str.strip_chars().str.extract_groups(profile.period_pattern)
        derived["__year_text"] = groups.struct.field("year")
        checks.append(
            (
                year_text.is_null() | ~year_text.str.contains(YEAR_PATTERN),
                col["period"],
                f"n'est pas une période reconnue (année de quatre chiffres) par le motif « {profile.period_pattern} »",
                f"corrigez la valeur ou « period.pattern » dans {profile.path}",
            )
        )
        if profile.period_kind != "year":
            parts = PERIOD_PARTS[profile.period_kind]
            derived["__part"] = groups.struct.field("part").cast(pl.Int32, strict=False)
            part = pl.col("__part")
            checks.append(
                (
                    (~year_text.is_null()) & (part.is_null() | (part < 1) | (part > parts)),
                    col["period"],
                    f"n'a pas de {PERIOD_NAMES[profile.period_kind][0]} entre 1 et {parts}",
                    f"corrigez la valeur ou « period » dans {profile.path}",
                )
            )
        year = year_text.cast(pl.Int32, strict=False)
    elif "year" in col:
        raw_year = pl.col(col["year"]).str.strip_chars()
        derived["__year_text"] = raw_year.str.replace(r"^(\d{4})\.0+$", "$1") if source.fmt != "csv" else raw_year
        checks.append(
            (
                year_text.is_null() | ~year_text.str.contains(YEAR_PATTERN),
                col["year"],
                "n'est pas une année",
                "écrivez l'année en nombre entier, par ex. 2024",
            )
        )
        year = year_text.cast(pl.Int32, strict=False)
    else:
        year = pl.lit(profile.year_value if profile.year_value is not None else _year_from_name(source, profile), dtype=pl.Int32)

    # Flow.
    if profile.flow_from_filename:
        flow = pl.lit(_flow_from_name(source, profile), dtype=pl.String)
    else:
        derived["__flow"] = (
            pl.col(col["flow"])
            .str.strip_chars()
            .str.to_lowercase()
            .replace_strict(
                {code_.lower(): flow_ for code_, flow_ in profile.flow_codes.items()}, default=None, return_dtype=pl.String
            )
        )
        flow = pl.col("__flow")
        expected = ", ".join(f"« {code_} »" for code_ in profile.flow_codes)
        checks.append(
            (
                flow.is_null(),
                col["flow"],
                "n'est pas un code de flux connu",
                f"attendu : l'un de {expected} (flow_codes dans {profile.path})",
            )
        )

    # Codes: present on every row (whether they are known codes is checked by validation).
    codes: dict[str, pl.Expr] = {}
    for field_, kind in (("department", "de département"), ("product", "produit"), ("country", "pays")):
        if field_ in col:
            derived[f"__{field_}"] = code(field_)
            codes[field_] = pl.col(f"__{field_}")
            checks.append(
                (
                    codes[field_].is_null() | (codes[field_] == ""),
                    col[field_],
                    f"n'est pas un code {kind}",
                    f"chaque ligne doit avoir un code {kind}",
                )
            )
    if profile.department_value is not None:
        department = pl.lit(profile.department_value, dtype=pl.String)
    elif profile.department_from_filename:
        department = pl.lit(_department_from_name(source, profile), dtype=pl.String)
    else:
        department = codes["department"]
    if profile.department_pad:
        department = (
            pl.when(department.str.contains(r"^\d+$")).then(department.str.zfill(profile.department_pad)).otherwise(department)
        )

    # Value: a number, finite, not negative, below the plausibility bound (disjoint checks).
    derived["__number"] = _number_text(col["value"], decimal)
    number = pl.col("__number")
    value = pl.col("__value")
    is_number = number.is_not_null() & number.str.contains(NUMBER_PATTERN)
    checks.append(
        (
            ~is_number.fill_null(False),
            col["value"],
            "n'est pas un nombre",
            f"écrivez un nombre avec {decimal_name} (« {decimal} ») comme séparateur décimal, comme le prévoit « decimal » dans {profile.path}",
        )
    )
    finite = value.is_finite().fill_null(False)
    checks.append((is_number & ~finite, col["value"], "est hors limites", "écrivez un montant fini"))
    checks.append((finite & (value < 0), col["value"], "est négatif", "les montants sont positifs ou nuls"))
    checks.append(
        (
            finite & (value > MAX_ROW_VALUE_EUR),
            col["value"],
            f"dépasse {MAX_ROW_VALUE_TEXT}, le plafond plausible d'une ligne",
            f"vérifiez la valeur et l'unité (« unit » : {profile.unit} dans {profile.path})",
        )
    )

    frame = raw.with_columns(**derived).with_columns(_euros(number, profile.multiplier).alias("__value"))
    masks = frame.select([mask.fill_null(True).alias(f"check{index}") for index, (mask, *_rest) in enumerate(checks)])
    for index, (_mask, column, problem, fix) in enumerate(checks):
        mask = masks[f"check{index}"]
        if mask.any():
            report_bad_rows(problems, raw, mask, source.where_expression(), column, problem, fix, _shown)

    bad_rows = masks.select(pl.any_horizontal(pl.all())).to_series()
    return frame.filter(~bad_rows).select(
        year.alias("year"),
        flow.alias("flow"),
        department.alias("department"),
        codes["product"].alias("product"),
        codes["country"].alias("country"),
        pl.when(value == 0).then(0.0).otherwise(value).alias("value_eur"),  # no -0.0
        part.alias(PERIOD_COLUMN),
        pl.lit(source.label).alias(SOURCE_COLUMN),
        pl.col(LINE_COLUMN),
        source.where_expression().alias(WHERE_COLUMN),
    )


# --------------------------------------------------------------------------- periods


def _period_name(kind: str, year: int, part: int) -> str:
    return f"{year}{PERIOD_NAMES[kind][1]}{part}"


def complete_years(frame: pl.DataFrame, profile: Profile) -> tuple[pl.DataFrame, list[str], list[int]]:
    """Rows of the years whose every quarter (month) is present; a warning per year left out."""
    if profile.period_kind in (None, "year"):
        return frame, [], []
    kind = profile.period_kind
    parts = PERIOD_PARTS[kind]
    found = frame.group_by("year").agg(pl.col(PERIOD_COLUMN).unique().sort().alias("parts")).sort("year")
    warnings, left_out = [], []
    for year, present in found.iter_rows():
        if len(present) < parts:
            missing = [part for part in range(1, parts + 1) if part not in present]
            warnings.append(
                f"année {year} écartée, incomplète : {PERIOD_NAMES[kind][0]}s présents {', '.join(_period_name(kind, year, p) for p in present)} ; "
                f"il manque {', '.join(_period_name(kind, year, p) for p in missing)}"
            )
            left_out.append(year)
    return frame.filter(~pl.col("year").is_in(left_out)), warnings, left_out


# --------------------------------------------------------------------------- ingesting


@dataclass
class IngestResult:
    """The canonical frame and what the summary says about it."""

    frame: pl.DataFrame
    rows_per_source: dict[str, int]
    warnings: list[str]
    years_left_out: list[int]


def ingest_sources(sources: Sequence[Path], profile: Profile, reference=None, *, keep_origin: bool = False) -> IngestResult:
    """Every source read with `profile`, checked, periods summed to years, in the canonical layout.

    Rows are sorted by year, flow, department, product, country and value (then file order),
    so the output does not depend on the order of the files. With a `reference`, codes are
    checked too, and every problem (of every file) is raised together. With keep_origin,
    the first source row of each output row is kept (SOURCE_COLUMN, LINE_COLUMN, WHERE_COLUMN).
    """
    problems = Problems()
    tables = expand_sources(sources, profile, problems)
    frames, rows_per_source = [], {}
    for source in tables:
        try:
            raw = read_table(source, profile)
            if raw.is_empty():
                after = " après l’en-tête" if profile.header else ""
                raise FactsheetsError(
                    f"{source.where(profile.skip_rows + (2 if profile.header else 1))} : fichier vide, aucune ligne de données{after}"
                )
            _check_columns(raw, source, profile)
            rows_per_source[source.where()] = raw.height
            raw, table_profile = unpivot_wide(raw, profile)
            frames.append(_convert(raw, source, table_profile, problems))
        except FactsheetsError as error:
            problems.add(str(error))
    if not frames:  # every source failed, and each one said why in `problems`
        problems.raise_if_any()
    frame = pl.concat(frames, how="vertical")
    where = pl.col(WHERE_COLUMN)
    if reference is not None:
        check_rows(frame, reference, problems, where)
    key = [*KEY_COLUMNS[:1], PERIOD_COLUMN, *KEY_COLUMNS[1:]] if profile.period_kind not in (None, "year") else KEY_COLUMNS
    check_duplicates(frame, key, problems, where, DUPLICATE_FIX)
    problems.raise_if_any()

    frame, warnings, left_out = complete_years(frame, profile)
    if frame.is_empty():
        raise FactsheetsError(
            "aucune année complète dans les fichiers : "
            + " ; ".join(warnings)
            + " ; ajoutez les périodes manquantes ou vérifiez « period » dans "
            + str(profile.path)
        )
    if "period" in profile.columns:
        origin = [pl.col(name).first() for name in (SOURCE_COLUMN, LINE_COLUMN, WHERE_COLUMN)]
        total = pl.col("value_eur").sum()
        # Thousands of euros have three decimals: the sum of the periods is rounded like its terms.
        total = total.round(3) if profile.multiplier != 1 else total
        frame = (
            frame.sort([*KEY_COLUMNS, PERIOD_COLUMN], maintain_order=True)
            .group_by(KEY_COLUMNS, maintain_order=True)
            .agg(total, *origin)
        )
    frame = frame.sort(list(CANONICAL_COLUMNS), maintain_order=True).with_columns(
        pl.col(name).cast(dtype) for name, dtype in CANONICAL_SCHEMA.items()
    )
    columns = [*CANONICAL_COLUMNS, SOURCE_COLUMN, LINE_COLUMN, WHERE_COLUMN] if keep_origin else list(CANONICAL_COLUMNS)
    return IngestResult(frame.select(columns), rows_per_source, warnings, left_out)


def ingest(sources: Sequence[Path], profile: Profile, *, keep_origin: bool = False) -> pl.DataFrame:
    """The canonical frame of `sources` (values checked; codes are checked by `validate`)."""
    return ingest_sources(sources, profile, keep_origin=keep_origin).frame


# --------------------------------------------------------------------------- inspecting


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
                    lines.append(f"  department ← {_department_from_name(source, profile)} (d'après le nom « {source.name} »)")
                except FactsheetsError:
                    lines.append(
                        f"  department ← introuvable : le nom « {source.name} » ne correspond pas à department_from_filename"
                    )
            elif field_ == "flow" and profile.flow_from_filename:
                try:
                    lines.append(f"  flow       ← {_flow_from_name(source, profile)} (d'après le nom « {source.name} »)")
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


def _chosen_sheet(source: Source, profile: Profile) -> str | None:
    """The sheet of `source`'s workbook that `profile` reads."""
    if isinstance(profile.sheet, int):
        return source.sheets[profile.sheet - 1] if profile.sheet <= len(source.sheets) else None
    return next((name for name in source.sheets if name.strip().lower() == profile.sheet.strip().lower()), None)


def inspect_sources(sources: Sequence[Path], profile: Profile) -> tuple[list[str], Problems]:
    """For each file, member and sheet: header, sample rows, the profile's mapping. Reads only."""
    problems = Problems()
    out: list[str] = []
    tables = []
    for source in expand_sources(sources, profile, problems, any_sheet=True):
        if source.sheets and _chosen_sheet(source, profile) is None:
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
            " (la feuille que lit le profil)" if len(source.sheets) > 1 and source.sheet == _chosen_sheet(source, profile) else ""
        )
        out.append(f"== {source.where()} : {frame.height} ligne(s) de données{chosen} ==")
        out.append(f"en-tête ({_header_where(source, profile)}) : " + " | ".join(printable(name) for name in header))
        for row in frame.head(SAMPLE_ROWS).iter_rows(named=True):
            values = " | ".join("" if row[name] is None else printable(row[name], 30) for name in header)
            out.append(f"  {source.where(row[LINE_COLUMN])} : {values}")
        out.append(f"correspondance (profil {profile.name}, {profile.path}) :")
        out.extend(_mapping_lines(frame, source, profile))
        out.extend(_wide_proposal(header, profile))
        missing = [f"« {printable(raw)} » ({field_})" for field_, raw in profile.columns.items() if raw not in header]
        if missing and (not source.sheets or source.sheet == _chosen_sheet(source, profile)):
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
    from .reference import load_reference

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


# --------------------------------------------------------------------------- summary


def summary_lines(result: IngestResult, reference, out: Path) -> list[str]:
    """What was read and written, for stderr: rows per file, years, departments, totals."""
    from .numbers import format_millions, format_percent

    frame = result.frame
    lines = [f"{out} : {frame.height} ligne(s) écrite(s)"]
    lines += [f"lu : {where} : {count} ligne(s)" for where, count in result.rows_per_source.items()]
    years = sorted(frame["year"].unique().to_list())
    kept = ", ".join(map(str, years))
    left = ", ".join(map(str, result.years_left_out)) or "aucune"
    lines.append(f"années retenues : {kept} ; écartées : {left}")
    all_codes = reference.departments["code"].to_list()
    present = set(frame["department"].unique().to_list())
    missing = [code for code in all_codes if code not in present]
    shown = ", ".join(missing[:30]) + (" …" if len(missing) > 30 else "")
    lines.append(
        f"départements présents : {len(all_codes) - len(missing)} sur {len(all_codes)}"
        + (f" ; absents : {shown}" if missing else "")
    )
    unallocated = list(reference.unallocated_departments)
    totals = (
        frame.group_by("year", "flow")
        .agg(
            total=pl.col("value_eur").sum(),
            unallocated=pl.col("value_eur").filter(pl.col("department").is_in(unallocated)).sum(),
        )
        .sort("year", "flow")
    )
    for year, flow, total, not_allocated in totals.iter_rows():
        share = format_percent(not_allocated / total, 1) if total else "—"
        lines.append(f"{year} {flow} : {format_millions(total)} M€, dont non ventilé par département : {share}")
    return lines


# --------------------------------------------------------------------------- writing


def write_canonical(frame: pl.DataFrame, out: Path, metadata: dict[str, str] | None = None) -> Path:
    """Write `frame` as CSV or Parquet (by the extension of `out`), atomically.

    `metadata`: key-value pairs stored in the Parquet file's metadata (coverage.py); a CSV
    file cannot hold them.

    The data goes to a temporary file in the same folder, renamed over `out` once complete:
    on any error nothing is left behind and an existing `out` is untouched.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise FactsheetsError(
            f"{out} : format de sortie inconnu « {suffix or '(aucun)'} » ; nommez le fichier de sortie en .csv ou .parquet"
        )
    missing = [name for name in CANONICAL_COLUMNS if name not in frame.columns]
    if missing:
        raise FactsheetsError(f"{out} : rien n'a été écrit, il manque la ou les colonnes {', '.join(missing)}")
    folder = out.parent
    if out.is_dir():
        raise FactsheetsError(f"{out} : c'est un dossier ; indiquez un nom de fichier se terminant par .csv ou .parquet")
    if not folder.is_dir():
        what = "n'est pas un dossier" if folder.exists() else "n'existe pas"
        raise FactsheetsError(f"{folder} : le dossier de sortie {what} ; créez-le ou choisissez un autre --out")
    data = frame.select(CANONICAL_COLUMNS).cast(CANONICAL_SCHEMA)
    opened = False  # a failure before that is the folder's, after it the writing's
    try:
        with atomic_file(out, durable=True, temporary_suffix=".part") as stream:
            opened = True
            if suffix == ".csv":
                data.write_csv(stream)
            else:
                data.write_parquet(stream, metadata=metadata)
    except OSError as error:
        if not opened:
            raise FactsheetsError(
                f"{folder} : impossible d'écrire dans le dossier de sortie ({error.strerror}) ; choisissez un dossier accessible en écriture"
            ) from None
        raise FactsheetsError(f"{out} : fichier canonique non écrit, {write_failure(folder, error)} (--out)") from None
    except pl.exceptions.PolarsError as error:
        if "(os error " in str(error):  # the system's error inside Polars' message: a full disk named as such
            raise FactsheetsError(
                f"{out} : fichier canonique non écrit, {write_failure(folder, OSError(str(error)))} (--out)"
            ) from None
        raise FactsheetsError(f"{out} : écriture impossible ({error_detail(error)})") from None
    return out
