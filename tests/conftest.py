"""Fixtures shared by several test files.

`render --all` of the bundled sample takes the longest of any single command here; the
sheets (8 pages, no evolution page) with their web pages and annexes are rendered once per
test run and read by every test that only needs them (test_print_rules.py, test_render.py,
test_html.py, ...), and so are the measures read back from the sheets (test_contrast.py,
test_justified_lines.py, test_print_layout.py), plain and with --evolution. Tests that render again on purpose (same bytes twice, other
workers, --evolution) still run their own command.
"""

from __future__ import annotations

import compileall
import fcntl
import json
import os
import pickle
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest
from cli_helpers import PROJECT_ROOT, run_cli
from debian_tools import start_installs


def shared_folder(tmp_path_factory) -> Path:
    """The test run's temporary folder, the same for every pytest-xdist worker."""
    base = tmp_path_factory.getbasetemp()
    # Under pytest-xdist each worker has its own base folder inside the run's one.
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def run_once_per_test_run(
    tmp_path_factory, name: str, *args, env: dict | None = None
) -> tuple[subprocess.CompletedProcess, Path]:
    """`factsheets *args --out <folder>` run once for the whole test run, pytest-xdist workers
    included (the first to ask runs it under a lock, the others wait and read its result);
    `env`: its whole environment, else this process's.

    Returns the finished command (exit code, stdout, stderr) and its output folder."""
    shared = shared_folder(tmp_path_factory)
    out, record = shared / name, shared / f"{name}.json"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.is_file():
            result = run_cli(*args, "--out", out, timeout=900, env=env)
            record.write_text(json.dumps([result.args, result.returncode, result.stdout, result.stderr]), encoding="utf-8")
        command, code, stdout, stderr = json.loads(record.read_text(encoding="utf-8"))
    return subprocess.CompletedProcess(command, code, stdout, stderr), out


