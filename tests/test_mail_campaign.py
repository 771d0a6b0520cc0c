"""`factsheets mail` campaigns through the real command against a real SMTP server
(aiosmtpd on 127.0.0.1): exactly once under Ctrl-C, SIGKILL and dropped connections, fresh
sheets only, no synthetic sheet without consent, one journal entry per address, CSV and
XLSX recipients, .eml previews.

The sheets are rendered for real from small canonical CSV files written here.
"""

from __future__ import annotations

import email
import email.policy
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from email.parser import BytesParser
from pathlib import Path

from cli_helpers import PROJECT_ROOT, one_error_line, run_in_process
from test_mail import attachment, journal_path, server  # noqa: F401  (server is a fixture)

YEAR = 2024
CODES = ("01", "02", "03", "05", "07", "08", "13", "14", "16", "21", "27", "33", "34", "40", "59", "60", "75", "80", "90", "974")
# The interrupted campaigns: ten departments (La Réunion among them) are ten places to be cut off.
CAMPAIGN = CODES[1::2]
MESSAGE_SECONDS = 0.03  # the server's time over each message of an interrupted campaign


def canonical_csv(path: Path, codes=CODES, scale: int = 1) -> Path:
    """A small canonical data file: two export and two import flows per department."""
    rows = ["year,flow,department,product,country,value_eur"]
    for index, code in enumerate(codes):
        rows += [
            f"{YEAR},export,{code},C10A,DE,{(1_000_000 + index * 1_000) * scale}",
            f"{YEAR},export,{code},C21Z,BE,{250_000 + index}",
            f"{YEAR},import,{code},C21Z,CN,{500_000 + index * 7}",
            f"{YEAR},import,{code},C10A,ES,{125_000 + index * 3}",
        ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def recipients_yaml(path: Path, addresses: dict[str, dict[str, list[str]]]) -> Path:
    lines = ["departments:"]
    for code, roles in addresses.items():
        lines.append(f'  "{code}":')
        lines += [f"    {role}: [{', '.join(boxes)}]" for role, boxes in roles.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def mail_args(recipients: Path, out: Path, port: int, data: Path, *extra) -> list[str]:
    return [str(item) for item in ("mail", "--recipients", recipients, "--data", data, "--out", out, "--smtp-port", port, *extra)]


def department_lines(stdout: str) -> dict[str, str]:
    """code -> its line ('envoyé : 02 Aisne : …')."""
    return {line.split(" : ")[1].split(" ")[0]: line for line in stdout.splitlines() if " : " in line}


def status(line: str) -> str:
    return line.split(" : ")[0]


def received(server, address: str) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(raw, policy=email.policy.default) for _, rcpts, raw in list(server.messages) if address in rcpts
    ]


def fresh_render(tmp_path: Path, code: str, data: Path) -> bytes:
    """What `factsheets render` makes now from `data`, in a folder of its own."""
    out = tmp_path / f"render-{data.stem}-{code}"
    result = run_in_process("render", "--dept", code, "--data", data, "--out", out)
    assert result.returncode == 0, result.stderr
    (path,) = [Path(line) for line in result.stdout.splitlines()]
    return path.read_bytes()


# -- exactly once, interrupted at random -----------------------------------------------------------
def _interrupted(number: int, kill: signal.Signals, delay: float, template: Path, data: Path, root: Path, server) -> dict:
    """One campaign over CAMPAIGN, a real process interrupted by `kill` `delay` s after its
    first message began: its folder, arguments, environment and what it printed."""
    out = root / f"trial-{number}"
    out.mkdir()
    for sheet in template.iterdir():  # rendered and checked once up front (the PDFs and their record)
        if sheet.is_file() and not sheet.name.startswith(".mail-journal"):
            (out / sheet.name).write_bytes(sheet.read_bytes())
    addresses = {code: {"to": [f"d{code}-t{number}@example.org"]} for code in CAMPAIGN}
    for code in CAMPAIGN[::4]:
        addresses[code]["cc"] = [f"c{code}-t{number}@example.org"]
    recipients = recipients_yaml(root / f"recipients-{number}.yaml", addresses)
    args = mail_args(recipients, out, server.port, data, "--send")
    # Campaigns side by side: a journal each, in a state folder that holds what this test's
    # holds besides (the configuration's recorded pass: see conftest.state_folder).
    state = root / f"state-{number}"
    state.mkdir()
    for record in Path(os.environ["FACTSHEETS_STATE"]).glob("check-*.json"):
        (state / record.name).write_bytes(record.read_bytes())
    env = {**os.environ, "FACTSHEETS_STATE": str(state)}
    process = subprocess.Popen(
        [sys.executable, "-m", "factsheets", *args],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=env,
    )
    try:
        suffix = f"-t{number}@example.org"
        deadline = time.monotonic() + 60
        while not any(address.endswith(suffix) for address in list(server.rcpt_seen)) and process.poll() is None:
            assert time.monotonic() < deadline, "the run never began sending"
            time.sleep(0.005)
        time.sleep(delay)
        if process.poll() is None:
            os.killpg(process.pid, kill)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert "Traceback" not in stderr, stderr
    return {
        "number": number,
        "kill": kill,
        "first": (process.returncode, stdout, stderr),
        "args": args,
        "env": env,
        "addresses": addresses,
    }


def test_interrupted_campaigns_never_send_twice(tmp_path, server):
    """20 runs of `mail --send` over 10 departments, each interrupted at a random moment (10
    by Ctrl-C, 10 by SIGKILL of the process group), then run again: no address receives a
    sheet twice, and every department not reported "incertain" is received exactly once.

    The interrupted runs are real processes (signals); each is run again, once all are cut,
    through the same entry point in this process: a run again only reads the journal the
    cut one left on disk, and spares twenty interpreter starts."""
    server.data_delay = MESSAGE_SECONDS  # interruptions land in the middle of the sending
    data = canonical_csv(tmp_path / "data.csv", CAMPAIGN)
    template = tmp_path / "template"
    recipients = recipients_yaml(tmp_path / "all.yaml", {code: {"to": [f"d{code}@example.org"]} for code in CAMPAIGN})
    result = run_in_process(*mail_args(recipients, template, server.port, data))  # a dry run renders and checks every sheet
    assert result.returncode == 0 and (template / ".mail-sheets.json").is_file(), result.stderr
    rng = random.Random(20241129)
    # A message takes the server's time plus about half as much again on the client's side.
    plan = [
        (number, signal.SIGINT if number % 2 else signal.SIGKILL, rng.uniform(0, len(CAMPAIGN) * 1.5 * MESSAGE_SECONDS))
        for number in range(20)
    ]
    with ThreadPoolExecutor(3) as pool:  # three campaigns at a time, each with its own folder and addresses
        trials = list(pool.map(lambda args: _interrupted(*args, template, data, tmp_path, server), plan))
    for trial in trials:
        trial["again"] = run_in_process(*trial["args"], env=trial["env"])
        assert "Traceback" not in trial["again"].stderr, trial["again"].stderr

    interrupted_mid_send = 0
    for trial in trials:
        code_first, stdout_first, stderr_first = trial["first"]
        again = trial["again"]
        lines = department_lines(again.stdout)
        assert sorted(lines) == sorted(CAMPAIGN), again.stdout
        uncertain = {code for code, line in lines.items() if "incertain" in line}
        context = (
            f"trial {trial['number']} ({trial['kill'].name}):\n{stdout_first}\n{stderr_first}\n{again.stdout}\n{again.stderr}"
        )
        if trial["kill"] == signal.SIGINT:
            # Ctrl-C lets the message in flight finish and be journalled: nothing is left unknown.
            assert code_first in (-signal.SIGINT, 130, 0), context
            assert uncertain == set(), context
        else:
            assert len(uncertain) <= 1, context  # only the message in flight can be unknown
        if 0 < sum(status(line) == "envoyé" for line in department_lines(stdout_first).values()) < len(CAMPAIGN):
            interrupted_mid_send += 1
        for code, roles in trial["addresses"].items():
            for address in (box for boxes in roles.values() for box in boxes):
                count = len(received(server, address))
                assert count <= 1, f"{address} received {count} messages\n{context}"
                if code not in uncertain:
                    assert count == 1, f"{address} received {count} messages\n{context}"
        assert again.returncode == 0 or uncertain, context
    assert interrupted_mid_send >= 10  # the interruptions did land in the middle of campaigns


# -- unknown outcome: stored, then the connection dropped -------------------------------------------
def test_a_message_stored_then_cut_off_is_uncertain_and_never_sent_twice(tmp_path, server):
    data = canonical_csv(tmp_path / "data.csv", CODES[:3])
    out = tmp_path / "out"
    addresses = {code: {"to": [f"d{code}@example.org"]} for code in CODES[:3]}
    recipients = recipients_yaml(tmp_path / "recipients.yaml", addresses)
    server.drop_after_store = 1  # the first message is stored, then the server hangs up without "250"

    first = run_in_process(*mail_args(recipients, out, server.port, data, "--send"))
    assert first.returncode == 1 and "Traceback" not in first.stderr
    lines = department_lines(first.stdout)
    assert status(lines["01"]) == "incertain" and "--resend-uncertain" in lines["01"]
    assert status(lines["02"]) == "envoyé" and status(lines["03"]) == "envoyé"  # the next ones carry on
    assert "nouvel essai" not in first.stderr  # not retried in the same run
    assert [len(received(server, f"d{code}@example.org")) for code in CODES[:3]] == [1, 1, 1]

    again = run_in_process(*mail_args(recipients, out, server.port, data, "--send"))
    lines = department_lines(again.stdout)
    assert status(lines["01"]) == "incertain" and status(lines["02"]) == "déjà envoyé"
    assert "1 envoi(s) incertain(s) (01)" in again.stderr
    assert len(server.messages) == 3  # never sent twice

    forced = run_in_process(*mail_args(recipients, out, server.port, data, "--send", "--resend-uncertain"))
    assert forced.returncode == 0, forced.stderr
    assert status(department_lines(forced.stdout)["01"]) == "envoyé" and len(server.messages) == 4


def test_ctrl_c_waits_for_the_message_in_flight(tmp_path, server):
    """SIGINT while the server is taking a message: that message is finished and journalled,
    the run stops as an interrupted program, and a re-run sends only the rest."""
    data = canonical_csv(tmp_path / "data.csv", CODES[:4])
    out = tmp_path / "out"
    recipients = recipients_yaml(tmp_path / "recipients.yaml", {code: {"to": [f"d{code}@example.org"]} for code in CODES[:4]})
    server.data_delay = 1.0
    args = [sys.executable, "-m", "factsheets", *mail_args(recipients, out, server.port, data, "--send")]
    process = subprocess.Popen(
        args, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while not server.rcpt_seen:
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.005)
        time.sleep(0.3)  # the first message's data is with the server, its answer not yet back
        os.killpg(process.pid, signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == -signal.SIGINT and "Traceback" not in stderr
    assert [status(line) for line in stdout.splitlines()] == ["envoyé"]
    assert "envoi interrompu après le message en cours" in stderr
    server.data_delay = 0
    again = run_in_process(*mail_args(recipients, out, server.port, data, "--send"))
    assert [status(line) for line in again.stdout.splitlines()] == ["déjà envoyé", "envoyé", "envoyé", "envoyé"]
    assert len(server.messages) == 4


# -- fresh sheets only --------------------------------------------------------------------------------
def test_the_attachment_is_a_fresh_render_of_the_given_data(tmp_path, server):
    codes = ("02", "60")
    old = canonical_csv(tmp_path / "old.csv", codes)
    new = canonical_csv(tmp_path / "new.csv", codes, scale=3)
    out = tmp_path / "out"
    recipients = recipients_yaml(tmp_path / "recipients.yaml", {code: {"to": [f"d{code}@example.org"]} for code in codes})
    assert run_in_process("render", "--dept", "02", "--dept", "60", "--data", old, "--workers", "1", "--out", out).returncode == 0
    oise = next(out.glob("*-60-oise.pdf"))
    oise.write_bytes(oise.read_bytes()[:5000])  # a truncated sheet on disk

    dry = run_in_process(*mail_args(recipients, out, server.port, new))
    assert dry.returncode == 0, dry.stderr
    assert all("fiche recalculée" in line for line in dry.stdout.splitlines()), dry.stdout
    sent = run_in_process(*mail_args(recipients, out, server.port, new, "--send"))
    assert sent.returncode == 0, sent.stderr
    assert "fiche recalculée" not in sent.stdout  # the dry run already made the files right
    expected = {code: fresh_render(tmp_path, code, new) for code in codes}
    for code in codes:
        (message,) = received(server, f"d{code}@example.org")
        assert attachment(message)[2] == expected[code]
        assert next(out.glob(f"*-{code}-*.pdf")).read_bytes() == expected[code]
    assert fresh_render(tmp_path, "02", old) != expected["02"]  # the data did matter


def test_a_sheet_checked_earlier_is_drawn_again_when_the_configuration_changes(tmp_path, server):
    """Sheets rendered and checked by a run are not drawn again for the same inputs; any
    change of configuration makes them stale: rendered again, and the attachment follows."""
    import shutil

    home = tmp_path / "home"
    for folder in ("config", "fonts", "assets"):
        if (PROJECT_ROOT / folder).is_dir():
            shutil.copytree(PROJECT_ROOT / folder, home / folder)
    env = {**os.environ, "FACTSHEETS_HOME": str(home)}
    data = canonical_csv(tmp_path / "data.csv", ("02",))
    out = tmp_path / "out"
    path = recipients_yaml(tmp_path / "recipients.yaml", {"02": {"to": ["d02@example.org"]}})

    def mail(*extra):  # in process: the configuration folder is read from the environment at each command
        return run_in_process(*mail_args(path, out, server.port, data, *extra), env=env)

    assert "fiche produite" in mail().stdout
    assert "fiche" not in mail().stdout.split("pièce jointe")[1]  # checked already: nothing to say
    texts = home / "config" / "texts.yaml"
    texts.write_text(
        texts.read_text(encoding="utf-8").replace(
            'title: "Les indicateurs clés\u00a0: commerce extérieur"', 'title: "Les indicateurs clés du commerce extérieur"'
        ),
        encoding="utf-8",
    )
    dry = mail()
    assert "fiche recalculée" in dry.stdout, dry.stdout + dry.stderr
    sent = mail("--send")
    assert sent.returncode == 0, sent.stderr
    (message,) = received(server, "d02@example.org")
    rendered = run_in_process("render", "--dept", "02", "--data", data, "--out", tmp_path / "render", env=env)
    assert attachment(message)[2] == Path(rendered.stdout.strip()).read_bytes()
    import io

    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(attachment(message)[2])).pages)
    assert "indicateurs clés du commerce extérieur" in " ".join(text.split())


