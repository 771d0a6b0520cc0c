"""`factsheets check`: every configuration file checked before any work, one line per problem.

A problem reads `file:line : what ; how to fix`. Errors stop `render`, `mail` and `ingest`
before anything is written (`preflight`); warnings (a year without its edition…) do not.

What is checked, in the configuration folder in use (paths.config_dir()):
- settings.yaml: YAML syntax, unknown keys (with the nearest known key), missing keys, colours
  (#RRGGBB), sizes (positive numbers, opacities between 0 and 1), font files, logo files,
  the codes of the `data` section;
- texts.yaml: YAML syntax, missing keys, placeholders each text may use (config.PLACEHOLDERS),
  editions (year, publication date, keys that exist in the texts);
- reference tables, ingest profiles, mail.yaml, and a recipients file when given (with the
  departments it names that the data lacks, and a sender still at the example's domain).

The shipped defaults are the schema of a user's folder: a key the defaults have and the
user's file lacks is missing; a key the defaults lack is unknown.
"""

from __future__ import annotations

import datetime
import re
import string
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from . import paths
from .config import (
    EDITIONS_KEY,
    MAX_SIZE_POINTS,
    MAX_TOP,
    PUBLICATION_DATE_KEY,
    Source,
    allowed_placeholders,
    in_range,
    neutral_texts,
    problem_at,
    read_source,
)
from .dataset import Dataset
from .errors import ConfigurationError, FactsheetsError, Problem, Problems, did_you_mean, error_detail, near_key, printable

HEX_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
# settings.yaml sections whose keys are free (codes), not names from the defaults.
FREE_SECTIONS = {("data", "unallocated_departments"), ("data", "extra_products"), ("data", "extra_countries")}
LOGO_KEYS = ("government", "agency")
_FONT_MAGIC = (b"\x00\x01\x00\x00", b"true", b"OTTO", b"ttcf")
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")
_DEEP = 12  # key lines recorded this deep


Place = tuple[str, int | None]
"""(file, line) of a problem: Source.place(*keys)."""


def _error(where: Place | Path | str, what: str, fix: str, *, warning: bool = False) -> Problem:
    """A problem at `where`: a (file, line) from Source.place, or a file (or folder) as a whole."""
    path, line = where if isinstance(where, tuple) else (str(where), None)
    return Problem(path, line, what, fix, warning)


def _warning(where: Place | Path | str, what: str, fix: str) -> Problem:
    return _error(where, what, fix, warning=True)


def _dotted(keys: tuple) -> str:
    return ".".join(str(key) for key in keys)


def _collect(action: Callable[[], Any], problems: Problems) -> Any:
    """Run a loader; the FactsheetsError it raises becomes its problems (None returned)."""
    try:
        return action()
    except FactsheetsError as error:
        problems.extend(error.problems)
        return None


def _source(path: Path, problems: Problems) -> Source | None:
    source = _collect(lambda: read_source(path, depth=_DEEP), problems)
    if source is not None and not isinstance(source.data, dict):
        problems.add(
            _error(
                str(path),
                "le fichier doit être une suite de paires clé: valeur",
                "repartez de la copie écrite par « factsheets init »",
            )
        )
        return None
    return source


def _is_user_folder(folder: Path) -> bool:
    return folder.resolve() != paths.DEFAULT_CONFIG_DIR.resolve()


# -- against the defaults -------------------------------------------------------------------------
def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    return "scalar"


_KIND_WORDS = {"mapping": "des paires clé: valeur", "list": "une liste", "scalar": "une valeur simple"}


