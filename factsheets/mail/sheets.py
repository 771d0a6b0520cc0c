"""The sheets to attach: rendered afresh in memory, so an attachment is always what `render`
makes now from the given data and the current configuration.

A file on disk that differs (made from other data or settings, truncated, damaged) or is
missing is (re)written atomically with the fresh bytes, and the run says so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..errors import FactsheetsError
from ..files import write_atomically

# What happened to the file on disk.
UP_TO_DATE, REWRITTEN, WRITTEN = "up-to-date", "rewritten", "written"


@dataclass
class Sheet:
    code: str
    path: Path
    content: bytes
    disk: str  # UP_TO_DATE | REWRITTEN | WRITTEN

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def disk_note(self) -> str:
        if self.disk == REWRITTEN:
            return "fiche recalculée (le fichier sur disque ne correspondait plus aux données ni à la configuration)"
        if self.disk == WRITTEN:
            return "fiche produite (absente du disque)"
        return ""


class FreshSheets:
    """Renders sheets in memory from `data` (the render module's own functions)."""

    def __init__(self, data: Path, year: int | None, codes: Sequence[str]):
        from ..render import SheetRenderer

        self._renderer = SheetRenderer(data, year, codes)
        self.year: int = self._renderer.year
        self.synthetic: bool = self._renderer.synthetic

    def sheet_bytes(self, code: str) -> bytes:
        return self._renderer.sheet_bytes(code)


def refresh(source, codes: Sequence[str], names: dict[str, str], out_dir: Path,
            problems: list[str]) -> dict[str, Sheet]:
    """The fresh sheet of each department; the file on disk made equal to it."""
    from ..render import prepare_output_dir, sheet_filename

    prepare_output_dir(out_dir)
    sheets = {}
    for code in codes:
        path = Path(out_dir) / sheet_filename(source.year, code, names[code])
        try:
            content = source.sheet_bytes(code)
        except FactsheetsError as error:
            problems.append(f"{path} : impossible de produire la fiche du département {code} : {error}")
            continue
        try:
            on_disk = path.read_bytes() if path.is_file() else None
        except OSError:
            on_disk = b""  # unreadable: rewritten below
        disk = UP_TO_DATE if on_disk == content else (WRITTEN if on_disk is None else REWRITTEN)
        if disk != UP_TO_DATE:
            try:
                write_atomically(path, content)
            except OSError as error:
                problems.append(f"{path} : écriture de la fiche impossible ({error.strerror or error})")
                continue
        sheets[code] = Sheet(code, path, content, disk)
    return sheets
