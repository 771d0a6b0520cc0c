"""Chart 2, "Principales activités à l'import et à l'export": two treemaps side by side.

Imports (blue) on the left, exports (violet) on the right; block areas are proportional to
the two totals. Both blocks are as tall as each other, unless that would make the smaller
one a sliver: it then becomes a square-ish block of the same area (never narrower than
its caption), top-aligned with the other. Inside a block the top products are squarified
(largest first, darkest shade) and "Autres" is a lighter strip across the bottom.

Every product and "Autres" is named in full with its value, at ONE label size for the
whole chart: in its tile when the whole name and the value fit there, otherwise by a
number in the tile and an entry of the key beside the chart (a chip in the block's
colour with that number, the name and the value). Names are never cut. A tile too small
even for its number gets it just outside its block's right edge, joined to the tile by a
thin leader (a callout); the smallest products are then sliced against that edge so that
no leader crosses another tile.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import squarify
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import Color

from ..config import Settings
from ..contrast import RGB, darkest_label_tint
from ..model import FlowSummary, Item
from ..numbers import format_millions
from . import vector as v
from .sankey import spread_labels
from .style import ChartFonts

CAPTION_LINE = 11.0  # caption line height
CAPTION_BELOW = 7.0  # from the caption's last baseline down to the blocks
EMPTY_HEIGHT = 30.0  # below the captions, when neither flow has any trade
BLOCK_GAP = 6.0
SWATCH = 8.0  # the coloured square before a caption
SWATCH_GAP = 4.0
PADDING = 3.0  # between a cell edge and its label
NUMBER_PADDING = 1.5  # between a cell edge and its key number
# Ink of the figures 0-9 in em, measured on the Open Sans faces (glyph bounding boxes): a key
# number needs this much height, not the accents and descenders a name line allows for.
FIGURE_TOP, FIGURE_BOTTOM = 0.725, 0.01
MAX_NAME_LINES = 3
INLINE_GAP = "  "  # between a name and its value when both share one line
# Below this width (as a share of the plot height) a block of the same height as the other
# would be a sliver; it takes a square-ish shape of the same area instead.
SLIVER = 0.4
KEY_GAP = 10.0  # between the blocks and the key
# A callout: a number outside the block's right edge, joined by a leader to a tile too small
# to hold it. The leader leaves the tile level, bends CALLOUT_ELBOW past the edge and ends
# CALLOUT_TEXT_GAP before the number, which starts CALLOUT_RUN past the edge.
CALLOUT_ELBOW = 3.0
CALLOUT_RUN = 9.0
CALLOUT_TEXT_GAP = 1.5
CALLOUT_AFTER = 6.0  # after the widest number, before the next block or the key
CALLOUT_INSET = 4.0  # in a wide strip, the leader starts this far in from the edge
CALLOUT_SPACING = 1.5  # between two callout numbers, beyond their figures' height
LEADER_WIDTH = 0.5
DOT_RADIUS = 0.9
EDGE_TOLERANCE = 1e-6
MAX_LAYOUT_PASSES = 12  # up to every product of a block sliced in its corner
KEY_CHIP_GAP = 4.0  # between a key chip and its text
KEY_ENTRY_GAP = 2.5
KEY_GROUP_GAP = 6.0  # between the import entries and the export entries
# Tile shades, as fractions of the way from the block's darkest passing shade to white:
# the largest product, the smallest named one, and "Autres".
DARKEST_TINT, LIGHTEST_TINT, OTHER_TINT = 0.0, 0.45, 0.65


class Rect(NamedTuple):
    x: float
    y: float  # bottom edge (ReportLab coordinates)
    w: float
    h: float

    @property
    def area(self) -> float:
        return self.w * self.h


class Cell(NamedTuple):
    x: float
    y: float
    w: float
    h: float
    item: Item
    rank: int  # 0 = largest named product; "Autres" gets -1

    @property
    def area(self) -> float:
        return self.w * self.h


class Block(NamedTuple):
    flow: str  # "import" or "export"
    rect: Rect
    total_eur: float
    cells: tuple[Cell, ...]


class LabelFonts(NamedTuple):
    """The name face (semibold) and value face (regular) of the chart's labels, at one size."""

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


