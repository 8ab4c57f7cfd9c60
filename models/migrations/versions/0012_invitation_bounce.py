"""invitation email bounce

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

An email to the contact that came back undelivered for good (a bounce tied to one of our
Message-IDs) is kept on the invitation, so the period board can say so.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email_bounced_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("email_bounced_to", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("email_bounce", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_column("email_bounce")
        batch_op.drop_column("email_bounced_to")
        batch_op.drop_column("email_bounced_at")