def test_the_synthetic_sample_is_not_sent_without_consent(tmp_path, server):
    recipients = recipients_yaml(tmp_path / "recipients.yaml", {"02": {"to": ["d02@example.org"]}})
    out = tmp_path / "out"
    args = ["mail", "--recipients", recipients, "--out", out, "--smtp-port", server.port]
    refused = run_in_process(*args, "--send")
    line = one_error_line(refused)
    assert refused.returncode == 2 and "SYNTHÉTIQUE" in line and "--allow-synthetic" in line
    assert server.ehlo_seen == 0 and server.messages == [] and refused.stdout == ""

    dry = run_in_process(*args)
    assert dry.returncode == 0 and "SYNTHÉTIQUE" in dry.stdout and "--allow-synthetic" in dry.stderr
    allowed = run_in_process(*args, "--send", "--allow-synthetic")
    assert allowed.returncode == 0, allowed.stderr
    assert len(server.messages) == 1


# -- one journal entry per address ------------------------------------------------------------------------
def test_an_address_added_later_gets_the_sheet_alone(tmp_path, server):
    data = canonical_csv(tmp_path / "data.csv", ("02", "60"))
    out = tmp_path / "out"
    path = tmp_path / "recipients.yaml"
    recipients_yaml(path, {"02": {"to": ["d02@example.org"], "cc": ["copie@example.org"]}, "60": {"to": ["d60@example.org"]}})
    first = run_in_process(*mail_args(path, out, server.port, data, "--send"))
    assert first.returncode == 0 and len(server.messages) == 2

    recipients_yaml(
        path,
        {
            "02": {"to": ["d02@example.org", "nouveau@example.org"], "cc": ["copie@example.org"]},
            "60": {"to": ["d60@example.org"]},
        },
    )
    second = run_in_process(*mail_args(path, out, server.port, data, "--send"))
    assert second.returncode == 0, second.stderr
    assert len(server.messages) == 3
    mail_from, rcpts, raw = server.messages[-1]
    assert rcpts == ["nouveau@example.org"]  # alone in its message
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert [a.addr_spec for a in message["To"].addresses] == ["nouveau@example.org"] and message["Cc"] is None
    lines = department_lines(second.stdout)
    assert status(lines["02"]) == "envoyé" and "déjà envoyé le" in lines["02"]
    assert status(lines["60"]) == "déjà envoyé"

    third = run_in_process(*mail_args(path, out, server.port, data, "--send"))
    assert [status(line) for line in third.stdout.splitlines()] == ["déjà envoyé", "déjà envoyé"]
    assert len(server.messages) == 3


