"""Ctrl-C of `factsheets mail --send` when no message is in flight ends the run within 2 s.

Real processes (signals need them) against servers on 127.0.0.1 that stall: one whose
accept queue is full (the connection itself hangs), one that accepts and never greets,
one that answers STARTTLS and then never finishes the TLS handshake (mail.yaml's
`smtp.starttls: always` makes the CLI require TLS on this machine too: no test talks to
any other address), and the aiosmtpd server of test_mail.py holding the command that
follows the first message (between two messages). Each fault is caused at several moments.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from cli_helpers import PROJECT_ROOT, run_in_process
from test_mail import _self_signed, server  # noqa: F401  (server is a fixture)
from test_mail_campaign import CODES, canonical_csv, mail_args, recipients_yaml, status

LIMIT_SECONDS = 2.0


def _sent_entries(*folders: Path) -> list[dict]:
    """Every entry of the mail journals found under `folders`."""
    entries = []
    for path in (path for folder in folders for path in folder.rglob(".mail-journal*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(payload, dict) and isinstance(payload.get("entries"), list):
            entries += payload["entries"]
    return entries


def _syn_sent_to(port: int) -> int:
    """How many connections to 127.0.0.1:port wait for the server's SYN-ACK (state SYN_SENT)."""
    return sum(
        1
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if line.split()[2].endswith(f":{port:04X}") and line.split()[3] == "02"
    )


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    """Three departments, their sheets rendered and checked once (a dry run)."""
    root = tmp_path_factory.mktemp("interrupt")
    data = canonical_csv(root / "data.csv", CODES[:3])
    recipients = recipients_yaml(root / "recipients.yaml", {code: {"to": [f"d{code}@example.org"]} for code in CODES[:3]})
    template = root / "template"
    env = {**os.environ, "FACTSHEETS_STATE": str(root / "state-dry")}
    result = run_in_process(*mail_args(recipients, template, 1, data), env=env)  # no signal here: in process
    assert result.returncode == 0, result.stderr
    return root, data, recipients, template


