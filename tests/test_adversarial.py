"""Adversarial input through the real command line (SPEC 14): each case is generated here,
with its neighbours (other truncation points, other encodings, other fields, other shapes),
and run in process through `factsheets.cli._run` (the entry point's code path, exceptions
included: an uncaught one fails the test with its traceback).

Every bad input must end with exit code 2 (or, for sheets that cannot be written, a non-zero
code), one French line per problem, no traceback, and no file under a final name.
"""

from __future__ import annotations

import email
import email.policy
import math
import os
import shutil
import sys
import time
import zipfile
from pathlib import Path

import pytest
from cli_helpers import PROJECT_ROOT

FONT = PROJECT_ROOT / "fonts" / "OpenSans-Regular.ttf"
YEAR = 2024
HEADER = "year,flow,department,product,country,value_eur\n"


# -- the command line, in process ------------------------------------------------------------------
@pytest.fixture
def cli(monkeypatch, capsys):
    """cli(*args) -> (exit code, stdout, stderr) of `factsheets *args`, run in this process."""
    from factsheets import cli as cli_module

    # Whatever a run sets (--config goes through the environment) is undone after the test.
    monkeypatch.setenv("FACTSHEETS_CONFIG", "unset")
    monkeypatch.delenv("FACTSHEETS_CONFIG")
    monkeypatch.delenv("FACTSHEETS_HOME", raising=False)

    def run(*args, env: dict[str, str] | None = None):
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        monkeypatch.setattr(sys, "argv", ["factsheets", *map(str, args)])
        capsys.readouterr()
        started = time.monotonic()
        code = cli_module._run()
        out, err = capsys.readouterr()
        assert time.monotonic() - started < 15, f"{args} took too long"
        assert "Traceback" not in out + err, err
        if "check" in map(str, args):  # check writes its problem lines on stdout, its summary on stderr
            err = out + err
        return code, out, err

    return run


def problem_lines(err: str) -> list[str]:
    """The lines of stderr that report a problem (not progress, nor the check summary)."""
    lines = []
    for line in err.splitlines():
        line = line.strip()
        if not line or "━" in line or line.startswith("attention : "):  # warnings are not problems
            continue
        # check's lines (file:line : what ; fix) do not start with "factsheets : "; the others
        # report a problem as « erreur » or « échec » (not the progress, the plan, the summary).
        if not line.startswith("factsheets : ") or line.startswith(("factsheets : erreur", "factsheets : échec")):
            lines.append(line)
    return lines


def one_french_line(err: str, *needles: str) -> str:
    lines = problem_lines(err)
    assert len(lines) == 1, err
    line = lines[0]
    for needle in needles:
        assert needle in line, line
    assert " ; " in line, f"no fix offered: {line}"  # what ; how to fix
    return line


def final_names(folder: Path) -> list[str]:
    """Files under a final name (not a hidden temporary one) anywhere under `folder`."""
    return sorted(
        str(path.relative_to(folder)) for path in Path(folder).rglob("*") if path.is_file() and not path.name.startswith(".")
    )


@pytest.fixture
def config(tmp_path):
    """A copy of the shipped configuration, fonts and assets beside it."""
    folder = tmp_path / "cfg"
    shutil.copytree(PROJECT_ROOT / "config", folder)
    return folder


