"""The administrator's review on Slack (DESIGN §6), on the Slack emulator with signed requests:
Approve, Return for revision and Approve as noted from the review DM, the contact told in
their own thread, validation errors in the ack, refusals, and the App Home board."""

from __future__ import annotations

import dataclasses
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.request.async_request import AsyncBoltRequest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.slack import turns as turns_module
from bot.slack.notify import APPROVE, NOTED, RETURN
from bot.slack.worker import SlackWorker
from conversations.service import ConversationService, MemoryOutbox
from conversations.types import Turn
from models.db import session_scope
from models.inbox import SlackInbox
from models.review import Decision, ReviewKind, history
from models.tables import CommitmentContact, Invoice, InvoiceLine, SovLine
from tests.slack_emulator import (
    SlackEmulator,
    block_actions,
    button_action,
    signed_interaction,
    validate_blocks,
    validate_view,
    view_submission,
)
from tests.test_slack_flow import invoice_of as find_invoice
from tests.test_slack_support import (
    NOW,
    SECRET,
    Harness,
    button,
    has_button,
    ids,
    invite,
    person,
    running,
)

pytestmark = pytest.mark.servers


def invoice_of(engine: Engine, commitment: str) -> Invoice:
    found = find_invoice(engine, commitment)
    assert found is not None
    return found


def inputs(view: dict[str, Any]) -> list[str]:
    return [b["block_id"] for b in view["blocks"] if b["type"] == "input"]


def last_note(engine: Engine, commitment: str) -> str | None:
    with Session(engine) as session:
        return history(session, invoice_of(engine, commitment))[-1]["note"]


def steps(engine: Engine, commitment: str) -> list[tuple[Any, ...]]:
    with Session(engine) as session:
        found = history(session, invoice_of(engine, commitment))
    return [(h["from"], h["to"], h["by"], h["channel"]) for h in found]


def in_thread(h: Harness, user: str, thread_ts: str) -> list[dict[str, Any]]:
    return [m for m in h.messages(user) if m.get("thread_ts") == thread_ts]


def as_it_is_now(h: Harness, user: str, message: dict[str, Any]) -> dict[str, Any]:
    return next(m for m in h.messages(user) if m["ts"] == message["ts"])


def context_text(message: dict[str, Any]) -> str:
    return " ".join(
        e["text"] for b in message["blocks"] if b["type"] == "context" for e in b["elements"]
    )


async def sent_by_sam(h: Harness) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sam's invite thread and Jane's review DM, once Sam sent INV-0042 on Slack."""
    invite(h, "sam", "sc7")
    await h.settle()
    [invite_dm] = h.messages("U0SAM")
    await h.click("U0SAM", invite_dm, "start")
    await h.say("U0SAM", "INV-0042\n1: 50%\n2: 3 units\nsend", thread_ts=invite_dm["ts"])
    assert "Sent INV-0042" in h.messages("U0SAM")[-1]["text"]
    review_dm = h.messages("U0JANE")[-1]
    assert has_button(review_dm, APPROVE), review_dm["text"]
    return invite_dm, review_dm


def checked(line: str, reason: str | None = None) -> dict[str, Any]:
    """A return modal's values ticking `line` (with a reason)."""
    box = {"text": {"type": "plain_text", "text": "Return this line"}, "value": "return"}
    values: dict[str, Any] = {
        f"ret:{line}": {"pick": {"type": "checkboxes", "selected_options": [box]}}
    }
    if reason is not None:
        values[f"why:{line}"] = {"value": reason}
    return values


async def test_approve_by_button_tells_the_contact_the_amount_certified(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, engine, tmp_path) as h:
        thread, review_dm = await sent_by_sam(h)
        assert "Sam Sparks sent invoice INV-0042 for SC-007 Electrical" in review_dm["text"]
        assert validate_blocks(review_dm["blocks"], surface="message") == []
        assert (await h.click("U0JANE", review_dm, APPROVE)).status == 200

        [answer] = in_thread(h, "U0JANE", review_dm["ts"])
        assert "Invoice INV-0042 (SC-007 Electrical) is approved" in answer["text"]
        assert "Amount certified (current payment due): $14,715.00" in answer["text"]
        updated = as_it_is_now(h, "U0JANE", review_dm)
        assert not has_button(updated, APPROVE) and not has_button(updated, RETURN)
        assert "Approved by Jane Doe on Nov 20, 2026 (slack)" in context_text(updated)
        assert "Amount certified: $14,715.00." in context_text(updated)

        told = in_thread(h, "U0SAM", thread["ts"])[-1]["text"]
        assert "Jane Doe approved invoice INV-0042 for SC-007 Electrical." in told
        assert "Amount certified (current payment due): $14,715.00." in told
        assert h.pending_or_failed() == []
    assert steps(engine, "sc7")[-1] == ("under_review", "approved", "Jane Doe", "slack")


