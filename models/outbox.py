"""The transactional outbox and the inbound ledger: nothing lost, nothing twice.

Outbound messages are written in the same transaction as the state change that
caused them and delivered later by a sender loop, which claims due rows (with
`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers share the work) and
retries failures with exponential back-off. Every inbound message is recorded by
its channel id before it is acted on, so a message fetched twice is processed once.
"""

from __future__ import annotations

import enum
import functools
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, String, Text, UniqueConstraint, bindparam, insert, or_, update
from sqlalchemy.engine import Connection
from sqlmodel import Field, Session, SQLModel, col, select

from models.db import execute_core
from models.reminders import outdated_reminders
from models.tables import as_utc, timestamp_column, utcnow


class OutboxStatus(enum.StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"  # gave up after max attempts; kept for an operator
    dropped = "dropped"  # not sent: what it said no longer held (a reminder, the invoice sent)


class OutboxKind(enum.StrEnum):
    """What an outbound message is (stored as its value in `outbound_message.kind`)."""

    reply = "reply"  # a conversation's answer
    invite = "invite"
    reminder = "reminder"
    notification = "notification"  # to the administrator: an invoice was sent
    confirmation = "confirmation"  # to the contact: their invoice was sent
    review = "review"  # the administrator's review, to the contact
    refusal = "refusal"  # a stranger, a bad token, a locked invoice


class InboundOutcome(enum.StrEnum):
    """What became of an inbound message (stored as its value in `inbound_message.outcome`)."""

    processed = "processed"
    duplicate = "duplicate"  # already recorded: skipped (never stored)
    ignored = "ignored"  # an auto-reply, a bounce, our own message
    refused = "refused"  # a stranger, a bad token, a locked invoice: answered politely
    rejected = "rejected"  # unreadable, or no sender
    failed = "failed"  # our error: answered with an apology


class OutboundMessage(SQLModel, table=True):
    __tablename__ = "outbound_message"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20, index=True)  # email | slack
    recipient: str = Field(max_length=320)
    subject: str = Field(default="", max_length=998)
    body_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    body_html: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON
    message_id: str = Field(max_length=998, unique=True)
    conversation_id: int | None = Field(default=None, index=True)
    kind: str = Field(default=OutboxKind.reply.value, max_length=30)  # an `OutboxKind`
    status: OutboxStatus = Field(default=OutboxStatus.pending, sa_type=String(10), index=True)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(False))
    claimed_until: datetime | None = Field(default=None, sa_column=timestamp_column())
    last_error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(False))
    sent_at: datetime | None = Field(default=None, sa_column=timestamp_column())

    def data(self) -> dict[str, Any]:
        value = json.loads(self.payload or "{}")
        return value if isinstance(value, dict) else {}


class InboundMessage(SQLModel, table=True):
    """One inbound message (email Message-ID, Slack event_id), processed at most once."""

    __tablename__ = "inbound_message"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    external_id: str = Field(max_length=998)
    sender: str = Field(default="", max_length=320)
    outcome: str = Field(default=InboundOutcome.processed.value, max_length=30)
    reason: str | None = Field(default=None, max_length=500)
    conversation_id: int | None = Field(default=None)
    received_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(False))


