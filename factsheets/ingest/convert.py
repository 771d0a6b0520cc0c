"""Raw rows to the canonical layout: year or period, flow, codes and values in euros, each checked."""

from __future__ import annotations

import re

import polars as pl

from ..errors import FactsheetsError
from ..load import LINE_COLUMN, PERIOD_COLUMN, printable
from ..validate import MAX_ROW_VALUE_EUR, MAX_ROW_VALUE_TEXT, report_bad_rows
from .kinds import Kinds
from .periods import PERIOD_NAMES, PERIOD_PARTS, QUARTER_EXAMPLES, period_fields
from .profile import Profile
from .sources import Source

SOURCE_COLUMN = "__source"
"""With keep_origin=True, the source of each row (LINE_COLUMN holds its line, WHERE_COLUMN both)."""

# Spaces used as thousands separators: space, no-break space, narrow no-break space.
THOUSANDS_SPACES = r"[ \t\u00a0\u202f]"
NUMBER_PATTERN = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
YEAR_PATTERN = r"^\d{4}$"


def flow_from_name(source: Source, profile: Profile) -> str:
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


def department_from_name(source: Source, profile: Profile) -> str:
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


def convert(raw: pl.DataFrame, source: Source, profile: Profile, problems: Kinds) -> pl.DataFrame:
    """The source's good rows in the canonical layout (+ period, line); bad rows to `problems`.

    `raw` may be one batch of the source's rows: each kind of bad row goes to `problems`
    under the rank of its check, so that a kind's occurrences add up over the batches.
    """
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
        period_year, period_part = period_fields(
            pl.col(col["period"]).str.strip_chars(), profile.period_kind, profile.period_pattern
        )
        derived["__year_text"] = period_year
        labels = f" ni une étiquette de trimestre comme {QUARTER_EXAMPLES}" if profile.period_kind == "quarter" else ""
        checks.append(
            (
                year_text.is_null() | ~year_text.str.contains(YEAR_PATTERN),
                col["period"],
                f"n'est pas une période reconnue (année de quatre chiffres) par le motif « {profile.period_pattern} »{labels}",
                f"corrigez la valeur ou « period.pattern » dans {profile.path}",
            )
        )
        if profile.period_kind != "year":
            parts = PERIOD_PARTS[profile.period_kind]
            derived["__part"] = period_part
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
        flow = pl.lit(flow_from_name(source, profile), dtype=pl.String)
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
        department = pl.lit(department_from_name(source, profile), dtype=pl.String)
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
            report_bad_rows(problems.ranked(index), raw, mask, source.where_expression(), column, problem, fix, _shown)

    bad_rows = masks.select(pl.any_horizontal(pl.all())).to_series()
    return frame.filter(~bad_rows).select(
        year.alias("year"),
        flow.alias("flow"),
        department.alias("department"),
        codes["product"].alias("product"),
        codes["country"].alias("country"),
        pl.when(value == 0).then(0.0).otherwise(value).alias("value_eur"),  # no -0.0
        part.alias(PERIOD_COLUMN),
        pl.col(LINE_COLUMN),
    )
