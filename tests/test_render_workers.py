"""Rendering with helper processes: same bytes, light helpers, failures kept per sheet.

No timing here: benchmarks/bench_render.py measures the speed.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import subprocess
import sys
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from factsheets import render
from factsheets.paths import SAMPLE_DATA
from factsheets.render import pool

# Two regions, overseas first in region order: helpers and this process both get work.
CODES = ["971", "972", "02", "60", "80", "2A"]


def rendered_bytes(report) -> dict[str, bytes]:
    return {code: path.read_bytes() for code, path in report.written.items()}


def test_two_workers_write_the_same_bytes_as_one(tmp_path):
    one = render.render_departments(CODES, year=None, data=SAMPLE_DATA, out_dir=tmp_path / "one", workers=1)
    two = render.render_departments(CODES, year=None, data=SAMPLE_DATA, out_dir=tmp_path / "two", workers=2)
    alone = render.render_departments(["60"], year=None, data=SAMPLE_DATA, out_dir=tmp_path / "alone", workers=2)
    assert not one.failures and not two.failures and not alone.failures
    assert sorted(one.written) == sorted(two.written) == sorted(CODES)
    assert rendered_bytes(one) == rendered_bytes(two)
    assert rendered_bytes(alone)["60"] == rendered_bytes(one)["60"]
    assert {path.name for path in (tmp_path / "two").iterdir()} == {path.name for path in one.written.values()} | {
        "synthese-2024.csv",
        "synthese-2024.xlsx",
    }


def test_progress_counts_every_sheet_once(tmp_path):
    done: list[str] = []
    report = render.render_departments(CODES, year=None, data=SAMPLE_DATA, out_dir=tmp_path, workers=2, on_done=done.append)
    assert sorted(done) == sorted(CODES) and len(report.written) == len(CODES)


def test_a_helper_process_loads_no_data_library():
    """Helpers start fast because they import neither Polars nor matplotlib, and read no data."""
    script = (
        "import sys\n"
        "from factsheets.render import pool\n"
        "pool._init_helper()\n"
        "assert pool._helper is not None, pool._helper_error\n"
        "print(sorted(m for m in ('polars', 'matplotlib', 'svglib') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.skipif(render.default_workers() < 2, reason="a helper needs a second core")
def test_one_sheet_is_drawn_by_a_helper_while_this_process_reads_the_data(tmp_path):
    """`render --dept 02` alone: a helper draws the sheet, this process never loads ReportLab
    (its configuration passed before: the checks, which open the fonts, do not run), and the
    bytes are those of a run without helper."""
    from factsheets import check, check_cache

    assert check_cache.checked(check.check_configuration) == []  # in this test's state folder, inherited
    script = (
        "import sys\n"
        "from factsheets import cli\n"
        "code = cli._run(['render', '--dept', '02', '--out', sys.argv[1], *sys.argv[2:]])\n"
        "print(code, sorted({name for name in sys.modules if name.startswith(('reportlab.', 'factsheets.layout'))}))\n"
    )
    alone = subprocess.run([sys.executable, "-c", script, tmp_path / "two"], capture_output=True, text=True, check=True)
    assert alone.stdout.splitlines()[-1] == "0 []", alone.stdout + alone.stderr
    single = subprocess.run(
        [sys.executable, "-c", script, tmp_path / "one", "--workers", "1"], capture_output=True, text=True, check=True
    )
    assert single.stdout.splitlines()[-1].startswith("0 ['factsheets.layout'"), single.stdout  # this process drew it
    name = "commerce-exterieur-2024-02-aisne.pdf"
    assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes()


@pytest.mark.skipif(sys.platform != "linux", reason="helpers are forked only on Linux")
def test_helpers_are_forked_only_before_polars_is_loaded():
    """The CLI forks its helpers (cheap start, quick exit); a process with Polars loaded spawns them."""
    script = (
        "from factsheets import render\n"
        "print(render._helper_context().get_start_method())\n"
        "import polars\n"
        "print(render._helper_context().get_start_method())\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["fork", "spawn"]


def test_the_cli_starts_its_helpers_before_importing_polars(tmp_path):
    """`render` hands the codes as typed to render_departments, which starts helpers first."""
    script = (
        "import sys\n"
        "from factsheets.render import pool\n"
        "from factsheets.cli import app\n"
        "seen = []\n"
        "start = pool._start_helpers\n"
        "def spy(count, *options):\n"
        "    seen.append((count, 'polars' in sys.modules))\n"
        "    return start(count, *options)\n"
        "pool._start_helpers = spy\n"
        f"app(['render', '--dept', '2a', '--dept', '971', '--workers', '2', '--out', {str(tmp_path)!r}],"
        " standalone_mode=False)\n"
        "print(seen)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[(1, False)]"
    assert sorted(path.name for path in tmp_path.glob("*.pdf")) == [
        "commerce-exterieur-2024-2a-corse-du-sud.pdf",
        "commerce-exterieur-2024-971-guadeloupe.pdf",
    ]


def test_a_helper_that_could_not_start_reports_each_sheet(monkeypatch, tmp_path):
    renderer = render.SheetRenderer(SAMPLE_DATA, None, ["02"])
    monkeypatch.setattr(pool, "_helper", None)
    monkeypatch.setattr(pool, "_helper_error", "fonts/OpenSans-Regular.ttf : fichier de police introuvable")
    task = render._SharedAreas().pack(renderer.indicators, "02")
    code, path, message, totals, digest = render._render_in_helper(0, task, True, tmp_path)
    assert (code, path, totals, digest) == ("02", None, None, None)
    assert message == "le processus de rendu n'a pas pu démarrer : fonts/OpenSans-Regular.ttf : fichier de police introuvable"


def test_a_failing_sheet_in_a_helper_is_one_failure(monkeypatch, tmp_path):
    renderer = render.SheetRenderer(SAMPLE_DATA, None, ["02"])

    class Exploding:
        def write(self, ind, synthetic, out_dir):
            raise ValueError("chart exploded")

    monkeypatch.setattr(pool, "_helper", Exploding())
    task = render._SharedAreas().pack(renderer.indicators, "02")
    assert render._render_in_helper(0, task, True, tmp_path) == ("02", None, "ValueError: chart exploded", None, None)


def test_shared_areas_travel_once_and_come_back_equal():
    codes = ["02", "60", "80"]  # one region
    renderer = render.SheetRenderer(SAMPLE_DATA, None, codes)
    sender, receiver = render._SharedAreas(), render._SharedAreas()
    tasks = [pickle.loads(pickle.dumps(sender.pack(renderer.indicators, code))) for code in codes]
    assert len({task.region for task in tasks}) == 1 and tasks[0].local.region_flows is None
    received = [receiver.unpack(task) for task in tasks]
    assert received == [renderer.indicators[code] for code in codes]
    assert received[0].region_flows is received[2].region_flows  # unpickled once


def test_recorded_sheets_travel_as_their_lines_and_come_back_equal(tmp_path, monkeypatch):
    """A run read back from its record hands the helpers each sheet's lines as recorded: this
    process decodes none of them, a helper decodes each area once."""
    from factsheets import render_cache

    codes = ["02", "60", "80"]  # one region
    renderer = render.SheetRenderer(SAMPLE_DATA, None, codes)
    monkeypatch.setenv("FACTSHEETS_STATE", str(tmp_path))
    slot = render_cache.slot(codes, None, SAMPLE_DATA, (False, None, False))
    plan = render_cache.RunPlan(renderer.year, renderer.synthetic, codes, codes, [], {}, [], [])
    render_cache.write(slot, plan, renderer.indicators)
    read_plan, recorded = render_cache.read(slot)
    assert read_plan == plan
    sender, receiver = render._SharedAreas(), render._SharedAreas()
    tasks = [pickle.loads(pickle.dumps(sender.pack(recorded, code))) for code in codes]
    assert all(code in recorded for code in codes) and "59" not in recorded
    assert [type(task).__name__ for task in tasks] == ["_RecordedTask"] * 3 and not recorded._decoded
    received = [receiver.unpack(task) for task in tasks]
    assert received == [renderer.indicators[code] for code in codes] == [recorded[code] for code in codes]
    assert received[0].region_flows is received[2].region_flows  # decoded once


class DeadPool:
    """A pool whose helper died: every task it was given fails with BrokenProcessPool."""

    def __init__(self, accept: int):
        self.accept = accept
        self.submitted: list[str] = []

    def submit(self, function, index, task, synthetic, out_dir):
        if len(self.submitted) == self.accept:
            raise BrokenProcessPool("a child process terminated abruptly")
        self.submitted.append(task.local.department.code)
        future = Future()
        future.set_running_or_notify_cancel()  # taken by the helper: this process cannot cancel it
        future.set_exception(BrokenProcessPool("a child process terminated abruptly"))
        return future


@pytest.mark.parametrize("accept", [0, 2])
def test_sheets_of_a_dead_helper_are_rendered_here(tmp_path, accept):
    codes = ["02", "60", "80"]
    renderer = render.SheetRenderer(SAMPLE_DATA, None, codes[:1])
    report = render.RenderReport(year=renderer.year)
    pool = DeadPool(accept)
    with render._Progress(len(codes), enabled=False) as progress:
        claims = render._Claims(multiprocessing.get_context("spawn"))
        render._render_shared(renderer, pool, claims, codes, 1, tmp_path, report, progress, None)
    assert pool.submitted == codes[:accept]
    assert not report.failures
    assert sorted(report.written) == sorted(codes)
    assert all(Path(path).is_file() for path in report.written.values())


class HandingOutPool:
    """A pool that notes each task it is given; its helper draws none (each future's result
    is None, as for a sheet this process claimed first), so this process draws them all."""

    def __init__(self, events: list[str]):
        self.events = events

    def submit(self, function, index, task, synthetic, out_dir):
        self.events.append(f"task {task.local.department.code}")
        future = Future()
        future.set_running_or_notify_cancel()
        future.set_result(None)
        return future


class NotedProgress(render._Progress):
    def __init__(self, total: int, events: list[str]):
        super().__init__(total, enabled=False)
        self.events = events

    def start(self) -> None:
        if not self.events or self.events[-1] != "bar":
            self.events.append("bar")
        super().start()


def test_the_progress_bar_starts_once_the_helpers_have_their_first_sheets(tmp_path):
    """Importing rich for the bar (~20 ms) comes after the first tasks are handed out, not
    before: a helper would otherwise wait for it; the other departments' tasks follow it."""
    codes = ["02", "60", "80"]
    renderer = render.SheetRenderer(SAMPLE_DATA, None, codes[:1])
    report = render.RenderReport(year=renderer.year)
    events: list[str] = []
    with NotedProgress(len(codes), events) as progress:
        claims = render._Claims(multiprocessing.get_context("spawn"))
        render._render_shared(renderer, HandingOutPool(events), claims, codes, 1, tmp_path, report, progress, None)
    assert events[:4] == ["task 02", "bar", "task 60", "task 80"]
    assert sorted(report.written) == sorted(codes) and not report.failures


