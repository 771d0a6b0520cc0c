"""The sheets are tagged PDFs (SPEC 11): structure tree in reading order, marked contents,
artifacts, Figure alt texts, tables, links, catalog entries — read back with pikepdf and
with PDF.js (npm pdfjs-dist, tests/js/structtree.mjs), as a screen reader's software would."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
import tagged_pdf_reader as reader
from debian_tools import ensure_node_packages

AISNE = "commerce-exterieur-2024-02-aisne.pdf"
MAYOTTE = "commerce-exterieur-2024-976-mayotte.pdf"
SECTIONS = [
    "Contexte et méthodologie",
    "Balance commerciale territoriale",
    "Exportations",
    "Importations",
    "Informations pratiques",
]


@pytest.fixture(scope="module")
def sheets(plain_sheets, evolution_sheets) -> dict[str, Path]:
    """Aisne and Mayotte from the run's shared `render --all`, Aisne from its `--evolution` one."""
    plain = {path.name: path for path in plain_sheets}
    evolution = {path.name: path for path in evolution_sheets}
    return {"aisne": plain[AISNE], "mayotte": plain[MAYOTTE], "evolution": evolution[AISNE]}


def pdfjs_read(paths: list[Path]) -> dict[str, list[dict]]:
    """What PDF.js reads of each page of `paths`: structure tree and marked text items."""
    node = shutil.which("node")
    assert node, "node is needed to read the sheets with PDF.js"
    js = ensure_node_packages("js")
    done = subprocess.run(
        [node, str(js / "structtree.mjs"), *map(str, paths)], capture_output=True, text=True, check=True, timeout=600
    )
    return json.loads(done.stdout)


def pdfjs_problems(pages: list[dict]) -> list[str]:
    """Text outside a marked content of the page's structure tree or an artifact; a Figure
    without alt text."""
    problems = []
    for number, page in enumerate(pages, start=1):
        ids, figures = set(), []

        def walk(node):
            if node.get("type") == "content":
                ids.add(node["id"])
            if node.get("role") == "Figure":
                figures.append(node)
            for child in node.get("children", []):
                walk(child)

        walk(page["tree"] or {})
        stack = []
        for item in page["items"]:
            if "begin" in item:
                stack.append(item)
            elif "end" in item:
                stack.pop()
            elif item["str"].strip():
                if not any(mc["begin"] == "Artifact" or mc["id"] in ids for mc in stack):
                    problems.append(f"page {number}: {item['str']!r} outside the tree and artifacts")
        problems += [f"page {number}: a Figure without alt" for figure in figures if not figure.get("alt")]
    return problems


def reading_sequence(pages: list[dict]) -> list[tuple[str, str, str | None]]:
    """(role, text, alt) of every element with content, in structure order, page after page
    (an element over two pages comes twice); text of a Figure is empty."""
    sequence = []
    for page in pages:
        texts: dict[str, str] = {}
        stack: list[str | None] = []
        for item in page["items"]:
            if "begin" in item:
                stack.append(item["id"])
            elif "end" in item:
                stack.pop()
            elif stack and stack[-1]:
                texts[stack[-1]] = texts.get(stack[-1], "") + item["str"] + (" " if item["eol"] else "")

        def walk(node):
            contents = [child for child in node.get("children", []) if child.get("type") == "content"]
            if contents:
                sequence.append((node["role"], " ".join(texts.get(c["id"], "") for c in contents).strip(), node.get("alt")))
            for child in node.get("children", []):
                if "role" in child:
                    walk(child)

        walk(page["tree"] or {})
    return sequence


# -- pikepdf: what every tagged sheet must hold ------------------------------------------


@pytest.mark.parametrize("name", ["aisne", "mayotte", "evolution"])
def test_structure_tree_marked_contents_and_catalog(sheets, name):
    assert reader.check(sheets[name]) == []


@pytest.mark.parametrize("kind", ["plain", "evolution"])
def test_every_sheet_of_render_all_is_tagged(request, kind):
    paths = request.getfixturevalue(f"{kind}_sheets")
    assert len(paths) == 101
    problems = {path.name: found for path in paths if (found := reader.check(path))}
    assert problems == {}


def test_roles_and_headings_of_the_aisne_sheet(sheets):
    with pikepdf.open(sheets["aisne"]) as pdf:
        tree = reader.elements(pdf)
        assert tree[0].role == "Document" and tree[1].role == "H1"
        roles = [e.role for e in tree]
        assert roles.count("H1") == 1
        assert roles.count("Figure") == 8  # balance, treemap, and per flow: department, region, France
        assert {"L", "LI", "Lbl", "LBody", "Link", "H2", "H3", "P"} <= set(roles)
        # A list item is a label then a body.
        for elem, following in zip(tree, tree[1:]):
            if elem.role == "LI":
                assert following.role == "Lbl"
        links = [e for e in tree if e.role == "Link"]
        assert len(links) >= 3 and all(len(link.annotations) == 1 for link in links)
        with pdf.open_outline() as outline:
            titles = [item.title for item in outline.root]
        assert titles[0] == "Les indicateurs clés\u00a0: commerce extérieur"
        assert [title for title in titles if title in SECTIONS] == SECTIONS


