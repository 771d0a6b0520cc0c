"""A page that an earlier sheet of the process drew already, written again from its recording.

Every sheet has pages whose content is the same as other sheets': the context and the
practical pages on every sheet, the region's and France's comparison pages on every sheet of
a region. Laying them out and drawing them again (some thirty paragraphs, four Sankeys) was
a tenth of a sheet's cost (benchmarks/bench_replay.py). The first time such a page is drawn,
the lines it adds to the page's content stream are recorded, with what drawing it did beyond
them: the characters it encoded in each font, the structure elements it opened and closed,
the links it made. When a later sheet has the same page (`ReplayablePage`, keyed by the
page's content and charts), that sheet's own drawing state is checked to be the recorded
one, and the page is written from the recording with this document's own numbers: the
characters encoded in this document's subsets in the order the page first used them (so
every later page numbers its glyphs as if the page had been drawn), each text string's glyph
codes and each face's internal name translated to this document's, the structure elements
and links made through the tree (their MCIDs and keys are this document's). The bytes are
those the drawing would have written, which tests/test_pdf_replay.py checks sheet by sheet.

When the state differs, or a string falls outside its face's first subset (ReportLab's
subsets hold 256 codes), the page is laid out and drawn as any other (`ReplayablePage.split`).
"""

from __future__ import annotations

import copy
import re
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, NamedTuple

from reportlab.pdfbase.pdfmetrics import getFont
from reportlab.platypus import Flowable
from reportlab.platypus.doctemplate import ActionFlowable

# Recordings kept per process, the least recently used dropped first: a run's repeated
# pages are the two shared by all sheets and two per region.
REMEMBERED_PAGES = 64
# Whether pages are replayed at all (the tests draw every page both ways and compare).
enabled = True

_recordings: OrderedDict[Hashable, PageRecording] = OrderedDict()

# A face selection ("/F3+0 9 Tf") or a shown string ("(…) Tj") in a content line.
_FONT_OR_STRING = re.compile(r"/(F\d+)\+0 |\(((?:[^\\()]|\\.)*)\) Tj")
_ESCAPE = re.compile(r"\\([0-7]{3}|.)")


class _Begin(NamedTuple):
    element: int  # index among the page's structure elements


class _End(NamedTuple):
    pass


class _Link(NamedTuple):
    annotation: Any  # the annotation dictionary as the canvas was given it
    name: str | None
    on_page: int


class _Face(NamedTuple):
    name: str  # the ReportLab name of the face
    font: Any  # the registered face object
    chars: str  # every character the page shows in it, in the order of first use
    codes: bytes  # their codes in the recorded document
    internal: str  # its internal name there ("F3")


class PageRecording(NamedTuple):
    state: tuple  # the canvas's drawing state when the page began (_drawing_state)
    gstates: tuple  # the page's named opacity states then, and those the page added
    added_gstates: tuple
    faces: tuple[_Face, ...]  # in the order the page first used them
    parts: tuple  # lists of content lines, and events between them
    text_lines: frozenset  # (part, line) of the lines that show text


def _drawing_state(canvas) -> tuple:
    """What the page's drawing reads of the canvas besides the document: the graphics and
    text state, the saved states' depth, what the page has used so far."""
    values = canvas.__dict__
    graphics = tuple(values[name] for name in canvas.STATE_ATTRIBUTES if name != "_extgstate")
    return (
        graphics,
        tuple(canvas._extgstate._d.items()),
        len(canvas.state_stack),
        tuple(canvas._formsinuse),
        tuple(canvas._colorsUsed),
        tuple(canvas._shadingUsed),
        canvas._currentPageHasImages,
    )


