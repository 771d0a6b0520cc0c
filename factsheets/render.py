"""Render sheets to files: load once, compute indicators once, draw charts, lay out, write atomically.

Who does what with `--workers N` (benchmarks/bench_render.py measures it):

- The main process reads and validates the data and computes the indicators of every
  requested department, once (Polars). Bad input stops here, before any sheet is drawn.
- It renders sheets itself, alongside N - 1 helper processes. The helpers are started
  before the data is read, so their start-up overlaps the loading; they never import
  Polars nor read the data: each sheet's task carries its DepartmentIndicators. The
  region's and the nation's flows, shared by many sheets, travel as bytes pickled once per
  run and are unpickled once per helper (see _SharedAreas). A helper loads the config,
  texts and fonts once.
- Departments are handed out in region order: helpers take them from the front of the
  list, the main process from the back (it takes a task only while no helper has started
  it), so the work balances itself and each process meets a region's departments in a row.
- Region and France charts are drawn once per process and reused for every sheet.

A sheet is a pure function of its indicators and the config: the same bytes whichever
process renders it, alone or in bulk.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import re
import signal
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import NamedTuple

from .errors import FactsheetsError
from .files import write_atomically

# Nothing at module level imports Polars: helper processes import this module and must stay
# light (Polars costs ~0.3 s of start-up and ~100 MB per process).


@dataclass
class RenderReport:
    year: int
    written: dict[str, Path] = field(default_factory=dict)  # department code -> PDF path
    failures: dict[str, str] = field(default_factory=dict)  # department code -> one-line message


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def sheet_filename(year: int, code: str, name: str) -> str:
    """File names sort by year then code and say what they are: commerce-exterieur-2024-02-aisne.pdf."""
    return f"commerce-exterieur-{year}-{code.lower()}-{slugify(name)}.pdf"


def prepare_output_dir(out_dir: Path) -> Path:
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out_dir, prefix=".write-test-", delete=True)
        probe.close()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise FactsheetsError(f"{out_dir} : impossible d'écrire dans le dossier de sortie ({reason}) ; choisissez-en un autre avec --out") from None
    return out_dir


def is_synthetic(data: Path) -> bool:
    """The bundled sample says it is synthetic in its Parquet metadata."""
    if Path(data).suffix.lower() != ".parquet":
        return False
    import polars as pl

    try:
        return pl.read_parquet_metadata(data).get("factsheets.synthetic") == "true"
    except Exception:  # unreadable metadata: the loader reports the real problem
        return False


def default_workers() -> int:
    """The number of cores this process may run on (the default of `render --workers`)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


class SheetDrawer:
    """What drawing a sheet needs, loaded once per process: config, texts, fonts, logos.

    No data and no Polars: helper processes hold only this and receive the indicators.
    """

    def __init__(self):
        from .config import settings, texts
        from .fonts import register_pdf_fonts

        self.settings = settings()
        self.texts = texts()
        self.fonts = register_pdf_fonts(self.settings)
        self.logos = _find_logos(self.settings)
        self._area_charts: dict[tuple[str, str], tuple] = {}

    def _shared_sankeys(self, area) -> tuple:
        """Export and import Sankeys of a region or the nation, drawn once per process."""
        from .charts import sankey_chart

        key = (area.level, area.territory.code)
        if key not in self._area_charts:
            self._area_charts[key] = (
                sankey_chart(area.exports, self.settings, size="region"),
                sankey_chart(area.imports, self.settings, size="region"),
            )
        return self._area_charts[key]

    def draw(self, ind, synthetic: bool) -> bytes:
        """The PDF bytes of one sheet."""
        from .charts import balance_chart, sankey_chart, treemap_chart
        from .layout import SheetCharts, build_sheet

        region_export, region_import = self._shared_sankeys(ind.region_flows)
        nation_export, nation_import = self._shared_sankeys(ind.nation_flows)
        charts = SheetCharts(
            balance=balance_chart(ind.balance_countries, self.settings),
            treemap=treemap_chart(ind.local.imports, ind.local.exports, self.settings),
            export_sankey=sankey_chart(ind.local.exports, self.settings),
            import_sankey=sankey_chart(ind.local.imports, self.settings),
            region_export_sankey=region_export,
            region_import_sankey=region_import,
            nation_export_sankey=nation_export,
            nation_import_sankey=nation_import,
        )
        return build_sheet(ind, charts, self.texts, self.fonts, self.settings, self.logos, synthetic)

    def write(self, ind, synthetic: bool, out_dir: Path) -> Path:
        path = Path(out_dir) / sheet_filename(ind.year, ind.department.code, ind.department.name)
        write_atomically(path, self.draw(ind, synthetic))
        return path


