"""A repeated `render` draws from its record (render_cache): the same bytes, no Polars, no row read.

The runs that show what a user's next command does (no Polars imported, the line breaks of an
earlier process taken, the early helper) run in a fresh process, with this test's state folder
(FACTSHEETS_STATE, set by conftest). The others (which options miss the record, damaged
records) run the same entry point in this process (`render_here`), which sees whether the run
read the data by the calls it makes, with what a new process would hold: no line-break choice
in memory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import PROJECT_ROOT, run_in_process

from factsheets import render_cache
from factsheets.paths import SAMPLE_DATA

pytestmark = pytest.mark.cold_state  # the records themselves are tested: every test starts with none

SCRIPT = "import sys\nfrom factsheets import cli\ncode = cli._run(sys.argv[1:])\nprint('polars' in sys.modules)\nsys.exit(code)\n"


def render(out: Path, *args, cache: bool = True, config: Path | None = None) -> bool:
    """`factsheets [--config config] render *args --out out` in a fresh process; whether it
    imported Polars."""
    env = dict(os.environ)
    if not cache:
        env[render_cache.DISABLE_VARIABLE] = "0"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            SCRIPT,
            *(["--config", str(config)] if config else []),
            "render",
            *map(str, args),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout.splitlines()[-1] == "True"


def render_here(monkeypatch, out: Path, *args, cache: bool = True, config: Path | None = None) -> bool:
    """`factsheets [--config config] render --workers 1 *args --out out` in this process, as a new
    process would run it (no line-break choice in memory); whether it read the data."""
    from factsheets import typography
    from factsheets.render import batch

    reads = []
    plan_from_data = batch._plan_from_data

    def counted(*arguments, **keywords):
        reads.append(1)
        return plan_from_data(*arguments, **keywords)

    typography._chosen_breaks.clear()
    typography._known_points.clear()
    env = dict(os.environ)
    if not cache:
        env[render_cache.DISABLE_VARIABLE] = "0"
    with monkeypatch.context() as patch:
        patch.setattr(batch, "_plan_from_data", counted)
        result = run_in_process(
            *(["--config", config] if config else []), "render", "--workers", "1", *args, "--out", out, env=env
        )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return bool(reads)


def contents(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def records(state: Path) -> list[Path]:
    return sorted(state.glob("render-*.json"))


RUNS = {
    "plain": ["--dept", "02"],
    "several": ["--dept", "02", "--dept", "60", "--dept", "976", "--dept", "2A", "--evolution", "--annexe", "xlsx"],
}


@pytest.mark.parametrize("run", RUNS)
def test_a_repeated_run_draws_the_same_bytes_from_its_record_without_polars(tmp_path, state_folder, monkeypatch, run):
    assert render(tmp_path / "first", *RUNS[run])  # computed from the data, and recorded
    assert len(records(state_folder)) == 1
    assert not render(tmp_path / "again", *RUNS[run])  # from the record
    assert render_here(monkeypatch, tmp_path / "uncached", *RUNS[run], cache=False)
    first = contents(tmp_path / "first")
    assert len([name for name in first if name.endswith(".pdf")]) == len(set(RUNS[run]) & {"02", "60", "976", "2A"})
    assert contents(tmp_path / "again") == first
    assert contents(tmp_path / "uncached") == first


def test_other_options_or_year_miss_the_record(tmp_path, state_folder, monkeypatch):
    assert render_here(monkeypatch, tmp_path / "plain", "--dept", "02")
    assert render_here(monkeypatch, tmp_path / "evolution", "--dept", "02", "--evolution")
    assert render_here(monkeypatch, tmp_path / "year", "--dept", "02", "--year", "2023")
    assert render_here(monkeypatch, tmp_path / "named", "--dept", "aisne")
    assert len(records(state_folder)) == 4
    assert not render_here(monkeypatch, tmp_path / "plain-again", "--dept", "02")


def test_a_changed_data_file_is_read_again(tmp_path, monkeypatch):
    import polars as pl

    data = tmp_path / "donnees.parquet"
    shutil.copyfile(SAMPLE_DATA, data)
    assert render_here(monkeypatch, tmp_path / "before", "--dept", "02", "--data", data)
    os.utime(data, (1_000_000_000, 1_000_000_000))  # the same content, touched: still the record
    assert not render_here(monkeypatch, tmp_path / "touched", "--dept", "02", "--data", data)
    rows = pl.read_parquet(data)
    doubled = pl.when(pl.col("department") == "02").then(pl.col("value_eur") * 2).otherwise(pl.col("value_eur"))
    rows.with_columns(doubled.alias("value_eur")).write_parquet(data)
    assert render_here(monkeypatch, tmp_path / "after", "--dept", "02", "--data", data)  # read again
    assert render_here(monkeypatch, tmp_path / "uncached", "--dept", "02", "--data", data, cache=False)
    assert contents(tmp_path / "after") == contents(tmp_path / "uncached")
    assert contents(tmp_path / "after") != contents(tmp_path / "before")


def test_a_changed_colour_in_a_configuration_copy_is_drawn_from_the_data_again(tmp_path, monkeypatch):
    config = tmp_path / "ma-config"
    shutil.copytree(PROJECT_ROOT / "config", config)
    assert render_here(monkeypatch, tmp_path / "before", "--dept", "02", config=config)
    assert not render_here(monkeypatch, tmp_path / "again", "--dept", "02", config=config)
    settings = config / "settings.yaml"
    text = settings.read_text(encoding="utf-8")
    assert 'title: "#000091"' in text
    settings.write_text(text.replace('title: "#000091"', 'title: "#000080"'), encoding="utf-8")
    assert render_here(monkeypatch, tmp_path / "after", "--dept", "02", config=config)
    assert render_here(monkeypatch, tmp_path / "uncached", "--dept", "02", config=config, cache=False)
    assert contents(tmp_path / "after") == contents(tmp_path / "uncached") != contents(tmp_path / "before")


def header(path: Path) -> dict:
    """A record's first line: its key, plan, body digest and which line is whose (render_cache)."""
    return json.loads(path.read_bytes().partition(b"\n")[0])


