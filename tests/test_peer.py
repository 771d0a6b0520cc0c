"""The benchmark's peer (benchmarks/peer_matplotlib.py) is a real sheet, not a strawman.

It must draw the same charts on the same pages with the same fonts as `render`, through
matplotlib -> SVG -> svglib: otherwise the speed ratio of benchmarks/bench_peer.py would
compare unlike work. No timing here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cli_helpers import PROJECT_ROOT
from pypdf import PdfReader

from factsheets.config import settings
from factsheets.fonts import FontNames


def our_oise(plain_sheets: list[Path]) -> Path:
    """Our Oise sheet: the run's shared `render --all` (the same bytes as `render --dept 60`)."""
    return next(path for path in plain_sheets if path.name == "commerce-exterieur-2024-60-oise.pdf")


def test_the_peer_draws_the_sheet_with_its_charts_as_text_in_the_embedded_fonts(tmp_path, plain_sheets):
    peer = subprocess.run(
        [
            sys.executable,
            str(PROJECT_ROOT / "benchmarks" / "peer_matplotlib.py"),
            "--dept",
            "60",
            "--out",
            str(tmp_path / "peer"),
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=300,
    )
    assert peer.returncode == 0, peer.stderr
    report = json.loads(peer.stdout.strip().splitlines()[-1])
    assert report["sheets"] == 1 and report["render_seconds"] > 0
    (peer_pdf,) = (tmp_path / "peer").glob("*.pdf")
    our_pdf = our_oise(plain_sheets)
    assert peer_pdf.name == our_pdf.name
    peer_pages, our_pages = PdfReader(peer_pdf).pages, PdfReader(our_pdf).pages
    assert len(peer_pages) == len(our_pages) == 8

    names = FontNames.from_settings(settings())
    for page in peer_pages:
        assert "/XObject" not in page["/Resources"]  # charts are vector, not pictures
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            assert str(font["/BaseFont"]).split("+")[-1].startswith(names.regular)  # Open Sans, no Helvetica
            assert "/FontFile2" in font["/FontDescriptor"].get_object()  # embedded TrueType

    # The Sankey pages name the same column headers and the same top partners as ours.
    labels = settings().charts.labels
    for page_index in (3, 4, 5, 6):
        peer_text = peer_pages[page_index].extract_text()
        our_text = our_pages[page_index].extract_text()
        for key in ("sankey_export_left", "sankey_import_left"):
            if getattr(labels, key) in our_text:
                assert getattr(labels, key) in peer_text
        assert peer_text.count("Allemagne") >= 1 and our_text.count("Allemagne") >= 1


def test_the_typst_peer_draws_the_same_eight_pages_in_the_embedded_open_sans(tmp_path, plain_sheets):
    """benchmarks/peer_typst.py: same page count, fonts, chart texts and comparable paint operators."""
    sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))
    from bench_typst import operator_counts

    peer = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "benchmarks" / "peer_typst.py"), "--dept", "60", "--out", str(tmp_path / "typst")],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=300,
    )
    assert peer.returncode == 0, peer.stderr
    assert json.loads(peer.stdout.strip().splitlines()[-1])["sheets"] == 1
    (typst_pdf,) = (tmp_path / "typst").glob("*.pdf")
    our_pdf = our_oise(plain_sheets)
    assert typst_pdf.name == our_pdf.name
    typst_pages, our_pages = PdfReader(typst_pdf).pages, PdfReader(our_pdf).pages
    assert len(typst_pages) == len(our_pages) == 8
    fonts = {
        str(font.get_object()["/BaseFont"]).split("+")[-1]
        for page in typst_pages
        for font in page["/Resources"].get("/Font", {}).values()
    }
    assert fonts and all(name.startswith("OpenSans") for name in fonts)
    for page_index in (3, 5):
        assert "Allemagne" in typst_pages[page_index].extract_text()
    # The same shapes: the chart pages paint as many times in both (a fill per mark).
    typst_counts, our_counts = operator_counts(typst_pdf), operator_counts(our_pdf)
    for page_index in (2, 3, 4, 5, 6):
        assert abs(typst_counts[page_index]["paint"] - our_counts[page_index]["paint"]) <= 2
