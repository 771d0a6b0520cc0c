"""`factsheets mail` against a real SMTP server on 127.0.0.1 (aiosmtpd), with pre-made sheets.

Most tests put small fake PDFs (different bytes per department) where `render` would write
the sheets, so nothing is rendered; one end-to-end test renders for real.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import ipaddress
import json
import os
import shutil
import socket
import ssl
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from factsheets.errors import FactsheetsError
from factsheets.mail import (
    MAIL_CONFIG,
    Journal,
    MailValidationError,
    SmtpSession,
    is_loopback,
    journal_lock,
    load_mail_config,
    load_recipients,
    parse_mailbox,
    run_mail,
    smtp_credentials,
)

YEAR = 2024
FAST = replace(load_mail_config(), retries=2, backoff_seconds=0.01, backoff_factor=1, timeout_seconds=5)
RECIPIENTS = """\
departments:
  "02":
    to: [contact-aisne@example.org]
    cc: [copie@example.org]
  "60":
    to: ["Service développement économique <contact-oise@example.org>", second-oise@example.org]
  "80":
    to: [contact-somme@example.org]
    bcc: [archive@example.org]
"""
ENVELOPES = {
    "02": ["contact-aisne@example.org", "copie@example.org"],
    "60": ["contact-oise@example.org", "second-oise@example.org"],
    "80": ["contact-somme@example.org", "archive@example.org"],
}


# -- fixtures ------------------------------------------------------------------------------
class Recorder:
    """aiosmtpd handler: records accepted messages; can refuse recipients, fail DATA, or hold.

    `hold_after = n` makes the server stall the MAIL command that follows the n-th accepted
    message (setting `holding`) until `release` is set, then refuse it: the client is then
    caught between two departments, which is where the kill test kills it.
    """

    HOLD_LIMIT_SECONDS = 30

    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refused: set[str] = set()
        self.rcpt_seen: list[str] = []
        self.ehlo_seen = 0  # every client greets first: 0 means nobody talked to the server
        self.data_failures = 0
        self.hold_after: int | None = None
        self.data_delay = 0.0  # seconds the server takes over each message's data
        self.drop_after_store = 0  # the next n messages are stored, then the connection is cut unanswered
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.ehlo_seen += 1
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.hold_after is not None and len(self.messages) == self.hold_after:
            self.hold_after = None
            self.holding.set()
            deadline = time.monotonic() + self.HOLD_LIMIT_SECONDS
            while not self.release.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.01)  # not time.sleep: other connections are served meanwhile
            return "421 4.3.2 Service shutting down"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_seen.append(address)
        if address in self.refused:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_failures > 0:
            self.data_failures -= 1
            return "451 4.3.0 Temporary failure, try again"
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
        if self.drop_after_store > 0:
            self.drop_after_store -= 1
            server.transport.abort()  # stored, but the client never hears "250"
        return "250 2.0.0 Accepted"

    def parsed(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(raw, policy=email.policy.default) for _, _, raw in self.messages]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server():
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    recorder.port = controller.port
    yield recorder
    recorder.release.set()  # a held command must not block the shutdown
    controller.stop()


def sheet_path(out: Path, code: str, year: int = YEAR) -> Path:
    from factsheets.reference import load_reference
    from factsheets.render import sheet_filename

    return out / sheet_filename(year, code, load_reference().department(code)[1])


def make_sheet(out: Path, code: str, extra: bytes = b"") -> Path:
    path = sheet_path(out, code)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF-1.4\n% fake sheet of department " + code.encode() + b"\n" + bytes(range(256)) + extra)
    return path


@pytest.fixture
def setup(tmp_path):
    out = tmp_path / "out"
    for code in ("02", "60", "80"):
        make_sheet(out, code)
    recipients = tmp_path / "recipients.yaml"
    recipients.write_text(RECIPIENTS, encoding="utf-8")
    return recipients, out


class PremadeSheets:
    """Stands for the renderer: the "fresh" sheet of a department is the file made by
    make_sheet, so these tests exercise the journal and SMTP logic without drawing sheets
    (test_mail_campaign.py renders for real)."""

    year = YEAR
    synthetic = False

    def __init__(self, out: Path):
        self.out = out

    def sheet_bytes(self, code: str) -> bytes:
        path = sheet_path(self.out, code)
        if not path.is_file():
            raise FactsheetsError(f"pas de fiche {path.name}")
        return path.read_bytes()


def mail(
    recipients,
    out,
    port,
    *,
    send,
    resend=False,
    codes=None,
    on_sent=None,
    config=FAST,
    year=YEAR,
    data=None,
    host="127.0.0.1",
    sender=None,
    **options,
):
    logs, shown = [], []
    report = run_mail(
        recipients=recipients,
        codes=codes,
        year=year,
        out_dir=out,
        data=data or out.parent / "no-data-needed.csv",
        sender=sender,
        smtp_host=host,
        smtp_port=port,
        send=send,
        resend=resend,
        log=logs.append,
        show=shown.append,
        config=config,
        on_sent=on_sent,
        **{"sheets": None if data else PremadeSheets(out), **options},
    )
    return report, shown, logs


def journal_path() -> Path:
    """The journal of the test's runs: in its state folder (conftest.py sets FACTSHEETS_STATE)."""
    return Path(os.environ["FACTSHEETS_STATE"]) / ".mail-journal.json"


