"""One table as text columns plus its line numbers: CSV, Parquet or an Excel sheet."""

from __future__ import annotations

import io

import polars as pl

from ..errors import FactsheetsError, error_detail
from ..load import LINE_COLUMN, binary_kind, decode_text, nested_column_problem, printable, read_csv_text
from .profile import Profile
from .sources import Source


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
