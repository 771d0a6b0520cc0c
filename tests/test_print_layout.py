"""Print layout rules of SPEC 11, measured from the PDFs of the 101 sheets, plain and with
--evolution: what a reader sees, read back with pdfplumber, never from the layout's objects.

- every chart and total (anything above the footer rule) at least 8 mm above that rule;
- one style for every chart title: the same face, size and colour, centred on the page;
- the evolution tables' numbers aligned on the decimal mark;
- the Sankeys' node columns at one place on every page.

The expected chart titles are filled here from config/texts.yaml with the test's own
values (department and region names from the reference tables)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pdfplumber
import pytest
import yaml
from conftest import run_once_per_test_run

from factsheets.paths import CONFIG_DIR
from factsheets.reference import load_reference

MM = 72 / 25.4
MIN_GAP = 8 * MM
YEAR = 2024
TABLE_FONT_SIZE = 8.5
SETTINGS = yaml.safe_load((CONFIG_DIR / "settings.yaml").read_text(encoding="utf-8"))
NODE_COLOURS = {SETTINGS["colors"]["sankey_node"].upper(), SETTINGS["colors"]["sankey_other_node"].upper()}
NUMBER = re.compile(r"^[+\u2212-]?\d[\d\u00a0 ]*(\.\d+)?%?$")


@pytest.fixture(scope="module")
def sheets(plain_render_all, tmp_path_factory) -> list[Path]:
    result, out = plain_render_all
    assert result.returncode == 0, result.stderr
    evolution, evolution_out = run_once_per_test_run(
        tmp_path_factory, "render-all-evolution", "render", "--all", "--evolution", "--workers", "2"
    )
    assert evolution.returncode == 0, evolution.stderr
    paths = sorted(out.glob("*.pdf")) + sorted(evolution_out.glob("*.pdf"))
    assert len(paths) == 202
    return paths


@dataclass
class Measured:
    """What one sheet shows, read once (the 202 PDFs' characters are not all kept in memory)."""

    pages: int
    gaps: list[tuple[float, int]] = field(default_factory=list)  # per page: closest content to the rule, page
    titles: list[tuple[str, frozenset, float, float]] = field(default_factory=list)  # text, styles, centre, width
    pivots: dict[tuple[int, int], list[float]] = field(default_factory=lambda: defaultdict(list))
    node_columns: dict[int, set[float]] = field(default_factory=dict)  # per page: the x of the Sankey nodes


@pytest.fixture(scope="module")
def measured(sheets) -> dict[Path, Measured]:
    by_slug = {code.lower(): code for code in load_reference().departments["code"]}
    found = {}
    for path in sheets:
        with pdfplumber.open(path) as pdf:
            sheet = Measured(len(pdf.pages))
            expected = chart_titles(by_slug[path.stem.split("-")[3]], sheet.pages == 9)
            for number, page in enumerate(pdf.pages, 1):
                chars, lines, width = page.chars, page.lines + page.rects, float(page.width)
                rule = footer_rule(lines, width)
                assert rule is not None, f"{path.name} page {number}: no footer rule"
                bottoms = [c["y0"] for c in chars if c["text"].strip() and c["y0"] > rule]
                bottoms += [item["y0"] for item in (*lines, *page.curves) if item["y0"] > rule + 0.5]
                if bottoms:
                    sheet.gaps.append((min(bottoms) - rule, number))
                sheet.titles += _titles(chars, expected, width)
                columns = {round(rect["x0"], 1) for rect in page.rects if _colour(rect["non_stroking_color"]) in NODE_COLOURS}
                if columns:
                    sheet.node_columns[number] = columns
                if sheet.pages == 9 and number == 8:  # the evolution page, before "Informations pratiques"
                    _table_pivots(chars, sheet.pivots)
                page.flush_cache()
                page.close()
        found[path] = sheet
    return found


def _colour(value) -> str | None:
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        return None
    return "#" + "".join(f"{round(channel * 255):02X}" for channel in value)


def footer_rule(lines, width: float) -> float | None:
    """The height (from the bottom edge, points) of the footer rule: the lowest line across
    the frame's width in the bottom 30 mm."""
    rules = [
        line["y0"]
        for line in lines
        if abs(line["y0"] - line["y1"]) < 1 and line["x1"] - line["x0"] > width * 0.7 and line["y0"] < 30 * MM
    ]
    return min(rules) if rules else None


def test_everything_above_the_footer_rule_keeps_8_mm_from_it(measured):
    closest = [(gap, str(path), number) for path, sheet in measured.items() for gap, number in sheet.gaps]
    assert len(closest) == sum(sheet.pages for sheet in measured.values())
    gap, name, number = min(closest)
    print(f"closest content above the footer rule: {gap / MM:.2f} mm ({name}, page {number})")
    too_close = [(round(g / MM, 2), n, p) for g, n, p in closest if g < MIN_GAP - 0.01]
    assert not too_close, f"{len(too_close)} pages under 8 mm, e.g. {sorted(too_close)[:5]}"


def _texts() -> dict:
    return yaml.safe_load((CONFIG_DIR / "texts.yaml").read_text(encoding="utf-8"))


def chart_titles(code: str, evolution: bool) -> list[str]:
    """The titles of the sheet's charts, filled as a reader reads them (markup left out)."""
    texts = _texts()
    departments = load_reference().departments
    row = departments.filter(departments["code"] == code).row(0, named=True)
    regions = load_reference().regions
    region_name = regions.filter(regions["code"] == row["region"])["name"][0]
    alone = (departments["region"] == row["region"]).sum() == 1
    values = {"department": row["name"], "region": region_name, "year": YEAR, "first_year": 2019}
    keys = [("balance", "chart_title"), ("balance", "treemap_title")]
    for flow in ("exports", "imports"):
        keys.append((flow, "chart_title"))
        if not alone:
            keys.append((flow, "region_title"))
        keys.append((flow, "nation_title"))
    if evolution:
        keys.append(("evolution", "chart_title"))
    return [re.sub(r"</?b>", "", texts[section][key]).format(**values) for section, key in keys]


def text_lines(chars) -> list[tuple[str, list]]:
    rows: dict[float, list] = defaultdict(list)
    for char in chars:
        rows[round(char["top"], 1)].append(char)
    lines = []
    for top in sorted(rows):
        row = sorted(rows[top], key=lambda c: c["x0"])
        lines.append(("".join(c["text"] for c in row).replace("\u00a0", " "), row))
    return lines


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def _titles(chars, expected: list[str], width: float) -> list[tuple[str, frozenset, float, float]]:
    """The chart titles on a page (one to three lines each): text, styles of its glyphs
    (face, size, colour), the centre of each line, the page width."""
    lines = text_lines(chars)
    found = []
    for index in range(len(lines)):
        for count in (1, 2, 3):
            chunk = lines[index : index + count]
            joined = _normal(" ".join(text for text, _ in chunk))
            if len(chunk) == count and joined in expected:
                for _text, row in chunk:
                    visible = [c for c in row if c["text"].strip()]
                    styles = frozenset(
                        (c["fontname"].split("+")[-1], round(c["size"], 2), str(c["non_stroking_color"])) for c in visible
                    )
                    found.append((joined, styles, (visible[0]["x0"] + visible[-1]["x1"]) / 2, width))
    return found


def test_every_chart_title_has_one_style_centred_on_the_page(measured):
    by_slug = {code.lower(): code for code in load_reference().departments["code"]}
    styles = set()
    for path, sheet in measured.items():
        expected = chart_titles(by_slug[path.stem.split("-")[3]], sheet.pages == 9)
        assert sorted({title for title, *_ in sheet.titles}) == sorted(expected), path.name
        for title, style, centre, width in sheet.titles:
            styles |= style
            assert abs(centre - width / 2) < 1.5, f"{path.name}: « {title} » not centred ({centre:.1f})"
    assert len(styles) == 1, f"chart titles in {len(styles)} styles: {sorted(styles)}"


def _cells(row: list) -> list[list]:
    """A table row's cells: runs of characters separated by more than 6 pt."""
    cells: list[list] = [[row[0]]]
    for previous, char in zip(row, row[1:]):
        if char["x0"] - previous["x1"] > 6:
            cells.append([])
        cells[-1].append(char)
    return cells


def _pivot(cell: list) -> float:
    """Where the decimal mark is, or would be: the "." itself, else the right edge of the last digit."""
    for char in cell:
        if char["text"] == ".":
            return char["x0"]
    digits = [char for char in cell if char["text"].isdigit()]
    return digits[-1]["x1"]


def _table_pivots(chars, columns: dict[tuple[int, int], list[float]]) -> None:
    """The decimal marks' places in the numeric cells of the page's tables, by (cells in the row, column)."""
    table = [c for c in chars if abs(c["size"] - TABLE_FONT_SIZE) < 0.01 and "Bold" not in c["fontname"]]
    for _text, row in text_lines(table):
        cells = _cells(row)
        for index, cell in enumerate(cells):
            if index and NUMBER.match("".join(c["text"] for c in cell).strip()):
                columns[(len(cells), index)].append(_pivot(cell))


def test_the_evolution_tables_align_their_numbers_on_the_decimal_mark(measured):
    checked = 0
    for path, sheet in measured.items():
        if sheet.pages != 9:
            continue
        assert sheet.pivots, f"{path.name}: no table found"
        for (cells, index), pivots in sheet.pivots.items():
            assert max(pivots) - min(pivots) < 0.3, f"{path.name}: column {index} of a {cells}-cell row: {pivots}"
            checked += 1
    assert checked >= 101 * 4


def test_the_sankey_node_columns_stand_at_one_place_on_every_page(measured):
    """Four Sankey pages a sheet (two of them with two charts): the nodes' left edges take two
    values only, the left column's and the right column's, the same on every sheet."""
    columns = set()
    for path, sheet in measured.items():
        assert len(sheet.node_columns) == 4, f"{path.name}: Sankey nodes on pages {sorted(sheet.node_columns)}"
        for xs in sheet.node_columns.values():
            columns |= xs
    assert len(columns) == 2, f"node columns at {sorted(columns)}"