async def test_return_one_line_with_a_reason_then_the_resubmission_shows_what_changed(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, engine, tmp_path) as h:
        thread, review_dm = await sent_by_sam(h)
        await h.click("U0JANE", review_dm, RETURN)
        [modal] = slack_emulator.modals("review_return")
        assert validate_view(modal) == []
        assert inputs(modal) == ["ret:1", "why:1", "ret:2", "why:2"]
        assert "2 · Panels — $12,600.00 this period" in modal["blocks"][3]["label"]["text"]

        nothing = await h.interact(view_submission(user="U0JANE", view=modal, values={}))
        assert nothing.json["response_action"] == "errors"
        assert list(nothing.json["errors"]) == ["ret:1"]
        assert invoice_of(engine, "sc7").status == "under_review"

        values = checked("2", "only 2 panels are set") | {"why:1": {"value": ""}}
        done = await h.interact(view_submission(user="U0JANE", view=modal, values=values))
        assert done.status == 200 and not done.json  # the modal closes
        assert invoice_of(engine, "sc7").status == "revise_and_resubmit"

        [answer] = in_thread(h, "U0JANE", review_dm["ts"])
        assert "Returned invoice INV-0042 (SC-007 Electrical) for revision" in answer["text"]
        assert "line 2: only 2 panels are set" in answer["text"]
        updated = as_it_is_now(h, "U0JANE", review_dm)
        assert not has_button(updated, APPROVE)
        assert "Returned for revision by Jane Doe" in context_text(updated)

        told = in_thread(h, "U0SAM", thread["ts"])[-1]["text"]
        assert "Jane Doe returned invoice INV-0042 for revision" in told
        assert "Line 2 (Panels): only 2 panels are set" in told
        assert "Line 1 was approved and stays as it is." in told
        assert "Line 2 (Panels), 2 of 2" in told  # asks that line only

        await h.say("U0SAM", "2: 2 units\nsend", thread_ts=thread["ts"])
        again = h.messages("U0JANE")[-1]
        assert again["ts"] != review_dm["ts"] and has_button(again, APPROVE)
        assert "sent invoice INV-0042 for SC-007 Electrical" in again["text"]
        changed = again["blocks"][1]["text"]["text"]
        assert "What changed since your review" in changed
        assert "Line 2: $12,600.00 -&gt; $8,400.00 (returned: only 2 panels are set)" in changed
        await h.click("U0JANE", again, APPROVE)
        assert "Amount certified: $10,935.00." in context_text(as_it_is_now(h, "U0JANE", again))
    assert steps(engine, "sc7") == [
        ("draft", "under_review", "Sam Sparks", "slack"),
        ("under_review", "revise_and_resubmit", "Jane Doe", "slack"),
        ("revise_and_resubmit", "under_review", "Sam Sparks", "slack"),
        ("under_review", "approved", "Jane Doe", "slack"),
    ]


async def test_approve_as_noted_validates_amounts_in_the_ack(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, engine, tmp_path) as h:
        thread, review_dm = await sent_by_sam(h)
        await h.click("U0JANE", review_dm, NOTED)
        [modal] = slack_emulator.modals("review_noted")
        assert validate_view(modal) == []
        amounts = {
            b["block_id"]: b["element"]["initial_value"]
            for b in modal["blocks"]
            if b["block_id"].startswith("amt:")
        }
        assert amounts == {"amt:1": "3,750.00", "amt:2": "12,600.00"}
        assert "at most $33,600.00" in modal["blocks"][2]["label"]["text"]

        note = "two panels were set, not three"
        wrong = await h.submit("U0JANE", modal, {"amt:1": "lots", "amt:2": "$40,000", "note": note})
        assert wrong.json["response_action"] == "errors"
        errors = wrong.json["errors"]
        assert set(errors) == {"amt:1", "amt:2"}
        assert "is not an amount" in errors["amt:1"]
        assert "at most $33,600.00 remains" in errors["amt:2"]
        same = await h.submit("U0JANE", modal, {**amounts, "note": note})
        assert "No amount differs" in same.json["errors"]["amt:1"]
        assert invoice_of(engine, "sc7").status == "under_review"

        done = await h.submit("U0JANE", modal, {"amt:1": "3,750.00", "amt:2": "8400", "note": note})
        assert done.status == 200 and not done.json
        assert invoice_of(engine, "sc7").status == "approved_as_noted"
        told = in_thread(h, "U0SAM", thread["ts"])[-1]["text"]
        assert "Line 2 (Panels): you billed $12,600.00 this period; approved $8,400.00." in told
        updated = as_it_is_now(h, "U0JANE", review_dm)
        assert "Approved as noted by Jane Doe" in context_text(updated)
    assert steps(engine, "sc7")[-1][1:] == ("approved_as_noted", "Jane Doe", "slack")


