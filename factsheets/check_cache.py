"""A configuration that passed the checks of `preflight` is not checked again until it changes.

`render`, `mail` and `ingest` check the whole configuration first (check.preflight): every
YAML file parsed with its lines, every font and logo opened, every reference table and
profile read. When the same configuration passed on an earlier run, `checked` says so at
the cost of hashing its files instead.

A pass is recorded in the configuration's state folder (paths.state_dir()), one file per
configuration folder and installation, under a fingerprint: the SHA-256 of

- every file of the configuration folder (its YAML, reference tables, profiles, fonts/ and
  assets/), and, for a user folder, of the shipped defaults it is compared with;
- the font and logo files settings.yaml names, found as the checks find them (a missing
  one counts as missing);
- factsheets' own code, and the versions of Python and of the libraries that parse these
  files.

Any change to any of them changes the fingerprint, and the checks run again. Only a pass is
recorded, with its warnings (shown again on every run); a configuration with an error is
checked on every run, so the record can never make it pass. The fingerprint is taken again
after the checks, and a pass is recorded only if nothing changed meanwhile. The record is
written whole or not at all (files.write_atomically): concurrent runs each read a complete
record, or none. Anything unexpected (settings.yaml unreadable, a file that cannot be read,
no state folder) means no record: the checks run, as they always did.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from . import paths
from .errors import Problem

RECORD_VERSION = 1
_PACKAGE_DIR = Path(__file__).resolve().parent


def checked(run_checks: Callable[[], list[Problem]]) -> list[Problem]:
    """The problems of the configuration in use: those recorded by its last pass if it has not
    changed since, else those of `run_checks()` (a pass without error is then recorded)."""
    fingerprint = fingerprint_or_none()
    record = _record_path(fingerprint)
    if record is not None and (warnings := _recorded_warnings(record, fingerprint)) is not None:
        return warnings
    problems = run_checks()
    if record is not None and not any(not problem.warning for problem in problems) and fingerprint_or_none() == fingerprint:
        _record(record, fingerprint, problems)
    return problems


# The last fingerprint this process took, with the state (_file_state) of the files it read.
_last: tuple[tuple, str] | None = None
RECENT_CHANGE_NS = 2_000_000_000  # files changed more recently than this are read again every time


def fingerprint() -> str:
    """The SHA-256 of everything the configuration checks read (see the module's help).

    A run takes it up to four times within a second (the checks before and after, the
    records of render_cache and breaks_record): while every file it reads is in the state
    it was in when this process last read them all (same inode, size, modification and
    change times: any write or rename changes the change time), that fingerprint is given
    again without reading them (~0.7 ms instead of ~4). Not if one of them changed in the
    last RECENT_CHANGE_NS when they were read: a file system whose times are coarser than
    the time between two writes could give both writes the same change time (as git's
    index treats a "racily clean" file).

    Raises OSError when a file cannot be read, ValueError when settings.yaml is not what the
    checks accept (the FactsheetsError of its loader included)."""
    global _last
    from .config import settings_mapping  # settings.yaml as YAML reads it: the typed loader would check it all

    folder = paths.config_dir()
    trees = [folder, _PACKAGE_DIR]
    if folder.resolve() != paths.DEFAULT_CONFIG_DIR.resolve():
        trees.append(paths.DEFAULT_CONFIG_DIR)
    tree_files = [path for tree in trees for path in _files(tree, code_only=tree == _PACKAGE_DIR)]
    named = list(_named_files(settings_mapping(folder)))
    versions = _versions()
    state = (versions, str(folder), *map(_file_state, tree_files), *(_file_state(path) for _, path in named))
    if _last is not None and _last[0] == state:
        return _last[1]
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        name = label.encode("utf-8", "surrogateescape")
        digest.update(len(name).to_bytes(8, "little") + name + len(data).to_bytes(8, "little") + data)

    add("versions", versions.encode("utf-8"))
    add("folder", str(folder).encode("utf-8", "surrogateescape"))
    for path in tree_files:
        add(str(path), path.read_bytes())
    for label, path in named:
        add(label, b"" if path is None else str(path).encode("utf-8", "surrogateescape") + b"\0" + _content(path))
    # The state taken before the reads: a file changed meanwhile is read again next time.
    newest = max((entry[4] for entry in state[2:] if len(entry) == 5), default=0)  # the latest change time
    _last = (state, digest.hexdigest()) if newest < time.time_ns() - RECENT_CHANGE_NS else None
    return digest.hexdigest()


def _file_state(path: Path | None) -> tuple:
    """What changes whenever a file's content may have: (path, inode, size, modification
    time, change time); (path, None) for a missing file, (None,) where no file is named."""
    if path is None:
        return (None,)
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return (str(path), None)
    return (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def fingerprint_or_none() -> str | None:
    from .errors import FactsheetsError

    try:
        return fingerprint()
    except (OSError, ValueError, RuntimeError, FactsheetsError):
        return None  # checked as on a first run, whose errors say what is wrong


def _versions() -> str:
    """Python and the parsers of the configuration files (YAML, fonts, images)."""
    import PIL
    import reportlab
    import yaml

    return f"{RECORD_VERSION} {sys.version} {sys.platform} yaml {yaml.__version__} reportlab {reportlab.Version} pillow {PIL.__version__}"


def _files(tree: Path, *, code_only: bool) -> Iterator[Path]:
    """Every file under `tree` in a stable order (the package: its Python code only)."""
    for folder, subfolders, names in os.walk(tree):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
        for name in sorted(names):
            if not code_only or name.endswith(".py"):
                yield Path(folder, name)


def _content(path: Path) -> bytes:
    """A file's bytes; a missing file is empty content, distinct from any file by its marker."""
    try:
        return b"file\0" + path.read_bytes()
    except FileNotFoundError:
        return b"missing"


