"""What the package's meta path finders (fast_patterns, deferred_modules) share."""

from __future__ import annotations

import sys


def spec_found_by_others(finder, fullname, path=None, target=None):
    """The spec the finders of sys.meta_path other than `finder` find for `fullname`, or None."""
    for other in sys.meta_path:
        if other is not finder and hasattr(other, "find_spec"):
            spec = other.find_spec(fullname, path, target)
            if spec is not None:
                return spec
    return None


def install_first(finder_class: type) -> None:
    """An instance of `finder_class` first on sys.meta_path, unless one is there already."""
    if not any(isinstance(finder, finder_class) for finder in sys.meta_path):
        sys.meta_path.insert(0, finder_class())
