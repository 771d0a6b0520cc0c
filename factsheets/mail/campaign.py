"""`factsheets mail`: plan, preview or send one message per department, exactly once.

Flow of `run_mail`:
1. Read the recipients file (recipients.py) and config/mail.yaml (config.py), check the
   sender, the server options and the credentials; refuse `--send` on the synthetic sample
   without `--allow-synthetic`. Every problem is collected and reported together, one line
   each, and nothing is sent.
2. Render every sheet afresh in memory (sheets.py) and make the file on disk equal to it:
   the attachment is always what `render` makes now from `--data` and the configuration
   (a sheet checked by an earlier run for exactly the same inputs is not drawn again).
3. Plan each department from the journal (journal.py), address by address: an address
   that has this content never gets it again; a new address gets it, alone in its message;
   an older content goes again only with `resend`; an unknown outcome ("incertain") only
   with `resend_uncertain`.
4. Dry run (default): print the plan. `preview`: write each message as an .eml file.
   `send`: for each message, the SMTP transaction (smtp.py) with a durable "intent" entry
   made once the recipients are accepted, just before the message data, then the entry
   settled ("sent"/"failed"). From the intent on, Ctrl-C is held back until the outcome
   is journalled, so the message in flight is finished before the run stops; before it
   (connecting, greeting, TLS, login, between messages) Ctrl-C stops the run at once.
   An answer lost after the data went out leaves the intent: "incertain", never retried
   in the same run.
The journal is the configuration's (journal_file: its state folder), whatever `out_dir`;
a journal an earlier version kept in `out_dir` is merged in on the first send.

Output: one line per department to `show` (stdout by default, kept in `MailReport.lines`);
retries, failures and the summary go to `log` (stderr in the CLI).
"""

from __future__ import annotations

import signal
import smtplib
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .. import paths
from ..errors import FactsheetsError, Problem, Problems, prefixed, write_problem
from ..numbers import format_short_decimal
from .config import MailConfig, load_mail_config
from .journal import Journal, journal_lock, now
from .messages import Addressees, Attachment, build_message, message_bytes, write_preview
from .recipients import ROLES, Mailbox, RecipientBook, Recipients, load_recipients, parse_mailbox, printable
from .sheets import ANNEX_TYPES, Sheet, fresh_annexes, fresh_sheets, refresh
from .smtp import (
    OutcomeUnknown,
    Permanent,
    SmtpSession,
    describe_failure,
    is_permanent,
    sleep_in_slices,
    smtp_credentials,
)

Log = Callable[[str], None]
SENDABLE = ("would-send", "would-resend")


@dataclass
class Delivery:
    """One department: its fresh sheet, its message text, and who gets it now."""

    code: str
    name: str
    recipients: Recipients
    sheet: Sheet
    subject: str
    body: str
    send_to: Addressees = field(default_factory=lambda: Addressees(()))
    held: dict[str, list[tuple[Mailbox, str]]] = field(default_factory=dict)  # kind -> [(mailbox, date)]
    status: str = ""  # would-send | would-resend | already-sent | changed | uncertain | sent | failed | not-attempted
    note: str = ""
    synthetic: bool = False
    annex: Attachment | None = None  # the sheet's data annex (config/mail.yaml: annexe)

    @property
    def pdf(self) -> Path:
        return self.sheet.path

    @property
    def content(self) -> bytes:
        return self.sheet.content

    @property
    def sha256(self) -> str:
        return self.sheet.sha256

    def attachments(self) -> list[Attachment]:
        return [Attachment(self.sheet.path.name, self.sheet.content), *([self.annex] if self.annex else [])]

    def summary(self) -> str:
        boxes = self.send_to
        parts = [f"à {', '.join(box.header() for box in boxes.to)}" if boxes.to else "sans destinataire principal"]
        if boxes.cc:
            parts.append(f"cc {', '.join(box.header() for box in boxes.cc)}")
        if boxes.bcc:
            parts.append(f"cci {', '.join(box.header() for box in boxes.bcc)}")
        parts.append(f"objet « {self.subject} »")
        parts.append(f"pièce jointe {self.sheet.path.name} ({_size(len(self.sheet.content))})")
        if self.annex is not None:
            parts.append(f"annexe {self.annex.filename} ({_size(len(self.annex.content))})")
        return " ; ".join(parts)


