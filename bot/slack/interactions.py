"""Interactivity listeners: conversation buttons, `Fill in all lines` and its modal.

A button press is queued for the Slack inbox and acked; its turn runs from there, in order
with the presser's messages, and records the click's id so it runs once. `Fill in all
lines` reads the form and calls `views.open` right after the ack (a trigger id lives 3
seconds). A modal page's answers are checked before the ack, with reads only
(`lines_check.check_lines`), since Slack wants `response_action` (errors, or the next page)
in the ack itself; the turn that keeps them runs from the inbox after it. A page whose
reply is not posted (one in the middle, or one with errors) leaves a note in the thread
instead (`form_note`), and the same page submitted twice with the same values is one turn.
`Fill in all lines` on an invoice that can no longer change opens no form: the conversation
says why, as for a person who is not its contact.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from sqlmodel import Session

from conversations.gather import find_invoice, is_contact
from conversations.state import State
from conversations.types import Reply, ReplyKind, Turn
from models.i18n import N_, words
from models.tables import EDITABLE_STATUSES

from .blocks import FILL_LINES, TURN, read_value
from .channel import SlackChannel
from .form_note import form_note
from .home import START
from .lines_check import check_lines
from .modal import (
    CALLBACK,
    LineRow,
    Meta,
    field_errors,
    form_errors,
    is_last_page,
    load_rows,
    page_view,
    submitted_values,
    unknown_person_errors,
)
from .outbox import SlackOutbox
from .text import cut
from .turns import Key, inbound

CLICK = "billbot.click"  # inbox rows: a conversation button pressed
LINES = "billbot.lines"  # inbox rows: a page of the `Fill in all lines` modal submitted
CONFIRM_LATER = N_(
    "Once the other fields are fixed and the form saved, I'll ask you to confirm it in the chat."
)

log = logging.getLogger(__name__)


class Interactions:
    def __init__(self, channel: SlackChannel) -> None:
        self.ch = channel
        channel.handles(CLICK, self.from_inbox)
        channel.handles(LINES, self.lines_from_inbox)

    def register(self, app: AsyncApp) -> None:
        app.action(re.compile(rf"^({TURN}:\d+|{START})$"))(self.on_button)
        app.action(FILL_LINES)(self.on_fill_lines)
        app.view(CALLBACK)(self.on_submit)

    async def on_button(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        verb, key = read_value(str(action.get("value") or ""))
        if verb:
            self.press(body, action, verb, key)

    def press(
        self, body: dict[str, Any], action: dict[str, Any], verb: str, key: Key | None
    ) -> None:
        """Queue the click's turn (no database work before the ack)."""
        user = str(body["user"]["id"])
        channel, thread = _where(body, verb)
        click_id = action.get("action_ts") or body.get("trigger_id") or action.get("block_id")
        event = {
            "type": CLICK,
            "user": user,
            "verb": verb,
            "key": list(key) if key else None,
            "channel": channel,
            "thread": thread,
        }
        self.ch.inbox.add(f"click:{user}:{click_id}:{action.get('action_id')}", user, event)

    async def from_inbox(self, click_id: str, event: dict[str, Any]) -> None:
        """The turn of a click stored in the inbox (a no-op if it ran already): one read for
        whether it ran, who clicked, and (from App Home) the invoice's invite thread."""
        user, channel, thread = str(event["user"]), event.get("channel"), event.get("thread")
        key = (int(event["key"][0]), int(event["key"][1])) if event.get("key") else None
        gate = await self.ch.turns.gate(click_id, user, key=key if channel is None else None)
        if gate.seen:
            return
        person = gate.person or await self.ch.person(user, channel=channel, thread_ts=thread)
        if person is None or person.id is None:
            return
        if channel is None and key is not None:  # from App Home: continue in the invite thread
            invitation = (
                gate.invitation
                if gate.person is not None
                else await self.ch.turns.invitation(person_id=person.id, key=key)
            )
            if invitation is not None and invitation.slack_ts:
                channel, thread = invitation.slack_channel, invitation.slack_ts
        outbox = SlackOutbox(
            channel=channel, thread_ts=thread, inbound=inbound(click_id, sender=user)
        )
        verb = str(event["verb"])
        await self.ch.turns.run(person, Turn(action=verb, channel="slack"), key, outbox)

    async def on_fill_lines(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]
    ) -> None:
        await ack()
        _, key = read_value(str(action.get("value") or ""))
        if key is not None:
            self.ch.spawn(self._open_form(body, action, key))

    async def _open_form(self, body: dict[str, Any], action: dict[str, Any], key: Key) -> None:
        person = await self.ch.known(body["user"]["id"])
        if person is None or person.id is None:
            return
        channel, thread = _where(body, "fill")
        allowed, rows = await asyncio.to_thread(self._form, person.id, key)
        if not allowed or not rows:  # the engine says why (not a contact, locked, no lines)
            self.press(body, action, "status", key)
            return
        view = page_view(rows, Meta(key[0], key[1], 0, channel, thread), words(person.language))
        await self.ch.open_modal(str(body.get("trigger_id")), view)

    def _form(self, person_id: int, key: Key) -> tuple[bool, list[LineRow]]:
        with Session(self.ch.engine) as session:
            if not is_contact(session, person_id=person_id, commitment_id=key[0]):
                return False, []
            invoice = find_invoice(session, commitment_id=key[0], period_id=key[1])
            if invoice is not None and invoice.status not in EDITABLE_STATUSES:
                return False, []  # sent (under review) or approved: no form to fill in
            return True, load_rows(session, commitment_id=key[0], period_id=key[1])

    async def on_submit(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        meta = Meta.load(view.get("private_metadata") or "")
        key = (meta.commitment_id, meta.period_id)
        user = str(body["user"]["id"])
        person = await self.ch.known(user)
        if person is None or person.id is None:
            await ack(response_action="errors", errors=unknown_person_errors(view))
            return
        _ = words(person.language)
        first = next(
            (b["block_id"] for b in view.get("blocks", []) if b.get("type") == "input"), None
        )
        errors = form_errors(view, _)  # those lines are not sent
        unsent = {block_id.partition(":")[2] for block_id in errors}
        values = {line: v for line, v in submitted_values(view).items() if line not in unsent}
        rows, replies, state = await asyncio.to_thread(self._check, person.id, key, values)
        for block_id, message in field_errors(
            [e for r in replies for e in r.field_errors], view
        ).items():
            errors.setdefault(block_id, message)
        refused = next((r.text for r in replies if r.kind == ReplyKind.error), None)
        if refused and first:
            errors.setdefault(first, refused[:300])
        if errors and state is not None:  # a line to confirm: said too, not dropped unseen
            for item in state.pending:
                if item.line in values:
                    later = _(CONFIRM_LATER)
                    errors.setdefault(f"line:{item.line}", cut(f"{item.message} {later}", 300))
        last = is_last_page(rows, meta.page)
        if errors:  # the valid answers are kept all the same (by the turn below)
            await ack(response_action="errors", errors=errors)
        elif not last:
            await ack(response_action="update", view=page_view(rows, meta_next(meta), _))
        else:
            await ack()
        event = {
            "type": LINES,
            "user": user,
            "key": list(key),
            "values": values,
            "last": last and not errors,  # else the modal stays open: only a note is posted
            "channel": meta.channel,
            "thread": meta.thread_ts,
        }
        self.ch.inbox.add(f"lines:{_submission(view, meta, values)}", user, event)

    def _check(
        self, person_id: int, key: Key, values: dict[str, str]
    ) -> tuple[list[LineRow], tuple[Reply, ...], State | None]:
        """The modal's rows, what the engine would answer to this page and the state it
        would leave (reads only)."""
        turn = Turn(line_values=values, channel="slack")
        with Session(self.ch.engine) as session:
            replies, state = check_lines(
                session,
                person_id=person_id,
                key=key,
                turn=turn,
                now=self.ch.clock(),
                limits=self.ch.limits,
            )
            rows = load_rows(session, commitment_id=key[0], period_id=key[1])
            return rows, replies, state

    async def lines_from_inbox(self, page_id: str, event: dict[str, Any]) -> None:
        """The turn that keeps a modal page's answers (checked before the ack)."""
        gate = await self.ch.turns.gate(page_id, str(event["user"]))
        person = gate.person
        if gate.seen or person is None or person.id is None:
            return
        values = {str(line): str(text) for line, text in (event.get("values") or {}).items()}
        outbox = SlackOutbox(
            channel=event.get("channel"),
            thread_ts=event.get("thread"),
            inbound=inbound(page_id, sender=str(event["user"])),
            quiet=not event.get("last"),
            quiet_on_field_errors=True,  # the modal showed them
            note=functools.partial(
                form_note, values=values, now=self.ch.clock(), limits=self.ch.limits
            ),
        )
        turn = Turn(line_values=values, channel="slack")
        key = (int(event["key"][0]), int(event["key"][1]))
        await self.ch.turns.run(person, turn, key, outbox)


def _submission(view: dict[str, Any], meta: Meta, values: dict[str, str]) -> str:
    """The id of a page's submission: the view as shown and what was sent, so the same
    form submitted twice (a double click) is one turn, not two reviews or `+10%` twice."""
    sent = json.dumps(values, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(sent.encode()).hexdigest()[:24]
    return f"{view.get('id')}:{view.get('hash')}:{meta.page}:{digest}"


def meta_next(meta: Meta) -> Meta:
    return Meta(meta.commitment_id, meta.period_id, meta.page + 1, meta.channel, meta.thread_ts)


def _where(body: dict[str, Any], verb: str) -> tuple[str | None, str | None]:
    """The DM and thread a button was pressed in (None, None from App Home): the thread of
    the message, if it is in one; the invite's Start opens the invite's own thread; any
    other button on a message outside a thread answers outside one (a conversation carried
    on at the top of the DM stays there)."""
    container = body.get("container") or {}
    if container.get("type") != "message":
        return None, None
    thread = container.get("thread_ts") or (
        container.get("message_ts") if verb == "start" else None
    )
    return container.get("channel_id"), thread
