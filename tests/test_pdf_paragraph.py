"""Paragraphs parsed and wrapped once per process (factsheets.pdf_paragraph): the same PDF
bytes as plain platypus paragraphs, split across pages included, and the shared results
left as they were made."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, SimpleDocTemplate

from factsheets import pdf_paragraph
from factsheets.config import settings
from factsheets.fonts import register_pdf_fonts
from factsheets.layout import _styles
from factsheets.pdf_paragraph import SharedParagraph

TEXT = (
    "Les infographies présentées permettent d’avoir des ordres de grandeur des échanges "
    "commerciaux <b>internationaux</b> des départements, établis selon le lieu de dédouanement. "
)


@pytest.fixture(scope="module")
def fonts():
    return register_pdf_fonts(settings())


def styles(fonts) -> list[ParagraphStyle]:
    """The sheet's body style and a smaller one, new objects each time (equal in value), as
    another process or configuration makes its own (_styles keeps one set per process)."""
    body = _styles.__wrapped__(fonts, settings().colors)["body"]
    return [body, ParagraphStyle("small", parent=body, fontSize=8, leading=10)]


def document(fonts, kind: type[Paragraph]) -> bytes:
    """A few paragraphs on narrow pages: the long one split over several pages."""
    body, small = styles(fonts)
    story = [kind(TEXT, body), kind(TEXT * 12, body), kind(TEXT, small), kind(TEXT * 3, small)]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=(260, 300), invariant=1, initialFontName=fonts.regular).build(story)
    return out.getvalue()


def lines_of(cache: dict) -> list:
    """What the cached wraps hold, as text: each entry's lines, word by word."""
    result = []
    for _, changes in cache.values():
        para = changes.get("blPara")
        if para is None:
            continue
        for line in para.lines:
            words = line.words if hasattr(line, "words") else line[1]
            result.append(repr([getattr(word, "text", word) for word in words]))
    return result


def test_shared_paragraphs_write_the_bytes_of_plain_ones(fonts):
    pdf_paragraph._parsed.clear()
    pdf_paragraph._wrapped.clear()
    plain = document(fonts, Paragraph)
    first = document(fonts, SharedParagraph)  # fills the caches
    assert pdf_paragraph._wrapped, "nothing was shared"
    kept = lines_of(pdf_paragraph._wrapped)
    again = document(fonts, SharedParagraph)  # every paragraph from the caches, the long one split again
    assert first == plain
    assert again == plain
    assert lines_of(pdf_paragraph._wrapped) == kept
    pages = PdfReader(io.BytesIO(again)).pages
    assert len(pages) >= 3  # the long paragraph did split
    assert "dédouanement" in "".join(page.extract_text() for page in pages).replace("-\n", "")


def test_a_split_paragraph_gets_fragments_of_its_own(fonts):
    body, _ = styles(fonts)
    shared = SharedParagraph(TEXT * 12, body)
    shared.wrap(200, 100)
    cached_frags = shared.frags
    parts = shared.split(200, 100)
    assert len(parts) == 2
    assert shared.frags is not cached_frags  # rebuilt privately before platypus alters them
    plain = Paragraph(TEXT * 12, body)
    plain.wrap(200, 100)
    plain_parts = plain.split(200, 100)
    assert [part.wrap(200, 1000) for part in parts] == [part.wrap(200, 1000) for part in plain_parts]
    assert [part.getPlainText() for part in parts] == [part.getPlainText() for part in plain_parts]


def test_a_style_that_differs_in_one_value_is_not_shared(fonts):
    body, _ = styles(fonts)
    other = ParagraphStyle("body", parent=body, fontSize=11)
    same = styles(fonts)[0]  # equal values, another object
    one, two, three = SharedParagraph(TEXT, body), SharedParagraph(TEXT, other), SharedParagraph(TEXT, same)
    for paragraph in (one, two, three):
        paragraph.wrap(200, 500)
    assert three.blPara is one.blPara
    assert two.blPara is not one.blPara
    assert {line.fontSize for line in two.blPara.lines} == {11}


def test_a_style_changed_after_its_first_paragraph_gets_a_new_key(fonts):
    body, _ = styles(fonts)
    key = pdf_paragraph._style_key(body)
    assert pdf_paragraph._style_key(body) is key  # recognised: the same object, unchanged
    body.fontSize = 11
    changed = pdf_paragraph._style_key(body)
    assert changed != key and ("fontSize", 11) in changed
    body.spaceShrinkage = 0.1  # a new attribute
    assert pdf_paragraph._style_key(body) not in (key, changed)


def test_the_caches_stay_bounded(fonts, monkeypatch):
    monkeypatch.setattr(pdf_paragraph, "CACHE_LIMIT", 3)
    body, _ = styles(fonts)
    for index in range(10):
        SharedParagraph(f"{TEXT} {index}", body).wrap(200, 500)
        assert len(pdf_paragraph._parsed) <= 3 and len(pdf_paragraph._wrapped) <= 3
