"""change orders

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=50), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitment.id"],
            name=op.f("fk_change_order_commitment_id_commitment"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_order")),
        sa.UniqueConstraint(
            "commitment_id", "number", name=op.f("uq_change_order_commitment_id_number")
        ),
    )
    with op.batch_alter_table("change_order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_change_order_key"), ["key"], unique=True)
        batch_op.create_index(
            batch_op.f("ix_change_order_commitment_id"), ["commitment_id"], unique=False
        )

    op.create_table(
        "change_order_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("change_order_id", sa.Integer(), nullable=False),
        sa.Column("sov_line_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("adds_line", sa.Boolean(), nullable=False),
        sa.Column("quantity_change", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("change", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["change_order_id"],
            ["change_order.id"],
            name=op.f("fk_change_order_line_change_order_id_change_order"),
        ),
        sa.ForeignKeyConstraint(
            ["sov_line_id"],
            ["sov_line.id"],
            name=op.f("fk_change_order_line_sov_line_id_sov_line"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_order_line")),
        sa.UniqueConstraint(
            "change_order_id",
            "sov_line_id",
            name=op.f("uq_change_order_line_change_order_id_sov_line_id"),
        ),
    )
    with op.batch_alter_table("change_order_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_change_order_line_change_order_id"), ["change_order_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_change_order_line_sov_line_id"), ["sov_line_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("change_order_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_order_line_sov_line_id"))
        batch_op.drop_index(batch_op.f("ix_change_order_line_change_order_id"))
    op.drop_table("change_order_line")
    with op.batch_alter_table("change_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_order_commitment_id"))
        batch_op.drop_index(batch_op.f("ix_change_order_key"))
    op.drop_table("change_order")
