"""The progress bar of a run, on stderr."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path


class _Progress:
    """A rich progress bar on stderr; stdout carries only the written paths, whatever stderr is.

    rich's live display would otherwise take sys.stdout over while stderr is a terminal
    (redirect_stdout) and write what is printed there to stderr: `render … > list.txt` in a
    terminal left the list empty. The bar never touches sys.stdout; a path printed while
    the bar is on a terminal is written on a line of its own (`above`).
    """

    def __init__(self, total: int, enabled: bool):
        self.enabled = enabled and total > 0
        self.total = total
        self._progress = None

    def __enter__(self):
        return self

    def start(self) -> None:
        """Show the bar (once). A run with helpers starts it once their first sheets are
        handed out: importing rich takes ~20 ms, which the helpers would otherwise wait."""
        if self.enabled and self._progress is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("fiches"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=Console(stderr=True),
                transient=False,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("", total=self.total)

    def above(self, write: Callable[[Path], None] | None) -> Callable[[Path], None] | None:
        """`write` (a path to stdout), the bar's line cleared first when stdout is a terminal
        too, so that the path is not printed after the bar on the same line."""
        if write is None or not self.enabled:
            return write

        def written(path: Path) -> None:
            live = self._progress.live if self._progress is not None else None
            if live is None or not (live.is_started and live.console.is_terminal and sys.stdout.isatty()):
                write(path)
                return
            with live._lock:  # the refresh thread waits: the bar is drawn again after the path
                live.console.file.write("\r\x1b[2K")
                live.console.file.flush()
                write(path)
                live.refresh()

        return written

    def advance(self, code: str) -> None:
        self.start()
        if self._progress is not None:
            self._progress.update(self._task, advance=1, description=code)

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.__exit__(*exc)
        return False
