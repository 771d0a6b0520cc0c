"""The sheet as a PDF with ReportLab platypus: the content model mapped to flowables.

`write_sheet` maps a factsheets.content.SheetContent block by block, as html.py does for the
web page: headings, paragraphs, lists, figures and tables become flowables, tagged in
reading order (pdf_tags), on pages with their footer. Nothing here computes a number,
draws a chart or decides what the sheet says: styles, spacing and fitting are decided
here, content rules in content.py. `build_sheet` builds the content and writes it.
"""

from __future__ import annotations

import copy
import datetime
import io
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    ListFlowable,
    ListItem,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Spacer,
    Table,
    TableStyle,
)

from .charts.registry import CHARTS_BY_KEY, Chart, SheetCharts
from .config import Colours, Settings
from .content import BulletList, DataTable, Figure, Heading, Page, Paragraph, SheetContent, Span, build_content
from .fonts import FontNames
from .model import DepartmentIndicators
from .pdf_paragraph import SharedParagraph
from .pdf_replay import ReplayablePage
from .pdf_streams import compressing_once
from .pdf_tags import (
    StructElem,
    StructTree,
    TableTags,
    TaggedList,
    TaggedParagraph,
    artifact_flowable,
    begin_artifact,
    end_artifact,
    escape,
    tag_flowable,
    tagged_canvas,
    xmp_metadata,
)
from .pdf_text import TextCanvas
from .pdfdate import dated_canvas
from .typography import JustifiedParagraph

# Fixed bytes for the same input: no creation date, no random document id.
rl_config.invariant = 1

# French rules: at least 2 letters before the break and 3 after it, words of 6 letters or more.
HYPHENATION_LEFT, HYPHENATION_RIGHT, HYPHENATION_MIN_WORD = 2, 3, 6


@lru_cache(maxsize=1)
def french_hyphenator() -> Callable[[str], Any]:
    """pyphen's iterator of (head, tail) break points for a French word, built once per process.

    Given to ReportLab as a callable rather than a language code, which ReportLab would
    turn into a new pyphen object for every paragraph.
    """
    from .typography import french_hyphenator as elision_aware  # pyphen, elided words ("l’incertitude") included

    return elision_aware()


PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 20 * mm
MARGIN_TOP = 18 * mm
MARGIN_BOTTOM = 22 * mm
# Footer baselines and rule, from the bottom edge: the lowest ink (descenders of the last
# line) stays at least 10 mm from the edge, where trimming and printers' margins are safe.
FOOTER_LOWEST_BASELINE = 11.5 * mm
FOOTER_LINE_GAP = 3.8 * mm
FOOTER_RULE_ABOVE = 3.2 * mm
# Nothing of the page (a chart, a total, a line of text) comes closer to the footer rule than
# this (SPEC 11): the frame ends there.
FOOTER_CLEARANCE = 8 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
# Under a long balance chart the treemap is drawn again shorter (its labels keep their
# printed size), down to this share of its height; beyond, it is scaled, down to
# TREEMAP_MIN_SCALE, below which its labels would be too small to read.
TREEMAP_MIN_HEIGHT_SHARE = 0.6
TREEMAP_MIN_SCALE = 0.7


class Logos(NamedTuple):
    """Optional logo files found in assets/ (None: the text block is drawn instead)."""

    government: Path | None = None
    agency: Path | None = None


