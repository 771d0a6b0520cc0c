"""A run of `render`: the sheets of many departments, this process and its helpers, the report, the summaries."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import render_cache
from ..errors import FactsheetsError, write_failure
from ..files import write_atomically
from . import pool as helper_pool
from .drawer import PreparedSheets, SheetOptions, SheetOutcome, SheetRenderer, _outcome
from .naming import prepare_output_dir
from .pool import FIRST_BATCH, _Claims, _render_in_helper, _SharedAreas, default_workers, helper_count
from .progress import _Progress

if TYPE_CHECKING:
    from ..totals import SheetTotals


@dataclass
class RenderReport:
    year: int
    codes: list[str] = field(default_factory=list)  # the requested departments, normalised, in the order asked
    written: dict[str, Path] = field(default_factory=dict)  # department code -> PDF path
    digests: dict[str, str] = field(default_factory=dict)  # department code -> its PDF's SHA-256, as written
    failures: dict[str, str] = field(default_factory=dict)  # department code -> one-line message
    # Department code -> the totals its sheet printed (content.sheet_totals), or, for a sheet that
    # failed with its indicators computed, would have printed: the summary's figures.
    totals: dict[str, SheetTotals] = field(default_factory=dict)
    # Requested departments with no configured Territoires d'industrie list (no list on their cover).
    without_territoires: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)  # --all: departments without data in the year, not rendered
    notes: list[str] = field(default_factory=list)  # one-line remarks for stderr (said once per run)
    summaries: list[Path] = field(default_factory=list)  # synthese-{year}.csv / .xlsx, several departments


def _render_one(renderer: SheetRenderer, code: str, out_dir: Path) -> SheetOutcome:
    return _outcome(code, lambda: renderer.render_to(code, out_dir), out_dir)


def render_departments(
    codes: Sequence[str] | None,
    *,
    year: int | None,
    data: Path,
    out_dir: Path,
    workers: int = 1,
    show_progress: bool = False,
    on_done: Callable[[str], None] | None = None,
    on_written: Callable[[Path], None] | None = None,
    options: SheetOptions = SheetOptions(),
) -> RenderReport:
    """Render the sheets of `codes` (department codes as typed; None: all departments).

    Failures of single sheets are collected in the report, not raised; bad input (an
    unknown code, unreadable data, an unwritable folder) raises FactsheetsError before any
    sheet is written. `workers` processes render: this one and `workers - 1` helpers.
    `on_written` gets each PDF's path as soon as it is on disk. With several departments,
    the campaign summary (synthese-{year}.csv and .xlsx) is written at the end.
    """
    out_dir = prepare_output_dir(out_dir)
    # Helpers are started before anything imports Polars (see _helper_context), never more
    # processes than cores nor than sheets (counted on the codes as typed: normalising needs
    # the reference): more would only compete for the same cores and memory.
    most_sheets = len(set(codes)) if codes is not None else workers
    # One sheet: a helper imports ReportLab, registers the fonts and draws it while this
    # process loads the data and computes its indicators (it draws nothing itself). With
    # helpers, this process prepares its own drawing once they have their sheets (_render_shared).
    helpers = helper_count(workers, most_sheets, default_workers())
    helper_draws_all = helpers > 0 and most_sheets == 1
    pool, claims = helper_pool._start_helpers(helpers, options)
    try:
        from ..check import preflight

        preflight()  # a configuration mistake: one line, before any sheet (helpers start meanwhile)
        # With helpers, the first departments' indicators are computed alone, so that the
        # helpers start drawing while this process computes the others (None: all at once).
        first_batch = FIRST_BATCH * helpers if pool is not None else None
        record = render_cache.slot(codes, year, data, options)
        recorded = render_cache.read(record) if record is not None else None
        if recorded is not None:  # the same run before: no Polars, no row read
            plan, indicators = recorded
            renderer = PreparedSheets(options, plan.year, plan.synthetic, indicators, prepare=pool is None)
            _write_page_fonts(renderer, out_dir)
        else:
            renderer, plan = _plan_from_data(codes, year, data, out_dir, options, pool is None, first_batch)
        ordered = plan.ordered
        report = RenderReport(
            year=plan.year,
            codes=plan.codes + list(plan.failures),
            failures=dict(plan.failures),
            absent=list(plan.absent),
            without_territoires=list(plan.without_territoires),
            notes=list(plan.notes),
        )
        unrecorded = record if recorded is None else None  # the run's record, until written
        summarised = len(report.codes) > 1  # the run ends with the campaign summary (if it wrote any sheet)

        def record_run() -> None:
            """The run's record (render_cache), once, when every department's indicators are known."""
            nonlocal unrecorded
            if unrecorded is not None and all(code in renderer.indicators for code in ordered):
                render_cache.write(unrecorded, plan, renderer.indicators)
                unrecorded = None

        with _Progress(len(plan.codes), show_progress) as progress:
            on_done = _announcing(report, on_done, progress.above(on_written))
            if pool is None:
                progress.start()
                for code in ordered:
                    _record(report, _render_one(renderer, code, out_dir), progress, on_done)
            else:
                _render_shared(
                    renderer,
                    pool,
                    claims,
                    ordered,
                    len(ordered[:first_batch]),
                    out_dir,
                    report,
                    progress,
                    on_done,
                    claim=not helper_draws_all,
                    summary=summarised,
                    # One sheet: this process is idle while the helper draws it. (With more,
                    # it draws too, and a record of many departments takes ~0.5 s.)
                    meanwhile=record_run if helper_draws_all else None,
                )
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    record_run()
    if summarised and report.written:  # a run that wrote nothing has nothing to sum up
        from ..annex import write_summary

        _add_failed_sheets_totals(report, renderer.indicators)
        try:
            report.summaries = write_summary(report, renderer.texts, out_dir)
        except OSError as error:
            report.notes.append(
                f"{out_dir} : synthèse non écrite, {write_failure(out_dir, error)} ; les fiches écrites sont complètes"
            )
        if options.html:
            try:
                report.summaries.append(write_index(report, renderer, out_dir))
            except OSError as error:
                report.notes.append(
                    f"{out_dir} : index.html non écrit ({error.strerror or type(error).__name__}) ; "
                    "les fiches écrites sont complètes"
                )
    return report


def _add_failed_sheets_totals(report: RenderReport, indicators: dict) -> None:
    """The totals of the sheets that failed but whose indicators were computed, by the
    sheets' own rule (content.sheet_numbers): their summary rows give the figures too."""
    from ..content import sheet_numbers, sheet_totals

    for code in report.failures:
        if code not in report.totals and code in indicators:
            ind = indicators[code]
            report.totals[code] = sheet_totals(ind, sheet_numbers(ind))


