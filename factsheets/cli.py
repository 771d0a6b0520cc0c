"""The `factsheets` command line: one typer command per function, help written for the user.

All of it is French, help included: the help pages are laid out here (FrenchGroup,
FrenchCommand) instead of by click, whose headings, default and type hints are English.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer
from typer.core import TyperCommand, TyperGroup

from . import __version__
from .console import info, notice, set_verbosity, warn
from .errors import FactsheetsError, Problem, Problems
from .interrupted import end_early_helper_if_forked, end_interrupted, interrupt_was_ignored, is_interrupt
from .paths import DEFAULT_OUTPUT_DIR, SAMPLE_DATA

SAMPLE_NOTE = (
    "Sans --data, les commandes utilisent l'échantillon fourni, qui est SYNTHÉTIQUE : "
    "chiffres illustratifs, calés sur les totaux publiés pour 2024 (France, Hauts-de-France, Aisne, Oise)."
)
HELP_OPTION_TEXT = "Afficher cette aide et quitter."


class _FrenchHelp:
    """Help pages in French: usage line, description, arguments, options (defaults are
    written in each option's text), commands."""

    def format_usage(self, ctx, formatter) -> None:
        pieces = ["[OPTIONS]"]
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                pieces.append(_argument_metavar(param))
        if isinstance(self, TyperGroup):
            pieces.append("COMMANDE [ARGUMENTS]...")
        formatter.write(f"Utilisation : {ctx.command_path} {' '.join(pieces)}\n")

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_OPTION_TEXT
        return option

    def format_help(self, ctx, formatter) -> None:
        self.format_usage(ctx, formatter)
        if self.help:
            self.help = _typography(self.help)
        self.format_help_text(ctx, formatter)
        params = [param for param in self.get_params(ctx) if not getattr(param, "hidden", False)]
        arguments = [
            (_argument_metavar(param), _typography(param.help or "")) for param in params if param.param_type_name == "argument"
        ]
        options = [(_option_names(param), _typography(param.help or "")) for param in params if param.param_type_name == "option"]
        _section(formatter, "Arguments", arguments)
        _section(formatter, "Options", options)
        if isinstance(self, TyperGroup):
            commands = [
                (name, _first_sentence(self.commands[name].help or ""))
                for name in self.list_commands(ctx)
                if not self.commands[name].hidden
            ]
            _section(formatter, "Commandes", commands)
        self.format_epilog(ctx, formatter)


class FrenchCommand(_FrenchHelp, TyperCommand):
    pass


class FrenchGroup(_FrenchHelp, TyperGroup):
    pass


def _argument_metavar(param) -> str:
    metavar = param.metavar or param.name.upper()
    return f"{metavar}..." if param.nargs == -1 and not metavar.endswith("...") else metavar


def _option_names(param) -> str:
    names = ", ".join(sorted([*param.opts, *param.secondary_opts], key=lambda name: (name.startswith("--"), name)))
    return names if param.is_flag else f"{names} {param.metavar or 'VALEUR'}"


def _first_sentence(text: str) -> str:
    """A command's summary: the first paragraph of its help, without the final full stop."""
    return _typography(" ".join(text.strip().split("\n\n")[0].split()).rstrip("."))


def _typography(text: str) -> str:
    """No-break spaces inside « » and before : ; so that wrapping never strands them."""
    return re.sub(r"\s+([:;»?!])", "\u00a0\\1", re.sub(r"«\s+", "«\u00a0", text))


def _section(formatter, heading: str, rows: list[tuple[str, str]]) -> None:
    if rows:
        formatter.write_paragraph()
        formatter.write(f"{heading} :\n")
        with formatter.indentation():
            formatter.write_dl(rows)


app = typer.Typer(
    cls=FrenchGroup,
    help="Fiches « Les indicateurs clés : commerce extérieur », une par département, en PDF.\n\n" + SAMPLE_NOTE,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _command(**kwargs):
    return app.command(cls=FrenchCommand, **kwargs)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"factsheets {__version__}")
        raise typer.Exit(0)


@app.callback()
def _global_options(
    config: Annotated[
        Optional[Path],
        typer.Option(
            "--config",
            metavar="DOSSIER",
            help="Dossier de configuration à utiliser (créé par « factsheets init DOSSIER »), pour toutes les commandes. "
            "Par défaut : la variable d'environnement FACTSHEETS_CONFIG, sinon la configuration fournie.",
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("-q", "--quiet", help="N'écrire que les erreurs (ni progression, ni avertissements).")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("-v", "--verbose", help="Écrire aussi le détail du travail (dossier de configuration, processus).")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", is_eager=True, callback=_show_version, help="Afficher la version et quitter.")
    ] = False,
) -> None:
    """Options communes, à placer avant la commande : factsheets --config DOSSIER render …"""
    if config is not None:
        if not config.is_dir():
            raise FactsheetsError(f"{config} : dossier de configuration introuvable ; créez-le avec « factsheets init {config} »")
        from .paths import use_config_dir

        use_config_dir(config)  # through the environment: helper processes see it too
    set_verbosity(-1 if quiet else 1 if verbose else 0)


def _non_empty_path(value: str) -> Path:
    """A path option: an empty one ("") would silently mean the current folder."""
    if not str(value).strip():
        raise typer.BadParameter("chemin vide ; indiquez un fichier ou un dossier")
    return Path(value)


DataOption = Annotated[
    Path,
    # A plain path: the data loader checks it and says in French what is wrong with it.
    typer.Option(
        "--data",
        metavar="FICHIER",
        parser=_non_empty_path,
        help="Fichier canonique CSV ou Parquet. Par défaut : l'échantillon synthétique fourni.",
    ),
]
YearOption = Annotated[
    Optional[int], typer.Option("--year", metavar="ANNÉE", help="Année des données. Par défaut : la plus récente du fichier.")
]
OutOption = Annotated[
    Path,
    typer.Option(
        "--out",
        metavar="DOSSIER",
        parser=_non_empty_path,
        help="Dossier où écrire les PDF. Par défaut : output/ dans le dossier courant.",
    ),
]
DeptOption = Annotated[
    Optional[list[str]],
    typer.Option(
        "--dept",
        metavar="DÉPARTEMENT",
        help="Code INSEE (02, 2A, 971) ou nom du département (aisne, « Côtes-d'Armor »), "
        "sans tenir compte des majuscules ni des accents. Répétable.",
    ),
]


def _fail(message: str, code: int = 2) -> None:
    report_problems([Problem(what=message)])
    raise typer.Exit(code)


@_command()
def indicators(
    dept: Annotated[
        str, typer.Option("--dept", metavar="DÉPARTEMENT", help="Code INSEE ou nom du département (ex. 60, oise). Obligatoire.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Écrire l'objet indicateurs en JSON sur la sortie standard.")] = False,
    year: YearOption = None,
    data: DataOption = SAMPLE_DATA,
) -> None:
    """Calcule les indicateurs d'un département (totaux, parts, classements, flux) et les affiche en JSON."""
    from .config import settings
    from .dataset import open_dataset
    from .indicators import compute_indicators
    from .reference import load_reference

    if not as_json:
        _fail("seule la sortie JSON existe pour l'instant ; ajoutez --json", 2)
    (code,) = load_reference().department_codes([dept])  # an unknown department before the data
    # Every year up to the chosen one (the JSON has the evolution series), none after it.
    dataset = open_dataset(data, year, rows="history")
    result = compute_indicators(dataset.trade, dataset.reference, settings(), code, dataset.year, dataset.coverage)
    typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))


