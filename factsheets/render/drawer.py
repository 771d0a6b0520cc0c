"""Drawing and writing one sheet: SheetDrawer (config, texts, fonts, no data) and SheetRenderer (plus the data).

# Nothing at module level imports Polars: helper processes import this module and must stay
# light (Polars costs ~0.3 s of start-up and ~100 MB per process).
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ..dataset import Dataset
from ..errors import FactsheetsError, write_failure
from ..files import write_atomically
from ..interrupted import is_interrupt
from .naming import sheet_filename

if TYPE_CHECKING:
    from ..totals import SheetTotals


class SheetOptions(NamedTuple):
    """What goes beyond the published sheet (render --evolution, --annexe)."""

    evolution: bool = False  # the evolution page, when the data has more than one year
    annex: str | None = None  # "xlsx" or "csv": the figures next to each PDF
    html: bool = False  # the sheet as a web page next to each PDF, and index.html for several


class WrittenSheet(NamedTuple):
    path: Path  # the PDF
    totals: SheetTotals  # the totals it printed (content.sheet_totals): its row of the campaign summary
    sha256: str  # of the PDF's bytes, as written (the summary's column: not read back from disk)


class SheetOutcome(NamedTuple):
    """How one sheet of a run ended: written (its path, its totals) or failed (why, in one line)."""

    code: str
    path: str | None
    message: str | None
    totals: SheetTotals | None = None
    sha256: str | None = None  # the PDF's, when written


class SheetDrawer:
    """What drawing a sheet needs, loaded once per process: config, texts, fonts, logos.

    No data and no Polars: helper processes hold only this and receive the indicators.
    """

    def __init__(self, options: SheetOptions = SheetOptions(), *, prepare: bool = True):
        """`prepare`: register the fonts and find the logos now (their problems raised here),
        else at the first sheet drawn (a process that leaves the drawing to a helper)."""
        from ..config import settings, texts

        self.options = options
        self.settings = settings()
        self.texts = texts()
        if prepare:
            self.prepare_drawing()
        self._area_charts: dict[tuple, object] = {}  # a region's and France's Sankeys (charts.registry)
        self._annexes = None  # annex.Annexes of this run, made at the first annex
        self._editions: dict[int, tuple] = {}
        self._fonts_css: str | None = None

    @cached_property
    def fonts(self):
        from ..fonts import register_pdf_fonts

        return register_pdf_fonts(self.settings)

    @cached_property
    def logos(self):
        return _find_logos(self.settings)

    def prepare_drawing(self) -> None:
        """The fonts registered and the logos found (ReportLab imported), the line breaks
        chosen by earlier runs read (breaks_record): what drawing needs first."""
        from .. import breaks_record

        self.fonts, self.logos  # noqa: B018 (cached properties, computed here)
        breaks_record.load()

    def edition(self, year: int) -> tuple[dict, object]:
        """The texts of `year`'s sheets and their PDF creation date (see config.sheet_texts)."""
        if year not in self._editions:
            from ..config import edition_of, pdf_timestamp, sheet_texts

            self._editions[year] = (sheet_texts(year, self.texts), pdf_timestamp(edition_of(self.texts, year)))
        return self._editions[year]

    def draw(self, ind, synthetic: bool) -> bytes:
        """The PDF bytes of one sheet."""
        return self._draw(ind, synthetic)[0]

    def _draw(self, ind, synthetic: bool):
        """The PDF bytes of one sheet and its content (content.SheetContent), which the web page
        and the annex map too."""
        from ..charts.registry import draw_charts
        from ..collector import resume
        from ..layout import write_sheet

        resume()  # held while the process started (collector.py)
        with _fewer_collections():
            # The charts the sheet shows (charts.registry); a region's and France's drawn once per process.
            charts = draw_charts(ind, self.settings, self.fonts, evolution=self.options.evolution, shared=self._area_charts)
            content = self.sheet_content(ind, synthetic, charts)
            year_texts, created = self.edition(ind.year)
            sheet = write_sheet(content, year_texts, self.fonts, self.settings, self.logos, created)
        from .. import breaks_record

        breaks_record.save()  # the paragraphs this sheet broke first, for the next runs
        return sheet, content

    def sheet_content(self, ind, synthetic: bool, charts=None):
        """What the sheet says (content.build_content), with `charts` drawn for it; without
        them (an annex alone, as the mail campaign makes it) no chart is drawn."""
        from ..charts.registry import SheetCharts
        from ..content import build_content

        year_texts, _ = self.edition(ind.year)
        return build_content(ind, SheetCharts() if charts is None else charts, year_texts, synthetic)

    def web_page(self, content, pdf_path: Path) -> str:
        """The sheet's web page (render --html), from the same content and charts as its PDF."""
        from ..html import sheet_html

        year_texts, _ = self.edition(content.year)
        annex_name = pdf_path.with_suffix("." + self.options.annex).name if self.options.annex else None
        return sheet_html(content, year_texts, self.fonts_css(), pdf_path.name, annex_name)

    def fonts_css(self) -> str:
        """The pages' @font-face rules, looked up once per process (the same for every page)."""
        if self._fonts_css is None:
            from ..fonts import font_files
            from ..html import font_css

            self._fonts_css = font_css(font_files(self.settings), self.fonts.family)
        return self._fonts_css

    def write(self, ind, synthetic: bool, out_dir: Path) -> WrittenSheet:
        """Write the sheet (and its annex when asked); the PDF's path and the totals it printed."""
        path = Path(out_dir) / sheet_filename(ind.year, ind.department.code, ind.department.name)
        sheet, content = self._draw(ind, synthetic)  # first: a sheet that cannot be drawn leaves no annex behind
        page = self.web_page(content, path) if self.options.html else None
        if self.options.annex:
            if self._annexes is None:
                from ..annex import Annexes

                self._annexes = Annexes(self.texts, self.options.annex)
            self._annexes.write(content, path)
        if page is not None:
            from ..html import sheet_html_name

            write_atomically(path.with_name(sheet_html_name(path.name)), page.encode("utf-8"))
        write_atomically(path, sheet)
        from ..content import sheet_totals

        return WrittenSheet(path, sheet_totals(ind, content.numbers), hashlib.sha256(sheet).hexdigest())


