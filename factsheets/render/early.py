"""A `render` helper forked before the command line is parsed (render.pool.start_helper_early).

Imported by `python -m factsheets` (__main__.py) before the command line's modules, and by
cli.main for the `factsheets` script: typer and the command's modules then load while the
helper prepares the drawing. Only `render` typed plainly is guessed; a wrong guess only ends
the helper.
"""

from __future__ import annotations

from .drawer import SheetOptions
from .pool import default_workers, start_helper_early


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
    """The sheet options of `render ARGS` when the run will most likely want one helper: no
    global option (--config changes the configuration the helper reads), and two processes
    at most (--workers, by default the cores) on two cores or more, or one sheet; else None."""
    if not args or args[0] != "render" or any(arg.startswith(("--help", "-h")) for arg in args):
        return None
    one_sheet = args.count("--dept") == 1 and "--all" not in args
    workers = _typed_workers(args)
    if workers is None or default_workers() < 2:
        return None
    # render_departments: one helper for one sheet as soon as 2 processes are allowed; else
    # as many as the processes allowed, up to the cores, less this one.
    if not (workers >= 2 if one_sheet else min(workers, default_workers()) == 2):
        return None
    annex = None
    for index, arg in enumerate(args):
        if arg == "--annexe" and index + 1 < len(args):
            annex = args[index + 1].lower()
        elif arg.startswith("--annexe="):
            annex = arg.split("=", 1)[1].lower()
    return SheetOptions(evolution="--evolution" in args, annex=annex, html="--html" in args)


def _typed_workers(args: list[str]) -> int | None:
    """The processes `--workers N` asks for (the cores when not given), or None when the
    option is given more than once (the run decides) or with anything but a number >= 1
    (typer's to report)."""
    values = []
    for index, arg in enumerate(args):
        if arg == "--workers":
            values.append(args[index + 1] if index + 1 < len(args) else "")
        elif arg.startswith("--workers="):
            values.append(arg.split("=", 1)[1])
    if not values:
        return default_workers()
    if len(values) > 1 or not values[0].isdigit() or int(values[0]) < 1:
        return None
    return int(values[0])
