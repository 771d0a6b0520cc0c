"""Charts 3 and 4: the export Sankey (products -> countries) and the import Sankey (countries -> products).

Nodes are stacked top-down in the order the indicators give ("Autres" last), their heights
and the ribbon widths on one common scale (points per euro), with a small gap between
nodes. Each ribbon leaves its source node and enters its target node in the order of the
nodes on the other side, so ribbons do not cross at the nodes. The `highlighted_flows`
largest links between two named nodes (neither is "Autres") are red, all others grey.
Labels (name and value) sit outside the nodes and are spread apart so they never overlap;
a thin leader line joins a label to its node when it had to move. A header above each
column says what it holds and gives the unit of the values (charts.labels.sankey_*).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

from reportlab.graphics.shapes import Drawing

from ..config import Settings
from ..model import OTHER_CODE, FlowSummary, Item, Link, Sankey
from ..numbers import format_millions
from . import vector as v
from .style import ChartFonts

Side = Literal["left", "right"]
Size = Literal["department", "region"]

EMPTY_HEIGHT = 30.0  # the whole chart when there is no trade to draw
MARGIN_Y = 3.0  # above the first node and below the last one
HEADER_SPACE = 6.0  # between the column headers' descenders and the first node
LABEL_GAP = 4.0  # between a node and its label
LEADER_GAP = 10.0  # between a node and its label when the label had to move
MOVED = 1.0  # a label farther than this (points) from its node gets a leader line
# Each label column takes this share of the width, whatever its labels, so that the node
# columns stand at one place on every Sankey (a longer label is shortened with "…"): the
# widest labels of the 101 sheets take 0.247 of it.
MAX_LABEL_SHARE = 0.25
LINE_SPACING = 1.18  # label pitch, in font sizes


class SankeyNode(NamedTuple):
    side: Side
    item: Item
    value_eur: float  # sum of the node's ribbons
    x: float
    y0: float  # bottom
    y1: float  # top

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def centre(self) -> float:
        return (self.y0 + self.y1) / 2


class Ribbon(NamedTuple):
    link: Link
    width: float
    source: tuple[float, float]  # (bottom, top) where it leaves the left node
    target: tuple[float, float]  # (bottom, top) where it enters the right node
    highlighted: bool


class NodeLabel(NamedTuple):
    node: SankeyNode
    name: str
    value: str
    centre_y: float  # vertical centre of the text line
    moved: bool  # away from its node's centre: a leader line joins them
    gap: float  # between the node and the text; the same for every label of a side


class SankeyLayout(NamedTuple):
    width: float
    height: float
    node_width: float
    scale: float  # points per euro, shared by nodes and ribbons
    left_x: float
    right_x: float
    font_size: float
    header_height: float  # the column headers' band at the top
    headers: tuple[str, str]  # what the left and right columns are, with the unit
    nodes: tuple[SankeyNode, ...]
    ribbons: tuple[Ribbon, ...]
    labels: tuple[NodeLabel, ...]


class SankeySize(NamedTuple):
    width: float
    height: float
    font_size: float
    node_width: float
    node_gap: float
    link_alpha: float
    highlight_alpha: float


def sankey_size(settings: Settings, size: Size) -> SankeySize:
    """charts.sankey, with charts.region_sankey overriding it for the smaller region/France charts."""
    if size not in ("department", "region"):
        raise ValueError(f"unknown Sankey size {size!r}: expected 'department' or 'region'")
    base = settings.charts.sankey
    outer = settings.charts.region_sankey if size == "region" else base
    return SankeySize(
        width=outer.width,
        height=outer.height,
        font_size=outer.font_size,
        node_width=base.node_width,
        node_gap=base.node_gap,
        link_alpha=base.link_alpha,
        highlight_alpha=base.highlight_alpha,
    )


def highlighted_links(links: Sequence[Link], count: int) -> tuple[Link, ...]:
    """The `count` largest links whose two ends are named (not "Autres"); ties by (source, target)."""
    named = [link for link in links if OTHER_CODE not in (link.source, link.target) and link.value_eur > 0]
    named.sort(key=lambda link: (-link.value_eur, link.source, link.target))
    return tuple(named[:count])


def spread_labels(desired: Sequence[float], pitch: float, low: float, high: float) -> list[float]:
    """Positions (ascending, top-down coordinate) at least `pitch` apart, as close as possible to `desired`.

    Overlapping labels are merged into groups centred on the mean of their wishes; groups
    are kept inside [low, high]. `desired` must be ascending.
    """
    if not desired:
        return []
    if len(desired) > 1:
        pitch = min(pitch, (high - low) / (len(desired) - 1))
    groups: list[list[float]] = []  # [first index, count, first position]

    def clamp(first: float, count: int) -> float:
        return max(low, min(first, high - (count - 1) * pitch))

    for index, wish in enumerate(desired):
        groups.append([index, 1, clamp(wish, 1)])
        while len(groups) > 1:
            previous, last = groups[-2], groups[-1]
            if previous[2] + previous[1] * pitch <= last[2] + 1e-9:
                break
            start, count = int(previous[0]), int(previous[1] + last[1])
            mean = sum(desired[start : start + count]) / count
            groups[-2:] = [[start, count, clamp(mean - (count - 1) * pitch / 2, count)]]
    positions: list[float] = []
    for _, count, first in groups:
        positions.extend(first + i * pitch for i in range(int(count)))
    return positions


def _node_values(sankey: Sankey) -> tuple[list[tuple[Item, float]], list[tuple[Item, float]]]:
    left_codes = {item.code for item in sankey.left}
    right_codes = {item.code for item in sankey.right}
    totals: dict[tuple[Side, str], float] = {}
    for link in sankey.links:
        if link.source not in left_codes or link.target not in right_codes:
            raise ValueError(f"Sankey link {link.source} -> {link.target} has no node on one side")
        totals[("left", link.source)] = totals.get(("left", link.source), 0.0) + link.value_eur
        totals[("right", link.target)] = totals.get(("right", link.target), 0.0) + link.value_eur
    left = [(item, totals.get(("left", item.code), 0.0)) for item in sankey.left]
    right = [(item, totals.get(("right", item.code), 0.0)) for item in sankey.right]
    return [pair for pair in left if pair[1] > 0], [pair for pair in right if pair[1] > 0]


def _display_name(item: Item, side: Side, flow: str) -> str:
    """Products by their short chart label, countries by their name."""
    is_product = (side == "left") == (flow == "export")
    return (item.short_label or item.label) if is_product else item.label


def sankey_layout(summary: FlowSummary, settings: Settings, size: Size = "department") -> SankeyLayout:
    """Node boxes, ribbon ends and label positions of one Sankey."""
    dims = sankey_size(settings, size)
    faces = ChartFonts.from_settings(settings)
    name_font = v.Font(faces.regular, dims.font_size)
    value_font = v.Font(faces.semibold, dims.font_size)
    value_template = settings.charts.labels.sankey_value
    unit = settings.charts.labels.unit_millions
    sankey = summary.sankey
    left, right = _node_values(sankey)
    total = sum(link.value_eur for link in sankey.links if link.value_eur > 0)

    def texts(pairs: list[tuple[Item, float]], side: Side) -> list[tuple[str, str]]:
        return [
            (_display_name(item, side, sankey.flow), value_template.format(value=format_millions(value), unit=unit))
            for item, value in pairs
        ]

    left_texts, right_texts = texts(left, "left"), texts(right, "right")
    headers = (
        getattr(settings.charts.labels, f"sankey_{sankey.flow}_left"),
        getattr(settings.charts.labels, f"sankey_{sankey.flow}_right"),
    )
    header_font = v.Font(faces.semibold, dims.font_size)
    header_height = header_font.top + header_font.bottom + HEADER_SPACE
    space = name_font.width(" ")
    cap = MAX_LABEL_SHARE * dims.width

    def column_width(pairs: list[tuple[str, str]], header: str) -> float:
        widths = [name_font.width(n) + space + value_font.width(val) for n, val in pairs] + [header_font.width(header)]
        return min(cap, max(widths))

    left_col, right_col = column_width(left_texts, headers[0]), column_width(right_texts, headers[1])
    # The node columns at one place on every Sankey, whatever its labels (SPEC 11).
    left_x = cap + LEADER_GAP
    right_x = dims.width - cap - LEADER_GAP - dims.node_width

    plot_top = dims.height - header_height  # nodes and their labels stay below the headers
    usable = plot_top - 2 * MARGIN_Y
    counts = [len(left), len(right)]
    scale = 0.0
    if total > 0:
        scale = min((usable - (n - 1) * dims.node_gap) / total for n in counts if n > 0)
        scale = max(scale, 0.0)

    def stack(pairs: list[tuple[Item, float]], side: Side, x: float) -> list[SankeyNode]:
        span = sum(value for _, value in pairs) * scale + (len(pairs) - 1) * dims.node_gap
        top = plot_top - MARGIN_Y - (usable - span) / 2
        nodes = []
        for item, value in pairs:
            height = value * scale
            nodes.append(SankeyNode(side, item, value, x, top - height, top))
            top -= height + dims.node_gap
        return nodes

    left_nodes = stack(left, "left", left_x)
    right_nodes = stack(right, "right", right_x)
    left_index = {node.item.code: i for i, node in enumerate(left_nodes)}
    right_index = {node.item.code: i for i, node in enumerate(right_nodes)}
    highlighted = {id(link) for link in highlighted_links(sankey.links, settings.indicators.highlighted_flows)}

    links = [link for link in sankey.links if link.value_eur > 0]
    # Ribbon ends and highlights by the link object (id): a Link's hash hashes its
    # three fields each time, some 2 500 times a sheet; the links of a Sankey are distinct
    # (source, target), and highlighted_links gives some of these very objects.
    source_end: dict[int, tuple[float, float]] = {}
    target_end: dict[int, tuple[float, float]] = {}
    for nodes, key, other_index, ends in (
        (left_nodes, "source", right_index, source_end),
        (right_nodes, "target", left_index, target_end),
    ):
        links_of: dict[str, list[Link]] = {}  # node code -> its links, in the links' order
        for link in links:
            links_of.setdefault(getattr(link, key), []).append(link)
        for node in nodes:
            own = links_of.get(node.item.code, [])
            other_key = "target" if key == "source" else "source"
            own.sort(key=lambda link: (other_index[getattr(link, other_key)], -link.value_eur))
            top = node.y1
            for link in own:
                width = link.value_eur * scale
                ends[id(link)] = (top - width, top)
                top -= width
    ribbons = tuple(
        Ribbon(link, link.value_eur * scale, source_end[id(link)], target_end[id(link)], id(link) in highlighted)
        for link in links
    )

    labels: list[NodeLabel] = []
    pitch = LINE_SPACING * dims.font_size
    half = value_font.cap_height / 2
    for nodes, pairs in ((left_nodes, left_texts), (right_nodes, right_texts)):
        wishes = [plot_top - node.centre for node in nodes]  # top-down, from the headers' band
        positions = spread_labels(
            wishes, pitch, half + value_font.top - value_font.cap_height, plot_top - half - value_font.bottom - 1
        )
        moved = [abs(position - wish) > MOVED for position, wish in zip(positions, wishes)]
        gap = LEADER_GAP if any(moved) else LABEL_GAP
        for node, (name, value), position, is_moved in zip(nodes, pairs, positions, moved):
            name_room = (left_col if node.side == "left" else right_col) - space - value_font.width(value)
            shown = v.truncate(name, name_font, name_room) or ""
            labels.append(NodeLabel(node, shown, value, plot_top - position, is_moved, gap))

    return SankeyLayout(
        width=dims.width,
        height=dims.height,
        node_width=dims.node_width,
        scale=scale,
        left_x=left_x,
        right_x=right_x,
        font_size=dims.font_size,
        header_height=header_height,
        headers=headers,
        nodes=tuple(left_nodes + right_nodes),
        ribbons=ribbons,
        labels=tuple(labels),
    )


def sankey_marks(summary: FlowSummary, settings: Settings, size: Size = "department") -> v.CanvasChart:
    """The chart as marks, ready to be written onto a canvas (what the sheet draws)."""
    layout = sankey_layout(summary, settings, size)
    dims = sankey_size(settings, size)
    faces = ChartFonts.from_settings(settings)
    name_font = v.Font(faces.regular, layout.font_size)
    value_font = v.Font(faces.semibold, layout.font_size)
    text_colour = v.color(settings.colors.text)
    muted = v.color(settings.colors.muted)
    marks: list = []

    if not layout.ribbons:
        # Nothing traded: a one-line note instead of a tall empty frame.
        marks.append(
            v.text_mark(
                layout.width / 2,
                EMPTY_HEIGHT / 2 - name_font.cap_height / 2,
                settings.charts.labels.no_data,
                name_font,
                muted,
                "middle",
            )
        )
        return v.CanvasChart(layout.width, EMPTY_HEIGHT, marks, name_font)

    link_fill = v.color(settings.colors.sankey_link)
    highlight_fill = v.color(settings.colors.sankey_highlight)
    x0, x1 = layout.left_x + layout.node_width, layout.right_x
    # Grey first, red on top; within each, smallest last so thin ribbons stay visible.
    ordered = sorted(layout.ribbons, key=lambda r: (r.highlighted, -r.width))
    for ribbon in ordered:
        fill, alpha = (highlight_fill, dims.highlight_alpha) if ribbon.highlighted else (link_fill, dims.link_alpha)
        marks.append(v.RibbonMark(x0, x1, ribbon.source, ribbon.target, fill, alpha))

    node_fill = v.color(settings.colors.sankey_node)
    other_fill = v.color(settings.colors.sankey_other_node)
    for node in layout.nodes:
        marks.append(v.RectMark(node.x, node.y0, layout.node_width, node.height, other_fill if node.item.is_other else node_fill))

    space = name_font.width(" ")
    for item in layout.labels:
        node = item.node
        baseline = item.centre_y - value_font.cap_height / 2
        gap = item.gap
        if node.side == "left":
            edge = node.x
            end = edge - gap
            marks.append(v.text_mark(end, baseline, item.value, value_font, text_colour, "end"))
            marks.append(
                v.text_mark(end - value_font.width(item.value) - space, baseline, item.name, name_font, text_colour, "end")
            )
            leader = (edge - 1.0, end + 1.0)
        else:
            edge = node.x + layout.node_width
            start = edge + gap
            marks.append(v.text_mark(start, baseline, item.name, name_font, text_colour))
            marks.append(v.text_mark(start + name_font.width(item.name) + space, baseline, item.value, value_font, text_colour))
            leader = (edge + 1.0, start - 1.0)
        if item.moved:
            marks.append(v.LineMark(leader[0], node.centre, leader[1], item.centre_y, muted, 0.4))
    marks.extend(_header_marks(layout, v.Font(faces.semibold, layout.font_size), muted))
    return v.CanvasChart(layout.width, layout.height, marks, name_font)


def sankey_chart(summary: FlowSummary, settings: Settings, size: Size = "department") -> Drawing:
    """The same chart as a ReportLab Drawing (tests, previews): the shapes of `sankey_marks`."""
    return sankey_marks(summary, settings, size).to_drawing()


def _header_marks(layout: SankeyLayout, font: v.Font, fill) -> list:
    """What each column is, and the unit of its values, aligned with that column's labels."""
    gaps = {label.node.side: label.gap for label in layout.labels}
    baseline = layout.height - font.top
    left_end = layout.left_x - gaps.get("left", LABEL_GAP)
    right_start = layout.right_x + layout.node_width + gaps.get("right", LABEL_GAP)
    return [
        v.text_mark(left_end, baseline, layout.headers[0], font, fill, "end"),
        v.text_mark(right_start, baseline, layout.headers[1], font, fill),
    ]