def _plan_from_data(
    codes: Sequence[str] | None,
    year: int | None,
    data: Path,
    out_dir: Path,
    options: SheetOptions,
    prepare: bool,
    first_batch: int | None,
) -> tuple[SheetRenderer, render_cache.RunPlan]:
    """The data read and validated (Polars), the departments checked, the first ones'
    indicators computed: what the run draws (`prepare`: its drawing prepared first, see
    SheetDrawer). Bad input raises FactsheetsError here."""
    from ..reference import load_reference  # imports Polars

    reference = load_reference()
    every_department = codes is None
    codes = reference.department_codes(codes)
    # Loading here validates the data and the year before any sheet is drawn.
    # Only the sheet's year is read, unless the evolution page or the annexes need the series.
    renderer = SheetRenderer(data, year, [], options, history=options.evolution or options.annex is not None, prepare=prepare)
    _write_page_fonts(renderer, out_dir)
    codes, absent, failures = _with_data(codes, every_department, renderer, data)
    # By region, so that each process meets a region's charts in a row.
    ordered = sorted(codes, key=lambda code: (reference.department(code).region, code))
    first = ordered[:first_batch]
    renderer.add(first)
    notes = renderer.coverage_notes(codes)
    if options.evolution and first and not renderer.indicators[first[0]].evolution.has_history:
        notes.append(renderer.no_history_note())
    plan = render_cache.RunPlan(
        year=renderer.year,
        synthetic=renderer.synthetic,
        codes=codes,
        ordered=ordered,
        absent=absent,
        failures=failures,
        without_territoires=[code for code in codes if not reference.territoires_industrie.get(code)],
        notes=notes,
    )
    return renderer, plan


def _write_page_fonts(renderer, out_dir: Path) -> None:
    """--html: the pages' fonts, next to them, before any page."""
    if renderer.options.html:
        from ..fonts import font_files
        from ..html import write_fonts

        write_fonts(font_files(renderer.settings), out_dir)


def write_index(report: RenderReport, renderer: SheetRenderer, out_dir: Path) -> Path:
    """index.html of a campaign: every department written, in code order, with its figures and links."""
    from ..html import index_html, sheet_html_name
    from ..numbers import format_millions

    rows = []
    for code in sorted(report.written):
        sheet, path = report.totals[code], report.written[code]  # the figures as the sheet prints them
        rows.append(
            {
                "code": code,
                "name": sheet.name,
                "region": sheet.region,
                "exports": format_millions(sheet.total("export").value_eur),
                "imports": format_millions(sheet.total("import").value_eur),
                "balance": format_millions(sheet.total("balance").value_eur),
                "pdf": path.name,
                "html": sheet_html_name(path.name),
                "annex": path.with_suffix("." + renderer.options.annex).name if renderer.options.annex else None,
            }
        )
    texts, _ = renderer.edition(report.year)
    page = index_html(rows, texts, renderer.fonts_css(), report.year, renderer.synthetic)
    target = Path(out_dir) / "index.html"
    write_atomically(target, page.encode("utf-8"))
    return target


