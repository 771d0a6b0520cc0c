"""Render sheets to files: load once, compute indicators once, draw charts, lay out, write atomically.

Who does what with `--workers N` (benchmarks/bench_render.py measures it):

- The main process reads and validates the data and computes the indicators of every
  requested department, once (Polars). Bad input stops here, before any sheet is drawn.
- It renders sheets itself, alongside N - 1 helper processes. The helpers are started
  first, before Polars is imported, so their start-up overlaps the loading; they never
  import Polars nor read the data: each sheet's task carries its DepartmentIndicators. On
  Linux they are forked at that moment (a single-threaded process without Polars, so fork
  is safe), which spares each helper a new interpreter and the CLI's imports, and lets it
  exit without a full interpreter shutdown; elsewhere, or once Polars is loaded (a process
  calling render_departments twice, the tests), they are spawned. The
  region's and the nation's flows, shared by many sheets, travel as bytes pickled once per
  run and are unpickled once per helper (see _SharedAreas). A helper loads the config,
  texts and fonts once.
- Departments are handed out in region order: helpers take them from the front of the
  list, the main process from the back, each claiming a sheet just before drawing it (see
  _Claims), so the work balances itself to within one sheet and each process meets a
  region's departments in a row.
- Region and France charts are built once per process and reused for every sheet; their
  shapes' PDF operators are formatted once too (charts.vector.CanvasChart).

A sheet is a pure function of its indicators and the config: the same bytes whichever
process renders it, alone or in bulk.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
import re
import signal
import sys
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import NamedTuple

from .errors import FactsheetsError, write_failure
from .files import write_atomically

# Nothing at module level imports Polars: helper processes import this module and must stay
# light (Polars costs ~0.3 s of start-up and ~100 MB per process).


class SheetOptions(NamedTuple):
    """What goes beyond the published sheet (render --evolution, --annexe)."""

    evolution: bool = False  # the evolution page, when the data has more than one year
    annex: str | None = None  # "xlsx" or "csv": the figures next to each PDF
    html: bool = False  # the sheet as a web page next to each PDF, and index.html for several


@dataclass
class RenderReport:
    year: int
    codes: list[str] = field(default_factory=list)  # the requested departments, normalised, in the order asked
    written: dict[str, Path] = field(default_factory=dict)  # department code -> PDF path
    failures: dict[str, str] = field(default_factory=dict)  # department code -> one-line message
    # Requested departments with no configured Territoires d'industrie list (no list on their cover).
    without_territoires: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)  # --all: departments without data in the year, not rendered
    notes: list[str] = field(default_factory=list)  # one-line remarks for stderr (said once per run)
    summaries: list[Path] = field(default_factory=list)  # synthese-{year}.csv / .xlsx, several departments


def slugify(text: str) -> str:
    # the typographic apostrophe separates words as the straight one does: côtes-d-armor
    ascii_text = unicodedata.normalize("NFKD", text.replace("\u2019", "'")).encode("ascii", "ignore").decode("ascii")
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
        raise FactsheetsError(f"{out_dir} : dossier de sortie inutilisable, {write_failure(out_dir, error)} (--out)") from None
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

    def __init__(self, options: SheetOptions = SheetOptions()):
        from .config import settings, texts
        from .fonts import register_pdf_fonts

        self.options = options
        self.settings = settings()
        self.texts = texts()
        self.fonts = register_pdf_fonts(self.settings)
        self.logos = _find_logos(self.settings)
        self._area_charts: dict[tuple, object] = {}  # a region's and France's Sankeys (charts.registry)
        self._annexes = None  # annex.Annexes of this run, made at the first annex
        self._editions: dict[int, tuple] = {}
        self._fonts_css: str | None = None

    def edition(self, year: int) -> tuple[dict, object]:
        """The texts of `year`'s sheets and their PDF creation date (see config.sheet_texts)."""
        if year not in self._editions:
            from .config import edition_of, pdf_timestamp, sheet_texts

            self._editions[year] = (sheet_texts(year, self.texts), pdf_timestamp(edition_of(self.texts, year)))
        return self._editions[year]

    def draw(self, ind, synthetic: bool) -> bytes:
        """The PDF bytes of one sheet."""
        return self._draw(ind, synthetic)[0]

    def _draw(self, ind, synthetic: bool):
        """The PDF bytes of one sheet and the charts drawn for it."""
        from .charts.registry import draw_charts
        from .layout import build_sheet

        # The charts the sheet shows (charts.registry); a region's and France's drawn once per process.
        charts = draw_charts(ind, self.settings, self.fonts, evolution=self.options.evolution, shared=self._area_charts)
        year_texts, created = self.edition(ind.year)
        return build_sheet(ind, charts, year_texts, self.fonts, self.settings, self.logos, synthetic, created), charts

    def web_page(self, ind, synthetic: bool, charts, pdf_path: Path) -> str:
        """The sheet's web page (render --html), from the same content and charts as its PDF."""
        from .content import build_content
        from .html import sheet_html

        year_texts, _ = self.edition(ind.year)
        content = build_content(ind, charts, year_texts, synthetic)
        annex_name = pdf_path.with_suffix("." + self.options.annex).name if self.options.annex else None
        return sheet_html(content, year_texts, self.fonts_css(), pdf_path.name, annex_name)

    def fonts_css(self) -> str:
        """The pages' @font-face rules, looked up once per process (the same for every page)."""
        if self._fonts_css is None:
            from .fonts import font_files
            from .html import font_css

            self._fonts_css = font_css(font_files(self.settings), self.fonts.family)
        return self._fonts_css

    def write(self, ind, synthetic: bool, out_dir: Path) -> Path:
        """Write the sheet (and its annex when asked); the PDF's path."""
        path = Path(out_dir) / sheet_filename(ind.year, ind.department.code, ind.department.name)
        sheet, charts = self._draw(ind, synthetic)  # first: a sheet that cannot be drawn leaves no annex behind
        page = self.web_page(ind, synthetic, charts, path) if self.options.html else None
        if self.options.annex:
            if self._annexes is None:
                from .annex import Annexes

                self._annexes = Annexes(self.texts, self.options.annex)
            self._annexes.write(ind, path, synthetic)
        if page is not None:
            from .html import sheet_html_name

            write_atomically(path.with_name(sheet_html_name(path.name)), page.encode("utf-8"))
        write_atomically(path, sheet)
        return path


