"""An `ingest` killed outright (SIGKILL: no handler runs) leaves its temporary parts in the
temporary folder; the next `ingest` removes them, never those of an ingest still running
(SPEC 14). Through the real CLI, the kill caused many times."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from cli_helpers import PROJECT_ROOT

from factsheets.paths import SAMPLE_DATA

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="flock and SIGKILL semantics of Linux")

DGDDI_HEADER = "Annee;Flux;Code département;Code A129;Code Pays;Valeur"


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory) -> Path:
    """The whole sample (843,396 rows, six years) as a customs CSV: long enough to ingest for a
    kill to fall in the middle, in small batches."""
    frame = pl.read_parquet(SAMPLE_DATA).select(
        pl.col("year"),
        pl.when(pl.col("flow") == "export").then(pl.lit("E")).otherwise(pl.lit("I")),
        pl.col("department"),
        pl.col("product"),
        pl.col("country"),
        # Thousands of euros with a decimal comma, as the customs write them.
        (pl.col("value_eur").cast(pl.Int64) // 1000).cast(pl.String)
        + ","
        + (pl.col("value_eur").cast(pl.Int64) % 1000).cast(pl.String).str.zfill(3),
    )
    path = tmp_path_factory.mktemp("big") / "dgddi.csv"
    body = frame.write_csv(separator=";", include_header=False)
    path.write_bytes((DGDDI_HEADER + "\n" + body).encode("cp1252"))
    return path


def start_ingest(source: Path, out: Path, temporary: Path) -> subprocess.Popen:
    environment = {**os.environ, "TMPDIR": str(temporary), "FACTSHEETS_INGEST_BATCH_BYTES": "400000"}
    command = [sys.executable, "-m", "factsheets", "-q", "ingest", str(source), "--profile", "dgddi", "--out", str(out)]
    return subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def workspaces(temporary: Path) -> list[Path]:
    return sorted(path for path in temporary.iterdir() if path.name.startswith("factsheets-ingest-"))


def wait_for_parts(temporary: Path, process: subprocess.Popen, at_least: int, before: list[Path]) -> Path:
    """The workspace `process` made (one not in `before`), once it holds `at_least` parts."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        for folder in set(workspaces(temporary)) - set(before):
            if len(list(folder.glob("*/*/*.parquet"))) >= at_least:
                return folder
        time.sleep(0.01)
    raise AssertionError(f"the ingest ended or stalled before writing {at_least} parts")


def test_killed_ingests_leave_parts_the_next_ingest_removes(big_csv, tmp_path):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    chance = random.Random(20)
    for kill in range(6):
        before = workspaces(temporary)
        process = start_ingest(big_csv, tmp_path / f"killed-{kill}.parquet", temporary)
        own = wait_for_parts(temporary, process, chance.randint(1, 12), before)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        # The run could not clean up: its workspace is there, and no output file; it had
        # swept the one the kill before left.
        assert workspaces(temporary) == [own], kill
        assert not (tmp_path / f"killed-{kill}.parquet").exists()
    finished = start_ingest(big_csv, tmp_path / "out.parquet", temporary)
    _, stderr = finished.communicate(timeout=300)
    assert finished.returncode == 0, stderr
    assert workspaces(temporary) == []
    assert pl.read_parquet(tmp_path / "out.parquet").height == pl.read_parquet(SAMPLE_DATA).height


def test_an_ingest_never_removes_the_parts_of_one_still_running(big_csv, tmp_path):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    first = start_ingest(big_csv, tmp_path / "first.parquet", temporary)
    running = wait_for_parts(temporary, first, 3, [])
    # A second ingest, of a small file, starts (and sweeps) while the first one goes on.
    small = tmp_path / "small.csv"
    small.write_bytes(b"\n".join(big_csv.read_bytes().splitlines()[:2000]) + b"\n")
    second = start_ingest(small, tmp_path / "second.parquet", temporary)
    _, stderr = second.communicate(timeout=120)
    assert second.returncode == 0, stderr
    assert first.poll() is None, "the first ingest ended before the second one swept: nothing was tested"
    assert running.is_dir() and list(running.glob("*/*/*.parquet"))
    _, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    assert workspaces(temporary) == []
    assert pl.read_parquet(tmp_path / "first.parquet").height == pl.read_parquet(SAMPLE_DATA).height