@_command()
def render(
    dept: DeptOption = None,
    all_departments: Annotated[bool, typer.Option("--all", help="Tous les départements présents dans les données.")] = False,
    year: YearOption = None,
    data: DataOption = SAMPLE_DATA,
    out: OutOption = DEFAULT_OUTPUT_DIR,
    workers: Annotated[
        Optional[int],
        typer.Option(
            "--workers",
            min=1,
            metavar="N",
            help="Processus en parallèle (au moins 1). Par défaut : le nombre de cœurs ; "
            "jamais plus que les cœurs ni que les fiches à produire, sauf pour une fiche seule : "
            "un processus lit alors les données pendant qu'un second prépare le dessin, puis dessine la fiche.",
        ),
    ] = None,
    evolution: Annotated[
        bool, typer.Option("--evolution", help="Ajouter la page « Évolution » (exportations et importations au fil des années).")
    ] = False,
    annex: Annotated[
        Optional[str],
        typer.Option(
            "--annexe", metavar="xlsx|csv", help="Écrire à côté de chaque PDF l'annexe chiffrée de ses graphiques (xlsx ou csv)."
        ),
    ] = None,
    html: Annotated[
        bool,
        typer.Option(
            "--html",
            help="Écrire aussi la fiche en page web accessible (même nom, .html) et, pour plusieurs départements, index.html.",
        ),
    ] = False,
) -> None:
    """Produit la fiche PDF de chaque département demandé et écrit son chemin sur la sortie standard dès qu'elle est écrite.

    Avec plusieurs départements, écrit aussi la synthèse synthese-ANNÉE.csv et .xlsx dans le dossier de sortie.
    La configuration est vérifiée d'abord (comme « factsheets check ») : une erreur de
    configuration arrête tout avant la première fiche.
    """
    # Polars is not imported here: render_departments starts its helper processes first.
    from .console import verbosity
    from .render import SheetOptions, default_workers, render_departments

    if all_departments == bool(dept):
        _fail("indiquez soit --dept DÉPARTEMENT (un ou plusieurs), soit --all", 2)
    if annex is not None and annex.lower() not in ("xlsx", "csv"):
        _fail(f"valeur invalide pour l'option --annexe : « {annex} » ; utilisez xlsx ou csv", 2)

    def announce(path: Path) -> None:
        # Each path as soon as its PDF is on disk: a caller can start on it before the run ends.
        print(path, flush=True)

    info(f"processus : au plus {min(workers or default_workers(), default_workers())}")
    report = render_departments(
        None if all_departments else dept,
        year=year,
        data=data,
        out_dir=out,
        workers=workers or default_workers(),
        show_progress=verbosity() >= 0,
        on_written=announce,
        options=SheetOptions(evolution=evolution, annex=annex.lower() if annex else None, html=html),
    )
    from .check import edition_warning

    if (line := edition_warning(report.year)) is not None:
        warn(line)
    codes = report.codes
    # The paths went to stdout as the sheets were written (announce).
    for note in report.notes:
        warn(note)
    _warn_missing_territoires([code for code in report.without_territoires if code in report.written])
    if report.absent:
        warn(
            f"attention : {len(report.absent)} département(s) sans donnée en {report.year}, "
            f"aucune fiche : {', '.join(report.absent)}"
        )
    reasons = set(report.failures.values())
    if len(report.failures) > 1 and len(reasons) == 1:  # e.g. a full disk: the same reason for every sheet
        _fail(f"{len(report.failures)} fiche(s) sur {len(codes)} en échec : {reasons.pop()}", 1)
    if report.failures:
        for code, message in sorted(report.failures.items()):
            typer.echo(f"factsheets : échec : {code} : {message}", err=True)
        typer.echo(f"factsheets : {len(report.failures)} fiche(s) sur {len(codes)} en échec", err=True)
        raise typer.Exit(1)


