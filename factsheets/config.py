"""YAML configuration: settings (colours, sizes, top-N, fonts, allowed codes) and texts.

Every YAML file is read through `load_yaml`, which turns a missing file or a syntax error
into one FactsheetsError line naming the file and the line.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .errors import FactsheetsError
from .paths import CONFIG_DIR


def load_yaml(path: Path) -> Any:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FactsheetsError(f"{path} : fichier introuvable") from None
    except UnicodeDecodeError as error:
        raise FactsheetsError(f"{path} : texte non UTF-8 ({error.reason} à l'octet {error.start}) ; enregistrez-le en UTF-8") from None
    except OSError as error:
        raise FactsheetsError(f"{path} : lecture impossible ({error.strerror})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise FactsheetsError(f"{where} : YAML invalide ({problem}) ; corrigez la syntaxe à cette ligne") from None


def load_mapping(path: Path) -> dict[str, Any]:
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise FactsheetsError(f"{path} : le premier niveau du YAML doit être une suite de paires clé: valeur")
    return data


def require(mapping: dict[str, Any], key: str, source: Path | str) -> Any:
    """A key the program cannot do without: its absence is a config error naming file and key."""
    if key not in mapping:
        raise FactsheetsError(f"{source} : clé « {key} » manquante")
    return mapping[key]


@lru_cache(maxsize=None)
def settings(config_dir: Path = CONFIG_DIR) -> dict[str, Any]:
    """config/settings.yaml: colours, sizes, top-N, fonts, metadata, allowed extra codes."""
    return load_mapping(Path(config_dir) / "settings.yaml")


@lru_cache(maxsize=None)
def texts(config_dir: Path = CONFIG_DIR) -> dict[str, Any]:
    """config/texts.yaml: every fixed French text of the sheet, with {placeholders}."""
    return load_mapping(Path(config_dir) / "texts.yaml")
