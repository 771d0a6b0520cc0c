"""Read a canonical trade file (CSV or Parquet) into a frame of text columns.

Nothing is interpreted here beyond the file format: `validate` checks and types the values,
so that every error can name the file and line of the offending value. The helpers that
turn raw bytes into a frame (decoding, binary files, ragged CSV lines) are shared with
`ingest`, which reads the raw customs files.
"""

from __future__ import annotations

import codecs
import io
import os
from pathlib import Path

import polars as pl

from . import paths
from .errors import FactsheetsError, error_detail, printable

CANONICAL_COLUMNS = ("year", "flow", "department", "product", "country", "value_eur")
LINE_COLUMN = "__line"
WHERE_COLUMN = "__where"
"""Optional: each row's place in its source file, as messages show it ("a.csv:12")."""
PERIOD_COLUMN = "__period"
"""Ingest: the quarter or month of a row (0 for yearly data), part of the duplicate key."""

# The first bytes of the binary formats a text file is most often confused with.
MAGIC_NUMBERS = {
    b"PK\x03\x04": "une archive ZIP (ou un classeur Excel .xlsx)",
    b"PAR1": "un fichier Parquet",
    b"\xd0\xcf\x11\xe0": "un classeur Excel .xls",
}


def binary_kind(data: bytes) -> str | None:
    """What binary file `data` starts like ("une archive ZIP…"), or None for text."""
    for magic, kind in MAGIC_NUMBERS.items():
        if data.startswith(magic):
            return kind
    return "un fichier binaire" if b"\x00" in data[:4096] else None


def read_bytes(path: Path, what: str, fix: str, limit: int | None = None) -> bytes:
    """The file's bytes (its first `limit` ones), or one French line saying why it cannot be
    read (callers refuse a folder first)."""
    try:
        if limit is not None:
            with path.open("rb") as stream:
                return stream.read(limit)
        return path.read_bytes()
    except PermissionError:
        raise FactsheetsError(
            f"{path} : {what} illisible (permission refusée) ; donnez le droit de lecture sur ce fichier ou {fix}"
        ) from None
    except OSError as error:
        raise FactsheetsError(f"{path} : {what} illisible ({error.strerror or error}) ; {fix}") from None


def _cp1252_c1() -> dict[int, str]:
    """The C1 control characters (U+0080–U+009F) that Windows-1252 gives a letter or sign to."""
    table = {}
    for byte in range(0x80, 0xA0):
        try:
            table[byte] = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:  # the five bytes Windows-1252 leaves undefined stay as they are
            pass
    return table


CP1252_C1 = _cp1252_c1()


def decode_text(label: str, data: bytes, encoding: str, fix: str, line_offset: int = 0) -> str:
    """`data` as text; an undecodable byte is reported with its line ("label:3").

    `line_offset`: the lines of the file before `data` (a file read in batches of lines).

    Latin-1 is read as browsers read it (WHATWG Encoding): bytes 0x80–0x9F, control characters
    no real text holds, take their Windows-1252 meaning, so the "€" or "’" of a CSV saved by
    Excel under a latin-1 profile arrives as written.
    """
    try:
        text = data.decode(encoding)
        if codecs.lookup(encoding).name == "iso8859-1":
            text = text.translate(CP1252_C1)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1 + line_offset
        raise FactsheetsError(f"{label}:{line} : texte {encoding} invalide (octet 0x{data[error.start]:02x}) ; {fix}") from None
    return text.removeprefix("\ufeff")


def ragged_line(text: str, separator: str, fields: int, first_line: int = 1) -> int | None:
    """The first line with more separators than the header has (fields - 1), if any."""
    counts = pl.Series(text.splitlines()).str.count_matches(separator, literal=True)
    rows = (
        pl.DataFrame({"count": counts})
        .with_row_index("line", offset=1)
        .filter((pl.col("count") > fields - 1) & (pl.col("line") >= first_line))
    )
    return rows["line"][0] if rows.height else None


