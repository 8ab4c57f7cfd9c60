"""The Slack inbox: every request that causes a turn is acknowledged first, stored right
after, and its turn runs from the `slack_inbox` table.

`add` is all a listener does before Slack gets its ack: the event joins an in-memory queue
and the listener returns. A single writer (a thread of its own) commits the queue in one
transaction per batch (whatever arrived while the last batch was committing goes into the
next), together with the rows whose turns are done; a redelivered event id adds nothing
(ON CONFLICT DO NOTHING, and the queue drops an id it already holds). A batch that fails is
kept and retried, so an acked event is processed as long as the worker keeps running.

The trade-off: between the ack and the batch's commit (a few ms; on SQLite up to the wait
for the write lock) the event lives only in this process. A worker killed in that window
loses it, and Slack does not redeliver an acked event: the person sees no answer and says it
again. Storing before the ack (as before) made every ack wait for the database, which under
a burst on SQLite meant seconds and Slack's own retries; a lost event is visible to the
person and nothing is half-applied (a turn is one transaction).

Turns run per Slack user, in row id order: each user with pending rows gets a task that
runs them one at a time, up to `concurrency` users at once. A turn records its inbound id
in its own transaction, so a row run twice (its "done" not committed yet when the worker
died, or picked up again by another worker) is a no-op the second time; so the "done" marks
need no transaction of their own: they go with the next batch of rows, 50 at a time, or
when no turn is running. A turn that raises is retried on a later pass (that user's later rows
wait), and after `MAX_ATTEMPTS` the row is marked failed and logged. On PostgreSQL several
workers share the table: a user's rows are run by whichever worker holds that user's
advisory lock (`models.locks.UserLocks`), the others leave them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.inbox import InboxStatus, SlackInbox
from models.locks import UserLocks
from models.tables import utcnow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
BATCH = 1000  # pending rows read per pass
RETRY_SECONDS = 1.0  # in the background, a user whose turn failed waits this long
BUSY_RETRY = 0.05  # a user whose lock another worker holds is tried again this soon
CLOSE_SECONDS = 10.0  # on stop, how long the queue may take to commit
DONE_BATCH = 50  # "done" marks wait for the next insert, a moment with no turn, or this many
Process = Callable[[str, dict[str, Any]], Awaitable[None]]


class Inbox:
    def __init__(
        self,
        engine: Engine,
        process: Process,
        *,
        writer: Executor | None = None,
        concurrency: int = 4,
    ) -> None:
        self.engine = engine
        self.process = process
        # Inserts and "done" marks get a thread of their own (on SQLite: the turns' thread,
        # so that they never wait for each other's write lock).
        self._writer = writer or ThreadPoolExecutor(max_workers=1, thread_name_prefix="slack-inbox")
        self._rows: dict[str, dict[str, Any]] = {}  # event id -> row, waiting to be inserted
        self._writing: dict[str, dict[str, Any]] = {}  # the rows of the write in flight
        self._done: list[int] = []  # row ids whose turns ran, waiting to be marked
        self._flusher: asyncio.Future[None] | None = None
        self._queues: dict[str, deque[SlackInbox]] = {}  # user -> rows handed to its task
        self._tasks: dict[str, asyncio.Task[tuple[int, str | None]]] = {}
        self._taken: set[int] = set()  # row ids handed to a task and not marked done yet
        self._not_before: dict[str, float] = {}  # user -> monotonic time of the next retry
        self._slots = asyncio.Semaphore(concurrency)
        self._passing = asyncio.Lock()
        self._truncated = False  # the last pass read BATCH ids: look again as rows finish
        self._wake = asyncio.Event()
        self._locks = UserLocks(engine) if engine.dialect.name == "postgresql" else None

    # Before the ack: no await ------------------------------------------------------------

    def add(self, event_id: str, user: str, event: dict[str, Any]) -> None:
        """Queue the event for the writer; its turn runs once it is stored."""
        if event_id in self._rows:
            return  # a redelivery while the first is still queued
        self._rows[event_id] = {
            "event_id": event_id,
            "slack_user_id": user,
            "received_at": utcnow(),
            "payload": json.dumps(event),
            "status": InboxStatus.pending.value,
            "attempts": 0,
        }
        self._kick_writer()

    # The writer -------------------------------------------------------------------------

    def _kick_writer(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())

    async def flush(self) -> None:
        """Commit everything queued so far (rows and "done" marks), and wait for it."""
        if self._rows or self._done:
            self._kick_writer()
        while self._flusher is not None and not self._flusher.done():
            await asyncio.shield(self._flusher)

    async def _flush(self) -> None:
        pause = 0.05
        while self._rows or self._done:
            rows, self._rows = list(self._rows.values()), {}
            done, self._done = self._done, []
            self._writing = {row["event_id"]: row for row in rows}
            try:
                await asyncio.get_running_loop().run_in_executor(
                    self._writer, self._write, rows, done
                )
            except Exception:  # kept, and tried again: these events were acked
                log.exception("slack inbox: %d events not stored yet", len(rows))
                self._writing = {}
                self._rows = {row["event_id"]: row for row in rows} | self._rows
                self._done = done + self._done
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)
                continue
            self._writing = {}
            self._taken.difference_update(done)
            if rows or (done and self._truncated):  # new rows, or room in the next read
                self.poke()

    def _write(self, rows: list[dict[str, Any]], done: list[int]) -> None:
        table = SlackInbox.__table__  # type: ignore[attr-defined]
        with self.engine.begin() as connection:
            if rows:
                connection.execute(self._insert(table), rows)
            if done:
                connection.execute(
                    update(table).where(table.c.id.in_(done)).values(status=InboxStatus.done.value)
                )

    def _insert(self, table: Any) -> Any:
        if self.engine.dialect.name == "postgresql":
            return pg_insert(table).on_conflict_do_nothing(index_elements=["event_id"])
        if self.engine.dialect.name == "sqlite":
            return sqlite_insert(table).on_conflict_do_nothing(index_elements=["event_id"])
        return insert(table)  # pragma: no cover - billbot runs on SQLite or PostgreSQL

    # After the ack ------------------------------------------------------------------------

    def poke(self) -> None:
        self._wake.set()

    async def run_forever(self, stop: asyncio.Event, *, poll_seconds: float) -> None:
        """Hand out the pending rows on every `poke` and every `poll_seconds` until `stop`."""
        poked = True
        while not stop.is_set():
            self._wake.clear()
            try:
                if self._done and not poked:  # quiet for a while: record what ran
                    self._kick_writer()
                await self._pass(skip=set(), force=False)
            except Exception:
                log.exception("slack inbox pass failed")
            waits = [asyncio.ensure_future(e.wait()) for e in (stop, self._wake)]
            await asyncio.wait(waits, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED)
            poked = self._wake.is_set()
            for waiter in waits:
                waiter.cancel()
        await self.close()

    async def close(self) -> None:
        """Let the running turns finish and commit what is queued."""
        if self._tasks:
            await asyncio.wait(set(self._tasks.values()), timeout=10)
        try:  # bounded: a database that is down must not hold the worker's stop for ever
            await asyncio.wait_for(self.flush(), timeout=CLOSE_SECONDS)
        except Exception:
            log.exception("slack inbox: queue not committed on stop")
        if self._rows:  # acked, never stored: say which, so nobody wonders where they went
            log.error(
                "slack inbox: %d acked events lost on stop: %s",
                len(self._rows),
                ", ".join(sorted(self._rows)),
            )
        if self._writing:  # still being written when the wait ended: maybe never stored
            log.error(
                "slack inbox: %d acked events were still being stored on stop (lost unless "
                "that write commits): %s",
                len(self._writing),
                ", ".join(sorted(self._writing)),
            )
        if self._flusher is not None and not self._flusher.done():
            self._flusher.cancel()
        if self._locks is not None:
            await asyncio.get_running_loop().run_in_executor(self._writer, self._locks.close)

    async def drain(self) -> int:
        """Run every pending row's turn now (a failed row once); returns how many ran."""
        await self.flush()
        ran = 0
        failed: set[str] = set()
        while True:
            handed = await self._pass(skip=failed, force=True)
            tasks = set(self._tasks.values())
            if tasks:
                results = await asyncio.gather(*tasks)
                ran += sum(n for n, _ in results)
                failed.update(user for _, user in results if user)  # failed, or busy elsewhere
            if not handed and not tasks:
                break
        await self.flush()
        return ran

    async def _pass(self, *, skip: set[str], force: bool) -> int:
        """Hand the pending rows to their users' tasks; returns how many were handed."""
        async with self._passing:
            rows, self._truncated = await asyncio.to_thread(self._pending, set(self._taken))
            now = time.monotonic()
            handed = 0
            for row in rows:
                assert row.id is not None
                user = row.slack_user_id
                if row.id in self._taken or user in skip:
                    continue
                if not force and self._not_before.get(user, 0.0) > now:
                    continue
                self._taken.add(row.id)
                handed += 1
                queue = self._queues.get(user)
                if queue is None:
                    queue = self._queues[user] = deque()
                    self._tasks[user] = asyncio.create_task(self._run_user(user, queue))
                queue.append(row)
            return handed

    async def _run_user(self, user: str, queue: deque[SlackInbox]) -> tuple[int, str | None]:
        """Run `user`'s rows in order; (how many ran, the user when one failed or another
        worker holds the user's lock)."""
        ran, failed = 0, False
        async with self._slots:
            locked = await self._lock(user)
            try:
                while queue and locked and not failed:
                    row = queue.popleft()
                    assert row.id is not None
                    try:
                        await self.process(row.event_id, row.event())
                    except Exception as exc:
                        failed = not await asyncio.to_thread(self._failed, row, repr(exc))
                        self._taken.discard(row.id)
                        continue
                    ran += 1
                    self._done.append(row.id)
                    if len(self._done) >= DONE_BATCH:
                        self._kick_writer()
            finally:
                # No await between the loop's last check and here: a pass appends to
                # `queue` only while it is in `_queues`.
                for row in queue:
                    self._taken.discard(row.id or 0)
                del self._queues[user], self._tasks[user]
                if not self._tasks and self._done:  # nothing else running: record what ran
                    self._kick_writer()
                if failed:
                    self._not_before[user] = time.monotonic() + RETRY_SECONDS
                if locked:
                    await self._unlock(user)
        if not locked:  # another worker runs this user's rows now; look again soon
            asyncio.get_running_loop().call_later(BUSY_RETRY, self.poke)
        elif queue or failed or self._truncated:
            self.poke()
        return ran, user if failed or not locked else None

    async def _lock(self, user: str) -> bool:
        if self._locks is None:
            return True
        return await asyncio.get_running_loop().run_in_executor(
            self._writer, self._locks.acquire, user
        )

    async def _unlock(self, user: str) -> None:
        if self._locks is not None:
            await asyncio.get_running_loop().run_in_executor(
                self._writer, self._locks.release, user
            )

    def _pending(self, taken: set[int]) -> tuple[list[SlackInbox], bool]:
        """The pending rows not handed out yet, in id order, and whether there may be more
        (the ids of every pending row are read, the rows themselves only when new)."""
        table = SlackInbox.__table__  # type: ignore[attr-defined]
        with Session(self.engine) as session:
            ids = list(
                session.execute(
                    select(table.c.id)
                    .where(table.c.status == InboxStatus.pending.value)
                    .order_by(table.c.id)
                    .limit(BATCH)
                ).scalars()
            )
            truncated = len(ids) >= BATCH
            fresh = [row_id for row_id in ids if row_id not in taken]
            if not fresh:
                return [], truncated
            statement = (
                select(SlackInbox).where(col(SlackInbox.id).in_(fresh)).order_by(col(SlackInbox.id))
            )
            return list(session.exec(statement)), truncated

    def _failed(self, row: SlackInbox, error: str) -> bool:
        """Count a failed attempt; True if the row is given up (marked failed)."""
        attempts = row.attempts + 1
        row.attempts = attempts
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
