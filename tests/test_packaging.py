"""The project installs like any other package: `pip install <repo>` (not editable) into a
fresh venv, then used from another folder, with the shipped configuration and with a user's
own (`factsheets init` + `--config`).

One install per test session; the venv is shared by the tests of this module. The install is
the real build (`pip install <copy>`, build isolation, non-editable, sources removed after),
but without downloading and unpacking the dependencies again: the fresh venv sees the test
environment's own installed dependencies (factsheets itself left out), and `pip check`
proves the package's declared requirements are met there. About 5 s instead of 20 s.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from cli_helpers import PROJECT_ROOT
from pypdf import PdfReader

IGNORED = shutil.ignore_patterns(
    ".git", "output", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".venv", "node_modules"
)


@pytest.fixture(scope="session")
def installed(tmp_path_factory) -> Path:
    """The bin/ folder of a fresh venv holding a regular (non-editable) install of a copy of the repository."""
    root = tmp_path_factory.mktemp("install")
    source = root / "factsheets-src"
    shutil.copytree(PROJECT_ROOT, source, ignore=IGNORED)
    environment = root / "venv"
    venv.EnvBuilder(with_pip=False).create(environment)
    bin_dir = environment / "bin"
    python = bin_dir / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (site / "_test_dependencies.pth").write_text(f"{installed_dependencies(root / 'dependencies')}\n", encoding="utf-8")
    pip = [sys.executable, "-m", "pip", "--python", str(python)]  # this environment's pip, acting on the new venv
    result = subprocess.run([*pip, "install", "-q", "--no-deps", str(source)], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    shutil.rmtree(source)  # the installed package must not need the sources
    checked = subprocess.run([*pip, "check"], capture_output=True, text=True, timeout=300)
    assert checked.returncode == 0, checked.stdout + checked.stderr  # every declared dependency is there
    return bin_dir


def installed_dependencies(folder: Path) -> Path:
    """A folder of links to what the running environment has installed, except factsheets
    itself (its editable install would otherwise shadow the package under test)."""
    folder.mkdir()
    for site in dict.fromkeys(sysconfig.get_paths()[kind] for kind in ("purelib", "platlib")):
        for entry in Path(site).iterdir():
            if entry.suffix == ".pth" or entry.name.lower().startswith(("factsheets", "__editable__")):
                continue  # .pth files are read only in a site folder: none is needed by a dependency
            if not (folder / entry.name).exists():
                (folder / entry.name).symlink_to(entry)
    return folder


def run(bin_dir: Path, *args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(bin_dir / "factsheets"), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )


def page_streams(path: Path) -> bytes:
    return b"".join(page.get_contents().get_data() for page in PdfReader(path).pages)


def test_files_are_read_from_the_installed_package(installed, tmp_path):
    script = "import factsheets.paths as p; print(p.CONFIG_DIR); print(p.FONTS_DIR); print(p.SAMPLE_DATA); print(p.ASSETS_DIR)"
    result = subprocess.run([str(installed / "python"), "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    site = installed.parent / "lib"
    for line in result.stdout.splitlines():
        path = Path(line)
        assert path.exists() and site in path.parents, line
        assert PROJECT_ROOT not in path.parents, line


def test_render_from_another_folder_writes_to_its_output_folder(installed, tmp_path):
    result = run(installed, "-q", "render", "--dept", "02", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    sheet = tmp_path / "output" / "commerce-exterieur-2024-02-aisne.pdf"
    assert result.stdout.strip() == str(Path("output") / sheet.name)
    text = " ".join(PdfReader(sheet).pages[0].extract_text().split())
    assert "Territoires d’industrie - Aisne" in text and "Haute-Picardie" in text


def test_init_and_config_with_a_changed_colour(installed, tmp_path):
    config = tmp_path / "ma-config"
    assert run(installed, "init", config, cwd=tmp_path).returncode == 0
    settings = config / "settings.yaml"
    text = settings.read_text(encoding="utf-8")
    assert 'title: "#000091"' in text
    settings.write_text(text.replace('title: "#000091"', 'title: "#FF0000"'), encoding="utf-8")
    assert run(installed, "--config", config, "check", cwd=tmp_path).returncode == 0
    default = run(installed, "-q", "render", "--dept", "aisne", "--out", tmp_path / "defaut", cwd=tmp_path)
    changed = run(installed, "-q", "--config", config, "render", "--dept", "aisne", "--out", tmp_path / "perso", cwd=tmp_path)
    assert default.returncode == 0 and changed.returncode == 0, default.stderr + changed.stderr
    red = b"1 0 0 rg"
    assert red not in page_streams(Path(default.stdout.strip()))
    assert red in page_streams(Path(changed.stdout.strip()))


def test_version_and_help_of_the_installed_command(installed, tmp_path):
    version = run(installed, "--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("factsheets ")
    assert run(installed, "-h", cwd=tmp_path).stdout.startswith("Utilisation : factsheets")
