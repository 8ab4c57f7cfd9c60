"""Settings of the email channel (nested under `BILLBOT_MAIL__`)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, SecretStr


class Security(StrEnum):
    ssl = "ssl"
    starttls = "starttls"
    none = "none"


class Auth(StrEnum):
    password = "password"
    oauth2 = "oauth2"


class Provider(StrEnum):
    microsoft = "microsoft"
    google = "google"
    generic = "generic"


class OAuth2Settings(BaseModel):
    """`BILLBOT_MAIL__OAUTH2__*`: how billbot gets access tokens for the mailbox."""

    provider: Provider = Provider.generic
    client_id: str | None = None
    client_secret: SecretStr | None = None
    tenant_id: str | None = None  # microsoft
    token_url: str | None = None  # generic; derived for the others (set it for another cloud)
    device_authorization_url: str | None = None  # generic, for `billbot mail login`
    scope: str | None = None  # default: the provider's IMAP + SMTP scopes
    refresh_token: SecretStr | None = None  # delegated access; else client credentials
    service_account_file: Path | None = None  # google: a key with domain-wide delegation


class MailSettings(BaseModel):
    address: str | None = None  # e.g. billing@summit.test; replies go to billing+<token>@...
    display_name: str = "billbot"
    imap_host: str | None = None
    imap_port: int = 993
    imap_user: str | None = None
    imap_password: SecretStr | None = None
    imap_security: Security = Security.ssl
    imap_folder: str = "INBOX"
    smtp_host: str | None = None
    smtp_port: int = 465
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Security = Security.ssl
    secret: SecretStr | None = None  # signs the per-invitation reply tokens
    auth: Auth = Auth.password
    oauth2: OAuth2Settings = OAuth2Settings()
    ca_file: Path | None = None  # a private CA trusted besides the system's
    token_days: int = 120
    max_attachment_bytes: int = 25 * 1024 * 1024
    max_attachments: int = 20
    poll_seconds: float = 30.0

    @property
    def configured(self) -> bool:
        return bool(self.address and self.imap_host and self.smtp_host)

    @property
    def mailbox_user(self) -> str:
        """Who signs in to IMAP (and, with OAuth2, whose token SMTP uses too)."""
        return self.imap_user or self.address or ""


class MailEnvironment(Protocol):
    """What the email channel needs from the app settings (`bot.settings.Settings` has it)."""

    @property
    def mail(self) -> MailSettings: ...

    @property
    def attachments_dir(self) -> Path: ...


def domain(settings: MailSettings) -> str:
    """The domain of the billing address (`billing@summit.test` -> `summit.test`)."""
    return (settings.address or "billbot.invalid").rpartition("@")[2] or "billbot.invalid"


def secret_bytes(settings: MailSettings) -> bytes:
    """The token signing secret (`BILLBOT_MAIL__SECRET`), else the IMAP password."""
    for secret in (settings.secret, settings.imap_password):
        if secret is not None and secret.get_secret_value():
            return secret.get_secret_value().encode()
    from mail.errors import MailError

    raise MailError("set BILLBOT_MAIL__SECRET: it signs the reply addresses of invitations")
