"""The Slack inbox: DM messages stored before the ack, their turns run after it.

`add` is what a listener awaits before Slack gets its ack: the event is queued, and the
queue is written in one transaction by a single flusher (whatever arrived while the last
batch was being committed goes into the next), so that many requests in flight cost a
few commits, not one each. The ack leaves only once its row is committed; a redelivered
event id adds nothing (ON CONFLICT DO NOTHING).

`drain` runs the pending rows' turns, one row at a time in id order, so one person's
messages are answered in the order they arrived. A row is marked done right after its
turn; should the worker die in between, the turn's `InboundMessage` record makes the
next run a no-op. A turn that raises is retried on later passes (that person's later
rows wait), and after `MAX_ATTEMPTS` the row is marked failed and logged.

On PostgreSQL one worker drains at a time (an advisory lock, taken for each pass).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from mail.lock import AdvisoryLock, MailboxLock, NoLock
from models.inbox import InboxStatus, SlackInbox
from models.tables import utcnow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
BATCH = 100
Process = Callable[[str, dict[str, Any]], Awaitable[None]]
LOCK_KEY = int.from_bytes(hashlib.sha256(b"billbot-slack-inbox").digest()[:8], "big", signed=True)


class Inbox:
    def __init__(self, engine: Engine, process: Process) -> None:
        self.engine = engine
        self.process = process
        # Inserts get a thread of their own: the default pool is busy with turns.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="slack-inbox")
        self._queued: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._flusher: asyncio.Future[None] | None = None
        self._draining = asyncio.Lock()
        self._wake = asyncio.Event()
        self._lock: MailboxLock = (
            AdvisoryLock(engine, LOCK_KEY) if engine.dialect.name == "postgresql" else NoLock()
        )

    # Before the ack -----------------------------------------------------------------------

    async def add(self, event_id: str, user: str, event: dict[str, Any]) -> None:
        """Store the event durably (returns once its row is committed), then wake `run`."""
        row = {
            "event_id": event_id,
            "slack_user_id": user,
            "received_at": utcnow(),
            "payload": json.dumps(event),
            "status": InboxStatus.pending.value,
            "attempts": 0,
        }
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queued.append((row, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())
        await done
        self.poke()

    async def _flush(self) -> None:
        while self._queued:
            batch, self._queued = self._queued, []
            try:
                rows = [row for row, _ in batch]
                await asyncio.get_running_loop().run_in_executor(self._writer, self._insert, rows)
            except Exception as exc:  # each request fails: Slack redelivers
                log.exception("slack inbox: %d events not stored", len(batch))
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        table = SlackInbox.__table__  # type: ignore[attr-defined]
        if self.engine.dialect.name == "postgresql":
            statement: Any = pg_insert(table).on_conflict_do_nothing(index_elements=["event_id"])
        elif self.engine.dialect.name == "sqlite":
            statement = sqlite_insert(table).on_conflict_do_nothing(index_elements=["event_id"])
        else:  # pragma: no cover - billbot runs on SQLite or PostgreSQL
            statement = insert(table)
        with self.engine.begin() as connection:
            connection.execute(statement, rows)

    # After the ack ------------------------------------------------------------------------

    def poke(self) -> None:
        self._wake.set()

    async def run_forever(self, stop: asyncio.Event, *, poll_seconds: float) -> None:
        """Drain on every `poke` and every `poll_seconds` until `stop` is set."""
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.drain()
            except Exception:
                log.exception("slack inbox pass failed")
            waits = [asyncio.ensure_future(e.wait()) for e in (stop, self._wake)]
            await asyncio.wait(waits, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waits:
                waiter.cancel()

    async def drain(self) -> int:
        """Run the turns of the pending rows, in id order; returns how many rows were done."""
        async with self._draining:
            if not await asyncio.to_thread(self._lock.acquire):
                return 0  # another worker is draining
            try:
                return await self._drain()
            finally:
                await asyncio.to_thread(self._lock.release)

    async def _drain(self) -> int:
        done, after = 0, 0
        waiting: set[str] = set()  # users whose earlier row failed in this pass
        while rows := await asyncio.to_thread(self._pending, after):
            for row in rows:
                assert row.id is not None
                after = row.id
                if row.slack_user_id in waiting:
                    continue
                try:
                    await self.process(row.event_id, row.event())
                except Exception as exc:
                    if not await asyncio.to_thread(self._failed, row, repr(exc)):
                        waiting.add(row.slack_user_id)  # retried at the next pass, first
                    continue
                await asyncio.to_thread(self._done, row.id)
                done += 1
        return done

    def _pending(self, after: int) -> list[SlackInbox]:
        with Session(self.engine) as session:
            statement = (
                select(SlackInbox)
                .where(
                    col(SlackInbox.status) == InboxStatus.pending.value,
                    col(SlackInbox.id) > after,
                )
                .order_by(col(SlackInbox.id))
                .limit(BATCH)
            )
            return list(session.exec(statement))

    def _done(self, row_id: int) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(SlackInbox.__table__)  # type: ignore[attr-defined]
                .where(SlackInbox.__table__.c.id == row_id)  # type: ignore[attr-defined]
                .values(status=InboxStatus.done.value)
            )

    def _failed(self, row: SlackInbox, error: str) -> bool:
        """Count a failed attempt; True if the row is given up (marked failed)."""
        attempts = row.attempts + 1
        status = InboxStatus.failed if attempts >= MAX_ATTEMPTS else InboxStatus.pending
        if status is InboxStatus.failed:
            log.error(
                "slack inbox: event %s given up after %d attempts: %s",
                row.event_id,
                attempts,
                error,
            )
        else:
            log.warning(
                "slack inbox: event %s failed (attempt %d): %s", row.event_id, attempts, error
            )
        with self.engine.begin() as connection:
            connection.execute(
                update(SlackInbox.__table__)  # type: ignore[attr-defined]
                .where(SlackInbox.__table__.c.id == row.id)  # type: ignore[attr-defined]
                .values(status=status.value, attempts=attempts, last_error=error[:2000])
            )
        return status is InboxStatus.failed


__all__ = ["MAX_ATTEMPTS", "Inbox"]
