"""The `factsheets` command line: one typer command per function, help written for the user."""

from __future__ import annotations

import json
import re
import signal
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .errors import FactsheetsError
from .paths import DEFAULT_OUTPUT_DIR, SAMPLE_DATA

SAMPLE_NOTE = (
    "Sans --data, la commande utilise l'échantillon fourni, qui est SYNTHÉTIQUE : "
    "chiffres illustratifs, calés sur les totaux publiés pour 2024 (France, Hauts-de-France, Aisne, Oise)."
)

app = typer.Typer(
    help="Fiches « Les indicateurs clés : commerce extérieur », une par département, en PDF.\n\n" + SAMPLE_NOTE,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

def _non_empty_path(value: str) -> Path:
    """A path option: an empty one ("") would silently mean the current folder."""
    if not str(value).strip():
        raise typer.BadParameter("chemin vide ; indiquez un fichier ou un dossier")
    return Path(value)


DataOption = Annotated[
    Path,
    # A plain path: the data loader checks it and says in French what is wrong with it.
    typer.Option("--data", help="Fichier canonique CSV ou Parquet. Par défaut : l'échantillon synthétique fourni.", parser=_non_empty_path),
]
YearOption = Annotated[
    Optional[int], typer.Option("--year", help="Année des données. Par défaut : la plus récente du fichier.")
]
OutOption = Annotated[Path, typer.Option("--out", help="Dossier où écrire les PDF.", parser=_non_empty_path)]
DeptOption = Annotated[
    Optional[list[str]],
    typer.Option("--dept", help="Code INSEE du département (02, 2A, 971…). Répétable."),
]


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"factsheets : erreur : {message}", err=True)
    raise typer.Exit(code)


@app.command()
def indicators(
    dept: Annotated[str, typer.Option("--dept", help="Code INSEE du département (ex. 60).")],
    as_json: Annotated[bool, typer.Option("--json", help="Écrire l'objet indicateurs en JSON sur la sortie standard.")] = False,
    year: YearOption = None,
    data: DataOption = SAMPLE_DATA,
) -> None:
    """Calcule les indicateurs d'un département (totaux, parts, classements, flux) et les affiche en JSON."""
    from .config import settings
    from .indicators import compute_indicators
    from .reference import load_reference
    from .validate import choose_year, load_trade_data

    if not as_json:
        _fail("seule la sortie JSON existe pour l'instant ; ajoutez --json", 2)
    reference = load_reference()
    (code,) = reference.department_codes([dept])
    trade = load_trade_data(data, reference)
    chosen = choose_year(trade, year, data)
    result = compute_indicators(trade, reference, settings(), code, chosen)
    typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))


@app.command()
def render(
    dept: DeptOption = None,
    all_departments: Annotated[bool, typer.Option("--all", help="Tous les départements (101).")] = False,
    year: YearOption = None,
    data: DataOption = SAMPLE_DATA,
    out: OutOption = DEFAULT_OUTPUT_DIR,
    workers: Annotated[
        Optional[int], typer.Option("--workers", min=1, help="Processus en parallèle. Par défaut : le nombre de cœurs.")
    ] = None,
) -> None:
    """Produit la fiche PDF de chaque département demandé et écrit son chemin sur la sortie standard."""
    # Polars is not imported here: render_departments starts its helper processes first.
    from .render import default_workers, render_departments

    if all_departments == bool(dept):
        _fail("indiquez soit --dept CODE (un ou plusieurs), soit --all", 2)
    report = render_departments(
        None if all_departments else dept, year=year, data=data, out_dir=out,
        workers=workers or default_workers(), show_progress=True,
    )
    codes = report.codes
    for code in codes:
        if code in report.written:
            typer.echo(str(report.written[code]))
    _warn_missing_territoires([code for code in report.without_territoires if code in report.written])
    if report.absent:
        typer.echo(f"factsheets : attention : {len(report.absent)} département(s) sans donnée en {report.year}, "
                   f"aucune fiche : {', '.join(report.absent)}", err=True)
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
        typer.echo(
            f"factsheets : attention : {len(codes)} département(s) sans liste de Territoires d'industrie, "
            f"couverture imprimée sans liste : {', '.join(codes)} ; complétez {TERRITOIRES_INDUSTRIE_FILE}",
            err=True,
        )


