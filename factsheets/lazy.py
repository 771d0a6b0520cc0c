"""Names a package re-exports from its modules, each module imported on first use (PEP 562).

A command imports only the modules it uses: `check`, which every render runs first, reads
the mail and ingest configuration without loading a campaign's or a conversion's machinery.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_exports(package: str, module_of: dict[str, str]) -> Callable[[str], object]:
    """The module-level `__getattr__` of `package`: name -> its module (relative to
    `package`, "campaign", or ".campaign" / "..load" written out)."""

    def __getattr__(name: str) -> object:
        if name not in module_of:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = module_of[name]
        return getattr(importlib.import_module(module if module.startswith(".") else f".{module}", package), name)

    return __getattr__
