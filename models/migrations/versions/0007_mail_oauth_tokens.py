"""mail oauth tokens

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_oauth_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox", sa.String(length=500), nullable=False),
        sa.Column("seed_sha256", sa.String(length=64), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_oauth_tokens")),
    )
    with op.batch_alter_table("mail_oauth_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mail_oauth_tokens_mailbox"), ["mailbox"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("mail_oauth_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_oauth_tokens_mailbox"))
    op.drop_table("mail_oauth_tokens")
