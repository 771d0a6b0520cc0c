"""The four charts: geometry (treemap tiling, Sankey proportions, highlights, balance colours)
and the PDF they produce (real text, embedded TrueType only, no raster images)."""

from __future__ import annotations

import dataclasses
import functools
import io
import itertools
import math
from decimal import Decimal

import polars as pl
import pytest
from factories import (
    balance_countries,
    big_department,
    flow_summary,
    random_matrix,
    small_department,
)
from pypdf import PdfReader
from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Line, String
from reportlab.lib.colors import HexColor
from reportlab.pdfgen.canvas import Canvas

from factsheets.charts import (
    balance_chart,
    balance_rows,
    cell_label,
    highlighted_links,
    sankey_chart,
    sankey_layout,
    treemap_chart,
    treemap_layout,
)
from factsheets.charts.balance import printed_balance
from factsheets.charts.sankey import spread_labels
from factsheets.charts.treemap import (
    BLOCK_GAP,
    KEY_GAP,
    PADDING,
    Cell,
    Rect,
    block_rects,
    label_fonts,
    squarified_cells,
    treemap_plan,
)
from factsheets.charts.vector import Font, truncate, wrap
from factsheets.config import settings as load_settings
from factsheets.errors import FactsheetsError
from factsheets.fonts import FontNames, register_fonts
from factsheets.indicators import compute_all
from factsheets.model import OTHER_CODE, BalanceCountry, FlowSummary, Item, Link, Sankey
from factsheets.numbers import format_millions
from factsheets.paths import SAMPLE_DATA
from factsheets.reference import load_reference
from factsheets.render import SheetRenderer
from factsheets.validate import choose_year, load_trade_data


@pytest.fixture(scope="module")
def settings():
    loaded = load_settings()
    register_fonts(loaded)
    return loaded


@pytest.fixture(scope="module")
def big():
    return big_department()


def strings(node) -> list[String]:
    """Every String of a drawing, depth first."""
    return shapes_of(node, String)


def shapes_of(node, kind) -> list:
    """Every shape of type `kind` in a drawing, depth first."""
    if isinstance(node, kind):
        return [node]
    found = []
    for child in getattr(node, "contents", []):
        found.extend(shapes_of(child, kind))
    return found


def overlap(a, b) -> float:
    dx = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    dy = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    return max(dx, 0.0) * max(dy, 0.0)


# -- treemap --------------------------------------------------------------------------------


def test_treemap_cells_are_proportional_and_tile_each_block(settings, big):
    exports, imports = big
    for block, summary in zip(treemap_layout(imports, exports, settings), (imports, exports)):
        items = summary.products_with_other
        assert [c.item.code for c in sorted(block.cells, key=lambda c: c.item.code)] == sorted(i.code for i in items)
        assert any(c.item.code == OTHER_CODE for c in block.cells)
        total = sum(item.value_eur for item in items)
        for cell in block.cells:
            expected = block.rect.area * cell.item.value_eur / total
            assert cell.area == pytest.approx(expected, rel=0.01)
            assert cell.x >= block.rect.x - 1e-6 and cell.x + cell.w <= block.rect.x + block.rect.w + 1e-6
            assert cell.y >= block.rect.y - 1e-6 and cell.y + cell.h <= block.rect.y + block.rect.h + 1e-6
        assert sum(cell.area for cell in block.cells) == pytest.approx(block.rect.area, rel=1e-9)
        for a, b in itertools.combinations(block.cells, 2):
            assert overlap(a, b) < 1e-6


def test_the_smallest_products_sliced_in_the_corner_touch_the_right_edge_in_proportion():
    """corner_count: the smallest named items stacked in the bottom-right corner, largest on
    top, every one against the block's right edge; areas still proportional, no overlap."""
    values = [400.0, 200.0, 120.0, 60.0, 9.0, 5.0, 3.0, 2.0]
    items = [Item(f"P{i}", f"P{i}", f"P{i}", v) for i, v in enumerate(values)] + [Item(OTHER_CODE, "Autres", "Autres", 50.0)]
    area = Rect(10.0, 20.0, 200.0, 150.0)
    for corner in (0, 2, 4, 8):
        cells = squarified_cells(items, area, corner)
        assert sum(cell.area for cell in cells) == pytest.approx(area.area, rel=1e-9)
        for cell in cells:
            assert cell.area == pytest.approx(area.area * cell.item.value_eur / sum(values + [50.0]), rel=1e-9)
        for a, b in itertools.combinations(cells, 2):
            assert overlap(a, b) < 1e-6
        sliced = sorted((c for c in cells if c.rank >= len(values) - corner), key=lambda c: c.rank) if corner else []
        assert all(c.x + c.w == pytest.approx(area.x + area.w) for c in sliced)
        assert [c.y for c in sliced] == sorted((c.y for c in sliced), reverse=True)  # largest on top
        assert len({round(c.w, 9) for c in sliced}) <= 1  # one column of slices


