"""config/texts.yaml against the published sheets (spec/published-sheet-*.md).

Independent check that no sentence was dropped or mistyped: every sentence of each
extraction must appear in the texts once their placeholders are filled with that sheet's
values, and every sentence the texts take from the sheet must appear in the extraction.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph

from factsheets.config import load_mapping, sheet_texts
from factsheets.paths import CONFIG_DIR

TEXTS_PATH = CONFIG_DIR / "texts.yaml"
PUBLISHED_DIR = Path(__file__).parent / "published"  # copies of shared/spec/published-sheet-*.md

DOCUMENTED_PLACEHOLDERS = {
    "department",
    "de_department",
    "code",
    "region",
    "year",
    "next_year",
    "total",
    "share_region",
    "share_nation",
    "email",
    "page",
}
TOP_LEVEL_KEYS = {
    "cover",
    "context",
    "balance",
    "exports",
    "imports",
    "single_department_region",
    "partial_coverage",
    "practical",
    "further",
    "footer",
    "metadata",
}
# Beyond the published sheet (issue 14): our own texts, each section with its own placeholders
# (documented in the comment above it in texts.yaml).
EXTRA_SECTIONS = {
    "evolution": {
        "first_year",
        "previous_year",
        "exports",
        "imports",
        "exports_change",
        "imports_change",
        "balance",
        "balance_previous",
    },
    "annex": {"source", "date"},
    "summary": {"message"},
    # The charts' alternative texts and data tables (content.py), the web page's own words (html.py).
    "figures": {"area", "flow"},
    "html": {"count"},
    # The tagged PDF's alternative texts of the charts and link texts (alt_texts.py, pdf_tags.py).
    "accessibility": {
        "items",
        "area",
        "total",
        "exports",
        "imports",
        "products",
        "countries",
        "first_year",
        "export_items",
        "import_items",
        "name",
        "value",
        "share",
        "balance",
        "item_year",
        "target",
    },
}
FLOW_KEYS = {
    "heading",
    "intro",
    "chart_title",
    "total",
    "share_region",
    "share_nation",
    "reading",
    "comparison",
    "region_title",
    "nation_title",
}

# Per published sheet: the common values, then per flow the totals printed on it (department,
# region, France) and the department's shares. Numbers use plain spaces, as in the extraction.
# The Territoires d'industrie lists are reference data, not texts: they are known data here.
SHEETS: dict[str, dict[str, Any]] = {
    "oise": {
        "values": {
            "department": "Oise",
            "de_department": "de l'Oise",
            "code": "60",
            "region": "Hauts-de-France",
            "year": 2024,
            "next_year": 2025,
        },
        "exports": {"totals": ["9 114.8", "68 021", "580 354.5"], "share_region": "13.4%", "share_nation": "1.57%"},
        "imports": {"totals": ["11 319", "85 786.3", "684 776.3"], "share_region": "13.2%", "share_nation": "1.65%"},
        "data": ["Beauvaisis", "Pays Compiégnois", "Sud Oise"],
    },
    "aisne": {
        "values": {
            "department": "Aisne",
            "de_department": "de l'Aisne",
            "code": "02",
            "region": "Hauts-de-France",
            "year": 2024,
            "next_year": 2025,
        },
        "exports": {"totals": ["3 517.5", "68 021", "580 354.5"], "share_region": "5.2%", "share_nation": "0.61%"},
        "imports": {"totals": ["85 786.3", "684 776.3"], "share_region": None, "share_nation": None},
        "data": ["Haute-Picardie", "Soissonnais – Valois", "Sud Aisne", "Thiérache et Pays de la Serre"],
    },
}

# Keys whose text is not on the published sheets (our additions) or is not text (URLs).
NOT_FROM_SHEET = {"single_department_region", "partial_coverage", "footer", "metadata", "url", "page", *EXTRA_SECTIONS}

# Keys written verbatim (escaped by the layout or drawn with drawString): no markup allowed.
PLAIN_KEYS = {"government", "motto", "agency", "text", "prefix", "url", "email", "footer", "metadata", "annex", "summary"}


@pytest.fixture(scope="module")
def texts() -> dict[str, Any]:
    """The texts of the 2024 sheets: the year-neutral texts with the 2024 edition laid over."""
    return sheet_texts(2024, load_mapping(TEXTS_PATH))


def published_texts(texts: dict[str, Any]) -> dict[str, Any]:
    """The texts of the published sheet's pages (without the sections beyond it)."""
    return {key: value for key, value in texts.items() if key not in EXTRA_SECTIONS}


