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

settings.yaml and texts.yaml are read and checked by the loaders rendering uses
(config.load_settings, whose declared settings are the schema of a user's file, and
config.load_texts, for which the shipped texts.yaml is: a key the schema has and the user's
file lacks is missing; a key it lacks is unknown).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from . import paths
from .config import (
    EDITIONS_KEY,
    Settings,
    Texts,
    load_settings,
    load_texts,
    missing_edition,
    read_source,
)
from .config.yaml_files import collect, error_at, mapping_source, warning_at
from .dataset import Dataset
from .errors import ConfigurationError, FactsheetsError, Problem, Problems


# -- settings.yaml ---------------------------------------------------------------------------------
def check_settings(folder: Path, problems: Problems) -> Settings | None:
    """settings.yaml, read and checked by the loader rendering uses (config.load_settings)."""
    loaded, found = load_settings(folder)
    problems.extend(found)
    return loaded


# -- texts.yaml ------------------------------------------------------------------------------------
def check_texts(folder: Path, problems: Problems, year: int | None = None) -> Texts | None:
    """texts.yaml, read and checked by the loader rendering uses (config.load_texts)."""
    loaded, found = load_texts(folder, year)
    problems.extend(found)
    return loaded


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
            problems.extend(error.problems)  # each at its key's line (ingest.profile)


def check_mail(folder: Path, problems: Problems, recipients: Path | None, dataset: Dataset | None = None) -> None:
    """mail.yaml; with a recipients file, also its rows, the departments it names that the data
    lacks (no sheet for them: a warning) and a sender still at the example's domain."""
    from .mail.config import example_sender, load_mail_config

    config = collect(lambda: load_mail_config(folder / "mail.yaml"), problems)
    if recipients is None:
        return
    from .mail.recipients import load_recipients  # here only: e-mail address checks cost a tenth of a second

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
    source = mapping_source(folder / "texts.yaml", problems)
    if source is None:
        return None
    editions = source.data.get(EDITIONS_KEY)
    if editions is None:
        editions = {}
    if not isinstance(editions, dict):
        return None  # an error `check` reports
    missing = missing_edition(source, editions, year)
    return missing.shown() if missing is not None else None
