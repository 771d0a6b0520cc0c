"""`render` prints each sheet's path on stdout whatever stderr is: a real process whose stderr
is a pseudo-terminal (the progress bar is then live) and whose stdout is a file, as in
`factsheets render … > list.txt` typed in a terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import threading
from pathlib import Path

from cli_helpers import PROJECT_ROOT


def _render_with_terminal_stderr(tmp_path: Path, stdout_is_terminal: bool) -> tuple[str, str, int]:
    out = tmp_path / "fiches"
    master, slave = pty.openpty()
    listing = tmp_path / "list.txt"
    out_master, out_slave = pty.openpty() if stdout_is_terminal else (None, None)
    chunks: dict[int, list[bytes]] = {master: [], **({out_master: []} if out_master is not None else {})}

    def drain(fd: int) -> None:  # a pty whose buffer fills would block the process
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the other side was closed
                return
            if not data:
                return
            chunks[fd].append(data)

    readers = [threading.Thread(target=drain, args=(fd,), daemon=True) for fd in chunks]
    for reader in readers:
        reader.start()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100"}
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        env.pop(name, None)
    with open(listing, "wb") as stdout:
        process = subprocess.run(
            [sys.executable, "-m", "factsheets", "render", "--dept", "02", "--dept", "60", "--workers", "1", "--out", str(out)],
            cwd=PROJECT_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out_slave if stdout_is_terminal else stdout,
            stderr=slave,
            env=env,
            timeout=300,
        )
    os.close(slave)
    if out_slave is not None:
        os.close(out_slave)
    for reader in readers:
        reader.join(timeout=10)
    os.close(master)
    stderr = b"".join(chunks[master]).decode("utf-8", "replace")
    if out_master is not None:
        os.close(out_master)
        written = b"".join(chunks[out_master]).decode("utf-8", "replace")
    else:
        written = listing.read_text(encoding="utf-8")
    return written, stderr, process.returncode


def test_paths_reach_a_file_when_stderr_is_a_terminal(tmp_path):
    stdout, stderr, code = _render_with_terminal_stderr(tmp_path, stdout_is_terminal=False)
    assert code == 0, stderr
    out = tmp_path / "fiches"
    assert stdout.splitlines() == [
        str(out / "commerce-exterieur-2024-02-aisne.pdf"),
        str(out / "commerce-exterieur-2024-60-oise.pdf"),
    ]
    assert "fiches" in stderr and "2/2" in stderr  # the live bar was on the terminal
    assert ".pdf" not in stderr  # and the paths went to stdout only


def test_paths_on_a_terminal_stdout_each_on_its_own_line(tmp_path):
    stdout, stderr, code = _render_with_terminal_stderr(tmp_path, stdout_is_terminal=True)
    assert code == 0, stderr
    lines = [line for line in stdout.replace("\r\n", "\n").split("\n") if line]
    assert [Path(line).name for line in lines] == ["commerce-exterieur-2024-02-aisne.pdf", "commerce-exterieur-2024-60-oise.pdf"]
    assert ".pdf" not in stderr and "2/2" in stderr