def with_header(path: Path, **changes) -> None:
    head, newline, body = path.read_bytes().partition(b"\n")
    path.write_bytes(json.dumps({**json.loads(head), **changes}).encode() + newline + body)


DAMAGES = {
    "truncated": lambda path: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]),
    "empty": lambda path: path.write_bytes(b""),
    "not-json": lambda path: path.write_bytes(b"\x00\xff garbage"),
    "other-key": lambda path: with_header(path, key="0" * 64),
    "wrong-kinds": lambda path: with_header(path, sheets={"areas": 3}),
    "lines-miscounted": lambda path: with_header(path, areas=header(path)["areas"] + 1),
    "unknown-class": lambda path: path.write_text(path.read_text().replace('"class":"Territory"', '"class":"Popen"')),
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_record_is_ignored_silently_and_written_again(tmp_path, state_folder, damage, monkeypatch):
    assert render_here(monkeypatch, tmp_path / "first", "--dept", "02")
    (record,) = records(state_folder)
    DAMAGES[damage](record)
    assert render_here(monkeypatch, tmp_path / "again", "--dept", "02")  # computed again, no message beyond a plain run's
    assert contents(tmp_path / "again") == contents(tmp_path / "first")
    assert header(record)["key"] != "0" * 64  # rewritten whole
    assert not render_here(monkeypatch, tmp_path / "third", "--dept", "02")
    assert contents(tmp_path / "third") == contents(tmp_path / "first")


def test_an_unreadable_record_is_ignored(tmp_path, state_folder, monkeypatch):
    assert render_here(monkeypatch, tmp_path / "first", "--dept", "02")
    (record,) = records(state_folder)
    record.unlink()
    record.mkdir()  # reading it fails (even as root), and so does writing over it
    assert render_here(monkeypatch, tmp_path / "again", "--dept", "02")
    assert contents(tmp_path / "again") == contents(tmp_path / "first")


