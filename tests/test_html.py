"""render --html: the sheet as an accessible web page, and the campaign's index.html.

Read as readers do: every page of a `render --all --html` is loaded in Debian's Chromium
(headless, through playwright-core, no browser download) and audited by axe-core at WCAG 2.1
A/AA (tests/browser/audit.mjs, versions pinned in tests/browser/package-lock.json). The
figures of each page are compared with the text layer of its PDF, read back by pdftotext.
The project installs what this needs: Chromium from Debian's packages (as root, when it is
missing) and the node packages with `npm ci`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from cli_helpers import run_in_process
from conftest import render_all_once
from debian_tools import ensure_debian_program, ensure_node_packages


def audit(jobs: list[tuple[Path, int, bool]]) -> dict[tuple[Path, int], dict]:
    """Chromium's reading of each (page, viewport width, whether to run axe-core), all in one
    browser: axe-core's violations and passes, every URL the page requested, its title and
    language, whether it scrolls sideways, its SVG images; by (page, width)."""
    chromium = ensure_debian_program("chromium", "chromium")
    browser = ensure_node_packages("browser")
    request = json.dumps([{"page": str(page), "width": width, "axe": axe} for page, width, axe in jobs])
    result = subprocess.run(
        ["node", str(browser / "audit.mjs")],
        input=request,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "CHROMIUM": str(chromium)},
    )
    assert result.returncode == 0, result.stderr
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(report["page"], report["width"]) for report in reports] == [(str(page), width) for page, width, _ in jobs]
    return {(Path(report["page"]), report["width"]): report for report in reports}


@pytest.fixture(scope="session")
def html_all(tmp_path_factory):
    result, out = render_all_once(tmp_path_factory)  # shared with the PDF tests (see conftest.py)
    assert result.returncode == 0, result.stderr
    return result, out


class _Text(HTMLParser):
    """The visible text of a page (SVG labels and tables included), the <style> left out."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "title", "desc"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "title", "desc"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def page_text(path: Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return "\n".join(parser.parts)


NUMBER = re.compile(r"(?<![\w.])[−-]?\d{1,3}(?:[\u00a0\u202f ]\d{3})*(?:\.\d+)?%?")


def numbers(text: str) -> set[str]:
    return {re.sub(r"[\u00a0\u202f ]", " ", match).replace("−", "-") for match in NUMBER.findall(text)}


