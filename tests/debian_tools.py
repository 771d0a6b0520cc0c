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

import contextlib
import fcntl
import hashlib
import os
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from cli_helpers import PROJECT_ROOT

# The programs tests read outputs with, and their Debian packages.
DEBIAN_PROGRAMS = {"chromium": "chromium", "pdftotext": "poppler-utils"}
# The folders whose node packages tests run (package-lock.json each), and a module each needs.
NODE_FOLDERS = {
    "browser": (PROJECT_ROOT / "tests" / "browser", ("axe-core", "playwright-core")),
    "js": (PROJECT_ROOT / "tests" / "js", ("pdfjs-dist",)),
}
_LOCKS = Path(tempfile.gettempdir()) / f"factsheets-tests-{hashlib.sha256(str(PROJECT_ROOT).encode()).hexdigest()[:12]}"
_APT_ENV = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
_APT_UPDATE = ["apt-get", "update", "-qq"]
# Without the packages they only recommend: Chromium's are some ninety more (Samba's client
# libraries, Perl modules, a notification daemon: 30 s of install instead of 6 s beside the
# tests), none of which headless Chromium needs. dpkg's lock is waited for (another clone's
# tests installing at the same time).
_APT_INSTALL = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=600"]
_NPM_CI = ["npm", "ci", "--silent", "--no-audit", "--no-fund"]
WAIT_SECONDS = 900  # an install that hangs fails the test that needs it, naming its log


def start_installs() -> None:
    """Start, in the background, the installs this machine lacks (once, before the workers)."""
    missing = sorted({package for program, package in DEBIAN_PROGRAMS.items() if shutil.which(program) is None})
    if missing and shutil.which("apt-get") and os.geteuid() == 0:
        _in_background("apt", [_APT_UPDATE, _APT_INSTALL + missing], env=_APT_ENV)
    for name, (folder, modules) in NODE_FOLDERS.items():
        if not _node_modules_present(folder, modules) and shutil.which("npm"):
            _in_background(f"npm-{name}", [_NPM_CI], cwd=folder)


@cache
def ensure_debian_program(program: str, package: str) -> Path:
    """The path of `program`, installing Debian's `package` first when it is missing."""
    _wait_for("apt")
    if shutil.which(program) is None and shutil.which("apt-get") and os.geteuid() == 0:
        with _lock("apt"):  # one install at a time
            if shutil.which(program) is None:
                subprocess.run(_APT_UPDATE, check=True, env=_APT_ENV, capture_output=True)
                subprocess.run([*_APT_INSTALL, package], check=True, env=_APT_ENV, capture_output=True)
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
                subprocess.run(_NPM_CI, cwd=folder, check=True, timeout=600)
    assert _node_modules_present(folder, modules), f"{folder} : npm ci n'a pas installé {', '.join(modules)}"
    return folder


def _node_modules_present(folder: Path, modules: tuple[str, ...]) -> bool:
    return all((folder / "node_modules" / module / "package.json").is_file() for module in modules)


def _in_background(name: str, commands: list[list[str]], **options) -> None:
    """Run `commands` one after the other in the background (stopping at the first that
    fails), holding the lock `name` until they end.

    The lock is taken here, then handed to a shell (its file descriptor inherited), and
    released when the shell ends. Each command gets it closed: a service that a package's
    install starts must not hold the lock for ever. An install of an earlier run still
    going (the run was cut short) holds it: none is started, the tests wait for that one."""
    _LOCKS.mkdir(exist_ok=True)
    lock = (_LOCKS / f"{name}.lock").open("a")
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return
        script = " && ".join(f"{shlex.join(command)} {lock.fileno()}>&-" for command in commands)
        with (_LOCKS / f"{name}.log").open("w") as log:
            subprocess.Popen(
                ["sh", "-c", script],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                pass_fds=(lock.fileno(),),
                **options,
            )
    finally:
        lock.close()  # this process's copy: the shell's keeps the lock


def _wait_for(name: str) -> None:
    """Return once no background install `name` is running."""
    with _lock(name):
        pass


@contextlib.contextmanager
def _lock(name: str) -> Iterator[None]:
    """The lock file `name`, held exclusively in the block (its holder waited for at most
    WAIT_SECONDS)."""
    path = _LOCKS / f"{name}.lock"
    _LOCKS.mkdir(exist_ok=True)
    with path.open("a") as file:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"{path} : l'installation en cours ne finit pas ; voir {path.with_suffix('.log')}"
                    ) from None
                time.sleep(0.1)
        yield
