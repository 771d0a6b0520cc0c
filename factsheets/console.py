"""Messages on stderr by level, as chosen with -q / -v (kept in the environment, so helper
processes and every module see the same choice)."""

from __future__ import annotations

import os
import sys

VERBOSITY_VARIABLE = "FACTSHEETS_VERBOSITY"


def set_verbosity(level: int) -> None:
    """-1: errors only (-q); 0: errors, warnings and progress; 1: also details (-v)."""
    os.environ[VERBOSITY_VARIABLE] = str(level)


def verbosity() -> int:
    try:
        return int(os.environ.get(VERBOSITY_VARIABLE, "0"))
    except ValueError:
        return 0


def warn(line: str) -> None:
    notice(line)


def notice(line: str) -> None:
    """An outcome the user asked for (not a warning), shown unless -q."""
    if verbosity() >= 0:
        print(f"factsheets : {line}", file=sys.stderr, flush=True)


def info(line: str) -> None:
    if verbosity() >= 1:
        print(f"factsheets : {line}", file=sys.stderr, flush=True)