def _compare(
    source: Source,
    value: Any,
    default: Any,
    keys: tuple,
    problems: Problems,
    *,
    unknown_is_error: bool,
    free: set[tuple] = frozenset(),
    skip: set[tuple] = frozenset(),
) -> None:
    """Keys of `value` against the defaults: missing, unknown (nearest known key), wrong kind."""
    if keys in free or keys in skip:
        return
    if _kind(value) != _kind(default) and not (default is None or value is None):
        problems.add(
            _error(
                source.place(*keys),
                f"« {_dotted(keys)} » doit être {_KIND_WORDS[_kind(default)]}",
                "reprenez la forme du fichier par défaut (factsheets init)",
            )
        )
        return
    if not isinstance(default, dict) or not isinstance(value, dict):
        return
    known = [str(key) for key in default]
    missing = [key for key in default if key not in value and keys + (key,) not in skip]
    nearest = {key: near_key(key, missing or known) for key in value if key not in default}
    misspelt = {near for near in nearest.values() if near is not None}
    for key in missing:
        if str(key) not in misspelt:  # a misspelt key is reported once, as unknown with its right name
            problems.add(
                _error(
                    source.place(*keys),
                    f"clé « {_dotted(keys + (key,))} » manquante",
                    "copiez-la depuis le fichier par défaut (factsheets init DOSSIER en écrit une copie)",
                )
            )
    for key in value:
        if key in default:
            _compare(
                source, value[key], default[key], keys + (key,), problems, unknown_is_error=unknown_is_error, free=free, skip=skip
            )
            continue
        if keys + (key,) in skip:
            continue
        near = nearest[key] if nearest[key] is not None else near_key(key, known)
        fix = did_you_mean(near) if near is not None else f"clés possibles ici : {', '.join(known)}"
        make = _error if unknown_is_error else _warning
        what = f"clé inconnue « {_dotted(keys + (key,))} »" + ("" if unknown_is_error else " (ignorée)")
        problems.add(make(source.place(*keys, key), what, fix))


# -- settings.yaml ---------------------------------------------------------------------------------
def check_settings(folder: Path, problems: Problems) -> dict | None:
    path = folder / "settings.yaml"
    source = _source(path, problems)
    if source is None:
        return None
    data = source.data
    if _is_user_folder(folder):
        defaults = _collect(lambda: read_source(paths.DEFAULT_CONFIG_DIR / "settings.yaml", depth=1).data, problems)
        if isinstance(defaults, dict):
            _compare(source, data, defaults, (), problems, unknown_is_error=True, free=FREE_SECTIONS)
    _check_colours(source, problems)
    _check_sizes(source, problems)
    _check_fonts(source, problems)
    _check_logos(source, problems)
    _check_pdf(source, problems)
    return data


def _check_pdf(source: Source, problems: Problems) -> None:
    """The PDF metadata (author, creator, language) is text: a number or a list cannot be written."""
    for key, value in _section(source, "pdf").items():
        if not isinstance(value, str) or not value.strip():
            problems.add(
                _error(
                    source.place("pdf", key),
                    f"« pdf.{key} » vaut « {printable(value)} »",
                    'indiquez un texte entre guillemets, par ex. "fr" pour la langue',
                )
            )


def _section(source: Source, key: str) -> dict:
    value = source.data.get(key)
    return value if isinstance(value, dict) else {}


def _check_colours(source: Source, problems: Problems) -> None:
    for key, value in _section(source, "colors").items():
        if not isinstance(value, str) or not HEX_COLOUR.match(value.strip()):
            problems.add(
                _error(
                    source.place("colors", key),
                    f"couleur « colors.{key} » invalide : « {value} »",
                    'écrivez-la en hexadécimal entre guillemets, par ex. "#18753C"',
                )
            )


