"""Raw customs files -> the canonical layout, through a YAML source profile.

A profile (config/profiles/NAME.yaml) says how a raw file is laid out: format, separator,
decimal mark, encoding, unit of the values, which raw column holds each canonical field and
how flows are coded. `ingest` parses one or more raw files with it; `write_canonical` writes
the result atomically. Codes are not checked against the reference tables here: that is
`validate`'s job. Every parsing problem is one FactsheetsError line naming the file, the
line (1-based, the header is line 1), the column, the value and how to fix it.
"""

from __future__ import annotations

import codecs
import io
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from . import paths
from .config import load_mapping
from .errors import FactsheetsError
from .files import atomic_file
from .load import CANONICAL_COLUMNS, LINE_COLUMN

SOURCE_COLUMN = "__source"
"""With keep_origin=True, the source file of each row (LINE_COLUMN holds its line)."""

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "year": pl.Int32(),
    "flow": pl.String(),
    "department": pl.String(),
    "product": pl.String(),
    "country": pl.String(),
    "value_eur": pl.Float64(),
}
assert tuple(OUTPUT_SCHEMA) == CANONICAL_COLUMNS

SORT_KEY = ["year", "flow", "department", "product", "country", "value_eur"]

# Profile fields: the canonical field each raw column feeds (`value` is in `unit`).
FIELDS = ("year", "flow", "department", "product", "country", "value")
FORMATS = ("csv", "parquet", "auto")
UNITS = {"eur": 1, "thousands_eur": 1000}
FLOWS = ("export", "import")
DECIMALS = (".", ",")
PROFILE_KEYS = (
    "format", "separator", "decimal", "encoding", "unit", "header", "columns", "flow_codes",
    "department_pad", "year_value", "year_from_filename",
)
CSV_KEYS = ("separator", "decimal", "encoding")

# Spaces used as thousands separators: space, no-break space, narrow no-break space.
THOUSANDS_SPACES = r"[ \t\u00a0\u202f]"
NUMBER_PATTERN = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
YEAR_PATTERN = r"^\d{4}$"


@dataclass(frozen=True)
class Profile:
    """How to read one kind of raw file (see config/profiles/*.yaml)."""

    name: str
    path: Path
    format: str  # 'csv', 'parquet' or 'auto' (by the file's extension)
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


def load_profile(name_or_path: str, profiles_dir: Path | None = None) -> Profile:
    """A profile by name (config/profiles/NAME.yaml) or by path to a YAML file."""
    text = str(name_or_path).strip()
    if _is_path(text):
        path = Path(text)
        if not path.is_file():
            raise FactsheetsError(f"{path} : fichier de profil introuvable ; indiquez un profil YAML existant ou un nom de profil")
    else:
        folder = Path(profiles_dir or paths.PROFILES_DIR)
        path = folder / f"{text}.yaml"
        if not text or not path.is_file():
            names = ", ".join(available_profiles(folder)) or "aucun"
            raise FactsheetsError(
                f"profil inconnu « {text} » ; profils disponibles : {names} (dans {folder}), ou indiquez le chemin d'un fichier YAML"
            )
    return _parse_profile(load_mapping(path), path)


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


def _parse_columns(data: Mapping[str, Any], path: Path, header: bool, needs_year: bool) -> dict[str, str]:
    columns = _required(data, "columns", path)
    if not isinstance(columns, dict):
        raise _profile_error(path, "columns", "attendu : des paires champ canonique: nom de la colonne brute")
    unknown = sorted(set(map(str, columns)) - set(FIELDS))
    if unknown:
        raise _profile_error(path, f"columns.{unknown[0]}", f"champ inconnu ; les champs sont {', '.join(FIELDS)}")
    parsed: dict[str, str] = {}
    for field in FIELDS:
        if field not in columns or columns[field] is None:
            if field == "year" and not needs_year:
                continue
            raise FactsheetsError(f"{path} : clé « columns.{field} » manquante ; indiquez la colonne brute qui contient le champ {field}")
        raw = columns[field]
        if header and not (isinstance(raw, str) and raw.strip()):
            raise _profile_error(path, f"columns.{field}", f"« {raw} » n'est pas un nom de colonne")
        if not header and not (isinstance(raw, int) and not isinstance(raw, bool) and raw >= 1):
            raise _profile_error(path, f"columns.{field}", f"« {raw} » : sans en-tête, indiquez la position de la colonne (1, 2, …)")
        parsed[field] = str(raw).strip()
    return parsed