def pdf_text(path: Path) -> str:
    pdftotext = ensure_debian_program("pdftotext", "poppler-utils")
    return subprocess.run([str(pdftotext), "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True).stdout


# The departments whose pages differ in shape (single-department regions, long names, no
# Territoires d'industrie list, the largest and smallest figures), audited by axe-core in
# the suite; every page is loaded. (All 102 with axe: AXE_ALL=1, about 1 s a page.)
AWKWARD = ("02", "60", "976", "973", "2a", "48", "76", "59", "31", "13")


def _pages(out: Path, codes) -> list[Path]:
    return [out / "index.html", *(next(out.glob(f"commerce-exterieur-2024-{code}-*.html")) for code in codes)]


WIDE, NARROW = 1280, 375
NARROW_PAGES = ("02", "976", "2a")


@pytest.fixture(scope="session")
def browser_reports(html_all) -> dict[tuple[Path, int], dict]:
    """Every page and the index loaded once at 1280 px (axe-core on the AWKWARD ones and the
    index, on all with AXE_ALL=1), and the NARROW_PAGES and the index at 375 px with
    axe-core: one browser for the three tests below, which only read what pages show."""
    _, out = html_all
    audited = set(_pages(out, AWKWARD))
    everything = os.environ.get("AXE_ALL") == "1"
    jobs = [(page, WIDE, everything or page in audited) for page in sorted(out.glob("*.html"))]
    jobs += [(page, NARROW, True) for page in _pages(out, NARROW_PAGES)]
    return audit(jobs)


def test_every_page_and_the_index_load_with_no_external_request(html_all, browser_reports):
    _, out = html_all
    pages = sorted(out.glob("*.html"))
    assert len(pages) == 102 and (out / "index.html") in pages
    for page in pages:
        report = browser_reports[(page, WIDE)]
        assert report["violations"] == [], (report["page"], report["violations"])
        assert report["lang"] == "fr" and report["title"]
        assert not report["overflow"], report["page"]
        assert report["svgs"] in ((0,) if report["page"].endswith("index.html") else (6, 8)), report["page"]
        for url in report["requests"]:  # the page and its fonts, nothing else
            assert url.startswith(f"file://{out}/"), (report["page"], url)


def test_every_pages_chart_labels_keep_a_space_between_them_in_the_browser(html_all, browser_reports):
    """On every page, as Chromium lays the charts out in the page's fonts, a label ends at
    least a point before the next on its line (a key's name and its value, a Sankey node's
    name and its figure): each face's SVG weight is the PDF's, whose widths placed them."""
    _, out = html_all
    pages = sorted(out.glob("commerce-exterieur-*.html"))
    assert len(pages) == 101
    for page in pages:
        report = browser_reports[(page, WIDE)]
        assert report["cramped"] == [], (report["page"], report["cramped"][:3])


def test_awkward_pages_and_the_index_pass_axe_at_wcag_21_aa(html_all, browser_reports):
    _, out = html_all
    for page in _pages(out, AWKWARD):
        report = browser_reports[(page, WIDE)]
        assert report["violations"] == [], (report["page"], report["violations"])
        assert report["passes"] > 10, report["page"]  # axe did run its rules


def test_narrow_screens_read_without_horizontal_scrolling(html_all, browser_reports):
    _, out = html_all
    for page in _pages(out, NARROW_PAGES):
        report = browser_reports[(page, NARROW)]
        assert report["violations"] == [], (report["page"], report["violations"])
        assert not report["overflow"], report["page"]


def test_every_figure_of_the_pdf_is_on_its_page(html_all):
    """The numbers of each PDF's text layer (totals, shares, chart labels, balances) all appear
    on the web page of the same sheet: both writers map one content model."""
    _, out = html_all
    pdfs = sorted(out.glob("commerce-exterieur-*.pdf"))
    assert len(pdfs) == 101
    for pdf in pdfs:
        page = pdf.with_suffix(".html")
        in_pdf = numbers(pdf_text(pdf))
        on_page = numbers(page_text(page))
        # Page numbers are the PDF's own (the page has none); everything else must be there.
        missing = {number for number in in_pdf - on_page if not re.fullmatch(r"[1-9]", number)}
        assert not missing, (pdf.name, sorted(missing)[:20])


def test_each_chart_is_svg_with_title_desc_and_its_data_table(html_all):
    _, out = html_all
    page = (out / "commerce-exterieur-2024-02-aisne.html").read_text(encoding="utf-8")
    charts = re.findall(
        r'<svg [^>]*role="img" aria-labelledby="([^"]+)"[^>]*><title id="[^"]+">([^<]+)</title><desc id="[^"]+">([^<]+)</desc>',
        page,
    )
    assert len(charts) == 8  # balance, treemap, three Sankeys for exports, three for imports
    assert all(title.strip() and len(desc) > 60 for _, title, desc in charts)
    assert page.count("<details>") == 8 and page.count("<table>") == 8
    assert 'lang="fr"' in page and 'href="#contenu"' in page and '<main id="contenu"' in page
    headings = [int(level) for level in re.findall(r"<h([1-6])", page)]
    assert headings[0] == 1 and headings.count(1) == 1
    assert all(later - earlier <= 1 for earlier, later in zip(headings, headings[1:]))  # levels never skip
    assert 'href="commerce-exterieur-2024-02-aisne.pdf"' in page and 'href="commerce-exterieur-2024-02-aisne.xlsx"' in page
    # The Aisne's published export total and shares (spec section 2).
    text = page_text(out / "commerce-exterieur-2024-02-aisne.html")
    assert "Total des exportations\u00a0: 3\u00a0517.5 millions d’euros" in text
    assert "5.2%" in text and "0.61%" in text


def test_single_department_region_page_compares_with_france_only(html_all):
    _, out = html_all
    page = (out / "commerce-exterieur-2024-976-mayotte.html").read_text(encoding="utf-8")
    assert page.count('role="img"') == 6  # no region Sankeys
    assert "de la valeur exportée par la région" not in page


def test_index_lists_every_sheet_with_the_summary_figures(html_all):
    _, out = html_all
    index = (out / "index.html").read_text(encoding="utf-8")
    rows = re.findall(
        r"<tr><td>([^<]+)</td><th scope=\"row\">([^<]+)</th><td>([^<]+)</td>"
        r'<td class="number">([^<]+)</td><td class="number">([^<]+)</td><td class="number">([^<]+)</td>',
        index,
    )
    assert len(rows) == 101
    import polars as pl

    summary = pl.read_csv(out / "synthese-2024.csv", separator=";", decimal_comma=True, infer_schema_length=0)
    exports = dict(zip(summary["Code"], summary["Exportations (€)"]))
    for code, _, _, printed_exports, _, _ in rows:
        euros = float(exports[code].replace(",", "."))
        from factsheets.numbers import format_millions

        assert printed_exports == format_millions(euros), code
    for code, *_ in rows:
        assert f'href="commerce-exterieur-2024-{code.lower()}-' in index


def test_html_is_byte_identical_across_runs(tmp_path, html_all):
    _, out = html_all
    again = run_in_process(
        "render", "--dept", "02", "--dept", "976", "--html", "--annexe", "xlsx", "--workers", "1", "--out", tmp_path
    )
    assert again.returncode == 0, again.stderr
    for name in ("commerce-exterieur-2024-02-aisne.html", "commerce-exterieur-2024-976-mayotte.html"):
        assert hashlib.sha256((tmp_path / name).read_bytes()).digest() == hashlib.sha256((out / name).read_bytes()).digest()
    assert sorted(path.name for path in (tmp_path / "polices").iterdir()) == sorted(
        path.name for path in (out / "polices").iterdir()
    )


def test_each_face_has_its_weight_and_style_in_the_charts_svg_text():
    """The charts' SVG text names each face as the page's @font-face rules do: the semibold
    labels at 600, not at the bold's 700 ("semibold" holds "bold")."""
    from factsheets.config import settings
    from factsheets.fonts import FontNames
    from factsheets.html import _font_attributes

    names = FontNames.from_settings(settings())
    expected = {
        "regular": 'font-weight="400"',
        "semibold": 'font-weight="600"',
        "bold": 'font-weight="700"',
        "italic": 'font-weight="400" font-style="italic"',
        "bold_italic": 'font-weight="700" font-style="italic"',
    }
    assert {face: _font_attributes(names.face(face)) for face in expected} == expected
