"""Persistence of conversations and of what they decide, on SQLite and PostgreSQL.

`models.db.write_transaction` serialises writers (SQLite: `BEGIN IMMEDIATE`); `read_conversation`
reads the row of one invoice and locks it (PostgreSQL: `SELECT ... FOR UPDATE`), and
`create_conversation` makes it on the invoice's first turn;
`save_conversation` checks and bumps `version`; `apply_state` mirrors the state into the
domain tables (invoice, lines, attachments, status).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from conversations.gather import Invoices, invoices_of
from conversations.state import State, Status
from conversations.types import StepName
from models.attachments import AttachmentRef
from models.conversation import Conversation, ConversationStatus
from models.db import execute_core
from models.ledger import CommitmentLedger, invoice_entries, upsert_entries
from models.review import record_event
from models.revision import revision_value
from models.tables import EDITABLE_STATUSES, Attachment, BillingPeriod, Invoice, InvoiceStatus

log = logging.getLogger(__name__)


class ConversationError(Exception):
    """Root of the conversation service's errors."""


class StaleConversation(ConversationError):
    """The conversation row changed since it was read (its `version` moved on)."""

    def __init__(self, conversation_id: int, version: int) -> None:
        super().__init__(f"conversation {conversation_id} is no longer at version {version}")
        self.conversation_id = conversation_id
        self.version = version


def create_conversation(
    session: Session, *, commitment_id: int, period_id: int, now: datetime
) -> None:
    """Insert the empty conversation of (commitment, period); a concurrent first turn may
    have inserted it first: then this does nothing."""
    values = {
        "created_at": now,
        "updated_at": now,
        "commitment_id": commitment_id,
        "period_id": period_id,
    }
    execute_core(session, _create_statement(session.get_bind().dialect.name), values)


@functools.cache
def _create_statement(dialect: str) -> Any:
    """Built once per dialect (building a statement costs more than running it on SQLite)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stamp = Conversation.__table__.c.created_at  # type: ignore[attr-defined]
    statement = insert(Conversation).values(
        commitment_id=bindparam("commitment_id"),
        period_id=bindparam("period_id"),
        created_at=bindparam("created_at", type_=stamp.type),
        updated_at=bindparam("updated_at", type_=stamp.type),
        state="{}",
        version=0,
        status=ConversationStatus.open.value,
    )
    return statement.on_conflict_do_nothing(index_elements=["commitment_id", "period_id"])


@functools.cache
def _open_statement() -> Any:
    """Built once (building a statement costs more than running it on SQLite)."""
    period_id: Any = bindparam("period_id")
    return (
        sa_select(Conversation, Invoice, BillingPeriod, Attachment, revision_value())
        .outerjoin(Invoice, col(Invoice.commitment_id) == Conversation.commitment_id)
        .outerjoin(BillingPeriod, col(BillingPeriod.id) == Invoice.period_id)
        .outerjoin(
            Attachment,
            and_(col(Attachment.invoice_id) == Invoice.id, col(Invoice.period_id) == period_id),
        )
        .where(
            col(Conversation.commitment_id) == bindparam("commitment_id"),
            col(Conversation.period_id) == period_id,
        )
        .order_by(col(BillingPeriod.start).desc(), col(Invoice.id).desc(), col(Attachment.id))
        .with_for_update(of=Conversation)
        .execution_options(populate_existing=True)
    )


@dataclass(frozen=True)
class Opened:
    """What a turn's first statement reads: the invoice's conversation (locked; None when
    there is none yet), the commitment's invoices, and the data revision (`models.revision`)."""

    conversation: Conversation | None
    invoices: Invoices
    revision: int | None


def read_conversation(session: Session, *, commitment_id: int, period_id: int) -> Opened:
    """One statement: the conversation row outer-joined with the commitment's invoices, their
    periods and the attachments of the period's invoice, and the data revision; only the
    conversation row is locked. Creates nothing."""
    params = {"commitment_id": commitment_id, "period_id": period_id}
    found = session.execute(_open_statement(), params).all()
    if not found:
        return Opened(None, Invoices((), ()), None)
    return Opened(
        found[0][0],
        invoices_of(
            [(invoice, period, file) for _, invoice, period, file, _ in found if invoice and period]
        ),
        found[0][4],
    )


def load_state(session: Session, conversation: Conversation, invoice: Invoice | None) -> State:
    """The saved state, or one rebuilt from the invoice (imported, or state unreadable)."""
    if conversation.state and conversation.state != "{}":
        try:
            return State.from_json(conversation.state)
        except ValueError:
            log.warning("conversation %s: unreadable state, rebuilt", conversation.id)
    state = State(commitment_id=conversation.commitment_id, period_id=conversation.period_id)
    if invoice is None:
        return state
    entries = invoice_entries(session, invoice)
    files = session.exec(select(Attachment).where(Attachment.invoice_id == invoice.id)).all()
    sent = invoice.status != InvoiceStatus.draft  # returned for revision: it was sent
    return State(
        step=StepName.done if sent else StepName.invoice_number,
        commitment_id=conversation.commitment_id,
        period_id=conversation.period_id,
        invoice_number=invoice.number,
        entries=entries,
        attachments=tuple(
            AttachmentRef(a.filename, a.content_type, a.size, a.sha256, a.source) for a in files
        ),
        status=Status.sent if sent else Status.open,
        sent_at=invoice.sent_at,
    )


