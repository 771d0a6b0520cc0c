"""What a `render` run draws from, kept until its data, configuration, code or options change.

Before drawing, a run reads and validates its data file with Polars and computes the
indicators of the departments asked for: most of a one-sheet run's fixed cost. When the
same run was made before, its record gives the same things back: the departments to draw
(normalised, in region order, those without data), the year, the synthetic flag, the
run's notes and every department's indicators. Polars is then not imported and no row is
read.

A record is found under a key, the SHA-256 of:

- the content of the data file (its SHA-256) and the path given with --data (messages
  name it);
- the year and the departments as typed, and the sheet options (--evolution, --annexe,
  --html);
- the fingerprint of check_cache: the configuration's files, factsheets' own code, the
  versions of Python and of the libraries.

Any change to any of them misses, and the run computes from the data as always; a data
file larger than MOST_HASHED_BYTES is never recorded. Records are JSON (nothing in them
can run code when read), in the configuration's state folder (paths.state_dir()), written
whole or not at all (files.write_atomically), at most RECORDS_PER_DATA_FILE per data file
(the oldest removed). A record that cannot be read, does not parse, is not of this key or
whose body is not the one written (its SHA-256, in the header) is ignored and written
again. A record is written only if it reads back equal to what was computed.
FACTSHEETS_RENDER_CACHE=0 turns it off.

A record is JSON documents one per line: a header (the key, the plan, the body's digest,
which line is whose), then each region's and France's flows (shared by many sheets), then
each sheet's own indicators. Reading a record parses the header only; a sheet's line is
decoded when the sheet is drawn, by the process that draws it (RecordedIndicators): the
helpers get the lines as they are, and start drawing before this process has decoded the
101 sheets (~0.11 s) and pickled them for the helpers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import model, paths

RECORD_VERSION = 2
DISABLE_VARIABLE = "FACTSHEETS_RENDER_CACHE"  # "0": records neither read nor written
RECORDS_PER_DATA_FILE = 4
MOST_HASHED_BYTES = 256 * 1024 * 1024  # a larger data file is read as without records (_file_digest)
_PREFIX = "render-"
# The classes a record may hold: the indicator objects, nothing else.
_CLASSES = {
    cls.__name__: cls
    for cls in vars(model).values()
    if isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields")
}


@dataclass(frozen=True)
class RunPlan:
    """What a run draws, decided from the data before any sheet (render.batch)."""

    year: int
    synthetic: bool
    codes: list[str]  # the departments drawn, normalised, in the order asked
    ordered: list[str]  # the same, in region order (the drawing order)
    absent: list[str]  # --all: departments without data in the year
    failures: dict[str, str]  # departments asked for without data -> message
    without_territoires: list[str]
    notes: list[str]


@dataclass(frozen=True)
class RecordSlot:
    """Where the record of one run's key lives."""

    path: Path
    key: str


def slot(typed_codes: Sequence[str] | None, year: int | None, data: Path, options: Sequence) -> RecordSlot | None:
    """The record slot of this run, or None (cache turned off, data or configuration
    unreadable, no state folder: the run computes from the data)."""
    from .check_cache import fingerprint_or_none

    if os.environ.get(DISABLE_VARIABLE, "").strip() == "0":
        return None
    data_digest = _file_digest(Path(data))
    config_digest = fingerprint_or_none()
    if data_digest is None or config_digest is None:
        return None
    try:
        folder = paths.state_dir()
    except RuntimeError:  # no home folder
        return None
    parts = {
        "version": RECORD_VERSION,
        "data": data_digest,
        "path": str(data),
        "year": year,
        "codes": None if typed_codes is None else list(typed_codes),
        "options": list(options),
        "configuration": config_digest,
    }
    key = hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8", "surrogateescape")).hexdigest()
    return RecordSlot(folder / f"{_PREFIX}{data_digest[:16]}-{key[:16]}.json", key)


def read(record: RecordSlot) -> tuple[RunPlan, RecordedIndicators] | None:
    """The plan and indicators recorded under this slot's key, or None (no record, or one
    that is damaged or not of this key)."""
    try:
        head, _, body = record.path.read_bytes().partition(b"\n")
        header = json.loads(head)
        if header.get("version") != RECORD_VERSION or header.get("key") != record.key:
            return None
        if hashlib.sha256(body).hexdigest() != header["body"]:
            return None
        plan = RunPlan(**header["plan"])
        indicators = RecordedIndicators.from_lines(body.split(b"\n") if body else [], header["areas"], header["sheets"])
        if sorted(indicators) != sorted(plan.ordered):
            return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return None
    return plan, indicators


