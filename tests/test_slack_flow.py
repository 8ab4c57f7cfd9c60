"""The Slack channel end to end (issue 5's Done-when): invite DM -> Start -> invoice number
-> the paged `Fill in all lines` modal for 120 lines -> a shared file -> Send."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from conversations.service import ConversationService, MemoryOutbox
from conversations.store import load_state
from conversations.types import Turn
from models.conversation import Conversation
from models.invitation import Invitation
from models.tables import Attachment, Invoice, InvoiceLine, SovLine
from tests.slack_emulator import SlackEmulator, message_event, validate_view
from tests.test_slack_support import BIG, NOW, Harness, has_button, ids, invite, person, running

pytestmark = pytest.mark.servers


def invoice_of(engine: Engine, commitment: str) -> Invoice | None:
    commitment_id, period_id = ids(engine, commitment)
    with Session(engine) as session:
        return session.exec(
            select(Invoice).where(
                Invoice.commitment_id == commitment_id, Invoice.period_id == period_id
            )
        ).first()


def in_thread(h: Harness, user: str, thread_ts: str) -> list[dict]:
    return [m for m in h.messages(user) if m.get("thread_ts") == thread_ts]


async def test_invite_to_sent_invoice_with_paged_modal_and_file(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, engine, tmp_path) as h:
        invite(h, "max", "sc9")
        await h.settle()

        # The invite: Max had no Slack id; found by email, and the DM's ts kept as the thread.
        [dm] = h.messages("U0MAX")
        assert "Max Volt" not in dm["text"] and "invited you to bill" in dm["text"]
        assert has_button(dm, "start")
        assert person(engine, "max").slack_user_id == "U0MAX"
        with Session(engine) as session:
            invitation = session.exec(select(Invitation)).one()
        assert (invitation.slack_channel, invitation.slack_ts) == (dm["channel"], dm["ts"])

        # Start -> greeting and the invoice number question, in the invite's thread.
        assert (await h.click("U0MAX", dm, "start")).status == 200
        [asked] = in_thread(h, "U0MAX", dm["ts"])
        assert "invoice number" in asked["text"] and "MV-101" in asked["text"]

        # A typed answer in the thread -> line 1 is asked, with the Fill in all lines button.
        await h.say("U0MAX", "MV-101", thread_ts=dm["ts"])
        line_prompt = in_thread(h, "U0MAX", dm["ts"])[-1]
        assert "Line 1" in line_prompt["text"] and has_button(line_prompt, "fill_lines")

        # The modal: page 1 of 3, with retainage inputs where retainage is held.
        await h.click("U0MAX", line_prompt, "fill_lines")
        [page1] = slack_emulator.modals("fill_lines")
        blocks = [b["block_id"] for b in page1["blocks"] if b["type"] == "input"]
        assert blocks[:3] == ["line:1", "ret:1", "line:2"] and "line:40" in blocks
        assert "line:41" not in blocks and len(page1["blocks"]) <= 100
        values = {b: "50%" for b in blocks if b.startswith("line:")}
        values |= {"line:7": "lots", "ret:1": "$50"}

        answer = await h.submit("U0MAX", page1, values)
        assert answer.json["response_action"] == "errors"
        assert list(answer.json["errors"]) == ["line:7"]
        assert invoice_lines(engine) == 39  # the valid answers are kept

        values["line:7"] = "25%"
        answer = await h.submit("U0MAX", page1, values)
        assert answer.json["response_action"] == "update"
        page2 = answer.json["view"]
        assert validate_view(page2) == []
        page2_inputs = [b["block_id"] for b in page2["blocks"] if b["type"] == "input"]
        assert page2_inputs[0] == "line:41" and len(page2_inputs) == 40
        answer = await h.submit("U0MAX", page2, {b: "skip" for b in page2_inputs})
        page3 = answer.json["view"]
        page3_inputs = [b["block_id"] for b in page3["blocks"] if b["type"] == "input"]
        assert page3_inputs[-1] == f"line:{BIG}" and page3["submit"]["text"] == "Save"
        posted_before = len(h.messages("U0MAX"))
        answer = await h.submit("U0MAX", page3, {b: "$1,000" for b in page3_inputs})
        assert answer.status == 200 and not answer.json  # closes the modal
        assert invoice_lines(engine) == BIG

        # Only the last page posts: the review of all 120 lines, split to fit Slack.
        review = h.messages("U0MAX")[posted_before:]
        assert review and all(len(m["blocks"]) <= 50 for m in review)
        assert has_button(review[-1], "send") and has_button(review[-1], "draft")
        assert all(m.get("thread_ts") == dm["ts"] for m in review)

        # A file shared in the thread becomes an attachment.
        file_id = slack_emulator.add_file(
            "U0MAX", "lien-waiver.pdf", "application/pdf", b"%PDF-1.7 waiver"
        )
        shared = [slack_emulator.file_object(file_id)]
        event = message_event(
            user="U0MAX", text="", channel=dm["channel"], thread_ts=dm["ts"], files=shared
        )
        await h.event(event)
        attached = h.messages("U0MAX")[-1]
        assert "lien-waiver.pdf" in attached["text"] and has_button(attached, "send")

        await h.click("U0MAX", attached, "send")
        assert "Sent MV-101" in h.messages("U0MAX")[-1]["text"]

    invoice = invoice_of(engine, "sc9")
    assert invoice is not None and invoice.status == "under_review"
    with Session(engine) as session:
        [file] = session.exec(select(Attachment)).all()
        line7 = line_value(session, invoice, "7")
    assert (file.filename, file.source, file.size) == ("lien-waiver.pdf", "slack", 15)
    assert line7 == 2500  # the corrected answer: 25% of 10,000
    assert (
        (tmp_path / "attachments" / file.sha256[:2] / file.sha256).read_bytes().startswith(b"%PDF")
    )
    assert h.pending_or_failed() == []


def invoice_lines(engine: Engine) -> int:
    """How many lines of SC-009 are answered so far."""
    with Session(engine) as session:
        conversation = session.exec(select(Conversation)).one()
        return len(load_state(session, conversation, None).entries)


def line_value(session: Session, invoice: Invoice, number: str) -> int:
    line = session.exec(
        select(SovLine).where(
            SovLine.commitment_id == invoice.commitment_id, SovLine.number == number
        )
    ).one()
    row = session.exec(
        select(InvoiceLine).where(
            InvoiceLine.invoice_id == invoice.id, InvoiceLine.sov_line_id == line.id
        )
    ).one()
    return int(row.new_value)


async def test_invoice_started_by_email_is_finished_in_slack(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, engine, tmp_path) as h:
        sam = person(engine, "sam")
        assert sam.id is not None
        by_email = ConversationService(engine, outbox=MemoryOutbox(), clock=lambda: NOW)
        key = ids(engine, "sc7")
        by_email.start(person_id=sam.id, commitment_id=key[0], period_id=key[1], channel="email")
        by_email.handle(person_id=sam.id, turn=Turn(text="INV-0042\n1: 50%", channel="email"))

        await h.say("U0SAM", "status")
        status = h.messages("U0SAM")[-1]["text"]
        assert "INV-0042" in status and "Lines answered: 1 of 2" in status
        await h.say("U0SAM", "2: 3 units")
        await h.say("U0SAM", "none")
        await h.say("U0SAM", "send")
        assert "Sent INV-0042" in h.messages("U0SAM")[-1]["text"]

    invoice = invoice_of(engine, "sc7")
    assert invoice is not None and invoice.status == "under_review"
    with Session(engine) as session:
        rows = {
            int(r.new_value)
            for r in session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
        }
    assert rows == {3750, 12600}  # 50% of 15,000 less 3,750 billed; 3 panels x 4,200