def _warn_missing_territoires(codes: list[str]) -> None:
    """One line for the whole run: which covers have no Territoires d'industrie list, and where to add it."""
    from .paths import TERRITOIRES_INDUSTRIE_FILE

    if codes:
        warn(
            f"attention : {len(codes)} département(s) sans liste de Territoires d'industrie, "
            f"couverture imprimée sans liste : {', '.join(codes)} ; complétez {TERRITOIRES_INDUSTRIE_FILE}"
        )


@_command()
def ingest(
    sources: Annotated[
        list[Path],
        typer.Argument(
            metavar="SOURCE...",
            help="Fichiers bruts à convertir : CSV, Parquet, Excel (.xlsx, .xls) ou archives ZIP de ces fichiers.",
        ),
    ],
    profile: Annotated[
        str,
        typer.Option(
            "--profile",
            metavar="PROFIL",
            help="Nom d'un profil du dossier profiles/ de la configuration (kiosque, dgddi, canonical) ou chemin d'un YAML. Obligatoire.",
        ),
    ],
    out: Annotated[
        Optional[Path],
        typer.Option(
            "--out",
            metavar="FICHIER",
            parser=_non_empty_path,
            help="Fichier canonique à écrire (.csv ou .parquet). Obligatoire sauf avec --inspect.",
        ),
    ] = None,
    inspect: Annotated[
        bool,
        typer.Option(
            "--inspect",
            help="Montrer l'en-tête, trois lignes et la correspondance des colonnes de chaque fichier, feuille ou membre, sans rien écrire.",
        ),
    ] = False,
    national: Annotated[
        Optional[Path],
        typer.Option(
            "--national",
            metavar="FICHIER",
            parser=_non_empty_path,
            help="Fichier national (France par année ou période, flux, produit, pays ; sans colonne département) : "
            "le reste non ventilé par département est ajouté, les totaux France égalent ce fichier. Sortie .parquet.",
        ),
    ] = None,
    national_profile: Annotated[
        Optional[str],
        typer.Option(
            "--national-profile",
            metavar="PROFIL",
            help="Profil du fichier national (par défaut : celui de --profile, sans colonne département).",
        ),
    ] = None,
) -> None:
    """Convertit des fichiers bruts (ex. téléchargements DGDDI) au format canonique, les vérifie, puis résume ce qui a été lu."""
    from .check import preflight
    from .ingest import ingest_sources, inspect_sources, load_profile, summary_lines, write_canonical
    from .reference import load_reference

    preflight()
    chosen = load_profile(profile)
    if inspect:
        lines, problems = inspect_sources(sources, chosen)
        for line in lines:
            typer.echo(line)
        problems.raise_if_any()
        return
    if out is None:
        _fail(
            "option --out manquante : indiquez le fichier canonique à écrire (.csv ou .parquet) ; voir « factsheets ingest --help »"
        )
    if national_profile is not None and national is None:
        _fail("--national-profile sans --national : indiquez aussi le fichier national avec --national FICHIER")
    if national is not None and out.suffix.lower() != ".parquet":
        _fail(
            f"{out} : avec --national, la sortie doit être un fichier .parquet (la couverture des données est "
            "enregistrée dans ses métadonnées) ; nommez --out en .parquet"
        )
    from .ingest.national import coverage_metadata, france_note, ingest_with_national

    reference = load_reference()
    # Checked in full (codes included) before writing, so a bad file never produces output.
    if national is None:
        result, national_years = ingest_sources(sources, chosen, reference), []
    else:
        result, national_years = ingest_with_national(
            sources, chosen, national, load_profile(national_profile or profile, national=True), reference
        )
    with result:  # the temporary parts of a big input are removed whatever happens
        write_canonical(result.data, out, coverage_metadata(result.totals, reference, national, national_years))
        typer.echo(str(out))
        for warning in result.warnings:
            warn(f"attention : {warning}")
        for line in summary_lines(result, reference, out):
            notice(line)
        if national is None and (note := france_note(result.totals, reference)):
            notice(note)
    if national is not None:
        notice(
            f"fichier national : {national} ; années couvertes : {', '.join(map(str, national_years)) or 'aucune'} "
            "(reste non ventilé par département ajouté : les totaux France égalent ce fichier)"
        )


