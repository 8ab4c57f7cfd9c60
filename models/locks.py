"""Advisory locks: one worker at a time does a job (fetch a mailbox, drain an inbox),
whatever the number of processes.

On PostgreSQL it is a session-level advisory lock keyed by a hash of the mailbox
(IMAP host, user, folder), taken with `pg_try_advisory_lock` on a connection of its own
(outside the pool, in autocommit, so it is never handed to other code nor left idle in a
transaction). It is held for as long as the worker fetches and goes away with the
connection: when the holder dies, its server session ends and a standby worker takes
over at its next try. TCP keepalives on that session make the server notice a holder
whose machine vanished, not only one whose process was killed.

On SQLite billbot runs in one process, so there is no lock (`NoLock`). Should two
processes share one SQLite file anyway, both may fetch the same message, and still
only one processes it: `InboundMessage` has a unique (channel, external id) row written
in the turn's transaction, so the second one finds it and skips the message.

The connection must reach PostgreSQL itself (or a session-pooling proxy): behind PgBouncer
in transaction pooling mode a session lock means nothing.

Neither lock is what makes intake exactly-once (that record is): the lock keeps the
workers from doing the same work twice and from answering one contact out of order.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from typing import Protocol

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

# Set on the lock's own session: a dead holder's lock is freed within about 20 s.
_SESSION_SETTINGS = (
    "SET tcp_keepalives_idle = 10",
    "SET tcp_keepalives_interval = 5",
    "SET tcp_keepalives_count = 2",
    "SET idle_session_timeout = 0",  # PostgreSQL 14+; a server-wide value would drop the lock
    "SET statement_timeout = '10s'",
)


# libpq options of that connection: bounded connect, and our side notices a vanished server.
_CONNECT_ARGS = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 2,
}


class MailboxLock(Protocol):
    def acquire(self) -> bool:
        """Hold the lock (non-blocking): True if this worker holds it now, checked live."""
        ...

    def release(self) -> None: ...


def mailbox_key(host: str, user: str, folder: str) -> int:
    """A signed 64-bit key for `pg_advisory_lock`, the same in every process."""
    folder = "INBOX" if folder.upper() == "INBOX" else folder  # RFC 3501: INBOX is caseless
    name = "\0".join(("billbot-mailbox", host.strip().lower(), user.strip().lower(), folder))
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class NoLock:
    """SQLite: a single process fetches; see the module docstring."""

    def acquire(self) -> bool:
        return True

    def release(self) -> None:
        pass


class AdvisoryLock:
    """A PostgreSQL session-level advisory lock on a dedicated connection."""

    def __init__(self, engine: Engine, key: int) -> None:
        self.key = key
        # NullPool: closing the connection really ends the session (and frees the lock).
        self._engine = create_engine(
            engine.url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args=_CONNECT_ARGS,
        )
        self._connection: Connection | None = None
        self.held = False

    def acquire(self) -> bool:
        try:
            connection = self._connect()
            if self.held:  # the session is alive, so the lock is still ours
                connection.execute(text("SELECT 1"))
                return True
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})
            self.held = bool(got.scalar())
        except SQLAlchemyError as exc:
            if self.held:
                log.warning("mailbox lock lost with its connection: %s", exc)
            self._drop()
            return False
        if self.held:
            log.info("mailbox lock %s taken: this worker fetches the mailbox", self.key)
        return self.held

    def release(self) -> None:
        if self._connection is not None and self.held:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            except SQLAlchemyError as exc:  # closing the connection frees it anyway
                log.debug("unlock failed: %s", exc)
        self._drop()

    def _connect(self) -> Connection:
        if self._connection is None:
            connection = self._engine.connect()
            for statement in _SESSION_SETTINGS:
                try:
                    connection.execute(text(statement))
                except SQLAlchemyError:  # an older server without the setting
                    log.debug("lock session: %r not supported", statement)
            self._connection = connection
        return self._connection

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        self.held = False
        if connection is not None:
            try:
                connection.close()
            except SQLAlchemyError:
                connection.invalidate()


def advisory_lock(engine: Engine, key: int) -> MailboxLock:
    """The lock for `key`: an `AdvisoryLock` on PostgreSQL, `NoLock` on SQLite."""
    if engine.dialect.name != "postgresql":
        return NoLock()
    return AdvisoryLock(engine, key)


def user_key(user: str) -> int:
    """A signed 64-bit advisory lock key for a Slack user, the same in every process."""
    digest = hashlib.sha256(f"billbot-slack-user\0{user}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class UserLocks:
    """PostgreSQL session-level advisory locks, one per Slack user whose inbox rows this
    worker is running (`bot.slack.inbox`), all on one connection of its own (autocommit,
    outside the pool). A worker that dies frees its locks with its session. Called from one
    thread at a time."""

    def __init__(self, engine: Engine) -> None:
        self._engine = create_engine(engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        self._connection: Connection | None = None

    def acquire(self, user: str) -> bool:
        try:
            if self._connection is None:
                self._connection = self._engine.connect()
            got = self._connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": user_key(user)}
            )
            return bool(got.scalar())
        except SQLAlchemyError as exc:
            log.warning("slack user lock not taken: %s", exc)
            self.close()
            return False

    def release(self, user: str) -> None:
        if self._connection is None:
            return
        try:
            self._connection.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": user_key(user)}
            )
        except SQLAlchemyError as exc:  # closing the session frees every lock anyway
            log.warning("slack user lock not released: %s", exc)
            self.close()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(SQLAlchemyError):
                connection.close()
        self._engine.dispose()


__all__ = [
    "AdvisoryLock",
    "MailboxLock",
    "NoLock",
    "UserLocks",
    "advisory_lock",
    "mailbox_key",
    "user_key",
]