def test_treemap_block_areas_follow_the_totals(settings, big):
    exports, imports = big
    import_block, export_block = treemap_layout(imports, exports, settings)
    assert import_block.rect.h == export_block.rect.h
    assert import_block.rect.area / export_block.rect.area == pytest.approx(imports.total_eur / exports.total_eur, rel=1e-9)
    assert import_block.rect.x + import_block.rect.w < export_block.rect.x  # a gap, no overlap
    # Up to the chart's right edge, or up to the key when some product is named there.
    plan = treemap_plan(imports, exports, settings)
    right = plan.key_x - 10.0 if plan.key else settings.charts.treemap.width
    assert export_block.rect.x + export_block.rect.w == pytest.approx(right)


def test_treemap_orders_named_products_largest_first_and_puts_autres_at_the_bottom(settings, big):
    exports, imports = big
    block = treemap_layout(imports, exports, settings)[1]
    other = next(c for c in block.cells if c.item.is_other)
    assert other.y == pytest.approx(block.rect.y) and other.w == pytest.approx(block.rect.w)
    named = sorted((c for c in block.cells if not c.item.is_other), key=lambda c: c.rank)
    assert [c.item.value_eur for c in named] == sorted((c.item.value_eur for c in named), reverse=True)
    largest = named[0]
    assert largest.x == pytest.approx(block.rect.x)
    assert largest.y + largest.h == pytest.approx(block.rect.y + block.rect.h)


def test_treemap_without_imports(settings):
    exports, _ = small_department()
    empty = FlowSummary("import", 0.0, (), (), Sankey("import", (), (), ()))
    import_block, export_block = treemap_layout(empty, exports, settings)
    assert import_block.rect.w == 0 and import_block.cells == ()
    assert export_block.rect.w == pytest.approx(settings.charts.treemap.width)
    texts = [s.text for s in strings(treemap_chart(empty, exports, settings))]
    assert "Importations\u00a0: 0 M€" in texts
    assert "Exportations\u00a0: 24.4 M€" in texts


@pytest.mark.parametrize("size", [(10, 10), (22, 40), (40, 18), (45, 40), (60, 20), (90, 30), (120, 60), (30, 200), (300, 14)])
def test_treemap_labels_never_overflow_their_cell_and_name_in_full(settings, size):
    fonts = label_fonts(settings)
    width, height = size
    for short in ("Pharmacie", "Composants électroniques", "Produits de la construction aéronautique et spatiale"):
        cell = Cell(0.0, 0.0, width, height, Item("X", short, short, 1.0), 0)
        found = cell_label(cell, fonts, "12 345.6 M€")
        if found is None:
            continue
        assert found.fonts == fonts  # one size, never smaller
        assert " ".join(found.name_lines) == short and found.value == "12 345.6 M€"  # never cut
        room = width - 2 * PADDING
        if found.inline:
            assert fonts.name.width(found.name_lines[0] + "  ") + fonts.value.width(found.value) <= room + 1e-9
        else:
            assert all(fonts.name.width(line) <= room + 1e-9 for line in found.name_lines)
            assert fonts.value.width(found.value) <= room + 1e-9
        lines = len(found.name_lines) + (not found.inline)
        assert fonts.ink_height(lines) <= height - 2 * PADDING + 1e-9
    assert cell_label(Cell(0, 0, 120, 60, Item("X", "Pharmacie", "Pharmacie", 1.0), 0), fonts, "1 M€") is not None
    assert cell_label(Cell(0, 0, 10, 10, Item("X", "Pharmacie", "Pharmacie", 1.0), 0), fonts, "1 M€") is None


def test_treemap_names_every_product_in_its_tile_or_in_the_key(settings, big):
    exports, imports = big
    plan = treemap_plan(imports, exports, settings)
    unit = settings.charts.labels.unit_millions
    shown = []
    for tile in plan.tiles:
        if tile.label is not None:
            shown.append((tile.cell.item.code, " ".join(tile.label.name_lines), tile.label.value))
    for entry in plan.key:
        shown.append((entry.item.code, " ".join(entry.lines), entry.value))
    expected = [
        (item.code, item.short_label, f"{format_millions(item.value_eur)} {unit}")
        for summary in (imports, exports)
        for item in summary.products_with_other
    ]
    assert sorted(shown) == sorted(expected)
    numbers = [tile.number for tile in plan.tiles if tile.number is not None]
    assert numbers == [entry.number for entry in plan.key] == list(range(1, len(plan.key) + 1))
    assert all(entry.flow == tile.flow for entry, tile in zip(plan.key, (t for t in plan.tiles if t.number)))


def test_a_tiny_block_stays_proportional_wide_enough_for_its_caption(settings):
    for ratio in (0.3, 0.05, 0.002):
        imports_rect, exports_rect = block_rects(1000.0, 1000.0 * ratio, 400.0, 250.0, min_width=70.0)
        assert exports_rect.area / imports_rect.area == pytest.approx(ratio, rel=1e-9)
        assert exports_rect.w >= 70.0 - 1e-9 and exports_rect.h <= 250.0 + 1e-9
        assert imports_rect.y + imports_rect.h == pytest.approx(250.0) == exports_rect.y + exports_rect.h
        assert imports_rect.x + imports_rect.w + BLOCK_GAP == pytest.approx(exports_rect.x)
        assert exports_rect.x + exports_rect.w == pytest.approx(400.0)
    wide, narrow = block_rects(1000.0, 500.0, 400.0, 250.0)
    assert wide.h == narrow.h == 250.0  # not a sliver: same height


