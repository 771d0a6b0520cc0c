"""Where the project's shipped files live (config, fonts, assets, bundled sample).

The tool is installed in editable mode from its repository (see README), so every shipped
file is found relative to the repository root. FACTSHEETS_HOME overrides that root.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(os.environ.get("FACTSHEETS_HOME", Path(__file__).resolve().parent.parent))
CONFIG_DIR = PROJECT_ROOT / "config"
REFERENCE_DIR = CONFIG_DIR / "reference"
PROFILES_DIR = CONFIG_DIR / "profiles"
TERRITOIRES_INDUSTRIE_FILE = REFERENCE_DIR / "territoires_industrie.yaml"
FONTS_DIR = PROJECT_ROOT / "fonts"
ASSETS_DIR = PROJECT_ROOT / "assets"
SAMPLE_DATA = PROJECT_ROOT / "data" / "sample" / "commerce-exterieur-synthetique.parquet"
DEFAULT_OUTPUT_DIR = Path("output")
