"""A `render` helper forked before the command line is parsed (render.pool.start_helper_early).

Imported by the command line's entry (__main__.main: `python -m factsheets` and the
`factsheets` script) before the command line's modules: typer and the command's modules
then load while the helper prepares the drawing. Only `render` typed plainly is guessed; a
wrong guess only ends the helper.
"""

from __future__ import annotations

from .drawer import SheetOptions
from .pool import default_workers, helper_count, start_helper_early


def start_helper_for(args: list[str]) -> None:
    """Fork the helper `render ARGS` will most likely want, if any (once per process)."""
    options = plain_render_options(args)
    if options is not None:
        load_shared_modules()
        start_helper_early(options)


def load_shared_modules() -> None:
    """Import what this process and its helper both import on every such run, so that it
    is done once, before the fork, rather than in each process: the configuration (YAML,
    the settings' declarations), which the checks read here and the drawing there, and
    ReportLab's fonts, which the checks open here (a first run) and the helper registers.
    Neither starts a thread: the fork stays safe (pool._helper_context)."""
    from .. import config, fonts  # noqa: F401


def plain_render_options(args: list[str]) -> SheetOptions | None:
    """The sheet options of `render ARGS` when the run will most likely want one helper
    (pool.helper_count, on the departments and --workers as typed): no global option
    (--config changes the configuration the helper reads); else None."""
    if not args or args[0] != "render" or any(arg.startswith(("--help", "-h")) for arg in args):
        return None
    cores = default_workers()
    workers = _typed_workers(args, cores)
    if workers is None:
        return None
    # As render_departments counts them: the distinct codes typed, else (--all) the workers.
    most_sheets = workers if "--all" in args else len(set(_values(args, "--dept")))
    if helper_count(workers, most_sheets, cores) != 1:
        return None
    annexes = _values(args, "--annexe")
    annex = annexes[-1].lower() if annexes else None
    return SheetOptions(evolution="--evolution" in args, annex=annex, html="--html" in args)


def _typed_workers(args: list[str], cores: int) -> int | None:
    """The processes `--workers N` asks for (`cores` when not given), or None when the
    option is given more than once (the run decides) or with anything but a number >= 1
    (typer's to report)."""
    values = _values(args, "--workers")
    if not values:
        return cores
    if len(values) > 1 or not values[0].isdigit() or int(values[0]) < 1:
        return None
    return int(values[0])


def _values(args: list[str], option: str) -> list[str]:
    """The values typed for `option`, as `OPTION VALUE` or `OPTION=VALUE` ("" when missing)."""
    values = []
    for index, arg in enumerate(args):
        if arg == option:
            values.append(args[index + 1] if index + 1 < len(args) else "")
        elif arg.startswith(option + "="):
            values.append(arg.split("=", 1)[1])
    return values
