"""Building the e-mail of one department: headers, body, attachments (a list: the sheet,
and any annex a later version adds)."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.policy import SMTPUTF8 as SMTPUTF8_POLICY
from email.utils import formatdate, make_msgid
from pathlib import Path

from ..errors import FactsheetsError, write_failure
from ..files import write_atomically
from .recipients import Mailbox
from .smtp import ascii_domain, needs_smtputf8


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "pdf"


@dataclass(frozen=True)
class Addressees:
    """The addresses of one message, by role (bcc goes to the envelope only)."""

    to: tuple[Mailbox, ...]
    cc: tuple[Mailbox, ...] = ()
    bcc: tuple[Mailbox, ...] = ()

    def envelope(self) -> list[str]:
        return [box.address for box in (*self.to, *self.cc, *self.bcc)]


def build_message(
    sender: Mailbox, addressees: Addressees, subject: str, body: str, attachments: list[Attachment], date: str | None = None
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender.header()
    if addressees.to:
        message["To"] = ", ".join(box.header() for box in addressees.to)
    elif not addressees.cc:  # only blind copies: say so rather than leave To out
        message["To"] = "undisclosed-recipients:;"
    if addressees.cc:
        message["Cc"] = ", ".join(box.header() for box in addressees.cc)
    message["Subject"] = subject
    message["Date"] = date or formatdate(localtime=True)
    # The domain in its ASCII form: an internationalised one would not fit an ASCII header.
    message["Message-ID"] = make_msgid(domain=ascii_domain(sender.address).rpartition("@")[2])
    message.set_content(body, charset="utf-8", cte="quoted-printable")
    for attachment in attachments:
        message.add_attachment(
            attachment.content, maintype=attachment.maintype, subtype=attachment.subtype, filename=attachment.filename
        )
    return message


def message_bytes(message: EmailMessage) -> bytes:
    """The message as it goes over SMTP (CRLF line ends); in UTF-8 headers (SMTPUTF8, which
    the session then asks of the server) only when an address has non-ASCII before its @."""
    addresses = [
        address.addr_spec for key in ("From", "To", "Cc", "Bcc") for address in getattr(message.get(key), "addresses", ())
    ]
    international = any(needs_smtputf8(address) for address in addresses)
    return message.as_bytes(policy=SMTPUTF8_POLICY if international else SMTP_POLICY)


def write_preview(folder: Path, name: str, message: EmailMessage) -> Path:
    """`message` as an .eml file (with its Bcc header, so the preview shows every address)."""
    path = Path(folder) / f"{name}.eml"
    try:
        write_atomically(path, message_bytes(message))
    except OSError as error:  # a full disk: one line naming it, nothing left under the final name
        raise FactsheetsError(f"{path} : aperçu non écrit, {write_failure(path.parent, error)} (--preview)") from None
    return path