def test_the_cache_can_be_turned_off(tmp_path, state_folder, monkeypatch):
    assert render_here(monkeypatch, tmp_path / "first", "--dept", "02", cache=False)
    assert render_here(monkeypatch, tmp_path / "again", "--dept", "02", cache=False)
    assert records(state_folder) == []


# -- in this process: the key, the bound, the encoding ----------------------------------------


def test_every_part_of_the_key_changes_the_slot(tmp_path, monkeypatch):
    data = tmp_path / "donnees.parquet"
    shutil.copyfile(SAMPLE_DATA, data)
    base = render_cache.slot(["02"], None, data, (False, None, False))
    variants = [
        render_cache.slot(["60"], None, data, (False, None, False)),
        render_cache.slot(["02", "60"], None, data, (False, None, False)),
        render_cache.slot(None, None, data, (False, None, False)),
        render_cache.slot(["02"], 2023, data, (False, None, False)),
        render_cache.slot(["02"], None, data, (True, None, False)),
        render_cache.slot(["02"], None, data, (False, "xlsx", False)),
        render_cache.slot(["02"], None, data, (False, None, True)),
        render_cache.slot(["02"], None, SAMPLE_DATA, (False, None, False)),  # same content, another path
    ]
    assert render_cache.slot(["02"], None, data, (False, None, False)) == base
    assert len({slot.key for slot in variants} | {base.key}) == len(variants) + 1
    with data.open("ab") as stream:
        stream.write(b"\0")
    assert render_cache.slot(["02"], None, data, (False, None, False)).key != base.key
    monkeypatch.setattr("factsheets.check_cache.fingerprint_or_none", lambda: "0" * 64)  # code or configuration
    assert render_cache.slot(["02"], None, data, (False, None, False)).key != base.key
    monkeypatch.setattr("factsheets.check_cache.fingerprint_or_none", lambda: None)  # not fingerprinted: no cache
    assert render_cache.slot(["02"], None, data, (False, None, False)) is None


def test_a_data_file_keeps_a_few_records_at_most(tmp_path, state_folder):
    plan = render_cache.RunPlan(2024, True, [], [], [], {}, [], [])
    for year in range(2010, 2020):
        record = render_cache.slot(["02"], year, SAMPLE_DATA, (False, None, False))
        render_cache.write(record, plan, {})
        os.utime(record.path, ns=(year * 10**9, year * 10**9))  # written in year order
    kept = records(state_folder)
    assert len(kept) == render_cache.RECORDS_PER_DATA_FILE
    newest = render_cache.slot(["02"], 2019, SAMPLE_DATA, (False, None, False))
    assert newest.path in kept and render_cache.read(newest) == (plan, {})


def test_every_department_reads_back_equal_with_its_history():
    """The record's encoding on all 101 departments, series and changes included."""
    from factsheets.render import SheetRenderer

    renderer = SheetRenderer(SAMPLE_DATA, None, [], history=True)
    codes = renderer.reference.department_codes()
    assert len(codes) == 101 and set(codes) <= renderer.dataset.departments
    renderer.add(codes)
    lines, area_count, entries = render_cache.record_lines(renderer.indicators)
    assert dict(render_cache.RecordedIndicators.from_lines(lines, area_count, entries)) == renderer.indicators
    assert all(renderer.indicators[code].evolution.has_history for code in codes)


def test_no_field_of_the_model_reads_as_a_kind_of_record_object():
    """A record's JSON objects are told apart by their keys (render_cache._object): a
    model object's fields must never look like a tuple, a dict or a set, nor like a model object."""
    from factsheets import model

    assert {"DepartmentIndicators", "AreaFlows", "FlowSummary", "Sankey", "Item", "Link", "Evolution"} <= set(
        render_cache._CLASSES
    )
    assert all(getattr(model, name) is cls for name, cls in render_cache._CLASSES.items())
    for cls in render_cache._CLASSES.values():
        names = set(cls._fields)
        assert not (len(names) == 1 and names <= set(render_cache._KINDS)), cls
        assert names != {"class", "fields"}, cls


