"""Time to load the bundled sample and compute the indicators of all 101 departments.

Run: python benchmarks/bench_indicators.py [--repeat 5]
Prints the median and the individual runs (seconds), in a fresh process each time so
import and cache effects are included the way a user meets them.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

SNIPPET = """
import time
started = time.perf_counter()
from factsheets.config import settings
from factsheets.indicators import compute_all
from factsheets.paths import SAMPLE_DATA
from factsheets.reference import load_reference
from factsheets.validate import choose_year, load_trade_data
imported = time.perf_counter()
reference = load_reference()
trade = load_trade_data(SAMPLE_DATA, reference)
loaded = time.perf_counter()
year = choose_year(trade, None, SAMPLE_DATA)
results = compute_all(trade, reference, settings(), year)
computed = time.perf_counter()
assert len(results) == 101
print(imported - started, loaded - imported, computed - loaded)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    runs = []
    for _ in range(args.repeat):
        output = subprocess.run([sys.executable, "-c", SNIPPET], capture_output=True, text=True, check=True).stdout
        runs.append(tuple(float(x) for x in output.split()))
    for index, label in enumerate(("import", "load + validate", "indicators (101 departments)")):
        values = [run[index] for run in runs]
        print(f"{label:32s} median {statistics.median(values):6.3f} s   runs {' '.join(f'{v:.3f}' for v in values)}")
    totals = [run[1] + run[2] for run in runs]
    print(f"{'load + indicators (target < 2 s)':32s} median {statistics.median(totals):6.3f} s")


if __name__ == "__main__":
    main()
