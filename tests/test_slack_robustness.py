"""The Slack channel under Slack's conditions: signatures, redeliveries, rate limits,
strangers, App Home, files and Socket Mode."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.slack.errors import DownloadError
from bot.slack.files import fetch_file
from bot.slack.sender import SlackSender
from bot.slack.worker import SlackWorker, make_client
from models.conversation import Conversation
from models.db import session_scope
from models.outbox import InboundMessage, OutboundMessage
from models.tables import Attachment, Person
from tests.slack_emulator import (
    SlackEmulator,
    apost_to_app,
    app_home_opened_event,
    event_callback,
    file_shared_event,
    message_changed_event,
    message_deleted_event,
    message_event,
    signed_event,
    signed_headers,
    url_verification,
)
from tests.test_slack_support import (
    NOW,
    SECRET,
    eventually,
    has_button,
    invite,
    running,
    settings_for,
)

pytestmark = pytest.mark.servers


async def test_forged_signature_is_refused_and_changes_nothing(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        event = message_event(user="U0SAM", text="INV-0042", channel=h.slack.dm_channel("U0SAM"))
        body = signed_event(SECRET, event_callback(event)).body
        forged = signed_headers("not-the-secret", body, content_type="application/json")
        answer = await apost_to_app(h.url, forged, body)
        await h.settle()
        assert answer.status == 401
        assert h.messages("U0SAM") == []
        with Session(sqlite_engine) as session:
            assert session.exec(select(Conversation)).all() == []


async def test_a_redelivered_event_is_processed_once(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        event = message_event(user="U0SAM", text="INV-0042", channel=h.slack.dm_channel("U0SAM"))
        first = await h.event(event, event_id="Ev0DUPLICATE")
        again = await h.event(event, event_id="Ev0DUPLICATE", retry_num=1)
        assert (first.status, again.status) == (200, 200)
        [reply] = h.messages("U0SAM")
        assert "INV-0042" in reply["text"]
        with Session(sqlite_engine) as session:
            [seen] = session.exec(select(InboundMessage)).all()
        assert (seen.channel, seen.external_id) == ("slack", "Ev0DUPLICATE")


@pytest.mark.parametrize("status", [429, 500])
async def test_rate_limit_and_server_error_are_retried(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path, status: int
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        h.slack.fail_next("chat.postMessage", status=status, retry_after=1)
        await h.say("U0SAM", "INV-0042")
        [reply] = h.messages("U0SAM")
        assert "INV-0042" in reply["text"]
        assert len(h.slack.calls_to("chat.postMessage")) == 2
        assert h.pending_or_failed() == []


async def test_someone_who_is_not_a_contact_is_told_so_and_nothing_changes(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        invite(h, "sam", "sc7")
        await h.settle()
        [invitation] = h.messages("U0SAM")
        # Olive is a known person but no contact of SC-007: she presses a forwarded button.
        forwarded = {**invitation, "channel": h.slack.dm_channel("U0OLIVE")}
        await h.click("U0OLIVE", forwarded, "start")
        [refusal] = h.messages("U0OLIVE")
        assert "not an invoice contact for SC-007" in refusal["text"]
        # Nobody is not a person at all: told once a day, whatever they write.
        await h.say("U0NOBODY", "INV-0042")
        await h.say("U0NOBODY", "send")
        [unknown] = h.messages("U0NOBODY")
        assert "don't know you" in unknown["text"]
        with Session(sqlite_engine) as session:
            assert session.exec(select(Conversation)).all() == []


async def test_own_messages_are_ignored_and_an_edit_is_told_it_changed_nothing(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    """A contact who edits `1: 50%` into `1: 60%` must not believe the invoice changed: each
    message is read once (an edit may be a `+10%` or a `send`), and they are told so, once;
    a change that leaves the text alone (a link preview) and our own posts say nothing."""
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        dm = h.slack.dm_channel("U0SAM")
        own = message_event(user="U0BILLBOT", text="hello", channel=dm) | {"bot_id": "B0BILLBOT"}
        assert (await h.event(own)).status == 200
        original = message_event(user="U0SAM", text="INV-1", channel=dm)
        unfurled = message_changed_event(original, "INV-1")
        assert (await h.event(unfurled)).status == 200
        assert h.messages("U0SAM") == []
        edit = message_changed_event(original, "INV-2")
        for attempt in (None, 1):  # and Slack's redelivery of the same event
            assert (await h.event(edit, event_id="Ev0EDIT", retry_num=attempt)).status == 200
        [told] = h.messages("U0SAM")
        assert "edited" in told["text"] and "INV-2" in told["text"], told["text"]
        assert "changed nothing" in told["text"], told["text"]
        with Session(sqlite_engine) as session:
            assert session.exec(select(Conversation)).all() == []


async def test_a_deleted_message_is_told_it_changed_nothing_once(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    """A contact who deletes `INV-1` must not believe the invoice forgot it."""
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        dm = h.slack.dm_channel("U0SAM")
        original = message_event(user="U0SAM", text="INV-1", channel=dm)
        deleted = message_deleted_event(original)
        for attempt in (None, 1):  # and Slack's redelivery of the same event
            assert (await h.event(deleted, event_id="Ev0DEL", retry_num=attempt)).status == 200
        [told] = h.messages("U0SAM")
        assert "deleted" in told["text"] and "INV-1" in told["text"], told["text"]
        assert "changed nothing" in told["text"], told["text"]
        own = message_event(user="U0BILLBOT", text="hi", channel=dm) | {"bot_id": "B0BILLBOT"}
        await h.event(message_deleted_event(own) | {"previous_message": own})
        assert len(h.messages("U0SAM")) == 1  # our own post deleted: nothing said


async def test_a_thread_reply_also_sent_to_the_dm_is_read(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    """`Also send to direct message` makes a `thread_broadcast`: an answer like another."""
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        await h.say("U0SAM", "hi")
        first = h.messages("U0SAM")[-1]
        before = len(h.messages("U0SAM"))
        dm = h.slack.dm_channel("U0SAM")
        event = message_event(user="U0SAM", text="INV-0042", channel=dm, thread_ts=first["ts"])
        assert (await h.event(event | {"subtype": "thread_broadcast"})).status == 200
        answers = h.messages("U0SAM")[before:]
        assert answers and any("INV-0042" in m["text"] for m in answers), answers


async def test_a_button_on_a_top_level_prompt_answers_at_the_top_level(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    """A conversation carried on at the top of the DM stays there: a click on one of its
    prompts must not hide the next question in a new thread under that prompt."""
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        await h.say("U0SAM", "hi")
        await h.say("U0SAM", "INV-1")
        prompt = h.messages("U0SAM")[-1]
        assert not prompt.get("thread_ts")
        before = len(h.messages("U0SAM"))
        await h.click("U0SAM", prompt, "answer:1:skip")
        answers = h.messages("U0SAM")[before:]
        assert answers and all(not m.get("thread_ts") for m in answers), answers


async def test_app_home_lists_open_periods_with_start_buttons(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        dm = h.slack.dm_channel("U0SAM")
        await h.event(app_home_opened_event(user="U0SAM", channel=dm))
        [home] = h.slack.views_published("U0SAM")
        [open_period] = [b for b in home["blocks"] if b.get("accessory")]
        assert "SC-007 Electrical" in open_period["text"]["text"]
        assert has_button({"blocks": [open_period]}, "start")
        assert "SC-009" not in str(home["blocks"])  # not Sam's commitment

        # Start from Home: the conversation's replies go to Sam's DM.
        await h.click_home("U0SAM", home, "start")
        assert "invoice number" in h.messages("U0SAM")[-1]["text"]

        await h.event(app_home_opened_event(user="U0NOBODY", channel="D0NOBODY"))
        [stranger] = h.slack.views_published("U0NOBODY")
        assert "don't know you" in stranger["blocks"][0]["text"]["text"]


async def test_a_file_shared_event_becomes_an_attachment_once(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        await h.say("U0SAM", "INV-0042")
        file_id = h.slack.add_file("U0SAM", "photo.png", "image/png", b"\x89PNG\r\n\x1a\n...")
        dm = h.slack.dm_channel("U0SAM")
        shared = file_shared_event(file_id=file_id, user="U0SAM", channel=dm)
        await h.event(shared)
        await h.event(shared)  # another event id, the same file
        await eventually(lambda: "photo.png" in h.messages("U0SAM")[-1]["text"])
        await h.settle()
        assert "attached photo.png" in h.messages("U0SAM")[-1]["text"]
        with Session(sqlite_engine) as session:
            [attachment] = session.exec(select(Attachment)).all()
        assert attachment.content_type == "image/png"


async def test_a_refused_file_is_explained_in_the_contacts_language(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        with session_scope(sqlite_engine) as session:  # Sam writes Spanish
            session.exec(select(Person).where(Person.key == "sam")).one().language = "es"
        await h.say("U0SAM", "INV-0042")
        file_id = h.slack.add_file("U0SAM", "setup.exe", "application/octet-stream", b"MZ\x90")
        dm = h.slack.dm_channel("U0SAM")
        await h.event(file_shared_event(file_id=file_id, user="U0SAM", channel=dm))
        await eventually(lambda: "setup.exe" in h.messages("U0SAM")[-1]["text"])
        said = h.messages("U0SAM")[-1]["text"]
        assert "setup.exe parece un programa" in said, said
        with Session(sqlite_engine) as session:
            assert session.exec(select(Attachment)).all() == []


async def test_download_refuses_a_sign_in_page_and_a_file_too_large(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    slack_emulator.add_user("U0SAM", "sam@acme.test", "Sam Sparks")
    file_id = slack_emulator.add_file("U0SAM", "g703.pdf", "application/pdf", b"%PDF-1.7 xx")
    client = make_client(settings_for(slack_emulator, sqlite_engine, tmp_path))
    with pytest.raises(DownloadError, match="sign-in page"):
        await fetch_file(client, file_id, token="xoxb-wrong", max_bytes=1000)
    with pytest.raises(DownloadError, match="limit is 5 bytes"):
        await fetch_file(client, file_id, token=slack_emulator.bot_token, max_bytes=5)
    info, data = await fetch_file(client, file_id, token=slack_emulator.bot_token, max_bytes=1000)
    assert (info["name"], data) == ("g703.pdf", b"%PDF-1.7 xx")


async def test_socket_mode_takes_events_without_a_public_url(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        settings = settings_for(slack_emulator, sqlite_engine, tmp_path)
        settings.slack.app_token = SecretStr(slack_emulator.app_token)
        worker = SlackWorker(sqlite_engine, settings, clock=lambda: NOW, poll_seconds=0.1)
        stop, ready = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(worker.run_forever(stop, ready=ready))
        await asyncio.wait_for(ready.wait(), timeout=10)
        try:
            event = message_event(
                user="U0SAM", text="INV-0042", channel=h.slack.dm_channel("U0SAM")
            )
            ack = await slack_emulator.asocket_send("events_api", event_callback(event))
            assert "envelope_id" in ack
            replies = await eventually(lambda: h.messages("U0SAM"))
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=10)
        assert "INV-0042" in replies[0]["text"]


async def test_url_verification_is_answered(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        answer = await apost_to_app(h.url, *signed_event(SECRET, url_verification("xyz")))
        assert answer.status == 200 and "xyz" in answer.text


async def test_an_invite_to_someone_not_on_slack_is_given_up_at_once(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        with session_scope(sqlite_engine) as session:
            max_ = session.exec(select(Person).where(Person.key == "max")).one()
            max_.email = "ghost@acme.test"
        invite(h, "max", "sc9")
        await h.settle()
        [row] = h.pending_or_failed()
        assert (row.status, row.attempts) == ("failed", 1)
        assert row.last_error and "users_not_found" in row.last_error
        assert h.slack.calls_to("chat.postMessage") == []


async def test_a_slack_row_that_raises_is_retried_and_never_blocks_the_others(
    slack_emulator: SlackEmulator,
    sqlite_engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for user, email in [("U0SAM", "sam@acme.test"), ("U0MAX", "max@acme.test")]:
        slack_emulator.add_user(user, email, user)
    with session_scope(sqlite_engine) as session:
        for n, user in enumerate(["U0SAM", "U0SAM", "U0MAX"]):
            session.add(
                OutboundMessage(
                    channel="slack",
                    recipient=user,
                    body_text=f"message {n}",
                    payload=json.dumps({"user": user, "text": f"message {n}"}),
                    message_id=f"<raise-{n}@billbot>",
                )
            )
    settings = settings_for(slack_emulator, sqlite_engine, tmp_path)
    sender = SlackSender(sqlite_engine, make_client(settings))
    deliver = sender._deliver

    async def flaky(row: OutboundMessage) -> dict[str, Any]:
        if row.body_text == "message 0":
            raise KeyError("channel")  # a bug that only this row meets
        return await deliver(row)

    monkeypatch.setattr(sender, "_deliver", flaky)

    assert await sender.run_once() == 1  # Max's message goes; Sam's second waits for his first
    with Session(sqlite_engine) as session:
        rows = {r.body_text: r for r in session.exec(select(OutboundMessage))}
    assert [m["text"] for m in slack_emulator.messages_to("U0MAX")] == ["message 2"]
    assert (rows["message 0"].status, rows["message 0"].attempts) == ("pending", 1)
    assert rows["message 0"].last_error == "KeyError: 'channel'"
    assert rows["message 1"].status == "pending" and rows["message 1"].attempts == 0
