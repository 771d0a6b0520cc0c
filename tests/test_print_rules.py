"""Print rules of spec section 6, on every sheet of the bundled sample, read back from the PDFs.

`render --all` runs once (real CLI, subprocess; shared with test_render.py, see conftest.py);
each PDF's text is read once with poppler's pdftotext in content order (-raw: the same text
as pypdf's, in a sixth of the time), its links, fonts and positions with pypdf. The expected figures come from the indicators computed independently in-process and
formatted here with the test's own rounding, never from the layout's objects.
"""

from __future__ import annotations

import re
import subprocess
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from cli_helpers import run_in_process
from debian_tools import ensure_debian_program
from pypdf import PdfReader
from test_render import HYPHENATED, NBSP, SHEET_PAGES, as_printed, link_targets

from factsheets.config import settings as load_settings
from factsheets.indicators import compute_all
from factsheets.paths import SAMPLE_DATA, TERRITOIRES_INDUSTRIE_FILE
from factsheets.reference import load_reference
from factsheets.validate import choose_year, load_trade_data

SINGLE_DEPARTMENT_REGIONS = {"971", "972", "973", "974", "976"}  # 975 is not a department
MM = 72 / 25.4


@pytest.fixture(scope="module")
def rendered(plain_render_all):
    result, _ = plain_render_all
    assert result.returncode == 0, result.stderr
    paths = [Path(line) for line in result.stdout.splitlines()]
    assert len(paths) == 101
    return result, paths


@pytest.fixture(scope="module")
def indicators():
    reference = load_reference()
    trade = load_trade_data(SAMPLE_DATA, reference)
    year = choose_year(trade, None, SAMPLE_DATA)
    return compute_all(trade, reference, load_settings(), year)


def code_of(path: Path) -> str:
    return path.name.split("-")[3].upper()


@pytest.fixture(scope="module")
def page_lines(rendered) -> dict[str, list[list[str]]]:
    """Department code -> each page's lines, as pdftotext -raw reads them."""
    _, paths = rendered
    return {code_of(path): raw_pages(path) for path in paths}


@pytest.fixture(scope="module")
def sheets(rendered, indicators, page_lines):
    """Department code -> (its indicators, its pages' text, its PDF reader, its path)."""
    _, paths = rendered
    by_code = {}
    for path in paths:
        code = code_of(path)
        reader = PdfReader(path)
        assert len(reader.pages) == len(page_lines[code]) == SHEET_PAGES, path.name
        by_code[code] = (indicators[code], [one_line(lines) for lines in page_lines[code]], reader, path)
    assert set(by_code) == set(indicators)
    return by_code


