"""The one problem type, its collector, and the one exception type the CLI turns into clear lines on stderr."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass


def printable(text: object, limit: int | None = 40) -> str:
    """`text` safe to show in a one-line message: control characters escaped, text longer than `limit` cut."""
    shown = "".join(char if char.isprintable() else repr(char)[1:-1] for char in str(text))
    return shown if limit is None or len(shown) <= limit else shown[: limit - 1] + "…"


def error_detail(error: BaseException) -> str:
    """The first non-blank line of a library's error message, or the error's type name if it has none."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


@dataclass(frozen=True)
class Problem:
    """One problem in the input: `path:line : what ; fix`, each part left out when empty.

    `path`: the file (or folder, or option) it is in, as the user should read it; `line`:
    its line in that file when known; `what`: what is wrong; `fix`: how to fix it;
    `warning`: the work goes on anyway. A message from code that still raises plain text
    is a Problem with only `what`."""

    path: str = ""
    line: int | None = None
    what: str = ""
    fix: str = ""
    warning: bool = False

    @property
    def where(self) -> str:
        """'path:line', 'path', or '' when the problem is in no file."""
        return f"{self.path}:{self.line}" if self.path and self.line is not None else self.path

    def text(self) -> str:
        """`where : what ; fix`."""
        said = f"{self.where} : {self.what}" if self.where else self.what
        return f"{said} ; {self.fix}" if self.fix else said

    def shown(self) -> str:
        """The line written for it: a warning says so first."""
        return f"attention : {self.text()}" if self.warning else self.text()


class FactsheetsError(Exception):
    """Bad input or environment: each of its `problems` says what, where and how to fix it.

    Raised with problems (one or several, reported together: the CLI writes one line each),
    or with a message, which becomes one problem per line.
    """

    def __init__(self, problems: str | Problem | Iterable[Problem] = ""):
        if isinstance(problems, str):
            message = problems
            self.problems = [Problem(what=line) for line in message.splitlines()] or [Problem()]
        else:
            self.problems = [problems] if isinstance(problems, Problem) else list(problems)
            message = "\n".join(problem.shown() for problem in self.problems)
        super().__init__(message)


def prefixed(prefix: str, error: FactsheetsError) -> list[Problem]:
    """The error's problems as lines, the first one after `prefix` (« --dept : », « impossible
    de produire les fiches : »), for a caller that reports someone else's error in its own
    terms."""
    lines = [problem.shown() for problem in error.problems]
    return [Problem(what=prefix + lines[0]), *(Problem(what=line) for line in lines[1:])]


class ConfigurationError(FactsheetsError):
    """The configuration has errors: every one of them, one line each."""


SHOWN_PER_KIND = 3
"""How many problems of one kind are written out; the others are counted."""


class Problems:
    """The collector: problems found in input files, gathered so that all of them are reported
    together (`raise_if_any`).

    Each kind of problem (a bad value in one column of one file, a duplicate…) shows its
    first few occurrences, one line each, the last one saying how many more there are.
    """

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, problem: Problem | str) -> None:
        """A Problem, or a message (one problem per line)."""
        if isinstance(problem, Problem):
            self.problems.append(problem)
        else:
            self.problems.extend(FactsheetsError(problem).problems)

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def add_kind(self, count: int, occurrences: Sequence[tuple[str, str]], describe: Callable[[str], tuple[str, str]]) -> None:
        """`occurrences`: (where, value) of the first rows of a kind; `count`: how many in all.

        `describe(value)` gives (what is wrong, how to fix it).
        """
        shown = list(occurrences)[:SHOWN_PER_KIND]
        for index, (where, value) in enumerate(shown):
            more = count - len(shown)
            suffix = f" (et {more} autre(s) ligne(s) dans ce cas)" if more > 0 and index == len(shown) - 1 else ""
            problem, fix = describe(value)
            self.problems.append(Problem(path=where, what=f"{problem}{suffix}", fix=fix))

    @property
    def lines(self) -> list[str]:
        return [problem.shown() for problem in self.problems]

    def distinct(self) -> list[Problem]:
        """In order, each line once (two loaders may report the same thing)."""
        first: dict[str, Problem] = {}
        for problem in self.problems:
            first.setdefault(problem.shown(), problem)
        return list(first.values())

    def by_place(self) -> list[Problem]:
        """Without repeats, file by file (in the order the files first appear), each file's in line order."""
        files: dict[str, int] = {}
        return sorted(self.distinct(), key=lambda problem: (files.setdefault(problem.path, len(files)), problem.line or 0))

    def __bool__(self) -> bool:
        return bool(self.problems)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    def raise_if_any(self, error: type[FactsheetsError] = FactsheetsError) -> None:
        if self.problems:
            raise error(self.problems)


# -- "vouliez-vous dire ?" for a misspelt key (check, reference) --------------------------------


def near_key(key: object, candidates: Sequence[object]) -> str | None:
    """The candidate (as text) that `key` is probably a misspelling of, or None."""
    import difflib

    near = difflib.get_close_matches(str(key), [str(candidate) for candidate in candidates], n=1, cutoff=0.6)
    return near[0] if near else None


def did_you_mean(near: str) -> str:
    """The fix offered for a misspelt key whose right name is `near`."""
    return f"vouliez-vous dire « {near} » ?"


# -- a write that failed: the folder and its disk named ----------------------------------------


def _mount_point(folder: object) -> str:
    """The mount point of the disk that holds `folder` (its nearest existing parent)."""
    import os
    from pathlib import Path

    path = Path(str(folder)).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    while path != path.parent and not os.path.ismount(path):
        path = path.parent
    return str(path)


def write_failure(folder: object, error: OSError, fix: str | None = None) -> str:
    """Why writing into `folder` failed, in French, the disk named when it is full: the
    middle of a line « what ; how to fix » (SPEC 14: a full disk is a failure, named).
    `fix` replaces the usual advice (which may be to choose another folder)."""
    what, usual = write_problem(folder, error)
    return f"{what} ; {fix or usual}"


def write_problem(folder: object, error: OSError) -> tuple[str, str]:
    """(what went wrong, how to fix it) when writing into `folder` failed: see write_failure."""
    import errno
    import re
    import shutil

    code = error.errno
    if code is None:  # Polars (Rust) passes the system's error in its message: "… (os error 28)"
        found = re.search(r"\(os error (\d+)\)", str(error))
        code = int(found[1]) if found else None
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        disk = _mount_point(folder)
        try:
            free = f", {shutil.disk_usage(disk).free // 1024} ko libres"
        except OSError:
            free = ""
        return f"disque plein ({disk}{free}) en écrivant dans {folder}", "libérez de la place ou choisissez un autre dossier"
    if code == errno.EROFS:
        return f"disque en lecture seule ({_mount_point(folder)}) pour {folder}", "choisissez un autre dossier"
    if code in (errno.EACCES, errno.EPERM):
        return f"droits insuffisants pour écrire dans {folder}", "choisissez un autre dossier ou corrigez les droits"
    return f"écriture impossible dans {folder} ({error.strerror or error_detail(error)})", "vérifiez le dossier"
