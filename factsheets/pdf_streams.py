"""PDF streams compressed once per process when their bytes come back.

Of the some sixteen streams a sheet compresses, several are the same from sheet to sheet:
the subsets of the bold, semibold and italic faces (the same headings on every sheet),
their ToUnicode maps, an identical page. zlib gives the same bytes for the same input, so
`compressing_once` keeps the compressed bytes by the input's digest and gives them back
instead of compressing again (1-2 ms per sheet).
"""

from __future__ import annotations

import hashlib
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


@contextmanager
def compressing_once() -> Iterator[None]:
    """While a document is saved, its streams go through `_FlateOnce`.

    ReportLab names its filter as the module attribute `pdfdoc.PDFZCompress` when it writes
    a page, a form or a font subset; it is swapped for the time of the save only (rendering
    is single-threaded per process), as fonts.TaggedTTFont swaps SUBSETN.
    """
    plain = pdfdoc.PDFZCompress
    pdfdoc.PDFZCompress = _FLATE_ONCE
    try:
        yield
    finally:
        pdfdoc.PDFZCompress = plain