@dataclass
class MailReport:
    year: int
    dry_run: bool
    deliveries: list[Delivery] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)  # department codes accepted by the server in this run
    already_sent: list[str] = field(default_factory=list)  # every address has this content: skipped
    changed: list[str] = field(default_factory=list)  # content changed since sent, held (no --resend)
    uncertain: list[str] = field(default_factory=list)  # outcome unknown (this run or an earlier one), held
    uncertain_now: list[str] = field(default_factory=list)  # outcome became unknown in this run => exit 1
    failures: dict[str, str] = field(default_factory=dict)  # code -> one line; non-empty => exit 1
    previews: list[Path] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # the lines given to `show`


class MailValidationError(FactsheetsError):
    """Every problem found before sending, one line each, then (when there are several) a line
    that counts them; nothing was sent."""

    def __init__(self, problems: Iterable[Problem] | str, source: Path | None = None):
        if isinstance(problems, str):  # one message (or unpickled)
            super().__init__(problems)
            return
        found = list(problems)
        if len(found) > 1:
            found.append(
                Problem(
                    str(source),
                    what=f"{len(found)} problèmes (listés ci-dessus)",
                    fix="rien n'a été envoyé ; corrigez-les et relancez",
                )
            )
        super().__init__(found)


def _stdout(line: str) -> None:
    print(line, file=sys.stdout, flush=True)


