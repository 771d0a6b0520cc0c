"""`factsheets render` end to end: the PDFs read back as the published sheets, bytes are stable.

The sheets are rendered by the real command line in a subprocess, then read back with pypdf
(text, fonts, images, links, metadata); nothing here trusts the layout's own objects.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import one_error_line, run_cli, run_in_process
from pypdf import PdfReader
from test_texts import extraction_units, read_extraction
from typer.testing import CliRunner

SHEET_PAGES = 8
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def two_sheets(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("two")
    result = run_cli("render", "--dept", "60", "--dept", "2", "--out", out)
    assert result.returncode == 0, result.stderr
    # Paths come as the sheets are written (whichever process finishes first).
    paths = sorted(Path(line) for line in result.stdout.splitlines())
    assert [path.name for path in paths] == ["commerce-exterieur-2024-02-aisne.pdf", "commerce-exterieur-2024-60-oise.pdf"]
    return {"oise": paths[1], "aisne": paths[0]}


@pytest.fixture(scope="module")
def all_sheets(plain_render_all) -> Path:
    result, out = plain_render_all  # `render --all --workers 2 ...`, shared (see conftest.py)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 101
    return out


# A word the layout hyphenated at a line end ("in-" / "ternationaux"): ReportLab breaks
# words only there (embeddedHyphenation is off), never at a compound's own hyphen.
HYPHENATED = re.compile(r"(?<=[^\W\d_])-[ \t]*\n(?=[^\W\d_])")


def page_text(page) -> str:
    """A page's text on one line: hyphenated words joined, no-break spaces and line breaks as
    spaces, typographic apostrophes as straight ones (as the published extraction spells them;
    test_typography_layer.py checks that the sheets have the typographic ones)."""
    return " ".join(HYPHENATED.sub("", page.extract_text()).replace(NBSP, " ").replace("\u2019", "'").split())


def pdf_text(path: Path) -> str:
    """The whole document's text, on one line (see page_text)."""
    return " ".join(page_text(page) for page in PdfReader(path).pages)


def unlinked_link_texts() -> set[str]:
    """Sentences of the link blocks of texts.yaml with no address: each block, its introducing
    paragraph and its bullet, is left out of the sheet (spec section 6)."""
    from factsheets.config import texts

    links = [block["link"] for block in texts()["practical"]["blocks"] if "link" in block and not block["link"].get("url")]
    return {
        as_printed(sentence)
        for link in links
        for sentence in [*re.split(r"(?<=[.!?])\s+", link.get("paragraph", "")), link["text"]]
        if sentence
    }


def as_printed(text: str) -> str:
    """A text of the config as page_text reads it: straight apostrophes, plain spaces."""
    return text.replace("\u2019", "'").replace(NBSP, " ")


def font_problems(path: Path) -> list[str]:
    """Every font used on a page that is not embedded (no font file in its descriptor)."""
    problems = []
    for number, page in enumerate(PdfReader(path).pages, start=1):
        fonts = page["/Resources"].get_object().get("/Font", {})
        for key, ref in fonts.items():
            font = ref.get_object()
            descriptor_owner = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descriptor_owner.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            if not any(name in descriptor for name in ("/FontFile", "/FontFile2", "/FontFile3")):
                problems.append(f"page {number}: {key} {font.get('/BaseFont')} is not embedded")
    return problems


def raster_images(path: Path) -> int:
    """Image XObjects anywhere in the page resources (charts must be vector)."""
    count = 0
    for page in PdfReader(path).pages:
        pending = [page["/Resources"].get_object()]
        while pending:
            resources = pending.pop()
            for ref in resources.get("/XObject", {}).values():
                xobject = ref.get_object()
                if xobject.get("/Subtype") == "/Image":
                    count += 1
                elif "/Resources" in xobject:
                    pending.append(xobject["/Resources"].get_object())
    return count


def link_targets(path: Path) -> set[str]:
    targets = set()
    for page in PdfReader(path).pages:
        for ref in page.get("/Annots", []) or []:
            action = ref.get_object().get("/A", {})
            if "/URI" in action:
                targets.add(str(action["/URI"]))
    return targets


