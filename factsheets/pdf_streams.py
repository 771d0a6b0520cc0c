"""Writing a sheet's PDF objects at less cost, in the same bytes.

Of the some sixteen streams a sheet compresses, several are the same from sheet to sheet:
the subsets of the bold, semibold and italic faces (the same headings on every sheet),
their ToUnicode maps, an identical page. zlib gives the same bytes for the same input, so
`compressing_once` keeps the compressed bytes by the input's digest and gives them back
instead of compressing again (1-2 ms per sheet).

Every name, number and key of every object goes through `pdfdoc.pdfdocEnc`, the
PDFDocEncoding codec, some 1 500 times a sheet at ~1.3 µs each. For ASCII text that codec
gives the ASCII bytes, except for U+0018-U+001F, which PDFDocEncoding gives to accents
(it raises on them): `compressing_once` also encodes the other ASCII strings directly.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from reportlab.pdfbase import pdfdoc

# Streams remembered (least recently used dropped first): a sheet compresses some sixteen,
# and those shared by every sheet come back at each one; a few MB at most.
REMEMBERED_STREAMS = 128


class _FlateOnce(pdfdoc.PDFStreamFilterZCompress):
    """ReportLab's FlateDecode filter, remembering what it compressed."""

    def __init__(self) -> None:
        self._compressed: OrderedDict[bytes, bytes] = OrderedDict()

    def encode(self, text):
        if isinstance(text, str):
            text = text.encode("utf8")
        key = hashlib.sha256(text).digest()
        compressed = self._compressed.get(key)
        if compressed is None:
            compressed = self._compressed[key] = zlib.compress(text)
            if len(self._compressed) > REMEMBERED_STREAMS:
                self._compressed.popitem(last=False)
        else:
            self._compressed.move_to_end(key)
        return compressed


_FLATE_ONCE = _FlateOnce()


def forget_compressed() -> None:
    """Forget every stream compressed so far: the next of each is compressed again (for a
    benchmark that times compression after an untimed drawing of the same streams)."""
    _FLATE_ONCE._compressed.clear()


# The ASCII characters PDFDocEncoding does not give their own byte (the codec raises).
_NOT_PDFDOC_ASCII = re.compile("[\x18-\x1f]")
_PDFDOC_ENCODE = pdfdoc.pdfdocEnc


def _pdfdoc_encoded(text):
    """pdfdoc.pdfdocEnc(text), directly for an ASCII str the codec would encode as ASCII."""
    if type(text) is str and text.isascii() and _NOT_PDFDOC_ASCII.search(text) is None:
        return text.encode("ascii")
    return _PDFDOC_ENCODE(text)


@contextmanager
def compressing_once() -> Iterator[None]:
    """While a document is built and saved, its streams go through `_FlateOnce` and its
    ASCII strings through `_pdfdoc_encoded`.

    ReportLab names its filter as the module attribute `pdfdoc.PDFZCompress` when it writes
    a page, a form or a font subset, and its encoder as `pdfdoc.pdfdocEnc`; both are swapped
    for the time of the build only (rendering is single-threaded per process), as
    fonts.TaggedTTFont swaps SUBSETN.
    """
    plain_filter, plain_encoder = pdfdoc.PDFZCompress, pdfdoc.pdfdocEnc
    pdfdoc.PDFZCompress, pdfdoc.pdfdocEnc = _FLATE_ONCE, _pdfdoc_encoded
    try:
        yield
    finally:
        pdfdoc.PDFZCompress, pdfdoc.pdfdocEnc = plain_filter, plain_encoder
