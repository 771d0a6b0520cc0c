"""`ingest --national`: the national file stored as the trade allocated to no department.

The DGDDI national data gives France by year (or period), flow, product and country, with
no department column. It is read through its own profile, then stored as the remainder per
year, flow, product and country: national value minus the sum of the departments present,
under the first unallocated department code of settings.yaml. France's totals (every row)
then equal the national file's to the euro. A remainder below zero beyond
NEGATIVE_TOLERANCE_EUR is an error naming the key (the national file cannot hold less than
the departments); smaller negatives (rounding of thousands of euros) are clipped to zero.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import polars as pl

from .. import paths
from ..coverage import METADATA_DEPARTMENTS, METADATA_NATIONAL, national_metadata
from ..errors import FactsheetsError, Problems
from ..load import CANONICAL_COLUMNS
from ..numbers import format_euros
from ..validate import CANONICAL_SCHEMA, KEY_COLUMNS
from .pipeline import IngestResult, ingest_sources
from .profile import Profile

NEGATIVE_TOLERANCE_EUR = 1000.0
KEY = ["year", "flow", "product", "country"]
SHOWN_KEYS = 5


def national_profile(profile: Profile, unallocated_code: str) -> Profile:
    """`profile` for the national file: no department column, every row under `unallocated_code`."""
    columns = {field: column for field, column in profile.columns.items() if field != "department"}
    return dataclasses.replace(profile, columns=columns, department_from_filename=None, department_value=unallocated_code)


def unallocated_code(reference) -> str:
    codes = list(reference.unallocated_departments)
    if not codes:
        raise FactsheetsError(
            f"--national : aucun code de département non ventilé dans {paths.config_dir() / 'settings.yaml'} ; "
            'ajoutez-en un sous data.unallocated_departments (par ex. "00": "Non ventilé")'
        )
    return codes[0]


def with_national(
    departments: IngestResult, national: IngestResult, national_file: Path, code: str
) -> tuple[IngestResult, list[int]]:
    """The departments' rows plus the national remainder under `code`; and the years it covers.

    Only the years of the departments' data are kept from the national file (the others are
    said in a warning).
    """
    frame = departments.frame
    years = sorted(set(frame["year"].unique().to_list()))
    national_rows = national.frame.filter(pl.col("year").is_in(years))
    national_years = sorted(set(national_rows["year"].unique().to_list()))
    warnings = list(national.warnings)
    extra = sorted(set(national.frame["year"].unique().to_list()) - set(years))
    if extra:
        warnings.append(
            f"{national_file} : année(s) {', '.join(map(str, extra))} du fichier national sans donnée départementale, écartée(s)"
        )
    dept_sums = frame.filter(pl.col("year").is_in(national_years)).group_by(KEY).agg(departments_eur=pl.col("value_eur").sum())
    nation = national_rows.group_by(KEY).agg(national_eur=pl.col("value_eur").sum())
    remainder = (
        nation.join(dept_sums, on=KEY, how="full", coalesce=True)
        .with_columns(pl.col("national_eur", "departments_eur").fill_null(0.0))
        .with_columns(remainder_eur=(pl.col("national_eur") - pl.col("departments_eur")).round(2))
        .sort(KEY)
    )
    short = remainder.filter(pl.col("remainder_eur") < -NEGATIVE_TOLERANCE_EUR)
    if short.height:
        problems = Problems()
        for year, flow, product, country, national_eur, departments_eur, gap in short.head(SHOWN_KEYS).iter_rows():
            problems.add(
                f"{national_file} : {year}, {flow}, produit {product}, pays {country} : le fichier national "
                f"({format_euros(national_eur)}) est inférieur de {format_euros(-gap)} à la somme des départements "
                f"({format_euros(departments_eur)}) ; vérifiez que le fichier national et les fichiers départementaux "
                "portent sur les mêmes années, flux et unités"
            )
        if short.height > SHOWN_KEYS:
            problems.add(
                f"{national_file} : et {short.height - SHOWN_KEYS} autre(s) clé(s) année, flux, produit, pays dans ce cas"
            )
        problems.raise_if_any()
    rows = remainder.filter(pl.col("remainder_eur") > 0).select(
        *KEY[:2], pl.lit(code).alias("department"), *KEY[2:], pl.col("remainder_eur").alias("value_eur")
    )
    combined = (
        pl.concat([frame.select(CANONICAL_COLUMNS), rows.select(CANONICAL_COLUMNS).cast(CANONICAL_SCHEMA)])
        .group_by(KEY_COLUMNS)
        .agg(pl.col("value_eur").sum())  # a department file's own unallocated rows merge in
        .select(CANONICAL_COLUMNS)
        .sort(list(CANONICAL_COLUMNS))
    )
    rows_per_source = {**departments.rows_per_source, **national.rows_per_source}
    result = IngestResult(combined, rows_per_source, departments.warnings + warnings, departments.years_left_out)
    return result, national_years


def _departments(frame: pl.DataFrame | pl.LazyFrame) -> set[str]:
    return set(frame.lazy().select(pl.col("department").unique()).collect()["department"].to_list())


def coverage_metadata(
    frame: pl.DataFrame | pl.LazyFrame, reference, national_file: Path | None, national_years: list[int]
) -> dict[str, str]:
    """What the output covers, for its Parquet metadata (read back by coverage.Coverage)."""
    codes = reference.departments["code"].to_list()
    present = _departments(frame)
    return {
        METADATA_DEPARTMENTS: ",".join(code for code in codes if code in present),
        METADATA_NATIONAL: national_metadata(national_file.name, national_years) if national_file is not None else "",
    }


def france_note(frame: pl.DataFrame | pl.LazyFrame, reference) -> str | None:
    """`ingest` without a national file: a line when the output will print no France figure."""
    codes = reference.departments["code"].to_list()
    missing = len(set(codes) - _departments(frame))
    if not missing:
        return None
    return (
        f"sans fichier national, les fiches n'imprimeront aucun chiffre de la France entière ({missing} département(s) "
        "absent(s)) ; ajoutez le fichier national avec --national FICHIER (sortie .parquet)"
    )


def ingest_with_national(
    sources, profile: Profile, national_file: Path, national_profile_given: Profile | None, reference
) -> tuple[IngestResult, list[int]]:
    code = unallocated_code(reference)
    with ingest_sources(sources, profile, reference) as departments:
        departments.frame  # noqa: B018 - read into memory before the temporary parts are removed
    with ingest_sources([national_file], national_profile(national_profile_given or profile, code), reference) as national:
        national.frame  # noqa: B018
    return with_national(departments, national, national_file, code)
