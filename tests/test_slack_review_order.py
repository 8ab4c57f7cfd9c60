"""Reviewing out of order on Slack, on the Slack emulator: while October's invoice is not
certified, November's review DM does not approve (the Approve button is refused in its thread,
Approve as noted opens no modal) and keeps its buttons; once October is approved, it does."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.slack.notify import APPROVE, NOTED, RETURN
from models.db import session_scope
from models.review import Decision, ReviewKind
from models.tables import Invoice, InvoiceStatus
from tests.slack_emulator import SlackEmulator
from tests.test_slack_review import as_it_is_now, in_thread, invoice_of, sent_by_sam
from tests.test_slack_support import has_button, person, running

pytestmark = pytest.mark.servers


def october_under_review(engine: Engine) -> Invoice:
    with session_scope(engine) as session:
        october = session.exec(select(Invoice).where(Invoice.number == "INV-0041")).one()
        october.status = InvoiceStatus.under_review
        session.add(october)
        session.flush()
        session.expunge(october)
        return october


async def test_november_is_not_approved_on_slack_while_october_is_under_review(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, engine, tmp_path) as h:
        october = october_under_review(engine)
        _, review_dm = await sent_by_sam(h)

        await h.click("U0JANE", review_dm, NOTED)
        assert slack_emulator.modals("review_noted") == []
        await h.click("U0JANE", review_dm, APPROVE)
        answers = [m["text"] for m in in_thread(h, "U0JANE", review_dm["ts"])]
        assert len(answers) == 2, answers
        assert all(
            "Invoice INV-0042 for SC-007 Electrical cannot be approved yet: invoice INV-0041 "
            "(2026-10-01 – 2026-10-31, under review)" in answer
            for answer in answers
        ), answers
        assert invoice_of(engine, "sc7").status == "under_review"
        kept = as_it_is_now(h, "U0JANE", review_dm)
        assert has_button(kept, APPROVE) and has_button(kept, NOTED) and has_button(kept, RETURN)

        jane = person(engine, "jane")
        assert jane.id is not None and october.id is not None
        approved = h.worker.reviews.review(
            invoice_id=october.id,
            reviewer_id=jane.id,
            decision=Decision(ReviewKind.approve),
            channel="email",
        )
        assert approved.outcome is not None
        await h.click("U0JANE", kept, APPROVE)
        assert invoice_of(engine, "sc7").status == "approved"