# -- the line breaks chosen by earlier runs (breaks_record) -----------------------------------

COUNTING_SCRIPT = (
    "import sys\n"
    "from factsheets import cli, typography\n"
    "searches = []\n"
    "search = typography.JustifiedParagraph._search_breaks\n"
    "def counted(self, *args):\n"
    "    searches.append(1)\n"
    "    return search(self, *args)\n"
    "typography.JustifiedParagraph._search_breaks = counted\n"
    "code = cli._run(['render', '--workers', '1', *sys.argv[1:]])\n"
    "print(len(searches))\n"
    "sys.exit(code)\n"
)


def printed_after_a_render(script: str, out: Path, *args) -> str:
    """The last line `script` prints in a new process, given `*args --out out` (a `render
    --workers 1`, which that process draws)."""
    result = subprocess.run(
        [sys.executable, "-c", script, *map(str, args), "--out", str(out)], capture_output=True, text=True, cwd=PROJECT_ROOT
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1]


def searches_of_a_render(out: Path, *args) -> int:
    """How many paragraphs `render --workers 1 *args` (this process draws) broke by searching."""
    return int(printed_after_a_render(COUNTING_SCRIPT, out, *args))


def searches_here(monkeypatch, out: Path, *args) -> int:
    """searches_of_a_render in this process, as a new process would run it (no line-break
    choice in memory)."""
    from factsheets import typography

    searches = []
    search = typography.JustifiedParagraph._search_breaks

    def counted(self, *arguments):
        searches.append(1)
        return search(self, *arguments)

    typography._chosen_breaks.clear()
    typography._known_points.clear()
    with monkeypatch.context() as patch:
        patch.setattr(typography.JustifiedParagraph, "_search_breaks", counted)
        result = run_in_process("render", "--workers", "1", *args, "--out", out)
    assert result.returncode == 0, result.stderr
    return len(searches)


def test_a_new_process_takes_the_line_breaks_earlier_runs_chose(tmp_path, state_folder, monkeypatch):
    cold = searches_of_a_render(tmp_path / "first", "--dept", "02")
    assert cold > 10
    (record,) = state_folder.glob("breaks-*.json")
    assert searches_of_a_render(tmp_path / "again", "--dept", "02") == 0
    assert contents(tmp_path / "again") == contents(tmp_path / "first")
    # Another department (here, as a new process would): only its own paragraphs are
    # searched, the same bytes as without the record.
    assert 0 < searches_here(monkeypatch, tmp_path / "oise", "--dept", "60") < cold
    for path in state_folder.glob("breaks-*.json"):
        path.unlink()
    assert searches_here(monkeypatch, tmp_path / "oise-alone", "--dept", "60") > 0
    assert contents(tmp_path / "oise") == contents(tmp_path / "oise-alone")


PYPHEN_SCRIPT = (
    "import sys\n"
    "from factsheets import cli\n"
    "code = cli._run(['render', '--workers', '1', *sys.argv[1:]])\n"
    "import pyphen\n"
    "print(bool(pyphen.hdcache))\n"
    "sys.exit(code)\n"
)


def pyphen_loaded_by_a_render(out: Path, *args) -> bool:
    """Whether `render --workers 1 *args` in a new process (which draws) read pyphen's patterns
    (ReportLab imports pyphen itself, whether it hyphenates or not)."""
    return printed_after_a_render(PYPHEN_SCRIPT, out, *args) == "True"