class CellLabel(NamedTuple):
    """Lines to print in a cell, top-down: `name_lines`, then the value on its own line or inline."""

    fonts: LabelFonts
    name_lines: tuple[str, ...]
    value: str
    inline: bool = False  # name and value on one line, INLINE_GAP apart


class Tile(NamedTuple):
    """What one cell shows: its full label, or the number of its key entry (None: too small)."""

    cell: Cell
    flow: str
    label: CellLabel | None
    number: int | None = None
    number_fits: bool = False


class KeyEntry(NamedTuple):
    number: int
    flow: str
    item: Item
    lines: tuple[str, ...]  # the name, wrapped; the value ends the last line or follows it
    value: str
    value_inline: bool
    top: float  # y of the entry's top edge


class Callout(NamedTuple):
    """A key number drawn outside its block: the leader anchor -> elbow -> end, then the number."""

    number: int
    flow: str
    anchor: tuple[float, float]  # inside the tile (a dot marks it)
    elbow: tuple[float, float]  # just past the block's right edge, level with the anchor
    end: tuple[float, float]  # just before the number, level with its figures' middle
    baseline: tuple[float, float]  # where the number's text starts


class Caption(NamedTuple):
    flow: str
    lines: tuple[str, ...]
    x: float
    anchor: str  # "start": swatch then text from x; "end": text ending at x


class TreemapPlan(NamedTuple):
    """Everything the drawing places, computed before drawing (and checked by the tests)."""

    width: float
    height: float
    blocks: tuple[Block, Block]
    tiles: tuple[Tile, ...]
    key: tuple[KeyEntry, ...]
    key_x: float
    captions: tuple[Caption, ...]
    fonts: LabelFonts
    caption_font: v.Font
    callouts: tuple[Callout, ...] = ()


def _ranked(items: Sequence[Item]) -> list[Item]:
    """Positive items, value descending then code ascending."""
    return sorted((item for item in items if item.value_eur > 0), key=lambda item: (-item.value_eur, item.code))


def squarified_cells(items: Sequence[Item], area: Rect, corner_count: int = 0) -> list[Cell]:
    """Tile `area` with one cell per positive item, cell areas proportional to values.

    Named items are squarified (largest top-left); "Autres" takes a full-width strip at the
    bottom, so the named products keep the squarified part to themselves. With
    `corner_count` >= 2, the smallest named items share the last squarified rectangle, which
    holds the named area's bottom-right corner, as slices stacked top-down (largest on top):
    each then touches the block's right edge, so a tile too small for its number is numbered
    just outside that edge (see _callouts) without its leader crossing another tile.
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
    if not named or named_area.h <= 0:
        return cells
    corner_count = min(corner_count, len(named)) if corner_count >= 2 else 0
    squared, corner = named[: len(named) - corner_count], named[len(named) - corner_count :]
    values = [item.value_eur for item in squared] + ([sum(item.value_eur for item in corner)] if corner else [])
    sizes = squarify.normalize_sizes(values, named_area.w, named_area.h)
    # squarify works top-down from (0, 0); flip each rectangle into ReportLab coordinates.
    top = named_area.y + named_area.h
    rects = [
        Rect(named_area.x + r["x"], top - r["y"] - r["dy"], r["dx"], r["dy"])
        for r in squarify.squarify(sizes, 0.0, 0.0, named_area.w, named_area.h)
    ]
    cells += [Cell(r.x, r.y, r.w, r.h, item, rank) for rank, (item, r) in enumerate(zip(squared, rects))]
    if corner:  # squarify leaves its last rectangle in the bottom-right corner
        last = rects[-1]
        slice_top = last.y + last.h
        for rank, item in enumerate(corner, start=len(squared)):
            h = last.h * item.value_eur / values[-1]
            slice_top -= h
            cells.append(Cell(last.x, slice_top, last.w, h, item, rank))
    return cells


def block_rects(
    import_total: float, export_total: float, width: float, height: float, min_width: float = 0.0, gap: float = BLOCK_GAP
) -> tuple[Rect, Rect]:
    """The import block (left) and export block (right), tops at `height`, areas in the totals' ratio.

    Same height and widths in proportion, unless the smaller block would then be narrower
    than SLIVER x height: it then gets the side of a square of its area (at least
    `min_width`, the room its caption needs) and the height its area leaves.
    """
    import_total, export_total = max(import_total, 0.0), max(export_total, 0.0)
    if import_total <= 0 or export_total <= 0:
        full = Rect(0.0, 0.0, width, height)
        empty_import, empty_export = Rect(0.0, height, 0.0, 0.0), Rect(width, height, 0.0, 0.0)
        if import_total <= 0 and export_total <= 0:
            return empty_import, empty_export
        return (full, empty_export) if import_total > 0 else (empty_import, full)
    usable = width - gap
    small_total, large_total = sorted((import_total, export_total))
    ratio = small_total / large_total
    small_w = usable * ratio / (1 + ratio)
    small_h = height
    if small_w < SLIVER * height:
        # Square: s^2 = ratio * (usable - s) * height.
        rh = ratio * height
        small_w = max((-rh + math.sqrt(rh * rh + 4 * rh * usable)) / 2, min(min_width, usable / 2))
        small_h = ratio * (usable - small_w) * height / small_w
    large_w = usable - small_w
    small = (small_w, small_h)
    large = (large_w, height)
    import_w, import_h = small if import_total <= export_total else large
    export_w, export_h = large if import_total <= export_total else small
    return (Rect(0.0, height - import_h, import_w, import_h), Rect(width - export_w, height - export_h, export_w, export_h))


def _name(item: Item) -> str:
    return item.chart_label


def label_fonts(settings: Settings) -> LabelFonts:
    """The chart's single label size (charts.treemap.font_size): tiles, numbers and key."""
    faces = ChartFonts.from_settings(settings)
    size = settings.charts.treemap.font_size
    return LabelFonts(v.Font(faces.semibold, size), v.Font(faces.regular, size))


