"""A Typst peer of `factsheets render`: the same eight pages as a Typst document, one compiler reused.

The second peer of benchmarks/bench_peer.py (issue 24, SPEC section 15), the one a rewrite
would most likely take. For each department it writes a Typst source of the sheet and
compiles it to PDF with the `typst` Python package (Typst itself, in Rust):

- the same texts, pages and breaks: the project's content model of the sheet
  (factsheets.content: config/texts.yaml, the edition of the sheet's year, every value
  filled), mapped block by block as factsheets.layout maps it, with its spacing (cover,
  context, balance and treemap, exports, comparison, imports, comparison, practical
  information), the same styles (sizes, weights, colours, leading, justified body text
  hyphenated in French), the same footer on every page (rule, source, page number);
- the same Open Sans faces from fonts/ (system fonts ignored), embedded as subsets;
- the same charts as vector shapes at the same places: the layout numbers are the
  project's (the balance and treemap Drawings and the Sankey marks are built by the
  project's chart functions, inside the timed loop as the sheet builds them), and each
  rectangle, ribbon (two cubic Beziers, as Typst `curve`), rule and label is written as a
  Typst drawing command, placed on the page like ReportLab places it. Region and France
  charts are computed once per region / per run, as the project does; their Typst text is
  reused too.

The indicators are given to it free (computed before the clock starts). One
`typst.Compiler` is made before the clock and reused for every sheet: the sheet's source
is rewritten in its folder and compiled again (Typst's own caches stay warm across sheets).
Typst writes a tagged PDF by default (as 0.14 does): kept, it is what a rewrite would ship.

Run:   python benchmarks/peer_typst.py --dept 02 --dept 60 --out /tmp/typst
Prints one JSON line on stdout: {"sheets": n, "render_seconds": ..., "render_cpu_seconds": ...,
"indicator_seconds": ...}. Needs the `bench` extra (typst): pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import dataclasses
import html.parser
import json
import sys
import tempfile
import time
from pathlib import Path

A4_WIDTH, A4_HEIGHT = 595.2755905511812, 841.8897637795277
MM = 72 / 25.4
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 20 * MM, 18 * MM, 22 * MM
FRAME_WIDTH = A4_WIDTH - 2 * MARGIN_X
FRAME_HEIGHT = A4_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
# Height kept for the texts of a flow page and of its comparison page (headings, totals,
# paragraphs), the rest for the charts, which shrink to fit as the sheet's FittedDrawing does.
LOCAL_TEXTS, COMPARED_TEXTS, BALANCE_TEXTS = 290.0, 240.0, 330.0
TREEMAP_MIN_HEIGHT_SHARE = 0.6
FOOTER_LOWEST_BASELINE, FOOTER_LINE_GAP, FOOTER_RULE_ABOVE = 11.5 * MM, 3.8 * MM, 3.2 * MM


def num(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") or "0"


def pt(value: float) -> str:
    return num(value) + "pt"


def string(text: str) -> str:
    """A Typst string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def rgb(colour, opacity: float = 1.0) -> str:
    """A ReportLab Color (or "#RRGGBB") as a Typst rgb()."""
    if isinstance(colour, str):
        colour = colour.lstrip("#")
        red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4))
    else:
        red, green, blue = colour.red, colour.green, colour.blue
    alpha = opacity * getattr(colour, "alpha", 1.0) if not isinstance(colour, str) else opacity
    parts = [f"{num(100 * c)}%" for c in (red, green, blue)]
    if alpha < 1:
        parts.append(f"{num(100 * alpha)}%")
    return f"rgb({', '.join(parts)})"


class Faces:
    """ReportLab face names -> Typst text arguments (the same TTF files, by family and weight)."""

    def __init__(self, names):
        self.args = {
            names.regular: 'weight: 400, style: "normal"',
            names.bold: 'weight: 700, style: "normal"',
            names.semibold: 'weight: 600, style: "normal"',
            names.italic: 'weight: 400, style: "italic"',
            names.bold_italic: 'weight: 700, style: "italic"',
        }

    def text(self, face: str, size: float, fill, value: str) -> str:
        return f"text({self.args[face]}, size: {pt(size)}, fill: {rgb(fill)}, {string(value)})"


