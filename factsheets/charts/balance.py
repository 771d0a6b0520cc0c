"""Chart 1, "Principaux pays à l'import et à l'export": imports left, exports right, balance.

One row per balance country, in the order given (the indicators put the largest partners
first). Country names sit in a central column with the balance (exports - imports) under
them, green when >= 0 and red when < 0; bars grow outwards from that column on one common
scale, each with its value in millions of euros at its end.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from reportlab.graphics.shapes import Drawing

from ..config import Settings
from ..model import BalanceCountry
from ..numbers import format_balance, format_millions
from . import vector as v
from .style import ChartFonts

HEADER_HEIGHT = 20.0
BOTTOM_PAD = 2.0
BAR_FILL = 0.62  # bar thickness as a share of the row height
CENTRE_PAD = 8.0  # between the central column's text and the bars
LABEL_GAP = 3.0  # between a bar end and its value
SWATCH = 7.0


def printed_balance(country: BalanceCountry) -> Decimal:
    """The balance the chart prints (see BalanceCountry.printed_balance_millions)."""
    return country.printed_balance_millions


def balance_colour_key(balance_millions: Decimal) -> str:
    """Green when the printed balance is >= 0, red when < 0: the colour agrees with the sign shown."""
    return "balance_positive" if balance_millions >= 0 else "balance_negative"


class BalanceRow(NamedTuple):
    country: BalanceCountry
    name: str  # as printed (truncated with "…" only if it cannot fit the column)
    centre_y: float
    import_x: float  # the import bar spans [import_x, import_x + import_width]
    import_width: float
    export_x: float
    export_width: float
    import_label: str
    export_label: str
    balance_label: str
    balance_colour: str  # settings colors key


class BalanceLayout(NamedTuple):
    width: float
    height: float
    row_height: float
    centre_left: float  # right end of the import bars
    centre_right: float  # left end of the export bars
    scale: float  # points per euro
    rows: tuple[BalanceRow, ...]


class _Fonts(NamedTuple):
    name: v.Font
    value: v.Font
    balance: v.Font
    header: v.Font


def _fonts(settings: Settings) -> _Fonts:
    faces = ChartFonts.from_settings(settings)
    size = settings.charts.balance.font_size
    return _Fonts(
        name=v.Font(faces.semibold, size),
        value=v.Font(faces.regular, size - 0.5),
        balance=v.Font(faces.semibold, size - 0.5),
        header=v.Font(faces.semibold, size - 0.5),
    )


def balance_rows(countries: Sequence[BalanceCountry], settings: Settings) -> BalanceLayout:
    """Geometry of the chart: the central column, the common bar scale and one row per country."""
    fonts = _fonts(settings)
    width = settings.charts.balance.width
    row_height = settings.charts.balance.row_height
    height = HEADER_HEIGHT + row_height * max(len(countries), 1) + BOTTOM_PAD

    printed = [printed_balance(c) for c in countries]
    balances = [format_balance(b) for b in printed]
    headers = [settings.charts.labels.balance_header]
    column = max(
        [fonts.name.width(c.name) for c in countries]
        + [fonts.balance.width(b) for b in balances]
        + [fonts.header.width(h) for h in headers]
        + [60.0]
    )
    column = min(column, 0.3 * width) + 2 * CENTRE_PAD
    centre_left = (width - column) / 2
    centre_right = centre_left + column

    value_labels = [(format_millions(c.import_eur), format_millions(c.export_eur)) for c in countries]
    label_room = max([fonts.value.width(t) for pair in value_labels for t in pair] + [0.0]) + LABEL_GAP
    bar_room = max(centre_left - label_room - 1.0, 0.0)
    largest = max([max(c.import_eur, c.export_eur) for c in countries] + [0.0])
    scale = bar_room / largest if largest > 0 else 0.0

    rows = []
    for index, (country, balance, shown, (import_label, export_label)) in enumerate(
        zip(countries, balances, printed, value_labels)
    ):
        centre_y = height - HEADER_HEIGHT - (index + 0.5) * row_height
        import_width = country.import_eur * scale
        export_width = country.export_eur * scale
        name = v.truncate(country.name, fonts.name, column - 2 * CENTRE_PAD) or ""
        rows.append(
            BalanceRow(
                country=country,
                name=name,
                centre_y=centre_y,
                import_x=centre_left - import_width,
                import_width=import_width,
                export_x=centre_right,
                export_width=export_width,
                import_label=import_label,
                export_label=export_label,
                balance_label=balance,
                balance_colour=balance_colour_key(shown),
            )
        )
    return BalanceLayout(width, height, row_height, centre_left, centre_right, scale, tuple(rows))


def balance_marks(countries: Sequence[BalanceCountry], settings: Settings) -> v.ShapeChart:
    """The chart's marks, in drawing order: the header, the two rules, then row by row the
    bars, their values, the country's name and its balance."""
    layout = balance_rows(countries, settings)
    fonts = _fonts(settings)
    text_colour = v.color(settings.colors.text)
    muted = v.color(settings.colors.muted)
    rule = v.color(settings.colors.rule)
    import_fill = v.color(settings.colors.bar_imports)
    export_fill = v.color(settings.colors.bar_exports)
    marks: list = []

    # Header: what each side is, and what the number under each country means.
    header_y = layout.height - HEADER_HEIGHT + 7
    centre_x = (layout.centre_left + layout.centre_right) / 2
    imports_word = settings.charts.labels.balance_imports
    exports_word = settings.charts.labels.balance_exports
    imports_end = layout.centre_left - 2
    marks.append(v.RectMark(imports_end - SWATCH, header_y - 0.5, SWATCH, SWATCH, import_fill))
    marks.append(v.text_mark(imports_end - SWATCH - 4, header_y, imports_word, fonts.header, text_colour, "end"))
    exports_start = layout.centre_right + 2
    marks.append(v.RectMark(exports_start, header_y - 0.5, SWATCH, SWATCH, export_fill))
    marks.append(v.text_mark(exports_start + SWATCH + 4, header_y, exports_word, fonts.header, text_colour))
    marks.append(v.text_mark(centre_x, header_y, settings.charts.labels.balance_header, fonts.header, muted, "middle"))

    if not layout.rows:
        marks.append(
            v.text_mark(
                centre_x,
                layout.height - HEADER_HEIGHT - layout.row_height / 2 - 3,
                settings.charts.labels.no_data,
                fonts.value,
                muted,
                "middle",
            )
        )
        return v.ShapeChart(layout.width, layout.height, marks, fonts.value)

    # Bar origins: two thin rules framing the central column.
    top = layout.height - HEADER_HEIGHT
    bottom = top - layout.row_height * len(layout.rows)
    marks.append(v.LineMark(layout.centre_left, bottom, layout.centre_left, top, rule, 0.75))
    marks.append(v.LineMark(layout.centre_right, bottom, layout.centre_right, top, rule, 0.75))

    bar_height = layout.row_height * BAR_FILL
    for row in layout.rows:
        bar_y = row.centre_y - bar_height / 2
        value_y = row.centre_y - fonts.value.cap_height / 2
        if row.import_width > 0:
            marks.append(v.RectMark(row.import_x, bar_y, row.import_width, bar_height, import_fill))
        if row.export_width > 0:
            marks.append(v.RectMark(row.export_x, bar_y, row.export_width, bar_height, export_fill))
        marks.append(v.text_mark(row.import_x - LABEL_GAP, value_y, row.import_label, fonts.value, text_colour, "end"))
        marks.append(
            v.text_mark(row.export_x + row.export_width + LABEL_GAP, value_y, row.export_label, fonts.value, text_colour)
        )
        # Name and balance stacked, the pair centred on the row.
        block = fonts.name.cap_height + 3.2 + fonts.balance.cap_height
        name_y = row.centre_y + block / 2 - fonts.name.cap_height
        marks.append(v.text_mark(centre_x, name_y, row.name, fonts.name, text_colour, "middle"))
        marks.append(
            v.text_mark(
                centre_x,
                row.centre_y - block / 2,
                row.balance_label,
                fonts.balance,
                v.color(getattr(settings.colors, row.balance_colour)),
                "middle",
            )
        )
    return v.ShapeChart(layout.width, layout.height, marks, fonts.value)


def balance_chart(countries: Sequence[BalanceCountry], settings: Settings) -> Drawing:
    """The chart as a ReportLab Drawing of the same marks (tests, previews, peers)."""
    return balance_marks(countries, settings).to_drawing()
