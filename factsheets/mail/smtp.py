"""The SMTP session: one connection reused for every message, and what its failures mean.

Each failure falls in one of three kinds, which decide what the campaign does next:
- permanent (a 5xx answer, TLS or login refused): retrying cannot help, so it is not retried;
- temporary (4xx, a connection lost before the end of the message data): retried;
- unknown outcome (`OutcomeUnknown`): the whole message went out but the server's answer
  never came back, so it may have been stored: never retried in the same run, and reported
  as "incertain".
"""

from __future__ import annotations

import errno
import ipaddress
import os
import re
import select
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Mapping, Sequence

from ..errors import FactsheetsError
from ..numbers import format_short_decimal

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
        raise FactsheetsError(
            f"environnement : {missing} n'est pas défini ; définissez à la fois {USER_VARIABLE} et {PASSWORD_VARIABLE}, ou aucun des deux"
        )
    return (user, password) if user else None


_LEADING_DOT = re.compile(rb"(?m)^\.")
# How long one wait on the server may last before Python gets control back: a Ctrl-C that
# reached another thread (Polars has its own) is acted on by the main thread within this.
SLICE_SECONDS = 0.1


def _wait(sock: socket.socket, readable: bool, deadline: float | None) -> None:
    """Until `sock` is readable (or writable), in slices; TimeoutError after `deadline`."""
    while True:
        left = SLICE_SECONDS if deadline is None else max(0.0, min(SLICE_SECONDS, deadline - time.monotonic()))
        if hasattr(select, "poll"):  # no FD_SETSIZE limit
            poller = select.poll()
            poller.register(sock, select.POLLIN if readable else select.POLLOUT)
            ready = bool(poller.poll(left * 1000))
        else:
            ready = bool(
                (select.select([sock], [], [], left) if readable else select.select([], [sock], [], left))[0 if readable else 1]
            )
        if ready:
            return
        if left <= 0:  # looked once more at the deadline: nothing came
            raise TimeoutError("timed out")


def sleep_in_slices(seconds: float) -> None:
    """time.sleep, in SLICE_SECONDS slices (a Ctrl-C that reached another thread is acted on)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(SLICE_SECONDS, left))


def _deadline(sock: socket.socket) -> float | None:
    timeout = sock.gettimeout()
    return None if timeout is None else time.monotonic() + timeout


class _SlicedSocket(socket.socket):
    """A socket whose waits for the server are cut into SLICE_SECONDS slices."""

    def recv_into(self, buffer, nbytes=0, flags=0):
        _wait(self, True, _deadline(self))
        return super().recv_into(buffer, nbytes, flags)

    def recv(self, bufsize, flags=0):
        _wait(self, True, _deadline(self))
        return super().recv(bufsize, flags)


class _SlicedSSLSocket(ssl.SSLSocket):
    """The same after STARTTLS: the handshake and the reads wait in slices."""

    def do_handshake(self, block=False):
        timeout = self.gettimeout()
        deadline = None if timeout is None else time.monotonic() + timeout
        self.settimeout(0.0)
        try:
            while True:
                try:
                    return super().do_handshake()
                except ssl.SSLWantReadError:
                    _wait(self, True, deadline)
                except ssl.SSLWantWriteError:
                    _wait(self, False, deadline)
        finally:
            self.settimeout(timeout)

    def recv_into(self, buffer, nbytes=None, flags=0):
        if not self.pending():
            _wait(self, True, _deadline(self))
        return super().recv_into(buffer, nbytes, flags)

    def recv(self, buflen=1024, flags=0):
        if not self.pending():
            _wait(self, True, _deadline(self))
        return super().recv(buflen, flags)


def _connect_in_slices(host: str, port: int, timeout: float) -> socket.socket:
    """socket.create_connection, with the connection's wait in slices too."""
    failure: OSError | None = None
    deadline = time.monotonic() + timeout
    for family, kind, proto, _, address in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        sock = _SlicedSocket(family, kind, proto)
        try:
            sock.setblocking(False)
            code = sock.connect_ex(address)
            if code in (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN):
                _wait(sock, False, deadline)
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                raise OSError(code, os.strerror(code))
            sock.settimeout(timeout)
            return sock
        except OSError as error:
            sock.close()
            failure = error
        except BaseException:
            sock.close()
            raise
    raise failure or OSError(f"getaddrinfo returned nothing for {host}")


class _SlicedSMTP(smtplib.SMTP):
    """smtplib.SMTP whose every wait on the server (connection, greeting, answers, TLS)
    gives Python control back every SLICE_SECONDS, so Ctrl-C is not held up by a silent server."""

    def _get_socket(self, host, port, timeout):
        if self.debuglevel > 0:
            self._print_debug("connect: to", (host, port), self.source_address)
        return _connect_in_slices(host, port, timeout)

    def starttls(self, *, context=None):
        context = context or ssl.create_default_context()
        context.sslsocket_class = _SlicedSSLSocket
        return super().starttls(context=context)


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

    def __init__(
        self,
        host: str,
        port: int,
        *,
        timeout: float,
        require_tls: bool,
        credentials: tuple[str, str] | None,
        tls_context: ssl.SSLContext | None = None,
    ):
        self.host, self.port, self.timeout = host, port, timeout
        self.require_tls = require_tls
        self.credentials = credentials
        self.tls_context = tls_context
        self._smtp: smtplib.SMTP | None = None
        # Whether the last `send` failed before a session was open (unreachable server,
        # TLS or login refused): then no other message can get through either.
        self.failed_to_connect = False

    def _connect(self) -> smtplib.SMTP:
        smtp = _SlicedSMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.require_tls:
                if not smtp.has_extn("starttls"):
                    why = (
                        "exigé même sur cette machine par smtp.starttls: always de mail.yaml"
                        if is_loopback(self.host)
                        else "exigé avec un serveur autre que cette machine"
                    )
                    raise Permanent(f"{self.host}:{self.port} ne propose pas STARTTLS ({why}) ; envoi en clair refusé")
                smtp.starttls(context=self.tls_context or ssl.create_default_context())
                smtp.ehlo()
            if self.credentials:
                if not smtp.has_extn("auth"):
                    raise Permanent(
                        f"{self.host}:{self.port} n'accepte pas d'authentification (pas d'AUTH) alors que {USER_VARIABLE} est défini"
                    )
                smtp.login(*self.credentials)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, sender: str, recipients: Sequence[str], message: bytes, before_data: Callable[[], None] | None = None) -> None:
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
                raise Permanent(
                    f"adresse internationalisée « {international[0]} » : le serveur {self.host}:{self.port} "
                    "n'accepte pas SMTPUTF8 ; écrivez l'adresse en ASCII ou passez par un serveur qui l'accepte"
                )
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

    def close(self, quick: bool = False) -> None:
        """QUIT, then close; `quick`: wait for the server's answer to QUIT no more than 0.2 s."""
        if self._smtp is not None:
            smtp, self._smtp = self._smtp, None
            try:
                if quick and smtp.sock is not None:
                    smtp.sock.settimeout(min(0.2, self.timeout))
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


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
        return f"aucune réponse de {host}:{port} en {format_short_decimal(timeout)} s"
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
