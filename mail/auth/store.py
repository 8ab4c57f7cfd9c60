"""The refresh token in the database, encrypted with a key derived from `BILLBOT_MAIL__SECRET`.

Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) with a key from HKDF-SHA256 of the
secret: the database alone does not give the token away, and a changed secret is noticed
(the ciphertext no longer authenticates) instead of sending garbage to the endpoint.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.engine import Engine
from sqlmodel import Session

from mail.config import MailSettings, secret_bytes
from mail.errors import SignInError
from models.db import session_scope
from models.mail_tokens import store_refresh_token, stored_refresh_token
from models.tables import utcnow

log = logging.getLogger(__name__)


def fernet_for(secret: bytes) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"billbot",
        info=b"mail oauth2 refresh token",
    ).derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def mailbox_key(settings: MailSettings) -> str:
    """Which mailbox and app a stored token belongs to."""
    o = settings.oauth2
    return "|".join((o.provider.value, o.client_id or "", settings.mailbox_user.lower()))


def seed_digest(settings: MailSettings) -> str:
    configured = settings.oauth2.refresh_token
    value = configured.get_secret_value() if configured is not None else ""
    return hashlib.sha256(value.encode()).hexdigest() if value else ""


@dataclass
class Slot:
    token: str | None
    rotated: str | None = field(default=None)

    def keep(self, token: str | None) -> None:
        if token and token != self.token:
            self.rotated = token


class RefreshTokenStore:
    """The mailbox's refresh token: the rotated one from the database, else the settings'."""

    def __init__(self, engine: Engine, settings: MailSettings) -> None:
        self.engine = engine
        self.settings = settings
        self.mailbox = mailbox_key(settings)
        self.seed = seed_digest(settings)
        self._fernet = fernet_for(secret_bytes(settings))

    @contextmanager
    def locked(self) -> Iterator[Slot]:
        """The current refresh token, row-locked (PostgreSQL) while the block runs; a token
        kept with `slot.keep` is saved in the same transaction."""
        with session_scope(self.engine) as session:
            row = stored_refresh_token(session, mailbox=self.mailbox, for_update=True)
            if row is None:
                slot = Slot(self._current(None, None))
            else:
                slot = Slot(self._current(row.refresh_token, row.seed_sha256))
            yield slot
            if slot.rotated is not None:
                self._write(session, slot.rotated)
                log.info("refresh token rotated; the new one is kept in the database")

    def save(self, token: str) -> None:
        """Keep `token` (from `billbot mail login`) as the mailbox's refresh token."""
        with session_scope(self.engine) as session:
            self._write(session, token)

    def _write(self, session: Session, token: str) -> None:
        ciphertext = self._fernet.encrypt(token.encode()).decode()
        store_refresh_token(
            session,
            mailbox=self.mailbox,
            ciphertext=ciphertext,
            seed_sha256=self.seed,
            now=utcnow(),
        )

    def _current(self, ciphertext: str | None, seed: str | None) -> str | None:
        configured = self.settings.oauth2.refresh_token
        from_settings = configured.get_secret_value() if configured is not None else None
        if ciphertext is None or (from_settings and seed != self.seed):
            return from_settings or None  # nothing stored, or the settings hold a new token
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            if from_settings:
                log.warning("stored refresh token unreadable (secret changed?); using settings")
                return from_settings
            raise SignInError(
                "the refresh token in the database cannot be decrypted with this "
                "BILLBOT_MAIL__SECRET",
                fix="set the secret it was stored with, or run `billbot mail login` again",
            ) from None
