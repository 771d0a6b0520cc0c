"""Paragraphs parsed and wrapped once per process: every sheet repeats most of its texts.

The pages "Contexte et méthodologie" and "Informations pratiques", the headings, the chart
introductions are the same on every sheet, and platypus wraps a paragraph more than once
(a title at each width its line balancing tries, a block kept with the next one). Parsing
the markup and breaking the lines (hyphenation included) depend only on the text, the
style's values and the width: `SharedParagraph` keeps their results by those, so a
paragraph met before takes them instead of computing them again. Drawing is not shared:
each document's canvas still encodes the text into its own font subsets, so the bytes are
those of a fresh paragraph.

A paragraph's state is keyed by its whole history: (parsed text and style) and then each
width it was wrapped at, since a wrap starts from the fragments the previous one left. A
paragraph that platypus splits across pages goes back to private fragments first, rebuilt
the plain way along the same history: splitting alters fragments in place, and shared ones
must stay as they were made.
"""

from __future__ import annotations

from collections.abc import Hashable
from operator import is_

from reportlab.lib.colors import Color
from reportlab.platypus import Paragraph

# Past this many entries (a run of the 101 sheets makes about 1 500, some 6 MB) a cache starts
# afresh, so a long-lived process cannot grow without bound.
CACHE_LIMIT = 5_000
_parsed: dict[Hashable, tuple] = {}
_wrapped: dict[Hashable, tuple] = {}
_style_keys: dict[int, tuple] = {}


def _style_key(style) -> Hashable | None:
    """A style by its values (the sheets' styles are new objects, equal from sheet to sheet),
    or None when one of them cannot be compared by value. Worked out once per style object,
    again if any of its attributes has been set to another object since."""
    attributes = style.__dict__
    names, current = tuple(attributes), tuple(attributes.values())
    known = _style_keys.get(id(style))
    if known is not None and known[0] is style and known[1] == names and all(map(is_, known[2], current)):
        return known[3]
    values = []
    for name, value in attributes.items():
        if name == "parent":  # its values are copied into the style itself
            continue
        if isinstance(value, Color):
            value = (type(value).__name__, tuple(vars(value).items()))
        else:
            try:
                hash(value)
            except TypeError:
                return None
        values.append((name, value))
    key = tuple(values)
    _remember(_style_keys, id(style), (style, names, current, key))  # the style kept alive: its id stays its own
    return key


def _remember(cache: dict, key: Hashable, value: tuple) -> None:
    if len(cache) >= CACHE_LIMIT:
        cache.clear()
    cache[key] = value


class SharedParagraph(Paragraph):
    """A platypus Paragraph whose parsing and line breaking are shared within the process
    with every equal paragraph (same text, style values and widths)."""

    # The key of the current fragments and lines, None when they are the paragraph's own
    # (given as fragments, a split part, or split itself).
    _shared_state: Hashable | None = None
    # What, besides the width, decides where a subclass breaks the lines (a value by which a
    # wrap is kept): typography.JustifiedParagraph's per-line widths.
    break_variant: Hashable = ()

    def _setup(self, text, style, bulletText, frags, cleaner):
        style_key = _style_key(style) if frags is None and isinstance(text, str) else None
        if bulletText is not None and not isinstance(bulletText, str):
            style_key = None
        if style_key is None:
            self._shared_state = None
            return super()._setup(text, style, bulletText, frags, cleaner)
        state = (type(self).breakLines, text, style_key, bulletText, self.caseSensitive, cleaner)
        parsed = _parsed.get(state)
        if parsed is None:
            super()._setup(text, style, bulletText, frags, cleaner)
            _remember(_parsed, state, (self.text, self.frags, self.style, self.bulletText))
        else:
            self.text, self.frags, self.style, self.bulletText = parsed
            self.debug = 0
        self._source = (text, style, bulletText, cleaner)
        self._widths: tuple[tuple[float, Hashable], ...] = ()
        self._shared_state = state

    def wrap(self, availWidth, availHeight):
        state = self._shared_state
        if state is None:
            return super().wrap(availWidth, availHeight)
        key = (state, availWidth, self.break_variant)
        wrapped = _wrapped.get(key)
        if wrapped is None:
            before = dict(self.__dict__)
            result = super().wrap(availWidth, availHeight)
            # What the wrap set (lines, fragments, height, widths...), to give an equal paragraph.
            changes = {name: value for name, value in self.__dict__.items() if name not in before or before[name] is not value}
            _remember(_wrapped, key, (result, changes))
        else:
            result, changes = wrapped
            self.__dict__.update(changes)
        self._shared_state = key
        self._widths += ((availWidth, self.break_variant),)
        return result

    def split(self, availWidth, availHeight):
        if self._shared_state is not None:
            self._own_state()
        return super().split(availWidth, availHeight)

    def _own_state(self) -> None:
        """Fragments and lines of its own, made as a plain Paragraph would have made them."""
        text, style, bulletText, cleaner = self._source
        widths, variant = self._widths, self.break_variant
        self._shared_state = None
        Paragraph._setup(self, text, style, bulletText, None, cleaner)
        for width, self.break_variant in widths:
            Paragraph.wrap(self, width, 0)
        self.break_variant = variant