def cell_label(cell: Cell, fonts: LabelFonts, value_text: str) -> CellLabel | None:
    """The whole name and the value inside the cell (padding included), or None.

    First the name wrapped on up to MAX_NAME_LINES lines above the value, then name and value
    on one line (a wide flat strip). Never a cut name and never a smaller size: a cell
    where neither fits is named by the key.
    """
    room_w, room_h = cell.w - 2 * PADDING, cell.h - 2 * PADDING
    if room_w <= 0 or room_h <= 0:
        return None
    name = _name(cell.item)
    if fonts.value.width(value_text) <= room_w + v.FIT_TOLERANCE:
        lines = 0
        while lines < MAX_NAME_LINES and fonts.ink_height(lines + 2) <= room_h + v.FIT_TOLERANCE:
            lines += 1
        wrapped = v.wrap(name, fonts.name, room_w, lines) if lines else None
        if wrapped:
            return CellLabel(fonts, tuple(wrapped), value_text)
    if fonts.ink_height(1) <= room_h + v.FIT_TOLERANCE:
        if fonts.name.width(name + INLINE_GAP) + fonts.value.width(value_text) <= room_w + v.FIT_TOLERANCE:
            return CellLabel(fonts, (name,), value_text, inline=True)
    return None


def number_fits(cell: Cell, fonts: LabelFonts, text: str) -> bool:
    """A key number fits by its figures' ink: no accent above, no descender below."""
    return (
        fonts.name.width(text) <= cell.w - 2 * NUMBER_PADDING + v.FIT_TOLERANCE
        and _figure_height(fonts) <= cell.h - 2 * NUMBER_PADDING + v.FIT_TOLERANCE
    )


def _figure_top(fonts: LabelFonts) -> float:
    return FIGURE_TOP * fonts.name.size


def _figure_height(fonts: LabelFonts) -> float:
    return (FIGURE_TOP + FIGURE_BOTTOM) * fonts.name.size


def _value_text(item: Item, unit: str) -> str:
    return f"{format_millions(item.value_eur)} {unit}"