@_command()
def mail(
    recipients: Annotated[
        Path,
        typer.Option(
            "--recipients",
            metavar="FICHIER",
            help="Fichier des destinataires par département : YAML, CSV ou XLSX (colonnes Département, E-mail, Rôle, Nom ; "
            "CSV d'Excel en UTF-8 ou Windows-1252, séparateur ; ou ,). Obligatoire.",
        ),
    ],
    dept: DeptOption = None,
    year: YearOption = None,
    out: OutOption = DEFAULT_OUTPUT_DIR,
    data: DataOption = SAMPLE_DATA,
    sender: Annotated[
        Optional[str], typer.Option("--from", metavar="ADRESSE", help="Adresse d'expédition. Par défaut : celle de mail.yaml.")
    ] = None,
    smtp_host: Annotated[
        Optional[str],
        typer.Option(
            "--smtp-host", metavar="SERVEUR", help="Serveur SMTP. Par défaut : smtp.host de mail.yaml, sinon 127.0.0.1."
        ),
    ] = None,
    smtp_port: Annotated[
        Optional[int],
        typer.Option("--smtp-port", metavar="PORT", help="Port SMTP. Par défaut : smtp.port de mail.yaml, sinon 25."),
    ] = None,
    send: Annotated[
        bool, typer.Option("--send", help="Envoyer réellement. Sans cette option : simulation, rien n'est envoyé.")
    ] = False,
    resend: Annotated[bool, typer.Option("--resend", help="Renvoyer une fiche modifiée depuis son dernier envoi.")] = False,
    resend_uncertain: Annotated[
        bool,
        typer.Option(
            "--resend-uncertain", help="Renvoyer aussi les envois « incertains » (interrompus sans confirmation du serveur)."
        ),
    ] = False,
    allow_synthetic: Annotated[
        bool,
        typer.Option("--allow-synthetic", help="Autoriser --send avec des fiches faites à partir de l'échantillon synthétique."),
    ] = False,
    preview: Annotated[
        Optional[Path],
        typer.Option(
            "--preview",
            metavar="DOSSIER",
            help="Écrire dans ce dossier un fichier .eml par message à envoyer, sans rien envoyer.",
        ),
    ] = None,
    journal: Annotated[
        Optional[Path],
        typer.Option(
            "--journal",
            metavar="FICHIER",
            parser=_non_empty_path,
            help="Journal des envois à utiliser. Par défaut : .mail-journal.json dans le dossier d'état de la configuration, "
            "$FACTSHEETS_STATE s'il est défini, sinon $XDG_STATE_HOME/factsheets/CONFIGURATION/ "
            "(~/.local/state/factsheets/CONFIGURATION/ ; CONFIGURATION : « defaut », ou le nom du dossier --config "
            "suivi d'une empreinte de son chemin). Le même quels que soient --out et le dossier courant ; "
            "un ancien journal trouvé dans le dossier --out y est fusionné au premier envoi.",
        ),
    ] = None,
) -> None:
    """Envoie à chaque département sa fiche en pièce jointe (simulation sauf --send ; jamais deux fois la même).

    Le journal des envois suit la campagne (configuration et année), pas le dossier de sortie : voir --journal."""
    from .check import preflight
    from .mail import run_mail

    preflight()  # the recipients are checked by run_mail, every problem listed with a summary line
    report = run_mail(
        recipients=recipients,
        codes=_codes_for_mail(dept),  # names to codes; the mail package reports unknown ones with the other problems
        year=year,
        out_dir=out,
        data=data,
        sender=sender,
        smtp_host=smtp_host,
        smtp_port=smtp_port,
        send=send,
        resend=resend,
        resend_uncertain=resend_uncertain,
        allow_synthetic=allow_synthetic,
        preview=preview,
        log=lambda line: typer.echo(line, err=True),
        journal=journal,
    )
    if report.failures or report.uncertain_now:
        raise typer.Exit(1)


