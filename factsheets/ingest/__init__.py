"""Raw customs files -> the canonical layout, through a YAML source profile.

A profile (config/profiles/NAME.yaml) says how a raw file is laid out: format (CSV,
Parquet, Excel, or ZIP archives of those), separator, decimal mark, encoding, sheet, lines
above the header, unit of the values, which raw column holds each canonical field, how
flows are coded (or which file names hold which flow) and, for quarterly or monthly data,
how to read the period. `ingest` reads every source with it, sums periods to calendar
years, and checks every row (values here, codes through `validate`): all problems are
reported together, each naming the source file (sheet, member) and its own line.
`write_canonical` writes the result atomically; `inspect_sources` shows how a profile sees
files without converting them.

One module per stage:

- `profile`: the YAML profile, parsed and checked (`load_profile`, `Profile`);
- `sources`: files, ZIP members and Excel sheets to read, with bounded expansion (`Source`);
- `readers`: one table as text columns with its line numbers (CSV, Parquet, Excel), a CSV
  in batches of lines (bounded memory);
- `columns`: the header against the profile's columns, and the closest names;
- `reshape`: cross-tables (`wide:`) as long rows;
- `convert`: raw rows to the canonical layout, every value checked;
- `periods`: quarters and months, and the complete years kept;
- `pipeline`: `ingest_sources`, every stage in order, batch by batch then year by year
  through temporary Parquet parts (`IngestResult`);
- `kinds`: the problems of the batches merged, as if the whole input had been checked at once;
- `inspect`: `--inspect`, how a profile sees the files;
- `summary`: what was read and written, for stderr;
- `write`: the canonical file written atomically;
- `national`: `--national`, the national file stored as the unallocated remainder.
"""

from ..lazy import lazy_exports

# Re-exported for the callers that read them from here (tests: the origin of each row), each
# module loaded on first use: `check`, which every render runs first, reads the profiles
# only, not the readers and the pipeline of a conversion.
_MODULE_OF = {
    "LINE_COLUMN": "..load",
    "WHERE_COLUMN": "..load",
    "SOURCE_COLUMN": ".convert",
    "inspect_sources": ".inspect",
    "IngestResult": ".pipeline",
    "ingest": ".pipeline",
    "ingest_sources": ".pipeline",
    "Profile": ".profile",
    "available_profiles": ".profile",
    "load_profile": ".profile",
    "read_table": ".readers",
    "Source": ".sources",
    "expand_sources": ".sources",
    "summary_lines": ".summary",
    "write_canonical": ".write",
}
__all__ = sorted(_MODULE_OF)


__getattr__ = lazy_exports(__name__, _MODULE_OF)