def _parse_flow_codes(data: Mapping[str, Any], path: Path) -> dict[str, str]:
    codes = _required(data, "flow_codes", path)
    if not isinstance(codes, dict) or not codes:
        raise _profile_error(path, "flow_codes", "attendu : des paires code de flux brut: export ou import, par ex. {E: export, I: import}")
    parsed: dict[str, str] = {}
    for raw, flow in codes.items():
        if flow not in FLOWS:
            raise _profile_error(path, f"flow_codes.{raw}", f"« {flow} » n'est ni export ni import")
        code = str(raw).strip()
        if not code or code.lower() in {known.lower() for known in parsed}:
            raise _profile_error(path, f"flow_codes.{raw}", "code vide ou répété (les codes sont comparés sans tenir compte de la casse)")
        parsed[code] = flow
    return parsed


def _parse_profile(data: dict[str, Any], path: Path) -> Profile:
    unknown = sorted(set(map(str, data)) - set(PROFILE_KEYS))
    if unknown:
        raise _profile_error(path, unknown[0], f"clé inconnue ; les clés sont {', '.join(PROFILE_KEYS)}")
    fmt = _choice(data, "format", path, FORMATS)
    unit = _choice(data, "unit", path, tuple(UNITS))

    separator, decimal, encoding = ",", ".", "utf-8"
    if fmt != "parquet":
        separator = _required(data, "separator", path)
        if not isinstance(separator, str) or len(separator) != 1 or separator in "\r\n\"":
            raise _profile_error(path, "separator", f"« {separator} » n'est pas un caractère unique comme « ; » ou « , »")
        decimal = _choice(data, "decimal", path, DECIMALS)
        if decimal == separator:
            raise _profile_error(path, "decimal", f"« {decimal} » est aussi le séparateur (separator)")
        encoding = _required(data, "encoding", path)
        try:
            codecs.lookup(str(encoding))
        except LookupError:
            raise _profile_error(path, "encoding", f"« {encoding} » n'est pas un encodage connu (utilisez latin-1, utf-8, cp1252…)") from None
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
    if year_from_filename is not None:
        try:
            pattern = re.compile(str(year_from_filename))
        except re.error as error:
            raise _profile_error(path, "year_from_filename", f"expression régulière invalide ({error})") from None
        if pattern.groups != 1:
            raise _profile_error(path, "year_from_filename", "l'expression régulière doit avoir exactement un groupe (…) autour de l'année")
        year_from_filename = str(year_from_filename)
    needs_year = year_value is None and year_from_filename is None
    columns = _parse_columns(data, path, header, needs_year)
    if not needs_year and "year" in columns:
        raise _profile_error(path, "columns.year", "l'année vient de year_value ou de year_from_filename ; retirez l'un des deux")

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
        flow_codes=_parse_flow_codes(data, path),
        department_pad=pad,
        year_value=year_value,
        year_from_filename=year_from_filename,
    )


# --------------------------------------------------------------------------- reading


def _file_format(path: Path, profile: Profile) -> str:
    if profile.format != "auto":
        return profile.format
    suffix = path.suffix.lower()
    if suffix in (".csv", ".parquet"):
        return suffix[1:]
    raise FactsheetsError(
        f"{path} : impossible de déduire le format de l'extension « {suffix or '(aucune)'} » ; "
        f"le profil {profile.name} lit les fichiers .csv ou .parquet"
    )


def _decode(path: Path, data: bytes, encoding: str, profile: Profile) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FactsheetsError(
            f"{path}:{line} : texte {encoding} invalide (octet 0x{data[error.start]:02x}) ; "
            f"indiquez dans « encoding » du profil {profile.path} l'encodage du fichier (par ex. latin-1)"
        ) from None
    return text.removeprefix("\ufeff")


def _ragged_line_hint(text: str, separator: str, fields: int) -> str:
    """' (line N has too many fields)' for the first line with more separators than the header."""
    counts = pl.Series(text.splitlines()).str.count_matches(separator, literal=True)
    rows = pl.DataFrame({"count": counts}).with_row_index("line", offset=1).filter(pl.col("count") > fields - 1)
    return f" à la ligne {rows['line'][0]}" if rows.height else ""


