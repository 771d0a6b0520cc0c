"""factsheets.fast_patterns: the patterns compiled in the place of ReportLab's and PyYAML's
match what theirs match, and are the ones those modules use once factsheets is imported."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys

import pytest

from factsheets import fast_patterns

# Every code point, surrogates included (a Python string may hold them).
EVERY_CHARACTER = "".join(map(chr, range(sys.maxunicode + 1)))


# Each module's pattern: where it keeps it, and the original as fast_patterns knows it.
KEPT = {
    "reportlab.platypus.paragraph": ("uri_pat", fast_patterns.URI, fast_patterns.URI_EQUIVALENT),
    "reportlab.lib.textsplit": ("rx", fast_patterns.CJK, fast_patterns.CJK_EQUIVALENT),
    "yaml.reader": ("Reader.NON_PRINTABLE", fast_patterns.NON_PRINTABLE, fast_patterns.NON_PRINTABLE_EQUIVALENT),
}


def _imported_patterns(*first: str) -> dict[str, list]:
    """Per module of KEPT, [pattern, flags] of its pattern in a fresh process that imports
    the modules `first` before it."""
    script = "\n".join(
        [
            "import importlib, json",
            *(f"import {name}" for name in first),
            f"kept = {json.dumps({module: where for module, (where, _, _) in KEPT.items()})}",
            "found = {}",
            "for module, where in kept.items():",
            "    value = importlib.import_module(module)",
            "    for name in where.split('.'):",
            "        value = getattr(value, name)",
            "    found[module] = [value.pattern, int(value.flags)]",
            "print(json.dumps(found))",
        ]
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_the_modules_compile_the_patterns_taken_for_theirs():
    for module, (pattern, flags) in _imported_patterns().items():
        assert pattern == KEPT[module][1], f"{module} changed its pattern: derive its equivalent in fast_patterns again"
        # A str pattern's flags always hold UNICODE, given or not.
        assert [(pattern, flags & ~re.UNICODE)] == [(p, f & ~re.UNICODE) for p, f in fast_patterns.EQUIVALENTS[module]]


def test_imported_after_factsheets_the_modules_match_with_the_equivalents():
    for module, (pattern, flags) in _imported_patterns("factsheets").items():
        assert pattern == KEPT[module][2]
        assert not flags & re.IGNORECASE
    # Any other pattern compiled meanwhile kept its flags (paragraph.py compiles a dozen).
    from reportlab.platypus import paragraph

    assert paragraph._hy_letters_pat.flags == re.compile(paragraph._hy_letters_pat.pattern).flags


@pytest.mark.parametrize("module", ["reportlab.lib.textsplit", "yaml.reader"])
def test_a_one_character_pattern_matches_every_character_the_original_matches_and_no_other(module):
    _, original, equivalent = KEPT[module]
    assert re.findall(equivalent, EVERY_CHARACTER) == re.findall(original, EVERY_CHARACTER)


def _one_character_pairs() -> list[tuple[str, str]]:
    """URI_ATOMS as pairs of one-character patterns: a class and its equivalent, or a letter
    of "xn--" and "localhost" and the class that stands for it."""
    pairs = []
    for original, equivalent in fast_patterns.URI_ATOMS:
        if original.startswith("["):
            pairs.append((original, equivalent))
        else:
            parts = re.findall(r"\[[^\]]*\]|.", equivalent)
            assert len(parts) == len(original), (original, equivalent)
            pairs.extend(zip(original, parts))
    return pairs


def test_each_atom_replaced_is_in_the_uri_pattern_and_no_other_letter_is_left():
    for original, _ in fast_patterns.URI_ATOMS:
        assert original in fast_patterns.URI
    # Outside its classes and escapes, the pattern's only letters are those of two atoms.
    outside = re.sub(r"\\.|\[(?:\\.|[^\]])*\]", "", fast_patterns.URI)
    assert "".join(re.findall("[A-Za-z]", outside)) == "xnlocalhost"


@pytest.mark.parametrize(("original", "equivalent"), _one_character_pairs())
def test_each_class_matches_every_character_the_original_matches_and_no_other(original, equivalent):
    assert re.findall(equivalent, EVERY_CHARACTER) == re.findall(original, EVERY_CHARACTER, re.IGNORECASE)


def test_urls_and_words_match_alike_groups_included():
    original = re.compile(fast_patterns.URI, re.IGNORECASE)
    equivalent = re.compile(fast_patterns.URI_EQUIVALENT)
    words = [
        "http://www.example.com/a/b?c#d",
        "HTTPS://Www.Exämple.COM/",
        "https://lekiosque.finances.gouv.fr/site_fr/telechargement/telechargement_SGBD.asp",
        "ftp://192.168.0.1:8080/x",
        "http://256.1.1.1/",
        "http://[::1]/",
        "http://localhost",
        "HTTP://LOCALHOſT:80",
        "http://xn--bcher-kva.example/",
        "HTTP://XN--BCHER-KVA.EXAMPLE",
        "http://a-.com",
        "http://-a.com",
        "http://user:pass@host.fr",
        "http://\u212a\u0130.\u017fr",
        "www.douane.gouv.fr",
        "commerce-exterieur",
        "mailto:someone@example.org",
        "",
    ]
    alphabet = "aAzZkKsSiIxXnN09-.:/@[]?#+ \u0130\u0131\u017f\u212aéÉ\xa0\xa1\U00010400"
    draw = random.Random(24)
    words += ["http://" + "".join(draw.choices(alphabet, k=draw.randint(1, 24))) for _ in range(3000)]
    words += ["".join(draw.choices(alphabet, k=draw.randint(1, 24))) for _ in range(3000)]
    for word in words:
        found, expected = equivalent.match(word), original.match(word)
        assert (found and (found.span(), found.groups())) == (expected and (expected.span(), expected.groups())), word
