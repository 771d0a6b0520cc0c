"""The canonical file written atomically, as CSV or Parquet."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ..errors import FactsheetsError, error_detail, write_failure
from ..files import atomic_file
from ..load import CANONICAL_COLUMNS
from ..validate import CANONICAL_SCHEMA

IN_MEMORY_ROWS = 4_000_000
"""A lazy frame of at most this many rows is collected and written in one piece; a larger one
is streamed into the file (sink_parquet, sink_csv) in bounded memory."""


def write_canonical(frame: pl.DataFrame | pl.LazyFrame, out: Path, metadata: dict[str, str] | None = None) -> Path:
    """Write `frame` as CSV or Parquet (by the extension of `out`), atomically.

    A lazy `frame` (ingest's result: a scan of temporary parts) is written in one piece when
    it is small (the same bytes as the frame collected), streamed otherwise.

    `metadata`: key-value pairs stored in the Parquet file's metadata (coverage.py); a CSV
    file cannot hold them.

    The data goes to a temporary file in the same folder, renamed over `out` once complete:
    on any error nothing is left behind and an existing `out` is untouched.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise FactsheetsError(
            f"{out} : format de sortie inconnu « {suffix or '(aucun)'} » ; nommez le fichier de sortie en .csv ou .parquet"
        )
    columns = frame.collect_schema().names() if isinstance(frame, pl.LazyFrame) else frame.columns
    missing = [name for name in CANONICAL_COLUMNS if name not in columns]
    if missing:
        raise FactsheetsError(f"{out} : rien n'a été écrit, il manque la ou les colonnes {', '.join(missing)}")
    folder = out.parent
    if out.is_dir():
        raise FactsheetsError(f"{out} : c'est un dossier ; indiquez un nom de fichier se terminant par .csv ou .parquet")
    if not folder.is_dir():
        what = "n'est pas un dossier" if folder.exists() else "n'existe pas"
        raise FactsheetsError(f"{folder} : le dossier de sortie {what} ; créez-le ou choisissez un autre --out")
    data = frame.select(CANONICAL_COLUMNS).cast(CANONICAL_SCHEMA)
    if isinstance(data, pl.LazyFrame) and data.select(pl.len()).collect().item() <= IN_MEMORY_ROWS:
        data = data.collect().rechunk()
    opened = False  # a failure before that is the folder's, after it the writing's
    try:
        with atomic_file(out, durable=True, temporary_suffix=".part") as stream:
            opened = True
            if isinstance(data, pl.LazyFrame):
                if suffix == ".csv":
                    data.sink_csv(stream)
                else:
                    data.sink_parquet(stream, metadata=metadata)
            elif suffix == ".csv":
                data.write_csv(stream)
            else:
                data.write_parquet(stream, metadata=metadata)
    except OSError as error:
        if not opened:
            raise FactsheetsError(
                f"{folder} : impossible d'écrire dans le dossier de sortie ({error.strerror}) ; choisissez un dossier accessible en écriture"
            ) from None
        raise FactsheetsError(f"{out} : fichier canonique non écrit, {write_failure(folder, error)} (--out)") from None
    except pl.exceptions.PolarsError as error:
        if "(os error " in str(error):  # the system's error inside Polars' message: a full disk named as such
            raise FactsheetsError(
                f"{out} : fichier canonique non écrit, {write_failure(folder, OSError(str(error)))} (--out)"
            ) from None
        raise FactsheetsError(f"{out} : écriture impossible ({error_detail(error)})") from None
    return out
