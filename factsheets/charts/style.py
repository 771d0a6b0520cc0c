"""The fonts the charts draw with. Their colours, sizes and words are read from the typed
settings (`settings.colors.text`, `settings.charts.treemap.font_size`,
`settings.charts.labels.no_data`): settings.yaml is checked once, where it is read
(config.load_settings), never again at draw time."""

from __future__ import annotations

from typing import NamedTuple

from ..config import Settings
from ..errors import FactsheetsError
from ..fonts import FontNames


class ChartFonts(NamedTuple):
    """Registered face names; charts refuse to draw with faces ReportLab does not know."""

    names: FontNames

    @classmethod
    def from_settings(cls, settings: Settings) -> ChartFonts:
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
