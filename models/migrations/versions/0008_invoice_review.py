"""invoice review: line reviews, the status history, reminders counted to the due date

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invoice_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_status", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("review_reason", sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column("reviewed_value", sa.Numeric(16, 2), nullable=True))
        batch_op.add_column(sa.Column("reviewed_quantity", sa.Numeric(20, 6), nullable=True))
    op.create_table(
        "invoice_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_person_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=30), nullable=True),
        sa.Column("to_status", sa.String(length=30), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["by_person_id"], ["person.id"], name=op.f("fk_invoice_event_by_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_invoice_event_invoice_id_invoice")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_event")),
    )
    with op.batch_alter_table("invoice_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_event_invoice_id"), ["invoice_id"])
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("basis", sa.String(length=10), nullable=False, server_default="billing")
        )
        batch_op.drop_constraint("uq_reminder_person_id_commitment_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_reminder_person_id_commitment_id",
            ["person_id", "commitment_id", "period_id", "basis", "offset_days"],
        )
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.alter_column("basis", server_default=None)


def downgrade() -> None:
    op.execute("DELETE FROM reminder WHERE basis <> 'billing'")
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_constraint("uq_reminder_person_id_commitment_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_reminder_person_id_commitment_id",
            ["person_id", "commitment_id", "period_id", "offset_days"],
        )
        batch_op.drop_column("basis")
    with op.batch_alter_table("invoice_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_event_invoice_id"))
    op.drop_table("invoice_event")
    with op.batch_alter_table("invoice_line", schema=None) as batch_op:
        batch_op.drop_column("reviewed_quantity")
        batch_op.drop_column("reviewed_value")
        batch_op.drop_column("review_reason")
        batch_op.drop_column("review_status")
