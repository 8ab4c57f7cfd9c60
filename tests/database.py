"""Test databases: every store test runs on SQLite and on PostgreSQL.

PostgreSQL comes from `BILLBOT_TEST_POSTGRES_URL`, else a server answering on
127.0.0.1:5432. Each test session gets a database of its own (so parallel runs
do not collide): under pytest-xdist, each worker process is a session of its own, and
the database's name says which worker (`billbot_test_gw0_…`). Each test starts from
empty tables. A SQLite test gets a copy of a file migrated once per session (what
`upgrade` writes is the same for every test; running it for each costs a fifth of a second).
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel

from models.db import make_engine, upgrade
from tests.servers import skip_or_fail, worker_name

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def postgres_admin_url() -> str | None:
    url = os.environ.get("BILLBOT_TEST_POSTGRES_URL")
    if url:
        return url
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return DEFAULT_POSTGRES
    except OSError:
        return None


class PostgresDatabase:
    """A throwaway database on a PostgreSQL server, dropped at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = make_url(admin_url).set(drivername="postgresql+psycopg")
        self.name = f"billbot_test_{worker_name()}_{uuid.uuid4().hex[:12]}"
        self.url = self.admin_url.set(database=self.name).render_as_string(hide_password=False)

    def create(self) -> None:
        admin = make_engine(self.admin_url.render_as_string(hide_password=False))
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        admin.dispose()

    def drop(self) -> None:
        admin = make_engine(self.admin_url.render_as_string(hide_password=False))
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    admin_url = postgres_admin_url()
    if admin_url is None:
        skip_or_fail("no PostgreSQL server (set BILLBOT_TEST_POSTGRES_URL)")
    database = PostgresDatabase(admin_url)
    try:
        database.create()
    except Exception as exc:  # any driver error means: no usable server
        skip_or_fail(f"PostgreSQL at {admin_url} cannot be used: {exc}")
    engine = make_engine(database.url)
    upgrade(engine)
    engine.dispose()
    yield database.url
    database.drop()


def truncate_all(engine: Engine) -> None:
    tables = [t.name for t in SQLModel.metadata.sorted_tables]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                connection.execute(text(f'DELETE FROM "{name}"'))


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to the head revision, empty, every connection closed:
    copied, it is what `upgrade` on a new file gives."""
    path = tmp_path_factory.mktemp("migrated") / "billbot.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    for suffix in ("-wal", "-shm", "-journal"):
        assert not Path(f"{path}{suffix}").exists(), f"{path}{suffix} left behind"
    return path


def migrated_sqlite_url(template: Path, folder: Path) -> str:
    """A migrated, empty SQLite database `folder/billbot.db` (a copy of `template`)."""
    path = folder / "billbot.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database URL, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield migrated_sqlite_url(request.getfixturevalue("migrated_sqlite_file"), tmp_path)
        return
    url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    truncate_all(engine)
    engine.dispose()
    yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path, migrated_sqlite_file: Path) -> Iterator[Engine]:
    """SQLite only, for tests of logic that does not depend on the backend."""
    engine = make_engine(migrated_sqlite_url(migrated_sqlite_file, tmp_path))
    yield engine
    engine.dispose()
