"""Check and type a canonical frame: every rejection names the file, the line and the value.

The checks run as Polars expressions over the whole frame; only the first offending row of
each kind is reported (with how many more there are), so a large bad file still gives one
clear line.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from .errors import FactsheetsError
from .load import LINE_COLUMN, read_canonical
from .reference import Reference

FLOWS = ("export", "import")

CANONICAL_SCHEMA = {
    "year": pl.Int32,
    "flow": pl.String,
    "department": pl.String,
    "product": pl.String,
    "country": pl.String,
    "value_eur": pl.Float64,
}


def _location(path: Path, line: int) -> str:
    """'file.csv:12' for a text file; Parquet has rows, not lines."""
    return f"{path}:{line}" if path.suffix.lower() == ".csv" else f"{path} (ligne {line})"


def _reject(path: Path, bad: pl.DataFrame, column: str, problem: str, fix: str) -> None:
    """Raise for the first row of `bad` (which holds LINE_COLUMN and the raw value)."""
    if bad.is_empty():
        return
    first = bad.row(0, named=True)
    more = f" ({bad.height - 1} autre(s) ligne(s) dans ce cas)" if bad.height > 1 else ""
    value = first["__raw"]
    shown = "vide" if value is None or str(value).strip() == "" else f"« {value} »"
    raise FactsheetsError(f"{_location(path, first[LINE_COLUMN])} : colonne {column} : {shown} {problem}{more} ; {fix}")


def _text(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String).str.strip_chars()


def _typed(raw: pl.DataFrame, column: str, dtype: pl.DataType) -> pl.Expr:
    """The column as `dtype`, read from its text (null where it is not one).

    A column that has `dtype` already (a canonical Parquet file) is taken as it is: going
    through text and back would give the same values, only slower.
    """
    if raw.schema[column] == dtype:
        return pl.col(column)
    return _text(column).cast(dtype, strict=False)


def validate(raw: pl.DataFrame, path: Path, reference: Reference) -> pl.DataFrame:
    """The typed canonical frame, or FactsheetsError on the first bad value found."""
    if raw.is_empty():
        raise FactsheetsError(f"{path} : aucune ligne de données ; le fichier a un en-tête mais rien à présenter")

    frame = raw.with_columns(
        year=_typed(raw, "year", pl.Int32),
        flow=_text("flow").str.to_lowercase(),
        department=_text("department").str.to_uppercase(),
        product=_text("product").str.to_uppercase(),
        country=_text("country").str.to_uppercase(),
        value_eur=_typed(raw, "value_eur", pl.Float64),
    )

    def check(mask: pl.Expr, column: str, problem: str, fix: str) -> None:
        # Filtered first: only the offending rows are turned into text for the message.
        bad = raw.filter(mask).select(LINE_COLUMN, __raw=pl.col(column).cast(pl.String))
        _reject(path, bad, column, problem, fix)

    typed = frame  # expressions below look at the typed values, report the raw ones
    masks = typed.select(
        year_bad=pl.col("year").is_null(),
        flow_bad=~pl.col("flow").is_in(FLOWS) | pl.col("flow").is_null(),
        value_nan=pl.col("value_eur").is_null() | pl.col("value_eur").is_nan(),
        value_inf=pl.col("value_eur").is_infinite(),
        value_negative=pl.col("value_eur") < 0,
    )
    check(masks["year_bad"], "year", "n'est pas une année entière", "écrivez l'année en chiffres, par ex. 2024")
    check(masks["flow_bad"], "flow", "n'est pas un flux", "utilisez « export » ou « import »")
    check(masks["value_nan"], "value_eur", "n'est pas un nombre", "écrivez les montants en euros avec « . » comme séparateur décimal")
    check(masks["value_inf"], "value_eur", "n'est pas un nombre fini", "écrivez les montants en euros")
    check(masks["value_negative"], "value_eur", "est négatif", "les montants sont en euros, 0 ou plus")

    department_codes = reference.departments["code"].to_list() + list(reference.unallocated_departments)
    for column, known, kind, fix in (
        (
            "department",
            department_codes,
            "de département",
            "utilisez un code INSEE (01…95, 2A, 2B, 971…976) ou ajoutez-le sous data.unallocated_departments dans config/settings.yaml",
        ),
        ("product", reference.products["code"], "produit", "utilisez un code A129 ou ajoutez-le sous data.extra_products dans config/settings.yaml"),
        ("country", reference.countries["code"], "pays", "utilisez un code ISO alpha-2 ou douanier, ou ajoutez-le sous data.extra_countries dans config/settings.yaml"),
    ):
        unknown = typed[column].is_null() | ~typed[column].is_in(list(known))
        check(unknown, column, f"n'est pas un code {kind} connu", fix)

    return typed.select(
        [pl.col(name).cast(dtype) for name, dtype in CANONICAL_SCHEMA.items()]
    )


def load_trade_data(path: Path, reference: Reference) -> pl.DataFrame:
    """Read and validate a canonical file: the entry point of every command that reads data."""
    path = Path(path)
    return validate(read_canonical(path), path, reference)


def available_years(frame: pl.DataFrame) -> list[int]:
    return sorted(frame["year"].unique().to_list())


def choose_year(frame: pl.DataFrame, year: int | None, source: Path | str) -> int:
    """The requested year if the data has it, else the latest one in the data."""
    years = available_years(frame)
    if year is None:
        return years[-1]
    if year not in years:
        raise FactsheetsError(
            f"{source} : aucune donnée pour l'année {year} ; années présentes dans le fichier : {', '.join(map(str, years))}"
        )
    return year