def test_truncate_cuts_inside_words_and_wrap_shortens_the_last_line(settings):
    font = Font("OpenSans-Semibold", 7)
    name = "Produits sidérurgiques"
    cut = truncate(name, font, 50)
    assert cut.startswith("Produits sid") and cut.endswith("…") and font.width(cut) <= 50
    assert truncate(name, font, font.width(name)) == name
    assert truncate(name, font, 1) is None
    # A cut that would keep one or two letters of a word goes back to the word boundary.
    assert truncate(name, font, font.width("Produits si…")) == "Produits…"
    assert wrap(name, font, 40, 1) is None
    assert wrap(name, font, 40, 2) is None  # "sidérurgiques" alone is wider than 40 pt
    lines = wrap(name, font, 40, 2, shorten=True)
    assert lines[0] == "Produits" and lines[1].startswith("sidér") and lines[1].endswith("…")
    assert all(font.width(line) <= 40 for line in lines)
    assert wrap("Composants électroniques", font, 200, 2) == ["Composants électroniques"]
    assert wrap(name, font, 200, 0) is None


# -- Sankey ---------------------------------------------------------------------------------


@pytest.mark.parametrize("flow_index", [0, 1])
@pytest.mark.parametrize("size", ["department", "region"])
def test_sankey_ribbons_and_nodes_are_proportional(settings, big, flow_index, size):
    summary = big[flow_index]
    layout = sankey_layout(summary, settings, size)
    assert layout.scale > 0
    for ribbon in layout.ribbons:
        assert ribbon.width == pytest.approx(ribbon.link.value_eur * layout.scale, rel=1e-12)
        assert ribbon.source[1] - ribbon.source[0] == pytest.approx(ribbon.width)
        assert ribbon.target[1] - ribbon.target[0] == pytest.approx(ribbon.width)
    for node in layout.nodes:
        key = "source" if node.side == "left" else "target"
        mine = [r for r in layout.ribbons if getattr(r.link, key) == node.item.code]
        assert node.height == pytest.approx(sum(r.width for r in mine), rel=1e-9)
        assert node.height == pytest.approx(node.item.value_eur * layout.scale, rel=1e-9)
        # Ribbons stack exactly inside the node, without gaps or overlaps.
        spans = sorted((r.source if key == "source" else r.target) for r in mine)
        assert spans[0][0] == pytest.approx(node.y0) and spans[-1][1] == pytest.approx(node.y1)
        for lower, upper in zip(spans, spans[1:]):
            assert lower[1] == pytest.approx(upper[0])
    for side in ("left", "right"):
        nodes = [n for n in layout.nodes if n.side == side]
        assert [n.item.code for n in nodes] == [i.code for i in (summary.sankey.left if side == "left" else summary.sankey.right)]
        assert nodes[-1].item.code == OTHER_CODE
        for upper, lower in zip(nodes, nodes[1:]):
            assert upper.y0 - lower.y1 == pytest.approx(settings.charts.sankey.node_gap)
        assert nodes[-1].y0 >= 0 and nodes[0].y1 <= layout.height


def test_sankey_highlights_exactly_the_five_largest_named_links(settings, big):
    exports, _ = big
    # Make an "Autres" link the largest of all: it must not be red.
    boosted = Link(exports.sankey.links[0].source, OTHER_CODE, 10 * exports.sankey.links[0].value_eur)
    links = tuple(l for l in exports.sankey.links if (l.source, l.target) != (boosted.source, boosted.target)) + (boosted,)
    sankey = Sankey("export", exports.sankey.left, exports.sankey.right, links)
    left = tuple(Item(i.code, i.label, i.short_label, sum(l.value_eur for l in links if l.source == i.code)) for i in sankey.left)
    right = tuple(
        Item(i.code, i.label, i.short_label, sum(l.value_eur for l in links if l.target == i.code)) for i in sankey.right
    )
    summary = FlowSummary(
        "export", exports.total_eur, exports.top_products, exports.top_countries, Sankey("export", left, right, links)
    )
    layout = sankey_layout(summary, settings)
    red = {r.link for r in layout.ribbons if r.highlighted}
    named = sorted((l for l in links if OTHER_CODE not in (l.source, l.target)), key=lambda l: -l.value_eur)
    assert red == set(named[:5])
    assert boosted not in red
    assert settings.indicators.highlighted_flows == 5


def test_highlight_ties_break_by_codes():
    links = [Link("B", "X", 5.0), Link("A", "Y", 5.0), Link("A", "X", 5.0), Link(OTHER_CODE, "X", 9.0)]
    assert highlighted_links(links, 2) == (Link("A", "X", 5.0), Link("A", "Y", 5.0))


def test_sankey_with_few_nodes_has_no_autres(settings):
    exports, imports = small_department()
    for summary in (exports, imports):
        layout = sankey_layout(summary, settings)
        codes = [n.item.code for n in layout.nodes]
        assert OTHER_CODE not in codes
        assert len([n for n in layout.nodes if n.side == "left"]) == (3 if summary.flow == "export" else 4)
        assert len([n for n in layout.nodes if n.side == "right"]) == (4 if summary.flow == "export" else 3)
        texts = {s.text for s in strings(sankey_chart(summary, settings))}
        assert "Autres" not in texts and "Pharmacie" in texts and "États-Unis" in texts