def _read_csv(path: Path, profile: Profile) -> pl.DataFrame:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FactsheetsError(f"{path} : lecture impossible ({error.strerror})") from None
    text = _decode(path, data, profile.encoding, profile)
    if not text.strip():
        raise FactsheetsError(f"{path}:1 : fichier vide ; indiquez un fichier avec {'une ligne d’en-tête et ' if profile.header else ''}des lignes de données")
    try:
        frame = pl.read_csv(
            io.BytesIO(text.encode("utf-8")),
            separator=profile.separator,
            has_header=profile.header,
            infer_schema=False,
            quote_char='"',
            encoding="utf8",
        )
    except pl.exceptions.PolarsError as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        fields = len(text.splitlines()[0].split(profile.separator))
        where = _ragged_line_hint(text, profile.separator, fields) if "more fields" in detail else ""
        raise FactsheetsError(
            f"{path} : illisible en tant que CSV{where} ({detail}) ; vérifiez le fichier et « separator » "
            f"(« {profile.separator} ») dans le profil {profile.path}"
        ) from None
    if profile.header:
        frame = frame.rename({name: name.strip() for name in frame.columns})
    else:
        frame = frame.rename({name: str(index) for index, name in enumerate(frame.columns, start=1)})
    first_line = 2 if profile.header else 1
    frame = frame.with_row_index(LINE_COLUMN, offset=first_line)
    # A blank line comes back as a row of nulls: drop it, keeping the line numbers of the rest.
    frame = frame.filter(~pl.all_horizontal(pl.exclude(LINE_COLUMN).is_null()))
    if frame.is_empty():
        raise FactsheetsError(f"{path}:{first_line} : fichier vide, aucune ligne de données{' après l’en-tête' if profile.header else ''}")
    return frame


def _read_parquet(path: Path) -> pl.DataFrame:
    try:
        frame = pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise FactsheetsError(f"{path} : illisible en tant que Parquet ({detail})") from None
    if frame.is_empty():
        raise FactsheetsError(f"{path} : fichier vide, aucune ligne de données")
    try:
        text = frame.select(pl.all().cast(pl.String))
    except pl.exceptions.PolarsError:
        kinds = ", ".join(f"{name} ({dtype})" for name, dtype in frame.schema.items())
        raise FactsheetsError(f"{path} : colonnes de types inattendus : {kinds} ; attendu : du texte et des nombres") from None
    return text.with_row_index(LINE_COLUMN, offset=1)


def _read_raw(path: Path, profile: Profile) -> pl.DataFrame:
    """The file's columns as text, plus LINE_COLUMN (line for CSV, 1-based row for Parquet)."""
    if not path.exists():
        raise FactsheetsError(f"{path} : fichier source introuvable ; vérifiez le chemin")
    if not path.is_file():
        raise FactsheetsError(f"{path} : ce n'est pas un fichier ; indiquez les fichiers de données brutes à convertir")
    frame = _read_parquet(path) if _file_format(path, profile) == "parquet" else _read_csv(path, profile)
    missing = [(field, raw) for field, raw in profile.columns.items() if raw not in frame.columns]
    if missing:
        wanted = ", ".join(f"« {raw} » (columns.{field})" for field, raw in missing)
        found = ", ".join(f"« {name} »" for name in frame.columns if name != LINE_COLUMN)
        hint = f" ; vérifiez « separator » (« {profile.separator} »)" if frame.width == 2 and profile.format != "parquet" else ""
        where = f"{path}:1" if profile.header and _file_format(path, profile) == "csv" else str(path)
        raise FactsheetsError(
            f"{where} : colonne(s) manquante(s) {wanted} requise(s) par le profil {profile.name} ; trouvées : {found}{hint} ; "
            f"corrigez le fichier ou les « columns » de {profile.path}"
        )
    return frame


# --------------------------------------------------------------------------- converting


def _location(path: Path, line: int, fmt: str) -> str:
    return f"{path}:{line}" if fmt == "csv" else f"{path} (ligne {line})"


