"""`render` holds Python's garbage collector while it starts, and freezes what it made (factsheets.collector)."""

from __future__ import annotations

import gc
import subprocess
import sys
from typing import NamedTuple

import pytest
from cli_helpers import PROJECT_ROOT

from factsheets import collector
from factsheets.render.pool import default_workers

# `python -m factsheets ARGS` ("module"), or ARGS as the `factsheets` script runs them
# ("script"), each process writing, when its first sheet resumes the collector: its pid, the
# collections made since render held the collector, whether the collector runs then, how
# many objects it froze, and whether typer is loaded.
_COUNTING_RUN = """
import gc, os, runpy, sys
import factsheets.collector as collector

record, way, collections = sys.argv[1], sys.argv[2], [0]
gc.callbacks.append(lambda phase, info: phase == "start" and collections.__setitem__(0, collections[0] + 1))
original_hold, original_resume = collector.hold, collector.resume

def hold():
    collections[0] = 0  # counted from here: what ran before (the harness) is not render's
    original_hold()

def resume():
    before = collections[0]
    original_resume()
    with open(record, "a") as lines:
        lines.write(f"{os.getpid()} {before} {gc.isenabled()} {gc.get_freeze_count()} {'typer' in sys.modules}\\n")

collector.hold, collector.resume = hold, resume
sys.argv = ["factsheets", *sys.argv[3:]]
if way == "module":
    runpy.run_module("factsheets", run_name="__main__", alter_sys=True)
else:  # what the script pip writes for pyproject's [project.scripts] does
    from importlib.metadata import entry_points

    (script,) = [entry for entry in entry_points(group="console_scripts") if entry.name == "factsheets"]
    sys.exit(script.load()())
"""


class Resumed(NamedTuple):
    pid: int
    collections_before: int
    enabled: bool
    frozen: int
    typer_loaded: bool


def _run_counting(tmp_path, *args: str, way: str = "module") -> tuple[int, list[Resumed]]:
    record = tmp_path / "collections.txt"
    process = subprocess.Popen(
        [sys.executable, "-c", _COUNTING_RUN, str(record), way, "render", *args, "--out", str(tmp_path / "out")],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    lines = [line.split() for line in record.read_text().splitlines()]
    return process.pid, [
        Resumed(int(pid), int(before), enabled == "True", int(frozen), typer == "True")
        for pid, before, enabled, frozen, typer in lines
    ]


def test_render_collects_no_garbage_before_its_first_sheet(tmp_path):
    """Drawn by the main process: no collection from the process's start to its first sheet
    (without the hold, some hundred), then the collector runs, past the objects frozen."""
    pid, resumed = _run_counting(tmp_path, "--dept", "02", "--workers", "1")
    assert [(row.pid, row.collections_before, row.enabled) for row in resumed] == [(pid, 0, True)]
    assert resumed[0].frozen > 50_000  # the modules, configuration, fonts and indicators, frozen
    assert len(list((tmp_path / "out").glob("*.pdf"))) == 1


@pytest.mark.parametrize("way", ["module", "script"])
def test_the_helper_too_starts_without_collecting_and_without_typer(tmp_path, way):
    """A sheet drawn by the helper, forked while the collector is held and before typer
    loads, by `python -m factsheets` and by the `factsheets` script alike: the helper
    collects nothing before its sheet either (its collections would write to the objects it
    shares with the main process, copying their pages), and never loads typer."""
    if default_workers() < 2:
        pytest.skip("one core: render starts no helper")
    pid, resumed = _run_counting(tmp_path, "--dept", "02", way=way)
    assert len(resumed) == 1 and resumed[0].pid != pid, resumed  # the helper drew it, not the main process
    assert (resumed[0].collections_before, resumed[0].enabled, resumed[0].typer_loaded) == (0, True, False)


def test_resume_without_hold_changes_nothing():
    """A process that did not start `render` (the tests, a library user) keeps its collector
    as it is: resume neither freezes anything nor turns the collector on."""
    frozen = gc.get_freeze_count()
    assert gc.isenabled()
    collector.resume()
    assert gc.isenabled() and gc.get_freeze_count() == frozen
    gc.disable()
    try:
        collector.hold()  # already off: not ours to turn back on
        collector.resume()
        assert not gc.isenabled() and gc.get_freeze_count() == frozen
    finally:
        gc.enable()
