"""Font registration: the Open Sans family for ReportLab and matplotlib, once per process.

The sheet body and the charts use the same embedded TrueType files from `fonts/`, so the
PDF carries one font family only; matplotlib is pointed at the same files for figures
with axes. Call `register_pdf_fonts(settings)` (a sheet needs nothing else) or
`register_fonts(settings)` once before laying out or drawing; later calls with the same
configuration return the same names without touching the disk. (The matplotlib -> SVG ->
svglib route is only measured, in benchmarks/peer_matplotlib.py, which maps svglib's fonts.)
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import string
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from reportlab import rl_config
from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfdoc, pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont

from . import paths
from .errors import FactsheetsError, Problem, error_detail, printable
from .interrupted import is_interrupt

if TYPE_CHECKING:
    from .config import Settings

# settings.yaml `fonts:` keys of the five faces, in registration order.
FACES = ("regular", "bold", "italic", "bold_italic", "semibold")
# What each face's ReportLab name adds to the family's (FontNames.from_settings).
FACE_SUFFIXES = {"regular": "", "bold": "-Bold", "italic": "-Italic", "bold_italic": "-BoldItalic", "semibold": "-Semibold"}


class FontNames(NamedTuple):
    """ReportLab names of the registered faces, and the family name matplotlib uses."""

    family: str
    regular: str
    bold: str
    italic: str
    bold_italic: str
    semibold: str

    @classmethod
    def from_settings(cls, settings: Settings) -> FontNames:
        """The names `register_fonts` gives, derived from `fonts.family` (pure: no registration)."""
        family = settings.fonts.family
        base = family.replace(" ", "")
        return cls(family=family, **{face: base + FACE_SUFFIXES[face] for face in FACES})

    def face(self, key: str) -> str:
        return getattr(self, key)

    def is_registered(self) -> bool:
        registered = set(pdfmetrics.getRegisteredFontNames())
        return all(self.face(key) in registered for key in FACES)


def font_files(settings: Settings, fonts_dir: Path | None = None) -> dict[str, Path]:
    """Face key -> TTF path, from `fonts:` in settings.yaml: absolute, or a name looked up in
    the user's `fonts/` folder then the shipped fonts (paths.font_dirs), or in `fonts_dir`."""
    folders = (Path(fonts_dir),) if fonts_dir is not None else paths.font_dirs()
    files = {}
    for key in FACES:
        found, candidates = find_font(getattr(settings.fonts, key), folders)
        files[key] = found if found is not None else candidates[-1]
    return files


def find_font(name: str, folders: tuple[Path, ...] | None = None) -> tuple[Path | None, list[Path]]:
    """The first existing file for a `fonts:` value, and every place it was looked for.

    "~" is expanded; an absolute path is its own only candidate, a bare name is looked up in
    `folders` (default: paths.font_dirs(), the user's `fonts/` then the shipped fonts).
    """
    path = Path(name)
    try:
        path = path.expanduser()
    except RuntimeError:  # "~user" of an unknown user: looked up as written, and not found
        pass
    if path.is_absolute():
        candidates = [path]
    else:
        candidates = [Path(folder) / path for folder in (folders if folders is not None else paths.font_dirs())]
    return next((candidate for candidate in candidates if candidate.is_file()), None), candidates


_registered: dict[tuple, FontNames] = {}
_pdf_registered: dict[tuple, FontNames] = {}


def _registration_key(names: FontNames, files: dict[str, Path]) -> tuple:
    return names, tuple(str(files[face]) for face in FACES)


def register_pdf_fonts(settings: Settings, fonts_dir: Path | None = None) -> FontNames:
    """Register the font family for ReportLab only; idempotent per process.

    All a sheet needs (its charts are ReportLab drawings): render processes call this and
    skip matplotlib, whose set-up costs ~0.5 s per process.
    A missing or unreadable TTF file is a FactsheetsError naming the path.
    """
    names = FontNames.from_settings(settings)
    files = font_files(settings, fonts_dir)
    key = _registration_key(names, files)
    if key in _pdf_registered and names.is_registered():  # register_fonts passes here too
        return names
    for face in FACES:
        path = files[face]
        if not path.is_file():
            raise FactsheetsError(
                f"{path} : fichier de police introuvable ; placez les fichiers TTF {names.family} dans {path.parent} "
                f"ou corrigez « fonts.{face} » dans {paths.config_dir() / 'settings.yaml'}"
            )
    for face in FACES:
        _register_reportlab_face(names.face(face), files[face])
    _register_family(names)
    keep_no_break_spaces_unstretched()
    _pdf_registered[key] = names
    return names


def register_fonts(settings: Settings, fonts_dir: Path | None = None) -> FontNames:
    """Register the font family for ReportLab and matplotlib; idempotent per process.

    A missing or unreadable TTF file is a FactsheetsError naming the path.
    """
    names = register_pdf_fonts(settings, fonts_dir)
    files = font_files(settings, fonts_dir)
    key = _registration_key(names, files)
    if key in _registered and names.is_registered():
        return _registered[key]
    _register_matplotlib(names, files)
    _registered[key] = names
    return names


