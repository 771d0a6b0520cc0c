"""The obvious route, done plainly: each chart a matplotlib figure -> SVG -> svglib -> ReportLab.

The honest peer of `factsheets render` for benchmarks/bench_peer.py. For each department
it draws the same eight charts as the sheet, with matplotlib:

- the balance bars (imports left, exports right, the balance under each country, green
  or red), the treemap (imports and exports blocks, top products + "Autres", squarified);
- the export and import Sankeys of the department, its region and France (ribbons as
  cubic Bezier patches, nodes as rectangles, labels with their values, column headers),
  at the same sizes and positions as the project's (`sankey_layout` gives the geometry:
  the peer is about the drawing route, not about the layout arithmetic);

each figure is saved as SVG with its text kept as text in the embedded Open Sans
(`svg.fonttype = none`), read back with svglib's `svg2rlg` into a ReportLab Drawing, and
the sheet is laid out by the very same `build_sheet` as the project's (same texts, same
eight pages). As the project does, the region and France charts are drawn once per region
(once per run for France) and reused by every sheet of that region.

The indicators are given to it free: they are computed before the clock starts. The
figures use `matplotlib.figure.Figure` directly (no pyplot state), and each is closed
after use. Nothing sleeps, nothing is repeated on purpose.

Run:   python benchmarks/peer_matplotlib.py --dept 02 --dept 60 --out /tmp/peer
Prints one JSON line on stdout: {"sheets": n, "render_seconds": ..., "render_cpu_seconds": ...,
"indicator_seconds": ...} (rendering wall and CPU time, and the untimed preparation).
Needs the `bench` extra (svglib): pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import sys
import time
from pathlib import Path

# svglib maps a CSS font-weight to a face; every weight is mapped explicitly, or svglib
# would ask fontconfig and silently pick some system font instead of the embedded one.
SVG_WEIGHTS = {
    "normal": "regular",
    "lighter": "regular",
    "100": "regular",
    "200": "regular",
    "300": "regular",
    "400": "regular",
    "500": "regular",
    "600": "semibold",
    "bold": "bold",
    "bolder": "bold",
    "700": "bold",
    "800": "bold",
    "900": "bold",
}
SVG_STYLES = ("normal", "italic", "oblique")
POINTS_PER_INCH = 72.0


def register_peer_fonts(settings):
    """The project's faces for ReportLab, plus svglib's and matplotlib's mappings onto the same TTFs."""
    from matplotlib import font_manager, rcParams
    from reportlab.pdfbase import pdfmetrics
    from svglib.fonts import get_global_font_map

    from factsheets.errors import FactsheetsError
    from factsheets.fonts import FACES, TaggedTTFont, font_files, register_pdf_fonts

    names = register_pdf_fonts(settings)
    files = font_files(settings)
    font_map = get_global_font_map()
    for weight, upright in SVG_WEIGHTS.items():
        for style in SVG_STYLES:
            face = upright if style == "normal" else ("bold_italic" if upright == "bold" else "italic")
            registered, _ = font_map.register_font(names.family, str(files[face]), weight, style, rlgFontName=names.face(face))
            if registered is None:
                raise FactsheetsError(f"{files[face]} : svglib n'a pas pu charger cette police")
    # svglib re-registered the files as plain TTFonts: the project's faces (distinct subset
    # tags) go back, and so does the bold/italic mapping of <b> and <i>.
    for face in FACES:
        pdfmetrics.registerFont(TaggedTTFont(names.face(face), str(files[face])))
    pdfmetrics.registerFontFamily(
        names.regular, normal=names.regular, bold=names.bold, italic=names.italic, boldItalic=names.bold_italic
    )
    known = {Path(entry.fname).resolve() for entry in font_manager.fontManager.ttflist}
    for face in FACES:
        if files[face].resolve() not in known:
            font_manager.fontManager.addfont(str(files[face]))
    rcParams["font.family"] = names.family
    rcParams["svg.fonttype"] = "none"  # text stays <text>, drawn by ReportLab in the embedded font
    return names