class _Markup(html.parser.HTMLParser):
    """The texts' ReportLab markup (<b>, <i>, <u>, <br/>, <a href color>) as Typst content code."""

    def __init__(self, bold_weight: int = 700):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.closers: list[str] = []
        self.bold_weight = bold_weight

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "br":
            self.out.append("#linebreak()")
        elif tag == "b":
            self.out.append(f"#text(weight: {self.bold_weight})[")
            self.closers.append("]")
        elif tag == "i":
            self.out.append('#text(style: "italic")[')
            self.closers.append("]")
        elif tag == "u":
            self.out.append("#underline[")
            self.closers.append("]")
        elif tag == "a":
            colour = attrs.get("color")
            fill = f"#text(fill: {rgb(colour)})[" if colour else "#["
            self.out.append(f"#link({string(attrs.get('href', ''))})[{fill}")
            self.closers.append("]]")
        else:
            self.closers.append("")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag != "br":
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag != "br" and self.closers:
            self.out.append(self.closers.pop())

    def handle_data(self, data):
        if data:
            self.out.append(f"#{string(data)}")


def content(markup: str) -> str:
    """Typst markup for one paragraph's ReportLab markup."""
    parser = _Markup()
    parser.feed(markup)
    parser.close()
    return "".join(parser.out) + "".join(reversed(parser.closers))


