"""The four charts of the sheet (spec section 4), as marks with real text.

Pure functions: indicators and settings in, the chart's marks out (`balance_marks`,
`treemap_marks`, `sankey_marks`: plain tuples of `factsheets.charts.vector`), nothing read
from disk. Fonts must be registered first (factsheets.fonts.register_fonts). The PDF and
the web page draw the same marks; `balance_chart`, `treemap_chart` and `sankey_chart` give
them as a ReportLab Drawing, for the tests, previews and peers that inspect shapes. Each
chart also exposes its geometry (`balance_rows`, `treemap_layout`, `sankey_layout`) for
tests and checks. Why ReportLab rather than matplotlib -> SVG -> svglib: see the docstring
of `factsheets.charts.vector`. Which charts a sheet has, and what a drawn chart is to the
writers, is declared once in `factsheets.charts.registry`.
"""

from .balance import BalanceLayout, BalanceRow, balance_chart, balance_marks, balance_rows
from .sankey import Ribbon, SankeyLayout, SankeyNode, highlighted_links, sankey_chart, sankey_layout, sankey_marks
from .treemap import Block, Cell, cell_label, squarified_cells, treemap_chart, treemap_layout, treemap_marks, treemap_plan

__all__ = [
    "BalanceLayout",
    "BalanceRow",
    "Block",
    "Cell",
    "Ribbon",
    "SankeyLayout",
    "SankeyNode",
    "balance_chart",
    "balance_marks",
    "balance_rows",
    "cell_label",
    "highlighted_links",
    "sankey_chart",
    "sankey_layout",
    "sankey_marks",
    "squarified_cells",
    "treemap_chart",
    "treemap_layout",
    "treemap_marks",
    "treemap_plan",
]
