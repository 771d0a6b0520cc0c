"""French typography helpers for the ReportLab writer: hyphenation of elided words.

pyphen's French patterns hyphenate "incertitude", but ReportLab only asks its hyphenator
about words made of letters alone, so an elided word such as "l’incertitude" or
"d’exportation" (one word for ReportLab: the apostrophe joins them) was never broken and
stretched the justified line around it. `french_hyphenator` splits such a word at its
apostrophe, hyphenates the rest with pyphen and puts the elided head back in front of
every break ("l’incer-" / "titude"); the break itself never falls right after the
apostrophe (the elided article stays with its word, and ReportLab would print "l’-").

`allow_elided_words` widens ReportLab's letters-only test so that these words reach the
hyphenator: ReportLab keeps that test in a module-level pattern of
reportlab.platypus.paragraph (`_hy_letters_pat`); it is replaced, once, by the same letters
with an optional elided head in front.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache

APOSTROPHES = "’'"  # typographic first, the straight one still met in data
# French rules: at least 2 letters before the break and 3 after it, words of 6 letters or more.
LEFT, RIGHT, MIN_WORD = 2, 3, 6
# Letters as ReportLab's own pattern has them (Latin with accents, ligatures included).
_LETTERS = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
ELIDED = re.compile(rf"^((?:[{_LETTERS}]+[{APOSTROPHES}])+)([{_LETTERS}]+)$")


@lru_cache(maxsize=1)
def _pyphen():
    import pyphen

    return pyphen.Pyphen(lang="fr_FR", left=LEFT, right=RIGHT)


def hyphenation_points(word: str) -> list[tuple[str, str]]:
    """The (head, tail) break points of `word`, longest head first, as ReportLab wants them.

    "incertitude" -> [("incerti", "tude"), ("incer", "titude"), ("in", "certitude")];
    "l’incertitude" -> the same with "l’" in front of every head; a rest shorter than
    MIN_WORD letters is not broken."""
    found = ELIDED.match(word)
    if found is None:
        return list(_pyphen().iterate(word)) if len(word) >= MIN_WORD else []
    elided, rest = found.groups()
    if len(rest) < MIN_WORD:
        return []
    return [(elided + head, tail) for head, tail in _pyphen().iterate(rest)]


def french_hyphenator() -> Callable[[str], Iterator[tuple[str, str]]]:
    """The callable ReportLab's `hyphenationLang` takes (it iterates (head, tail) pairs)."""
    allow_elided_words()
    return lambda word: iter(hyphenation_points(word))


@lru_cache(maxsize=1)
def allow_elided_words() -> None:
    """Let ReportLab offer words with an elided head ("l’incertitude") to the hyphenator."""
    from reportlab.platypus import paragraph

    letters = paragraph._hy_letters_pat
    elided = re.compile(rf"^(?:[{_LETTERS}]+[{APOSTROPHES}])*(?:{letters.pattern.lstrip('^').rstrip('$')})$")
    paragraph._hy_letters_pat = elided
