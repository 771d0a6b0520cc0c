"""`factsheets check` and the same checks run first by render, mail and ingest.

Each case breaks one thing in a copy of the configuration made by `factsheets init`; `check`
must print exactly one line naming the file and the key (exit 2), and `render --all` with the
same mistake must print that same line as its only line and write no PDF.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from cli_helpers import one_error_line, run_cli, run_in_process

pytestmark = pytest.mark.cold_state  # the records themselves are tested: every test starts with none

ERROR_PREFIX = "factsheets : erreur : "


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """One copy of the defaults written by the real `init`, copied again for each test."""
    folder = tmp_path_factory.mktemp("init") / "config"
    result = run_in_process("init", folder)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(folder)
    return folder


@pytest.fixture
def config(pristine, tmp_path) -> Path:
    import shutil

    folder = tmp_path / "config"
    shutil.copytree(pristine, folder)
    return folder


def replace_in(path: Path, old: str, new: str, count: int = 1) -> int:
    """Replace `old` (which must be there) and return the 1-based line where it was."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return line


def delete_line(path: Path, start: str) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith(start))
    del lines[index]
    path.write_text("\n".join(lines), encoding="utf-8")


def colour(c: Path):
    line = replace_in(c / "settings.yaml", 'balance_positive: "#18753C"', "balance_positive: vert")
    return f"settings.yaml:{line}", ["colors.balance_positive", "vert", "#"]


def size(c: Path):
    line = replace_in(c / "settings.yaml", "    height: 420", "    height: -420")
    return f"settings.yaml:{line}", ["charts.sankey.height", "-420"]


def font_file(c: Path):
    line = replace_in(c / "settings.yaml", "bold: OpenSans-Bold.ttf", "bold: OpenSans-Gras.ttf")
    return f"settings.yaml:{line}", ["fonts.bold", "OpenSans-Gras.ttf", "introuvable"]


def logo_path(c: Path):
    line = replace_in(c / "settings.yaml", "government: null", "government: assets/logo-gouvernemnt.png")
    return f"settings.yaml:{line}", ["logos.government", "logo-gouvernemnt.png", "introuvable"]


def unknown_placeholder(c: Path):
    line = replace_in(
        c / "texts.yaml",
        'subtitle: "Territoires d’industrie - {department}"',
        'subtitle: "Territoires d’industrie - {departement}"',
    )
    return f"texts.yaml:{line}", ["cover.subtitle", "{departement}", "{department}"]


def missing_text_key(c: Path):
    delete_line(c / "texts.yaml", "  reading_key:")
    return "texts.yaml:", ["balance.reading_key", "manquante"]


def broken_yaml(c: Path):
    replace_in(c / "texts.yaml", '  heading: "Balance commerciale territoriale"', '  heading: "Balance commerciale territoriale')
    return "texts.yaml:", ["YAML invalide"]


def unknown_setting(c: Path):
    line = replace_in(c / "settings.yaml", "  balance_top: 5", "  balance_topp: 5")
    return f"settings.yaml:{line}", ["indicators.balance_topp", "balance_top"]


def reference_row(c: Path):
    text = (c / "reference" / "departments.yaml").read_text(encoding="utf-8")
    # Department 02's entry only (flow style, or indented lines below its code): one mistake.
    match = re.search(r'^"02":(?:[^\n]*\n[ \t]+)*?[^\n]*region: "32"', text, re.MULTILINE)
    assert match, "department 02 not found in the expected form"
    line = text[: match.start()].count("\n") + 1
    (c / "reference" / "departments.yaml").write_text(
        text[: match.start()] + match.group(0).replace('region: "32"', 'region: "99"') + text[match.end() :], encoding="utf-8"
    )
    return f"departments.yaml:{line}", ["02", "« 99 »"]


def profile(c: Path):
    replace_in(c / "profiles" / "dgddi.yaml", "unit: thousands_eur", "unit: milliers")
    return "dgddi.yaml:", ["unit", "milliers"]


