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
    global option (--config changes the configuration the helper reads), no --workers, two
    cores or one sheet; else None."""
    if not args or args[0] != "render" or any(arg.startswith(("--workers", "--help", "-h")) for arg in args):
        return None
    one_sheet = args.count("--dept") == 1 and "--all" not in args
    if default_workers() < 2 or (default_workers() > 2 and not one_sheet):
        return None
    annex = None
    for index, arg in enumerate(args):
        if arg == "--annexe" and index + 1 < len(args):
            annex = args[index + 1].lower()
        elif arg.startswith("--annexe="):
            annex = arg.split("=", 1)[1].lower()
    return SheetOptions(evolution="--evolution" in args, annex=annex, html="--html" in args)