def run_mail(
    recipients: Path,
    codes: Sequence[str] | None,
    year: int | None,
    out_dir: Path,
    data: Path,
    sender: str | None,
    smtp_host: str | None,
    smtp_port: int | None,
    send: bool,
    resend: bool,
    log: Log,
    *,
    resend_uncertain: bool = False,
    allow_synthetic: bool = False,
    preview: Path | None = None,
    show: Log | None = None,
    config: MailConfig | None = None,
    sheets=None,
    on_sent: Callable[[str], None] | None = None,
    journal: Path | None = None,
) -> MailReport:
    """Plan (default), preview or send one message per department; see the module docstring.

    `sheets` renders the sheets (default: sheets.fresh_sheets from `data` and `year`); tests give
    a stand-in with `year`, `synthetic` and `sheet_bytes(code)`. `on_sent(code)` is called
    after each accepted message, once the journal is saved. `journal`: the journal file
    (default: `journal_file(config)`, in the configuration's state folder, whatever `out_dir`).
    Raises MailValidationError when validation fails: nothing is sent.
    """
    show = show or _stdout
    config = config or load_mail_config()
    # None: mail.yaml's smtp.host / smtp.port (checked when it was read), else 127.0.0.1:25.
    smtp_host = config.smtp_host if smtp_host is None else smtp_host
    smtp_port = config.smtp_port if smtp_port is None else smtp_port
    out_dir = Path(out_dir)
    book = load_recipients(recipients)
    problems = Problems()  # the recipients file's, then this run's and mail.sheets' own
    problems.extend(book.problems)

    from_box = parse_mailbox(sender if sender is not None else config.sender)
    if from_box is None:
        origin = "--from" if sender is not None else f"{paths.mail_config()} : clé « sender »"
        shown = printable(sender if sender is not None else config.sender)
        problems.add(Problem(origin, what=f"« {shown} » n'est pas une adresse e-mail valide"))
    credentials = None
    try:
        credentials = smtp_credentials()
    except FactsheetsError as error:
        problems.extend(error.problems)
    if not 0 < smtp_port < 65536:
        problems.add(Problem("--smtp-port", what=f"{smtp_port} n'est pas un numéro de port (1-65535)"))
    if not smtp_host.strip() or any(char.isspace() for char in smtp_host):
        # smtplib would silently skip connecting to an empty host and fail later, obscurely.
        problems.add(
            Problem(
                "--smtp-host",
                what=f"« {printable(smtp_host)} » n'est pas un nom de serveur",
                fix="indiquez-en un comme smtp.example.org ou 127.0.0.1",
            )
        )
    if send and preview is not None:
        problems.add(Problem("--preview", what="écrit les messages sans les envoyer", fix="ne le combinez pas avec --send"))
    journal_path = _journal_path(journal, config, problems)
    entries = _select(book, codes, problems)
    synthetic = sheets.synthetic if sheets is not None else _is_synthetic(data)
    if synthetic and send and not allow_synthetic:
        problems.add(
            Problem(
                "--data",
                what=f"les fiches seraient faites avec l'échantillon SYNTHÉTIQUE fourni ({data}), à ne pas diffuser",
                fix="indiquez vos données réelles avec --data, ou ajoutez --allow-synthetic pour un envoi d'essai",
            )
        )
    deliveries: list[Delivery] = []
    if not (synthetic and send and not allow_synthetic):  # refused anyway: spare the rendering
        deliveries, year = _prepare(entries, year, data, out_dir, config, sheets, synthetic, problems)
    if problems:
        raise MailValidationError(problems, book.path)
    for delivery in deliveries:
        if delivery.sheet.disk_note():
            log(f"factsheets : {delivery.code} : {delivery.sheet.disk_note()} : {delivery.pdf}")
    if synthetic:
        log(
            "factsheets : attention : fiches faites avec l'échantillon SYNTHÉTIQUE fourni (chiffres illustratifs, à ne pas diffuser)"
            + ("" if allow_synthetic else " ; --send les refusera sans --allow-synthetic")
        )

    report = MailReport(year=year, dry_run=not send, deliveries=deliveries)
    legacy = out_dir / config.journal  # where earlier versions kept the journal

    def emit(delivery: Delivery) -> None:
        line = _line(delivery)
        report.lines.append(line)
        show(line)

    if not send:
        _plan(deliveries, _open_journal(journal_path, legacy, log, save=False), year, resend, resend_uncertain, report)
        for delivery in deliveries:
            if preview is not None and delivery.status in SENDABLE:
                message = _message(delivery, from_box)
                if delivery.send_to.bcc:  # the preview shows every address the message would reach
                    message["Bcc"] = ", ".join(box.header() for box in delivery.send_to.bcc)
                Path(preview).mkdir(parents=True, exist_ok=True)
                path = write_preview(preview, delivery.pdf.stem, message)
                report.previews.append(path)
                delivery.note = " ; ".join(filter(None, [delivery.note, f"aperçu {path}"]))
            emit(delivery)
        count = _count(deliveries, *SENDABLE)
        if preview is not None:
            log(f"factsheets : aperçu : {len(report.previews)} message(s) écrit(s) dans {preview} ; rien n'a été envoyé")
        else:
            log(
                f"factsheets : simulation : {count} message(s) à envoyer via {_describe_server(smtp_host, smtp_port, credentials, config.requires_tls(smtp_host))} ; "
                f"rien n'a été envoyé ; ajoutez --send pour les envoyer ; journal des envois : {journal_path}"
            )
        _log_uncertain(report, log)
        return report

    session = SmtpSession(
        smtp_host, smtp_port, timeout=config.timeout_seconds, require_tls=config.requires_tls(smtp_host), credentials=credentials
    )
    try:
        journal_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        what, _ = write_problem(journal_path.parent, error)
        raise FactsheetsError(
            f"{journal_path.parent} : impossible de créer le dossier du journal d'envoi, {what} ; "
            f"rien n'a été envoyé ; indiquez-en un autre avec {paths.STATE_VARIABLE}=DOSSIER ou --journal FICHIER"
        ) from None
    with journal_lock(journal_path):
        journal = _open_journal(journal_path, legacy, log, save=True)
        _plan(deliveries, journal, year, resend, resend_uncertain, report)
        unusable = ""  # why the server cannot be used, once it has failed even to open a session
        try:
            for delivery in deliveries:
                if delivery.status not in SENDABLE:
                    emit(delivery)
                elif unusable:
                    # Every department would wait through the same retries for nothing.
                    delivery.status, delivery.note = "not-attempted", f"serveur inutilisable : {unusable}"
                    report.failures[delivery.code] = delivery.note
                    emit(delivery)
                elif not _send_one(delivery, from_box, session, journal, year, config, log, report, smtp_host, smtp_port, emit):
                    unusable = delivery.note
                if delivery.status == "sent" and on_sent is not None:
                    on_sent(delivery.code)
        except KeyboardInterrupt:
            session.close(quick=True)  # no waiting for a slow server's answer to QUIT
            log(
                f"factsheets : envoi interrompu après le message en cours ; {len(report.sent)} message(s) envoyé(s) "
                "et inscrit(s) au journal ; relancez la commande pour envoyer les autres"
            )
            raise
        finally:
            session.close()
    skipped = _count(deliveries, "not-attempted")
    if skipped:
        log(
            f"factsheets : {skipped} département(s) non tenté(s) : le serveur n'a pas pu ouvrir de session "
            f"({unusable}) ; relancez la commande quand il répondra"
        )
    failed = _count(deliveries, "failed")
    if failed:
        log(
            f"factsheets : {failed} message(s) sur {len(report.sent) + failed} en échec ; relancez la commande pour réessayer "
            "(les messages déjà acceptés ne sont pas envoyés deux fois)"
        )
    _log_uncertain(report, log)
    uncertain = len(report.uncertain)
    log(
        f"factsheets : {len(report.sent)} message(s) envoyé(s), {len(report.already_sent)} déjà envoyé(s) auparavant, "
        f"{len(report.changed)} retenu(s) (modifiés), {failed} en échec"
        + (f", {skipped} non tenté(s)" if skipped else "")
        + (f", {uncertain} incertain(s)" if uncertain else "")
        + f" ; journal des envois : {journal_path}"
    )
    return report


