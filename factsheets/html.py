"""The sheet as an accessible web page (render --html), and the campaign's index.html.

The page maps the sheet's content model (factsheets.content) block by block, as the PDF
layout does: headings, paragraphs, lists, figures, tables. Each chart is inline SVG written
from the very marks the PDF draws (charts.vector marks, the matplotlib figure's marks, or
the shapes of a ReportLab drawing), with `<title>` and `<desc>` (its alternative text),
followed by the table of its figures. No external request: styles are in the page, the
fonts are files next to it (`polices/`, written once per output folder).

Same content, same bytes: nothing here depends on the time, the machine or a random id.
"""

from __future__ import annotations

import functools
import math
import weakref
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path

from reportlab.graphics.shapes import Circle, Group, Line, Polygon, PolyLine, Rect, String
from reportlab.graphics.shapes import Path as ShapePath
from reportlab.lib.colors import Color
from reportlab.lib.rl_accel import fp_str

from .charts import vector
from .charts.registry import DrawingChart, as_chart
from .content import BulletList, DataTable, Figure, Heading, Paragraph, SheetContent, Span
from .files import write_atomically
from .fonts import FACE_SUFFIXES

FONTS_FOLDER = "polices"
NUMBER_CLASS = ' class="number"'
# Face key (settings.yaml fonts:) -> CSS weight and style of the @font-face rule.
FONT_FACES = {"regular": ("400", "normal"), "semibold": ("600", "normal"), "bold": ("700", "normal"), "italic": ("400", "italic")}

STYLE = """
:root { --text: #1e1e1e; --title: #000091; --rule: #c8c8d0; --back: #ffffff; --soft: #f4f4f8; }
* { box-sizing: border-box; }
html { font-family: "Open Sans", "Segoe UI", Arial, sans-serif; color: var(--text); background: var(--back); line-height: 1.5; }
body { margin: 0; }
.skip { position: absolute; left: 0.5rem; top: -3rem; background: var(--title); color: #fff; padding: 0.5rem 1rem; z-index: 1; }
.skip:focus { top: 0.5rem; }
header, main, footer { max-width: 52rem; margin: 0 auto; padding: 0 1rem; }
header { padding-top: 1rem; border-bottom: 1px solid var(--rule); }
.government { font-weight: 700; margin: 0; letter-spacing: 0.02em; }
.motto { font-style: italic; margin: 0 0 0.5rem; }
.agency { margin: 0 0 0.5rem; }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 0.5rem 1.5rem; }
a { color: var(--title); }
a:focus { outline: 3px solid var(--title); outline-offset: 2px; }
h1 { color: var(--title); font-size: 2rem; line-height: 1.2; margin: 1.5rem 0 0.5rem; }
h2 { color: var(--title); font-size: 1.5rem; line-height: 1.25; margin: 2.5rem 0 0.75rem; border-top: 1px solid var(--rule); padding-top: 1.5rem; }
h3 { color: var(--title); font-size: 1.15rem; margin: 1.75rem 0 0.5rem; }
p { margin: 0 0 0.8rem; hyphens: auto; }
.subtitle { font-weight: 600; font-size: 1.2rem; }
.total { font-weight: 700; color: var(--title); text-align: center; margin-bottom: 0.2rem; }
.share { text-align: center; margin-bottom: 0.2rem; }
figure { margin: 1.25rem 0; }
figcaption { font-weight: 700; text-align: center; margin-bottom: 0.5rem; }
figure svg { display: block; width: 100%; height: auto; margin: 0 auto; }
details { margin: 0.5rem 0 1.25rem; }
summary { cursor: pointer; color: var(--title); font-weight: 600; }
.table-scroll { overflow-x: auto; position: relative; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.5rem 0; min-width: 60%; }
caption { text-align: left; font-weight: 600; padding: 0.25rem 0; }
th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid var(--rule); vertical-align: top; }
thead th { border-bottom: 2px solid var(--title); text-align: left; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
footer { border-top: 1px solid var(--rule); margin-top: 2rem; padding-top: 0.75rem; padding-bottom: 2rem; font-size: 0.9rem; }
.synthetic { color: #a4000b; font-weight: 600; }
@media (max-width: 30rem) { h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; } table { font-size: 0.8rem; } }
@media print { .skip, nav { display: none; } details > summary { display: none; } h2 { break-before: page; border-top: none; }
  header, main, footer { max-width: none; } a { color: var(--text); } }
"""