def walk(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every string of the YAML tree with the chain of keys leading to it."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*path, str(key)))
    elif isinstance(node, list):
        for value in node:
            yield from walk(value, path)


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def strip_tags(text: str) -> str:
    return as_extracted(text.replace("<b>", "").replace("</b>", "").replace("&amp;", "&"))


def as_extracted(text: str) -> str:
    """Our typography as the published extraction spells it: straight apostrophes, plain
    spaces (the texts have typographic apostrophes and no-break spaces; see the tests below)."""
    return text.replace("\u2019", "'").replace("\u00a0", " ").replace("\u202f", " ")


def render(texts: dict[str, Any], sheet: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """Every text filled with the sheet's values, as it reads on the sheet (tags stripped)."""
    email = next(block["email"] for block in texts["practical"]["blocks"] if "email" in block)
    out: list[tuple[tuple[str, ...], str]] = []
    for path, template in walk(texts):
        section = sheet.get(path[0]) if path[0] in ("exports", "imports") else None
        totals = section["totals"] if section and "total" in placeholders(template) else [None]
        for total in totals:
            values = {
                **sheet["values"],
                "email": email,
                "page": 1,
                "total": total,
                "share_region": section and section["share_region"],
                "share_nation": section and section["share_nation"],
            }
            out.append((path, strip_tags(template.format(**values))))
    # A "further" link reads as its prefix followed by its URL.
    out += [(("further", "links"), as_extracted(link["prefix"] + link["url"])) for link in texts["further"]["links"]]
    return out


def extraction_units(markdown: str) -> list[str]:
    """The extraction's sentences, markdown stripped, one source line at a time."""
    units: list[str] = []
    for line in markdown.splitlines():
        line = re.sub(r"^\s*#+\s*", "", line)
        line = re.sub(r"^\s*- ", "", line)
        line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)
        line = re.sub(r"<(https?://[^>]+)>", r"\1", line)
        line = " ".join(line.replace("*", "").split())
        units += [sentence for sentence in re.split(r"(?<=[.!?])\s+", line) if sentence]
    return units


def extraction_text(markdown: str) -> str:
    return " ".join(extraction_units(markdown))


def read_extraction(name: str) -> str:
    return (PUBLISHED_DIR / f"published-sheet-{name}-2024.md").read_text(encoding="utf-8")


def test_top_level_structure(texts):
    assert set(texts) == TOP_LEVEL_KEYS | set(EXTRA_SECTIONS)
    assert set(texts["exports"]) == FLOW_KEYS == set(texts["imports"])
    assert len(texts["cover"]["introduction"]) == 2
    assert len(texts["context"]["context"]) == 4
    assert len(texts["context"]["method_bullets"]) == 3
    assert texts["cover"]["motto"] == ["Liberté", "Égalité", "Fraternité"]
    assert [list(block)[0] for block in texts["practical"]["blocks"]] == ["paragraph", "link", "link", "paragraph"]
    # A link block carries the paragraph introducing it: both are printed, or neither.
    assert all(set(block["link"]) == {"paragraph", "text", "url"} for block in texts["practical"]["blocks"] if "link" in block)
    assert texts["practical"]["blocks"][-1]["email"] == "territoires-industrie@anct.gouv.fr"


def test_only_documented_placeholders_and_every_template_formats(texts):
    for path, template in walk(texts):
        documented = DOCUMENTED_PLACEHOLDERS | EXTRA_SECTIONS.get(path[0], set())
        unknown = placeholders(template) - documented
        assert not unknown, f"{'.'.join(path)}: undocumented placeholder(s) {sorted(unknown)}"
        template.format(**{name: "x" for name in documented})


def test_extra_sections_document_their_placeholders():
    text = TEXTS_PATH.read_text(encoding="utf-8")
    for section, names in EXTRA_SECTIONS.items():
        comment = text.split(f"\n{section}:")[0].rsplit("\n\n", 1)[-1]
        for name in names - {"message"}:
            assert "{" + name + "}" in comment, (section, name)


def test_year_neutral_texts_say_nothing_of_a_given_year():
    neutral = sheet_texts(2023, load_mapping(TEXTS_PATH))
    assert len(neutral["context"]["context"]) == 3
    assert not any("surtaxes" in paragraph or "2025" in paragraph for paragraph in neutral["context"]["context"])


def test_header_comment_lists_every_placeholder():
    header = TEXTS_PATH.read_text(encoding="utf-8").split("\ncover:")[0]
    assert all(line.startswith("#") for line in header.splitlines() if line.strip())
    for name in DOCUMENTED_PLACEHOLDERS:
        assert "{" + name + "}" in header, name


def test_markup_is_bold_only_and_parses(texts):
    style = ParagraphStyle("t", fontName="Helvetica")
    for path, template in walk(texts):
        where = ".".join(path)
        tags = re.findall(r"<[^>]*>", template)
        if set(path) & PLAIN_KEYS:
            assert not tags and "&" not in template, f"{where}: plain text must carry no markup"
            continue
        assert set(tags) <= {"<b>", "</b>"}, f"{where}: unexpected tags {tags}"
        assert not re.search(r"&(?!amp;)", template), f"{where}: escape '&' as &amp;"
        assert not re.search(r"\*\*|\[[^\]]*\]\(", template), f"{where}: markdown left in the text"
        documented = DOCUMENTED_PLACEHOLDERS | EXTRA_SECTIONS.get(path[0], set())
        Paragraph(template.format(**{name: "1" for name in documented}), style)


@pytest.mark.parametrize("name", sorted(SHEETS))
def test_every_sentence_of_the_published_sheet_is_in_the_texts(texts, name):
    sheet = SHEETS[name]
    corpus = "\n".join(text for _, text in render(published_texts(texts), sheet))
    units = extraction_units(read_extraction(name))
    assert len(units) > 60
    missing = [unit for unit in units if unit not in corpus and unit not in sheet["data"]]
    assert not missing, f"{name}: sentences absent from texts.yaml: {missing}"


@pytest.mark.parametrize("name", sorted(SHEETS))
def test_every_text_taken_from_the_sheet_is_in_the_published_sheet(texts, name):
    sheet = SHEETS[name]
    published = extraction_text(read_extraction(name))
    for path, text in render(published_texts(texts), sheet):
        if set(path) & NOT_FROM_SHEET:
            continue
        if name == "aisne" and path[0] == "imports" and path[-1] in ("share_region", "share_nation"):
            continue  # the Aisne extraction lacks the department's import shares
        if name == "aisne" and path[-1] in ("government", "motto", "agency"):
            continue  # and the government and agency blocks (images on that sheet)
        for sentence in re.split(r"(?<=[.!?])\s+", " ".join(text.split())):
            assert sentence in published, f"{name}: {'.'.join(path)}: {sentence!r} not on the published sheet"


def test_rendered_oise_texts_read_as_published(texts):
    rendered = dict((path, text) for path, text in render(published_texts(texts), SHEETS["oise"]) if path[-1] != "total")
    assert rendered[("balance", "chart_title")] == "Principaux pays à l'import et à l'export, Oise (2024)"
    assert rendered[("exports", "share_region")] == "soit 13.4% de la valeur exportée par la région Hauts-de-France"
    assert rendered[("imports", "share_nation")] == "soit 1.65% de la valeur importée au niveau national"
    assert rendered[("metadata", "subject")] == "Commerce extérieur du département de l'Oise (60), année 2024"
    assert texts["context"]["context"][1].startswith("Depuis le début de l’année 2025, ")
    assert "{year}" in texts["context"]["context"][2] and "{year}" in texts["context"]["method_source"]


FRENCH_TEXT_FILES = ["texts.yaml", "mail.yaml"]


def french_values(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for value in node.values():
            yield from french_values(value)
    elif isinstance(node, list):
        for value in node:
            yield from french_values(value)
    elif isinstance(node, str) and not node.startswith(("http://", "https://", "mailto:")):
        yield node


@pytest.mark.parametrize("name", FRENCH_TEXT_FILES)
def test_french_texts_use_typographic_apostrophes_and_no_break_spaces(name):
    """Spec 11: ’ (never ') in French words; a no-break space before « : ; ! ? » and inside
    « », so no line starts with a colon or a lone guillemet and copy-paste keeps them."""
    mapping = load_mapping(CONFIG_DIR / name)
    values = list(french_values(mapping))
    assert len(values) >= 3
    for text in values:
        assert not re.search(r"\w'\w", text), f"{name}: straight apostrophe in {text!r}"
        assert not re.search(r" [:;!?](\s|$)", text), f"{name}: plain space before punctuation in {text!r}"
        assert "« " not in text and " »" not in text, f"{name}: plain space inside guillemets in {text!r}"
    assert any("\u2019" in text for text in values) and any("\u00a0:" in text for text in values)