def raw_pages(path: Path) -> list[list[str]]:
    """Each page's lines as pdftotext -raw reads them (content order, /ActualText honoured)."""
    pdftotext = ensure_debian_program("pdftotext", "poppler-utils")
    text = subprocess.run([str(pdftotext), "-raw", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True)
    return [page.splitlines() for page in text.stdout.split("\f")[:-1]]


def one_line(lines: list[str]) -> str:
    """A page's text on one line, as test_render.page_text spells it: hyphenated words joined,
    no-break spaces and line breaks as spaces, straight apostrophes."""
    return " ".join(HYPHENATED.sub("", "\n".join(lines)).replace(NBSP, " ").replace("\u2019", "'").split())


def millions(value_eur: float) -> Decimal:
    return (Decimal(repr(value_eur)) / Decimal(1_000_000)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def printed(amount: Decimal) -> str:
    """As the sheets print M€ (plain spaces: the text is read with no-break spaces as spaces)."""
    text = f"{abs(amount):,.1f}".replace(",", " ").removesuffix(".0")
    return ("-" if amount < 0 else "") + text


def printed_balance(amount: Decimal) -> str:
    if amount == 0:
        return "0"
    return ("+" if amount > 0 else "\u2212") + printed(abs(amount))


def test_no_placeholder_on_any_sheet(sheets):
    for code, (_, pages, _, path) in sheets.items():
        text = " ".join(pages).lower()
        assert "compléter" not in text and "completer" not in text, code
        targets = [target for page in PdfReader(path).pages for target in _page_links(page)]
        assert len(targets) == len(set(targets)), f"{code}: two links to one address {targets}"


def _page_links(page) -> list[str]:
    return [
        str(ref.get_object()["/A"]["/URI"]) for ref in page.get("/Annots", []) or [] if "/URI" in ref.get_object().get("/A", {})
    ]


def test_cover_lists_territoires_only_when_configured(sheets):
    for code, (ind, pages, _, _) in sheets.items():
        cover = pages[0]
        if ind.territoires_industrie:
            assert "Territoires d'Industrie du département • " + " • ".join(ind.territoires_industrie) in cover
        else:
            assert "Territoires d'Industrie du département" not in cover, code


def test_render_names_once_the_departments_without_a_list(rendered, sheets, tmp_path):
    result, _ = rendered
    lines = [line for line in result.stderr.splitlines() if "Territoires d'industrie" in line]
    assert len(lines) == 1
    missing = sorted(code for code, (ind, *_) in sheets.items() if not ind.territoires_industrie)
    assert len(missing) == 99
    listed = re.search(r": ((?:[0-9AB]{2,3}, )*[0-9AB]{2,3}) ;", lines[0]).group(1).split(", ")
    assert sorted(listed) == missing
    assert str(TERRITOIRES_INDUSTRIE_FILE) in lines[0]
    # Only the departments rendered, and no line when every one has its list.
    two = run_in_process("render", "--dept", "02", "--dept", "60", "--workers", "1", "--out", tmp_path / "with-lists")
    assert two.returncode == 0 and "Territoires d'industrie" not in two.stderr
    one = run_in_process("render", "--dept", "02", "--dept", "48", "--workers", "1", "--out", tmp_path / "one-missing")
    assert [line for line in one.stderr.splitlines() if "Territoires" in line][0].count("48") == 1
    assert "02," not in one.stderr and ": 48 ;" in one.stderr


def test_every_printed_balance_is_printed_exports_minus_printed_imports(sheets):
    checked = 0
    for code, (ind, pages, _, _) in sheets.items():
        page = pages[2]
        for country in ind.balance_countries:
            imports, exports = millions(country.import_eur), millions(country.export_eur)
            row = f"{printed(imports)} {printed(exports)} {country.name} {printed_balance(exports - imports)}"
            assert as_printed(row) in page, f"{code}: {row!r} not on page 3"
            checked += 1
    assert checked >= 5 * 101  # at least the five largest partners of each side, often more


def test_every_top_product_and_autres_named_with_its_value_on_page_3(sheets):
    for code, (ind, pages, _, _) in sheets.items():
        page = pages[2]
        for summary in (ind.local.imports, ind.local.exports):
            items = summary.products_with_other
            assert 0 < len(items) <= 11
            for item in items:
                label = f"{item.short_label} {printed(millions(item.value_eur))} M€"
                assert as_printed(label) in page, f"{code} {summary.flow}: {label!r} not on page 3"
            if any(item.is_other for item in items):
                assert re.search(r"Autres \d[\d ]*(\.\d)? M€", page), code
        assert "…" not in page, code


def test_single_department_regions_compare_with_france_only(sheets):
    for code, (ind, pages, _, _) in sheets.items():
        single = code in SINGLE_DEPARTMENT_REGIONS
        assert ind.single_department_region == single, code
        region_line = re.compile(r"soit \d+\.\d% de la valeur (exportée|importée) par la région")
        assert bool(region_line.search(" ".join(pages))) != single, code
        for number, flow in ((5, "export"), (7, "import")):
            page = pages[number - 1]
            assert f"Flux à l'{flow}, France entière" in page
            assert (as_printed(f"Flux à l'{flow}, {ind.region.name}") in page) != single, (code, number)
            assert ("celle du pays" in page) == single and ("celle de la région et du pays" in page) != single


def test_the_comparison_sentence_opens_pages_5_and_7(sheets):
    for code, (_, pages, _, _) in sheets.items():
        for number, flow in ((5, "exportations"), (7, "importations")):
            sentence = f"La situation départementale des {flow} représentée page précédente peut être comparée"
            assert sentence not in pages[number - 2], code
            page = pages[number - 1]
            assert sentence in page and page.index(sentence) < page.index("Flux à l'"), (code, number)


def test_cover_title_lines_are_balanced(sheets):
    reader = sheets["02"][2]
    lines = [line.strip() for line in reader.pages[0].extract_text().splitlines()]
    assert (
        "Les indicateurs clés :" in [" ".join(line.replace("\u00a0", " ").split()) for line in lines]
        and "commerce extérieur" in lines
    )


def test_each_embedded_font_has_its_own_stable_subset_tag(sheets, tmp_path):
    for code in ("02", "973", "2A"):
        reader = sheets[code][2]
        names = {str(font.get_object()["/BaseFont"]) for page in reader.pages for font in page["/Resources"]["/Font"].values()}
        tags = [name[1:7] for name in names]
        assert len(names) >= 4 and len(set(tags)) == len(tags), names
        assert all(re.fullmatch(r"[A-Z]{6}", tag) and name[7] == "+" for tag, name in zip(tags, names))
        assert "AAAAAA" not in tags
    again = run_in_process("render", "--dept", "02", "--out", tmp_path)
    assert Path(again.stdout.strip()).read_bytes() == sheets["02"][3].read_bytes()


def _lowest_ink(page) -> float:
    """The lowest descender of any text on the page, in points from the bottom edge."""
    lowest = [float("inf")]

    def visit(text, cm, tm, font, size):
        if text.strip():
            scale = (cm[3] ** 2 + cm[2] ** 2) ** 0.5  # vertical scale of the current matrix
            y = tm[5] * cm[3] + tm[4] * cm[1] + cm[5]
            lowest[0] = min(lowest[0], y - 0.25 * size * scale * abs(tm[3] or 1))

    page.extract_text(visitor_text=visit)
    return lowest[0]


def test_footer_stays_10_mm_from_the_edge(sheets):
    for code in ("02", "976", "2A"):
        reader = sheets[code][2]
        for number, page in enumerate(reader.pages, start=1):
            assert _lowest_ink(page) >= 10 * MM, (code, number)


def test_links_without_address_are_left_out(sheets, page_lines):
    path = sheets["60"][3]
    targets = link_targets(path)
    assert targets == {
        "https://anct.gouv.fr/actualites",
        "https://www.entreprises.gouv.fr/la-dge/actualites",
        "mailto:territoires-industrie@anct.gouv.fr",
    }
    practical = sheets["60"][1][7]
    assert "Portraits socio-économiques des Territoires d'Industrie" not in practical
    assert "Dossier de presse de la dernière Assemblée générale" not in practical
    # Nor the paragraphs introducing them: no sentence on page 8 announces a link that is not there.
    assert "à l'adresse suivante" not in practical and "pour l'année 2025" not in practical
    for code, pages in page_lines.items():
        lines = [line.strip() for line in pages[7]]
        for number, line in enumerate(lines):
            if line.endswith(":"):
                assert number + 1 < len(lines) and lines[number + 1].startswith("• "), (code, line)
