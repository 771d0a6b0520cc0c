"""Editions: year-bound texts and the publication date, per year of the data (texts.yaml)."""

from __future__ import annotations

import os

from cli_helpers import run_in_process
from pypdf import PdfReader

TARIFF_SENTENCE = "la montée en puissance des menaces de surtaxes"


def render_one(tmp_path, *args, env=None):
    """`render --dept 02` with `env` added to the environment, through the CLI's entry point
    in process (the creation date and the edition are read from the environment and the
    configuration at each render, as a fresh process would)."""
    result = run_in_process("render", "--dept", "02", "--out", tmp_path, *args, env={**os.environ, **(env or {})})
    assert result.returncode == 0, result.stderr
    path = result.stdout.strip()
    reader = PdfReader(path)
    return result, reader, " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_2024_sheet_has_its_edition_text_and_publication_date(tmp_path):
    result, reader, text = render_one(tmp_path, "--year", "2024")
    assert "Depuis le début de l’année 2025, " + TARIFF_SENTENCE in text
    assert reader.metadata["/CreationDate"].startswith("D:20250701")
    assert "édition" not in result.stderr


def test_a_year_without_edition_gets_the_neutral_text_and_a_warning(tmp_path):
    result, _, text = render_one(tmp_path, "--year", "2023")
    assert TARIFF_SENTENCE not in text and "Depuis le début de l’année" not in text
    assert "fondée sur les données douanières de 2023" in text
    warnings = [line for line in result.stderr.splitlines() if "édition" in line]
    assert len(warnings) == 1 and "pas d'édition 2023" in warnings[0] and "texts.yaml" in warnings[0]


def test_source_date_epoch_wins(tmp_path):
    _, reader, _ = render_one(tmp_path, "--year", "2024", env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert reader.metadata["/CreationDate"].startswith("D:20231114")


def test_an_edition_in_a_user_configuration(tmp_path):
    config = tmp_path / "config"
    assert run_in_process("init", config).returncode == 0
    texts = config / "texts.yaml"
    texts.write_text(
        texts.read_text(encoding="utf-8")
        + (
            "  2023:\n"
            "    publication_date: 2024-09-15\n"
            "    context:\n"
            '      method_intro: "Édition {year} : une introduction propre à cette année."\n'
        ),
        encoding="utf-8",
    )
    assert run_in_process("--config", config, "check", "--year", "2023").stdout == ""
    _, reader, text = render_one(tmp_path / "out", "--year", "2023", env={"FACTSHEETS_CONFIG": str(config)})
    assert "Édition 2023 : une introduction propre à cette année." in text
    assert reader.metadata["/CreationDate"].startswith("D:20240915")