def _check_sizes(source: Source, problems: Problems) -> None:
    for key, value in _section(source, "indicators").items():
        if not in_range(value, 1, MAX_TOP, integer=True):
            problems.add(
                _error(
                    source.place("indicators", key),
                    f"« indicators.{key} » vaut « {value} »",
                    f"indiquez un nombre entier entre 1 et {MAX_TOP}, par ex. 10",
                )
            )
    for chart, sizes in _section(source, "charts").items():
        if chart == "labels" or not isinstance(sizes, dict):
            continue
        for key, value in sizes.items():
            keys = ("charts", chart, key)
            if str(key).endswith("alpha"):
                if not in_range(value, 0, 1, low_open=True):
                    problems.add(
                        _error(
                            source.place(*keys),
                            f"opacité « {_dotted(keys)} » invalide : « {value} »",
                            "indiquez un nombre entre 0 et 1, par ex. 0.55",
                        )
                    )
            elif not in_range(value, 0, MAX_SIZE_POINTS, low_open=True):
                problems.add(
                    _error(
                        source.place(*keys),
                        f"taille « {_dotted(keys)} » invalide : « {value} »",
                        f"indiquez un nombre positif de points (1/72 de pouce) jusqu'à {MAX_SIZE_POINTS}, par ex. 480",
                    )
                )


def _has_magic(path: Path, magics: tuple[bytes, ...]) -> bool:
    try:
        with path.open("rb") as stream:
            head = stream.read(8)
    except OSError:
        return False
    return head.startswith(magics)


def _check_fonts(source: Source, problems: Problems) -> None:
    from .fonts import FACES, find_font, font_problem

    fonts = _section(source, "fonts")
    for face in FACES:
        name = fonts.get(face)
        if face not in fonts:
            continue  # reported as a missing key
        if not isinstance(name, str) or not name.strip():
            problems.add(
                _error(
                    source.place("fonts", face),
                    f"« fonts.{face} » vaut « {printable(name)} »",
                    "indiquez le nom d'un fichier .ttf, par ex. OpenSans-Regular.ttf",
                )
            )
            continue
        found, candidates = find_font(name)
        folders = " ou ".join(str(candidate.parent) for candidate in candidates)
        if found is None:
            problems.add(
                _error(
                    source.place("fonts", face),
                    f"fichier de police « {name} » (fonts.{face}) introuvable dans {folders}",
                    "corrigez le nom ou placez le fichier TTF dans le dossier fonts/ de la configuration",
                )
            )
        elif not _has_magic(found, _FONT_MAGIC):
            problems.add(
                _error(
                    source.place("fonts", face),
                    f"« {found} » (fonts.{face}) n'est pas une police TrueType",
                    "indiquez un fichier .ttf",
                )
            )
        elif (problem := font_problem(found)) is not None:  # opened, as a sheet will: truncated, damaged
            problems.add(_error(source.place("fonts", face), f"« {found} » (fonts.{face}) : {problem.what}", problem.fix))


MAX_LOGO_PIXELS = 50_000_000
"""The most pixels of a logo (a decompression bomb is refused, not drawn)."""


