"""The mail journal follows the campaign (configuration and year), not the output folder:
runs with another --out, or from another working directory, send each sheet once per
address, counted at a real SMTP server on 127.0.0.1; a journal an earlier version left in
an output folder is merged in, once, and said so.

conftest.py gives every test its own FACTSHEETS_STATE; the tests of the default location
set HOME and XDG_STATE_HOME to folders of their own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from cli_helpers import PROJECT_ROOT, one_error_line, run_in_process
from test_mail import journal_path, server  # noqa: F401  (server is a fixture)
from test_mail_campaign import CODES, canonical_csv, department_lines, recipients_yaml, status

from factsheets import paths

DEPARTMENTS = CODES[:2]
ADDRESSES = {"01": {"to": ["d01@example.org"], "cc": ["c01@example.org"]}, "02": {"to": ["d02@example.org"]}}


def run(*args, cwd: Path = PROJECT_ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    """`factsheets *args` in this process (the journal is a file: what one run leaves, the
    next reads from disk); the run that must be a process of its own is started below."""
    return run_in_process(*args, cwd=cwd, env=env)


def copies(server) -> Counter:
    """How many messages each address received."""
    return Counter(address for _, rcpts, _ in list(server.messages) for address in rcpts)


@pytest.fixture
def campaign(tmp_path):
    data = canonical_csv(tmp_path / "data.csv", DEPARTMENTS)
    recipients = recipients_yaml(tmp_path / "recipients.yaml", ADDRESSES)
    return data, recipients


def send(campaign, port: int, *extra, cwd: Path = PROJECT_ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    data, recipients = campaign
    return run("mail", "--recipients", recipients, "--data", data, "--smtp-port", port, "--send", *extra, cwd=cwd, env=env)


EVERY_ADDRESS_ONCE = {"d01@example.org": 1, "c01@example.org": 1, "d02@example.org": 1}


def test_another_out_folder_sends_nothing_twice(tmp_path, campaign, server):
    first = send(campaign, server.port, "--out", tmp_path / "out-a")
    assert first.returncode == 0, first.stderr
    assert copies(server) == EVERY_ADDRESS_ONCE
    second = send(campaign, server.port, "--out", tmp_path / "out-b")
    assert second.returncode == 0, second.stderr
    assert [status(line) for line in department_lines(second.stdout).values()] == ["déjà envoyé", "déjà envoyé"]
    assert copies(server) == EVERY_ADDRESS_ONCE  # counted at the server: one copy per address
    assert journal_path().is_file() and not (tmp_path / "out-a" / ".mail-journal.json").exists()
    print("copies per address after two runs with two --out:", dict(copies(server)))


def test_another_working_directory_sends_nothing_twice(tmp_path, campaign, server):
    """The default --out is ./output: each working directory has its own, the journal is one."""
    folders = [tmp_path / "here", tmp_path / "there", tmp_path / "elsewhere"]
    for folder in folders:
        folder.mkdir()
    for folder in folders[:2]:
        result = send(campaign, server.port, cwd=folder)
        assert result.returncode == 0, result.stderr
        assert (folder / "output").is_dir()
    assert copies(server) == EVERY_ADDRESS_ONCE
    data, recipients = campaign
    dry = run("mail", "--recipients", recipients, "--data", data, cwd=folders[2])
    assert [status(line) for line in department_lines(dry.stdout).values()] == ["déjà envoyé", "déjà envoyé"], dry.stderr
    assert f"journal des envois : {journal_path()}" in dry.stderr  # the dry run names it
    print("copies per address after runs from two working directories:", dict(copies(server)))


def test_a_journal_left_in_an_output_folder_is_merged_once(tmp_path, campaign, server):
    out = tmp_path / "out"
    legacy = out / ".mail-journal.json"
    # Where earlier versions kept it: the same file, written by a run that was told to use it.
    first = send(campaign, server.port, "--out", out, "--journal", legacy)
    assert first.returncode == 0 and legacy.is_file() and not journal_path().exists(), first.stderr
    assert copies(server) == EVERY_ADDRESS_ONCE

    data, recipients = campaign
    dry = run("mail", "--recipients", recipients, "--data", data, "--out", out)
    assert f"ancien journal d'envoi {legacy} pris en compte" in dry.stderr and not journal_path().exists()
    assert [status(line) for line in department_lines(dry.stdout).values()] == ["déjà envoyé", "déjà envoyé"]

    merged = send(campaign, server.port, "--out", out)
    assert merged.returncode == 0, merged.stderr
    (line,) = [line for line in merged.stderr.splitlines() if "fusionné" in line]
    assert f"ancien journal d'envoi {legacy} fusionné dans {journal_path()} (3 entrée(s) ajoutée(s))" in line
    assert [status(line) for line in department_lines(merged.stdout).values()] == ["déjà envoyé", "déjà envoyé"]
    entries = json.loads(journal_path().read_text(encoding="utf-8"))["entries"]
    assert sorted(entry["address"] for entry in entries if entry["state"] == "sent") == sorted(EVERY_ADDRESS_ONCE)

    again = send(campaign, server.port, "--out", out)
    assert again.returncode == 0 and "fusionné" not in again.stderr and "ancien journal" not in again.stderr
    elsewhere = send(campaign, server.port, "--out", tmp_path / "other")
    assert elsewhere.returncode == 0 and "ancien journal" not in elsewhere.stderr
    assert copies(server) == EVERY_ADDRESS_ONCE


def test_the_default_state_folder_follows_the_configuration(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.delenv("FACTSHEETS_STATE")
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.delenv(paths.HOME_VARIABLE, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv(paths.CONFIG_VARIABLE, raising=False)
    assert paths.state_dir() == home / ".local" / "state" / "factsheets" / "defaut"
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert paths.state_dir() == tmp_path / "xdg" / "factsheets" / "defaut"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/ignored")  # the XDG rule: only absolute paths count
    assert paths.state_dir() == home / ".local" / "state" / "factsheets" / "defaut"

    config = tmp_path / "ma config"
    config.mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(paths.CONFIG_VARIABLE, "ma config")
    here = paths.state_dir()
    monkeypatch.chdir(config)
    monkeypatch.setenv(paths.CONFIG_VARIABLE, ".")
    assert paths.state_dir() == here  # the same folder from anywhere, the same state
    assert here.parent == home / ".local" / "state" / "factsheets" and here.name.startswith("ma_config-")
    monkeypatch.setenv(paths.CONFIG_VARIABLE, str(tmp_path / "other"))
    assert paths.state_dir() != here  # another configuration, another journal
    monkeypatch.setenv("FACTSHEETS_STATE", "state-here")
    assert paths.state_dir() == config / "state-here"


def test_the_journal_goes_to_the_home_state_folder_by_default(tmp_path, campaign, server):
    env = {key: value for key, value in os.environ.items() if key not in ("FACTSHEETS_STATE", "XDG_STATE_HOME")}
    env["HOME"] = str(tmp_path / "home")
    result = send(campaign, server.port, "--out", tmp_path / "out", env=env)
    assert result.returncode == 0, result.stderr
    journal = tmp_path / "home" / ".local" / "state" / "factsheets" / "defaut" / ".mail-journal.json"
    assert journal.is_file() and copies(server) == EVERY_ADDRESS_ONCE


def test_a_folder_as_journal_is_one_line(tmp_path, campaign, server):
    line = one_error_line(send(campaign, server.port, "--out", tmp_path / "out", "--journal", tmp_path))
    assert line.startswith("factsheets : erreur : --journal : ") and "est un dossier" in line
    assert server.ehlo_seen == 0 and copies(server) == Counter()


def test_mail_help_names_the_state_folder():
    result = run("mail", "-h")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "--journal" in text and "FACTSHEETS_STATE" in text and "~/.local/state/factsheets/" in text


def test_two_runs_side_by_side_with_two_out_folders_send_once(tmp_path, campaign, server):
    """The lock is the journal's: a second run with another --out, while the first is sending,
    is refused in one line and sends nothing."""
    data, recipients = campaign
    for out in ("out-a", "out-b"):  # rendered up front (a dry run), so that the second run meets the first
        assert run("mail", "--recipients", recipients, "--data", data, "--out", tmp_path / out).returncode == 0
    server.data_delay = 3.0
    first = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "factsheets",
            "mail",
            "--recipients",
            str(recipients),
            "--data",
            str(data),
            "--smtp-port",
            str(server.port),
            "--send",
            "--out",
            str(tmp_path / "out-a"),
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not server.rcpt_seen:
            assert first.poll() is None and time.monotonic() < deadline, first.communicate()
            time.sleep(0.01)
        line = one_error_line(send(campaign, server.port, "--out", tmp_path / "out-b"))
        assert "une autre commande « factsheets mail --send » utilise le journal" in line and str(journal_path()) in line
        server.data_delay = 0.0  # refused while the first message was in flight: the rest need not wait
        stdout, stderr = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, stderr
    assert copies(server) == EVERY_ADDRESS_ONCE


# -- a full disk while the journal is written --------------------------------------------------------
FULL_DISK_CODES = CODES[:6]
FOUR_EACH = {code: {"to": [f"d{code}-{n}@example.org" for n in range(4)]} for code in FULL_DISK_CODES}


def test_a_full_disk_while_the_journal_is_written(tmp_path, server, full_disk, monkeypatch):
    """The state folder on a small tmpfs, filled so that 0 to 5 pages of 4 KiB stay free: the
    journal (rewritten whole before and after each message, and growing with each) runs out of
    room at another write each time, before a message (nothing sent for it) or after the
    server accepted one. Each run ends with one French line naming the disk, exit 2, no
    traceback, the journal whole; then the disk is freed and a second run, with the same
    journal, completes the campaign: every address receives its sheet exactly once in all."""
    from cli_helpers import run_in_process
    from test_adversarial import problem_lines

    from factsheets.mail import Journal

    data = canonical_csv(tmp_path / "data.csv", FULL_DISK_CODES)
    recipients = recipients_yaml(tmp_path / "recipients.yaml", FOUR_EACH)
    every_address = {address for roles in FOUR_EACH.values() for address in roles["to"]}
    out = tmp_path / "out"
    args = ["mail", "--recipients", recipients, "--data", data, "--out", out, "--smtp-port", server.port]
    assert run_in_process(*args).returncode == 0  # the sheets, rendered once (a dry run)
    state = full_disk / "state"
    monkeypatch.setenv("FACTSHEETS_STATE", str(state))
    filler = full_disk / "bouche-trou"
    kinds = Counter()
    for free_pages in range(6):
        server.messages.clear()
        filler.write_bytes(b"\0" * (shutil.disk_usage(full_disk).free - free_pages * 4096))
        first = run_in_process(*args, "--send")
        assert first.returncode == 2, (free_pages, first.stdout, first.stderr)
        assert "Traceback" not in first.stderr
        (line,) = problem_lines(first.stderr)
        assert line.startswith(
            f"factsheets : erreur : {state / '.mail-journal.json'} : journal d'envoi non écrit, disque plein ({full_disk}, "
        )
        assert "puis relancez la commande avec le même journal" in line
        accepted = "a pourtant été accepté par le serveur" in line  # else: nothing sent for that department
        kinds["after the server accepted" if accepted else "before the message"] += 1
        leftovers = [path.name for path in state.iterdir() if path.name not in (".mail-journal.json", ".mail-journal.json.lock")]
        assert leftovers == []  # no temporary file left behind
        journal = Journal.load(state / ".mail-journal.json")  # whole: it parses and every entry is valid
        before = copies(server)
        assert all(count == 1 for count in before.values())
        assert {entry["address"] for entry in journal.entries if entry["state"] == "sent"} <= set(before)

        filler.unlink()
        second = run_in_process(*args, "--send")
        assert second.returncode == 0, second.stderr
        assert "Traceback" not in second.stderr
        assert copies(server) == dict.fromkeys(every_address, 1), (free_pages, copies(server))  # counted at the server
        statuses = Counter(status(line) for line in department_lines(second.stdout).values())
        assert statuses["incertain"] == (1 if accepted else 0)  # accepted, not journalled: never sent again
        shutil.rmtree(state)
        print(
            f"{free_pages} page(s) free: {'accepted, then' if accepted else 'before a message:'} disk full; second run: {dict(statuses)}"
        )
    assert kinds["before the message"] >= 2 and kinds["after the server accepted"] >= 2, kinds


def test_a_full_disk_while_an_old_journal_is_merged(tmp_path, server, full_disk, monkeypatch):
    """The journal an earlier version left in --out is merged into the state folder's before
    anything is sent: with that disk full, nothing is sent and the line names the disk; once
    it is freed, the merged entries keep what was sent from being sent again."""
    from cli_helpers import run_in_process
    from test_adversarial import problem_lines

    data = canonical_csv(tmp_path / "data.csv", DEPARTMENTS)
    recipients = recipients_yaml(tmp_path / "recipients.yaml", ADDRESSES)
    out = tmp_path / "out"
    args = ["mail", "--recipients", recipients, "--data", data, "--out", out, "--smtp-port", server.port, "--send"]
    old = run_in_process(*args, "--dept", "01", "--journal", out / ".mail-journal.json")  # where earlier versions kept it
    assert old.returncode == 0, old.stderr
    assert copies(server) == {"d01@example.org": 1, "c01@example.org": 1}
    state = full_disk / "state"
    monkeypatch.setenv("FACTSHEETS_STATE", str(state))
    filler = full_disk / "bouche-trou"
    filler.write_bytes(b"\0" * shutil.disk_usage(full_disk).free)
    full = run_in_process(*args)
    assert full.returncode == 2 and "Traceback" not in full.stderr
    (line,) = problem_lines(full.stderr)
    assert line.startswith(
        f"factsheets : erreur : {state / '.mail-journal.json'} : journal d'envoi non écrit, disque plein ({full_disk}, "
    )
    assert f"en écrivant dans {state} ; rien n'a été envoyé ; libérez de la place" in line  # at the merge, before any message
    assert copies(server) == {"d01@example.org": 1, "c01@example.org": 1}
    filler.unlink()
    freed = run_in_process(*args)
    assert freed.returncode == 0, freed.stderr
    assert f"ancien journal d'envoi {out / '.mail-journal.json'} fusionné dans {state / '.mail-journal.json'}" in freed.stderr
    assert [status(line) for line in department_lines(freed.stdout).values()] == ["déjà envoyé", "envoyé"]
    assert copies(server) == EVERY_ADDRESS_ONCE
