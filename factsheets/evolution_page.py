"""The evolution page (render --evolution): the chart over the years and the N / N-1 tables.

Placed by layout.SheetBuilder before "Informations pratiques". Every word comes from the
`evolution` section of config/texts.yaml; numbers use the sheet's formats (numbers.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reportlab.lib import colors
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle

from .alt_texts import evolution_alt
from .model import Change, Evolution
from .numbers import format_change, format_millions
from .pdf_tags import TableTags

if TYPE_CHECKING:
    from .layout import SheetBuilder

TABLE_FONT_SIZE = 8.5
TOP_ROWS = 5


def change_text(change: Change, new_word: str) -> str:
    """ "+3.2%", or the word for "new" when the year before had nothing to compare with."""
    ratio = change.change_ratio
    return new_word if ratio is None else format_change(ratio)


def evolution_values(evolution: Evolution, texts: dict) -> dict[str, str]:
    """The placeholders of the page's texts (years, totals and their changes)."""
    first, last = evolution.years[0], evolution.years[-1]
    values = {"first_year": str(first), "previous_year": str(evolution.previous_year or last)}
    if evolution.exports is not None and evolution.imports is not None and evolution.balance is not None:
        new = texts["new"]
        values.update(
            exports=format_millions(evolution.exports.total.value_eur),
            imports=format_millions(evolution.imports.total.value_eur),
            exports_change=change_text(evolution.exports.total, new),
            imports_change=change_text(evolution.imports.total, new),
            balance=format_millions(evolution.balance.value_eur),
            balance_previous=format_millions(evolution.balance.previous_eur),
        )
    return values


def evolution_story(builder: SheetBuilder, chart) -> list[Flowable]:
    """The page's flowables. `chart` is the FigureChart of charts.evolution (already drawn)."""
    from .layout import FittedDrawing

    evolution = builder.ind.evolution
    t = builder.texts["evolution"]
    values = evolution_values(evolution, t)
    fonts = builder.fonts
    palette = builder.settings["colors"]

    def table(rows: list[list[str]], widths: list[float]) -> Table:
        """Plain strings styled by the table (one line a cell): far cheaper than a Paragraph a cell."""
        # renderCB: each cell a TH or TD of the tagged PDF (header row and label column TH).
        tags = TableTags(builder.tags, len(rows), len(rows[0]))
        result = Table(rows, colWidths=widths, hAlign="CENTER", renderCB=tags)
        result.setStyle(
            TableStyle(
                [
                    # FONTNAME: a table otherwise declares Helvetica, a font that would not be embedded.
                    ("FONTNAME", (0, 0), (-1, -1), fonts.regular),
                    ("FONTNAME", (0, 0), (-1, 0), fonts.bold),
                    ("FONTSIZE", (0, 0), (-1, -1), TABLE_FONT_SIZE),
                    ("LEADING", (0, 0), (-1, -1), TABLE_FONT_SIZE * 1.25),
                    ("TEXTCOLOR", (0, 0), (-1, -1), colors.HexColor(palette["text"])),
                    ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor(palette["title"])),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.3, colors.HexColor(palette["rule"])),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                    ("LEFTPADDING", (0, 0), (-1, -1), 3),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        return result

    from .layout import FRAME_WIDTH

    # Yearly totals: the years as text (the chart's axis is text too), then the three rows.
    label_width = 118
    year_width = (FRAME_WIDTH - label_width) / len(evolution.years)
    years_rows = [[t["years_header"]] + [str(y) for y in evolution.years]]
    for label, pick in zip(t["years_rows"], (lambda r: r.exports_eur, lambda r: r.imports_eur, lambda r: r.balance_eur)):
        years_rows.append([label] + [format_millions(pick(r)) for r in evolution.department])
    story: list[Flowable] = [
        builder.para(t["heading"], "h1"),
        # Without the year before in the data, the page has the chart but no N / N-1 tables.
        builder.para(t["intro"] if evolution.previous_year is not None else t["intro_without_previous"], **values),
        builder.para(t["chart_title"], "chart_title", **values),
        builder.figure(FittedDrawing(chart), evolution_alt(builder.ind, builder.alt, builder.values)),
        Spacer(1, 6),
        table(years_rows, [label_width] + [year_width] * len(evolution.years)),
        Spacer(1, 8),
    ]
    if evolution.previous_year is None:
        return story
    story.append(builder.para(t["summary"], **values))
    value_header = [builder.fill(t["value_header"], year=y) for y in (builder.ind.year, evolution.previous_year)]
    widths = [FRAME_WIDTH - 3 * 76, 76, 76, 76]
    for title_key, label_key, items in (
        ("products_title", "product_header", evolution.exports.top_products),
        ("countries_title", "country_header", evolution.imports.top_countries),
    ):
        rows = [[t[label_key], value_header[0], value_header[1], t["change_header"]]]
        for item in items[:TOP_ROWS]:
            rows.append(
                [
                    item.short_label or item.label,
                    format_millions(item.value_eur),
                    format_millions(item.previous_eur),
                    change_text(item, t["new"]),
                ]
            )
        story.append(KeepTogether([builder.para(t[title_key], "h2", **values), table(rows, widths)]))
    return story
