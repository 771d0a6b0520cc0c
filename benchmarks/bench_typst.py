"""`factsheets render` against Typst and against the floor, per sheet, and memory at N× the data.

Run:   python benchmarks/bench_typst.py                  (3 interleaved repetitions, ~2 min)
       python benchmarks/bench_typst.py --repeat 5 --scale 100
       python benchmarks/bench_typst.py --scale 20 --skip-sheets

Prints (issue 24, SPEC section 15):

1. Comparability: the counts of path (m l c v y re h), paint (f f* F B B* b b* S s) and
   text-showing (Tj TJ ' ") operators in the content streams (Form XObjects included) of
   the same department's sheet from `render` and from benchmarks/peer_typst.py, page by
   page and in all.
2. Marginal CPU (and wall) seconds per sheet, (10 departments - 1) / 9, each count in a
   fresh process, repetitions interleaved:
   - factsheets: the real CLI, `python -m factsheets render --dept ... --workers 1`, each
     command run once untimed first, so that every timed run finds the state an earlier run
     of it left (the checks passed, the indicators recorded, the line breaks chosen);
   - Typst: benchmarks/peer_typst.py, rendering time only (indicators given free, one
     `typst.Compiler` reused, its tagged PDF as Typst 0.14+ writes it);
   - the floor: the cost of formatting the sheet's content operators and writing a PDF with
     its font subsets. Each sheet is first drawn by the project (untimed) with its page
     content streams and every text it encodes recorded. Timed: a bare ReportLab canvas
     replays them — every non-text operator line formatted again from its numbers
     (`fp_str`) and operator, every text encoded again into the subsets of the fresh
     document (the same `splitString` of the project's fonts + subset names the canvas
     uses, in the same order, so the subsets are the sheet's), the text-showing lines
     themselves as recorded — then
     `showPage` per page and `save` (font subsets built and embedded, streams compressed,
     a stream or font subset met before not made again, as the project does: met before
     by an earlier replay, not by the untimed drawing that recorded the sheets, whose
     streams and subsets are forgotten first, see forget_made_once).
     No layout, no chart geometry, no link annotations, no outline nor tags: what any
     ReportLab-based producer of these pages must pay at the least.
   The ratios Typst / factsheets (target >= 2) and factsheets / floor (target <= 1.3).
3. With --scale N: a dataset of N× the sample (the sample repeated N times, copy k with its
   years moved back by 6k, so that each year keeps the sample's size; written by a
   streaming sink), and the peak RSS (VmHWM of the process tree, as bench_render samples
   it) of `render --dept 02` and `indicators --dept 02 --json` on it.

Timings on a shared machine are noisy: compare the ratios, not the absolute times; "load"
says how busy other processes kept the CPUs. Needs the `bench` extra (typst).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_render import byte_compiled_package, run_cli, runs_text, wait_until_idle  # noqa: E402

DEPARTMENTS = ["02", "60", "59", "48", "13", "31", "75", "2A", "974", "76"]
HERE = Path(__file__).resolve().parent
PEER = HERE / "peer_typst.py"
PATH_OPS = {"m", "l", "c", "v", "y", "re", "h"}
PAINT_OPS = {"f", "F", "f*", "B", "B*", "b", "b*", "S", "s"}
TEXT_OPS = {"Tj", "TJ", "'", '"'}
TARGETS = {"typst_ratio": 2.0, "floor_ratio": 1.3, "memory_mb": 1536.0}


def dept_args(codes: list[str]) -> list[str]:
    return [arg for code in codes for arg in ("--dept", code)]


# -- 1. operator counts ---------------------------------------------------------------------
def operator_counts(path: Path) -> list[Counter]:
    """Per page: Counter of "path", "paint", "text" operators (Form XObjects counted where drawn)."""
    from pypdf import PdfReader
    from pypdf.generic import ContentStream

    reader = PdfReader(path)

    def count(stream, resources, into: Counter, depth: int = 0) -> None:
        operations = ContentStream(stream, reader).operations
        xobjects = resources.get("/XObject", {}) if resources else {}
        for operands, operator in operations:
            op = operator.decode("latin-1") if isinstance(operator, bytes) else str(operator)
            if op in PATH_OPS:
                into["path"] += 1
            elif op in PAINT_OPS:
                into["paint"] += 1
            elif op in TEXT_OPS:
                into["text"] += 1
            elif op == "Do" and depth < 8 and xobjects:
                target = xobjects.get(operands[0])
                if target is not None:
                    target = target.get_object()
                    if target.get("/Subtype") == "/Form":
                        count(target, target.get("/Resources", resources), into, depth + 1)

    pages = []
    for page in reader.pages:
        counter = Counter()
        contents = page.get_contents()
        if contents is not None:
            count(contents, page.get("/Resources"), counter)
        pages.append(counter)
    return pages


def counts_text(pages: list[Counter]) -> str:
    total = sum(pages, Counter())
    per_page = " | ".join(f"{c['path']}/{c['paint']}/{c['text']}" for c in pages)
    return f"path {total['path']:5d}  paint {total['paint']:4d}  text {total['text']:4d}   per page (path/paint/text): {per_page}"


# -- 2. the floor ---------------------------------------------------------------------------
def floor_worker(codes: list[str]) -> None:
    """In a fresh process: record the sheets of `codes` (untimed), then time their replay (1, then all)."""
    import re

    from reportlab.lib.rl_accel import fp_str
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfgen import canvas as canvas_module

    from factsheets.fonts import TaggedTTFont
    from factsheets.paths import SAMPLE_DATA
    from factsheets.pdf_streams import compressing_once
    from factsheets.render import SheetRenderer

    renderer = SheetRenderer(SAMPLE_DATA, None, codes, history=False)
    recorded: list[list[tuple[list, list, dict]]] = []  # per sheet, per page: (lines, texts, opacity states)
    state = {"page_texts": [], "pages": None}
    # The project's faces encode a text with its own splitString (a no-break space of its
    # own, strings of known characters without ReportLab's loop): recorded and replayed there.
    original_split = TaggedTTFont.splitString
    original_show = canvas_module.Canvas.showPage

    def split(self, text, doc, encoding="utf-8"):
        if state["pages"] is not None:
            state["page_texts"].append((self.fontName, text))
        return original_split(self, text, doc, encoding)

    def show(self):
        if state["pages"] is not None:
            # The opacity states the page names (/gRLs0 gs): the canvas keeps them per page.
            state["pages"].append((list(self._code), state["page_texts"], dict(self._extgstate._c)))
            state["page_texts"] = []
        return original_show(self)

    TaggedTTFont.splitString = split
    canvas_module.Canvas.showPage = show
    try:
        for code in codes:
            state["pages"], state["page_texts"] = [], []
            renderer.sheet_bytes(code)
            recorded.append(state["pages"])
            state["pages"] = None
    finally:
        TaggedTTFont.splitString = original_split
        canvas_module.Canvas.showPage = original_show

    forget_made_once(renderer.fonts)

    number = re.compile(r"^-?(\d+\.?\d*|\.\d+)$")
    text_line = re.compile(r"\)\s*(Tj|TJ|'|\")\s*$|\]\s*TJ\s*$")

    def tokens(line: str):
        """A non-text line as (numbers, operator tail) items, or None to keep it as it is."""
        if "(" in line or "<" in line or "[" in line or "/" in line:
            return None
        parts = line.split()
        items, numbers = [], []
        for part in parts:
            if number.match(part):
                numbers.append(float(part))
            else:
                items.append((tuple(numbers), part))
                numbers = []
        if numbers:
            return None
        return items

    prepared = []
    for sheet in recorded:
        pages = []
        for lines, texts, states in sheet:
            plan = []
            for line in lines:
                parsed = None if text_line.search(line) else tokens(line)
                plan.append(line if parsed is None else parsed)
            pages.append((plan, texts, states))
        prepared.append(pages)

    def replay(pages) -> bytes:
        import io

        out = io.BytesIO()
        canv = canvas_module.Canvas(
            out, pagesize=(595.2755905511812, 841.8897637795277), invariant=1, initialFontName=renderer.fonts.regular
        )
        doc = canv._doc
        for plan, texts, states in pages:
            for font_name, text in texts:
                font = pdfmetrics.getFont(font_name)
                for subset, _ in original_split(font, text, doc):
                    font.getSubsetInternalName(subset, doc)
            code = canv._code
            for item in plan:
                if isinstance(item, str):
                    code.append(item)
                else:
                    code.append(" ".join(f"{fp_str(*numbers)} {op}" if numbers else op for numbers, op in item))
            canv._extgstate._c.update(states)
            canv.showPage()
        with compressing_once():  # as the sheets are saved: a stream met before not compressed again
            canv.save()
        return out.getvalue()

    replay(prepared[0])  # warm: the fonts' tables parsed once, as in a run
    clock, cpu = time.perf_counter(), time.process_time()
    replay(prepared[0])
    one = (time.perf_counter() - clock, time.process_time() - cpu)
    clock, cpu = time.perf_counter(), time.process_time()
    sizes = [len(replay(pages)) for pages in prepared]
    if os.environ.get("BENCH_TYPST_FLOOR_DUMP"):  # to look at a replayed sheet
        Path(os.environ["BENCH_TYPST_FLOOR_DUMP"]).write_bytes(replay(prepared[0]))
    ten = (time.perf_counter() - clock, time.process_time() - cpu)
    print(
        json.dumps(
            {
                "one_wall": one[0],
                "one_cpu": one[1],
                "all_wall": ten[0],
                "all_cpu": ten[1],
                "sheets": len(prepared),
                "bytes": sizes,
            }
        )
    )


def forget_made_once(fonts) -> None:
    """Forget the compressed streams and the faces' subset files that the project makes once
    per distinct content and remembers (pdf_streams.forget_compressed, fonts._remembering_subsets).

    The floor's sheets are first drawn by the project, untimed: what that drawing made would
    otherwise be found made already by the timed replays, and the floor would count none of
    the compression and subsetting a run pays for each sheet's own streams and subsets, only
    for those shared by all sheets, once. Forgotten, each is made again the first time a
    replay meets it, as in a run of the project.
    """
    from reportlab.pdfbase import pdfmetrics

    from factsheets import pdf_streams

    pdf_streams.forget_compressed()
    for name in {fonts.regular, fonts.bold, fonts.italic, fonts.bold_italic, fonts.semibold}:
        pdfmetrics.getFont(name).face.makeSubset.forget()


def run_floor(codes: list[str], idle_wait: float) -> dict:
    wait_until_idle(idle_wait)
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--floor-worker", *dept_args(codes)], capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(f"floor failed ({result.returncode}):\n{result.stderr[-2000:]}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    count = report["sheets"] - 1
    # Replays in one process: (all - one) / (n - 1), as the processes' marginal cost.
    return {"wall": (report["all_wall"] - report["one_wall"]) / count, "cpu": (report["all_cpu"] - report["one_cpu"]) / count}


def run_typst(codes: list[str], out: Path, idle_wait: float) -> dict:
    wait_until_idle(idle_wait)
    result = subprocess.run([sys.executable, str(PEER), *dept_args(codes), "--out", str(out)], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"Typst peer failed ({result.returncode}):\n{result.stderr[-2000:]}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return {"wall": report["render_seconds"], "cpu": report["render_cpu_seconds"]}


# -- 3. memory at N× -------------------------------------------------------------------------
def run_alone(args: list[str], idle_wait: float) -> dict:
    """One single-process CLI run, its output to a file (a large JSON would fill a pipe): the
    process's peak RSS (ru_maxrss of a fresh waiter process, so no earlier child counts)."""
    wait_until_idle(idle_wait)
    waiter = (
        "import resource, subprocess, sys, time, json; started = time.perf_counter(); "
        "code = subprocess.call([sys.executable, '-m', 'factsheets', *sys.argv[1:]], stdout=subprocess.DEVNULL, "
        "stderr=subprocess.DEVNULL); usage = resource.getrusage(resource.RUSAGE_CHILDREN); "
        "print(json.dumps({'code': code, 'wall': time.perf_counter() - started, "
        "'cpu': usage.ru_utime + usage.ru_stime, 'peak_mb': usage.ru_maxrss / 1024}))"
    )
    result = subprocess.run([sys.executable, "-c", waiter, *args], capture_output=True, text=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    if report["code"] != 0:
        sys.exit(f"factsheets {' '.join(args)} failed ({report['code']})")
    return report


def scaled_dataset(copies: int, path: Path) -> float:
    """N× the sample, copy k with its years moved back by 6k; seconds to write it."""
    import polars as pl

    from factsheets.paths import SAMPLE_DATA

    started = time.perf_counter()
    sample = pl.scan_parquet(SAMPLE_DATA)
    years = sample.select(pl.col("year").n_unique()).collect().item()
    pl.concat([sample.with_columns((pl.col("year") - years * k).cast(pl.Int32)) for k in range(copies)]).sink_parquet(path)
    return time.perf_counter() - started


def median(values) -> float:
    return statistics.median(list(values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved repetitions (default 3)")
    parser.add_argument("--idle-wait", type=float, default=2.0, help="seconds to wait at most for idle CPUs before each run")
    parser.add_argument("--scale", type=int, default=0, help="also measure memory on N× the sample (e.g. 100: 84 M rows)")
    parser.add_argument("--skip-sheets", action="store_true", help="only the memory part (with --scale)")
    parser.add_argument("--floor-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--dept", action="append", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_worker:
        floor_worker(args.dept)
        return
    repeat = max(1, args.repeat)
    print(f"factsheets from {byte_compiled_package()} (its modules byte-compiled first)")
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {repeat} interleaved repetition(s), medians; "
        f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-typst-") as tmp:
        os.chdir(tmp)  # `python -m` puts the working folder first on sys.path
        if not args.skip_sheets:
            sheets(Path(tmp), repeat, args.idle_wait)
        if args.scale:
            memory(Path(tmp), args.scale, args.idle_wait)
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


def sheets(tmp: Path, repeat: int, idle_wait: float) -> None:
    first = DEPARTMENTS[:1]
    runs: dict[str, list] = {key: [] for key in ("fs_1", "fs_10", "ty_1", "ty_10", "floor")}
    # Each factsheets run once untimed first: every timed run then finds the records an
    # earlier run of the same command left (check_cache, render_cache, breaks_record), as a
    # campaign's runs do. Without this, a repetition whose state was not yet made (the first,
    # or any after a change to the code) counted the data's reading in one run of the pair.
    for codes in (first, DEPARTMENTS):
        run_cli(["render", *dept_args(codes), "--workers", "1", "--out", str(tmp / "warm-up")], idle_wait)
    for index in range(repeat):
        out = tmp / str(index)
        for key, codes in (("fs_1", first), ("fs_10", DEPARTMENTS)):
            result = run_cli(["render", *dept_args(codes), "--workers", "1", "--out", str(out / key)], idle_wait)
            runs[key].append(result)
        for key, codes in (("ty_1", first), ("ty_10", DEPARTMENTS)):
            runs[key].append(run_typst(codes, out / key, idle_wait))
        runs["floor"].append(run_floor(DEPARTMENTS, idle_wait))
        print(
            f"  repetition {index + 1}: factsheets {runs['fs_1'][-1]['cpu']:.2f} / {runs['fs_10'][-1]['cpu']:.2f} s CPU, "
            f"Typst {runs['ty_1'][-1]['cpu']:.2f} / {runs['ty_10'][-1]['cpu']:.2f} s CPU (1 / 10 sheets), "
            f"floor {1000 * runs['floor'][-1]['cpu']:.1f} ms CPU/sheet; other load "
            f"{100 * runs['fs_10'][-1]['other_load']:.0f}%",
            flush=True,
        )

    print(f"\n1. Operators in department {first[0]}'s sheet (content streams, Form XObjects included)")
    ours = next((tmp / "0" / "fs_1").glob("*.pdf"))
    theirs = next((tmp / "0" / "ty_1").glob("*.pdf"))
    print(f"  factsheets  {counts_text(operator_counts(ours))}")
    print(f"  Typst       {counts_text(operator_counts(theirs))}")

    count = len(DEPARTMENTS) - 1

    def marginal(key: str, measure: str) -> list[float]:
        return [(ten[measure] - one[measure]) / count for one, ten in zip(runs[f"{key}_1"], runs[f"{key}_10"])]

    print(f"\n2. Marginal cost of a sheet, (10 departments - 1) / 9, fresh processes ({', '.join(DEPARTMENTS)})")
    figures = {}
    for measure, what in (("cpu", "CPU time"), ("wall", "wall time")):
        fs, ty, floor = marginal("fs", measure), marginal("ty", measure), [r[measure] for r in runs["floor"]]
        figures[measure] = (median(ty) / median(fs), median(fs) / median(floor))
        print(f"  {what}:")
        print(
            f"    factsheets render (CLI)   {1000 * median(fs):7.1f} ms/sheet   runs {runs_text([1000 * v for v in fs], '{:.1f}')}"
        )
        print(
            f"    Typst peer                {1000 * median(ty):7.1f} ms/sheet   runs {runs_text([1000 * v for v in ty], '{:.1f}')}"
        )
        print(
            f"    floor (replay + save)     {1000 * median(floor):7.1f} ms/sheet   runs {runs_text([1000 * v for v in floor], '{:.1f}')}"
        )
        print(
            f"    Typst / factsheets        {figures[measure][0]:7.2f}x   run by run "
            f"{runs_text([t / f for t, f in zip(ty, fs)], '{:.2f}x')}"
        )
        print(
            f"    factsheets / floor        {figures[measure][1]:7.2f}x   run by run "
            f"{runs_text([f / c for f, c in zip(fs, floor)], '{:.2f}x')}"
        )
    print(
        f"  other load during the factsheets runs: "
        f"{runs_text([100 * r['other_load'] for r in runs['fs_1'] + runs['fs_10']], '{:.0f}%')}"
    )
    print("\nTargets (CPU time)")
    for label, ok in (
        ("a sheet >= 2x cheaper than Typst's", figures["cpu"][0] >= TARGETS["typst_ratio"]),
        ("a sheet within 1.3x of the floor", figures["cpu"][1] <= TARGETS["floor_ratio"]),
    ):
        print(f"  {'met ' if ok else 'MISS'} {label}")


def memory(tmp: Path, copies: int, idle_wait: float) -> None:
    data = tmp / f"trade-{copies}x.parquet"
    seconds = scaled_dataset(copies, data)
    import polars as pl

    rows = pl.scan_parquet(data).select(pl.len()).collect().item()
    print(
        f"\n3. Memory at {copies}x the sample: {rows:,} rows, {data.stat().st_size / 1e6:.0f} MB of Parquet "
        f"(written in {seconds:.0f} s)".replace(",", " ")
    )
    peaks = {}
    for label, command in (
        ("render --dept 02", ["render", "--dept", "02", "--workers", "1", "--out", str(tmp / "big")]),
        ("indicators --dept 02 --json", ["indicators", "--dept", "02", "--json"]),
    ):
        result = run_alone([*command, "--data", str(data)], idle_wait)
        peaks[label] = result["peak_mb"]
        print(f"  {label:30s} peak RSS {result['peak_mb']:6.0f} MB   wall {result['wall']:5.1f} s   cpu {result['cpu']:5.1f} s")
    for label, peak in peaks.items():
        print(f"  {'met ' if peak < TARGETS['memory_mb'] else 'MISS'} {label} under 1.5 GB")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    if "--floor-worker" not in sys.argv:
        print(f"\n(benchmark took {time.perf_counter() - started:.0f} s)")