def image_problem(path: Path) -> str | None:
    """Why the image `path` cannot be drawn (a few words), or None: its header and data are read."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > MAX_LOGO_PIXELS:
                return f"est trop grand ({width} × {height} pixels)"
            image.load()
    except Exception as error:  # noqa: BLE001 (Pillow raises many kinds for a damaged file)
        return f"est illisible, fichier tronqué ou abîmé ({printable(error_detail(error), 80)})"
    return None


def _check_logos(source: Source, problems: Problems) -> None:
    logos = source.data.get("logos")
    if logos is None:
        return
    if not isinstance(logos, dict):
        problems.add(
            _error(source.place("logos"), "« logos » doit contenir government et agency", "écrivez par ex. « government: null »")
        )
        return
    for key, value in logos.items():
        if value is None or key not in LOGO_KEYS:
            continue  # an unknown key is reported with the other unknown settings
        path = paths.logo_path(value)
        if path is None:
            continue
        where = source.place("logos", key)
        if not path.is_file():
            problems.add(
                _error(
                    where,
                    f"logo « logos.{key} » introuvable : {path}",
                    f"déposez le fichier dans {paths.assets_dir()} ou corrigez le chemin (null : pas de logo)",
                )
            )
        elif not _has_magic(path, _IMAGE_MAGIC):
            problems.add(_error(where, f"logo « logos.{key} » : {path} n'est ni un PNG ni un JPEG", "convertissez-le en PNG"))
        elif (problem := image_problem(path)) is not None:  # opened, as the cover will
            problems.add(_error(where, f"logo « logos.{key} » : {path} {problem}", "remplacez-le par un PNG ou un JPEG complet"))


# -- texts.yaml ------------------------------------------------------------------------------------
def _strings(value: Any, keys: tuple) -> Iterator[tuple[tuple, str]]:
    if isinstance(value, str):
        yield keys, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, keys + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, keys + (index,))


def _pattern_path(keys: tuple) -> str:
    """'practical.blocks.*.paragraph' for ('practical', 'blocks', 3, 'paragraph')."""
    return ".".join("*" if isinstance(key, int) else str(key) for key in keys)


def _check_placeholders(source: Source, keys: tuple, text: str, text_keys: tuple, problems: Problems) -> None:
    """`keys`: where the text is in the file; `text_keys`: which sheet text it is (an edition's
    text is the text it replaces)."""
    where = source.place(*keys)
    name = _dotted(keys)
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(text) if field is not None]
    except ValueError:
        problems.add(
            _error(
                where,
                f"accolade seule dans « {name} »",
                "les accolades entourent une variable ({department}) ; retirez l'accolade isolée",
            )
        )
        return
    allowed = allowed_placeholders(_pattern_path(text_keys))
    for field in fields:
        base = re.split(r"[.\[!:]", field, maxsplit=1)[0]
        if base not in allowed or base != field:
            listed = ", ".join("{" + item + "}" for item in sorted(allowed))
            problems.add(_error(where, f"variable inconnue {{{field}}} dans « {name} »", f"variables possibles ici : {listed}"))


def check_texts(folder: Path, problems: Problems, year: int | None = None) -> dict | None:
    path = folder / "texts.yaml"
    source = _source(path, problems)
    if source is None:
        return None
    data = source.data
    neutral = neutral_texts(data)
    if _is_user_folder(folder):
        defaults = _collect(lambda: read_source(paths.DEFAULT_CONFIG_DIR / "texts.yaml", depth=1).data, problems)
        if isinstance(defaults, dict):
            defaults = neutral_texts(defaults)
            # Lists of texts (paragraphs, blocks) may have any length: only their kind is compared.
            _compare(source, neutral, defaults, (), problems, unknown_is_error=False)
    for keys, text in _strings(neutral, ()):
        _check_placeholders(source, keys, text, keys, problems)
    _check_editions(source, neutral, problems, year)
    return data


def _check_editions(source: Source, neutral: dict, problems: Problems, year: int | None) -> None:
    editions = source.data.get(EDITIONS_KEY)
    if editions is None:
        editions = {}
    if not isinstance(editions, dict):
        problems.add(
            _error(
                source.place(EDITIONS_KEY),
                "« editions » doit associer des années à leurs textes",
                "écrivez par ex. « 2024: {publication_date: 2025-07-01, …} »",
            )
        )
        return
    for edition_year, edition in editions.items():
        keys = (EDITIONS_KEY, edition_year)
        where = source.place(*keys)
        if not isinstance(edition_year, int) or isinstance(edition_year, bool) or not 1900 <= edition_year <= 2200:
            problems.add(
                _error(
                    where, f"édition « {edition_year} » : une année est attendue", "écrivez l'année sans guillemets, par ex. 2024"
                )
            )
            continue
        if not isinstance(edition, dict):
            problems.add(
                _error(
                    where,
                    f"l'édition {edition_year} doit contenir publication_date et ses textes",
                    "écrivez par ex. « publication_date: 2025-07-01 »",
                )
            )
            continue
        date = edition.get(PUBLICATION_DATE_KEY)
        valid = isinstance(date, datetime.date) and not isinstance(date, datetime.datetime)
        if isinstance(date, str):
            try:
                datetime.date.fromisoformat(date)
                valid = True
            except ValueError:
                valid = False
        if not valid:
            problems.add(
                _error(
                    source.place(*keys, PUBLICATION_DATE_KEY),
                    f"« editions.{edition_year}.publication_date » manquante ou invalide : « {date} »",
                    "indiquez la date de publication sous la forme AAAA-MM-JJ, par ex. 2025-07-01",
                )
            )
        texts_part = {key: value for key, value in edition.items() if key != PUBLICATION_DATE_KEY}
        _compare_edition(source, texts_part, neutral, keys, (), problems)
    missing = _missing_edition(source, editions, year)
    if missing is not None:
        problems.add(missing)


def _missing_edition(source: Source, editions: dict, year: int | None) -> Problem | None:
    """The warning for sheets of `year` when texts.yaml has no edition for it, else None."""
    if year is None or year in editions:
        return None
    known = ", ".join(str(key) for key in editions) or "aucune"
    return _warning(
        source.place(EDITIONS_KEY) if editions else source.path,
        f"pas d'édition {year} (éditions : {known}) : les fiches {year} prennent les textes neutres et la date par défaut",
        f"ajoutez « editions: {year}: » avec publication_date et les textes propres à cette année",
    )


def _compare_edition(source: Source, value: Any, neutral: Any, keys: tuple, text_keys: tuple, problems: Problems) -> None:
    """An edition's texts replace existing texts: same keys, same kind; placeholders as theirs."""
    if isinstance(value, dict) and isinstance(neutral, dict):
        for key, item in value.items():
            if key not in neutral:
                near = near_key(key, list(neutral))
                fix = did_you_mean(near) if near is not None else "une édition ne remplace que des textes existants"
                problems.add(_error(source.place(*keys, key), f"clé inconnue « {_dotted(keys + (key,))} »", fix))
            else:
                _compare_edition(source, item, neutral[key], keys + (key,), text_keys + (key,), problems)
        return
    if _kind(value) != _kind(neutral):
        problems.add(
            _error(
                source.place(*keys),
                f"« {_dotted(keys)} » doit être {_KIND_WORDS[_kind(neutral)]}, comme le texte qu'elle remplace",
                "reprenez la forme du texte neutre",
            )
        )
        return
    for inner, text in _strings(value, ()):
        _check_placeholders(source, keys + inner, text, text_keys + inner, problems)


