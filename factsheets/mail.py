"""Mail each department its sheet, safely re-runnable: `factsheets mail`.

Flow of `run_mail`:
1. Read the recipients file (YAML) and config/mail.yaml. A broken file or a wrong shape
   raises FactsheetsError naming the file, the line and the key.
2. Validate everything and collect every problem (bad address, unknown department code,
   missing sheet that cannot be rendered, bad sender, half-set credentials); missing sheets
   are rendered first. Any problem: they are all reported, one line each, nothing is sent.
3. Decide per department from the send journal (`<out>/.mail-journal.json`): a sheet the
   server accepted is never sent again for the same year and PDF content (sha256); a sheet
   whose content changed since it was sent is held back unless `resend` is set.
4. Dry run (the default): print the plan. With `send`: one message per department, built
   with `email` and sent with `smtplib`, each failure retried with backoff; the journal is
   rewritten atomically after EACH accepted message, so an interrupted run resumes where
   it stopped. If even a session cannot be opened after the retries (server unreachable,
   TLS or login refused), the remaining departments are not tried ("non tenté"): each
   would wait through the same retries for nothing; a re-run sends them.

Output: plan/result lines (one per department) go to `show` (stdout by default, also kept
in `MailReport.lines`); retries, failures and the summary go to `log` (stderr in the CLI).

Delivery is at-least-once: if the process dies between the server's acceptance and the
journal write, that one message is sent again on the next run.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
import smtplib
import socket
import ssl
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, make_msgid
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from .annex import ANNEX_FORMATS
from .config import load_mapping, load_yaml, require
from .errors import FactsheetsError
from .files import write_atomically
from .paths import CONFIG_DIR

MAIL_CONFIG = CONFIG_DIR / "mail.yaml"
# MIME types of the data annex attachments.
ANNEX_TYPES = {"xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"), "csv": ("text", "csv")}
USER_VARIABLE = "FACTSHEETS_SMTP_USER"
PASSWORD_VARIABLE = "FACTSHEETS_SMTP_PASSWORD"
PLACEHOLDERS = ("department", "code", "year")
RECIPIENT_KEYS = ("to", "cc", "bcc")
JOURNAL_FORMAT = 1

Log = Callable[[str], None]


# -- configuration ---------------------------------------------------------------------------
@dataclass(frozen=True)
class MailConfig:
    """config/mail.yaml. Tests shrink `backoff_seconds` with dataclasses.replace."""

    sender: str
    subject: str
    body: str
    timeout_seconds: float
    retries: int
    backoff_seconds: float
    backoff_factor: float
    journal: str = ".mail-journal.json"
    annex: str | None = None  # "xlsx" (or "csv"): the sheet's data annex goes with it (render --annexe)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return self.backoff_seconds * self.backoff_factor ** (attempt - 1)


def load_mail_config(path: Path = MAIL_CONFIG) -> MailConfig:
    raw = load_mapping(path)
    smtp = require(raw, "smtp", path)
    if not isinstance(smtp, dict):
        raise FactsheetsError(f"{path} : la clé « smtp » doit contenir des paires clé: valeur (timeout_seconds, retries, backoff_seconds, backoff_factor)")

    def text(key: str) -> str:
        value = require(raw, key, path)
        if not isinstance(value, str) or not value.strip():
            raise FactsheetsError(f"{path} : la clé « {key} » doit être un texte non vide")
        return value

    def number(key: str, minimum: float, integer: bool = False) -> float:
        value = require(smtp, key, f"{path} : smtp")
        if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)) or value < minimum:
            kind = "un nombre entier" if integer else "un nombre"
            raise FactsheetsError(f"{path} : la clé « smtp.{key} » doit être {kind} >= {minimum:g} (trouvé : « {value} »)")
        return value

    subject, body = text("subject"), text("body")
    for key, template in (("subject", subject), ("body", body)):
        _check_template(template, path, key)
    if "\n" in subject.strip():
        raise FactsheetsError(f"{path} : la clé « subject » doit tenir sur une seule ligne")
    journal = raw.get("journal", ".mail-journal.json")
    if not isinstance(journal, str) or not journal or Path(journal).name != journal:
        raise FactsheetsError(f"{path} : la clé « journal » doit être un simple nom de fichier, comme .mail-journal.json")
    annex = raw.get("annexe")
    if annex is not None and annex is not False and annex not in ANNEX_FORMATS:
        raise FactsheetsError(f"{path} : la clé « annexe » vaut « {annex} » ; indiquez xlsx (ou csv) pour joindre "
                              "l'annexe chiffrée, ou supprimez la clé")
    return MailConfig(
        annex=annex or None,
        sender=text("sender").strip(),
        subject=subject.strip(),
        body=body,
        timeout_seconds=float(number("timeout_seconds", 0.001)),
        retries=int(number("retries", 0, integer=True)),
        backoff_seconds=float(number("backoff_seconds", 0)),
        backoff_factor=float(number("backoff_factor", 1)),
        journal=journal,
    )


def _check_template(template: str, path: Path, key: str) -> None:
    try:
        template.format(department="Aisne", code="02", year=2024)
    except KeyError as error:
        allowed = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        raise FactsheetsError(f"{path} : clé « {key} » : variable inconnue {{{error.args[0]}}} ; utilisez {allowed}") from None
    except (ValueError, IndexError) as error:
        raise FactsheetsError(f"{path} : clé « {key} » : modèle mal formé ({error}) ; écrivez les accolades littérales {{{{ et }}}}") from None


# -- addresses ---------------------------------------------------------------------------------
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
ADDRESS = re.compile(rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})+")
NAMED_ADDRESS = re.compile(r"(?P<name>[^<>@\r\n\"]*?)\s*<(?P<address>[^<>\s]+)>")


@dataclass(frozen=True)
class Mailbox:
    address: str  # bare address, used in the SMTP envelope
    name: str = ""  # display name, used in the headers only

    def header(self) -> str:
        return f"{self.name} <{self.address}>" if self.name else self.address


def parse_mailbox(text: str) -> Mailbox | None:
    """'a@b.fr' or 'Nom <a@b.fr>' (ASCII address, domain with a dot), or None if malformed."""
    text = text.strip()
    named = NAMED_ADDRESS.fullmatch(text)
    name, address = (named["name"].strip(), named["address"]) if named else ("", text)
    if ADDRESS.fullmatch(address) is None or len(address) > 254:
        return None
    return Mailbox(address=address, name=name)


# -- recipients file ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Recipients:
    code: str
    line: int  # line of the department's key in the recipients file
    to: tuple[Mailbox, ...]
    cc: tuple[Mailbox, ...] = ()
    bcc: tuple[Mailbox, ...] = ()

    def envelope(self) -> list[str]:
        """Every address the server must deliver to (to + cc + bcc), each once."""
        seen: dict[str, str] = {}
        for box in (*self.to, *self.cc, *self.bcc):
            seen.setdefault(box.address.lower(), box.address)
        return list(seen.values())


@dataclass
class RecipientBook:
    path: Path
    entries: list[Recipients]
    problems: list[str]  # content problems (addresses, codes), reported together later


def load_recipients(path: Path) -> RecipientBook:
    """Parse the recipients file; wrong shape raises at once, bad values are collected."""
    path = Path(path)
    if load_yaml(path) is None:  # also turns missing file / bad YAML into one clear line
        raise FactsheetsError(f"{path} : fichier vide ; attendu : une clé « departments » (voir examples/recipients.example.yaml)")
    # Walk the node tree rather than the loaded values: keys keep their written text (an
    # unquoted 01 would load as the number 1) and every problem can name its line.
    root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)

    def where(node: yaml.Node) -> str:
        return f"{path}:{node.start_mark.line + 1}"

    if not isinstance(root, yaml.MappingNode):
        raise FactsheetsError(f"{where(root)} : attendu : la clé « departments » au premier niveau du fichier")
    top = _mapping_items(root, path, "top level")
    unknown = [key for key in top if key != "departments"]
    if unknown:
        raise FactsheetsError(f"{where(top[unknown[0]][0])} : clé inconnue « {unknown[0]} » ; le fichier n'a qu'une clé, « departments »")
    if "departments" not in top:
        raise FactsheetsError(f"{path} : clé « departments » manquante (code du département -> adresses to/cc)")
    key_node, departments = top["departments"]
    if not isinstance(departments, yaml.MappingNode) or not departments.value:
        raise FactsheetsError(
            f"{where(key_node)} : la clé « departments » doit associer des codes de département à des destinataires, "
            "par ex. \"02\": {to: [contact@example.org]}"
        )

    from .reference import load_reference, normalize_department_code

    reference = load_reference()
    entries: list[Recipients] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for raw_code, (code_node, value) in _mapping_items(departments, path, "departments").items():
        label = f"departments.{raw_code}"
        if not isinstance(value, yaml.MappingNode):
            raise FactsheetsError(f"{where(value)} : la clé « {label} » doit contenir « to » (et éventuellement « cc », « bcc »)")
        fields = _mapping_items(value, path, label)
        extra = [key for key in fields if key not in RECIPIENT_KEYS]
        if extra:
            raise FactsheetsError(
                f"{where(fields[extra[0]][0])} : clé inconnue « {label}.{extra[0]} » ; clés autorisées : {', '.join(RECIPIENT_KEYS)}"
            )
        if "to" not in fields:
            raise FactsheetsError(f"{where(code_node)} : clé « {label}.to » manquante (liste d'adresses)")
        boxes = {key: _addresses(fields[key][1], path, f"{label}.{key}", problems) for key in fields}
        if not fields["to"][1].value or (isinstance(fields["to"][1], yaml.ScalarNode) and not fields["to"][1].value.strip()):
            problems.append(f"{where(fields['to'][1])} : la clé « {label}.to » est vide ; indiquez au moins une adresse")
        line = code_node.start_mark.line + 1
        try:
            code = normalize_department_code(raw_code)
            reference.department(code)
        except FactsheetsError:
            problems.append(
                f"{path}:{line} : « {raw_code} » sous « departments » n'est pas un code de département connu ; "
                "utilisez un code INSEE comme \"02\", \"2A\" ou \"971\""
            )
            continue
        if code in first_line:
            problems.append(f"{path}:{line} : le département {code} figure deux fois (aussi ligne {first_line[code]}) ; gardez une seule entrée")
            continue
        first_line[code] = line
        entries.append(Recipients(code, line, boxes["to"], boxes.get("cc", ()), boxes.get("bcc", ())))
    return RecipientBook(path, entries, problems)


def _mapping_items(node: yaml.MappingNode, path: Path, label: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """key text -> (key node, value node); keys must be plain scalars."""
    items: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            place = "du premier niveau" if label == "top level" else f"sous « {label} »"
            raise FactsheetsError(f"{path}:{key.start_mark.line + 1} : les clés {place} doivent être du texte simple")
        items[key.value] = (key, value)  # a repeated identical key: YAML keeps the last one
    return items


def _addresses(node: yaml.Node, path: Path, label: str, problems: list[str]) -> tuple[Mailbox, ...]:
    where = f"{path}:{node.start_mark.line + 1}"
    if isinstance(node, yaml.ScalarNode):
        items = [node] if node.value.strip() else []  # one address written without brackets
    elif isinstance(node, yaml.SequenceNode):
        items = node.value
    else:
        raise FactsheetsError(f"{where} : la clé « {label} » doit être une liste d'adresses, par ex. [contact@example.org]")
    boxes = []
    for item in items:
        if not isinstance(item, yaml.ScalarNode):
            raise FactsheetsError(f"{path}:{item.start_mark.line + 1} : la clé « {label} » doit lister les adresses sous forme de texte")
        box = parse_mailbox(item.value)
        if box is None:
            problems.append(
                f"{path}:{item.start_mark.line + 1} : clé « {label} » : « {item.value} » n'est pas une adresse e-mail valide ; "
                "écrivez-la sous la forme nom@domaine.fr ou \"Nom <nom@domaine.fr>\""
            )
        else:
            boxes.append(box)
    return tuple(boxes)


# -- the send journal --------------------------------------------------------------------------
class Journal:
    """What the server accepted: one entry per accepted message, rewritten atomically."""

    def __init__(self, path: Path, entries: list[dict[str, Any]]):
        self.path = path
        self.entries = entries

    @classmethod
    def load(cls, path: Path) -> "Journal":
        fix = "restaurez-le, ou supprimez-le pour oublier tous les envois passés (tout serait envoyé à nouveau)"
        if not path.exists():
            return cls(path, [])
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise FactsheetsError(f"{path} : journal d'envoi illisible ({error}) ; {fix}") from None
        entries = payload.get("sent") if isinstance(payload, dict) else None
        if not isinstance(entries, list) or not all(
            isinstance(entry, dict)
            and isinstance(entry.get("year"), int)
            and isinstance(entry.get("department"), str)
            and isinstance(entry.get("sha256"), str)
            for entry in entries
        ):
            raise FactsheetsError(f"{path} : ce n'est pas un journal d'envoi (attendu : \"sent\": [{{year, department, sha256, …}}]) ; {fix}")
        return cls(path, entries)

    def hashes(self, year: int, code: str) -> list[str]:
        return [entry["sha256"] for entry in self.entries if entry["year"] == year and entry["department"] == code]

    def last(self, year: int, code: str) -> dict[str, Any] | None:
        matching = [entry for entry in self.entries if entry["year"] == year and entry["department"] == code]
        return matching[-1] if matching else None

    def record(self, entry: dict[str, Any]) -> None:
        self.entries.append(entry)
        payload = {"format": JOURNAL_FORMAT, "sent": self.entries}
        write_atomically(self.path, (json.dumps(payload, ensure_ascii=False, indent=2) + "\n").encode("utf-8"), durable=True)


@contextmanager
def journal_lock(out_dir: Path) -> Iterator[None]:
    """One sending run per output folder at a time (the lock dies with its process)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no cross-process lock
        yield
        return
    lock_path = out_dir / ".mail-journal.lock"
    with open(lock_path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FactsheetsError(
                f"{lock_path} : une autre commande « factsheets mail --send » est en cours sur {out_dir} ; attendez qu'elle se termine"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# -- SMTP ----------------------------------------------------------------------------------------
def is_loopback(host: str) -> bool:
    """Only 'localhost' and loopback IP literals count: traffic to them never leaves the machine."""
    if host.strip().lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


class Permanent(Exception):
    """A failure that retrying cannot fix (policy refusal, bad credentials)."""


def smtp_credentials(environ: Mapping[str, str] = os.environ) -> tuple[str, str] | None:
    """(user, password) from FACTSHEETS_SMTP_USER / FACTSHEETS_SMTP_PASSWORD, never from files."""
    user, password = environ.get(USER_VARIABLE, ""), environ.get(PASSWORD_VARIABLE, "")
    if bool(user) != bool(password):
        missing = PASSWORD_VARIABLE if user else USER_VARIABLE
        raise FactsheetsError(f"environnement : {missing} n'est pas défini ; définissez à la fois {USER_VARIABLE} et {PASSWORD_VARIABLE}, ou aucun des deux")
    return (user, password) if user else None


class SmtpSession:
    """One SMTP connection, opened on first use and reused; closed after any error."""

    def __init__(self, host: str, port: int, *, timeout: float, require_tls: bool,
                 credentials: tuple[str, str] | None, tls_context: ssl.SSLContext | None = None):
        self.host, self.port, self.timeout = host, port, timeout
        self.require_tls = require_tls
        self.credentials = credentials
        self.tls_context = tls_context
        self._smtp: smtplib.SMTP | None = None
        # Whether the last `send` failed before a session was open (unreachable server,
        # TLS or login refused): then no other message can get through either.
        self.failed_to_connect = False

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.require_tls:
                if not smtp.has_extn("starttls"):
                    raise Permanent(
                        f"{self.host}:{self.port} ne propose pas STARTTLS ; envoi en clair refusé vers un serveur "
                        "autre que cette machine"
                    )
                smtp.starttls(context=self.tls_context or ssl.create_default_context())
                smtp.ehlo()
            if self.credentials:
                if not smtp.has_extn("auth"):
                    raise Permanent(f"{self.host}:{self.port} n'accepte pas d'authentification (pas d'AUTH) alors que {USER_VARIABLE} est défini")
                smtp.login(*self.credentials)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, sender: str, recipients: Sequence[str], message: bytes) -> None:
        """All or nothing: if any recipient is refused the message is not sent to the others."""
        if self._smtp is None:
            self.failed_to_connect = True
            self._smtp = self._connect()
        self.failed_to_connect = False
        smtp = self._smtp
        code, answer = smtp.mail(sender)
        if code != 250:
            self._reset()
            raise smtplib.SMTPSenderRefused(code, answer, sender)
        refused = {}
        for recipient in recipients:
            code, answer = smtp.rcpt(recipient)
            if code not in (250, 251):
                refused[recipient] = (code, answer)
        if refused:
            self._reset()
            raise smtplib.SMTPRecipientsRefused(refused)
        code, answer = smtp.data(message)
        if code != 250:
            self._reset()
            raise smtplib.SMTPDataError(code, answer)

    def _reset(self) -> None:
        try:
            self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    def close(self) -> None:
        if self._smtp is not None:
            smtp, self._smtp = self._smtp, None
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


def describe_failure(error: BaseException, host: str, port: int, timeout: float) -> str:
    """One line saying what went wrong with the server."""

    def answer(code: int, text: bytes | str) -> str:
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        return f"{code} {' '.join(text.split())}".strip()

    if isinstance(error, Permanent):
        return str(error)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = " ; ".join(f"{address} ({answer(*reply)})" for address, reply in error.recipients.items())
        return f"destinataire refusé : {refused}"
    if isinstance(error, smtplib.SMTPSenderRefused):
        return f"expéditeur {error.sender} refusé ({answer(error.smtp_code, error.smtp_error)})"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"authentification refusée par {host}:{port} ({answer(error.smtp_code, error.smtp_error)}) ; vérifiez {USER_VARIABLE} et {PASSWORD_VARIABLE}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{host}:{port} a répondu {answer(error.smtp_code, error.smtp_error)}"
    # smtplib reports a read timeout as a disconnection caused by the TimeoutError.
    if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
        return f"aucune réponse de {host}:{port} en {_decimal(timeout)} s"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return f"{host}:{port} a fermé la connexion"
    if isinstance(error, ConnectionRefusedError):
        return f"connexion impossible à {host}:{port} (connexion refusée ; le serveur est-il démarré ?)"
    if isinstance(error, socket.gaierror):
        return f"serveur SMTP introuvable : « {host} » (nom non résolu)"
    if isinstance(error, ssl.SSLError):
        return f"échec de TLS avec {host}:{port} ({error.reason or error})"
    if isinstance(error, OSError):
        return f"{host}:{port} : {error.strerror or error}"
    return f"{host}:{port} : {type(error).__name__}: {error}"


def _is_permanent(error: BaseException) -> bool:
    return isinstance(error, (Permanent, smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError,
                              ssl.SSLCertVerificationError))


# -- building and planning ---------------------------------------------------------------------
@dataclass
class Delivery:
    """One department's message, fully built before anything is sent."""

    code: str
    name: str
    recipients: Recipients
    pdf: Path
    content: bytes
    subject: str
    body: str
    annex: Path | None = None  # the data annex attached with the sheet (config/mail.yaml: annexe)
    annex_content: bytes = b""
    status: str = ""  # would-send | would-resend | already-sent | changed | sent | failed | not-attempted
    note: str = ""

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def summary(self) -> str:
        boxes = self.recipients
        parts = [f"à {', '.join(box.header() for box in boxes.to)}"]
        if boxes.cc:
            parts.append(f"cc {', '.join(box.header() for box in boxes.cc)}")
        if boxes.bcc:
            parts.append(f"cci {', '.join(box.header() for box in boxes.bcc)}")
        parts.append(f"objet « {self.subject} »")
        parts.append(f"pièce jointe {self.pdf.name} ({_size(len(self.content))})")
        if self.annex is not None:
            parts.append(f"annexe {self.annex.name} ({_size(len(self.annex_content))})")
        return " ; ".join(parts)


def _size(size: int) -> str:
    return f"{size} octets" if size < 1000 else f"{_decimal(round(size / 1000, 1))} ko"


def _decimal(number: float) -> str:
    """A number as French text: decimal comma, no trailing zeros (0.2 -> '0,2')."""
    return f"{number:g}".replace(".", ",")


def build_message(delivery: Delivery, sender: Mailbox, date: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender.header()
    message["To"] = ", ".join(box.header() for box in delivery.recipients.to)
    if delivery.recipients.cc:
        message["Cc"] = ", ".join(box.header() for box in delivery.recipients.cc)
    message["Subject"] = delivery.subject
    message["Date"] = date or formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.address.rpartition("@")[2])
    message.set_content(delivery.body, charset="utf-8", cte="quoted-printable")
    message.add_attachment(delivery.content, maintype="application", subtype="pdf", filename=delivery.pdf.name)
    if delivery.annex is not None:
        maintype, subtype = ANNEX_TYPES[delivery.annex.suffix.lstrip(".")]
        message.add_attachment(delivery.annex_content, maintype=maintype, subtype=subtype, filename=delivery.annex.name)
    return message


@dataclass
class MailReport:
    year: int
    dry_run: bool
    deliveries: list[Delivery] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)  # department codes accepted by the server in this run
    already_sent: list[str] = field(default_factory=list)  # same year and content accepted before: skipped
    changed: list[str] = field(default_factory=list)  # content changed since sent, held (no --resend)
    failures: dict[str, str] = field(default_factory=dict)  # code -> one line; non-empty => exit 1
    lines: list[str] = field(default_factory=list)  # the lines given to `show`


