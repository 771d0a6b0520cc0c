"""A sheet's totals as numbers: `Total` (one flow of an area) and `SheetTotals` (the department's,
for the campaign summary), part of the content model (factsheets.content).

A module of their own, importing nothing: a helper process sends each sheet's SheetTotals
back with its outcome, and the main process unpickles them without importing the content
model (which imports the charts, hence ReportLab, that a main process leaving the drawing
to a helper never loads).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

TotalFlow = Literal["export", "import", "balance"]
TOTAL_FLOWS: tuple[TotalFlow, ...] = ("export", "import", "balance")


class Total(NamedTuple):
    """One total of an area as numbers (exact euros, shares as fractions): the sheet prints it
    formatted, the annex writes it as it is. A share is None where the sheet prints none."""

    flow: TotalFlow
    value_eur: float
    share_region: float | None = None
    share_nation: float | None = None


class SheetTotals(NamedTuple):
    """A sheet's department, its region's name and its totals with their shares as the sheet
    prints them (SheetNumbers.department): what a run keeps of each sheet for its campaign
    summary, small enough to come back from a helper process with the sheet's outcome."""

    code: str
    name: str
    region: str
    totals: tuple[Total, ...]  # in TOTAL_FLOWS order

    def total(self, flow: TotalFlow) -> Total:
        return self.totals[TOTAL_FLOWS.index(flow)]
