"""Programs from Debian's packages that tests read outputs with, installed when missing.

The suite runs on a fresh Debian/Ubuntu machine with no hand step: as root (CI, a
container), a missing program is installed with apt-get; otherwise the test says which
package to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path


@cache
def ensure_debian_program(program: str, package: str) -> Path:
    """The path of `program`, installing Debian's `package` first when it is missing."""
    if shutil.which(program) is None and shutil.which("apt-get") and os.geteuid() == 0:
        environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=environment, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True, env=environment, capture_output=True)
    found = shutil.which(program)
    assert found, f"{program} manque : apt-get install {package} (paquet Debian)"
    return Path(found)