def journal_file(config: MailConfig) -> Path:
    """The default journal: in the state folder of the configuration in use (paths.state_dir())."""
    return paths.state_dir() / config.journal


def _journal_path(journal: Path | None, config: MailConfig, problems: Problems) -> Path:
    try:
        path = (Path(journal).expanduser() if journal is not None else journal_file(config)).resolve()
    except RuntimeError:  # no home folder, or ~user unknown
        where = f"--journal {journal}" if journal is not None else "journal d'envoi"
        problems.add(
            Problem(
                where,
                what="dossier personnel introuvable (HOME absent ou utilisateur inconnu)",
                fix=f"indiquez le journal avec {paths.STATE_VARIABLE}=DOSSIER ou --journal FICHIER",
            )
        )
        return Path(config.journal)
    if path.is_dir():
        where = "--journal" if journal is not None else "journal d'envoi"
        problems.add(Problem(where, what=f"{path} est un dossier", fix=f"indiquez un fichier, comme {path / config.journal}"))
    return path


def _open_journal(path: Path, legacy: Path, log: Log, *, save: bool) -> Journal:
    """The journal, with the one an earlier version left in the output folder merged in (once)."""
    journal = Journal.load(path)
    if not legacy.is_file() or legacy.resolve() == path:
        return journal
    added = journal.merge(legacy)
    if added is None:
        return journal
    if not save:
        log(
            f"factsheets : ancien journal d'envoi {legacy} pris en compte ; il sera fusionné dans {path} au premier envoi (--send)"
        )
        return journal
    try:
        journal.save()
    except OSError as error:
        raise FactsheetsError(f"{journal_write_failure(path, error)} ; rien n'a été envoyé ; {JOURNAL_FIX}") from None
    log(
        f"factsheets : ancien journal d'envoi {legacy} fusionné dans {path} ({added} entrée(s) ajoutée(s)) ; le journal est "
        "désormais tenu là, quels que soient --out et le dossier courant ; l'ancien fichier peut être supprimé"
    )
    return journal


def _is_synthetic(data: Path) -> bool:
    from ..dataset import is_synthetic

    return is_synthetic(data)