# -- the other files -------------------------------------------------------------------------------
def check_reference(folder: Path, problems: Problems, *, with_settings: bool = True) -> None:
    """The reference tables; with the codes of settings.yaml `data` only when that file is readable."""
    from .reference import load_reference, read_tables

    if with_settings:
        _collect(lambda: load_reference(folder / "reference", folder), problems)
    else:
        _collect(lambda: read_tables(folder / "reference"), problems)


def check_profiles(folder: Path, problems: Problems) -> None:
    from .ingest import load_profile

    for path in sorted((folder / "profiles").glob("*.yaml")):
        try:
            load_profile(str(path))
        except FactsheetsError as error:
            problems.extend(_at_its_line(problem, path) for problem in error.problems)


def _at_its_line(problem: Problem, path: Path) -> Problem:
    """The profile loader (ingest) still says « PATH : clé « a.b » : … » in plain text: the
    problem put at that key's line. To go once the loader raises Problem(path, line, …) itself."""
    head = f"{path} : clé « "
    if problem.path or not problem.what.startswith(head):
        return problem
    key, _, rest = problem.what[len(head) :].partition(" »")
    keys = tuple(int(part) if part.isdigit() else part for part in key.split("."))
    return problem_at(path, *keys, what=f"clé « {key} »{rest}")