def _caption_lines(settings: Settings, flow_word: str, total_eur: float, unit: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The caption on one line, and on two lines for a narrow block."""
    value = format_millions(total_eur)
    one = settings.charts.labels.treemap_caption.format(flow=flow_word, value=value, unit=unit)
    two = tuple(line.format(flow=flow_word, value=value, unit=unit) for line in settings.charts.labels.treemap_caption_narrow)
    return (one,), two


def _caption_width(font: v.Font, lines: Sequence[str]) -> float:
    return SWATCH + SWATCH_GAP + max(font.width(line) for line in lines)


def treemap_plan(imports: FlowSummary, exports: FlowSummary, settings: Settings, height: float | None = None) -> TreemapPlan:
    """Blocks, tiles, captions and key of the chart (see the module docstring).

    `height` (default charts.treemap.height) is the chart's height; a key longer than the
    blocks makes it taller.
    """
    width = settings.charts.treemap.width
    height = settings.charts.treemap.height if height is None else height
    key_width = settings.charts.treemap.key_width
    fonts = label_fonts(settings)
    caption_font = v.Font(fonts.name.name, fonts.name.size + 1.5)
    unit = settings.charts.labels.unit_millions
    summaries = {"import": imports, "export": exports}
    words = {"import": settings.charts.labels.imports, "export": settings.charts.labels.exports}
    caption_options = {flow: _caption_lines(settings, words[flow], summaries[flow].total_eur, unit) for flow in summaries}
    narrowest = max(_caption_width(caption_font, options[1]) for options in caption_options.values())

    if imports.total_eur <= 0 and exports.total_eur <= 0:  # captions and a one-line note
        plot_h = EMPTY_HEIGHT
        blocks = (Block("import", Rect(0, plot_h, 0, 0), 0.0, ()), Block("export", Rect(width, plot_h, 0, 0), 0.0, ()))
        captions = _captions(blocks, caption_options, caption_font, width)
        return TreemapPlan(width, plot_h + _caption_height(captions), blocks, (), (), width, captions, fonts, caption_font)

    gutter = _callout_gutter(fonts, sum(len(summary.products_with_other) for summary in summaries.values()))

    def layout(blocks_width: float, gap: float, corner_counts: dict[str, int], overhang: dict[str, float]):
        plot_h = height - CAPTION_LINE - CAPTION_BELOW
        for _ in range(2):  # a two-line caption takes room from the blocks: lay them out again
            rects = block_rects(imports.total_eur, exports.total_eur, blocks_width, plot_h, narrowest, gap)
            blocks = tuple(
                Block(
                    flow,
                    rect,
                    summaries[flow].total_eur,
                    tuple(squarified_cells(summaries[flow].products_with_other, rect, corner_counts.get(flow, 0))),
                )
                for flow, rect in zip(("import", "export"), rects)
            )
            captions = _captions(blocks, caption_options, caption_font, width, overhang)
            if height - _caption_height(captions) == plot_h:
                break
            plot_h = height - _caption_height(captions)
        tiles = tuple(
            Tile(cell, block.flow, cell_label(cell, fonts, _value_text(cell.item, unit)))
            for block in blocks
            for cell in _reading_order(block.cells)
        )
        return plot_h, blocks, captions, tiles

    def attempt(blocks_width: float, gutters: frozenset[str] = frozenset(), corner_counts: dict[str, int] | None = None):
        """The layout in `blocks_width`, with a callout gutter right of the blocks of `gutters`
        and each block's `corner_counts` smallest products sliced in its corner; and how far
        the key moves right to leave room for the callouts of the rightmost block.

        Between the blocks the gap widens. Right of the rightmost block, the gutter comes out
        of the blocks' width, unless that would break a caption on two lines (shorter blocks,
        other tiles) while a narrower key would still end above the blocks' bottom: then out
        of the key's width. Never a key that lengthens the chart (scaled down on the page).
        """
        corner_counts = corner_counts or {}
        both = imports.total_eur > 0 and exports.total_eur > 0
        gap = max(BLOCK_GAP, gutter) if both and "import" in gutters else BLOCK_GAP
        rightmost = "export" if exports.total_eur > 0 else "import"
        extra = max(0.0, gutter - KEY_GAP) if rightmost in gutters else 0.0
        overhang = {"import": gap - BLOCK_GAP}
        if not extra:
            return (*layout(blocks_width, gap, corner_counts, overhang), 0.0)
        narrower = layout(blocks_width - extra, gap, corner_counts, {**overhang, rightmost: gutter - CALLOUT_AFTER})
        full = layout(blocks_width, gap, corner_counts, overhang)
        if narrower[0] < full[0]:
            key_text_width = width - (blocks_width + KEY_GAP + extra) - _chip_size(fonts) - KEY_CHIP_GAP
            key = _key_entries(_numbered(full[3], fonts), fonts, key_text_width, full[0], unit)
            if min((entry.top - _entry_height(entry, fonts) for entry in key), default=0.0) >= 0.0:
                return (*full, extra)
        return (*narrower, 0.0)

    plot_h, blocks, captions, tiles, _ = attempt(width)
    key: tuple[KeyEntry, ...] = ()
    key_x = width
    if any(tile.label is None for tile in tiles):
        key_x = width - key_width
        plot_h, blocks, captions, tiles, key_shift = attempt(key_x - KEY_GAP)
        tiles = _numbered(tiles, fonts)
        # Tiles too small even for their number are numbered just outside their block's right
        # edge (a gutter opens there); if one does not touch that edge, the smallest products
        # are sliced in the block's bottom-right corner instead (see squarified_cells).
        gutters: frozenset[str] = frozenset()
        corner_counts = {"import": 0, "export": 0}
        for _ in range(MAX_LAYOUT_PASSES):
            wanted, counts = gutters, dict(corner_counts)
            for block in blocks:
                outside = [tile for tile in tiles if tile.flow == block.flow and _needs_callout(tile)]
                if outside:
                    wanted |= {block.flow}
                if any(not _touches_right_edge(tile.cell, block.rect) for tile in outside):
                    named = [tile for tile in outside if tile.cell.rank >= 0]
                    counts[block.flow] = max(counts[block.flow] + 1, len(named), 2)
            if (wanted, counts) == (gutters, corner_counts):
                break
            gutters, corner_counts = wanted, counts
            plot_h, blocks, captions, tiles, key_shift = attempt(key_x - KEY_GAP, gutters, corner_counts)
            tiles = _numbered(tiles, fonts)
        key_x += key_shift
        key = _key_entries(tiles, fonts, width - key_x - _chip_size(fonts) - KEY_CHIP_GAP, plot_h, unit)
    key_bottom = min((entry.top - _entry_height(entry, fonts) for entry in key), default=0.0)
    # A key taller than the blocks lengthens the chart downwards; everything moves up.
    lift = max(0.0, -key_bottom)
    if lift:
        blocks, tiles, key = _lifted(blocks, tiles, key, lift)
        plot_h += lift
    total_h = plot_h + _caption_height(captions)
    callouts = _callouts(blocks, tiles, fonts, plot_h)
    return TreemapPlan(width, total_h, blocks, tiles, key, key_x, captions, fonts, caption_font, callouts)


def _needs_callout(tile: Tile) -> bool:
    return tile.number is not None and not tile.number_fits


def _touches_right_edge(cell: Cell, rect: Rect) -> bool:
    return cell.x + cell.w >= rect.x + rect.w - EDGE_TOLERANCE


def _callout_gutter(fonts: LabelFonts, tile_count: int) -> float:
    """Room right of a block for callout numbers: the leader's run, then the widest number."""
    return CALLOUT_RUN + fonts.name.width(str(max(tile_count, 1))) + CALLOUT_AFTER


