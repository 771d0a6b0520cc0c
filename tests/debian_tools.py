"""What tests read outputs with, from Debian's packages and npm, installed when missing.

The suite runs on a fresh Debian/Ubuntu machine with no hand step: as root (CI, a
container), a missing program is installed with apt-get; otherwise the test says which
package to install. The node packages are installed with `npm ci` from their lock files.

On a fresh machine these installs take some twenty seconds (Chromium above all). They are
started in the background when the run starts (`start_installs`, from conftest's
pytest_configure, before the workers), while the first tests render and measure the sheets;
a test that needs one waits for it (`ensure_debian_program`, `ensure_node_packages`). Each
background install holds a lock file from before the workers start until it ends, so a
worker never sees one half done nor starts the same install beside it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from functools import cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The programs tests read outputs with, and their Debian packages.
DEBIAN_PROGRAMS = {"chromium": "chromium", "pdftotext": "poppler-utils"}
# The folders whose node packages tests run (package-lock.json each), and a module each needs.
NODE_FOLDERS = {
    "browser": (PROJECT_ROOT / "tests" / "browser", ("axe-core", "playwright-core")),
    "js": (PROJECT_ROOT / "tests" / "js", ("pdfjs-dist",)),
}
_LOCKS = Path(tempfile.gettempdir()) / f"factsheets-tests-{hashlib.sha256(str(PROJECT_ROOT).encode()).hexdigest()[:12]}"
_APT_ENV = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
# Installed without the packages they only recommend: Chromium's are some ninety more
# (Samba's client libraries, Perl modules, a notification daemon: 30 s of install instead
# of 6 s beside the tests), none of which headless Chromium needs.


def start_installs() -> None:
    """Start, in the background, the installs this machine lacks (once, before the workers)."""
    missing = sorted({package for program, package in DEBIAN_PROGRAMS.items() if shutil.which(program) is None})
    if missing and shutil.which("apt-get") and os.geteuid() == 0:
        packages = " ".join(missing)
        _in_background(
            "apt",
            "apt-get update -qq {closed} && apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "
            + packages
            + " {closed}",
            env=_APT_ENV,
        )
    for name, (folder, modules) in NODE_FOLDERS.items():
        if not _node_modules_present(folder, modules) and shutil.which("npm"):
            _in_background(f"npm-{name}", "npm ci --silent --no-audit --no-fund {closed}", cwd=folder)


@cache
def ensure_debian_program(program: str, package: str) -> Path:
    """The path of `program`, installing Debian's `package` first when it is missing."""
    _wait_for("apt")
    if shutil.which(program) is None and shutil.which("apt-get") and os.geteuid() == 0:
        with _lock("apt"):  # one install at a time
            if shutil.which(program) is None:
                subprocess.run(["apt-get", "update", "-qq"], check=True, env=_APT_ENV, capture_output=True)
                subprocess.run(
                    ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package],
                    check=True,
                    env=_APT_ENV,
                    capture_output=True,
                )
    found = shutil.which(program)
    assert found, f"{program} manque : apt-get install {package} (paquet Debian)"
    return Path(found)


def ensure_node_packages(name: str) -> Path:
    """The folder NODE_FOLDERS[name], its node packages installed (`npm ci`) when missing."""
    folder, modules = NODE_FOLDERS[name]
    _wait_for(f"npm-{name}")
    if not _node_modules_present(folder, modules):
        with _lock(f"npm-{name}"):
            if not _node_modules_present(folder, modules):
                subprocess.run(["npm", "ci", "--silent", "--no-audit", "--no-fund"], cwd=folder, check=True, timeout=600)
    assert _node_modules_present(folder, modules), f"{folder} : npm ci n'a pas installé {', '.join(modules)}"
    return folder


def _node_modules_present(folder: Path, modules: tuple[str, ...]) -> bool:
    return all((folder / "node_modules" / module / "package.json").is_file() for module in modules)


def _in_background(name: str, script: str, **options) -> None:
    """Run the shell `script` in the background, holding the lock `name` until it ends.

    The lock is taken here, then handed to the shell (its file descriptor inherited), and
    released when the shell ends. The commands of `script` get it closed (`{closed}`): a
    service that a package's install starts must not hold the lock for ever. An install
    of an earlier run still going (the run was cut short) holds it: none is started, the
    tests wait for that one."""
    _LOCKS.mkdir(exist_ok=True)
    lock = (_LOCKS / f"{name}.lock").open("a")
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return
        log = (_LOCKS / f"{name}.log").open("w")
        command = ["sh", "-c", script.format(closed=f"{lock.fileno()}>&-")]
        subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, pass_fds=(lock.fileno(),), **options
        )
        log.close()
    finally:
        lock.close()  # this process's copy: the shell's keeps the lock


def _wait_for(name: str) -> None:
    """Return once no background install `name` is running."""
    with _lock(name):
        pass


class _lock:
    """The lock file `name`, held exclusively while in the block (waiting for its holder at
    most WAIT_SECONDS: an install that hangs fails the test that needs it, with its log)."""

    WAIT_SECONDS = 900

    def __init__(self, name: str):
        self.path = _LOCKS / f"{name}.lock"

    def __enter__(self):
        _LOCKS.mkdir(exist_ok=True)
        self.file = self.path.open("a")
        deadline = time.monotonic() + self.WAIT_SECONDS
        while True:
            try:
                fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self.file.close()
                    raise AssertionError(
                        f"{self.path} : l'installation en cours ne finit pas ; voir {self.path.with_suffix('.log')}"
                    ) from None
                time.sleep(0.1)

    def __exit__(self, *exc):
        self.file.close()
