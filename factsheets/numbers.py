"""Number formats of the published sheets (spec section 2), used everywhere text shows a number."""

from __future__ import annotations

import functools
from decimal import ROUND_HALF_UP, Decimal

NO_BREAK_SPACE = "\u00a0"
MINUS = "\u2212"  # typographic minus sign, as the balance chart prints it


def round_half_away(value: float, decimals: int) -> Decimal:
    """Round half away from zero on the decimal representation (not binary floats)."""
    quantum = Decimal(1).scaleb(-decimals)
    # repr() gives the shortest string that round-trips, so 0.125 stays 0.125, not 0.12499...
    return Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)


def _group_thousands(digits: str, separator: str) -> str:
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return separator.join(groups)


def rounded_millions(value_eur: float) -> Decimal:
    """Euros as the millions a sheet prints: one decimal, half away from zero (exact Decimal)."""
    return round_half_away(value_eur / 1_000_000, 1)


# A sheet formats some 480 amounts, many of them its region's and France's, the same on
# every sheet of the region: each (amount, separator, in_table) is formatted once per process.
@functools.lru_cache(maxsize=8192)
def format_millions(value_eur: float, separator: str = NO_BREAK_SPACE, in_table: bool = False) -> str:
    """Euros as millions, one decimal, thousands separated, trailing ".0" dropped: 3 517.5, 68 021;
    `in_table`: the ".0" kept (68 021.0), so a column of figures aligns on its decimal mark (SPEC 11)."""
    return format_rounded_millions(rounded_millions(value_eur), separator, in_table)


def format_rounded_millions(rounded: Decimal, separator: str = NO_BREAK_SPACE, in_table: bool = False) -> str:
    """Millions already rounded to one decimal (see `rounded_millions`), formatted as printed."""
    sign = MINUS if rounded < 0 else ""
    integer, _, fraction = f"{abs(rounded):.1f}".partition(".")
    text = _group_thousands(integer, separator)
    if fraction != "0" or in_table:
        text += "." + fraction
    return sign + text


def format_percent(fraction: float, decimals: int) -> str:
    """A fraction (0-1) as a percentage with a fixed number of decimals: 0.052 -> "5.2%".

    A share that is not zero but rounds to zero prints as under the smallest printable step,
    "< 0.01%" (a no-break space after "<"), never "0.00%"; an exact zero prints "0%"."""
    rounded = round_half_away(fraction * 100, decimals)
    if rounded == 0:
        if fraction == 0:
            return "0%"
        return f"<{NO_BREAK_SPACE}{Decimal(1).scaleb(-decimals):.{decimals}f}%"
    return f"{rounded:.{decimals}f}%"


def format_share_of_region(fraction: float) -> str:
    return format_percent(fraction, 1)


def format_share_of_nation(fraction: float) -> str:
    return format_percent(fraction, 2)


def format_change(ratio: float) -> str:
    """A change as a signed percentage with one decimal: 0.0324 -> "+3.2%", -0.069 -> "−6.9%"."""
    rounded = round_half_away(ratio * 100, 1)
    sign = "+" if rounded > 0 else (MINUS if rounded < 0 else "")
    return f"{sign}{abs(rounded):.1f}%"


def format_balance(balance_millions: Decimal) -> str:
    """A printed balance in M€: "+1 234.5", "−567.2" (U+2212), or "0"."""
    return ("+" if balance_millions > 0 else "") + format_rounded_millions(balance_millions)


def format_spreadsheet_number(value: float) -> str:
    """A number for a French spreadsheet's CSV: "," as decimal mark, no thousands separator,
    whole numbers bare."""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value)).replace(".", ",")


def format_short_decimal(number: float) -> str:
    """A number in a French sentence: decimal comma, no trailing zeros (0.2 -> "0,2")."""
    return f"{number:g}".replace(".", ",")


def format_euros(value: float) -> str:
    """An amount in a message: whole euros under a million ("12 345 €"), millions above ("9 114.8 M€")."""
    return f"{value:,.0f} €".replace(",", " ") if abs(value) < 1e6 else f"{format_millions(value)} M€"
