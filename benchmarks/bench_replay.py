"""What replaying the pages sheets share costs and saves (factsheets.pdf_replay): every
department's sheet drawn once in a fresh process, with replay and without, alternated.

Run:   python benchmarks/bench_replay.py               (5 repetitions of each, ~1 min)
       python benchmarks/bench_replay.py --repeat 9

Each process draws the first department's sheet untimed (fonts, shared modules), then the
101 sheets once each, in the order of `render --all` (by region): the CPU time of those 101
divided by 101. Each sheet is drawn once per process, so no sheet's streams are found
compressed already (pdf_streams) as they would be if the same sheets were drawn twice in one
process. Prints both medians, their ratio, and whether the 101 sheets' bytes are the same
both ways (a SHA-256 of all of them).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path


def worker(replayed: bool) -> None:
    from factsheets import pdf_replay
    from factsheets.paths import SAMPLE_DATA
    from factsheets.render import SheetRenderer

    pdf_replay.enabled = replayed
    renderer = SheetRenderer(SAMPLE_DATA, None, [], history=False)
    codes = renderer.reference.department_codes()
    renderer.add(codes)
    renderer.sheet_bytes(codes[0])  # untimed: fonts registered, modules imported
    pdf_replay._recordings.clear()  # every page recorded in the timed part, as in a run
    digest = hashlib.sha256()
    start = time.process_time()
    for code in codes:
        digest.update(renderer.sheet_bytes(code))
    cpu = time.process_time() - start
    print(json.dumps({"cpu_per_sheet": cpu / len(codes), "sha256": digest.hexdigest(), "sheets": len(codes)}))


def run(replayed: bool) -> dict:
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", "on" if replayed else "off"],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.exit(f"worker failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--worker", choices=("on", "off"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker == "on")
        return
    runs: dict[bool, list[dict]] = {True: [], False: []}
    for repeat in range(args.repeat):
        for replayed in (False, True) if repeat % 2 == 0 else (True, False):
            runs[replayed].append(run(replayed))
    on, off = (statistics.median(r["cpu_per_sheet"] for r in runs[mode]) for mode in (True, False))
    same = len({r["sha256"] for r in runs[True] + runs[False]}) == 1

    def milliseconds(mode: bool) -> str:
        return " ".join(f"{1000 * r['cpu_per_sheet']:.1f}" for r in runs[mode])

    print(
        f"{runs[True][0]['sheets']} sheets, {args.repeat} alternated fresh processes each: "
        f"replayed {1000 * on:.1f} ms/sheet (runs {milliseconds(True)}), "
        f"drawn {1000 * off:.1f} ms/sheet (runs {milliseconds(False)}), "
        f"ratio {off / on:.2f}x; same bytes: {'yes' if same else 'NO'}"
    )


if __name__ == "__main__":
    main()
