"""Helper processes of `render`, through the real CLI: never more than the cores allow, and
gone as soon as the main process is, however it ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import PROJECT_ROOT

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


def cores() -> int:
    return len(os.sched_getaffinity(0))


def children(pid: int) -> set[int]:
    """Live processes whose parent is `pid` (zombies excluded)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :].split()[0] != "Z"


def is_helper(pid: int) -> bool:
    """A render helper (forked or spawned), not multiprocessing's resource tracker."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    return b"resource_tracker" not in command


# Ten departments in six regions, Corsica and two overseas included: enough sheets for the
# helpers to share and for a cut to fall in the middle of a run (after one to eight sheets);
# `render --all` would draw 101 for the same faults.
SOME = ("02", "60", "2A", "2B", "29", "35", "14", "76", "971", "976")
SOME_ARGS = [argument for code in SOME for argument in ("--dept", code)]


def start_render(out: Path, workers: int, output=subprocess.PIPE, departments=("--all",)) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "factsheets", "-q", "render", *departments, "--workers", str(workers), "--out", str(out)],
        cwd=PROJECT_ROOT,
        stdout=output,
        stderr=output,
        text=True,
    )


def run_watching_helpers(out: Path, workers: int) -> tuple[float, int, subprocess.CompletedProcess]:
    """Wall time, most helpers seen at once, and the result of a whole `render` of SOME."""
    start = time.monotonic()
    process = start_render(out, workers, departments=SOME_ARGS)
    most = 0
    while process.poll() is None:
        most = max(most, len([pid for pid in children(process.pid) if is_helper(pid)]))
        time.sleep(0.05)
    stdout, stderr = process.communicate()
    return time.monotonic() - start, most, subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_a_thousand_workers_start_no_more_helpers_than_cores(tmp_path):
    many_time, many_helpers, many = run_watching_helpers(tmp_path / "many", 1000)
    assert many.returncode == 0, many.stderr
    assert len(many.stdout.splitlines()) == len(SOME)
    assert many_helpers <= cores() - 1
    two_time, _, two = run_watching_helpers(tmp_path / "two", 2)
    assert two.returncode == 0, two.stderr
    # Same work with the same processes: about the same time (loose bound: a shared machine).
    assert many_time < 2 * two_time + 5, (many_time, two_time)
    assert sorted(path.name for path in (tmp_path / "many").iterdir()) == sorted(
        path.name for path in (tmp_path / "two").iterdir()
    )


def assert_helpers_end_within_2_s(helpers: set[int], what: str) -> None:
    gone_by = time.monotonic() + 2
    while time.monotonic() < gone_by and any(alive(pid) for pid in helpers):
        time.sleep(0.05)
    assert not any(alive(pid) for pid in helpers), f"{what}: a helper outlived the main process by 2 s"


def kill_what_is_left(process: subprocess.Popen, helpers: set[int]) -> None:
    for pid in [process.pid, *helpers]:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    process.wait(timeout=10)


@pytest.mark.parametrize("ending", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_helpers_end_when_the_main_process_is_killed(tmp_path, ending):
    if cores() < 2:
        pytest.skip("one core: render starts no helper")
    # Output to a file, not a pipe: a helper left behind would keep a pipe open.
    log = (tmp_path / "render.log").open("w")
    process = start_render(tmp_path / "out", 2, output=log, departments=SOME_ARGS)
    helpers: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            helpers = {pid for pid in children(process.pid) if is_helper(pid)}
            if helpers and list((tmp_path / "out").glob("*.pdf")):
                break
            time.sleep(0.02)
        assert helpers, "no helper process was seen"
        process.send_signal(ending)
        process.wait(timeout=10)
        assert_helpers_end_within_2_s(helpers, ending.name)
    finally:
        kill_what_is_left(process, helpers)
        log.close()


def test_interrupted_many_times_every_file_with_its_name_is_complete(tmp_path):
    """Ten runs of `render --annexe xlsx` of SOME into one folder, each cut after a
    random number of sheets (seeded) by Ctrl-C or by SIGKILL of the whole process group:
    after every cut, each PDF and annex under its final name is whole, no helper is left,
    and a last run completes the folder with the same bytes as a run never interrupted.

    The run never interrupted comes first, as a user's earlier run: the cut runs then take
    their indicators from its record (render_cache) and spend their time drawing, where
    every cut falls (after at least one sheet). No --evolution: each sheet and annex is
    written the same way with it, and it costs every one of these 24 processes matplotlib's
    import."""
    import random
    import zipfile

    from pypdf import PdfReader

    chance = random.Random(14)
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "factsheets",
        "-q",
        "render",
        *SOME_ARGS,
        "--workers",
        "2",
        "--annexe",
        "xlsx",
        "--out",
        str(out),
    ]
    clean = tmp_path / "clean"
    reference = subprocess.run([*command[:-1], str(clean)], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert reference.returncode == 0, reference.stderr
    checked: set[str] = set()
    for run in range(10):
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True
        )
        target, written = chance.randint(1, len(SOME) - 2), 0  # render prints each path once its PDF is written
        while written < target and process.stdout.readline():
            written += 1
        assert written == target, f"run {run} ended before the cut"
        helpers = {pid for pid in children(process.pid) if is_helper(pid)}
        os.killpg(process.pid, signal.SIGINT if run % 2 else signal.SIGKILL)
        process.communicate(timeout=60)
        assert_helpers_end_within_2_s(helpers, f"run {run}")
        for path in [*out.glob("*.pdf"), *out.glob("*.xlsx")]:
            if path.name in checked:
                continue
            if path.suffix == ".pdf":
                assert len(PdfReader(path).pages) == 8, (run, path.name)
            else:
                with zipfile.ZipFile(path) as archive:
                    assert archive.testzip() is None, (run, path.name)
            checked.add(path.name)
    finished = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    names = sorted(path.name for path in clean.iterdir() if not path.name.startswith("."))
    assert len([name for name in names if name.endswith(".pdf")]) == len(SOME)
    for name in names:
        assert (out / name).read_bytes() == (clean / name).read_bytes(), name


def start_plain_render(out: Path, log, args: tuple[str, ...] = ("--dept", "02")) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "factsheets", "render", *args, "--out", str(out)],
        cwd=PROJECT_ROOT,
        stdout=log,
        stderr=log,
    )


def watch_from_the_fork(process: subprocess.Popen, cut_after: float) -> tuple[set[int], float]:
    """Wait for the helper to appear, then `cut_after` seconds more (or the process's end):
    the helpers seen and the seconds since the fork."""
    helpers: set[int] = set()
    forked_by = time.monotonic() + 30
    while not helpers and time.monotonic() < forked_by and process.poll() is None:
        helpers = {pid for pid in children(process.pid) if is_helper(pid)}
        time.sleep(0.005)
    forked = time.monotonic()
    while time.monotonic() < forked + cut_after and process.poll() is None:
        helpers |= {pid for pid in children(process.pid) if is_helper(pid)}
        time.sleep(0.005)
    return helpers, time.monotonic() - forked


@pytest.mark.parametrize(
    "args", [("--dept", "02"), ("--dept", "02", "--dept", "13", "--workers", "2")], ids=["plain", "workers-2"]
)
def test_the_helper_forked_before_the_command_line_ends_with_a_main_process_cut_at_any_moment(tmp_path, args):
    """`python -m factsheets render --dept 02`, typed plainly, forks its helper before typer
    parses the command line (render/early.py), and so does a run of two sheets with
    `--workers 2`, whose helper then draws beside this process. Eight runs of each, each cut by SIGKILL or Ctrl-C of
    the main process alone at a random moment (seeded) between the fork, seen as the helper
    appears, and the sheet written: the helper never outlives the main process by 2 s, and a
    sheet under its final name is whole.

    The moments are drawn within the time a whole run takes from its fork to its end, measured
    on this machine by the fastest of three runs never cut (after a first one, which leaves the
    records a user's later runs find): timed from the fork, the cut falls after it however slowly a busy machine
    starts the interpreter, and before the end however fast the run is."""
    import random

    from pypdf import PdfReader

    if cores() < 2:
        pytest.skip("one core: render starts no helper")
    spans = []
    for run in ("first", "measured-1", "measured-2", "measured-3"):
        with (tmp_path / f"render-{run}.log").open("w") as log:
            process = start_plain_render(tmp_path / f"out-{run}", log, args)
            _, span = watch_from_the_fork(process, cut_after=60)
            assert process.wait(timeout=10) == 0, (tmp_path / f"render-{run}.log").read_text()
            spans.append(span)
    # The fastest of three: one run slowed by the other tests' load would draw cuts past the
    # end of the runs that follow.
    span = min(spans[1:])
    chance = random.Random(20)
    seen_helpers = cut_while_running = 0
    for run in range(8):
        out = tmp_path / f"out-{run}"
        log = (tmp_path / f"render-{run}.log").open("w")  # a file: a helper left behind would hold a pipe open
        process = start_plain_render(out, log, args)
        helpers: set[int] = set()
        try:
            helpers, _ = watch_from_the_fork(process, cut_after=chance.uniform(0.0, 0.8 * span))
            cut_while_running += process.poll() is None
            process.send_signal(signal.SIGKILL if run % 2 else signal.SIGINT)
            process.wait(timeout=10)
            assert_helpers_end_within_2_s(helpers, f"run {run}")
            seen_helpers += bool(helpers)
            for sheet in out.glob("*.pdf"):
                assert len(PdfReader(sheet).pages) == 8, (run, sheet.name)
        finally:
            kill_what_is_left(process, helpers)
            log.close()
    assert seen_helpers >= 6, "the runs ended before their helper was seen: the test proves nothing"
    assert cut_while_running >= 4, f"the runs ended before their cut (a whole run: {span:.2f} s): the test proves nothing"


# Ctrl-C at the worst moment of a helper's start: once the helper is forked, before the pool's
# thread that feeds and ends it runs (the SIGINT raised there, as a terminal would deliver it).
_CTRL_C_AT_THE_FORK = """
import runpy, signal, sys
import concurrent.futures.process as futures_process

spawn = futures_process.ProcessPoolExecutor._spawn_process
pids_file = sys.argv[1]

def spawn_then_ctrl_c(self):
    spawn(self)
    with open(pids_file, "a") as pids:
        pids.writelines(f"{pid}\\n" for pid in self._processes)
    signal.raise_signal(signal.SIGINT)

futures_process.ProcessPoolExecutor._spawn_process = spawn_then_ctrl_c
sys.argv = ["factsheets", *sys.argv[2:]]
runpy.run_module("factsheets", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize(
    "args",
    [("render", "--dept", "02"), ("-q", "render", "--dept", "02")],
    ids=["forked-before-the-command-line", "forked-by-the-run"],
)
def test_ctrl_c_as_the_helper_is_forked_ends_the_run_and_its_helper(tmp_path, args):
    """`python -m factsheets …` interrupted between the helper's fork and its pool's thread
    (a Ctrl-C there left a helper nothing would end, and the run waiting for it for ever):
    the run ends as any interrupted one, one line and no traceback, its helper with it."""
    if cores() < 2:
        pytest.skip("one core: render starts no helper")
    pids = tmp_path / "helpers.txt"
    process = subprocess.Popen(
        [sys.executable, "-c", _CTRL_C_AT_THE_FORK, str(pids), *args, "--out", str(tmp_path / "out")],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    helpers = {int(line) for line in pids.read_text().split()}
    try:
        assert helpers, "no helper was started: the test proves nothing"
        assert process.returncode == -signal.SIGINT, stderr
        assert stderr.strip() == "factsheets : interrompu ; les fiches déjà écrites sont complètes"
        assert_helpers_end_within_2_s(helpers, " ".join(args))
        assert not list((tmp_path / "out").glob("*.pdf"))
    finally:
        for pid in helpers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


# `factsheets ARGS` as the script pip writes for [project.scripts] runs it, which writes a
# byte to the pipe given first once the entry is imported, just before its main() starts.
_SCRIPT_SAYING_WHEN_IT_STARTS = """
import os, sys
from factsheets.__main__ import main
os.write(int(sys.argv[1]), b".")
sys.argv = ["factsheets", *sys.argv[2:]]
sys.exit(main())
"""

INTERRUPTED_LINE = "factsheets : interrompu ; les fiches déjà écrites sont complètes"


def start_saying_when_it_starts(out: Path, log) -> tuple[subprocess.Popen, float]:
    """`factsheets render --dept 02 --dept 13 --workers 2` started; returns once its entry runs
    (the process and that moment)."""
    read, write = os.pipe()
    process = subprocess.Popen(
        [sys.executable, "-c", _SCRIPT_SAYING_WHEN_IT_STARTS, str(write), "render", "--dept", "02", "--dept", "13"]
        + ["--workers", "2", "--out", str(out)],
        cwd=PROJECT_ROOT,
        stdout=log,
        stderr=log,
        pass_fds=(write,),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as in a terminal
    )
    os.close(write)
    try:
        os.read(read, 1)
    finally:
        os.close(read)
    return process, time.monotonic()


def test_ctrl_c_while_the_command_line_loads_is_one_line_never_a_traceback(tmp_path):
    """Ctrl-C at random moments (seeded) from the first line of the command's entry on:
    while the collector is held and the helper forked, while typer and the command's modules
    load, while the sheets are drawn. Each run ends as an interrupted one (one line, killed by
    SIGINT) or complete, never with a traceback, its helper with it, its sheets whole. (A
    Ctrl-C within Python's own start, before the entry, is Python's to report.)"""
    import random

    from pypdf import PdfReader

    spans = []
    for run in ("first", "measured"):
        with (tmp_path / f"render-{run}.log").open("w") as log:
            process, started = start_saying_when_it_starts(tmp_path / f"out-{run}", log)
            assert process.wait(timeout=60) == 0, (tmp_path / f"render-{run}.log").read_text()
            spans.append(time.monotonic() - started)
    chance = random.Random(8)
    interrupted = 0
    for run in range(16):
        out, log_path = tmp_path / f"out-{run}", tmp_path / f"render-{run}.log"
        helpers: set[int] = set()
        with log_path.open("w") as log:  # a file: a helper left behind would hold a pipe open
            process, started = start_saying_when_it_starts(out, log)
            try:
                cut = started + chance.uniform(0.0, 0.6 * spans[-1])  # the start is what the other tests cut least
                while time.monotonic() < cut and process.poll() is None:
                    helpers |= {pid for pid in children(process.pid) if is_helper(pid)}
                    time.sleep(0.002)
                process.send_signal(signal.SIGINT)
                returncode = process.wait(timeout=20)
                assert_helpers_end_within_2_s(helpers, f"run {run}")
            finally:
                kill_what_is_left(process, helpers)
        said = log_path.read_text()
        assert "Traceback" not in said, (run, said)
        if returncode == -signal.SIGINT:
            interrupted += 1
            assert said.strip().splitlines()[-1] == INTERRUPTED_LINE, (run, said)
        else:
            assert returncode == 0, (run, returncode, said)
        for sheet in out.glob("*.pdf"):
            assert len(PdfReader(sheet).pages) == 8, (run, sheet.name)
    assert interrupted >= 10, f"only {interrupted} of 16 runs were cut before their end: the test proves nothing"