def font_css(files: dict[str, Path], family: str) -> str:
    rules = []
    for key, (weight, style) in FONT_FACES.items():
        if key in files:
            rules.append(
                f'@font-face {{ font-family: "{family}"; src: url("{FONTS_FOLDER}/{files[key].name}") format("truetype");'
                f" font-weight: {weight}; font-style: {style}; font-display: swap; }}"
            )
    return "\n".join(rules)


def write_fonts(files: dict[str, Path], out_dir: Path) -> None:
    """The font files next to the pages, once per output folder (rewritten only when they differ)."""
    folder = Path(out_dir) / FONTS_FOLDER
    folder.mkdir(exist_ok=True)
    for key in FONT_FACES:
        if key in files:
            target = folder / files[key].name
            data = files[key].read_bytes()
            if not target.is_file() or target.read_bytes() != data:
                write_atomically(target, data)


# -- SVG from marks ----------------------------------------------------------------------------
def _num(value: float) -> str:
    """A coordinate as ReportLab writes it in the PDF (its C formatter, at most 2 decimals)."""
    return fp_str(value)


@functools.lru_cache(maxsize=256)
def _colour(value: Color | None) -> str:
    if value is None:
        return "none"
    red, green, blue = (round(channel * 255) for channel in (value.red, value.green, value.blue))
    return f"#{red:02x}{green:02x}{blue:02x}"


# Each face's weight and style in SVG text: the page's faces, and the bold italic it does not ship.
_FACE_WEIGHTS = {**FONT_FACES, "bold_italic": ("700", "italic")}


@functools.lru_cache(maxsize=16)
def _font_attributes(font_name: str) -> str:
    """SVG font attributes of a face by its ReportLab name (fonts.FontNames: the family's name
    and the face's suffix, OpenSans-Semibold): the weight and style of that face."""
    face = next((face for face, suffix in FACE_SUFFIXES.items() if suffix and font_name.endswith(suffix)), "regular")
    weight, style = _FACE_WEIGHTS[face]
    return f'font-weight="{weight}"' + (f' font-style="{style}"' if style != "normal" else "")


_SVG_COMMANDS = {"m": "M", "l": "L", "c": "C"}


