"""The SMTP session: one connection reused for every message, and what its failures mean.

Each failure falls in one of three kinds, which decide what the campaign does next:
- permanent (a 5xx answer, TLS or login refused): retrying cannot help, so it is not retried;
- temporary (4xx, a connection lost before the end of the message data): retried;
- unknown outcome (`OutcomeUnknown`): the whole message went out but the server's answer
  never came back, so it may have been stored: never retried in the same run, and reported
  as "incertain".
"""

from __future__ import annotations

import ipaddress
import os
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Mapping, Sequence

from ..errors import FactsheetsError

USER_VARIABLE = "FACTSHEETS_SMTP_USER"
PASSWORD_VARIABLE = "FACTSHEETS_SMTP_PASSWORD"


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


class OutcomeUnknown(Exception):
    """The message data was sent whole, then the answer was lost: it may have been stored."""

    def __init__(self, cause: BaseException):
        super().__init__(str(cause))
        self.cause = cause


def smtp_credentials(environ: Mapping[str, str] = os.environ) -> tuple[str, str] | None:
    """(user, password) from FACTSHEETS_SMTP_USER / FACTSHEETS_SMTP_PASSWORD, never from files."""
    user, password = environ.get(USER_VARIABLE, ""), environ.get(PASSWORD_VARIABLE, "")
    if bool(user) != bool(password):
        missing = PASSWORD_VARIABLE if user else USER_VARIABLE
        raise FactsheetsError(f"environnement : {missing} n'est pas défini ; définissez à la fois {USER_VARIABLE} et {PASSWORD_VARIABLE}, ou aucun des deux")
    return (user, password) if user else None


_LEADING_DOT = re.compile(rb"(?m)^\.")


def ascii_domain(address: str) -> str:
    """`address` with an internationalised domain in its ASCII (IDNA, "xn--") form: valid in
    every header and envelope without SMTPUTF8. A local part (before the @) is kept as is."""
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        import idna

        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except Exception:  # noqa: BLE001 (idna missing, or a domain it refuses: the codec of the standard library)
        try:
            return f"{local}@{domain.encode('idna').decode('ascii')}"
        except UnicodeError:
            return address


def needs_smtputf8(address: str) -> bool:
    """Whether `address` can only travel with SMTPUTF8 (non-ASCII before the @)."""
    return not ascii_domain(address).isascii()


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

    def send(self, sender: str, recipients: Sequence[str], message: bytes,
             before_data: Callable[[], None] | None = None) -> None:
        """All or nothing: if any recipient is refused the message is not sent to the others.

        `before_data` is called once the recipients are accepted, just before the message
        data (the only step after which the server can store it). Raises OutcomeUnknown when
        the connection fails after the whole data went out (the server may have stored it);
        any other exception means it was not stored.
        """
        if self._smtp is None:
            self.failed_to_connect = True
            self._smtp = self._connect()
        self.failed_to_connect = False
        smtp = self._smtp
        sender, recipients = ascii_domain(sender), [ascii_domain(recipient) for recipient in recipients]
        international = [address for address in (sender, *recipients) if needs_smtputf8(address)]
        options: list[str] = []
        if international:
            if not smtp.has_extn("smtputf8"):
                raise Permanent(f"adresse internationalisée « {international[0]} » : le serveur {self.host}:{self.port} "
                                "n'accepte pas SMTPUTF8 ; écrivez l'adresse en ASCII ou passez par un serveur qui l'accepte")
            options = ["SMTPUTF8"]  # smtplib then writes the commands in UTF-8
        code, answer = smtp.mail(sender, options)
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
        if before_data is not None:
            before_data()
        # smtplib.SMTP.data, split so that we know whether the final "." has left: only then
        # can the server have stored the message.
        smtp.putcmd("data")
        code, answer = smtp.getreply()
        if code != 354:
            self._reset()
            raise smtplib.SMTPDataError(code, answer)
        payload = _LEADING_DOT.sub(b"..", message)
        if not payload.endswith(b"\r\n"):
            payload += b"\r\n"
        smtp.send(payload + b".\r\n")
        try:
            code, answer = smtp.getreply()
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            raise OutcomeUnknown(error) from error
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


def decimal(number: float) -> str:
    """A number as French text: decimal comma, no trailing zeros (0.2 -> '0,2')."""
    return f"{number:g}".replace(".", ",")


def describe_failure(error: BaseException, host: str, port: int, timeout: float) -> str:
    """One line saying what went wrong with the server."""

    def answer(code: int, text: bytes | str) -> str:
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        return f"{code} {' '.join(text.split())}".strip()

    if isinstance(error, OutcomeUnknown):
        return f"{describe_failure(error.cause, host, port, timeout)} après l'envoi complet du message"
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
        return f"aucune réponse de {host}:{port} en {decimal(timeout)} s"
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


def is_permanent(error: BaseException) -> bool:
    """Retrying cannot help: a 5xx answer (for every refused recipient), TLS or login refused."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return isinstance(error, (Permanent, smtplib.SMTPNotSupportedError, ssl.SSLCertVerificationError))
