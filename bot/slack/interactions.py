"""Interactivity listeners: conversation buttons, `Fill in all lines` and its modal.

Buttons are a database turn before the ack. `views.open` runs right after the ack (a
trigger id lives 3 seconds). A modal page's answers go to the engine before the ack, since
Slack wants `response_action` (errors, or the next page) in the ack itself.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from sqlmodel import Session

from conversations.gather import is_contact
from conversations.types import ReplyKind, Turn
from models.i18n import words

from .blocks import FILL_LINES, TURN, read_value
from .channel import SlackChannel
from .home import START
from .modal import (
    CALLBACK,
    LineRow,
    Meta,
    field_errors,
    is_last_page,
    load_rows,
    page_view,
    submitted_values,
)
from .outbox import SlackOutbox
from .turns import Key

log = logging.getLogger(__name__)


class Interactions:
    def __init__(self, channel: SlackChannel) -> None:
        self.ch = channel

    def register(self, app: AsyncApp) -> None:
        app.action(re.compile(rf"^({TURN}:\d+|{START})$"))(self.on_button)
        app.action(FILL_LINES)(self.on_fill_lines)
        app.view(CALLBACK)(self.on_submit)

    async def on_button(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        verb, key = read_value(str(action.get("value") or ""))
        if not verb:
            return
        user = body["user"]["id"]
        channel, thread = _where(body)
        person = await self.ch.known(user)
        if person is None or person.id is None:
            self.ch.spawn(self._resolve_then_press(user, verb, key, channel, thread))
            return
        await self._press(person.id, verb, key, channel, thread)

    async def _resolve_then_press(
        self, user: str, verb: str, key: Key | None, channel: str | None, thread: str | None
    ) -> None:
        person = await self.ch.person(user, channel=channel, thread_ts=thread)
        if person is not None and person.id is not None:
            await self._press(person.id, verb, key, channel, thread)

    async def _press(
        self, person_id: int, verb: str, key: Key | None, channel: str | None, thread: str | None
    ) -> None:
        if channel is None and key is not None:  # from App Home: continue in the invite thread
            invitation = await self.ch.turns.invitation(person_id=person_id, key=key)
            if invitation is not None and invitation.slack_ts:
                channel, thread = invitation.slack_channel, invitation.slack_ts
        outbox = SlackOutbox(channel=channel, thread_ts=thread)
        await self.ch.turns.run(person_id, Turn(action=verb, channel="slack"), key, outbox)

    async def on_fill_lines(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]
    ) -> None:
        await ack()
        _, key = read_value(str(action.get("value") or ""))
        person = await self.ch.known(body["user"]["id"])
        if key is None or person is None or person.id is None:
            return
        channel, thread = _where(body)
        allowed, rows = await asyncio.to_thread(self._form, person.id, key)
        if not allowed or not rows:  # the engine says why (not a contact, no lines)
            await self._press(person.id, "status", key, channel, thread)
            return
        view = page_view(rows, Meta(key[0], key[1], 0, channel, thread), words(person.language))
        self.ch.spawn(self.ch.open_modal(str(body.get("trigger_id")), view))

    def _form(self, person_id: int, key: Key) -> tuple[bool, list[LineRow]]:
        with Session(self.ch.engine) as session:
            if not is_contact(session, person_id=person_id, commitment_id=key[0]):
                return False, []
            return True, load_rows(session, commitment_id=key[0], period_id=key[1])

    async def on_submit(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        meta = Meta.load(view.get("private_metadata") or "")
        key = (meta.commitment_id, meta.period_id)
        person = await self.ch.known(body["user"]["id"])
        first = next(
            (b["block_id"] for b in view.get("blocks", []) if b.get("type") == "input"), None
        )
        if person is None or person.id is None:
            await ack(response_action="errors", errors={first or "": "I don't know you yet."})
            return
        _, rows = await asyncio.to_thread(self._form, person.id, key)
        last = is_last_page(rows, meta.page)
        outbox = SlackOutbox(
            channel=meta.channel,
            thread_ts=meta.thread_ts,
            quiet=not last,
            quiet_on_field_errors=True,
        )
        turn = Turn(line_values=submitted_values(view), channel="slack")
        result = await self.ch.turns.run(person.id, turn, key, outbox)
        replies = result.replies if result else ()
        errors = field_errors([e for r in replies for e in r.field_errors], view)
        refused = next((r.text for r in replies if r.kind == ReplyKind.error), None)
        if refused and first:
            errors.setdefault(first, refused[:300])
        if errors:
            await ack(response_action="errors", errors=errors)
        elif not last:
            _, rows = await asyncio.to_thread(self._form, person.id, key)
            view = page_view(rows, meta_next(meta), words(person.language))
            await ack(response_action="update", view=view)
        else:
            await ack()


def meta_next(meta: Meta) -> Meta:
    return Meta(meta.commitment_id, meta.period_id, meta.page + 1, meta.channel, meta.thread_ts)


def _where(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """The DM and thread a button was pressed in (None, None from App Home)."""
    container = body.get("container") or {}
    if container.get("type") != "message":
        return None, None
    thread = container.get("thread_ts") or container.get("message_ts")
    return container.get("channel_id"), thread