def test_tables_of_the_evolution_page(sheets):
    with pikepdf.open(sheets["evolution"]) as pdf:
        tree = reader.elements(pdf)
        tables = [index for index, e in enumerate(tree) if e.role == "Table"]
        assert len(tables) == 3  # the years, the top products, the top countries
        for index in tables:
            rows = []
            for elem in tree[index + 1 :]:
                if elem.depth <= tree[index].depth:
                    break
                if elem.role == "TR":
                    rows.append([])
                elif elem.role in ("TH", "TD"):
                    scope = elem.obj.get("/A", {}).get("/Scope")
                    rows[-1].append((elem.role, str(scope) if scope is not None else None))
            assert rows[0] == [("TH", "/Column")] * len(rows[0])
            for row in rows[1:]:
                assert row[0] == ("TH", "/Row")
                assert all(cell == ("TD", None) for cell in row[1:])
            assert all(len(row) == len(rows[0]) for row in rows)
        with pdf.open_outline() as outline:
            assert "Évolution des échanges" in [item.title for item in outline.root]


def test_xmp_metadata(sheets):
    with pikepdf.open(sheets["aisne"]) as pdf:
        with pdf.open_metadata() as meta:
            assert meta["dc:title"] == str(pdf.docinfo["/Title"])
            assert meta["dc:creator"] == ["Agence nationale de la cohésion des territoires"]
            assert "fr-FR" in str(meta["dc:language"])
            assert meta["pdfuaid:part"] == "1"
            assert meta["xmp:CreateDate"].startswith("20")


# -- PDF.js: what a reader's software gets ------------------------------------------------


@pytest.fixture(scope="module")
def pdfjs_of_render_all(plain_sheets, evolution_sheets) -> dict[str, list[dict]]:
    """What PDF.js reads of the 202 sheets of the run's shared renders, plain and
    --evolution, by path: one start of node for all the tests below."""
    return pdfjs_read([*plain_sheets, *evolution_sheets])


@pytest.fixture(scope="module")
def pdfjs(sheets, pdfjs_of_render_all) -> dict[str, list[dict]]:
    return {name: pdfjs_of_render_all[str(path)] for name, path in sheets.items()}


@pytest.mark.parametrize("name", ["aisne", "mayotte", "evolution"])
def test_pdfjs_reads_all_text_in_the_tree_or_artifacts(pdfjs, name):
    assert pdfjs_problems(pdfjs[name]) == []


@pytest.mark.parametrize("kind", ["plain", "evolution"])
def test_pdfjs_reads_every_sheet_of_render_all(request, kind, pdfjs_of_render_all):
    paths = request.getfixturevalue(f"{kind}_sheets")
    read = {str(path): pdfjs_of_render_all[str(path)] for path in paths}
    assert len(read) == 101
    assert {name: found for name, pages in read.items() if (found := pdfjs_problems(pages))} == {}
    figures = [alt for pages in read.values() for role, _, alt in reading_sequence(pages) if role == "Figure"]
    # Eight charts a sheet, six on the five sheets of a single-department region; and the
    # evolution chart.
    charts = 96 * 8 + 5 * 6 + (101 if kind == "evolution" else 0)
    assert len(figures) == charts and all(alt and any(c.isdigit() for c in alt) for alt in figures)


def test_pdfjs_reading_order(pdfjs):
    sequence = reading_sequence(pdfjs["aisne"])
    assert sequence[0][:2] == ("H1", "Les indicateurs clés : commerce extérieur")
    figures = [index for index, (role, _, _) in enumerate(sequence) if role == "Figure"]
    assert len(figures) == 8
    for index in figures:
        # Each chart comes after its title (a chart title, or the heading of a comparison chart).
        role, text, _ = sequence[index - 1]
        assert role in ("P", "H3") and ("Principa" in text or "Flux" in text), sequence[index - 1]
    # The balance chart: its title, the chart, then its reading key.
    balance = figures[0]
    assert sequence[balance - 1][1].startswith("Principaux pays")
    assert sequence[balance + 1][1].startswith("Clé de lecture")
    # The footer is an artifact: never the first thing read on a page.
    for page in pdfjs["aisne"]:
        first = reading_sequence([page])[0]
        assert not first[1].startswith("Source :")