def _select(book: RecipientBook, codes: Sequence[str] | None, problems: Problems) -> list[Recipients]:
    """The departments to mail, in the order asked (or the file's order)."""
    if not codes:
        return book.entries
    from ..reference import load_reference

    reference = load_reference()
    by_code = {entry.code: entry for entry in book.entries}
    selected = []
    for text in dict.fromkeys(codes):
        try:
            code = reference.resolve_department(text)  # the matching of --dept and of the recipients files
        except FactsheetsError as error:
            problems.extend(prefixed("--dept : ", error))
            continue
        if code in by_code:
            if by_code[code] not in selected:  # "2" and "02" are one department: one message
                selected.append(by_code[code])
        else:
            where = f"--dept {printable(text)}"
            problems.add(Problem(where, what=f"le département {code} n'a pas d'entrée dans {book.path}", fix="ajoutez-le"))
    return selected


def _prepare(
    entries: list[Recipients],
    year: int | None,
    data: Path,
    out_dir: Path,
    config: MailConfig,
    sheets,
    synthetic: bool,
    problems: Problems,
) -> tuple[list[Delivery], int]:
    """Render each sheet afresh and build its message text; collect what cannot be done."""
    from ..reference import load_reference

    reference = load_reference()
    codes = [entry.code for entry in entries]
    names = {code: reference.department(code).name for code in codes}
    renderer = None
    if sheets is None:
        try:
            fresh, year, renderer = fresh_sheets(data, year, codes, names, out_dir, problems)
        except FactsheetsError as error:
            problems.extend(prefixed("impossible de produire les fiches : ", error))
            return [], 0
    else:
        fresh, year = refresh(sheets, codes, names, out_dir, problems), sheets.year
    annexes = {}
    if config.annex and fresh:
        try:
            annexes = fresh_annexes(
                data, year, [code for code in codes if code in fresh], names, out_dir, config.annex, problems, renderer
            )
        except FactsheetsError as error:
            problems.extend(prefixed("impossible de produire les annexes chiffrées : ", error))
    deliveries = []
    for entry in entries:
        if entry.code not in fresh:
            continue  # reported by refresh
        values = {
            "department": names[entry.code],
            "de_department": reference.department_after_de(entry.code),
            "code": entry.code,
            "year": year,
        }
        deliveries.append(
            Delivery(
                code=entry.code,
                name=names[entry.code],
                recipients=entry,
                sheet=fresh[entry.code],
                subject=config.subject.format(**values),
                body=config.body.format(**values),
                synthetic=synthetic,
                annex=_annex_attachment(annexes.get(entry.code)),
            )
        )
    return deliveries, year


def _annex_attachment(annex: tuple[Path, bytes] | None) -> Attachment | None:
    if annex is None:
        return None
    path, content = annex
    maintype, subtype = ANNEX_TYPES[path.suffix.lstrip(".")]
    return Attachment(path.name, content, maintype, subtype)


def _plan(
    deliveries: list[Delivery], journal: Journal, year: int, resend: bool, resend_uncertain: bool, report: MailReport
) -> None:
    """Who gets each department's sheet now, address by address."""
    for delivery in deliveries:
        chosen: dict[str, list[Mailbox]] = {role: [] for role in ROLES}
        held: dict[str, list[tuple[Mailbox, str]]] = {}
        resending = False
        for role, box in delivery.recipients.roles():
            state = journal.state(year, delivery.code, box.address, delivery.sha256)
            if state.kind == "new" or (state.kind == "changed" and resend) or (state.kind == "uncertain" and resend_uncertain):
                chosen[role].append(box)
                resending |= state.kind != "new"
            else:
                held.setdefault(state.kind, []).append((box, state.date))
        delivery.send_to = Addressees(*(tuple(chosen[role]) for role in ROLES))
        delivery.held = held
        if "uncertain" in held:
            report.uncertain.append(delivery.code)
        if delivery.send_to.envelope():
            delivery.status = "would-resend" if resending else "would-send"
        elif "uncertain" in held:
            delivery.status = "uncertain"
        elif "changed" in held:
            delivery.status = "changed"
            report.changed.append(delivery.code)
        else:
            delivery.status = "already-sent"
            report.already_sent.append(delivery.code)
        delivery.note = _held_note(delivery)


