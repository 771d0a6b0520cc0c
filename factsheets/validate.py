"""Check and type a canonical frame: every rejection names the file, the line and the value.

The checks run as Polars expressions over the whole frame. All problems are reported
together, the first few of each kind one line each (see errors.Problems), so a large bad
file still gives a short, complete answer. Rows read by `ingest` carry their own place in
their raw source (WHERE_COLUMN), so that messages point at the raw file, not the output.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import polars as pl

from . import paths
from .errors import SHOWN_PER_KIND, FactsheetsError, Problems
from .load import PERIOD_COLUMN, WHERE_COLUMN, read_canonical, scan_canonical, where_expression
from .model import FLOWS
from .reference import Reference

KEY_COLUMNS = ["year", "flow", "department", "product", "country"]
MAX_ROW_VALUE_EUR = 1e13
"""Plausibility bound of one row: 10^13 € (10 000 milliards d'euros), above France's yearly trade."""
MAX_ROW_VALUE_TEXT = "10^13 € (10 000 milliards d'euros)"

CANONICAL_SCHEMA = {
    "year": pl.Int32,
    "flow": pl.String,
    "department": pl.String,
    "product": pl.String,
    "country": pl.String,
    "value_eur": pl.Float64,
}


def shown_value(value: object) -> str:
    return "vide" if value is None or str(value).strip() == "" else f"« {value} »"


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


def _year_is_bad(raw: pl.DataFrame) -> pl.Expr:
    """Not exactly four digits ("24", "-2024" and "2024.0" are refused)."""
    dtype = raw.schema["year"]
    if dtype.is_integer():
        return pl.col("year").is_null() | (pl.col("year") < 1000) | (pl.col("year") > 9999)
    return ~_text("year").str.contains(r"^\d{4}$").fill_null(False)


def _cleaned(raw: pl.DataFrame, column: str, clean: Callable[[pl.Expr], pl.Expr]) -> tuple[pl.Series, pl.Series]:
    """(the column as cleaned text, its distinct cleaned values).

    The clean-up runs on the distinct values only (a few hundred codes for ~10^6 rows), and
    the column is rewritten only when a value changes: a clean file costs one pass.
    """
    values = raw.get_column(column).cast(pl.String)
    distinct = pl.DataFrame({"raw": values.unique()}).with_columns(clean=clean(pl.col("raw")))
    if distinct["raw"].equals(distinct["clean"], null_equal=True):
        return values, distinct["clean"]
    changed = distinct.filter(pl.col("raw").is_not_null() & pl.col("raw").ne_missing(pl.col("clean")))
    return values.replace(changed["raw"], changed["clean"]), distinct["clean"].unique()


def report_bad_rows(
    problems: Problems,
    raw: pl.DataFrame,
    mask: pl.Series,
    where: pl.Expr,
    column: str,
    problem: str,
    fix: str,
    shown: Callable[[object], str] = shown_value,
) -> None:
    """One kind of bad row (`mask`) added to `problems`: "where : colonne C : <shown value> problem ; fix"."""
    # Filtered first: only the offending rows are turned into text for the message.
    bad = raw.filter(mask)
    occurrences = bad.head(SHOWN_PER_KIND).select(where.alias("where"), pl.col(column).cast(pl.String).alias("raw")).rows()
    problems.add_kind(bad.height, occurrences, lambda value: (f"colonne {column} : {shown(value)} {problem}", fix))


def check_rows(raw: pl.DataFrame, reference: Reference, problems: Problems, where: pl.Expr) -> pl.DataFrame:
    """The typed frame; each bad row is added to `problems`, placed by `where` (a string expression)."""
    department_codes = reference.departments["code"].to_list() + list(reference.unallocated_departments)
    codes = {
        "flow": (lambda text: text.str.strip_chars().str.to_lowercase(), FLOWS),
        "department": (lambda text: text.str.strip_chars().str.to_uppercase(), department_codes),
        "product": (lambda text: text.str.strip_chars().str.to_uppercase(), reference.products["code"].to_list()),
        "country": (lambda text: text.str.strip_chars().str.to_uppercase(), reference.countries["code"].to_list()),
    }
    cleaned = {column: _cleaned(raw, column, clean) for column, (clean, _) in codes.items()}
    frame = raw.with_columns(
        year=_typed(raw, "year", pl.Int32),
        value_eur=_typed(raw, "value_eur", pl.Float64) + 0.0,  # -0.0 is 0 (SPEC 14): + 0.0 drops the sign of a zero
        **{column: values for column, (values, _) in cleaned.items()},
    )

    def unknown(column: str) -> pl.Series:
        """Rows whose code is missing or not in the reference (looked for among distinct values first)."""
        known = codes[column][1]
        distinct = cleaned[column][1]
        if not (distinct.is_null() | ~distinct.is_in(known)).any():
            return pl.Series([False])
        return frame.select(pl.col(column).is_null() | ~pl.col(column).is_in(known)).to_series()

    def check(mask: pl.Series, column: str, problem: str, fix: str) -> None:
        if mask.any():
            report_bad_rows(problems, raw, mask, where, column, problem, fix)

    value = pl.col("value_eur")
    masks = frame.select(
        year_bad=_year_is_bad(raw).fill_null(True),
        value_nan=value.is_null() | value.is_nan(),
        value_inf=value.is_infinite(),
        value_negative=value < 0,
        value_huge=value.is_finite() & (value > MAX_ROW_VALUE_EUR),
    )
    check(masks["year_bad"], "year", "n'est pas une année de quatre chiffres", "écrivez l'année en chiffres, par ex. 2024")
    check(unknown("flow"), "flow", "n'est pas un flux", "utilisez « export » ou « import »")
    check(
        masks["value_nan"],
        "value_eur",
        "n'est pas un nombre",
        "écrivez les montants en euros avec « . » comme séparateur décimal",
    )
    check(masks["value_inf"], "value_eur", "n'est pas un nombre fini", "écrivez les montants en euros")
    check(masks["value_negative"], "value_eur", "est négatif", "les montants sont en euros, 0 ou plus")
    check(
        masks["value_huge"].fill_null(False),
        "value_eur",
        f"dépasse {MAX_ROW_VALUE_TEXT}, le plafond plausible d'une ligne",
        "vérifiez l'unité (euros, pas centimes) et la valeur",
    )

    settings_file = paths.config_dir() / "settings.yaml"  # the one in use (--config)
    for column, kind, fix in (
        (
            "department",
            "de département",
            f"utilisez un code INSEE (01…95, 2A, 2B, 971…976) ou ajoutez-le sous data.unallocated_departments dans {settings_file}",
        ),
        ("product", "produit", f"utilisez un code A129 ou ajoutez-le sous data.extra_products dans {settings_file}"),
        (
            "country",
            "pays",
            f"utilisez un code ISO alpha-2 ou douanier, ou ajoutez-le sous data.extra_countries dans {settings_file}",
        ),
    ):
        check(unknown(column), column, f"n'est pas un code {kind} connu", fix)
    return frame


def check_duplicates(frame: pl.DataFrame, key: list[str], problems: Problems, where: pl.Expr, fix: str) -> None:
    """Rows repeating the key of an earlier row: each one named with the first row of its key."""
    # Distinct row hashes prove distinct keys, in one cheap pass; equal hashes (a repeat, or
    # rarely a collision) lead to the exact search below.
    if frame.select(key).hash_rows().n_unique() == frame.height:
        return
    order = [*key, "__order"]
    repeated = (
        frame.with_columns(where.alias("__where_of"), pl.int_range(pl.len()).alias("__order"))
        .filter(pl.len().over(key) > 1)
        .sort(order)
        .with_columns(pl.col("__where_of").first().over(key).alias("__first"), pl.int_range(pl.len()).over(key).alias("__rank"))
        .filter(pl.col("__rank") > 0)
    )
    if repeated.is_empty():  # a hash collision, not a repeat
        return
    occurrences = [
        (row["__where_of"], f"{row['__first']}\x00" + ", ".join(str(row[name]) for name in key))
        for row in repeated.head(SHOWN_PER_KIND).iter_rows(named=True)
    ]

    def describe(value: str) -> tuple[str, str]:
        first, _, keys = value.partition("\x00")
        return (f"ligne en double de {first} (même {', '.join(_KEY_NAMES.get(name, name) for name in key)} : {keys})", fix)

    problems.add_kind(repeated.height, occurrences, describe)


_KEY_NAMES = {
    "year": "année",
    "flow": "flux",
    "department": "département",
    "product": "produit",
    "country": "pays",
    PERIOD_COLUMN: "période",
}

DUPLICATE_FIX = "gardez une seule ligne par clé ; un même fichier ou un même extrait a-t-il été donné deux fois ?"


def validate(raw: pl.DataFrame, path: Path, reference: Reference) -> pl.DataFrame:
    """The typed canonical frame, or FactsheetsError listing every problem found."""
    if raw.is_empty():
        raise FactsheetsError(f"{path} : aucune ligne de données ; le fichier a un en-tête mais rien à présenter")
    where = pl.col(WHERE_COLUMN) if WHERE_COLUMN in raw.columns else where_expression(Path(path))
    problems = Problems()
    typed = check_rows(raw, reference, problems, where)
    problems.raise_if_any()  # a bad row is not reported again as a duplicate
    check_duplicates(typed, KEY_COLUMNS, problems, where, DUPLICATE_FIX)
    problems.raise_if_any()
    return typed.select([pl.col(name).cast(dtype) for name, dtype in CANONICAL_SCHEMA.items()])


def load_trade_data(path: Path, reference: Reference) -> pl.DataFrame:
    """Read and validate a canonical file: the entry point of every command that reads data."""
    path = Path(path)
    return validate(read_canonical(path), path, reference)


class YearData(NamedTuple):
    """The validated rows of the years a command draws, the year chosen, every year of the file."""

    frame: pl.DataFrame
    year: int
    years: list[int]


def _typed_year(dtype: pl.DataType) -> pl.Expr:
    """The year as validation types it, null where validation refuses it (see _year_is_bad)."""
    if dtype.is_integer():
        year = pl.col("year")
        return pl.when((year >= 1000) & (year <= 9999)).then(year.cast(pl.Int32))
    text = _text("year")
    return pl.when(text.str.contains(r"^\d{4}$")).then(text.cast(pl.Int32, strict=False))


def _rows_of(dtype: pl.DataType, years: list[int], bad_too: bool) -> pl.Expr:
    """The rows of `years` (valid years), plus with `bad_too` those whose year is not a valid year.

    On an integer column the test is on the column itself: the Parquet reader can then skip
    the row groups whose statistics exclude the years.
    """
    if dtype.is_integer():
        year = pl.col("year")
        wanted = year.is_in(years)
        # No fill_null: a filter drops null anyway, and the plain test keeps the pruning.
        return (wanted | year.is_null() | (year < 1000) | (year > 9999)) if bad_too else wanted
    typed = _typed_year(dtype)
    return (typed.is_null() | typed.is_in(years).fill_null(False)) if bad_too else typed.is_in(years).fill_null(False)


def load_year_data(path: Path, reference: Reference, year: int | None, history: bool) -> YearData:
    """The rows of `year` (default: the latest), validated; with `history`, those of the year
    before too, and each older year as its totals per flow and department (see _older_totals).

    A Parquet file is scanned with the year filter pushed down (streaming): the rows of the
    years after are never held in memory, nor validated; the older years' are validated a
    batch at a time. Choosing the default year reads the year
    column only. Rows whose year is not a valid year are kept, so that they are reported as
    a full read reports them. A CSV file is read whole, then filtered before validation.
    """
    path = Path(path)
    scan = scan_canonical(path)
    if scan is None:
        scan = read_canonical(path).lazy()
    dtype = scan.collect_schema()["year"]
    typed = _typed_year(dtype)
    try:
        years = sorted(scan.select(typed.alias("year")).drop_nulls().unique().collect(engine="streaming")["year"].to_list())
        if year is None and years:
            chosen = years[-1]
        elif year is not None and year in years:
            chosen = year
        else:
            chosen = None
        # No such year: only the rows with a bad year, to report them. With the history, the
        # year before in full too (its top items' values); the older years below.
        wanted = [] if chosen is None else [chosen, chosen - 1] if history else [chosen]
        raw = scan.filter(_rows_of(dtype, wanted, bad_too=True)).collect(engine="streaming")
    except pl.exceptions.PolarsError:
        # A file the scan could not read through: the full read gives its usual message.
        raw = read_canonical(path)
        years, chosen = None, None
    if years is None:
        frame = validate(raw, path, reference)
        chosen = choose_year(frame, year, path)
        return YearData(
            frame.filter(pl.col("year") <= chosen if history else pl.col("year") == chosen), chosen, available_years(frame)
        )
    if raw.height or not years:
        frame = validate(raw, path, reference)  # bad rows first (no row at all: that message), as a full read
    chosen = choose_year_in(years, year, path)
    if history:
        older = [y for y in years if y < chosen - 1]
        if older:
            frame = pl.concat([frame, *_older_totals(scan, dtype, older, path, reference)], how="vertical_relaxed")
    return YearData(frame, chosen, years)


HISTORY_BATCH_ROWS = 2_000_000
"""Rows of the older years validated at once: the bound on a run's memory with the series."""


def _older_totals(
    scan: pl.LazyFrame, dtype: pl.DataType, older: list[int], path: Path, reference: Reference
) -> list[pl.DataFrame]:
    """The years before the sheet's year minus one, validated a batch of years at a time and
    kept as yearly totals per flow and department (product and country empty): all that the
    evolution series reads of them. The totals are exact sums of the euro amounts (whole
    numbers), so the series are the same as summed from the rows."""
    counts = dict(
        scan.select(_typed_year(dtype).alias("year"))
        .filter(pl.col("year").is_in(older))
        .group_by("year")
        .len()
        .collect(engine="streaming")
        .iter_rows()
    )
    batches, batch, rows = [], [], 0
    for year in older:
        if batch and rows + counts.get(year, 0) > HISTORY_BATCH_ROWS:
            batches.append(batch)
            batch, rows = [], 0
        batch.append(year)
        rows += counts.get(year, 0)
    batches.append(batch)
    totals = []
    for batch in batches:
        raw = scan.filter(_rows_of(dtype, batch, bad_too=False)).collect(engine="streaming")
        if raw.height == 0:
            continue
        typed_rows = validate(raw, path, reference)
        totals.append(
            typed_rows.group_by("year", "flow", "department", maintain_order=True)
            .agg(pl.col("value_eur").sum())
            .select(
                pl.col("year"),
                pl.col("flow"),
                pl.col("department"),
                pl.lit(None, pl.String).alias("product"),
                pl.lit(None, pl.String).alias("country"),
                pl.col("value_eur"),
            )
        )
    return totals


def available_years(frame: pl.DataFrame) -> list[int]:
    return sorted(frame["year"].unique().to_list())


def choose_year(frame: pl.DataFrame, year: int | None, source: Path | str) -> int:
    """The requested year if the data has it, else the latest one in the data."""
    return choose_year_in(available_years(frame), year, source)


def choose_year_in(years: list[int], year: int | None, source: Path | str) -> int:
    """The requested year if it is among `years`, else the latest one."""
    if year is None:
        return years[-1]
    if year not in years:
        raise FactsheetsError(
            f"{source} : aucune donnée pour l'année {year} ; années présentes dans le fichier : {', '.join(map(str, years))}"
        )
    return year


def departments_present(frame: pl.DataFrame, year: int) -> set[str]:
    """The departments with at least one row in `year`."""
    return set(frame.filter(pl.col("year") == year)["department"].unique().to_list())