def test_resend_sends_a_changed_sheet_to_every_address(tmp_path, server):
    out = tmp_path / "out"
    path = recipients_yaml(tmp_path / "recipients.yaml", {"02": {"to": ["d02@example.org"], "bcc": ["archive@example.org"]}})
    run_in_process(*mail_args(path, out, server.port, canonical_csv(tmp_path / "v1.csv", ("02",)), "--send"))
    changed = canonical_csv(tmp_path / "v2.csv", ("02",), scale=2)
    held = run_in_process(*mail_args(path, out, server.port, changed, "--send"))
    assert status(held.stdout) == "modifié" and "--resend" in held.stdout and len(server.messages) == 1
    again = run_in_process(*mail_args(path, out, server.port, changed, "--send", "--resend"))
    assert status(again.stdout) == "envoyé" and len(server.messages) == 2
    assert sorted(server.messages[-1][1]) == ["archive@example.org", "d02@example.org"]


def test_a_malformed_journal_entry_is_one_line(tmp_path, server):
    import json

    data = canonical_csv(tmp_path / "data.csv", ("02",))
    out = tmp_path / "out"
    path = recipients_yaml(tmp_path / "recipients.yaml", {"02": {"to": ["d02@example.org"]}})
    assert run_in_process(*mail_args(path, out, server.port, data, "--send")).returncode == 0
    journal = journal_path()
    payload = json.loads(journal.read_text(encoding="utf-8"))
    assert [entry["state"] for entry in payload["entries"]] == ["sent"]
    del payload["entries"][0]["sent_at"]
    journal.write_text(json.dumps(payload), encoding="utf-8")
    line = one_error_line(run_in_process(*mail_args(path, out, server.port, data)))
    assert str(journal) in line and "entrée n° 1" in line and "« sent_at » manquant" in line