# One set of styles per process (nothing changes a style once made): a paragraph's style
# then has the same identity on every sheet, which pdf_paragraph recognises at once.
@lru_cache(maxsize=8)
def _styles(fonts: FontNames, palette: Colours) -> dict[str, ParagraphStyle]:
    text = colors.HexColor(palette.text)
    title = colors.HexColor(palette.title)
    muted = colors.HexColor(palette.muted)
    body = ParagraphStyle(
        "body",
        fontName=fonts.regular,
        fontSize=10,
        leading=14.2,
        textColor=text,
        alignment=TA_JUSTIFY,
        spaceAfter=7,
        # French hyphenation of justified text, so lines do not stretch (ReportLab asks pyphen).
        hyphenationLang=french_hyphenator(),
        hyphenationMinWordLength=HYPHENATION_MIN_WORD,
    )
    return {
        "body": body,
        "bullet": ParagraphStyle("bullet", parent=body, spaceAfter=3),
        "title": ParagraphStyle(
            "title", fontName=fonts.bold, fontSize=26, leading=31, textColor=title, spaceBefore=30, spaceAfter=10
        ),
        "subtitle": ParagraphStyle("subtitle", fontName=fonts.semibold, fontSize=16, leading=20, textColor=text, spaceAfter=26),
        "h1": ParagraphStyle(
            "h1", fontName=fonts.bold, fontSize=19, leading=23, textColor=title, spaceBefore=0, spaceAfter=12, keepWithNext=1
        ),
        "h2": ParagraphStyle(
            "h2", fontName=fonts.bold, fontSize=13, leading=17, textColor=title, spaceBefore=8, spaceAfter=6, keepWithNext=1
        ),
        "chart_title": ParagraphStyle(
            "chart_title",
            fontName=fonts.bold,
            fontSize=11,
            leading=14,
            textColor=text,
            alignment=TA_CENTER,
            spaceBefore=6,
            spaceAfter=6,
            keepWithNext=1,
        ),
        "total": ParagraphStyle(
            "total", fontName=fonts.bold, fontSize=11.5, leading=15, textColor=title, alignment=TA_CENTER, spaceBefore=4
        ),
        "share": ParagraphStyle("share", fontName=fonts.regular, fontSize=10, leading=13.5, textColor=text, alignment=TA_CENTER),
        "government": ParagraphStyle("government", fontName=fonts.bold, fontSize=12, leading=14, textColor=text),
        "motto": ParagraphStyle("motto", fontName=fonts.italic, fontSize=9, leading=10.5, textColor=text),
        "agency": ParagraphStyle("agency", fontName=fonts.semibold, fontSize=10, leading=12, textColor=text, alignment=TA_RIGHT),
        "footer": ParagraphStyle("footer", fontName=fonts.regular, fontSize=7.5, leading=9, textColor=muted, alignment=TA_LEFT),
    }


class FittedDrawing(Flowable):
    """A chart drawing, scaled down (never up) to the frame width and centred.

    With `min_scale` below 1 it also shrinks, down to that scale, to fit the height left
    on the page, so a long balance chart does not push the treemap onto a page of its own.
    """

    def __init__(self, drawing: Chart, max_width: float = FRAME_WIDTH, min_scale: float = 1.0):
        super().__init__()
        self.drawing = drawing
        self.width_scale = min(1.0, max_width / drawing.width)
        self.min_scale = min_scale
        self._set_scale(self.width_scale)

    def _set_scale(self, scale: float) -> None:
        self.scale = scale
        self.width = self.drawing.width * scale
        self.height = self.drawing.height * scale

    def wrap(self, available_width, available_height):
        scale = self.width_scale
        if self.drawing.height * scale > available_height:
            scale = max(scale * self.min_scale, available_height / self.drawing.height)
        self._set_scale(scale)
        self._offset = max(0.0, (available_width - self.width) / 2)
        return available_width, self.height

    def draw(self):
        self.canv.saveState()
        self.canv.translate(self._offset, 0)
        self.canv.scale(self.scale, self.scale)
        self.drawing.draw_on(self.canv)
        self.canv.restoreState()


