"""Pillow's image module, which ReportLab imports, runs only when first used (factsheets.deferred_modules)."""

from __future__ import annotations

import json
import subprocess
import sys

from cli_helpers import PROJECT_ROOT

# In a fresh process: the Aisne sheet drawn with no logo, then with two PNG logos; which of
# Pillow's modules had run at each step, and how many images each sheet holds.
_DRAWN_WITHOUT_THEN_WITH_LOGOS = """
import io, json, sys
from factsheets.config import LogoFiles, Settings
from factsheets.paths import SAMPLE_DATA
from factsheets.render import SheetRenderer, _find_logos

folder = sys.argv[1]
ran = lambda: sorted(name for name in ("PIL._imaging", "PIL.ExifTags", "PIL.TiffTags") if name in sys.modules)

def images(pdf):
    from pypdf import PdfReader  # which runs Pillow's image module: imported once the first sheet is drawn

    return sum(
        1
        for page in PdfReader(io.BytesIO(pdf)).pages
        for ref in page["/Resources"].get("/XObject", {}).values()
        if ref.get_object().get("/Subtype") == "/Image"
    )

renderer = SheetRenderer(SAMPLE_DATA, 2024, ["02"])
plain = renderer.sheet_bytes("02")
report = {"imported": "PIL.Image" in sys.modules, "ran_without_logos": ran()}
report["images_without_logos"] = images(plain)
import PIL.Image as Image
for name, size in (("government", (120, 90)), ("agency", (200, 90))):
    Image.new("RGB", size, "navy").save(f"{folder}/{name}.png")
renderer.logos = _find_logos(Settings(logos=LogoFiles(government=f"{folder}/government.png", agency=f"{folder}/agency.png")))
report.update(ran_with_logos=ran(), images_with_logos=images(renderer.sheet_bytes("02")))
print(json.dumps(report))
"""


def test_a_sheet_without_logos_never_runs_pillow_and_logos_still_draw(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", _DRAWN_WITHOUT_THEN_WITH_LOGOS, str(tmp_path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    # ReportLab imported PIL.Image (its `from PIL import Image`), which has not run.
    assert report["imported"] and report["ran_without_logos"] == [] and report["images_without_logos"] == 0
    # Its first use ran it: the logos are drawn.
    assert report["ran_with_logos"] == ["PIL.ExifTags", "PIL.TiffTags", "PIL._imaging"]
    assert report["images_with_logos"] == 2


def test_an_imported_module_is_left_as_it_is():
    """The finder defers a module on its first import only: one imported already (matplotlib
    or the tests ran it) is the module itself."""
    import PIL.Image

    from factsheets import deferred_modules

    deferred_modules.install()
    assert sys.modules["PIL.Image"] is PIL.Image and PIL.Image.Image.__name__ == "Image"
