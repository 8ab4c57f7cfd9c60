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


class SignInError(MailConnectionError):
    """The mailbox or the token endpoint refused billbot's credentials.

    Retrying helps only once someone fixed what `fix` names, so the worker retries with
    back-off, and an outbox row waiting for it is postponed without using up its attempts.
    """

    def __init__(self, problem: str, *, fix: str) -> None:
        super().__init__(f"{problem}. Fix: {fix}")
        self.problem = problem
        self.fix = fix


class MailConfigError(MailError):
    """The mail settings are incomplete or contradictory; names the setting to change."""