class MailValidationError(FactsheetsError):
    """Every problem found before sending, one line each; nothing was sent."""

    def __init__(self, problems: list[str], source: Path):
        self.problems = problems
        if len(problems) == 1:
            super().__init__(problems[0])
        else:
            super().__init__(f"{source} : {len(problems)} problèmes (listés ci-dessus) ; rien n'a été envoyé ; corrigez-les et relancez")


def _stdout(line: str) -> None:
    print(line, file=sys.stdout, flush=True)


def run_mail(
    recipients: Path,
    codes: Sequence[str] | None,
    year: int | None,
    out_dir: Path,
    data: Path,
    sender: str | None,
    smtp_host: str,
    smtp_port: int,
    send: bool,
    resend: bool,
    log: Log,
    *,
    show: Log | None = None,
    config: MailConfig | None = None,
    on_sent: Callable[[str], None] | None = None,
) -> MailReport:
    """Plan (default) or send one message per department; see the module docstring.

    `show` receives one line per department (the plan in a dry run, the outcome with
    `send`); it defaults to stdout. `log` receives retries, failures and the summary.
    `on_sent(code)` is called after each accepted message, once the journal is saved.
    Raises FactsheetsError (MailValidationError) when validation fails: nothing is sent.
    """
    show = show or _stdout
    config = config or load_mail_config()
    out_dir = Path(out_dir)
    book = load_recipients(recipients)
    problems = list(book.problems)

    from_box = parse_mailbox(sender if sender is not None else config.sender)
    if from_box is None:
        origin = "--from" if sender is not None else f"{MAIL_CONFIG} : clé « sender »"
        problems.append(f"{origin} : « {sender if sender is not None else config.sender} » n'est pas une adresse e-mail valide")
    credentials = None
    try:
        credentials = smtp_credentials()
    except FactsheetsError as error:
        problems.append(str(error))
    if not 0 < smtp_port < 65536:
        problems.append(f"--smtp-port : {smtp_port} n'est pas un numéro de port (1-65535)")
    if not smtp_host.strip() or any(char.isspace() for char in smtp_host):
        # smtplib would silently skip connecting to an empty host and fail later, obscurely.
        problems.append(f"--smtp-host : « {smtp_host} » n'est pas un nom de serveur ; indiquez-en un comme smtp.example.org ou 127.0.0.1")

    entries = _select(book, codes, problems)
    deliveries, year = _prepare(entries, year, data, out_dir, config, problems, log)
    if problems:
        if len(problems) > 1:
            for problem in problems:
                log(f"factsheets : erreur : {problem}")
        raise MailValidationError(problems, book.path)

    report = MailReport(year=year, dry_run=not send, deliveries=deliveries)
    journal_path = out_dir / config.journal

    def emit(line: str) -> None:
        report.lines.append(line)
        show(line)

    if not send:
        _decide(deliveries, Journal.load(journal_path), year, resend, report)
        for delivery in deliveries:
            emit(_line(delivery))
        log(f"factsheets : simulation : {_count(deliveries, 'would-send', 'would-resend')} message(s) à envoyer "
            f"via {_describe_server(smtp_host, smtp_port, credentials)} ; rien n'a été envoyé ; ajoutez --send pour les envoyer")
        return report

    session = SmtpSession(smtp_host, smtp_port, timeout=config.timeout_seconds,
                          require_tls=not is_loopback(smtp_host), credentials=credentials)
    with journal_lock(out_dir):
        journal = Journal.load(journal_path)
        _decide(deliveries, journal, year, resend, report)
        unusable = ""  # why the server cannot be used, once it has failed even to open a session
        try:
            for delivery in deliveries:
                if delivery.status in ("would-send", "would-resend"):
                    if unusable:
                        # Every department would wait through the same retries for nothing.
                        delivery.status, delivery.note = "not-attempted", f"serveur inutilisable : {unusable}"
                        report.failures[delivery.code] = delivery.note
                    elif not _send_one(delivery, from_box, session, journal, year, config, log, report,
                                       smtp_host, smtp_port):
                        unusable = delivery.note
                emit(_line(delivery))
                if delivery.status == "sent" and on_sent is not None:
                    on_sent(delivery.code)
        finally:
            session.close()
    skipped = _count(deliveries, "not-attempted")
    if skipped:
        log(f"factsheets : {skipped} département(s) non tenté(s) : le serveur n'a pas pu ouvrir de session "
            f"({unusable}) ; relancez la commande quand il répondra")
    failed = len(report.failures) - skipped
    if failed:
        log(f"factsheets : {failed} message(s) sur {len(report.sent) + failed} en échec ; relancez la commande pour réessayer "
            "(les messages déjà acceptés ne sont pas envoyés deux fois)")
    log(f"factsheets : {len(report.sent)} message(s) envoyé(s), {len(report.already_sent)} déjà envoyé(s) auparavant, "
        f"{len(report.changed)} retenu(s) (modifiés), {failed} en échec" + (f", {skipped} non tenté(s)" if skipped else ""))
    return report


