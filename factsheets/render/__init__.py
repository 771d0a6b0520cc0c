"""Render sheets to files: load once, compute indicators once, draw charts, lay out, write atomically.

The package, one module per concern:

- naming.py: the sheets' file names, the output folder probed before any sheet;
- drawer.py: one sheet drawn and written (SheetDrawer: config, texts, fonts; SheetRenderer:
  plus the Dataset and the indicators);
- pool.py: the helper processes (start, claims, shared areas, ending with the main process);
- batch.py: a run (render_departments, RenderReport, the summaries and index.html);
- progress.py: the progress bar on stderr.

Who does what with `--workers N` (benchmarks/bench_render.py measures it):

- The main process reads and validates the data and computes the indicators of every
  requested department, once (Polars). Bad input stops here, before any sheet is drawn.
- It renders sheets itself, alongside N - 1 helper processes (one sheet alone: one helper
  draws it, having loaded ReportLab, the fonts and the hyphenation patterns while this
  process read the data; this process never imports ReportLab then). The helpers are started
  first, before Polars is imported, so their start-up overlaps the loading; they never
  import Polars nor read the data: each sheet's task carries its DepartmentIndicators. On
  Linux they are forked at that moment (a single-threaded process without Polars, so fork
  is safe), which spares each helper a new interpreter and the CLI's imports, and lets it
  exit without a full interpreter shutdown; elsewhere, or once Polars is loaded (a process
  calling render_departments twice, the tests), they are spawned. The
  region's and the nation's flows, shared by many sheets, travel as bytes pickled once per
  run and are unpickled once per helper (see _SharedAreas). A helper loads the config,
  texts and fonts once.
- Departments are handed out in region order: helpers take them from the front of the
  list, the main process from the back, each claiming a sheet just before drawing it (see
  _Claims), so the work balances itself to within one sheet and each process meets a
  region's departments in a row.
- Region and France charts are built once per process and reused for every sheet; their
  shapes' PDF operators are formatted once too (charts.vector.CanvasChart).

A sheet is a pure function of its indicators and the config: the same bytes whichever
process renders it, alone or in bulk.
"""

from .batch import RenderReport, _render_shared, render_departments, write_index
from .drawer import SheetDrawer, SheetOptions, SheetRenderer, _find_logos
from .naming import prepare_output_dir, sheet_filename, slugify
from .pool import FIRST_BATCH, _Claims, _helper_context, _init_helper, _render_in_helper, _SharedAreas, default_workers
from .progress import _Progress

# What the rest of factsheets, the tests and the benchmarks import from `factsheets.render`.
# The helpers' own state (_helper, _start_helpers, …) is read and patched in render.pool.
__all__ = [
    "FIRST_BATCH",
    "RenderReport",
    "SheetDrawer",
    "SheetOptions",
    "SheetRenderer",
    "default_workers",
    "prepare_output_dir",
    "render_departments",
    "sheet_filename",
    "slugify",
    "write_index",
    "_Claims",
    "_Progress",
    "_SharedAreas",
    "_find_logos",
    "_helper_context",
    "_init_helper",
    "_render_in_helper",
    "_render_shared",
]