def canonical_csv(path: Path, codes=("02", "60")) -> Path:
    rows = [HEADER.strip()]
    for index, code in enumerate(codes):
        rows += [
            f"{YEAR},export,{code},C10A,DE,{1_000_000 + index}",
            f"{YEAR},export,{code},C21Z,BE,{250_000 + index}",
            f"{YEAR},import,{code},C21Z,CN,{500_000 + index}",
            f"{YEAR},import,{code},C10A,ES,{125_000 + index}",
        ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


# -- 1. YAML alias bombs, in every file YAML is read from ---------------------------------------------
def _laughs(levels: int = 9, width: int = 9) -> str:
    lines = ["lol0: &l0 [" + ", ".join(['"lol"'] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"lol{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def _merge_bomb(levels: int = 20) -> str:
    lines = ["m0: &m0 {a0: 1, b0: 2}"]
    for level in range(1, levels):
        lines.append(f"m{level}: &m{level} {{x{level}: *m{level - 1}, y{level}: *m{level - 1}, <<: *m{level - 1}}}")
    return "\n".join(lines) + "\n"


def _mapping_values(levels: int = 25) -> str:
    lines = ["k0: &k0 {v: text}"]
    lines += [f"k{level}: &k{level} {{a: *k{level - 1}, b: *k{level - 1}}}" for level in range(1, levels)]
    return "\n".join(lines) + "\n"


BOMBS = {
    "liste": _laughs(),
    "liste-large": _laughs(levels=6, width=40),
    "fusion": _merge_bomb(),
    "dictionnaires": _mapping_values(),
    "recursif": "boucle: &b [1, *b]\n",
}


BOMB_FILES = ["settings.yaml", "texts.yaml", "mail.yaml", "profiles/canonical.yaml"]


@pytest.mark.parametrize("rotation", [0, 1])
def test_alias_bombs_are_refused_quickly(cli, config, rotation):
    """Each file a different bomb: check reports each of them, one line per file, at once."""
    shapes = sorted(BOMBS)
    paths = []
    for index, file_name in enumerate(BOMB_FILES):
        path = config / file_name
        path.write_text(
            path.read_text(encoding="utf-8") + "\n" + BOMBS[shapes[(index + rotation * 2) % len(shapes)]], encoding="utf-8"
        )
        paths.append(path)
    code, _, err = cli("--config", config, "check")
    assert code == 2
    lines = problem_lines(err)
    assert len(lines) == len(paths), err
    for path in paths:
        assert len([line for line in lines if line.startswith(f"{path}:") and "alias" in line]) == 1, (path, err)


@pytest.mark.parametrize("shape", sorted(BOMBS))
def test_every_yaml_reader_refuses_every_bomb_shape(tmp_path, shape):
    from factsheets.config import load_yaml, read_source
    from factsheets.errors import FactsheetsError

    path = tmp_path / "bombe.yaml"
    path.write_text("debut: 1\n" + BOMBS[shape], encoding="utf-8")
    for read in (load_yaml, lambda path: read_source(path, depth=12)):
        started = time.monotonic()
        with pytest.raises(FactsheetsError, match="alias") as caught:
            read(path)
        assert time.monotonic() - started < 2
        assert str(caught.value).startswith(f"{path}:") and "\n" not in str(caught.value)


def test_alias_bomb_in_recipients(cli, tmp_path):
    from factsheets.errors import FactsheetsError
    from factsheets.mail.recipients import load_recipients

    path = tmp_path / "destinataires.yaml"
    for shape in sorted(BOMBS):
        path.write_text('departments:\n  "02":\n    to: [a@example.org]\n' + BOMBS[shape], encoding="utf-8")
        with pytest.raises(FactsheetsError, match="alias"):
            load_recipients(path)
    code, _, err = cli("check", "--recipients", path)
    assert code == 2
    one_french_line(err, str(path), "alias")


def test_huge_yaml_file_is_refused_unread(cli, config):
    from factsheets.config import MAX_YAML_BYTES

    path = config / "texts.yaml"
    with path.open("a", encoding="utf-8") as stream:
        stream.write("\n# " + "x" * (MAX_YAML_BYTES + 10) + "\n")
    code, _, err = cli("--config", config, "check")
    assert code == 2
    one_french_line(err, str(path), "trop gros")


def test_deep_nesting_is_one_line(cli, config):
    path = config / "settings.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\nprofond: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    code, _, err = cli("--config", config, "check")
    assert code == 2
    assert problem_lines(err) and all(str(path) in line for line in problem_lines(err)), err


# -- 2. configuration numbers: finite, within a sane range, in check and render alike --------------
ABSURD = [".inf", "-.inf", ".nan", "1e308", "1000000000", "-1"]


def _set_yaml_value(path: Path, key: str, value: str, occurrence: int = 1) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    seen = 0
    for index, line in enumerate(lines):
        if line.strip().startswith(f"{key}:"):
            seen += 1
            if seen == occurrence:
                indent = line[: len(line) - len(line.lstrip())]
                lines[index] = f"{indent}{key}: {value}"
                break
    else:
        raise AssertionError(f"{key} not in {path}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


SETTING_KEYS = ["width", "height", "font_size", "link_alpha", "top_products"]


@pytest.mark.parametrize("value", ABSURD)
def test_absurd_settings_are_one_line_each(cli, config, value):
    path = config / "settings.yaml"
    for key in SETTING_KEYS:
        _set_yaml_value(path, key, value)
    code, _, err = cli("--config", config, "check")
    assert code == 2
    lines = problem_lines(err)
    assert len(lines) == len(SETTING_KEYS), err
    for key in SETTING_KEYS:
        assert len([line for line in lines if key in line and line.startswith(f"{path}:")]) == 1, (key, err)


def test_text_settings_holding_numbers_fail_in_check_as_in_render(cli, config, tmp_path):
    path = config / "settings.yaml"
    _set_yaml_value(path, "language", ".inf")
    _set_yaml_value(path, "regular", ".nan")
    code, _, err = cli("--config", config, "check")
    assert code == 2
    lines = problem_lines(err)
    assert len(lines) == 2 and any("pdf.language" in line for line in lines) and any("fonts.regular" in line for line in lines), (
        err
    )
    out = tmp_path / "out"
    code, _, err = cli("--config", config, "render", "--dept", "02", "--out", out, "--workers", "1")
    assert code == 2 and len(problem_lines(err)) == 2, err
    assert not out.exists() or final_names(out) == []


SMTP_KEYS = ["timeout_seconds", "retries", "backoff_seconds", "backoff_factor"]


@pytest.mark.parametrize("key", SMTP_KEYS)
def test_absurd_smtp_number_is_one_line(cli, config, key):
    path = config / "mail.yaml"
    _set_yaml_value(path, key, ".inf" if key != "retries" else "1000000000")
    code, _, err = cli("--config", config, "check")
    assert code == 2
    one_french_line(err, str(path), f"smtp.{key}")


def test_every_absurd_smtp_number_is_refused(config):
    from factsheets.errors import FactsheetsError
    from factsheets.mail.config import load_mail_config

    path = config / "mail.yaml"
    original = path.read_text(encoding="utf-8")
    for key in SMTP_KEYS:
        for value in ABSURD[:4] + ["1000000000", "true", '"5"']:
            path.write_text(original, encoding="utf-8")
            _set_yaml_value(path, key, value)
            with pytest.raises(FactsheetsError, match=f"smtp.{key}"):
                load_mail_config(path)


def test_chart_width_inf_is_refused_by_render_too(cli, config, tmp_path):
    """Rendering reads settings through the loader `check` uses: the bounds hold there too."""
    from factsheets.config import load_settings, settings
    from factsheets.errors import FactsheetsError

    path = config / "settings.yaml"
    original = path.read_text(encoding="utf-8")
    for value in (".inf", ".nan", "1e308", "-1.0"):
        path.write_text(original, encoding="utf-8")
        _set_yaml_value(path, "width", value)
        _set_yaml_value(path, "top_products", value)
        loaded, problems = load_settings(config)
        assert loaded.charts.balance.width == 480 and loaded.indicators.top_products == 10  # the declared defaults
        assert [problem.what.split(" »")[0].split("« ")[-1] for problem in problems] == [
            "indicators.top_products",
            "charts.balance.width",
        ]
        with pytest.raises(FactsheetsError, match="charts.balance.width"):
            settings(config)
    path.write_text(original, encoding="utf-8")
    _set_yaml_value(path, "width", ".inf")
    out = tmp_path / "out"
    code, _, err = cli("--config", config, "render", "--dept", "02", "--out", out, "--workers", "1")
    assert code == 2
    one_french_line(err, "charts.balance.width")
    assert not out.exists() or final_names(out) == []


def test_backoff_delay_never_overflows():
    from factsheets.mail.config import MAX_DELAY_SECONDS, load_mail_config

    config = load_mail_config()
    from dataclasses import replace

    huge = replace(config, backoff_seconds=3600, backoff_factor=10)
    assert huge.delay(1000) == MAX_DELAY_SECONDS  # 10 ** 999 overflows a float: capped, not raised


# -- 3. fonts and logos: opened, not only sniffed -----------------------------------------------------
def _font_cuts() -> dict[str, bytes]:
    data = FONT.read_bytes()
    size = len(data)
    cuts = {f"tronque-{cut}": data[:cut] for cut in (0, 4, 12, 100, 1000, size // 4, size // 2, size - 1000, size - 1)}
    cuts["png"] = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    cuts["texte-latin1"] = "police? non, du texte : é".encode("latin-1")
    cuts["texte-utf16"] = "police ? non".encode("utf-16")
    cuts["magie-seule"] = b"\x00\x01\x00\x00" + b"\xff" * 200
    cuts["otto-vide"] = b"OTTO"
    return cuts


FONT_CASES = _font_cuts()


FACES = ["regular", "bold", "italic", "bold_italic", "semibold"]


@pytest.mark.parametrize("group", [0, 1, 2])
def test_damaged_fonts_are_one_line_each_in_check(cli, config, group):
    """Five damaged files at once, one per face: five lines."""
    cases = sorted(FONT_CASES)
    fonts = config / "fonts"
    fonts.mkdir()
    for index, face in enumerate(FACES):
        case = cases[(group * len(FACES) + index) % len(cases)]
        (fonts / f"{face}.ttf").write_bytes(FONT_CASES[case])
        _set_yaml_value(config / "settings.yaml", face, f"{face}.ttf")
    code, _, err = cli("--config", config, "check")
    assert code == 2
    lines = problem_lines(err)
    assert len(lines) == len(FACES), err
    for face in FACES:
        assert len([line for line in lines if f"(fonts.{face})" in line]) == 1, (face, err)


@pytest.mark.parametrize("case", sorted(FONT_CASES))
def test_damaged_font_is_refused_when_opened(tmp_path, case):
    from factsheets.fonts import font_problem

    path = tmp_path / "police.ttf"
    path.write_bytes(FONT_CASES[case])
    problem = font_problem(path)
    assert problem is not None and problem.text().startswith(f"{path} : police TrueType") and problem.fix
    assert font_problem(FONT) is None


def test_damaged_font_stops_render_in_one_line(cli, config, tmp_path):
    fonts = config / "fonts"
    fonts.mkdir()
    (fonts / "Abimee.ttf").write_bytes(FONT_CASES["tronque-1000"])
    _set_yaml_value(config / "settings.yaml", "regular", "Abimee.ttf")
    out = tmp_path / "out"
    code, _, err = cli("--config", config, "render", "--dept", "02", "--out", out, "--workers", "1")
    assert code == 2
    one_french_line(err, "fonts.regular")
    assert not out.exists() or final_names(out) == []


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (0, 0, 145)).save(buffer, format="PNG")
    return buffer.getvalue()


def _logo_cases() -> dict[str, bytes]:
    png = _png()
    return {
        "texte": b"not an image at all",
        "png-entete": png[:8],
        "png-tronque": png[: len(png) // 2],
        "png-sans-donnees": png[:33],  # signature and IHDR only
        "jpeg-entete": b"\xff\xd8\xff\xe0" + b"\0" * 20,
        "pdf": b"%PDF-1.7\n",
    }


LOGO_CASES = _logo_cases()


@pytest.mark.parametrize("pair", [0, 1, 2])
def test_logos_that_are_not_images_are_one_line_each(cli, config, pair):
    cases = sorted(LOGO_CASES)
    assets = config / "assets"
    assets.mkdir(exist_ok=True)
    for index, key in enumerate(["government", "agency"]):
        (assets / f"{key}.png").write_bytes(LOGO_CASES[cases[pair * 2 + index]])
        _set_yaml_value(config / "settings.yaml", key, f"assets/{key}.png")
    code, _, err = cli("--config", config, "check")
    assert code == 2
    lines = problem_lines(err)
    assert len(lines) == 2, err
    assert any("logos.government" in line for line in lines) and any("logos.agency" in line for line in lines)


def test_a_whole_png_logo_passes(cli, config):
    assets = config / "assets"
    assets.mkdir(exist_ok=True)
    (assets / "logo.png").write_bytes(_png())
    _set_yaml_value(config / "settings.yaml", "government", "assets/logo.png")
    code, _, err = cli("--config", config, "check")
    assert code == 0, err


# -- 4. paths: symlink loops, unknown users -----------------------------------------------------------
def test_symlink_loops_and_unknown_users(cli, tmp_path):
    first, second = tmp_path / "boucle1", tmp_path / "boucle2"
    first.symlink_to(second)
    second.symlink_to(first)
    cases = [
        (("render", "--dept", "02", "--data", first, "--out", tmp_path / "o1"), {}, "boucle de liens"),
        (("indicators", "--dept", "02", "--json", "--data", first), {}, "boucle de liens"),
        (("ingest", first, "--profile", "canonical", "--out", tmp_path / "o.parquet"), {}, "boucle de liens"),
        (("ingest", "--inspect", first, "--profile", "canonical"), {}, "boucle de liens"),
        (("check",), {"FACTSHEETS_CONFIG": str(first)}, "boucle de liens"),
        (("check",), {"FACTSHEETS_CONFIG": "~personne-inconnue-xyz/cfg"}, "utilisateur « ~personne-inconnue-xyz » inconnu"),
        (("render", "--dept", "02", "--out", tmp_path / "o2"), {"FACTSHEETS_CONFIG": "~personne-inconnue-xyz/cfg"}, "inconnu"),
        (("check",), {"FACTSHEETS_HOME": "~personne-inconnue-xyz"}, "inconnu"),
    ]
    for args, env, needle in cases:
        code, _, err = cli(*args, env=env)
        assert code == 2, (args, err)
        one_french_line(err, needle)
        os.environ.pop("FACTSHEETS_CONFIG", None)
        os.environ.pop("FACTSHEETS_HOME", None)
    for folder in (tmp_path / "o1", tmp_path / "o2"):
        assert not folder.exists() or final_names(folder) == []
    assert not (tmp_path / "o.parquet").exists()


def test_fonts_and_logos_behind_loops_or_unknown_users(cli, config, tmp_path):
    first, second = tmp_path / "boucle1", tmp_path / "boucle2"
    first.symlink_to(second)
    second.symlink_to(first)
    path = config / "settings.yaml"
    _set_yaml_value(path, "regular", str(first))
    _set_yaml_value(path, "bold", "~personne-inconnue-xyz/x.ttf")
    _set_yaml_value(path, "government", "~personne-inconnue-xyz/logo.png")
    _set_yaml_value(path, "agency", str(second))
    code, _, err = cli("--config", config, "check")
    assert code == 2
    lines = problem_lines(err)
    assert len(lines) == 4, err
    for key in ("fonts.regular", "fonts.bold", "logos.government", "logos.agency"):
        assert len([line for line in lines if key in line and "introuvable" in line]) == 1, (key, err)


# -- 5. spreadsheets and archives: bounded, names inside the archive ----------------------------------
def _xlsx(path: Path, rows: list[list]) -> Path:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Feuil1")
    for index, row in enumerate(rows):
        sheet.write_row(index, 0, row)
    workbook.close()
    return path


GOOD_ROWS = [HEADER.strip().split(","), [YEAR, "export", "02", "C10A", "DE", 5]]


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    return _xlsx(tmp_path_factory.mktemp("xlsx") / "bon.xlsx", GOOD_ROWS)


@pytest.mark.parametrize(
    "part", ["xl/workbook.xml", "xl/worksheets/sheet1.xml", "xl/_rels/workbook.xml.rels", "xl/sharedStrings.xml"]
)
def test_workbook_with_a_missing_part(cli, tmp_path, workbook, part):
    broken = tmp_path / "abime.xlsx"
    with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(broken, "w") as target:
        for name in source.namelist():
            if name != part:
                target.writestr(name, source.read(name))
    for args in (
        ("ingest", "--inspect", broken, "--profile", "canonical"),
        ("ingest", broken, "--profile", "canonical", "--out", tmp_path / "sortie.parquet"),
    ):
        code, _, err = cli(*args)
        assert code == 2, err
        one_french_line(err, str(broken))
    assert not (tmp_path / "sortie.parquet").exists()


def _zip(path: Path, members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


ROW = f"{YEAR},export,02,C10A,DE,5\n".encode()


def _archive_cases(folder: Path) -> dict[str, tuple[Path, str]]:
    zeros = HEADER.encode() + b"0" * (3 * 1024 * 1024)
    return {
        "ratio": (_zip(folder / "bombe.zip", {"data.csv": zeros}), "bombe de décompression"),
        "ratio-xlsx-dans-zip": (_zip(folder / "bombe-xlsx.zip", {"data.csv": ROW, "x.csv": zeros}), "bombe"),
        "remonte": (_zip(folder / "remonte.zip", {"../../etc/data.csv": HEADER.encode() + ROW}), "sort de l'archive"),
        "absolu": (_zip(folder / "absolu.zip", {"/tmp/data.csv": HEADER.encode() + ROW}), "sort de l'archive"),
        "windows": (_zip(folder / "windows.zip", {"..\\..\\data.csv": HEADER.encode() + ROW}), "sort de l'archive"),
        "lecteur": (_zip(folder / "lecteur.zip", {"C:/data.csv": HEADER.encode() + ROW}), "sort de l'archive"),
    }


def test_archives_over_the_limits_or_leaving_the_archive(cli, tmp_path):
    for case, (path, needle) in _archive_cases(tmp_path).items():
        for args in (
            ("ingest", path, "--profile", "canonical", "--out", tmp_path / "sortie.parquet"),
            ("ingest", "--inspect", path, "--profile", "canonical"),
        ):
            code, _, err = cli(*args)
            assert code == 2, (case, err)
            one_french_line(err, str(path), needle)
    assert not (tmp_path / "sortie.parquet").exists()


def test_member_over_the_size_limit(cli, tmp_path, monkeypatch):
    from factsheets.ingest import sources

    monkeypatch.setattr(sources, "MAX_MEMBER_BYTES", 64 * 1024)
    monkeypatch.setattr(sources, "MAX_ZIP_RATIO", 10**9)  # the size limit alone
    rows = HEADER.encode() + ROW * 10_000  # about 250 kB expanded
    path = _zip(tmp_path / "gros.zip", {"data.csv": rows})
    code, _, err = cli("ingest", path, "--profile", "canonical", "--out", tmp_path / "sortie.parquet")
    assert code == 2
    one_french_line(err, str(path), "Mo")
    assert not (tmp_path / "sortie.parquet").exists()


def test_workbook_part_over_the_ratio(cli, tmp_path, workbook):
    bomb = tmp_path / "bombe.xlsx"
    with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            target.writestr(name, source.read(name))
        target.writestr("xl/media/zero.bin", b"\0" * (4 * 1024 * 1024))
    code, _, err = cli("ingest", "--inspect", bomb, "--profile", "canonical")
    assert code == 2
    one_french_line(err, str(bomb), "bombe de décompression")


def test_workbook_entities_are_not_expanded(cli, tmp_path, workbook):
    """A "billion laughs" DTD in the shared strings: refused or read as is, never expanded."""
    levels = "".join(f'<!ENTITY e{level} "' + f"&e{level - 1};" * 10 + '">' for level in range(1, 9))
    doctype = '<!DOCTYPE sst [<!ENTITY e0 "rire">' + levels + "]>"
    bomb = tmp_path / "entites.xlsx"
    with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(bomb, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/sharedStrings.xml":
                head, _, rest = data.decode().partition("?>")
                data = (head + "?>" + doctype + rest.replace("<t>year</t>", "<t>&e8;</t>", 1)).encode()
            target.writestr(name, data)
    started = time.monotonic()
    code, out, err = cli("ingest", "--inspect", bomb, "--profile", "canonical")
    assert code == 2 and time.monotonic() - started < 5
    assert "rirerire" not in out + err
    one_french_line(err, str(bomb))


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1", "utf-16"])
def test_inspect_of_wrong_columns_exits_non_zero(cli, tmp_path, encoding):
    path = tmp_path / "colonnes.csv"
    path.write_bytes("année,flux,département,produit,pays,valeur\n2024,export,02,C10A,DE,5\n".encode(encoding))
    code, out, err = cli("ingest", "--inspect", path, "--profile", "canonical")
    assert code == 2
    if encoding != "utf-8":  # not UTF-8 text as the profile says: said so, one line
        one_french_line(err, str(path))
    else:
        assert "introuvable" in out
        one_french_line(err, str(path), "introuvable")


def test_inspect_of_a_good_file_exits_zero(cli, tmp_path, workbook):
    code, out, err = cli("ingest", "--inspect", workbook, "--profile", "canonical")
    assert code == 0, err
    assert "introuvable" not in out


@pytest.mark.parametrize("zero", ["-0.0", "-0", "-0e5", "-.0"])
def test_minus_zero_is_zero(cli, tmp_path, zero):
    import polars as pl

    source = tmp_path / "zero.csv"
    source.write_text(
        HEADER + f"{YEAR},export,02,C10A,DE,5\n{YEAR},export,02,C10B,DE,{zero}\n{YEAR},import,02,C10A,DE,3\n", encoding="utf-8"
    )
    out = tmp_path / "canonique.parquet"
    code, _, err = cli("-q", "ingest", source, "--profile", "canonical", "--out", out)
    assert code == 0, err
    values = pl.read_parquet(out)["value_eur"].to_list()
    assert all(math.copysign(1.0, value) == 1.0 for value in values), values


# -- 6. full disks -----------------------------------------------------------------------------------
def test_full_disk_while_writing_sheets_is_named(cli, full_disk):
    for extra in ((), ("--annexe", "xlsx")):
        code, _, err = cli("render", "--dept", "02", "--out", full_disk, "--workers", "1", *extra)
        assert code != 0
        lines = [line for line in problem_lines(err) if "disque plein" in line]
        assert lines and all(str(full_disk) in line for line in lines), err
        assert "Traceback" not in err
        # What is under a final name is whole: no sheet without its content.
        assert not any(name.endswith(".pdf") for name in final_names(full_disk)), final_names(full_disk)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_full_disk_while_ingesting_is_named(cli, tmp_path, full_disk, suffix):
    codes = [f"{code:02d}" for code in range(1, 96) if code != 20]
    rows = HEADER + "".join(
        f"{YEAR},{flow},{code},C10A,DE,{index}\n" for index, code in enumerate(codes) for flow in ("export", "import")
    )
    source = tmp_path / "source.csv"
    source.write_text(rows, encoding="utf-8")
    (full_disk / "bouche-trou").write_bytes(b"\0" * (62 * 1024))
    out = full_disk / f"canonique{suffix}"
    code, _, err = cli("ingest", source, "--profile", "canonical", "--out", out)
    assert code == 2
    one_french_line(err, str(out), "disque plein", str(full_disk))
    assert final_names(full_disk) == ["bouche-trou"]


def test_full_disk_while_writing_previews_is_named(cli, tmp_path, full_disk):
    data = canonical_csv(tmp_path / "donnees.csv", ("02",))
    recipients = tmp_path / "destinataires.yaml"
    recipients.write_text('departments:\n  "02":\n    to: ["Jean Dupont <jean@example.org>"]\n', encoding="utf-8")
    # Fill the disk but for a few bytes, so the preview (the sheet inside) cannot fit.
    (full_disk / "bouche-trou").write_bytes(b"\0" * (60 * 1024))
    code, _, err = cli(
        "mail", "--recipients", recipients, "--data", data, "--year", YEAR, "--out", tmp_path / "out", "--preview", full_disk
    )
    assert code != 0
    one_french_line(err, "disque plein", str(full_disk))
    assert final_names(full_disk) == ["bouche-trou"]


# -- 7. recipients: names quoted or refused, internationalised addresses --------------------------------
NAMES = [
    "Dupont: Jean",
    "Jean;Paul",
    "Dupont, Jean",
    'Jean "le chef" Dupont',
    "O'Hara (DREETS)",
    "Élise Ünal",
    "a\\b",
    "<Jean>",
    "=cmd|' /C calc'!A0",
]


def test_display_names_with_specials_are_quoted_in_dry_run_previews(cli, tmp_path):
    data = canonical_csv(tmp_path / "donnees.csv", ("02",))
    recipients = tmp_path / "destinataires.csv"
    rows = ["departement,email,role,nom"]
    for index, name in enumerate(NAMES):
        quoted = '"' + name.replace('"', '""') + '"'
        rows.append(f"02,personne{index}@example.org,{'to' if index % 2 == 0 else 'cc'},{quoted}")
    recipients.write_text("\n".join(rows) + "\n", encoding="utf-8")
    previews = tmp_path / "apercus"
    code, out, err = cli(
        "mail", "--recipients", recipients, "--data", data, "--year", YEAR, "--out", tmp_path / "out", "--preview", previews
    )
    assert code == 0, err
    [eml] = list(previews.glob("*.eml"))
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    shown = {address.addr_spec: address.display_name for key in ("To", "Cc") for address in message[key].addresses}
    expected = {f"personne{index}@example.org": name for index, name in enumerate(NAMES)}
    assert shown == expected


BROKEN_NAMES = ["Jean\r\nBcc: pirate@example.net", "Jean\nDupont", "Jean\rDupont", "Jean\x00"]


def test_display_names_with_line_breaks_are_refused_one_line_each(cli, tmp_path):
    recipients = tmp_path / "destinataires.csv"
    rows = ["departement,email,role,nom"]
    for code, name in zip(("02", "60", "59", "80"), BROKEN_NAMES):
        rows.append(f"{code},jean{code}@example.org,to," + '"' + name.replace('"', '""') + '"')
    recipients.write_bytes(("\n".join(rows) + "\n").encode())
    code, _, err = cli("check", "--recipients", recipients)
    assert code == 2
    lines = problem_lines(err)
    assert len(lines) == len(BROKEN_NAMES), err
    assert all(str(recipients) in line and " ; " in line for line in lines), err


class _Server:
    def __init__(self):
        self.messages: list[tuple[str, list[str], list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), list(envelope.mail_options), bytes(envelope.original_content))
        )
        return "250 2.0.0 Accepted"


@pytest.fixture
def smtp_server():
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = _Server()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port
    yield handler
    controller.stop()


def test_internationalised_domain_is_sent_once_in_ascii(cli, tmp_path, smtp_server):
    data = canonical_csv(tmp_path / "donnees.csv", ("02",))
    recipients = tmp_path / "destinataires.yaml"
    recipients.write_text(
        'departments:\n  "02":\n    to: ["Dupont; Jean <jean@exämple.fr>"]\n    cc: [contact@préfecture.gouv.fr]\n',
        encoding="utf-8",
    )
    args = (
        "mail",
        "--recipients",
        recipients,
        "--data",
        data,
        "--year",
        YEAR,
        "--out",
        tmp_path / "out",
        "--smtp-port",
        smtp_server.port,
        "--send",
        "--from",
        "Préfecture de l'Aisne <envoi@préfecture.gouv.fr>",
    )
    code, _, err = cli(*args)
    assert code == 0, err
    assert len(smtp_server.messages) == 1
    sender, rcpt, options, raw = smtp_server.messages[0]
    import idna

    prefecture = idna.encode("préfecture.gouv.fr", uts46=True).decode()
    assert sorted(rcpt) == [f"contact@{prefecture}", "jean@xn--exmple-cua.fr"]
    assert sender == f"envoi@{prefecture}"
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert [(a.display_name, a.addr_spec) for a in message["To"].addresses] == [("Dupont; Jean", "jean@xn--exmple-cua.fr")]
    assert [(a.display_name, a.addr_spec) for a in message["From"].addresses] == [
        ("Préfecture de l'Aisne", f"envoi@{prefecture}")
    ]
    code, _, err = cli(*args)
    assert code == 0, err
    assert len(smtp_server.messages) == 1  # never twice


@pytest.mark.parametrize("offered", [True, False])
def test_non_ascii_local_part_needs_smtputf8(smtp_server, offered, monkeypatch):
    """The session asks SMTPUTF8 when an address needs it and the server offers it, and
    refuses in French (a permanent failure, not a UnicodeEncodeError) when it does not."""
    import smtplib

    from factsheets.mail.smtp import Permanent, SmtpSession, describe_failure

    if not offered:
        real = smtplib.SMTP.has_extn
        monkeypatch.setattr(
            smtplib.SMTP, "has_extn", lambda self, name: False if name.lower() == "smtputf8" else real(self, name)
        )
    session = SmtpSession("127.0.0.1", smtp_server.port, timeout=5, require_tls=False, credentials=None)
    message = "From: a@example.org\r\nTo: jéan@example.fr\r\nSubject: t\r\n\r\nbonjour\r\n".encode()
    try:
        if offered:
            session.send("a@example.org", ["jéan@exämple.fr"], message)
            [(_, rcpt, options, _)] = smtp_server.messages
            assert rcpt == ["jéan@xn--exmple-cua.fr"] and "SMTPUTF8" in options
        else:
            with pytest.raises(Permanent) as caught:
                session.send("a@example.org", ["jéan@example.fr"], message)
            line = describe_failure(caught.value, "127.0.0.1", smtp_server.port, 5)
            assert "SMTPUTF8" in line and "jéan@example.fr" in line and " ; " in line
            assert smtp_server.messages == []
    finally:
        session.close()
