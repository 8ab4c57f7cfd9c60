"""Engine, sessions and schema migrations (Alembic) for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import CursorResult, Engine, make_url
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str, *, durable: bool = True, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets foreign keys, WAL and a busy timeout.

    `durable=False`: a commit does not wait for the disk (SQLite `synchronous=NORMAL`,
    PostgreSQL `synchronous_commit=off`). A crash of the process loses nothing; a power cut
    may lose the last such commits, each whole or not at all. On both databases a durable
    commit makes every commit before it durable (SQLite's WAL and PostgreSQL's WAL are
    written in order), so such an engine is only for transactions that nothing leaves the
    process from until a durable one follows: see `relaxed_engine`."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas if durable else _relaxed_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    kwargs.setdefault("pool_pre_ping", True)
    if not durable:
        kwargs.setdefault("connect_args", {"options": "-c synchronous_commit=off"})
    return create_engine(url, **kwargs)


def relaxed_engine(engine: Engine) -> Engine:
    """A second engine on `engine`'s database whose commits do not wait for the disk
    (`make_engine(durable=False)`), for the conversation turns of a channel whose every
    inbound event is stored durably before its turn runs and marked done durably after it
    (the Slack inbox): a power cut that loses such a turn leaves its event pending, and it
    runs again. Its replies leave only through an outbox sender, whose claim is a durable
    commit made after the turn's. An in-memory SQLite database is `engine` itself."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and (url.database or ":memory:") == ":memory:":
        return engine
    return make_engine(url.render_as_string(hide_password=False), durable=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, synchronous: str = "FULL") -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Explicit, whatever SQLite was built with: FULL syncs the WAL at every commit.
    cursor.execute(f"PRAGMA synchronous={synchronous}")
    cursor.close()


def _relaxed_pragmas(dbapi_connection: Any, record: Any) -> None:
    _sqlite_pragmas(dbapi_connection, record, synchronous="NORMAL")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision` (idempotent; safe on every start)."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def execute_core(session: Session, statement: Any, params: Any = None) -> CursorResult[Any]:
    """Run a Core statement in the session's transaction, after what the ORM holds (a
    statement on the connection does not autoflush). Cheaper than `session.execute`, which
    takes the ORM's execution path, for a statement that loads no ORM rows."""
    session.flush()
    return session.connection().execute(statement, params)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Session]:
    """One transaction that holds the write lock from its start on SQLite (`BEGIN IMMEDIATE`),
    so two writers cannot both read and then both fail to upgrade to a write; committed when
    the block ends, rolled back on error. PostgreSQL locks rows instead (`FOR UPDATE`), so
    writers of different rows do not wait for each other there."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            if engine.dialect.name == "sqlite":
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