@pytest.mark.parametrize("size", ["department", "region"])
def test_sankey_labels_readable_and_never_overlapping(settings, size):
    # A skewed matrix: one huge product and many tiny ones crowd the labels together.
    matrix = random_matrix(3, 18, 20, 1e6)
    matrix[("C21Z", "DE")] = 5e9
    summary = flow_summary("import", matrix)
    layout = sankey_layout(summary, settings, size)
    assert layout.font_size >= 6.5
    for side in ("left", "right"):
        centres = sorted((l.centre_y for l in layout.labels if l.node.side == side), reverse=True)
        assert all(a - b >= layout.font_size * 1.1 for a, b in zip(centres, centres[1:]))
    assert any(label.moved for label in layout.labels)
    drawing = sankey_chart(summary, settings, size)
    for s in strings(drawing):
        width = Font(s.fontName, s.fontSize).width(s.text)
        left = s.x - (width if s.textAnchor == "end" else 0)
        assert -1e-6 <= left and left + width <= drawing.width + 1e-6
        font = Font(s.fontName, s.fontSize)
        assert s.y - font.bottom >= 0 and s.y + font.top <= drawing.height
        assert s.fontSize >= 6.5


def test_spread_labels_keeps_wishes_when_there_is_room_and_order_always():
    assert spread_labels([10, 30, 50], 8, 0, 100) == [10, 30, 50]
    spread = spread_labels([10, 11, 12, 95, 99], 8, 0, 100)
    assert spread == sorted(spread)
    assert all(b - a >= 8 - 1e-9 for a, b in zip(spread, spread[1:]))
    assert spread[0] >= 0 and spread[-1] <= 100
    assert spread[1] == pytest.approx(11)  # a crowded group is centred on its wishes


def test_sankey_without_links_draws_a_note(settings):
    empty = FlowSummary("export", 0.0, (), (), Sankey("export", (), (), ()))
    drawing = sankey_chart(empty, settings)
    assert [s.text for s in strings(drawing)] == [settings.charts.labels.no_data]
    assert drawing.height < 50  # a one-line note, not a tall empty frame


def test_sankey_size_region_is_smaller(settings, big):
    department = sankey_chart(big[0], settings)
    region = sankey_chart(big[0], settings, size="region")
    assert region.height < department.height
    assert region.height == settings.charts.region_sankey.height


# -- balance --------------------------------------------------------------------------------


def test_balance_labels_and_colours_follow_the_sign(settings):
    countries = (
        BalanceCountry("DE", "Allemagne", 2_000_000_000.0, 3_234_500_000.0),
        BalanceCountry("US", "États-Unis", 700_000_000.0, 132_800_000.0),
        BalanceCountry("BE", "Belgique", 5_000_000.0, 5_000_000.0),
    )
    layout = balance_rows(countries, settings)
    assert [row.country.code for row in layout.rows] == ["DE", "US", "BE"]
    assert [row.balance_label for row in layout.rows] == ["+1\u00a0234.5", "\u2212567.2", "0"]
    assert [row.balance_colour for row in layout.rows] == ["balance_positive", "balance_negative", "balance_positive"]
    drawing = balance_chart(countries, settings)
    by_text = {s.text: s for s in strings(drawing)}
    assert by_text["+1\u00a0234.5"].fillColor == HexColor(settings.colors.balance_positive)
    assert by_text["\u2212567.2"].fillColor == HexColor(settings.colors.balance_negative)
    assert by_text["0"].fillColor == HexColor(settings.colors.balance_positive)


def test_balance_bars_share_one_scale_and_grow_outwards(settings, big):
    exports, imports = big
    countries = balance_countries(exports, imports)
    layout = balance_rows(countries, settings)
    for row in layout.rows:
        assert row.import_width == pytest.approx(row.country.import_eur * layout.scale)
        assert row.export_width == pytest.approx(row.country.export_eur * layout.scale)
        assert row.import_x + row.import_width == pytest.approx(layout.centre_left)
        assert row.export_x == pytest.approx(layout.centre_right)
    drawing = balance_chart(countries, settings)
    for s in strings(drawing):
        width = Font(s.fontName, s.fontSize).width(s.text)
        left = s.x - {"end": width, "middle": width / 2}.get(s.textAnchor, 0)
        assert -1e-6 <= left and left + width <= drawing.width + 1e-6


def test_balance_text_format():
    from factsheets.numbers import format_balance

    assert format_balance(Decimal("1234.5")) == "+1\u00a0234.5"
    assert format_balance(Decimal("-567.2")) == "\u2212567.2"
    assert format_balance(Decimal("0.0")) == "0"


def test_printed_balance_is_printed_exports_minus_printed_imports(settings):
    # Exact: 322.249 - 875.55 = -553.301 (would print -553.3); printed: 322.2 - 875.6 = -553.4.
    aisne_germany = BalanceCountry("DE", "Allemagne", 875_550_000.0, 322_249_000.0)
    # Exact: 23.15 - 6.049 = 17.101 (would print +17.1); printed: 23.2 - 6 = +17.2.
    lozere_belgium = BalanceCountry("BE", "Belgique", 6_049_000.0, 23_150_000.0)
    # Exact -0.04 M€ shows as 0.1 - 0.1 = 0, in green like every balance >= 0.
    nil = BalanceCountry("IT", "Italie", 140_000.0, 100_000.0)
    assert printed_balance(aisne_germany) == Decimal("-553.4")
    rows = balance_rows((aisne_germany, lozere_belgium, nil), settings).rows
    assert [(row.export_label, row.import_label, row.balance_label) for row in rows] == [
        ("322.2", "875.6", "\u2212553.4"),
        ("23.2", "6", "+17.2"),
        ("0.1", "0.1", "0"),
    ]
    assert rows[2].balance_colour == "balance_positive"


