"""data revision: a stamp that changes with every change to what a turn may cache

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30

A worker keeps a commitment's terms, lines, change orders and earlier invoices' sums between
turns and checks them against `data_revision.value` (read in the turn's first statement).
Triggers give the row a new random value whenever any of that data changes, whoever writes
it (an import, a change order, a review, an invoice of another period sent or revised, SQL
typed by hand). Drafts are left out: the sums behind a line's history leave drafts out too,
and a contact answering on a draft is the common turn. The value is random rather than a
counter so that a deleted or reset row can never make an old value current again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Tables whose every change counts (statement triggers on PostgreSQL, row triggers on SQLite).
REFERENCE_TABLES = (
    "project",
    "billing_period",
    "commitment",
    "commitment_contact",
    "sov_line",
    "change_order",
    "change_order_line",
)

SQLITE_BUMP = (
    "INSERT INTO data_revision (id, value) VALUES (1, random()) "
    "ON CONFLICT (id) DO UPDATE SET value = excluded.value;"
)
# An invoice line counts unless its invoice is a draft (a missing invoice counts).
SQLITE_LINE_COUNTS = (
    "COALESCE((SELECT status FROM invoice WHERE id = {row}.invoice_id), '') <> 'draft'"
)


def sqlite_triggers() -> list[tuple[str, str]]:
    """(name, CREATE TRIGGER statement) for SQLite."""
    triggers: list[tuple[str, str]] = []

    def add(name: str, when: str, condition: str = "") -> None:
        where = f" WHEN {condition}" if condition else ""
        triggers.append(
            (name, f"CREATE TRIGGER {name} AFTER {when}{where} BEGIN {SQLITE_BUMP} END")
        )

    for table in REFERENCE_TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            add(f"data_revision_{table}_{event.lower()}", f"{event} ON {table}")
    add("data_revision_person_update", "UPDATE OF name ON person", "OLD.name IS NOT NEW.name")
    add("data_revision_person_delete", "DELETE ON person")
    add("data_revision_invoice_insert", "INSERT ON invoice", "NEW.status <> 'draft'")
    add(
        "data_revision_invoice_update",
        "UPDATE ON invoice",
        "OLD.status IS NOT NEW.status OR OLD.period_id IS NOT NEW.period_id "
        "OR OLD.commitment_id IS NOT NEW.commitment_id",
    )
    add("data_revision_invoice_delete", "DELETE ON invoice", "OLD.status <> 'draft'")
    add(
        "data_revision_invoice_line_insert",
        "INSERT ON invoice_line",
        SQLITE_LINE_COUNTS.format(row="NEW"),
    )
    add(
        "data_revision_invoice_line_update",
        "UPDATE ON invoice_line",
        f"{SQLITE_LINE_COUNTS.format(row='NEW')} OR {SQLITE_LINE_COUNTS.format(row='OLD')}",
    )
    add(
        "data_revision_invoice_line_delete",
        "DELETE ON invoice_line",
        SQLITE_LINE_COUNTS.format(row="OLD"),
    )
    return triggers


POSTGRES_FUNCTIONS = (
    """
    CREATE FUNCTION billbot_bump_data_revision() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO data_revision (id, value)
        VALUES (1, floor(random() * 9.2e18)::bigint - 4600000000000000000)
        ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION billbot_bump_data_revision_for_line() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF (TG_OP <> 'DELETE' AND COALESCE(
                (SELECT status FROM invoice WHERE id = NEW.invoice_id), '') <> 'draft')
           OR (TG_OP <> 'INSERT' AND COALESCE(
                (SELECT status FROM invoice WHERE id = OLD.invoice_id), '') <> 'draft') THEN
            INSERT INTO data_revision (id, value)
            VALUES (1, floor(random() * 9.2e18)::bigint - 4600000000000000000)
            ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value;
        END IF;
        RETURN NULL;
    END $$
    """,
)


def postgres_triggers() -> list[tuple[str, str, str]]:
    """(name, table, CREATE TRIGGER statement) for PostgreSQL."""
    bump = "EXECUTE FUNCTION billbot_bump_data_revision()"
    triggers = [
        (
            f"data_revision_{table}",
            table,
            f"CREATE TRIGGER data_revision_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT {bump}",
        )
        for table in REFERENCE_TABLES
    ]
    triggers += [
        (
            "data_revision_person",
            "person",
            "CREATE TRIGGER data_revision_person AFTER UPDATE OF name OR DELETE ON person "
            f"FOR EACH STATEMENT {bump}",
        ),
        (
            "data_revision_invoice_insert",
            "invoice",
            "CREATE TRIGGER data_revision_invoice_insert AFTER INSERT ON invoice FOR EACH ROW "
            f"WHEN (NEW.status <> 'draft') {bump}",
        ),
        (
            "data_revision_invoice_update",
            "invoice",
            "CREATE TRIGGER data_revision_invoice_update AFTER UPDATE ON invoice FOR EACH ROW "
            "WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.period_id IS DISTINCT FROM "
            f"NEW.period_id OR OLD.commitment_id IS DISTINCT FROM NEW.commitment_id) {bump}",
        ),
        (
            "data_revision_invoice_delete",
            "invoice",
            "CREATE TRIGGER data_revision_invoice_delete AFTER DELETE ON invoice FOR EACH ROW "
            f"WHEN (OLD.status <> 'draft') {bump}",
        ),
        (
            "data_revision_invoice_truncate",
            "invoice",
            f"CREATE TRIGGER data_revision_invoice_truncate AFTER TRUNCATE ON invoice "
            f"FOR EACH STATEMENT {bump}",
        ),
        (
            "data_revision_invoice_line",
            "invoice_line",
            "CREATE TRIGGER data_revision_invoice_line AFTER INSERT OR UPDATE OR DELETE "
            "ON invoice_line FOR EACH ROW EXECUTE FUNCTION billbot_bump_data_revision_for_line()",
        ),
        (
            "data_revision_invoice_line_truncate",
            "invoice_line",
            f"CREATE TRIGGER data_revision_invoice_line_truncate AFTER TRUNCATE ON invoice_line "
            f"FOR EACH STATEMENT {bump}",
        ),
    ]
    return triggers


def upgrade() -> None:
    op.create_table(
        "data_revision",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_revision")),
    )
    op.execute("INSERT INTO data_revision (id, value) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        for function in POSTGRES_FUNCTIONS:
            op.execute(function)
        for _, _, statement in postgres_triggers():
            op.execute(statement)
    else:
        for _, statement in sqlite_triggers():
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table, _ in postgres_triggers():
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS billbot_bump_data_revision_for_line()")
        op.execute("DROP FUNCTION IF EXISTS billbot_bump_data_revision()")
    else:
        for name, _ in sqlite_triggers():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("data_revision")
