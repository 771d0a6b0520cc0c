"""The command line's entry, for `python -m factsheets` and the `factsheets` script alike.

A `render` holds the garbage collector (collector.py) and forks its helper (render/early.py)
first, before the command line's own modules (typer) load: the helper prepares the drawing
meanwhile, and this process's modules are not in the heap it forks.
"""

import sys


def main() -> None:
    if sys.argv[1:2] == ["render"]:
        from .collector import hold

        hold()  # no garbage collection until its first sheet
        from .render.early import start_helper_for

        try:
            start_helper_for(sys.argv[1:])
        except KeyboardInterrupt:  # Ctrl-C while the helper was forked: ended as within a command
            from .cli import end_interrupted

            end_interrupted()
    from .cli import main as run_command_line

    run_command_line()


if __name__ == "__main__":
    main()
