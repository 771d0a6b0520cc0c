"""The sheet's charts, declared once: which charts a sheet has, what each one shows, how it
is drawn, and what a chart is to the writers.

`SHEET_CHARTS` lists them in reading order. The content model (factsheets.content) makes a
figure of each one the sheet shows, the writers (factsheets.layout, factsheets.html) place
them by their key and properties, `draw_charts` draws them for the renderer and the
benchmarks, and the annex gives the figures of the areas they show. A new chart is one
entry here plus its figure in content.py.

A chart, whatever drew it, is a `Chart`: a size in points and `draw_on(canvas)`. The
Sankeys (`vector.CanvasChart`) and the evolution figure (`matplotlib_drawing.FigureChart`)
write their marks straight onto the canvas, the balance bars and the treemap
(`vector.ShapeChart`) one by one as renderPDF would their shapes; a ReportLab Drawing (a
peer's charts, a test's) is wrapped as a `DrawingChart` by `as_chart`, the one place that
tells the kinds apart.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol, runtime_checkable

from reportlab.graphics.shapes import Drawing

if TYPE_CHECKING:
    from ..config import Settings
    from ..fonts import FontNames
    from ..model import AreaFlows, DepartmentIndicators, FlowSummary

Level = Literal["department", "region", "nation"]
AREA_LEVELS: tuple[Level, ...] = ("department", "region", "nation")  # in the sheet's order


@runtime_checkable
class Chart(Protocol):
    """What the writers need of a drawn chart: its size in points, and drawing itself onto a
    pdfgen canvas with its origin at the chart's lower left corner."""

    width: float
    height: float

    def draw_on(self, canvas) -> None: ...


class DrawingChart:
    """A ReportLab Drawing as a Chart: drawn as renderPDF draws it (pdf_drawing; its shapes:
    `drawing.contents`)."""

    def __init__(self, drawing: Drawing):
        self.drawing = drawing
        self.width = drawing.width
        self.height = drawing.height

    def draw_on(self, canvas) -> None:
        from .pdf_drawing import draw_drawing

        draw_drawing(self.drawing, canvas)


def as_chart(chart: Any) -> Chart | None:
    """`chart` as a Chart (None stays None: a chart the sheet does not show)."""
    if isinstance(chart, Drawing):
        return DrawingChart(chart)
    if chart is None or isinstance(chart, Chart):
        return chart
    raise TypeError(f"not a chart: {type(chart).__name__}")


def area_shown(ind: DepartmentIndicators, level: Level) -> bool:
    """Whether the sheet shows an area's charts: never a region of one department (it would
    be the department again), never an area the data does not cover (coverage.py)."""
    if level == "region":
        return ind.shows_region
    if level == "nation":
        return ind.nation_covered
    return True


def area_flows(ind: DepartmentIndicators, level: Level) -> AreaFlows:
    return {"department": ind.local, "region": ind.region_flows, "nation": ind.nation_flows}[level]


class ChartSpec(NamedTuple):
    """One chart of the sheet.

    `fitted_to_room`: on paper it shrinks, or is drawn again lower, to the room left under
    its title, and stays with it (the treemap under a long balance chart); `table_printed`:
    its table of figures is printed under it (the evolution's yearly totals)."""

    key: str
    kind: Literal["balance", "treemap", "sankey", "evolution"]
    level: Level = "department"
    flow: Literal["export", "import"] | None = None
    fitted_to_room: bool = False
    table_printed: bool = False

    def shown(self, ind: DepartmentIndicators, evolution: bool = True) -> bool:
        """Whether the sheet has this chart (`evolution`: render --evolution was asked)."""
        if self.kind == "evolution":
            return evolution and ind.evolution is not None and ind.evolution.has_history
        return area_shown(ind, self.level)

    def summary(self, ind: DepartmentIndicators) -> FlowSummary:
        """The flows a Sankey shows."""
        area = area_flows(ind, self.level)
        return area.exports if self.flow == "export" else area.imports

    def size(self, ind: DepartmentIndicators) -> str:
        """A Sankey's size: a region's or France's is smaller than the department's, two to a
        page, unless it is alone on its comparison page."""
        if self.level == "department":
            return "department"
        other: Level = "nation" if self.level == "region" else "region"
        return "region" if area_shown(ind, other) else "department"