def edition(c: Path):
    line = replace_in(c / "texts.yaml", "publication_date: 2025-07-01", "publication_date: juillet 2025")
    return f"texts.yaml:{line}", ["editions.2024.publication_date", "AAAA-MM-JJ"]


def edition_key(c: Path):
    line = replace_in(c / "texts.yaml", "    context:\n      context:\n", "    contexte:\n      context:\n")
    return f"texts.yaml:{line}", ["editions.2024.contexte", "context"]


def mail_template(c: Path):
    replace_in(c / "mail.yaml", "– {year}", "– {annee}")
    return "mail.yaml:", ["subject", "{annee}"]


BREAKAGES = [
    colour,
    size,
    font_file,
    logo_path,
    unknown_placeholder,
    missing_text_key,
    broken_yaml,
    unknown_setting,
    reference_row,
    profile,
    edition,
    edition_key,
    mail_template,
]


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda f: f.__name__)
def test_one_mistake_is_one_line_in_check_and_stops_render_before_any_sheet(config, tmp_path, breakage):
    where, words = breakage(config)
    checked = run_in_process("--config", config, "check")
    assert checked.returncode == 2, checked.stdout + checked.stderr
    lines = checked.stdout.splitlines()
    assert len(lines) == 1, checked.stdout
    line = lines[0]
    assert where in line and re.match(r"^\S+:\d+ : ", line), line
    assert line.startswith(str(config)), line  # the full path of the file
    for word in words:
        assert word in line, (word, line)
    assert "Traceback" not in checked.stderr

    # The same line from render, through the CLI's entry point in process (one helper
    # process or none makes no difference to the line: see the test below).
    assert_render_stops_with(run_in_process, config, tmp_path / "out", line, "--workers", "1")


def assert_render_stops_with(run, config: Path, out: Path, line: str, *options: str) -> None:
    """`render --all` with the broken `config`, run by `run`: exit 2, `line` as its only
    line, nothing on stdout, no PDF and no temporary file."""
    rendered = run("--config", config, "render", "--all", *options, "--out", out)
    assert rendered.returncode == 2
    assert one_error_line(rendered) == ERROR_PREFIX + line
    assert rendered.stdout == ""
    assert not list(out.glob("*.pdf")) and not list(out.glob(".*"))


def test_a_mistake_stops_a_real_render_and_its_helper_with_the_same_one_line(config, tmp_path):
    """A real `render --all` process, its helper started before the check: still only the
    check's line, from either process."""
    colour(config)
    checked = run_in_process("--config", config, "check")
    assert checked.returncode == 2
    (line,) = checked.stdout.splitlines()
    assert_render_stops_with(run_cli, config, tmp_path / "out", line)


def test_recipients_problems_in_check_and_mail(config, tmp_path):
    recipients = tmp_path / "destinataires.yaml"
    recipients.write_text('departments:\n  "02":\n    to: [pas-une-adresse]\n', encoding="utf-8")
    checked = run_in_process("--config", config, "check", "--recipients", recipients)
    assert checked.returncode == 2
    sender, line = checked.stdout.splitlines()  # the shipped mail.yaml's example sender is flagged too
    assert sender.startswith(f"attention : {config / 'mail.yaml'}:") and "no-reply@example.org" in sender
    assert line.startswith(f"{recipients}:3 : ") and "departments.02.to" in line and "pas-une-adresse" in line
    mailed = run_in_process("--config", config, "mail", "--recipients", recipients, "--out", tmp_path / "out")
    assert one_error_line(mailed) == ERROR_PREFIX + line


def test_several_mistakes_are_listed_together(config):
    colour(config)
    unknown_placeholder(config)
    reference_row(config)
    checked = run_in_process("--config", config, "check")
    assert checked.returncode == 2
    lines = checked.stdout.splitlines()
    assert (
        len(lines) == 3
        and [("settings.yaml" in lines[0]), ("texts.yaml" in lines[1]), ("departments.yaml" in lines[2])] == [True] * 3
    )