def journal_entries() -> list[dict]:
    """One dict per message the server accepted (the journal keeps one entry per address)."""
    path = journal_path()
    if not path.exists():
        return []
    messages: dict[str, dict] = {}
    for entry in json.loads(path.read_text(encoding="utf-8"))["entries"]:
        if entry["state"] == "sent":
            messages.setdefault(entry["message_id"], {**entry, "addresses": []})["addresses"].append(entry["address"])
    return list(messages.values())


def attachment(message) -> tuple[str, str, bytes]:
    (part,) = list(message.iter_attachments())
    return part.get_content_type(), part.get_filename(), part.get_content()


# -- dry run ---------------------------------------------------------------------------------
def test_dry_run_sends_nothing_and_shows_the_plan(setup, server):
    recipients, out = setup
    report, shown, logs = mail(recipients, out, server.port, send=False)
    assert server.messages == [] and server.rcpt_seen == [] and server.ehlo_seen == 0
    assert not journal_path().exists()
    assert report.dry_run and report.sent == [] and report.failures == {}
    assert len(shown) == 3 and shown == report.lines
    aisne = next(line for line in shown if " 02 " in line)
    assert aisne.startswith("à envoyer : 02 Aisne")
    assert "contact-aisne@example.org" in aisne and "cc copie@example.org" in aisne
    assert "Aisne (02)" in aisne and str(YEAR) in aisne  # the subject
    size = sheet_path(out, "02").stat().st_size
    assert f"{sheet_path(out, '02').name} ({size} octets)" in aisne
    assert "cci archive@example.org" in next(line for line in shown if " 80 " in line)
    assert any("rien n'a été envoyé" in line and "--send" in line for line in logs)
    assert any(f"127.0.0.1:{server.port} (en clair, cette machine uniquement, sans authentification)" in line for line in logs)


# -- sending ---------------------------------------------------------------------------------
def test_send_delivers_one_message_per_department(setup, server):
    recipients, out = setup
    report, shown, logs = mail(recipients, out, server.port, send=True)
    assert report.failures == {} and sorted(report.sent) == ["02", "60", "80"]
    assert len(server.messages) == 3
    by_code = {}
    for (mail_from, rcpts, _), message in zip(server.messages, server.parsed()):
        _, filename, content = attachment(message)
        code = filename.split("-")[3]
        by_code[code] = message
        assert sorted(rcpts) == sorted(ENVELOPES[code])  # to + cc (+ bcc) in the envelope
        assert mail_from == "no-reply@example.org"
    assert sorted(by_code) == ["02", "60", "80"]

    aisne = by_code["02"]
    assert [a.addr_spec for a in aisne["To"].addresses] == ["contact-aisne@example.org"]
    assert [a.addr_spec for a in aisne["Cc"].addresses] == ["copie@example.org"]
    assert aisne["Subject"] == f"Les indicateurs clés\u00a0: commerce extérieur – Aisne (02) – {YEAR}"
    body = aisne.get_body(("plain",)).get_content()
    assert "du département de l’Aisne (02)" in body and str(YEAR) in body and "l’importation" in body
    assert aisne["Message-ID"] and aisne["Date"]

    oise = by_code["60"]
    assert oise["To"].addresses[0].display_name == "Service développement économique"
    assert oise["Cc"] is None
    assert "Bcc" not in by_code["80"] and "archive@example.org" not in str(by_code["80"])
    for code, message in by_code.items():
        content_type, filename, content = attachment(message)
        assert content_type == "application/pdf"
        assert filename == sheet_path(out, code).name
        assert content == sheet_path(out, code).read_bytes()  # byte-identical

    entries = journal_entries()
    assert [(e["year"], e["department"]) for e in entries] == [(YEAR, c) for c in report.sent]
    for entry in entries:
        assert entry["sha256"] == __import__("hashlib").sha256(sheet_path(out, entry["department"]).read_bytes()).hexdigest()
    assert all(line.startswith("envoyé : ") for line in shown)


def test_a_second_run_sends_nothing_again(setup, server):
    recipients, out = setup
    mail(recipients, out, server.port, send=True)
    report, shown, _ = mail(recipients, out, server.port, send=True)
    assert len(server.messages) == 3
    assert report.sent == [] and sorted(report.already_sent) == ["02", "60", "80"]
    assert all(line.startswith("déjà envoyé : ") and "pas d'envoi en double" in line for line in shown)
    assert len(journal_entries()) == 3


def test_a_changed_sheet_is_sent_again_only_with_resend(setup, server):
    recipients, out = setup
    mail(recipients, out, server.port, send=True)
    changed = make_sheet(out, "60", extra=b"re-rendered")

    report, shown, _ = mail(recipients, out, server.port, send=True)
    assert len(server.messages) == 3 and report.changed == ["60"] and report.failures == {}
    assert any(line.startswith("modifié : 60 Oise") and "utilisez --resend" in line for line in shown)

    dry, shown, _ = mail(recipients, out, server.port, send=False, resend=True)
    assert any(line.startswith("à renvoyer : 60 Oise") for line in shown) and len(server.messages) == 3

    report, _, _ = mail(recipients, out, server.port, send=True, resend=True)
    assert report.sent == ["60"] and sorted(report.already_sent) == ["02", "80"]
    assert len(server.messages) == 4
    assert attachment(server.parsed()[-1])[2] == changed.read_bytes()
    # Back to content that was already accepted once: never sent twice.
    make_sheet(out, "60")
    report, _, _ = mail(recipients, out, server.port, send=True, resend=True)
    assert report.sent == [] and len(server.messages) == 4


