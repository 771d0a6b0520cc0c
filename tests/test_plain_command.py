"""A plain command line is read without typer (plain_command), into what typer reads it as."""

from __future__ import annotations

import functools
import subprocess
import sys

import pytest

from factsheets import cli
from factsheets.plain_command import plain_arguments

PLAIN_RENDERS = [
    [],
    ["--dept", "02"],
    ["--dept", "02", "--dept", "oise", "--dept", "2A"],
    ["--all"],
    ["--all", "--dept", "02"],
    ["--dept", "02", "--year", "2024", "--workers", "1"],
    ["--dept", "02", "--year", "0", "--workers", "12"],
    ["--dept", "02", "--data", "données/échanges.csv", "--out", "/tmp/fiches"],
    ["--dept", "02", "--out", "sortie", "--data", "a b.parquet"],
    ["--all", "--evolution", "--annexe", "XLSX", "--html"],
    ["--annexe", "pdf", "--dept", "02"],
    ["--dept", "99x", "--annexe", ""],
]
# What typer alone reads (and reports): forms, values and options this reader leaves to it.
TYPER_RENDERS = [
    ["--help"],
    ["-h"],
    ["--dept"],
    ["--dept=02"],
    ["--dept", "-1"],
    ["--dept", "02", "--year", "2024", "--year", "2023"],
    ["--dept", "02", "--year", "deux"],
    ["--dept", "02", "--year", "+2024"],
    ["--dept", "02", "--year", "02024"],
    ["--dept", "02", "--workers", "0"],
    ["--dept", "02", "--data", ""],
    ["--dept", "02", "--out", "  "],
    ["--dept", "02", "--bogus"],
    ["--dept", "02", "sources"],
    ["--dept", "02", "--", "--all"],
    ["--no-html", "--dept", "02"],
]


def typer_arguments(monkeypatch, args: list[str]) -> dict:
    """The arguments typer calls `render` with for `render ARGS`."""
    received = {}

    @functools.wraps(cli.render)
    def recorder(**arguments):
        received.update(arguments)

    (command,) = [info for info in cli.app.registered_commands if info.callback is cli.render]
    monkeypatch.setattr(command, "callback", recorder)
    assert cli.app(args=["render", *args], standalone_mode=False) is None
    return received


@pytest.mark.parametrize("args", PLAIN_RENDERS, ids=" ".join)
def test_a_plain_render_is_read_as_typer_reads_it(monkeypatch, args):
    plain = plain_arguments(cli.render, args)
    expected = typer_arguments(monkeypatch, args)
    assert plain == expected
    assert {name: type(value) for name, value in plain.items()} == {name: type(value) for name, value in expected.items()}


@pytest.mark.parametrize("args", TYPER_RENDERS, ids=" ".join)
def test_other_command_lines_are_left_to_typer(args):
    assert plain_arguments(cli.render, args) is None


def test_a_plain_render_does_not_import_pydantic():
    script = (
        "import sys\n"
        "from factsheets import cli\n"
        "code = cli._run(['render', '--dept', '02', '--all'])\n"
        "print(code, 'pydantic' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.stdout.split() == ["2", "False"], result.stderr
    assert "indiquez soit --dept" in result.stderr