class SheetRenderer(SheetDrawer):
    """A SheetDrawer plus the data: loads and validates it and computes the indicators of `codes`."""

    def __init__(
        self, data: Path, year: int | None, codes: Sequence[str], options: SheetOptions = SheetOptions(), history: bool = True
    ):
        """`history`: read every year up to the sheet's (the evolution series, the annexes), else only its year."""
        from .reference import load_reference
        from .validate import load_year_data

        super().__init__(options)
        self.reference = load_reference()
        self._trade, self.year, self.years = load_year_data(data, self.reference, year, history)
        from .coverage import Coverage

        self.coverage = Coverage.of(self._trade, self.reference, self.year, data)
        self.synthetic = is_synthetic(data)
        self.indicators = {}
        self.add(codes)

    def add(self, codes: Sequence[str]) -> None:
        """Compute the indicators of more departments (the same as if computed with the first)."""
        from .indicators import compute_all

        new = [code for code in dict.fromkeys(codes) if code not in self.indicators]
        if new:
            self.indicators.update(compute_all(self._trade, self.reference, self.settings, self.year, new, self.coverage))

    def coverage_notes(self, codes: Sequence[str]) -> list[str]:
        """Why the sheets of `codes` leave France or their region out (one line each), if they do."""
        regions = [self.reference.department(code)[2] for code in codes]
        notes = [
            self.coverage.nation_note(),
            self.coverage.region_note([region for region in regions if len(self.coverage.regions.get(region, ())) > 1]),
        ]
        return [note for note in notes if note]

    def no_history_note(self) -> str:
        """Why the evolution page is left out: one year only, or none before the sheet's."""
        years = self.years
        if len(years) == 1:
            return f"une seule année ({self.year}) dans les données : la page « Évolution » est omise"
        return f"aucune année avant {self.year} dans les données : la page « Évolution » est omise"

    def sheet_bytes(self, code: str) -> bytes:
        return self.draw(self.indicators[code], self.synthetic)

    def render_to(self, code: str, out_dir: Path) -> Path:
        return self.write(self.indicators[code], self.synthetic, out_dir)