def _reject(frame: pl.DataFrame, mask: pl.Expr, raw_column: str, path: Path, fmt: str, problem: str, fix: str) -> None:
    """FactsheetsError for the first row where `mask` holds, naming line, column and raw value."""
    bad = frame.filter(mask)
    if bad.is_empty():
        return
    line = bad[LINE_COLUMN][0]
    value = bad[raw_column][0]
    shown = "valeur vide" if value is None or not value.strip() else f"« {value} »"
    more = f" ({bad.height - 1} autre(s) ligne(s) dans ce cas)" if bad.height > 1 else ""
    raise FactsheetsError(f"{_location(path, line, fmt)} : colonne {raw_column} : {shown} {problem}{more} ; {fix}")


def _year_from_name(path: Path, profile: Profile) -> int:
    assert profile.year_from_filename is not None
    match = re.search(profile.year_from_filename, path.name)
    if match is None or not re.fullmatch(r"\d{4}", match.group(1)):
        raise FactsheetsError(
            f"{path} : aucune année trouvée dans le nom du fichier avec le motif « {profile.year_from_filename} » "
            f"(year_from_filename dans {profile.path}) ; renommez le fichier pour qu'il contienne l'année, par ex. 2024"
        )
    return int(match.group(1))


def _number_text(raw: str, decimal: str) -> pl.Expr:
    """The raw value without thousands spaces, with '.' as decimal mark (null if ambiguous)."""
    text = pl.col(raw).str.strip_chars().str.replace_all(THOUSANDS_SPACES, "")
    if decimal == ",":
        # With a decimal comma, a '.' would be a thousands mark or a mistake: refuse it.
        return pl.when(text.str.contains(".", literal=True)).then(None).otherwise(text.str.replace(",", ".", literal=True))
    return pl.when(text.str.contains(",", literal=True)).then(None).otherwise(text)


def _euros(number: pl.Expr, multiplier: int) -> pl.Expr:
    """The value in euros. Thousands go through a decimal so that 1234,567 k€ is exactly 1234567 €."""
    if multiplier == 1:
        return number.cast(pl.Float64, strict=False)
    exact = (number.cast(pl.Decimal(38, 9), strict=False) * multiplier).cast(pl.Float64)
    return exact.fill_null(number.cast(pl.Float64, strict=False) * multiplier)


def _convert(raw: pl.DataFrame, path: Path, profile: Profile) -> pl.DataFrame:
    fmt = _file_format(path, profile)
    col = profile.columns
    decimal = profile.decimal if fmt == "csv" else "."  # Parquet numbers come as text with '.'
    decimal_name = "la virgule" if decimal == "," else "le point"

    def reject(mask: pl.Expr, field: str, problem: str, fix: str) -> None:
        _reject(raw, mask, col[field], path, fmt, problem, fix)

    def code(field: str) -> pl.Expr:
        return pl.col(col[field]).str.strip_chars().str.to_uppercase()

    # Year.
    if "year" in col:
        year_text = pl.col(col["year"]).str.strip_chars()
        reject(year_text.is_null() | ~year_text.str.contains(YEAR_PATTERN), "year",
               "n'est pas une année", "écrivez l'année en nombre entier, par ex. 2024")
        year = year_text.cast(pl.Int32)
    else:
        fixed = profile.year_value if profile.year_value is not None else _year_from_name(path, profile)
        year = pl.lit(fixed, dtype=pl.Int32)

    # Flow.
    flow = pl.col(col["flow"]).str.strip_chars().str.to_lowercase().replace_strict(
        {code_.lower(): flow_ for code_, flow_ in profile.flow_codes.items()}, default=None, return_dtype=pl.String
    )
    expected = ", ".join(f"« {code_} »" for code_ in profile.flow_codes)
    reject(flow.is_null(), "flow", "n'est pas un code de flux connu",
           f"attendu : l'un de {expected} (flow_codes dans {profile.path})")

    # Codes: present on every row (whether they are known codes is checked by validation).
    for field, kind in (("department", "de département"), ("product", "produit"), ("country", "pays")):
        reject(code(field).is_null() | (code(field) == ""), field, f"n'est pas un code {kind}", f"chaque ligne doit avoir un code {kind}")
    department = code("department")
    if profile.department_pad:
        department = pl.when(department.str.contains(r"^\d+$")).then(
            department.str.zfill(profile.department_pad)
        ).otherwise(department)

    # Value.
    number = _number_text(col["value"], decimal)
    reject(number.is_null() | ~number.str.contains(NUMBER_PATTERN), "value", "n'est pas un nombre",
           f"écrivez un nombre avec {decimal_name} (« {decimal} ») comme séparateur décimal, comme le prévoit « decimal » dans {profile.path}")
    value = _euros(number, profile.multiplier)
    reject(value.is_null() | value.is_infinite(), "value", "est hors limites", "écrivez un montant fini")
    reject(value < 0, "value", "est négatif", "les montants sont positifs ou nuls")

    return raw.select(
        year.alias("year"),
        flow.alias("flow"),
        department.alias("department"),
        code("product").alias("product"),
        code("country").alias("country"),
        pl.when(value == 0).then(0.0).otherwise(value).alias("value_eur"),  # no -0.0
        pl.lit(str(path)).alias(SOURCE_COLUMN),
        pl.col(LINE_COLUMN),
    )


