"""`ingest_sources`: every source expanded, read, converted and checked; periods summed to years.

Bounded memory (SPEC 15: 100× the sample, a CSV of several GB, streams under 2 GB): a CSV
is read and converted in batches of lines (readers.BATCH_BYTES), each batch's good rows
written to temporary Parquet parts, one folder per year. The duplicate keys, the complete
years, the sums of periods and the sort are then done one year at a time (the year leads
both the key and the order), into one sorted part per year; the result is a lazy scan of
those parts, which `write_canonical` streams into the output file. The result does not
depend on where batches end: problems are merged over batches (kinds.Kinds), so each kind
shows the first few occurrences of the whole input and counts the others.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ..errors import FactsheetsError, Problems, write_failure
from ..load import CANONICAL_COLUMNS, LINE_COLUMN, PERIOD_COLUMN, WHERE_COLUMN
from ..validate import CANONICAL_SCHEMA, DUPLICATE_FIX, KEY_COLUMNS, check_duplicates, check_rows
from .columns import check_columns
from .convert import SOURCE_COLUMN, convert
from .kinds import Kinds
from .periods import complete_years
from .profile import Profile
from .readers import read_batches
from .reshape import unpivot_wide
from .sources import Source, expand_sources

SOURCE_INDEX = "__source_index"
"""In the temporary parts: the rank of each row's source (its label and place are computed from it)."""


