"""The `Fill in all lines` modal and the DM after a fourth round of exploratory testing: the
thread always asks what a typed answer will answer, nothing typed in the form is dropped or
billed without a word, a locked invoice opens no form, a form sent twice counts once, and
`approve` at the top of an administrator's DM says where to decide."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.slack.form_note import runs
from bot.slack.interactions import CONFIRM_LATER
from bot.slack.modal import AMOUNT_TOO, RETAINAGE_FIELD, load_rows
from models.tables import InvoiceStatus
from tests.slack_emulator import SlackEmulator
from tests.test_slack_flow import invoice_of
from tests.test_slack_review import sent_by_sam
from tests.test_slack_support import Harness, has_button, ids, invite, running

pytestmark = pytest.mark.servers


def answers(engine: Engine, commitment: str) -> dict[str, str]:
    """The modal's prefilled answer of each answered line: what the conversation holds."""
    key = ids(engine, commitment)
    with Session(engine) as session:
        rows = load_rows(session, commitment_id=key[0], period_id=key[1])
    return {row.number: row.initial for row in rows if row.initial}


async def sams_form(h: Harness) -> dict[str, Any]:
    """Sam at line 1 of INV-1 (top of his DM), with the form open."""
    await h.say("U0SAM", "hi")
    await h.say("U0SAM", "INV-1")
    await h.click("U0SAM", h.messages("U0SAM")[-1], "fill_lines")
    return h.slack.modals("fill_lines")[-1]