class PeerCharts:
    """The sheet's charts drawn with matplotlib, each turned into a ReportLab Drawing via SVG."""

    def __init__(self, settings):
        from factsheets.fonts import FontNames

        self.settings = settings
        self.hex = dataclasses.asdict(settings.colors)  # "#RRGGBB", as matplotlib takes them
        self.body_font = FontNames.from_settings(settings).regular
        self.labels = dataclasses.asdict(settings.charts.labels)

    # -- the route ---------------------------------------------------------------------
    def figure(self, width: float, height: float):
        from matplotlib.figure import Figure

        figure = Figure(figsize=(width / POINTS_PER_INCH, height / POINTS_PER_INCH), dpi=POINTS_PER_INCH)
        axes = figure.add_axes((0, 0, 1, 1))
        axes.set_xlim(0, width)
        axes.set_ylim(0, height)
        axes.set_axis_off()
        return figure, axes

    def to_drawing(self, figure):
        from svglib.svglib import svg2rlg

        svg = io.BytesIO()
        figure.savefig(svg, format="svg")
        figure.clear()
        svg.seek(0)
        drawing = svg2rlg(svg)
        drawing.initialFontName = self.body_font  # else renderPDF declares Helvetica, a font not embedded
        return drawing

    # -- chart 1: balance bars -----------------------------------------------------------
    def balance(self, countries) -> object:
        from factsheets.numbers import format_balance, format_millions

        options = dataclasses.asdict(self.settings.charts.balance)
        width, row, size = options["width"], options["row_height"], options["font_size"]
        header = 20.0
        height = header + row * max(len(countries), 1) + 2
        figure, axes = self.figure(width, height)
        centre, column = width / 2, 0.24 * width
        largest = max([max(c.import_eur, c.export_eur) for c in countries] + [1.0])
        scale = (centre - column / 2 - 40) / largest
        axes.text(
            centre - column / 2 - 2,
            height - 13,
            self.labels["balance_imports"],
            ha="right",
            fontsize=size,
            fontweight="semibold",
            color=self.hex["text"],
        )
        axes.text(
            centre + column / 2 + 2,
            height - 13,
            self.labels["balance_exports"],
            ha="left",
            fontsize=size,
            fontweight="semibold",
            color=self.hex["text"],
        )
        for index, country in enumerate(countries):
            y = height - header - (index + 0.5) * row
            imports, exports = country.import_eur * scale, country.export_eur * scale
            axes.barh(y, -imports, left=centre - column / 2, height=0.62 * row, color=self.hex["bar_imports"])
            axes.barh(y, exports, left=centre + column / 2, height=0.62 * row, color=self.hex["bar_exports"])
            axes.text(
                centre - column / 2 - imports - 3,
                y,
                format_millions(country.import_eur),
                ha="right",
                va="center",
                fontsize=size,
                color=self.hex["text"],
            )
            axes.text(
                centre + column / 2 + exports + 3,
                y,
                format_millions(country.export_eur),
                ha="left",
                va="center",
                fontsize=size,
                color=self.hex["text"],
            )
            axes.text(centre, y + 2, country.name, ha="center", va="bottom", fontsize=size, color=self.hex["text"])
            sign = "balance_positive" if country.balance_eur >= 0 else "balance_negative"
            axes.text(
                centre,
                y - 2,
                format_balance(country.balance_eur),
                ha="center",
                va="top",
                fontsize=size,
                fontweight="semibold",
                color=self.hex[sign],
            )
        return self.to_drawing(figure)

    # -- chart 2: treemap -----------------------------------------------------------------
    def treemap(self, imports, exports) -> object:
        import squarify
        from matplotlib.patches import Rectangle

        from factsheets.numbers import format_millions

        options = dataclasses.asdict(self.settings.charts.treemap)
        width, height, size = options["width"], options["height"], options["font_size"]
        figure, axes = self.figure(width, height)
        caption = 14.0
        total = imports.total_eur + exports.total_eur
        x = 0.0
        for summary, key, word in ((imports, "imports", "imports"), (exports, "exports", "exports")):
            if total <= 0 or summary.total_eur <= 0:
                continue
            block = width * summary.total_eur / total
            axes.text(
                x + block / 2,
                height - 10,
                f"{self.labels[word]} : {format_millions(summary.total_eur)} M€",
                ha="center",
                fontsize=size + 1,
                fontweight="bold",
                color=self.hex["text"],
            )
            items = [item for item in summary.products_with_other if item.value_eur > 0]
            sizes = squarify.normalize_sizes([item.value_eur for item in items], block, height - caption)
            for item, cell in zip(items, squarify.squarify(sizes, x, 0.0, block, height - caption)):
                axes.add_patch(
                    Rectangle(
                        (cell["x"], cell["y"]), cell["dx"], cell["dy"], facecolor=self.hex[key], edgecolor="white", linewidth=1
                    )
                )
                if cell["dx"] > 20 and cell["dy"] > 16:
                    axes.text(
                        cell["x"] + 3,
                        cell["y"] + cell["dy"] - 3,
                        f"{item.short_label or item.label}\n{format_millions(item.value_eur)}",
                        ha="left",
                        va="top",
                        fontsize=size,
                        color="white",
                        clip_on=True,
                    )
            x += block
        return self.to_drawing(figure)

    # -- charts 3 and 4: Sankeys ----------------------------------------------------------
    def sankey(self, summary, size: str = "department") -> object:
        from matplotlib.patches import PathPatch, Rectangle
        from matplotlib.path import Path as MplPath

        from factsheets.charts.sankey import sankey_layout, sankey_size

        layout = sankey_layout(summary, self.settings, size)
        dims = sankey_size(self.settings, size)
        figure, axes = self.figure(layout.width, layout.height)
        font = layout.font_size
        x0, x1 = layout.left_x + layout.node_width, layout.right_x
        mid = (x0 + x1) / 2
        codes = [
            MplPath.MOVETO,
            MplPath.CURVE4,
            MplPath.CURVE4,
            MplPath.CURVE4,
            MplPath.LINETO,
            MplPath.CURVE4,
            MplPath.CURVE4,
            MplPath.CURVE4,
            MplPath.CLOSEPOLY,
        ]
        for ribbon in sorted(layout.ribbons, key=lambda r: (r.highlighted, -r.width)):
            (s_low, s_high), (t_low, t_high) = ribbon.source, ribbon.target
            vertices = [
                (x0, s_high),
                (mid, s_high),
                (mid, t_high),
                (x1, t_high),
                (x1, t_low),
                (mid, t_low),
                (mid, s_low),
                (x0, s_low),
                (x0, s_high),
            ]
            colour, alpha = (
                (self.hex["sankey_highlight"], dims.highlight_alpha)
                if ribbon.highlighted
                else (self.hex["sankey_link"], dims.link_alpha)
            )
            axes.add_patch(PathPatch(MplPath(vertices, codes), facecolor=colour, alpha=alpha, linewidth=0))
        for node in layout.nodes:
            fill = self.hex["sankey_other_node"] if node.item.is_other else self.hex["sankey_node"]
            axes.add_patch(Rectangle((node.x, node.y0), layout.node_width, node.height, facecolor=fill, linewidth=0))
        for item in layout.labels:
            node = item.node
            left = node.side == "left"
            x = node.x - item.gap if left else node.x + layout.node_width + item.gap
            text = f"{item.name} {item.value}"
            axes.text(x, item.centre_y, text, ha="right" if left else "left", va="center", fontsize=font, color=self.hex["text"])
            if item.moved:
                end = x + 1 if left else x - 1
                start = node.x - 1 if left else node.x + layout.node_width + 1
                axes.plot([start, end], [node.centre, item.centre_y], color=self.hex["muted"], linewidth=0.4)
        top = layout.height - 0.94 * font
        axes.text(
            layout.left_x - 4, top, layout.headers[0], ha="right", fontsize=font, fontweight="semibold", color=self.hex["muted"]
        )
        axes.text(
            layout.right_x + layout.node_width + 4,
            top,
            layout.headers[1],
            ha="left",
            fontsize=font,
            fontweight="semibold",
            color=self.hex["muted"],
        )
        return self.to_drawing(figure)