def test_charts_refuse_unregistered_fonts(settings):
    other = dataclasses.replace(settings, fonts=dataclasses.replace(settings.fonts, family="Not Registered Sans"))
    with pytest.raises(FactsheetsError, match="register_fonts"):
        balance_chart((), other)


# -- PDF ------------------------------------------------------------------------------------


def _pdf(drawings) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1, initialFontName="OpenSans")
    for drawing in drawings:
        canvas.setPageSize((drawing.width, drawing.height))
        renderPDF.draw(drawing, canvas, 0, 0)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _all_charts(settings, exports, imports):
    return [
        balance_chart(balance_countries(exports, imports), settings),
        treemap_chart(imports, exports, settings),
        sankey_chart(exports, settings),
        sankey_chart(imports, settings),
        sankey_chart(exports, settings, size="region"),
    ]


def test_pdf_has_real_text_truetype_fonts_and_no_images(settings):
    exports, imports = small_department()
    big_exports, big_imports = big_department()
    data = _pdf(_all_charts(settings, exports, imports) + _all_charts(settings, big_exports, big_imports))
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in ("États-Unis", "Autres", "Pharmacie", "Importations", "Exportations", "Émirats arabes unis"):
        assert expected in text
    fonts_seen = set()
    for page in reader.pages:
        resources = page["/Resources"]
        for font in resources["/Font"].values():
            font = font.get_object()
            assert font["/Subtype"] == "/TrueType"
            assert "/FontFile2" in font["/FontDescriptor"].get_object()
            fonts_seen.add(str(font["/BaseFont"]).split("+")[-1])
        for xobject in resources.get("/XObject", {}).values():
            assert xobject.get_object()["/Subtype"] != "/Image"
    assert fonts_seen == {"OpenSans", "OpenSans-Semibold"}


def test_charts_are_deterministic(settings, big):
    exports, imports = big
    assert _pdf(_all_charts(settings, exports, imports)) == _pdf(_all_charts(settings, exports, imports))


def test_zero_sized_inputs_draw(settings):
    empty_e = FlowSummary("export", 0.0, (), (), Sankey("export", (), (), ()))
    empty_i = FlowSummary("import", 0.0, (), (), Sankey("import", (), (), ()))
    treemap = treemap_chart(empty_i, empty_e, settings)
    assert treemap.height < 60
    data = _pdf([balance_chart((), settings), treemap, sankey_chart(empty_e, settings)])
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "Aucun échange enregistré" in text
    assert not math.isnan(balance_rows((), settings).scale)


# -- the bundled sample and whole sheets ------------------------------------------------------

NBSP = "\u00a0"


@pytest.fixture(scope="module")
def sample(settings) -> dict:
    """Indicators of all 101 departments of the bundled (synthetic) sample, for the latest year."""
    reference = load_reference()
    trade = load_trade_data(SAMPLE_DATA, reference)
    return compute_all(trade, reference, settings, choose_year(trade, None, SAMPLE_DATA))


@functools.cache
def figure_ink(font_name: str) -> tuple[float, float]:
    """(lowest, highest) ink of the figures 0-9 in em, read from the embedded face's glyphs."""
    from fontTools.ttLib import TTFont
    from reportlab.pdfbase import pdfmetrics

    face = TTFont(pdfmetrics.getFont(font_name).face.filename)
    glyphs, cmap, units = face["glyf"], face.getBestCmap(), face["head"].unitsPerEm
    boxes = [glyphs[cmap[ord(digit)]] for digit in "0123456789"]
    return min(box.yMin for box in boxes) / units, max(box.yMax for box in boxes) / units