def subset_tag(font_name: str, index: int, code_points: list[int]) -> bytes:
    """Six capital letters naming one embedded subset: a hash of the face, the subset's number
    and its characters, so each subset has its own tag and the same sheet the same bytes.

    ReportLab tags every subset by its number alone ("AAAAAA+" for the first subset of
    every face), which PDF tools read as one font embedded several times.
    """
    digest = hashlib.sha256(f"{font_name}|{index}|{','.join(map(str, code_points))}".encode()).digest()
    return "".join(string.ascii_uppercase[byte % 26] for byte in digest[:6]).encode("ascii")


NO_BREAK_SPACE = 0x00A0
# A private-use code point that stands for U+00A0 inside ReportLab's subsetting (see splitString).
_NO_BREAK_STAND_IN = 0xF8A0


class TaggedTTFont(TTFont):
    """A TrueType face whose embedded subsets carry distinct, deterministic tags (`subset_tag`)
    and whose no-break space keeps its own code, so the text layer reads U+00A0 (SPEC 11).

    ReportLab's splitString writes U+00A0 with the space's code 32, so that the word spacing
    of a justified line (Tw, which applies to code 32 only) stretches it too: a copied
    « exportations : 9 114.8 » then held plain spaces. Here the no-break space goes through
    ReportLab's subsetting as a private-use stand-in with the same glyph, and the subset
    records U+00A0 for it (its ToUnicode entry). It is then a fixed space, as French
    typography wants it; `keep_no_break_spaces_unstretched` tells the paragraphs so.
    """

    def __init__(self, name, filename, **kwargs):
        super().__init__(name, filename, **kwargs)
        glyphs = self.face.charToGlyph
        if NO_BREAK_SPACE in glyphs:
            glyphs[_NO_BREAK_STAND_IN] = glyphs[NO_BREAK_SPACE]
        self.face.makeSubset = _remembering_subsets(self.face.makeSubset)

    def splitString(self, text, doc, encoding="utf-8"):
        if isinstance(text, bytes):
            text = text.decode(encoding)
        recorder = getattr(doc, "page_recorder", None)  # a page being recorded (pdf_replay)
        if recorder is not None:
            recorder.text(self.fontName, text)
        if chr(NO_BREAK_SPACE) not in text or _NO_BREAK_STAND_IN not in self.face.charToGlyph:
            return self._encoded(text, doc)
        chunks = self._encoded(text.replace(chr(NO_BREAK_SPACE), chr(_NO_BREAK_STAND_IN)), doc)
        state = self.state[doc]
        code = state.assignments[_NO_BREAK_STAND_IN]
        state.subsets[code >> 8][code & 0xFF] = NO_BREAK_SPACE  # the subset's character for that code
        return chunks

    def _encoded(self, text: str, doc) -> list[tuple[int, bytes]]:
        """ReportLab's splitString, without its character-by-character loop when every
        character of `text` already has its code in this document's first subset (most
        strings of a sheet after its first page): then the whole text is one chunk of subset
        0, its bytes those codes, as ReportLab would have made them."""
        state = self.state.get(doc)
        known = getattr(state, "first_subset_codes", None)
        if known is not None and known.chars.issuperset(text):
            return [(0, text.translate(known.table).encode("latin-1"))] if text else []
        chunks = super().splitString(text, doc)
        state = self.state[doc]
        if known is None:
            known = state.first_subset_codes = _FirstSubsetCodes()
        known.update(state.assignments)
        return chunks

    def addObjects(self, doc):
        state = self.state.get(doc)
        subsets = state.subsets if state is not None else []
        tags = [subset_tag(self.fontName, index, subset) for index, subset in enumerate(subsets)]
        names = [f"{state.internalName}+{index}" for index in range(len(subsets))] if state is not None else []
        # ReportLab builds the tag with the module function SUBSETN(n) inside addObjects; it is
        # swapped for the time of this call only (rendering is single-threaded per process).
        numbered = ttfonts.SUBSETN
        ttfonts.SUBSETN = lambda index: tags[index]
        try:
            super().addObjects(doc)
        finally:
            ttfonts.SUBSETN = numbered
        fonts = doc.idToObject["BasicFonts"].dict
        for name in names:  # each subset's font dictionary, made by ReportLab just now
            fonts[name].Widths = _NumbersArray(fonts[name].Widths.sequence)


class _NumbersArray(pdfdoc.PDFArray):
    """A PDFArray of numbers only (a subset's glyph widths, up to 256 of them), in the bytes
    PDFArray.format writes (ten to a line), from one fp_str call per ten numbers rather than
    a trip through pdfdoc.format and the PDFDocEncoding codec for each."""

    def format(self, document, IND=b"\n "):
        if rl_config.pdfMultiLine:
            return super().format(document, IND)
        numbers = self.sequence
        lines = (fp_str(*numbers[start : start + 10]).encode("ascii") for start in range(0, len(numbers), 10))
        return b"[ " + b" \n  ".join(lines) + b" ]"


