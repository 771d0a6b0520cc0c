"""The four charts of the sheet (spec section 4), as ReportLab Drawings with real text.

Pure functions: indicators and settings in, a `reportlab.graphics.shapes.Drawing` out,
nothing read from disk. Fonts must be registered first (factsheets.fonts.register_fonts).
Each chart also exposes its geometry (`balance_rows`, `treemap_layout`, `sankey_layout`)
for tests and checks. Why ReportLab shapes rather than matplotlib -> SVG -> svglib: see
the docstring of `factsheets.charts.vector`. A Drawing placed with `renderPDF.draw` stays
vector, and its strings are real PDF text in the embedded TrueType faces. The sheet draws
its Sankeys from `sankey_marks` instead, straight onto the canvas (same marks, a fraction
of the cost: see `factsheets.charts.vector.CanvasChart`). Which charts a sheet has, and
what a drawn chart is to the writers, is declared once in `factsheets.charts.registry`.
"""

from .balance import BalanceLayout, BalanceRow, balance_chart, balance_rows
from .sankey import Ribbon, SankeyLayout, SankeyNode, highlighted_links, sankey_chart, sankey_layout, sankey_marks
from .treemap import Block, Cell, cell_label, squarified_cells, treemap_chart, treemap_layout, treemap_plan

__all__ = [
    "BalanceLayout",
    "BalanceRow",
    "Block",
    "Cell",
    "Ribbon",
    "SankeyLayout",
    "SankeyNode",
    "balance_chart",
    "balance_rows",
    "cell_label",
    "highlighted_links",
    "sankey_chart",
    "sankey_layout",
    "sankey_marks",
    "squarified_cells",
    "treemap_chart",
    "treemap_layout",
    "treemap_plan",
]