async def test_someone_who_is_not_an_administrator_is_refused_and_nothing_changes(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, engine, tmp_path) as h:
        _, review_dm = await sent_by_sam(h)
        await h.click("U0OLIVE", review_dm, APPROVE)
        await h.click("U0OLIVE", review_dm, RETURN)
        assert slack_emulator.modals("review_return") == []
        told = [m["text"] for m in h.messages("U0OLIVE")]
        assert len(told) == 2 and all("Olive Stone is not one" in t for t in told), told
        assert all("Nothing was changed." in t for t in told)
        assert in_thread(h, "U0JANE", review_dm["ts"]) == []  # nothing posted in Jane's DM
        assert has_button(as_it_is_now(h, "U0JANE", review_dm), APPROVE)

        await h.click("U0NOBODY", review_dm, APPROVE)
        assert "I don't know you yet" in h.messages("U0NOBODY")[-1]["text"]
    assert invoice_of(engine, "sc7").status == "under_review"
    assert len(steps(engine, "sc7")) == 1


async def test_clicking_after_the_invoice_was_reviewed_by_email_says_its_status(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, engine, tmp_path) as h:
        _, review_dm = await sent_by_sam(h)
        jane = person(engine, "jane")
        assert jane.id is not None
        by_email = h.worker.reviews.review(
            invoice_id=invoice_of(engine, "sc7").id or 0,
            reviewer_id=jane.id,
            decision=Decision(ReviewKind.approve),
            channel="email",
        )
        assert by_email.outcome is not None
        await h.click("U0JANE", review_dm, RETURN)  # no modal: it is not under review
        assert slack_emulator.modals("review_return") == []
        assert not has_button(as_it_is_now(h, "U0JANE", review_dm), RETURN)
        await h.click("U0JANE", review_dm, APPROVE)  # a client showing the old message
        answers = [m["text"] for m in in_thread(h, "U0JANE", review_dm["ts"])]
        assert len(answers) == 2
        assert all("is approved (reviewed by Jane Doe)" in a for a in answers), answers
        assert all("Nothing was changed." in a for a in answers)
        updated = as_it_is_now(h, "U0JANE", review_dm)
        assert not has_button(updated, APPROVE)
        assert "Approved by Jane Doe on Nov 20, 2026 (email)" in context_text(updated)
    assert [s[3] for s in steps(engine, "sc7")] == ["slack", "email"]