def test_an_interrupted_run_sends_only_what_is_left(setup, server):
    recipients, out = setup

    def interrupt(code):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        mail(recipients, out, server.port, send=True, on_sent=interrupt)
    assert len(server.messages) == 1 and len(journal_entries()) == 1

    report, _, _ = mail(recipients, out, server.port, send=True)
    assert len(report.sent) == 2 and len(report.already_sent) == 1
    assert len(server.messages) == 3  # exactly three in total
    names = sorted(attachment(message)[1] for message in server.parsed())
    assert names == sorted(sheet_path(out, code).name for code in ("02", "60", "80"))


def test_only_the_requested_departments(setup, server):
    recipients, out = setup
    report, shown, _ = mail(recipients, out, server.port, send=True, codes=["60"])
    assert report.sent == ["60"] and len(shown) == 1 and len(server.messages) == 1
    with pytest.raises(FactsheetsError, match="le département 75 n'a pas d'entrée"):
        mail(recipients, out, server.port, send=True, codes=["75"])


# -- failures ----------------------------------------------------------------------------------
def test_server_down_fails_the_first_department_and_skips_the_others(setup, server):
    recipients, out = setup
    port = free_port()  # nothing listens there
    started = time.monotonic()
    report, shown, logs = mail(recipients, out, port, send=True)
    assert sorted(report.failures) == ["02", "60", "80"] and report.sent == []
    assert "connexion refusée" in report.failures["02"] and "après 3 tentatives" in report.failures["02"]
    for code in ("60", "80"):
        assert report.failures[code] == "serveur inutilisable : " + report.failures["02"]
    assert sum("nouvel essai" in line for line in logs) == 2
    assert sum(line.startswith("factsheets : échec : ") for line in logs) == 1
    assert journal_entries() == []
    assert [line.split(" : ")[0] for line in shown] == ["échec", "non tenté", "non tenté"]
    assert time.monotonic() - started < 5

    # Once a server answers, a re-run sends all three.
    report, _, _ = mail(recipients, out, server.port, send=True)
    assert sorted(report.sent) == ["02", "60", "80"] and report.failures == {} and len(server.messages) == 3


def test_a_refusal_after_the_session_opened_does_not_stop_the_others(setup, server):
    """A department whose message fails after the session opened is not the server's fault."""
    recipients, out = setup
    server.data_failures = 99  # every DATA gets a temporary failure
    report, shown, _ = mail(recipients, out, server.port, send=True)
    assert sorted(report.failures) == ["02", "60", "80"]
    assert all("451" in message for message in report.failures.values())
    assert [line.split(" : ")[0] for line in shown] == ["échec"] * 3


def test_retries_wait_longer_each_time(setup, monkeypatch):
    recipients, out = setup
    waits: list[float] = []
    monkeypatch.setattr("factsheets.mail.campaign.sleep_in_slices", waits.append)  # record the backoff, do not wait
    config = replace(FAST, retries=3, backoff_seconds=0.5, backoff_factor=2)
    report, _, logs = mail(recipients, out, free_port(), send=True, codes=["02", "60"], config=config)
    assert sorted(report.failures) == ["02", "60"]
    assert waits == [0.5, 1.0, 2.0]  # bounded: retries + 1 attempts, and the next department is not tried
    assert sum("nouvel essai dans 2 s" in line for line in logs) == 1


def test_the_shipped_config_retries_with_backoff():
    config = load_mail_config()
    assert config.retries >= 1 and config.backoff_seconds > 0 and config.backoff_factor >= 1
    assert "{department}" in config.subject and "{year}" in config.subject and "{de_department}" in config.body


def test_a_refused_recipient_fails_that_department_only(setup, server):
    recipients, out = setup
    server.refused.add("second-oise@example.org")
    report, _, logs = mail(recipients, out, server.port, send=True)
    assert list(report.failures) == ["60"]
    assert "second-oise@example.org" in report.failures["60"] and "550" in report.failures["60"]
    assert server.rcpt_seen.count("second-oise@example.org") == 1  # a permanent refusal (5xx) is not retried
    assert sorted(report.sent) == ["02", "80"] and len(server.messages) == 2
    # All or nothing: the accepted Oise recipient did not get it either.
    assert all("contact-oise@example.org" not in rcpts for _, rcpts, _ in server.messages)
    assert [e["department"] for e in journal_entries()] == report.sent

    server.refused.clear()
    report, _, _ = mail(recipients, out, server.port, send=True)
    assert report.sent == ["60"] and len(server.messages) == 3


def test_a_temporary_failure_is_retried(setup, server):
    recipients, out = setup
    server.data_failures = 2
    report, _, logs = mail(recipients, out, server.port, send=True, codes=["02"])
    assert report.sent == ["02"] and report.failures == {} and len(server.messages) == 1
    assert sum("451" in line and "nouvel essai" in line for line in logs) == 2


