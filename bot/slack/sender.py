"""Delivering the Slack outbox: claim due rows, post them in order, record the outcome.

A row whose person has no Slack user id yet is resolved by email (`users.lookupByEmail`)
and the id is stored on the person. An invite's message ts is stored on its invitation,
so the conversation can run in that thread. Rows to one person go out in order: they wait
while an older row to the same recipient is pending and not in this batch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, func, select

from models.db import session_scope, write_transaction
from models.invitation import Invitation
from models.outbox import (
    OutboundMessage,
    OutboxStatus,
    claim_due,
    mark_failed,
    mark_sent,
)
from models.retry import retried, write_pause
from models.tables import Person, utcnow

from .errors import SlackCallError, slack_call
from .outbox import CHANNEL

log = logging.getLogger(__name__)
WRITE_ATTEMPTS = 10  # a dropped database connection is retried (pool_pre_ping reconnects)


class SlackSender:
    def __init__(self, engine: Engine, client: AsyncWebClient) -> None:
        self.engine = engine
        self.client = client
        self.clock = utcnow  # delivery runs on real time, whatever the business clock says
        self._dm: dict[str, str] = {}
        self._lock = asyncio.Lock()

    async def run_once(self) -> int:
        """Deliver every due row once; returns how many were sent."""
        async with self._lock:  # one pass at a time keeps each person's messages in order
            rows = await asyncio.to_thread(self._claim)
            sent = 0
            blocked: set[str] = set()
            for row in rows:
                if row.recipient in blocked:
                    await asyncio.to_thread(self._write, self._release, row)
                    continue
                try:
                    outcome = await self._deliver(row)
                except SlackCallError as exc:
                    log.warning("slack outbox row %s: %s", row.id, exc)
                    blocked.add(row.recipient)
                    await asyncio.to_thread(self._write, self._failed, row, str(exc), exc.permanent)
                    continue
                except Exception as exc:  # a bug on one row must not hold up the others
                    log.exception("slack outbox row %s (%s) failed", row.id, row.message_id)
                    blocked.add(row.recipient)
                    error = f"{type(exc).__name__}: {exc}"
                    await asyncio.to_thread(self._write, self._failed, row, error, False)
                    continue
                await asyncio.to_thread(self._write, self._sent, row, outcome)
                sent += 1
            return sent

    async def _deliver(self, row: OutboundMessage) -> dict[str, Any]:
        data = row.data()
        user = data.get("user")
        if not user:
            with slack_call("users.lookupByEmail"):
                found = await self.client.users_lookupByEmail(email=data.get("email") or "")
            user = found["user"]["id"]
        channel = data.get("channel") or await self._open_dm(user)
        args: dict[str, Any] = {"channel": channel, "text": data.get("text") or row.body_text}
        if data.get("blocks"):
            args["blocks"] = data["blocks"]
        if data.get("thread_ts"):
            args["thread_ts"] = data["thread_ts"]
        with slack_call("chat.postMessage"):
            posted = await self.client.chat_postMessage(**args, unfurl_links=False)
        return {**data, "user": user, "channel": posted["channel"], "ts": posted["ts"]}

    async def _open_dm(self, user: str) -> str:
        if user not in self._dm:
            with slack_call("conversations.open"):
                opened = await self.client.conversations_open(users=user)
            self._dm[user] = opened["channel"]["id"]
        return self._dm[user]

    # -- database (run in a worker thread) ----------------------------------------------------

    def _write(self, write: Callable[..., None], *args: Any) -> None:
        """Record an outcome, retried if the connection drops: a posted message whose row
        stays pending would be posted again once its claim expires."""
        retried(
            lambda: write(*args),
            attempts=WRITE_ATTEMPTS,
            errors=(OperationalError,),
            what=f"slack outbox row {args[0].id}",
            pause=write_pause,
        )

    def _claim(self) -> list[OutboundMessage]:
        with write_transaction(self.engine) as session:  # two processes must not claim alike
            rows = claim_due(session, channel=CHANNEL, now=self.clock())
            firsts = _first_pending(session, {row.recipient for row in rows})
            ids = {row.id for row in rows}
            ready = [row for row in rows if firsts.get(row.recipient, row.id) in ids]
            for row in rows:
                if row not in ready:
                    row.claimed_until = None
                    session.add(row)
            return ready

    def _release(self, row: OutboundMessage) -> None:
        with session_scope(self.engine) as session:
            stored = session.get(OutboundMessage, row.id)
            if stored is not None:
                stored.claimed_until = None

    def _sent(self, row: OutboundMessage, outcome: dict[str, Any]) -> None:
        with session_scope(self.engine) as session:
            stored = session.get(OutboundMessage, row.id)
            if stored is None or stored.status == OutboxStatus.sent:
                return  # e.g. the commit of an earlier try went through
            mark_sent(session, stored, now=self.clock())
            person = session.get(Person, outcome.get("person_id") or 0)
            if person is not None and not person.slack_user_id:
                person.slack_user_id = outcome["user"]
                session.add(person)
            invitation = session.get(Invitation, outcome.get("invitation_id") or 0)
            if invitation is not None:
                invitation.slack_channel = outcome["channel"]
                invitation.slack_ts = outcome["ts"]
                session.add(invitation)

    def _failed(self, row: OutboundMessage, error: str, permanent: bool) -> None:
        with session_scope(self.engine) as session:
            stored = session.get(OutboundMessage, row.id)
            if stored is None:
                return
            mark_failed(session, stored, now=self.clock(), error=error, permanent=permanent)


def _first_pending(session: Session, recipients: set[str]) -> dict[str, int]:
    """The oldest pending row id per recipient."""
    if not recipients:
        return {}
    statement = (
        select(OutboundMessage.recipient, func.min(OutboundMessage.id))
        .where(
            col(OutboundMessage.channel) == CHANNEL,
            col(OutboundMessage.status) == OutboxStatus.pending.value,
            col(OutboundMessage.recipient).in_(recipients),
        )
        .group_by(col(OutboundMessage.recipient))
    )
    return {recipient: first for recipient, first in session.exec(statement) if first is not None}