async def test_a_saved_page_of_the_form_says_what_it_kept_and_asks_the_next_line(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        invite(h, "max", "sc9")
        await h.settle()
        [dm] = h.messages("U0MAX")
        await h.click("U0MAX", dm, "start")
        await h.say("U0MAX", "MV-101", thread_ts=dm["ts"])
        assert "Line 1 (Item 1)" in h.messages("U0MAX")[-1]["text"]
        await h.click("U0MAX", h.messages("U0MAX")[-1], "fill_lines")
        page = slack_emulator.modals("fill_lines")[-1]
        fields = [b["block_id"] for b in page["blocks"] if b["block_id"].startswith("line:")]
        ack = await h.submit("U0MAX", page, dict.fromkeys(fields, "20%"))
        assert ack.json is not None and ack.json["response_action"] == "update"

        # The modal is closed on page 2: the thread's last question is line 41's, and a
        # typed answer goes to the line it asks.
        note = h.messages("U0MAX")[-1]
        assert note.get("thread_ts") == dm["ts"]
        assert note["text"].startswith("Saved lines 1–40 from the form.")
        assert "Line 41 (Item 41)" in note["text"] and has_button(note, "answer:41:skip")
        await h.say("U0MAX", "50%", thread_ts=dm["ts"])
        assert "line 41 (Item 41): $5,000.00 this period" in h.messages("U0MAX")[-1]["text"]


async def test_a_page_with_errors_still_says_what_it_kept_and_what_it_asks(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        view = await sams_form(h)
        ack = await h.submit("U0SAM", view, {"line:1": "50%", "line:2": "lots"})
        assert ack.json is not None and set(ack.json["errors"]) == {"line:2"}
        note = h.messages("U0SAM")[-1]["text"]
        assert note.startswith("Saved line 1 from the form.") and "Line 2 (Panels)" in note
    assert answers(sqlite_engine, "sc7") == {"1": "300 LF"}


def test_saved_lines_are_named_as_ranges_in_the_order_of_the_sov() -> None:
    order = [str(n) for n in range(1, 11)] + ["10a"]
    assert runs(["3", "1", "2", "5", "7", "8", "10a"], order) == "1–3, 5, 7–8, 10a"


async def test_retainage_released_alone_asks_for_the_lines_amount_too(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        view = await sams_form(h)
        ack = await h.submit("U0SAM", view, {"ret:1": "all", "line:2": "3"})
        assert ack.json == {"response_action": "errors", "errors": {"line:1": AMOUNT_TOO}}
        assert answers(sqlite_engine, "sc7") == {"2": "3 EA"}  # line 1 still to answer
        assert "Line 1 (Conduit)" in h.messages("U0SAM")[-1]["text"]

        ack = await h.submit("U0SAM", view, {"ret:1": "all", "line:1": "50%", "line:2": "3"})
        assert ack.json is None
    assert answers(sqlite_engine, "sc7") == {"1": "300 LF", "2": "3 EA"}
    key = ids(sqlite_engine, "sc7")
    with Session(sqlite_engine) as session:
        rows = load_rows(session, commitment_id=key[0], period_id=key[1])
    assert [row.initial_released for row in rows] == ["$375.00", ""]  # the release is kept


@pytest.mark.parametrize("typed", ["50%", "half", "done", "skip", "lots"])
async def test_a_retainage_field_that_holds_no_amount_is_refused_on_that_field(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path, typed: str
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        view = await sams_form(h)
        ack = await h.submit("U0SAM", view, {"line:1": "300 LF", "ret:1": typed, "line:2": "3"})
        assert ack.json == {"response_action": "errors", "errors": {"ret:1": RETAINAGE_FIELD}}
    assert answers(sqlite_engine, "sc7") == {"2": "3 EA"}


async def test_an_ambiguous_retainage_amount_is_asked_on_the_retainage_field(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        view = await sams_form(h)
        ack = await h.submit("U0SAM", view, {"line:1": "300 LF", "ret:1": "$100.005"})
        assert ack.json is not None
        assert list(ack.json["errors"]) == ["ret:1"]
        assert ack.json["errors"]["ret:1"].startswith("Is 100.005 $100.01 or $100,005.00?")


@pytest.mark.parametrize(("first", "second"), [("20%", "lots"), ("-2", "-2")])
async def test_a_line_to_confirm_is_flagged_when_another_field_has_an_error(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path, first: str, second: str
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        view = await sams_form(h)
        ack = await h.submit("U0SAM", view, {"line:1": first, "line:2": second})
        assert ack.json is not None
        errors = ack.json["errors"]
        assert set(errors) == {"line:1", "line:2"}
        assert "Please confirm." in errors["line:1"] and errors["line:1"].endswith(CONFIRM_LATER)
        # The thread asks it too, should the form be closed now.
        last = h.messages("U0SAM")[-1]
        assert "Please confirm:" in last["text"] and has_button(last, "yes")


async def test_fill_in_for_an_invoice_under_review_opens_no_form_and_says_it_is_locked(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        thread, _review = await sent_by_sam(h)
        invite_dm = next(m for m in h.messages("U0SAM") if m["ts"] == thread["ts"])
        old = next(m for m in h.messages("U0SAM") if has_button(m, "fill_lines"))
        await h.click("U0SAM", old, "fill_lines")
        assert slack_emulator.modals("fill_lines") == []
        told = h.messages("U0SAM")[-1]
        assert "INV-0042" in told["text"] and "under review" in told["text"]
        assert told.get("thread_ts") == invite_dm["ts"]


async def test_the_same_form_submitted_twice_counts_once(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        await h.say("U0SAM", "hi")
        await h.say("U0SAM", "INV-1\n1: 50%\n2: 3\nnone")
        await h.click("U0SAM", h.messages("U0SAM")[-1], "fill_lines")
        view = slack_emulator.modals("fill_lines")[-1]
        before = len(h.messages("U0SAM"))
        for _ in range(2):  # a double click on Save
            assert (await h.submit("U0SAM", view, {"line:1": "+10%", "line:2": "4"})).json is None
        posted = h.messages("U0SAM")[before:]
        assert len(posted) == 1 and "Please check invoice INV-1" in posted[0]["text"]
    assert answers(sqlite_engine, "sc7") == {"1": "120 LF", "2": "4 EA"}


async def test_approve_typed_at_the_top_of_the_administrators_dm_says_where_to_decide(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        await sent_by_sam(h)
        for typed in ("approve", "approve INV-0042"):
            await h.say("U0JANE", typed)
            told = h.messages("U0JANE")[-1]
            assert told.get("thread_ts") is None
            assert told["text"].startswith(
                "INV-0042 (SC-007 Electrical) is waiting for your review. Nothing was changed"
            )
            assert "no open billing periods" not in told["text"]
        await h.say("U0JANE", "hello")  # not a decision: answered as before
        assert "no open billing periods" in h.messages("U0JANE")[-1]["text"]
    invoice = invoice_of(sqlite_engine, "sc7")
    assert invoice is not None and invoice.status == InvoiceStatus.under_review