def _named_files(settings: dict) -> Iterator[tuple[str, Path | None]]:
    """The font and logo files settings.yaml names, in every place the checks look for them
    (fonts.find_font: an absolute path, else each font folder; fonts.py itself is not
    imported, which would import ReportLab); ValueError for a value the checks would refuse
    (then nothing is recorded)."""
    fonts = settings.get("fonts")
    logos = settings.get("logos")
    if not isinstance(fonts, dict) or not (logos is None or isinstance(logos, dict)):
        raise ValueError("settings.yaml: fonts or logos of an unexpected kind")
    for face, name in fonts.items():
        if not isinstance(name, str):
            raise ValueError(f"settings.yaml: fonts.{face}")
        path = Path(name).expanduser()
        for candidate in [path] if path.is_absolute() else [Path(folder) / path for folder in paths.font_dirs()]:
            yield f"font {face} {name}", candidate
    for key, value in (logos or {}).items():
        if value is not None and not isinstance(value, str):
            raise ValueError(f"settings.yaml: logos.{key}")
        yield f"logo {key}", paths.logo_path(value)


def _record_path(fingerprint: str | None) -> Path | None:
    """Where the pass of the configuration in use is recorded (one file per configuration
    folder and installation), or None (no fingerprint, no state folder)."""
    if fingerprint is None:
        return None
    try:
        state = paths.state_dir()
    except RuntimeError:  # no home folder
        return None
    owner = f"{paths.config_dir()}\0{_PACKAGE_DIR}".encode("utf-8", "surrogateescape")
    return state / f"check-{hashlib.sha256(owner).hexdigest()[:16]}.json"


def _recorded_warnings(record: Path, fingerprint: str) -> list[Problem] | None:
    """The warnings of the recorded pass if it is of this very fingerprint, else None."""
    try:
        data = json.loads(record.read_bytes())
        if data.get("version") != RECORD_VERSION or data.get("fingerprint") != fingerprint:
            return None
        warnings = [
            Problem(str(item["path"]), item["line"], str(item["what"]), str(item["fix"]), warning=True)
            for item in data["warnings"]
        ]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no record, or not one this code wrote: checked again
    if not all(problem.line is None or type(problem.line) is int for problem in warnings):
        return None
    return warnings


def _record(record: Path, fingerprint: str, warnings: list[Problem]) -> None:
    from .files import write_atomically

    data = {
        "version": RECORD_VERSION,
        "fingerprint": fingerprint,
        "warnings": [
            {"path": problem.path, "line": problem.line, "what": problem.what, "fix": problem.fix} for problem in warnings
        ],
    }
    try:
        record.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(record, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
    except OSError:
        pass  # a read-only state folder: the next run checks again