def check_mail(folder: Path, problems: Problems, recipients: Path | None, dataset: Dataset | None = None) -> None:
    """mail.yaml; with a recipients file, also its rows, the departments it names that the data
    lacks (no sheet for them: a warning) and a sender still at the example's domain."""
    from .mail.config import example_sender, load_mail_config

    config = _collect(lambda: load_mail_config(folder / "mail.yaml"), problems)
    if recipients is None:
        return
    from .mail.recipients import load_recipients  # here only: e-mail address checks cost a tenth of a second

    if config is not None and example_sender(config.sender):
        where = _collect(lambda: read_source(folder / "mail.yaml", depth=1).place("sender"), problems) or folder / "mail.yaml"
        problems.add(
            _warning(
                where,
                f"l'adresse d'expédition « {config.sender} » est celle de l'exemple "
                "(domaine réservé aux exemples : les serveurs refusent souvent un tel expéditeur)",
                "mettez votre adresse réelle dans « sender », ou donnez-la avec --from",
            )
        )
    book = _collect(lambda: load_recipients(recipients), problems)
    if book is None:
        return
    problems.extend(book.problems)
    if dataset is not None:
        reference = dataset.reference
        for entry in book.entries:
            if entry.code not in dataset.departments:
                problems.add(
                    _warning(
                        (str(book.path), entry.line),
                        f"le département {entry.code} ({reference.department(entry.code).name}) n'a aucune donnée en "
                        f"{dataset.year} dans {dataset.path} : pas de fiche pour lui, et « mail » sans --dept refusera l'envoi",
                        "vérifiez le code du département, --data ou --year ; sinon retirez ses lignes, "
                        "ou choisissez les départements à envoyer avec --dept",
                    )
                )


def check_configuration(
    *, year: int | None = None, recipients: Path | None = None, dataset: Dataset | None = None
) -> list[Problem]:
    """Every problem of the configuration in use, errors and warnings, in file order
    (`dataset`: the data, whose departments the recipients are checked against)."""
    folder = paths.config_dir()
    problems = Problems()
    if not folder.is_dir():
        return [
            _error(
                str(folder),
                "dossier de configuration introuvable",
                "indiquez un dossier existant à --config, ou créez-le avec « factsheets init DOSSIER »",
            )
        ]
    settings_ok = check_settings(folder, problems) is not None
    check_texts(folder, problems, year)
    # The reference tables also read the data codes of settings.yaml: without them when it is broken.
    check_reference(folder, problems, with_settings=settings_ok)
    check_profiles(folder, problems)
    check_mail(folder, problems, recipients, dataset)
    return problems.distinct()


_checked: set[Path] = set()


def preflight(*, recipients: Path | None = None, log: Callable[[str], None] | None = None) -> None:
    """The checks `render`, `mail` and `ingest` run first: errors raise ConfigurationError (one
    line each, nothing written yet); warnings go to `log` (stderr). Once per process and folder,
    and not again on later runs while the configuration's files stay the same (check_cache)."""
    folder = paths.config_dir()
    if folder in _checked and recipients is None:
        return
    if recipients is None:  # the same files as at the last pass: not checked again (check_cache)
        from .check_cache import checked

        problems = checked(check_configuration)
    else:
        problems = check_configuration(recipients=recipients)
    errors = [problem for problem in problems if not problem.warning]
    if errors:
        raise ConfigurationError(errors)
    from .console import info, warn

    info(f"configuration : {folder}")
    write = log or warn
    for problem in problems:
        write(problem.shown())
    _checked.add(folder)


def edition_warning(year: int) -> str | None:
    """The warning line for sheets of a year without its edition in texts.yaml, or None."""
    folder = paths.config_dir()
    problems = Problems()
    source = _source(folder / "texts.yaml", problems)
    if source is None:
        return None
    editions = source.data.get(EDITIONS_KEY)
    if editions is None:
        editions = {}
    if not isinstance(editions, dict):
        return None  # an error `check` reports
    missing = _missing_edition(source, editions, year)
    return missing.shown() if missing is not None else None