def _select(book: RecipientBook, codes: Sequence[str] | None, problems: list[str]) -> list[Recipients]:
    """The departments to mail, in the order asked (or the file's order)."""
    if not codes:
        return book.entries
    from .reference import load_reference, normalize_department_code

    reference = load_reference()
    by_code = {entry.code: entry for entry in book.entries}
    selected = []
    for text in dict.fromkeys(codes):
        try:
            code = normalize_department_code(text)
            reference.department(code)
        except FactsheetsError as error:
            problems.append(f"--dept : {error}")
            continue
        if code in by_code:
            if by_code[code] not in selected:  # "2" and "02" are one department: one message
                selected.append(by_code[code])
        else:
            problems.append(f"--dept {text} : le département {code} n'a pas d'entrée dans {book.path} ; ajoutez-le sous « departments »")
    return selected


def _prepare(entries: list[Recipients], year: int | None, data: Path, out_dir: Path, config: MailConfig,
             problems: list[str], log: Log) -> tuple[list[Delivery], int]:
    """Find (or render) each sheet and build its message; collect what cannot be done."""
    from .annex import annex_path
    from .reference import load_reference
    from .render import SheetOptions, render_departments, sheet_filename

    reference = load_reference()
    try:
        year = year if year is not None else _latest_year(data)
    except FactsheetsError as error:
        problems.append(f"impossible de choisir l'année des fiches : {error}")
        return [], 0
    names = {entry.code: reference.department(entry.code)[1] for entry in entries}
    paths = {entry.code: out_dir / sheet_filename(year, entry.code, names[entry.code]) for entry in entries}
    # A sheet is (re)rendered when it, or the annex that goes with it, is not on disk.
    missing = [code for code, path in paths.items()
               if not path.is_file() or (config.annex and not annex_path(path, config.annex).is_file())]
    if missing:
        log(f"factsheets : production de {len(missing)} fiche(s) manquante(s) pour {year} : {', '.join(missing)}")
        try:
            rendered = render_departments(missing, year=year, data=data, out_dir=out_dir,
                                          workers=min(len(missing), os.cpu_count() or 1),
                                          options=SheetOptions(annex=config.annex))
        except FactsheetsError as error:
            problems.append(f"impossible de produire la ou les fiches manquantes {', '.join(missing)} : {error}")
        else:
            paths.update(rendered.written)
            for code, message in rendered.failures.items():
                problems.append(f"{paths[code]} : impossible de produire la fiche manquante du département {code} : {message}")
    deliveries = []
    for entry in entries:
        path = paths[entry.code]
        if not path.is_file():
            continue  # reported above
        try:
            content = path.read_bytes()
        except OSError as error:
            problems.append(f"{path} : lecture de la fiche impossible ({error.strerror})")
            continue
        if not content.startswith(b"%PDF-"):
            problems.append(f"{path} : ce n'est pas un fichier PDF ; supprimez-le pour qu'il soit produit à nouveau")
            continue
        annex, annex_content = None, b""
        if config.annex:
            annex = annex_path(path, config.annex)
            try:
                annex_content = annex.read_bytes()
            except OSError as error:
                problems.append(f"{annex} : lecture de l'annexe impossible ({error.strerror})")
                continue
        values = {"department": names[entry.code], "code": entry.code, "year": year}
        deliveries.append(Delivery(
            code=entry.code, name=names[entry.code], recipients=entry, pdf=path, content=content,
            subject=config.subject.format(**values), body=config.body.format(**values),
            annex=annex, annex_content=annex_content,
        ))
    return deliveries, year