def _codes_for_mail(typed: list[str] | None) -> list[str] | None:
    """Names turned into codes; anything else as typed (mail reports unknown ones with its
    other problems)."""
    if not typed:
        return None
    from .reference import load_reference

    reference = load_reference()
    codes = []
    for text in typed:
        try:
            codes.append(reference.resolve_department(text))
        except FactsheetsError:
            codes.append(text)
    return codes


@_command()
def check(
    data: DataOption = SAMPLE_DATA,
    year: Annotated[
        Optional[int],
        typer.Option(
            "--year",
            metavar="ANNÉE",
            help="Année des fiches à vérifier (son édition dans texts.yaml). Par défaut : la plus récente des données.",
        ),
    ] = None,
    recipients: Annotated[
        Optional[Path], typer.Option("--recipients", metavar="FICHIER", help="Vérifier aussi ce fichier de destinataires.")
    ] = None,
) -> None:
    """Vérifie toute la configuration et écrit un problème par ligne : « fichier:ligne : quoi ; comment corriger ».

    Vérifie les réglages (couleurs, tailles, polices, logos, clés inconnues), les textes et
    leurs variables, les éditions, les tables de référence, les profils d'import, mail.yaml
    et, si indiqués, les données et les destinataires. Code de sortie 2 s'il y a au moins une
    erreur, 0 s'il n'y a que des avertissements.
    """
    from .check import check_configuration

    problems = Problems()  # those of the data; the configuration's come first
    dataset = None
    try:
        from .dataset import open_dataset

        dataset = open_dataset(data, year, rows="file")  # every row checked, whatever its year
        year = dataset.year
        problems.extend(Problem(str(data), what=note, warning=True) for note in dataset.coverage.partial_notes())
    except FactsheetsError as error:
        problems.extend(error.problems)  # several problems reported together: one each
    found = Problems()
    found.extend(check_configuration(year=year, recipients=recipients, dataset=dataset))
    found.extend(problems)
    problems = found.distinct()
    for problem in problems:
        typer.echo(problem.shown())
    errors = sum(not problem.warning for problem in problems)
    warnings = len(problems) - errors
    from .paths import config_dir

    if errors:
        typer.echo(f"factsheets : {errors} erreur(s), {warnings} avertissement(s) dans {config_dir()}", err=True)
        raise typer.Exit(2)
    notice(f"configuration vérifiée, aucune erreur, {warnings} avertissement(s) : {config_dir()}")


