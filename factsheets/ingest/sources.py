"""The tables to read: files, ZIP archive members and Excel sheets, with bounded expansion."""

from __future__ import annotations

import fnmatch
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import polars as pl

from .. import paths
from ..errors import FactsheetsError, Problems, error_detail
from ..load import LINE_COLUMN, binary_kind, printable, read_bytes
from .profile import Profile

EXTENSIONS = {
    ".csv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
    ".zip": "zip",
}

# Bounded work (SPEC 14): an archive member (and a workbook's XML part) is read only up to
# these sizes; beyond them, or compressed more than MAX_ZIP_RATIO to 1 (a "zip bomb"), it is
# refused before it is expanded.
MAX_MEMBER_BYTES = 2 * 1024**3
"""The largest expanded size of one ZIP member or workbook part."""
MAX_ARCHIVE_BYTES = 8 * 1024**3
"""The largest expanded size of all the members read from one archive or workbook."""
MAX_ZIP_RATIO = 200
"""The largest expanded/compressed ratio of a member (CSV compresses about 10 to 1)."""
RATIO_FROM_BYTES = 1024**2
"""Members smaller than this expanded are not held to the ratio (tiny files compress well)."""
HEAD_BYTES = 64 * 1024
"""A CSV file given on the command line is not read whole: its first bytes tell its format."""


@dataclass(frozen=True)
class Source:
    """One table to read: a file, or a member of a ZIP archive (and, for Excel, one sheet)."""

    path: Path  # the file given on the command line
    fmt: str  # 'csv', 'parquet' or 'excel'
    data: bytes = field(repr=False)  # the table's bytes (a CSV file on disk: its first HEAD_BYTES)
    member: str | None = None  # the member's name inside the archive `path`
    sheet: str | None = None  # Excel: the sheet read
    sheets: tuple[str, ...] = ()  # Excel: every sheet of the workbook
    on_disk: bool = False  # a CSV file read from `path` in batches (`data` is its beginning only)

    def open(self) -> BinaryIO:
        """The table's bytes as a stream: the file on disk, or `data` (an archive member)."""
        return self.path.open("rb") if self.on_disk else io.BytesIO(self.data)

    @property
    def name(self) -> str:
        """The file or member name, where flow_from_filename and year_from_filename look."""
        return PurePosixPath(self.member).name if self.member else self.path.name

    @property
    def label(self) -> str:
        """The file, and the member of an archive: 'kiosque.zip › 02_export.xls'."""
        return f"{self.path} › {self.member}" if self.member else str(self.path)

    def where(self, line: int | None = None) -> str:
        """A place in this source as messages show it (line: of the file, header included)."""
        if self.fmt == "csv":
            return f"{self.label}:{line}" if line is not None else self.label
        inside = [f"feuille « {self.sheet} »"] if self.sheet is not None else []
        inside += [f"ligne {line}"] if line is not None else []
        return f"{self.label} ({', '.join(inside)})" if inside else self.label

    def where_expression(self) -> pl.Expr:
        """`where(line)` for every row of a frame with LINE_COLUMN."""
        prefix, _, suffix = self.where(-1).rpartition("-1")
        return pl.concat_str(pl.lit(prefix), pl.col(LINE_COLUMN).cast(pl.String), pl.lit(suffix))