class SheetRenderer(SheetDrawer):
    """A SheetDrawer plus the data: loads and validates it and computes the indicators of `codes`."""

    def __init__(self, data: Path, year: int | None, codes: Sequence[str]):
        from .reference import load_reference
        from .validate import choose_year, load_trade_data

        super().__init__()
        self.reference = load_reference()
        self._trade = load_trade_data(data, self.reference)
        self.year = choose_year(self._trade, year, data)
        self.synthetic = is_synthetic(data)
        self.indicators = {}
        self.add(codes)

    def add(self, codes: Sequence[str]) -> None:
        """Compute the indicators of more departments (the same as if computed with the first)."""
        from .indicators import compute_all

        new = [code for code in dict.fromkeys(codes) if code not in self.indicators]
        if new:
            self.indicators.update(compute_all(self._trade, self.reference, self.settings, self.year, new))

    def sheet_bytes(self, code: str) -> bytes:
        return self.draw(self.indicators[code], self.synthetic)

    def render_to(self, code: str, out_dir: Path) -> Path:
        return self.write(self.indicators[code], self.synthetic, out_dir)


def _find_logos(settings: dict):
    from .layout import Logos
    from .paths import PROJECT_ROOT

    configured = settings.get("logos") or {}
    found = {}
    for key in ("government", "agency"):
        name = configured.get(key)
        path = (PROJECT_ROOT / name) if name else None
        found[key] = path if path is not None and path.is_file() else None
    return Logos(**found)


def _outcome(code: str, attempt: Callable[[], Path]) -> tuple[str, str | None, str | None]:
    """(code, path, None) on success, (code, None, message) on failure: one sheet never stops the rest."""
    try:
        return code, str(attempt()), None
    except FactsheetsError as error:
        return code, None, str(error)
    except Exception as error:  # a bug in one sheet must not lose the others
        return code, None, f"{type(error).__name__}: {error}"


def _render_one(renderer: SheetRenderer, code: str, out_dir: Path) -> tuple[str, str | None, str | None]:
    return _outcome(code, lambda: renderer.render_to(code, out_dir))


# -- helper processes ---------------------------------------------------------------------
# Departments per helper whose indicators are computed (and handed out) before the others':
# enough to keep a helper drawing while this process computes the rest (~0.1 s a sheet).
FIRST_BATCH = 6
_helper: SheetDrawer | None = None
_helper_error: str | None = None


class _HelperTask(NamedTuple):
    """One sheet for a helper: the department's indicators without the shared areas, which
    come as pickled bytes (see _SharedAreas)."""

    local: object  # DepartmentIndicators with region_flows and nation_flows set to None
    region: bytes
    nation: bytes


class _SharedAreas:
    """Region and nation flows sent to helpers as pickled bytes, pickled and unpickled once.

    They are the larger part of a sheet's indicators (two thirds of the pickled size, most
    of the unpickling time) and the same for every department of a region. This process
    pickles each area once (`pack`); a helper unpickles each distinct payload once
    (`unpack`, keyed by the bytes themselves, so equal bytes always mean the same area).
    """

    def __init__(self):
        self._packed: dict[int, tuple[object, bytes]] = {}  # id(area) -> (area, its bytes)
        self._unpacked: dict[bytes, object] = {}

    def _bytes(self, area) -> bytes:
        # The area is kept alongside its bytes so that its id cannot be reused meanwhile.
        if id(area) not in self._packed:
            self._packed[id(area)] = (area, pickle.dumps(area, protocol=pickle.HIGHEST_PROTOCOL))
        return self._packed[id(area)][1]

    def pack(self, ind) -> _HelperTask:
        local = dataclasses.replace(ind, region_flows=None, nation_flows=None)
        return _HelperTask(local, self._bytes(ind.region_flows), self._bytes(ind.nation_flows))

    def unpack(self, task: _HelperTask):
        """The full indicators again, equal to those `pack` was given."""
        for payload in (task.region, task.nation):
            if payload not in self._unpacked:
                self._unpacked[payload] = pickle.loads(payload)
        return dataclasses.replace(
            task.local, region_flows=self._unpacked[task.region], nation_flows=self._unpacked[task.nation]
        )


_helper_areas = _SharedAreas()


def _init_helper() -> None:
    """Load config, texts and fonts once. Never raises: a failure is reported with each sheet."""
    global _helper, _helper_error
    # Ctrl-C is the main process's to handle: it stops handing out work and waits for the
    # sheets in progress (no traceback from the helpers).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _helper = SheetDrawer()
        # The drawing modules too: the helper is idle until the first indicators arrive.
        from . import charts, layout  # noqa: F401
    except Exception as error:
        _helper_error = str(error) if isinstance(error, FactsheetsError) else f"{type(error).__name__}: {error}"


def _helper_ready() -> int:
    """A no-op task: submitting it starts a helper process right away."""
    return os.getpid()


