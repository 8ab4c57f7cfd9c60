"""The `conversation` table: one guided conversation per invoice (commitment, period).

The dialogue state is kept as JSON text; `version` is incremented on every save
so that a writer holding a stale copy is detected.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.tables import timestamp_column, utcnow


class ConversationStatus(enum.StrEnum):
    open = "open"
    draft_saved = "draft_saved"
    sent = "sent"
    cancelled = "cancelled"


# A conversation in these statuses may still be continued by the contact.
ACTIVE_STATUSES = frozenset(
    {ConversationStatus.open, ConversationStatus.draft_saved, ConversationStatus.cancelled}
)


class Conversation(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("commitment_id", "period_id"),)

    id: int | None = Field(default=None, primary_key=True)
    commitment_id: int = Field(foreign_key="commitment.id", index=True)
    period_id: int = Field(foreign_key="billing_period.id", index=True)
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id")
    last_person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    last_channel: str | None = Field(default=None, max_length=30)
    status: ConversationStatus = Field(
        default=ConversationStatus.open, sa_type=String(20), index=True
    )
    state: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    version: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(False))
