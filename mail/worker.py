"""`MailWorker`: the inbox loop (IMAP IDLE or polling) and the outbox sender loop.

Each fetched message goes through `Intake.process` in a thread; it is flagged `\\Seen`
only after its transaction committed. Connection errors reconnect with exponential
back-off; nothing here ever reaches the user. A refused sign-in (`SignInError`: a wrong
secret, consent missing, the app not allowed on the mailbox) is logged as one line that
says what to fix, and retried with the same back-off: the mailbox and the token endpoint
are asked once per attempt, never in a loop.

Several workers may share one PostgreSQL database: only the holder of the mailbox lock
(`mail.lock`) fetches; the others deliver the outbox and retry the lock every few seconds,
so one of them takes over when the holder dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from conversations.review_service import ReviewService
from conversations.service import SentHook
from mail.auth import token_manager
from mail.config import MailEnvironment
from mail.errors import MailConnectionError, SignInError
from mail.imap import ImapClient
from mail.intake import Intake, IntakeResult
from mail.lock import mailbox_lock
from mail.sender import SIGN_IN_DELAY, DeliveryReport, deliver_due
from models.locks import MailboxLock
from models.outbox import InboundOutcome

if TYPE_CHECKING:
    from mail.auth.tokens import TokenManager

log = logging.getLogger(__name__)

IDLE_SECONDS = 5.0  # IDLE is re-issued this often, so a stop request is seen quickly
SEND_SECONDS = 2.0  # the outbox is looked at this often (and at once after an intake)
SEND_BATCH = 50  # rows claimed per pass; a full pass is followed by another at once
MAX_BACKOFF = 300.0
LOCK_RETRY_SECONDS = 5.0  # a standby worker tries the mailbox lock this often (or each poll)
INTAKE_TRIES = 5  # passes a message whose outcome the database refuses is fetched again


@dataclass
class PassReport:
    received: list[IntakeResult] = field(default_factory=list)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    errors: list[str] = field(default_factory=list)
    fetched: bool = True  # False: another worker holds the mailbox


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


class MailWorker:
    """Runs the email channel against one database."""

    name = "mail"

    def __init__(
        self,
        engine: Engine,
        env: MailEnvironment,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        imap: ImapClient | None = None,
        on_sent: SentHook | None = None,
        reviews: ReviewService | None = None,
        lock: MailboxLock | None = None,
        tokens: TokenManager | None = None,
        pause: Callable[[asyncio.Event, float], Awaitable[None]] = _sleep,
    ) -> None:
        self.engine = engine
        self.env = env
        self.clock = clock
        # One token manager for IMAP and SMTP, so they never spend one refresh token twice.
        self.tokens = tokens or token_manager(env.mail, engine)
        self.imap = imap or ImapClient(env.mail, tokens=self.tokens)
        self.intake = Intake(engine, env, clock=clock, on_sent=on_sent, reviews=reviews)
        self.lock = lock or mailbox_lock(engine, env.mail)
        self.pause = pause  # waits between attempts (tests record the back-off instead)
        self._kick = asyncio.Event()
        self._tries: dict[str, int] = {}  # IMAP uid -> passes that could not record it
        self._sign_in_refusals = 0  # in a row, on the SMTP side: postpones the outbox longer

    async def receive_once(self) -> list[IntakeResult]:
        """Fetch the unseen messages and process each; raises MailConnectionError.

        Stops (and holds no IMAP connection) while another worker holds the mailbox.
        """
        results: list[IntakeResult] = []
        while True:
            if not await asyncio.to_thread(self.lock.acquire):  # checked before each batch
                log.debug("another worker fetches the mailbox")
                await asyncio.to_thread(self.imap.close)
                return results
            batch = await asyncio.to_thread(self.imap.fetch_unseen)
            done: list[str] = []
            for item in batch:
                try:
                    result = await asyncio.to_thread(self.intake.process, item.raw)
                except OperationalError as exc:  # the database is away: retry later
                    log.error("message %s left for later: %s", item.uid, exc)
                    continue
                except SQLAlchemyError as exc:  # even its failure could not be recorded
                    tries = self._tries.get(item.uid, 0) + 1
                    if tries < INTAKE_TRIES:
                        self._tries[item.uid] = tries
                        log.error("message %s left for later: %s", item.uid, exc)
                        continue
                    log.error("message %s given up after %d tries: %s", item.uid, tries, exc)
                    result = IntakeResult(InboundOutcome.failed, str(exc)[:500])
                self._tries.pop(item.uid, None)
                results.append(result)
                done.append(item.uid)
                log.info("message %s: %s %s", item.uid, result.outcome, result.reason or "")
            await asyncio.to_thread(self.imap.mark_seen, done)
            if done:
                self._kick.set()
            if len(done) < len(batch) or len(batch) < 50:
                return results

    async def deliver_once(self) -> DeliveryReport:
        delay = min(SIGN_IN_DELAY * 2**self._sign_in_refusals, MAX_BACKOFF * 3)
        report = await deliver_due(
            self.engine,
            self.env,
            now=self.clock(),
            limit=SEND_BATCH,
            tokens=self.tokens,
            sign_in_delay=delay,
        )
        if report.postponed:
            self._sign_in_refusals += 1
        elif report.sent:
            self._sign_in_refusals = 0
        return report

    async def run_once(self) -> PassReport:
        """One fetch and one outbox pass; connection problems are logged, not raised."""
        report = PassReport()
        try:
            if await asyncio.to_thread(self.lock.acquire):
                report.received = await self.receive_once()
            else:
                report.fetched = False
                log.info("another worker fetches the mailbox; this pass only delivers")
        except MailConnectionError as exc:
            (log.error if isinstance(exc, SignInError) else log.warning)("%s", exc)
            report.errors.append(str(exc))
        finally:
            await asyncio.to_thread(self.imap.close)
            await asyncio.to_thread(self.lock.release)
        report.delivery = await self.deliver_once()
        return report

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Receive and send until `stop` is set."""
        sender = asyncio.create_task(self._send_loop(stop))
        try:
            await self._receive_loop(stop)
        finally:
            stop.set()
            self._kick.set()
            await sender
            await asyncio.to_thread(self.imap.close)
            await asyncio.to_thread(self.lock.release)

    async def _receive_loop(self, stop: asyncio.Event) -> None:
        backoff = 1.0
        standby = False
        while not stop.is_set():
            try:
                if not await asyncio.to_thread(self.lock.acquire):
                    if not standby:
                        log.info("another worker fetches the mailbox; this one stands by")
                    standby = True
                    await asyncio.to_thread(self.imap.close)
                    retry = min(LOCK_RETRY_SECONDS, self.env.mail.poll_seconds)
                    await _sleep(stop, max(retry, 0.1))
                    continue
                standby = False
                await self.receive_once()
                backoff = 1.0
                await self._wait_for_mail(stop)
            except Exception as exc:  # connection lost (or a bug): keep the loop alive
                if isinstance(exc, SignInError):
                    log.error("IMAP sign-in: %s (next try in %.0f s)", exc, backoff)
                elif isinstance(exc, MailConnectionError):
                    log.warning("%s; reconnecting in %.0f s", exc, backoff)
                else:
                    log.exception("inbox pass failed; retrying in %.0f s", backoff)
                await asyncio.to_thread(self.imap.close)
                await self.pause(stop, backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)

    async def _wait_for_mail(self, stop: asyncio.Event) -> None:
        poll = max(self.env.mail.poll_seconds, 0.1)
        if not await asyncio.to_thread(lambda: self.imap.supports_idle):
            await _sleep(stop, poll)
            return
        waited = 0.0
        while not stop.is_set() and waited < poll:
            chunk = min(IDLE_SECONDS, poll - waited)
            if await asyncio.to_thread(self.imap.idle_wait, chunk):
                return
            waited += chunk

    async def _send_loop(self, stop: asyncio.Event) -> None:
        backoff = SEND_SECONDS
        while not stop.is_set():
            try:
                report = await self.deliver_once()
                backoff = SEND_SECONDS
                if report.sent or report.retried or report.failed:
                    log.info("outbox: %s", report)
                handled = report.sent + report.retried + report.failed + report.skipped
                if handled >= SEND_BATCH:
                    continue  # a full batch: there may be more due at once (a backlog)
            except Exception:  # the database is away (or a bug): keep the loop alive
                log.exception("outbox pass failed")
                backoff = min(backoff * 2, MAX_BACKOFF)
            self._kick.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), timeout=backoff)