def ink_box(s: String) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) of a string's ink, from the embedded face's metrics (a
    number's from its figures' glyphs: no accent above, no descender below)."""
    font = Font(s.fontName, s.fontSize)
    width = font.width(s.text)
    left = s.x - {"end": width, "middle": width / 2}.get(s.textAnchor, 0.0)
    if s.text.isdigit():
        low, high = figure_ink(s.fontName)
        return left, s.y + low * s.fontSize, left + width, s.y + high * s.fontSize
    return left, s.y - font.bottom, left + width, s.y + font.top


def assert_inside_drawing(drawing) -> None:
    for s in strings(drawing):
        left, bottom, right, top = ink_box(s)
        assert left >= -1e-6 and right <= drawing.width + 1e-6, s.text
        assert bottom >= -1e-6 and top <= drawing.height + 1e-6, s.text


def inside(point, cell, margin: float = 0.0) -> bool:
    x, y = point
    return cell.x + margin < x < cell.x + cell.w - margin and cell.y + margin < y < cell.y + cell.h - margin


def callout_leaders(drawing) -> dict[tuple[float, float], list[tuple[float, float]]]:
    """Leader polylines of the drawing, read from its Line shapes: outer end -> its points,
    from the inner end to the outer end.

    A leader is two joined segments: the inner end lies in the tile it names, the outer end
    beside the number it carries."""
    segments = [((line.x1, line.y1), (line.x2, line.y2)) for line in shapes_of(drawing, Line)]
    leaders = {}
    for a, b in segments:
        for c, d in segments:
            if (a, b) != (c, d) and b == c:
                leaders[d] = [a, b, d]
    return leaders


def assert_every_number_is_attached_to_its_tile(drawing, plan) -> None:
    """Each numbered tile's number is drawn once left of the key: inside the tile, or outside
    every block with a leader from beside it to a point inside the tile (spec section 6)."""
    cells = [cell for block in plan.blocks for cell in block.cells]
    leaders = callout_leaders(drawing)
    numbered = [tile for tile in plan.tiles if tile.number is not None]
    assert sorted(tile.number for tile in numbered) == [entry.number for entry in plan.key]
    for tile in numbered:
        drawn = [s for s in strings(drawing) if s.text == str(tile.number) and ink_box(s)[0] < plan.key_x - 1e-6]
        assert len(drawn) == 1, (tile.number, [(s.x, s.y) for s in drawn])
        left, bottom, right, top = ink_box(drawn[0])
        cell = tile.cell
        if (
            cell.x - 1e-6 <= left
            and right <= cell.x + cell.w + 1e-6
            and cell.y - 1e-6 <= bottom
            and top <= cell.y + cell.h + 1e-6
        ):
            continue
        assert not any(overlap(_Box(left, bottom, right - left, top - bottom), c) > 1e-6 for c in cells), tile.number
        beside = [outer for outer in leaders if left - 4.0 <= outer[0] <= left and bottom - 1 <= outer[1] <= top + 1]
        assert len(beside) == 1, f"number {tile.number} has no leader ending beside it"
        path = leaders[beside[0]]
        assert inside(path[0], cell), f"number {tile.number}'s leader does not end in its tile"
        assert right <= plan.key_x - 2.0, f"number {tile.number} runs into the key"
        # The leader crosses no other tile: sampled along its length, it is in its own tile or in no tile.
        for (x0, y0), (x1, y1) in zip(path, path[1:]):
            for step in range(101):
                point = (x0 + (x1 - x0) * step / 100, y0 + (y1 - y0) * step / 100)
                assert all(c == cell or not inside(point, c) for c in cells), f"number {tile.number}'s leader crosses a tile"
    outside = [
        ink_box(s)
        for s in strings(drawing)
        if s.y <= plot_top_of(plan)
        and ink_box(s)[0] < plan.key_x - 1e-6
        and not any(c.x <= ink_box(s)[0] <= c.x + c.w and c.y <= s.y <= c.y + c.h for c in cells)
    ]
    for a, b in itertools.combinations(outside, 2):  # callout numbers never overlap
        assert min(a[2], b[2]) <= max(a[0], b[0]) + 1e-6 or min(a[3], b[3]) <= max(a[1], b[1]) + 1e-6, (a, b)


class _Box:
    def __init__(self, x, y, w, h):
        self.x, self.y, self.w, self.h = x, y, w, h


def plot_top_of(plan) -> float:
    return max((block.rect.y + block.rect.h for block in plan.blocks), default=0.0)


def assert_treemap_labels_inside_cells(drawing, plan) -> None:
    """Every tile label and number lies wholly inside its cell, at the chart's one label size,
    except the callout numbers, right of their block; the key sits right of the blocks; each
    caption over its own block (running on over its callout gutter at most)."""
    cells = [cell for block in plan.blocks for cell in block.cells]
    plot_top = plot_top_of(plan)
    callouts = {(callout.baseline, str(callout.number)) for callout in plan.callouts}
    for s in strings(drawing):
        if s.y > plot_top:  # the captions above the blocks
            continue
        left, bottom, right, top = ink_box(s)
        assert s.fontSize == plan.fonts.name.size, s.text
        if left >= plan.key_x - 1e-6:  # the key
            assert right <= drawing.width + 1e-6, s.text
            continue
        if ((s.x, s.y), s.text) in callouts:  # checked by assert_every_number_is_attached_to_its_tile
            continue
        anchor_x = left if s.textAnchor == "start" else right
        home = [c for c in cells if c.x <= anchor_x <= c.x + c.w and c.y <= s.y <= c.y + c.h]
        assert home, f"label {s.text!r} is in no cell"
        cell = home[0]
        assert cell.x - 1e-6 <= left and right <= cell.x + cell.w + 1e-6, s.text
        assert cell.y - 1e-6 <= bottom and top <= cell.y + cell.h + 1e-6, s.text
        assert "…" not in s.text
    blocks = {block.flow: block for block in plan.blocks}
    if all(block.rect.w > 0 for block in plan.blocks):
        import_block, export_block = plan.blocks
        for caption in plan.captions:
            rect = blocks[caption.flow].rect
            width = 12 + max(plan.caption_font.width(line) for line in caption.lines)
            # Up to the next block's caption, or up to the key column.
            limit = export_block.rect.x - BLOCK_GAP if caption.flow == "import" else plan.key_x - KEY_GAP
            assert rect.x - 1e-6 <= caption.x and caption.x + width <= max(rect.x + rect.w, limit) + 1e-6, caption
            if not any(callout.flow == caption.flow for callout in plan.callouts):
                assert caption.x + width <= rect.x + rect.w + 1e-6, caption


def assert_blocks_tiled_in_proportion(plan, imports: FlowSummary, exports: FlowSummary) -> None:
    """Each block is tiled by its cells without overlap, each cell's area in proportion to its value."""
    for block, summary in zip(plan.blocks, (imports, exports)):
        if not block.cells:
            continue
        total = sum(item.value_eur for item in summary.products_with_other if item.value_eur > 0)
        for cell in block.cells:
            assert cell.area == pytest.approx(block.rect.area * cell.item.value_eur / total, rel=1e-6)
        assert sum(cell.area for cell in block.cells) == pytest.approx(block.rect.area, rel=1e-9)
        for a, b in itertools.combinations(block.cells, 2):
            assert overlap(a, b) < 1e-6


