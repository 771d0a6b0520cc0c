"""Where the shipped files live (default config, fonts, assets, bundled sample), and which
configuration folder is in use.

Shipped files: an installed package (`pip install .`, `pipx install .`) carries them inside
itself (pyproject.toml maps the repository's `config/`, `fonts/`, `assets/` and
`data/sample/` to `factsheets/_config`, `_fonts`, `_assets`, `_sample`); a source checkout
(editable install, `python -m factsheets` from the clone) reads them from the repository.

Configuration in use: the folder given by `--config DIR` or the FACTSHEETS_CONFIG
environment variable (the CLI sets the variable for `--config`, so helper processes see the
same folder), else the shipped defaults. A user folder made by `factsheets init DIR` has the
same layout as the shipped one: settings.yaml, texts.yaml, mail.yaml, reference/,
profiles/, assets/.

The upper-case names below (CONFIG_DIR, REFERENCE_DIR, PROFILES_DIR, ASSETS_DIR,
MAIL_CONFIG, TERRITOIRES_INDUSTRIE_FILE) are computed on each access (`paths.CONFIG_DIR`), so they always name the
folder in use; `from .paths import CONFIG_DIR` takes the value at import time. Code that
may run after the configuration changes calls the functions instead.
"""

from __future__ import annotations

import hashlib
import os
import re
from importlib import resources
from pathlib import Path

CONFIG_VARIABLE = "FACTSHEETS_CONFIG"
# Older override, kept for existing set-ups: FACTSHEETS_HOME=DIR means FACTSHEETS_CONFIG=DIR/config.
HOME_VARIABLE = "FACTSHEETS_HOME"
# The state folder (the mail journal): FACTSHEETS_STATE=DIR, else one folder per configuration
# under $XDG_STATE_HOME/factsheets/ (~/.local/state/factsheets/ when it is not set).
STATE_VARIABLE = "FACTSHEETS_STATE"

_PACKAGE_DIR = Path(str(resources.files("factsheets")))
# Installed: factsheets/_config exists. Source checkout: the repository root holds config/.
_INSTALLED = (_PACKAGE_DIR / "_config").is_dir()


def _shipped(installed_name: str, repository_path: str) -> Path:
    return _PACKAGE_DIR / installed_name if _INSTALLED else _PACKAGE_DIR.parent / repository_path


DEFAULT_CONFIG_DIR = _shipped("_config", "config")
DEFAULT_ASSETS_DIR = _shipped("_assets", "assets")
FONTS_DIR = _shipped("_fonts", "fonts")
SAMPLE_DATA = _shipped("_sample", "data/sample") / "commerce-exterieur-synthetique.parquet"
# Relative to the current folder (documented in `factsheets render --help`).
DEFAULT_OUTPUT_DIR = Path("output")


def resolved(value: str | Path, what: str) -> Path:
    """`value` with "~" expanded, made absolute, symbolic links followed; `what` names where it
    comes from. A "~user" of no known user or a loop of links is a FactsheetsError, not a
    RuntimeError."""
    from .errors import FactsheetsError, printable

    try:
        path = Path(value).expanduser()
    except RuntimeError:
        user = str(value).split("/", 1)[0]
        raise FactsheetsError(
            f"{printable(value, 80)} ({what}) : utilisateur « {printable(user)} » inconnu ; écrivez le chemin complet du dossier"
        ) from None
    try:
        return path.resolve()
    except RuntimeError:
        raise FactsheetsError(
            f"{printable(value, 80)} ({what}) : boucle de liens symboliques ; corrigez les liens ou indiquez le dossier réel"
        ) from None
    except OSError as error:
        raise FactsheetsError(
            f"{printable(value, 80)} ({what}) : chemin inutilisable ({error.strerror}) ; indiquez un autre chemin"
        ) from None


def user_config_dir() -> Path | None:
    """The folder from --config / FACTSHEETS_CONFIG, or None for the shipped defaults."""
    value = os.environ.get(CONFIG_VARIABLE, "").strip()
    if value:
        return resolved(value, CONFIG_VARIABLE)
    home = os.environ.get(HOME_VARIABLE, "").strip()
    return resolved(home, HOME_VARIABLE) / "config" if home else None


def use_config_dir(folder: Path | None) -> None:
    """Make `folder` the configuration in use, for this process and the processes it starts."""
    if folder is None:
        os.environ.pop(CONFIG_VARIABLE, None)
    else:
        os.environ[CONFIG_VARIABLE] = str(resolved(folder, "--config"))


def config_dir() -> Path:
    return user_config_dir() or DEFAULT_CONFIG_DIR


def state_key() -> str:
    """The name of the configuration's state folder: "defaut" for the shipped defaults, else
    the folder's name and a hash of its resolved path (the same folder, the same state,
    whatever the working directory)."""
    user = user_config_dir()
    if user is None:
        return "defaut"
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", user.name).strip("._") or "config"
    return f"{name[:40]}-{hashlib.sha256(str(user).encode('utf-8', 'surrogateescape')).hexdigest()[:12]}"


def state_dir() -> Path:
    """Where the configuration in use keeps its state (the mail journal): FACTSHEETS_STATE if
    set, else $XDG_STATE_HOME/factsheets/<state_key()> (~/.local/state/factsheets/… by default).
    Not created here. RuntimeError when no home folder can be found."""
    value = os.environ.get(STATE_VARIABLE, "").strip()
    if value:
        return Path(value).expanduser().resolve()
    base = os.environ.get("XDG_STATE_HOME", "").strip()
    # The XDG specification: a relative path there is invalid and ignored.
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "state"
    return root / "factsheets" / state_key()


def reference_dir() -> Path:
    return config_dir() / "reference"


def profiles_dir() -> Path:
    return config_dir() / "profiles"


def assets_dir() -> Path:
    user = user_config_dir()
    return user / "assets" if user is not None else DEFAULT_ASSETS_DIR


def territoires_industrie_file() -> Path:
    return reference_dir() / "territoires_industrie.yaml"


def mail_config() -> Path:
    return config_dir() / "mail.yaml"


def settings_base_dir() -> Path:
    """The folder relative paths in settings.yaml start from (logos: `assets/logo.png`):
    the user's configuration folder, or the folder holding the shipped config/ and assets/."""
    return user_config_dir() or DEFAULT_ASSETS_DIR.parent


def font_dirs() -> tuple[Path, ...]:
    """Where font files named in settings.yaml are looked for: the user's `fonts/`, then the
    shipped fonts."""
    user = user_config_dir()
    return (user / "fonts", FONTS_DIR) if user is not None else (FONTS_DIR,)


_DYNAMIC = {
    "CONFIG_DIR": config_dir,
    "REFERENCE_DIR": reference_dir,
    "PROFILES_DIR": profiles_dir,
    "ASSETS_DIR": assets_dir,
    "MAIL_CONFIG": mail_config,
    "TERRITOIRES_INDUSTRIE_FILE": territoires_industrie_file,
}


def __getattr__(name: str) -> Path:
    try:
        return _DYNAMIC[name]()
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def logo_path(value: object) -> Path | None:
    """A logo named in settings.yaml `logos:`: absolute, or relative to `settings_base_dir()`
    (`assets/logo.png`); None when none is configured."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    path = Path(str(value))
    try:
        path = path.expanduser()
    except RuntimeError:  # "~user" of an unknown user: looked up as written, and not found
        pass
    return path if path.is_absolute() else settings_base_dir() / path
