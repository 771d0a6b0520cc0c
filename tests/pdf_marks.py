"""The marks of a PDF page as PDFium (Chromium's PDF engine, through pypdfium2) reads them:
every character with its font, size, colour and box, every path split into its subpaths
and classified as pdfminer does (line, rectangle, curve), all in painting order.

The tests read the rendered sheets with it rather than with pdfplumber: the same boxes and
colours (within 0.1 pt), about ten times faster, so that the 101 sheets, plain and with
--evolution, can be measured on every test run. Page coordinates are PDF's: points from
the bottom-left corner.

PDFium reads a simple font's /Widths as integers (truncated), so along a run of text its
character positions fall behind the true ones by the widths' fractions (ReportLab writes
widths such as 600.0977): up to 0.6 pt at the end of a 10 pt line. The reader adds them
back from the font's own /Widths, read with pikepdf, so that boxes are exact."""

from __future__ import annotations

import ctypes
import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as raw

RGB = tuple[float, float, float]
WHITE_INK = (1.0, 1.0, 1.0)


@dataclass(frozen=True, slots=True)
class Char:
    text: str
    font: str  # the base font name without its subset prefix, e.g. "OpenSans-Bold"
    size: float
    ink: RGB  # fill colour, 0-1 channels (PDFium gives 8 bits a channel, as a screen shows it)
    x0: float  # from the origin to the advance, as pdfminer's boxes
    x1: float
    y0: float
    y1: float
    order: int  # index of its text object in the page's painting order
    replaced: bool = False  # a character of an /ActualText, not a glyph drawn (see _page)


@dataclass(frozen=True, slots=True)
class Shape:
    kind: str  # "line" (two points), "rect" (an axis-aligned rectangle) or "curve"
    x0: float
    y0: float
    x1: float
    y1: float
    filled: bool
    fill: RGB  # the fill colour in force, painted or not (pdfminer's non_stroking_color)
    points: tuple[tuple[float, float], ...]
    order: int


@dataclass(frozen=True, slots=True)
class PageMarks:
    number: int
    width: float
    height: float
    chars: list[Char]
    shapes: list[Shape]

    @property
    def lines(self) -> list[Shape]:
        return [shape for shape in self.shapes if shape.kind == "line"]

    @property
    def rects(self) -> list[Shape]:
        return [shape for shape in self.shapes if shape.kind == "rect"]

    @property
    def curves(self) -> list[Shape]:
        return [shape for shape in self.shapes if shape.kind == "curve"]


_BFCHAR = re.compile(rb"<([0-9A-Fa-f]{2})>\s*<([0-9A-Fa-f]{4,8})>")


def _font_widths(document: pikepdf.Pdf) -> dict[tuple[str, str], float]:
    """(base font name without its subset prefix, character) -> advance in 1/1000 em, for
    every simple font of the document with a ToUnicode map (the subsets of one face give a
    character the same advance)."""
    widths: dict[tuple[str, str], float] = {}
    for page in document.pages:
        fonts = page.obj.get("/Resources", {}).get("/Font", {})
        for font in fonts.values():
            if "/ToUnicode" not in font or "/Widths" not in font:
                continue
            name, first = str(font.BaseFont)[1:].split("+")[-1], int(font.get("/FirstChar", 0))
            advances = [float(w) for w in font.Widths]
            for code, unicode in _BFCHAR.findall(font.ToUnicode.read_bytes()):
                index = int(code, 16) - first
                if 0 <= index < len(advances):
                    widths[(name, bytes.fromhex(unicode.decode()).decode("utf-16-be"))] = advances[index]
    return widths


_CHANNELS = tuple(ctypes.c_uint() for _ in range(4))


def _colour(getter, handle) -> RGB:
    r, g, b, a = _CHANNELS
    getter(handle, r, g, b, a)
    return (r.value / 255, g.value / 255, b.value / 255)


def _base_font(text_object, cache: dict[int, str]) -> str:
    """The text object's base font name (PDFium leaves out the subset prefix)."""
    font = raw.FPDFTextObj_GetFont(text_object)
    key = ctypes.addressof(font.contents)
    if key not in cache:
        buffer = ctypes.create_string_buffer(256)
        raw.FPDFFont_GetBaseFontName(font, buffer, 256)
        cache[key] = buffer.value.decode("latin-1")
    return cache[key]


def _by_address(function, restype, *argtypes):
    """The same PDFium function taking and giving plain addresses (ints): ctypes then
    builds no pointer object a call, which counts when called for each character."""
    return ctypes.CFUNCTYPE(restype, *argtypes)(ctypes.cast(function, ctypes.c_void_p).value)


