"""Every kind of bad input ends with one clear line, a non-zero exit and no file written."""

import json

import polars as pl
import pytest
from cli_helpers import one_error_line, run_in_process

HEADER = "year,flow,department,product,country,value_eur\n"
GOOD = "2024,export,02,C10A,DE,1000\n2024,import,02,C21Z,CN,500\n"


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (HEADER + GOOD + "2024,export,02,C10A,DE,-5\n", ["data.csv:4", "value_eur", "« -5 »", "est négatif"]),
        (HEADER + GOOD + "2024,export,02,C10A,DE,abc\n", ["data.csv:4", "value_eur", "« abc »", "n'est pas un nombre"]),
        (HEADER + "2024,export,02,C10A,DE,nan\n", ["data.csv:2", "value_eur"]),
        (HEADER + GOOD + "2024,sortie,02,C10A,DE,5\n", ["data.csv:4", "flow", "« sortie »", "export"]),
        (HEADER + GOOD + "20x4,export,02,C10A,DE,5\n", ["data.csv:4", "year", "« 20x4 »"]),
        (HEADER + GOOD + "2024,export,99,C10A,DE,5\n", ["data.csv:4", "department", "« 99 »"]),
        (HEADER + GOOD + "2024,export,02,C99Q,DE,5\n", ["data.csv:4", "product", "« C99Q »"]),
        (HEADER + GOOD + "2024,export,02,C10A,ZZ,5\n", ["data.csv:4", "country", "« ZZ »"]),
        ("year,flow,dept,product,country,value_eur\n2024,export,02,C10A,DE,5\n", ["colonne(s) manquante(s)", "department"]),
        (HEADER, ["aucune ligne de données"]),
    ],
)
def test_bad_data_file_gives_one_line_naming_file_line_and_value(tmp_path, content, expected):
    data = write(tmp_path, content)
    result = run_in_process("indicators", "--dept", "02", "--json", "--data", data)
    line = one_error_line(result)
    for fragment in expected:
        assert fragment in line
    assert result.stdout == ""


def test_missing_and_malformed_files(tmp_path):
    line = one_error_line(run_in_process("indicators", "--dept", "02", "--json", "--data", tmp_path / "absent.csv"))
    assert "absent.csv" in line and "introuvable" in line
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"this is not parquet")
    line = one_error_line(run_in_process("indicators", "--dept", "02", "--json", "--data", broken))
    assert "broken.parquet" in line
    odd = write(tmp_path, "x", "data.xlsx")
    assert ".xlsx" in one_error_line(run_in_process("indicators", "--dept", "02", "--json", "--data", odd))


def test_unknown_department_and_year(tmp_path):
    line = one_error_line(run_in_process("indicators", "--dept", "99", "--json"))
    assert "99" in line and "département" in line
    data = write(tmp_path, HEADER + GOOD)
    line = one_error_line(run_in_process("indicators", "--dept", "02", "--json", "--data", data, "--year", "2019"))
    assert "2019" in line and "2024" in line


def test_good_small_file_gives_json(tmp_path):
    data = write(tmp_path, HEADER + GOOD + "2024,export,00,C10A,DE,3000\n")
    result = run_in_process("indicators", "--dept", "2", "--json", "--data", data)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["department"] == {"code": "02", "name": "Aisne"}
    assert payload["exports"]["total_eur"] == 1000
    # One department and no national file: France is not covered, its figures are null
    # (spec section 13; the unallocated row still counts in France when covered, see
    # test_indicators and test_coverage).
    assert payload["coverage"]["departments_present"] == 1 and payload["coverage"]["nation"] is False
    assert payload["exports"]["nation_total_eur"] is None
    assert payload["exports"]["share_of_nation"] is None


def test_parquet_rows_are_named_by_row(tmp_path):
    path = tmp_path / "data.parquet"
    pl.DataFrame(
        {
            "year": [2024, 2024],
            "flow": ["export", "export"],
            "department": ["02", "02"],
            "product": ["C10A", "C10A"],
            "country": ["DE", "BE"],
            "value_eur": [1.0, -2.0],
        }
    ).write_parquet(path)
    line = one_error_line(run_in_process("indicators", "--dept", "02", "--json", "--data", path))
    assert "ligne 2" in line and "négatif" in line


