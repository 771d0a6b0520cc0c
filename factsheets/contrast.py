"""Colour contrast (WCAG 2.1) on plain RGB triples, and the treemap's label rule.

Pure arithmetic with no drawing library: the configuration's loader checks the treemap's
label colours with it (config.settings_schema), and the treemap draws its shades with the
same search (charts.treemap.block_ink), so what `check` accepts is what the chart prints.
"""

from __future__ import annotations

RGB = tuple[float, float, float]
WHITE: RGB = (1.0, 1.0, 1.0)

# Every tile label reaches at least this contrast with its tile (WCAG 2.1 asks 4.5:1 for
# text under 14 pt bold / 18 pt; the margin keeps rounding in the PDF's colours on the safe side).
LABEL_CONTRAST = 4.6
TINT_STEPS = 100  # the darkest shade is searched in steps of 1 % of the way to white


def rgb(hex_colour: str) -> RGB:
    """ "#RRGGBB" as fractions 0-1 (as ReportLab's HexColor reads it)."""
    value = int(hex_colour.strip()[1:], 16)
    return ((value >> 16) & 0xFF) / 255.0, ((value >> 8) & 0xFF) / 255.0, (value & 0xFF) / 255.0


def mix(base: RGB, other: RGB, amount: float) -> RGB:
    """`base` moved `amount` (0-1) of the way towards `other`."""
    return tuple(b + (o - b) * amount for b, o in zip(base, other))  # type: ignore[return-value]


def luminance(colour: RGB) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour, 0 (black) to 1 (white)."""

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = colour
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast(a: RGB, b: RGB) -> float:
    """WCAG 2.1 contrast ratio of two colours, 1 to 21."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def darkest_label_tint(base: RGB, label: RGB) -> float | None:
    """How far towards white (0-1) a block's darkest shade must move from `base` for `label`
    to read on it at LABEL_CONTRAST (every lighter shade then passes too); None when the
    label is not darker than the block, or when no shade reaches the contrast."""
    if luminance(label) >= luminance(base):
        return None
    for step in range(TINT_STEPS + 1):
        amount = step / TINT_STEPS
        if contrast(mix(base, WHITE, amount), label) >= LABEL_CONTRAST:
            return amount
    return None


def label_complaint(block_hex: str, label_hex: str) -> tuple[str, str] | None:
    """(what, fix) when the treemap's label colour `label_hex` cannot be printed on the
    shades of the block colour `block_hex`, else None."""
    block, label = rgb(block_hex), rgb(label_hex)
    if darkest_label_tint(block, label) is not None:
        return None
    if luminance(label) >= luminance(block):
        return (
            f"la couleur de libellé « {label_hex} » doit être plus sombre que la couleur de bloc « {block_hex} » "
            "(les cases sont des teintes plus claires du bloc)",
            "choisissez une couleur de libellé plus sombre, par ex. « #1E1E1E »",
        )
    return (
        f"aucune teinte de « {block_hex} » n'offre un contraste de {LABEL_CONTRAST}:1 avec la couleur de libellé « {label_hex} »",
        "choisissez une couleur de libellé plus sombre",
    )
