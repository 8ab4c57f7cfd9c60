"""The mailbox's OAuth2 refresh token, kept across restarts (encrypted by the mail channel).

One row per mailbox. `seed_sha256` is the digest of the refresh token configured in the
settings when the row was written: while the settings still hold that token, the row's
(rotated) token is the current one; a different token in the settings starts a new chain.
On PostgreSQL the row is read `FOR UPDATE`, so workers sharing the mailbox refresh one at a
time and never spend a refresh token that another worker has already rotated.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, Session, col, select

from models.tables import SQLModel, timestamp_column, utcnow


class MailOAuthToken(SQLModel, table=True):
    __tablename__ = "mail_oauth_tokens"

    id: int | None = Field(default=None, primary_key=True)
    mailbox: str = Field(max_length=500, unique=True, index=True)  # provider, client, user
    seed_sha256: str = Field(default="", max_length=64)
    refresh_token: str = Field(sa_column=Column(Text, nullable=False))  # Fernet ciphertext
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(False))


def stored_refresh_token(
    session: Session, *, mailbox: str, for_update: bool = False
) -> MailOAuthToken | None:
    statement = select(MailOAuthToken).where(col(MailOAuthToken.mailbox) == mailbox)
    if for_update:
        statement = statement.with_for_update()
    return session.exec(statement).first()


def store_refresh_token(
    session: Session, *, mailbox: str, ciphertext: str, seed_sha256: str, now: datetime
) -> MailOAuthToken:
    """Insert or replace the mailbox's refresh token (in the caller's transaction)."""
    row = stored_refresh_token(session, mailbox=mailbox, for_update=True)
    if row is None:
        row = MailOAuthToken(mailbox=mailbox, refresh_token=ciphertext)
    row.refresh_token = ciphertext
    row.seed_sha256 = seed_sha256
    row.updated_at = now
    session.add(row)
    session.flush()
    return row


__all__ = ["MailOAuthToken", "store_refresh_token", "stored_refresh_token"]
