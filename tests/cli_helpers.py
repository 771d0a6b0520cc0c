"""Drive the real command line in a subprocess, as a user would."""

import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args, cwd=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "factsheets", *map(str, args)],
        capture_output=True, text=True, cwd=cwd or PROJECT_ROOT, timeout=timeout,
    )


def one_error_line(result: subprocess.CompletedProcess) -> str:
    """The command failed with exactly one line on stderr and no traceback."""
    assert result.returncode != 0, result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]