@pytest.mark.parametrize("name", ["oise", "aisne"])
def test_every_published_sentence_is_in_the_pdf(two_sheets, name):
    text = pdf_text(two_sheets[name])
    units = extraction_units(read_extraction(name))
    assert len(units) > 60
    # The published sheet's two link bullets have no known address: printed once configured.
    missing = [unit for unit in units if unit not in text and unit not in unlinked_link_texts()]
    assert not missing, f"{name}: sentences of the published sheet absent from the PDF: {missing}"


def test_link_blocks_print_as_published_once_their_address_is_configured(tmp_path):
    """With the two link addresses set (a copy of the texts, as a user would fill them), each
    introducing paragraph is printed, then its bullet linking to that address."""
    import copy

    from factsheets.paths import SAMPLE_DATA
    from factsheets.render import SheetRenderer

    renderer = SheetRenderer(SAMPLE_DATA, 2024, ["60"])
    renderer.texts = copy.deepcopy(renderer.texts)
    links = [block["link"] for block in renderer.texts["practical"]["blocks"] if "link" in block]
    assert len(links) == 2 and not any(link.get("url") for link in links)  # the shipped config: no address
    for number, link in enumerate(links, start=1):
        link["url"] = f"https://example.org/lien-{number}"
    path = tmp_path / "sheet.pdf"
    path.write_bytes(renderer.sheet_bytes("60"))
    text = pdf_text(path)
    units = extraction_units(read_extraction("oise"))
    assert [unit for unit in units if unit not in text] == []
    assert {"https://example.org/lien-1", "https://example.org/lien-2"} <= link_targets(path)
    practical = page_text(PdfReader(path).pages[7])
    for link in links:  # the paragraph, then right after it its bullet
        assert as_printed(f"{link['paragraph']} • {link['text']}") in practical


def test_oise_figures_and_list_as_printed(two_sheets):
    text = pdf_text(two_sheets["oise"])
    for sentence in [
        "Territoires d'industrie - Oise",
        "Total des exportations : 9 114.8 millions d'euros",
        "soit 13.4% de la valeur exportée par la région Hauts-de-France",
        "soit 1.57% de la valeur exportée au niveau national",
        "Total des importations : 11 319 millions d'euros",
        "soit 13.2% de la valeur importée par la région Hauts-de-France",
        "soit 1.65% de la valeur importée au niveau national",
        "Total des exportations : 68 021 millions d'euros",
        "Total des importations : 684 776.3 millions d'euros",
        "Territoires d'Industrie du département • Beauvaisis • Pays Compiégnois • Sud Oise",
    ]:
        assert sentence in text, sentence


def test_the_order_of_sections_is_the_published_one(two_sheets):
    text = pdf_text(two_sheets["aisne"])
    headings = [
        "Les indicateurs clés : commerce extérieur",
        "Introduction",
        "Territoires d'Industrie du département",
        "Contexte et méthodologie",
        "Précisions méthodologiques",
        "Balance commerciale territoriale",
        "Clé de lecture",
        "Exportations Pour aller plus loin",
        "Flux à l'export, Hauts-de-France",
        "Flux à l'export, France entière",
        "Importations De manière similaire",
        "Flux à l'import, Hauts-de-France",
        "Flux à l'import, France entière",
        "Informations pratiques",
        "Pour aller plus loin :",
    ]
    positions = [text.index(heading) for heading in headings]
    assert positions == sorted(positions)


def test_pages_start_where_the_published_sheet_turns_them(two_sheets):
    pages = [page_text(page) for page in PdfReader(two_sheets["oise"]).pages]
    assert len(pages) == SHEET_PAGES
    starts = [
        "Les indicateurs clés",
        "Contexte et méthodologie",
        "Balance commerciale territoriale",
        "Exportations",
        "Flux à l'export, Hauts-de-France",
        "Importations",
        "Flux à l'import, Hauts-de-France",
        "Informations pratiques",
    ]
    for number, (page, start) in enumerate(zip(pages, starts), start=1):
        assert start in page, f"page {number} should hold {start!r}"


def test_chart_labels_are_text_and_fonts_embedded_and_no_raster(two_sheets):
    path = two_sheets["oise"]
    text = pdf_text(path)
    for label in ["Allemagne", "Belgique", "Pharmacie", "Importations", "Exportations", "Autres"]:
        assert label in text
    assert font_problems(path) == []
    assert raster_images(path) == 0