def _find_logos(settings: dict):
    """The logo files of settings.yaml `logos:` (`factsheets check` has made sure they exist)."""
    from .layout import Logos
    from .paths import logo_path

    configured = settings.get("logos") or {}
    found = {}
    for key in ("government", "agency"):
        path = logo_path(configured.get(key))
        found[key] = path if path is not None and path.is_file() else None
    return Logos(**found)


def _outcome(code: str, attempt: Callable[[], Path], out_dir: Path | None = None) -> tuple[str, str | None, str | None]:
    """(code, path, None) on success, (code, None, message) on failure: one sheet never stops the rest."""
    try:
        return code, str(attempt()), None
    except FactsheetsError as error:
        return code, None, str(error)
    except OSError as error:  # a full disk fails every sheet the same way: one message for all
        folder = Path(error.filename).parent if error.filename else out_dir or "le dossier de sortie"
        return code, None, f"{write_failure(folder, error)} (--out)"
    except Exception as error:  # a bug in one sheet must not lose the others
        return code, None, f"{type(error).__name__}: {error}"


def _render_one(renderer: SheetRenderer, code: str, out_dir: Path) -> tuple[str, str | None, str | None]:
    return _outcome(code, lambda: renderer.render_to(code, out_dir), out_dir)


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
        return dataclasses.replace(task.local, region_flows=self._unpacked[task.region], nation_flows=self._unpacked[task.nation])


class _Claims:
    """Which sheets are taken: helpers claim them from the front, this process from the back.

    Every sheet is handed to the helpers in advance (a helper never waits for this busy
    process to hand it the next one), but a sheet is drawn only by whoever claims it first,
    just before drawing it. So both ends meet within one sheet and no sheet is drawn twice;
    a pool's own queue would have committed the last sheets to a helper while this process
    sat idle. Shared with the helpers when they start (a lock and two integers).
    """

    def __init__(self, context):
        self._lock = context.Lock()
        self._front = context.RawValue("q", 0)  # sheets before this index are the helpers'
        self._back = context.RawValue("q", 0)  # sheets from this index on are this process's

    @contextlib.contextmanager
    def _held(self):
        """The lock, with Ctrl-C held back until it is released: a KeyboardInterrupt raised
        between taking the lock and entering the block would leave it taken for ever, and
        the helpers waiting for it (and this process waiting for them) would hang."""
        main_thread = threading.current_thread() is threading.main_thread()
        if main_thread:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            with self._lock:
                yield
        finally:
            if main_thread:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

    def open(self, count: int) -> None:
        with self._held():
            self._front.value, self._back.value = 0, count

    def claim_front(self, index: int) -> bool:
        """A helper takes sheet `index`, unless this process took it already."""
        with self._lock:
            if index >= self._back.value:
                return False
            self._front.value = max(self._front.value, index + 1)
            return True

    def claim_back(self) -> int | None:
        """This process takes the last sheet no one has taken yet, if any."""
        with self._held():
            if self._back.value <= self._front.value:
                return None
            self._back.value -= 1
            return self._back.value


_helper_areas = _SharedAreas()
_helper_claims: _Claims | None = None


class _ParentGone(BaseException):
    """Raised in a helper drawing a sheet when the main process has ended: unwinds the
    sheet's temporary file (files.atomic_file), then the helper exits."""


_helper_busy = False


def _end_with_parent(parent_pid: int) -> None:
    """Make this helper end when the main process ends, however it ends (even SIGKILL).

    On Linux the kernel sends SIGTERM when the parent dies (PR_SET_PDEATHSIG); a thread
    watching the parent's pid does the same elsewhere, and covers a parent gone already.
    """

    def on_term(signum, frame):
        if _helper_busy:
            raise _ParentGone()
        os._exit(1)

    signal.signal(signal.SIGTERM, on_term)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the watch thread below still ends the helper

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)

    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)
    threading.Thread(target=watch, name="factsheets-parent-watch", daemon=True).start()


