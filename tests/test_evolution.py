"""Evolution in `indicators --json` against a plain-Python computation, and the evolution chart.

The expected figures are computed here with dicts and loops over the sample's rows, sharing
nothing with factsheets.indicators (Polars).
"""

from __future__ import annotations

import json
from collections import defaultdict

import polars as pl
import pytest
from cli_helpers import run_in_process

from factsheets.paths import SAMPLE_DATA
from factsheets.reference import load_reference

YEARS = [2019, 2020, 2021, 2022, 2023, 2024]


@pytest.fixture(scope="module")
def plain():
    """Sums per (year, flow, area) and per (year, flow, department, product|country), by loops."""
    reference = load_reference()
    region_of = dict(zip(reference.departments["code"], reference.departments["region"]))
    sample = pl.read_parquet(SAMPLE_DATA)
    totals: dict[tuple, float] = defaultdict(float)
    items: dict[tuple, float] = defaultdict(float)
    columns = [sample[name].to_list() for name in ("year", "flow", "department", "product", "country", "value_eur")]
    for year, flow, department, product, country, value in zip(*columns):
        totals[(year, flow, "nation")] += value
        if department in region_of:
            totals[(year, flow, department)] += value
            totals[(year, flow, "R" + region_of[department])] += value
            items[(year, flow, department, "product", product)] += value
            items[(year, flow, department, "country", country)] += value
    return totals, items, region_of


def indicators(code: str, *extra: str) -> dict:
    result = run_in_process("indicators", "--dept", code, "--json", *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def top(items: dict, year: int, flow: str, code: str, kind: str, size: int = 10) -> list[tuple[str, float]]:
    found = [(key[4], value) for key, value in items.items() if key[:4] == (year, flow, code, kind)]
    return sorted(found, key=lambda pair: (-pair[1], pair[0]))[:size]


@pytest.mark.parametrize("code", ["60", "976", "2A"])
def test_evolution_matches_a_plain_computation(plain, code):
    totals, items, region_of = plain
    evolution = indicators(code)["evolution"]
    assert evolution["years"] == YEARS
    assert evolution["previous_year"] == 2023
    for key, area in (("department", code), ("region", "R" + region_of[code]), ("nation", "nation")):
        rows = evolution[key]
        assert [row["year"] for row in rows] == YEARS
        for row in rows:
            exports, imports = totals[(row["year"], "export", area)], totals[(row["year"], "import", area)]
            assert row["exports_eur"] == pytest.approx(exports, abs=0.01), (key, row)
            assert row["imports_eur"] == pytest.approx(imports, abs=0.01), (key, row)
            assert row["balance_eur"] == pytest.approx(exports - imports, abs=0.01)
    changes = evolution["changes"]
    for flow, block in (("export", changes["exports"]), ("import", changes["imports"])):
        now, before = totals[(2024, flow, code)], totals[(2023, flow, code)]
        assert block["total"]["value_eur"] == pytest.approx(now, abs=0.01)
        assert block["total"]["previous_eur"] == pytest.approx(before, abs=0.01)
        assert block["total"]["change_ratio"] == pytest.approx((now - before) / before, rel=1e-9)
        for kind, key in (("product", "top_products"), ("country", "top_countries")):
            expected = top(items, 2024, flow, code, kind)
            assert [item["code"] for item in block[key]] == [item_code for item_code, _ in expected]
            for item, (item_code, value) in zip(block[key], expected):
                previous = items.get((2023, flow, code, kind, item_code), 0.0)
                assert item["value_eur"] == pytest.approx(value, abs=0.01)
                assert item["previous_eur"] == pytest.approx(previous, abs=0.01)
                assert item["change_eur"] == pytest.approx(value - previous, abs=0.01)
                if previous:
                    assert item["change_ratio"] == pytest.approx((value - previous) / previous, rel=1e-9)
                else:
                    assert item["change_ratio"] is None
    balance_now = totals[(2024, "export", code)] - totals[(2024, "import", code)]
    balance_before = totals[(2023, "export", code)] - totals[(2023, "import", code)]
    assert changes["balance"]["value_eur"] == pytest.approx(balance_now, abs=0.01)
    assert changes["balance"]["previous_eur"] == pytest.approx(balance_before, abs=0.01)


def test_an_earlier_year_stops_the_evolution_there(plain):
    totals, _, _ = plain
    evolution = indicators("48", "--year", "2021")["evolution"]
    assert evolution["years"] == [2019, 2020, 2021]
    assert evolution["previous_year"] == 2020
    assert evolution["changes"]["exports"]["total"]["previous_eur"] == pytest.approx(totals[(2020, "export", "48")])


def test_the_first_year_has_no_changes():
    evolution = indicators("60", "--year", "2019")["evolution"]
    assert evolution["years"] == [2019]
    assert evolution["previous_year"] is None and evolution["changes"] is None


# -- the chart: matplotlib replayed onto the ReportLab canvas ------------------------------
@pytest.fixture(scope="module")
def oise_chart():
    from factsheets.charts.evolution import evolution_chart, evolution_series
    from factsheets.config import settings
    from factsheets.fonts import register_pdf_fonts
    from factsheets.indicators import compute_indicators
    from factsheets.validate import load_trade_data

    reference = load_reference()
    config = settings()
    fonts = register_pdf_fonts(config)
    ind = compute_indicators(load_trade_data(SAMPLE_DATA, reference), reference, config, "60", 2024)
    return evolution_chart(ind.evolution, config, fonts), evolution_series(ind.evolution), fonts


def strings(node) -> list:
    from reportlab.graphics.shapes import Group, String

    found = []
    for child in getattr(node, "contents", []):
        if isinstance(child, String):
            found.append(child)
        elif isinstance(child, Group):
            found += strings(child)
    return found


def chart_pdf(chart, path) -> None:
    """The chart alone on a page, drawn as the sheet draws it (FigureChart.draw_on)."""
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(path), pagesize=(chart.width, chart.height), initialFontName=chart.font)
    chart.draw_on(canvas)
    canvas.showPage()
    canvas.save()


