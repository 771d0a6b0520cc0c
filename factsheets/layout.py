"""The sheet's page layout with ReportLab platypus: styles, page templates and the story.

`build_sheet` takes the indicators, the charts already drawn and the texts, and returns
the PDF bytes. Nothing here computes a number or draws a chart: it places them.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
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

from . import alt_texts
from .fonts import FontNames
from .model import DepartmentIndicators
from .numbers import format_millions, format_share_of_nation, format_share_of_region
from .pdf_tags import (
    StructElem,
    StructTree,
    TaggedList,
    TaggedParagraph,
    artifact_flowable,
    begin_artifact,
    end_artifact,
    role_of_style,
    tag_flowable,
    tagged_canvas,
    xmp_metadata,
)
from .pdfdate import dated_canvas

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
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
# Under a long balance chart the treemap is drawn again shorter (its labels keep their
# printed size), down to this share of its height; beyond, it is scaled, down to
# TREEMAP_MIN_SCALE, below which its labels would be too small to read.
TREEMAP_MIN_HEIGHT_SHARE = 0.6
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
    # The treemap drawn at a given height, when the page has less room than `treemap` needs.
    treemap_at_height: Callable[[float], Drawing] | None = None
    evolution: Drawing | None = None  # render --evolution: the page before "Informations pratiques"


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


class HeightFittedChart(Flowable):
    """A chart drawn again at the height left on the page rather than scaled down, so its
    text keeps its printed size; still too tall (or below `min_height`), it is scaled."""

    def __init__(self, drawing: Drawing, redraw: Callable[[float], Drawing], min_height: float, min_scale: float):
        super().__init__()
        self.natural = drawing
        self.redraw = redraw
        self.min_height = min_height
        self.min_scale = min_scale
        self._redrawn: dict[float, Drawing] = {}
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

    def __init__(self, title: Paragraph, chart: Flowable):
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


class SheetBuilder:
    """Turns texts + indicators + charts into the story; one instance per sheet."""

    def __init__(
        self,
        indicators: DepartmentIndicators,
        charts: SheetCharts,
        texts: dict[str, Any],
        fonts: FontNames,
        settings: dict[str, Any],
        logos: Logos,
        synthetic: bool,
        tags: StructTree | None = None,
    ):
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
            # "de l'Aisne", "du Nord": the article from the COG (reference.department_after_de).
            "de_department": indicators.department_after_de,
        }
        # The tagged PDF's structure, made in reading order as the story is built.
        self.alt = texts["accessibility"]
        self.tags = tags if tags is not None else StructTree(self.alt["link"])

    # -- text helpers -----------------------------------------------------------------
    def fill(self, template: str, **extra: Any) -> str:
        """A YAML template with its placeholders filled; values are escaped for markup."""
        values = {key: escape(str(value)) for key, value in {**self.values, **extra}.items()}
        return template.format(**values)

    def para(
        self, template: str, style: str = "body", role: str | None = "", parent: StructElem | None = None, **extra: Any
    ) -> Paragraph:
        """A paragraph of the story and its structure element: `role` (default: from the
        style, see pdf_tags.role_of_style), None for text drawn inside an artifact."""
        if role is None:
            return Paragraph(self.fill(template, **extra), self.styles[style])
        return self.tagged(
            TaggedParagraph(self.fill(template, **extra), self.styles[style]), role or role_of_style(style), parent
        )

    def tagged(self, paragraph: TaggedParagraph, role: str, parent: StructElem | None = None) -> TaggedParagraph:
        paragraph.struct = self.tags.add(role, parent)
        if role in ("H1", "H2"):  # one bookmark per section
            paragraph.struct.outline = paragraph.getPlainText()
        return paragraph

    def figure(self, chart: Flowable, alt: str) -> Flowable:
        """A chart as a Figure element with its alternative text."""
        return tag_flowable(chart, self.tags, self.tags.add("Figure", alt=alt))

    def bullets(self, items: list[str]) -> ListFlowable:
        tags = self.tags
        lst = tags.add("L")
        labels, paragraphs = [], []
        for item in items:
            li = tags.add("LI", lst)
            labels.append(tags.add("Lbl", li))
            paragraphs.append(self.para(item, "bullet", role="LBody", parent=li))
            # A bullet that is a link and nothing else: its text is the Link's (pdf_tags).
            paragraphs[-1].struct.link_text = item.startswith("<a ") and item.endswith("</a>") and item.count("<a ") == 1
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

    def totals(self, section: dict[str, Any], flow_shares, with_shares: bool) -> list[Flowable]:
        story = [self.para(section["total"], "total", total=format_millions(flow_shares.total_eur))]
        if with_shares:
            # A single department is 100% of its region; None: the data does not cover the area.
            if self.ind.shows_region and flow_shares.share_of_region is not None:
                story.append(
                    self.para(section["share_region"], "share", share_region=format_share_of_region(flow_shares.share_of_region))
                )
            if self.ind.nation_covered and flow_shares.share_of_nation is not None:
                story.append(
                    self.para(section["share_nation"], "share", share_nation=format_share_of_nation(flow_shares.share_of_nation))
                )
        return story

    # -- pages --------------------------------------------------------------------------
    def cover(self) -> list[Flowable]:
        t = self.texts["cover"]
        government = (
            [Image(str(self.logos.government), width=38 * mm, height=30 * mm, kind="proportional")]
            if self.logos.government
            else [
                self.para(escape(t["government"]), "government", role=None),
                Spacer(1, 3),
                self.para("<br/>".join(escape(line) for line in t["motto"]), "motto", role=None),
            ]
        )
        agency = (
            [Image(str(self.logos.agency), width=45 * mm, height=22 * mm, kind="proportional")]
            if self.logos.agency
            else [self.para("<br/>".join(escape(line) for line in t["agency"]), "agency", role=None)]
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
        territoires = list(self.ind.territoires_industrie)
        story: list[Flowable] = [
            artifact_flowable(header),  # the letterhead: decoration, out of the reading order
            Spacer(1, 40 * mm),
            self.tagged(BalancedParagraph(self.fill(t["title"]), self.styles["title"]), "H1"),
            self.para(t["subtitle"], "subtitle"),
            self.para(t["introduction_heading"], "h2", role="H2"),
            *[self.para(p) for p in t["introduction"]],
        ]
        # No list configured: no block at all (never a placeholder); `render` names the
        # departments concerned once, with the file to fill.
        if territoires:
            story += [
                Spacer(1, 8),
                self.para(t["territoires_heading"], "h2", role="H2"),
                self.bullets([escape(name).replace("{", "{{").replace("}", "}}") for name in territoires]),
            ]
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
            self.figure(FittedDrawing(self.charts.balance), alt_texts.balance_alt(self.ind, self.alt, self.values)),
            Spacer(1, 4),
            self.para(t["reading_key"]),
            self.para(t["treemap_intro"]),
            TitledChart(self.para(t["treemap_title"], "chart_title"), self._treemap()),
        ]

    def _treemap(self) -> Flowable:
        charts = self.charts
        alt = alt_texts.treemap_alt(self.ind, self.alt, self.values)
        if charts.treemap_at_height is None:
            return self.figure(FittedDrawing(charts.treemap, min_scale=TREEMAP_MIN_SCALE), alt)
        return self.figure(
            HeightFittedChart(
                charts.treemap, charts.treemap_at_height, charts.treemap.height * TREEMAP_MIN_HEIGHT_SHARE, TREEMAP_MIN_SCALE
            ),
            alt,
        )

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
        local_flows = self.ind.local.exports if exports else self.ind.local.imports
        # This page first: structure elements are made in reading order (pdf_tags).
        page: list[Flowable] = [
            self.para(t["heading"], "h1"),
            self.para(t["intro"]),
            self.para(t["chart_title"], "chart_title"),
            self.figure(
                FittedDrawing(local_chart), alt_texts.sankey_alt(local_flows, self.ind.department.name, self.alt, self.values)
            ),
            Spacer(1, 6),
            *self.totals(t, shares, with_shares=True),
            Spacer(1, 10),
            self.para(t["reading"]),
        ]
        # A region of one department would show this department's chart again; an area the
        # data does not cover is never shown (coverage.py).
        with_region, with_nation = self.ind.shows_region, self.ind.nation_covered
        if not with_region and not with_nation:
            return page
        # The comparison sentence introduces the next page's charts, so it opens that page.
        if not with_nation:
            comparison = self.texts["partial_coverage"][f"{key}_comparison"]
        elif not with_region:
            comparison = self.texts["single_department_region"][f"{key}_comparison"]
        else:
            comparison = t["comparison"]
        compared: list[Flowable] = [self.para(comparison)]
        if with_region:
            compared += [
                self.para(t["region_title"], "h2"),
                self.figure(
                    FittedDrawing(region_chart), alt_texts.sankey_alt(region_flows, self.ind.region.name, self.alt, self.values)
                ),
                *self.totals(total_only, _TotalOnly(region_flows.total_eur), with_shares=False),
            ]
            if with_nation:
                compared.append(Spacer(1, 14))
        if with_nation:
            compared += [
                self.para(t["nation_title"], "h2"),
                self.figure(
                    FittedDrawing(nation_chart), alt_texts.sankey_alt(nation_flows, self.alt["france"], self.alt, self.values)
                ),
                *self.totals(total_only, _TotalOnly(nation_flows.total_eur), with_shares=False),
            ]
        return [*page, PageBreak(), FittedStack(compared)]

    def evolution(self) -> list[Flowable]:
        """The evolution page and its page break, when its chart was drawn (see evolution_page)."""
        if self.charts.evolution is None:
            return []
        from .evolution_page import evolution_story

        return [*evolution_story(self, self.charts.evolution), PageBreak()]

    def practical(self) -> list[Flowable]:
        t = self.texts["practical"]
        story: list[Flowable] = [self.para(t["heading"], "h1")]
        shown: set[str] = set()
        for block in t["blocks"]:
            if "paragraph" in block:
                story.append(self._practical_paragraph(block["paragraph"], block.get("email")))
            elif "link" in block:
                # The paragraph introducing a link ends with "… :": printed with its bullet or not at all.
                link = block["link"]
                if self._new_address(link.get("url"), shown):
                    if link.get("paragraph"):
                        story.append(self._practical_paragraph(link["paragraph"]))
                    story += [self.bullets([self._anchor(link["url"], link["text"])]), Spacer(1, 6)]
        f = self.texts["further"]
        further = [
            escape(item["prefix"]) + self._anchor(item["url"], item["url"])
            for item in f["links"]
            if self._new_address(item.get("url"), shown)
        ]
        if further:
            story += [Spacer(1, 10), self.para(f["heading"], "h2"), self.bullets(further)]
        return story

    def _practical_paragraph(self, text: str, email: str | None = None) -> Paragraph:
        """A body paragraph of page 8; {email} becomes a mailto link to `email`."""
        link = (
            f'<a href="mailto:{escape(email)}" color="{self.settings["colors"]["title"]}"><u>{escape(email)}</u></a>'
            if email
            else ""
        )
        return self.tagged(TaggedParagraph(self.fill(text, email="{email}").replace("{email}", link), self.styles["body"]), "P")

    @staticmethod
    def _new_address(url: str | None, shown: set[str]) -> bool:
        """A link is printed only with a configured address, and never twice to the same one."""
        if not url or url in shown:
            return False
        shown.add(url)
        return True

    def _anchor(self, url: str, text: str) -> str:
        # Braces doubled: the result goes through fill() again inside bullets().
        markup = f'<a href="{escape(url)}" color="{self.settings["colors"]["title"]}"><u>{escape(text)}</u></a>'
        return markup.replace("{", "{{").replace("}", "}}")

    def story(self) -> list[Flowable]:
        return [
            *self.cover(),
            NextPageTemplate("body"),
            PageBreak(),
            *self.context(),
            PageBreak(),
            *self.balance(),
            PageBreak(),
            *self.flow_pages("exports"),
            PageBreak(),
            *self.flow_pages("imports"),
            PageBreak(),
            *self.evolution(),
            *self.practical(),
        ]

    # -- page decoration ----------------------------------------------------------------
    def draw_footer(self, canvas, doc) -> None:
        footer = self.texts["footer"]
        begin_artifact(canvas)  # footer, page number and rule: pagination, out of the tree
        canvas.saveState()
        muted = colors.HexColor(self.settings["colors"]["muted"])
        canvas.setStrokeColor(colors.HexColor(self.settings["colors"]["rule"]))
        canvas.setLineWidth(0.5)
        # Lines from the bottom up, the lowest at FOOTER_LOWEST_BASELINE whatever their number.
        source_y = FOOTER_LOWEST_BASELINE + (FOOTER_LINE_GAP if self.synthetic else 0.0)
        rule_y = source_y + FOOTER_RULE_ABOVE
        canvas.line(MARGIN_X, rule_y, PAGE_WIDTH - MARGIN_X, rule_y)
        canvas.setFillColor(muted)
        canvas.setFont(self.fonts.regular, 7.5)
        canvas.drawString(MARGIN_X, source_y, footer["source"].format(**self.values))
        canvas.drawRightString(PAGE_WIDTH - MARGIN_X, source_y, footer["page"].format(page=canvas.getPageNumber(), **self.values))
        if self.synthetic:
            canvas.setFillColor(colors.HexColor(self.settings["colors"]["accent"]))
            canvas.drawString(MARGIN_X, FOOTER_LOWEST_BASELINE, footer["synthetic"].format(**self.values))
        canvas.restoreState()
        end_artifact(canvas)


def _pdf_lang(language: str) -> str:
    """The PDF's /Lang and XMP dc:language: French of France for the settings' "fr"."""
    return {"fr": "fr-FR"}.get(language, language)


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
    created: datetime.datetime | None = None,
) -> bytes:
    """The whole sheet as PDF bytes (deterministic for the same arguments); `created` is the
    date the PDF says it was made (the edition's publication date)."""
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
    frame = Frame(
        MARGIN_X,
        MARGIN_BOTTOM,
        FRAME_WIDTH,
        PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates(
        [
            PageTemplate(id="cover", frames=[frame], onPage=builder.draw_footer),
            PageTemplate(id="body", frames=[frame], onPage=builder.draw_footer),
        ]
    )
    story = builder.story()
    lang = _pdf_lang(pdf.get("language", "fr"))
    xmp = xmp_metadata(doc.title, doc.author, doc.subject, lang, doc.creator, created)
    doc.build(story, canvasmaker=tagged_canvas(dated_canvas(created), builder.tags, lang, xmp))
    return buffer.getvalue()