def _init_helper(claims: _Claims | None = None, parent_pid: int | None = None, options: SheetOptions = SheetOptions()) -> None:
    """Load config, texts and fonts once. Never raises: a failure is reported with each sheet."""
    global _helper, _helper_error, _helper_claims
    _helper_claims = claims
    if parent_pid is not None:
        _end_with_parent(parent_pid)
    # Ctrl-C is the main process's to handle: it stops handing out work and waits for the
    # sheets in progress (no traceback from the helpers).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _helper = SheetDrawer(options)
        # The drawing modules too, matplotlib included: the helper has the time while the
        # main process loads the data, and the main process imports them at its first sheet,
        # while the helper draws. (Imported once before the fork instead, they delayed both
        # processes: benchmarks/bench_beyond.py and bench_peer.py measured it.)
        import importlib

        from . import layout  # noqa: F401

        if options.annex:
            from . import annex  # noqa: F401
        if options.evolution:
            for name in _EVOLUTION_MODULES:
                importlib.import_module(name)
    except Exception as error:
        _helper_error = str(error) if isinstance(error, FactsheetsError) else f"{type(error).__name__}: {error}"


# What drawing an evolution chart imports: matplotlib costs ~0.5 s of start-up per process.
_EVOLUTION_MODULES = (
    "matplotlib.figure",
    "matplotlib.ticker",
    "factsheets.charts.matplotlib_drawing",
    "factsheets.charts.evolution",
)


def _helper_ready() -> int:
    """A no-op task: submitting it starts a helper process right away."""
    return os.getpid()


def _render_in_helper(index: int, task: _HelperTask, synthetic: bool, out_dir: Path) -> tuple[str, str | None, str | None] | None:
    """The outcome of sheet `index`, or None if the main process claimed it first."""
    if _helper_claims is not None and not _helper_claims.claim_front(index):
        return None
    code = task.local.department.code
    if _helper is None:
        return code, None, f"le processus de rendu n'a pas pu démarrer : {_helper_error}"
    global _helper_busy
    _helper_busy = True
    try:
        return _outcome(code, lambda: _helper.write(_helper_areas.unpack(task), synthetic, out_dir), out_dir)
    except _ParentGone:
        os._exit(1)
    finally:
        _helper_busy = False


def _helper_context():
    """Fork when it is safe and cheap to: Linux, one thread, Polars not loaded yet; else spawn.

    Fork is unsafe once Polars has started its thread pool (a forked child would inherit
    locks held by threads that do not exist in it), hence the checks.
    """
    if sys.platform == "linux" and "polars" not in sys.modules and threading.active_count() == 1:
        return get_context("fork")
    return get_context("spawn")


def _start_helpers(count: int, options: SheetOptions) -> tuple[ProcessPoolExecutor, _Claims] | tuple[None, None]:
    if count < 1:
        return None, None
    context = _helper_context()
    claims = _Claims(context)
    pool = ProcessPoolExecutor(count, mp_context=context, initializer=_init_helper, initargs=(claims, os.getpid(), options))
    try:
        for _ in range(count):
            pool.submit(_helper_ready)
    except BrokenProcessPool:  # a helper died at once: this process renders everything
        pass
    return pool, claims