# -- charts as Typst drawing commands -------------------------------------------------------
class ChartWriter:
    """A chart (ReportLab Drawing or the project's CanvasChart marks) as a Typst box of placed shapes."""

    def __init__(self, faces: Faces):
        self.faces = faces

    def box(self, width: float, height: float, body: list[str], scale: float = 1.0) -> str:
        inner = f"box(width: {pt(width)}, height: {pt(height)}, {{\n" + "\n".join(body) + "\n})"
        if scale != 1.0:
            inner = f"scale({num(100 * scale)}%, reflow: true, {inner})"
        return f"#align(center, {inner})"

    def text(self, x: float, y: float, height: float, value: str, face: str, size: float, fill) -> str:
        # Typst places a box by its top edge: with the top edge at the baseline, dy is the baseline.
        return (
            f"place(dx: {pt(x)}, dy: {pt(height - y)}, "
            f'{{set text(top-edge: "baseline"); {self.faces.text(face, size, fill, value)}}})'
        )

    @staticmethod
    def rect(
        x: float, y: float, width: float, height: float, chart_height: float, fill, stroke=None, stroke_width: float = 0.0
    ) -> str:
        outline = f", stroke: {pt(stroke_width)} + {rgb(stroke)}" if stroke is not None and stroke_width else ""
        return (
            f"place(dx: {pt(x)}, dy: {pt(chart_height - y - height)}, "
            f"rect(width: {pt(width)}, height: {pt(height)}, fill: {rgb(fill) if fill is not None else 'none'}{outline}))"
        )

    @staticmethod
    def line(x1, y1, x2, y2, height, stroke, width) -> str:
        return (
            f"place(line(start: ({pt(x1)}, {pt(height - y1)}), end: ({pt(x2)}, {pt(height - y2)}), "
            f"stroke: {pt(width)} + {rgb(stroke)}))"
        )

    @staticmethod
    def ribbon(x0, x1, source, target, height, fill, opacity) -> str:
        mid = (x0 + x1) / 2
        (s_low, s_high), (t_low, t_high) = source, target

        def p(x, y):
            return f"({pt(x)}, {pt(height - y)})"

        return (
            f"place(curve(fill: {rgb(fill, opacity)}, curve.move({p(x0, s_high)}), "
            f"curve.cubic({p(mid, s_high)}, {p(mid, t_high)}, {p(x1, t_high)}), curve.line({p(x1, t_low)}), "
            f"curve.cubic({p(mid, t_low)}, {p(mid, s_low)}, {p(x0, s_low)}), curve.close()))"
        )

    def marks(self, chart, scale: float = 1.0) -> str:
        """A CanvasChart (the Sankeys): ribbons, rectangles and lines first, then the texts, as the project draws them."""
        from factsheets.charts.vector import LineMark, RectMark, RibbonMark, TextMark

        h = chart.height
        shapes, texts = [], []
        for m in chart.marks:
            if isinstance(m, RibbonMark):
                shapes.append(self.ribbon(m.x0, m.x1, m.source, m.target, h, m.fill, m.opacity))
            elif isinstance(m, RectMark):
                shapes.append(self.rect(m.x, m.y, m.width, m.height, h, m.fill))
            elif isinstance(m, LineMark):
                shapes.append(self.line(m.x1, m.y1, m.x2, m.y2, h, m.stroke, m.width))
            elif isinstance(m, TextMark):
                texts.append(self.text(m.x, m.y, h, m.text, m.font.name, m.font.size, m.fill))
        return self.box(chart.width, h, shapes + texts, scale)

    def drawing(self, drawing, scale: float = 1.0) -> str:
        """A ReportLab Drawing (the balance bars, the treemap), walked with its groups' transforms."""
        from reportlab.graphics.shapes import Group, Line, Path, Polygon, Rect, String
        from reportlab.pdfbase.pdfmetrics import stringWidth

        h = drawing.height
        body: list[str] = []

        def walk(node, matrix):
            for child in node.contents:
                if isinstance(child, Group):
                    a, b, c, d, e, f = getattr(child, "transform", (1, 0, 0, 1, 0, 0))
                    ma, mb, mc, md, me, mf = matrix
                    walk(
                        child,
                        (
                            ma * a + mc * b,
                            mb * a + md * b,
                            ma * c + mc * d,
                            mb * c + md * d,
                            ma * e + mc * f + me,
                            mb * e + md * f + mf,
                        ),
                    )
                    continue
                sx, sy, tx, ty = matrix[0], matrix[3], matrix[4], matrix[5]
                if isinstance(child, Rect):
                    body.append(
                        self.rect(
                            tx + sx * child.x,
                            ty + sy * child.y,
                            sx * child.width,
                            sy * child.height,
                            h,
                            child.fillColor,
                            child.strokeColor,
                            child.strokeWidth or 0,
                        )
                    )
                elif isinstance(child, Line):
                    body.append(
                        self.line(
                            tx + sx * child.x1,
                            ty + sy * child.y1,
                            tx + sx * child.x2,
                            ty + sy * child.y2,
                            h,
                            child.strokeColor,
                            child.strokeWidth,
                        )
                    )
                elif isinstance(child, String):
                    x = child.x
                    anchor = getattr(child, "textAnchor", "start")
                    if anchor in ("middle", "end"):
                        width = stringWidth(child.text, child.fontName, child.fontSize)
                        x -= width / 2 if anchor == "middle" else width
                    body.append(
                        self.text(
                            tx + sx * x, ty + sy * child.y, h, child.text, child.fontName, child.fontSize * sy, child.fillColor
                        )
                    )
                elif isinstance(child, (Path, Polygon)):
                    points = child.points
                    pairs = [(tx + sx * points[i], h - (ty + sy * points[i + 1])) for i in range(0, len(points), 2)]
                    vertices = ", ".join(f"({pt(x)}, {pt(y)})" for x, y in pairs)
                    body.append(f"place(polygon(fill: {rgb(child.fillColor)}, {vertices}))")

        walk(drawing, (1, 0, 0, 1, 0, 0))
        return self.box(drawing.width, h, body, scale)