class PeerRenderer:
    """One sheet = eight matplotlib charts through SVG and svglib, laid out by the project's build_sheet."""

    def __init__(self, settings, texts: dict, fonts):
        self.settings, self.texts, self.fonts = settings, texts, fonts
        self.charts = PeerCharts(settings)
        self._areas: dict[tuple[str, str], tuple] = {}

    def _area(self, area, size: str = "region") -> tuple:
        key = (area.level, area.territory.code, size)
        if key not in self._areas:  # once per region, once for France (per size): as the project does
            self._areas[key] = (self.charts.sankey(area.exports, size), self.charts.sankey(area.imports, size))
        return self._areas[key]

    def evolution(self, ind):
        """render --evolution: the project's matplotlib figure, built afresh and taken through SVG and svglib."""
        from factsheets.charts import evolution as chart_module

        if ind.evolution is None or not ind.evolution.has_history:
            return None
        years, exports, imports = chart_module.evolution_series(ind.evolution)
        chart_module._CHARTS.clear()  # the obvious route: one figure per chart
        chart = chart_module._chart(self.settings, tuple(years))
        chart.show(exports, imports)
        return self.charts.to_drawing(chart.figure)

    def sheet(self, ind, synthetic: bool, evolution: bool = False) -> bytes:
        from factsheets.charts.registry import SHEET_CHARTS, SheetCharts
        from factsheets.layout import Logos, build_sheet

        # The sheet's charts from the project's registry: the same ones, at the same sizes.
        drawn = {}
        for spec in SHEET_CHARTS:
            if not spec.shown(ind, evolution):
                continue
            if spec.kind == "balance":
                drawn[spec.key] = self.charts.balance(ind.balance_countries)
            elif spec.kind == "treemap":
                drawn[spec.key] = self.charts.treemap(ind.local.imports, ind.local.exports)
            elif spec.kind == "sankey" and spec.level == "department":
                drawn[spec.key] = self.charts.sankey(spec.summary(ind))
            elif spec.kind == "sankey":
                exports, imports = self._area(ind.region_flows if spec.level == "region" else ind.nation_flows, spec.size(ind))
                drawn[spec.key] = exports if spec.flow == "export" else imports
            else:
                drawn[spec.key] = self.evolution(ind)
        charts = SheetCharts(**drawn)
        return build_sheet(ind, charts, self.texts, self.fonts, self.settings, Logos(), synthetic)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="matplotlib -> SVG -> svglib -> ReportLab: the peer of render")
    parser.add_argument("--dept", action="append", required=True, help="department code (repeatable)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the PDFs")
    parser.add_argument("--evolution", action="store_true", help="add the evolution page, as render --evolution")
    parser.add_argument("--annexe", choices=("xlsx", "csv"), help="write the annex next to each PDF, as render --annexe")
    args = parser.parse_args(argv)

    from factsheets.annex import Annexes
    from factsheets.config import settings, texts
    from factsheets.paths import SAMPLE_DATA
    from factsheets.render import SheetRenderer, sheet_filename

    # Free for the peer: data loaded, indicators of every department computed, fonts set up.
    started = time.perf_counter()
    data = SheetRenderer(SAMPLE_DATA, None, args.dept)
    config, words = settings(), texts()
    fonts = register_peer_fonts(config)
    renderer = PeerRenderer(config, words, fonts)
    annexes = Annexes(words, args.annexe) if args.annexe else None
    ordered = sorted(data.indicators, key=lambda code: (data.reference.department(code)[2], code))
    indicator_seconds = time.perf_counter() - started

    args.out.mkdir(parents=True, exist_ok=True)
    clock, cpu = time.perf_counter(), time.process_time()
    for code in ordered:
        ind = data.indicators[code]
        path = args.out / sheet_filename(ind.year, ind.department.code, ind.department.name)
        path.write_bytes(renderer.sheet(ind, data.synthetic, args.evolution))
        if args.annexe:  # the annex is data, not drawing: the peer writes it with the project's own code
            annexes.write(data.sheet_content(ind, data.synthetic), path)
    render_seconds, render_cpu = time.perf_counter() - clock, time.process_time() - cpu
    print(
        json.dumps(
            {
                "sheets": len(ordered),
                "render_seconds": render_seconds,
                "render_cpu_seconds": render_cpu,
                "indicator_seconds": indicator_seconds,
            }
        )
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