def render_departments(
    codes: Sequence[str] | None,
    *,
    year: int | None,
    data: Path,
    out_dir: Path,
    workers: int = 1,
    show_progress: bool = False,
    on_done: Callable[[str], None] | None = None,
    on_written: Callable[[Path], None] | None = None,
    options: SheetOptions = SheetOptions(),
) -> RenderReport:
    """Render the sheets of `codes` (department codes as typed; None: all departments).

    Failures of single sheets are collected in the report, not raised; bad input (an
    unknown code, unreadable data, an unwritable folder) raises FactsheetsError before any
    sheet is written. `workers` processes render: this one and `workers - 1` helpers.
    `on_written` gets each PDF's path as soon as it is on disk. With several departments,
    the campaign summary (synthese-{year}.csv and .xlsx) is written at the end.
    """
    out_dir = prepare_output_dir(out_dir)
    # Helpers are started before anything imports Polars (see _helper_context), never more
    # processes than cores nor than sheets (counted on the codes as typed: normalising needs
    # the reference): more would only compete for the same cores and memory.
    most_sheets = len(set(codes)) if codes is not None else workers
    helpers = max(0, min(workers, most_sheets, default_workers()) - 1)
    pool, claims = _start_helpers(helpers, options)
    try:
        from .check import preflight

        preflight()  # a configuration mistake: one line, before any sheet (helpers start meanwhile)
        from .reference import load_reference  # imports Polars

        reference = load_reference()
        every_department = codes is None
        codes = reference.department_codes(codes)
        # Loading here validates the data and the year before any sheet is drawn.
        # Only the sheet's year is read, unless the evolution page or the annexes need the series.
        renderer = SheetRenderer(data, year, [], options, history=options.evolution or options.annex is not None)
        if options.html:  # the pages' fonts, next to them, before any page
            from .fonts import font_files
            from .html import write_fonts

            write_fonts(font_files(renderer.settings), out_dir)
        codes, absent, failures = _with_data(codes, every_department, renderer, data)
        # By region, so that each process meets a region's charts in a row.
        ordered = sorted(codes, key=lambda code: (reference.department(code)[2], code))
        # With helpers, the first departments' indicators are computed alone, so that the
        # helpers start drawing while this process computes the others.
        first = ordered[: FIRST_BATCH * helpers] if pool is not None else ordered
        renderer.add(first)
        report = RenderReport(
            year=renderer.year,
            codes=codes + list(failures),
            failures=failures,
            absent=absent,
            without_territoires=[code for code in codes if not reference.territoires_industrie.get(code)],
        )
        report.notes += renderer.coverage_notes(codes)
        if options.evolution and first and not renderer.indicators[first[0]].evolution.has_history:
            report.notes.append(renderer.no_history_note())
        with _Progress(len(codes), show_progress) as progress:
            on_done = _announcing(report, on_done, progress.above(on_written))
            if pool is None:
                for code in ordered:
                    _record(report, _render_one(renderer, code, out_dir), progress, on_done)
            else:
                _render_shared(renderer, pool, claims, ordered, len(first), out_dir, report, progress, on_done)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    if len(report.codes) > 1 and report.written:  # a run that wrote nothing has nothing to sum up
        from .annex import write_summary

        try:
            report.summaries = write_summary(report, renderer.indicators, renderer.texts, out_dir)
        except OSError as error:
            report.notes.append(
                f"{out_dir} : synthèse non écrite, {write_failure(out_dir, error)} ; les fiches écrites sont complètes"
            )
        if options.html:
            try:
                report.summaries.append(write_index(report, renderer, out_dir))
            except OSError as error:
                report.notes.append(
                    f"{out_dir} : index.html non écrit ({error.strerror or type(error).__name__}) ; "
                    "les fiches écrites sont complètes"
                )
    return report


def write_index(report: RenderReport, renderer: SheetRenderer, out_dir: Path) -> Path:
    """index.html of a campaign: every department written, in code order, with its figures and links."""
    from .html import index_html, sheet_html_name
    from .numbers import format_millions

    rows = []
    for code in sorted(report.written):
        ind, path = renderer.indicators[code], report.written[code]
        exports, imports = ind.export_shares.total_eur, ind.import_shares.total_eur
        rows.append(
            {
                "code": code,
                "name": ind.department.name,
                "region": ind.region.name,
                "exports": format_millions(exports),
                "imports": format_millions(imports),
                "balance": format_millions(exports - imports),
                "pdf": path.name,
                "html": sheet_html_name(path.name),
                "annex": path.with_suffix("." + renderer.options.annex).name if renderer.options.annex else None,
            }
        )
    texts, _ = renderer.edition(report.year)
    page = index_html(rows, texts, renderer.fonts_css(), report.year, renderer.synthetic)
    target = Path(out_dir) / "index.html"
    write_atomically(target, page.encode("utf-8"))
    return target


def _announcing(report: RenderReport, on_done, on_written):
    """`on_done`, preceded by `on_written(path)` for a sheet that was written."""
    if on_written is None:
        return on_done

    def done(code: str) -> None:
        if code in report.written:
            on_written(report.written[code])
        if on_done:
            on_done(code)

    return done


