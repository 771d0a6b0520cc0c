"""The evolution chart: a department's exports and imports over the years, drawn with matplotlib.

A time series with axes and ticks is what matplotlib is for; the figure is replayed onto the
sheet's canvas by `matplotlib_drawing.figure_chart` (vector paths, real text in the embedded
body font), not through SVG. The axes are placed at fixed margins (no
tight_layout, which would need a raster renderer), so the chart is a pure function of its
inputs. Values on the axis are millions of euros in the sheet's format (numbers.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..fonts import FontNames
from ..model import Evolution
from ..numbers import format_millions

if TYPE_CHECKING:
    from ..config import Settings
    from .matplotlib_drawing import FigureChart

# Room around the axes, in points: tick labels on the left, years below, legend on top.
LEFT, RIGHT, BOTTOM, TOP = 52, 38, 22, 26
# Where the unit's label stands, left of the axes (its right edge, in points): clear of
# tick labels up to "100 000". A fixed place spares matplotlib measuring every tick label
# of every sheet to put it there.
UNIT_LABEL_X = -40


def _label_offsets(first: float, second: float, top: float, axes_height: float, gap: float) -> tuple[float, float]:
    """Vertical offsets (points) of two labels at values `first` and `second`, at least `gap` apart."""
    distance = (first - second) / top * axes_height if top > 0 else 0.0
    if abs(distance) >= gap:
        return 0.0, 0.0
    push = (gap - abs(distance)) / 2
    return (push, -push) if distance >= 0 else (-push, push)


def evolution_series(evolution: Evolution) -> tuple[list[int], list[float], list[float]]:
    """Years, exports and imports of the department, in millions of euros (what is plotted)."""
    years = list(evolution.years)
    exports = [row.exports_eur / 1e6 for row in evolution.department]
    imports = [row.imports_eur / 1e6 for row in evolution.department]
    return years, exports, imports


def evolution_chart(evolution: Evolution, settings: Settings, fonts: FontNames) -> FigureChart:
    from .matplotlib_drawing import figure_chart

    years, exports, imports = evolution_series(evolution)
    chart = _chart(settings, tuple(years))
    chart.show(exports, imports)
    return figure_chart(chart.figure, fonts, chart.static)


# Building a figure (axes, ticks, legend) costs more than drawing it: one is built per
# process and per set of years, then only its data changes from sheet to sheet. Every
# data-dependent artist is reset by `show`, so a chart never depends on the one before
# (tests/test_evolution.py draws one after another and compares).
_CHARTS: dict[tuple, _EvolutionFigure] = {}


def _chart(settings: Settings, years: tuple[int, ...]) -> _EvolutionFigure:
    sizes, palette, labels = settings.charts.evolution, settings.colors, settings.charts.labels
    values = (sizes.width, sizes.height, sizes.font_size, sizes.line_width)
    colours = (
        palette.text,
        palette.muted,
        palette.rule,
        palette.bar_exports,
        palette.bar_imports,
    )  # "#RRGGBB", as matplotlib takes them
    words = (labels.exports, labels.imports, labels.unit_millions)
    key = (values, colours, words, years)
    if key not in _CHARTS:
        _CHARTS[key] = _EvolutionFigure(*values, colours, words, years)
    return _CHARTS[key]


class _EvolutionFigure:
    def __init__(
        self,
        width: float,
        height: float,
        size: float,
        line_width: float,
        colours: tuple[str, ...],
        words: tuple[str, ...],
        years: tuple[int, ...],
    ):
        # matplotlib is imported here: a run without --evolution never pays for it.
        from matplotlib.figure import Figure
        from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

        from .matplotlib_drawing import POINTS_PER_INCH

        text_colour, muted, rule, export_colour, import_colour = colours
        self.years = list(years)
        self.size = size
        self.axes_height = height - BOTTOM - TOP
        self.figure = Figure(figsize=(width / POINTS_PER_INCH, height / POINTS_PER_INCH), dpi=POINTS_PER_INCH)
        self.figure.patch.set_visible(False)
        axes = self.figure.add_axes((LEFT / width, BOTTOM / height, 1 - (LEFT + RIGHT) / width, 1 - (BOTTOM + TOP) / height))
        axes.patch.set_visible(False)
        self.lines = [
            axes.plot(
                self.years,
                [0.0] * len(years),
                color=tint,
                linewidth=line_width,
                marker="o",
                markersize=3.2,
                label=word,
                solid_joinstyle="round",
                solid_capstyle="round",
            )[0]
            for tint, word in ((export_colour, words[0]), (import_colour, words[1]))
        ]
        axes.set_xlim(years[0] - 0.3, years[-1] + 0.3)
        axes.xaxis.set_major_locator(FixedLocator(self.years))
        axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: str(int(round(value)))))
        axes.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10], min_n_ticks=3))
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: format_millions(value * 1e6)))
        axes.tick_params(labelsize=size, colors=muted, labelcolor=text_colour, length=3, width=0.5)
        axes.grid(axis="y", color=rule, linewidth=0.5)
        axes.set_axisbelow(True)
        for side in ("top", "right", "left"):
            axes.spines[side].set_visible(False)
        axes.spines["bottom"].set_color(muted)
        axes.spines["bottom"].set_linewidth(0.5)
        axes.set_ylabel(words[2], fontsize=size, color=text_colour)
        axes.yaxis.set_label_coords(UNIT_LABEL_X / (width - LEFT - RIGHT), 0.5)
        axes.legend(
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            ncols=2,
            frameon=False,
            fontsize=size,
            borderaxespad=0.3,
            handlelength=1.8,
            labelcolor=text_colour,
        )
        # The last year's values next to their points: the figures the page's text talks about.
        self.labels = [
            axes.annotate(
                "",
                (years[-1], 0.0),
                xytext=(5, 0),
                textcoords="offset points",
                va="center",
                ha="left",
                fontsize=size * 0.95,
                color=tint,
            )
            for tint in (export_colour, import_colour)
        ]
        self.axes = axes
        # What no data changes: the years' axis, the frame, the legend (not the y axis and
        # its grid, which follow the values).
        from .matplotlib_drawing import StaticMarks

        self.static = StaticMarks([axes.xaxis, *axes.spines.values(), axes.get_legend()])

    def show(self, exports: list[float], imports: list[float]) -> None:
        """Put this department's series in the figure (every data-dependent artist is set)."""
        for line, values in zip(self.lines, (exports, imports)):
            line.set_data(self.years, values)
        top = max([*exports, *imports, 0.0])
        # From zero, so that the heights compare honestly; room above for the highest point.
        self.axes.set_ylim(0, top * 1.08 if top > 0 else 1.0)
        # Labels moved apart vertically when the two points are closer than a line of text.
        offsets = _label_offsets(exports[-1], imports[-1], self.axes.get_ylim()[1], self.axes_height, self.size * 1.15)
        for text, values, offset in zip(self.labels, (exports, imports), offsets):
            text.set_text(format_millions(values[-1] * 1e6))
            text.xy = (self.years[-1], values[-1])
            text.xyann = (5, offset)