class PageRecorder:
    """The drawing of one page, watched: attached to the document as `page_recorder`, it is
    told of every text a face encodes (fonts.TaggedTTFont, pdf_text.TextCanvas), every
    structure element opened and closed (pdf_tags.StructTree) and every link made."""

    def __init__(self, canvas, elements: Sequence):
        self.canvas = canvas
        self.start = len(canvas._code)
        self.page = canvas.getPageNumber()
        self.state = _drawing_state(canvas)
        self.gstates = tuple(canvas._extgstate._c.items())
        self.element_index = {id(element): index for index, element in enumerate(elements)}
        self.chars: dict[str, dict[str, None]] = {}  # face name -> characters in order of first use
        self.events: list[tuple[int, Any]] = []  # (position in the page's lines, event)
        self.valid = True

    def text(self, face_name: str, text: str) -> None:
        self.chars.setdefault(face_name, {}).update(dict.fromkeys(text))

    def begin(self, element) -> None:
        index = self.element_index.get(id(element))
        if index is None:
            self.valid = False  # an element of another page: not this page's to replay
            return
        self.events.append((len(self.canvas._code), _Begin(index)))

    def end(self) -> None:
        self.events.append((len(self.canvas._code), _End()))

    def link(self, annotation, name, on_page) -> None:
        self.events.append((len(self.canvas._code), _Link(copy.deepcopy(annotation), name, on_page)))

    def finish(self) -> PageRecording | None:
        """The recording, or None when the page cannot be replayed as recorded."""
        canvas = self.canvas
        if not self.valid or canvas.getPageNumber() != self.page or len(canvas._code) < self.start:
            return None
        if _drawing_state(canvas) != self.state:
            return None
        gstates = tuple(canvas._extgstate._c.items())
        if gstates[: len(self.gstates)] != self.gstates:
            return None
        doc = canvas._doc
        faces = []
        for face_name, chars in self.chars.items():
            if not chars:
                continue  # an empty string: nothing encoded, no face named
            font = getFont(face_name)
            text = "".join(chars)
            codes = _first_subset_codes(font, text, doc)
            internal = font.state[doc].internalName
            if codes is None or internal is None:
                return None  # beyond the first subset, or encoded but never shown: not replayed
            faces.append(_Face(face_name, font, text, codes, internal))
        lines = canvas._code[self.start :]
        # Each begin and end wrote one line (its BDC or EMC), written again by the tree.
        parts: list = []
        text_lines = set()
        position = 0
        for at, event in self.events:
            parts.append(lines[position : at - self.start])
            parts.append(event)
            position = at - self.start + (0 if isinstance(event, _Link) else 1)
        parts.append(lines[position:])
        internal_names = {face.internal for face in faces}
        for index, part in enumerate(parts):
            if isinstance(part, list):
                for number, line in enumerate(part):
                    if " TJ" in line:
                        return None
                    if " Tj" in line:
                        matches = list(_FONT_OR_STRING.finditer(line))
                        if not matches or matches[0].group(1) is None:
                            return None  # a string shown before its face is chosen on the line
                        if not internal_names.issuperset(m.group(1) for m in matches if m.group(1) is not None):
                            return None  # a face whose texts were not told
                        text_lines.add((index, number))
        return PageRecording(
            self.state, self.gstates, gstates[len(self.gstates) :], tuple(faces), tuple(parts), frozenset(text_lines)
        )


def _first_subset_codes(font, text: str, doc) -> bytes | None:
    """The codes of `text`'s characters in `doc`'s first subset of `font` (encoding them
    there if they have none yet), or None when some are in another subset."""
    chunks = font.splitString(text, doc)
    if len(chunks) != 1 or chunks[0][0] != 0 or len(chunks[0][1]) != len(text):
        return None
    return chunks[0][1]


class _Translation(NamedTuple):
    """How the recorded lines become this document's: per recorded internal name, the new
    name and the table of glyph codes (None when every line stays as it is)."""

    faces: dict[str, tuple[str, bytes]] | None


def _prepare(recording: PageRecording, canvas) -> _Translation | None:
    """This document's codes for the page's characters, encoded in the page's order (the
    document's subsets then the same as if the page had been drawn), or None when the page
    cannot be replayed here: nothing encoded then that drawing it would not encode."""
    if getattr(canvas._doc, "page_recorder", None) is not None:
        return None
    if _drawing_state(canvas) != recording.state or tuple(canvas._extgstate._c.items()) != recording.gstates:
        return None
    if any(getFont(face.name) is not face.font for face in recording.faces):
        return None
    doc = canvas._doc
    same = True
    faces = {}
    for face in recording.faces:
        codes = _first_subset_codes(face.font, face.chars, doc)
        face.font.getSubsetInternalName(0, doc)
        if codes is None:
            return None
        internal = face.font.state[doc].internalName
        faces[face.internal] = (internal, bytes.maketrans(face.codes, codes))
        same = same and codes == face.codes and internal == face.internal
    return _Translation(None if same else faces)