class _Svg:
    """Collects SVG elements in PDF coordinates (y up) and writes them y down."""

    def __init__(self, height: float):
        self.height = height
        self.parts: list[str] = []

    def y(self, value: float) -> float:
        return self.height - value

    def text(self, x: float, y: float, text: str, font: str, size: float, fill: Color, angle: float = 0.0) -> None:
        placed = f'x="{_num(x)}" y="{_num(self.y(y))}"'
        if angle:
            placed += f' transform="rotate({_num(-angle)} {_num(x)} {_num(self.y(y))})"'
        self.parts.append(
            f'<text {placed} font-size="{_num(size)}" {_font_attributes(font)} fill="{_colour(fill)}">'
            f"{escape(text, quote=False)}</text>"
        )

    def rect(
        self,
        x: float,
        y: float,
        width: float,
        height: float,
        fill: Color | None,
        stroke: Color | None = None,
        stroke_width: float = 0.0,
        opacity: float | None = None,
    ) -> None:
        extra = f' stroke="{_colour(stroke)}" stroke-width="{_num(stroke_width)}"' if stroke is not None and stroke_width else ""
        if opacity is not None and opacity < 1:
            extra += f' fill-opacity="{_num(opacity)}"'
        self.parts.append(
            f'<rect x="{_num(x)}" y="{_num(self.y(y + height))}" width="{_num(width)}" height="{_num(height)}"'
            f' fill="{_colour(fill)}"{extra}/>'
        )

    def circle(self, x: float, y: float, radius: float, fill: Color | None, stroke: Color | None, stroke_width: float) -> None:
        extra = f' stroke="{_colour(stroke)}" stroke-width="{_num(stroke_width)}"' if stroke is not None and stroke_width else ""
        self.parts.append(f'<circle cx="{_num(x)}" cy="{_num(self.y(y))}" r="{_num(radius)}" fill="{_colour(fill)}"{extra}/>')

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: Color, width: float, dashes=None) -> None:
        dash = f' stroke-dasharray="{" ".join(_num(d) for d in dashes)}"' if dashes else ""
        self.parts.append(
            f'<line x1="{_num(x1)}" y1="{_num(self.y(y1))}" x2="{_num(x2)}" y2="{_num(self.y(y2))}"'
            f' stroke="{_colour(stroke)}" stroke-width="{_num(width)}"{dash}/>'
        )

    def path(
        self,
        segments: Iterable[tuple[str, Sequence[float]]],
        fill: Color | None,
        stroke: Color | None,
        width: float = 0.0,
        opacity: float | None = None,
        dashes=None,
    ) -> None:
        commands = []
        for op, coordinates in segments:
            if op == "h":
                commands.append("Z")
                continue
            height = self.height
            flipped = [value if i % 2 == 0 else height - value for i, value in enumerate(coordinates)]
            commands.append(_SVG_COMMANDS[op] + fp_str(*flipped))
        extra = ""
        if stroke is not None:
            extra += f' stroke="{_colour(stroke)}" stroke-width="{_num(width)}"'
            if dashes:
                extra += f' stroke-dasharray="{" ".join(_num(d) for d in dashes)}"'
        if opacity is not None and opacity < 1:
            extra += f' fill-opacity="{_num(opacity)}"'
        self.parts.append(f'<path d="{" ".join(commands)}" fill="{_colour(fill)}"{extra}/>')


def _marks(svg: _Svg, marks: Iterable) -> None:
    """A chart's marks (charts.vector), in the order the chart draws them."""
    for mark in marks:
        if isinstance(mark, vector.TextMark):
            svg.text(mark.x, mark.y, mark.text, mark.font.name, mark.font.size, mark.fill, mark.angle)
        elif isinstance(mark, vector.RibbonMark):
            mid = (mark.x0 + mark.x1) / 2
            (s_low, s_high), (t_low, t_high) = mark.source, mark.target
            svg.path(
                [
                    ("m", (mark.x0, s_high)),
                    ("c", (mid, s_high, mid, t_high, mark.x1, t_high)),
                    ("l", (mark.x1, t_low)),
                    ("c", (mid, t_low, mid, s_low, mark.x0, s_low)),
                    ("h", ()),
                ],
                mark.fill,
                None,
                opacity=mark.opacity,
            )
        elif isinstance(mark, vector.RectMark):
            svg.rect(mark.x, mark.y, mark.width, mark.height, mark.fill, mark.stroke, mark.stroke_width)
        elif isinstance(mark, vector.CircleMark):
            svg.circle(mark.x, mark.y, mark.radius, mark.fill, None, 0.0)
        elif isinstance(mark, vector.LineMark):
            svg.line(mark.x1, mark.y1, mark.x2, mark.y2, mark.stroke, mark.width)
        elif isinstance(mark, vector.PathMark):
            svg.path(mark.segments, mark.fill, mark.stroke, mark.width, dashes=mark.dashes[1] if mark.dashes else None)


