"""`factsheets render` against the obvious route (benchmarks/peer_matplotlib.py), in one run.

Run:   python benchmarks/bench_peer.py                 (3 interleaved repetitions, ~2-3 min)
       python benchmarks/bench_peer.py --repeat 5
       python benchmarks/bench_peer.py --render-args "--evolution --annexe xlsx"

Prints, each figure the median of the repetitions (the runs follow):

1. Marginal seconds per sheet, from 1 and from 10 departments (02, 60, 59, 48, 13, 31, 75,
   2A, 974, 76), each count in one fresh process: (time for 10 - time for 1) / 9.
   - factsheets: the real CLI, `python -m factsheets render --dept ... --workers 1`, wall
     time of the process (it loads the data and computes its indicators: not free);
   - the peer: matplotlib -> SVG -> svglib -> ReportLab for the same eight charts and the
     same eight pages, its rendering time only (the indicators are given to it free).
   Both in wall time and in CPU time (user + system of the process and its helpers): on a
   shared machine CPU time is the steadier of the two. Their ratio is the figure that
   travels between machines; absolute times do not.
2. `render --all` with 1 and 2 workers: wall time, peak memory (sum of every process's
   own peak RSS), and the speed-up.
3. Bytes: every sheet the same with 1 and 2 workers and across repetitions; the ten
   departments rendered together the same as in the `--all` runs; the first department
   alone the same as in bulk.

Runs are interleaved (one of each per repetition) so that a slow spell of this shared
machine hits them all alike; "other load" says how busy other processes kept the CPUs.
`--render-args` are added to every `factsheets render` command; the peer does the same
extra work for `--evolution` (the project's matplotlib figure, built afresh per sheet and
taken through SVG and svglib, as its other charts) and `--annexe KIND` (the project's own
annex writer: data, not drawing).
Needs the `bench` extra (svglib): pip install -e '.[bench]'. To measure another checkout
(e.g. an older commit exported with `git archive`), set PYTHONPATH to it.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_render import byte_compiled_package, digest, run_cli, runs_text, wait_until_idle  # noqa: E402

DEPARTMENTS = ["02", "60", "59", "48", "13", "31", "75", "2A", "974", "76"]
PEER = Path(__file__).resolve().parent / "peer_matplotlib.py"
TARGETS = {"per_sheet_ratio": 10.0, "speedup": 1.7, "memory_mb": 1024.0}


def dept_args(codes: list[str]) -> list[str]:
    return [arg for code in codes for arg in ("--dept", code)]


def peer_args(render_args: list[str]) -> list[str]:
    """The flags of `render` that add work to a sheet (--evolution, --annexe KIND), for the peer to do too."""
    flags = []
    for index, arg in enumerate(render_args):
        if arg == "--evolution":
            flags.append(arg)
        elif arg == "--annexe" and index + 1 < len(render_args):
            flags += [arg, render_args[index + 1]]
        elif arg.startswith("--annexe="):
            flags.append(arg)
    return flags


def run_peer(codes: list[str], out: Path, idle_wait: float, extra: list[str] = ()) -> dict:
    """Rendering wall and CPU seconds of the peer for `codes`, in a fresh process (indicators excluded)."""
    wait_until_idle(idle_wait)
    result = subprocess.run(
        [sys.executable, str(PEER), *dept_args(codes), *peer_args(list(extra)), "--out", str(out)], capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(f"peer failed ({result.returncode}):\n{result.stderr[-2000:]}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    if report["sheets"] != len(codes):
        sys.exit(f"peer wrote {report['sheets']} sheets for {len(codes)} departments")
    return {"wall": report["render_seconds"], "cpu": report["render_cpu_seconds"]}


def median(values) -> float:
    return statistics.median(list(values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved repetitions (default 3)")
    parser.add_argument(
        "--idle-wait", type=float, default=5.0, help="seconds to wait at most for idle CPUs before each run (default 5)"
    )
    parser.add_argument("--per-sheet-only", action="store_true", help="only the marginal cost of a sheet (no render --all runs)")
    parser.add_argument("--render-args", default="", help='extra flags for every factsheets render, e.g. "--evolution"')
    args = parser.parse_args()
    extra = shlex.split(args.render_args)
    repeat = max(1, args.repeat)

    print(f"factsheets from {byte_compiled_package()} (its modules byte-compiled first)")
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {repeat} interleaved repetition(s), medians; "
        f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    if extra:
        print(f"render flags: {' '.join(extra)}")

    first = DEPARTMENTS[:1]
    runs: dict[str, list] = {key: [] for key in ("fs_1", "fs_10", "peer_1", "peer_10", "all_1", "all_2")}
    with tempfile.TemporaryDirectory(prefix="bench-peer-") as tmp:
        # Commands run from an empty folder: `python -m` puts the working folder first on
        # sys.path, which would shadow a checkout given by PYTHONPATH.
        os.chdir(tmp)
        for index in range(repeat):
            out = Path(tmp) / str(index)
            for key, codes in (("fs_1", first), ("fs_10", DEPARTMENTS)):
                result = run_cli(["render", *dept_args(codes), "--workers", "1", *extra, "--out", str(out / key)], args.idle_wait)
                result["digests"] = {Path(p).name: digest(p) for p in result["paths"] if p.endswith(".pdf")}
                runs[key].append(result)
            for key, codes in (("peer_1", first), ("peer_10", DEPARTMENTS)):
                runs[key].append(run_peer(codes, out / key, args.idle_wait, extra))
            for key, workers in () if args.per_sheet_only else (("all_1", "1"), ("all_2", "2")):
                result = run_cli(["render", "--all", "--workers", workers, *extra, "--out", str(out / key)], args.idle_wait)
                result["digests"] = {Path(p).name: digest(p) for p in result["paths"] if p.endswith(".pdf")}
                runs[key].append(result)
            print(
                f"  repetition {index + 1}: factsheets {runs['fs_1'][-1]['wall']:.2f} / {runs['fs_10'][-1]['wall']:.2f} s, "
                f"peer {runs['peer_1'][-1]['wall']:.2f} / {runs['peer_10'][-1]['wall']:.2f} s (1 / 10 sheets); "
                + (
                    ""
                    if args.per_sheet_only
                    else f"--all {runs['all_1'][-1]['wall']:.2f} s (1 worker), {runs['all_2'][-1]['wall']:.2f} s (2)"
                ),
                flush=True,
            )

    count = len(DEPARTMENTS) - 1

    def marginal(key: str, measure: str) -> list[float]:
        return [(ten[measure] - one[measure]) / count for one, ten in zip(runs[f"{key}_1"], runs[f"{key}_10"])]

    print(f"\n1. Marginal cost of a sheet, (10 departments - 1) / 9, one process each ({', '.join(DEPARTMENTS)})")
    ratios = {}
    for measure, what in (("wall", "wall time"), ("cpu", "CPU time")):
        ours, peer = marginal("fs", measure), marginal("peer", measure)
        ratios[measure] = median(peer) / median(ours)
        print(f"  {what}:")
        print(
            f"    factsheets render (CLI)          {median(ours):6.3f} s/sheet   runs {runs_text(ours)}   "
            f"(1 dept {median(r[measure] for r in runs['fs_1']):.2f} s, "
            f"10 depts {median(r[measure] for r in runs['fs_10']):.2f} s)"
        )
        print(
            f"    peer matplotlib->SVG->svglib     {median(peer):6.3f} s/sheet   runs {runs_text(peer)}   "
            f"(1 dept {median(r[measure] for r in runs['peer_1']):.2f} s, "
            f"10 depts {median(r[measure] for r in runs['peer_10']):.2f} s)"
        )
        print(
            f"    ratio peer / factsheets          {ratios[measure]:6.1f}x   run by run "
            f"{runs_text([p / o for p, o in zip(peer, ours)], '{:.1f}x')}"
        )
    ratio = ratios["wall"]
    if args.per_sheet_only:
        return

    print("\n2. render --all (101 sheets)")
    for key, label in (("all_1", "--workers 1"), ("all_2", "--workers 2")):
        results = runs[key]
        print(
            f"  {label:12s} wall {median(r['wall'] for r in results):6.2f} s   cpu {median(r['cpu'] for r in results):6.2f} s   "
            f"peak RSS {median(r['peak_mb'] for r in results):5.0f} MB (largest process "
            f"{median(r['largest_mb'] for r in results):4.0f} MB, {results[0]['processes']} processes)   "
            f"runs {runs_text([r['wall'] for r in results], '{:.2f}')}   "
            f"other load {runs_text([100 * r['other_load'] for r in results], '{:.0f}%')}"
        )
    speedup = median(r["wall"] for r in runs["all_1"]) / median(r["wall"] for r in runs["all_2"])
    print(
        f"  speed-up of 2 workers over 1: {speedup:.2f}x   run by run "
        f"{runs_text([a['wall'] / b['wall'] for a, b in zip(runs['all_1'], runs['all_2'])], '{:.2f}x')}"
    )
    peak = max(median(r["peak_mb"] for r in runs[key]) for key in ("fs_1", "fs_10", "all_1", "all_2"))
    print(f"  peak RSS of any factsheets run: {peak:.0f} MB")

    print("\n3. Bytes")
    bulk = runs["all_1"][0]["digests"]
    same_workers = all(r["digests"] == bulk for r in runs["all_1"] + runs["all_2"]) and len(bulk) == 101
    same_ten = all(r["digests"].items() <= bulk.items() and len(r["digests"]) == 10 for r in runs["fs_10"])
    same_one = all(r["digests"].items() <= bulk.items() and len(r["digests"]) == 1 for r in runs["fs_1"])
    print(f"  101 sheets identical with 1 and 2 workers and across repetitions: {'yes' if same_workers else 'NO'}")
    print(f"  the 10 departments rendered together identical to --all: {'yes' if same_ten else 'NO'}")
    print(f"  {first[0]} rendered alone identical to --all: {'yes' if same_one else 'NO'}")

    print("\nTargets")
    checks = [
        ("a sheet >= 10x cheaper than the peer's (wall time)", ratio >= TARGETS["per_sheet_ratio"]),
        ("2 workers >= 1.7x faster than 1", speedup >= TARGETS["speedup"]),
        ("peak RSS <= 1 GiB", peak <= TARGETS["memory_mb"]),
        ("same bytes: 1 or 2 workers, runs, departments together or alone", same_workers and same_ten and same_one),
    ]
    for label, ok in checks:
        print(f"  {'met ' if ok else 'MISS'} {label}")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"\n(benchmark took {time.perf_counter() - started:.0f} s)")