# -- the sheet ----------------------------------------------------------------------------------
class TypstSheets:
    """Typst sources of the sheets and their compilation by one reused compiler."""

    def __init__(self, settings, texts: dict, fonts, folder: Path):
        import typst

        from factsheets.fonts import font_files

        self.settings, self.texts, self.fonts = settings, texts, fonts
        self.faces = Faces(fonts)
        self.charts = ChartWriter(self.faces)
        self.palette = dataclasses.asdict(settings.colors)
        self.folder = folder
        self.source = folder / "sheet.typ"
        self.source.write_text("", encoding="utf-8")
        font_folders = sorted({str(path.parent) for path in font_files(settings).values()})
        self.compiler = typst.Compiler(str(self.source), font_paths=font_folders, ignore_system_fonts=True)
        self._area: dict[tuple, tuple[str, str]] = {}
        self.preamble = self._preamble()

    def _preamble(self) -> str:
        c = self.palette
        pdf = self.settings.pdf
        return "\n".join(
            [
                f"#set document(author: {string(pdf.author or 'factsheets')})",
                f'#set page(paper: "a4", margin: (left: {pt(MARGIN_X)}, right: {pt(MARGIN_X)}, top: {pt(MARGIN_TOP)}, '
                f"bottom: {pt(MARGIN_BOTTOM)}))",
                # ReportLab's leading is baseline to baseline: a line box of 1 em plus the gap.
                f'#set text(font: "Open Sans", size: 10pt, lang: "fr", fill: {rgb(c["text"])}, hyphenate: true, '
                'top-edge: 1em, bottom-edge: "baseline")',
                "#set par(justify: true, leading: 4.2pt, spacing: 7pt)",
                "#set list(indent: 0pt, body-indent: 8pt, spacing: 3pt, marker: [•])",
                "#set underline(offset: 1.5pt)",
            ]
        )

    # -- blocks: the sheet's content model (factsheets.content), mapped as layout.py maps it --
    def spans(self, spans) -> str:
        """Typst content of spans: plain, bold or a link (underlined, in the title colour)."""
        out = []
        for span in spans:
            text = f"#{string(span.text)}" if span.text else ""
            if span.bold:
                text = f"#text(weight: 700)[{text}]"
            if span.url:
                text = f"#link({string(span.url)})[#text(fill: {rgb(self.palette['title'])})[#underline[{text}]]]"
            out.append(text)
        return "".join(out)

    def para(self, spans, style: str = "body") -> str:
        return self._block(self.spans(spans), style)

    def _block(self, body: str, style: str) -> str:
        c = self.palette
        styles = {
            "body": "",
            "bullet": "",
            "title": f"#set text(size: 26pt, weight: 700, fill: {rgb(c['title'])}, hyphenate: false); "
            "#set par(justify: false, leading: 5pt)",
            "subtitle": "#set text(size: 16pt, weight: 600, hyphenate: false); #set par(justify: false, leading: 4pt)",
            "h1": f"#set text(size: 19pt, weight: 700, fill: {rgb(c['title'])}, hyphenate: false); "
            "#set par(justify: false, leading: 4pt)",
            "h2": f"#set text(size: 13pt, weight: 700, fill: {rgb(c['title'])}, hyphenate: false); "
            "#set par(justify: false, leading: 4pt)",
            "chart_title": "#set text(size: 11pt, weight: 700); #set align(center); #set par(leading: 3pt)",
            "total": f"#set text(size: 11.5pt, weight: 700, fill: {rgb(c['title'])}); #set align(center); "
            "#set par(leading: 3.5pt)",
            "share": "#set align(center); #set par(leading: 3.5pt)",
            "government": "#set text(size: 12pt, weight: 700)",
            "motto": '#set text(size: 9pt, style: "italic"); #set par(leading: 1.5pt)',
            "agency": "#set text(size: 10pt, weight: 600); #set align(right); #set par(leading: 2pt)",
        }
        above = {"title": 30, "h2": 8, "chart_title": 6, "total": 4}.get(style)
        below = {"title": 10, "subtitle": 26, "h1": 12, "h2": 6, "chart_title": 6}.get(style)
        spacing = ""
        if above is not None or below is not None:
            spacing = f"above: {pt(above or 7)}, below: {pt(below or 7)}, "
        sticky = "sticky: true, " if style in ("h1", "h2", "chart_title") else ""
        return f"#block({spacing}{sticky}width: 100%)[{styles[style]}\n{body}]"

    def block(self, block, page_key: str, charts: dict[str, str]) -> list[str]:
        from factsheets.content import BulletList, Figure, Heading, Paragraph
        from factsheets.layout import COVER_HEADING_STYLES, HEADING_STYLES, PARAGRAPH_STYLES

        if isinstance(block, Heading):
            styles = COVER_HEADING_STYLES if page_key == "cover" else HEADING_STYLES
            return [self.para(block.spans, styles[block.level])]
        if isinstance(block, Paragraph):
            return [self.para(block.spans, PARAGRAPH_STYLES[block.role])]
        if isinstance(block, BulletList):
            return ["\n".join(f"- {self.spans(item)}" for item in block.items)]
        if isinstance(block, Figure):
            return [*([self.para(block.title, "chart_title")] if block.title else []), charts[block.key]]
        raise TypeError(f"no Typst for the block {type(block).__name__}")

    def page(self, page, charts: dict[str, str]) -> list[str]:
        """The page's blocks with the sheet's own space between them (layout.GAPS)."""
        from factsheets.layout import _gap

        out = self.letterhead() if page.key == "cover" else []
        previous = None
        for block in page.blocks:
            gap = _gap(page.key, previous, block)
            if gap:
                out.append(f"#v({pt(gap)})")
            out += self.block(block, page.key, charts)
            previous = block
        return out

    def letterhead(self) -> list[str]:
        from xml.sax.saxutils import escape

        t = self.texts["cover"]
        government = (
            self._block(content(escape(t["government"])), "government")
            + "\n#v(3pt)\n"
            + self._block(content("<br/>".join(escape(line) for line in t["motto"])), "motto")
        )
        agency = self._block(content("<br/>".join(escape(line) for line in t["agency"])), "agency")
        return [f"#grid(columns: (1fr, 1fr), [{government}], [{agency}])", f"#v({pt(40 * MM)})"]

    def footer(self, sheet) -> str:
        c = self.palette
        synthetic = sheet.synthetic_notice is not None
        source_y = FOOTER_LOWEST_BASELINE + (FOOTER_LINE_GAP if synthetic else 0.0)
        rule_y = source_y + FOOTER_RULE_ABOVE

        # The footer's box starts at the bottom margin's top; positions from the page bottom.
        def dy(y):
            return pt(MARGIN_BOTTOM - y)

        before, _, after = sheet.footer_page.partition("{page}")
        parts = [
            f"place(dy: {dy(rule_y)}, line(length: 100%, stroke: 0.5pt + {rgb(c['rule'])}))",
            f'place(dy: {dy(source_y)}, {{set text(size: 7.5pt, fill: {rgb(c["muted"])}, top-edge: "baseline"); '
            f"{string(sheet.footer_source)}}})",
            f'place(right, dy: {dy(source_y)}, {{set text(size: 7.5pt, fill: {rgb(c["muted"])}, top-edge: "baseline"); '
            f"[#{string(before)}#counter(page).display()#{string(after)}]}})",
        ]
        if synthetic:
            parts.append(
                f"place(dy: {dy(FOOTER_LOWEST_BASELINE)}, {{set text(size: 7.5pt, fill: {rgb(c['accent'])}, "
                f'top-edge: "baseline"); {string(sheet.synthetic_notice)}}})'
            )
        return "#set page(footer-descent: 0pt, footer: context {\n" + "\n".join(parts) + "\n})"

    def _area_chart(self, spec, ind) -> tuple:
        """A region's or France's Sankey with its Typst text, made once per area, flow and size."""
        from factsheets.charts import sankey_marks
        from factsheets.charts.registry import area_flows

        size = spec.size(ind)
        key = (spec.level, area_flows(ind, spec.level).territory.code, spec.flow, size)
        if key not in self._area:
            chart = sankey_marks(spec.summary(ind), self.settings, size=size)
            self._area[key] = (chart, self.charts.marks(chart, min(1.0, FRAME_WIDTH / chart.width)))
        return self._area[key]

    def source_text(self, ind, synthetic: bool, year_texts: dict) -> str:
        from factsheets.charts import balance_chart, sankey_marks, treemap_chart
        from factsheets.charts.registry import SHEET_CHARTS, SheetCharts
        from factsheets.content import build_content

        # The sheet's charts from the project's registry (the peer has no evolution page).
        drawn, areas = {}, {}
        for spec in SHEET_CHARTS:
            if spec.kind == "evolution" or not spec.shown(ind):
                continue
            if spec.kind == "balance":
                drawn[spec.key] = balance_chart(ind.balance_countries, self.settings)
            elif spec.kind == "treemap":
                drawn[spec.key] = treemap_chart(ind.local.imports, ind.local.exports, self.settings)
            elif spec.level == "department":
                drawn[spec.key] = sankey_marks(spec.summary(ind), self.settings)
            else:
                areas[spec.key] = self._area_chart(spec, ind)
                drawn[spec.key] = areas[spec.key][0]
        balance, treemap = drawn["balance"], drawn["treemap"]
        room = FRAME_HEIGHT - BALANCE_TEXTS - balance.height
        if treemap.height > room:  # redrawn lower, as the sheet's HeightFittedChart does
            treemap = drawn["treemap"] = treemap_chart(
                ind.local.imports, ind.local.exports, self.settings, height=max(room, treemap.height * TREEMAP_MIN_HEIGHT_SHARE)
            )
        charts = SheetCharts(**drawn)
        sheet = build_content(ind, charts, year_texts, synthetic)
        texts = {
            "balance": self.charts.drawing(balance, min(1.0, FRAME_WIDTH / balance.width)),
            "treemap": self.charts.drawing(
                treemap, min(1.0, FRAME_WIDTH / treemap.width, (FRAME_HEIGHT - BALANCE_TEXTS - balance.height) / treemap.height)
            ),
        }
        for flow in ("export", "import"):
            local = drawn[f"{flow}_sankey"]
            texts[f"{flow}_sankey"] = self.charts.marks(
                local, min(1.0, FRAME_WIDTH / local.width, (FRAME_HEIGHT - LOCAL_TEXTS) / local.height)
            )
            absent = (None, "")
            compared = self._compared(areas.get(f"region_{flow}_sankey", absent), areas.get(f"nation_{flow}_sankey", absent))
            texts[f"region_{flow}_sankey"], texts[f"nation_{flow}_sankey"] = compared
        parts = [
            self.preamble,
            f"#set document(title: {string(sheet.title)}, description: {string(sheet.subject)})",
            self.footer(sheet),
        ]
        for index, page in enumerate(sheet.pages):
            if index:
                parts.append("#pagebreak()")
            parts += self.page(page, texts)
        return "\n".join(parts) + "\n"

    def _compared(self, *areas) -> list[str]:
        """The comparison page's charts (the region's, France's), shrunk together to fit the page as FittedStack does."""
        shown = [chart for chart, _ in areas if chart is not None]
        if not shown:
            return ["" for _ in areas]
        room = FRAME_HEIGHT - COMPARED_TEXTS
        scale = min(1.0, *(FRAME_WIDTH / chart.width for chart in shown), room / sum(chart.height for chart in shown))
        return ["" if chart is None else self.charts.marks(chart, scale) if scale < 1.0 else text for chart, text in areas]

    def sheet(self, ind, synthetic: bool, year_texts: dict) -> bytes:
        self.source.write_text(self.source_text(ind, synthetic, year_texts), encoding="utf-8")
        return self.compiler.compile(format="pdf")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Typst, one reused compiler: the second peer of render")
    parser.add_argument("--dept", action="append", required=True, help="department code (repeatable)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the PDFs")
    parser.add_argument("--keep-source", action="store_true", help="also write each sheet's .typ next to its PDF")
    args = parser.parse_args(argv)

    from factsheets.config import settings, sheet_texts, texts
    from factsheets.fonts import register_pdf_fonts
    from factsheets.paths import SAMPLE_DATA
    from factsheets.render import SheetRenderer, sheet_filename

    # Free for the peer: data loaded, indicators of every department computed, fonts set up.
    started = time.perf_counter()
    data = SheetRenderer(SAMPLE_DATA, None, args.dept, history=False)
    config, words = settings(), texts()
    fonts = register_pdf_fonts(config)
    ordered = sorted(data.indicators, key=lambda code: (data.reference.department(code)[2], code))
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="peer-typst-") as folder:
        sheets = TypstSheets(config, words, fonts, Path(folder))
        year_texts = {year: sheet_texts(year, words) for year in {ind.year for ind in data.indicators.values()}}
        indicator_seconds = time.perf_counter() - started

        clock, cpu = time.perf_counter(), time.process_time()
        for code in ordered:
            ind = data.indicators[code]
            path = args.out / sheet_filename(ind.year, ind.department.code, ind.department.name)
            path.write_bytes(sheets.sheet(ind, data.synthetic, year_texts[ind.year]))
            if args.keep_source:
                path.with_suffix(".typ").write_text(sheets.source.read_text(encoding="utf-8"), encoding="utf-8")
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
