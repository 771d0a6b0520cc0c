"""Print layout rules of SPEC 11, measured from the PDFs of the 101 sheets, plain and with
--evolution: what a reader sees, read back from the PDF, never from the layout's objects.

- every chart and total (anything above the footer rule) at least 8 mm above that rule;
- one style for every chart title: the same face, size and colour, centred on the page;
- the evolution tables' numbers aligned on the decimal mark;
- the Sankeys' node columns at one place on every page.

The pages are read once for the whole run, with PDFium (tests/pdf_measure.py; conftest.py
shares the reading between the test files and the pytest-xdist workers). The expected
chart titles are filled here from config/texts.yaml with the test's own values (department
and region names from the reference tables)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pdf_measure import MM, Row, SheetLayout

from factsheets.paths import CONFIG_DIR
from factsheets.reference import load_reference

MIN_GAP = 8 * MM
YEAR = 2024


@pytest.fixture(scope="module")
def measured(plain_sheets, plain_sheet_measures, evolution_sheet_measures) -> dict[Path, SheetLayout]:
    """The print layout of the 202 sheets, read once for the whole run (see conftest.py)."""
    found = {path: plain_sheet_measures[path].layout for path in plain_sheets}
    found.update({path: measures.layout for path, measures in evolution_sheet_measures.items()})
    assert len(found) == 202
    return found


def test_everything_above_the_footer_rule_keeps_8_mm_from_it(measured):
    for path, sheet in measured.items():
        assert len(sheet.gaps) == sheet.pages, f"{path.name}: {sheet.gaps}"
        assert all(gap is not None for gap, _ in sheet.gaps), f"{path.name}: a page without a footer rule, or nothing above it"
    closest = [(gap, str(path), number) for path, sheet in measured.items() for gap, number in sheet.gaps]
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


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def titles(rows: list[Row], expected: list[str]) -> list[tuple[str, Row]]:
    """The chart titles on a page (one to three lines each), with each of their lines."""
    found = []
    for index in range(len(rows)):
        for count in (1, 2, 3):
            chunk = rows[index : index + count]
            joined = _normal(" ".join(row.text for row in chunk))
            if len(chunk) == count and joined in expected:
                found += [(joined, row) for row in chunk]
    return found


def test_every_chart_title_has_one_style_centred_on_the_page(measured):
    by_slug = {code.lower(): code for code in load_reference().departments["code"]}
    styles = set()
    for path, sheet in measured.items():
        expected = chart_titles(by_slug[path.stem.split("-")[3]], sheet.pages == 9)
        found = [title for rows in sheet.rows for title in titles(rows, expected)]
        assert sorted({title for title, _ in found}) == sorted(expected), path.name
        for title, row in found:
            styles |= row.styles
            centre = (row.x0 + row.x1) / 2
            assert abs(centre - sheet.width / 2) < 1.5, f"{path.name}: « {title} » not centred ({centre:.1f})"
    assert len(styles) == 1, f"chart titles in {len(styles)} styles: {sorted(styles)}"


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
