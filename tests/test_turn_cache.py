"""What a worker keeps of a commitment between turns (conversations/cache.py) is used only
while the data revision it was read under is current, and every change to that data moves the
revision, whoever makes it (triggers of migration 0011), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from conversations.cache import CommitmentCache
from conversations.plaintext import as_text
from conversations.service import ConversationService, MemoryOutbox, TurnResult
from conversations.types import Turn
from models.db import session_scope
from models.ledger import load_ledger
from models.tables import (
    BillingPeriod,
    ChangeOrder,
    ChangeOrderLine,
    Commitment,
    CommitmentContact,
    Invoice,
    InvoiceLine,
    Person,
    SovLine,
)
from tests.test_conversation_service import NOW, Ids, seed

D = Decimal


@pytest.fixture
def ids(engine: Engine) -> Ids:
    with session_scope(engine) as session:
        return seed(session)


def revision(engine: Engine) -> int | None:
    with engine.connect() as connection:
        return connection.execute(text("SELECT value FROM data_revision WHERE id = 1")).scalar()


def run(engine: Engine, sql: str, **params: Any) -> None:
    with engine.begin() as connection:
        connection.execute(text(sql), params)


# Each change: (what it is, SQL, whether a worker's kept data may depend on it).
CHANGES: list[tuple[str, str, bool]] = [
    ("a project renamed", "UPDATE project SET name = 'Harbour Tower'", True),
    ("a billing date moved", "UPDATE billing_period SET billing_date = '2026-11-24'", True),
    ("a commitment retitled", "UPDATE commitment SET title = 'Electrical works'", True),
    ("a contact removed", "DELETE FROM commitment_contact WHERE person_id = :maria", True),
    ("a line's quantity changed", "UPDATE sov_line SET quantity = 1300 WHERE number = '1'", True),
    ("a person renamed", "UPDATE person SET name = 'Jane Roe' WHERE key = 'jane'", True),
    ("a person's language set", "UPDATE person SET language = 'es' WHERE key = 'sam'", False),
    ("a Slack id linked", "UPDATE person SET slack_user_id = 'U1' WHERE key = 'sam'", False),
    (
        "a draft invoice made",
        "INSERT INTO invoice (commitment_id, period_id, number, status, created_at, updated_at) "
        "VALUES (:sc7, :nov, 'INV-0042', 'draft', '2026-11-20', '2026-11-20')",
        False,
    ),
    (
        "a line answered on the draft",
        "INSERT INTO invoice_line (invoice_id, sov_line_id, new_quantity, new_value, "
        "materials_stored, retainage_held, retainage_released) SELECT i.id, s.id, 10, 125, 0, "
        "12.5, 0 FROM invoice i, sov_line s WHERE i.number = 'INV-0042' AND s.number = '1' "
        "AND s.commitment_id = :sc7",
        False,
    ),
    (
        "the draft's line changed",
        "UPDATE invoice_line SET new_quantity = 20 WHERE invoice_id = "
        "(SELECT id FROM invoice WHERE number = 'INV-0042')",
        False,
    ),
    (
        "an earlier invoice's line adjusted",
        "UPDATE invoice_line SET new_quantity = 400 WHERE invoice_id = "
        "(SELECT id FROM invoice WHERE number = 'INV-0041')",
        True,
    ),
    (
        "an earlier invoice returned",
        "UPDATE invoice SET status = 'revise_and_resubmit' WHERE number = 'INV-0041'",
        True,
    ),
    (
        "the draft sent",
        "UPDATE invoice SET status = 'under_review' WHERE number = 'INV-0042'",
        True,
    ),
    (
        "a line of a sent invoice removed",
        "DELETE FROM invoice_line WHERE invoice_id = (SELECT id FROM invoice "
        "WHERE number = 'INV-0042')",
        True,
    ),
]


def test_every_change_a_worker_may_depend_on_moves_the_revision_and_no_other(
    engine: Engine, ids: Ids
) -> None:
    params = {"maria": ids.maria, "sc7": ids.sc7, "nov": ids.nov}
    for what, sql, counts in CHANGES:
        before = revision(engine)
        assert before is not None
        run(engine, sql, **{k: v for k, v in params.items() if f":{k}" in sql})
        after = revision(engine)
        assert (after != before) is counts, what


def test_change_orders_and_a_deleted_invoice_move_the_revision(engine: Engine, ids: Ids) -> None:
    before = revision(engine)
    with session_scope(engine) as session:
        line = session.exec(select(SovLine).where(SovLine.commitment_id == ids.sc7)).first()
        assert line is not None and line.id is not None
        order = ChangeOrder(
            key="co1",
            commitment_id=ids.sc7,
            number="CO-1",
            title="More",
            approved_on=date(2026, 11, 2),
        )
        session.add(order)
        session.flush()
        assert order.id is not None
        session.add(
            ChangeOrderLine(change_order_id=order.id, sov_line_id=line.id, quantity_change=D(100))
        )
    middle = revision(engine)
    assert middle != before
    with session_scope(engine) as session:
        for row in session.exec(select(InvoiceLine)):
            session.delete(row)
        session.flush()
        for invoice in session.exec(select(Invoice)):
            session.delete(invoice)
    assert revision(engine) != middle


def test_a_row_emptied_by_hand_keeps_nothing_until_the_next_change(
    engine: Engine, ids: Ids
) -> None:
    run(engine, "DELETE FROM data_revision")
    assert revision(engine) is None
    service = ConversationService(engine, outbox=MemoryOutbox(), clock=lambda: NOW)
    say = speaker(service, ids)
    say("")
    say("INV-0042")
    say("status")
    assert service.cache.hits == 0
    run(engine, "UPDATE commitment SET title = 'Electrical' WHERE id = :sc7", sc7=ids.sc7)
    assert revision(engine) is not None  # the row is back, with a new value


def speaker(service: ConversationService, ids: Ids) -> Callable[[str], TurnResult]:
    def say(words: str) -> TurnResult:
        turn = Turn(text=words, channel="email") if words else Turn(action="start", channel="email")
        return service.handle(
            person_id=ids.sam, turn=turn, commitment_id=ids.sc7, period_id=ids.nov
        )

    return say


def said(result: TurnResult) -> str:
    return "\n".join(as_text(reply) for reply in result.replies)


@pytest.fixture
def service(engine: Engine) -> ConversationService:
    return ConversationService(engine, outbox=MemoryOutbox(), clock=lambda: NOW)


def started(service: ConversationService, ids: Ids) -> Callable[[str], TurnResult]:
    say = speaker(service, ids)
    say("")
    say("INV-0042")
    hits = service.cache.hits
    assert "1,200 LF" in said(say("edit 1"))
    assert service.cache.hits == hits + 1, "a later turn should use what an earlier one kept"
    return say


def test_a_turn_after_the_schedule_changes_bills_from_the_new_schedule(
    engine: Engine, ids: Ids, service: ConversationService
) -> None:
    say = started(service, ids)
    assert "1,200 LF × $12.50 = $15,000.00" in said(say("edit 1"))
    with session_scope(engine) as session:  # e.g. `billbot import` in another process
        line = session.exec(
            select(SovLine).where(SovLine.commitment_id == ids.sc7, SovLine.number == "1")
        ).one()
        line.quantity = D(1600)
        session.add(line)
    answer = said(say("1: 50%"))
    assert "500 LF this period ($6,250.00), 50.00% to date" in answer, answer
    with Session(engine) as session:
        stored = session.exec(
            select(InvoiceLine).join(Invoice).where(Invoice.number == "INV-0042")
        ).one()
    assert stored.new_quantity == D(500)  # 50 % of 1,600 LF less the 300 LF billed in October


def test_a_turn_after_an_earlier_invoice_changes_uses_the_new_history(
    engine: Engine, ids: Ids, service: ConversationService
) -> None:
    say = started(service, ids)
    assert "Billed before: 300 LF" in said(say("edit 1"))
    # The administrator adjusts October's line (a review in another worker).
    run(
        engine,
        "UPDATE invoice_line SET new_quantity = 600, new_value = 7500 WHERE invoice_id = "
        "(SELECT id FROM invoice WHERE number = 'INV-0041')",
    )
    assert "Billed before: 600 LF" in said(say("edit 1"))
    say("1: 75%")
    with Session(engine) as session:
        stored = session.exec(
            select(InvoiceLine).join(Invoice).where(Invoice.number == "INV-0042")
        ).one()
    assert stored.new_quantity == D(300)  # 900 LF to date less the 600 LF billed before


def test_a_contact_removed_between_turns_is_refused(
    engine: Engine, ids: Ids, service: ConversationService
) -> None:
    say = started(service, ids)
    with session_scope(engine) as session:
        row = session.get(CommitmentContact, (ids.sc7, ids.sam))
        assert row is not None
        session.delete(row)
    result = say("1: 50%")
    assert result.refused
    with Session(engine) as session:
        assert (
            session.exec(
                select(InvoiceLine).join(Invoice).where(Invoice.number == "INV-0042")
            ).first()
            is None
        )


def test_an_administrator_renamed_between_turns_is_named_anew(
    engine: Engine, ids: Ids, service: ConversationService
) -> None:
    say = started(service, ids)
    with session_scope(engine) as session:
        jane = session.get(Person, ids.jane)
        assert jane is not None
        jane.name = "Jane Roe"
        session.add(jane)
    for answer in ("1: 50%", "2: done", "none", "review"):
        say(answer)
    sent = said(say("send"))
    assert "Jane Roe" in sent and "Jane Doe" not in sent, sent


def test_nothing_read_by_a_turn_that_was_rolled_back_is_kept(engine: Engine, ids: Ids) -> None:
    class Broken(MemoryOutbox):
        def queue(self, *args: Any, **kwargs: Any) -> None:
            raise RuntimeError("the outbox is down")

    service = ConversationService(engine, outbox=MemoryOutbox(), clock=lambda: NOW)
    with pytest.raises(RuntimeError):  # the invoice's first turn, rolled back
        service.handle(
            person_id=ids.sam,
            turn=Turn(action="start", channel="email"),
            commitment_id=ids.sc7,
            period_id=ids.nov,
            outbox=Broken(),
        )
    assert len(service.cache) == 0
    say = speaker(service, ids)
    say("")  # the same turn, committed: what it read is kept
    assert len(service.cache) == 1
    hits = service.cache.hits
    say("INV-0042")
    assert service.cache.hits == hits + 1


def test_two_workers_each_see_the_other_s_changes(engine: Engine, ids: Ids) -> None:
    """Sam answers through one worker, Maria's turns and the administrator through another: a
    worker's kept ledger never outlives a change another worker commits."""
    first = ConversationService(engine, outbox=MemoryOutbox(), clock=lambda: NOW)
    second = ConversationService(engine, outbox=MemoryOutbox(), clock=lambda: NOW)
    say_first, say_second = started(first, ids), speaker(second, ids)
    say_second("1: 40%")  # 480 LF to date: 180 this period (the conversation is shared)
    assert "Currently: 180 LF this period" in said(say_first("edit 1"))
    # October is returned and revised in the second worker: November's history follows.
    run(engine, "UPDATE invoice SET status = 'revise_and_resubmit' WHERE number = 'INV-0041'")
    run(
        engine,
        "UPDATE invoice_line SET new_quantity = 360, new_value = 4500 WHERE invoice_id = "
        "(SELECT id FROM invoice WHERE number = 'INV-0041')",
    )
    assert "Billed before: 360 LF" in said(say_first("edit 1"))
    with Session(engine) as session:
        nov = session.exec(select(BillingPeriod).where(BillingPeriod.key == "nov")).one()
        sc7 = session.get(Commitment, ids.sc7)
        assert sc7 is not None
        ledger = load_ledger(session, commitment=sc7, period=nov)
    assert ledger.histories["1"].previous_quantity == D(360)


def test_the_kept_data_is_bounded_by_the_lines_it_holds(engine: Engine, ids: Ids) -> None:
    service = ConversationService(engine, outbox=MemoryOutbox(), clock=lambda: NOW)
    service.cache = CommitmentCache(lines=3)  # SC-007 has 2 lines: one commitment fits
    say = speaker(service, ids)
    for words in ("", "INV-0042", "status"):
        say(words)
    assert len(service.cache) == 1
    maria = ConversationService(engine, outbox=MemoryOutbox(), clock=lambda: NOW)
    maria.cache = service.cache
    for words in ("", "NW-1002", "status"):
        maria.handle(
            person_id=ids.maria,
            turn=Turn(text=words, channel="email")
            if words
            else Turn(action="start", channel="email"),
            commitment_id=ids.sc11,
            period_id=ids.nov,
        )
    assert len(service.cache) == 1  # SC-011 took SC-007's place
    hits = service.cache.hits
    say("status")
    assert service.cache.hits == hits  # read again, and right
