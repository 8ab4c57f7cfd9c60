"""Alembic environment: the engine is handed in by `models.db.upgrade`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool
from sqlmodel import SQLModel

import models.conversation  # (and the conversation table)
import models.inbox  # (the Slack inbox table)
import models.invitation  # (the invitation table)
import models.mail_tokens  # (the mailbox refresh token)
import models.outbox  # (the outbox, inbound and refusal tables)
import models.reminders  # (the reminder table)
import models.revision  # (the data revision row)
import models.tables  # noqa: F401  (registers the tables on SQLModel.metadata)

target_metadata = SQLModel.metadata
config = context.config


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from sqlalchemy import create_engine

        engine = create_engine(
            config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool
        )
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("billbot migrations run online only (billbot db upgrade)")
run_migrations_online()
