"""`factsheets mail` driven as a user would: the real command in a subprocess, a real SMTP
server on 127.0.0.1 (aiosmtpd), and a small canonical data file: the sheets are rendered
(the fake ones test_mail.py puts on disk are replaced by fresh renders).

The server and the helpers are those of test_mail.py.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from cli_helpers import PROJECT_ROOT, one_error_line, run_in_process
from test_mail import (  # noqa: F401  (server is a fixture)
    ENVELOPES,
    RECIPIENTS,
    YEAR,
    attachment,
    free_port,
    journal_entries,
    journal_path,
    make_sheet,
    server,
    sheet_path,
)
from test_mail_campaign import canonical_csv

CODES = ("02", "60", "80")


@pytest.fixture
def setup(tmp_path):
    """Recipients for 02, 60 and 80, stale fake sheets in the output folder, and the data."""
    out = tmp_path / "out"
    for code in CODES:
        make_sheet(out, code)
    recipients = tmp_path / "recipients.yaml"
    recipients.write_text(RECIPIENTS, encoding="utf-8")
    canonical_csv(tmp_path / "data.csv", CODES)
    return recipients, out


def mail_args(recipients: Path, out: Path, port: int, *extra) -> list:
    data = Path(recipients).parent / "data.csv"
    return ["mail", "--recipients", recipients, "--data", data, "--year", YEAR, "--out", out, "--smtp-port", port, *extra]


def statuses(stdout: str) -> list[str]:
    """'envoyé', 'déjà envoyé', 'échec'… : the status of each department line, in order."""
    return [line.split(" : ")[0] for line in stdout.splitlines()]


def fast_retry_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose config/mail.yaml retries at once, so a failing run stays fast.

    FACTSHEETS_HOME points at a copy of config/, fonts/ and assets/ (sheets are rendered).
    """
    home = tmp_path / "home"
    for folder in ("config", "fonts", "assets"):
        if (PROJECT_ROOT / folder).is_dir():
            shutil.copytree(PROJECT_ROOT / folder, home / folder)
    path = home / "config" / "mail.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["smtp"].update(retries=2, backoff_seconds=0, timeout_seconds=5)
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return {**os.environ, "FACTSHEETS_HOME": str(home)}


def no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr


# -- dry run -------------------------------------------------------------------------------------
def test_dry_run_shows_the_plan_and_nothing_reaches_the_server(setup):
    recipients, out = setup
    # A bare listening socket: even a connection without a word would show up in its backlog.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        result = run_in_process(*mail_args(recipients, out, listener.getsockname()[1]))
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert result.returncode == 0, result.stderr
    no_traceback(result)
    lines = result.stdout.splitlines()
    assert statuses(result.stdout) == ["à envoyer"] * 3
    aisne, oise, somme = lines
    assert aisne.startswith("à envoyer : 02 Aisne : à contact-aisne@example.org ; cc copie@example.org ;")
    assert f"objet « Les indicateurs clés\u00a0: commerce extérieur – Aisne (02) – {YEAR} »" in aisne
    pdf = sheet_path(out, "02")
    size = f"{round(pdf.stat().st_size / 1000, 1):g}".replace(".", ",")
    assert f"pièce jointe {pdf.name} ({size} ko)" in aisne
    assert all("fiche recalculée" in line for line in lines)  # the fake sheets on disk were stale
    assert "Service développement économique <contact-oise@example.org>, second-oise@example.org" in oise
    assert "cci archive@example.org" in somme
    assert "rien n'a été envoyé" in result.stderr and "--send" in result.stderr
    assert not journal_path().exists()


# -- sending ---------------------------------------------------------------------------------------
def test_send_then_run_again(setup, server):
    recipients, out = setup
    result = run_in_process(*mail_args(recipients, out, server.port, "--send", "--from", "Fiches <fiches@example.fr>"))
    assert result.returncode == 0, result.stderr
    no_traceback(result)
    assert statuses(result.stdout) == ["envoyé"] * 3
    assert len(server.messages) == 3
    for (mail_from, rcpts, _), message in zip(server.messages, server.parsed()):
        content_type, filename, content = attachment(message)
        code = filename.split("-")[3]
        assert mail_from == "fiches@example.fr" and message["From"].addresses[0].display_name == "Fiches"
        assert sorted(rcpts) == sorted(ENVELOPES[code])
        assert content_type == "application/pdf" and filename == sheet_path(out, code).name
        assert content == sheet_path(out, code).read_bytes()
        name = {"02": "Aisne", "60": "Oise", "80": "Somme"}[code]
        assert message["Subject"] == f"Les indicateurs clés\u00a0: commerce extérieur – {name} ({code}) – {YEAR}"
        of = {"02": "de l’Aisne", "60": "de l’Oise", "80": "de la Somme"}[code]
        assert f"du département {of} ({code})" in message.get_body(("plain",)).get_content()
    assert sorted(entry["department"] for entry in journal_entries()) == list(CODES)

    again = run_in_process(*mail_args(recipients, out, server.port, "--send"))
    assert again.returncode == 0, again.stderr
    assert statuses(again.stdout) == ["déjà envoyé"] * 3 and len(server.messages) == 3
    assert "0 message(s) envoyé(s), 3 déjà envoyé(s) auparavant" in again.stderr