def assert_clean_sankey(summary: FlowSummary, settings: dict, size: str):
    layout = sankey_layout(summary, settings, size)
    drawing = sankey_chart(summary, settings, size)
    assert_inside_drawing(drawing)
    assert all(node.height > 0 and node.value_eur > 0 for node in layout.nodes)  # no empty "Autres"
    for side in ("left", "right"):
        nodes = [n for n in layout.nodes if n.side == side]
        assert len(nodes) <= 11 and [n.item.is_other for n in nodes].count(True) <= 1
        centres = sorted((l.centre_y for l in layout.labels if l.node.side == side), reverse=True)
        assert all(a - b >= layout.font_size * 1.1 for a, b in zip(centres, centres[1:]))
        assert all(l.name for l in layout.labels)
    red = [r.link for r in layout.ribbons if r.highlighted]
    assert set(red) == set(highlighted_links(summary.sankey.links, 5))
    return drawing


def test_every_chart_of_every_sample_department_draws_cleanly(settings, sample):
    """All 101 departments x 4 charts, plus each region's and France's Sankeys, into one PDF."""
    assert len(sample) == 101
    canvas = Canvas(io.BytesIO(), invariant=1, initialFontName="OpenSans")
    drawings = []
    areas = {}
    called_out = 0
    for _code, ind in sample.items():
        local = ind.local
        balance = balance_chart(ind.balance_countries, settings)
        assert len(balance_rows(ind.balance_countries, settings).rows) == len(ind.balance_countries) > 0
        assert_inside_drawing(balance)
        treemap = treemap_chart(local.imports, local.exports, settings)
        plan = treemap_plan(local.imports, local.exports, settings)
        assert_treemap_labels_inside_cells(treemap, plan)
        assert_every_number_is_attached_to_its_tile(treemap, plan)
        assert_blocks_tiled_in_proportion(plan, local.imports, local.exports)
        called_out += len(plan.callouts)
        drawings += [balance, treemap] + [assert_clean_sankey(s, settings, "department") for s in (local.exports, local.imports)]
        for area in (ind.region_flows, ind.nation_flows):
            areas[(area.level, area.territory.code)] = area
    assert len(areas) == 18 + 1  # 18 regions and France
    assert called_out > 0  # the sample has tiles too small for their number (Guyane, Mayotte…)
    for area in areas.values():
        drawings += [assert_clean_sankey(s, settings, "region") for s in (area.exports, area.imports)]
    for drawing in drawings:
        canvas.setPageSize((drawing.width, drawing.height))
        renderPDF.draw(drawing, canvas, 0, 0)
        canvas.showPage()
    canvas.save()


@pytest.mark.parametrize("tiny_flow", ["import", "export", "both"])
def test_tiles_too_small_for_their_number_are_called_out_in_either_block(settings, tiny_flow):
    """One dominant product and a tail of tiny ones: their numbers stand outside the block
    (between the blocks for imports, before the key for exports), each leader in its tile."""
    codes = [f"P{index:02d}" for index in range(14)]
    skewed = {(code, "DE"): 5e9 if index == 0 else 2e6 * (14 - index) for index, code in enumerate(codes)}
    even = {(code, "DE"): 1e8 * (14 - index) for index, code in enumerate(codes)}
    imports = flow_summary("import", skewed if tiny_flow in ("import", "both") else even)
    exports = flow_summary("export", skewed if tiny_flow in ("export", "both") else even)
    plan = treemap_plan(imports, exports, settings)
    drawing = treemap_chart(imports, exports, settings)
    called_out = {callout.flow for callout in plan.callouts}
    assert called_out == ({"import", "export"} if tiny_flow == "both" else {tiny_flow})
    assert_inside_drawing(drawing)
    assert_treemap_labels_inside_cells(drawing, plan)
    assert_every_number_is_attached_to_its_tile(drawing, plan)
    assert_blocks_tiled_in_proportion(plan, imports, exports)
    import_block, export_block = plan.blocks
    for callout in plan.callouts:  # right of its own block, before the next block or the key
        block = import_block if callout.flow == "import" else export_block
        assert callout.baseline[0] > block.rect.x + block.rect.w
        assert callout.baseline[0] < (export_block.rect.x if callout.flow == "import" else plan.key_x)