def test_links_are_live(two_sheets):
    targets = link_targets(two_sheets["oise"])
    assert {
        "https://anct.gouv.fr/actualites",
        "https://www.entreprises.gouv.fr/la-dge/actualites",
        "mailto:territoires-industrie@anct.gouv.fr",
    } <= targets


def test_metadata(two_sheets):
    reader = PdfReader(two_sheets["oise"])
    info = reader.metadata
    assert info.title == "Les indicateurs clés\u00a0: commerce extérieur — Oise (2024)"
    assert info.subject == "Commerce extérieur du département de l’Oise (60), année 2024"
    assert info.author == "Agence nationale de la cohésion des territoires"
    assert str(reader.trailer["/Root"].get("/Lang")) == "fr-FR"


def test_the_bundled_sample_is_labelled_synthetic_on_every_page(two_sheets):
    for page in PdfReader(two_sheets["aisne"]).pages:
        assert "Données synthétiques" in page.extract_text()


def test_render_all_writes_101_valid_sheets(all_sheets):
    paths = sorted(all_sheets.glob("*.pdf"))
    assert len(paths) == 101
    assert not list(all_sheets.glob(".*"))  # no temporary file left behind
    names = [path.name for path in paths]
    assert names[0] == "commerce-exterieur-2024-01-ain.pdf"
    assert "commerce-exterieur-2024-2a-corse-du-sud.pdf" in names
    assert names[-1] == "commerce-exterieur-2024-976-mayotte.pdf"
    for path in paths:
        reader = PdfReader(path)
        assert len(reader.pages) == SHEET_PAGES, path.name
        assert font_problems(path) == [], path.name
        assert path.stat().st_mode & 0o044, f"{path.name} is not readable by others"


