"""When Python's cyclic garbage collector runs in a `render` process: not while it starts.

A `render` process starts by creating objects that live as long as it does: the modules it
imports, the configuration, the fonts' tables, the reference, the indicators. Python's
collector, run every 700 allocations, walks them again and again while they are made
(~10 ms of a 0.23 s `render --dept 02 --workers 1`: 163 collections before its sheet) and
never finds garbage among them. So `render` holds the collector from its first line
(`hold`, in __main__.main) until its first sheet is drawn (`resume`, render.drawer), then
freezes what exists so far (gc.freeze: the collector never walks those objects again) and
runs as usual.

The helpers are forked while it is held, as Python's documentation advises for processes
that fork without exec: a helper's collections then never write to the objects it shares
with the main process, which would copy their memory pages. Only `render` is held: the
other commands start with little, and some (mail, ingest) run long.
"""

from __future__ import annotations

import gc

_held = False


def hold() -> None:
    """No collection until `resume` (a process starting `render`)."""
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True


def resume() -> None:
    """The start is over: what exists now is frozen (never collected) and the collector runs
    again. Once per process; nothing to do where `hold` was not called."""
    global _held
    if _held:
        _held = False
        gc.freeze()
        gc.enable()