def test_a_timeout_is_reported(setup):
    recipients, out = setup
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        config = replace(FAST, timeout_seconds=0.2, retries=1)
        report, _, _ = mail(recipients, out, silent.getsockname()[1], send=True, codes=["02"], config=config)
    assert "aucune réponse" in report.failures["02"] and "0,2 s" in report.failures["02"]
    assert journal_entries() == []


# -- validation before sending ---------------------------------------------------------------------
def test_every_problem_is_reported_together_and_nothing_is_sent(tmp_path, server):
    out = tmp_path / "out"
    make_sheet(out, "02")
    recipients = tmp_path / "recipients.yaml"
    recipients.write_text(
        "departments:\n"
        '  "02":\n'
        '    to: [contact-aisne@example.org, "pas une adresse"]\n'
        '  "99":\n'
        "    to: [x@example.org]\n"
        '  "60":\n'
        "    to: [contact-oise@example]\n"
        '  "80":\n'
        "    to: [contact-somme@example.org]\n",
        encoding="utf-8",
    )
    with pytest.raises(MailValidationError) as caught:
        mail(recipients, out, server.port, send=True, data=tmp_path / "absent.csv", sender="pas-valide")
    *problems, summary = [problem.text() for problem in caught.value.problems]
    assert len(problems) == 5, problems
    assert summary == f"{recipients} : 5 problèmes (listés ci-dessus) ; rien n'a été envoyé ; corrigez-les et relancez"
    assert any("recipients.yaml:3" in p and "« pas une adresse »" in p for p in problems)
    assert any("recipients.yaml:4" in p and "« 99 »" in p and "département" in p for p in problems)
    assert any("recipients.yaml:7" in p and "contact-oise@example" in p for p in problems)
    assert any("--from" in p and "pas-valide" in p for p in problems)
    # The data to render the sheets is missing.
    assert any("absent.csv" in p and "produire" in p for p in problems)
    assert "5 problèmes" in str(caught.value) and "rien n'a été envoyé" in str(caught.value)
    assert server.rcpt_seen == [] and not journal_path().exists()


def test_a_single_problem_is_the_error_line(setup, server, monkeypatch):
    recipients, out = setup
    monkeypatch.setenv("FACTSHEETS_SMTP_USER", "robot")
    monkeypatch.delenv("FACTSHEETS_SMTP_PASSWORD", raising=False)
    with pytest.raises(FactsheetsError) as caught:
        mail(recipients, out, server.port, send=True)
    assert "FACTSHEETS_SMTP_PASSWORD n'est pas défini" in str(caught.value)
    assert server.rcpt_seen == []


class FixedSheets(PremadeSheets):
    """A renderer whose fresh sheets are fixed bytes, whatever is on disk."""

    def __init__(self, content: dict[str, bytes]):
        self.content = content

    def sheet_bytes(self, code: str) -> bytes:
        return self.content[code]


def test_a_damaged_sheet_on_disk_is_replaced_by_the_fresh_one(setup, server):
    recipients, out = setup
    fresh = {code: b"%PDF-1.4\n% fresh sheet " + code.encode() + bytes(range(256)) for code in ("02", "60", "80")}
    sheet_path(out, "60").write_bytes(b"%PDF-1.4\n% trunc")
    sheet_path(out, "80").unlink()
    report, shown, logs = mail(recipients, out, server.port, send=True, sheets=FixedSheets(fresh))
    assert sorted(report.sent) == ["02", "60", "80"]
    by_code = {attachment(message)[1].split("-")[3]: attachment(message)[2] for message in server.parsed()}
    assert by_code == fresh and all(sheet_path(out, code).read_bytes() == fresh[code] for code in fresh)
    notes = {line.split(" : ")[1].split()[0]: line for line in shown}
    assert all("fiche recalculée" in notes[code] for code in ("02", "60")) and "fiche produite" in notes["80"]
    assert any("fiche recalculée" in line and sheet_path(out, "60").name in line for line in logs)


def test_a_journal_that_cannot_be_written_stops_the_run(setup, server, monkeypatch):
    from factsheets.files import write_atomically

    recipients, out = setup
    writes = []

    def disk_full_after_the_intent(path, data, **options):
        writes.append(path)
        if len(writes) > 1:
            raise OSError(28, "No space left on device")
        write_atomically(path, data, **options)

    monkeypatch.setattr("factsheets.mail.journal.write_atomically", disk_full_after_the_intent)
    with pytest.raises(
        FactsheetsError, match="journal d'envoi non écrit, disque plein.*a pourtant été accepté par le serveur.*« incertain »"
    ):
        mail(recipients, out, server.port, send=True)
    assert len(server.messages) == 1  # stopped at once: nothing else sent without a record
    monkeypatch.undo()
    report, shown, _ = mail(recipients, out, server.port, send=True)
    assert report.uncertain == ["02"] and shown[0].startswith("incertain : 02 Aisne")
    assert len(server.messages) == 3  # the unknown one is not sent again