def test_bytes_are_the_same_alone_in_bulk_and_with_one_worker(all_sheets, two_sheets, tmp_path):
    for name, path in two_sheets.items():
        assert path.read_bytes() == (all_sheets / path.name).read_bytes(), name
    result = run_in_process("render", "--dept", "2A", "--dept", "971", "--dept", "59", "--workers", "1", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    for line in result.stdout.splitlines():
        assert Path(line).read_bytes() == (all_sheets / Path(line).name).read_bytes(), line


def test_render_all_twice_gives_identical_bytes(all_sheets, tmp_path):
    """A plain `render --all` writes the very sheets of the shared run (which had --html and
    --annexe xlsx besides: they change no PDF)."""
    result = run_cli("render", "--all", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    different = [
        path.name for path in sorted(all_sheets.glob("*.pdf")) if path.read_bytes() != (tmp_path / path.name).read_bytes()
    ]
    assert different == []


def test_a_plain_render_imports_neither_mail_nor_annex_nor_ingest(tmp_path):
    """A plain sheet loads what drawing it needs: no e-mail, annex, web page, ingest or
    matplotlib module. Its configuration passed on an earlier run (the pass recorded by
    check_cache, in this test's state folder, which the command inherits): not even the
    modules the checks read."""
    from factsheets import check, check_cache

    assert check_cache.checked(check.check_configuration) == []
    unneeded = ("factsheets.mail", "factsheets.annex", "factsheets.html", "factsheets.ingest", "email_validator", "matplotlib")
    script = (
        "import sys\n"
        "from factsheets import cli\n"
        f"code = cli._run(['render', '--dept', '02', '--out', {str(tmp_path)!r}])\n"
        f"print(code, sorted(name for name in sys.modules if name.startswith({unneeded!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines()[-1] == "0 []", result.stdout + result.stderr
    assert [path.name for path in tmp_path.glob("*.pdf")] == ["commerce-exterieur-2024-02-aisne.pdf"]


def test_year_option_selects_the_data_year(tmp_path):
    result = run_in_process("render", "--dept", "60", "--year", "2023", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path.name == "commerce-exterieur-2023-60-oise.pdf"
    text = pdf_text(path)
    assert "Flux à l'export par produit et par pays, Oise (en valeur, 2023)" in text
    assert "Total des exportations : 9 114.8 millions d'euros" not in text  # 2023 is not calibrated


# -- bad input: one line, non-zero exit, nothing on disk ------------------------------------


def test_unknown_department_is_one_line_and_writes_nothing(tmp_path):
    line = one_error_line(run_in_process("render", "--dept", "02", "--dept", "99", "--out", tmp_path / "out"))
    assert "99" in line and "département" in line.lower()
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_dept_and_all_are_exclusive(tmp_path):
    line = one_error_line(run_in_process("render", "--all", "--dept", "02", "--out", tmp_path))
    assert "--dept" in line and "--all" in line
    line = one_error_line(run_in_process("render", "--out", tmp_path))
    assert "--dept" in line


def test_unwritable_output_folder(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    line = one_error_line(run_in_process("render", "--dept", "02", "--out", blocker / "sheets"))
    assert str(blocker / "sheets") in line and "--out" in line


def test_broken_data_file_leaves_no_partial_pdf(tmp_path):
    data = tmp_path / "broken.csv"
    data.write_text("year,flow,department,product,country,value_eur\n2024,export,02,C10A,DE,abc\n", encoding="utf-8")
    out = tmp_path / "out"
    line = one_error_line(run_in_process("render", "--dept", "02", "--data", data, "--out", out))
    assert "broken.csv" in line and "abc" in line
    assert not out.exists() or not list(out.iterdir())


def test_missing_year_is_named(tmp_path):
    line = one_error_line(run_in_process("render", "--dept", "02", "--year", "1999", "--out", tmp_path))
    assert "1999" in line
    assert not list(tmp_path.iterdir())


def test_one_failing_sheet_does_not_stop_the_others(tmp_path, monkeypatch):
    from factsheets import render as render_module
    from factsheets.cli import app

    original = render_module.SheetDrawer._draw  # what draw() and write() call

    def fail_for_aisne(self, ind, synthetic):
        if ind.department.code == "02":
            raise ValueError("chart exploded")
        return original(self, ind, synthetic)

    monkeypatch.setattr(render_module.SheetDrawer, "_draw", fail_for_aisne)
    result = CliRunner().invoke(app, ["render", "--dept", "02", "--dept", "60", "--workers", "1", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert [Path(line).name for line in result.stdout.splitlines() if line.endswith(".pdf")] == [
        "commerce-exterieur-2024-60-oise.pdf"
    ]
    assert re.search(r"échec : 02 : .*chart exploded", result.stderr)
    assert "1 fiche(s) sur 2 en échec" in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "commerce-exterieur-2024-60-oise.pdf",
        "synthese-2024.csv",
        "synthese-2024.xlsx",
    ]


def test_configured_logos_replace_the_text_block(tmp_path):
    from PIL import Image

    from factsheets.config import LogoFiles, Settings
    from factsheets.paths import SAMPLE_DATA
    from factsheets.render import SheetRenderer, _find_logos

    government, agency = tmp_path / "government.png", tmp_path / "agency.png"
    Image.new("RGB", (120, 90), "navy").save(government)
    Image.new("RGB", (200, 90), "white").save(agency)
    assert _find_logos(Settings(logos=LogoFiles(government=str(government), agency="assets/absent.png"))).agency is None
    renderer = SheetRenderer(SAMPLE_DATA, 2024, ["02"])
    renderer.logos = _find_logos(Settings(logos=LogoFiles(government=str(government), agency=str(agency))))
    path = tmp_path / "sheet.pdf"
    path.write_bytes(renderer.sheet_bytes("02"))
    cover = PdfReader(path).pages[0]
    assert "GOUVERNEMENT" not in cover.extract_text()
    assert raster_images(path) == 2


def test_ctrl_c_stops_cleanly_and_leaves_only_complete_sheets(tmp_path):
    """Interrupted in the middle of `--all` with a helper: one line, exit 130, no partial file."""
    process = subprocess.Popen(
        [sys.executable, "-m", "factsheets", "render", "--all", "--workers", "2", "--out", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as in a terminal
    )
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("*.pdf"))) < 3 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    # Killed by SIGINT after a clean shutdown, as interrupted programs end (a shell shows 130).
    assert process.returncode == -signal.SIGINT, stderr
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1] == "factsheets : interrompu ; les fiches déjà écrites sont complètes"
    written = sorted(tmp_path.iterdir())
    assert 3 <= len(written) < 101
    for path in written:
        assert path.suffix == ".pdf", path.name  # no temporary file left behind
        assert len(PdfReader(path).pages) == SHEET_PAGES, path.name