@_command()
def init(
    folder: Annotated[Path, typer.Argument(metavar="DOSSIER", help="Dossier à créer (il ne doit pas exister, ou être vide).")],
) -> None:
    """Écrit dans DOSSIER une copie de la configuration par défaut, à modifier puis à utiliser avec --config DOSSIER.

    La copie contient settings.yaml, texts.yaml, mail.yaml, reference/, profiles/ et assets/
    (y déposer ses logos). Un dossier existant non vide est refusé.
    """
    from .files import umask
    from .paths import DEFAULT_ASSETS_DIR, DEFAULT_CONFIG_DIR

    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise FactsheetsError(f"{folder} : existe déjà et n'est pas un dossier vide ; choisissez un nouveau dossier")
    parent = folder.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{folder.name}."))
    except OSError as error:
        raise FactsheetsError(
            f"{parent} : impossible d'y créer le dossier ({error.strerror}) ; choisissez un autre emplacement"
        ) from None
    try:
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(DEFAULT_CONFIG_DIR, staging, ignore=ignore, dirs_exist_ok=True)
        shutil.copytree(DEFAULT_ASSETS_DIR, staging / "assets", ignore=ignore, dirs_exist_ok=True)
        os.chmod(staging, 0o777 & ~umask())  # mkdtemp made it 0o700
        if folder.is_dir():
            folder.rmdir()  # empty: replaced whole, so the copy appears complete or not at all
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    typer.echo(str(folder))
    warn(f"configuration copiée dans {folder} ; modifiez-la, puis : factsheets --config {folder} check")