class HeightFittedChart(Flowable):
    """A chart drawn again at the height left on the page rather than scaled down, so its
    text keeps its printed size; still too tall (or below `min_height`), it is scaled."""

    def __init__(self, drawing: Chart, redraw: Callable[[float], Chart], min_height: float, min_scale: float):
        super().__init__()
        self.natural = drawing
        self.redraw = redraw
        self.min_height = min_height
        self.min_scale = min_scale
        self._redrawn: dict[float, Chart] = {}
        self.fitted = FittedDrawing(drawing, min_scale=min_scale)

    def wrap(self, available_width, available_height):
        drawing = self.natural
        scale = min(1.0, FRAME_WIDTH / drawing.width)
        if drawing.height * scale > available_height:
            target = round(max(available_height / scale, self.min_height), 1)
            if target not in self._redrawn:
                self._redrawn[target] = self.redraw(target)
            drawing = self._redrawn[target]
        if drawing is not self.fitted.drawing:
            self.fitted = FittedDrawing(drawing, min_scale=self.min_scale)
        self.width, self.height = self.fitted.wrap(available_width, available_height)
        return self.width, self.height

    def draw(self):
        self.fitted.drawOn(self.canv, 0, 0)


class TitledChart(Flowable):
    """A chart title and its drawing as one block: never split, the drawing shrinking to fit.

    keepWithNext would measure the drawing at full size and push both to the next page;
    this block gives the drawing the height left under its title instead.
    """

    def __init__(self, title: SharedParagraph, chart: Flowable):
        super().__init__()
        self.title = title
        self.chart = chart
        self.gap = title.style.spaceAfter

    def wrap(self, available_width, available_height):
        _, self._title_height = self.title.wrap(available_width, available_height)
        _, chart_height = self.chart.wrap(available_width, available_height - self._title_height - self.gap)
        self.width = available_width
        self.height = self._title_height + self.gap + chart_height
        return self.width, self.height

    def getSpaceBefore(self):
        return self.title.getSpaceBefore()

    def draw(self):
        self.chart.drawOn(self.canv, 0, 0)
        self.title.drawOn(self.canv, 0, self.height - self._title_height)


class BalancedParagraph(TaggedParagraph):
    """A left-aligned paragraph whose lines are as even as possible (a title, not body text).

    It keeps the number of lines it would take at the full width, but wraps at the narrowest
    width that still gives that number, so "Les indicateurs clés : commerce extérieur" reads
    "Les indicateurs clés : / commerce extérieur" rather than leaving one word alone.
    """

    def wrap(self, available_width, available_height):
        lines = self._line_count(available_width)
        low, high = available_width / max(lines, 1), available_width
        while high - low > 1.0:  # a point is finer than any visible difference
            middle = (low + high) / 2
            if self._line_count(middle) <= lines:
                high = middle
            else:
                low = middle
        _, height = super().wrap(high, available_height)
        return available_width, height

    def _line_count(self, width: float) -> int:
        super().wrap(width, PAGE_HEIGHT)
        return len(self.blPara.lines)


class FittedStack(Flowable):
    """Flowables stacked on one page; its charts (FittedDrawing) shrink alike until all fit.

    A comparison page holds a sentence and two charts with their titles and totals: together
    a little taller than the frame, they stay on their page at a slightly smaller scale
    instead of spilling onto a ninth one.
    """

    def __init__(self, items: list[Flowable]):
        super().__init__()
        self.items = items

    def wrap(self, available_width, available_height):
        charts = [item for item in self.items if isinstance(item, FittedDrawing)]
        fixed = 0.0
        for index, item in enumerate(self.items):
            if not isinstance(item, FittedDrawing):
                fixed += item.wrap(available_width, available_height)[1]
            fixed += (item.getSpaceBefore() if index else 0.0) + item.getSpaceAfter()
        natural = sum(chart.drawing.height * chart.width_scale for chart in charts)
        shrink = min(1.0, (available_height - fixed) / natural) if natural > 0 else 1.0
        for chart in charts:
            chart._set_scale(chart.width_scale * shrink)
            chart._offset = max(0.0, (available_width - chart.width) / 2)
        self.width = available_width
        self.height = fixed + natural * shrink
        return self.width, self.height

    def draw(self):
        top = self.height
        for index, item in enumerate(self.items):
            top -= item.getSpaceBefore() if index else 0.0
            top -= item.height
            item.drawOn(self.canv, 0, top)
            top -= item.getSpaceAfter()


