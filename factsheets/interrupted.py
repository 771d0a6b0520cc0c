"""How a command ends after Ctrl-C: one line on stderr, no traceback, its early helper ended.

Light (signal and sys only), so that __main__ has it before anything else loads: a Ctrl-C
while the command line's modules are still being imported ends the same way as one within
a command (cli.main).
"""

from __future__ import annotations

import signal
import sys

TYPE_CHECKING = False  # typing itself not imported: this module loads before anything else
if TYPE_CHECKING:
    from typing import NoReturn


def is_interrupt(error: BaseException) -> bool:
    """A Ctrl-C, or an error made of one: raised while a class is being made (a dataclass's
    fields, in __set_name__), a KeyboardInterrupt comes out of Python 3.11 as a RuntimeError
    caused by it; within ReportLab's font parser, as a TTFError, which the font check reports
    as a damaged file (a FactsheetsError raised while handling it)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


_interrupt_ignored = False


def keep_ignored_interrupts() -> None:
    """A Ctrl-C that Python cannot raise where it lands, inside a weak reference's callback
    (the import system's module locks have one) or a __del__, is printed as an "Exception
    ignored" traceback and dropped. Here it is kept instead, not printed: the entry ends as
    interrupted once its modules are loaded, a command once it has returned (its files are
    whole either way; see interrupt_was_ignored). Other such errors are printed as before."""
    previous = sys.unraisablehook

    def hook(unraisable) -> None:
        global _interrupt_ignored
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            _interrupt_ignored = True
        else:
            previous(unraisable)

    sys.unraisablehook = hook


def interrupt_was_ignored() -> bool:
    """Whether a Ctrl-C was dropped where Python could not raise it (keep_ignored_interrupts)."""
    return _interrupt_ignored


def end_early_helper_if_forked() -> None:
    """End the helper forked before the command line was read, if no run adopted it (the
    pool module is imported only where one may have been forked)."""
    if "factsheets.render.pool" in sys.modules:
        from .render.pool import end_early_helper

        end_early_helper()


def end_interrupted() -> NoReturn:
    """End after a Ctrl-C: one line on stderr, no traceback, the early helper ended."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C changes nothing now
    end_early_helper_if_forked()
    print("factsheets : interrompu ; les fiches déjà écrites sont complètes", file=sys.stderr)
    # End as an interrupted program does: killed by SIGINT once Python has shut down normally
    # (a shell shows exit code 130). Python ends that way after an uncaught KeyboardInterrupt,
    # and also whenever one was raised inside exec() (dataclasses do that while a module is
    # imported), whatever the exit code asked: raising it here makes that the only ending.
    sys.excepthook = _quiet_interrupt
    raise KeyboardInterrupt


def _quiet_interrupt(kind, value, traceback) -> None:
    if not issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, traceback)
