"""What the charts read from settings.yaml: colours, sizes and the few words they print.

Every chart text (legend words, captions, units) comes from `charts.labels` in
config/settings.yaml, never from Python. A missing key is a FactsheetsError naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlab.lib.colors import Color

from .. import paths
from ..config import MAX_SIZE_POINTS, in_range
from ..errors import FactsheetsError
from ..fonts import FontNames
from .vector import color


def settings_file() -> Path:
    """The settings.yaml in use (--config), which messages name."""
    return paths.config_dir() / "settings.yaml"


def setting(settings: dict, dotted: str) -> Any:
    """settings["a"]["b"]["c"] for "a.b.c", or a FactsheetsError naming the missing key."""
    node: Any = settings
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise FactsheetsError(f"{settings_file()} : clé « {dotted} » manquante ; ajoutez-la (voir le settings.yaml fourni)")
        node = node[part]
    return node


def number(settings: dict, dotted: str) -> float:
    """A chart size: finite, 0 to MAX_SIZE_POINTS (the bounds `check` applies, held at render too)."""
    value = setting(settings, dotted)
    if not in_range(value, 0, MAX_SIZE_POINTS):
        raise FactsheetsError(
            f"{settings_file()} : « {dotted} » doit être un nombre de points entre 0 et {MAX_SIZE_POINTS}, pas « {value} » ; "
            "corrigez-le (factsheets check le signale aussi)"
        )
    return float(value)


def colour(settings: dict, key: str) -> Color:
    value = setting(settings, f"colors.{key}")
    try:
        return color(str(value))
    except ValueError:
        raise FactsheetsError(
            f'{settings_file()} : « colors.{key} » n\'est pas une couleur (« {value} ») ; utilisez "#RRGGBB"'
        ) from None


def label(settings: dict, key: str) -> str:
    return str(setting(settings, f"charts.labels.{key}"))


@dataclass(frozen=True)
class ChartFonts:
    """Registered face names; charts refuse to draw with faces ReportLab does not know."""

    names: FontNames

    @classmethod
    def from_settings(cls, settings: dict) -> ChartFonts:
        names = FontNames.from_settings(settings)
        if not names.is_registered():
            raise FactsheetsError(
                f"les polices « {names.family} » ne sont pas enregistrées ; appelez d'abord factsheets.fonts.register_fonts(settings)"
            )
        return cls(names)

    @property
    def regular(self) -> str:
        return self.names.regular

    @property
    def semibold(self) -> str:
        return self.names.semibold

    @property
    def bold(self) -> str:
        return self.names.bold
