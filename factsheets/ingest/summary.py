"""What `ingest` read and wrote, for stderr: rows per file, years, departments, totals."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from .pipeline import IngestResult


def summary_lines(result: IngestResult, reference, out: Path) -> list[str]:
    """What was read and written, for stderr: rows per file, years, departments, totals."""
    from ..numbers import format_millions, format_percent

    totals = result.totals  # rows and euros per year, flow and department
    lines = [f"{out} : {totals['rows'].sum()} ligne(s) écrite(s)"]
    lines += [f"lu : {where} : {count} ligne(s)" for where, count in result.rows_per_source.items()]
    years = sorted(totals["year"].unique().to_list())
    kept = ", ".join(map(str, years))
    left = ", ".join(map(str, result.years_left_out)) or "aucune"
    lines.append(f"années retenues : {kept} ; écartées : {left}")
    all_codes = reference.departments["code"].to_list()
    present = set(totals["department"].unique().to_list())
    missing = [code for code in all_codes if code not in present]
    shown = ", ".join(missing[:30]) + (" …" if len(missing) > 30 else "")
    lines.append(
        f"départements présents : {len(all_codes) - len(missing)} sur {len(all_codes)}"
        + (f" ; absents : {shown}" if missing else "")
    )
    unallocated = list(reference.unallocated_departments)
    by_flow = (
        totals.group_by("year", "flow")
        .agg(
            total=pl.col("value_eur").sum(),
            unallocated=pl.col("value_eur").filter(pl.col("department").is_in(unallocated)).sum(),
        )
        .sort("year", "flow")
    )
    for year, flow, total, not_allocated in by_flow.iter_rows():
        share = format_percent(not_allocated / total, 1) if total else "—"
        lines.append(f"{year} {flow} : {format_millions(total)} M€, dont non ventilé par département : {share}")
    return lines
