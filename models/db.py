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


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets foreign keys, WAL and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Explicit, whatever SQLite was built with: FULL syncs the WAL at every commit, so a
    # turn that has been answered survives a power cut.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


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
