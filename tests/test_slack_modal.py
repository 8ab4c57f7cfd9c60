"""The `Fill in all lines` modal against the money: a prefilled field reads back to the same
answer and an untouched one is not sent again, approved lines stay locked, an emptied field
keeps its answer, the modal speaks the contact's language; and the lines table fits Slack's
limits whatever the descriptions."""

from __future__ import annotations

import gettext
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

import tests.test_slack_support as support
from bot.slack.blocks import code_sections, render_reply, text_sections
from bot.slack.modal import (
    UNKNOWN,
    Meta,
    load_rows,
    page_view,
    submitted_values,
    unknown_person_errors,
)
from bot.slack.notify import RETURN
from bot.slack.text import inbound
from conversations.service import ConversationService, MemoryOutbox
from conversations.types import Turn
from models.i18n import Words, words
from models.importer import import_text
from tests.slack_emulator import SlackEmulator, validate_blocks, validate_view
from tests.test_slack_flow import invoice_lines, invoice_of, line_value
from tests.test_slack_review import checked, sent_by_sam
from tests.test_slack_support import NOW, ids, person, running

MESSY = "T&M <M&E> & P&ID "  # every character Slack needs escaped, and more
MANY = 150
DATA = support.data  # the demo data, before a test swaps it


def panels_at_42000() -> dict[str, Any]:
    """SC-007 with line 2 at 8 EA of $42,000: $10,000 is 0.238095... EA."""
    data = DATA()
    data["commitments"][0]["lines"][1]["unit_price"] = "42000"
    return data


def messy_lines(count: int, description: str) -> dict[str, Any]:
    """SC-007 with `count` unit lines described `description`, and no earlier invoice."""
    data = DATA()
    commitment = data["commitments"][0]
    commitment["lines"] = [
        {
            "number": str(n),
            "description": f"{description}{n}",
            "uom": "LF",
            "quantity": "100",
            "unit_price": "10",
        }
        for n in range(1, count + 1)
    ]
    data["invoices"] = [i for i in data["invoices"] if i["commitment"] != "sc7"]
    return data


def inputs(view: dict[str, Any]) -> dict[str, str]:
    """The view's fields with their prefilled text: what a contact who types nothing sends."""
    return {
        b["block_id"]: b["element"].get("initial_value", "")
        for b in view["blocks"]
        if b["type"] == "input"
    }