def write(record: RecordSlot, plan: RunPlan, indicators: Mapping[str, model.DepartmentIndicators]) -> None:
    """Record the run (only the departments it drew), unless it would not read back equal."""
    from .files import write_atomically

    drawn = {code: indicators[code] for code in plan.ordered}
    try:
        lines, area_count, entries = record_lines(drawn)
    except TypeError:  # a value of a kind the record does not hold: no record
        return
    try:
        if dict(RecordedIndicators.from_lines(lines, area_count, entries)) != drawn:  # e.g. a NaN, never equal to itself
            return
    except (ValueError, KeyError, TypeError):
        return
    body = b"\n".join(lines)
    header = {
        "version": RECORD_VERSION,
        "key": record.key,
        "plan": dataclasses.asdict(plan),
        "body": hashlib.sha256(body).hexdigest(),
        "areas": area_count,
        "sheets": entries,
    }
    try:
        record.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(record.path, _line(header) + b"\n" + body)
        _prune(record.path)
    except OSError:
        pass  # a read-only state folder: the next run computes again


class RecordedIndicators(Mapping):
    """A recorded run's indicators by department, each decoded from its line when first asked
    for (a region's and France's flows once, shared by the sheets that name them)."""

    def __init__(self, areas: list[bytes], sheets: dict[str, tuple[bytes, int, int]]):
        self._areas = areas
        self._sheets = sheets  # code -> (its line, the index of its region's and France's lines)
        self._decoded_areas: dict[int, model.AreaFlows] = {}
        self._decoded: dict[str, model.DepartmentIndicators] = {}

    @classmethod
    def from_lines(cls, lines: list[bytes], area_count: int, entries: list) -> RecordedIndicators:
        """`lines`: the areas' then the sheets' (`entries`: [code, region, nation] each, in line order)."""
        if len(lines) != area_count + len(entries):
            raise ValueError("lines and entries disagree")
        areas = lines[:area_count]
        sheets = {}
        for (code, region, nation), line in zip(entries, lines[area_count:], strict=True):
            if not (isinstance(code, str) and 0 <= region < area_count and 0 <= nation < area_count):
                raise ValueError(f"entry {code!r}")
            sheets[code] = (line, region, nation)
        return cls(areas, sheets)

    def __getitem__(self, code: str) -> model.DepartmentIndicators:
        if code not in self._decoded:
            line, region, nation = self._sheets[code]
            self._decoded[code] = decode_sheet(line, self._area(region), self._area(nation))
        return self._decoded[code]

    def __contains__(self, code: object) -> bool:
        return code in self._sheets  # (Mapping's own decodes the sheet to find out)

    def __iter__(self) -> Iterator[str]:
        return iter(self._sheets)

    def __len__(self) -> int:
        return len(self._sheets)

    def lines(self, code: str) -> tuple[bytes, bytes, bytes]:
        """The department's own line, its region's and France's, as recorded (for a helper
        process, which decodes them itself: decode_area, decode_sheet)."""
        line, region, nation = self._sheets[code]
        return line, self._areas[region], self._areas[nation]

    def _area(self, index: int) -> model.AreaFlows:
        if index not in self._decoded_areas:
            self._decoded_areas[index] = decode_area(self._areas[index])
        return self._decoded_areas[index]


def decode_area(line: bytes) -> model.AreaFlows:
    """A region's or France's flows from their line of a record."""
    area = _decoded(line)
    if not isinstance(area, model.AreaFlows):
        raise TypeError(type(area).__name__)
    return area


def decode_sheet(line: bytes, region: model.AreaFlows, nation: model.AreaFlows) -> model.DepartmentIndicators:
    """A department's indicators from its line of a record and its region's and France's flows."""
    local = _decoded(line)
    if not isinstance(local, model.DepartmentIndicators):
        raise TypeError(type(local).__name__)
    return local._replace(region_flows=region, nation_flows=nation)


