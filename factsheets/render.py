"""Render sheets to files: load once, compute indicators, draw charts, lay out, write atomically.

With several workers, departments are spread over processes that each load the data and
compute the indicators once; region and France charts are drawn once per process and
reused for every department of that region.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path

import polars as pl

from .errors import FactsheetsError


@dataclass
class RenderReport:
    year: int
    written: dict[str, Path] = field(default_factory=dict)  # department code -> PDF path
    failures: dict[str, str] = field(default_factory=dict)  # department code -> one-line message


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def sheet_filename(year: int, code: str, name: str) -> str:
    """File names sort by year then code and say what they are: commerce-exterieur-2024-02-aisne.pdf."""
    return f"commerce-exterieur-{year}-{code.lower()}-{slugify(name)}.pdf"


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename: never a partial file."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        # mkstemp makes the file private (0600); a sheet is meant to be shared like any file.
        os.chmod(temporary, 0o666 & ~_current_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def prepare_output_dir(out_dir: Path) -> Path:
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out_dir, prefix=".write-test-", delete=True)
        probe.close()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise FactsheetsError(f"{out_dir}: output folder is not writable ({reason}); choose another with --out") from None
    return out_dir


def is_synthetic(data: Path) -> bool:
    """The bundled sample says it is synthetic in its Parquet metadata."""
    if Path(data).suffix.lower() != ".parquet":
        return False
    try:
        return pl.read_parquet_metadata(data).get("factsheets.synthetic") == "true"
    except Exception:  # unreadable metadata: the loader reports the real problem
        return False


class SheetRenderer:
    """Everything one process needs to render sheets, loaded once: data, config, fonts."""

    def __init__(self, data: Path, year: int | None, codes: Sequence[str]):
        from .config import settings, texts
        from .fonts import register_fonts
        from .indicators import compute_all
        from .layout import Logos
        from .reference import load_reference
        from .validate import choose_year, load_trade_data

        self.settings = settings()
        self.texts = texts()
        self.reference = load_reference()
        self.fonts = register_fonts(self.settings)
        trade = load_trade_data(data, self.reference)
        self.year = choose_year(trade, year, data)
        self.indicators = compute_all(trade, self.reference, self.settings, self.year, list(codes))
        self.synthetic = is_synthetic(data)
        self.logos = _find_logos(self.settings)
        self._area_charts: dict[tuple[str, str], tuple] = {}

    def _shared_sankeys(self, area) -> tuple:
        """Export and import Sankeys of a region or the nation, drawn once per process."""
        from .charts import sankey_chart

        key = (area.level, area.territory.code)
        if key not in self._area_charts:
            self._area_charts[key] = (
                sankey_chart(area.exports, self.settings, size="region"),
                sankey_chart(area.imports, self.settings, size="region"),
            )
        return self._area_charts[key]

    def sheet_bytes(self, code: str) -> bytes:
        from .charts import balance_chart, sankey_chart, treemap_chart
        from .layout import SheetCharts, build_sheet

        ind = self.indicators[code]
        region_export, region_import = self._shared_sankeys(ind.region_flows)
        nation_export, nation_import = self._shared_sankeys(ind.nation_flows)
        charts = SheetCharts(
            balance=balance_chart(ind.balance_countries, self.settings),
            treemap=treemap_chart(ind.local.imports, ind.local.exports, self.settings),
            export_sankey=sankey_chart(ind.local.exports, self.settings),
            import_sankey=sankey_chart(ind.local.imports, self.settings),
            region_export_sankey=region_export,
            region_import_sankey=region_import,
            nation_export_sankey=nation_export,
            nation_import_sankey=nation_import,
        )
        return build_sheet(ind, charts, self.texts, self.fonts, self.settings, self.logos, self.synthetic)

    def render_to(self, code: str, out_dir: Path) -> Path:
        ind = self.indicators[code]
        path = Path(out_dir) / sheet_filename(self.year, code, ind.department.name)
        write_atomically(path, self.sheet_bytes(code))
        return path


def _find_logos(settings: dict):
    from .layout import Logos
    from .paths import PROJECT_ROOT

    configured = settings.get("logos") or {}
    found = {}
    for key in ("government", "agency"):
        name = configured.get(key)
        path = (PROJECT_ROOT / name) if name else None
        found[key] = path if path is not None and path.is_file() else None
    return Logos(**found)


# -- worker processes ---------------------------------------------------------------------
_worker: SheetRenderer | None = None


def _init_worker(data: Path, year: int, codes: Sequence[str]) -> None:
    global _worker
    _worker = SheetRenderer(data, year, codes)


def _render_in_worker(code: str, out_dir: Path) -> tuple[str, str | None, str | None]:
    return _render_one(_worker, code, out_dir)


def _render_one(renderer: SheetRenderer, code: str, out_dir: Path) -> tuple[str, str | None, str | None]:
    """(code, path, None) on success, (code, None, message) on failure: one sheet never stops the rest."""
    try:
        return code, str(renderer.render_to(code, out_dir)), None
    except FactsheetsError as error:
        return code, None, str(error)
    except Exception as error:  # a bug in one sheet must not lose the others
        return code, None, f"{type(error).__name__}: {error}"


def _region_order(renderer_codes: Sequence[str]) -> list[str]:
    """Departments grouped by region so each worker meets a region's charts in a row."""
    from .reference import load_reference

    reference = load_reference()
    return sorted(renderer_codes, key=lambda code: (reference.department(code)[2], code))


def render_departments(
    codes: Sequence[str],
    *,
    year: int | None,
    data: Path,
    out_dir: Path,
    workers: int = 1,
    show_progress: bool = False,
    on_done: Callable[[str], None] | None = None,
) -> RenderReport:
    """Render the sheets of `codes`; failures are collected, not raised (bad input still raises)."""
    out_dir = prepare_output_dir(out_dir)
    codes = list(dict.fromkeys(codes))
    workers = max(1, min(workers, len(codes)))
    # Loading in this process validates the data and the year before any worker starts.
    renderer = SheetRenderer(data, year, codes if workers == 1 else [])
    report = RenderReport(year=renderer.year)
    progress = _Progress(len(codes), show_progress)
    with progress:
        if workers == 1:
            results = (_render_one(renderer, code, out_dir) for code in _region_order(codes))
            for result in results:
                _record(report, result, progress, on_done)
        else:
            context = get_context("spawn")  # fork is unsafe with Polars' thread pool
            with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                                     initargs=(Path(data), renderer.year, codes)) as pool:
                futures = [pool.submit(_render_in_worker, code, out_dir) for code in _region_order(codes)]
                for future in as_completed(futures):
                    _record(report, future.result(), progress, on_done)
    return report


def _record(report: RenderReport, result, progress: "_Progress", on_done) -> None:
    code, path, message = result
    if path is not None:
        report.written[code] = Path(path)
    else:
        report.failures[code] = message
    progress.advance(code)
    if on_done:
        on_done(code)


class _Progress:
    """A rich progress bar on stderr (stdout carries only the written paths)."""

    def __init__(self, total: int, enabled: bool):
        self.enabled = enabled and total > 0
        self.total = total
        self._progress = None

    def __enter__(self):
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("fiches"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                TextColumn("{task.description}"), console=Console(stderr=True), transient=False,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("", total=self.total)
        return self

    def advance(self, code: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, advance=1, description=code)

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.__exit__(*exc)
        return False
