"""Slack gets its ack before any database write that can wait: a click or a message is
acknowledged while another connection holds SQLite's write lock, and its turn still runs,
in order, once the lock is free."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.conversation import Conversation
from models.inbox import SlackInbox
from tests.slack_emulator import (
    SlackEmulator,
    apost_to_app,
    event_callback,
    message_event,
    signed_event,
    signed_interaction,
)
from tests.test_slack_support import SECRET, click_payload, invite, running

pytestmark = pytest.mark.servers
DEADLOCK_GUARD = 20.0  # seconds; far above any ack, below SQLite's 30 s busy timeout


def conversations(engine: Engine) -> list[Conversation]:
    with Session(engine) as session:
        return list(session.exec(select(Conversation)))


async def test_a_click_and_a_message_are_acked_while_the_write_lock_is_held_then_run_in_order(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        invite(h, "sam", "sc7")
        await h.settle()
        [dm] = h.messages("U0SAM")
        click = signed_interaction(SECRET, click_payload("U0SAM", dm, "start"))
        event = message_event(
            user="U0SAM", text="INV-0042", channel=dm["channel"], thread_ts=dm["ts"]
        )
        said = signed_event(SECRET, event_callback(event))

        holder = sqlite3.connect(str(sqlite_engine.url.database), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # what a long turn or another process would hold
        try:
            clicked = await asyncio.wait_for(apost_to_app(h.url, *click), DEADLOCK_GUARD)
            answered = await asyncio.wait_for(apost_to_app(h.url, *said), DEADLOCK_GUARD)
            assert (clicked.status, answered.status) == (200, 200)
            assert h.messages("U0SAM") == [dm]  # acked, not run yet
        finally:
            holder.rollback()
            holder.close()

        await h.settle()
        [first, second] = [m for m in h.messages("U0SAM") if m.get("thread_ts") == dm["ts"]]
        assert "invoice number" in first["text"]  # the click's turn, then the message's
        assert "INV-0042" in second["text"]
        assert len(conversations(sqlite_engine)) == 1


async def test_a_click_runs_once_even_when_its_row_is_run_again(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        invite(h, "sam", "sc7")
        await h.settle()
        [dm] = h.messages("U0SAM")
        assert (await h.click("U0SAM", dm, "start")).status == 200
        [asked] = [m for m in h.messages("U0SAM") if m.get("thread_ts") == dm["ts"]]
        assert "invoice number" in asked["text"]

        # As if the worker had died after the turn, before the row was marked done.
        with Session(sqlite_engine) as session:
            [row] = session.exec(select(SlackInbox)).all()
        assert (row.status, row.event_id.startswith("click:U0SAM:")) == ("done", True)
        await h.worker.inbox.process(row.event_id, row.event())
        await h.settle()
        assert [m for m in h.messages("U0SAM") if m.get("thread_ts") == dm["ts"]] == [asked]
