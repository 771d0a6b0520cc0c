"""settings.yaml typed and frozen, texts.yaml read-only (SPEC 16): one loader for `check` and rendering, each value
checked once where it is read, at its file and line, and every default declared once."""

from __future__ import annotations

import copy
import dataclasses
import datetime
import shutil
from pathlib import Path

import pytest
import yaml
from cli_helpers import run_in_process

from factsheets import paths
from factsheets.config import (
    Settings,
    TreemapSizes,
    load_settings,
    load_texts,
    loaded_texts,
    schema,
    settings,
    sheet_texts,
    texts,
)
from factsheets.errors import ConfigurationError


@pytest.fixture
def folder(tmp_path) -> Path:
    """A user's configuration folder: a copy of the shipped one."""
    target = tmp_path / "ma-config"
    shutil.copytree(paths.DEFAULT_CONFIG_DIR, target)
    return target


def replace_line(path: Path, old: str, new: str) -> int:
    """Replace the first line `old` (which must be there) and return its 1-based number."""
    lines = path.read_text(encoding="utf-8").split("\n")
    assert old in lines, old
    index = lines.index(old)
    lines[index] = new
    path.write_text("\n".join(lines), encoding="utf-8")
    return index + 1


WRONG_VALUES = [
    # (line as shipped, line as the user wrote it, the key the message names)
    ("    font_size: 7", '    font_size: "sept"', "charts.treemap.font_size"),  # a text for a size
    ("    node_gap: 3", "    node_gap: 5000", "charts.sankey.node_gap"),  # beyond MAX_SIZE_POINTS
    (
        "    highlight_alpha: 0.75  # opacité des 5 flux principaux (en rouge)",
        "    highlight_alpha: 1.5",
        "sankey.highlight_alpha",
    ),
    ("  top_countries: 10     # pays nommés dans les Sankey", "  top_countries: 2.5", "indicators.top_countries"),
    ('  rule: "#DDDDDD"', "  rule: gris", "colors.rule"),
    ("  language: fr", "  language: 12", "pdf.language"),
    ('    no_data: "Aucun échange enregistré"', "    no_data: [1, 2]", "charts.labels.no_data"),
]


@pytest.mark.parametrize(("old", "new", "key"), WRONG_VALUES, ids=[key for _, _, key in WRONG_VALUES])
def test_a_wrong_value_in_a_user_folder_is_one_line_at_that_files_line(folder, old, new, key):
    path = folder / "settings.yaml"
    line = replace_line(path, old, new)
    loaded, problems = load_settings(folder)
    assert [(problem.path, problem.line) for problem in problems] == [(str(path), line)]
    assert key in problems.problems[0].what and problems.problems[0].fix
    result = run_in_process("--config", folder, "check")
    assert result.returncode == 2, result.stdout
    shown = [text for text in result.stdout.splitlines() if text.strip()]
    assert shown == [problems.problems[0].text()]
    assert shown[0].startswith(f"{path}:{line} : ")  # the file read, not the shipped config/settings.yaml
    with pytest.raises(ConfigurationError) as refused:  # rendering reads through the same loader
        settings(folder)
    assert [problem.text() for problem in refused.value.problems] == shown


def test_render_refuses_a_wrong_value_with_the_same_line_and_writes_nothing(folder, tmp_path):
    path = folder / "settings.yaml"
    line = replace_line(path, "    node_gap: 3", "    node_gap: -3")
    out = tmp_path / "out"
    result = run_in_process("--config", folder, "render", "--dept", "02", "--out", out, "--workers", "1")
    assert result.returncode == 2
    errors = [text for text in result.stderr.splitlines() if text.startswith("factsheets : erreur")]
    assert len(errors) == 1 and f"{path}:{line} : taille « charts.sankey.node_gap » invalide : « -3 »" in errors[0], result.stderr
    assert not out.exists() or not list(out.glob("*.pdf"))


BAD_LABEL_COLOURS = [
    # (block colour line, label colour line as the user wrote them, the label key, what the line says)
    (None, '  imports_label: "#FFFFFF"', "colors.imports_label", "doit être plus sombre que la couleur de bloc « #3A6FB0 »"),
    (
        '  exports: "#C0C0C0"',
        '  exports_label: "#808080"',
        "colors.exports_label",
        "aucune teinte de « #C0C0C0 » n'offre un contraste de 4.6:1",
    ),
]