def _announcing(report: RenderReport, on_done, on_written):
    """`on_done`, preceded by `on_written(path)` for a sheet that was written."""
    if on_written is None:
        return on_done

    def done(code: str) -> None:
        if code in report.written:
            on_written(report.written[code])
        if on_done:
            on_done(code)

    return done


def _with_data(
    codes: list[str], every_department: bool, renderer: SheetRenderer, data: Path
) -> tuple[list[str], list[str], dict[str, str]]:
    """(departments to render, absent ones left out of --all, failures of absent ones asked for).

    A department without any row in the year would get an empty sheet: with --all it is
    skipped (and listed in one warning), asked for by name it is a failure.
    """
    present = renderer.dataset.departments
    absent = [code for code in codes if code not in present]
    if not absent:
        return codes, [], {}
    kept = [code for code in codes if code in present]
    if every_department:
        return kept, absent, {}
    message = f"aucune donnée pour ce département en {renderer.year} dans {data} ; vérifiez le code, --year ou --data"
    if not kept:
        names = ", ".join(absent)
        raise FactsheetsError(
            f"{names} : aucune donnée pour {'ce département' if len(absent) == 1 else 'ces départements'} "
            f"en {renderer.year} dans {data} ; vérifiez le code, --year ou --data"
        )
    return kept, [], {code: message for code in absent}


def _render_shared(
    renderer: SheetRenderer,
    pool: ProcessPoolExecutor,
    claims: _Claims,
    ordered: list[str],
    ready: int,
    out_dir: Path,
    report: RenderReport,
    progress: _Progress,
    on_done,
    claim: bool = True,
    meanwhile: Callable[[], None] | None = None,
    summary: bool = False,
) -> None:
    """Helpers take the departments from the front, this process from the back (see _Claims;
    `claim` False: this process only waits for the helpers).

    The indicators of the first `ready` departments are computed already; they are handed
    out before the others are computed. `meanwhile` is called once every department is
    handed out (the run's record written while the helpers draw, not after them); `summary`:
    the run ends with one (annex.write_summary), whose writer this process loads while the
    helpers draw rather than after the last sheet. A
    department left undone because its helper died (killed, out of memory) is rendered
    here at the end.
    """
    futures: list[Future] = []
    shared = _SharedAreas()
    claims.open(len(ordered))
    try:
        for batch in (range(ready), range(ready, len(ordered))):
            renderer.add([ordered[index] for index in batch])
            for index in batch:
                task = shared.pack(renderer.indicators, ordered[index])
                futures.append(pool.submit(_render_in_helper, index, task, renderer.synthetic, out_dir))
            progress.start()  # once the helpers have their first sheets (see _Progress.start)
    except BrokenProcessPool:  # a helper died already: what it did not take is drawn here
        renderer.add(ordered)
    if meanwhile is not None:
        meanwhile()
    if claim:
        # This process's drawing prepared only now (fonts, logos, line breaks: ~0.13 s), once
        # the helpers have their sheets: they prepared theirs while it read the data, and
        # would otherwise wait for it.
        renderer.prepare_drawing()
        if summary:
            from ..annex import load_spreadsheet_writer

            load_spreadsheet_writer()
    pending = set(futures)

    def collect(done) -> None:
        for future in done:
            pending.discard(future)
            try:
                result = future.result()
            except Exception:  # the helper died, or the task could not reach it: drawn here at the end
                continue
            if result is not None:  # None: this process claimed that sheet
                _record(report, result, progress, on_done)

    while claim and (index := claims.claim_back()) is not None:
        if index < len(futures) and futures[index].cancel():  # not yet sent: spare the helper the task
            pending.discard(futures[index])
        _record(report, _render_one(renderer, ordered[index], out_dir), progress, on_done)
        collect([future for future in pending if future.done()])
    while pending:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        collect(done)
    for code in ordered:
        if code not in report.written and code not in report.failures:
            _record(report, _render_one(renderer, code, out_dir), progress, on_done)


def _record(report: RenderReport, result: SheetOutcome, progress: _Progress, on_done) -> None:
    code = result.code
    if result.path is not None:
        report.written[code] = Path(result.path)
        report.totals[code] = result.totals
        report.digests[code] = result.sha256
    else:
        report.failures[code] = result.message
    progress.advance(code)
    if on_done:
        on_done(code)
