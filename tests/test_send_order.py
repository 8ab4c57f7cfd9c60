"""A contact cannot send an invoice after one of a later period was sent: the later one bills
the work to date without it, and sending the earlier one would bill that work twice (and
change the later invoice's previous figures, certified or not)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from conversations.service import ConversationService, MemoryOutbox
from conversations.types import Turn
from models.importer import import_text
from models.invoice_lookup import find_invoice
from models.tables import BillingPeriod, Commitment, InvoiceStatus, Person
from tests.import_helpers import with_november

NOW = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)


def october_draft_under(november_status: str) -> dict[str, object]:
    data = with_november(status=november_status)
    data["invoices"][0]["status"] = "draft"  # October's, never sent
    return data


def say(engine: Engine, period: str, *texts: str) -> list[str]:
    service = ConversationService(engine, outbox=MemoryOutbox(), clock=lambda: NOW)
    with Session(engine) as session:
        sam = session.exec(select(Person).where(Person.key == "sam")).one()
        sc7 = session.exec(select(Commitment).where(Commitment.key == "sc7")).one()
        wanted = session.exec(select(BillingPeriod).where(BillingPeriod.key == period)).one()
    assert sc7.id is not None and wanted.id is not None
    said = []
    for text in texts:
        turn = Turn(text=text, channel="email") if text else Turn(action="start", channel="email")
        result = service.handle(person=sam, turn=turn, commitment_id=sc7.id, period_id=wanted.id)
        said.append("\n".join(reply.text for reply in result.replies))
    return said


@pytest.mark.parametrize("november", ["under_review", "revise_and_resubmit", "approved"])
def test_an_earlier_draft_is_not_sent_after_a_later_invoice(engine: Engine, november: str) -> None:
    import_text(engine, text=json.dumps(october_draft_under(november)))
    *_, answer = say(engine, "oct", "", "2: 1", "none", "send")
    assert "I can't send it: invoice INV-0042 for a later period was already sent" in answer
    assert "ask Jane Doe" in answer
    with Session(engine) as session:
        assert find_invoice(session, "SC-007/INV-0041").status == InvoiceStatus.draft


def test_an_earlier_draft_is_sent_before_a_later_draft(engine: Engine) -> None:
    import_text(engine, text=json.dumps(october_draft_under("draft")))
    *_, answer = say(engine, "oct", "", "2: 1", "none", "send")
    assert "Sent INV-0041 for review" in answer
    with Session(engine) as session:
        assert find_invoice(session, "SC-007/INV-0041").status == InvoiceStatus.under_review