def test_a_new_process_whose_words_are_recorded_never_reads_pyphens_patterns(tmp_path, state_folder):
    assert pyphen_loaded_by_a_render(tmp_path / "first", "--dept", "02")
    (record,) = state_folder.glob("breaks-*.json")
    words = dict(json.loads(record.read_text())["words"])
    assert len(words) > 10 and words["exportations"] == [["exporta", "tions"], ["expor", "tations"], ["ex", "portations"]]
    assert not pyphen_loaded_by_a_render(tmp_path / "again", "--dept", "02")
    assert contents(tmp_path / "again") == contents(tmp_path / "first")
    # A word the record does not know has pyphen's patterns read for it: the same bytes.
    data = json.loads(record.read_text())
    data["words"] = [entry for entry in data["words"] if entry[0] != "exportations"]
    record.write_text(json.dumps(data))
    assert pyphen_loaded_by_a_render(tmp_path / "unknown-word", "--dept", "02")
    assert contents(tmp_path / "unknown-word") == contents(tmp_path / "first")


def test_every_sheet_drawn_from_earlier_runs_breaks_and_words_is_the_one_published(tmp_path, state_folder, plain_sheets):
    # New processes: in this one, the paragraphs' layouts and pages kept by earlier tests would
    # spare the first run its line breaks and words.
    assert pyphen_loaded_by_a_render(tmp_path / "recording", "--all")  # breaks and words recorded
    (record,) = state_folder.glob("breaks-*.json")
    assert json.loads(record.read_text())["words"]
    assert not pyphen_loaded_by_a_render(tmp_path / "from-records", "--all")  # every word's points read back
    drawn = {path.name: path.read_bytes() for path in sorted((tmp_path / "from-records").glob("*.pdf"))}
    published = {path.name: path.read_bytes() for path in plain_sheets}
    assert len(drawn) == 101 and drawn == published


@pytest.mark.parametrize("damage", ["truncated", "empty", "not-json", "wrong-kinds", "wrong-words", "older-version"])
def test_a_damaged_line_break_record_is_ignored_and_written_again(tmp_path, state_folder, damage, monkeypatch):
    searched = searches_here(monkeypatch, tmp_path / "first", "--dept", "02")
    (record,) = state_folder.glob("breaks-*.json")
    data = json.loads(record.read_text())
    if damage == "wrong-kinds":
        data["choices"].append([["texte", "style", "large", True, None, [], 0], [0, [], 0]])
        record.write_text(json.dumps(data))
    elif damage == "wrong-words":
        data["words"].append(["exportations", [["export", 3]]])
        record.write_text(json.dumps(data))
    elif damage == "older-version":  # version 1 had no words
        record.write_text(json.dumps({"version": 1, "choices": data["choices"]}))
    else:
        DAMAGES[damage](record)
    assert searches_here(monkeypatch, tmp_path / "again", "--dept", "02") == searched
    assert contents(tmp_path / "again") == contents(tmp_path / "first")
    assert searches_here(monkeypatch, tmp_path / "third", "--dept", "02") == 0  # written again


# -- the helper started before the command line is parsed (render.pool.start_helper_early) ---


def run_main(*args) -> subprocess.CompletedProcess:
    """`python -m factsheets *args`: the real entry point, which may start a helper early."""
    return subprocess.run([sys.executable, "-m", "factsheets", *map(str, args)], capture_output=True, text=True, cwd=PROJECT_ROOT)


def test_a_sheet_drawn_by_the_early_helper_is_the_same(tmp_path, monkeypatch):
    from factsheets.render.pool import default_workers

    if default_workers() < 2:
        pytest.skip("one core: no helper")
    for run in ("early", "again"):
        result = run_main("render", "--dept", "02", "--evolution", "--annexe", "xlsx", "--out", tmp_path / run)
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert render_here(monkeypatch, tmp_path / "alone", "--dept", "02", "--evolution", "--annexe", "xlsx", cache=False)
    assert contents(tmp_path / "early") == contents(tmp_path / "alone") == contents(tmp_path / "again")