def _with_label_colour(folder: Path, block: str | None, label: str) -> int:
    """settings.yaml of `folder` with a treemap block colour and its label colour changed; the label's line."""
    path = folder / "settings.yaml"
    if block is not None:
        key = block.split(":")[0]
        shipped = next(line for line in path.read_text(encoding="utf-8").split("\n") if line.startswith(key + ":"))
        replace_line(path, shipped, block)
    key = label.split(":")[0]
    return replace_line(path, f'{key}: "#1E1E1E"', label)


@pytest.mark.parametrize(("block", "label", "key", "says"), BAD_LABEL_COLOURS, ids=[key for _, _, key, _ in BAD_LABEL_COLOURS])
def test_check_refuses_a_treemap_label_colour_no_shade_carries_at_its_line(folder, block, label, key, says):
    """Checked with the settings (SPEC 16), not when the treemap is drawn."""
    line = _with_label_colour(folder, block, label)
    result = run_in_process("--config", folder, "check")
    assert result.returncode == 2, result.stdout
    shown = [text for text in result.stdout.splitlines() if text.strip()]
    assert len(shown) == 1 and "Traceback" not in result.stdout + result.stderr, shown
    assert shown[0].startswith(f"{folder / 'settings.yaml'}:{line} : « {key} » : ") and says in shown[0], shown[0]