@app.command()
def ingest(
    sources: Annotated[list[Path], typer.Argument(help="Fichiers bruts à convertir : CSV, Parquet, Excel (.xlsx, .xls) ou archives ZIP de ces fichiers.")],
    profile: Annotated[str, typer.Option("--profile", help="Nom d'un profil de config/profiles (kiosque, dgddi, canonical) ou chemin d'un YAML.")],
    out: Annotated[Optional[Path], typer.Option("--out", help="Fichier canonique à écrire (.csv ou .parquet).", parser=_non_empty_path)] = None,
    inspect: Annotated[bool, typer.Option("--inspect", help="Montrer l'en-tête, trois lignes et la correspondance des colonnes de chaque fichier, feuille ou membre, sans rien écrire.")] = False,
) -> None:
    """Convertit des fichiers bruts (ex. téléchargements DGDDI) au format canonique, les vérifie, puis résume ce qui a été lu."""
    from .ingest import ingest_sources, inspect_sources, load_profile, summary_lines, write_canonical
    from .reference import load_reference

    chosen = load_profile(profile)
    if inspect:
        lines, problems = inspect_sources(sources, chosen)
        for line in lines:
            typer.echo(line)
        problems.raise_if_any()
        return
    if out is None:
        _fail("option --out manquante : indiquez le fichier canonique à écrire (.csv ou .parquet) ; voir « factsheets ingest --help »")
    reference = load_reference()
    # Checked in full (codes included) before writing, so a bad file never produces output.
    result = ingest_sources(sources, chosen, reference)
    write_canonical(result.frame, out)
    typer.echo(str(out))
    for warning in result.warnings:
        typer.echo(f"factsheets : attention : {warning}", err=True)
    for line in summary_lines(result, reference, out):
        typer.echo(f"factsheets : {line}", err=True)


@app.command()
def mail(
    recipients: Annotated[Path, typer.Option("--recipients", help="Fichier des destinataires par département : YAML, CSV ou XLSX (colonnes departement, email, role, nom).")],
    dept: DeptOption = None,
    year: YearOption = None,
    out: OutOption = DEFAULT_OUTPUT_DIR,
    data: DataOption = SAMPLE_DATA,
    sender: Annotated[Optional[str], typer.Option("--from", help="Adresse d'expédition (sinon celle de config/mail.yaml).")] = None,
    smtp_host: Annotated[str, typer.Option("--smtp-host", help="Serveur SMTP.")] = "127.0.0.1",
    smtp_port: Annotated[int, typer.Option("--smtp-port", help="Port SMTP.")] = 25,
    send: Annotated[bool, typer.Option("--send", help="Envoyer réellement. Sans cette option : simulation, rien n'est envoyé.")] = False,
    resend: Annotated[bool, typer.Option("--resend", help="Renvoyer une fiche modifiée depuis son dernier envoi.")] = False,
    resend_uncertain: Annotated[bool, typer.Option(
        "--resend-uncertain", help="Renvoyer aussi les envois « incertains » (interrompus sans confirmation du serveur).")] = False,
    allow_synthetic: Annotated[bool, typer.Option(
        "--allow-synthetic", help="Autoriser --send avec des fiches faites à partir de l'échantillon synthétique.")] = False,
    preview: Annotated[Optional[Path], typer.Option(
        "--preview", help="Écrire dans ce dossier un fichier .eml par message à envoyer, sans rien envoyer.")] = None,
) -> None:
    """Envoie à chaque département sa fiche en pièce jointe (simulation sauf --send ; jamais deux fois la même)."""
    from .mail import run_mail

    report = run_mail(
        recipients=recipients,
        codes=dept or None,  # the mail package normalises them and reports unknown ones with the other problems
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
    )
    if report.failures or report.uncertain_now:
        raise typer.Exit(1)


def main() -> None:
    """Entry point: bad input ends with one line on stderr, never a traceback."""
    try:
        code = _run()
    except KeyboardInterrupt:  # outside a command (typer turns it into exit code 130 within one)
        code = 130
    if code != 130:
        sys.exit(code)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C changes nothing now
    print("factsheets : interrompu ; les fiches déjà écrites sont complètes", file=sys.stderr)
    # End as an interrupted program does: killed by SIGINT once Python has shut down normally
    # (a shell shows exit code 130). Python ends that way after an uncaught KeyboardInterrupt,
    # and also whenever one was raised inside exec() (dataclasses do that while a module is
    # imported), whatever the exit code asked: raising it here makes that the only ending.
    sys.excepthook = _quiet_interrupt
    raise KeyboardInterrupt


def _quiet_interrupt(kind, value, traceback) -> None:
    if not issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, traceback)


def _run() -> int:
    """The command's exit code; its bad input reported in one line."""
    try:
        # Not standalone: usage errors come back here instead of being printed by click in
        # English over several lines.
        code = app(standalone_mode=False)
    except FactsheetsError as error:
        for line in str(error).splitlines():  # several problems reported together: one line each
            print(f"factsheets : erreur : {line}", file=sys.stderr)
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


def _is_click_error(error: BaseException, name: str) -> bool:
    # By class name: recent typer versions carry their own copy of click's exceptions, older
    # ones use click's, and neither exports UsageError.
    return any(cls.__name__ == name for cls in type(error).__mro__)


# Click's and typer's reasons for a bad value, in French (others are shown as they come).
_VALUE_REASONS = [
    (re.compile(r"^Input should be a valid integer\b.*"), "un nombre entier est attendu"),
    (re.compile(r"^'(?P<value>.*)' is not a valid integer\.?$"), "« {value} » n'est pas un nombre entier"),
    (re.compile(r"^Input should be greater than or equal to (?P<bound>\S+)$"), "un nombre supérieur ou égal à {bound} est attendu"),
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
        reason = next((french.format(**match.groupdict()) for pattern, french in _VALUE_REASONS
                       if (match := pattern.match(message))), message)
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