class RefusalNotice(SQLModel, table=True):
    """At most one refusal per address per day (a constraint, not only a check)."""

    __tablename__ = "refusal_notice"
    __table_args__ = (UniqueConstraint("channel", "address", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    address: str = Field(max_length=320)
    day: str = Field(max_length=10)  # ISO date, UTC


MAX_ATTEMPTS = 12
# A claim is a lease, and `claimed_until` is also its fencing token (see `renew_claim`).
# Without renewals it must outlast a whole batch; a sender that renews before and while
# sending each row (the email sender) can pass a short lease, so that a killed worker's
# rows are sent again soon after its death.
CLAIM_SECONDS = 120


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s ... capped at one hour."""
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 3600))


def claim_due(
    session: Session,
    *,
    channel: str,
    now: datetime,
    limit: int = 50,
    lease: float = CLAIM_SECONDS,
) -> list[OutboundMessage]:
    """Claim due pending rows for delivery; other workers skip the rows claimed here.

    The claim only protects anything once it is committed: commit before sending. On SQLite,
    run it in a `BEGIN IMMEDIATE` transaction so that two processes cannot read the same rows.
    """
    statement = (
        select(OutboundMessage)
        .where(
            col(OutboundMessage.channel) == channel,
            col(OutboundMessage.status) == OutboxStatus.pending.value,
            col(OutboundMessage.next_attempt_at) <= now,
            or_(
                col(OutboundMessage.claimed_until).is_(None),
                col(OutboundMessage.claimed_until) < now,
            ),
        )
        .order_by(col(OutboundMessage.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    rows = list(session.exec(statement))
    reminders = [row for row in rows if row.kind == OutboxKind.reminder.value]
    outdated = outdated_reminders(session, reminders) if reminders else set()
    for row in rows:
        if row.id in outdated:  # queued before the contact sent the invoice: never said
            row.status = OutboxStatus.dropped
            row.last_error = "not sent: the invoice was sent for review since it was queued"
        else:
            row.claimed_until = now + timedelta(seconds=lease)
        session.add(row)
    return [row for row in rows if row.id not in outdated]


def add_outbound(
    session: Session,
    *,
    channel: str,
    recipient: str,
    message_id: str,
    subject: str = "",
    body_text: str = "",
    body_html: str | None = None,
    payload: str = "{}",
    conversation_id: int | None = None,
    kind: str = OutboxKind.reply.value,
) -> int:
    """Queue one outbound row (pending, due now) in the caller's transaction by one INSERT,
    without building an ORM object (that costs more than the insert); returns its id."""
    now = utcnow()
    values = {
        "channel": channel,
        "recipient": recipient,
        "subject": subject,
        "body_text": body_text,
        "body_html": body_html,
        "payload": payload,
        "message_id": message_id,
        "conversation_id": conversation_id,
        "kind": str(kind),
        "status": OutboxStatus.pending.value,
        "attempts": 0,
        "next_attempt_at": now,
        "claimed_until": None,
        "last_error": None,
        "created_at": now,
        "sent_at": None,
    }
    result = execute_core(session, _insert_statement(OutboundMessage), values)
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def add_inbound(
    session: Session,
    *,
    channel: str,
    external_id: str,
    sender: str = "",
    outcome: str = InboundOutcome.processed.value,
    reason: str | None = None,
    conversation_id: int | None = None,
    received_at: datetime | None = None,
) -> None:
    """Record one inbound message in the caller's transaction by one INSERT; a message
    recorded before fails here (IntegrityError), before anything else of its turn is written."""
    values = {
        "channel": channel,
        "external_id": external_id,
        "sender": sender,
        "outcome": str(outcome),
        "reason": reason,
        "conversation_id": conversation_id,
        "received_at": received_at or utcnow(),
    }
    execute_core(session, _insert_statement(InboundMessage), values)


@functools.cache
def _insert_statement(model: type[SQLModel]) -> Any:
    return insert(model.__table__)  # type: ignore[attr-defined]


def renew_claim(session: Session, *, row_id: int, claimed_until: datetime, until: datetime) -> bool:
    """Extend a claim to `until` if it is still the one that set `claimed_until`.

    A compare-and-set: once a claim expired and another worker claimed the row, its
    `claimed_until` differs, so the old holder learns it must not send the row.
    """
    result = session.execute(
        update(OutboundMessage)
        .where(
            col(OutboundMessage.id) == row_id,
            col(OutboundMessage.status) == OutboxStatus.pending.value,
            col(OutboundMessage.claimed_until) == claimed_until,
        )
        .values(claimed_until=until)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def message_exists(session: Session, message_id: str) -> bool:
    """Whether an outbound message with this Message-ID was ever queued."""
    statement = select(OutboundMessage.id).where(col(OutboundMessage.message_id) == message_id)
    return session.exec(statement).first() is not None


def inbound_seen(session: Session, *, channel: str, external_id: str) -> bool:
    """Whether this inbound message was already recorded (processed, ignored or refused)."""
    found = session.execute(_seen_statement(), {"channel": channel, "external_id": external_id})
    return found.first() is not None


@functools.cache
def _seen_statement() -> Any:
    """Built once (building a statement costs more than running it on SQLite)."""
    return select(InboundMessage.id).where(
        col(InboundMessage.channel) == bindparam("channel"),
        col(InboundMessage.external_id) == bindparam("external_id"),
    )


def mark_sent_by_id(session: Session | Connection, *, row_id: int, now: datetime) -> bool:
    """Mark row `row_id` sent in one statement, without reading it: only a row still pending
    (a row another worker finished meanwhile is left as it is). True if it was marked.
    In a session's transaction, or on a connection alone (cheaper: no ORM session)."""
    result = session.execute(sent_statement(), {"row_id": row_id, "sent_at": now})
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


@functools.cache
def sent_statement() -> Any:
    """Marks row `row_id` sent at `sent_at` if it is still pending. Built once (building a
    statement costs more than running it on SQLite)."""
    stamp = OutboundMessage.__table__.c.sent_at  # type: ignore[attr-defined]
    return (
        update(OutboundMessage)
        .where(
            col(OutboundMessage.id) == bindparam("row_id"),
            col(OutboundMessage.status) == OutboxStatus.pending.value,
        )
        .values(
            status=OutboxStatus.sent.value,
            sent_at=bindparam("sent_at", type_=stamp.type),
            claimed_until=None,
            attempts=col(OutboundMessage.attempts) + 1,
        )
        .execution_options(synchronize_session=False)
    )


def mark_failed(
    session: Session,
    row: OutboundMessage,
    *,
    now: datetime,
    error: str,
    permanent: bool = False,
) -> None:
    """Schedule a retry with back-off, or give up (after MAX_ATTEMPTS, or at once if permanent)."""
    row.attempts += 1
    row.last_error = error[:2000]
    row.claimed_until = None
    if permanent or row.attempts >= MAX_ATTEMPTS:
        row.status = OutboxStatus.failed
    else:
        row.next_attempt_at = now + backoff(row.attempts)
    session.add(row)


STUCK_AFTER = timedelta(minutes=10)  # a due row still unsent this long after: no worker runs


def troubled_rows(
    session: Session, *, now: datetime, failed_only: bool = False
) -> list[OutboundMessage]:
    """Rows an operator should see: given up (`failed`), and unless `failed_only`, pending rows
    that have failed or been postponed, or have waited past their time (no worker sends them)."""
    failed = col(OutboundMessage.status) == OutboxStatus.failed.value
    stuck = (col(OutboundMessage.status) == OutboxStatus.pending.value) & or_(
        col(OutboundMessage.attempts) > 0,
        col(OutboundMessage.last_error).is_not(None),  # e.g. postponed: the sign-in is refused
        col(OutboundMessage.next_attempt_at) < now - STUCK_AFTER,
    )
    statement = select(OutboundMessage).where(failed if failed_only else or_(failed, stuck))
    return list(session.exec(statement.order_by(col(OutboundMessage.id))))


def retry_row(session: Session, *, row_id: int, now: datetime) -> OutboundMessage | None:
    """Put a failed (or waiting) row back in line to be sent at once; None if there is no such
    row. A row already sent, or being sent by a worker right now, is left alone."""
    row = session.get(OutboundMessage, row_id, with_for_update=True)
    if row is None or row.status == OutboxStatus.sent:
        return None
    if row.claimed_until is not None and as_utc(row.claimed_until) > now:
        return None
    row.status = OutboxStatus.pending
    row.attempts = 0
    row.next_attempt_at = now
    row.claimed_until = None
    session.add(row)
    return row


def postpone(session: Session, row: OutboundMessage, *, until: datetime, error: str) -> None:
    """Wait for something outside the message (the mailbox sign-in being fixed): the claim is
    released and no attempt is used up, so a long outage never makes billbot give up."""
    row.last_error = error[:2000]
    row.claimed_until = None
    row.next_attempt_at = until
    session.add(row)
