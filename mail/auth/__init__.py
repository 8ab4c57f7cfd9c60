"""Mailbox sign-in with OAuth2 (SASL XOAUTH2 for IMAP and SMTP).

`tokens.TokenManager` hands out access tokens (cached, refreshed ahead of expiry and once
more after the mailbox refused one); `providers` gets them from Microsoft (msal), Google
(google-auth) or any token endpoint (authlib); `store` keeps a rotated refresh token in the
database, encrypted with `BILLBOT_MAIL__SECRET`; `device` runs `billbot mail login`.
Every refusal becomes a `mail.errors.SignInError` that names what to fix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mail.config import Auth, MailSettings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from mail.auth.tokens import TokenManager


def token_manager(settings: MailSettings, engine: Engine) -> TokenManager | None:
    """The access tokens of the mailbox when it signs in with OAuth2, else None (a password).

    Raises `MailConfigError` when the OAuth2 settings are incomplete.
    """
    if settings.auth != Auth.oauth2:
        return None
    from mail.auth.providers import token_source
    from mail.auth.store import RefreshTokenStore
    from mail.auth.tokens import TokenManager

    return TokenManager(token_source(settings), RefreshTokenStore(engine, settings))
