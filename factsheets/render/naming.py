"""What the files are called and where they go: sheet file names, the output folder probed once."""

from __future__ import annotations

import re
import tempfile
import unicodedata
from pathlib import Path

from ..errors import FactsheetsError, write_failure


def slugify(text: str) -> str:
    # the typographic apostrophe separates words as the straight one does: côtes-d-armor
    ascii_text = unicodedata.normalize("NFKD", text.replace("\u2019", "'")).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def sheet_filename(year: int, code: str, name: str) -> str:
    """File names sort by year then code and say what they are: commerce-exterieur-2024-02-aisne.pdf."""
    return f"commerce-exterieur-{year}-{code.lower()}-{slugify(name)}.pdf"


def prepare_output_dir(out_dir: Path) -> Path:
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out_dir, prefix=".write-test-", delete=True)
        probe.close()
    except OSError as error:
        raise FactsheetsError(f"{out_dir} : dossier de sortie inutilisable, {write_failure(out_dir, error)} (--out)") from None
    return out_dir