def _interrupt(
    tmp_path: Path,
    campaign,
    port: int,
    ready,
    delay: float,
    host: str = "127.0.0.1",
    env: dict | None = None,
    launcher: list[str] | None = None,
) -> tuple[float, subprocess.Popen, str, str, Path]:
    """Start `mail --send`, wait until `ready()`, then `delay` s, SIGINT; (seconds to the end, …)."""
    root, data, recipients, template = campaign
    out = tmp_path / "out"
    out.mkdir()
    for sheet in template.iterdir():
        if sheet.is_file() and not sheet.name.startswith(".mail-journal"):
            (out / sheet.name).write_bytes(sheet.read_bytes())
    state = tmp_path / "state"
    env = {**(env or os.environ), "FACTSHEETS_STATE": str(state)}
    args = [
        *(launcher or [sys.executable, "-m", "factsheets"]),
        *mail_args(recipients, out, port, data, "--send", "--allow-synthetic", "--smtp-host", host),
    ]
    process = subprocess.Popen(
        args, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while not ready():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the run never reached the server"
            time.sleep(0.01)
        time.sleep(delay)
        assert process.poll() is None, process.communicate()
        sent_at = time.monotonic()
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        finally:
            elapsed = time.monotonic() - sent_at
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return elapsed, process, stdout, stderr, state


def _assert_interrupted(elapsed: float, process: subprocess.Popen, stderr: str) -> None:
    assert elapsed < LIMIT_SECONDS, f"Ctrl-C took {elapsed:.2f} s\n{stderr}"
    assert process.returncode == -signal.SIGINT, stderr  # ends as an interrupted program: code 130 in a shell
    assert "Traceback" not in stderr, stderr
    assert "factsheets : interrompu" in stderr and "envoi interrompu" in stderr, stderr


def _assert_nothing_sent(tmp_path: Path, outcome, label: str) -> None:
    elapsed, process, stdout, stderr, state = outcome
    _assert_interrupted(elapsed, process, stderr)
    assert stdout == "" and _sent_entries(state, tmp_path / "out") == []
    print(f"{label}: ended in {elapsed:.2f} s")


@pytest.mark.parametrize("delay", [0.0, 0.7])
def test_ctrl_c_while_the_connection_hangs(tmp_path, campaign, delay):
    """The server's accept queue is full: the connection waits for an answer that never comes."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        try:
            for _ in range(3):  # fill the accept queue; later connections wait in SYN_SENT
                filler = socket.socket()
                filler.setblocking(False)
                filler.connect_ex(("127.0.0.1", port))
                fillers.append(filler)
            time.sleep(0.2)
            baseline = _syn_sent_to(port)
            assert baseline >= 1  # the queue is full: a new connection hangs
            outcome = _interrupt(tmp_path, campaign, port, lambda: _syn_sent_to(port) > baseline, delay)
        finally:
            for filler in fillers:
                filler.close()
    _assert_nothing_sent(tmp_path, outcome, f"connection hanging, Ctrl-C after {delay} s")


class _Accepting:
    """A TCP server on 127.0.0.1 that accepts and then says nothing (or hangs up at once)."""

    def __init__(self, hang_up: bool = False):
        self.hang_up = hang_up
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(5)
        self.listener.settimeout(0.01)
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []

    def ready(self) -> bool:
        """True once a client has connected (polled by _interrupt)."""
        try:
            connection = self.listener.accept()[0]
        except TimeoutError:
            return bool(self.accepted)
        if self.hang_up:
            connection.close()
        self.accepted.append(connection)
        return True

    def __enter__(self) -> _Accepting:
        return self

    def __exit__(self, *exc) -> None:
        for connection in self.accepted:
            connection.close()
        self.listener.close()


@pytest.mark.parametrize("delay", [0.0, 0.4, 1.5])
def test_ctrl_c_while_the_server_never_greets(tmp_path, campaign, delay):
    """Connected, the greeting never comes (the mail.yaml timeout is 30 s)."""
    with _Accepting() as silent:
        outcome = _interrupt(tmp_path, campaign, silent.port, silent.ready, delay)  # and never a word
    _assert_nothing_sent(tmp_path, outcome, f"greeting never sent, Ctrl-C after {delay} s")


# The command with SIGINT blocked in its main thread but not in a helper thread started
# before: the kernel then hands Ctrl-C to the helper, as it may to a Polars thread.
OTHER_THREAD_GETS_SIGINT = [
    sys.executable,
    "-c",
    (
        "import signal, sys, threading, time\n"
        "threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()\n"
        "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})\n"
        "sys.argv[0] = 'factsheets'\n"
        "from factsheets.cli import main\n"
        "main()\n"
    ),
]


def test_ctrl_c_reaching_another_thread_while_the_server_never_greets(tmp_path, campaign):
    """The main thread waits in slices, so it acts on a Ctrl-C that another thread received."""
    with _Accepting() as silent:
        outcome = _interrupt(tmp_path, campaign, silent.port, silent.ready, 0.3, launcher=OTHER_THREAD_GETS_SIGINT)
    _assert_nothing_sent(tmp_path, outcome, "greeting never sent, Ctrl-C received by another thread")


@pytest.mark.parametrize("delay", [0.0, 0.5])
def test_ctrl_c_between_two_messages_with_a_slow_server(tmp_path, campaign, server, delay):
    """The first message is accepted, then the server holds the next MAIL command: nothing
    is in flight (no intent yet), so Ctrl-C stops at once; the first message is journalled."""
    server.hold_after = 1
    elapsed, process, stdout, stderr, state = _interrupt(tmp_path, campaign, server.port, server.holding.is_set, delay)
    _assert_interrupted(elapsed, process, stderr)
    assert [status(line) for line in stdout.splitlines()] == ["envoyé"]
    entries = _sent_entries(state, tmp_path / "out")
    assert [entry["state"] for entry in entries] == ["sent"] and entries[0]["address"] == "d01@example.org"
    assert len(server.messages) == 1
    server.release.set()
    print(f"between messages, Ctrl-C after {delay} s: ended in {elapsed:.2f} s")


def _home_with(tmp_path: Path, **smtp) -> dict[str, str]:
    """The environment of a run whose configuration is the shipped one with these smtp keys."""
    home = tmp_path / "home"
    for folder in ("config", "fonts", "assets"):
        shutil.copytree(PROJECT_ROOT / folder, home / folder)
    mail_yaml = home / "config" / "mail.yaml"
    settings = yaml.safe_load(mail_yaml.read_text(encoding="utf-8"))
    settings["smtp"].update(smtp)
    mail_yaml.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return {**os.environ, "FACTSHEETS_HOME": str(home)}


def test_ctrl_c_while_waiting_to_retry(tmp_path, campaign):
    """The server hangs up at once; mail.yaml makes the run wait 30 s before trying again."""
    env = _home_with(tmp_path, retries=1, backoff_seconds=30)
    with _Accepting(hang_up=True) as silent:
        outcome = _interrupt(tmp_path, campaign, silent.port, silent.ready, 0.5, env=env)
    assert "nouvel essai dans 30 s" in outcome[3]
    _assert_nothing_sent(tmp_path, outcome, "waiting 30 s to retry, Ctrl-C after 0.5 s")


class _StallingTls:
    """An SMTP server on 127.0.0.1 that offers STARTTLS, answers it with 220, then stalls the
    TLS handshake: `silent` never answers the client's hello; `half` sends the first half of
    its real answer (a TLS server's first flight, made by the ssl module with a self-signed
    certificate) and then nothing. `ready()` is true once the client is in the handshake."""

    def __init__(self, tmp_path: Path, mode: str):
        self.mode = mode
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(5)
        self.port = self.listener.getsockname()[1]
        self.in_handshake = threading.Event()
        self.connections: list[socket.socket] = []
        cert, key = _self_signed(tmp_path)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def ready(self) -> bool:
        return self.in_handshake.is_set()

    def _serve(self) -> None:
        try:
            connection = self.listener.accept()[0]
        except OSError:  # closed before any client came
            return
        self.connections.append(connection)
        reader = connection.makefile("rb")
        connection.sendall(b"220 stalling.example ESMTP\r\n")
        for line in reader:
            if line.upper().startswith((b"EHLO", b"HELO")):
                connection.sendall(b"250-stalling.example\r\n250 STARTTLS\r\n")
            elif line.upper().startswith(b"STARTTLS"):
                connection.sendall(b"220 2.0.0 Ready to start TLS\r\n")
                break
        else:
            return
        hello = connection.recv(65536)  # the client's hello: the client is in the handshake
        assert hello[:1] == b"\x16", hello[:16]  # a TLS handshake record
        if self.mode == "half":
            incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
            tls = self.context.wrap_bio(incoming, outgoing, server_side=True)
            incoming.write(hello)
            try:
                tls.do_handshake()
            except ssl.SSLWantReadError:  # it waits for the client's next flight
                pass
            answer = outgoing.read()
            assert len(answer) > 100, len(answer)
            connection.sendall(answer[: len(answer) // 2])
        self.in_handshake.set()  # and the rest never comes

    def __enter__(self) -> _StallingTls:
        return self

    def __exit__(self, *exc) -> None:
        for connection in self.connections:
            connection.close()
        self.listener.close()


TLS_STALLS = [
    ("silent", 0.0, None),
    ("silent", 0.4, None),
    ("silent", 1.5, None),
    ("half", 0.0, None),
    ("half", 0.7, None),
    ("half", 1.5, None),
    ("silent", 0.3, OTHER_THREAD_GETS_SIGINT),
    ("half", 0.3, OTHER_THREAD_GETS_SIGINT),
]


@pytest.mark.parametrize(
    ("mode", "delay", "launcher"),
    TLS_STALLS,
    ids=[f"{mode}-{delay}s{'-other-thread' if launcher else ''}" for mode, delay, launcher in TLS_STALLS],
)
def test_ctrl_c_while_the_tls_handshake_hangs(tmp_path, campaign, mode, delay, launcher):
    """STARTTLS required on this machine (smtp.starttls: always), the server answers
    STARTTLS, then the handshake stalls (the mail.yaml timeout is 30 s)."""
    env = _home_with(tmp_path, starttls="always")
    with _StallingTls(tmp_path, mode) as stalling:
        outcome = _interrupt(tmp_path, campaign, stalling.port, stalling.ready, delay, env=env, launcher=launcher)
    assert stalling.connections, "the run never connected"
    _assert_nothing_sent(tmp_path, outcome, f"TLS handshake stalled ({mode}), Ctrl-C after {delay} s")
