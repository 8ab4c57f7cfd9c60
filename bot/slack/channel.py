"""What the Slack listeners share: settings, the Web API client, the engine's turns, the
inbox the turns run from (each request's kind of row handled by the listener that queued it),
and background tasks for the work that must wait until Slack has its ack.

The database work of turns runs on threads of the channel's own (`self.database`): on SQLite
one thread, shared with the inbox's writes, so that they never wait for each other's write
lock; on PostgreSQL a few, one turn per user at a time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from conversations.service import SentHook
from models.attachments import AttachmentLimits, AttachmentRef
from models.board import Board
from models.db import session_scope
from models.i18n import Sentence
from models.outbox import add_inbound
from models.tables import Invoice, Person

from .blocks import SlackMessage, text_sections
from .errors import DownloadError, SlackCallError, slack_call
from .files import store_shared_file
from .home import admin_boards, is_contact, sent_invoices
from .inbox import Inbox, Process
from .outbox import CHANNEL, Inbound, queue_message
from .people import person_by_slack_id, queue_unknown_refusal, resolve_person
from .turns import Turns

log = logging.getLogger(__name__)
TURNS_AT_ONCE = 4  # on PostgreSQL: users whose turns run at the same time, per worker


class SlackChannel:
    def __init__(
        self,
        engine: Engine,
        client: AsyncWebClient,
        *,
        bot_token: str,
        attachments_dir: Path,
        limits: AttachmentLimits,
        clock: Callable[[], datetime],
        poke: Callable[[], None],
        file_shared_delay: float = 2.0,
        on_sent: SentHook | None = None,
    ) -> None:
        self.engine = engine
        self.client = client
        self.bot_token = bot_token
        self.attachments_dir = attachments_dir
        self.limits = limits
        self.clock = clock
        self.poke = poke
        self.file_shared_delay = file_shared_delay
        sqlite = engine.dialect.name == "sqlite"
        self.database = ThreadPoolExecutor(
            max_workers=1 if sqlite else TURNS_AT_ONCE, thread_name_prefix="slack-turns"
        )
        self.turns = Turns(
            engine, clock=clock, limits=limits, poke=poke, on_sent=on_sent, executor=self.database
        )
        self.inbox = Inbox(
            engine,
            self._from_inbox,
            writer=self.database if sqlite else None,
            concurrency=1 if sqlite else TURNS_AT_ONCE,
        )
        self._inbox_kinds: dict[str, Process] = {}
        self.files_in_progress: set[str] = set()
        self._tasks: set[asyncio.Task[Any]] = set()

    def handles(self, kind: str, process: Process) -> None:
        """Run inbox rows whose payload has `"type": kind` with `process`."""
        self._inbox_kinds[kind] = process

    async def _from_inbox(self, event_id: str, event: dict[str, Any]) -> None:
        process = self._inbox_kinds.get(str(event.get("type")))
        if process is None:
            log.error("slack inbox: no listener for %s (%r)", event_id, event.get("type"))
            return
        await process(event_id, event)

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        """Run after the ack (Slack Web API calls, downloads); errors are logged."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("slack background task failed", exc_info=task.exception())

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait for the background tasks (tests, shutdown)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def close(self) -> None:
        for task in set(self._tasks):
            task.cancel()
        await self.idle(timeout=5)

    async def open_modal(self, trigger_id: str, view: dict[str, Any]) -> None:
        """`views.open` (within the trigger's 3 seconds); a failure is logged."""
        try:
            with slack_call("views.open"):
                await self.client.views_open(trigger_id=trigger_id, view=view)
        except SlackCallError as exc:
            log.warning("slack: %s modal not opened: %s", view.get("callback_id"), exc)

    async def known(self, user_id: str) -> Person | None:
        """The person with this Slack id, from the database only (no Web API call)."""
        return await asyncio.to_thread(person_by_slack_id, self.engine, user_id)

    async def person(
        self, user_id: str, *, channel: str | None = None, thread_ts: str | None = None
    ) -> Person | None:
        """The person behind `user_id` (asking Slack for their email if needed); an unknown
        user is told so (once a day) and None is returned."""
        person = await resolve_person(self.engine, self.client, user_id)
        if person is None:
            queued = await asyncio.to_thread(
                queue_unknown_refusal,
                self.engine,
                user_id=user_id,
                channel=channel,
                thread_ts=thread_ts,
                now=self.clock(),
            )
            if queued:
                self.poke()
        return person

    async def download(self, file_ids: list[str]) -> tuple[list[AttachmentRef], list[Sentence]]:
        """Store the shared files; returns the stored refs and the problems, for the person."""
        stored: list[AttachmentRef] = []
        problems: list[Sentence] = []
        for file_id in file_ids:
            try:
                stored.append(
                    await store_shared_file(
                        self.client,
                        file_id,
                        token=self.bot_token,
                        attachments_dir=self.attachments_dir,
                        limits=self.limits,
                    )
                )
            except DownloadError as exc:
                problems.append(exc.sentence)
        return stored, problems

    async def tell(
        self,
        person: Person,
        text: str,
        *,
        channel: str | None,
        thread_ts: str | None,
        inbound: list[Inbound] | None = None,
    ) -> None:
        """Post `text` to `person` through the outbox (recording `inbound` ids with it)."""
        await asyncio.to_thread(self._tell, person, text, channel, thread_ts, inbound or [])
        self.poke()

    async def tell_nothing(self, inbound: list[Inbound]) -> None:
        """Record inbound ids that caused no turn (so a redelivery is ignored too)."""
        await asyncio.to_thread(self._record, inbound)

    def _record(self, inbound: list[Inbound]) -> None:
        with session_scope(self.engine) as session:
            self._record_in(session, inbound)

    @staticmethod
    def _record_in(session: Session, inbound: list[Inbound]) -> None:
        for item in inbound:
            add_inbound(session, channel=CHANNEL, external_id=item.external_id, sender=item.sender)

    def sent_invoices(self, person_id: int) -> list[tuple[Invoice, str]]:
        with Session(self.engine) as session:
            return sent_invoices(session, person_id=person_id)

    def boards(self, person_id: int) -> tuple[list[Board] | None, bool]:
        """The administrator's boards (None: not one), and whether they are a contact too."""
        with Session(self.engine) as session:
            boards = admin_boards(session, person_id=person_id, now=self.clock())
            return boards, is_contact(session, person_id=person_id)

    def _tell(
        self,
        person: Person,
        text: str,
        channel: str | None,
        thread_ts: str | None,
        inbound: list[Inbound],
    ) -> None:
        with session_scope(self.engine) as session:
            self._record_in(session, inbound)
            message = SlackMessage(text, text_sections(text))
            queue_message(
                session, person=person, message=message, channel=channel, thread_ts=thread_ts
            )