def test_chart_text_is_real_text_in_the_body_font(oise_chart):
    chart, (years, exports, imports), fonts = oise_chart
    texts = strings(chart.to_drawing())
    shown = [s.text for s in texts]
    assert all(str(year) in shown for year in years)  # the x axis
    assert "15\u00a0000" in shown and "10\u00a0000" in shown  # French thousands on the y axis
    assert {"Exportations", "Importations", "M€"} <= set(shown)
    assert "9\u00a0114.8" in shown and "11\u00a0319" in shown  # the last year's values
    assert {s.fontName for s in texts} <= {fonts.regular, fonts.semibold, fonts.bold}


def test_chart_pdf_is_vector_with_embedded_fonts(oise_chart, tmp_path):
    from pypdf import PdfReader

    chart, _, _ = oise_chart
    path = tmp_path / "chart.pdf"
    chart_pdf(chart, path)
    page = PdfReader(path).pages[0]
    resources = page["/Resources"].get_object()
    xobjects = resources.get("/XObject", {})
    assert not [name for name, ref in xobjects.items() if ref.get_object().get("/Subtype") == "/Image"]
    for ref in resources["/Font"].values():
        descriptor = ref.get_object()["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor
    text = " ".join(page.extract_text().replace("\u00a0", " ").split())
    assert "2019" in text and "2024" in text and "15 000" in text


def test_renderer_refuses_raster_images():
    import numpy as np
    from matplotlib.figure import Figure

    from factsheets.charts.matplotlib_drawing import figure_chart
    from factsheets.config import settings
    from factsheets.errors import FactsheetsError
    from factsheets.fonts import register_pdf_fonts

    figure = Figure(figsize=(2, 2))
    figure.add_axes((0, 0, 1, 1)).imshow(np.zeros((4, 4)))
    with pytest.raises(FactsheetsError, match="image matricielle"):
        figure_chart(figure, register_pdf_fonts(settings()))


def test_a_chart_does_not_depend_on_the_one_drawn_before(tmp_path):
    """The figure is reused within a process: 60 drawn after 976 is 60 drawn first."""
    import factsheets.layout  # noqa: F401  (invariant PDF output)
    from factsheets.charts import evolution as module
    from factsheets.config import settings
    from factsheets.fonts import register_pdf_fonts
    from factsheets.indicators import compute_all
    from factsheets.validate import load_trade_data

    reference = load_reference()
    config = settings()
    fonts = register_pdf_fonts(config)
    indicators = compute_all(load_trade_data(SAMPLE_DATA, reference), reference, config, 2024, ["60", "976"])

    def pdf(code: str) -> bytes:
        path = tmp_path / f"{code}.pdf"
        chart_pdf(module.evolution_chart(indicators[code].evolution, config, fonts), path)
        return path.read_bytes()

    module._CHARTS.clear()
    first = pdf("60")
    module._CHARTS.clear()
    pdf("976")
    assert pdf("60") == first
    assert pdf("976") != first


def _printed_millions(euros: float) -> str:
    """Euros as a table prints them, written here again: one decimal kept (SPEC 11), half away
    from zero, a no-break space between thousands, "−" for a negative value."""
    from decimal import ROUND_HALF_UP, Decimal

    rounded = Decimal(repr(euros / 1e6)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{abs(rounded):,.1f}".replace(",", "\u00a0")
    return ("\u2212" if rounded < 0 else "") + text


def test_the_printed_evolution_tables_keep_their_zero_decimal(plain, evolution_sheets):
    """The years table of the Aisne's evolution page, read back from the PDF: each figure with
    its decimal, ".0" included (2022 imports: 3 727.0), as a plain computation gives it."""
    import pypdf

    totals, _, _ = plain
    # The run's shared `render --all --evolution` (the same bytes as `render --dept 02 --evolution`).
    aisne = next(path for path in evolution_sheets if path.name == "commerce-exterieur-2024-02-aisne.pdf")
    page = next(text for page in pypdf.PdfReader(aisne).pages if "Année\n" in (text := page.extract_text()))
    lines = page.splitlines()  # pypdf reads the table one cell a line, the row header first
    rows = {label: lines[lines.index(f"{label} (M€)") + 1 :][: len(YEARS)] for label in ("Exportations", "Importations", "Solde")}
    for label, flow in (("Exportations", "export"), ("Importations", "import")):
        expected = [_printed_millions(totals[(year, flow, "02")]) for year in YEARS]
        assert rows[label] == expected, (label, rows[label], expected)
    balances = [_printed_millions(totals[(year, "export", "02")] - totals[(year, "import", "02")]) for year in YEARS]
    assert rows["Solde"] == balances
    assert any(value.endswith(".0") for values in rows.values() for value in values)  # the case this test is about