def test_killed_after_the_first_of_three_then_run_again_delivers_three(setup, server):
    """SIGKILL the real command between the first and the second department, then rerun it."""
    recipients, out = setup
    server.hold_after = 1  # the server stalls the second department's MAIL command
    args = [sys.executable, "-m", "factsheets", *map(str, mail_args(recipients, out, server.port, "--send"))]
    process = subprocess.Popen(args, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.holding.wait(timeout=30), "the second message was never started"
        assert len(server.messages) == 1 and len(journal_entries()) == 1
        process.kill()  # SIGKILL: no handler, no cleanup, as with a crash or `kill -9`
        stdout, _ = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        server.release.set()
    assert process.returncode == -signal.SIGKILL
    assert statuses(stdout) == ["envoyé"]
    assert not list(journal_path().parent.glob(".mail-journal.json.*.tmp"))

    result = run_in_process(*mail_args(recipients, out, server.port, "--send"))
    assert result.returncode == 0, result.stderr
    assert statuses(result.stdout) == ["déjà envoyé", "envoyé", "envoyé"]
    assert len(server.messages) == 3  # exactly three in total
    delivered = {attachment(message)[1]: attachment(message)[2] for message in server.parsed()}
    assert delivered == {sheet_path(out, code).name: sheet_path(out, code).read_bytes() for code in CODES}
    assert sorted(entry["department"] for entry in journal_entries()) == list(CODES)


# -- failures ----------------------------------------------------------------------------------------
def test_server_down_tries_once_then_stops_and_records_nothing(setup, tmp_path):
    """An unreachable server fails the first department after its retries; the others are
    not tried (each would wait through the same retries), and all are left to a re-run."""
    recipients, out = setup
    started = time.monotonic()
    # An error report, no signal: through the CLI's entry point in process.
    result = run_in_process(*mail_args(recipients, out, free_port(), "--send"), env=fast_retry_env(tmp_path))
    assert result.returncode == 1
    no_traceback(result)
    assert statuses(result.stdout) == ["échec", "non tenté", "non tenté"]
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("factsheets : échec : ")]
    assert line.startswith(f"factsheets : échec : {CODES[0]} : ")
    assert "connexion refusée" in line and "(après 3 tentatives)" in line
    assert result.stderr.count("nouvel essai") == 2
    assert "2 département(s) non tenté(s) : le serveur n'a pas pu ouvrir de session" in result.stderr
    assert "1 message(s) sur 1 en échec" in result.stderr
    assert (
        "0 message(s) envoyé(s), 0 déjà envoyé(s) auparavant, 0 retenu(s) (modifiés), 1 en échec, 2 non tenté(s)" in result.stderr
    )
    assert journal_entries() == [] and not journal_path().exists()
    assert time.monotonic() - started < 30  # not 3 × the retries (generous: the machine may be loaded)


# -- bad input: one clear line per problem, nothing sent ---------------------------------------------
@pytest.mark.parametrize(
    ("content", "extra", "expected"),
    [
        (
            'departments:\n  "02":\n    to: [contact-aisne@example]\n',
            [],
            ["recipients.yaml:3", "« contact-aisne@example » n'est pas une adresse e-mail valide"],
        ),
        (
            'departments:\n  "99":\n    to: [a@example.org]\n',
            [],
            ["recipients.yaml:2", "« 99 »", "n'est pas un code de département connu"],
        ),
        ('departments:\n  "02": [a@example.org\n', [], ["recipients.yaml:", "YAML invalide"]),
        (None, [], ["recipients.yaml", "fichier introuvable"]),
        ('departments:\n  "02":\n    to: [a@example.org]\n', ["--dept", "60"], ["--dept 60", "n'a pas d'entrée"]),
        ('departments:\n  "02":\n    to: [a@example.org]\n', ["--from", "personne"], ["--from", "« personne »"]),
        ('departments:\n  "02":\n    to: [a@example.org]\n', ["--dept", "99"], ["« 99 »", "département"]),
    ],
    ids=[
        "malformed-address",
        "unknown-department",
        "broken-yaml",
        "missing-file",
        "dept-not-in-file",
        "bad-sender",
        "unknown-dept-option",
    ],
)
def test_bad_input_is_one_line_and_nothing_is_sent(setup, server, content, extra, expected):
    recipients, out = setup
    if content is None:
        recipients.unlink()
    else:
        recipients.write_text(content, encoding="utf-8")
    result = run_in_process(*mail_args(recipients, out, server.port, "--send", *extra))
    line = one_error_line(result)
    assert line.startswith("factsheets : erreur : ")
    for fragment in expected:
        assert fragment in line
    assert result.stdout == ""
    assert server.ehlo_seen == 0 and not journal_path().exists()


def test_several_problems_are_listed_together(setup, server):
    recipients, out = setup
    recipients.write_text(
        "departments:\n"
        '  "02":\n    to: [contact-aisne@example.org, "pas une adresse"]\n'
        '  "99":\n    to: [x@example.org]\n'
        '  "60":\n    to: [contact-oise@example.org]\n'
        "    cc: [copie@@example.org]\n",
        encoding="utf-8",
    )
    result = run_in_process(*mail_args(recipients, out, server.port, "--send"))
    assert result.returncode == 2
    no_traceback(result)
    lines = result.stderr.splitlines()
    assert len(lines) == 4 and all(line.startswith("factsheets : erreur : ") for line in lines)
    assert "recipients.yaml:3" in lines[0] and "recipients.yaml:4" in lines[1] and "recipients.yaml:8" in lines[2]
    assert "3 problèmes" in lines[3] and "rien n'a été envoyé" in lines[3]
    assert server.ehlo_seen == 0 and result.stdout == ""
