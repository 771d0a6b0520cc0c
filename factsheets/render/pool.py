"""The helper processes: started before Polars, ended with the main process, claiming sheets (see render/__init__.py).

# Nothing at module level imports Polars: helper processes import this module and must stay
# light (Polars costs ~0.3 s of start-up and ~100 MB per process).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from typing import NamedTuple

from ..errors import FactsheetsError
from ..render_cache import RecordedIndicators, decode_area, decode_sheet
from .drawer import SheetDrawer, SheetOptions, SheetOutcome, _outcome


def default_workers() -> int:
    """The number of cores this process may run on (the default of `render --workers`)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def helper_count(workers: int, most_sheets: int, cores: int) -> int:
    """The helpers a run of `workers` processes and at most `most_sheets` sheets starts on
    `cores` cores: never more processes than cores nor than sheets, but one helper for one
    sheet (it draws the sheet while this process loads the data and computes its indicators)."""
    return max(0, min(workers, max(most_sheets, 2), cores) - 1)


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

    @property
    def code(self) -> str:
        return self.local.department.code


class _RecordedTask(NamedTuple):
    """One sheet of a run read back from its record: its lines as recorded, decoded by the
    helper (render_cache.RecordedIndicators.lines), not by the busy main process."""

    code: str
    sheet: bytes
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
        self._recorded: dict[bytes, object] = {}  # an area's line of a record -> the area

    def _bytes(self, area) -> bytes:
        # The area is kept alongside its bytes so that its id cannot be reused meanwhile.
        if id(area) not in self._packed:
            self._packed[id(area)] = (area, pickle.dumps(area, protocol=pickle.HIGHEST_PROTOCOL))
        return self._packed[id(area)][1]

    def pack(self, indicators: Mapping, code: str) -> _HelperTask | _RecordedTask:
        """The task of department `code`: its lines when `indicators` were read back from a
        record (nothing decoded or pickled here), else its indicators."""
        if isinstance(indicators, RecordedIndicators):
            return _RecordedTask(code, *indicators.lines(code))
        ind = indicators[code]
        local = ind._replace(region_flows=None, nation_flows=None)
        return _HelperTask(local, self._bytes(ind.region_flows), self._bytes(ind.nation_flows))

    def unpack(self, task: _HelperTask | _RecordedTask):
        """The full indicators again, equal to those `pack` was given."""
        if isinstance(task, _RecordedTask):
            for line in (task.region, task.nation):
                if line not in self._recorded:
                    self._recorded[line] = decode_area(line)
            return decode_sheet(task.sheet, self._recorded[task.region], self._recorded[task.nation])
        for payload in (task.region, task.nation):
            if payload not in self._unpacked:
                self._unpacked[payload] = pickle.loads(payload)
        return task.local._replace(region_flows=self._unpacked[task.region], nation_flows=self._unpacked[task.nation])


@contextlib.contextmanager
def _interrupts_held():
    """Ctrl-C held back (in the main thread) until the block is done, then raised."""
    main_thread = threading.current_thread() is threading.main_thread()
    if main_thread:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        if main_thread:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


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
        with _interrupts_held(), self._lock:
            yield

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
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # forked while held back (_start_helpers)
    try:
        _helper = SheetDrawer(options)
        # The drawing modules too, matplotlib included: the helper has the time while the
        # main process loads the data, and the main process imports them at its first sheet,
        # while the helper draws. (Imported once before the fork instead, they delayed both
        # processes: benchmarks/bench_beyond.py and bench_peer.py measured it.)
        import importlib

        from .. import layout  # noqa: F401
        from ..typography import prepare_hyphenation

        prepare_hyphenation()  # else read at the first word to hyphenate, while this helper draws

        if options.annex:
            from .. import annex  # noqa: F401
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


def _render_in_helper(index: int, task: _HelperTask | _RecordedTask, synthetic: bool, out_dir: Path) -> SheetOutcome | None:
    """The outcome of sheet `index`, or None if the main process claimed it first."""
    if _helper_claims is not None and not _helper_claims.claim_front(index):
        return None
    code = task.code
    if _helper is None:
        return SheetOutcome(code, None, f"le processus de rendu n'a pas pu démarrer : {_helper_error}")
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


# A helper started before the command line is parsed (start_helper_early), until a run
# adopts it or ends it: (pool, claims, the options it was started with).
_early: tuple[ProcessPoolExecutor, _Claims, SheetOptions] | None = None


def start_helper_early(options: SheetOptions) -> None:
    """Fork one helper now, for a `render` that will most likely want one with `options`.

    typer parses the command line in ~0.1 s (it imports pydantic) before `render` starts its
    helpers; a helper forked first prepares the drawing meanwhile. The run adopts it if it
    wants one helper with these very options, else it is ended (end_early_helper): a wrong
    guess costs time, never a different sheet. Only where helpers are forked (_helper_context).
    """
    global _early
    if _early is None and _helper_context().get_start_method() == "fork":
        pool, claims = _start_helpers(1, options)
        if pool is not None:
            _early = (pool, claims, options)


def end_early_helper() -> None:
    """End the helper started early if no run adopted it (`render --help`, a usage error)."""
    global _early
    if _early is not None:
        pool, _claims, _options = _early
        _early = None
        pool.shutdown(wait=True, cancel_futures=True)


def _adopted_early_helper(count: int, options: SheetOptions) -> tuple[ProcessPoolExecutor, _Claims] | None:
    """The helper started early if the run wants exactly it; else it is ended."""
    if _early is None:
        return None
    pool, claims, early_options = _early
    if count == 1 and early_options == options:
        globals()["_early"] = None
        return pool, claims
    end_early_helper()
    return None


def _start_helpers(count: int, options: SheetOptions) -> tuple[ProcessPoolExecutor, _Claims] | tuple[None, None]:
    if (adopted := _adopted_early_helper(count, options)) is not None:
        return adopted
    if count < 1:
        return None, None
    context = _helper_context()
    claims = _Claims(context)
    # The pool forks its helpers, then starts the thread that feeds and ends them. A Ctrl-C
    # between the two left helpers that nothing would ever end, and this process waiting
    # for them at exit for ever: it is held back until the pool is whole, which then ends
    # them as any interrupted run's does.
    with _interrupts_held():
        pool = ProcessPoolExecutor(count, mp_context=context, initializer=_init_helper, initargs=(claims, os.getpid(), options))
        try:
            for _ in range(count):
                pool.submit(_helper_ready)
        except BrokenProcessPool:  # a helper died at once: this process renders everything
            pass
    return pool, claims
