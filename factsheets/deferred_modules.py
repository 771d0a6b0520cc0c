"""Modules that ReportLab imports whenever it is imported, run only when first used.

`reportlab.lib.utils`, which every ReportLab module imports, starts with `from PIL import
Image`: Pillow's image module and what it imports itself (ExifTags, TiffTags, _imaging),
6.5 ms in every process that draws a sheet (of a `render --dept 02` of ~0.2 s), before the
fork of its helper. A sheet draws no bitmap unless a logo is configured. DEFERRED names such
modules: when one is first imported, it is made with importlib.util.LazyLoader, which runs
the module at the first use of any of its names (a logo drawn or checked, matplotlib). Only
its loading moves; the module is the same.

`install()` is called by the package's __init__, before anything imports ReportLab.
"""

from __future__ import annotations

import importlib.util

from .meta_path import install_first, spec_found_by_others

DEFERRED = frozenset({"PIL.Image"})


class _DeferringFinder:
    """A meta path finder for the modules of DEFERRED only: the spec the other finders find,
    its loader wrapped in a LazyLoader."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in DEFERRED:
            return None
        spec = spec_found_by_others(self, fullname, path, target)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def install() -> None:
    """Defer the modules of DEFERRED that are not imported yet (once per process)."""
    install_first(_DeferringFinder)