def _with_data(
    codes: list[str], every_department: bool, renderer: SheetRenderer, data: Path
) -> tuple[list[str], list[str], dict[str, str]]:
    """(departments to render, absent ones left out of --all, failures of absent ones asked for).

    A department without any row in the year would get an empty sheet: with --all it is
    skipped (and listed in one warning), asked for by name it is a failure.
    """
    from .validate import departments_present

    present = departments_present(renderer._trade, renderer.year)
    absent = [code for code in codes if code not in present]
    if not absent:
        return codes, [], {}
    kept = [code for code in codes if code in present]
    if every_department:
        return kept, absent, {}
    message = f"aucune donnée pour ce département en {renderer.year} dans {data} ; vérifiez le code, --year ou --data"
    if not kept:
        names = ", ".join(absent)
        raise FactsheetsError(
            f"{names} : aucune donnée pour {'ce département' if len(absent) == 1 else 'ces départements'} "
            f"en {renderer.year} dans {data} ; vérifiez le code, --year ou --data"
        )
    return kept, [], {code: message for code in absent}


def _render_shared(
    renderer: SheetRenderer,
    pool: ProcessPoolExecutor,
    claims: _Claims,
    ordered: list[str],
    ready: int,
    out_dir: Path,
    report: RenderReport,
    progress: _Progress,
    on_done,
) -> None:
    """Helpers take the departments from the front, this process from the back (see _Claims).

    The indicators of the first `ready` departments are computed already; they are handed
    out before the others are computed. A department left undone because its helper died
    (killed, out of memory) is rendered here at the end.
    """
    futures: list[Future] = []
    shared = _SharedAreas()
    claims.open(len(ordered))
    try:
        for batch in (range(ready), range(ready, len(ordered))):
            renderer.add([ordered[index] for index in batch])
            for index in batch:
                task = shared.pack(renderer.indicators[ordered[index]])
                futures.append(pool.submit(_render_in_helper, index, task, renderer.synthetic, out_dir))
    except BrokenProcessPool:  # a helper died already: what it did not take is drawn here
        renderer.add(ordered)
    pending = set(futures)

    def collect(done) -> None:
        for future in done:
            pending.discard(future)
            try:
                result = future.result()
            except Exception:  # the helper died, or the task could not reach it: drawn here at the end
                continue
            if result is not None:  # None: this process claimed that sheet
                _record(report, result, progress, on_done)

    while (index := claims.claim_back()) is not None:
        if index < len(futures) and futures[index].cancel():  # not yet sent: spare the helper the task
            pending.discard(futures[index])
        _record(report, _render_one(renderer, ordered[index], out_dir), progress, on_done)
        collect([future for future in pending if future.done()])
    while pending:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        collect(done)
    for code in ordered:
        if code not in report.written and code not in report.failures:
            _record(report, _render_one(renderer, code, out_dir), progress, on_done)


def _record(report: RenderReport, result, progress: _Progress, on_done) -> None:
    code, path, message = result
    if path is not None:
        report.written[code] = Path(path)
    else:
        report.failures[code] = message
    progress.advance(code)
    if on_done:
        on_done(code)


class _Progress:
    """A rich progress bar on stderr; stdout carries only the written paths, whatever stderr is.

    rich's live display would otherwise take sys.stdout over while stderr is a terminal
    (redirect_stdout) and write what is printed there to stderr: `render … > list.txt` in a
    terminal left the list empty. The bar never touches sys.stdout; a path printed while
    the bar is on a terminal is written on a line of its own (`above`).
    """

    def __init__(self, total: int, enabled: bool):
        self.enabled = enabled and total > 0
        self.total = total
        self._progress = None

    def __enter__(self):
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("fiches"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=Console(stderr=True),
                transient=False,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("", total=self.total)
        return self

    def above(self, write: Callable[[Path], None] | None) -> Callable[[Path], None] | None:
        """`write` (a path to stdout), the bar's line cleared first when stdout is a terminal
        too, so that the path is not printed after the bar on the same line."""
        if write is None or self._progress is None:
            return write
        live = self._progress.live

        def written(path: Path) -> None:
            if not (live.is_started and live.console.is_terminal and sys.stdout.isatty()):
                write(path)
                return
            with live._lock:  # the refresh thread waits: the bar is drawn again after the path
                live.console.file.write("\r\x1b[2K")
                live.console.file.flush()
                write(path)
                live.refresh()

        return written

    def advance(self, code: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, advance=1, description=code)

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.__exit__(*exc)
        return False