# Font files of subsets remembered per face (least recently used dropped first): the bold,
# semibold and italic faces show the same characters on most sheets, ~20 KB each.
REMEMBERED_SUBSETS = 8


def _remembering_subsets(make_subset: Callable[[list[int]], bytes]) -> Callable[[list[int]], bytes]:
    """A face's `makeSubset` that builds the font file of a list of characters once: the
    file depends on that list only, and a sheet embeds the same subsets as many others."""
    made = functools.lru_cache(maxsize=REMEMBERED_SUBSETS)(lambda characters: make_subset(list(characters)))

    def remembering(subset: list[int]) -> bytes:
        return made(tuple(subset))

    remembering.forget = made.cache_clear  # every file built so far made again when next asked for
    return remembering


class _FirstSubsetCodes:
    """The characters a document's subsetting has numbered in its subset 0, and their codes
    (a str.translate table), kept up to date with ReportLab's `assignments`, which only grow
    (codes are never taken back, and a dict keeps the order they were given in)."""

    def __init__(self) -> None:
        self.chars: set[str] = set()
        self.table: dict[int, int] = {}
        self.seen = 0  # how many of the assignments have been looked at

    def update(self, assignments: dict[int, int]) -> None:
        if len(assignments) == self.seen:
            return
        for character, code in itertools.islice(assignments.items(), self.seen, None):
            if code < 256:  # past 255, the character is in a later subset: ReportLab's loop
                self.table[character] = code
                self.chars.add(chr(character))
        self.seen = len(assignments)


@functools.cache
def keep_no_break_spaces_unstretched() -> None:
    """Justified paragraphs share a line's extra space among its word spaces only.

    ReportLab's paragraphs count each U+00A0 as one more stretched space (`_nbspCount`),
    true of its own splitString, where the no-break space has the space's code; with
    TaggedTTFont's own code the PDF does not stretch it, and counting it would end each
    such line short of the margin. The count is replaced once, as typography.py widens
    ReportLab's hyphenation test."""
    from reportlab.platypus import paragraph

    paragraph._nbspCount = lambda _text: 0


def _register_family(names: FontNames) -> None:
    pdfmetrics.registerFontFamily(
        names.regular, normal=names.regular, bold=names.bold, italic=names.italic, boldItalic=names.bold_italic
    )


def _opened_face(name: str, path: Path) -> TaggedTTFont:
    """The face of `path`, opened and checked whole (every table inside the file), or a
    FactsheetsError naming the file: a truncated or non-font file never reaches a sheet."""
    try:
        font = TaggedTTFont(name, str(path))
        size = path.stat().st_size
        tables = getattr(font.face, "table", {}) or {}
        cut = [tag for tag, entry in tables.items() if entry["offset"] + entry["length"] > size]
    except OSError as error:
        raise FactsheetsError(
            Problem(
                str(path),
                what=f"police TrueType illisible ({error.strerror or error_detail(error)})",
                fix="vérifiez le fichier et ses droits",
            )
        ) from None
    except Exception as error:  # noqa: BLE001 (TTFError, struct.error, IndexError…: a damaged file, whatever the parser says)
        if is_interrupt(error):  # a Ctrl-C, which the parser's bare excepts turn into a TTFError
            raise KeyboardInterrupt from error
        raise FactsheetsError(
            Problem(
                str(path),
                what="police TrueType illisible, fichier tronqué ou abîmé",
                fix="remplacez-le par une copie complète du fichier .ttf",
            )
        ) from None
    if cut:
        raise FactsheetsError(
            Problem(
                str(path),
                what=f"police TrueType tronquée (table {printable(cut[0])} hors du fichier)",
                fix="remplacez-la par une copie complète du fichier .ttf",
            )
        )
    return font


def font_problem(path: Path) -> Problem | None:
    """Why the TrueType file `path` cannot be used, or None: `check` opens it."""
    try:
        _opened_face("factsheets-check", path)
    except FactsheetsError as error:
        return error.problems[0]
    return None


def _register_reportlab_face(name: str, path: Path) -> None:
    pdfmetrics.registerFont(_opened_face(name, path))


def _register_matplotlib(names: FontNames, files: dict[str, Path]) -> None:
    """Make the family matplotlib's default, with SVG text kept as text and stable ids."""
    from matplotlib import font_manager, rcParams

    known = {Path(entry.fname).resolve() for entry in font_manager.fontManager.ttflist}
    for face in FACES:
        if files[face].resolve() not in known:
            font_manager.fontManager.addfont(str(files[face]))
    rcParams["font.family"] = names.family
    rcParams["svg.fonttype"] = "none"
    rcParams["svg.hashsalt"] = "factsheets"
    rcParams["pdf.fonttype"] = 42
