"""The Alembic migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

# Every module with tables, as models/migrations/env.py imports them.
import models.conversation
import models.inbox
import models.invitation
import models.mail_tokens
import models.outbox
import models.reminders
import models.revision
import models.tables  # noqa: F401


def test_the_migrations_build_the_schema_the_models_describe(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_the_review_migration_goes_down_and_up_again_keeping_the_reminders(
    database_url: str,
) -> None:
    from sqlalchemy import text

    from models.db import downgrade, make_engine, upgrade
    from tests.database import truncate_all

    engine = make_engine(database_url)
    try:
        truncate_all(engine)
        downgrade(engine, "0007")
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO company (id, key, name) VALUES (1, 'gc', 'GC')"))
            connection.execute(
                text(
                    "INSERT INTO project (id, key, name, number, company_id, timezone) "
                    "VALUES (1, 'p', 'P', 'P-1', 1, 'UTC')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO person (id, key, company_id, name, email) "
                    "VALUES (1, 's', 1, 'S', 's@x.test')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO commitment (id, key, project_id, number, title, kind, vendor_id, "
                    "accounting_method, retainage_percent, allow_overbilling) "
                    "VALUES (1, 'c', 1, 'SC-1', 'T', 'subcontract', 1, 'amount', 0, false)"
                )
            )
            connection.execute(
                text(
                    'INSERT INTO billing_period (id, key, project_id, start, "end", '
                    "billing_date, due_date) VALUES (1, 'nov', 1, '2026-11-01', '2026-11-30', "
                    "'2026-11-25', '2026-11-30')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO reminder (person_id, commitment_id, period_id, offset_days, "
                    "has_draft, created_at) VALUES (1, 1, 1, 3, false, '2026-11-22 00:00:00')"
                )
            )
        upgrade(engine)
        with engine.connect() as connection:
            rows = list(connection.execute(text("SELECT basis, offset_days FROM reminder")))
        assert [tuple(row) for row in rows] == [("billing", 3)]
    finally:
        truncate_all(engine)
        engine.dispose()