def ingest(sources: Sequence[Path], profile: Profile, *, keep_origin: bool = False) -> pl.DataFrame:
    """Every source file read with `profile`, concatenated, in the canonical layout.

    Rows are sorted by year, flow, department, product, country and value (then file order),
    so the output does not depend on the order of the files. With keep_origin, two more
    columns give each row's source file (SOURCE_COLUMN) and line (LINE_COLUMN), so that a
    later validation can point at the raw file.
    """
    if not sources:
        raise FactsheetsError("aucun fichier source indiqué ; indiquez un ou plusieurs fichiers bruts à convertir")
    seen: dict[Path, Path] = {}
    for source in map(Path, sources):
        key = source.resolve()
        if key in seen:
            raise FactsheetsError(f"{source} : indiqué deux fois (aussi comme {seen[key]}) ; indiquez chaque fichier source une seule fois")
        seen[key] = source
    frames = [_convert(_read_raw(source, profile), source, profile) for source in seen.values()]
    frame = pl.concat(frames, how="vertical").sort(SORT_KEY, maintain_order=True)
    frame = frame.cast(OUTPUT_SCHEMA)
    return frame if keep_origin else frame.select(CANONICAL_COLUMNS)


# --------------------------------------------------------------------------- writing


def write_canonical(frame: pl.DataFrame, out: Path) -> Path:
    """Write `frame` as CSV or Parquet (by the extension of `out`), atomically.

    The data goes to a temporary file in the same folder, renamed over `out` once complete:
    on any error nothing is left behind and an existing `out` is untouched.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise FactsheetsError(f"{out} : format de sortie inconnu « {suffix or '(aucun)'} » ; nommez le fichier de sortie en .csv ou .parquet")
    missing = [name for name in CANONICAL_COLUMNS if name not in frame.columns]
    if missing:
        raise FactsheetsError(f"{out} : rien n'a été écrit, il manque la ou les colonnes {', '.join(missing)}")
    folder = out.parent
    if out.is_dir():
        raise FactsheetsError(f"{out} : c'est un dossier ; indiquez un nom de fichier se terminant par .csv ou .parquet")
    if not folder.is_dir():
        what = "n'est pas un dossier" if folder.exists() else "n'existe pas"
        raise FactsheetsError(f"{folder} : le dossier de sortie {what} ; créez-le ou choisissez un autre --out")
    data = frame.select(CANONICAL_COLUMNS).cast(OUTPUT_SCHEMA)
    opened = False  # a failure before that is the folder's, after it the writing's
    try:
        with atomic_file(out, durable=True, temporary_suffix=".part") as stream:
            opened = True
            if suffix == ".csv":
                data.write_csv(stream)
            else:
                data.write_parquet(stream)
    except OSError as error:
        if not opened:
            raise FactsheetsError(f"{folder} : impossible d'écrire dans le dossier de sortie ({error.strerror}) ; choisissez un dossier accessible en écriture") from None
        raise FactsheetsError(f"{out} : écriture impossible ({error.strerror or error}) ; vérifiez l'espace libre et les droits sur {folder}") from None
    except pl.exceptions.PolarsError as error:
        raise FactsheetsError(f"{out} : écriture impossible ({str(error).splitlines()[0]})") from None
    return out