class PreparedSheets(SheetDrawer):
    """A SheetDrawer with a run's indicators given, not computed (a run read back from its
    record: render_cache, each department's decoded when asked for); no data and no Polars."""

    def __init__(self, options: SheetOptions, year: int, synthetic: bool, indicators: Mapping, *, prepare: bool = True):
        super().__init__(options, prepare=prepare)
        self.year = year
        self.synthetic = synthetic
        self.indicators = indicators

    def add(self, codes: Sequence[str]) -> None:
        """Every department's indicators are given already; one missing is a bug."""
        missing = [code for code in codes if code not in self.indicators]
        if missing:
            raise KeyError(f"indicators not recorded: {missing}")

    def render_to(self, code: str, out_dir: Path) -> WrittenSheet:
        return self.write(self.indicators[code], self.synthetic, out_dir)


class SheetRenderer(SheetDrawer):
    """A SheetDrawer plus the data: loads and validates it and computes the indicators of `codes`."""

    def __init__(
        self,
        data: Path,
        year: int | None,
        codes: Sequence[str],
        options: SheetOptions = SheetOptions(),
        history: bool = True,
        *,
        prepare: bool = True,
    ):
        """`history`: read every year up to the sheet's (the evolution series, the annexes), else
        only its year; `prepare`: as SheetDrawer's."""
        from ..dataset import open_dataset

        super().__init__(options, prepare=prepare)
        self.dataset: Dataset = open_dataset(data, year, rows="history" if history else "year")
        self.indicators = {}
        self.add(codes)

    @property
    def reference(self):
        return self.dataset.reference

    @property
    def year(self) -> int:
        return self.dataset.year

    @property
    def years(self) -> tuple[int, ...]:
        return self.dataset.years

    @property
    def coverage(self):
        return self.dataset.coverage

    @property
    def synthetic(self) -> bool:
        return self.dataset.synthetic

    def add(self, codes: Sequence[str]) -> None:
        """Compute the indicators of more departments (the same as if computed with the first)."""
        from ..indicators import compute_all

        new = [code for code in dict.fromkeys(codes) if code not in self.indicators]
        if new:
            data = self.dataset
            self.indicators.update(compute_all(data.trade, data.reference, self.settings, data.year, new, data.coverage))

    def coverage_notes(self, codes: Sequence[str]) -> list[str]:
        """Why the sheets of `codes` leave France or their region out (one line each), if they do."""
        regions = [self.reference.department(code).region for code in codes]
        notes = [
            self.coverage.nation_note(),
            self.coverage.region_note([region for region in regions if len(self.coverage.regions.get(region, ())) > 1]),
        ]
        return [note for note in notes if note]

    def no_history_note(self) -> str:
        """Why the evolution page is left out: one year only, or none before the sheet's."""
        years = self.years
        if len(years) == 1:
            return f"une seule année ({self.year}) dans les données : la page « Évolution » est omise"
        return f"aucune année avant {self.year} dans les données : la page « Évolution » est omise"

    def sheet_bytes(self, code: str) -> bytes:
        return self.draw(self.indicators[code], self.synthetic)

    def render_to(self, code: str, out_dir: Path) -> WrittenSheet:
        return self.write(self.indicators[code], self.synthetic, out_dir)


# Allocations between two young collections while a sheet is drawn (Python's default: 700).
DRAWING_GC_THRESHOLD = 20_000


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """A sheet drawn with the cyclic garbage collector run less often (the same bytes: it
    frees nothing a sheet still holds).

    A sheet allocates some hundred thousand objects, nearly all freed as it goes by their
    reference counts; at the default threshold the collector still ran ~20 young and ~2
    middle collections a sheet, and every ~10 sheets a full one over the whole process
    (its configuration, fonts, data: ~40 ms). The threshold is put back after the sheet."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], DRAWING_GC_THRESHOLD), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _find_logos(settings):
    """The logo files of settings.yaml `logos:` (`factsheets check` has made sure they exist)."""
    from ..layout import Logos
    from ..paths import logo_path

    found = {}
    for key in ("government", "agency"):
        path = logo_path(getattr(settings.logos, key))
        found[key] = path if path is not None and path.is_file() else None
    return Logos(**found)


def _outcome(code: str, attempt: Callable[[], WrittenSheet], out_dir: Path | None = None) -> SheetOutcome:
    """The sheet written, or why it failed: one sheet never stops the rest."""
    try:
        written = attempt()
    except Exception as error:
        if is_interrupt(error):  # a Ctrl-C that another error carries (interrupted.is_interrupt)
            raise KeyboardInterrupt from error
        if isinstance(error, FactsheetsError):
            return SheetOutcome(code, None, str(error))
        if isinstance(error, OSError):  # a full disk fails every sheet the same way: one message for all
            folder = Path(error.filename).parent if error.filename else out_dir or "le dossier de sortie"
            return SheetOutcome(code, None, f"{write_failure(folder, error)} (--out)")
        return SheetOutcome(code, None, f"{type(error).__name__}: {error}")  # a bug in one sheet must not lose the others
    return SheetOutcome(code, str(written.path), None, written.totals, written.sha256)
