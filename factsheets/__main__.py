"""The command line's entry, for `python -m factsheets` and the `factsheets` script alike.

A `render` holds the garbage collector (collector.py) and forks its helper (render/early.py)
first, before the command line's own modules (typer) load: the helper prepares the drawing
meanwhile, and this process's modules are not in the heap it forks. A Ctrl-C while they
load ends as one within a command does (interrupted.py).
"""

import sys

from .interrupted import end_interrupted, interrupt_was_ignored, is_interrupt, keep_ignored_interrupts


def main() -> None:
    keep_ignored_interrupts()
    try:
        if sys.argv[1:2] == ["render"]:
            from .collector import hold

            hold()  # no garbage collection until its first sheet
            from .render.early import start_helper_for

            start_helper_for(sys.argv[1:])
        from .cli import main as run_command_line
    except BaseException as error:  # Ctrl-C while the helper is forked or the command line's modules load
        if not is_interrupt(error):
            raise
        end_interrupted()
    if interrupt_was_ignored():  # a Ctrl-C while a module loaded, where Python could not raise it
        end_interrupted()
    run_command_line()


if __name__ == "__main__":
    main()
