"""Slack's side of the transactional outbox: replies become `OutboundMessage` rows
(channel "slack") in the turn's own transaction; `sender.py` delivers them.

The payload of a row: `user` (Slack user id) or `email` (looked up when delivered),
`person_id`, `channel` (a DM id, when known), `thread_ts`, `text`, `blocks`, and for an
invite `invitation_id`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from conversations.types import Reply
from models.conversation import Conversation
from models.outbox import add_inbound, add_outbound
from models.tables import Person

from .blocks import SlackMessage, render_reply

CHANNEL = "slack"
# What to post instead of replies kept quiet (None: nothing), given the turn's session,
# conversation, person and replies.
Note = Callable[[Session, Conversation | None, Person, Sequence[Reply]], Reply | None]


def new_message_id() -> str:
    return f"<slack-{uuid.uuid4().hex}@billbot>"


def queue_message(
    session: Session,
    *,
    person: Person,
    message: SlackMessage,
    kind: str = "reply",
    channel: str | None = None,
    thread_ts: str | None = None,
    conversation_id: int | None = None,
    extra: dict[str, Any] | None = None,
    message_id: str | None = None,
) -> int:
    """One Slack message to `person`, delivered after the transaction commits; its row id."""
    payload: dict[str, Any] = {
        "user": person.slack_user_id,
        "email": person.email,
        "person_id": person.id,
        "channel": channel,
        "thread_ts": thread_ts,
        "text": message.text,
        "blocks": message.blocks,
        **(extra or {}),
    }
    return add_outbound(
        session,
        channel=CHANNEL,
        recipient=person.slack_user_id or person.email,
        body_text=message.text,
        payload=json.dumps(payload, separators=(",", ":")),
        message_id=message_id or new_message_id(),
        conversation_id=conversation_id,
        kind=kind,
    )


@dataclass(frozen=True)
class Inbound:
    """An inbound Slack id (event id, `file:<id>`) recorded with the turn it caused."""

    external_id: str
    sender: str


@dataclass
class SlackOutbox:
    """The engine's `Outbox` for one Slack turn: where its replies go, and what to record.

    `inbound` rows are written in the same transaction as the turn, so an event is
    processed exactly once (a redelivery finds its row). With `quiet` nothing is posted
    (a modal page in the middle); with `quiet_on_field_errors` nothing is posted when the
    modal shows the errors itself. `note`, if set, gives what is posted instead of a reply
    kept quiet (`form_note.form_note`: what a page kept and the question asked now).
    """

    channel: str | None = None
    thread_ts: str | None = None
    inbound: Sequence[Inbound] = ()
    quiet: bool = False
    quiet_on_field_errors: bool = False
    note: Note | None = None
    queued: list[int] = field(default_factory=list)  # the outbox rows' ids

    def queue(
        self,
        session: Session,
        conversation: Conversation | None,
        person: Person,
        replies: Sequence[Reply],
    ) -> None:
        conversation_id = conversation.id if conversation else None
        for item in self.inbound:
            add_inbound(
                session,
                channel=CHANNEL,
                external_id=item.external_id,
                sender=item.sender,
                conversation_id=conversation_id,
            )
        if self.quiet or (
            self.quiet_on_field_errors and any(reply.field_errors for reply in replies)
        ):
            note = self.note(session, conversation, person, replies) if self.note else None
            if note is None:
                return
            replies = (note,)
        key = (conversation.commitment_id, conversation.period_id) if conversation else None
        for reply in replies:
            for message in render_reply(reply, key):
                row = queue_message(
                    session,
                    person=person,
                    message=message,
                    channel=self.channel,
                    thread_ts=self.thread_ts,
                    conversation_id=conversation_id,
                )
                self.queued.append(row)