def test_pristine_configuration_passes_and_a_year_without_edition_is_a_warning(config):
    assert run_in_process("--config", config, "check").returncode == 0
    result = run_in_process("--config", config, "check", "--year", "2023")
    assert result.returncode == 0
    (line,) = result.stdout.splitlines()
    assert line.startswith("attention : ") and "texts.yaml" in line and "2023" in line and "editions" in line


def test_ingest_runs_the_checks_first(config, tmp_path):
    colour(config)
    source = tmp_path / "brut.csv"
    source.write_text("Annee;Flux;Code département;Code A129;Code Pays;Valeur\n2024;E;02;C30C;DE;1,5\n", encoding="latin-1")
    result = run_in_process("--config", config, "ingest", source, "--profile", "dgddi", "--out", tmp_path / "out.csv")
    assert "colors.balance_positive" in one_error_line(result)
    assert not (tmp_path / "out.csv").exists()


def test_init_refuses_a_folder_that_is_not_empty(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("à garder", encoding="utf-8")
    line = one_error_line(run_in_process("init", folder))
    assert str(folder) in line and "vide" in line
    assert [path.name for path in folder.iterdir()] == ["notes.txt"]


def test_placeholders_are_declared_once_and_extensible():
    from factsheets import config

    assert "total" not in config.allowed_placeholders("cover.subtitle")
    assert "total" in config.allowed_placeholders("exports.total")
    assert "email" in config.allowed_placeholders("practical.blocks.*.paragraph")
    config.allow_placeholders("evolution_test.*", {"change"})
    try:
        assert "change" in config.allowed_placeholders("evolution_test.table.title")
    finally:
        del config.PLACEHOLDERS["evolution_test.*"]


def test_every_shipped_text_passes_the_placeholder_check():
    from factsheets import paths
    from factsheets.check import check_texts

    problems = []
    check_texts(paths.DEFAULT_CONFIG_DIR, problems, 2024)
    assert problems == []
    assert yaml.safe_load((paths.DEFAULT_CONFIG_DIR / "texts.yaml").read_text(encoding="utf-8"))["editions"][2024]


# -- reference tables: every problem of every table, not the first one ----------------------------
def replace_line(path: Path, old: str, new: str | None) -> None:
    """Replace the one line equal to `old` (None: delete it)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    index = lines.index(old)
    lines[index : index + 1] = [] if new is None else [new]
    path.write_text("\n".join(lines), encoding="utf-8")


def line_of(path: Path, text: str) -> int:
    """The 1-based number of the one line equal to `text`, read after every edit."""
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines.count(text) == 1, text
    return lines.index(text) + 1


def break_reference_tables(config: Path) -> list[str]:
    """Five mistakes in departments.yaml, one in products.yaml, one cross-table in
    territoires_industrie.yaml; the exact lines `check` must print, in that order."""
    reference = config / "reference"
    departments, products, territoires = (
        reference / name for name in ("departments.yaml", "products.yaml", "territoires_industrie.yaml")
    )
    replace_line(departments, '"02": {name: Aisne, region: "32", tncc: 5}', '"02": {name: Aisne, region: "99", tncc: 5}')
    replace_line(departments, '"03": {name: Allier, region: "84", tncc: 5}', '"03": {name: Allier, regoin: "84", tncc: 5}')
    replace_line(
        departments, '"05": {name: Hautes-Alpes, region: "93", tncc: 4}', '05: {name: Hautes-Alpes, region: "93", tncc: 4}'
    )
    replace_line(departments, '"08": {name: Ardennes, region: "44", tncc: 4}', '"01": {name: Ardennes, region: "44", tncc: 4}')
    replace_line(departments, '"60": {name: Oise, region: "32", tncc: 5}', None)  # its Territoires d'industrie remain
    replace_line(
        departments, '"62": {name: Pas-de-Calais, region: "32", tncc: 2}', '"62": {name: Pas-de-Calais, region: "32", tncc: 9}'
    )
    replace_line(
        products, '  label: "Produits de l’agriculture et de la chasse"', '  lable: "Produits de l’agriculture et de la chasse"'
    )

    def at(path: Path, text: str) -> str:
        return f"{path}:{line_of(path, text)} : "

    regions = reference / "regions.yaml"
    first_01 = line_of(departments, '"01": {name: Ain, region: "84", tncc: 5}')
    return [
        at(departments, '"02": {name: Aisne, region: "99", tncc: 5}')
        + f'le département 02 renvoie à la région « 99 », absente de {regions} ; utilisez un code de région entre guillemets, par ex. "32"',
        at(departments, '"03": {name: Allier, regoin: "84", tncc: 5}')
        + "clé inconnue « regoin » pour le département 03 ; vouliez-vous dire « region » ?",
        at(departments, '05: {name: Hautes-Alpes, region: "93", tncc: 4}')
        + 'le code de département 5 a été lu comme int et non comme du texte ; écrivez-le entre guillemets, par ex. "02"',
        at(departments, '"01": {name: Ardennes, region: "44", tncc: 4}')
        + f"le code « 01 » figure deux fois (d'abord à la ligne {first_01}) ; gardez une seule entrée par code",
        at(departments, '"62": {name: Pas-de-Calais, region: "32", tncc: 9}')
        + "le département 62 doit avoir « tncc », le type de nom en clair du COG (un entier de 0 à 8, ex. 5 pour « l'Aisne ») ; trouvé : « 9 »",
        at(products, '  lable: "Produits de l’agriculture et de la chasse"')
        + "clé inconnue « lable » pour le produit A01Z ; vouliez-vous dire « label » ?",
        at(territoires, '"60":') + "le département 60 ne figure pas dans departments.yaml ; "
        "corrigez le code, ou ajoutez le département à departments.yaml",
    ]


def test_every_reference_problem_is_one_line_in_check_and_render_writes_nothing(config, tmp_path):
    expected = break_reference_tables(config)
    checked = run_in_process("--config", config, "check")
    assert checked.returncode == 2, checked.stderr
    assert checked.stdout.splitlines() == expected
    assert "Traceback" not in checked.stderr

    out = tmp_path / "out"
    rendered = run_in_process("--config", config, "render", "--dept", "02", "--out", out)
    assert rendered.returncode == 2
    assert "Traceback" not in rendered.stderr
    assert rendered.stderr.splitlines() == [ERROR_PREFIX + line for line in expected]
    assert rendered.stdout == ""
    assert not out.exists() or not any(out.iterdir())


def test_reference_tables_are_checked_even_when_settings_yaml_is_broken(config):
    replace_in(config / "settings.yaml", "colors:", "colors: [")
    replace_line(config / "reference" / "regions.yaml", '"32": Hauts-de-France', '"32": ""')
    checked = run_in_process("--config", config, "check")
    assert checked.returncode == 2
    lines = checked.stdout.splitlines()
    assert len(lines) == 2, checked.stdout
    assert lines[0].startswith(f"{config / 'settings.yaml'}:") and "YAML invalide" in lines[0]
    regions = config / "reference" / "regions.yaml"
    line = line_of(regions, '"32": ""')
    assert lines[1] == (
        f"{regions}:{line} : le nom de la région 32 doit être un texte non vide ; "
        "écrivez-le, entre guillemets s'il contient « : » ou « # »"
    )


def test_messages_name_the_configuration_folder_in_use(pristine, tmp_path):
    """With --config, a data code that the configuration does not know is reported by check
    and by render naming that folder's settings.yaml (where the code is to be added), not the
    shipped config/settings.yaml."""
    import shutil

    folder = tmp_path / "reglages-oise"
    shutil.copytree(pristine, folder)
    data = tmp_path / "donnees.csv"
    data.write_text(
        "year,flow,department,product,country,value_eur\n2024,export,60,C10A,ZZ,100\n2024,import,60,C10A,DE,50\n",
        encoding="utf-8",
    )
    expected = (
        f"{data}:2 : colonne country : « ZZ » n'est pas un code pays connu ; utilisez un code ISO alpha-2 ou douanier, "
        f"ou ajoutez-le sous data.extra_countries dans {folder / 'settings.yaml'}"
    )
    checked = run_in_process("--config", folder, "check", "--data", data)
    assert checked.returncode == 2 and checked.stdout.splitlines() == [expected], checked
    rendered = run_in_process("--config", folder, "render", "--dept", "60", "--data", data, "--out", tmp_path / "out")
    assert rendered.returncode == 2 and one_error_line(rendered) == ERROR_PREFIX + expected


def test_a_mail_yaml_problem_names_its_line_in_check_and_in_mail(config, tmp_path):
    line = replace_in(config / "mail.yaml", "  retries: 3", "  retries: .inf")
    expected = (
        f"{config / 'mail.yaml'}:{line} : la clé « smtp.retries » doit être un nombre entier entre 0 et 100 "
        "(trouvé : « inf ») ; corrigez-la dans mail.yaml"
    )
    checked = run_in_process("--config", config, "check")
    assert checked.returncode == 2 and checked.stdout.splitlines() == [expected], checked
    recipients = tmp_path / "destinataires.yaml"
    recipients.write_text('departments:\n  "02":\n    to: [jean@example.org]\n', encoding="utf-8")
    mailed = run_in_process("--config", config, "mail", "--recipients", recipients, "--out", tmp_path / "out")
    assert one_error_line(mailed) == ERROR_PREFIX + expected


# -- a pass recorded (check_cache): checked again whenever a file changes -------------------------
def preflight_of(config: Path, monkeypatch) -> list[str]:
    """`preflight` of `config` as a fresh process runs it (no cache of this process): its
    warnings; a ConfigurationError for errors."""
    from factsheets import check, reference
    from factsheets import config as config_module

    monkeypatch.setenv("FACTSHEETS_CONFIG", str(config))
    check._checked.clear()
    config_module._cached_mapping.cache_clear()
    reference._cached_reference.cache_clear()
    shown: list[str] = []
    try:
        check.preflight(log=shown.append)
    finally:
        check._checked.clear()
        config_module._cached_mapping.cache_clear()
        reference._cached_reference.cache_clear()
    return shown


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda f: f.__name__)
def test_a_recorded_pass_never_lets_a_changed_configuration_pass(config, monkeypatch, breakage):
    from factsheets.errors import ConfigurationError

    assert preflight_of(config, monkeypatch) == []
    where, words = breakage(config)
    with pytest.raises(ConfigurationError) as raised:
        preflight_of(config, monkeypatch)
    (line,) = [problem.shown() for problem in raised.value.problems]
    assert where in line and all(word in line for word in words), line
    with pytest.raises(ConfigurationError):  # and again: an error is never recorded as a pass
        preflight_of(config, monkeypatch)


def test_a_recorded_pass_is_used_and_shows_its_warnings_again(config, monkeypatch, state_folder):
    from factsheets import check

    replace_in(config / "texts.yaml", "  reading_key:", "  reading_kee: ignorée\n  reading_key:")
    first = preflight_of(config, monkeypatch)
    assert len(first) == 1 and "balance.reading_kee" in first[0] and first[0].startswith("attention : "), first
    assert len(list(state_folder.glob("check-*.json"))) == 1

    def not_again(**kwargs):
        raise AssertionError("the configuration was checked again although no file changed")

    monkeypatch.setattr(check, "check_configuration", not_again)
    assert preflight_of(config, monkeypatch) == first


def test_fonts_and_logos_outside_the_folder_are_part_of_the_record(config, tmp_path, monkeypatch):
    import shutil

    from PIL import Image

    from factsheets.errors import ConfigurationError

    font = tmp_path / "ailleurs" / "Gras.ttf"
    font.parent.mkdir()
    shutil.copyfile(_shipped_font("OpenSans-Bold.ttf"), font)
    logo = tmp_path / "ailleurs" / "logo.png"
    Image.new("RGB", (40, 20), "white").save(logo)
    replace_in(config / "settings.yaml", "bold: OpenSans-Bold.ttf", f"bold: {font}")
    replace_in(config / "settings.yaml", "government: null", f"government: {logo}")
    assert preflight_of(config, monkeypatch) == []
    font.write_bytes(font.read_bytes()[:5000])  # truncated: the sheet could not use it
    with pytest.raises(ConfigurationError, match="fonts.bold"):
        preflight_of(config, monkeypatch)
    shutil.copyfile(_shipped_font("OpenSans-Bold.ttf"), font)
    assert preflight_of(config, monkeypatch) == []
    logo.write_bytes(logo.read_bytes()[:30])
    with pytest.raises(ConfigurationError, match="logos.government"):
        preflight_of(config, monkeypatch)


def _shipped_font(name: str) -> Path:
    from factsheets import paths

    return paths.FONTS_DIR / name


def test_a_damaged_record_is_ignored_and_the_code_is_part_of_the_fingerprint(config, tmp_path, monkeypatch, state_folder):
    from factsheets import check, check_cache

    assert preflight_of(config, monkeypatch) == []
    (record,) = state_folder.glob("check-*.json")
    record.write_bytes(record.read_bytes()[:40])  # cut short, as a record never is on disk (atomic)
    calls = []
    monkeypatch.setattr(check, "check_configuration", lambda **kwargs: calls.append(1) or [])
    assert preflight_of(config, monkeypatch) == [] and calls == [1]

    code = tmp_path / "code"
    code.mkdir()
    (code / "module.py").write_text("ANSWER = 1\n", encoding="utf-8")
    monkeypatch.setattr(check_cache, "_PACKAGE_DIR", code)
    before = check_cache.fingerprint()
    (code / "module.py").write_text("ANSWER = 2\n", encoding="utf-8")
    assert check_cache.fingerprint() != before


def test_a_fingerprint_taken_again_reads_no_file_until_one_changes(tmp_path, monkeypatch):
    """The fingerprint a run takes several times is given again from the files' state (no
    file read) until one changes, even rewritten with the same size and modification time."""
    import os
    from pathlib import Path

    from factsheets import check_cache

    code = tmp_path / "code"
    code.mkdir()
    module = code / "module.py"
    module.write_text("ANSWER = 1\n", encoding="utf-8")
    monkeypatch.setattr(check_cache, "_PACKAGE_DIR", code)
    monkeypatch.setattr(check_cache, "_last", None)
    monkeypatch.setattr(check_cache, "RECENT_CHANGE_NS", 0)  # the files just written count as old
    reads = []
    read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda path: reads.append(path) or read_bytes(path))

    first = check_cache.fingerprint()
    assert module in reads
    reads.clear()
    assert check_cache.fingerprint() == first and reads == []  # nothing changed: nothing read

    modified = module.stat().st_mtime_ns
    module.write_text("ANSWER = 2\n", encoding="utf-8")  # the same size
    os.utime(module, ns=(modified, modified))  # and the same modification time
    changed = check_cache.fingerprint()
    assert changed != first and module in reads


def test_files_changed_just_now_are_read_every_time(tmp_path, monkeypatch):
    """A file changed less than RECENT_CHANGE_NS before the fingerprint is read again at the
    next one: two writes closer than the file system's clock could share a change time."""
    from pathlib import Path

    from factsheets import check_cache

    code = tmp_path / "code"
    code.mkdir()
    (code / "module.py").write_text("ANSWER = 1\n", encoding="utf-8")
    monkeypatch.setattr(check_cache, "_PACKAGE_DIR", code)
    monkeypatch.setattr(check_cache, "_last", None)
    reads = []
    read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda path: reads.append(path) or read_bytes(path))
    first = check_cache.fingerprint()
    reads.clear()
    assert check_cache.fingerprint() == first and code / "module.py" in reads
