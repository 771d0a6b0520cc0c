"""The one problem type (errors.Problem), its collector (errors.Problems) and FactsheetsError,
which carries problems: what the CLI writes for them, and that plain messages (the modules
that still raise text) read exactly as before."""

from __future__ import annotations

import pickle

import pytest
from cli_helpers import run_in_process

from factsheets.errors import SHOWN_PER_KIND, ConfigurationError, FactsheetsError, Problem, Problems


@pytest.mark.parametrize(
    ("problem", "text"),
    [
        (Problem("a.yaml", 3, "clé inconnue", "retirez-la"), "a.yaml:3 : clé inconnue ; retirez-la"),
        (Problem("a.yaml", None, "fichier introuvable", "restaurez-le"), "a.yaml : fichier introuvable ; restaurez-le"),
        (Problem("a.yaml", 7, "YAML invalide"), "a.yaml:7 : YAML invalide"),
        (Problem("--smtp-port", what="0 n'est pas un numéro de port"), "--smtp-port : 0 n'est pas un numéro de port"),
        (Problem(what="rien à faire", fix="ajoutez --dept"), "rien à faire ; ajoutez --dept"),
    ],
)
def test_a_problem_reads_path_line_what_fix(problem, text):
    assert problem.text() == text and problem.shown() == text
    assert Problem(problem.path, problem.line, problem.what, problem.fix, warning=True).shown() == "attention : " + text


def test_an_error_carries_its_problems_and_a_message_reads_as_before():
    message = "x.csv:2 : valeur négative ; corrigez-la\nx.csv:5 : code inconnu"
    error = FactsheetsError(message)
    assert str(error) == message
    assert [problem.text() for problem in error.problems] == message.splitlines()
    problems = [Problem("a.yaml", 1, "un", "deux"), Problem("b.yaml", None, "trois")]
    error = ConfigurationError(problems)
    assert error.problems == problems and str(error) == "a.yaml:1 : un ; deux\nb.yaml : trois"
    assert FactsheetsError(problems[0]).problems == [problems[0]]
    # An error sent back by a helper process (pickled) keeps its lines.
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is ConfigurationError and str(again) == str(error)
    assert [problem.text() for problem in again.problems] == [problem.text() for problem in problems]


def test_the_collector_shows_the_first_few_of_a_kind_then_counts_the_others():
    problems = Problems()
    occurrences = [(f"x.csv:{line}", str(-line)) for line in range(2, 10)]
    problems.add_kind(40, occurrences, lambda value: (f"valeur « {value} » négative", "les montants sont positifs"))
    lines = [problem.text() for problem in problems]
    assert len(lines) == SHOWN_PER_KIND
    assert lines[0] == "x.csv:2 : valeur « -2 » négative ; les montants sont positifs"
    more = 40 - SHOWN_PER_KIND
    last = SHOWN_PER_KIND + 1
    assert (
        lines[-1]
        == f"x.csv:{last} : valeur « -{last} » négative (et {more} autre(s) ligne(s) dans ce cas) ; les montants sont positifs"
    )


def test_the_collector_takes_messages_and_problems_and_raises_them_together():
    problems = Problems()
    assert not problems
    problems.raise_if_any()  # nothing to report: no error
    problems.add("a.csv : vide\nb.csv : illisible")  # a message of several lines: one problem each
    problems.add(Problem("c.yaml", 4, "clé inconnue", "retirez-la"))
    assert problems.lines == ["a.csv : vide", "b.csv : illisible", "c.yaml:4 : clé inconnue ; retirez-la"]
    with pytest.raises(FactsheetsError) as caught:
        problems.raise_if_any()
    assert str(caught.value) == "\n".join(problems.lines) and caught.value.problems == list(problems)


def test_by_place_orders_file_by_file_then_by_line_without_repeats():
    problems = Problems()
    for path, line in [("b.yaml", 9), ("a.yaml", 5), ("b.yaml", 2), ("a.yaml", None), ("b.yaml", 9)]:
        problems.add(Problem(path, line, f"problème {line}"))
    assert [problem.where for problem in problems.by_place()] == ["b.yaml:2", "b.yaml:9", "a.yaml", "a.yaml:5"]


def test_the_cli_writes_each_problem_of_an_error_on_its_own_line(tmp_path):
    """Two reference tables broken at once: `render` stops before any sheet with one line per
    problem, in file order, and `check` lists the same problems without the prefix."""
    import shutil

    from cli_helpers import PROJECT_ROOT

    config = tmp_path / "reglages"
    shutil.copytree(PROJECT_ROOT / "config", config)
    regions = config / "reference" / "regions.yaml"
    text = regions.read_text(encoding="utf-8")
    regions.write_text(text.replace('"32": Hauts-de-France', '"32": ""'), encoding="utf-8")
    region_line = text[: text.index('"32": Hauts-de-France')].count("\n") + 1
    products = config / "reference" / "products.yaml"
    products.write_text(products.read_text(encoding="utf-8") + '\nC10A:\n  label: "x"\n  short_label: "y"\n', encoding="utf-8")
    checked = run_in_process("--config", config, "check")
    assert checked.returncode == 2
    lines = checked.stdout.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"{regions}:{region_line} : le nom de la région 32 doit être un texte non vide ; ")
    assert lines[1].startswith(f"{products}:") and "« C10A » figure deux fois" in lines[1]
    rendered = run_in_process("--config", config, "render", "--dept", "02", "--out", tmp_path / "out")
    assert rendered.returncode == 2
    assert rendered.stderr.splitlines() == [f"factsheets : erreur : {line}" for line in lines]
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
