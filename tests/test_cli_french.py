"""The command line speaks French throughout: help pages, -h, --version, -q, departements,
department names accepted by --dept."""

from __future__ import annotations

import json
import re

import pytest
from cli_helpers import one_error_line, run_in_process

from factsheets import __version__

COMMANDS = ["render", "indicators", "ingest", "mail", "check", "init", "departements"]
ENGLISH_LEFTOVERS = [
    "Usage:",
    "Show this message",
    "[default",
    "[required]",
    "Options:",
    "Arguments:",
    "Commands:",
    "TEXT",
    "INTEGER",
    "PATH",
    "BOOLEAN",
    "<list",
    "<int",
    "<path",
    "<str",
    "range",
    "x>=",
    "Required",
    "Default",
    "exit.",
]


def help_pages() -> dict[str, str]:
    pages = {"factsheets --help": run_in_process("--help"), "factsheets -h": run_in_process("-h"), "factsheets": run_in_process()}
    for command in COMMANDS:
        pages[f"{command} --help"] = run_in_process(command, "--help")
        pages[f"{command} -h"] = run_in_process(command, "-h")
    return pages


@pytest.fixture(scope="module")
def pages():
    return help_pages()


def test_every_help_page_is_french(pages):
    for name, result in pages.items():
        text = result.stdout + result.stderr
        assert result.returncode in (0, 2) and "Traceback" not in text, name
        assert text.startswith("Utilisation : "), (name, text[:80])
        assert "Options :" in text, name
        for word in ENGLISH_LEFTOVERS:
            assert word not in text, f"{name}: {word!r} in\n{text}"
        assert not re.search(r"<[a-z_]+(\[[a-z_]+\])?>", text), name  # no Python type name


def test_help_pages_describe_defaults_in_words(pages):
    render = pages["render --help"].stdout
    assert "-h, --help" in render and "Afficher cette aide et quitter." in render
    assert "output/ dans le dossier courant" in render.replace("\n", " ").replace("  ", " ") or "output/" in render
    assert "--workers N" in render and "--dept DÉPARTEMENT" in render
    top = pages["factsheets --help"].stdout
    for command in COMMANDS:
        assert f"  {command} " in top, command
    for option in ("--config DOSSIER", "-q, --quiet", "-v, --verbose", "--version"):
        assert option in top


def test_version():
    result = run_in_process("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"factsheets {__version__}"


def test_departements_lists_code_name_region_data_and_territoires():
    result = run_in_process("departements")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["code", "nom", "région"] and "Territoires d'industrie" in lines[0]
    assert len(lines) == 1 + 101
    aisne = next(line for line in lines if line.startswith("02 "))
    assert re.match(r"^02\s+Aisne\s+Hauts-de-France\s+oui\s+oui \(4\)$", aisne), aisne
    ain = next(line for line in lines if line.startswith("01 "))
    assert ain.rstrip().endswith("non")  # no Territoires d'industrie list configured for Ain


@pytest.mark.parametrize("typed", ["aisne", "AISNE", "Aisne", "02", "2"])
def test_indicators_take_names(typed):
    result = run_in_process("indicators", "--json", "--dept", typed)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["department"] == {"code": "02", "name": "Aisne"}


def test_names_ignore_case_accents_and_punctuation():
    from factsheets.reference import load_reference

    reference = load_reference()
    assert reference.department_codes(["Côtes-d'Armor", "cotes d armor", "COTES-D'ARMOR", "aisne", "02"]) == ["22", "02"]
    assert reference.department_codes(["puy de dome", "La Réunion", "reunion"]) == ["63", "974"]


def test_render_takes_names(tmp_path):
    result = run_in_process("-q", "render", "--dept", "cotes d armor", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("commerce-exterieur-2024-22-cotes-d-armor.pdf")
    assert result.stderr == ""  # -q: no progress bar


def test_unknown_name_is_one_line_pointing_to_the_list():
    line = one_error_line(run_in_process("render", "--dept", "Atlantide", "--out", "/tmp/never-written"))
    assert "« Atlantide »" in line and "factsheets departements" in line
