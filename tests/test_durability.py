"""Every commit waits for the disk: SQLite is told `synchronous=FULL` on every connection,
whatever it was built with (in WAL mode some builds default to NORMAL, where a power cut
may lose a turn that was already answered); PostgreSQL keeps `synchronous_commit=on`."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from models.db import _sqlite_pragmas, make_engine


def waits_for_the_disk(engine: Engine) -> bool:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        return connection.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"


def test_every_commit_waits_for_the_disk(engine: Engine) -> None:
    assert waits_for_the_disk(engine)


def test_every_sqlite_connection_is_told_full_not_left_to_the_build_default() -> None:
    """On this machine SQLite's default is FULL already, so the engine check above would pass
    without the pragma; this one fails if the connect hook stops saying it."""
    executed: list[str] = []

    class Cursor:
        def execute(self, sql: str) -> None:
            executed.append(sql)

        def close(self) -> None:
            pass

    class Connection:
        def cursor(self) -> Cursor:
            return Cursor()

    _sqlite_pragmas(Connection(), None)
    assert "PRAGMA synchronous=FULL" in executed
    assert "PRAGMA journal_mode=WAL" in executed


def test_a_new_sqlite_file_says_full(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    try:
        assert waits_for_the_disk(engine)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        engine.dispose()
