"""Patterns that ReportLab and PyYAML compile when imported, compiled without Python's
per-character loop: the same matches, 24 ms sooner in every drawing process.

Python's regular expression compiler makes a character class over a large range by visiting
each of its characters, and, under IGNORECASE, folding each one's case: ~65,000 steps for a
class that spans the Basic Multilingual Plane. Three such patterns are compiled when their
module is imported, in every process that draws a sheet (a helper's start and a `--dept`
run's included):
- `reportlab.platypus.paragraph.uri_pat` (Django's URL validator, which ReportLab tries
  every hyphenation candidate against), IGNORECASE, 19 ms. URI_EQUIVALENT is the same pattern
  without the flag, each class and letter replaced (URI_ATOMS) by one that lists the cases
  the flag would add (the capitals, and the four other characters Python folds onto ASCII
  letters: İ ı ſ K); the classes that span the BMP are written as what they leave out, which
  compiles without the loop;
- `reportlab.lib.textsplit.rx` (the CJK characters, a line may break after any), 2.6 ms;
- `yaml.reader.Reader.NON_PRINTABLE`, 3 ms, written as the characters it matches rather than
  those it leaves out.
tests/test_fast_patterns.py checks each class against the original over every code point,
and whole URLs.

`install()` (called by the package's __init__) has the import of those modules compile each
equivalent in its original's place (EQUIVALENTS); any other pattern, or another version's,
compiles as usual.
"""

from __future__ import annotations

import re

from .meta_path import install_first, spec_found_by_others

# The pattern as ReportLab 4 writes it (paragraph.py, "derived from Django validator").
URI = (
    "(^(?:[a-z0-9\\.\\-\\+]*)://)(?:\\S+(?::\\S*)?@)?(?:(?:25[0-5]|2[0-4]\\d|[0-1]?\\d?\\d)"
    "(?:\\.(?:25[0-5]|2[0-4]\\d|[0-1]?\\d?\\d)){3}|\\[[0-9a-f:\\.]+\\]|([a-z\xa1-\uffff0-9]"
    "(?:[a-z\xa1-\uffff0-9-]{0,61}[a-z\xa1-\uffff0-9])?(?:\\.(?!-)[a-z\xa1-\uffff0-9-]{1,63}(?<!-))*"
    "\\.(?!-)(?:[a-z\xa1-\uffff-]{2,63}|xn--[a-z0-9]{1,59})(?<!-)\\.?|localhost))"
    "(?::\\d{2,5})?(?:[/?#][^\\s]*)?\\Z"
)

# Each class of URI as matched under IGNORECASE, written without the flag.
# [a-z\xa1-\uffff0-9]: a-z, A-Z, 0-9 and the rest of the BMP from \xa1.
LABEL = "[^\\x00-/:-@\\[-`{-\\xa0\\U00010000-\\U0010ffff]"
# [a-z\xa1-\uffff0-9-]: the same and the hyphen.
LABEL_OR_HYPHEN = "[^\\x00-,./:-@\\[-`{-\\xa0\\U00010000-\\U0010ffff]"
# [a-z\xa1-\uffff-]: no digits.
TOP_LEVEL = "[^\\x00-,.-@\\[-`{-\\xa0\\U00010000-\\U0010ffff]"
# [a-z0-9]: Python's IGNORECASE also folds İ (U+0130) and ı (U+0131) onto i, ſ (U+017F)
# onto s and the Kelvin sign (U+212A) onto k.
ASCII_ALNUM = "a-zA-Z0-9\\u0130\\u0131\\u017f\\u212a"
# Every class and letter of URI (its only letters outside a class or an escape are those of
# "xn--" and "localhost"), and what it matches under IGNORECASE.
URI_ATOMS = (
    ("[a-z\xa1-\uffff0-9]", LABEL),
    ("[a-z\xa1-\uffff0-9-]", LABEL_OR_HYPHEN),
    ("[a-z\xa1-\uffff-]", TOP_LEVEL),
    ("[a-z0-9]", f"[{ASCII_ALNUM}]"),
    ("[a-z0-9\\.\\-\\+]", f"[{ASCII_ALNUM}\\.\\-\\+]"),
    ("[0-9a-f:\\.]", "[0-9a-fA-F:\\.]"),
    ("xn--", "[xX][nN]--"),
    ("localhost", "[lL][oO][cC][aA][lL][hH][oO][sS\\u017f][tT]"),
)


def _replaced(pattern: str, atoms: tuple[tuple[str, str], ...]) -> str:
    for original, equivalent in atoms:
        pattern = pattern.replace(original, equivalent)
    return pattern


URI_EQUIVALENT = _replaced(URI, URI_ATOMS)

# reportlab.lib.textsplit: "([\u2e80-\uffff])", the BMP from U+2E80.
CJK = "([\u2e80-\uffff])"
CJK_EQUIVALENT = "([^\\x00-\\u2e7f\\U00010000-\\U0010ffff])"
# yaml.reader.Reader.NON_PRINTABLE: what YAML does not allow in a stream.
NON_PRINTABLE = "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
NON_PRINTABLE_EQUIVALENT = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x84\\x86-\\x9f\\ud800-\\udfff\\ufffe\\uffff]"

# Per module: (pattern, flags) as the module compiles it -> the equivalent compiled instead.
EQUIVALENTS: dict[str, dict[tuple[str, int], str]] = {
    "reportlab.platypus.paragraph": {(URI, re.IGNORECASE): URI_EQUIVALENT},
    "reportlab.lib.textsplit": {(CJK, re.UNICODE): CJK_EQUIVALENT},
    "yaml.reader": {(NON_PRINTABLE, 0): NON_PRINTABLE_EQUIVALENT},
}


class _CompilingEquivalents:
    """A meta path finder for the modules of EQUIVALENTS only, each once: the spec the other
    finders find, its loader running the module with re.compile answering the equivalents."""

    def __init__(self):
        self.pending = set(EQUIVALENTS)

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.pending:
            return None
        self.pending.discard(fullname)
        spec = spec_found_by_others(self, fullname, path, target)
        if spec is None:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        exec_module, equivalents = loader.exec_module, EQUIVALENTS[fullname]

        def exec_with_equivalents(module) -> None:
            compile_pattern = re.compile

            def compiled(pattern, flags=0):
                equivalent = equivalents.get((pattern, int(flags))) if isinstance(pattern, str) else None
                return compile_pattern(pattern, flags) if equivalent is None else compile_pattern(equivalent)

            re.compile = compiled
            try:
                exec_module(module)
            finally:
                re.compile = compile_pattern
                del loader.exec_module  # the loader's own method again

        loader.exec_module = exec_with_equivalents
        return spec


def install() -> None:
    """Have the modules of EQUIVALENTS, when first imported, compile the equivalents (once
    per process; a module imported already keeps its patterns)."""
    install_first(_CompilingEquivalents)  # inert once it has found them all
