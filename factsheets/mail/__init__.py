"""`factsheets mail`: each department's sheet to its recipients, exactly once.

One module per concern: config (config/mail.yaml), recipients (YAML, CSV, XLSX files),
sheets (fresh rendering), journal (who got which sheet), messages (e-mail building and
.eml previews), smtp (the session and its failures), campaign (`run_mail`, the plan and
the sending loop).
"""

from ..lazy import lazy_exports

# Loaded on first use: `check`, which every render runs first, needs only the config and
# recipients modules, not the SMTP and e-mail machinery of a campaign.
_MODULE_OF = {
    "Delivery": "campaign",
    "MailReport": "campaign",
    "MailValidationError": "campaign",
    "run_mail": "campaign",
    "MAIL_CONFIG": "config",
    "MailConfig": "config",
    "load_mail_config": "config",
    "Journal": "journal",
    "journal_lock": "journal",
    "Mailbox": "recipients",
    "Recipients": "recipients",
    "load_recipients": "recipients",
    "parse_mailbox": "recipients",
    "Permanent": "smtp",
    "SmtpSession": "smtp",
    "describe_failure": "smtp",
    "is_loopback": "smtp",
    "smtp_credentials": "smtp",
}
__all__ = sorted(_MODULE_OF)


__getattr__ = lazy_exports(__name__, _MODULE_OF)
