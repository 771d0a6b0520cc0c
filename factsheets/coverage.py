"""What the data covers: France and which regions a sheet may compare with (spec section 13).

France figures need data that covers France: all 101 departments in the year, or a national
source recorded by `factsheets ingest --national` (the unallocated remainder then makes
France's totals the national file's). A region's figures need all of its departments. The
coverage is computed once per data file and year and read by `render`, `check` and
`indicators`; it never changes a figure, it only says which ones may be printed.

`ingest` records what its output covers in the Parquet file's key-value metadata:
METADATA_DEPARTMENTS (the department codes present, comma-separated) and METADATA_NATIONAL
(JSON: the national file's name and its years, or empty without one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

METADATA_DEPARTMENTS = "factsheets.departments"
METADATA_NATIONAL = "factsheets.national_source"
NATIONAL_HOW = "factsheets ingest SOURCE... --profile PROFIL --national FICHIER --out DONNÉES.parquet"


def read_metadata(path: Path) -> dict[str, str]:
    """The factsheets keys of a Parquet file's metadata; {} for a CSV or a file without them."""
    path = Path(path)
    if path.suffix.lower() != ".parquet":
        return {}
    try:
        metadata = pl.read_parquet_metadata(path)
    except Exception:  # unreadable metadata: the data reader reports the file itself
        return {}
    return {key: value for key, value in metadata.items() if key.startswith("factsheets.")}


def national_metadata(file_name: str, years: list[int]) -> str:
    return json.dumps({"file": file_name, "years": sorted(years)}, ensure_ascii=False, sort_keys=True)


def national_years(metadata: dict[str, str]) -> tuple[str | None, frozenset[int]]:
    """(national file name, its years) recorded in the metadata; (None, {}) without one."""
    raw = metadata.get(METADATA_NATIONAL, "")
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        value = None
    if not isinstance(value, dict):
        return None, frozenset()
    years = value.get("years")
    if not isinstance(years, list):
        return None, frozenset()
    return str(value.get("file") or ""), frozenset(int(year) for year in years if isinstance(year, int))


@dataclass(frozen=True)
class Coverage:
    """The departments present in one year's data and whether a national source covers it."""

    year: int
    present: frozenset[str]  # real departments with at least one row in the year
    regions: dict[str, tuple[str, ...]]  # region code -> its departments (reference order)
    region_names: dict[str, str]
    all_departments: int
    national_source: bool
    national_file: str | None = None

    @classmethod
    def of(cls, trade: pl.DataFrame, reference, year: int, path: Path | None = None) -> Coverage:
        codes = reference.departments["code"].to_list()
        rows = trade.filter(pl.col("year") == year)
        present = frozenset(rows.filter(pl.col("department").is_in(codes))["department"].unique().to_list())
        regions: dict[str, list[str]] = {}
        for code, region in reference.departments.select("code", "region").iter_rows():
            regions.setdefault(region, []).append(code)
        names = {region: reference.region_name(region) for region in regions}
        file_name, years = national_years(read_metadata(path)) if path is not None else (None, frozenset())
        return cls(
            year,
            present,
            {region: tuple(members) for region, members in regions.items()},
            names,
            len(codes),
            year in years,
            file_name if year in years else None,
        )

    @property
    def nation(self) -> bool:
        return self.national_source or len(self.present) == self.all_departments

    def region_missing(self, region: str) -> list[str]:
        return [code for code in self.regions.get(region, ()) if code not in self.present]

    def region(self, region: str) -> bool:
        return not self.region_missing(region)

    def to_json(self, region: str) -> dict:
        return {
            "year": self.year,
            "departments_present": len(self.present),
            "departments_total": self.all_departments,
            "nation": self.nation,
            "region": self.region(region),
            "national_source": self.national_source,
            "region_missing": self.region_missing(region),
        }

    # -- what `render` and `check` say ----------------------------------------------------------
    def nation_note(self) -> str | None:
        if self.nation:
            return None
        return (
            f"France entière absente des fiches : les données de {self.year} ne couvrent que "
            f"{len(self.present)} département(s) sur {self.all_departments} et aucun fichier national ; "
            f"ajoutez le fichier national avec « {NATIONAL_HOW} »"
        )

    def region_note(self, regions: list[str]) -> str | None:
        """One line for the regions of the rendered sheets that are not whole."""
        partial = [region for region in dict.fromkeys(regions) if not self.region(region)]
        if not partial:
            return None
        described = "; ".join(
            f"{self.region_names.get(region, region)} ({len(self.regions[region]) - len(self.region_missing(region))} "
            f"sur {len(self.regions[region])}, manque {', '.join(self.region_missing(region))})"
            for region in partial
        )
        return (
            f"comparaison régionale absente des fiches, région(s) incomplète(s) en {self.year} : {described} ; "
            "ajoutez les fichiers des départements manquants à « factsheets ingest »"
        )

    def partial_notes(self) -> list[str]:
        """`check`: what the data leaves out (France, the incomplete regions it has departments of)."""
        regions = [
            region
            for region, members in self.regions.items()
            if len(members) > 1 and any(code in self.present for code in members)
        ]
        return [note for note in (self.nation_note(), self.region_note(regions)) if note]