def test_a_journal_that_cannot_be_written_before_sending_sends_nothing(setup, server, monkeypatch):
    recipients, out = setup

    def disk_full(path, data, **options):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("factsheets.mail.journal.write_atomically", disk_full)
    with pytest.raises(FactsheetsError, match="rien n'a été envoyé pour le département 02"):
        mail(recipients, out, server.port, send=True)
    assert server.messages == []  # the recipients were accepted, the data never sent


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, ["recipients.yaml", "introuvable"]),
        ('departments:\n  "02": [a@b.fr\n', ["recipients.yaml:", "YAML invalide"]),
        ("", ["recipients.yaml", "fichier vide"]),
        ("- a@b.fr\n", ["recipients.yaml:1", "« departments »"]),
        ("destinataires: {}\n", ["recipients.yaml:1", "clé inconnue « destinataires »"]),
        ("departments: [a@b.fr]\n", ["recipients.yaml:1", "« departments »", "codes de département"]),
        ('departments:\n  "02": a@b.fr\n', ["recipients.yaml:2", "« departments.02 »", "« to »"]),
        ('departments:\n  "02":\n    cc: [a@b.fr]\n', ["recipients.yaml:2", "clé « departments.02.to » manquante"]),
        ('departments:\n  "02":\n    to: [a@b.fr]\n    too: [c@d.fr]\n', ["recipients.yaml:4", "« departments.02.too »"]),
        ('departments:\n  "02":\n    to: {a: b}\n', ["recipients.yaml:3", "« departments.02.to »", "liste"]),
    ],
)
def test_a_broken_recipients_file_names_file_and_key(tmp_path, content, expected):
    path = tmp_path / "recipients.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(FactsheetsError) as caught:
        load_recipients(path)
    for fragment in expected:
        assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


def test_recipients_keys_keep_their_written_text(tmp_path):
    path = tmp_path / "recipients.yaml"
    path.write_text("departments:\n  02:\n    to: a@b.fr\n  2A:\n    to: [c@d.fr]\n  971:\n    to: [e@f.fr]\n", encoding="utf-8")
    book = load_recipients(path)
    assert book.problems == []
    assert [entry.code for entry in book.entries] == ["02", "2A", "971"]
    assert [box.address for box in book.entries[0].to] == ["a@b.fr"]


def test_addresses_and_hosts():
    assert parse_mailbox("contact@example.org").address == "contact@example.org"
    named = parse_mailbox("Mairie d’Amiens <mairie@amiens.fr>")
    assert (named.name, named.address) == ("Mairie d’Amiens", "mairie@amiens.fr")
    for bad in (
        "contact",
        "contact@",
        "@example.org",
        "contact@example",
        "a b@example.org",
        "a@b@example.org",
        "contact@example..org",
        "Nom <contact@example>",
        "a@example.org\nBcc: x@y.fr",
        ".a@example.org",
    ):
        assert parse_mailbox(bad) is None, bad
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1") and is_loopback("127.0.0.2")
    assert not is_loopback("smtp.example.org") and not is_loopback("192.168.1.10") and not is_loopback("10.0.0.1")
    assert smtp_credentials({}) is None
    assert smtp_credentials({"FACTSHEETS_SMTP_USER": "u", "FACTSHEETS_SMTP_PASSWORD": "p"}) == ("u", "p")
    with pytest.raises(FactsheetsError, match="FACTSHEETS_SMTP_USER n'est pas défini"):
        smtp_credentials({"FACTSHEETS_SMTP_PASSWORD": "p"})


