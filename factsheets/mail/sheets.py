"""The sheets to attach: rendered afresh in memory, so an attachment is always what `render`
makes now from the given data and the current configuration.

A file on disk that differs (made from other data or settings, truncated, damaged) or is
missing is (re)written atomically with the fresh bytes, and the run says so. A sheet already
rendered and checked by an earlier run for exactly the same inputs (see `render_inputs`)
whose file still has the recorded bytes is not drawn again (`CheckedSheets`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import FactsheetsError, Problem, Problems, prefixed, write_problem
from ..files import write_atomically

if TYPE_CHECKING:
    from ..render import SheetRenderer

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

        self.data = data
        self.renderer = SheetRenderer(data, year, codes)  # fresh_annexes reuses it
        self.year: int = self.renderer.year
        self.synthetic: bool = self.renderer.synthetic
        # `render --dept` refuses a department without any row in the year (it would be an
        # empty sheet): so does mail, from the same dataset.departments.
        self._present = self.renderer.dataset.departments

    def sheet_bytes(self, code: str) -> bytes:
        if code not in self._present:
            raise FactsheetsError(
                f"aucune donnée pour ce département en {self.year} dans {self.data} ; "
                "vérifiez --data et --year, ou retirez-le du fichier des destinataires"
            )
        return self.renderer.sheet_bytes(code)


def refresh(source, codes: Sequence[str], names: dict[str, str], out_dir: Path, problems: Problems) -> dict[str, Sheet]:
    """The fresh sheet of each department; the file on disk made equal to it."""
    from ..render import prepare_output_dir, sheet_filename

    prepare_output_dir(out_dir)
    sheets = {}
    for code in codes:
        path = Path(out_dir) / sheet_filename(source.year, code, names[code])
        try:
            content = source.sheet_bytes(code)
        except FactsheetsError as error:
            problems.extend(prefixed(f"{path} : impossible de produire la fiche du département {code} : ", error))
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
                what, fix = write_problem(path.parent, error)
                problems.add(Problem(str(path), what=f"fiche non écrite, {what}", fix=fix))
                continue
        sheets[code] = Sheet(code, path, content, disk)
    return sheets


# -- sheets checked earlier ----------------------------------------------------------------------
# A sheet is a pure function of the data, the year asked, the configuration, the fonts and
# assets, the code and its drawing libraries (render/: same input, same bytes). So a sheet
# this module rendered and checked before, for the very same inputs, need not be drawn again
# while the file still has the bytes recorded for it. Anything else is rendered afresh.
MANIFEST = ".mail-sheets.json"
_LIBRARIES = ("reportlab", "matplotlib", "polars", "pyphen", "squarify", "rl-accel", "pycountry")


def render_inputs(data: Path, year: int | None) -> str:
    """A digest of everything a sheet is made from (data, year, config, fonts, code, libraries)."""
    import importlib.metadata
    import importlib.resources
    import sys

    from .. import paths

    digest = hashlib.sha256()

    def add(label: str, content: bytes) -> None:
        digest.update(f"{label}\0{len(content)}\0".encode())
        digest.update(content)

    add("data", Path(data).read_bytes())
    add("year", str(year).encode())
    package = Path(str(importlib.resources.files("factsheets")))
    # The fonts of a user's configuration (--config DIR/fonts) come first, as fonts.py looks them up.
    for index, root in enumerate((paths.CONFIG_DIR, *paths.font_dirs(), paths.ASSETS_DIR, package)):
        for path in sorted(Path(root).rglob("*")) if Path(root).is_dir() else []:
            if path.is_file() and "__pycache__" not in path.parts:
                add(f"{index}:{path.relative_to(root)}", path.read_bytes())
    add("SOURCE_DATE_EPOCH", os.environ.get("SOURCE_DATE_EPOCH", "").encode())  # the PDF's creation date
    for name in _LIBRARIES:
        try:
            add(name, importlib.metadata.version(name).encode())
        except importlib.metadata.PackageNotFoundError:
            add(name, b"absent")
    add("python", sys.version.encode())
    return digest.hexdigest()


class CheckedSheets:
    """<out>/.mail-sheets.json: the sheets rendered and checked for one set of inputs."""

    def __init__(self, out_dir: Path, inputs: str):
        self.path = Path(out_dir) / MANIFEST
        self.inputs = inputs
        self.year: int | None = None
        self.sheets: dict[str, dict] = {}
        try:
            payload = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # none yet, or unreadable: every sheet is rendered
        if (
            isinstance(payload, dict)
            and payload.get("inputs") == inputs
            and isinstance(payload.get("sheets"), dict)
            and isinstance(payload.get("year"), int)
        ):
            self.year, self.sheets = payload["year"], payload["sheets"]

    def sheet(self, code: str, path: Path) -> Sheet | None:
        """The sheet of `code` if its file still has the bytes checked for these inputs."""
        entry = self.sheets.get(code)
        if not isinstance(entry, dict) or entry.get("file") != path.name:
            return None
        try:
            content = path.read_bytes()
        except OSError:
            return None
        sheet = Sheet(code, path, content, UP_TO_DATE)
        return sheet if sheet.sha256 == entry.get("sha256") else None

    def save(self, year: int, sheets: dict[str, Sheet]) -> None:
        if year != self.year:
            self.sheets = {}
        self.year = year
        self.sheets.update({code: {"file": sheet.path.name, "sha256": sheet.sha256} for code, sheet in sheets.items()})
        payload = {"inputs": self.inputs, "year": year, "sheets": self.sheets}
        try:
            write_atomically(self.path, (json.dumps(payload, indent=1, sort_keys=True) + "\n").encode("utf-8"))
        except OSError:
            pass  # only a shortcut for the next run: without it, that run renders again


def fresh_sheets(
    data: Path, year: int | None, codes: Sequence[str], names: dict[str, str], out_dir: Path, problems: Problems
) -> tuple[dict[str, Sheet], int, SheetRenderer | None]:
    """(code -> sheet, year, renderer): each sheet checked for these very inputs, or rendered
    now by `renderer` (None when every sheet was the checked one: nothing was loaded)."""
    from ..render import sheet_filename

    try:
        inputs = render_inputs(data, year)
    except OSError:
        inputs = ""  # unreadable data: the renderer below reports it
    checked = CheckedSheets(out_dir, inputs) if inputs else None
    sheets: dict[str, Sheet] = {}
    if checked is not None and checked.year is not None:
        for code in codes:
            sheet = checked.sheet(code, Path(out_dir) / sheet_filename(checked.year, code, names[code]))
            if sheet is not None:
                sheets[code] = sheet
    missing = [code for code in codes if code not in sheets]
    if not missing:
        return sheets, checked.year, None
    source = FreshSheets(data, year, missing)  # raises FactsheetsError on bad data
    rendered = refresh(source, missing, names, out_dir, problems)
    if checked is not None:
        checked.save(source.year, rendered)
    sheets.update(rendered)
    return sheets, source.year, source.renderer


# -- data annexes (config/mail.yaml: annexe) ------------------------------------------------------
# MIME type of each annex format.
ANNEX_TYPES = {"xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"), "csv": ("text", "csv")}


def fresh_annexes(
    data: Path,
    year: int,
    codes: Sequence[str],
    names: dict[str, str],
    out_dir: Path,
    kind: str,
    problems: Problems,
    renderer: SheetRenderer | None = None,
) -> dict[str, tuple[Path, bytes]]:
    """(path, bytes) of each department's data annex, computed now from `data` as `render
    --annexe` makes it; the file next to the sheet is (re)written when it differs.

    `renderer` is the one fresh_sheets rendered with (same data and year): its loaded data
    and indicators are reused; without it (every sheet was already checked) one is built.
    """
    from ..annex import Annexes, annex_path
    from ..render import SheetRenderer, sheet_filename

    if renderer is None:
        renderer = SheetRenderer(data, year, codes)
    else:
        renderer.add(codes)
    writer = Annexes(renderer.texts, kind)
    annexes = {}
    for code in codes:
        path = annex_path(Path(out_dir) / sheet_filename(renderer.year, code, names[code]), kind)
        content = writer.content(renderer.sheet_content(renderer.indicators[code], renderer.synthetic))
        try:
            if not path.is_file() or path.read_bytes() != content:
                write_atomically(path, content)
        except OSError as error:
            what, fix = write_problem(path.parent, error)
            problems.add(Problem(str(path), what=f"annexe non écrite, {what}", fix=fix))
            continue
        annexes[code] = (path, content)
    return annexes