def _render_in_helper(task: _HelperTask, synthetic: bool, out_dir: Path) -> tuple[str, str | None, str | None]:
    code = task.local.department.code
    if _helper is None:
        return code, None, f"le processus de rendu n'a pas pu démarrer : {_helper_error}"
    return _outcome(code, lambda: _helper.write(_helper_areas.unpack(task), synthetic, out_dir))


def _region_order(renderer_codes: Sequence[str]) -> list[str]:
    """Departments grouped by region so each worker meets a region's charts in a row."""
    from .reference import load_reference

    reference = load_reference()
    return sorted(renderer_codes, key=lambda code: (reference.department(code)[2], code))


def render_departments(
    codes: Sequence[str],
    *,
    year: int | None,
    data: Path,
    out_dir: Path,
    workers: int = 1,
    show_progress: bool = False,
    on_done: Callable[[str], None] | None = None,
) -> RenderReport:
    """Render the sheets of `codes`; failures are collected, not raised (bad input still raises).

    `workers` processes render: this one and `workers - 1` helpers.
    """
    out_dir = prepare_output_dir(out_dir)
    codes = list(dict.fromkeys(codes))
    ordered = _region_order(codes)  # also rejects an unknown code before anything starts
    workers = max(1, min(workers, len(codes)))
    pool = None
    if workers > 1:
        # Started first, so that their start-up overlaps the loading below.
        # Spawn, not fork: fork is unsafe with Polars' thread pool.
        pool = ProcessPoolExecutor(workers - 1, mp_context=get_context("spawn"), initializer=_init_helper)
        try:
            for _ in range(workers - 1):
                pool.submit(_helper_ready)
        except BrokenProcessPool:  # a helper died at once: this process renders everything
            pass
    try:
        # Loading here validates the data and the year before any sheet is drawn. With
        # helpers, the first departments' indicators are computed alone, so that the helpers
        # start drawing while this process computes the others.
        first = ordered[:FIRST_BATCH * (workers - 1)] if pool is not None else ordered
        renderer = SheetRenderer(data, year, first)
        report = RenderReport(year=renderer.year)
        with _Progress(len(codes), show_progress) as progress:
            if pool is None:
                for code in ordered:
                    _record(report, _render_one(renderer, code, out_dir), progress, on_done)
            else:
                _render_shared(renderer, pool, ordered, len(first), out_dir, report, progress, on_done)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return report


def _render_shared(renderer: SheetRenderer, pool: ProcessPoolExecutor, ordered: list[str], ready: int,
                   out_dir: Path, report: RenderReport, progress: "_Progress", on_done) -> None:
    """Helpers take the departments from the front, this process from the back.

    The indicators of the first `ready` departments are computed already; they are handed
    out before the others are computed. A department whose helper died (killed, out of
    memory) is rendered here instead.
    """
    futures: dict[Future, str] = {}
    shared = _SharedAreas()
    try:
        for batch in (ordered[:ready], ordered[ready:]):
            renderer.add(batch)
            for code in batch:
                task = shared.pack(renderer.indicators[code])
                futures[pool.submit(_render_in_helper, task, renderer.synthetic, out_dir)] = code
    except BrokenProcessPool:  # a helper died already: the rest is not handed out
        renderer.add(ordered)
    handed_out = set(futures.values())
    orphans = [code for code in ordered if code not in handed_out]
    pending = set(futures)

    def collect(done) -> None:
        for future in done:
            pending.discard(future)
            code = futures[future]
            try:
                result = future.result()
            except BrokenProcessPool:
                orphans.append(code)
                continue
            except Exception as error:  # e.g. the indicators could not be sent to the helper
                result = (code, None, f"{type(error).__name__}: {error}")
            _record(report, result, progress, on_done)

    for future in reversed(list(futures)):
        if not future.cancel():  # a helper has it, so every department before it is taken too
            break
        pending.discard(future)
        _record(report, _render_one(renderer, futures[future], out_dir), progress, on_done)
        collect([f for f in pending if f.done()])
    while pending:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        collect(done)
    for code in orphans:
        _record(report, _render_one(renderer, code, out_dir), progress, on_done)


def _record(report: RenderReport, result, progress: "_Progress", on_done) -> None:
    code, path, message = result
    if path is not None:
        report.written[code] = Path(path)
    else:
        report.failures[code] = message
    progress.advance(code)
    if on_done:
        on_done(code)


class _Progress:
    """A rich progress bar on stderr (stdout carries only the written paths)."""

    def __init__(self, total: int, enabled: bool):
        self.enabled = enabled and total > 0
        self.total = total
        self._progress = None

    def __enter__(self):
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("fiches"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                TextColumn("{task.description}"), console=Console(stderr=True), transient=False,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("", total=self.total)
        return self

    def advance(self, code: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, advance=1, description=code)

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.__exit__(*exc)
        return False
