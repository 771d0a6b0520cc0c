"""The sheet's page layout with ReportLab platypus: styles, page templates and the story.

`build_sheet` takes the indicators, the charts already drawn and the texts, and returns
the PDF bytes. Nothing here computes a number or draws a chart: it places them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
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
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from .fonts import FontNames
from .model import DepartmentIndicators
from .numbers import format_millions, format_share_of_nation, format_share_of_region

# Fixed bytes for the same input: no creation date, no random document id.
rl_config.invariant = 1

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 20 * mm
MARGIN_TOP = 18 * mm
MARGIN_BOTTOM = 20 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
# The treemap may shrink this far to stay on the balance page under a long balance chart;
# below it its labels would be too small to read, so it moves to the next page instead.
TREEMAP_MIN_SCALE = 0.7


@dataclass(frozen=True)
class SheetCharts:
    """The eight drawings of one sheet; region and nation ones are shared between sheets."""

    balance: Drawing
    treemap: Drawing
    export_sankey: Drawing
    import_sankey: Drawing
    region_export_sankey: Drawing
    region_import_sankey: Drawing
    nation_export_sankey: Drawing
    nation_import_sankey: Drawing


@dataclass(frozen=True)
class Logos:
    """Optional logo files found in assets/ (None: the text block is drawn instead)."""

    government: Path | None = None
    agency: Path | None = None


def _styles(fonts: FontNames, palette: dict[str, str]) -> dict[str, ParagraphStyle]:
    text = colors.HexColor(palette["text"])
    title = colors.HexColor(palette["title"])
    muted = colors.HexColor(palette["muted"])
    body = ParagraphStyle(
        "body", fontName=fonts.regular, fontSize=10, leading=14.2, textColor=text, alignment=TA_JUSTIFY, spaceAfter=7
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
            "chart_title", fontName=fonts.bold, fontSize=11, leading=14, textColor=text, alignment=TA_CENTER,
            spaceBefore=6, spaceAfter=6, keepWithNext=1,
        ),
        "total": ParagraphStyle("total", fontName=fonts.bold, fontSize=11.5, leading=15, textColor=title, alignment=TA_CENTER, spaceBefore=4),
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

    def __init__(self, drawing: Drawing, max_width: float = FRAME_WIDTH, min_scale: float = 1.0):
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
        from reportlab.graphics import renderPDF

        self.canv.saveState()
        self.canv.translate(self._offset, 0)
        self.canv.scale(self.scale, self.scale)
        if hasattr(self.drawing, "draw_on"):  # a CanvasChart writes itself onto the canvas
            self.drawing.draw_on(self.canv)
        else:
            renderPDF.draw(self.drawing, self.canv, 0, 0, showBoundary=False)
        self.canv.restoreState()


class TitledChart(Flowable):
    """A chart title and its drawing as one block: never split, the drawing shrinking to fit.

    keepWithNext would measure the drawing at full size and push both to the next page;
    this block gives the drawing the height left under its title instead.
    """

    def __init__(self, title: Paragraph, chart: FittedDrawing):
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


class SheetBuilder:
    """Turns texts + indicators + charts into the story; one instance per sheet."""

    def __init__(self, indicators: DepartmentIndicators, charts: SheetCharts, texts: dict[str, Any],
                 fonts: FontNames, settings: dict[str, Any], logos: Logos, synthetic: bool):
        self.ind = indicators
        self.charts = charts
        self.texts = texts
        self.fonts = fonts
        self.settings = settings
        self.logos = logos
        self.synthetic = synthetic
        self.styles = _styles(fonts, settings["colors"])
        self.values = {
            "department": indicators.department.name,
            "code": indicators.department.code,
            "region": indicators.region.name,
            "year": indicators.year,
            "next_year": indicators.year + 1,
        }

    # -- text helpers -----------------------------------------------------------------
    def fill(self, template: str, **extra: Any) -> str:
        """A YAML template with its placeholders filled; values are escaped for markup."""
        values = {key: escape(str(value)) for key, value in {**self.values, **extra}.items()}
        return template.format(**values)

    def para(self, template: str, style: str = "body", **extra: Any) -> Paragraph:
        return Paragraph(self.fill(template, **extra), self.styles[style])

    def bullets(self, items: list[str]) -> ListFlowable:
        return ListFlowable(
            [ListItem(self.para(item, "bullet"), leftIndent=14, value="•") for item in items],
            bulletType="bullet", start="•", leftIndent=14, bulletFontName=self.fonts.regular, bulletFontSize=10,
        )

    def totals(self, section: dict[str, Any], flow_shares, with_shares: bool) -> list[Flowable]:
        story = [self.para(section["total"], "total", total=format_millions(flow_shares.total_eur))]
        if with_shares:
            story.append(self.para(section["share_region"], "share", share_region=format_share_of_region(flow_shares.share_of_region)))
            story.append(self.para(section["share_nation"], "share", share_nation=format_share_of_nation(flow_shares.share_of_nation)))
        return story

    # -- pages --------------------------------------------------------------------------
    def cover(self) -> list[Flowable]:
        t = self.texts["cover"]
        government = (
            [Image(str(self.logos.government), width=38 * mm, height=30 * mm, kind="proportional")]
            if self.logos.government
            else [self.para(escape(t["government"]), "government"), Spacer(1, 3),
                  self.para("<br/>".join(escape(line) for line in t["motto"]), "motto")]
        )
        agency = (
            [Image(str(self.logos.agency), width=45 * mm, height=22 * mm, kind="proportional")]
            if self.logos.agency
            else [self.para("<br/>".join(escape(line) for line in t["agency"]), "agency")]
        )
        header = Table([[government, agency]], colWidths=[FRAME_WIDTH / 2] * 2)
        # FONTNAME: a table cell otherwise sets Helvetica, which would be a non-embedded font.
        header.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), self.fonts.regular),
                                    ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                    ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
        territoires = list(self.ind.territoires_industrie)
        story: list[Flowable] = [
            header,
            Spacer(1, 40 * mm),
            self.para(t["title"], "title"),
            self.para(t["subtitle"], "subtitle"),
            self.para(t["introduction_heading"], "h2"),
            *[self.para(p) for p in t["introduction"]],
            Spacer(1, 8),
            self.para(t["territoires_heading"], "h2"),
        ]
        if territoires:
            story.append(self.bullets([escape(name).replace("{", "{{").replace("}", "}}") for name in territoires]))
        else:
            story.append(self.para(t["territoires_unknown"]))
        return story

    def context(self) -> list[Flowable]:
        t = self.texts["context"]
        return [
            self.para(t["heading"], "h1"),
            self.para(t["context_heading"], "h2"),
            *[self.para(p) for p in t["context"]],
            self.para(t["method_heading"], "h2"),
            self.para(t["method_intro"]),
            self.bullets(t["method_bullets"]),
            Spacer(1, 6),
            self.para(t["method_source"]),
        ]

    def balance(self) -> list[Flowable]:
        t = self.texts["balance"]
        return [
            self.para(t["heading"], "h1"),
            self.para(t["intro"]),
            self.para(t["chart_title"], "chart_title"),
            FittedDrawing(self.charts.balance),
            Spacer(1, 4),
            self.para(t["reading_key"]),
            self.para(t["treemap_intro"]),
            TitledChart(self.para(t["treemap_title"], "chart_title"),
                        FittedDrawing(self.charts.treemap, min_scale=TREEMAP_MIN_SCALE)),
        ]

    def flow_pages(self, key: str) -> list[Flowable]:
        t = self.texts[key]
        exports = key == "exports"
        shares = self.ind.export_shares if exports else self.ind.import_shares
        region_flows = self.ind.region_flows.exports if exports else self.ind.region_flows.imports
        nation_flows = self.ind.nation_flows.exports if exports else self.ind.nation_flows.imports
        charts = self.charts
        local_chart = charts.export_sankey if exports else charts.import_sankey
        region_chart = charts.region_export_sankey if exports else charts.region_import_sankey
        nation_chart = charts.nation_export_sankey if exports else charts.nation_import_sankey
        total_only = {"total": t["total"]}
        return [
            self.para(t["heading"], "h1"),
            self.para(t["intro"]),
            self.para(t["chart_title"], "chart_title"),
            FittedDrawing(local_chart),
            Spacer(1, 6),
            *self.totals(t, shares, with_shares=True),
            Spacer(1, 10),
            self.para(t["reading"]),
            self.para(t["comparison"]),
            PageBreak(),
            KeepTogether([self.para(t["region_title"], "h2"), FittedDrawing(region_chart),
                          *self.totals(total_only, _TotalOnly(region_flows.total_eur), with_shares=False)]),
            Spacer(1, 14),
            KeepTogether([self.para(t["nation_title"], "h2"), FittedDrawing(nation_chart),
                          *self.totals(total_only, _TotalOnly(nation_flows.total_eur), with_shares=False)]),
        ]

    def practical(self) -> list[Flowable]:
        t = self.texts["practical"]
        story: list[Flowable] = [self.para(t["heading"], "h1")]
        for block in t["blocks"]:
            if "paragraph" in block:
                email = block.get("email")
                link = f'<a href="mailto:{escape(email)}" color="{self.settings["colors"]["title"]}"><u>{escape(email)}</u></a>' if email else ""
                story.append(Paragraph(self.fill(block["paragraph"], email="{email}").replace("{email}", link), self.styles["body"]))
            elif "link" in block:
                link = block["link"]
                story += [self.bullets([self._anchor(link["url"], link["text"])]), Spacer(1, 6)]
        f = self.texts["further"]
        story += [Spacer(1, 10), self.para(f["heading"], "h2")]
        story.append(self.bullets([escape(item["prefix"]) + self._anchor(item["url"], item["url"]) for item in f["links"]]))
        return story

    def _anchor(self, url: str, text: str) -> str:
        # Braces doubled: the result goes through fill() again inside bullets().
        markup = f'<a href="{escape(url)}" color="{self.settings["colors"]["title"]}"><u>{escape(text)}</u></a>'
        return markup.replace("{", "{{").replace("}", "}}")

    def story(self) -> list[Flowable]:
        return [
            *self.cover(), NextPageTemplate("body"), PageBreak(),
            *self.context(), PageBreak(),
            *self.balance(), PageBreak(),
            *self.flow_pages("exports"), PageBreak(),
            *self.flow_pages("imports"), PageBreak(),
            *self.practical(),
        ]

    # -- page decoration ----------------------------------------------------------------
    def draw_footer(self, canvas, doc) -> None:
        footer = self.texts["footer"]
        canvas.saveState()
        muted = colors.HexColor(self.settings["colors"]["muted"])
        canvas.setStrokeColor(colors.HexColor(self.settings["colors"]["rule"]))
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN_X, MARGIN_BOTTOM - 6 * mm, PAGE_WIDTH - MARGIN_X, MARGIN_BOTTOM - 6 * mm)
        canvas.setFillColor(muted)
        canvas.setFont(self.fonts.regular, 7.5)
        canvas.drawString(MARGIN_X, MARGIN_BOTTOM - 10 * mm, footer["source"].format(**self.values))
        canvas.drawRightString(PAGE_WIDTH - MARGIN_X, MARGIN_BOTTOM - 10 * mm,
                               footer["page"].format(page=canvas.getPageNumber(), **self.values))
        if self.synthetic:
            canvas.setFillColor(colors.HexColor(self.settings["colors"]["accent"]))
            canvas.drawString(MARGIN_X, MARGIN_BOTTOM - 13.5 * mm, footer["synthetic"].format(**self.values))
        canvas.restoreState()


@dataclass(frozen=True)
class _TotalOnly:
    total_eur: float


def build_sheet(
    indicators: DepartmentIndicators,
    charts: SheetCharts,
    texts: dict[str, Any],
    fonts: FontNames,
    settings: dict[str, Any],
    logos: Logos = Logos(),
    synthetic: bool = False,
) -> bytes:
    """The whole sheet as PDF bytes (deterministic for the same arguments)."""
    builder = SheetBuilder(indicators, charts, texts, fonts, settings, logos, synthetic)
    metadata = texts["metadata"]
    buffer = io.BytesIO()
    pdf = settings.get("pdf", {})
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=builder.fill(metadata["title"]),
        subject=builder.fill(metadata["subject"]),
        author=pdf.get("author", ""),
        creator=pdf.get("creator", "factsheets"),
        producer=pdf.get("creator", "factsheets"),
        lang=pdf.get("language", "fr"),
        displayDocTitle=1,
        invariant=1,
        # Without this the canvas declares Helvetica on every page: a non-embedded font.
        initialFontName=fonts.regular,
        initialFontSize=10,
    )
    frame = Frame(MARGIN_X, MARGIN_BOTTOM, FRAME_WIDTH, PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([
        PageTemplate(id="cover", frames=[frame], onPage=builder.draw_footer),
        PageTemplate(id="body", frames=[frame], onPage=builder.draw_footer),
    ])
    doc.build(builder.story())
    return buffer.getvalue()
