"""Single-line strings written straight into the page: the labels of the charts, the footers,
the table cells.

`Canvas.drawString` makes a text object, measures the string (a width it then throws away),
and joins the object's operators; a sheet draws some four hundred such strings. `TextCanvas`
writes the same operators itself, in the same order and with the same numbers, for the case
every sheet uses: a TrueType font of the project (subset per document), no render mode,
character or word spacing, direction or shaping. The text still goes through the font's
`splitString` with this document, so its glyphs are numbered in this document's subsets.
Any other case is left to ReportLab.
"""

from __future__ import annotations

import functools
import operator
from functools import cached_property

from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase.pdfmetrics import getFont, stringWidth
from reportlab.pdfgen import textobject
from reportlab.pdfgen.canvas import Canvas


@functools.lru_cache(maxsize=256)
def _size_operators(size: float, leading: float) -> str:
    """The "size Tf leading TL" of a string: a sheet writes some four hundred strings in a
    dozen sizes."""
    return f"{fp_str(size)} Tf {fp_str(leading)} TL"


# The attributes saveState keeps, read in one call (Canvas.push_state_stack reads them one
# by one; a sheet saves the state some 330 times, once per chart shape among others).
_STATE_VALUES = operator.itemgetter(*Canvas.STATE_ATTRIBUTES)


class TextCanvas(Canvas):
    """A canvas whose plain one-line strings cost less, in bytes the same as ReportLab's."""

    def push_state_stack(self):
        """Canvas.push_state_stack: the same saved values, gathered at once."""
        self.state_stack.append(dict(zip(self.STATE_ATTRIBUTES, _STATE_VALUES(self.__dict__))))
        self._extgstate = self._extgstate.pushCopy()

    def _plain_text(self, text, mode, charSpace, direction, wordSpace, shaping):
        """The font when the string can be written directly, else None (ReportLab writes it)."""
        if (
            mode is not None
            or charSpace
            or direction is not None
            or wordSpace
            or shaping
            or type(text) is not str
            or not self.bottomup
            or textobject.rtlSupport  # bidi reordering would change the string
        ):
            return None
        font = getFont(self._fontname)
        return font if getattr(font, "_dynamicFont", False) else None

    def _write_line(self, font, x: float, y: float, text: str) -> None:
        """The operators of beginText(x, y), textLine(text) and drawText, as ReportLab joins them."""
        # A string drawn again in the same face and size writes the same operators but its
        # position (a sheet repeats about a quarter of its strings: footers, units, headers):
        # its glyphs' codes and its subsets' names in this document never change once given.
        key = (font.fontName, self._fontsize, self._leading, text)
        shown = self._shown_strings.get(key)
        if shown is None:
            shown = self._shown_strings[key] = self._show_operators(font, text)
        else:
            recorder = getattr(self._doc, "page_recorder", None)  # a page being recorded (pdf_replay)
            if recorder is not None:
                recorder.text(font.fontName, text)  # encoded on an earlier page: not in another document
        self._code.append(f"BT 1 0 0 1 {fp_str(x, y)} Tm {shown} T* ET")

    @cached_property
    def _shown_strings(self) -> dict[tuple, str]:
        """(face, size, leading, text) -> the operators that show it, for this canvas's document."""
        return {}

    def _show_operators(self, font, text: str) -> str:
        """The font selections and text-showing operators of `text`, encoded in this document's subsets."""
        doc = self._doc
        parts = []
        current = -1
        font_operators = None
        for subset, chunk in font.splitString(text, doc):
            if subset != current:
                if font_operators is None:
                    font_operators = _size_operators(self._fontsize, self._leading)
                parts.append(f"{font.getSubsetInternalName(subset, doc)} {font_operators}")
                current = subset
            parts.append(f"({self._escape(chunk)}) Tj")
        return " ".join(parts)

    def drawString(self, x, y, text, mode=None, charSpace=0, direction=None, wordSpace=None, shaping=False):
        font = self._plain_text(text, mode, charSpace, direction, wordSpace, shaping)
        if font is None:
            return super().drawString(x, y, text, mode, charSpace, direction, wordSpace, shaping)
        self._write_line(font, x, y, text)

    def drawRightString(self, x, y, text, mode=None, charSpace=0, direction=None, wordSpace=None, shaping=False):
        font = self._plain_text(text, mode, charSpace, direction, wordSpace, shaping)
        if font is None:
            return super().drawRightString(x, y, text, mode, charSpace, direction, wordSpace, shaping)
        self._write_line(font, x - stringWidth(text, self._fontname, self._fontsize), y, text)

    def drawCentredString(self, x, y, text, mode=None, charSpace=0, direction=None, wordSpace=None, shaping=False):
        font = self._plain_text(text, mode, charSpace, direction, wordSpace, shaping)
        if font is None:
            return super().drawCentredString(x, y, text, mode, charSpace, direction, wordSpace, shaping)
        self._write_line(font, x - 0.5 * stringWidth(text, self._fontname, self._fontsize), y, text)