def _held_note(delivery: Delivery) -> str:
    """Why the addresses not in this message are left out (empty if none is)."""
    parts = []
    for kind, boxes in delivery.held.items():
        addresses = ", ".join(box.address for box, _ in boxes)
        date = max(date for _, date in boxes)
        if kind == "sent":
            parts.append(f"déjà envoyé le {date} avec le même contenu à {addresses} ; pas d'envoi en double")
        elif kind == "changed":
            parts.append(
                f"{delivery.pdf.name} modifié depuis l'envoi du {date} à {addresses} ; utilisez --resend pour l'envoyer à nouveau"
            )
        else:
            parts.append(
                f"envoi à {addresses} commencé le {date} sans confirmation du serveur (incertain : le message a pu "
                "arriver) ; vérifiez auprès des destinataires, puis relancez avec --resend-uncertain pour l'envoyer à nouveau"
            )
    return " ; ".join(parts)


def _message(delivery: Delivery, sender: Mailbox):
    return build_message(sender, delivery.send_to, delivery.subject, delivery.body, delivery.attachments())


@contextmanager
def _interrupts_held(in_flight: Callable[[], bool]) -> Iterator[None]:
    """Ctrl-C while a message is in flight (`in_flight()` true) waits until the block ends,
    then stops the run as usual (KeyboardInterrupt); before that (connecting, greeting,
    TLS, login) it stops the run at once: nothing has been sent, nothing is journalled.

    A Python-level handler, not a blocked signal mask: SIGINT can be delivered to any
    thread of the process (Polars has its own), and Python acts on it whichever one gets it.
    The socket waits in small slices (smtp.py), so the handler runs within a fraction of a
    second even when the main thread is waiting for a silent server.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    interrupted = []

    def handler(number, frame) -> None:
        if not in_flight():
            raise KeyboardInterrupt
        interrupted.append(number)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted:
        raise KeyboardInterrupt


def _send_one(
    delivery: Delivery,
    sender: Mailbox,
    session: SmtpSession,
    journal: Journal,
    year: int,
    config: MailConfig,
    log: Log,
    report: MailReport,
    host: str,
    port: int,
    emit: Log,
) -> bool:
    """Send with retries, journalled. False if it finally failed because no session could be opened."""
    message = _message(delivery, sender)
    payload = message_bytes(message)
    message_id = message["Message-ID"]
    roles = {box.address: role for role in ROLES for box in getattr(delivery.send_to, role)}
    intents = [
        {
            "year": year,
            "department": delivery.code,
            "address": address,
            "role": role,
            "sha256": delivery.sha256,
            "file": delivery.pdf.name,
            "message_id": message_id,
            "server": f"{host}:{port}",
        }
        for address, role in roles.items()
    ]
    attempts = config.retries + 1
    for attempt in range(1, attempts + 1):
        began = []
        in_flight = []  # from the intent on: Ctrl-C then waits for the message's outcome

        def begin() -> None:  # recipients accepted: the intent is made durable before the data goes
            in_flight.append(True)  # before the write: a Ctrl-C now waits for the outcome of the message
            _journal_write(journal, delivery.code, False, lambda: journal.begin(intents))
            began.append(True)

        with _interrupts_held(lambda: bool(in_flight)):  # the intent, the transaction and its outcome go together
            try:
                session.send(sender.address, list(roles), payload, before_data=begin)
            except OutcomeUnknown as error:
                # Maybe stored: never retried in this run; the intent entries stay "incertain".
                reason = describe_failure(error, host, port, config.timeout_seconds)
                delivery.status = "uncertain"
                delivery.note = (
                    f"{reason} ; le serveur a pu enregistrer le message : pas de nouvel essai ; "
                    "vérifiez auprès des destinataires, puis relancez avec --resend-uncertain pour l'envoyer à nouveau"
                )
                report.uncertain.append(delivery.code)
                report.uncertain_now.append(delivery.code)
                log(f"factsheets : incertain : {delivery.code} : {reason}")
                emit(delivery)
                return True
            except (OSError, Permanent, smtplib.SMTPException) as error:
                session.close()
                reason = describe_failure(error, host, port, config.timeout_seconds)
                if began:  # refused after the intent: not delivered
                    _journal_write(
                        journal,
                        delivery.code,
                        False,
                        lambda: journal.finish(message_id, "failed", failed_at=now(), reason=reason),
                    )
                if is_permanent(error) or attempt == attempts:
                    tries = f" (après {attempt} tentatives)" if attempt > 1 else ""
                    delivery.status, delivery.note = "failed", reason + tries
                    report.failures[delivery.code] = reason + tries
                    log(f"factsheets : échec : {delivery.code} : {reason}{tries}")
                    emit(delivery)
                    return not session.failed_to_connect
            else:
                _journal_write(journal, delivery.code, True, lambda: journal.finish(message_id, "sent", sent_at=now()))
                delivery.status = "sent"
                report.sent.append(delivery.code)
                emit(delivery)
                return True
        delay = config.delay(attempt)
        log(
            f"factsheets : {delivery.code} : tentative {attempt} sur {attempts} en échec ({reason}) ; nouvel essai dans {format_short_decimal(delay)} s"
        )
        sleep_in_slices(delay)
    return True


# Never "choose another folder" for the journal: a new, empty journal would send everything again.
JOURNAL_FIX = "libérez de la place (ou corrigez les droits) sur ce disque, puis relancez la commande avec le même journal"


def journal_write_failure(journal: Path, error: OSError) -> str:
    """« {journal} : journal d'envoi non écrit, <why, the disk named when full> »."""
    what, _ = write_problem(journal.parent, error)
    return f"{journal} : journal d'envoi non écrit, {what}"