def _transform_point(matrix: tuple, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = matrix
    return a * x + c * y + e, b * x + d * y + f


def _compose(outer: tuple, inner: tuple) -> tuple:
    a, b, c, d, e, f = outer
    a2, b2, c2, d2, e2, f2 = inner
    return (a * a2 + c * b2, b * a2 + d * b2, a * c2 + c * d2, b * c2 + d * d2, a * e2 + c * f2 + e, b * e2 + d * f2 + f)


def _drawing_shapes(svg: _Svg, shapes: Iterable, matrix: tuple = (1, 0, 0, 1, 0, 0)) -> None:
    """The shapes of a ReportLab drawing (a peer's or a test's chart), translations and scales applied."""
    for shape in shapes:
        if isinstance(shape, Group):
            _drawing_shapes(svg, shape.contents, _compose(matrix, tuple(shape.transform)))
            continue
        scale = math.hypot(matrix[0], matrix[1]) or 1.0
        if isinstance(shape, String):
            x, y = _transform_point(matrix, shape.x, shape.y)
            width = vector.Font(shape.fontName, shape.fontSize).width(shape.text)
            if shape.textAnchor == "end":
                x -= width * scale
            elif shape.textAnchor == "middle":
                x -= width * scale / 2
            angle = math.degrees(math.atan2(matrix[1], matrix[0]))
            svg.text(x, y, shape.text, shape.fontName, shape.fontSize * scale, shape.fillColor, angle)
        elif isinstance(shape, Rect):
            x, y = _transform_point(matrix, shape.x, shape.y)
            opacity = getattr(shape, "fillOpacity", None)
            svg.rect(
                x,
                y,
                shape.width * scale,
                shape.height * scale,
                shape.fillColor,
                shape.strokeColor,
                (shape.strokeWidth or 0) * scale,
                opacity,
            )
        elif isinstance(shape, Circle):
            x, y = _transform_point(matrix, shape.cx, shape.cy)
            svg.circle(x, y, shape.r * scale, shape.fillColor, shape.strokeColor, (shape.strokeWidth or 0) * scale)
        elif isinstance(shape, Line):
            x1, y1 = _transform_point(matrix, shape.x1, shape.y1)
            x2, y2 = _transform_point(matrix, shape.x2, shape.y2)
            svg.line(x1, y1, x2, y2, shape.strokeColor, (shape.strokeWidth or 0) * scale, shape.strokeDashArray)
        elif isinstance(shape, (Polygon, PolyLine)):
            points = shape.points
            pairs = [_transform_point(matrix, points[i], points[i + 1]) for i in range(0, len(points), 2)]
            segments = [("m" if i == 0 else "l", pair) for i, pair in enumerate(pairs)]
            if isinstance(shape, Polygon):
                segments.append(("h", ()))
            svg.path(
                segments,
                getattr(shape, "fillColor", None) if isinstance(shape, Polygon) else None,
                shape.strokeColor,
                (shape.strokeWidth or 0) * scale,
            )
        elif isinstance(shape, ShapePath):
            segments, cursor = [], 0
            operators = {0: ("m", 2), 1: ("l", 2), 2: ("c", 6), 3: ("h", 0)}
            for op in shape.operators:
                name, count = operators[op]
                raw = shape.points[cursor : cursor + count]
                cursor += count
                pairs = [coordinate for i in range(0, count, 2) for coordinate in _transform_point(matrix, raw[i], raw[i + 1])]
                segments.append((name, tuple(pairs)))
            svg.path(
                segments,
                shape.fillColor,
                shape.strokeColor,
                (shape.strokeWidth or 0) * scale,
                getattr(shape, "fillOpacity", None),
            )
        else:
            raise TypeError(f"no SVG for the ReportLab shape {type(shape).__name__}")


# A region's and France's charts are the same objects on every sheet of a run: their SVG
# elements are written once (keyed by the chart object, dropped with it).
_svg_bodies: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def chart_elements(chart) -> str:
    """The SVG elements of a chart's marks (or of a drawing's shapes), in drawing order."""
    chart = as_chart(chart)
    cached = _svg_bodies.get(chart) if isinstance(chart, vector.CanvasChart) else None
    if cached is not None:
        return cached
    svg = _Svg(chart.height)
    if isinstance(chart, DrawingChart):
        _drawing_shapes(svg, chart.drawing.contents)
    else:  # marks: the ShapeChart of the balance and treemap, the CanvasChart of the Sankeys, the FigureChart of the evolution
        _marks(svg, chart.drawn_marks())
    body = "".join(svg.parts)
    if isinstance(chart, vector.CanvasChart):
        _svg_bodies[chart] = body
    return body


def chart_svg(chart, title: str, description: str, ident: str) -> str:
    """One chart as an inline SVG image with its title and description."""
    chart = as_chart(chart)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_num(chart.width)} {_num(chart.height)}"'
        f' width="{_num(chart.width)}" height="{_num(chart.height)}" role="img" aria-labelledby="{ident}-t {ident}-d"'
        f' font-family="Open Sans, Arial, sans-serif" style="max-width: {_num(chart.width * 4 / 3)}px">'
        f'<title id="{ident}-t">{escape(title, quote=False)}</title><desc id="{ident}-d">{escape(description, quote=False)}</desc>'
        + chart_elements(chart)
        + "</svg>"
    )


