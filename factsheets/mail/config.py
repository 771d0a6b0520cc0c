"""config/mail.yaml: sender, subject and body templates, SMTP server, timeouts and retries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .. import paths
from ..config import in_range, load_mapping, problem_at, require
from ..errors import FactsheetsError, printable

# The file at import time (tests read the shipped one through it); load_mail_config() and
# messages use paths.mail_config(), which follows --config even when set after import.
MAIL_CONFIG = paths.mail_config()
# Template fields: the department's name, its name after "de" with the right article
# ("de l'Aisne", "du Nord"), its code and the data year.
PLACEHOLDERS = ("department", "de_department", "code", "year")
# The server when mail.yaml has no smtp.host / smtp.port (--smtp-host / --smtp-port win over both).
DEFAULT_SMTP_HOST = "127.0.0.1"
DEFAULT_SMTP_PORT = 25
# Domains reserved for examples (RFC 2606, RFC 6761): a sender there is the shipped example's.
EXAMPLE_DOMAINS = re.compile(r"(^|\.)(example\.(org|com|net)|example|test|invalid|localhost)$", re.IGNORECASE)
# The largest value of each smtp number (SPEC 14: finite and sane, never a run that waits or
# retries for ever).
SMTP_MAXIMA = {"timeout_seconds": 600, "retries": 100, "backoff_seconds": 3600, "backoff_factor": 10}
MAX_DELAY_SECONDS = 3600
"""The longest wait between two attempts, whatever the backoff factor and the attempt."""
# smtp.starttls: "remote" (the default) requires STARTTLS with every server but this machine;
# "always" requires it with this machine too (a tunnel or port forward on 127.0.0.1 to a
# server that wants TLS before the login, or a local relay that must not be spoken to in clear).
STARTTLS_POLICIES = ("remote", "always")


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
    smtp_host: str = DEFAULT_SMTP_HOST  # smtp.host; --smtp-host wins
    smtp_port: int = DEFAULT_SMTP_PORT  # smtp.port; --smtp-port wins
    starttls: str = "remote"  # smtp.starttls: one of STARTTLS_POLICIES

    def requires_tls(self, host: str) -> bool:
        """Whether a session with `host` must go through STARTTLS (never in clear)."""
        from .smtp import is_loopback  # here: smtplib and ssl are a campaign's, not every check's (render runs one)

        return self.starttls == "always" or not is_loopback(host)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        try:
            return min(self.backoff_seconds * self.backoff_factor ** (attempt - 1), MAX_DELAY_SECONDS)
        except OverflowError:
            return MAX_DELAY_SECONDS


def load_mail_config(path: Path | None = None) -> MailConfig:
    """config/mail.yaml of the configuration in use (paths.mail_config()), or `path`."""
    path = path or paths.mail_config()
    raw = load_mapping(path)

    def problem(*keys: str, what: str, fix: str = "") -> FactsheetsError:
        """The error of a value, at its line in mail.yaml."""
        return FactsheetsError(problem_at(path, *keys, what=what, fix=fix))

    smtp = require(raw, "smtp", path)
    if not isinstance(smtp, dict):
        raise problem(
            "smtp",
            what="la clé « smtp » doit contenir des paires clé: valeur (host, port, starttls, timeout_seconds, retries, backoff_seconds, backoff_factor)",
        )

    def text(key: str) -> str:
        value = require(raw, key, path)
        if not isinstance(value, str) or not value.strip():
            raise problem(key, what=f"la clé « {key} » doit être un texte non vide")
        return value

    def number(key: str, minimum: float, integer: bool = False) -> float:
        value = require(smtp, key, f"{path} : smtp")
        maximum = SMTP_MAXIMA[key]
        if not in_range(value, minimum, maximum, integer=integer):
            kind = "un nombre entier" if integer else "un nombre"
            raise problem(
                "smtp",
                key,
                what=f"la clé « smtp.{key} » doit être {kind} entre {minimum:g} et {maximum:g} (trouvé : « {printable(value)} »)",
                fix="corrigez-la dans mail.yaml",
            )
        return value

    host = smtp.get("host", DEFAULT_SMTP_HOST)
    if not isinstance(host, str) or not host.strip() or any(char.isspace() for char in host.strip()):
        raise problem(
            "smtp",
            "host",
            what=f"la clé « smtp.host » vaut « {host} », qui n'est pas un nom de serveur",
            fix="indiquez-en un comme smtp.example.org ou 127.0.0.1 (ou supprimez la clé : 127.0.0.1)",
        )
    port = smtp.get("port", DEFAULT_SMTP_PORT)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise problem(
            "smtp",
            "port",
            what=f"la clé « smtp.port » vaut « {port} », qui n'est pas un numéro de port",
            fix="indiquez un entier de 1 à 65535, par ex. 25, 465 ou 587 (ou supprimez la clé : 25)",
        )
    starttls = smtp.get("starttls", "remote")
    if starttls not in STARTTLS_POLICIES:
        raise problem(
            "smtp",
            "starttls",
            what=f"la clé « smtp.starttls » vaut « {printable(starttls)} »",
            fix="indiquez always (STARTTLS exigé même avec un serveur sur cette machine) ou remote (exigé sauf sur "
            "cette machine), ou supprimez la clé (remote)",
        )
    subject, body = text("subject"), text("body")
    for key, template in (("subject", subject), ("body", body)):
        if (wrong := _template_problem(template)) is not None:
            raise problem(key, what=f"clé « {key} » : {wrong[0]}", fix=wrong[1])
    if "\n" in subject.strip():
        raise problem("subject", what="la clé « subject » doit tenir sur une seule ligne")
    journal = raw.get("journal", ".mail-journal.json")
    if not isinstance(journal, str) or not journal or Path(journal).name != journal:
        raise problem("journal", what="la clé « journal » doit être un simple nom de fichier, comme .mail-journal.json")
    annex = raw.get("annexe")
    if annex is not None:
        from ..annex import ANNEX_FORMATS  # here only: `check` of a mail.yaml without annex skips the annex writer

        if annex not in ANNEX_FORMATS:
            raise problem(
                "annexe",
                what=f"la clé « annexe » vaut « {annex} »",
                fix="indiquez xlsx (ou csv) pour joindre l'annexe chiffrée, ou supprimez la clé",
            )
    return MailConfig(
        annex=annex,
        sender=text("sender").strip(),
        subject=subject.strip(),
        body=body,
        timeout_seconds=float(number("timeout_seconds", 0.001)),
        retries=int(number("retries", 0, integer=True)),
        backoff_seconds=float(number("backoff_seconds", 0)),
        backoff_factor=float(number("backoff_factor", 1)),
        journal=journal,
        smtp_host=host.strip(),
        smtp_port=port,
        starttls=starttls,
    )


def _template_problem(template: str) -> tuple[str, str] | None:
    """(what is wrong, how to fix it) with a subject or body template, or None."""
    try:
        template.format(department="Aisne", de_department="de l'Aisne", code="02", year=2024)
    except KeyError as error:
        allowed = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        return f"variable inconnue {{{error.args[0]}}}", f"utilisez {allowed}"
    except (ValueError, IndexError) as error:
        return f"modèle mal formé ({error})", "écrivez les accolades littérales {{ et }}"
    return None


def example_sender(address: str) -> bool:
    """Whether `address` ("Nom <no-reply@example.org>" or bare) is at a domain reserved for examples."""
    from .recipients import parse_mailbox

    box = parse_mailbox(address)
    return box is not None and EXAMPLE_DOMAINS.search(box.address.rsplit("@", 1)[-1].rstrip(".")) is not None
