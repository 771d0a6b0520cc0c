"""The one exception type the CLI turns into a single clear line on stderr."""

from __future__ import annotations


class FactsheetsError(Exception):
    """Bad input or environment: the message says what, where and how to fix it."""