# -- recipients from spreadsheets --------------------------------------------------------------------------
def test_csv_and_xlsx_recipients(tmp_path, server):
    import xlsxwriter

    data = canonical_csv(tmp_path / "data.csv", ("02", "59", "80"))
    csv_path = tmp_path / "destinataires.csv"
    csv_path.write_text(
        "departement;email;role;nom\n"
        "02;contact-aisne@example.org;;Service Aisne\n"
        "Aisne;copie@example.org;cc;\n"
        "nord;d59@example.org;to;\n",
        encoding="utf-8",
    )
    result = run_in_process(*mail_args(csv_path, tmp_path / "out-csv", server.port, data, "--send"))
    assert result.returncode == 0, result.stderr
    by_rcpts = {tuple(sorted(rcpts)): raw for _, rcpts, raw in server.messages}
    assert sorted(by_rcpts) == [("contact-aisne@example.org", "copie@example.org"), ("d59@example.org",)]
    aisne = email.message_from_bytes(by_rcpts[("contact-aisne@example.org", "copie@example.org")], policy=email.policy.default)
    assert aisne["To"].addresses[0].display_name == "Service Aisne" and aisne["Cc"].addresses[0].addr_spec == "copie@example.org"

    xlsx_path = tmp_path / "destinataires.xlsx"
    workbook = xlsxwriter.Workbook(xlsx_path)
    sheet = workbook.add_worksheet()
    for row, values in enumerate(
        [
            ("departement", "email", "role", "nom"),
            ("80", "d80@example.org", "to", "Somme"),
            ("Somme", "archive@example.org", "bcc", ""),
        ]
    ):
        sheet.write_row(row, 0, values)
    workbook.close()
    result = run_in_process(*mail_args(xlsx_path, tmp_path / "out-xlsx", server.port, data, "--send"))
    assert result.returncode == 0, result.stderr
    assert sorted(server.messages[-1][1]) == ["archive@example.org", "d80@example.org"] and len(server.messages) == 3


