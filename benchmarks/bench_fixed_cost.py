"""A run's fixed cost: `factsheets render --dept 02` from a fresh process, this checkout against another.

Run:   python3 benchmarks/bench_fixed_cost.py --before /tmp/fixedcost-before
       python3 benchmarks/bench_fixed_cost.py --before DIR --runs 21
       python3 benchmarks/bench_fixed_cost.py --before DIR --cold

Each checkout is measured with its own virtual environment (DIR/.venv/bin/python, made
with `python3 -m venv .venv && .venv/bin/pip install -e .`): the runs of the two are
interleaved, round by round, the order swapped every round, so that a busy spell of the
machine slows both alike. Figures: the median wall time and CPU time (user + system of the
process and its helpers) of each, and the ratio before / after (SPEC 15: at least 2x).

Both are measured as an installed package runs: its modules and its environment's
byte-compiled (pip compiles them at install; an editable checkout under
PYTHONDONTWRITEBYTECODE=1 would compile every module of the package on every run, ~0.2 s,
on both sides alike, and an environment installed by uv without --compile-bytecode every
module of ReportLab and Polars). --no-compile measures
without. Each side keeps its state folder (FACTSHEETS_STATE, where a configuration's pass, a
run's indicators and the paragraphs' line breaks are recorded) across its runs, as a user's
does; one untimed run per side comes first. --cold gives every run a new, empty state folder
instead: a first run, which checks the configuration, reads the data and searches every
paragraph's line breaks.

The machine is shared: before each run the script waits (up to --idle-wait seconds) for
idle CPUs, and it prints how busy other processes kept the machine during the runs ("other
load", % of all cores). The two sheets written are compared byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_render import _cpu_jiffies, compile_installed_packages, runs_text, wait_until_idle  # noqa: E402

TARGET_RATIO = 2.0
COMMAND = ["render", "--dept", "02"]
SHEET = "commerce-exterieur-2024-02-aisne.pdf"


def python_of(checkout: Path) -> Path:
    python = checkout / ".venv" / "bin" / "python"
    if not python.is_file():
        sys.exit(f"{python} introuvable : créez l'environnement (python3 -m venv .venv && .venv/bin/pip install -e .)")
    return python


def run_once(python: Path, checkout: Path, out: Path, env: dict, idle_wait: float) -> dict:
    """One `render --dept 02` in a fresh process: wall, CPU, other load, the sheet's digest."""
    wait_until_idle(idle_wait)
    usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy0, total0 = _cpu_jiffies()
    own0 = time.process_time()
    started = time.perf_counter()
    result = subprocess.run(
        [str(python), "-m", "factsheets", *COMMAND, "--out", str(out)], cwd=checkout, env=env, capture_output=True
    )
    wall = time.perf_counter() - started
    own = time.process_time() - own0
    busy1, total1 = _cpu_jiffies()
    usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"{checkout}: factsheets {' '.join(COMMAND)} failed ({result.returncode}):\n{result.stderr.decode()[-2000:]}")
    cpu = (usage1.ru_utime + usage1.ru_stime) - (usage0.ru_utime + usage0.ru_stime)
    other = max(0.0, (busy1 - busy0) / os.sysconf("SC_CLK_TCK") - cpu - own) / (wall * (os.cpu_count() or 1))
    return {"wall": wall, "cpu": cpu, "other": other, "digest": hashlib.sha256((out / SHEET).read_bytes()).hexdigest()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True, help="the checkout to compare with (its own .venv)")
    parser.add_argument("--after", type=Path, default=Path(__file__).resolve().parent.parent, help="default: this checkout")
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each checkout (default 15)")
    parser.add_argument("--idle-wait", type=float, default=10.0, help="seconds to wait at most for idle CPUs before a run")
    parser.add_argument("--no-compile", action="store_true", help="do not byte-compile the two packages first")
    parser.add_argument("--cold", action="store_true", help="a new, empty state folder for every run (a first run)")
    args = parser.parse_args()
    sides = {"before": args.before.resolve(), "after": args.after.resolve()}
    pythons = {name: python_of(checkout) for name, checkout in sides.items()}
    print(f"before: {sides['before']} ({_commit(sides['before'])})")
    print(f"after:  {sides['after']} ({_commit(sides['after'])})")
    print(
        f"{os.cpu_count()} cores, {args.runs} interleaved runs each, medians, "
        f"state folder {'new for every run (cold)' if args.cold else 'kept across runs (warm)'}; "
        f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    if not args.no_compile:
        for name, checkout in sides.items():
            subprocess.run([str(pythons[name]), "-m", "compileall", "-q", str(checkout / "factsheets")], check=True)
            compile_installed_packages(pythons[name])
    print(f"modules byte-compiled first: {'no' if args.no_compile else 'yes'}")

    results: dict[str, list[dict]] = {name: [] for name in sides}
    with tempfile.TemporaryDirectory(prefix="bench-fixed-cost-") as tmp:
        for name in sides:  # untimed: the files read from disk, and (warm) the state recorded
            run_once(pythons[name], sides[name], Path(tmp) / f"first-{name}", _env(tmp, name, "kept"), args.idle_wait)
        for index in range(args.runs):
            order = list(sides) if index % 2 == 0 else list(reversed(sides))
            for name in order:
                out = Path(tmp) / f"{name}-{index}"
                env = _env(tmp, name, str(index) if args.cold else "kept")
                results[name].append(run_once(pythons[name], sides[name], out, env, args.idle_wait))

    medians = {}
    for name, runs in results.items():
        walls, cpus = [run["wall"] for run in runs], [run["cpu"] for run in runs]
        medians[name] = (statistics.median(walls), statistics.median(cpus))
        print(
            f"  {name:6s} wall {medians[name][0]:5.2f} s   cpu {medians[name][1]:5.2f} s   "
            f"runs {runs_text(walls, '{:.2f}')}   other load {runs_text([100 * run['other'] for run in runs], '{:.0f}%')}"
        )
    wall_ratio = medians["before"][0] / medians["after"][0]
    cpu_ratio = medians["before"][1] / medians["after"][1]
    print(f"  ratio before / after: wall {wall_ratio:.2f}x, cpu {cpu_ratio:.2f}x")
    digests = {run["digest"] for runs in results.values() for run in runs}
    print(f"  {SHEET} identical before and after, in every run: {'yes' if len(digests) == 1 else 'NO'}")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print("\nTarget")
    print(
        f"  {'met ' if wall_ratio >= TARGET_RATIO else 'MISS'} render --dept 02 from a fresh process >= {TARGET_RATIO:.0f}x faster"
    )


def _env(tmp: str, side: str, state: str) -> dict:
    """The environment of a run: no FACTSHEETS_ setting of the caller's, the state folder
    `state` of `side` (a name not used before: a new, empty folder)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FACTSHEETS_")}
    env["FACTSHEETS_STATE"] = str(Path(tmp) / f"state-{side}-{state}")
    return env


def _commit(checkout: Path) -> str:
    result = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(checkout), "status", "--porcelain", "--untracked-files=no"], capture_output=True)
    return (result.stdout.strip() or "?") + (" + uncommitted changes" if dirty.stdout.strip() else "")


if __name__ == "__main__":
    main()