def _callouts(blocks: Sequence[Block], tiles: Sequence[Tile], fonts: LabelFonts, plot_h: float) -> tuple[Callout, ...]:
    """Numbers of the tiles too small to hold them, right of their block, each joined to its tile.

    The leader starts inside the tile (its centre, or a few points in from the block's edge
    for a wide strip), runs level to just past the edge, then to its number. Numbers keep the
    tiles' top-down order and are spread at least a figure's height apart within the plot.
    """
    callouts: list[Callout] = []
    figure_h = _figure_height(fonts)
    for block in blocks:
        outside = [tile for tile in tiles if tile.flow == block.flow and _needs_callout(tile)]
        if not outside:
            continue
        edge = block.rect.x + block.rect.w
        anchors = [
            (max(tile.cell.x + tile.cell.w / 2, tile.cell.x + tile.cell.w - CALLOUT_INSET), tile.cell.y + tile.cell.h / 2)
            for tile in outside
        ]
        order = sorted(range(len(outside)), key=lambda i: (-anchors[i][1], outside[i].number))
        # spread_labels works top-down: distance from the plot's top to each number's centre.
        wishes = [plot_h - anchors[i][1] for i in order]
        centres = spread_labels(wishes, figure_h + CALLOUT_SPACING, figure_h / 2, plot_h - figure_h / 2)
        for i, centre in zip(order, centres):
            tile, anchor = outside[i], anchors[i]
            label_y = plot_h - centre
            callouts.append(
                Callout(
                    number=tile.number,
                    flow=tile.flow,
                    anchor=anchor,
                    elbow=(edge + CALLOUT_ELBOW, anchor[1]),
                    end=(edge + CALLOUT_RUN - CALLOUT_TEXT_GAP, label_y),
                    baseline=(edge + CALLOUT_RUN, label_y - figure_h / 2 + FIGURE_BOTTOM * fonts.name.size),
                )
            )
    return tuple(sorted(callouts, key=lambda callout: callout.number))