def _line(value: object) -> bytes:
    """One JSON document on one line (json.dumps escapes every newline inside a string)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _file_digest(path: Path) -> str | None:
    """The SHA-256 of the file, or None when it cannot be read or is larger than
    MOST_HASHED_BYTES: hashing a file of several GB costs seconds on every run, for a record
    that spares little beside reading it (a render then reads only its year, pushed down)."""
    digest = hashlib.sha256()
    try:
        if path.stat().st_size > MOST_HASHED_BYTES:
            return None
        with path.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None  # the loader reports the real problem
    return digest.hexdigest()


def _prune(kept: Path) -> None:
    """At most RECORDS_PER_DATA_FILE records of this data file: the most recent ones."""
    from .files import keep_newest

    keep_newest(kept.parent, f"{kept.name[: len(_PREFIX) + 16]}-*.json", RECORDS_PER_DATA_FILE)


# -- the indicators as JSON -------------------------------------------------------------------
# A region's and France's flows are shared by many sheets: each is written once, as an area,
# and the sheets name it by its index.


def record_lines(indicators: dict[str, model.DepartmentIndicators]) -> tuple[list[bytes], int, list[list]]:
    """The body of a record of `indicators` (RecordedIndicators.from_lines reads it back):
    its lines (the areas', then each sheet's own), the number of areas, and per sheet
    [code, its region's area, France's]. TypeError: a value a record does not hold."""
    areas, sheets = _encode_indicators(indicators)
    lines = [_line(area) for area in areas] + [_line(sheet) for _code, sheet, _region, _nation in sheets]
    return lines, len(areas), [[code, region, nation] for code, _sheet, region, nation in sheets]


def _encode_indicators(indicators: dict[str, model.DepartmentIndicators]) -> tuple[list, list[tuple]]:
    """(the areas encoded, (code, its own indicators encoded, region index, nation index) per sheet)."""
    areas: list = []
    index_of: dict[int, int] = {}

    def area_index(area: model.AreaFlows) -> int:
        if id(area) not in index_of:
            index_of[id(area)] = len(areas)
            areas.append(_encode(area))
        return index_of[id(area)]

    sheets = []
    for code, ind in indicators.items():
        local = ind._replace(region_flows=None, nation_flows=None)
        sheets.append((code, _encode(local), area_index(ind.region_flows), area_index(ind.nation_flows)))
    return areas, sheets


def _encode(value: object) -> object:
    """A JSON value that _decoded turns back into an equal `value`: an object of model,
    a tuple, a list, a dict (keys of any kind, order kept), or a JSON scalar."""
    if value is None or type(value) in (str, int, float, bool):
        return value  # a float as its shortest repr: read back bit for bit
    if type(value) is tuple:
        return {"tuple": [_encode(item) for item in value]}
    if type(value) is list:
        return [_encode(item) for item in value]
    if type(value) is dict:
        return {"dict": [[_encode(key), _encode(item)] for key, item in value.items()]}
    if type(value) in (frozenset, set):
        return {type(value).__name__: sorted(_encode(item) for item in value)}
    if _CLASSES.get(type(value).__name__) is type(value):
        fields = {name: _encode(item) for name, item in zip(value._fields, value)}
        return {"class": type(value).__name__, "fields": fields}
    raise TypeError(f"{type(value).__name__} cannot be recorded")


def _decoded(line: bytes) -> object:
    """The value _encode wrote on a record's line. json calls `_object` on every JSON object,
    innermost first, so the values are made in its C loop rather than by a walk in Python."""
    return json.loads(line, object_hook=_object)


# The kinds of objects _encode writes besides a model object's {"class", "fields"}; any other
# object is such an object's fields (no field of model is named like a kind: test_render_cache).
_KINDS = {
    "tuple": tuple,
    "dict": lambda pairs: {key: item for key, item in pairs},
    "frozenset": frozenset,
    "set": set,
}


def _object(value: dict) -> object:
    if len(value) == 1:
        ((kind, items),) = value.items()
        make = _KINDS.get(kind)
        return value if make is None else make(items)
    if len(value) == 2 and "class" in value and "fields" in value:
        # A record holds every field of its class (it is written only when it reads back equal).
        return _CLASSES[value["class"]](**value["fields"])
    return value
