"""Data at 100× the sample in bounded memory (issue 24 item 5, SPEC 15): peak RSS and wall time.

Run:   python3 benchmarks/bench_ingest.py                    (1×, 10×, 100×, both layouts)
       python3 benchmarks/bench_ingest.py --scales 1 10 --layouts dgddi
       python3 benchmarks/bench_ingest.py --generate 1 dgddi /tmp/x.csv   (only write a CSV)

The bundled sample (factsheets/sample.py, ~843 k rows, six years) is repeated N times, each
copy six years earlier than the one after it (100×: years 1425 to 2024, 84 M rows, every key
distinct), and written as a CSV in a temporary folder, copy by copy (the generator itself
holds one copy in memory):
- "canonical": the canonical layout (profile canonical: `,`, euros, UTF-8);
- "dgddi": the DGDDI departmental layout (profile dgddi: `;`, thousands of euros with a
  decimal comma, Latin-1 header with « Code département », flows E / I).

Then, for each scale and layout, `factsheets ingest CSV --profile LAYOUT --out data.parquet`
runs in a fresh process, and on the 100× output (the largest scale run) `factsheets render
--dept 02 --data …` and `factsheets indicators --dept 02 --json --data …`. For each run it
prints the wall time and the peak RSS of the process: its VmHWM read from /proc every 50 ms
while it runs (as benchmarks/bench_render.py does), and the exact figure from wait4's
ru_maxrss when it ends (the larger of the two is printed). Targets: ingest < 2 GB, render and
indicators < 1.5 GB (PASS / FAIL). The machine's load average and how busy other processes
kept the CPUs during each run ("other load", % of all cores) are printed too. Every file is
deleted at the end (the CSVs as soon as they are read).

The figures are for whatever `factsheets` package Python imports (printed first): set
PYTHONPATH to a checkout to measure that one.

Measured on 2026-12-03 (2 shared CPUs, load average 6.7 before, 8.0 after; other processes
kept 54-72% of the CPUs busy during the runs):

    run                                                      wall      CPU   peak RSS
    ingest 1× dgddi (21 MB CSV)                              6.0s     3.4s    0.44 GB
    ingest 10× dgddi (212 MB CSV)                           25.5s    17.8s    0.78 GB
    ingest 100× dgddi (2,116 MB CSV)                       171.0s   146.7s    0.83 GB   < 2 GB PASS
    ingest 100× canonical (2,598 MB CSV)                   214.6s   132.1s    0.73 GB   < 2 GB PASS
    render --dept 02 (100×, 84,339,600 rows)                 1.8s     1.5s    0.34 GB   < 1.5 GB PASS
    indicators --dept 02 --json (100×)                      23.1s    18.5s    0.76 GB   < 1.5 GB PASS

Before the batches, `ingest` of the 10× dgddi CSV peaked at 3.35 GB (16× the file).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

INGEST_TARGET = 2 * 1024**3
READ_TARGET = 1.5 * 1024**3
YEARS_PER_COPY = 6


def _sample() -> pl.DataFrame:
    from factsheets.paths import SAMPLE_DATA

    return pl.read_parquet(SAMPLE_DATA)


def generate(scale: int, layout: str, path: Path) -> int:
    """Write the sample `scale` times (each copy six years earlier) as a CSV; its rows."""
    sample = _sample()
    span = sample["year"].max() - sample["year"].min() + 1
    assert span == YEARS_PER_COPY
    if layout == "dgddi":
        value = pl.col("value_eur").cast(pl.Int64)
        sample = sample.select(
            Annee=pl.col("year"),
            Flux=pl.col("flow").replace_strict({"export": "E", "import": "I"}),
            dept=pl.col("department"),
            product=pl.col("product"),
            country=pl.col("country"),
            Valeur=(value // 1000).cast(pl.String) + "," + (value % 1000).cast(pl.String).str.zfill(3),
        )
        header, separator, encoding = "Annee;Flux;Code département;Code A129;Code Pays;Valeur\n", ";", "latin-1"
    else:
        header, separator, encoding = ",".join(sample.columns) + "\n", ",", "utf-8"
    rows = 0
    with path.open("wb") as stream:
        stream.write(header.encode(encoding))
        for copy in reversed(range(scale)):  # the oldest years first, as an extract is
            shifted = sample.with_columns(pl.col(sample.columns[0]) - span * copy)
            stream.write(shifted.write_csv(include_header=False, separator=separator).encode(encoding))
            rows += shifted.height
    return rows


def _cpu_jiffies() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    return sum(values) - values[3] - values[4], sum(values)


def _hwm(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run(args: list[str]) -> dict:
    """One fresh `factsheets` process: wall time, peak RSS, other load; fails loudly if it fails."""
    busy0, total0 = _cpu_jiffies()
    started = time.perf_counter()
    # stderr to a file, not a pipe: the summary of 600 years would fill a pipe read at the end.
    errors = tempfile.TemporaryFile()
    process = subprocess.Popen([sys.executable, "-m", "factsheets", *args], stdout=subprocess.DEVNULL, stderr=errors)
    peak = 0
    while True:
        peak = max(peak, _hwm(process.pid))
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(0.05)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    errors.seek(0)
    stderr = errors.read().decode()
    errors.close()
    busy1, total1 = _cpu_jiffies()
    own = usage.ru_utime + usage.ru_stime
    ticks = os.sysconf("SC_CLK_TCK")
    other = max(0.0, (busy1 - busy0) / ticks - own) / max(1e-9, (total1 - total0) / ticks)
    if process.returncode != 0:
        raise SystemExit(f"échec de factsheets {' '.join(args)} :\n{stderr}")
    return {"wall": wall, "cpu": own, "peak": max(peak, usage.ru_maxrss * 1024), "other": other}


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _gb(size: float) -> str:
    return f"{size / 1024**3:.2f} GB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--layouts", nargs="+", default=["dgddi", "canonical"], choices=["dgddi", "canonical"])
    parser.add_argument("--tmp", type=Path, default=None, help="folder for the temporary files (default: the system's)")
    parser.add_argument("--generate", nargs=3, metavar=("SCALE", "LAYOUT", "CSV"), help="only write one CSV")
    options = parser.parse_args(argv)
    if options.generate:
        scale, layout, path = options.generate
        print(f"{path}: {generate(int(scale), layout, Path(path))} rows")
        return 0

    import factsheets

    print(f"factsheets: {Path(factsheets.__file__).parent}")
    print(f"load average before: {_load()} ({os.cpu_count()} CPUs)")
    folder = Path(tempfile.mkdtemp(prefix="bench-ingest-", dir=options.tmp))
    results: list[tuple[str, dict, float]] = []
    biggest = max(options.scales)
    try:
        for scale in sorted(options.scales):
            for layout in options.layouts:
                csv = folder / f"{layout}-{scale}x.csv"
                started = time.perf_counter()
                rows = generate(scale, layout, csv)
                size = csv.stat().st_size
                print(f"{csv.name}: {rows:,} rows, {size / 1024**2:,.0f} MB (generated in {time.perf_counter() - started:.0f} s)")
                out = folder / f"{layout}-{scale}x.parquet"
                figures = run(["ingest", str(csv), "--profile", layout, "--out", str(out)])
                csv.unlink()
                results.append((f"ingest {scale}× {layout} ({size / 1024**2:,.0f} MB CSV)", figures, INGEST_TARGET))
                print(f"  ingest: {figures['wall']:.1f} s, peak {_gb(figures['peak'])}", flush=True)
                if scale != biggest or layout != options.layouts[0]:
                    out.unlink()
        data = folder / f"{options.layouts[0]}-{biggest}x.parquet"
        for name, args in (
            ("render --dept 02", ["render", "--dept", "02", "--data", str(data), "--out", str(folder / "render")]),
            ("indicators --dept 02 --json", ["indicators", "--dept", "02", "--json", "--data", str(data)]),
        ):
            figures = run(args)
            results.append(
                (f"{name} ({biggest}×, {pl.scan_parquet(data).select(pl.len()).collect().item():,} rows)", figures, READ_TARGET)
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    print()
    print(f"{'run':<52} {'wall':>8} {'CPU':>8} {'peak RSS':>10} {'target':>9} {'other load':>11}  result")
    for name, figures, target in results:
        verdict = "PASS" if figures["peak"] < target else "FAIL"
        print(
            f"{name:<52} {figures['wall']:>7.1f}s {figures['cpu']:>7.1f}s {_gb(figures['peak']):>10} "
            f"{'< ' + _gb(target):>9} {figures['other']:>10.0%}  {verdict}"
        )
    print(f"load average after: {_load()}")
    return 0 if all(figures["peak"] < target for _name, figures, target in results) else 1


if __name__ == "__main__":
    sys.exit(main())