def test_bad_spreadsheet_rows_are_listed_together(tmp_path, server):
    import xlsxwriter

    xlsx_path = tmp_path / "destinataires.xlsx"
    workbook = xlsxwriter.Workbook(xlsx_path)
    sheet = workbook.add_worksheet()
    for row, values in enumerate(
        [
            ("departement", "email", "role"),
            ("02", "ok@example.org", "to"),
            ("Atlantide", "x@example.org", "to"),
            ("60", "a@example.org\r\nBcc: z@y.fr", "to"),
            (),
            ("80", "somme@example.org", "lecture"),
        ]
    ):
        sheet.write_row(row, 0, values)  # row 5 is left blank: later rows keep their Excel numbers
    workbook.close()
    data = canonical_csv(tmp_path / "data.csv", ("02", "60", "80"))
    result = run_in_process(*mail_args(xlsx_path, tmp_path / "out", server.port, data, "--send"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 4, result.stderr  # three rows, one line each, and the summary
    assert "destinataires.xlsx:3" in lines[0] and "Atlantide" in lines[0]
    assert "destinataires.xlsx:4" in lines[1] and "\\r\\n" in lines[1]  # CR/LF shown, not splitting the line
    assert "destinataires.xlsx:6" in lines[2] and "« lecture »" in lines[2]
    assert "3 problèmes" in lines[3] and server.ehlo_seen == 0


# -- previews ---------------------------------------------------------------------------------------------
def test_preview_writes_one_eml_per_message_and_connects_nowhere(tmp_path, server):
    data = canonical_csv(tmp_path / "data.csv", ("02", "80"))
    out = tmp_path / "out"
    path = recipients_yaml(
        tmp_path / "recipients.yaml",
        {
            "02": {"to": ["d02@example.org"], "cc": ["copie@example.org"]},
            "80": {"to": ["d80@example.org"], "bcc": ["archive@example.org"]},
        },
    )
    previews = tmp_path / "apercu"
    result = run_in_process(*mail_args(path, out, server.port, data, "--preview", previews))
    assert result.returncode == 0, result.stderr
    assert server.ehlo_seen == 0 and not journal_path().exists()
    files = sorted(previews.glob("*.eml"))
    assert [file.name for file in files] == ["commerce-exterieur-2024-02-aisne.eml", "commerce-exterieur-2024-80-somme.eml"]
    for file, code in zip(files, ("02", "80")):
        message = BytesParser(policy=email.policy.default).parsebytes(file.read_bytes())
        content_type, filename, content = attachment(message)
        assert content_type == "application/pdf" and content == next(out.glob(f"*-{code}-*.pdf")).read_bytes()
        assert content.startswith(b"%PDF-")
    aisne = BytesParser(policy=email.policy.default).parsebytes(files[0].read_bytes())
    assert "du département de l’Aisne (02)" in aisne.get_body(("plain",)).get_content()
    somme = BytesParser(policy=email.policy.default).parsebytes(files[1].read_bytes())
    assert "du département de la Somme (80)" in somme.get_body(("plain",)).get_content()
    assert somme["Bcc"].addresses[0].addr_spec == "archive@example.org"

    run_in_process(*mail_args(path, out, server.port, data, "--send"))
    again = run_in_process(*mail_args(path, out, server.port, data, "--preview", tmp_path / "apercu-2"))
    assert not list((tmp_path / "apercu-2").glob("*.eml"))  # nothing would go out any more
    assert Counter(status(line) for line in again.stdout.splitlines()) == {"déjà envoyé": 2}


def test_a_department_without_data_is_not_mailed_an_empty_sheet(tmp_path, server):
    data = canonical_csv(tmp_path / "data.csv", ("02",))
    path = recipients_yaml(tmp_path / "recipients.yaml", {"02": {"to": ["d02@example.org"]}, "75": {"to": ["p@example.org"]}})
    line = one_error_line(run_in_process(*mail_args(path, tmp_path / "out", server.port, data, "--send")))
    assert "département 75" in line and "aucune donnée" in line and "data.csv" in line
    assert server.ehlo_seen == 0 and not list((tmp_path / "out").glob("*-75-*.pdf"))