@_command()
def departements(
    data: DataOption = SAMPLE_DATA,
    year: YearOption = None,
) -> None:
    """Liste les départements : code, nom, région, présence dans les données, liste de Territoires d'industrie."""
    from .dataset import open_dataset

    dataset = open_dataset(data, year, rows="file")
    reference, chosen, present = dataset.reference, dataset.year, dataset.departments
    rows = [("code", "nom", "région", f"données {chosen}", "Territoires d'industrie")]
    for code, name, region in reference.departments.iter_rows():
        listed = reference.territoires_industrie.get(code, ())
        rows.append(
            (
                code,
                name,
                reference.region_name(region),
                "oui" if code in present else "non",
                f"oui ({len(listed)})" if listed else "non",
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    for row in rows:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])


def main() -> None:
    """Entry point: bad input ends with one line on stderr, never a traceback."""
    try:
        try:
            code = _run()
        finally:
            end_early_helper_if_forked()
    except BaseException as error:  # Ctrl-C outside a command (typer turns it into exit code 130 within one)
        if not is_interrupt(error):
            raise
        code = 130
    if interrupt_was_ignored():  # a Ctrl-C Python could not raise where it landed: the command went on
        code = 130
    if code != 130:
        _exit_without_teardown(code)
    end_interrupted()


def _exit_without_teardown(code: int) -> NoReturn:
    """End the process once the command has returned, without the interpreter's teardown.

    Freeing every object a run made, one by one (ReportLab's caches, the indicators and
    content of 101 sheets, the modules), takes 0.06-0.13 s after `render --all`: a
    twentieth of a 2-worker run, spent after its last file is written. Nothing is lost by
    skipping it: every file is written and closed by then (files.write_atomically), the
    helper processes are ended (render.batch), and what the interpreter would still do
    before its teardown is done here: wait for the threads that are not daemons, run the
    exit handlers (atexit), flush the standard streams.
    """
    import atexit
    import threading

    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`factsheets … | head`): nothing more to say
            pass
    os._exit(code)


def _run(args: list[str] | None = None, prog_name: str | None = None) -> int:
    """The command's exit code; its bad input reported in one line. `args` and `prog_name`
    default to the process's own (the tests pass theirs to run a command in process)."""
    try:
        plain = _plain_call(sys.argv[1:] if args is None else list(args))
        # Not standalone: usage errors come back here instead of being printed by click in
        # English over several lines.
        code = plain() if plain is not None else app(args=args, prog_name=prog_name, standalone_mode=False)
    except FactsheetsError as error:
        if is_interrupt(error):  # a Ctrl-C that a library turned into an error (a font "unreadable")
            raise KeyboardInterrupt from error
        report_problems(error.problems)
        return 2
    except Exception as error:
        if not _is_click_error(error, "UsageError"):
            raise
        if _is_click_error(error, "NoArgsIsHelpError"):  # `factsheets` alone: the help
            error.show()
        else:
            print(f"factsheets : erreur : {usage_error_line(error)}", file=sys.stderr)
        return error.exit_code
    return code if isinstance(code, int) else 0


# The commands whose plain command lines are read without typer (plain_command: pydantic,
# which typer coerces every option with, is not imported then).
_PLAIN_COMMANDS = {"render": render}


def _plain_call(args: list[str]) -> Callable[[], object] | None:
    """The command `args` name, called with the arguments typer would give it, as typer
    calls it (standalone_mode=False), when its command line is plain; else None."""
    command = _PLAIN_COMMANDS.get(args[0]) if args else None
    if command is None:
        return None
    from .plain_command import plain_arguments

    arguments = plain_arguments(command, args[1:])
    return None if arguments is None else lambda: _call_as_typer(command, arguments)