def _journal_write(journal: Journal, code: str, sent: bool, write: Callable[[], None]) -> None:
    """A journal write; if it fails, stop the run: going on could send a message twice later."""
    try:
        write()
    except OSError as error:
        failure = journal_write_failure(journal.path, error)
        if sent:
            raise FactsheetsError(
                f"{failure} ; le message du département {code} a pourtant été accepté par le serveur : il sera signalé "
                f"« incertain » et ne sera pas renvoyé ; {JOURNAL_FIX}"
            ) from None
        raise FactsheetsError(
            f"{failure} ; rien n'a été envoyé pour le département {code} (les envois précédents sont au journal) ; {JOURNAL_FIX}"
        ) from None


def _log_uncertain(report: MailReport, log: Log) -> None:
    if report.uncertain:
        log(
            f"factsheets : {len(report.uncertain)} envoi(s) incertain(s) ({', '.join(report.uncertain)}) : le serveur a pu les "
            "recevoir ; ils ne sont pas renvoyés ; vérifiez auprès des destinataires, puis relancez avec --resend-uncertain "
            "pour les envoyer à nouveau"
        )


STATUS_LABELS = {
    "would-send": "à envoyer",
    "would-resend": "à renvoyer",
    "already-sent": "déjà envoyé",
    "changed": "modifié",
    "uncertain": "incertain",
    "sent": "envoyé",
    "failed": "échec",
    "not-attempted": "non tenté",
}


def _line(delivery: Delivery) -> str:
    if delivery.status in (*SENDABLE, "sent"):
        details = [delivery.summary(), delivery.sheet.disk_note(), delivery.note]
        if delivery.synthetic:
            details.append("fiche SYNTHÉTIQUE (échantillon fourni)")
    else:
        details = [delivery.note]
    return f"{STATUS_LABELS[delivery.status]} : {delivery.code} {delivery.name} : {' ; '.join(d for d in details if d)}"


def _describe_server(host: str, port: int, credentials: tuple[str, str] | None, tls: bool) -> str:
    """How --send would talk to the server, so a dry run shows it before anything leaves."""
    security = "STARTTLS obligatoire" if tls else "en clair, cette machine uniquement"
    login = f", authentification en tant que {credentials[0]}" if credentials else ", sans authentification"
    return f"{host}:{port} ({security}{login})"


def _size(size: int) -> str:
    return f"{size} octets" if size < 1000 else f"{format_short_decimal(round(size / 1000, 1))} ko"


def _count(deliveries: list[Delivery], *statuses: str) -> int:
    return sum(delivery.status in statuses for delivery in deliveries)