async def returned_by_email_and_sent_again(
    h: Harness, reason: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Jane's first review DM, and her second once she returned line 2 by email (for
    `reason`) and Sam sent INV-0042 again."""
    thread, first = await sent_by_sam(h)
    return first, await return_line_2_and_send_again(h, thread, first, reason)


async def return_line_2_and_send_again(
    h: Harness, thread: dict[str, Any], first: dict[str, Any], reason: str
) -> dict[str, Any]:
    """Jane's second review DM, once she returned line 2 by email (for `reason`) and Sam
    sent it again as 2 EA ($8,400)."""
    jane = person(h.engine, "jane").id or 0
    returned = h.worker.reviews.review(
        invoice_id=invoice_of(h.engine, "sc7").id or 0,
        reviewer_id=jane,
        decision=Decision(ReviewKind.reject, reasons={"2": reason}),
        channel="email",
    )
    assert returned.outcome is not None
    await h.say("U0SAM", "2: 2 units\nsend", thread_ts=thread["ts"])
    second = h.messages("U0JANE")[-1]
    assert second["ts"] != first["ts"] and has_button(second, APPROVE)
    return second


async def test_the_buttons_of_an_earlier_sending_do_not_review_the_resubmission(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, engine, tmp_path) as h:
        first, second = await returned_by_email_and_sent_again(h, "count")

        await h.click("U0JANE", first, APPROVE)  # the first DM still showed its buttons
        [told] = in_thread(h, "U0JANE", first["ts"])
        assert "earlier sending of invoice INV-0042" in told["text"]
        assert invoice_of(engine, "sc7").status == "under_review"
        assert "Sent again since" in context_text(as_it_is_now(h, "U0JANE", first))
        assert has_button(as_it_is_now(h, "U0JANE", second), APPROVE)


def line_value(engine: Engine, commitment: str, number: str) -> Any:
    """This period's value of line `number` of the commitment's invoice, as stored."""
    statement = (
        select(InvoiceLine)
        .join(SovLine, col(SovLine.id) == InvoiceLine.sov_line_id)
        .where(
            InvoiceLine.invoice_id == invoice_of(engine, commitment).id, SovLine.number == number
        )
    )
    with Session(engine) as session:
        return session.exec(statement).one().new_value


async def test_an_approve_as_noted_modal_of_an_earlier_sending_does_not_approve_the_resubmission(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, engine, tmp_path) as h:
        thread, first = await sent_by_sam(h)
        await h.click("U0JANE", first, NOTED)  # opened on line 2 at $12,600, and left open
        [modal] = slack_emulator.modals("review_noted")
        second = await return_line_2_and_send_again(h, thread, first, "only 2 panels")
        assert line_value(engine, "sc7", "2") == 8400

        # Only line 1 changed: line 2 still shows the $12,600.00 of the first sending.
        values = {"amt:1": "3,000.00", "amt:2": "12,600.00", "note": "line 1 lower"}
        stale = await h.submit("U0JANE", modal, values)
        assert stale.json["response_action"] == "errors"
        [(block, error)] = stale.json["errors"].items()
        assert block == "amt:1" and "earlier sending of invoice INV-0042" in error, error
        assert "Nothing was changed." in error
        assert review_rows(engine) == []  # nothing queued for the inbox
        assert in_thread(h, "U0JANE", first["ts"]) == []
        assert "Sent again since" in context_text(as_it_is_now(h, "U0JANE", first))
        assert has_button(as_it_is_now(h, "U0JANE", second), NOTED)
    assert invoice_of(engine, "sc7").status == "under_review"
    assert line_value(engine, "sc7", "2") == 8400
    assert line_value(engine, "sc7", "1") == 3750


async def test_a_return_modal_of_an_earlier_sending_does_not_return_lines_of_the_resubmission(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, engine, tmp_path) as h:
        speaks_spanish(engine, "jane")
        thread, first = await sent_by_sam(h)
        await h.click("U0JANE", first, RETURN)
        [modal] = slack_emulator.modals("review_return")
        await return_line_2_and_send_again(h, thread, first, "cuenta")

        values = checked("2", "solo 2 paneles (de 3)")
        stale = await h.interact(view_submission(user="U0JANE", view=modal, values=values))
        assert stale.json["response_action"] == "errors"
        [(block, error)] = stale.json["errors"].items()
        assert block == "ret:1"  # the page's first input, in the modal's language
        assert error.startswith("Este mensaje corresponde a un envío anterior de la factura"), error
        assert review_rows(engine) == []
    assert invoice_of(engine, "sc7").status == "under_review"
    assert [s[1] for s in steps(engine, "sc7")] == [
        "under_review",
        "revise_and_resubmit",
        "under_review",
    ]


async def test_a_modal_acked_before_a_resubmission_changes_nothing_when_its_turn_runs_after(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, engine, tmp_path) as h:
        _thread, review_dm = await sent_by_sam(h)
        await h.click("U0JANE", review_dm, NOTED)
        [modal] = slack_emulator.modals("review_noted")
        settings = h.settings
    # The serving worker is gone; this one only acks (its inbox is not running).
    w = SlackWorker(engine, settings, clock=lambda: NOW, poll_seconds=0.2)
    values = {"amt:1": "3,000.00", "amt:2": "12,600.00", "note": "line 1 lower"}
    filled = {block: {"value": text} for block, text in values.items()}
    payload = view_submission(user="U0JANE", view=modal, values=filled)
    headers, body = signed_interaction(SECRET, payload)
    response = await w.app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
    await w.inbox.flush()
    assert response.status == 200 and not response.body  # still the sending under review
    [row] = review_rows(engine)
    assert row.status == "pending"

    # Before its turn runs, Jane returns line 2 by email and Sam sends 2 EA ($8,400).
    jane, sam = person(engine, "jane").id or 0, person(engine, "sam").id or 0
    invoice_id = invoice_of(engine, "sc7").id or 0
    reject = Decision(ReviewKind.reject, reasons={"2": "only 2 panels"})
    w.reviews.review(invoice_id=invoice_id, reviewer_id=jane, decision=reject, channel="email")
    service = ConversationService(engine, outbox=MemoryOutbox(), clock=lambda: NOW)
    commitment_id, period_id = ids(engine, "sc7")
    service.handle(
        person_id=sam,
        turn=Turn(text="2: 2 units\nsend", channel="slack"),
        commitment_id=commitment_id,
        period_id=period_id,
    )
    assert invoice_of(engine, "sc7").status == "under_review"
    assert line_value(engine, "sc7", "2") == 8400

    await w.run_once()
    assert [r.status for r in review_rows(engine)] == ["done"]
    [told] = in_thread(h, "U0JANE", review_dm["ts"])
    assert "earlier sending of invoice INV-0042" in told["text"], told["text"]
    assert "Sent again since" in context_text(as_it_is_now(h, "U0JANE", review_dm))
    assert invoice_of(engine, "sc7").status == "under_review"
    assert line_value(engine, "sc7", "2") == 8400
    assert line_value(engine, "sc7", "1") == 3750


async def sent_by_max(h: Harness) -> dict[str, Any]:
    """Max's SC-009 (120 lines) sent with 10% on every line; Jane's review DM."""
    max_ = person(h.engine, "max")
    assert max_.id is not None
    service = ConversationService(
        h.engine, outbox=MemoryOutbox(), clock=lambda: NOW, on_sent=h.worker.channel.turns.on_sent
    )
    key = ids(h.engine, "sc9")
    result = service.handle(
        person_id=max_.id,
        turn=Turn(text="MV-101\nall 10%\nsend", channel="slack"),
        commitment_id=key[0],
        period_id=key[1],
    )
    assert invoice_of(h.engine, "sc9").status == "under_review", result.replies[0].text
    await h.settle()
    review_dm = h.messages("U0JANE")[-1]
    assert "MV-101" in review_dm["text"] and has_button(review_dm, RETURN)
    assert all(validate_blocks(m["blocks"], surface="message") == [] for m in h.messages("U0JANE"))
    return review_dm


async def test_a_long_commitment_is_returned_from_a_pick_list_then_reasons(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, engine, tmp_path) as h:
        review_dm = await sent_by_max(h)
        await h.click("U0JANE", review_dm, RETURN)
        [pick] = slack_emulator.modals("review_return")
        assert validate_view(pick) == []
        [select_block] = [b for b in pick["blocks"] if b["type"] == "input"]
        groups = select_block["element"]["option_groups"]
        assert [len(g["options"]) for g in groups] == [100, 20]
        none = await h.interact(view_submission(user="U0JANE", view=pick, values={}))
        assert list(none.json["errors"]) == ["pick"]

        options = {o["value"]: o for g in groups for o in g["options"]}
        chosen = [options["7"], options["110"]]
        values = {"pick": {"lines": {"type": "multi_static_select", "selected_options": chosen}}}
        page = await h.interact(view_submission(user="U0JANE", view=pick, values=values))
        assert page.json["response_action"] == "update"
        reasons = page.json["view"]
        assert validate_view(reasons) == []
        assert inputs(reasons) == ["why:7", "why:110"]
        filled = {"why:7": {"value": "no delivery ticket"}, "why:110": {"value": ""}}
        done = await h.interact(view_submission(user="U0JANE", view=reasons, values=filled))
        assert done.status == 200 and not done.json
    assert invoice_of(engine, "sc9").status == "revise_and_resubmit"
    assert last_note(engine, "sc9") == "line 7: no delivery ticket; line 110: no reason given"


async def test_approve_as_noted_pages_through_a_long_commitment(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, engine, tmp_path) as h:
        review_dm = await sent_by_max(h)
        await h.click("U0JANE", review_dm, NOTED)
        [first] = slack_emulator.modals("review_noted")
        assert validate_view(first) == []
        assert len(inputs(first)) == 90 and "note" not in inputs(first)
        assert first["submit"]["text"] == "Next page"
        over = await h.submit("U0JANE", first, {"amt:5": "$9,500"})
        # line 5: $1,000 billed in October, so 10% to date is nothing this period
        assert "at most $9,000.00 remains" in over.json["errors"]["amt:5"]
        page = await h.submit("U0JANE", first, {"amt:5": "500"})
        second = page.json["view"]
        assert validate_view(second) == []
        assert inputs(second)[0] == "amt:91" and inputs(second)[-2:] == ["amt:120", "note"]
        done = await h.submit("U0JANE", second, {"amt:120": "0", "note": "per site walk"})
        assert done.status == 200 and not done.json
    assert invoice_of(engine, "sc9").status == "approved_as_noted"
    note = last_note(engine, "sc9")
    assert note == "line 5: $0.00 -> $500.00; line 120: $1,000.00 -> $0.00; per site walk"


async def test_app_home_shows_an_administrator_the_board_and_a_contact_their_billing(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, engine, tmp_path) as h:
        await sent_by_sam(h)
        await h.event(app_home_opened("U0JANE"))
        [home] = slack_emulator.views_published("U0JANE")
        assert validate_view(home) == []
        text = view_text(home)
        assert "Billing board" in text and "Your billing" not in text
        assert "Harbor Tower · November 2026" in text
        assert "2 commitments: 1 not started, 1 under review" in text
        sc7 = "*SC-007* Electrical — Sam Sparks: *under review* · INV-0042 · $14,715.00 due"
        assert sc7 in text
        # dates of rows written on the real clock (the invitation, inbound messages)
        invited = r"\$14,715\.00 due · invited \w{3} \d{1,2} \(slack\) · last activity \w{3} \d"
        assert re.search(invited, text), text
        assert "*SC-009* Low voltage — Max Volt: *not started* · not invited" in text

        commitment_id, jane = ids(engine, "sc9")[0], person(engine, "jane").id or 0
        with session_scope(engine) as session:  # Jane bills SC-009 too: she sees both
            session.add(CommitmentContact(commitment_id=commitment_id, person_id=jane))
        await h.event(app_home_opened("U0JANE"))
        both = view_text(slack_emulator.views_published("U0JANE")[-1])
        assert "Your billing" in both and "SC-009 Low voltage" in both and "Billing board" in both

        await h.event(app_home_opened("U0SAM"))
        sam = view_text(slack_emulator.views_published("U0SAM")[-1])
        assert "Your billing" in sam and "Billing board" not in sam
        assert "INV-0042* — SC-007 Electrical" in sam and "under review" in sam

        with session_scope(engine) as session:  # Sam writes Spanish: his Home is in Spanish
            sam_row = person(engine, "sam")
            sam_row.language = "es"
            session.add(sam_row)
        await h.event(app_home_opened("U0SAM"))
        sam = view_text(slack_emulator.views_published("U0SAM")[-1])
        assert "Su facturación" in sam and "Facturas enviadas" in sam and "en revisión" in sam
        assert "Your billing" not in sam and "under review" not in sam


def app_home_opened(user: str) -> dict[str, Any]:
    from tests.slack_emulator import app_home_opened_event

    return app_home_opened_event(user=user, channel=f"D{user}")


def view_text(view: dict[str, Any]) -> str:
    texts = []
    for block in view["blocks"]:
        if isinstance(block.get("text"), dict):
            texts.append(block["text"]["text"])
        texts += [e.get("text", "") for e in block.get("elements", []) if isinstance(e, dict)]
    return "\n".join(str(t) for t in texts)


def speaks_spanish(engine: Engine, key: str) -> None:
    with session_scope(engine) as session:
        row = person(engine, key)
        row.language = "es"
        session.add(row)


def button_texts(message: dict[str, Any]) -> list[str]:
    return [
        e["text"]["text"]
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]


async def test_a_spanish_administrator_reviews_in_spanish_and_the_contact_hears_english(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, engine, tmp_path) as h:
        speaks_spanish(engine, "jane")
        thread, review_dm = await sent_by_sam(h)
        assert review_dm["text"].startswith(
            "Sam Sparks envió la factura INV-0042 de SC-007 Electrical en Harbor Tower, "
            "November 2026: pago actual adeudado $14,715.00."
        ), review_dm["text"]
        assert "ahora está en revisión" in review_dm["text"]
        assert button_texts(review_dm) == [
            "Aprobar",
            "Aprobar con observación",
            "Devolver para revisión",
        ]
        assert "Pago actual adeudado" in str(review_dm["blocks"])
        assert validate_blocks(review_dm["blocks"], surface="message") == []

        await h.click("U0JANE", review_dm, RETURN)
        [returning] = slack_emulator.modals("review_return")
        assert validate_view(returning) == []  # titles within Slack's 24 characters
        assert returning["title"]["text"] == "Devolver para revisión"
        assert "2 · Panels — $12,600.00 este periodo" in returning["blocks"][3]["label"]["text"]
        nothing = await h.interact(view_submission(user="U0JANE", view=returning, values={}))
        assert nothing.json["errors"] == {
            "ret:1": "Marque al menos una línea para devolver (o cierre esto y use Aprobar)."
        }

        await h.click("U0JANE", review_dm, NOTED)
        [noted] = slack_emulator.modals("review_noted")
        assert validate_view(noted) == []
        assert (noted["title"]["text"], noted["submit"]["text"], noted["close"]["text"]) == (
            "Aprobar con observación",
            "Aprobar",
            "Cancelar",
        )
        assert "como máximo $33,600.00" in noted["blocks"][2]["label"]["text"]
        note = "se instalaron dos paneles, no tres"
        values = {"amt:1": "mucho", "amt:2": "$40,000", "note": note}
        wrong = await h.submit("U0JANE", noted, values)
        errors = wrong.json["errors"]
        assert errors["amt:1"] == "«mucho» no es un importe (p. ej. 4,000.00)."
        assert errors["amt:2"].startswith("Línea 2: $40,000.00 este periodo facturaría más")
        assert errors["amt:2"].endswith("quedan como máximo $33,600.00.")  # nothing more
        same = await h.submit("U0JANE", noted, {"amt:1": "3,750.00", "amt:2": "12,600.00"})
        assert same.json["errors"]["amt:1"].startswith("Ningún importe es distinto")

        done = await h.submit("U0JANE", noted, {"amt:1": "3,750.00", "amt:2": "8400", "note": note})
        assert done.status == 200 and not done.json
        [answer] = in_thread(h, "U0JANE", review_dm["ts"])
        assert answer["text"] == (
            "La factura INV-0042 (SC-007 Electrical) está aprobada con observaciones (línea 2: "
            "$12,600.00 -> $8,400.00). Importe certificado (pago actual adeudado): $10,935.00. "
            "Se avisó a Sam Sparks."
        ), answer["text"]
        updated = context_text(as_it_is_now(h, "U0JANE", review_dm))
        assert "Aprobada con observaciones por Jane Doe el Nov 20, 2026 (slack)." in updated
        assert "Importe certificado: $" in updated

        told = in_thread(h, "U0SAM", thread["ts"])[-1]["text"]
        assert "Line 2 (Panels): you billed $12,600.00 this period; approved $8,400.00." in told

        await h.event(app_home_opened("U0JANE"))
        home = view_text(slack_emulator.views_published("U0JANE")[-1])
        assert "Tablero de facturación" in home and "Billing board" not in home
        assert "2 contratos: 1 sin empezar, 1 aprobada con observaciones" in home
        assert "Sam Sparks: *aprobada con observaciones* · INV-0042" in home


async def test_a_spanish_administrator_is_told_in_spanish_that_a_dm_is_an_earlier_sending(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, engine, tmp_path) as h:
        speaks_spanish(engine, "jane")
        first, second = await returned_by_email_and_sent_again(h, "cuenta")
        assert "volvió a enviar la factura INV-0042" in second["text"], second["text"]
        changed = second["blocks"][1]["text"]["text"]
        assert "*Lo que cambió desde su revisión:*" in changed
        assert "Línea 2: $12,600.00 -&gt; $8,400.00 (devuelta: cuenta)" in changed

        await h.click("U0JANE", first, APPROVE)
        [told] = in_thread(h, "U0JANE", first["ts"])
        assert told["text"].startswith(
            "Este mensaje corresponde a un envío anterior de la factura INV-0042"
        )
        earlier = context_text(as_it_is_now(h, "U0JANE", first))
        assert "Se volvió a enviar desde entonces" in earlier


def review_rows(engine: Engine) -> list[SlackInbox]:
    with Session(engine) as session:
        statement = select(SlackInbox).where(col(SlackInbox.event_id).startswith("review:"))
        return list(session.exec(statement))


def run_again(engine: Engine) -> None:
    """The review rows back to pending: a worker that died before marking them done."""
    with session_scope(engine) as session:
        statement = select(SlackInbox).where(col(SlackInbox.event_id).startswith("review:"))
        for row in session.exec(statement):
            row.status = "pending"
            session.add(row)


async def test_approve_is_acked_then_runs_from_the_inbox_once_even_when_its_row_runs_again(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path, monkeypatch: Any
) -> None:
    async with running(slack_emulator, engine, tmp_path) as h:
        _thread, review_dm = await sent_by_sam(h)
        settings = h.settings
    # The serving worker is gone; this one only acks (its inbox is not running).
    w = SlackWorker(engine, settings, clock=lambda: NOW, poll_seconds=0.2)
    block, element = button(review_dm, APPROVE)
    pressed = button_action(element["action_id"], element["value"], block_id=block["block_id"])
    payload = block_actions(
        user="U0JANE", actions=[pressed], channel=review_dm["channel"], message=review_dm
    )
    headers, body = signed_interaction(SECRET, payload)
    response = await w.app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
    await w.inbox.flush()
    assert response.status == 200
    [row] = review_rows(engine)
    assert (row.slack_user_id, row.status) == ("U0JANE", "pending")
    assert invoice_of(engine, "sc7").status == "under_review"
    assert in_thread(h, "U0JANE", review_dm["ts"]) == []

    await w.run_once()
    assert [r.status for r in review_rows(engine)] == ["done"]
    assert invoice_of(engine, "sc7").status == "approved"
    [answer] = in_thread(h, "U0JANE", review_dm["ts"])
    assert "Invoice INV-0042 (SC-007 Electrical) is approved" in answer["text"]

    # Run twice: found recorded before the review is tried ...
    run_again(engine)
    await SlackWorker(engine, settings, clock=lambda: NOW, poll_seconds=0.2).run_once()
    # ... or, when both runs got past that check, by the review's own transaction.
    run_again(engine)
    late = SlackWorker(engine, settings, clock=lambda: NOW, poll_seconds=0.2)
    checked_first: list[str] = []

    gate = turns_module.Turns._gate

    def not_seen_at_first(turns: Any, external_id: str, *args: Any) -> turns_module.Gate:
        checked_first.append(external_id)
        return dataclasses.replace(gate(turns, external_id, *args), seen=False)

    monkeypatch.setattr(turns_module.Turns, "_gate", not_seen_at_first)
    await late.run_once()
    assert checked_first == ["review:U0JANE:" + pressed["action_ts"] + ":" + APPROVE]
    assert [r.status for r in review_rows(engine)] == ["done"]
    assert in_thread(h, "U0JANE", review_dm["ts"]) == [answer]  # no "already reviewed"
    assert steps(engine, "sc7")[-1] == ("under_review", "approved", "Jane Doe", "slack")
    assert [s for s in steps(engine, "sc7") if s[1] == "approved"] == [
        ("under_review", "approved", "Jane Doe", "slack")
    ]
    assert h.pending_or_failed() == []


# --- A decision typed in the review DM's thread -------------------------------------------------
async def test_a_decision_typed_in_the_review_dms_thread_is_read_as_an_email_reply_is(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, engine, tmp_path) as h:
        thread, review_dm = await sent_by_sam(h)
        await h.say("U0JANE", "thanks", thread_ts=review_dm["ts"])  # says nothing
        assert in_thread(h, "U0JANE", review_dm["ts"]) == []

        await h.say("U0JANE", "reject 2: need photos\nconduit too", thread_ts=review_dm["ts"])
        [unclear] = in_thread(h, "U0JANE", review_dm["ts"])  # the conduit is line 1
        assert "I couldn't tell what you decided, so nothing was changed." in unclear["text"]
        assert "reject 3: only 18 fixtures installed" in unclear["text"]
        assert "Or use the buttons of the message above." in unclear["text"]
        assert invoice_of(engine, "sc7").status == "under_review"

        await h.say("U0JANE", "reject 2: need photos\nPlease send the signed lien waiver too",
                    thread_ts=review_dm["ts"])  # fmt: skip
        assert invoice_of(engine, "sc7").status == "under_review"  # `too`: which line?
        await h.say("U0JANE", "reject 2: need photos\nAlso send the signed lien waiver",
                    thread_ts=review_dm["ts"])  # fmt: skip
        answer = in_thread(h, "U0JANE", review_dm["ts"])[-1]["text"]
        assert "Returned invoice INV-0042 (SC-007 Electrical) for revision (line 2: need " in answer
        assert invoice_of(engine, "sc7").status == "revise_and_resubmit"
        updated = as_it_is_now(h, "U0JANE", review_dm)
        assert not has_button(updated, APPROVE)
        told = in_thread(h, "U0SAM", thread["ts"])[-1]["text"]
        assert "- Line 2 (Panels): need photos" in told
        assert "Note from Jane Doe: Also send the signed lien waiver" in told

        await h.say("U0JANE", "approved", thread_ts=review_dm["ts"])  # reviewed already
        again = in_thread(h, "U0JANE", review_dm["ts"])[-1]["text"]
        assert "is returned for revision (reviewed by Jane Doe)" in again, again
        assert "Nothing was changed." in again
        assert h.pending_or_failed() == []
    assert steps(engine, "sc7")[-1] == ("under_review", "revise_and_resubmit", "Jane Doe", "slack")


async def test_an_administrator_who_bills_too_is_routed_by_the_thread_they_write_in(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, engine, tmp_path) as h:
        thread, review_dm = await sent_by_sam(h)
        sc9, _ = ids(engine, "sc9")
        jane = person(engine, "jane").id
        assert jane is not None
        with session_scope(engine) as session:  # Jane bills SC-009 too
            session.add(CommitmentContact(commitment_id=sc9, person_id=jane))
        invite(h, "jane", "sc9")
        await h.settle()
        invite_dm = h.messages("U0JANE")[-1]
        assert invite_dm["ts"] != review_dm["ts"]
        await h.click("U0JANE", invite_dm, "start")
        await h.say("U0JANE", "MV-101", thread_ts=invite_dm["ts"])  # her own billing
        assert "MV-101" in in_thread(h, "U0JANE", invite_dm["ts"])[-1]["text"]
        assert invoice_of(engine, "sc7").status == "under_review"

        await h.say("U0JANE", "Approved, thanks!", thread_ts=review_dm["ts"])
        [answer] = in_thread(h, "U0JANE", review_dm["ts"])
        assert "Invoice INV-0042 (SC-007 Electrical) is approved" in answer["text"]
        assert invoice_of(engine, "sc7").status == "approved"
        assert "Approved by Jane Doe" in context_text(as_it_is_now(h, "U0JANE", review_dm))
        told = in_thread(h, "U0SAM", thread["ts"])[-1]["text"]
        assert "Jane Doe approved invoice INV-0042 for SC-007 Electrical." in told
        assert h.pending_or_failed() == []
    assert steps(engine, "sc7")[-1] == ("under_review", "approved", "Jane Doe", "slack")


async def test_a_decision_typed_under_a_dm_decided_by_its_buttons_says_it_was_reviewed(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, engine, tmp_path) as h:
        _, review_dm = await sent_by_sam(h)
        await h.click("U0JANE", review_dm, APPROVE)
        assert not has_button(as_it_is_now(h, "U0JANE", review_dm), APPROVE)
        await h.say("U0JANE", "reject 2: need photos", thread_ts=review_dm["ts"])
        answer = in_thread(h, "U0JANE", review_dm["ts"])[-1]["text"]
        assert "is approved (reviewed by Jane Doe)" in answer and "Nothing was changed." in answer
        assert invoice_of(engine, "sc7").status == "approved"


def test_a_decision_of_the_inbox_keeps_its_amounts_in_units_and_bare_numbers() -> None:
    from bot.slack.review import _decision_data, _load_decision
    from models.review import Quantity

    decision = Decision(
        ReviewKind.approve_as_noted,
        note="n",
        adjustments={"1": Decimal("240")},
        quantities={"2": Quantity(Decimal("2"), "EA")},
        bare=frozenset({"1"}),
    )
    assert _load_decision(json.loads(json.dumps(_decision_data(decision)))) == decision