def _reading_order(cells: Sequence[Cell]) -> list[Cell]:
    """Named products by rank, then "Autres": the order of the key numbers."""
    return sorted(cells, key=lambda cell: (cell.rank < 0, cell.rank))


def _captions(
    blocks: Sequence[Block], options: dict, font: v.Font, width: float, overhang: dict[str, float] | None = None
) -> tuple[Caption, ...]:
    """Each caption over its own block, on one line when it fits the block's width (plus its
    `overhang`: the callout gutter right of the block, empty at the caption's height), else two.

    With one flow empty the other block spans the chart: imports' caption at the left edge,
    exports' ending at the right edge, as both stand over the one block drawn.
    """
    import_block, export_block = blocks
    if import_block.rect.w <= 0 or export_block.rect.w <= 0:
        return (Caption("import", options["import"][0], 0.0, "start"), Caption("export", options["export"][0], width, "end"))
    captions = []
    for block in blocks:
        one, two = options[block.flow]
        room = block.rect.w + (overhang or {}).get(block.flow, 0.0)
        lines = one if _caption_width(font, one) <= room + v.FIT_TOLERANCE else two
        captions.append(Caption(block.flow, lines, block.rect.x, "start"))
    return tuple(captions)


def _caption_height(captions: Sequence[Caption]) -> float:
    return CAPTION_LINE * max(len(caption.lines) for caption in captions) + CAPTION_BELOW


def _numbered(tiles: Sequence[Tile], fonts: LabelFonts) -> tuple[Tile, ...]:
    """Key numbers, 1, 2, ... in reading order (imports then exports), for the unlabelled tiles."""
    numbered = []
    count = 0
    for tile in tiles:
        if tile.label is None:
            count += 1
            numbered.append(Tile(tile.cell, tile.flow, None, count, number_fits(tile.cell, fonts, str(count))))
        else:
            numbered.append(tile)
    return tuple(numbered)


def _chip_size(fonts: LabelFonts) -> float:
    return fonts.name.size + 3.0


def _first_baseline(fonts: LabelFonts) -> float:
    """From a key entry's top to its first baseline: the capitals centred on the chip."""
    return _chip_size(fonts) / 2 + fonts.name.cap_height / 2


def _entry_height(entry: KeyEntry, fonts: LabelFonts) -> float:
    lines = len(entry.lines) + (0 if entry.value_inline else 1)
    return max(_chip_size(fonts), _first_baseline(fonts) + (lines - 1) * fonts.line_height + fonts.name.bottom)


def _key_entries(tiles: Sequence[Tile], fonts: LabelFonts, text_width: float, top: float, unit: str) -> tuple[KeyEntry, ...]:
    entries = []
    previous_flow = None
    for tile in tiles:
        if tile.number is None:
            continue
        if previous_flow is not None and tile.flow != previous_flow:
            top -= KEY_GROUP_GAP
        previous_flow = tile.flow
        name = _name(tile.cell.item)
        value = _value_text(tile.cell.item, unit)
        lines = v.wrap(name, fonts.name, text_width, MAX_NAME_LINES) or [name]
        inline = fonts.name.width(lines[-1] + INLINE_GAP) + fonts.value.width(value) <= text_width + v.FIT_TOLERANCE
        entry = KeyEntry(tile.number, tile.flow, tile.cell.item, tuple(lines), value, inline, top)
        entries.append(entry)
        top -= _entry_height(entry, fonts) + KEY_ENTRY_GAP
    return tuple(entries)


