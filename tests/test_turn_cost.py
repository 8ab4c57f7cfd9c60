"""The cost of a turn in SQL statements (DESIGN §7): answering a line reads the commitment's
data once and writes only what changed, so the count cannot creep back up unnoticed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from conversations.service import ConversationService, MemoryOutbox
from conversations.types import Turn
from models.demo import demo_text
from models.importer import import_text
from models.tables import BillingPeriod, Commitment, InvoiceLine, Person

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # inside the demo's November period

# BEGIN (SQLite; PostgreSQL's driver begins without a statement), the conversation with the
# commitment's invoices and the data revision, the line upsert, the invoice's stamp, the
# conversation, and nothing else: the person comes with the turn, the replies go to an outbox
# in memory, and the commitment's parties and ledger were kept from the turn before
# (conversations/cache.py).
LINE_ANSWER_STATEMENTS = 5


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        statements.append(sql)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def demo_invoice(engine: Engine) -> tuple[Person, int, int]:
    """The demo imported; its contact Sam, and the (commitment, period) of SC-007's November."""
    import_text(engine, text=demo_text())
    with Session(engine) as session:
        sam = session.exec(select(Person).where(Person.key == "sam")).one()
        sc7 = session.exec(select(Commitment).where(Commitment.key == "sc7")).one()
        nov = session.exec(select(BillingPeriod).where(BillingPeriod.key == "nov")).one()
    assert sc7.id is not None and nov.id is not None
    return sam, sc7.id, nov.id


def test_answering_a_line_costs_a_handful_of_statements(engine: Engine) -> None:
    sam, commitment_id, period_id = demo_invoice(engine)
    service = ConversationService(engine, outbox=MemoryOutbox(), clock=lambda: NOW)

    def say(text: str) -> None:
        turn = Turn(text=text, channel="email") if text else Turn(action="start", channel="email")
        service.handle(person=sam, turn=turn, commitment_id=commitment_id, period_id=period_id)

    say("")
    say("INV-0042")
    for answer in ("1: 50%", "2 - 30 units"):
        with counted(engine) as statements:
            say(answer)
        assert len(statements) <= LINE_ANSWER_STATEMENTS, json.dumps(statements, indent=1)
    with Session(engine) as session:  # and the answers are stored
        stored = session.exec(select(InvoiceLine)).all()
    assert len([row for row in stored if row.new_quantity is not None]) >= 2
