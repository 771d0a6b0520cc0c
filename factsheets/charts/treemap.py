"""Chart 2, "Principales activités à l'import et à l'export": two treemaps side by side.

Imports (blue) on the left, exports (violet) on the right, both blocks as tall as each other
and as wide as their total, so block areas are proportional to the two totals. Inside a
block, the top products are squarified (largest first, darkest shade), and "Autres", when
present, is a lighter strip across the bottom of the block, so it never reads as a product.
Labels (short product label and value in M€) are shown only where they fit whole inside
their cell at the configured size; otherwise they are shortened with "…" or left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import squarify
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import Color

from ..model import FlowSummary, Item
from ..numbers import format_millions
from . import vector as v
from .style import ChartFonts, colour, label, number

CAPTION_HEIGHT = 18.0
EMPTY_HEIGHT = 30.0  # below the captions, when neither flow has any trade
BLOCK_GAP = 6.0
PADDING = 3.0  # between a cell edge and its label
MAX_NAME_LINES = 3
MIN_SHOWN_CHARS = 3  # a shortened name keeps at least this many characters before "…"
DARKEST_TINT, LIGHTEST_TINT, OTHER_TINT = 0.0, 0.55, 0.75


@dataclass(frozen=True)
class Rect:
    x: float
    y: float  # bottom edge (ReportLab coordinates)
    w: float
    h: float

    @property
    def area(self) -> float:
        return self.w * self.h


@dataclass(frozen=True)
class Cell:
    x: float
    y: float
    w: float
    h: float
    item: Item
    rank: int  # 0 = largest named product; "Autres" gets -1

    @property
    def area(self) -> float:
        return self.w * self.h


@dataclass(frozen=True)
class Block:
    flow: str  # "import" or "export"
    rect: Rect
    total_eur: float
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class CellLabel:
    """Lines to print in a cell, top-down; `name_lines` in the name face, then the value line."""

    name_lines: tuple[str, ...]
    value: str | None
    inline: bool = False  # name and value on one line


def _ranked(items: Sequence[Item]) -> list[Item]:
    """Positive items, value descending then code ascending."""
    return sorted((item for item in items if item.value_eur > 0), key=lambda item: (-item.value_eur, item.code))


def squarified_cells(items: Sequence[Item], area: Rect) -> list[Cell]:
    """Tile `area` with one cell per positive item, cell areas proportional to values.

    Named items are squarified (largest top-left); "Autres" takes a full-width strip at the
    bottom, so the named products keep the squarified part to themselves.
    """
    ranked = _ranked(items)
    if not ranked or area.w <= 0 or area.h <= 0:
        return []
    total = sum(item.value_eur for item in ranked)
    named = [item for item in ranked if not item.is_other]
    others = [item for item in ranked if item.is_other]
    cells: list[Cell] = []
    named_area = area
    if others:
        strip_h = area.h * sum(item.value_eur for item in others) / total
        cells.append(Cell(area.x, area.y, area.w, strip_h, others[0], -1))
        named_area = Rect(area.x, area.y + strip_h, area.w, area.h - strip_h)
    if named and named_area.h > 0:
        sizes = squarify.normalize_sizes([item.value_eur for item in named], named_area.w, named_area.h)
        # squarify works top-down from (0, 0); flip each rectangle into ReportLab coordinates.
        top = named_area.y + named_area.h
        for rank, (item, r) in enumerate(zip(named, squarify.squarify(sizes, 0.0, 0.0, named_area.w, named_area.h))):
            cells.append(Cell(named_area.x + r["x"], top - r["y"] - r["dy"], r["dx"], r["dy"], item, rank))
    return cells


def block_rects(import_total: float, export_total: float, width: float, height: float) -> tuple[Rect, Rect]:
    """The import block (left) and export block (right): same height, widths proportional to totals."""
    import_total, export_total = max(import_total, 0.0), max(export_total, 0.0)
    both = import_total > 0 and export_total > 0
    usable = width - (BLOCK_GAP if both else 0.0)
    total = import_total + export_total
    import_w = usable * import_total / total if total > 0 else 0.0
    export_w = usable * export_total / total if total > 0 else 0.0
    return Rect(0.0, 0.0, import_w, height), Rect(width - export_w, 0.0, export_w, height)


def treemap_layout(imports: FlowSummary, exports: FlowSummary, settings: dict) -> tuple[Block, Block]:
    """Both blocks with their cells (the items of `products_with_other`)."""
    width = number(settings, "charts.treemap.width")
    height = number(settings, "charts.treemap.height") - CAPTION_HEIGHT
    import_rect, export_rect = block_rects(imports.total_eur, exports.total_eur, width, height)
    return (
        Block("import", import_rect, imports.total_eur, tuple(squarified_cells(imports.products_with_other, import_rect))),
        Block("export", export_rect, exports.total_eur, tuple(squarified_cells(exports.products_with_other, export_rect))),
    )


@dataclass(frozen=True)
class _Fonts:
    name: v.Font
    value: v.Font
    caption: v.Font


def _fonts(settings: dict) -> _Fonts:
    faces = ChartFonts.from_settings(settings)
    size = number(settings, "charts.treemap.font_size")
    return _Fonts(v.Font(faces.semibold, size), v.Font(faces.regular, size), v.Font(faces.semibold, size + 1.5))


def _short(text: str, font: v.Font, room: float) -> str | None:
    shortened = v.truncate(text, font, room)
    if shortened is None or (shortened != text and len(shortened) - 1 < min(MIN_SHOWN_CHARS, len(text))):
        return None
    return shortened


def cell_label(cell: Cell, name_font: v.Font, value_font: v.Font, value_text: str,
               min_width: float, min_height: float) -> CellLabel | None:
    """The richest label that fits entirely inside the cell (padding included), or None."""
    room_w, room_h = cell.w - 2 * PADDING, cell.h - 2 * PADDING
    if cell.w < min_width or cell.h < min_height or room_w <= 0:
        return None
    line = max(name_font.line_height, value_font.line_height)
    name = cell.item.short_label or cell.item.label

    def fits(lines: int) -> bool:
        ink = (lines - 1) * line + max(name_font.top, value_font.top) + max(name_font.bottom, value_font.bottom)
        return ink <= room_h

    wrapped = v.wrap(name, name_font, room_w, MAX_NAME_LINES)
    value_fits = value_font.width(value_text) <= room_w
    if wrapped and value_fits and fits(len(wrapped) + 1):
        return CellLabel(tuple(wrapped), value_text)
    short = _short(name, name_font, room_w)
    if short and value_fits and fits(2):
        return CellLabel((short,), value_text)
    if fits(1):
        gap = name_font.width("  ")
        inline_short = _short(name, name_font, room_w - gap - value_font.width(value_text))
        if inline_short:
            return CellLabel((inline_short,), value_text, inline=True)
        if short:
            return CellLabel((short,), None)
    return None


def _shade(base: Color, cell: Cell, named_count: int) -> Color:
    if cell.rank < 0:
        return v.tint(base, OTHER_TINT)
    spread = cell.rank / max(named_count - 1, 1)
    return v.tint(base, DARKEST_TINT + (LIGHTEST_TINT - DARKEST_TINT) * spread)


def treemap_chart(imports: FlowSummary, exports: FlowSummary, settings: dict) -> Drawing:
    width = number(settings, "charts.treemap.width")
    height = number(settings, "charts.treemap.height")
    nothing = imports.total_eur <= 0 and exports.total_eur <= 0
    if nothing:  # captions and a one-line note instead of a tall empty frame
        height = CAPTION_HEIGHT + EMPTY_HEIGHT
    min_w = number(settings, "charts.treemap.min_label_width")
    min_h = number(settings, "charts.treemap.min_label_height")
    fonts = _fonts(settings)
    text_colour = colour(settings, "text")
    unit = label(settings, "unit_millions")
    shapes: list = []
    blocks = treemap_layout(imports, exports, settings)

    for block in blocks:
        base = colour(settings, "imports" if block.flow == "import" else "exports")
        named_count = sum(1 for cell in block.cells if cell.rank >= 0)
        for cell in block.cells:
            fill = _shade(base, cell, named_count)
            shapes.append(v.rect(cell.x, cell.y, cell.w, cell.h, fill, v.color("#FFFFFF"), 1.0))
            value_text = f"{format_millions(cell.item.value_eur)} {unit}"
            found = cell_label(cell, fonts.name, fonts.value, value_text, min_w, min_h)
            if found is None:
                continue
            ink = v.text_on(fill, text_colour)
            x = cell.x + PADDING
            y = cell.y + cell.h - PADDING - max(fonts.name.top, fonts.value.top)
            line = max(fonts.name.line_height, fonts.value.line_height)
            for name_line in found.name_lines:
                shapes.append(v.text(x, y, name_line, fonts.name, ink))
                if not found.inline:
                    y -= line
            if found.value is not None:
                if found.inline:
                    shapes.append(v.text(cell.x + cell.w - PADDING, y, found.value, fonts.value, ink, "end"))
                else:
                    shapes.append(v.text(x, y, found.value, fonts.value, ink))

    # Captions above the blocks: imports from the left edge, exports to the right edge.
    caption_y = height - CAPTION_HEIGHT + 6
    swatch = 8.0
    import_caption = label(settings, "treemap_caption").format(
        flow=label(settings, "imports"), value=format_millions(imports.total_eur), unit=unit
    )
    export_caption = label(settings, "treemap_caption").format(
        flow=label(settings, "exports"), value=format_millions(exports.total_eur), unit=unit
    )
    shapes.append(v.rect(0, caption_y - 0.5, swatch, swatch, colour(settings, "imports")))
    shapes.append(v.text(swatch + 4, caption_y, import_caption, fonts.caption, text_colour))
    export_text_w = fonts.caption.width(export_caption)
    shapes.append(v.rect(width - export_text_w - swatch - 4, caption_y - 0.5, swatch, swatch, colour(settings, "exports")))
    shapes.append(v.text(width, caption_y, export_caption, fonts.caption, text_colour, "end"))
    if nothing:
        shapes.append(v.text(width / 2, EMPTY_HEIGHT / 2 - fonts.value.cap_height / 2, label(settings, "no_data"),
                             fonts.value, colour(settings, "muted"), "middle"))
    return v.drawing(width, height, shapes, fonts.value)