def test_a_department_with_few_partners_draws_cleanly(settings, tmp_path):
    """Real indicators of a department trading 2 products with 2 countries: 2 rows, no "Autres"."""
    reference = load_reference()
    products = ["A01Z", "C10A", "C11Z", "C13Z", "C14Z", "C15Z", "C16Z", "C17A", "C19Z", "C20A", "C21Z", "C22A"]
    countries = ["DE", "BE", "ES", "IT", "GB", "NL", "US", "CN", "CH", "PL", "SE", "AT"]
    rows = [
        ("export", "48", "C21Z", "DE", 5e6),
        ("export", "48", "C11Z", "BE", 1.5e6),
        ("export", "48", "C21Z", "BE", 0.5e6),
        ("import", "48", "C21Z", "DE", 2e6),
    ]
    rows += [
        (flow, "59", product, country, 1e6 * (i + 1) * (j + 1))
        for flow in ("export", "import")
        for i, product in enumerate(products)
        for j, country in enumerate(countries)
    ]
    data = tmp_path / "few.csv"
    pl.DataFrame(
        [(2024, *row) for row in rows], orient="row", schema=["year", "flow", "department", "product", "country", "value_eur"]
    ).write_csv(data)
    trade = load_trade_data(data, reference)
    ind = compute_all(trade, reference, settings, 2024, ["48"])["48"]
    assert sorted(c.code for c in ind.balance_countries) == ["BE", "DE"]
    balance = balance_chart(ind.balance_countries, settings)
    assert len(balance_rows(ind.balance_countries, settings).rows) == 2
    treemap = treemap_chart(ind.local.imports, ind.local.exports, settings)
    plan = treemap_plan(ind.local.imports, ind.local.exports, settings)
    assert [len(block.cells) for block in plan.blocks] == [1, 2]
    assert_treemap_labels_inside_cells(treemap, plan)
    texts = {s.text for drawing in (balance, treemap) for s in strings(drawing)}
    for summary in (ind.local.exports, ind.local.imports):
        drawing = assert_clean_sankey(summary, settings, "department")
        texts |= {s.text for s in strings(drawing)}
        assert OTHER_CODE not in {n.item.code for n in sankey_layout(summary, settings).nodes}
    assert "Autres" not in texts and {"Allemagne", "Belgique", "Pharmacie", "Boissons"} <= texts
    # The region (Occitanie: Lozère alone here) and France: 12 products and countries, so "Autres" appears.
    nation = sankey_layout(ind.nation_flows.exports, settings, "region")
    assert [n.item.code for n in nation.nodes if n.side == "left"][-1] == OTHER_CODE


def test_the_sheet_keeps_chart_labels_as_text_in_embedded_fonts_without_images(settings):
    """A whole sheet built in-process, read back with pypdf: no poppler needed."""
    renderer = SheetRenderer(SAMPLE_DATA, None, ["59"])
    reader = PdfReader(io.BytesIO(renderer.sheet_bytes("59")))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).replace(NBSP, " ").split())
    ind = renderer.indicators["59"]
    expected = {country.name for country in ind.balance_countries}
    for summary, size in (
        (ind.local.exports, "department"),
        (ind.local.imports, "department"),
        (ind.region_flows.exports, "region"),
        (ind.nation_flows.imports, "region"),
    ):
        layout = sankey_layout(summary, settings, size)
        expected |= {label.name for label in layout.labels} | set(layout.headers)
        expected |= {label.value.replace(NBSP, " ") for label in layout.labels}
    missing = sorted(label for label in expected if label not in text)
    assert not missing, f"chart labels not extractable as text: {missing}"
    assert "Produits sidérurgiques" in text and "Belgique" in text

    family = FontNames.from_settings(settings)
    allowed = {family.regular, family.bold, family.italic, family.bold_italic, family.semibold}
    for number, page in enumerate(reader.pages, start=1):
        pending = [page["/Resources"].get_object()]
        while pending:
            resources = pending.pop()
            for font in resources.get("/Font", {}).values():
                font = font.get_object()
                assert font["/Subtype"] == "/TrueType", f"page {number}: {font['/BaseFont']}"
                assert "/FontFile2" in font["/FontDescriptor"].get_object(), f"page {number}: {font['/BaseFont']}"
                assert str(font["/BaseFont"]).split("+")[-1] in allowed
            for xobject in resources.get("/XObject", {}).values():
                xobject = xobject.get_object()
                assert xobject["/Subtype"] != "/Image", f"page {number} has a raster image"
                if "/Resources" in xobject:
                    pending.append(xobject["/Resources"].get_object())


def test_sankey_column_headers_come_from_config(settings, big):
    exports, imports = big
    labels = settings.charts.labels
    assert sankey_layout(exports, settings).headers == (labels.sankey_export_left, labels.sankey_export_right)
    layout = sankey_layout(imports, settings)
    assert layout.headers == (labels.sankey_import_left, labels.sankey_import_right)
    # The nodes start below the headers' band.
    assert max(node.y1 for node in layout.nodes) <= layout.height - layout.header_height
    texts = [s.text for s in strings(sankey_chart(imports, settings))]
    assert labels.sankey_import_left in texts and labels.sankey_import_right in texts