def test_alt_texts_say_what_the_charts_show(pdfjs, sheets):
    alts = [alt for role, _, alt in reading_sequence(pdfjs["aisne"]) if role == "Figure"]
    balance, treemap, *sankeys = alts
    assert balance.startswith("Graphique en barres, Aisne (2024)")
    assert re.search(r"solde [+−]?\d", balance)
    assert treemap.count("%") >= 5 and "export" in treemap and "import" in treemap
    assert "3\u00a0517.5 M€ au total" in sankeys[0]  # the department's exports, as printed
    assert any("France entière" in alt for alt in sankeys)
    assert any("Hauts-de-France" in alt for alt in sankeys)
    for alt in alts:
        assert re.search(r"\d", alt), alt
    # Mayotte: no region chart, so no region alt either.
    mayotte = [alt for role, _, alt in reading_sequence(pdfjs["mayotte"]) if role == "Figure"]
    assert len(mayotte) == 6 and all(alt for alt in mayotte)
    evolution = [alt for role, _, alt in reading_sequence(pdfjs["evolution"]) if role == "Figure"]
    assert any(alt.startswith("Graphique en courbes") and "2024\u00a0: exportations" in alt for alt in evolution)


def test_a_paragraph_that_is_a_link_reads_as_the_link(tmp_path):
    """pdf_tags on its own: a list item whose whole text is a link puts that text in the Link
    element (with the annotation's OBJR); a link inside a sentence is a Link child of the P."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import ListItem, SimpleDocTemplate

    from factsheets import pdf_tags

    tree = pdf_tags.StructTree("Lien vers {target}")
    style = ParagraphStyle("body", fontName="Helvetica", fontSize=10)
    sentence = pdf_tags.TaggedParagraph('Écrire à <a href="mailto:a@example.org">a@example.org</a>.', style)
    sentence.struct = tree.add("P")
    lst = tree.add("L")
    item = tree.add("LI", lst)
    label = tree.add("Lbl", item)
    body = pdf_tags.TaggedParagraph('<a href="https://example.org/">https://example.org/</a>', style)
    body.struct = tree.add("LBody", item, link_text=True)
    path = tmp_path / "links.pdf"
    SimpleDocTemplate(str(path), invariant=1, displayDocTitle=1).build(
        [sentence, pdf_tags.TaggedList([ListItem(body, value="•")], tree, [label], bulletType="bullet", start="•")],
        canvasmaker=pdf_tags.tagged_canvas(
            pdf_tags.Canvas, tree, "fr-FR", pdf_tags.xmp_metadata("t", "c", "s", "fr-FR", "p", None)
        ),
    )
    problems = [p for p in reader.check(path) if "bookmarks" not in p and "H1" not in p]
    assert problems == []
    with pikepdf.open(path) as pdf:
        roles = [(e.role, len(e.mcids), len(e.annotations)) for e in reader.elements(pdf)]
        assert roles == [
            ("Document", 0, 0),
            ("P", 1, 0),
            ("Link", 0, 1),
            ("L", 0, 0),
            ("LI", 0, 0),
            ("Lbl", 1, 0),
            ("LBody", 0, 0),
            ("Link", 1, 1),
        ]
        contents = sorted(str(annotation["/Contents"]) for annotation in pdf.pages[0].obj["/Annots"])
        assert contents == ["Lien vers a@example.org", "Lien vers https://example.org/"]


def test_configured_link_blocks_and_logos_are_tagged(tmp_path):
    """With the link addresses filled in and logos configured: each link bullet reads as its
    Link element (text and annotation), the logos are part of the letterhead artifact."""
    import copy

    from PIL import Image

    from factsheets.config import LogoFiles, Settings
    from factsheets.paths import SAMPLE_DATA
    from factsheets.render import SheetRenderer, _find_logos

    renderer = SheetRenderer(SAMPLE_DATA, 2024, ["60"])
    renderer.texts = copy.deepcopy(renderer.texts)
    for number, block in enumerate((b for b in renderer.texts["practical"]["blocks"] if "link" in b), start=1):
        block["link"]["url"] = f"https://example.org/lien-{number}"
    government, agency = tmp_path / "government.png", tmp_path / "agency.png"
    Image.new("RGB", (120, 90), "navy").save(government)
    Image.new("RGB", (200, 90), "white").save(agency)
    renderer.logos = _find_logos(Settings(logos=LogoFiles(government=str(government), agency=str(agency))))
    path = tmp_path / "sheet.pdf"
    path.write_bytes(renderer.sheet_bytes("60"))
    assert reader.check(path) == []
    with pikepdf.open(path) as pdf:
        tree = reader.elements(pdf)
        links = [e for e in tree if e.role == "Link"]
        assert len(links) == 5  # the e-mail address, the two configured links, the two further ones
        assert sum(1 for link in links if link.mcids) == 2  # the bullets that are a link and nothing else
        assert all(len(link.annotations) >= 1 for link in links)
