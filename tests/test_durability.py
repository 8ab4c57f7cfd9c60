"""Which commits wait for the disk (`models.db`): all of them, but the Slack turns', which
run from the inbox between two durable commits (its row stored, its row marked done) and
whose replies leave through the sender's durable claim. A relaxed commit is still whole,
and seen at once by every other connection."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.slack.turns import Turns
from conversations.types import Turn
from models.attachments import AttachmentLimits
from models.db import make_engine, relaxed_engine, session_scope, write_transaction
from models.outbox import add_inbound, inbound_seen
from tests.test_turn_cost import demo_invoice

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def waits_for_the_disk(engine: Engine) -> bool:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        return connection.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"


def test_every_engine_waits_for_the_disk_but_a_relaxed_one(engine: Engine) -> None:
    relaxed = relaxed_engine(engine)
    try:
        assert waits_for_the_disk(engine)
        assert not waits_for_the_disk(relaxed)
        # The same database: a relaxed commit is seen by the durable engine at once.
        with write_transaction(relaxed) as session:
            add_inbound(session, channel="slack", external_id="relaxed:1")
        with Session(engine) as session:
            assert inbound_seen(session, channel="slack", external_id="relaxed:1")
        with write_transaction(engine) as session:  # and the other way round
            add_inbound(session, channel="slack", external_id="durable:1")
        with Session(relaxed) as session:
            assert inbound_seen(session, channel="slack", external_id="durable:1")
    finally:
        relaxed.dispose()


def test_a_relaxed_rollback_leaves_nothing(engine: Engine) -> None:
    relaxed = relaxed_engine(engine)
    try:
        try:
            with write_transaction(relaxed) as session:
                add_inbound(session, channel="slack", external_id="relaxed:gone")
                raise RuntimeError("the turn failed")
        except RuntimeError:
            pass
        with Session(engine) as session:
            assert not inbound_seen(session, channel="slack", external_id="relaxed:gone")
    finally:
        relaxed.dispose()


def test_an_in_memory_database_has_one_engine() -> None:
    engine = make_engine("sqlite://")
    assert relaxed_engine(engine) is engine


def test_sqlite_says_full_whatever_it_was_built_with(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    try:
        assert waits_for_the_disk(engine)
    finally:
        engine.dispose()


def test_slack_turns_are_relaxed_and_the_rest_of_slack_is_not(engine: Engine) -> None:
    """The turns' service writes through the relaxed engine; the gate, the inbox and the
    senders' claims (which make every earlier commit durable) through the durable one."""
    sam, commitment_id, period_id = demo_invoice(engine)
    turns = Turns(engine, clock=lambda: NOW, limits=AttachmentLimits(), poke=lambda: None)
    try:
        assert turns.engine is engine and waits_for_the_disk(turns.engine)
        assert not waits_for_the_disk(turns.conversations.engine)
        result = turns.conversations.handle(
            person=sam,
            turn=Turn(text="INV-0042", channel="slack"),
            commitment_id=commitment_id,
            period_id=period_id,
        )
        assert result.conversation_id is not None
        with session_scope(engine) as session:  # committed, and seen by the durable engine
            number = session.execute(
                text("SELECT number FROM invoice WHERE id = :id"), {"id": result.invoice_id}
            ).scalar()
        assert number == "INV-0042"
    finally:
        turns.close()