def _format_of(name: str, profile: Profile, data: bytes, label: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    if suffix == ".zip" or (data.startswith(b"PK\x03\x04") and suffix not in (".xlsx", ".xlsm") and profile.members):
        return "zip"
    if profile.format != "auto":
        return profile.format
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    known = ", ".join(sorted(EXTENSIONS))
    raise FactsheetsError(
        f"{label} : impossible de déduire le format de l'extension « {printable(suffix) or '(aucune)'} » ; "
        f"le profil {profile.name} lit les fichiers {known} (ou indiquez « format » dans {profile.path})"
    )


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    """Why a ZIP member (of an archive or an .xlsx workbook) is not read, or None."""
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
        return (
            f"nom de fichier « {printable(name, 80)} » qui sort de l'archive ; "
            "l'archive est suspecte : demandez-en une copie saine"
        )
    if info.file_size > MAX_MEMBER_BYTES:
        return (
            f"« {printable(name, 80)} » ferait {info.file_size // 1024**2} Mo une fois décompressé "
            f"(au plus {MAX_MEMBER_BYTES // 1024**2} Mo) ; découpez le fichier ou décompressez-le vous-même"
        )
    if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
        return (
            f"« {printable(name, 80)} » est compressé plus de {MAX_ZIP_RATIO} fois "
            f"({info.compress_size} octets pour {info.file_size}) : bombe de décompression probable ; "
            "vérifiez l'origine de l'archive"
        )
    return None


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, read in pieces and stopped at MAX_MEMBER_BYTES whatever its header says."""
    pieces, size = [], 0
    with archive.open(info) as stream:
        while piece := stream.read(1024 * 1024):
            size += len(piece)
            if size > MAX_MEMBER_BYTES or (size > RATIO_FROM_BYTES and size > MAX_ZIP_RATIO * max(info.compress_size, 1)):
                raise FactsheetsError(
                    f"« {printable(info.filename, 80)} » se décompresse au-delà de ce qu'annonce l'archive "
                    f"(plus de {size // 1024**2} Mo) : bombe de décompression probable ; vérifiez l'origine de l'archive"
                )
            pieces.append(piece)
    return b"".join(pieces)


def _workbook_problem(data: bytes) -> str | None:
    """Why an .xlsx workbook (a ZIP of XML parts) is not opened: a part too big expanded."""
    if not data.startswith(b"PK"):
        return None  # .xls: no parts to expand
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None  # the reader says what is wrong with it
    total = sum(info.file_size for info in infos)
    if total > MAX_ARCHIVE_BYTES:
        return f"classeur de {total // 1024**2} Mo une fois décompressé (au plus {MAX_ARCHIVE_BYTES // 1024**2} Mo) ; découpez-le"
    return next((f"partie {problem}" for info in infos if (problem := _member_problem(info)) is not None), None)


def _excel_source(path: Path, data: bytes, profile: Profile, member: str | None, any_sheet: bool = False) -> Source:
    import fastexcel

    label = f"{path} › {member}" if member else str(path)
    kind = binary_kind(data)
    if kind is None or kind == "un fichier Parquet":
        raise FactsheetsError(
            f"{label} : ce n'est pas un classeur Excel (.xlsx ou .xls) ; vérifiez le fichier ou « format » dans {profile.path}"
        )
    problem = _workbook_problem(data)
    if problem is not None:
        raise FactsheetsError(f"{label} : classeur Excel refusé, {problem}")
    try:
        sheets = tuple(fastexcel.read_excel(data).sheet_names)
    except (fastexcel.FastExcelError, ValueError, OSError, IndexError, KeyError) as error:
        raise FactsheetsError(
            f"{label} : classeur Excel illisible ({printable(error_detail(error), 120)}) ; "
            "enregistrez-le de nouveau depuis le tableur"
        ) from None
    if not sheets:  # a workbook whose xl/workbook.xml is missing or lists no sheet
        raise FactsheetsError(
            f"{label} : classeur Excel incomplet, aucune feuille (partie xl/workbook.xml absente ou vide) ; "
            "enregistrez-le de nouveau depuis le tableur"
        )
    source = Source(path, "excel", data, member, None, sheets)
    sheet = chosen_sheet(source, profile)
    if any_sheet:  # inspecting: every sheet is shown, found or not
        return source
    if sheet is None and isinstance(profile.sheet, int):
        raise FactsheetsError(
            f"{label} : pas de feuille n° {profile.sheet}, le classeur en a {len(sheets)} ({', '.join(sheets)}) ; corrigez « sheet » dans {profile.path}"
        )
    if sheet is None:
        raise FactsheetsError(
            f"{label} : feuille « {profile.sheet} » introuvable ; feuilles du classeur : {', '.join(sheets)} ; corrigez « sheet » dans {profile.path}"
        )
    return replace(source, sheet=sheet)


def _table_source(path: Path, name: str, data: bytes, profile: Profile, member: str | None, any_sheet: bool = False) -> Source:
    fmt = _format_of(name, profile, data, f"{path} › {member}" if member else str(path))
    if fmt == "zip":
        raise FactsheetsError(f"{path} › {member} : archive dans l'archive, non prise en charge ; décompressez-la d'abord")
    if fmt == "excel":
        return _excel_source(path, data, profile, member, any_sheet)
    return Source(path, fmt, data, member)


def member_left_out(name: str, profile: Profile) -> str | None:
    """Why `profile` does not read the archive member `name` (None: it reads it)."""
    if profile.members:
        names = (name.lower(), PurePosixPath(name).name.lower())
        if any(fnmatch.fnmatch(candidate, glob.lower()) for glob in profile.members for candidate in names):
            return None
        globs = ", ".join(f"« {glob} »" for glob in profile.members)
        return f"le nom ne correspond à aucun des motifs {globs} (members de {profile.path})"
    suffix = PurePosixPath(name).suffix.lower()
    if suffix == ".zip":
        return "archive dans l'archive (décompressez-la d'abord)"
    if suffix not in EXTENSIONS:
        return f"extension « {printable(suffix) or '(aucune)'} » non lue (formats lus : .csv, .txt, .parquet, .xlsx, .xlsm, .xls)"
    return None


def archive_member_names(path: Path) -> list[str]:
    """The names of the files in the ZIP archive `path` (none if it is not a readable archive)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return [info.filename for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError):
        return []


def proposed_members(names: Sequence[str], profile: Profile) -> list[str]:
    """`members` globs that read the tables of an archive that the profile's globs leave out:
    each glob with the extension of the archive's tables ("*exp*.xls" -> "*exp*.xlsx"), or
    else one glob per extension ("*.xlsx")."""
    readable = {suffix for suffix, fmt in EXTENSIONS.items() if fmt != "zip" and profile.format in (fmt, "auto")}
    suffixes = sorted({PurePosixPath(name).suffix.lower() for name in names} & readable)
    lowered = [candidate for name in names for candidate in (name.lower(), PurePosixPath(name).name.lower())]
    globs: list[str] = []
    for glob in profile.members or ():
        stem = glob[: -len(PurePosixPath(glob).suffix)] if PurePosixPath(glob).suffix else glob
        for suffix in suffixes:
            candidate = stem + suffix
            if candidate not in globs and any(fnmatch.fnmatch(name, candidate.lower()) for name in lowered):
                globs.append(candidate)
    return globs or [f"*{suffix}" for suffix in suffixes]


def _zip_members(
    path: Path, data: bytes, profile: Profile, any_sheet: bool = False, left_out: list[str] | None = None
) -> list[Source]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = {info.filename: info for info in archive.infolist() if not info.is_dir()}
        names = list(infos)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise FactsheetsError(f"{path} : archive ZIP illisible ({printable(error, 120)}) ; téléchargez-la de nouveau") from None

    reasons = {name: member_left_out(name, profile) for name in names}
    if left_out is not None:
        left_out.extend(f"{path} › {printable(name, 80)} : non lu, {reason}" for name, reason in reasons.items() if reason)
    chosen = sorted(name for name in names if reasons[name] is None)
    if not chosen:
        listed = ", ".join(printable(name) for name in names[:8]) + (" …" if len(names) > 8 else "")
        rule = (
            f"aux motifs {', '.join(f'« {glob} »' for glob in profile.members)} (members)"
            if profile.members
            else "aux formats lus (.csv, .parquet, .xlsx, .xls)"
        )
        raise FactsheetsError(
            f"{path} : aucun fichier de l'archive ne correspond {rule} ; elle contient : {listed or 'rien'} ; corrigez « members » dans {profile.path}"
        )
    for name in chosen:
        problem = _member_problem(infos[name])
        if problem is not None:
            raise FactsheetsError(f"{path} : membre refusé, {problem}")
    total = sum(infos[name].file_size for name in chosen)
    if total > MAX_ARCHIVE_BYTES:
        raise FactsheetsError(
            f"{path} : les fichiers à lire feraient {total // 1024**2} Mo une fois décompressés "
            f"(au plus {MAX_ARCHIVE_BYTES // 1024**2} Mo) ; découpez l'archive"
        )
    sources = []
    for name in chosen:
        try:
            member_data = _read_member(archive, infos[name])
        except FactsheetsError as error:
            raise FactsheetsError(f"{path} : membre refusé, {error}") from None
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as error:
            raise FactsheetsError(
                f"{path} › {printable(name, 80)} : illisible dans l'archive ({printable(error, 120)})"
            ) from None
        sources.append(_table_source(path, name, member_data, profile, name, any_sheet))
    return sources


def expand_sources(
    paths_given: Sequence[Path],
    profile: Profile,
    problems: Problems,
    any_sheet: bool = False,
    left_out: list[str] | None = None,
) -> list[Source]:
    """Every table to read (files, archive members), in order; unreadable ones go to `problems`.

    With any_sheet (inspecting), a workbook without the profile's sheet is kept too. The
    archive members the profile does not read go to `left_out`, one line each with the reason.
    """
    if not paths_given:
        raise FactsheetsError("aucun fichier source indiqué ; indiquez un ou plusieurs fichiers bruts à convertir")
    seen: dict[Path, Path] = {}
    for source in map(Path, paths_given):
        key = paths.resolved(source, "fichier source")
        if key in seen:
            raise FactsheetsError(
                f"{source} : indiqué deux fois (aussi comme {seen[key]}) ; indiquez chaque fichier source une seule fois"
            )
        seen[key] = source
    sources: list[Source] = []
    for path in seen.values():
        try:
            if not path.exists():
                raise FactsheetsError(f"{path} : fichier source introuvable ; vérifiez le chemin")
            if not path.is_file():
                raise FactsheetsError(f"{path} : ce n'est pas un fichier ; indiquez les fichiers de données brutes à convertir")
            fix = "indiquez un autre fichier"
            head = read_bytes(path, "fichier source", fix, limit=HEAD_BYTES)
            fmt = _format_of(path.name, profile, head, str(path))
            if fmt == "csv":  # read in batches of lines by readers.csv_batches (big files, bounded memory)
                sources.append(Source(path, "csv", head, on_disk=True))
                continue
            data = read_bytes(path, "fichier source", fix)
            if fmt == "zip":
                sources.extend(_zip_members(path, data, profile, any_sheet, left_out))
            else:
                sources.append(_table_source(path, path.name, data, profile, None, any_sheet))
        except FactsheetsError as error:
            problems.add(str(error))
    return sources


def chosen_sheet(source: Source, profile: Profile) -> str | None:
    """The sheet of `source`'s workbook that `profile` reads."""
    if isinstance(profile.sheet, int):
        return source.sheets[profile.sheet - 1] if profile.sheet <= len(source.sheets) else None
    return next((name for name in source.sheets if name.strip().lower() == profile.sheet.strip().lower()), None)
