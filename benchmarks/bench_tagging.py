"""What tagging costs a sheet (SPEC 11, issue 20): the same sheets drawn in one process with
the tagged canvas and with ReportLab's plain one, interleaved, best of six per sheet.

Run:   python benchmarks/bench_tagging.py              (the ten departments of bench_peer)
       python benchmarks/bench_tagging.py --evolution

"not tagged" still builds the structure elements and alt texts (about 1 ms a sheet); it
leaves out the marked-content operators and the structure tree, parent tree, XMP and
outline the tagged canvas writes. Prints CPU milliseconds per sheet and their ratio.
"""

from __future__ import annotations

import argparse
import time

import factsheets.layout as layout
from factsheets.paths import SAMPLE_DATA
from factsheets.render import SheetOptions, SheetRenderer

CODES = ["02", "60", "59", "48", "13", "31", "75", "2A", "974", "76"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evolution", action="store_true")
    parser.add_argument("--repeat", type=int, default=6)
    args = parser.parse_args()
    tagged = layout.tagged_canvas
    renderer = SheetRenderer(SAMPLE_DATA, None, CODES, SheetOptions(evolution=args.evolution))
    for code in CODES:  # shared charts and fonts first
        renderer.sheet_bytes(code)
    best = {mode: dict.fromkeys(CODES, float("inf")) for mode in ("tagged", "plain")}
    try:
        for repeat in range(args.repeat):
            for mode in ("tagged", "plain") if repeat % 2 else ("plain", "tagged"):
                layout.tagged_canvas = tagged if mode == "tagged" else (lambda base, *_: base)
                for code in CODES:
                    start = time.process_time()
                    renderer.sheet_bytes(code)
                    best[mode][code] = min(best[mode][code], time.process_time() - start)
    finally:
        layout.tagged_canvas = tagged
    on, off = (1000 * sum(best[mode].values()) / len(CODES) for mode in ("tagged", "plain"))
    print(
        f"{'--evolution' if args.evolution else 'plain'}: tagged {on:.1f} ms/sheet, not tagged {off:.1f} ms/sheet, "
        f"ratio {on / off:.3f}"
    )


if __name__ == "__main__":
    main()
