"""What options cost on top of a plain `render --all`: `--evolution --annexe xlsx` (at most
1.5x, issue 14) or `--html` (the web pages: at most 1.25x, issue 21).

Run:   python3 benchmarks/bench_beyond.py              (2 rounds, a few minutes)
       python3 benchmarks/bench_beyond.py --rounds 1 --workers 2
       python3 benchmarks/bench_beyond.py --extra=--html --target 1.25

Each round runs the real CLI twice in subprocesses, one after the other, into fresh
folders: `render --all` and `render --all --evolution --annexe xlsx` (same --workers),
alternating which goes first so that a warming or a neighbour's load does not always
favour the same one. Prints the wall time of each run, the median of each, and their
ratio (target <= 1.5). Wall times on a shared machine vary: the ratio of runs made side by
side is the figure to read, and the "other load" column shows how busy the rest of the
machine was (share of all cores used by other processes during the run). The CPU seconds
of each run (the CLI and its helper processes) are printed too: their ratio moves much
less than the wall times' when neighbours come and go.

The figures are for whatever `factsheets` package Python imports (printed first).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 1.5
EXTRA = ["--evolution", "--annexe", "xlsx"]


def _busy_ticks() -> int:
    """All CPUs' non-idle jiffies so far (Linux), to estimate other processes' load."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0
    values = [int(v) for v in fields]
    return sum(values) - values[3] - values[4]  # minus idle and iowait


def run(extra: list[str], workers: int) -> tuple[float, float, float]:
    """(wall seconds, other processes' load as a share of all cores, CPU seconds) of one CLI run."""
    with tempfile.TemporaryDirectory(prefix="bench-beyond-") as out:
        command = [sys.executable, "-m", "factsheets", "render", "--all", "--workers", str(workers), "--out", out, *extra]
        ticks_before, children_before = _busy_ticks(), os.times()
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True)
        wall = time.perf_counter() - start
        ticks_after, children_after = _busy_ticks(), os.times()
        if result.returncode != 0:
            sys.exit(f"échec de {' '.join(command)} :\n{result.stderr}")
        sheets = len(list(Path(out).glob("*.pdf")))
        if sheets != 101:
            sys.exit(f"{sheets} fiches au lieu de 101 : {' '.join(command)}")
    hertz = os.sysconf("SC_CLK_TCK")
    ours = (
        children_after.children_user
        + children_after.children_system
        - children_before.children_user
        - children_before.children_system
    )
    total = (ticks_after - ticks_before) / hertz
    cores = os.cpu_count() or 1
    return wall, max(0.0, total - ours) / (wall * cores), ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--extra", default=" ".join(EXTRA), help="the options measured (default: %(default)s)")
    parser.add_argument("--target", type=float, default=TARGET_RATIO, help="the ratio not to exceed")
    arguments = parser.parse_args()
    extra_options = arguments.extra.split()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_render import byte_compiled_package

    print(f"package: {byte_compiled_package()} (its modules byte-compiled first)")
    print(f"render --all --workers {arguments.workers}, with and without {' '.join(extra_options)}")
    plain, extended = [], []
    cpu = {"plain": [], "extended": []}
    for round_number in range(arguments.rounds):
        order = [([], plain), (extra_options, extended)]
        if round_number % 2:
            order.reverse()
        for extra, times in order:
            wall, other, seconds = run(extra, arguments.workers)
            times.append(wall)
            cpu["extended" if extra else "plain"].append(seconds)
            label = " ".join(extra) or "(plain)"
            print(f"  round {round_number + 1}: {label:<30} {wall:6.2f} s   other load {other:4.0%}   CPU {seconds:6.2f} s")
    ratio = statistics.median(extended) / statistics.median(plain)
    print(f"median plain     {statistics.median(plain):6.2f} s")
    print(f"median extended  {statistics.median(extended):6.2f} s")
    verdict = "ok" if ratio <= arguments.target else "ABOVE TARGET"
    print(f"ratio            {ratio:6.2f}x  (target <= {arguments.target}x: {verdict})")
    cpu_ratio = statistics.median(cpu["extended"]) / statistics.median(cpu["plain"])
    print(f"CPU ratio        {cpu_ratio:6.2f}x  (CPU seconds, medians: less sensitive to other load)")


if __name__ == "__main__":
    main()