def render_all_once(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """`render --all --html --annexe xlsx --workers 2` of the sample, once for the whole test
    run: the 101 sheets with their web pages, annexes, index and summary. Two workers whatever
    the machine: the CLI forks a helper (see test_render_workers.py). Tests must not write into
    its folder (others read it)."""
    return run_once_per_test_run(
        tmp_path_factory, "render-all", "render", "--all", "--html", "--annexe", "xlsx", "--workers", "2"
    )


@pytest.fixture(scope="session")
def plain_render_all(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """The 101 plain sheets of the sample, as `render --all` writes them: the PDFs of
    render_all_once, which --html and --annexe leave byte for byte as they are
    (test_render.py::test_render_all_twice_gives_identical_bytes renders a plain `render --all`
    and compares). Its stdout lists the 101 PDFs."""
    return render_all_once(tmp_path_factory)


def measured_once_per_test_run(tmp_path_factory, name: str, measure, paths: list[Path]) -> dict[Path, object]:
    """`measure(path)` of every path, computed once for the whole test run: each result is
    pickled under the run's shared folder, and the pytest-xdist workers that need the same
    measures at the same time share the work (each takes the paths no one has taken yet,
    then waits for the others' results)."""
    folder = shared_folder(tmp_path_factory) / name
    folder.mkdir(exist_ok=True)
    measured_here: dict[Path, object] = {}  # not read back from its pickle

    def result_of(path: Path, wait: bool) -> bool:
        record = folder / f"{path.name}.pickle"
        with open(folder / f"{path.name}.lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                return False  # another worker is measuring it
            if not record.is_file():
                measured_here[path] = measure(path)
                partial = record.with_suffix(".partial")
                partial.write_bytes(pickle.dumps(measured_here[path], protocol=pickle.HIGHEST_PROTOCOL))
                partial.replace(record)
        return True

    left = [path for path in paths if not result_of(path, wait=False)]
    for path in left:
        result_of(path, wait=True)
    return {
        path: measured_here[path] if path in measured_here else pickle.loads((folder / f"{path.name}.pickle").read_bytes())
        for path in paths
    }


def the_101_sheets(result: subprocess.CompletedProcess) -> list[Path]:
    """The PDFs a successful `render --all` printed, in its order."""
    assert result.returncode == 0, result.stderr
    paths = [Path(line) for line in result.stdout.splitlines()]
    assert len(paths) == 101
    return paths


@pytest.fixture(scope="session")
def plain_sheets(plain_render_all) -> list[Path]:
    """The 101 PDFs of plain_render_all, in the order render printed them."""
    return the_101_sheets(plain_render_all[0])


@pytest.fixture(scope="session")
def plain_sheet_measures(tmp_path_factory, plain_sheets) -> dict[Path, object]:
    """tests/pdf_measure.measure_sheet of each plain sheet (every glyph with what lies beneath
    it, the justified body lines, the print layout): one reading of each sheet (PDFium) for
    the whole run, read by test_contrast.py, test_justified_lines.py and test_print_layout.py."""
    from pdf_measure import measure_sheet

    return measured_once_per_test_run(tmp_path_factory, "plain-sheet-measures", measure_sheet, plain_sheets)


def render_all_evolution_once(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """`render --all --evolution --annexe xlsx --workers 2` of the sample, once for the whole
    run: the 101 sheets of 9 pages, their annexes and the summary. Tests must not write into
    its folder."""
    return run_once_per_test_run(
        tmp_path_factory, "render-all-evolution", "render", "--all", "--evolution", "--annexe", "xlsx", "--workers", "2"
    )


@pytest.fixture(scope="session")
def evolution_sheets(tmp_path_factory) -> list[Path]:
    """The 101 sheets of render_all_evolution_once, in the order render printed them."""
    return the_101_sheets(render_all_evolution_once(tmp_path_factory)[0])


@pytest.fixture(scope="session")
def evolution_sheet_measures(tmp_path_factory, evolution_sheets) -> dict[Path, object]:
    """tests/pdf_measure.measure_evolution_sheet of each --evolution sheet, once for the run
    (test_print_layout.py, and the evolution page's glyphs and lines in test_contrast.py and
    test_justified_lines.py)."""
    from pdf_measure import measure_evolution_sheet

    return measured_once_per_test_run(tmp_path_factory, "evolution-sheet-measures", measure_evolution_sheet, evolution_sheets)


# The test files that take longest on one core, longest first (the seconds of a full run of
# the README's command with --durations=0, summed by file). pytest-xdist (--dist loadfile
# --no-loadscope-reorder) hands files to its two workers in collection order, one at a time
# as each runs low: longest first, the short ones fill the end and neither worker waits idle
# for the other. The two first start the shared renders (which use both cores) and share
# the measures.
LONGEST_FILES = (
    "test_justified_lines.py",
    "test_contrast.py",
    "test_render_processes.py",
    "test_html.py",
    "test_mail_interrupt.py",
    "test_render_cache.py",
    "test_mail_campaign.py",
    "test_annex.py",
    "test_tagged_pdf.py",
    "test_beyond.py",
    "test_ingest_killed.py",
    "test_render.py",
    "test_packaging.py",
    "test_check.py",
    "test_adversarial.py",
    "test_mail_journal.py",
    "test_render_workers.py",
    "test_ingest_sources.py",
    "test_ingest_batches.py",
    "test_charts.py",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cold_state: the test's state folder starts empty (no recorded configuration pass)")
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # once, before the workers start
        # Some two hundred commands here are new interpreters, and an editable install is not
        # byte-compiled: where PYTHONDONTWRITEBYTECODE is set (as on this project's machines),
        # each would compile the modules of factsheets it imports again (~0.1 s each).
        compileall.compile_dir(PROJECT_ROOT / "factsheets", quiet=1)
        # Chromium, poppler and the node packages, where missing, installed meanwhile.
        start_installs()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """LONGEST_FILES first, in that order; then the other files, most tests first."""
    tests_of: dict[str, int] = defaultdict(int)
    for item in items:
        tests_of[item.path.name] += 1

    def rank(item: pytest.Item) -> tuple[int, int]:
        name = item.path.name
        if name in LONGEST_FILES:
            return (LONGEST_FILES.index(name), 0)
        return (len(LONGEST_FILES), -tests_of[name])

    items.sort(key=rank)  # stable: a file's tests keep their order, as do files of one rank


def configuration_pass(tmp_path_factory) -> list[Path]:
    """The shipped configuration's pass as check_cache records it (check-*.json), made once
    for the whole test run by a real `render --dept 02` in a state folder of its own."""
    state = shared_folder(tmp_path_factory) / "configuration-pass-state"
    result, _ = run_once_per_test_run(
        tmp_path_factory,
        "configuration-pass",
        "render",
        "--dept",
        "02",
        "--workers",
        "1",
        env={**os.environ, "FACTSHEETS_STATE": str(state)},
    )
    assert result.returncode == 0, result.stderr
    records = sorted(state.glob("check-*.json"))
    assert len(records) == 1, records
    return records


@pytest.fixture(autouse=True)
def state_folder(request, tmp_path_factory) -> Path:
    """Each test keeps its mail journal in a state folder of its own (FACTSHEETS_STATE, which
    the commands it runs inherit), never in the real ~/.local/state. A monkeypatch of its
    own: a test's `monkeypatch.undo()` leaves it in place.

    The folder holds what any earlier run leaves there: the shipped configuration's recorded
    pass (check_cache), so that a test's commands do not all check the same configuration
    again. A test marked `cold_state` (the records' own tests) starts from an empty folder."""
    folder = tmp_path_factory.mktemp("state")
    if request.node.get_closest_marker("cold_state") is None:
        for record in configuration_pass(tmp_path_factory):
            (folder / record.name).write_bytes(record.read_bytes())
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FACTSHEETS_STATE", str(folder))
        yield folder


@pytest.fixture
def full_disk(tmp_path):
    """A 64 KiB tmpfs: every write beyond that fails with ENOSPC."""
    mount_point = tmp_path / "plein"
    mount_point.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)], capture_output=True).returncode != 0:
        pytest.skip("montage d'un tmpfs impossible ici")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)