def test_broken_yaml_config_is_named_with_its_line(tmp_path):
    import shutil

    from cli_helpers import PROJECT_ROOT

    home = tmp_path / "home"
    shutil.copytree(PROJECT_ROOT / "config", home / "config")
    shutil.copytree(PROJECT_ROOT / "data", home / "data")
    (home / "config" / "settings.yaml").write_text("data:\n  unallocated: [\n", encoding="utf-8")
    import os

    result = run_in_process("indicators", "--dept", "02", "--json", env={**os.environ, "FACTSHEETS_HOME": str(home)})
    line = one_error_line(result)
    assert "settings.yaml" in line and "YAML invalide" in line


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["render", "--dept", "02", "--workers", "abc"],
            "valeur invalide pour l'option --workers : un nombre entier est attendu ; voir « factsheets render --help »",
        ),
        (
            ["render", "--dept", "02", "--workers", "0"],
            "valeur invalide pour l'option --workers : un nombre supérieur ou égal à 1 est attendu ; voir « factsheets render --help »",
        ),
        (
            ["indicators", "--json", "--dept", "02", "--year", "2O24"],
            "valeur invalide pour l'option --year : un nombre entier est attendu ; voir « factsheets indicators --help »",
        ),
        (["mail"], "option --recipients manquante ; voir « factsheets mail --help »"),
        (["ingest", "--profile", "dgddi", "--out", "x.csv"], "argument SOURCES manquant ; voir « factsheets ingest --help »"),
        (
            ["render", "--dept", "02", "--outt", "x"],
            "option inconnue : --outt (vouliez-vous dire --out ?) ; voir « factsheets render --help »",
        ),
        (["rendre"], "commande inconnue : rendre (vouliez-vous dire render ?) ; voir « factsheets --help »"),
        (["render", "--dept", "02", "en-trop"], "argument(s) en trop : en-trop ; voir « factsheets render --help »"),
        (["render", "--dept"], "l'option --dept attend une valeur"),
    ],
)
def test_usage_errors_are_one_french_line(args, expected):
    result = run_in_process(*args)
    assert result.returncode == 2
    line = one_error_line(result).replace("« python -m factsheets", "« factsheets")  # run_cli uses -m
    assert line.startswith("factsheets : erreur : ") and expected in line
    assert result.stdout == ""


def test_help_still_shows():
    result = run_in_process("render", "--help")
    assert result.returncode == 0 and "--workers" in result.stdout and result.stderr == ""
    alone = run_in_process()
    assert "render" in alone.stdout + alone.stderr and "Traceback" not in alone.stderr


# -- codes cleaned on their distinct values (validate._cleaned) ---------------------------
def test_codes_with_spaces_and_other_case_are_read_as_the_clean_codes(tmp_path):
    """ " Export ", " 02 ", "c10a", "de " are the same rows as the clean ones: same indicators."""
    clean = write(tmp_path, HEADER + GOOD + "2024,export,02,C21Z,FR,250\n", name="clean.csv")
    messy = write(
        tmp_path,
        HEADER + "2024, Export , 02 ,c10a,de ,1000\n2024,IMPORT,02,C21Z, cn,500\n2024,export,02 ,c21z,FR,250\n",
        name="messy.csv",
    )
    results = [run_in_process("indicators", "--dept", "02", "--json", "--data", path) for path in (clean, messy)]
    assert all(result.returncode == 0 for result in results), results[1].stderr
    first, second = (json.loads(result.stdout) for result in results)
    assert first["exports"]["total_eur"] == 1250 and first == second


def test_an_unknown_code_among_cleaned_ones_is_shown_as_written_on_its_line(tmp_path):
    data = write(tmp_path, HEADER + " 2024,export, 02 ,c10a,de,5\n2024,export, 2a ,c10a,DE,5\n2024,export, 02x ,C10A,DE,5\n")
    line = one_error_line(run_in_process("indicators", "--dept", "02", "--json", "--data", data))
    assert "data.csv:4" in line and "colonne department : «  02x  » n'est pas un code de département connu" in line


def test_rows_equal_once_cleaned_are_duplicates(tmp_path):
    data = write(tmp_path, HEADER + GOOD + "2024, EXPORT ,02,c10a,de,7\n")
    line = one_error_line(run_in_process("indicators", "--dept", "02", "--json", "--data", data))
    assert "data.csv:4" in line and "ligne en double de" in line and "data.csv:2" in line