@dataclass
class IngestResult:
    """The canonical rows (a frame, or a lazy scan of temporary parts) and what the summary says.

    `close()` removes the temporary parts (the scan cannot be read afterwards).
    """

    data: pl.DataFrame | pl.LazyFrame
    rows_per_source: dict[str, int]
    warnings: list[str]
    years_left_out: list[int]
    workspace: Path | None = field(default=None, repr=False)
    by_department: pl.DataFrame | None = field(default=None, repr=False)

    @property
    def lazy(self) -> pl.LazyFrame:
        return self.data.lazy()

    @property
    def totals(self) -> pl.DataFrame:
        """Rows and euros per year, flow and department: what the summary and the coverage
        read (computed year by year while the rows are sorted, so not read again)."""
        if self.by_department is None:
            self.by_department = department_totals(self.data)
        return self.by_department

    @property
    def frame(self) -> pl.DataFrame:
        """The rows in memory (collected from the parts once)."""
        if isinstance(self.data, pl.LazyFrame):
            self.data = self.data.collect()
        return self.data

    def close(self) -> None:
        if self.workspace is not None:
            remove_workspace(self.workspace)
            self.workspace = None

    def __enter__(self) -> IngestResult:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def department_totals(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Rows and euros per year, flow and department, sorted."""
    return (
        frame.lazy()
        .group_by("year", "flow", "department")
        .agg(rows=pl.len(), value_eur=pl.col("value_eur").sum())
        .sort("year", "flow", "department")
        .collect()
    )


WORKSPACE_PREFIX = "factsheets-ingest-"
WORKSPACE_LOCK = ".en-cours"
"""In each workspace: a file the running ingest holds locked (flock) until it removes the
workspace. The kernel drops the lock when the process dies, however it dies (SIGKILL, a
crash, the machine's OOM killer): a workspace whose lock can be taken was abandoned."""
UNLOCKED_GRACE = 3600.0
"""Seconds after which a workspace without a lock file (from an older version, or made an
instant ago by a run not yet holding its lock) counts as abandoned."""

_held_locks: dict[Path, int] = {}


def _abandoned(folder: Path) -> bool:
    lock = folder / WORKSPACE_LOCK
    try:
        descriptor = os.open(lock, os.O_RDWR)
    except FileNotFoundError:
        try:
            return time.time() - folder.stat().st_mtime > UNLOCKED_GRACE
        except OSError:
            return False
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False  # a running ingest holds it
    finally:
        os.close(descriptor)  # releases the lock taken just now


def sweep_abandoned_workspaces(parent: Path | None = None) -> list[Path]:
    """Remove the workspaces that killed ingests left in the temporary folder (SPEC 14):
    the current user's, no longer locked. Returns those removed."""
    parent = Path(parent or tempfile.gettempdir())
    removed = []
    try:
        candidates = [path for path in parent.iterdir() if path.name.startswith(WORKSPACE_PREFIX)]
    except OSError:
        return removed
    for folder in candidates:
        try:
            if not folder.is_dir() or folder.is_symlink() or folder.stat().st_uid != os.getuid():
                continue
        except OSError:
            continue
        if _abandoned(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def new_workspace() -> Path:
    """A fresh workspace for the temporary parts, held locked until remove_workspace; the
    abandoned ones of earlier runs are removed first."""
    sweep_abandoned_workspaces()
    folder = Path(tempfile.mkdtemp(prefix=WORKSPACE_PREFIX))
    descriptor = os.open(folder / WORKSPACE_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    _held_locks[folder] = descriptor
    return folder


def remove_workspace(folder: Path) -> None:
    """Remove the temporary parts; again if a write interrupted by Ctrl-C was still ending
    in a Polars thread while the folder was emptied. The lock goes last."""
    for attempt in range(5):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            break
        time.sleep(0.1 * (attempt + 1))
    descriptor = _held_locks.pop(folder, None)
    if descriptor is not None:
        os.close(descriptor)


class WorkspaceError(FactsheetsError):
    """The temporary parts could not be written (a full disk): the whole run fails, not one source."""


def write_part(frame: pl.DataFrame, path: Path) -> None:
    """One temporary part (fast to write and read back; removed at the end)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(path, compression="lz4", statistics=False)
    except (OSError, pl.exceptions.PolarsError) as error:
        failure = error if isinstance(error, OSError) else OSError(str(error))
        raise WorkspaceError(
            f"fichiers temporaires de l'import non écrits, {write_failure(path.parent, failure)} "
            "(dossier temporaire : variable d'environnement TMPDIR)"
        ) from None


class _Parts:
    """Temporary Parquet parts in `folder`: one subfolder per year, files in the order written."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written = 0

    def write(self, frame: pl.DataFrame) -> None:
        for (year,), rows in frame.partition_by("year", as_dict=True, maintain_order=True).items():
            write_part(rows, self.folder / "years" / str(year) / f"{self.written:08d}.parquet")
            self.written += 1

    def years(self) -> list[int]:
        folder = self.folder / "years"
        return sorted(int(path.name) for path in folder.iterdir() if any(path.iterdir())) if folder.is_dir() else []

    def year(self, year: int) -> pl.DataFrame:
        files = sorted((self.folder / "years" / str(year)).glob("*.parquet"))
        return pl.read_parquet(files) if files else pl.DataFrame()


def _where(sources: Sequence[Source]) -> pl.Expr:
    """Each row's place in its source ("a.csv:12"), from SOURCE_INDEX and LINE_COLUMN."""
    if len(sources) == 1:
        return sources[0].where_expression()
    index = pl.col(SOURCE_INDEX)
    chained = pl.when(index == 0).then(sources[0].where_expression())
    for rank, source in enumerate(sources[1:], start=1):
        chained = chained.when(index == rank).then(source.where_expression())
    return chained.otherwise(None)


def _read_source(source: Source, index: int, profile: Profile, reference, parts: _Parts, problems: Kinds, rows: Kinds) -> int:
    """Every batch of `source` read, converted, checked and written to `parts`; its row count."""
    height, columns_checked = 0, False
    for raw in read_batches(source, profile):
        if raw.is_empty():
            continue
        if not columns_checked:
            check_columns(raw, source, profile)
            columns_checked = True
        height += raw.height
        raw, table_profile = unpivot_wide(raw, profile)
        good = convert(raw, source, table_profile, problems)
        if reference is not None:
            check_rows(good, reference, rows, source.where_expression())
        parts.write(good.with_columns(pl.lit(index, dtype=pl.UInt32).alias(SOURCE_INDEX)))
    if not height:
        after = " après l’en-tête" if profile.header else ""
        raise FactsheetsError(
            f"{source.where(profile.skip_rows + (2 if profile.header else 1))} : fichier vide, aucune ligne de données{after}"
        )
    return height


def _one_year(
    frame: pl.DataFrame, profile: Profile, sources: Sequence[Source], duplicates: Kinds, keep_origin: bool
) -> tuple[pl.DataFrame, list[str], list[int]]:
    """One year's rows checked for duplicates, kept if complete, periods summed, sorted."""
    where = _where(sources)
    key = [*KEY_COLUMNS[:1], PERIOD_COLUMN, *KEY_COLUMNS[1:]] if profile.period_kind not in (None, "year") else KEY_COLUMNS
    check_duplicates(frame, key, duplicates, where, DUPLICATE_FIX)
    frame, warnings, left_out = complete_years(frame, profile)
    if "period" in profile.columns:
        origin = [pl.col(name).first() for name in (SOURCE_INDEX, LINE_COLUMN)]
        total = pl.col("value_eur").sum()
        # Thousands of euros have three decimals: the sum of the periods is rounded like its terms.
        total = total.round(3) if profile.multiplier != 1 else total
        frame = (
            frame.sort([*KEY_COLUMNS, PERIOD_COLUMN], maintain_order=True)
            .group_by(KEY_COLUMNS, maintain_order=True)
            .agg(total, *origin)
        )
    frame = frame.sort(list(CANONICAL_COLUMNS), maintain_order=True).with_columns(
        pl.col(name).cast(dtype) for name, dtype in CANONICAL_SCHEMA.items()
    )
    if not keep_origin:
        return frame.select(CANONICAL_COLUMNS), warnings, left_out
    labels = {rank: source.label for rank, source in enumerate(sources)}
    origin = [
        pl.col(SOURCE_INDEX).replace_strict(labels, return_dtype=pl.String).alias(SOURCE_COLUMN),
        pl.col(LINE_COLUMN),
        where.alias(WHERE_COLUMN),
    ]
    return frame.select(*CANONICAL_COLUMNS, *origin), warnings, left_out


def ingest_sources(sources: Sequence[Path], profile: Profile, reference=None, *, keep_origin: bool = False) -> IngestResult:
    """Every source read with `profile`, checked, periods summed to years, in the canonical layout.

    Rows are sorted by year, flow, department, product, country and value (then file order),
    so the output does not depend on the order of the files. With a `reference`, codes are
    checked too, and every problem (of every file) is raised together. With keep_origin,
    the first source row of each output row is kept (SOURCE_COLUMN, LINE_COLUMN, WHERE_COLUMN).
    The result holds temporary files: close it (or use it in a `with`).
    """
    problems = Problems()
    tables = expand_sources(sources, profile, problems)
    workspace = new_workspace()
    try:
        parts = _Parts(workspace)
        rows, rows_per_source, read = Kinds(), {}, []
        for source in tables:
            found, found_rows, written = Kinds(), Kinds(), parts.written
            try:
                # Read under the rank the source will have among those read (the parts hold it).
                height = _read_source(source, len(read), profile, reference, parts, found, found_rows)
            except WorkspaceError:
                raise
            except FactsheetsError as error:
                # A source that fails says only why (as if read whole): its batches are forgotten.
                for path in parts.folder.glob("years/*/*.parquet"):
                    if int(path.stem) >= written:
                        path.unlink()
                problems.add(str(error))
                continue
            found.flush_into(problems)
            rows.merge(found_rows)
            rows_per_source[source.where()] = height
            read.append(source)
        if not read:  # every source failed, and each one said why in `problems`
            problems.raise_if_any()
        rows.flush_into(problems)

        duplicates, warnings, left_out, sorted_parts, totals = Kinds(), [], [], [], []
        for year in parts.years():
            frame, year_warnings, year_left_out = _one_year(parts.year(year), profile, read, duplicates, keep_origin)
            warnings += year_warnings
            left_out += year_left_out
            if frame.height:
                path = workspace / "sorted" / f"{year}.parquet"
                write_part(frame, path)
                sorted_parts.append(path)
                totals.append(department_totals(frame))
            shutil.rmtree(workspace / "years" / str(year))
        duplicates.flush_into(problems)
        problems.raise_if_any()
        if not sorted_parts:
            raise FactsheetsError(
                "aucune année complète dans les fichiers : "
                + " ; ".join(warnings)
                + " ; ajoutez les périodes manquantes ou vérifiez « period » dans "
                + str(profile.path)
            )
    except BaseException:
        remove_workspace(workspace)
        raise
    scan = pl.scan_parquet(sorted_parts)
    return IngestResult(scan, rows_per_source, warnings, left_out, workspace, pl.concat(totals))


def ingest(sources: Sequence[Path], profile: Profile, *, keep_origin: bool = False) -> pl.DataFrame:
    """The canonical frame of `sources` (values checked; codes are checked by `validate`)."""
    with ingest_sources(sources, profile, keep_origin=keep_origin) as result:
        return result.frame
