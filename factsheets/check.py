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

settings.yaml is read and checked by the loader rendering uses (config.load_settings: the
declared settings are its schema). The shipped texts.yaml is the schema of a user's one: a key
the defaults have and the user's file lacks is missing; a key the defaults lack is unknown.
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
    PUBLICATION_DATE_KEY,
    Settings,
    Source,
    allowed_placeholders,
    load_settings,
    neutral_texts,
    problem_at,
    read_source,
)
from .config.yaml_files import KIND_WORDS, collect, compare_keys, dotted, error_at, kind_of, mapping_source, warning_at
from .dataset import Dataset
from .errors import ConfigurationError, FactsheetsError, Problem, Problems, did_you_mean, near_key


def _is_user_folder(folder: Path) -> bool:
    return folder.resolve() != paths.DEFAULT_CONFIG_DIR.resolve()


# -- settings.yaml ---------------------------------------------------------------------------------
def check_settings(folder: Path, problems: Problems) -> Settings | None:
    """settings.yaml, read and checked by the loader rendering uses (config.load_settings)."""
    loaded, found = load_settings(folder)
    problems.extend(found)
    return loaded


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
    name = dotted(keys)
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(text) if field is not None]
    except ValueError:
        problems.add(
            error_at(
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
            problems.add(error_at(where, f"variable inconnue {{{field}}} dans « {name} »", f"variables possibles ici : {listed}"))


def check_texts(folder: Path, problems: Problems, year: int | None = None) -> dict | None:
    path = folder / "texts.yaml"
    source = mapping_source(path, problems)
    if source is None:
        return None
    data = source.data
    neutral = neutral_texts(data)
    if _is_user_folder(folder):
        defaults = collect(lambda: read_source(paths.DEFAULT_CONFIG_DIR / "texts.yaml", depth=1).data, problems)
        if isinstance(defaults, dict):
            defaults = neutral_texts(defaults)
            # Lists of texts (paragraphs, blocks) may have any length: only their kind is compared.
            compare_keys(source, neutral, defaults, (), problems, unknown_is_error=False)
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
            error_at(
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
                error_at(
                    where, f"édition « {edition_year} » : une année est attendue", "écrivez l'année sans guillemets, par ex. 2024"
                )
            )
            continue
        if not isinstance(edition, dict):
            problems.add(
                error_at(
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
                error_at(
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
    return warning_at(
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
                problems.add(error_at(source.place(*keys, key), f"clé inconnue « {dotted(keys + (key,))} »", fix))
            else:
                _compare_edition(source, item, neutral[key], keys + (key,), text_keys + (key,), problems)
        return
    if kind_of(value) != kind_of(neutral):
        problems.add(
            error_at(
                source.place(*keys),
                f"« {dotted(keys)} » doit être {KIND_WORDS[kind_of(neutral)]}, comme le texte qu'elle remplace",
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
        collect(lambda: load_reference(folder / "reference", folder), problems)
    else:
        collect(lambda: read_tables(folder / "reference"), problems)


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
    from .mail.recipients import load_recipients

    config = collect(lambda: load_mail_config(folder / "mail.yaml"), problems)
    if recipients is None:
        return
    if config is not None and example_sender(config.sender):
        where = collect(lambda: read_source(folder / "mail.yaml", depth=1).place("sender"), problems) or folder / "mail.yaml"
        problems.add(
            warning_at(
                where,
                f"l'adresse d'expédition « {config.sender} » est celle de l'exemple "
                "(domaine réservé aux exemples : les serveurs refusent souvent un tel expéditeur)",
                "mettez votre adresse réelle dans « sender », ou donnez-la avec --from",
            )
        )
    book = collect(lambda: load_recipients(recipients), problems)
    if book is None:
        return
    problems.extend(book.problems)
    if dataset is not None:
        reference = dataset.reference
        for entry in book.entries:
            if entry.code not in dataset.departments:
                problems.add(
                    warning_at(
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
            error_at(
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
    line each, nothing written yet); warnings go to `log` (stderr). Once per process and folder."""
    folder = paths.config_dir()
    if folder in _checked and recipients is None:
        return
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
    source = mapping_source(folder / "texts.yaml", problems)
    if source is None:
        return None
    editions = source.data.get(EDITIONS_KEY)
    if editions is None:
        editions = {}
    if not isinstance(editions, dict):
        return None  # an error `check` reports
    missing = _missing_edition(source, editions, year)
    return missing.shown() if missing is not None else None
