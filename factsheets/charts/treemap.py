"""Chart 2, "Principales activités à l'import et à l'export": two treemaps side by side.

Imports (blue) on the left, exports (violet) on the right, both blocks as tall as each other
and as wide as their total, so block areas are proportional to the two totals. Inside a
block, the top products are squarified (largest first, darkest shade), and "Autres", when
present, is a lighter strip across the bottom of the block, so it never reads as a product.
Labels (short product label and value in M€) always fit whole inside their cell: at the
configured size when possible, else at a smaller one down to `min_font_size`, else with the
name shortened by "…" (never down to a bare first word), else the cell stays unlabelled.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
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
INLINE_GAP = "  "  # between a name and its value when both share one line
MIN_CUT_LETTERS = 6  # a shortened name keeps at least this many characters before "…"
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
class LabelFonts:
    """The name face (semibold) and value face (regular) of a cell label, at one size."""

    name: v.Font
    value: v.Font

    @property
    def line_height(self) -> float:
        return max(self.name.line_height, self.value.line_height)

    @property
    def top(self) -> float:
        return max(self.name.top, self.value.top)

    def ink_height(self, lines: int) -> float:
        """From the highest accent of the first line to the lowest descender of the last."""
        return (lines - 1) * self.line_height + self.top + max(self.name.bottom, self.value.bottom)


@dataclass(frozen=True)
class CellLabel:
    """Lines to print in a cell, top-down: `name_lines`, then the value on its own line or inline."""

    fonts: LabelFonts
    name_lines: tuple[str, ...]
    value: str | None
    inline: bool = False  # name and value on one line, INLINE_GAP apart


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


def _name(item: Item) -> str:
    return item.short_label or item.label


def label_sizes(settings: dict) -> tuple[LabelFonts, ...]:
    """Cell label fonts from charts.treemap.font_size down to min_font_size, by half points."""
    faces = ChartFonts.from_settings(settings)
    largest = number(settings, "charts.treemap.font_size")
    smallest = min(number(settings, "charts.treemap.min_font_size"), largest)
    sizes = []
    size = largest
    while size >= smallest - 1e-9:
        sizes.append(LabelFonts(v.Font(faces.semibold, size), v.Font(faces.regular, size)))
        size -= 0.5
    return tuple(sizes)


def _readable_cut(shown: Sequence[str], rivals: Collection[str]) -> bool:
    """A shortened name must still say which product it is.

    It keeps at least MIN_CUT_LETTERS characters, and what it keeps must not also begin
    another name of the chart: "Produits…" next to "Produits pétroliers", or "Autres…"
    next to the "Autres" cell, would name nothing.
    """
    visible = " ".join(shown).replace(v.ELLIPSIS, "").strip()
    if len(visible) < MIN_CUT_LETTERS:
        return False
    return not any(rival.startswith(visible) for rival in rivals)


def cell_label(cell: Cell, sizes: Sequence[LabelFonts], value_text: str,
               min_width: float, min_height: float, rivals: Collection[str] = ()) -> CellLabel | None:
    """The best label that fits entirely inside the cell (padding included), or None.

    In order of preference, each tried from the largest size to the smallest: the whole name
    (wrapped) above the value; the whole name and the value on one line; the whole name
    alone; a shortened name above the value; a shortened name alone. A smaller font is
    better than a cut name, a cut name better than none, as long as the cut still names
    the product among `rivals`, the other names of the chart (see `_readable_cut`).
    """
    room_w, room_h = cell.w - 2 * PADDING, cell.h - 2 * PADDING
    if cell.w < min_width or cell.h < min_height or room_w <= 0:
        return None
    name = _name(cell.item)

    def lines_that_fit(fonts: LabelFonts, extra: int) -> int:
        """How many name lines fit with `extra` more lines below them (capped at MAX_NAME_LINES)."""
        count = 0
        while count < MAX_NAME_LINES and fonts.ink_height(count + 1 + extra) <= room_h + v.FIT_TOLERANCE:
            count += 1
        return count

    def whole(fonts: LabelFonts) -> CellLabel | None:
        if fonts.value.width(value_text) > room_w + v.FIT_TOLERANCE:
            return None
        wrapped = v.wrap(name, fonts.name, room_w, lines_that_fit(fonts, 1))
        return CellLabel(fonts, tuple(wrapped), value_text) if wrapped else None

    def inline(fonts: LabelFonts) -> CellLabel | None:
        if lines_that_fit(fonts, 0) < 1:
            return None
        room = room_w - fonts.name.width(INLINE_GAP) - fonts.value.width(value_text)
        if fonts.name.width(name) > room + v.FIT_TOLERANCE:
            return None
        return CellLabel(fonts, (name,), value_text, inline=True)

    def name_only(fonts: LabelFonts) -> CellLabel | None:
        wrapped = v.wrap(name, fonts.name, room_w, lines_that_fit(fonts, 0))
        return CellLabel(fonts, tuple(wrapped), None) if wrapped else None

    def cut(fonts: LabelFonts, with_value: bool) -> CellLabel | None:
        if with_value and fonts.value.width(value_text) > room_w + v.FIT_TOLERANCE:
            return None
        shown = v.wrap(name, fonts.name, room_w, lines_that_fit(fonts, 1 if with_value else 0), shorten=True)
        if not shown or (shown[-1].endswith(v.ELLIPSIS) and not _readable_cut(shown, rivals)):
            return None
        return CellLabel(fonts, tuple(shown), value_text if with_value else None)

    attempts = (whole, inline, name_only, lambda f: cut(f, True), lambda f: cut(f, False))
    for attempt in attempts:
        for fonts in sizes:
            found = attempt(fonts)
            if found is not None:
                return found
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
    sizes = label_sizes(settings)
    caption_font = v.Font(ChartFonts.from_settings(settings).semibold, sizes[0].name.size + 1.5)
    text_colour = colour(settings, "text")
    unit = label(settings, "unit_millions")
    shapes: list = []
    blocks = treemap_layout(imports, exports, settings)
    names = {cell.item.code: _name(cell.item) for block in blocks for cell in block.cells}

    for block in blocks:
        base = colour(settings, "imports" if block.flow == "import" else "exports")
        named_count = sum(1 for cell in block.cells if cell.rank >= 0)
        for cell in block.cells:
            fill = _shade(base, cell, named_count)
            shapes.append(v.rect(cell.x, cell.y, cell.w, cell.h, fill, v.color("#FFFFFF"), 1.0))
            rivals = [name for code, name in names.items() if code != cell.item.code]
            found = cell_label(cell, sizes, f"{format_millions(cell.item.value_eur)} {unit}", min_w, min_h, rivals)
            if found is not None:
                shapes.extend(_label_shapes(cell, found, v.text_on(fill, text_colour)))

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
    shapes.append(v.text(swatch + 4, caption_y, import_caption, caption_font, text_colour))
    export_text_w = caption_font.width(export_caption)
    shapes.append(v.rect(width - export_text_w - swatch - 4, caption_y - 0.5, swatch, swatch, colour(settings, "exports")))
    shapes.append(v.text(width, caption_y, export_caption, caption_font, text_colour, "end"))
    if nothing:
        note_font = sizes[0].value
        shapes.append(v.text(width / 2, EMPTY_HEIGHT / 2 - note_font.cap_height / 2, label(settings, "no_data"),
                             note_font, colour(settings, "muted"), "middle"))
    return v.drawing(width, height, shapes, sizes[0].value)


def _label_shapes(cell: Cell, found: CellLabel, ink: Color) -> list:
    """The label's strings, from the cell's top-left corner inwards."""
    fonts = found.fonts
    x = cell.x + PADDING
    y = cell.y + cell.h - PADDING - fonts.top
    shapes = []
    for name_line in found.name_lines:
        shapes.append(v.text(x, y, name_line, fonts.name, ink))
        y -= fonts.line_height
    if found.value is None:
        return shapes
    if found.inline:  # right after the name, so the pair reads as one label even in a wide strip
        baseline = cell.y + cell.h - PADDING - fonts.top
        shapes.append(v.text(x + fonts.name.width(found.name_lines[0] + INLINE_GAP), baseline, found.value,
                             fonts.value, ink))
    else:
        shapes.append(v.text(x, y, found.value, fonts.value, ink))
    return shapes