# -- blocks --------------------------------------------------------------------------------
def _spans(spans: Sequence[Span]) -> str:
    out = []
    for span in spans:
        text = escape(span.text, quote=False)
        if span.bold:
            text = f"<strong>{text}</strong>"
        if span.url:
            text = f'<a href="{escape(span.url)}">{text}</a>'
        out.append(text)
    return "".join(out)


def data_table(table: DataTable, ident: str) -> str:
    def cell(tag: str, text: str, numeric: bool, scope: str | None = None) -> str:
        classes = ' class="number"' if numeric else ""
        scoped = f' scope="{scope}"' if scope else ""
        return f"<{tag}{scoped}{classes}>{escape(text, quote=False)}</{tag}>"

    head = "".join(cell("th", text, numeric, "col") for text, numeric in zip(table.header, table.numeric))
    body = "".join(
        "<tr>"
        + cell("th", row[0], table.numeric[0], "row")
        + "".join(cell("td", text, numeric) for text, numeric in zip(row[1:], table.numeric[1:]))
        + "</tr>"
        for row in table.rows
    )
    return (
        f'<div class="table-scroll" role="region" aria-labelledby="{ident}-c" tabindex="0"><table>'
        f'<caption id="{ident}-c">{escape(table.caption, quote=False)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


class _Blocks:
    def __init__(self, texts: dict):
        self.texts = texts
        self.count = 0

    def ident(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def block(self, block) -> str:
        if isinstance(block, Heading):
            level = min(block.level, 6)
            return f'<h{level} id="{self.ident("titre")}">{_spans(block.spans)}</h{level}>'
        if isinstance(block, Paragraph):
            role = "" if block.role == "body" else f' class="{block.role}"'
            return f"<p{role}>{_spans(block.spans)}</p>"
        if isinstance(block, BulletList):
            return "<ul>" + "".join(f"<li>{_spans(item)}</li>" for item in block.items) + "</ul>"
        if isinstance(block, DataTable):
            return data_table(block, self.ident("tableau"))
        if isinstance(block, Figure):
            return self.figure(block)
        raise TypeError(f"no HTML for the block {type(block).__name__}")

    def figure(self, figure: Figure) -> str:
        ident = self.ident("graphique")
        title = "".join(span.text for span in figure.title) if figure.title else figure.table.caption
        caption = f"<figcaption>{_spans(figure.title)}</figcaption>" if figure.title else ""
        details = (
            f"<details><summary>{escape(self.texts['data_summary'], quote=False)}</summary>"
            f"{data_table(figure.table, ident + '-donnees')}</details>"
        )
        return f"<figure>{caption}{chart_svg(figure.chart, title, figure.alt, ident)}</figure>{details}"


def sheet_html(content: SheetContent, texts: dict, fonts_css: str, pdf_name: str, annex_name: str | None) -> str:
    """The whole page. `texts` is texts.yaml's `html` section (after the cover's texts)."""
    t = texts["html"]
    cover = texts["cover"]
    blocks = _Blocks(t)
    sections = []
    for page in content.pages:
        inner = "".join(blocks.block(block) for block in page.blocks)
        sections.append(f'<section class="page-{page.key}">{inner}</section>')
    downloads = [f'<li><a href="{escape(pdf_name)}">{escape(t["pdf_link"], quote=False)}</a></li>']
    if annex_name:
        downloads.append(f'<li><a href="{escape(annex_name)}">{escape(t["annex_link"], quote=False)}</a></li>')
    synthetic = f'<p class="synthetic">{escape(content.synthetic_notice, quote=False)}</p>' if content.synthetic_notice else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(content.title, quote=False)}</title>\n"
        f'<meta name="description" content="{escape(content.subject)}">\n'
        f"<style>\n{fonts_css}\n{STYLE}</style>\n</head>\n<body>\n"
        f'<a class="skip" href="#contenu">{escape(t["skip"], quote=False)}</a>\n'
        "<header>\n"
        f'<p class="government">{escape(cover["government"], quote=False)}</p>'
        f'<p class="motto">{"<br>".join(escape(line, quote=False) for line in cover["motto"])}</p>'
        f'<p class="agency">{" ".join(escape(line, quote=False) for line in cover["agency"])}</p>\n'
        f'<nav aria-label="{escape(t["downloads"])}"><ul>{"".join(downloads)}</ul></nav>\n'
        "</header>\n"
        f'<main id="contenu" tabindex="-1">\n' + "\n".join(sections) + "\n</main>\n"
        f"<footer>\n<p>{escape(content.footer_source, quote=False)}</p>{synthetic}\n</footer>\n"
        "</body>\n</html>\n"
    )


