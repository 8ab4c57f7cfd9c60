"""Shared fixtures: databases on SQLite and PostgreSQL, and the real test servers."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from tests.database import (
    database_url,
    engine,
    migrated_sqlite_file,
    postgres_url,
    sqlite_engine,
)

__all__ = ["database_url", "engine", "migrated_sqlite_file", "postgres_url", "sqlite_engine"]

pytest_plugins = ["tests.servers.fixtures", "tests.slack_emulator.fixtures"]

settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
