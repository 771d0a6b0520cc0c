"""The code passes ruff's linter and formatter as configured in pyproject.toml ([tool.ruff])."""

import subprocess
import sys

from cli_helpers import PROJECT_ROOT


def ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", *args], capture_output=True, text=True, cwd=PROJECT_ROOT)


def test_ruff_finds_nothing():
    result = ruff("check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_is_formatted():
    result = ruff("format", "--check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_readme_code_table_names_every_module():
    """SPEC 16: a newcomer finds each stage by its name; the README's code table lists every
    module of the package (package markers left out)."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| étape | module |") :]
    table = table[: table.index("\n\n")]
    package = PROJECT_ROOT / "factsheets"
    modules = sorted(path.relative_to(package) for path in package.rglob("*.py") if path.name != "__init__.py")
    assert len(modules) > 40  # the package was found
    missing = [str(module) for module in modules if f"`{module.name}`" not in table and str(module) not in table]
    assert missing == [], f"modules the README's code table does not name: {missing}"
