"""`factsheets mail`: each department's sheet to its recipients, exactly once.

One module per concern: config (config/mail.yaml), recipients (YAML, CSV, XLSX files),
sheets (fresh rendering), journal (who got which sheet), messages (e-mail building and
.eml previews), smtp (the session and its failures), campaign (`run_mail`, the plan and
the sending loop).
"""

from .campaign import Delivery, MailReport, MailValidationError, run_mail
from .config import MAIL_CONFIG, MailConfig, load_mail_config
from .journal import Journal, journal_lock
from .recipients import Mailbox, Recipients, load_recipients, parse_mailbox
from .smtp import Permanent, SmtpSession, describe_failure, is_loopback, smtp_credentials

__all__ = [
    "MAIL_CONFIG", "Delivery", "Journal", "MailConfig", "MailReport", "MailValidationError", "Mailbox", "Permanent",
    "Recipients", "SmtpSession", "describe_failure", "is_loopback", "journal_lock", "load_mail_config",
    "load_recipients", "parse_mailbox", "run_mail", "smtp_credentials",
]
