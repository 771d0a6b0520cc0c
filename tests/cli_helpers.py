"""Drive the real command line, as a user would: in a subprocess, or in this process.

`run_cli` starts `python -m factsheets` (what signals, workers, exit statuses and the
interpreter's own start need). `run_in_process` runs the very same entry point
(`factsheets.cli._run`, which turns every FactsheetsError and usage error into its French
lines) inside the test process, for the many tests that only read an exit code and error
lines: it spares the ~0.8 s start of an interpreter with typer, Polars and ReportLab.
"""

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args, cwd=None, timeout=300, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m factsheets *args`; `env`: its whole environment, else this process's."""
    return subprocess.run(
        [sys.executable, "-m", "factsheets", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or PROJECT_ROOT,
        timeout=timeout,
        env=env,
    )


def run_in_process(*args, cwd=None, env: dict | None = None) -> subprocess.CompletedProcess:
    """`factsheets *args` through the CLI's entry point in this process, with what a fresh
    process would have: the caches of configuration files emptied, the environment, the
    working directory and argv restored afterwards (--config sets an environment variable).
    `env`, if given, is the whole environment of the command (as subprocess.run's).

    A `render` given no --workers draws its sheets here (--workers 1): its helper would be a
    new interpreter started from this one, what the tests of helpers (test_render_workers.py,
    test_render_processes.py) do on purpose with a real process."""
    from factsheets import cli, config, reference

    argv = ["factsheets", *map(str, args)]
    if "render" in argv and not {"--workers", "--help"} & set(argv):
        argv.insert(argv.index("render") + 1, "--workers")
        argv.insert(argv.index("render") + 2, "1")
    saved_argv, saved_env, saved_cwd = sys.argv, dict(os.environ), os.getcwd()
    config._cached_mapping.cache_clear()
    reference._cached_reference.cache_clear()
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        os.chdir(cwd or PROJECT_ROOT)
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        sys.argv = argv
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                code = cli._run(argv[1:], prog_name="factsheets")
            except SystemExit as exit_:  # --help, --version: click ends with SystemExit
                code = exit_.code if isinstance(exit_.code, int) else 0
    finally:
        sys.argv = saved_argv
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)
        config._cached_mapping.cache_clear()
        reference._cached_reference.cache_clear()
    return subprocess.CompletedProcess(argv, code, stdout.getvalue(), stderr.getvalue())


def one_error_line(result: subprocess.CompletedProcess) -> str:
    """The command failed with exactly one line on stderr and no traceback."""
    assert result.returncode != 0, result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]