def read_csv_text(
    label: str, text: str, *, separator: str = ",", header: bool = True, skip_rows: int = 0, line_offset: int = 0
) -> pl.DataFrame:
    """Every column as text, plus LINE_COLUMN (the line in the file); blank lines dropped.

    A line with more fields than the header is reported with its number. `line_offset`: for
    a batch of a file's lines (after a copy of the lines above them and the header), how many
    of the file's data lines come before the batch's first line.
    """
    try:
        frame = pl.read_csv(
            io.BytesIO(text.encode("utf-8")),
            separator=separator,
            has_header=header,
            infer_schema=False,
            quote_char='"',
            encoding="utf8",
            skip_rows=skip_rows,
        )
    except pl.exceptions.PolarsError as error:
        detail = error_detail(error)
        lines = text.splitlines()
        fields = len(lines[skip_rows].split(separator)) if len(lines) > skip_rows else 1
        line = ragged_line(text, separator, fields, skip_rows + 1) if "field" in detail else None
        if line is not None:
            raise FactsheetsError(
                f"{label}:{line + line_offset} : plus de champs que l'en-tête (qui en a {fields}, séparés par « {separator} ») ; "
                "retirez le champ en trop ou mettez entre guillemets la valeur qui contient le séparateur"
            ) from None
        raise FactsheetsError(
            f"{label} : illisible en tant que CSV ({printable(detail, 120)}) ; vérifiez le fichier et son séparateur"
        ) from None
    if header:
        frame = frame.rename({name: name.strip() for name in frame.columns})
    else:
        frame = frame.rename({name: str(index) for index, name in enumerate(frame.columns, start=1)})
    first_line = skip_rows + (2 if header else 1) + line_offset
    frame = frame.with_row_index(LINE_COLUMN, offset=first_line)
    # A blank line comes back as a row of nulls: drop it, keeping the line numbers of the rest.
    return frame.filter(~pl.all_horizontal(pl.exclude(LINE_COLUMN).is_null()))


def nested_column_problem(
    label: str, frame: pl.DataFrame, columns: tuple[str, ...] | list[str], row_offset: int = 1
) -> str | None:
    """A line for the first column holding lists or structures instead of plain values."""
    for name in columns:
        dtype = frame.schema.get(name)
        if dtype is not None and (dtype.is_nested() or dtype == pl.Binary or dtype == pl.Object):
            present = frame.select(pl.col(name).is_not_null().arg_true().first()).item()
            row = (present or 0) + row_offset
            return (
                f"{label} (ligne {row}) : colonne {name} : une liste ou une structure (type {dtype}) au lieu d'une valeur simple ; "
                "écrivez une seule valeur par cellule (un nombre pour les montants, du texte pour les codes)"
            )
    return None


def where_expression(path: Path) -> pl.Expr:
    """Each row's place in the canonical file `path`: 'file.csv:12', or 'file.parquet (ligne 3)'."""
    if path.suffix.lower() == ".csv":
        return pl.concat_str(pl.lit(f"{path}:"), pl.col(LINE_COLUMN).cast(pl.String))
    return pl.concat_str(pl.lit(f"{path} (ligne "), pl.col(LINE_COLUMN).cast(pl.String), pl.lit(")"))


def _checked_source(path: Path) -> str:
    """The file's suffix (".csv" or ".parquet"), or the French line saying why it cannot be data."""
    if not path.exists():
        if path.is_symlink():  # a broken link, or a loop of links
            paths.resolved(path, "--data")
            raise FactsheetsError(
                f"{path} : lien symbolique vers un fichier absent ({os.readlink(path)}) ; indiquez le fichier réel avec --data"
            )
        raise FactsheetsError(
            f"{path} : fichier de données introuvable ; indiquez un fichier CSV ou Parquet existant avec --data"
        )
    if path.is_dir():
        raise FactsheetsError(
            f"{path} : c'est un dossier, pas un fichier de données ; indiquez un fichier CSV ou Parquet avec --data"
        )
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise FactsheetsError(
            f"{path} : format de données inconnu « {printable(suffix) or '(aucun)'} » ; utilisez un fichier .csv ou .parquet "
            "au format canonique, ou convertissez les fichiers bruts avec « factsheets ingest »"
        )
    return suffix


