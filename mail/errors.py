"""The email channel's errors: imaplib, imap-tools and aiosmtplib errors stop here."""

from __future__ import annotations


class MailError(Exception):
    """Root of the email channel's errors."""


class MailConnectionError(MailError):
    """The IMAP or SMTP server cannot be reached or dropped the connection; retry later."""


class DeliveryError(MailError):
    """One outbound message was not accepted; `permanent` (5xx) means retrying is useless."""

    def __init__(self, message: str, *, code: int | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = permanent


class ComposeError(MailError):
    """An outbound message cannot be built (for example its attachment file is missing)."""
