"""A Ctrl-C that Python or a library turns into something else still ends as a Ctrl-C
(factsheets/interrupted.py). The random cuts of test_render_processes.py meet these cases
now and then; here each is made to happen."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass

from factsheets.errors import FactsheetsError
from factsheets.interrupted import is_interrupt

INTERRUPTED_LINE = "factsheets : interrompu ; les fiches déjà écrites sont complètes"


class _InterruptingDefault:
    """A field default whose __set_name__ is interrupted, as a Ctrl-C during a class's making."""

    def __set_name__(self, owner, name):
        raise KeyboardInterrupt


def test_a_ctrl_c_while_a_class_is_made_is_an_interrupt():
    try:

        @dataclass
        class Made:
            value: object = _InterruptingDefault()

    except BaseException as error:  # noqa: BLE001 (what Python made of the Ctrl-C)
        made = error
    assert not isinstance(made, KeyboardInterrupt)  # Python 3.11 wraps it: the reason for is_interrupt
    assert is_interrupt(made)


def test_an_error_raised_while_a_ctrl_c_is_handled_is_an_interrupt_and_others_are_not():
    try:
        try:
            try:
                raise KeyboardInterrupt
            except BaseException:  # as ReportLab's font parser does, with a bare except
                raise ValueError("not a TrueType file") from None
        except ValueError:
            raise FactsheetsError("police TrueType illisible") from None
    except FactsheetsError as error:
        assert is_interrupt(error)
    try:
        try:
            raise OSError("disk full")
        except OSError:
            raise FactsheetsError("dossier plein") from None
    except FactsheetsError as error:
        assert not is_interrupt(error)
    assert not is_interrupt(ValueError("x"))


def test_a_font_check_interrupted_by_ctrl_c_ends_as_interrupted_not_as_a_damaged_font(tmp_path):
    """ReportLab's parser turns a Ctrl-C into a TTFError, which the font check reports as a
    damaged file: through the real entry, the run ends with the one line, killed by SIGINT."""
    script = (
        "import sys\n"
        "from reportlab.pdfbase import ttfonts\n"
        "def interrupted(self, *args, **kwargs):\n"
        "    try:\n"
        "        raise KeyboardInterrupt\n"
        "    except:\n"  # noqa: E722 (ReportLab's own way)
        "        raise ttfonts.TTFError('Not a TrueType font')\n"
        "ttfonts.TTFontFile.__init__ = interrupted\n"
        "sys.argv = ['factsheets', 'render', '--dept', '02', '--workers', '1', '--out', sys.argv[1]]\n"
        "from factsheets.__main__ import main\n"
        "main()\n"
    )
    assert_ends_interrupted(script, tmp_path, never_said="illisible")


def test_a_ctrl_c_python_could_only_print_as_ignored_ends_the_run_as_interrupted(tmp_path):
    """A KeyboardInterrupt inside a weak reference's callback (the import system's module
    locks have one) is printed by Python as "Exception ignored" and dropped, and the command
    went on: through the real entry, with such a Ctrl-C while the command line's modules
    load, the run ends with the one line, killed by SIGINT, no sheet drawn."""
    script = (
        "import sys, weakref\n"
        "from factsheets import __main__ as entry\n"
        "class Thing: pass\n"
        "def interrupted(_):\n"
        "    raise KeyboardInterrupt\n"
        "def keep_then_drop():\n"
        "    keep()\n"
        "    weakref.ref(Thing(), interrupted)\n"  # dropped at once: its callback is interrupted
        "keep, entry.keep_ignored_interrupts = entry.keep_ignored_interrupts, keep_then_drop\n"
        "sys.argv = ['factsheets', 'render', '--dept', '02', '--out', sys.argv[1]]\n"
        "entry.main()\n"
    )
    assert_ends_interrupted(script, tmp_path, never_said="Exception ignored")


def assert_ends_interrupted(script: str, tmp_path, never_said: str) -> None:
    """`script` (given the output folder) ends with the one line, killed by SIGINT, with no
    traceback, nothing saying `never_said`, and no sheet written."""
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FACTSHEETS_STATE": str(tmp_path / "state")},
    )
    assert "Traceback" not in result.stderr and never_said not in result.stderr, result.stderr
    assert result.stderr.strip().splitlines()[-1] == INTERRUPTED_LINE, result.stderr
    assert result.returncode == -signal.SIGINT
    assert not list((tmp_path / "out").glob("*.pdf"))
