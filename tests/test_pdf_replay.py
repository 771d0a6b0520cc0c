"""A page written again from its recording (pdf_replay) is byte for byte the page its drawing
writes: on every department's sheet, when the recording does not apply, and never for a page
whose strings leave their faces' first subsets."""

from __future__ import annotations

import dataclasses

import pytest

from factsheets import pdf_replay
from factsheets.charts.registry import draw_charts
from factsheets.content import Paragraph, Span
from factsheets.layout import write_sheet
from factsheets.paths import SAMPLE_DATA
from factsheets.render import SheetRenderer

# More characters than a face's first subset numbers (159 beside ASCII): the page's strings
# then change subsets midway.
BEYOND_FIRST_SUBSET = " ".join(chr(code) for code in range(0xC0, 0x17F))


@pytest.fixture(scope="module")
def renderer() -> SheetRenderer:
    drawer = SheetRenderer(SAMPLE_DATA, None, [], history=False)
    drawer.add(drawer.reference.department_codes())
    return drawer


@pytest.fixture
def replays(monkeypatch) -> list:
    """The pages replayed, as (key, translated): each call of pdf_replay._replay."""
    pdf_replay._recordings.clear()
    calls = []
    replay = pdf_replay._replay

    def counted(recording, translation, *args):
        calls.append(translation.faces is not None)
        return replay(recording, translation, *args)

    monkeypatch.setattr(pdf_replay, "_replay", counted)
    yield calls
    pdf_replay._recordings.clear()


def drawn(renderer: SheetRenderer, codes, replayed: bool) -> dict[str, bytes]:
    pdf_replay.enabled = replayed
    try:
        return {code: renderer.sheet_bytes(code) for code in codes}
    finally:
        pdf_replay.enabled = True


def test_every_sheet_is_the_same_with_its_pages_replayed(renderer, replays):
    codes = renderer.reference.department_codes()
    plain = drawn(renderer, codes, replayed=False)
    assert not replays
    replayed = drawn(renderer, codes, replayed=True)
    assert [code for code in codes if replayed[code] != plain[code]] == []
    # The context and practical pages from the second sheet on, the comparison pages of a
    # region from its second department on; some of them with other glyph codes or face names.
    assert len(replays) >= 2 * (len(codes) - 1) + 2 * 50
    assert any(replays) and not all(replays)


def test_a_recording_that_does_not_apply_leaves_the_page_drawn(renderer, replays, monkeypatch):
    codes = ["02", "60", "59", "976", "2A", "2B"]
    plain = drawn(renderer, codes, replayed=False)
    prepare = pdf_replay._prepare

    def refused(recording, canvas):
        prepare(recording, canvas)  # the page's characters encoded first, as a refusal may have
        return None

    monkeypatch.setattr(pdf_replay, "_prepare", refused)
    assert drawn(renderer, codes, replayed=True) == plain
    assert not replays and pdf_replay._recordings  # recorded, never replayed


def _with_paragraph(content, text: str):
    """The sheet's content with `text` as the context page's first paragraph."""
    pages = list(content.pages)
    index = next(i for i, page in enumerate(pages) if page.key == "context")
    blocks = list(pages[index].blocks)
    first = next(i for i, block in enumerate(blocks) if isinstance(block, Paragraph))
    blocks[first] = blocks[first]._replace(spans=(Span(text),))
    pages[index] = pages[index]._replace(blocks=tuple(blocks))
    return dataclasses.replace(content, pages=tuple(pages))


def test_a_page_beyond_the_first_subsets_is_not_recorded(renderer, replays):
    year_texts, created = renderer.edition(renderer.year)
    sheets = {}
    for replayed in (False, True):
        pdf_replay.enabled = replayed
        try:
            for code in ("02", "60", "13"):
                ind = renderer.indicators[code]
                charts = draw_charts(ind, renderer.settings, renderer.fonts, shared=renderer._area_charts)
                content = _with_paragraph(renderer.sheet_content(ind, renderer.synthetic, charts), BEYOND_FIRST_SUBSET)
                sheets[code, replayed] = write_sheet(
                    content, year_texts, renderer.fonts, renderer.settings, renderer.logos, created
                )
        finally:
            pdf_replay.enabled = True
    assert all(sheets[code, True] == sheets[code, False] for code in ("02", "60", "13"))
    assert not any(key[0].key == "context" for key in pdf_replay._recordings)
    assert replays  # the other shared pages were
    renderer.sheet_bytes("02")  # the page as published is recorded
    assert any(key[0].key == "context" for key in pdf_replay._recordings)
