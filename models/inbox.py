"""The Slack inbox: each DM message event, stored before Slack gets its ack.

Slack does not redeliver an acknowledged event, so a message is written here (one short,
batched transaction) before the ack and its conversation turn runs afterwards, from this
table, in id order. `event_id` is unique: a redelivery of the same event adds nothing.
"""

from __future__ import annotations

import enum
import json
from datetime import datetime
from typing import Any

from sqlalchemy import Column, String, Text
from sqlmodel import Field, SQLModel

from models.tables import timestamp_column, utcnow


class InboxStatus(enum.StrEnum):
    pending = "pending"
    done = "done"
    failed = "failed"  # its turn kept failing; kept for an operator


class SlackInbox(SQLModel, table=True):
    __tablename__ = "slack_inbox"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=255, unique=True, index=True)
    slack_user_id: str = Field(max_length=50)
    received_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(False))
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # the event JSON
    status: InboxStatus = Field(default=InboxStatus.pending, sa_type=String(10), index=True)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=2000)

    def event(self) -> dict[str, Any]:
        value = json.loads(self.payload or "{}")
        return value if isinstance(value, dict) else {}


__all__ = ["InboxStatus", "SlackInbox"]