def _lifted(blocks, tiles, key, lift: float):
    """Everything moved up by `lift` (the chart grows downwards to hold a long key)."""

    def cell_up(cell: Cell) -> Cell:
        return cell._replace(y=cell.y + lift)

    blocks = tuple(b._replace(rect=b.rect._replace(y=b.rect.y + lift), cells=tuple(cell_up(c) for c in b.cells)) for b in blocks)
    tiles = tuple(t._replace(cell=cell_up(t.cell)) for t in tiles)
    key = tuple(e._replace(top=e.top + lift) for e in key)
    return blocks, tiles, key


def treemap_layout(imports: FlowSummary, exports: FlowSummary, settings: Settings) -> tuple[Block, Block]:
    """Both blocks with their cells (the items of `products_with_other`), as drawn."""
    return treemap_plan(imports, exports, settings).blocks


class BlockInk(NamedTuple):
    """A block's colours: its darkest tile shade (also its caption swatch and key chips)
    and the one colour of every label printed on its tiles."""

    darkest: Color
    label: Color

    def shade(self, amount: float) -> Color:
        return v.tint(self.darkest, amount)


def block_ink(base: Color, label_colour: Color) -> BlockInk:
    """The block's darkest shade: `base` itself when `label_colour` (dark) reads on it at
    contrast.LABEL_CONTRAST, else `base` moved towards white in small steps until it does; every
    lighter shade of the block then passes too. The settings' loader has refused a label
    colour no shade can carry (contrast.label_complaint); such a pair, from unchecked
    colours, gets the palest shade."""
    amount = darkest_label_tint(_rgb(base), _rgb(label_colour))
    return BlockInk(v.tint(base, 1.0 if amount is None else amount), label_colour)


def _rgb(colour: Color) -> RGB:
    return colour.red, colour.green, colour.blue


def block_inks(settings: Settings) -> dict[str, BlockInk]:
    return {
        "import": block_ink(v.color(settings.colors.imports), v.color(settings.colors.imports_label)),
        "export": block_ink(v.color(settings.colors.exports), v.color(settings.colors.exports_label)),
    }


def _shade(ink: BlockInk, cell: Cell, named_count: int) -> Color:
    if cell.rank < 0:
        return ink.shade(OTHER_TINT)
    spread = cell.rank / max(named_count - 1, 1)
    return ink.shade(DARKEST_TINT + (LIGHTEST_TINT - DARKEST_TINT) * spread)


def treemap_marks(imports: FlowSummary, exports: FlowSummary, settings: Settings, height: float | None = None) -> v.ShapeChart:
    """The chart's marks at its configured height, or at `height` (the layout's room left on
    the page), in drawing order: each tile and its label, the callouts, the key, the captions."""
    plan = treemap_plan(imports, exports, settings, height)
    fonts = plan.fonts
    text_colour = v.color(settings.colors.text)
    inks = block_inks(settings)
    named_counts = {block.flow: sum(1 for cell in block.cells if cell.rank >= 0) for block in plan.blocks}
    marks: list = []
    for tile in plan.tiles:
        cell = tile.cell
        fill = _shade(inks[tile.flow], cell, named_counts[tile.flow])
        marks.append(v.RectMark(cell.x, cell.y, cell.w, cell.h, fill, v.color("#FFFFFF"), 1.0))
        ink = inks[tile.flow].label  # one label colour per block, whatever the tile's shade
        if tile.label is not None:
            marks.extend(_label_marks(cell, tile.label, ink))
        elif tile.number_fits:
            marks.append(
                v.text_mark(
                    cell.x + NUMBER_PADDING,
                    cell.y + cell.h - NUMBER_PADDING - _figure_top(fonts),
                    str(tile.number),
                    fonts.name,
                    ink,
                )
            )
    for callout in plan.callouts:
        marks.extend(_callout_marks(callout, fonts, text_colour))
    marks.extend(_key_marks(plan, inks, text_colour))

    baseline = plan.height - CAPTION_LINE + 2.5
    for caption in plan.captions:
        swatch_colour = inks[caption.flow].darkest
        text_w = max(plan.caption_font.width(line) for line in caption.lines)
        left = caption.x if caption.anchor == "start" else caption.x - text_w - SWATCH - SWATCH_GAP
        marks.append(v.RectMark(left, baseline - 0.5, SWATCH, SWATCH, swatch_colour))
        for index, line in enumerate(caption.lines):
            marks.append(
                v.text_mark(left + SWATCH + SWATCH_GAP, baseline - index * CAPTION_LINE, line, plan.caption_font, text_colour)
            )
    if not plan.tiles:
        note_font = fonts.value
        marks.append(
            v.text_mark(
                plan.width / 2,
                EMPTY_HEIGHT / 2 - note_font.cap_height / 2,
                settings.charts.labels.no_data,
                note_font,
                v.color(settings.colors.muted),
                "middle",
            )
        )
    return v.ShapeChart(plan.width, plan.height, marks, fonts.value)


