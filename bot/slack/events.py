"""Events API listeners: DM messages (text and files), `file_shared`, `app_home_opened`.

A DM message (text, or files shared with it) is queued for the Slack inbox and acked (see
`inbox.Inbox`); its turn runs from there, after the files are downloaded. One in the thread
of a review DM is the administrator's decision, not a conversation turn (routed by the
thread: an administrator may be a contact of another invoice too); one typed at the top of
the DM is answered with the invoices waiting for review and where to decide. An edited DM
message changes nothing: its sender is told so. Publishing Home
runs after the ack too. Each event id (and each file id) is recorded with its turn, so a
redelivery is ignored.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from conversations.answers import shortened
from conversations.types import Turn
from models.i18n import words
from models.tables import Person

from .channel import SlackChannel
from .errors import SlackCallError, slack_call
from .home import home_view
from .outbox import SlackOutbox
from .people import UNKNOWN_TEXT, resolve_person
from .review_pointer import waiting_reviews_text
from .text import inbound as inbound_text
from .turns import Gate, inbound

log = logging.getLogger(__name__)
# A thread reply also sent to the DM ("Also send to direct message") is a message like another.
HANDLED_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})
CHANGES = frozenset({"message_changed", "message_deleted"})


class Events:
    def __init__(self, channel: SlackChannel) -> None:
        self.ch = channel
        channel.handles("message", self.from_inbox)

    def register(self, app: AsyncApp) -> None:
        app.event("message")(self.on_message)
        app.event("file_shared")(self.on_file_shared)
        app.event("app_home_opened")(self.on_home)

    async def on_message(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("subtype") in CHANGES:
            self._edited(event, body)
            return
        if (
            event.get("bot_id")
            or event.get("subtype") not in HANDLED_SUBTYPES
            or event.get("channel_type") != "im"
            or not event.get("user")
        ):
            return  # our own posts, edits, deletions, other channels
        event_id = str(body.get("event_id") or f"ts:{event.get('ts')}")
        self.ch.inbox.add(event_id, str(event["user"]), event)  # all before the ack

    def _edited(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        """A contact edited or deleted a DM message: they may believe the invoice changed
        too. Each message is read once, when it arrives (an edit may also be a `+10%` or a
        `send`), so they are told the edit or the deletion changed nothing; not for our own
        posts, nor for a change that leaves the text as it was (a link preview)."""
        deleted = event.get("subtype") == "message_deleted"
        before = event.get("previous_message") or {}
        message = before if deleted else event.get("message") or {}
        user, text = message.get("user"), message.get("text") or ""
        if (
            event.get("channel_type") != "im"
            or message.get("bot_id")
            or not user
            or (deleted and not text)
            or (not deleted and text == (before.get("text") or ""))
        ):
            return
        event_id = str(body.get("event_id") or f"edit:{message.get('ts')}:{event.get('ts')}")
        edit = {
            "type": "message",
            "subtype": event.get("subtype"),
            "user": str(user),
            "channel": event.get("channel"),
            "thread_ts": message.get("thread_ts"),
            "text": text,
        }
        self.ch.inbox.add(event_id, str(user), edit)

    async def from_inbox(self, event_id: str, event: dict[str, Any]) -> None:
        """The turn of a DM message stored in the inbox (a no-op if it ran already): one
        read for whether it ran, who sent it and which invoice its thread is about."""
        channel, thread = event.get("channel"), event.get("thread_ts")
        gate = await self.ch.turns.gate(event_id, str(event["user"]), thread_ts=thread)
        if gate.seen:
            return
        if event.get("subtype") in CHANGES:
            await self._tell_edit_changed_nothing(event, event_id, gate)
            return
        files = [f["id"] for f in event.get("files") or [] if f.get("id")]
        if files:
            await self._message(event, event_id, gate, files)
            return
        person = gate.person or await self.ch.person(
            event["user"], channel=channel, thread_ts=thread
        )
        if person is not None:
            await self._turn(person, event, event_id, [], [], gate)

    async def _tell_edit_changed_nothing(
        self, event: dict[str, Any], event_id: str, gate: Gate
    ) -> None:
        channel, thread = event.get("channel"), event.get("thread_ts")
        person = gate.person or await self.ch.person(
            event["user"], channel=channel, thread_ts=thread
        )
        if person is None:
            return
        _ = words(person.language)
        text = shortened(inbound_text(event.get("text") or ""), 80)
        if event.get("subtype") == "message_deleted":
            said = _(
                "You deleted a message: “{text}”. I read each message once, when it arrives, "
                "so deleting it changed nothing: what it said is kept. To change an answer, "
                "send the correction as a new message (e.g. `1: 60%`).",
                text=text,
            )
        else:
            said = _(
                "You edited a message: “{text}”. I read each message once, when it arrives, "
                "so the edit changed nothing. To change an answer, send the correction as a "
                "new message (e.g. `1: 60%`).",
                text=text,
            )
        ids = inbound(event_id, sender=event["user"])
        await self.ch.tell(person, said, channel=channel, thread_ts=thread, inbound=ids)

    async def _message(
        self, event: dict[str, Any], event_id: str, gate: Gate | None, files: list[str]
    ) -> None:
        channel, thread = event.get("channel"), event.get("thread_ts")
        person = (gate.person if gate else None) or await self.ch.person(
            event["user"], channel=channel, thread_ts=thread
        )
        if person is None:
            return
        files = await self._claim_files(files)
        try:
            refs, problems = await self.ch.download(files)
            if problems:
                said = "\n".join(problem(words(person.language)) for problem in problems)
                await self.ch.tell(person, said, channel=channel, thread_ts=thread)
            await self._turn(person, event, event_id, files, refs, gate)
        finally:
            self.ch.files_in_progress.difference_update(files)

    async def _claim_files(self, files: list[str]) -> list[str]:
        seen = await self.ch.turns.seen_ids([f"file:{f}" for f in files])
        fresh = [f for f in files if f"file:{f}" not in seen and f not in self.ch.files_in_progress]
        self.ch.files_in_progress.update(fresh)
        return fresh

    async def _turn(
        self,
        person: Person,
        event: dict[str, Any],
        event_id: str,
        files: list[str],
        refs: list[Any],
        gate: Gate | None,
    ) -> None:
        """The turn, for `person`; `gate` (when it found them) already knows the thread's
        invoice."""
        assert person.id is not None
        channel, thread = event.get("channel"), event.get("thread_ts")
        text = inbound_text(event.get("text") or "")
        ids = inbound(event_id, *(f"file:{f}" for f in files), sender=event["user"])
        if not text.strip() and not refs:
            if ids:
                await self.ch.tell_nothing(ids)
            return
        if gate is not None and gate.person is not None:
            key = gate.key
        else:  # found by email just now
            key = await self.ch.turns.thread_key(person_id=person.id, thread_ts=thread)
        in_other_thread = key is None and bool(thread) and not refs
        if in_other_thread and await self.ch.turns.review_thread(person, event, ids):
            return  # typed under a review DM: the administrator's decision
        if key is None and not thread and not refs:  # `approve` at the top of the DM
            pointer = await asyncio.to_thread(waiting_reviews_text, self.ch.engine, person, text)
            if pointer is not None:
                await self.ch.tell(person, pointer, channel=channel, thread_ts=None, inbound=ids)
                return
        outbox = SlackOutbox(channel=channel, thread_ts=thread, inbound=ids)
        turn = Turn(text=text, attachments=tuple(refs), channel="slack")
        await self.ch.turns.run(person, turn, key, outbox)

    async def on_file_shared(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        if str(event.get("channel_id", "")).startswith("D") and event.get("file_id"):
            self.ch.spawn(self._file_shared(event, str(body.get("event_id") or "")))

    async def _file_shared(self, event: dict[str, Any], event_id: str) -> None:
        # The `message` event carrying the same file usually comes too; let it go first.
        await asyncio.sleep(self.ch.file_shared_delay)
        file_id, user = str(event["file_id"]), str(event.get("user_id") or "")
        if not user or await self.ch.turns.seen([event_id, f"file:{file_id}"]):
            return
        fake = {"user": user, "channel": event.get("channel_id"), "text": ""}
        self.ch.spawn(self._message(fake, event_id or f"file-event:{file_id}", None, [file_id]))

    async def on_home(self, event: dict[str, Any]) -> None:
        if event.get("tab") == "home" and event.get("user"):
            self.ch.spawn(self.publish_home(str(event["user"])))

    async def publish_home(self, user_id: str) -> None:
        person = await resolve_person(self.ch.engine, self.ch.client, user_id)
        if person is None or person.id is None:
            view = {
                "type": "home",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": UNKNOWN_TEXT}}],
            }
        else:
            candidates = self.ch.turns.conversations.candidates
            options = await asyncio.to_thread(candidates, person_id=person.id)
            sent = await asyncio.to_thread(self.ch.sent_invoices, person.id)
            boards, contact = await asyncio.to_thread(self.ch.boards, person.id)
            _ = words(person.language)
            view = home_view(person.name, options, sent, boards, contact=contact, _=_)
        try:
            with slack_call("views.publish"):
                await self.ch.client.views_publish(user_id=user_id, view=view)
        except SlackCallError as exc:
            log.warning("slack: App Home of %s not published: %s", user_id, exc)


__all__ = ["Events"]