_ADDRESS = ctypes.c_void_p
_path_segment = _by_address(raw.FPDFPath_GetPathSegment, _ADDRESS, _ADDRESS, ctypes.c_int)
_segment_point = _by_address(raw.FPDFPathSegment_GetPoint, ctypes.c_int, _ADDRESS, _ADDRESS, _ADDRESS)
_segment_type = _by_address(raw.FPDFPathSegment_GetType, ctypes.c_int, _ADDRESS)
_segment_closes = _by_address(raw.FPDFPathSegment_GetClose, ctypes.c_int, _ADDRESS)
_SEGMENT_KINDS = {raw.FPDF_SEGMENT_MOVETO: "m", raw.FPDF_SEGMENT_LINETO: "l"}


def _subpaths(path_object) -> Iterator[tuple[list[tuple[float, float]], str, bool]]:
    """Each subpath's points in page space, its segment kinds ("m", "l", "c") and whether it is closed."""
    matrix = raw.FS_MATRIX()
    raw.FPDFPageObj_GetMatrix(path_object, matrix)
    a, b, c, d, e, f = matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f
    x, y = ctypes.c_float(), ctypes.c_float()
    x_address, y_address = ctypes.addressof(x), ctypes.addressof(y)
    path_address = ctypes.cast(path_object, ctypes.c_void_p).value
    points: list[tuple[float, float]] = []
    kinds, closed = "", False
    for index in range(raw.FPDFPath_CountSegments(path_object)):
        segment = _path_segment(path_address, index)
        _segment_point(segment, x_address, y_address)
        kind = _segment_type(segment)
        if kind == raw.FPDF_SEGMENT_MOVETO and points:
            yield points, kinds, closed
            points, kinds, closed = [], "", False
        points.append((a * x.value + c * y.value + e, b * x.value + d * y.value + f))
        kinds += _SEGMENT_KINDS.get(kind, "c")
        closed = closed or bool(_segment_closes(segment))
    if points:
        yield points, kinds, closed


def _kind(points: list[tuple[float, float]], kinds: str) -> str:
    if kinds == "ml":
        return "line"
    if "c" not in kinds and len(points) in (4, 5):
        corners = points[:4]
        if len(points) == 4 or points[4] == points[0]:
            edges = zip(corners, corners[1:] + corners[:1])
            if all(abs(x1 - x2) < 1e-3 or abs(y1 - y2) < 1e-3 for (x1, y1), (x2, y2) in edges):
                return "rect"
    return "curve"


def _shapes(path_object, order: int) -> Iterator[Shape]:
    fill_mode, stroke = ctypes.c_int(), ctypes.c_int()
    raw.FPDFPath_GetDrawMode(path_object, fill_mode, stroke)
    fill = _colour(raw.FPDFPageObj_GetFillColor, path_object)
    for points, kinds, _closed in _subpaths(path_object):
        xs, ys = [x for x, _ in points], [y for _, y in points]
        yield Shape(_kind(points, kinds), min(xs), min(ys), max(xs), max(ys), fill_mode.value != 0, fill, tuple(points), order)


def _page_text(text_page) -> str:
    """Every character of the text page, PDFium's generated ones included, in one call
    (the same as FPDFText_GetUnicode of each index: the sheets have no character beyond
    the Basic Multilingual Plane, which would take two UTF-16 units)."""
    count = raw.FPDFText_CountChars(text_page)
    buffer = ctypes.create_string_buffer((count + 1) * 2)
    raw.FPDFText_GetText(text_page, 0, count, ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)))
    text = buffer.raw[: count * 2].decode("utf-16-le")
    assert len(text) == count, "a character beyond the BMP: read them one by one"
    return text


# FPDFText_GetTextObject's text object, as the address that _page's `orders` are keyed by.
_text_object_address = _by_address(raw.FPDFText_GetTextObject, _ADDRESS, _ADDRESS, ctypes.c_int)
_char_origin = _by_address(raw.FPDFText_GetCharOrigin, ctypes.c_int, _ADDRESS, ctypes.c_int, _ADDRESS, _ADDRESS)
_loose_char_box = _by_address(raw.FPDFText_GetLooseCharBox, ctypes.c_int, _ADDRESS, ctypes.c_int, _ADDRESS)


