"""Render the charts of some departments from real indicators, as PDF and PNG, and time them.

Run: python benchmarks/preview_charts.py 59 48 [--data PATH] [--year 2024] [--out DIR] [--dpi 150]

Each department gets DIR/CODE.pdf with one page per chart at print size (1 pt = 1 pt on
the sheet): the balance bars, the treemap, the export and import Sankeys of the department,
then those of its region and of France (the smaller "region" size). When poppler's
`pdftoppm` is on the PATH, every page is also written as DIR/CODE-N-KIND.png, e.g.
59-1-balance.png, 59-5-region-export.png, 59-8-france-import.png, to look at.
Prints, per chart kind, the median time to build the Drawing (ms) over all departments.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Drawing
from reportlab.pdfgen.canvas import Canvas

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from factsheets.charts import balance_chart, sankey_chart, treemap_chart  # noqa: E402
from factsheets.config import settings as load_settings  # noqa: E402
from factsheets.fonts import FontNames, register_fonts  # noqa: E402
from factsheets.indicators import compute_indicators  # noqa: E402
from factsheets.paths import SAMPLE_DATA  # noqa: E402
from factsheets.reference import load_reference  # noqa: E402
from factsheets.validate import choose_year, load_trade_data  # noqa: E402

MARGIN = 24.0
PAGE_KINDS = ("balance", "treemap", "export", "import", "region-export", "region-import", "france-export", "france-import")


def timed(times: dict[str, list[float]], kind: str, build: Callable[[], Drawing]) -> Drawing:
    started = time.perf_counter()
    drawing = build()
    times[kind].append((time.perf_counter() - started) * 1000)
    return drawing


def write_pdf(path: Path, pages: list[tuple[str, Drawing]], fonts: FontNames) -> None:
    canvas = Canvas(str(path), invariant=1, initialFontName=fonts.regular)
    for title, drawing in pages:
        canvas.setPageSize((drawing.width + 2 * MARGIN, drawing.height + 2 * MARGIN + 16))
        canvas.setFont(fonts.bold, 9)
        canvas.drawString(MARGIN, drawing.height + MARGIN + 8, title)
        renderPDF.draw(drawing, canvas, MARGIN, MARGIN)
        canvas.showPage()
    canvas.save()


def write_pngs(pdf: Path, code: str, dpi: int) -> list[Path]:
    """One PNG per page of `pdf`, named after the chart it shows; nothing when poppler is absent."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        return []
    written = []
    for number, kind in enumerate(PAGE_KINDS, start=1):
        stem = pdf.parent / f"{code}-{number}-{kind}"
        subprocess.run(
            [pdftoppm, "-r", str(dpi), "-png", "-singlefile", "-f", str(number), "-l", str(number), str(pdf), str(stem)],
            check=True,
        )
        written.append(stem.with_suffix(".png"))
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("departments", nargs="+", help="INSEE department codes, e.g. 02 60 2A")
    parser.add_argument("--data", type=Path, default=SAMPLE_DATA)
    parser.add_argument("--year", type=int, default=None)
    parser.add_argument("--out", type=Path, default=Path("output/chart-previews"))
    parser.add_argument("--dpi", type=int, default=150, help="PNG resolution (pdftoppm -r)")
    args = parser.parse_args()

    settings = load_settings()
    fonts = register_fonts(settings)
    reference = load_reference()
    trade = load_trade_data(args.data, reference)
    year = choose_year(trade, args.year, args.data)
    args.out.mkdir(parents=True, exist_ok=True)
    times: dict[str, list[float]] = defaultdict(list)

    for code in args.departments:
        ind = compute_indicators(trade, reference, settings, code, year)
        name, region, nation = ind.department.name, ind.region.name, ind.nation_flows.territory.name
        local = ind.local
        pages = [
            (f"Balance — {name}", timed(times, "balance", lambda: balance_chart(ind.balance_countries, settings))),
            (f"Treemap — {name}", timed(times, "treemap", lambda: treemap_chart(local.imports, local.exports, settings))),
            (f"Exportations — {name}", timed(times, "sankey", lambda: sankey_chart(local.exports, settings))),
            (f"Importations — {name}", timed(times, "sankey", lambda: sankey_chart(local.imports, settings))),
        ]
        for area, label in ((ind.region_flows, region), (ind.nation_flows, nation)):
            for flow, summary in (("Exportations", area.exports), ("Importations", area.imports)):
                drawing = timed(times, "sankey (region size)", lambda: sankey_chart(summary, settings, size="region"))
                pages.append((f"{flow} — {label}", drawing))
        path = args.out / f"{code}.pdf"
        write_pdf(path, pages, fonts)
        print(path)
        for png in write_pngs(path, code, args.dpi):
            print(png)

    for kind, values in times.items():
        print(
            f"{kind:22s} median {statistics.median(values):6.2f} ms  max {max(values):6.2f} ms  (n={len(values)})",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
