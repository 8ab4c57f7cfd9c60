"""The data revision: one value that changes whenever data a worker may keep between turns
changes (DESIGN §7).

Database triggers (migration 0011) give `data_revision.value` a new random value on every
change to projects, billing periods, commitments and their contacts, SOV lines, change orders,
a person's name, and invoices and invoice lines that are not drafts, whoever makes the change.
A worker reads the value in a turn's first statement (`revision_value()` as a column) and
uses what it kept only when the value is the one it kept it under. No row (a table emptied
by hand) reads as None: nothing is kept then.

A later migration that rebuilds one of those tables on SQLite (Alembic's batch mode copies
the table, and its triggers go with the old one) must create that table's triggers again;
`tests/test_turn_cache.py` fails if any change stops moving the revision.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column
from sqlalchemy import select as sa_select
from sqlmodel import Field, SQLModel, col


class DataRevision(SQLModel, table=True):
    __tablename__ = "data_revision"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    value: int = Field(sa_column=Column(BigInteger, nullable=False))


def revision_value() -> Any:
    """The revision as a scalar subquery, to read beside a turn's first statement."""
    return (
        sa_select(col(DataRevision.value))
        .where(col(DataRevision.id) == 1)
        .scalar_subquery()
        .label("data_revision")
    )