SHEET_CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec("balance", "balance"),
    ChartSpec("treemap", "treemap", fitted_to_room=True),
    ChartSpec("export_sankey", "sankey", "department", "export"),
    ChartSpec("region_export_sankey", "sankey", "region", "export"),
    ChartSpec("nation_export_sankey", "sankey", "nation", "export"),
    ChartSpec("import_sankey", "sankey", "department", "import"),
    ChartSpec("region_import_sankey", "sankey", "region", "import"),
    ChartSpec("nation_import_sankey", "sankey", "nation", "import"),
    ChartSpec("evolution", "evolution", table_printed=True),
)
CHART_KEYS: tuple[str, ...] = tuple(spec.key for spec in SHEET_CHARTS)
CHARTS_BY_KEY: dict[str, ChartSpec] = {spec.key: spec for spec in SHEET_CHARTS}


class SheetCharts:
    """The drawn charts of one sheet by registry key, each a Chart or None (not shown).

    `treemap_at_height` draws the treemap again at a given height, when the page has less
    room than it needs. Region and France charts are shared between the sheets of a run."""

    def __init__(self, treemap_at_height: Callable[[float], Any] | None = None, **charts: Any):
        unknown = set(charts) - set(CHART_KEYS)
        if unknown:
            raise TypeError(f"no chart {', '.join(sorted(unknown))} in the registry")
        self._charts = {key: as_chart(charts.get(key)) for key in CHART_KEYS}
        self.treemap_at_height = None if treemap_at_height is None else (lambda height: as_chart(treemap_at_height(height)))

    def __getitem__(self, key: str) -> Chart | None:
        return self._charts[key]

    def __getattr__(self, key: str) -> Chart | None:
        charts = self.__dict__.get("_charts", {})
        if key in charts:
            return charts[key]
        raise AttributeError(key)


def draw_charts(
    ind: DepartmentIndicators,
    settings: Settings,
    fonts: FontNames | None = None,
    *,
    evolution: bool = False,
    shared: dict | None = None,
) -> SheetCharts:
    """Every chart the sheet shows, drawn by the project's chart functions.

    `shared` keeps a region's and France's Sankeys between the sheets of a run (keyed by
    area, flow and size); `evolution` (render --evolution) needs `fonts`."""
    from . import balance_marks, sankey_marks, treemap_marks

    shared = {} if shared is None else shared
    charts: dict[str, Any] = {}
    for spec in SHEET_CHARTS:
        if not spec.shown(ind, evolution):
            continue
        if spec.kind == "balance":
            charts[spec.key] = balance_marks(ind.balance_countries, settings)
        elif spec.kind == "treemap":
            charts[spec.key] = treemap_marks(ind.local.imports, ind.local.exports, settings)
        elif spec.kind == "sankey" and spec.level == "department":
            charts[spec.key] = sankey_marks(spec.summary(ind), settings)
        elif spec.kind == "sankey":
            area = area_flows(ind, spec.level)
            key = (spec.level, area.territory.code, spec.flow, spec.size(ind))
            if key not in shared:
                shared[key] = sankey_marks(spec.summary(ind), settings, size=spec.size(ind))
            charts[spec.key] = shared[key]
        else:
            from .evolution import evolution_chart

            charts[spec.key] = evolution_chart(ind.evolution, settings, fonts)
    redraw = partial(treemap_marks, ind.local.imports, ind.local.exports, settings)
    return SheetCharts(treemap_at_height=redraw, **charts)