def test_an_early_helper_of_other_options_is_ended_and_the_sheet_is_the_same(tmp_path, monkeypatch):
    """The guess wrong (started for --evolution, the run is plain): the run starts its own."""
    script = (
        "import sys\n"
        "from factsheets import cli\n"
        "from factsheets.render import pool\n"
        "from factsheets.render.drawer import SheetOptions\n"
        "pool.start_helper_early(SheetOptions(evolution=True))\n"
        "early = pool._early[0]\n"
        "code = cli._run(sys.argv[1:])\n"
        "print(pool._early is None, early._shutdown_thread)\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, "render", "--dept", "02", "--out", tmp_path / "guessed"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "True True"  # ended, not adopted
    assert render_here(monkeypatch, tmp_path / "alone", "--dept", "02", cache=False)
    assert contents(tmp_path / "guessed") == contents(tmp_path / "alone")


@pytest.mark.parametrize(
    ("cores", "args", "early"),
    [
        (2, "--all", True),
        (2, "--all --workers 2", True),
        (2, "--all --workers=2", True),
        (2, "--all --workers 3", True),  # never more processes than cores: one helper
        (2, "--all --workers 1", False),
        (2, "--all --workers 0", False),  # typer's error to report
        (2, "--all --workers two", False),
        (2, "--all --workers 2 --workers 1", False),
        (4, "--all", False),  # three helpers wanted
        (4, "--all --workers 2", True),
        (4, "--dept 02", True),  # one sheet: one helper, whatever the cores
        (4, "--dept 02 --workers 3", True),
        (4, "--dept 02 --workers 1", False),
        (1, "--all --workers 2", False),  # one core: no helper
    ],
)
def test_the_early_helper_is_guessed_for_the_runs_that_want_one(monkeypatch, cores, args, early):
    from factsheets.render import early as early_module

    monkeypatch.setattr(early_module, "default_workers", lambda: cores)
    assert (early_module.plain_render_options(["render", *args.split(), "--out", "x"]) is not None) is early


def test_a_run_asking_for_2_workers_adopts_the_early_helper(tmp_path):
    """`render --all --workers 2` (as the benchmarks type it) on two cores: the helper forked
    before the command line is parsed is the run's."""
    from factsheets.render.pool import default_workers

    if default_workers() != 2:
        pytest.skip("the guess is for two cores")
    script = (
        "import sys\n"
        "from factsheets.render import early, pool\n"
        "adopted = []\n"
        "adopt = pool._adopted_early_helper\n"
        "pool._adopted_early_helper = lambda *a: adopted.append(adopt(*a)) or adopted[-1]\n"
        "early.start_helper_for(sys.argv[1:])\n"
        "from factsheets import cli\n"
        "code = cli._run(sys.argv[1:])\n"
        "print(adopted[-1] is not None)\n"  # the first call: the early start's own, None
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, "render", "--dept", "02", "--dept", "13", "--workers", "2", "--out", tmp_path / "two"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "True"
    assert sorted(path.name for path in (tmp_path / "two").glob("*.pdf")) == [
        "commerce-exterieur-2024-02-aisne.pdf",
        "commerce-exterieur-2024-13-bouches-du-rhone.pdf",
    ]


def test_a_usage_error_ends_the_early_helper(tmp_path):
    result = run_main("render", "--dept", "02", "--annexe", "pdf", "--out", tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "factsheets : erreur : valeur invalide pour l'option --annexe : « pdf » ; utilisez xlsx ou csv"
    ]
    assert not list(tmp_path.glob("*.pdf"))


def test_a_data_file_too_large_to_hash_on_every_run_is_never_recorded(monkeypatch):
    assert render_cache.slot(["02"], None, SAMPLE_DATA, []) is not None
    monkeypatch.setattr(render_cache, "MOST_HASHED_BYTES", SAMPLE_DATA.stat().st_size - 1)
    assert render_cache.slot(["02"], None, SAMPLE_DATA, []) is None