def _call_as_typer(command: Callable, arguments: dict) -> object:
    """`command(**arguments)` after the global options' defaults, its typer.Exit as the exit
    code, Ctrl-C as 130 and a closed standard output as exit code 1, as typer's main does."""
    try:
        _global_options()
        return command(**arguments)
    except typer.Exit as stop:
        return stop.exit_code
    except KeyboardInterrupt:
        return 130
    except EOFError as error:
        typer.echo(err=True)
        raise typer.Abort() from error
    except OSError as error:
        if error.errno != errno.EPIPE:
            raise
        from typer._click.utils import PacifyFlushWrapper  # what typer's main wraps them in

        sys.stdout, sys.stderr = PacifyFlushWrapper(sys.stdout), PacifyFlushWrapper(sys.stderr)
        sys.exit(1)


def report_problems(problems: Iterable[Problem]) -> None:
    """The one place where problems become lines on stderr: `factsheets : erreur : path:line : what ; fix`."""
    for problem in problems:
        print(f"factsheets : erreur : {problem.shown()}", file=sys.stderr)


def _is_click_error(error: BaseException, name: str) -> bool:
    # By class name: recent typer versions carry their own copy of click's exceptions, older
    # ones use click's, and neither exports UsageError.
    return any(cls.__name__ == name for cls in type(error).__mro__)


# Click's and typer's reasons for a bad value, in French (others are shown as they come).
_VALUE_REASONS = [
    (re.compile(r"^Input should be a valid integer\b.*"), "un nombre entier est attendu"),
    (re.compile(r"^'(?P<value>.*)' is not a valid integer\.?$"), "« {value} » n'est pas un nombre entier"),
    (
        re.compile(r"^Input should be greater than or equal to (?P<bound>\S+)$"),
        "un nombre supérieur ou égal à {bound} est attendu",
    ),
    (re.compile(r"^Input should be less than or equal to (?P<bound>\S+)$"), "un nombre inférieur ou égal à {bound} est attendu"),
]


def _parameter_name(param) -> str:
    """'option --out' or 'argument SOURCES', as the help shows them."""
    options = [name for name in getattr(param, "opts", []) if name.startswith("-")]
    return f"option {' / '.join(options)}" if options else f"argument {param.name.upper()}"


def usage_error_line(error: Exception) -> str:
    """A click usage error as one French line, ending with where to find help."""
    context = getattr(error, "ctx", None)
    command = context.command_path if context is not None else "factsheets"
    param = getattr(error, "param", None)
    message = getattr(error, "message", "") or ""
    if _is_click_error(error, "MissingParameter") and param is not None:
        name = _parameter_name(param)
        text = f"{name} manquante" if name.startswith("option") else f"{name} manquant"
    elif _is_click_error(error, "NoSuchOption"):
        text = f"option inconnue : {error.option_name}"
        if error.possibilities:
            text += f" (vouliez-vous dire {' ou '.join(error.possibilities)} ?)"
    elif _is_click_error(error, "BadOptionUsage") and "requires an argument" in message:
        text = f"l'option {error.option_name} attend une valeur"
    elif _is_click_error(error, "BadParameter") and param is not None:
        reason = next(
            (french.format(**match.groupdict()) for pattern, french in _VALUE_REASONS if (match := pattern.match(message))),
            message,
        )
        text = f"valeur invalide pour l'{_parameter_name(param)} : {reason}"
    elif match := re.match(r"^No such command '(?P<name>[^']*)'\.(?: Did you mean '(?P<guess>[^']*)'\?)?", message):
        text = f"commande inconnue : {match['name']}"
        if match["guess"]:
            text += f" (vouliez-vous dire {match['guess']} ?)"
    elif match := re.match(r"^Got unexpected extra argument(?:s|\(s\))? \((?P<extra>.*)\)$", message):
        text = f"argument(s) en trop : {match['extra']}"
    else:
        text = error.format_message()
    return f"{text} ; voir « {command} --help »"