def _latest_year(data: Path) -> int:
    """The year `render` would choose: the latest one in the (validated) data."""
    from .reference import load_reference
    from .validate import choose_year, load_trade_data

    return choose_year(load_trade_data(data, load_reference()), None, data)


def _decide(deliveries: list[Delivery], journal: Journal, year: int, resend: bool, report: MailReport) -> None:
    for delivery in deliveries:
        sent_hashes = journal.hashes(year, delivery.code)
        last = journal.last(year, delivery.code)
        if delivery.sha256 in sent_hashes:
            delivery.status = "already-sent"
            delivery.note = f"déjà envoyé le {last['sent_at'] if last else '?'} avec le même contenu ; pas d'envoi en double"
            report.already_sent.append(delivery.code)
        elif sent_hashes and not resend:
            delivery.status = "changed"
            delivery.note = f"{delivery.pdf.name} modifié depuis le dernier envoi ({last.get('sent_at', '?')}) ; utilisez --resend"
            report.changed.append(delivery.code)
        else:
            delivery.status = "would-resend" if sent_hashes else "would-send"


def _send_one(delivery: Delivery, sender: Mailbox, session: SmtpSession, journal: Journal, year: int,
              config: MailConfig, log: Log, report: MailReport, host: str, port: int) -> bool:
    """Send with retries. False if it finally failed because no session could be opened."""
    message = build_message(delivery, sender)
    payload = message.as_bytes(policy=SMTP_POLICY)
    recipients = delivery.recipients.envelope()
    attempts = config.retries + 1
    for attempt in range(1, attempts + 1):
        try:
            session.send(sender.address, recipients, payload)
        except (smtplib.SMTPException, OSError, Permanent) as error:
            session.close()
            reason = describe_failure(error, host, port, config.timeout_seconds)
            if _is_permanent(error) or attempt == attempts:
                tries = f" (après {attempt} tentatives)" if attempt > 1 else ""
                delivery.status, delivery.note = "failed", reason + tries
                report.failures[delivery.code] = reason + tries
                log(f"factsheets : échec : {delivery.code} : {reason}{tries}")
                return not session.failed_to_connect
            delay = config.delay(attempt)
            log(f"factsheets : {delivery.code} : tentative {attempt} sur {attempts} en échec ({reason}) ; nouvel essai dans {_decimal(delay)} s")
            time.sleep(delay)
        else:
            _record(journal, {
                "year": year,
                "department": delivery.code,
                "sha256": delivery.sha256,
                "file": delivery.pdf.name,
                "to": [box.address for box in delivery.recipients.to],
                "cc": [box.address for box in delivery.recipients.cc],
                "bcc": [box.address for box in delivery.recipients.bcc],
                "message_id": message["Message-ID"],
                "server": f"{host}:{port}",
                "sent_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            })
            delivery.status = "sent"
            report.sent.append(delivery.code)
            return True


def _record(journal: Journal, entry: dict[str, Any]) -> None:
    """Save an accepted message; if that fails, stop: going on could send it twice later."""
    try:
        journal.record(entry)
    except OSError as error:
        raise FactsheetsError(
            f"{journal.path} : le message du département {entry['department']} a été accepté par le serveur mais le "
            f"journal n'a pas pu être écrit ({error.strerror or error}) ; réparez le dossier avant de relancer, "
            "sinon ce message sera envoyé une deuxième fois"
        ) from None


def _line(delivery: Delivery) -> str:
    label = {
        "would-send": "à envoyer",
        "would-resend": "à renvoyer",
        "already-sent": "déjà envoyé",
        "changed": "modifié",
        "sent": "envoyé",
        "failed": "échec",
        "not-attempted": "non tenté",
    }[delivery.status]
    detail = delivery.summary() if delivery.status in ("would-send", "would-resend", "sent") else delivery.note
    return f"{label} : {delivery.code} {delivery.name} : {detail}"


def _describe_server(host: str, port: int, credentials: tuple[str, str] | None) -> str:
    """How --send would talk to the server, so a dry run shows it before anything leaves."""
    security = "en clair, cette machine uniquement" if is_loopback(host) else "STARTTLS obligatoire"
    login = f", authentification en tant que {credentials[0]}" if credentials else ", sans authentification"
    return f"{host}:{port} ({security}{login})"


def _count(deliveries: list[Delivery], *statuses: str) -> int:
    return sum(delivery.status in statuses for delivery in deliveries)
