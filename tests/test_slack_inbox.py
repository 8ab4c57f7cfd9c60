"""Slack DM messages and clicks are acknowledged first and stored in the `slack_inbox` table
right after; their turns run from there: once per event id, in order, even after the worker
that stored them died."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.request.async_request import AsyncBoltRequest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from bot.slack import inbox as inbox_module
from bot.slack.worker import SlackWorker
from models.importer import import_text
from models.inbox import SlackInbox
from models.outbox import InboundMessage
from tests.slack_emulator import SlackEmulator, event_callback, message_event, signed_event
from tests.test_slack_support import NOW, SECRET, data, eventually, settings_for
from tests.test_turn_cost import counted

pytestmark = pytest.mark.servers


def site(slack: SlackEmulator, engine: Engine) -> None:
    import_text(engine, text=json.dumps(data()))
    slack.add_user("U0SAM", "sam@acme.test", "Sam Sparks")
    slack.add_user("U0MAX", "max@acme.test", "Max Volt")
    slack.add_user("U0NOBODY", "nobody@elsewhere.test", "No Body")


def worker(slack: SlackEmulator, engine: Engine, tmp_path: Path) -> SlackWorker:
    settings = settings_for(slack, engine, tmp_path)
    return SlackWorker(engine, settings, clock=lambda: NOW, poll_seconds=0.2)


async def say(w: SlackWorker, slack: SlackEmulator, user: str, text: str, event_id: str) -> int:
    """Post a DM message event to `w`'s bolt app (no HTTP server needed) and wait for the
    inbox's writer to store it; the ack's status."""
    event = message_event(user=user, text=text, channel=slack.dm_channel(user))
    headers, body = signed_event(SECRET, event_callback(event, event_id=event_id))
    response = await w.app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
    await w.inbox.flush()
    return response.status


@contextlib.asynccontextmanager
async def serving(w: SlackWorker) -> AsyncIterator[None]:
    """`w.run_forever` while the block runs."""
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(w.run_forever(stop, ready=ready))
    try:
        await asyncio.wait_for(ready.wait(), timeout=10)
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)


def rows(engine: Engine) -> list[SlackInbox]:
    with Session(engine) as session:
        return list(session.exec(select(SlackInbox).order_by(col(SlackInbox.id))))


def processed(engine: Engine) -> list[str]:
    """The inbound ids in the order their turns were recorded."""
    with Session(engine) as session:
        statement = select(InboundMessage.external_id).order_by(col(InboundMessage.id))
        return list(session.exec(statement))


async def test_a_message_is_acked_then_stored_and_its_turn_runs_afterwards(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    site(slack_emulator, engine)
    w = worker(slack_emulator, engine, tmp_path)
    assert await say(w, slack_emulator, "U0SAM", "INV-0042", "Ev0ONE") == 200
    [row] = rows(engine)
    assert (row.event_id, row.slack_user_id, row.status, row.attempts) == (
        "Ev0ONE",
        "U0SAM",
        "pending",
        0,
    )
    assert json.loads(row.payload)["text"] == "INV-0042"
    assert processed(engine) == [] and slack_emulator.messages_to("U0SAM") == []

    await w.run_once()
    assert [r.status for r in rows(engine)] == ["done"]
    assert processed(engine) == ["Ev0ONE"]
    [reply] = slack_emulator.messages_to("U0SAM")
    assert "INV-0042" in reply["text"]


async def test_a_duplicate_event_id_is_stored_and_processed_once(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    site(slack_emulator, engine)
    w = worker(slack_emulator, engine, tmp_path)
    statuses = await asyncio.gather(
        *(say(w, slack_emulator, "U0SAM", "INV-0042", "Ev0DUP") for _ in range(3))
    )
    assert statuses == [200, 200, 200]
    assert len(rows(engine)) == 1
    await w.run_once()
    assert await say(w, slack_emulator, "U0SAM", "INV-0042", "Ev0DUP") == 200  # after its turn
    await w.run_once()
    assert [r.status for r in rows(engine)] == ["done"]
    assert processed(engine) == ["Ev0DUP"]
    assert len(slack_emulator.messages_to("U0SAM")) == 1


async def test_rows_left_by_a_worker_that_died_after_the_ack_are_processed_by_the_next(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    site(slack_emulator, engine)
    dead = worker(slack_emulator, engine, tmp_path)
    for n, user in enumerate(["U0SAM", "U0MAX", "U0NOBODY"]):
        assert await say(dead, slack_emulator, user, "INV-0042", f"Ev0LEFT{n}") == 200
    assert [r.status for r in rows(engine)] == ["pending"] * 3
    del dead  # acked, never processed

    await worker(slack_emulator, engine, tmp_path).run_once()
    assert [r.status for r in rows(engine)] == ["done"] * 3
    # The stranger is not a person. (Two people's turns may run at once on PostgreSQL, so
    # the order between Sam's and Max's is not the rows'.)
    assert sorted(processed(engine)) == ["Ev0LEFT0", "Ev0LEFT1"]
    assert "INV-0042" in slack_emulator.messages_to("U0SAM")[0]["text"]
    assert slack_emulator.messages_to("U0MAX")
    [refusal] = slack_emulator.messages_to("U0NOBODY")
    assert "don't know you" in refusal["text"]


async def test_a_restarted_worker_processes_the_pending_rows_on_start(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    site(slack_emulator, engine)
    assert (
        await say(
            worker(slack_emulator, engine, tmp_path), slack_emulator, "U0SAM", "INV-0042", "Ev0A"
        )
        == 200
    )
    fresh = worker(slack_emulator, engine, tmp_path)
    fresh.poll_seconds = 60  # only the pass on start can do it
    async with serving(fresh):
        assert await eventually(lambda: [r.status for r in rows(engine)] == ["done"])
    assert processed(engine) == ["Ev0A"]


async def test_a_burst_from_one_person_is_processed_in_arrival_order(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    site(slack_emulator, engine)
    w = worker(slack_emulator, engine, tmp_path)
    texts = ["INV-0042", "1: 20%", "2: 5 units", "review", "hello", "3: 10%", "help", "review"]
    events = [f"Ev0B{n:02d}" for n in range(len(texts))]
    # Sent one after the other, each while the turns of the earlier ones may be running.
    drains = []
    for text, event_id in zip(texts, events, strict=True):
        assert await say(w, slack_emulator, "U0SAM", text, event_id) == 200
        drains.append(asyncio.ensure_future(w.inbox.drain()))
        await asyncio.sleep(0)
    # And a concurrent burst: whatever order the requests arrive in, the turns follow it.
    burst = [f"Ev0C{n:02d}" for n in range(10)]
    await asyncio.gather(*(say(w, slack_emulator, "U0MAX", "hello", e) for e in burst))
    await asyncio.gather(*drains)
    await w.run_once()
    assert [r.status for r in rows(engine)] == ["done"] * (len(events) + len(burst))
    sam = [r.event_id for r in rows(engine) if r.slack_user_id == "U0SAM"]
    assert sam == events
    # Each person's turns follow their rows; two people's may interleave (on PostgreSQL
    # several users' turns run at once).
    for user in ("U0SAM", "U0MAX"):
        stored = [r.event_id for r in rows(engine) if r.slack_user_id == user]
        assert [e for e in processed(engine) if e in stored] == stored
    assert sorted(processed(engine)) == sorted(r.event_id for r in rows(engine))


async def test_a_failing_turn_is_retried_then_given_up_without_blocking_others(
    slack_emulator: SlackEmulator,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site(slack_emulator, engine)
    w = worker(slack_emulator, engine, tmp_path)
    real = w.inbox.process

    async def flaky(event_id: str, event: dict[str, Any]) -> None:
        if event_id == "Ev0BAD":
            raise RuntimeError("boom")
        await real(event_id, event)

    monkeypatch.setattr(w.inbox, "process", flaky)
    await say(w, slack_emulator, "U0SAM", "INV-0042", "Ev0BAD")
    await say(w, slack_emulator, "U0SAM", "INV-0043", "Ev0LATER")  # waits behind Ev0BAD
    await say(w, slack_emulator, "U0MAX", "hello", "Ev0OTHER")  # does not
    await w.run_once()
    assert [(r.event_id, r.status, r.attempts) for r in rows(engine)] == [
        ("Ev0BAD", "pending", 1),
        ("Ev0LATER", "pending", 0),
        ("Ev0OTHER", "done", 0),
    ]
    for _ in range(inbox_module.MAX_ATTEMPTS - 1):
        await w.run_once()
    [bad, later, other] = rows(engine)
    assert (bad.status, bad.attempts) == ("failed", inbox_module.MAX_ATTEMPTS)
    assert bad.last_error and "boom" in bad.last_error
    assert (later.status, other.status) == ("done", "done")
    assert processed(engine) == ["Ev0OTHER", "Ev0LATER"]


async def test_more_pending_rows_than_a_pass_reads_are_all_run_without_waiting_for_the_timer(
    slack_emulator: SlackEmulator,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site(slack_emulator, engine)
    monkeypatch.setattr(inbox_module, "BATCH", 2)
    stored = worker(slack_emulator, engine, tmp_path)
    for n in range(5):
        user = ["U0SAM", "U0MAX", "U0NOBODY"][n % 3]
        assert await say(stored, slack_emulator, user, "hello", f"Ev0MANY{n}") == 200
    fresh = worker(slack_emulator, engine, tmp_path)
    fresh.poll_seconds = 60  # only the pass on start, then the passes its turns ask for
    async with serving(fresh):
        assert await eventually(lambda: [r.status for r in rows(engine)] == ["done"] * 5)


# Several workers share one database on PostgreSQL only.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_workers_share_the_inbox_each_persons_rows_run_once_and_in_order(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    assert engine.dialect.name == "postgresql"
    site(slack_emulator, engine)
    first, second = (
        worker(slack_emulator, engine, tmp_path),
        worker(slack_emulator, engine, tmp_path),
    )
    said = [
        ("U0SAM", "INV-0042"),
        ("U0MAX", "hello"),
        ("U0SAM", "1: 20%"),
        ("U0MAX", "help"),
        ("U0SAM", "2: 5 units"),
        ("U0SAM", "review"),
    ]
    for n, (user, text) in enumerate(said):  # each worker stores every other event
        assert await say([first, second][n % 2], slack_emulator, user, text, f"Ev0W{n}") == 200
    await asyncio.gather(first.inbox.drain(), second.inbox.drain())
    await asyncio.gather(first.run_once(), second.run_once())
    await asyncio.gather(first.inbox.close(), second.inbox.close())
    assert [r.status for r in rows(engine)] == ["done"] * len(said)
    ran = processed(engine)
    assert sorted(ran) == sorted(f"Ev0W{n}" for n in range(len(said)))  # each once
    for user in ("U0SAM", "U0MAX"):
        stored = [r.event_id for r in rows(engine) if r.slack_user_id == user]
        assert [e for e in ran if e in stored] == stored


async def test_a_turn_from_the_inbox_reads_the_sender_once(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    """One gate per turn: whether the event ran, who sent it and the thread's invoice are
    read once, and the person goes with the turn to the service, which does not read it
    again."""
    site(slack_emulator, engine)
    w = worker(slack_emulator, engine, tmp_path)
    assert await say(w, slack_emulator, "U0SAM", "INV-0042", "Ev0GATE1") == 200
    await w.run_once()
    assert await say(w, slack_emulator, "U0SAM", "1: 20%", "Ev0GATE2") == 200
    with counted(engine) as statements:
        assert await w.inbox.drain() == 1
    people = [s for s in statements if re.search(r"\bFROM person\b", s)]
    seen = [s for s in statements if re.search(r"\bFROM inbound_message\b", s)]
    assert (len(people), len(seen)) == (1, 1), "\n\n".join(people + seen)
    assert processed(engine) == ["Ev0GATE1", "Ev0GATE2"]


@pytest.mark.parametrize("write_seconds", [0.0, 1.0])
async def test_a_worker_stopping_while_the_database_is_down_does_not_hang_and_names_lost_events(
    sqlite_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    write_seconds: float,
) -> None:
    """Whether the stop finds the event back in the queue (its write failed at once) or in a
    write still running (a database that hangs, or a busy machine): it is named."""

    async def process(_user: str, _event: dict[str, Any]) -> None:
        raise AssertionError("nothing was stored, so nothing runs")

    def down(*_args: Any) -> None:
        time.sleep(write_seconds)
        raise OperationalError("INSERT", {}, Exception("database is down"))

    monkeypatch.setattr(inbox_module, "CLOSE_SECONDS", 0.3)
    inbox = inbox_module.Inbox(sqlite_engine, process)
    monkeypatch.setattr(inbox, "_write", down)
    inbox.add("Ev0DOWN1", "U0SAM", {"type": "message", "text": "1: 50%"})
    await asyncio.sleep(0.05)
    with caplog.at_level(logging.ERROR, logger="bot.slack.inbox"):
        await asyncio.wait_for(inbox.close(), timeout=5)
    assert "Ev0DOWN1" in caplog.text