def test_bad_templates_and_journal_are_reported(tmp_path, setup, server):
    config = MAIL_CONFIG.read_text(encoding="utf-8")
    broken = tmp_path / "mail.yaml"
    broken.write_text(config.replace("({code})", "({departement})", 1), encoding="utf-8")
    with pytest.raises(FactsheetsError, match=r"mail.yaml:\d+ : clé « subject » : variable inconnue \{departement\}"):
        load_mail_config(broken)
    recipients, out = setup
    (out / ".mail-journal.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(FactsheetsError, match="mail-journal.json : journal d'envoi illisible"):
        mail(recipients, out, server.port, send=False)
    assert Journal.load(tmp_path / "absent.json").entries == []


def test_the_journal_is_replaced_atomically(tmp_path, monkeypatch):
    import os

    path = tmp_path / ".mail-journal.json"
    journal = Journal(path, [])
    first = {"year": YEAR, "department": "02", "address": "a@example.org", "sha256": "a" * 64, "message_id": "<1@x>"}
    renames, syncs = [], []
    real_replace, real_fsync = os.replace, os.fsync
    monkeypatch.setattr(
        os, "replace", lambda source, target: (renames.append((Path(source), Path(target))), real_replace(source, target))
    )
    monkeypatch.setattr(os, "fsync", lambda descriptor: (syncs.append(descriptor), real_fsync(descriptor)))
    journal.begin([first])
    ((source, target),) = renames
    assert target == path and source.parent == path.parent  # same folder: the rename is atomic
    assert len(syncs) == 2  # durable: the file, then the folder holding the rename
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # like any file the user creates, not private
    before = path.read_bytes()

    def crash(source, target):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        journal.finish("<1@x>", "sent", sent_at="2024-01-01T00:00:00+00:00")
    monkeypatch.undo()
    assert path.read_bytes() == before  # the old journal, whole
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind
    (entry,) = Journal.load(path).entries
    assert entry["state"] == "intent" and entry["address"] == "a@example.org"
    assert Journal.load(path).state(YEAR, "02", "A@example.org", "a" * 64).kind == "uncertain"


def test_journal_states_per_address_and_matching_dates(tmp_path):
    path = tmp_path / ".mail-journal.json"
    old, new = "a" * 64, "b" * 64
    entry = {"year": YEAR, "department": "02", "role": "to"}
    path.write_text(
        json.dumps(
            {
                "format": 2,
                "entries": [
                    {
                        **entry,
                        "address": "x@example.org",
                        "sha256": old,
                        "state": "sent",
                        "intent_at": "2024-01-01",
                        "sent_at": "2024-01-01",
                    },
                    {
                        **entry,
                        "address": "x@example.org",
                        "sha256": new,
                        "state": "sent",
                        "intent_at": "2024-02-01",
                        "sent_at": "2024-02-01",
                    },
                    {
                        **entry,
                        "address": "y@example.org",
                        "sha256": old,
                        "state": "sent",
                        "intent_at": "2024-01-01",
                        "sent_at": "2024-01-01",
                    },
                    {**entry, "address": "z@example.org", "sha256": new, "state": "failed", "intent_at": "2024-02-01"},
                ],
            }
        ),
        encoding="utf-8",
    )
    journal = Journal.load(path)
    # "déjà envoyé le …" is the date of the entry with this content, not of the latest one.
    assert journal.state(YEAR, "02", "x@example.org", old).date == "2024-01-01"
    assert journal.state(YEAR, "02", "x@example.org", new).date == "2024-02-01"
    assert journal.state(YEAR, "02", "y@example.org", new).kind == "changed"
    assert journal.state(YEAR, "02", "z@example.org", new).kind == "new"  # refused: never delivered
    assert journal.state(YEAR, "60", "x@example.org", new).kind == "new"


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"state": "sent"}, "champ « sent_at » manquant"),
        ({"state": "intent", "intent_at": 3}, "champ « intent_at » invalide"),
        ({"state": "lost", "sent_at": "x"}, "état « lost » inconnu"),
        ({"state": "sent", "sent_at": "x", "sha256": "zz"}, "champ « sha256 » invalide"),
    ],
)
def test_a_malformed_journal_entry_names_the_file_and_the_entry(tmp_path, entry, expected):
    path = tmp_path / ".mail-journal.json"
    good = {"year": YEAR, "department": "02", "address": "x@example.org", "sha256": "a" * 64, "state": "sent", "sent_at": "x"}
    bad = {key: value for key, value in {**good, **entry}.items() if key != "sent_at" or "sent_at" in entry}
    path.write_text(json.dumps({"format": 2, "entries": [good, bad]}), encoding="utf-8")
    with pytest.raises(FactsheetsError) as caught:
        Journal.load(path)
    assert str(caught.value).startswith(f"{path} : entrée n° 2 du journal") and expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_journal_of_the_previous_format_is_read_per_address(tmp_path):
    path = tmp_path / ".mail-journal.json"
    path.write_text(
        json.dumps(
            {
                "format": 1,
                "sent": [
                    {
                        "year": YEAR,
                        "department": "02",
                        "sha256": "a" * 64,
                        "to": ["x@example.org"],
                        "cc": ["y@example.org"],
                        "bcc": [],
                        "sent_at": "2024-05-01T10:00:00+00:00",
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    journal = Journal.load(path)
    assert [(e["address"], e["state"]) for e in journal.entries] == [("x@example.org", "sent"), ("y@example.org", "sent")]
    path.write_text(
        json.dumps({"sent": [{"year": YEAR, "department": "02", "sha256": "a" * 64, "to": ["x@example.org"]}]}), encoding="utf-8"
    )
    with pytest.raises(FactsheetsError, match="entrée n° 1 du journal : champ « sent_at » manquant"):
        Journal.load(path)


def test_a_bad_smtp_host_is_a_validation_problem(setup, server):
    recipients, out = setup
    with pytest.raises(FactsheetsError, match="--smtp-host : «  » n'est pas un nom de serveur"):
        mail(recipients, out, server.port, send=True, host="")
    assert server.ehlo_seen == 0


def test_one_sending_run_per_journal(setup, server):
    recipients, out = setup
    journal_path().parent.mkdir(parents=True, exist_ok=True)
    with journal_lock(journal_path()):
        with pytest.raises(FactsheetsError, match="une autre commande « factsheets mail --send » utilise le journal"):
            mail(recipients, out, server.port, send=True)
    assert server.messages == []


# -- TLS and login -------------------------------------------------------------------------------
def test_a_server_without_starttls_is_refused_when_tls_is_required(setup, server):
    recipients, out = setup
    tls_even_here = replace(FAST, starttls="always")  # as a server elsewhere would be treated
    report, _, logs = mail(recipients, out, server.port, send=True, codes=["02"], config=tls_even_here)
    assert "ne propose pas STARTTLS" in report.failures["02"]
    assert not any("nouvel essai" in line for line in logs)  # a policy refusal is not retried
    assert server.rcpt_seen == [] and journal_entries() == []


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "factsheets test SMTP")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, False, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_starttls_then_login_with_environment_credentials(setup, tmp_path, monkeypatch):
    recipients, out = setup
    cert, key = _self_signed(tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password, session.ssl is not None))
        return AuthResult(success=auth_data.password == b"s3cret", handled=False)

    recorder = Recorder()
    controller = Controller(
        recorder,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=server_context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    controller.start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the default context trusts our test certificate
        monkeypatch.setenv("FACTSHEETS_SMTP_USER", "robot")
        monkeypatch.setenv("FACTSHEETS_SMTP_PASSWORD", "s3cret")
        tls_even_here = replace(FAST, starttls="always")
        report, _, _ = mail(recipients, out, controller.port, send=True, config=tls_even_here)
        assert report.failures == {} and len(recorder.messages) == 3
        assert logins == [(b"robot", b"s3cret", True)]  # one connection, logged in over TLS

        monkeypatch.setenv("FACTSHEETS_SMTP_PASSWORD", "wrong")
        make_sheet(out, "02", extra=b"v2")
        report, _, logs = mail(recipients, out, controller.port, send=True, resend=True, config=tls_even_here)
        assert "authentification refusée" in report.failures["02"] and not any("nouvel essai" in line for line in logs)

        monkeypatch.delenv("SSL_CERT_FILE")  # system CAs only: the test certificate is not trusted
        session = SmtpSession("127.0.0.1", controller.port, timeout=5, require_tls=True, credentials=None)
        with pytest.raises(ssl.SSLCertVerificationError):
            session.send("a@b.fr", ["c@d.fr"], b"x")
    finally:
        controller.stop()
    assert len(recorder.messages) == 3


def _starttls_server(tmp_path: Path) -> tuple[Controller, Recorder, Path]:
    """An aiosmtpd server on 127.0.0.1 that refuses any mail before STARTTLS; its certificate."""
    cert, key = _self_signed(tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port(), tls_context=server_context, require_starttls=True)
    controller.start()
    return controller, recorder, cert


def test_smtp_starttls_always_requires_tls_on_this_machine_too(tmp_path, monkeypatch):
    """mail.yaml `smtp.starttls: always`, through the CLI: TLS with a server on 127.0.0.1
    (which refuses mail in clear); without the key, the same server gets the mail in clear
    and refuses it."""
    from cli_helpers import run_in_process
    from test_mail_campaign import canonical_csv

    data = canonical_csv(tmp_path / "data.csv", ("02",))
    recipients = tmp_path / "recipients.yaml"
    recipients.write_text('departments:\n  "02":\n    to: [contact-aisne@example.org]\n', encoding="utf-8")
    config = tmp_path / "ma-config"
    shutil.copytree(Path(MAIL_CONFIG).parent, config)
    controller, recorder, cert = _starttls_server(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the default context trusts the test certificate
    args = ["mail", "--recipients", recipients, "--data", data, "--out", tmp_path / "out", "--smtp-port", controller.port]
    try:
        result = run_in_process("--config", config, *args, "--send", "--allow-synthetic")
        assert result.returncode == 1 and recorder.messages == [], result.stderr  # in clear: refused by the server
        assert "530" in result.stderr and "STARTTLS" in result.stderr, result.stderr

        mail_yaml = config / "mail.yaml"
        mail_yaml.write_text(mail_yaml.read_text(encoding="utf-8").replace("# starttls: always", "starttls: always"))
        dry = run_in_process("--config", config, *args)
        assert dry.returncode == 0 and f"127.0.0.1:{controller.port} (STARTTLS obligatoire, sans authentification)" in dry.stderr
        result = run_in_process("--config", config, *args, "--send", "--allow-synthetic")
        assert result.returncode == 0, result.stderr
        assert [rcpts for _, rcpts, _ in recorder.messages] == [["contact-aisne@example.org"]]
    finally:
        controller.stop()


def test_smtp_starttls_always_against_a_server_without_starttls(tmp_path, server):
    from cli_helpers import run_in_process
    from test_mail_campaign import canonical_csv

    data = canonical_csv(tmp_path / "data.csv", ("02",))
    recipients = tmp_path / "recipients.yaml"
    recipients.write_text('departments:\n  "02":\n    to: [contact-aisne@example.org]\n', encoding="utf-8")
    config = tmp_path / "ma-config"
    shutil.copytree(Path(MAIL_CONFIG).parent, config)
    mail_yaml = config / "mail.yaml"
    mail_yaml.write_text(mail_yaml.read_text(encoding="utf-8").replace("# starttls: always", "starttls: always"))
    args = ["mail", "--recipients", recipients, "--data", data, "--out", tmp_path / "out", "--smtp-port", server.port]
    result = run_in_process("--config", config, *args, "--send", "--allow-synthetic")
    assert result.returncode == 1 and server.messages == [] and server.rcpt_seen == []
    assert (
        f"127.0.0.1:{server.port} ne propose pas STARTTLS (exigé même sur cette machine par smtp.starttls: always "
        "de mail.yaml) ; envoi en clair refusé" in result.stderr
    ), result.stderr
    assert "nouvel essai" not in result.stderr  # a policy refusal is not retried

    text = mail_yaml.read_text(encoding="utf-8")
    mail_yaml.write_text(text.replace("starttls: always", "starttls: toujours"), encoding="utf-8")
    line = next(number for number, row in enumerate(text.splitlines(), 1) if row.strip() == "starttls: always")
    result = run_in_process("--config", config, "check")
    assert result.returncode == 2
    assert f"{mail_yaml}:{line} : la clé « smtp.starttls » vaut « toujours » ; indiquez always" in result.stdout, result


# -- end to end, with real rendering -------------------------------------------------------------------
def test_missing_sheets_are_rendered_then_sent(tmp_path, server):
    data = tmp_path / "data.csv"
    data.write_text(
        "year,flow,department,product,country,value_eur\n"
        "2024,export,02,C10A,DE,1000000\n2024,export,02,C21Z,BE,250000\n"
        "2024,import,02,C21Z,CN,500000\n2024,import,02,C10A,ES,125000\n"
        "2024,export,60,C30C,US,2000000\n2024,import,60,C10A,DE,750000\n",
        encoding="utf-8",
    )
    recipients = tmp_path / "recipients.yaml"
    recipients.write_text('departments:\n  "02":\n    to: [contact-aisne@example.org]\n', encoding="utf-8")
    out = tmp_path / "out"
    report, shown, _ = mail(recipients, out, server.port, send=False, data=data, year=None)
    pdf = sheet_path(out, "02")
    assert report.year == YEAR and pdf.is_file() and server.messages == []
    assert shown[0].startswith("à envoyer : 02 Aisne") and pdf.name in shown[0]

    report, _, _ = mail(recipients, out, server.port, send=True, data=data, year=None)
    assert report.sent == ["02"] and len(server.messages) == 1
    content = attachment(server.parsed()[0])[2]
    assert content.startswith(b"%PDF") and content == pdf.read_bytes()


def test_one_department_typed_twice_is_mailed_once(setup, server):
    recipients, out = setup
    report, shown, _ = mail(recipients, out, server.port, send=True, codes=["2", "02", "60"])
    assert report.sent == ["02", "60"] and len(shown) == 2 and len(server.messages) == 2


def test_the_yaml_and_csv_examples_say_the_same():
    from cli_helpers import PROJECT_ROOT

    books = [load_recipients(PROJECT_ROOT / "examples" / f"recipients.example.{kind}") for kind in ("yaml", "csv")]
    assert all(book.problems == [] for book in books)
    yaml_book, csv_book = ([(entry.code, entry.to, entry.cc, entry.bcc) for entry in book.entries] for book in books)
    assert yaml_book == csv_book
    assert yaml_book[1][1][0].name == "Service développement économique"


# -- the data annex (issue 14) ----------------------------------------------------------------
def test_the_xlsx_annex_goes_with_the_sheet_when_mail_yaml_asks(tmp_path, server, plain_render_all):
    """`annexe: xlsx` in mail.yaml: each message carries the sheet and its annex, as render makes them."""
    import polars as pl

    from factsheets.paths import SAMPLE_DATA

    recipients = tmp_path / "recipients.yaml"
    recipients.write_text(RECIPIENTS, encoding="utf-8")
    out = tmp_path / "out"
    report, shown, _ = mail(
        recipients,
        out,
        server.port,
        send=True,
        codes=["60", "02"],
        config=replace(FAST, annex="xlsx"),
        data=SAMPLE_DATA,
        allow_synthetic=True,
    )
    assert report.failures == {} and sorted(report.sent) == ["02", "60"]
    assert all("annexe commerce-exterieur-2024-" in line for line in shown)
    result, rendered = plain_render_all  # `render --all --annexe xlsx ...`: the same annexes as `render --dept …`
    assert result.returncode == 0, result.stderr
    messages = server.parsed()
    assert len(messages) == 2
    for message in messages:
        pdf, annex = list(message.iter_attachments())
        assert pdf.get_content_type() == "application/pdf"
        assert annex.get_content_type() == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert annex.get_filename() == pdf.get_filename().replace(".pdf", ".xlsx")
        # Byte-identical to the file next to the sheet and to what `render --annexe xlsx` writes.
        assert annex.get_content() == (out / annex.get_filename()).read_bytes()
        assert annex.get_content() == (rendered / annex.get_filename()).read_bytes()
        totals = pl.read_excel(out / annex.get_filename(), sheet_name="Totaux")
        assert totals["Valeur (€)"][0] > 0


def test_an_unknown_annex_format_in_mail_yaml_is_named(tmp_path):
    broken = tmp_path / "mail.yaml"
    broken.write_text(MAIL_CONFIG.read_text(encoding="utf-8") + "\nannexe: ods\n", encoding="utf-8")
    with pytest.raises(FactsheetsError, match=r"mail.yaml:\d+ : la clé « annexe » vaut « ods » ; indiquez xlsx"):
        load_mail_config(broken)


def test_annexes_reuse_the_renderer_that_drew_the_sheets(tmp_path, monkeypatch):
    """The data is loaded and the indicators computed once for sheets and annexes; a second
    run, whose sheets all come from the manifest, builds one renderer for the annexes only."""
    from factsheets import render
    from factsheets.mail.sheets import fresh_annexes, fresh_sheets
    from factsheets.paths import SAMPLE_DATA

    built = []
    original = render.SheetRenderer.__init__

    def counting(self, *args, **kwargs):
        built.append(args)
        original(self, *args, **kwargs)

    monkeypatch.setattr(render.SheetRenderer, "__init__", counting)
    names = {"02": "Aisne", "60": "Oise"}
    for run, expected in ((1, 1), (2, 1)):
        built.clear()
        problems: list[str] = []
        sheets, year, renderer = fresh_sheets(SAMPLE_DATA, None, ["02", "60"], names, tmp_path, problems)
        assert (renderer is None) == (run == 2)
        annexes = fresh_annexes(SAMPLE_DATA, year, ["02", "60"], names, tmp_path, "csv", problems, renderer)
        assert problems == [] and sorted(sheets) == sorted(annexes) == ["02", "60"]
        assert len(built) == expected