READ_FIX = "indiquez un fichier CSV ou Parquet lisible avec --data"


def _check_columns(path: Path, schema: pl.Schema | dict) -> None:
    missing = [column for column in CANONICAL_COLUMNS if column not in schema]
    if missing:
        found = ", ".join(printable(name) for name in schema if name != LINE_COLUMN) or "aucune"
        raise FactsheetsError(
            f"{path} : colonne(s) manquante(s) {', '.join(missing)} ; le format canonique a les colonnes "
            f"{', '.join(CANONICAL_COLUMNS)} (trouvées : {found})"
        )


def scan_canonical(path: Path) -> pl.LazyFrame | None:
    """A canonical Parquet file as a lazy scan of its canonical columns plus `__line`, or None.

    The callers filter the scan before collecting it (streaming), so that only the rows they
    keep are held in memory and validated. None for a CSV file and for any file the scan
    does not take plainly (unreadable, missing columns, nested values): `read_canonical`
    reads those whole and gives its usual message.
    """
    path = Path(path)
    if _checked_source(path) != ".parquet":
        return None
    try:
        with path.open("rb"):
            pass
        scan = pl.scan_parquet(path)
        schema = scan.collect_schema()
    except (pl.exceptions.PolarsError, OSError, ValueError):
        return None
    if any(name not in schema for name in CANONICAL_COLUMNS):
        return None
    if any(schema[name].is_nested() or schema[name] in (pl.Binary, pl.Object) for name in CANONICAL_COLUMNS):
        return None
    if LINE_COLUMN in schema:
        return None
    # The reader's own row index: the year filter still skips row groups (an index added
    # to the scan afterwards makes the reader decode every row group).
    return pl.scan_parquet(path, row_index_name=LINE_COLUMN, row_index_offset=1).select(LINE_COLUMN, *CANONICAL_COLUMNS)


def read_canonical(path: Path) -> pl.DataFrame:
    """The file's canonical columns, plus `__line`, the 1-based line (CSV) or row (Parquet)."""
    path = Path(path)
    fix = READ_FIX
    suffix = _checked_source(path)
    data = read_bytes(path, "fichier de données", fix)
    try:
        if suffix == ".parquet":
            frame = pl.read_parquet(io.BytesIO(data))
        else:
            kind = binary_kind(data)
            if kind is not None:
                raise FactsheetsError(f"{path} : ce fichier .csv est en réalité {kind}, pas du texte CSV ; {fix}")
            text = decode_text(str(path), data, "utf-8", "le format canonique est en UTF-8 : réenregistrez le fichier en UTF-8")
            # Everything as text: validation reports bad values with their line instead of
            # Polars failing on the whole column.
            frame = read_csv_text(str(path), text)
    except FactsheetsError:
        raise
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        detail = error_detail(error)
        raise FactsheetsError(f"{path} : illisible en tant que {suffix[1:].upper()} ({printable(detail, 120)}) ; {fix}") from None
    _check_columns(path, frame.columns)
    nested = nested_column_problem(str(path), frame, CANONICAL_COLUMNS)
    if nested:
        raise FactsheetsError(nested)
    if LINE_COLUMN in frame.columns:  # CSV: the line numbers are there already
        return frame.select(LINE_COLUMN, *CANONICAL_COLUMNS)
    return frame.select(CANONICAL_COLUMNS).with_row_index(LINE_COLUMN, offset=1)  # Parquet: rows counted from 1
