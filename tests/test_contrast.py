"""Contrast (spec section 11): every glyph of every sheet at least 4.5:1 against what lies
beneath it (3:1 for 14 pt bold or 18 pt and above), WCAG 2.1 relative luminance; one label
colour per treemap block; the balance sign printed, not only coloured.

The sheets are the plain `render --all` of the sample (one run, shared: see conftest.py),
read back once with PDFium (tests/pdf_measure.py): each glyph's fill colour against the
topmost filled shape painted before it under its centre, or the white page. The evolution
page of the `--evolution` sheets is read too."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from pdf_measure import WHITE, as_rgb, contrast
from reportlab.lib.colors import HexColor

from factsheets.charts import treemap
from factsheets.config import settings as load_settings


@pytest.fixture(scope="module")
def sheets(plain_sheets) -> list[Path]:
    return plain_sheets


def rgb(hex_colour: str) -> tuple[float, float, float]:
    value = hex_colour.lstrip("#")
    return tuple(int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))


def test_the_formula_gives_wcag_reference_values():
    assert contrast((0, 0, 0), (1, 1, 1)) == pytest.approx(21.0)
    assert contrast((1, 1, 1), (1, 1, 1)) == pytest.approx(1.0)
    assert contrast(rgb("#767676"), WHITE) == pytest.approx(4.54, abs=0.01)  # the lightest grey passing on white
    assert as_rgb((0, 0, 0, 1)) == (0, 0, 0) and as_rgb((0.5,)) == (0.5, 0.5, 0.5)


@pytest.fixture(scope="module")
def measured(sheets, plain_sheet_measures, evolution_sheet_measures) -> list[tuple[str, list]]:
    """Every glyph of every sheet (pdf_measure.glyphs), and of the evolution page of every
    --evolution sheet, read once for the whole run (see conftest.py)."""
    found = [(path.name, plain_sheet_measures[path].glyphs) for path in sheets]
    evolution = [(f"evolution/{path.name}", measures.glyphs) for path, measures in evolution_sheet_measures.items()]
    assert len(evolution) == 101 and all(glyphs for _, glyphs in evolution)
    return found + evolution


def test_every_glyph_of_every_sheet_contrasts_with_what_lies_beneath_it(measured):
    failing: Counter = Counter()
    worst = None
    count = 0
    for name, found in measured:
        for glyph in found:
            count += 1
            if worst is None or glyph.ratio < worst[0].ratio:
                worst = (glyph, name)
            if glyph.ratio < glyph.required:
                key = (
                    name,
                    glyph.page,
                    glyph.size,
                    tuple(round(c, 3) for c in glyph.ink),
                    tuple(round(c, 3) for c in glyph.beneath),
                    round(glyph.ratio, 2),
                )
                failing[key] += 1
    assert count > 101 * 3000  # the whole text of the sheets was read, not an empty layer
    glyph, name = worst
    print(f"lowest contrast: {glyph.ratio:.2f}:1 ({name} p.{glyph.page}, {glyph.text!r} at {glyph.size:.2f} pt)")
    assert not failing, f"{sum(failing.values())} glyphs under the minimum, e.g. {failing.most_common(5)}"


def test_no_text_is_printed_under_6_5_points(measured):
    """Spec 11: chart text never below 6.5 pt at its printed size (a chart the page shrinks to
    fit, e.g. the comparison pages' Sankey diagrams, shrinks its labels with it)."""
    small = Counter(
        (name, glyph.page, round(glyph.size, 2)) for name, found in measured for glyph in found if glyph.size < 6.5 - 0.005
    )
    assert not small, f"{sum(small.values())} glyphs under 6.5 pt, e.g. {small.most_common(5)}"


def test_the_treemap_tiles_of_a_block_share_one_label_colour_that_passes_on_all_of_them():
    settings = load_settings()
    for flow in ("imports", "exports"):
        base, label = HexColor(getattr(settings.colors, flow)), HexColor(getattr(settings.colors, f"{flow}_label"))
        ink = treemap.block_ink(base, label)
        shades = [ink.shade(treemap.DARKEST_TINT + (treemap.LIGHTEST_TINT - treemap.DARKEST_TINT) * i / 9) for i in range(10)] + [
            ink.shade(treemap.OTHER_TINT)
        ]
        for shade in shades:
            assert contrast((shade.red, shade.green, shade.blue), (label.red, label.green, label.blue)) >= 4.5
        # the darkest shade is as dark as the rule allows: one step darker would fail
        darker = treemap.v.mix(ink.darkest, base, 0.2)
        if darker != ink.darkest:
            assert contrast((darker.red, darker.green, darker.blue), (label.red, label.green, label.blue)) < 4.7


def test_a_label_colour_no_tile_shade_can_carry_is_refused():
    """The rule the settings' loader applies (tests/test_settings.py runs it through the CLI)."""
    from factsheets.contrast import label_complaint

    assert label_complaint("#3A6FB0", "#1E1E1E") is None
    assert "plus sombre que la couleur de bloc" in label_complaint("#3A6FB0", "#FFFFFF")[0]
    assert "aucune teinte de « #C0C0C0 »" in label_complaint("#C0C0C0", "#808080")[0]


def test_the_balance_sign_is_printed_not_only_coloured(sheets):
    """Each balance label of chart 1 (page 3) starts with "+" or a minus sign, so its colour
    (green, red) is never the only carrier of the sign."""
    import pdfplumber

    settings = load_settings()
    positive, negative = rgb(settings.colors.balance_positive), rgb(settings.colors.balance_negative)
    seen = 0
    for path in sheets[::10]:
        with pdfplumber.open(path) as pdf:
            words = pdf.pages[2].extract_words(extra_attrs=["non_stroking_color"], keep_blank_chars=True)
        for word in words:
            colour = as_rgb(word["non_stroking_color"])
            if max(abs(a - b) for a, b in zip(colour, positive)) < 0.01:
                assert word["text"][0] == "+", (path.name, word["text"])
                seen += 1
            elif max(abs(a - b) for a, b in zip(colour, negative)) < 0.01:
                assert word["text"][0] in "-\u2212", (path.name, word["text"])
                seen += 1
    assert seen >= 11 * 3