def test_claims_give_each_sheet_to_one_side():
    claims = render._Claims(multiprocessing.get_context("spawn"))
    claims.open(5)
    assert claims.claim_front(0) and claims.claim_back() == 4 and claims.claim_back() == 3
    assert not claims.claim_front(3)  # this process has it
    assert claims.claim_front(1) and claims.claim_front(2)
    assert claims.claim_back() is None


def _claim_fronts(claims, count, started, connection):
    started.set()
    connection.send([index for index in range(count) if claims.claim_front(index)])


def test_claims_hold_between_two_processes():
    """A helper claiming from the front while this process claims from the back: no sheet twice, none lost."""
    count = 20_000
    context = multiprocessing.get_context("spawn")
    claims = render._Claims(context)
    claims.open(count)
    receiver, sender = context.Pipe(duplex=False)
    started = context.Event()
    helper = context.Process(target=_claim_fronts, args=(claims, count, started, sender))
    helper.start()
    started.wait(30)  # both sides claim at the same time
    mine = []
    while (index := claims.claim_back()) is not None:
        mine.append(index)
    theirs = receiver.recv()
    helper.join()
    assert not set(mine) & set(theirs)
    assert sorted(mine + theirs) == list(range(count))


def test_default_workers_is_the_number_of_usable_cores():
    assert render.default_workers() >= 1
    if hasattr(os, "sched_getaffinity"):
        assert render.default_workers() == len(os.sched_getaffinity(0))