def _translated(line: str, faces: dict[str, tuple[str, bytes]], escape) -> str:
    """`line` with each face selection renamed and each shown string's codes translated, by
    the face last selected before it on the line (finish made sure there is one)."""
    table = b""

    def replace(match: re.Match) -> str:
        nonlocal table
        if match.group(1) is not None:
            internal, table = faces[match.group(1)]
            return f"/{internal}+0 "
        raw = _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)) if len(m.group(1)) == 3 else m.group(1), match.group(2))
        return f"({escape(raw.encode('latin-1').translate(table))}) Tj"

    return _FONT_OR_STRING.sub(replace, line)


def _replay(recording: PageRecording, translation: _Translation, canvas, tree, elements: Sequence) -> None:
    code = canvas._code
    faces = translation.faces
    for index, part in enumerate(recording.parts):
        if isinstance(part, list):
            if faces is None:
                code.extend(part)
            else:
                escape = canvas._escape
                text_lines = recording.text_lines
                code.extend(
                    _translated(line, faces, escape) if (index, number) in text_lines else line
                    for number, line in enumerate(part)
                )
        elif isinstance(part, _Begin):
            tree.begin(canvas, elements[part.element])
        elif isinstance(part, _End):
            tree.end(canvas)
        else:
            canvas._addAnnotation(copy.deepcopy(part.annotation), part.name, part.on_page)
    canvas._extgstate._c.update(recording.added_gstates)


class _Action(ActionFlowable):
    """A step of the story that draws nothing: `act(doc)` when platypus reaches it."""

    def __init__(self, act: Callable[[Any], None]):
        super().__init__()
        self.act = act

    def apply(self, doc) -> None:
        self.act(doc)


class ReplayablePage(Flowable):
    """A whole page of flowables (after a page break), written from a recording when one of
    its key is kept and applies, else laid out as its flowables would be (and recorded)."""

    def __init__(self, key: Hashable, flowables: list[Flowable], tree, elements: Sequence):
        super().__init__()
        self.key = key
        self.flowables = flowables
        self.tree = tree
        self.elements = elements  # the structure elements the page's flowables were made with
        self._replaying: tuple[PageRecording, _Translation] | None = None

    def wrap(self, available_width, available_height):
        recording = _recordings.get(self.key) if enabled else None
        translation = None if recording is None else _prepare(recording, self.canv)
        if translation is None:
            self._replaying = None
            return available_width, available_height + 1  # too tall: split into its flowables
        self._replaying = recording, translation
        _recordings.move_to_end(self.key)
        return available_width, available_height

    def split(self, available_width, available_height):
        """The page's flowables, recorded when no recording of the page is kept. The step put
        first makes platypus put every flowable back in the story as it was."""
        if enabled and self.key not in _recordings:
            return [_Action(self._start_recording), *self.flowables, _Action(self._end_recording)]
        return [_Action(lambda doc: None), *self.flowables]

    def _start_recording(self, doc) -> None:
        pdf = doc.canv._doc
        if getattr(pdf, "page_recorder", None) is None:
            pdf.page_recorder = PageRecorder(doc.canv, self.elements)

    def _end_recording(self, doc) -> None:
        pdf = doc.canv._doc
        recorder = getattr(pdf, "page_recorder", None)
        if recorder is None:
            return
        pdf.page_recorder = None
        recording = recorder.finish()
        if recording is not None:
            _recordings[self.key] = recording
            while len(_recordings) > REMEMBERED_PAGES:
                _recordings.popitem(last=False)

    def drawOn(self, canvas, x, y, _sW=0):  # noqa: N802, N803 (platypus' names)
        """The recorded lines as they are, at no offset: not in a translated state of its own."""
        recording, translation = self._replaying
        _replay(recording, translation, canvas, self.tree, self.elements)