def _chars(text_page, orders: dict[int, int], widths: dict[tuple[str, str], float]) -> list[Char]:
    """The characters of the text page (a raw FPDF_TEXTPAGE), as Char. A page has some
    1,500 of them: PDFium is called as few times a character as the boxes need."""
    page_address = ctypes.cast(text_page, ctypes.c_void_p).value
    fonts: dict[int, str] = {}
    chars: list[Char] = []
    box = raw.FS_RECTF()
    origin_x, origin_y = ctypes.c_double(), ctypes.c_double()
    box_ref, x_ref, y_ref = (ctypes.addressof(value) for value in (box, origin_x, origin_y))
    # The text object being read and what is the same for all its characters; how far
    # PDFium's positions lag in it.
    run, font, size, ink, descent, order, behind = 0, "", 0.0, WHITE_INK, 0.0, -1, 0.0
    last_y = last_right = last_x = float("nan")
    last_address, last_box, last_increment = 0, (0.0, 0.0), 0.0
    descents: dict[tuple[str, float], float] = {}  # by font and size, from glyphs drawn
    for index, text in enumerate(_page_text(text_page)):
        # PDFium adds spaces and line breaks between text runs (not in the PDF): only
        # those characters can be generated.
        if text in " \r\n" and raw.FPDFText_IsGenerated(text_page, index) == 1:
            continue
        _char_origin(page_address, index, x_ref, y_ref)
        x, y = origin_x.value, origin_y.value
        address = _text_object_address(page_address, index)
        if address != run:
            text_object = raw.FPDFText_GetTextObject(text_page, index)
            # A text object that goes on from the previous one in the same BT block (a font
            # change within a line) inherits its lag; one placed anew starts exact.
            goes_on = abs(y - last_y) < 0.01 and abs(x - last_right) < 3  # a squeezed space: below 0
            run, behind = address, behind if goes_on else 0.0
            font, size = _base_font(text_object, fonts), raw.FPDFText_GetFontSize(text_page, index)
            ink, order = _colour(raw.FPDFPageObj_GetFillColor, text_object), orders.get(address, -1)
            _loose_char_box(page_address, index, box_ref)
            descent = box.bottom - y
        text = "-" if text == "\x02" else text  # PDFium's mark for a hyphen ending a line
        # An /ActualText span (a word hyphenated at the line end, read whole): PDFium gives
        # each character of the replacement text the span's origin and an even share of
        # its width. The glyphs drawn are unknown: the characters keep those shares.
        replaced = bool(chars) and x == last_x and address == last_address
        if replaced:
            # Its boxes are not a glyph's: the baseline's descent is the font's, as drawn.
            descent = descents.get((font, size), descent)
        if replaced and not chars[-1].replaced:
            behind -= last_increment  # the first one was taken for a drawn glyph
            chars[-1] = dataclasses.replace(
                chars[-1], x0=x + behind, x1=last_box[1] + behind, y0=y + descent, y1=y + descent + size, replaced=True
            )
        advance = None if replaced else widths.get((font, text))
        _loose_char_box(page_address, index, box_ref)
        last_box, last_increment = (box.left, box.right), 0.0
        if advance is None:
            last_right = box.right
            x0, x1 = (box.left if replaced else x) + behind, box.right + behind
        else:
            last_right = x + int(advance) * size / 1000
            x0 = x + behind
            x1 = x0 + advance * size / 1000
            last_increment = (advance - int(advance)) * size / 1000
            behind += last_increment
        last_y, last_x, last_address = y, x, address
        if not replaced:
            descents.setdefault((font, size), descent)
        # pdfminer's box: from the descent line, one em high
        chars.append(Char(text, font, size, ink, x0, x1, y + descent, y + descent + size, order, replaced))
    return chars


def _page(number: int, page, widths: dict[tuple[str, str], float]) -> PageMarks:
    handle = page.raw
    orders: dict[int, int] = {}
    shapes: list[Shape] = []
    for index in range(raw.FPDFPage_CountObjects(handle)):
        page_object = raw.FPDFPage_GetObject(handle, index)
        kind = raw.FPDFPageObj_GetType(page_object)
        if kind == raw.FPDF_PAGEOBJ_TEXT:
            orders[ctypes.addressof(page_object.contents)] = index
        elif kind == raw.FPDF_PAGEOBJ_PATH:
            shapes.extend(_shapes(page_object, index))
    text_page = page.get_textpage()
    chars = _chars(text_page.raw, orders, widths)
    text_page.close()
    width, height = page.get_size()
    return PageMarks(number, width, height, chars, shapes)


def read_pages(path: Path) -> Iterator[PageMarks]:
    """The marks of every page of the PDF at `path`, page by page (numbered from 1)."""
    with pikepdf.open(path) as source:
        widths = _font_widths(source)
    document = pdfium.PdfDocument(str(path))
    try:
        for number in range(len(document)):
            page = document[number]
            try:
                yield _page(number + 1, page, widths)
            finally:
                page.close()
    finally:
        document.close()
