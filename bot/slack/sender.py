"""Delivering the Slack outbox: claim due rows, post them in order, record the outcome.

A row whose person has no Slack user id yet is resolved by email (`users.lookupByEmail`)
and the id is stored on the person. An invite's message ts is stored on its invitation,
so the conversation can run in that thread. Rows to one person go out in order: they wait
while an older row to the same recipient is pending and not in this batch.

A pass posts to its recipients at once (each recipient's rows one after the other), then
records what was posted in one transaction (one per row when that fails): should the worker
die in between, those messages are posted again once their claim expires (at most one pass
of them).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import bindparam, update
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
    sent_statement,
)
from models.retry import retried, write_pause
from models.tables import Person, utcnow

from .errors import SlackCallError, slack_call
from .outbox import CHANNEL

log = logging.getLogger(__name__)
WRITE_ATTEMPTS = 10  # a dropped database connection is retried (pool_pre_ping reconnects)


class SlackSender:
    def __init__(
        self, engine: Engine, client: AsyncWebClient, *, executor: Executor | None = None
    ) -> None:
        self.engine = engine
        self.client = client
        self.executor = executor  # where the database work runs (None: asyncio's threads)
        self.clock = utcnow  # delivery runs on real time, whatever the business clock says
        self._dm: dict[str, str] = {}
        self._lock = asyncio.Lock()

    async def _db(self, function: Callable[..., Any], *args: Any) -> Any:
        call = functools.partial(function, *args)
        return await asyncio.get_running_loop().run_in_executor(self.executor, call)

    async def run_once(self) -> int:
        """Deliver every due row once; returns how many were sent."""
        async with self._lock:  # one pass at a time keeps each person's messages in order
            rows = await self._db(self._claim)
            by_recipient: dict[str, list[OutboundMessage]] = {}
            for row in rows:
                by_recipient.setdefault(row.recipient, []).append(row)
            posted: list[tuple[OutboundMessage, dict[str, Any]]] = []
            await asyncio.gather(*(self._post(mine, posted) for mine in by_recipient.values()))
            if posted:
                await self._db(self._write, self._sent, posted)
            return len(posted)

    async def _post(
        self, rows: list[OutboundMessage], posted: list[tuple[OutboundMessage, dict[str, Any]]]
    ) -> None:
        """Post one recipient's rows in order; after a failure the rest wait (released)."""
        for n, row in enumerate(rows):
            try:
                posted.append((row, await self._deliver(row)))
                continue
            except SlackCallError as exc:
                log.warning("slack outbox row %s: %s", row.id, exc)
                failure = (str(exc), exc.permanent)
            except Exception as exc:  # a bug on one row must not hold up the others
                log.exception("slack outbox row %s (%s) failed", row.id, row.message_id)
                failure = (f"{type(exc).__name__}: {exc}", False)
            await self._db(self._write, self._failed, [(row, *failure)])
            for later in rows[n + 1 :]:
                await self._db(self._write, self._release, [(later,)])
            return

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

    def _write(self, write: Callable[..., None], items: list[tuple[Any, ...]]) -> None:
        """Record outcomes in one transaction; should it fail (a dropped connection), one
        transaction each, each retried: a posted message whose row stays pending would be
        posted again once its claim expires."""
        if len(items) > 1:
            try:
                self._write_once(write, items)
                return
            except OperationalError as exc:
                log.warning("slack outbox: %d rows to record one by one: %s", len(items), exc)
        for item in items:
            retried(
                functools.partial(self._write_once, write, [item]),
                attempts=WRITE_ATTEMPTS,
                errors=(OperationalError,),
                what=f"slack outbox row {item[0].id}",
                pause=write_pause,
            )

    def _write_once(self, write: Callable[..., None], items: list[tuple[Any, ...]]) -> None:
        with session_scope(self.engine) as session:
            write(session, items)

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

    @staticmethod
    def _release(session: Session, items: list[tuple[OutboundMessage]]) -> None:
        for (row,) in items:
            stored = session.get(OutboundMessage, row.id)
            if stored is not None:
                stored.claimed_until = None

    def _sent(self, session: Session, items: list[tuple[OutboundMessage, dict[str, Any]]]) -> None:
        """Mark the posted rows sent (a row another worker or an earlier try finished is left
        alone), keep each person's Slack user id and each invite's thread: a few statements
        for the whole pass, none of them reading a row."""
        now = self.clock()
        connection = session.connection()
        connection.execute(
            sent_statement(), [{"row_id": row.id, "sent_at": now} for row, _ in items]
        )
        people = [
            {"person_id": outcome["person_id"], "user": outcome["user"]}
            for _, outcome in items
            if outcome.get("person_id") and outcome.get("user")
        ]
        if people:
            connection.execute(_USER_ID_STATEMENT, people)
        invites = [
            {
                "invitation_id": outcome["invitation_id"],
                "channel": outcome["channel"],
                "ts": outcome["ts"],
            }
            for _, outcome in items
            if outcome.get("invitation_id")
        ]
        if invites:
            connection.execute(_THREAD_STATEMENT, invites)

    def _failed(self, session: Session, items: list[tuple[OutboundMessage, str, bool]]) -> None:
        for row, error, permanent in items:
            stored = session.get(OutboundMessage, row.id)
            if stored is not None:
                mark_failed(session, stored, now=self.clock(), error=error, permanent=permanent)


# A person's Slack user id, found by email, kept where none is known yet.
_person = Person.__table__  # type: ignore[attr-defined]
_USER_ID_STATEMENT = (
    update(_person)
    .where(_person.c.id == bindparam("person_id"), _person.c.slack_user_id.is_(None))
    .values(slack_user_id=bindparam("user"))
)
# The channel and ts of an invite's message, where its conversation runs.
_invitation = Invitation.__table__  # type: ignore[attr-defined]
_THREAD_STATEMENT = (
    update(_invitation)
    .where(_invitation.c.id == bindparam("invitation_id"))
    .values(slack_channel=bindparam("channel"), slack_ts=bindparam("ts"))
)


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