def sheet_html_name(pdf_name: str) -> str:
    return pdf_name.removesuffix(".pdf") + ".html"


def index_html(rows: Sequence[dict], texts: dict, fonts_css: str, year: int, synthetic: bool) -> str:
    """The campaign's index: every department rendered, with its figures and links.

    `rows`: code, name, region, exports, imports, balance (formatted M€), pdf, html, annex (file names or None).
    """
    t = texts["html"]["index"]
    columns = t["columns"]
    numeric = ("exports", "imports", "balance")
    head = "".join(
        f'<th scope="col"{NUMBER_CLASS if key in numeric else ""}>{escape(columns[key], quote=False)}</th>'
        for key in ("code", "name", "region", *numeric, "links")
    )
    body = []
    for row in rows:
        links = [
            f'<a href="{escape(row["html"])}">{escape(t["page_link"], quote=False)}<span class="visually-hidden"> {escape(row["name"], quote=False)}</span></a>'
        ]
        links.append(
            f'<a href="{escape(row["pdf"])}">{escape(t["pdf_link"], quote=False)}<span class="visually-hidden"> {escape(row["name"], quote=False)}</span></a>'
        )
        if row.get("annex"):
            links.append(
                f'<a href="{escape(row["annex"])}">{escape(t["annex_link"], quote=False)}<span class="visually-hidden"> {escape(row["name"], quote=False)}</span></a>'
            )
        body.append(
            f'<tr><td>{escape(row["code"], quote=False)}</td><th scope="row">{escape(row["name"], quote=False)}</th>'
            f"<td>{escape(row['region'], quote=False)}</td>"
            + "".join(f'<td class="number">{escape(row[key], quote=False)}</td>' for key in ("exports", "imports", "balance"))
            + f"<td>{' · '.join(links)}</td></tr>"
        )
    title = t["title"].format(year=year)
    notice = f'<p class="synthetic">{escape(texts["footer"]["synthetic"], quote=False)}</p>' if synthetic else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title, quote=False)}</title>\n"
        f"<style>\n{fonts_css}\n{STYLE}\n.visually-hidden {{ position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }}\n"
        "main { max-width: 72rem; }\n</style>\n</head>\n<body>\n"
        f'<a class="skip" href="#contenu">{escape(texts["html"]["skip"], quote=False)}</a>\n'
        f'<header><p class="government">{escape(texts["cover"]["government"], quote=False)}</p></header>\n'
        f'<main id="contenu" tabindex="-1">\n<h1>{escape(title, quote=False)}</h1>\n'
        f"<p>{escape(t['intro'].format(count=len(rows), year=year), quote=False)}</p>{notice}\n"
        f'<div class="table-scroll" role="region" aria-labelledby="liste" tabindex="0"><table>'
        f'<caption id="liste">{escape(t["caption"].format(year=year), quote=False)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>\n</main>\n"
        f"<footer><p>{escape(texts['footer']['source'].format(year=year), quote=False)}</p></footer>\n"
        "</body>\n</html>\n"
    )
