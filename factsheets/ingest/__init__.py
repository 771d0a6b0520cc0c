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

# Re-exported for the callers that read them from here (tests: the origin of each row).
from ..load import LINE_COLUMN, WHERE_COLUMN
from .convert import SOURCE_COLUMN
from .inspect import inspect_sources
from .pipeline import IngestResult, ingest, ingest_sources
from .profile import Profile, available_profiles, load_profile
from .readers import read_table
from .sources import Source, expand_sources
from .summary import summary_lines
from .write import write_canonical

__all__ = [
    "LINE_COLUMN",
    "SOURCE_COLUMN",
    "WHERE_COLUMN",
    "IngestResult",
    "Profile",
    "Source",
    "available_profiles",
    "expand_sources",
    "ingest",
    "ingest_sources",
    "inspect_sources",
    "load_profile",
    "read_table",
    "summary_lines",
    "write_canonical",
]