@functools.cache
def _save_statement() -> Any:
    names = ("state", "version", "status", "invoice_id", "last_person_id", "last_channel")
    values: dict[str, Any] = {name: bindparam(name) for name in names}
    stamp = Conversation.__table__.c.updated_at  # type: ignore[attr-defined]
    values["updated_at"] = bindparam("updated_at", type_=stamp.type)
    return (
        update(Conversation)
        .where(
            col(Conversation.id) == bindparam("conversation_id"),
            col(Conversation.version) == bindparam("old_version"),
        )
        .values(values)
        .execution_options(synchronize_session=False)
    )


def save_conversation(
    session: Session,
    conversation: Conversation,
    state: State,
    *,
    person_id: int,
    channel: str,
    invoice_id: int | None,
    now: datetime,
) -> None:
    """Store the new state if nobody else did since it was read; bumps `version`."""
    assert conversation.id is not None
    data = state.to_json()
    result = execute_core(
        session,
        _save_statement(),
        {
            "conversation_id": conversation.id,
            "old_version": conversation.version,
            "state": data,
            "version": conversation.version + 1,
            "status": ConversationStatus(state.status.value).value,
            "invoice_id": invoice_id,
            "last_person_id": person_id,
            "last_channel": channel[:30],
            "updated_at": now,
        },
    )
    if result.rowcount != 1:
        raise StaleConversation(conversation.id, conversation.version)
    # Mirror what was written without another SELECT (and without making the row dirty).
    for name, value in (
        ("state", data),
        ("version", conversation.version + 1),
        ("invoice_id", invoice_id),
        ("last_person_id", person_id),
        ("updated_at", now),
    ):
        set_committed_value(conversation, name, value)


def apply_state(
    session: Session,
    *,
    state: State,
    ledger: CommitmentLedger,
    invoice: Invoice | None,
    person_id: int,
    now: datetime,
    channel: str = "",
    previous: State | None = None,
    stored: Sequence[AttachmentRef] | None = None,
) -> Invoice | None:
    """Mirror the state into the invoice tables: number, entries, attachments, sent status
    (a sending is recorded in the invoice's history).

    With `previous` (the state the turn started from, which mirrors the tables) and `stored`
    (the invoice's attachments as the turn read them), only what changed is written and
    nothing is read again: a turn that changes nothing writes nothing here."""
    if invoice is not None and invoice.status not in EDITABLE_STATUSES:
        return invoice  # locked: the conversation may not change it
    if state.invoice_number is None:
        return invoice
    created = invoice is None
    if invoice is None:
        assert ledger.commitment.id is not None and ledger.period.id is not None
        invoice = Invoice(
            commitment_id=ledger.commitment.id,
            period_id=ledger.period.id,
            number=state.invoice_number,
            status=InvoiceStatus.draft,
            created_by_id=person_id,
            created_at=now,
            updated_at=now,
        )
        session.add(invoice)
        session.flush()
    changed = created
    if invoice.number != state.invoice_number:
        invoice.number = state.invoice_number
        changed = True
    if stored is None:
        rows = session.exec(select(Attachment).where(Attachment.invoice_id == invoice.id))
        stored = [
            AttachmentRef(a.filename, a.content_type, a.size, a.sha256, a.source) for a in rows
        ]
    known = {(a.sha256, a.filename) for a in stored}
    for ref in state.attachments:
        if (ref.sha256, ref.filename) not in known:
            assert invoice.id is not None
            session.add(
                Attachment(
                    invoice_id=invoice.id,
                    filename=ref.filename,
                    content_type=ref.content_type,
                    size=ref.size,
                    sha256=ref.sha256,
                    source=ref.source,
                    created_at=now,
                )
            )
            known.add((ref.sha256, ref.filename))
            changed = True
    sending = state.status == Status.sent
    if previous is None or created or sending or dict(state.entries) != dict(previous.entries):
        upsert_entries(session, invoice=invoice, ledger=ledger, entries=dict(state.entries))
        changed = True
    if sending:  # a draft or a returned invoice is (re)sent
        before = InvoiceStatus(invoice.status)
        invoice.status = InvoiceStatus.under_review
        invoice.sent_by_id = person_id
        invoice.sent_at = state.sent_at or now
        record_event(
            session,
            invoice=invoice,
            by_person_id=person_id,
            channel=channel,
            from_status=before,
            to_status=InvoiceStatus.under_review,
            now=invoice.sent_at,
            note="resubmitted" if before == InvoiceStatus.revise_and_resubmit else None,
        )
    if changed and (created or session.is_modified(invoice)):
        invoice.updated_at = now
        session.add(invoice)
        session.flush()
    elif changed:  # only its lines or files changed: the stamp alone, without a flush
        execute_core(session, _stamp_statement(), {"invoice_id": invoice.id, "updated_at": now})
        set_committed_value(invoice, "updated_at", now)
    return invoice


@functools.cache
def _stamp_statement() -> Any:
    stamp = Invoice.__table__.c.updated_at  # type: ignore[attr-defined]
    return (
        update(Invoice)
        .where(col(Invoice.id) == bindparam("invoice_id"))
        .values(updated_at=bindparam("updated_at", type_=stamp.type))
        .execution_options(synchronize_session=False)
    )