def field(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    [block] = [b for b in view["blocks"] if b.get("block_id") == block_id]
    return block


def submitted(view: dict[str, Any], values: dict[str, str]) -> dict[str, str]:
    """`submitted_values` of `view` (as Slack sends it back: its blocks and their state)."""
    state = {
        block: {"value": {"type": "plain_text_input", "value": v}} for block, v in values.items()
    }
    return submitted_values({**view, "state": {"values": state}})


@pytest.mark.servers
async def test_a_prefilled_dollar_amount_that_is_not_whole_units_saves_unchanged(
    slack_emulator: SlackEmulator,
    sqlite_engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(support, "data", panels_at_42000)
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        await h.say("U0SAM", "hi")
        await h.say("U0SAM", "INV-1\n2: $10,000")
        await h.click("U0SAM", h.messages("U0SAM")[-1], "fill_lines")
        view = slack_emulator.modals("fill_lines")[-1]
        values = inputs(view)
        assert values["line:2"] == "$10,000.00"  # not 0.238095 EA, which is $9,999.99
        values["line:1"] = "50%"
        assert (await h.submit("U0SAM", view, values)).json is None
        await h.say("U0SAM", "none")
        await h.say("U0SAM", "send")
    invoice = invoice_of(sqlite_engine, "sc7")
    assert invoice is not None and invoice.status == "under_review"
    with Session(sqlite_engine) as session:
        assert line_value(session, invoice, "2") == 10000
        assert line_value(session, invoice, "1") == 3750  # 50% of 1,200 LF, less 300 before


def test_whole_units_are_prefilled_as_units_and_other_quantities_as_dollars(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(support, "data", panels_at_42000)
    import_text(sqlite_engine, text=json.dumps(support.data()))
    sam = person(sqlite_engine, "sam").id
    assert sam is not None
    key = ids(sqlite_engine, "sc7")
    service = ConversationService(sqlite_engine, outbox=MemoryOutbox(), clock=lambda: NOW)
    service.start(person_id=sam, commitment_id=key[0], period_id=key[1], channel="slack")
    values = {"1": "30 LF", "2": "$10,000"}
    service.handle(
        person_id=sam,
        turn=Turn(text="INV-1", line_values=values, channel="slack"),
        commitment_id=key[0],
        period_id=key[1],
    )
    with Session(sqlite_engine) as session:
        rows = load_rows(session, commitment_id=key[0], period_id=key[1])
    assert [row.initial for row in rows] == ["30 LF", "$10,000.00"]


def test_a_field_left_as_prefilled_is_not_sent_again() -> None:
    rows_view = {
        "blocks": [
            {"type": "input", "block_id": "line:1", "element": {"initial_value": "300 LF"}},
            {"type": "input", "block_id": "ret:1", "element": {"initial_value": "$40.00"}},
            {"type": "input", "block_id": "line:2", "element": {"initial_value": "0.238095 EA"}},
            {"type": "input", "block_id": "line:3", "element": {}},
        ]
    }
    untouched = {"line:1": "300 LF", "ret:1": "$40.00", "line:2": "0.238095 EA", "line:3": ""}
    assert submitted(rows_view, untouched) == {}
    # an answer typed goes with the retainage as shown (`skip` alone would clear it)
    assert submitted(rows_view, {**untouched, "line:1": "skip", "line:3": "5%"}) == {
        "1": "skip and retainage $40.00",
        "3": "5%",
    }
    # a retainage typed goes alone: the line's own answer stays as it is
    assert submitted(rows_view, {**untouched, "ret:1": "all"}) == {"1": "retainage all"}


@pytest.mark.servers
async def test_lines_described_with_ampersands_reach_the_contact_and_the_administrator(
    slack_emulator: SlackEmulator,
    sqlite_engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(support, "data", lambda: messy_lines(60, "T&M / M&E & P&ID "))
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        await h.say("U0SAM", "hi")
        for text in ["INV-1", "all 50%", "none", "send"]:
            await h.say("U0SAM", text)
        assert [(m.kind, m.last_error) for m in h.pending_or_failed()] == []
        assert "Sent INV-1" in h.messages("U0SAM")[-1]["text"]
        assert h.messages("U0JANE"), "the administrator's review DM"
        for message in h.messages("U0SAM") + h.messages("U0JANE"):
            assert validate_blocks(message["blocks"], surface="message") == []


def test_a_review_of_150_lines_with_long_messy_descriptions_fits_slacks_limits(
    sqlite_engine: Engine,
) -> None:
    import_text(sqlite_engine, text=json.dumps(messy_lines(MANY, MESSY * 20)))
    sam = person(sqlite_engine, "sam").id
    assert sam is not None
    key = ids(sqlite_engine, "sc7")
    service = ConversationService(sqlite_engine, outbox=MemoryOutbox(), clock=lambda: NOW)
    service.start(person_id=sam, commitment_id=key[0], period_id=key[1], channel="slack")
    result = service.handle(
        person_id=sam,
        turn=Turn(
            text="INV-1",
            line_values={str(n): "+10%" for n in range(1, MANY + 1)},
            channel="slack",
        ),
        commitment_id=key[0],
        period_id=key[1],
    )
    messages = [m for reply in result.replies for m in render_reply(reply, key)]
    assert len(messages) >= 1
    for message in messages:
        assert validate_blocks(message.blocks, surface="message") == []
        assert len(message.blocks) <= 50
    tables = [b["text"]["text"] for m in messages for b in m.blocks if _is_table(b)]
    rows = [row for table in tables for row in table.split("\n") if "T&amp;M &lt;" in row]
    assert len(rows) == MANY  # every line once, escaped

    with Session(sqlite_engine) as session:
        form = load_rows(session, commitment_id=key[0], period_id=key[1])
    page = 0
    while True:
        view = page_view(form, Meta(key[0], key[1], page))
        assert validate_view(view) == []
        if view["submit"]["text"] == "Save":
            break
        page += 1
    assert page == 3  # 150 lines, 40 to a page


def _is_table(block: dict[str, Any]) -> bool:
    return str((block.get("text") or {}).get("text", "")).startswith("```")


def test_code_and_text_sections_are_measured_as_posted() -> None:
    rows = [f"{n:>3}  T&M / M&E & P&ID  $1,000.00  500.00  50.00  $50.00" for n in range(60)]
    sections = code_sections(rows, head=["  #  A&B", "-" * 9])
    texts = [b["text"]["text"] for b in sections]
    assert len(texts) > 1 and all(len(t) <= 2900 for t in texts)
    assert all(t.startswith("```\n  #  A&amp;B\n") for t in texts)
    assert sum(t.count("T&amp;M") for t in texts) == 60

    long_row = code_sections(["&" * 5000])
    assert all(len(b["text"]["text"]) <= 3000 for b in long_row)

    text = ("&<>" * 400 + "\n") * 10 + "x" * 7000
    pieces = [b["text"]["text"] for b in text_sections(text)]
    assert all(len(p) <= 3000 for p in pieces)
    assert "".join(inbound(p) for p in pieces) == text.replace("\n", "")  # no `&amp;` cut


@pytest.mark.servers
async def test_approved_lines_are_shown_locked_after_a_return_and_not_checked(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        thread, dm = await sent_by_sam(h)
        await h.click("U0JANE", dm, RETURN)
        await h.submit("U0JANE", slack_emulator.modals("review_return")[-1], checked("2", "no"))
        await h.click("U0SAM", h.messages("U0SAM")[-1], "fill_lines")
        view = slack_emulator.modals("fill_lines")[-1]
        assert validate_view(view) == []
        values = inputs(view)
        assert list(values) == ["line:2"]  # line 1 was approved: no field, no retainage
        locked = field(view, "locked:1")["elements"][0]["text"]
        assert "approved and locked at $3,750.00" in locked
        values["line:2"] = "2 EA"
        assert (await h.submit("U0SAM", view, values)).json is None
        await h.say("U0SAM", "send", thread_ts=thread["ts"])
    invoice = invoice_of(sqlite_engine, "sc7")
    assert invoice is not None
    with Session(sqlite_engine) as session:
        assert line_value(session, invoice, "2") == 8400
        assert line_value(session, invoice, "1") == 3750


@pytest.mark.servers
async def test_an_emptied_field_keeps_its_answer_and_the_form_says_so(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        await h.say("U0SAM", "hi")
        await h.say("U0SAM", "INV-1\n1: 50%\n2: 3")
        await h.click("U0SAM", h.messages("U0SAM")[-1], "fill_lines")
        view = slack_emulator.modals("fill_lines")[-1]
        hint = view["blocks"][0]["elements"][0]["text"]
        assert "keeps it when you leave it as it is or empty it" in hint
        placeholder = field(view, "line:2")["element"]["placeholder"]["text"]
        assert placeholder == "Left empty, it stays 3 EA"
        await h.submit("U0SAM", view, {"line:1": "400 LF", "line:2": ""})
        review = h.messages("U0SAM")[-1]["text"]
    assert "Please check invoice INV-1" in review
    assert invoice_lines(sqlite_engine) == 2
    key = ids(sqlite_engine, "sc7")
    with Session(sqlite_engine) as session:
        rows = load_rows(session, commitment_id=key[0], period_id=key[1])
    assert [row.initial for row in rows] == ["400 LF", "3 EA"]


class Marked(gettext.NullTranslations):
    """A catalog that marks every sentence it translates."""

    def gettext(self, message: str) -> str:
        return f"«{message}»"


def test_every_word_of_the_form_goes_through_the_catalog(
    sqlite_engine: Engine,
) -> None:
    import_text(sqlite_engine, text=json.dumps(support.data()))
    key = ids(sqlite_engine, "sc7")
    with Session(sqlite_engine) as session:
        rows = load_rows(session, commitment_id=key[0], period_id=key[1])
    view = page_view(rows, Meta(key[0], key[1], 0), Words("es", Marked()))
    fields = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["label"]["text"] for b in fields] == [
        "«1 · Conduit — 900 LF of 1,200 LF left»",
        "«1 · retainage released (held $375.00)»",
        "«2 · Panels — 8 EA of 8 EA left»",
    ]
    assert all(b["element"]["placeholder"]["text"].startswith("«") for b in fields)
    assert Meta.load(view["private_metadata"]).language == "es"
    assert unknown_person_errors(view) == {"line:1": words("es")(UNKNOWN)}

    spanish = page_view(rows, Meta(key[0], key[1], 0), words("es"))
    english = page_view(rows, Meta(key[0], key[1], 0))
    assert next(b["label"]["text"] for b in english["blocks"] if b["type"] == "input") == (
        "1 · Conduit — 900 LF of 1,200 LF left"
    )
    assert spanish["title"]["text"] != english["title"]["text"]