def treemap_chart(imports: FlowSummary, exports: FlowSummary, settings: Settings, height: float | None = None) -> Drawing:
    """The chart as a ReportLab Drawing of the same marks (tests, previews, peers)."""
    return treemap_marks(imports, exports, settings, height).to_drawing()


def _callout_marks(callout: Callout, fonts: LabelFonts, ink: Color) -> list:
    """A dot in the tile, a thin leader out of the block, and the number in the text colour."""
    (ax, ay), (bx, by), (ex, ey) = callout.anchor, callout.elbow, callout.end
    return [
        v.CircleMark(ax, ay, DOT_RADIUS, ink),
        v.LineMark(ax, ay, bx, by, ink, LEADER_WIDTH),
        v.LineMark(bx, by, ex, ey, ink, LEADER_WIDTH),
        v.text_mark(*callout.baseline, str(callout.number), fonts.name, ink),
    ]


def _key_marks(plan: TreemapPlan, inks: dict[str, BlockInk], text_colour: Color) -> list:
    """Each entry: a chip in its block's darkest shade with the number in the block's label
    colour, then the name and the value."""
    fonts = plan.fonts
    chip = _chip_size(fonts)
    text_x = plan.key_x + chip + KEY_CHIP_GAP
    marks = []
    for entry in plan.key:
        ink = inks[entry.flow]
        marks.append(v.RectMark(plan.key_x, entry.top - chip, chip, chip, ink.darkest))
        y = entry.top - _first_baseline(fonts)  # the number and the first line, centred on the chip
        marks.append(v.text_mark(plan.key_x + chip / 2, y, str(entry.number), fonts.name, ink.label, "middle"))
        for line in entry.lines:
            marks.append(v.text_mark(text_x, y, line, fonts.name, text_colour))
            y -= fonts.line_height
        if entry.value_inline:
            last = y + fonts.line_height
            marks.append(
                v.text_mark(text_x + fonts.name.width(entry.lines[-1] + INLINE_GAP), last, entry.value, fonts.value, text_colour)
            )
        else:
            marks.append(v.text_mark(text_x, y, entry.value, fonts.value, text_colour))
    return marks


def _label_marks(cell: Cell, found: CellLabel, ink: Color) -> list:
    """The label's strings, from the cell's top-left corner inwards."""
    fonts = found.fonts
    x = cell.x + PADDING
    y = cell.y + cell.h - PADDING - fonts.top
    marks = []
    for name_line in found.name_lines:
        marks.append(v.text_mark(x, y, name_line, fonts.name, ink))
        y -= fonts.line_height
    if found.inline:  # right after the name, so the pair reads as one label even in a wide strip
        baseline = cell.y + cell.h - PADDING - fonts.top
        marks.append(v.text_mark(x + fonts.name.width(found.name_lines[0] + INLINE_GAP), baseline, found.value, fonts.value, ink))
    else:
        marks.append(v.text_mark(x, y, found.value, fonts.value, ink))
    return marks