# -- the content model, mapped to flowables ------------------------------------------------
# The PDF's counterpart of html.py: one function per kind of block (markup of spans, heading,
# paragraph, list, figure, table), the page, the story. What the sheet says and which
# content rules apply were decided by factsheets.content; what is decided here is how it
# looks on paper: styles, the space between blocks, which blocks stay together.

# Heading level -> paragraph style; on the cover, under the title, sections are a size smaller.
HEADING_STYLES = {1: "title", 2: "h1", 3: "h2"}
COVER_HEADING_STYLES = {1: "title", 2: "h2", 3: "h2"}
# A paragraph's role (content.TextRole) -> its style.
PARAGRAPH_STYLES = {
    "body": "body",
    "intro": "body",
    "reading_key": "body",
    "subtitle": "subtitle",
    "total": "total",
    "share": "share",
}
# Space (pt) before a block, by page, the block before it and its own kind (see _kind): the
# PDF's margins between blocks, as html.STYLE holds the web page's. Page "*": any page;
# "flow": exports and imports; "comparison": their comparison pages.
GAPS = {
    ("cover", "body", "heading"): 8,  # the Territoires d'industrie after the introduction
    ("*", "list", "body"): 6,
    ("*", "list", "list"): 6,
    ("practical", "list", "heading"): 6 + 10,
    ("practical", "body", "heading"): 10,  # "Pour aller plus loin"
    ("balance", "figure", "reading_key"): 4,
    ("flow", "figure", "total"): 6,
    ("flow", "total", "body"): 10,
    ("flow", "share", "body"): 10,
    ("comparison", "total", "heading"): 14,  # between the region's total and France
}
TABLE_FONT_SIZE = 8.5
FIGURE_TABLE_LABEL_WIDTH = 118  # a printed figure table: the label column, the others share the rest
TABLE_NUMBER_WIDTH = 76  # any other table: each column of numbers, the label column the rest
TABLE_PADDING = 3


def _page_kind(key: str) -> str:
    if key.endswith("_comparison"):
        return "comparison"
    return "flow" if key in ("exports", "imports") else key


def _kind(block) -> str:
    if isinstance(block, Heading):
        return "heading"
    if isinstance(block, Paragraph):
        return block.role
    if isinstance(block, BulletList):
        return "list"
    return "figure" if isinstance(block, Figure) else "table"


def _gap(page_key: str, previous, block) -> float:
    if previous is None:
        return 0.0
    kinds = (_kind(previous), _kind(block))
    return GAPS.get((_page_kind(page_key), *kinds), GAPS.get(("*", *kinds), 0.0))


def _link_only(spans: Sequence[Span]) -> bool:
    """A list item that is one link and nothing else: its text is the Link's (pdf_tags)."""
    texts = [span for span in spans if span.text]
    return len(texts) == 1 and texts[0].url is not None