@pytest.mark.parametrize(("block", "label", "key", "says"), BAD_LABEL_COLOURS, ids=[key for _, _, key, _ in BAD_LABEL_COLOURS])
def test_render_refuses_a_treemap_label_colour_at_its_line_and_writes_nothing(folder, tmp_path, block, label, key, says):
    line = _with_label_colour(folder, block, label)
    out = tmp_path / "out"
    result = run_in_process("--config", folder, "render", "--dept", "02", "--out", out, "--workers", "1")
    assert result.returncode == 2
    errors = [text for text in result.stderr.splitlines() if text.startswith("factsheets : erreur")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"{folder / 'settings.yaml'}:{line} : « {key} » : " in errors[0] and says in errors[0], errors[0]
    assert not out.exists() or not list(out.iterdir())


BAD_DATA_CODES = [
    # (the data section as the user wrote it, [(line offset from "data:", what the line says)])
    ("data: 5", [(0, "« data » doit être des paires clé: valeur")]),
    (
        "data:\n  unallocated_departments: 5\n  extra_products: {}\n  extra_countries: {}",
        [(1, "data.unallocated_departments doit associer des codes à des noms")],
    ),
    (
        'data:\n  unallocated_departments:\n    "00": Non ventilé\n    12: x\n  extra_products: {}\n  extra_countries: [QT]',
        [(3, "data.unallocated_departments : le code « 12 » doit être du texte"), (5, "data.extra_countries doit associer")],
    ),
    (
        'data:\n  unallocated_departments:\n    "00": Non ventilé\n    "02": Aisne\n  extra_products: {}\n  extra_countries: {}',
        [(3, "data.unallocated_departments contient « 02 », qui est un vrai département")],
    ),
]


@pytest.mark.parametrize(("section", "expected"), BAD_DATA_CODES, ids=["not-a-mapping", "codes-not-a-mapping", "codes", "real"])
def test_the_data_codes_are_typed_settings_checked_at_their_lines(folder, section, expected):
    """settings.yaml `data` is read by the settings' loader (the reference tables take it typed): one line a problem."""
    path = folder / "settings.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("\ndata:\n") + 1
    end = text.index("\nindicators:", start)
    path.write_text(text[:start] + section + "\n" + text[end:], encoding="utf-8")
    data_line = text[:start].count("\n") + 1
    result = run_in_process("--config", folder, "check")
    assert result.returncode == 2, result.stdout
    shown = sorted(text for text in result.stdout.splitlines() if text.strip())
    assert len(shown) == len(expected) and "Traceback" not in result.stdout + result.stderr, shown
    for line, says in expected:
        assert any(text.startswith(f"{path}:{data_line + line} : ") and says in text for text in shown), (line, says, shown)


def test_a_setting_missing_from_a_user_file_is_an_error_and_reads_as_its_declared_default(folder):
    # As before the typed settings: `check` names the missing key (at its section's line) and
    # render refuses; the loader still gives the declared default, for `check` to go on.
    path = folder / "settings.yaml"
    replace_line(path, "    key_width: 140", "")
    section_line = path.read_text(encoding="utf-8").split("\n").index("  treemap:") + 1
    loaded, problems = load_settings(folder)
    assert [problem.text() for problem in problems] == [
        f"{path}:{section_line} : clé « charts.treemap.key_width » manquante ; "
        "copiez-la depuis le fichier par défaut (factsheets init DOSSIER en écrit une copie)"
    ]
    assert loaded.charts.treemap.key_width == TreemapSizes().key_width == 140
    assert loaded.charts.treemap.width == 480  # the others as the file has them


def test_a_wrong_value_reads_as_its_declared_default_and_the_others_as_written(folder):
    path = folder / "settings.yaml"
    replace_line(path, "    font_size: 7", "    font_size: .inf")
    replace_line(path, "    height: 270", "    height: 300")
    loaded, problems = load_settings(folder)
    assert len(problems) == 1
    assert loaded.charts.treemap.font_size == TreemapSizes().font_size
    assert loaded.charts.treemap.height == 300.0 and isinstance(loaded.charts.treemap.height, float)


def test_the_shipped_settings_yaml_is_a_copy_of_the_declared_defaults():
    """The defaults are declared once, in the dataclasses; the shipped file (which `init`
    copies for the user to edit) must say the same, key for key and in the same order."""
    loaded, problems = load_settings(paths.DEFAULT_CONFIG_DIR)
    assert list(problems) == []
    assert loaded == Settings()
    shipped = yaml.safe_load((paths.DEFAULT_CONFIG_DIR / "settings.yaml").read_text(encoding="utf-8"))

    def keys(tree):
        return {key: keys(value) for key, value in tree.items()} if isinstance(tree, dict) else None

    assert keys(shipped) == keys(schema())
    assert [list(section) for section in shipped.values() if isinstance(section, dict)] == [
        list(section) for section in schema().values()
    ]


def test_settings_cannot_be_changed():
    loaded = settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.charts.treemap.font_size = 9  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.colors = None  # type: ignore[misc]
    with pytest.raises(TypeError):
        loaded.data.unallocated_departments["99"] = "Ailleurs"  # type: ignore[index]
    with pytest.raises(AttributeError):
        loaded.charts.labels.treemap_caption_narrow.append("{unit}")  # type: ignore[attr-defined]
    assert settings() is loaded and loaded.charts.treemap.font_size == 7


def test_every_setting_declares_its_kind_and_help():
    def declared(cls):
        for item in dataclasses.fields(cls):
            section = item.metadata.get("section")
            yield item
            if section is not None:
                yield from declared(section)

    items = list(declared(Settings))
    assert len(items) > 50
    for item in items:
        assert ("kind" in item.metadata) != ("section" in item.metadata), item.name
        assert isinstance(item.metadata.get("help"), str) and item.metadata["help"].strip(), item.name


# -- texts.yaml: the same loader for check and rendering, read-only -----------------------------------
def test_a_wrong_text_in_a_user_folder_is_one_line_at_that_files_line(folder):
    path = folder / "texts.yaml"
    line = replace_line(
        path,
        '  subtitle: "Territoires d’industrie - {department}"',
        '  subtitle: "Territoires d’industrie - {departement}"',
    )
    loaded, problems = load_texts(folder)
    assert [(problem.path, problem.line) for problem in problems] == [(str(path), line)]
    assert "variable inconnue {departement} dans « cover.subtitle »" in problems.problems[0].what
    result = run_in_process("--config", folder, "check")
    assert result.returncode == 2
    assert [text for text in result.stdout.splitlines() if text.strip()] == [problems.problems[0].text()]
    with pytest.raises(ConfigurationError) as refused:  # rendering reads through the same loader
        texts(folder)
    assert [problem.text() for problem in refused.value.problems] == [problems.problems[0].text()]


def test_texts_cannot_be_changed_and_a_deep_copy_can():
    shipped = texts()
    with pytest.raises(TypeError):
        shipped["cover"]["title"] = "Autre titre"
    with pytest.raises(TypeError):
        shipped["cover"]["introduction"].append("Un paragraphe de plus")
    with pytest.raises(TypeError):
        sheet_texts(2024, shipped)["context"]["context"][0] = "Autre contexte"
    changed = copy.deepcopy(shipped)
    changed["cover"]["title"] = "Autre titre"
    assert changed["cover"]["title"] == "Autre titre" != shipped["cover"]["title"]
    assert changed == {**shipped, "cover": {**shipped["cover"], "title": "Autre titre"}}


def test_editions_are_typed_as_the_texts_say():
    loaded = loaded_texts()
    raw = yaml.safe_load((paths.DEFAULT_CONFIG_DIR / "texts.yaml").read_text(encoding="utf-8"))["editions"]
    assert sorted(loaded.editions) == sorted(raw)
    for year, entry in raw.items():
        assert loaded.edition(year).publication_date == entry["publication_date"]
        assert isinstance(loaded.edition(year).publication_date, datetime.date)
    assert loaded.edition(1999).publication_date is None
    assert loaded.sheet_texts(2024) == sheet_texts(2024, loaded.all)
