"""The department's name after "de", with its article from the INSEE COG "type de nom en
clair" (TNCC) in config/reference/departments.yaml: "de l'Aisne", "du Nord"."""

from __future__ import annotations

import re
import shutil

import pytest

from factsheets.errors import FactsheetsError
from factsheets.paths import CONFIG_DIR, REFERENCE_DIR
from factsheets.reference import load_reference, name_after_de

# Written out by hand (as in published French prose), not derived from the table.
EXPECTED = {
    "02": "de l’Aisne",
    "59": "du Nord",
    "13": "des Bouches-du-Rhône",
    "80": "de la Somme",
    "75": "de Paris",
    "974": "de La Réunion",
    "976": "de Mayotte",
    "34": "de l’Hérault",
    "89": "de l’Yonne",
    "31": "de la Haute-Garonne",
    "68": "du Haut-Rhin",
    "92": "des Hauts-de-Seine",
    "78": "des Yvelines",
    "79": "des Deux-Sèvres",
    "90": "du Territoire de Belfort",
    "95": "du Val-d’Oise",
    "2A": "de la Corse-du-Sud",
    "971": "de la Guadeloupe",
    "973": "de la Guyane",
    "60": "de l’Oise",
    "14": "du Calvados",
    # The seven whose TNCC this table once had wrong (INSEE COG 2024, v_departement_2024.csv).
    "28": "d’Eure-et-Loir",
    "35": "d’Ille-et-Vilaine",
    "37": "d’Indre-et-Loire",
    "49": "de Maine-et-Loire",
    "54": "de Meurthe-et-Moselle",
    "71": "de Saône-et-Loire",
    "77": "de Seine-et-Marne",
    "41": "du Loir-et-Cher",
    "47": "du Lot-et-Garonne",
    "82": "du Tarn-et-Garonne",
}


@pytest.fixture(scope="module")
def reference():
    return load_reference()


@pytest.mark.parametrize(("code", "expected"), EXPECTED.items())
def test_known_departments(reference, code, expected):
    assert reference.department_after_de(code) == expected


def test_the_rule_holds_for_all_101_departments(reference):
    """Elision before a vowel or mute h, never before a consonant; "des" before a plural."""
    codes = reference.department_codes()
    assert len(codes) == 101
    for code in codes:
        _, name, _ = reference.department(code)
        tncc = reference.department_tncc[code]
        phrase = reference.department_after_de(code)
        assert phrase.endswith(name), code
        starts_with_vowel = name[0].lower() in "aeiouyàâéèêëîïôöûüœ" or name in ("Hérault",)
        if tncc == 5:
            assert phrase == f"de l’{name}" and starts_with_vowel, code
        elif tncc in (2, 3):
            assert phrase == {2: "du ", 3: "de la "}[tncc] + name and not starts_with_vowel, code
        elif tncc == 4:
            first_word = re.split(r"[- ]", name)[0]
            assert phrase == f"des {name}" and first_word[-1] in "sx", code  # plural: Alpes, Hauts, Deux…
        elif tncc == 1:  # no article, elided: the "X-et-Y" names that start with a vowel
            assert phrase == f"d’{name}" and starts_with_vowel and "-et-" in name, code
        else:  # no article: Paris, the "X-et-Y" names that start with a consonant, La Réunion, Mayotte
            assert tncc == 0 and phrase == f"de {name}" and not starts_with_vowel, code
            assert "-et-" in name or name in ("Paris", "La Réunion", "Mayotte"), code
        assert "  " not in phrase and "' " not in phrase


def test_every_code_of_the_cog_list():
    assert [name_after_de("X", tncc)[:-1] for tncc in range(9)] == [
        "de ",
        "d’",
        "du ",
        "de la ",
        "des ",
        "de l’",
        "des ",
        "de las ",
        "de los ",
    ]


@pytest.mark.parametrize("value", ["", "tncc: 9, ", "tncc: deux, ", "tncc: true, "])
def test_a_missing_or_wrong_tncc_names_the_line(tmp_path, value):
    target = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, target)
    path = target / "departments.yaml"
    lines = path.read_text(encoding="utf-8").split("\n")
    number = lines.index('"60": {name: Oise, region: "32", tncc: 5}')
    lines[number] = '"60": {' + value + 'name: Oise, region: "32"}'
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(FactsheetsError, match=rf"^{re.escape(str(path))}:{number + 1} : le département 60 doit avoir « tncc »"):
        load_reference(target, CONFIG_DIR)