class _Story:
    """The flowables of one sheet, and its structure elements made in reading order."""

    def __init__(self, content: SheetContent, texts: dict[str, Any], fonts: FontNames, settings: Settings, logos: Logos):
        self.content = content
        self.texts = texts
        self.fonts = fonts
        self.palette = settings.colors
        self.logos = logos
        self.styles = _styles(fonts, self.palette)
        self.tags = StructTree(texts["accessibility"]["link"])

    # -- text -----------------------------------------------------------------------------
    def markup(self, spans: Sequence[Span]) -> str:
        """ReportLab's paragraph markup of spans (html._spans' counterpart)."""
        out = []
        for span in spans:
            text = escape(span.text)
            if span.bold:
                text = f"<b>{text}</b>"
            if span.url:
                text = f'<a href="{escape(span.url)}" color="{self.palette.title}"><u>{text}</u></a>'
            out.append(text)
        return "".join(out)

    def tagged(self, paragraph: TaggedParagraph, role: str, parent: StructElem | None = None) -> TaggedParagraph:
        paragraph.struct = self.tags.add(role, parent)
        if role in ("H1", "H2"):  # one bookmark per section
            paragraph.struct.outline = paragraph.getPlainText()
        return paragraph

    def paragraph(self, spans: Sequence[Span], style: str, role: str = "P", parent: StructElem | None = None):
        kind = JustifiedParagraph if self.styles[style].alignment == TA_JUSTIFY else TaggedParagraph
        return self.tagged(kind(self.markup(spans), self.styles[style]), role, parent)

    # -- blocks ---------------------------------------------------------------------------
    def block(self, block, page_key: str) -> list[Flowable]:
        if isinstance(block, Heading):
            return [self.heading(block, page_key)]
        if isinstance(block, Paragraph):
            return [self.paragraph(block.spans, PARAGRAPH_STYLES[block.role])]
        if isinstance(block, BulletList):
            return [self.bullets(block)]
        if isinstance(block, DataTable):
            return [self.table(block)]
        if isinstance(block, Figure):
            return self.figure(block)
        raise TypeError(f"no PDF for the block {type(block).__name__}")

    def heading(self, heading: Heading, page_key: str, style: str | None = None) -> TaggedParagraph:
        """A heading at its level's style, or in `style` (a heading that titles a chart)."""
        style = style or (COVER_HEADING_STYLES if page_key == "cover" else HEADING_STYLES)[heading.level]
        kind = BalancedParagraph if heading.level == 1 else TaggedParagraph  # the title: even lines
        return self.tagged(kind(self.markup(heading.spans), self.styles[style]), f"H{heading.level}")

    def bullets(self, bullets: BulletList) -> ListFlowable:
        tags = self.tags
        lst = tags.add("L")
        labels, paragraphs = [], []
        for item in bullets.items:
            li = tags.add("LI", lst)
            labels.append(tags.add("Lbl", li))
            paragraphs.append(self.paragraph(item, "bullet", "LBody", li))
            paragraphs[-1].struct.link_text = _link_only(item)
        return TaggedList(
            [ListItem(paragraph, leftIndent=14, value="•") for paragraph in paragraphs],
            tags,
            labels,
            bulletType="bullet",
            start="•",
            leftIndent=14,
            bulletFontName=self.fonts.regular,
            bulletFontSize=10,
        )

    def figure(self, figure: Figure) -> list[Flowable]:
        """The chart's title, the chart as a Figure element with its alternative text, and
        for some charts the table of its figures."""
        spec = CHARTS_BY_KEY[figure.key]
        title = self.paragraph(figure.title, "chart_title") if figure.title else None
        if spec.fitted_to_room:
            chart = self._tagged_chart(self._fitted_to_room(figure), figure)
            return [TitledChart(title, chart)] if title is not None else [chart]
        flowables: list[Flowable] = [title] if title is not None else []
        flowables.append(self._tagged_chart(FittedDrawing(figure.chart), figure))
        if spec.table_printed:
            flowables += [Spacer(1, 6), self.table(figure.table, printed_figure=True), Spacer(1, 8)]
        return flowables

    def _tagged_chart(self, chart: Flowable, figure: Figure) -> Flowable:
        return tag_flowable(chart, self.tags, self.tags.add("Figure", alt=figure.alt))

    @staticmethod
    def _fitted_to_room(figure: Figure) -> Flowable:
        if figure.at_height is None:
            return FittedDrawing(figure.chart, min_scale=TREEMAP_MIN_SCALE)
        return HeightFittedChart(
            figure.chart, figure.at_height, figure.chart.height * TREEMAP_MIN_HEIGHT_SHARE, TREEMAP_MIN_SCALE
        )

    def table(self, table: DataTable, printed_figure: bool = False) -> Table:
        """A table of figures, header row and label column as TH (html.data_table's counterpart).
        Plain strings styled by the table (one line a cell): far cheaper than a Paragraph a cell."""
        rows = [list(table.header), *(list(row) for row in table.rows)]
        columns = len(table.header)
        if printed_figure:
            widths = [FIGURE_TABLE_LABEL_WIDTH] + [(FRAME_WIDTH - FIGURE_TABLE_LABEL_WIDTH) / (columns - 1)] * (columns - 1)
        else:
            widths = [FRAME_WIDTH - (columns - 1) * TABLE_NUMBER_WIDTH] + [TABLE_NUMBER_WIDTH] * (columns - 1)
        # renderCB: each cell a TH or TD of the tagged PDF (header row and label column TH).
        result = Table(rows, colWidths=widths, hAlign="CENTER", renderCB=TableTags(self.tags, len(rows), columns))
        palette = self.palette
        result.setStyle(
            TableStyle(
                [
                    # FONTNAME: a table otherwise declares Helvetica, a font that would not be embedded.
                    ("FONTNAME", (0, 0), (-1, -1), self.fonts.regular),
                    ("FONTNAME", (0, 0), (-1, 0), self.fonts.bold),
                    ("FONTSIZE", (0, 0), (-1, -1), TABLE_FONT_SIZE),
                    ("LEADING", (0, 0), (-1, -1), TABLE_FONT_SIZE * 1.25),
                    ("TEXTCOLOR", (0, 0), (-1, -1), colors.HexColor(palette.text)),
                    ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor(palette.title)),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.3, colors.HexColor(palette.rule)),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                    ("LEFTPADDING", (0, 0), (-1, -1), TABLE_PADDING),
                    ("RIGHTPADDING", (0, 0), (-1, -1), TABLE_PADDING),
                    *self._decimal_alignment(table),
                ]
            )
        )
        return result

    def _decimal_alignment(self, table: DataTable) -> list[tuple]:
        """Numbers aligned on the decimal mark (SPEC 11): in each numeric column the "." at one
        place, a number without decimals ending where the decimals begin, the longest decimal
        part ending where the right-aligned header does. Each cell stays one right-aligned text
        run, moved left by the decimals it lacks (ReportLab's DECIMAL alignment draws the two
        halves of a number apart, and the text layer then reads "9 395 .1")."""
        font, size = self.fonts.regular, TABLE_FONT_SIZE
        commands = []
        for column, numeric in enumerate(table.numeric):
            if not numeric or column == 0:
                continue
            cells = [row[column] for row in table.rows]
            tails = [stringWidth(cell[cell.index(".") :], font, size) if "." in cell else 0.0 for cell in cells]
            longest = max(tails, default=0.0)
            commands += [
                ("RIGHTPADDING", (column, row), (column, row), TABLE_PADDING + longest - tail)
                for row, tail in enumerate(tails, start=1)
                if tail != longest
            ]
        return commands

    # -- pages ----------------------------------------------------------------------------
    def page(self, page: Page) -> list[Flowable]:
        """The page's blocks with the space between them; a heading stays with the table it
        titles; a comparison page is one stack whose charts shrink alike to fit."""
        flowables: list[Flowable] = []
        blocks, index, previous = page.blocks, 0, None
        while index < len(blocks):
            block = blocks[index]
            gap = _gap(page.key, previous, block)
            if gap:
                flowables.append(Spacer(1, gap))
            following = blocks[index + 1] if index + 1 < len(blocks) else None
            if isinstance(block, Heading) and isinstance(following, DataTable):
                flowables.append(KeepTogether([self.heading(block, page.key), self.table(following)]))
                previous, index = following, index + 2
                continue
            if isinstance(block, Heading) and isinstance(following, Figure) and following.title is None:
                # The heading titles the chart under it: printed as every chart title is (SPEC 11).
                flowables.append(self.heading(block, page.key, "chart_title"))
                previous, index = block, index + 1
                continue
            flowables += self.block(block, page.key)
            previous, index = block, index + 1
        if page.key == "cover":
            return [*self.letterhead(), *flowables]
        if _page_kind(page.key) == "comparison":
            return [FittedStack(flowables)]
        return flowables

    def letterhead(self) -> list[Flowable]:
        """The cover's letterhead (logos, or the texts in their place): decoration, out of the
        reading order; the title comes 40 mm below."""
        t = self.texts["cover"]
        government = (
            [Image(str(self.logos.government), width=38 * mm, height=30 * mm, kind="proportional")]
            if self.logos.government
            else [
                SharedParagraph(escape(t["government"]), self.styles["government"]),
                Spacer(1, 3),
                SharedParagraph("<br/>".join(escape(line) for line in t["motto"]), self.styles["motto"]),
            ]
        )
        agency = (
            [Image(str(self.logos.agency), width=45 * mm, height=22 * mm, kind="proportional")]
            if self.logos.agency
            else [SharedParagraph("<br/>".join(escape(line) for line in t["agency"]), self.styles["agency"])]
        )
        header = Table([[government, agency]], colWidths=[FRAME_WIDTH / 2] * 2)
        # FONTNAME: a table cell otherwise sets Helvetica, which would be a non-embedded font.
        header.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), self.fonts.regular),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        return [artifact_flowable(header), Spacer(1, 40 * mm)]

    def story(self) -> list[Flowable]:
        """Every page of the content on a page of its own, the cover on the cover template; a
        page that other sheets may have as it is, replayable (pdf_replay)."""
        story: list[Flowable] = []
        for index, page in enumerate(self.content.pages):
            if index == 1:
                story.append(NextPageTemplate("body"))
            if index:
                story.append(PageBreak())
            first_element = len(self.tags.elements)
            flowables = self.page(page)
            key = self.replay_key(page) if index else None
            if key is not None:
                flowables = [ReplayablePage(key, flowables, self.tags, self.tags.elements[first_element:])]
            story += flowables
        return story

    def replay_key(self, page: Page) -> tuple | None:
        """What the page's drawing depends on, when other sheets may share it: its content, its
        charts (a figure's chart is not part of its equality), the faces, colours and frame;
        None for a page that shows a chart of the department's own, drawn for this sheet only."""
        charts = []
        for block in page.blocks:
            if isinstance(block, Figure):
                if CHARTS_BY_KEY[block.key].level == "department":
                    return None
                charts.append(block.chart)
        return (page, tuple(charts), self.content.synthetic_notice, self.fonts, self.palette)

    # -- page decoration --------------------------------------------------------------------
    def draw_footer(self, canvas, doc) -> None:
        content = self.content
        synthetic = content.synthetic_notice is not None
        begin_artifact(canvas)  # footer, page number and rule: pagination, out of the tree
        canvas.saveState()
        muted = colors.HexColor(self.palette.muted)
        canvas.setStrokeColor(colors.HexColor(self.palette.rule))
        canvas.setLineWidth(0.5)
        # Lines from the bottom up, the lowest at FOOTER_LOWEST_BASELINE whatever their number.
        source_y = FOOTER_LOWEST_BASELINE + (FOOTER_LINE_GAP if synthetic else 0.0)
        rule_y = footer_rule_y(synthetic)
        canvas.line(MARGIN_X, rule_y, PAGE_WIDTH - MARGIN_X, rule_y)
        canvas.setFillColor(muted)
        canvas.setFont(self.fonts.regular, 7.5)
        canvas.drawString(MARGIN_X, source_y, content.footer_source)
        canvas.drawRightString(PAGE_WIDTH - MARGIN_X, source_y, content.footer_page.format(page=canvas.getPageNumber()))
        if synthetic:
            canvas.setFillColor(colors.HexColor(self.palette.accent))
            canvas.drawString(MARGIN_X, FOOTER_LOWEST_BASELINE, content.synthetic_notice)
        canvas.restoreState()
        end_artifact(canvas)


