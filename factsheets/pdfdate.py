"""The creation date written in a sheet's PDF: the edition's publication date.

ReportLab writes a fixed date (2000-01-01) in invariant mode, or SOURCE_DATE_EPOCH when it is
set; `dated_canvas` makes it write a given date instead, keeping the bytes deterministic.
"""

from __future__ import annotations

import datetime

from reportlab.pdfgen.canvas import Canvas


def dated_canvas(moment: datetime.datetime | None, base: type[Canvas] = Canvas) -> type[Canvas]:
    """A ReportLab canvas class (derived from `base`) whose PDF says it was created (and
    modified) at `moment`; `base` itself when `moment` is None."""
    if moment is None:
        return base
    utc = moment.astimezone(datetime.UTC)
    stamp = f"D:{utc:%Y%m%d%H%M%S}+00'00'"

    class DatedCanvas(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.setDateFormatter(lambda *_: stamp)

    return DatedCanvas
