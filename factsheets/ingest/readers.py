"""One table as text columns plus its line numbers: CSV, Parquet or an Excel sheet."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import BinaryIO

import polars as pl

from ..errors import FactsheetsError, error_detail
from ..load import LINE_COLUMN, binary_kind, decode_text, nested_column_problem, printable, ragged_line, read_csv_text
from .profile import Profile
from .sources import Source

BATCH_BYTES = 32 * 1024**2
"""A CSV file is read, decoded, parsed and converted in batches of whole lines of about this
many bytes, so that a file of several GB is read in bounded memory. The environment variable
FACTSHEETS_INGEST_BATCH_BYTES overrides it (the tests force tiny batches: the output must
not depend on where batches end). A quoted value holding a line break must not straddle two
batches (customs files hold none)."""


def batch_bytes() -> int:
    """BATCH_BYTES, or FACTSHEETS_INGEST_BATCH_BYTES when it is set to a positive number."""
    value = os.environ.get("FACTSHEETS_INGEST_BATCH_BYTES", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else BATCH_BYTES


def _whole_lines(stream: BinaryIO, size: int, prefix_lines: int) -> Iterator[tuple[bytes, int]]:
    """(bytes of whole lines, lines of the file before them), about `size` bytes at a time.

    The first piece holds at least the `prefix_lines` lines above the data (lines skipped,
    header) and one more, and is not blank, unless the file ends first.
    """
    pending, lines_before, first = b"", 0, True
    while True:
        chunk = stream.read(size)
        data = pending + chunk
        if not chunk:
            if data or first:
                yield data, lines_before
            return
        cut = data.rfind(b"\n") + 1
        if cut == 0 or (first and (data.count(b"\n") <= prefix_lines or not data.strip())):
            pending = data
            continue
        piece, pending = data[:cut], data[cut:]
        yield piece, lines_before
        lines_before += piece.count(b"\n")
        first = False


def csv_batches(source: Source, profile: Profile) -> Iterator[pl.DataFrame]:
    """The CSV source's rows as text columns plus LINE_COLUMN (its line in the file), in batches.

    Every batch is decoded (with its line numbers), checked for ragged lines and parsed like
    a whole file: it is read after a copy of the file's lines above its data (the lines
    skipped and the header), so that each batch has the file's columns.
    """
    kind = binary_kind(source.data)
    if kind is not None:
        raise FactsheetsError(
            f"{source.label} : ce fichier est en réalité {kind}, pas du texte CSV ; renommez-le avec la bonne extension "
            f"ou corrigez « format » dans {profile.path}"
        )
    fix = f"indiquez dans « encoding » du profil {profile.path} l'encodage du fichier (par ex. latin-1)"
    prefix_lines = profile.skip_rows + (1 if profile.header else 0)
    prefix, columns = "", None
    try:
        with source.open() as stream:
            for piece, lines_before in _whole_lines(stream, batch_bytes(), prefix_lines):
                text = decode_text(source.label, piece, profile.encoding, fix, lines_before)
                if columns is None:
                    if not text.strip():
                        raise FactsheetsError(
                            f"{source.label}:1 : fichier vide ; indiquez un fichier avec "
                            f"{'une ligne d’en-tête et ' if profile.header else ''}des lignes de données"
                        )
                    prefix = "".join(line + "\n" for line in text.split("\n", prefix_lines)[:prefix_lines])
                    frame = _parse_csv(source, profile, text, 0)
                    columns = frame.columns
                else:
                    frame = _parse_csv(source, profile, prefix + text, lines_before - prefix_lines)
                    frame = _same_columns(frame, columns, source, profile, prefix + text, lines_before - prefix_lines)
                yield frame
    except OSError as error:
        raise FactsheetsError(
            f"{source.label} : fichier source illisible ({error.strerror or error}) ; indiquez un autre fichier"
        ) from None


def _parse_csv(source: Source, profile: Profile, text: str, line_offset: int) -> pl.DataFrame:
    try:
        return read_csv_text(
            source.label,
            text,
            separator=profile.separator,
            header=profile.header,
            skip_rows=profile.skip_rows,
            line_offset=line_offset,
        )
    except FactsheetsError as error:
        raise FactsheetsError(f"{error} (« separator » : « {profile.separator} » dans {profile.path})") from None


def _same_columns(
    frame: pl.DataFrame, columns: list[str], source: Source, profile: Profile, text: str, line_offset: int
) -> pl.DataFrame:
    """A later batch of a file without header has the first batch's columns: a short line's
    missing fields are empty (as in one batch), a line with more fields is refused."""
    if frame.columns == columns:
        return frame
    extra = [name for name in frame.columns if name not in columns]
    if extra:
        fields = len(columns) - 1  # LINE_COLUMN is not a field
        line = ragged_line(text, profile.separator, fields, profile.skip_rows + 1)
        raise FactsheetsError(
            f"{source.label}:{(line or 0) + line_offset} : plus de champs que l'en-tête (qui en a {fields}, séparés par "
            f"« {profile.separator} ») ; retirez le champ en trop ou mettez entre guillemets la valeur qui contient le séparateur"
        )
    return frame.with_columns(pl.lit(None, dtype=pl.String).alias(name) for name in columns if name not in frame.columns).select(
        columns
    )


def _read_csv(source: Source, profile: Profile) -> pl.DataFrame:
    frames = list(csv_batches(source, profile))
    return frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical")


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


def read_batches(source: Source, profile: Profile) -> Iterator[pl.DataFrame]:
    """`read_table` in batches of rows: a CSV file in batches of lines, other tables whole."""
    if source.fmt == "csv":
        yield from csv_batches(source, profile)
    else:
        yield read_table(source, profile)
