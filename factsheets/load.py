"""Read a canonical trade file (CSV or Parquet) into a frame of text columns.

Nothing is interpreted here beyond the file format: `validate` checks and types the values,
so that every error can name the file and line of the offending value.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from .errors import FactsheetsError

CANONICAL_COLUMNS = ("year", "flow", "department", "product", "country", "value_eur")
LINE_COLUMN = "__line"


def read_canonical(path: Path) -> pl.DataFrame:
    """The file's canonical columns, plus `__line`, the 1-based line (CSV) or row (Parquet)."""
    path = Path(path)
    if not path.exists():
        raise FactsheetsError(f"{path} : fichier de données introuvable ; indiquez un fichier CSV ou Parquet existant avec --data")
    if path.is_dir():
        raise FactsheetsError(f"{path} : c'est un dossier, pas un fichier de données ; indiquez un fichier CSV ou Parquet avec --data")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pl.read_parquet(path)
            first_line = 1  # rows are counted from 1
        elif suffix == ".csv":
            # Everything as text: validation reports bad values with their line instead of
            # Polars failing on the whole column.
            frame = pl.read_csv(path, infer_schema=False, encoding="utf8")
            first_line = 2  # line 1 is the header
        else:
            raise FactsheetsError(
                f"{path} : format de données inconnu « {suffix or '(aucun)'} » ; utilisez un fichier .csv ou .parquet "
                "au format canonique, ou convertissez les fichiers bruts avec « factsheets ingest »"
            )
    except FactsheetsError:
        raise
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise FactsheetsError(f"{path} : illisible en tant que {suffix[1:].upper()} ({detail})") from None
    missing = [column for column in CANONICAL_COLUMNS if column not in frame.columns]
    if missing:
        raise FactsheetsError(
            f"{path} : colonne(s) manquante(s) {', '.join(missing)} ; le format canonique a les colonnes "
            f"{', '.join(CANONICAL_COLUMNS)} (trouvées : {', '.join(frame.columns) or 'aucune'})"
        )
    return frame.select(CANONICAL_COLUMNS).with_row_index(LINE_COLUMN, offset=first_line)