# The values copy.deepcopy gives back as they are.
_ATOMIC = (str, int, float, bool, type(None))


class BodyFrame(Frame):
    """The pages' frame, deep-copied at less cost.

    Platypus deep-copies the document's frame each time it measures a list or a block kept
    together (flowables._listWrapOn, some 13 times a sheet), through the generic protocol:
    __reduce_ex__ and a trip per attribute, some two dozen numbers and strings. This copy
    is the one deepcopy makes (a new frame, its attributes in the same order, the numbers
    and strings the same objects, anything else deep-copied), without the trips."""

    def __deepcopy__(self, memo: dict) -> BodyFrame:
        new = object.__new__(type(self))
        memo[id(self)] = new
        attributes = new.__dict__
        for name, value in self.__dict__.items():
            attributes[name] = value if type(value) in _ATOMIC else copy.deepcopy(value, memo)
        return new


def footer_rule_y(synthetic: bool) -> float:
    """The footer rule's height from the bottom edge: above the source line, and above the
    synthetic-data notice when there is one (the lowest line stays at FOOTER_LOWEST_BASELINE)."""
    source_y = FOOTER_LOWEST_BASELINE + (FOOTER_LINE_GAP if synthetic else 0.0)
    return source_y + FOOTER_RULE_ABOVE


