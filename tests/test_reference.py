"""Reference tables: contents, lookups, and one clear error per broken or inconsistent file."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polars as pl
import pytest

from factsheets.errors import ConfigurationError, FactsheetsError
from factsheets.paths import CONFIG_DIR, REFERENCE_DIR
from factsheets.reference import load_reference, normalize_department_code


@pytest.fixture(scope="module")
def reference():
    return load_reference()


@pytest.fixture
def reference_copy(tmp_path: Path) -> Path:
    """A private copy of config/reference/ to break."""
    target = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, target)
    return target


def replace_line(path: Path, old: str, new: str) -> int:
    """Replace the one line equal to `old`; return its 1-based number."""
    lines = path.read_text(encoding="utf-8").split("\n")
    number = lines.index(old)
    lines[number] = new
    path.write_text("\n".join(lines), encoding="utf-8")
    return number + 1


def test_departments_and_regions(reference):
    departments = reference.departments
    assert departments.height == 101
    assert departments["code"].is_unique().all()
    assert departments["code"].to_list() == sorted(departments["code"].to_list())
    expected_codes = [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B", "971", "972", "973", "974", "976"]
    assert sorted(departments["code"].to_list()) == sorted(expected_codes)
    assert reference.regions.height == 18
    assert set(departments["region"]) == set(reference.regions["code"])  # every region used, every one known
    assert reference.department("02") == ("02", "Aisne", "32")
    assert reference.department("60") == ("60", "Oise", "32")
    assert reference.department("2A") == ("2A", "Corse-du-Sud", "94")
    assert reference.department("95")[1] == "Val-d’Oise"
    assert reference.department("22")[1] == "Côtes-d’Armor"
    assert reference.department("976") == ("976", "Mayotte", "06")
    assert reference.region_name("32") == "Hauts-de-France"
    assert reference.region_name("11") == "Île-de-France"
    assert reference.region_name("04") == "La Réunion"
    hauts_de_france = departments.filter(pl.col("region") == "32")["code"].to_list()
    assert hauts_de_france == ["02", "59", "60", "62", "80"]


def test_unknown_codes_are_clear_errors(reference):
    with pytest.raises(FactsheetsError, match=r"^département inconnu « 20 » ; utilisez un code INSEE comme 02 ou 2A$"):
        reference.department("20")
    with pytest.raises(FactsheetsError, match="département inconnu « 2 »"):
        reference.department("2")  # codes are exact; the CLI normalises first
    with pytest.raises(FactsheetsError, match="région inconnue « 99 »"):
        reference.region_name("99")


@pytest.mark.parametrize(
    ("typed", "code"), [("2", "02"), (" 02 ", "02"), ("2a", "2A"), ("2B", "2B"), ("971", "971"), ("60", "60"), ("0", "00")]
)
def test_normalize_department_code(typed, code):
    assert normalize_department_code(typed) == code


def test_department_codes_as_typed(reference):
    every = reference.department_codes()
    assert len(every) == 101 and every == sorted(every) and every[:2] == ["01", "02"] and every[-1] == "976"
    assert reference.department_codes(["2a", " 1", "971", "2A", "01"]) == ["2A", "01", "971"]
    with pytest.raises(FactsheetsError, match="« 20 »"):
        reference.department_codes(["02", "20"])


def test_country_names(reference):
    names = dict(zip(reference.countries["code"], reference.countries["name"]))
    assert names["US"] == "États-Unis"
    assert names["KR"] == "Corée du Sud"
    assert names["KP"] == "Corée du Nord"
    assert names["GB"] == "Royaume-Uni"
    assert names["DE"] == "Allemagne"
    assert names["CN"] == "Chine"
    assert names["RU"] == "Russie"
    assert names["TW"] == "Taïwan"
    assert names["NO"] == "Norvège"  # a quoted key: unquoted NO would be the boolean false
    assert names["XK"] == "Kosovo"
    assert names["QQ"] == "Avitaillement et soutage"
    assert names["QP"] == "Haute mer"
    assert {"QR", "QS", "QU", "QV", "QW", "QX", "QY", "QZ"} <= set(names)
    assert len(names) >= 249
    # Inverted or long official forms ("Corée, République de") are all replaced by usual names.
    awkward = {code: name for code, name in names.items() if ("," in name or "(" in name) and not code.startswith("Q")}
    assert awkward == {"SH": "Sainte-Hélène, Ascension et Tristan da Cunha"}


def test_products(reference):
    products = reference.products
    assert products["code"].is_unique().all()
    assert all(re.fullmatch(r"[A-EJR][0-9]{2}[A-Z]", code) for code in products["code"])
    labels = {row["code"]: row for row in products.iter_rows(named=True)}
    assert labels["C30C"]["label"] == "Produits de la construction aéronautique et spatiale"
    assert labels["C30C"]["short_label"] == "Aéronautique et spatial"
    assert labels["C21Z"]["label"] == "Produits pharmaceutiques de base et préparations pharmaceutiques"
    assert labels["C21Z"]["short_label"] == "Pharmacie"
    assert labels["C11Z"]["short_label"] == "Boissons"
    assert {"A01Z", "B06Z", "C10A", "C10K", "C19Z", "C29A", "D35Z", "E38Z", "J58Z"} <= set(labels)
    assert not {"C33Z", "G46Z", "H49A"} & set(labels)  # services are not goods
    too_long = [row["short_label"] for row in labels.values() if len(row["short_label"]) > 26]
    assert too_long == []
    assert all(row["label"].strip() and row["short_label"].strip() for row in labels.values())


def test_territoires_industrie(reference):
    assert reference.territoires_industrie["02"] == (
        "Haute-Picardie",
        "Soissonnais \u2013 Valois",
        "Sud Aisne",
        "Thiérache et Pays de la Serre",
    )
    assert reference.territoires_industrie["60"] == ("Beauvaisis", "Pays Compiégnois", "Sud Oise")
    assert set(reference.territoires_industrie) <= set(reference.departments["code"])


def test_every_file_names_its_source():
    for path in sorted(REFERENCE_DIR.glob("*.yaml")):
        header = path.read_text(encoding="utf-8").split("\n", 6)[:6]
        assert header[0].startswith("# "), path
        assert any("Source" in line for line in header), path


def test_unallocated_codes_come_from_settings(reference):
    assert reference.unallocated_departments == {"00": "Non ventilé"}


def test_settings_extra_codes_are_merged(tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.yaml").write_text(
        "data:\n"
        '  unallocated_departments: {"00": Non ventilé, "99": Autre}\n'
        "  extra_products: {Z99Z: Produits confidentiels regroupés pour le secret statistique}\n"
        '  extra_countries: {"QT": Code de test}\n',
        encoding="utf-8",
    )
    reference = load_reference(REFERENCE_DIR, config)
    assert reference.unallocated_departments == {"00": "Non ventilé", "99": "Autre"}
    product = reference.products.filter(pl.col("code") == "Z99Z").row(0, named=True)
    assert product["label"] == "Produits confidentiels regroupés pour le secret statistique"
    assert len(product["short_label"]) <= 26 and product["short_label"].endswith("…")
    assert "QT" in reference.countries["code"].to_list()


def test_unallocated_code_may_not_be_a_department(tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.yaml").write_text('data:\n  unallocated_departments: {"02": Aisne}\n', encoding="utf-8")
    with pytest.raises(FactsheetsError, match=r"settings\.yaml:2 : data\.unallocated_departments contient « 02 »"):
        load_reference(REFERENCE_DIR, config)


def test_broken_yaml_names_file_and_line(reference_copy):
    path = reference_copy / "departments.yaml"
    line = replace_line(path, '"60": {name: Oise, region: "32", tncc: 5}', '"60": {name: Oise, region: "32", tncc: 5')
    with pytest.raises(FactsheetsError) as caught:
        load_reference(reference_copy, CONFIG_DIR)
    message = str(caught.value)
    assert re.match(rf"^{re.escape(str(path))}:({line}|{line + 1}) : YAML invalide", message), message
    assert "\n" not in message


def test_duplicate_code_names_both_lines(reference_copy):
    path = reference_copy / "regions.yaml"
    line = replace_line(path, '"94": Corse', '"32": Corse')
    first = path.read_text(encoding="utf-8").split("\n").index('"32": Hauts-de-France') + 1
    expected = rf"^{re.escape(str(path))}:{line} : le code « 32 » figure deux fois \(d'abord à la ligne {first}\)"
    with pytest.raises(FactsheetsError, match=expected):
        load_reference(reference_copy, CONFIG_DIR)


def test_unquoted_code_is_explained(reference_copy):
    path = reference_copy / "departments.yaml"
    line = replace_line(path, '"01": {name: Ain, region: "84", tncc: 5}', '01: {name: Ain, region: "84", tncc: 5}')
    expected = rf"^{re.escape(str(path))}:{line} : le code de département 1 a été lu comme int et non comme du texte ; écrivez-le entre guillemets"
    with pytest.raises(FactsheetsError, match=expected):
        load_reference(reference_copy, CONFIG_DIR)


def test_department_with_unknown_region_names_the_line(reference_copy):
    path = reference_copy / "departments.yaml"
    line = replace_line(path, '"02": {name: Aisne, region: "32", tncc: 5}', '"02": {name: Aisne, region: "22", tncc: 5}')
    with pytest.raises(FactsheetsError, match=rf"^{re.escape(str(path))}:{line} : le département 02 renvoie à la région « 22 »"):
        load_reference(reference_copy, CONFIG_DIR)


def test_country_section_errors_name_the_line(reference_copy):
    path = reference_copy / "countries.yaml"
    line = replace_line(path, '  "TW": "Taïwan"', '  "TWN": "Taïwan"')
    with pytest.raises(FactsheetsError, match=rf"^{re.escape(str(path))}:{line} : « TWN » n'est pas un code pays valide"):
        load_reference(reference_copy, CONFIG_DIR)


def test_missing_table_is_reported(reference_copy):
    (reference_copy / "products.yaml").unlink()
    with pytest.raises(FactsheetsError, match=r"products\.yaml : table de référence introuvable"):
        load_reference(reference_copy, CONFIG_DIR)


def test_territoire_for_unknown_department(reference_copy):
    path = reference_copy / "territoires_industrie.yaml"
    line = replace_line(path, '"60":', '"20":')
    with pytest.raises(
        FactsheetsError, match=rf"^{re.escape(str(path))}:{line} : « 20 » n'est pas un code de département valide"
    ):
        load_reference(reference_copy, CONFIG_DIR)


def test_loading_is_cached_once_per_process():
    # Its cost is measured by benchmarks/bench_render.py ("config, reference, fonts"), not here.
    assert load_reference() is load_reference()
    fresh = load_reference.__wrapped__(REFERENCE_DIR, CONFIG_DIR)
    assert fresh is not load_reference() and fresh.department_codes() == load_reference().department_codes()


TEXT_FIX = "écrivez-le, entre guillemets s'il contient « : » ou « # »"


def problem_lines(reference_copy: Path) -> list[str]:
    with pytest.raises(ConfigurationError) as caught:
        load_reference(reference_copy, CONFIG_DIR)
    lines = str(caught.value).split("\n")
    assert lines == [problem.shown() for problem in caught.value.problems]
    return lines


def test_every_duplicate_code_is_listed_and_later_lines_stay_right(reference_copy):
    path = reference_copy / "regions.yaml"
    first_32 = replace_line(path, '"32": Hauts-de-France', '"32": Hauts-de-France')
    first_44 = replace_line(path, '"44": Grand Est', '"44": Grand Est')
    again_32 = replace_line(path, '"52": Pays de la Loire', '"32": Pays de la Loire')
    again_44 = replace_line(path, '"53": Bretagne', '"44": Bretagne')
    empty = replace_line(path, '"75": Nouvelle-Aquitaine', '"75": ""')  # after the duplicates: its own line
    departments = reference_copy / "departments.yaml"
    assert problem_lines(reference_copy) == [
        f"{path}:{again_32} : le code « 32 » figure deux fois (d'abord à la ligne {first_32}) ; gardez une seule entrée par code",
        f"{path}:{again_44} : le code « 44 » figure deux fois (d'abord à la ligne {first_44}) ; gardez une seule entrée par code",
        f"{path}:{empty} : le nom de la région 75 doit être un texte non vide ; {TEXT_FIX}",
    ] + [  # the departments of the regions now missing (52, 53), each on its line
        f"{departments}:{number + 1} : le département {match[1]} renvoie à la région « {match[2]} », absente de {path} ; "
        'utilisez un code de région entre guillemets, par ex. "32"'
        for number, line in enumerate(departments.read_text(encoding="utf-8").split("\n"))
        if (match := re.match(r'^"(\w+)": .*region: "(5[23])"', line))
    ]


def test_an_unreadable_table_is_one_line_and_the_others_are_still_checked(reference_copy):
    regions = reference_copy / "regions.yaml"
    replace_line(regions, '"32": Hauts-de-France', '"32": Hauts-de-France: Nord')
    departments = reference_copy / "departments.yaml"
    line = replace_line(departments, '"02": {name: Aisne, region: "32", tncc: 5}', '"02": {nmae: Aisne, region: "99", tncc: 5}')
    lines = problem_lines(reference_copy)
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"{regions}:") and "YAML invalide" in lines[0]
    # A misspelt key is reported once, with its right name; the unknown region 99 is not
    # reported while regions.yaml cannot be read (every department would be).
    assert lines[1] == f"{departments}:{line} : clé inconnue « nmae » pour le département 02 ; vouliez-vous dire « name » ?"


def test_a_territoire_of_a_department_missing_from_departments_yaml(reference_copy):
    departments = reference_copy / "departments.yaml"
    replace_line(departments, '"60": {name: Oise, region: "32", tncc: 5}', "")
    territoires = reference_copy / "territoires_industrie.yaml"
    line = territoires.read_text(encoding="utf-8").split("\n").index('"60":') + 1
    empty = replace_line(territoires, "  - Sud Aisne", '  - ""')
    assert problem_lines(reference_copy) == [
        f"{territoires}:{empty} : un Territoire d'industrie de 02 doit être un texte non vide ; {TEXT_FIX}",
        f"{territoires}:{line} : le département 60 ne figure pas dans departments.yaml ; "
        "corrigez le code, ou ajoutez le département à departments.yaml",
    ]


def test_typographic_apostrophes_match_and_slug_as_straight_ones():
    """Names now spelt with ’ (Côtes-d’Armor) are still found from what a user types, and keep
    the file names they had with the straight apostrophe."""
    from factsheets.reference import name_key
    from factsheets.render import sheet_filename

    assert name_key("Côtes-d’Armor") == name_key("Côtes-d'Armor") == name_key("cotes d armor") == "cotes d armor"
    assert sheet_filename(2024, "22", "Côtes-d’Armor") == "commerce-exterieur-2024-22-cotes-d-armor.pdf"
    assert sheet_filename(2024, "95", "Val-d’Oise") == "commerce-exterieur-2024-95-val-d-oise.pdf"