def _pdf_lang(language: str) -> str:
    """The PDF's /Lang and XMP dc:language: French of France for the settings' "fr"."""
    return {"fr": "fr-FR"}.get(language, language)


def build_sheet(
    indicators: DepartmentIndicators,
    charts: SheetCharts,
    texts: dict[str, Any],
    fonts: FontNames,
    settings: Settings,
    logos: Logos = Logos(),
    synthetic: bool = False,
    created: datetime.datetime | None = None,
) -> bytes:
    """The whole sheet as PDF bytes (deterministic for the same arguments); `created` is the
    date the PDF says it was made (the edition's publication date)."""
    return write_sheet(build_content(indicators, charts, texts, synthetic), texts, fonts, settings, logos, created)


def write_sheet(
    content: SheetContent,
    texts: dict[str, Any],
    fonts: FontNames,
    settings: Settings,
    logos: Logos = Logos(),
    created: datetime.datetime | None = None,
) -> bytes:
    """The content of one sheet as PDF bytes (html.sheet_html's counterpart)."""
    story = _Story(content, texts, fonts, settings, logos)
    buffer = io.BytesIO()
    pdf = settings.pdf
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=content.title,
        subject=content.subject,
        author=pdf.author,
        creator=pdf.creator,
        producer=pdf.creator,
        lang=pdf.language,
        displayDocTitle=1,
        invariant=1,
        # Without this the canvas declares Helvetica on every page: a non-embedded font.
        initialFontName=fonts.regular,
        initialFontSize=10,
    )
    bottom = max(MARGIN_BOTTOM, footer_rule_y(content.synthetic_notice is not None) + FOOTER_CLEARANCE)
    frame = BodyFrame(
        MARGIN_X,
        bottom,
        FRAME_WIDTH,
        PAGE_HEIGHT - MARGIN_TOP - bottom,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates(
        [
            PageTemplate(id="cover", frames=[frame], onPage=story.draw_footer),
            PageTemplate(id="body", frames=[frame], onPage=story.draw_footer),
        ]
    )
    flowables = story.story()
    lang = _pdf_lang(pdf.language)
    xmp = xmp_metadata(doc.title, doc.author, doc.subject, lang, doc.creator, created)
    with compressing_once():  # the streams equal to an earlier sheet's not compressed again
        doc.build(flowables, canvasmaker=tagged_canvas(dated_canvas(created, TextCanvas), story.tags, lang, xmp))
    return buffer.getvalue()
