"""Running one Slack turn through the engine (in a worker thread: the database is sync)."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from conversations.service import ConversationService, SentHook, TurnResult
from conversations.types import Turn
from models.attachments import AttachmentLimits
from models.invitation import Invitation
from models.outbox import InboundMessage

from .outbox import CHANNEL, Inbound, SlackOutbox

log = logging.getLogger(__name__)
Key = tuple[int, int]


class Turns:
    """The engine seen from Slack: each turn with its own `SlackOutbox` (thread, records)."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], datetime],
        limits: AttachmentLimits,
        poke: Callable[[], None],
        on_sent: SentHook | None = None,
        executor: Executor | None = None,
    ) -> None:
        self.executor = executor  # None: asyncio's default threads
        self.on_sent = on_sent
        self.engine = engine
        self.clock = clock
        self.limits = limits
        self.poke = poke

    def service(self, outbox: SlackOutbox) -> ConversationService:
        return ConversationService(
            self.engine,
            outbox=outbox,
            clock=self.clock,
            limits=self.limits,
            on_sent=self.on_sent,
        )

    async def run(
        self, person_id: int, turn: Turn, key: Key | None, outbox: SlackOutbox
    ) -> TurnResult | None:
        """The turn's result; None when one of its inbound ids was processed already."""
        service = self.service(outbox)
        try:
            handle = functools.partial(
                service.handle,
                person_id=person_id,
                turn=turn,
                commitment_id=key[0] if key else None,
                period_id=key[1] if key else None,
            )
            result = await asyncio.get_running_loop().run_in_executor(self.executor, handle)
        except IntegrityError:
            if outbox.inbound and await self.seen([i.external_id for i in outbox.inbound]):
                log.info("slack: %s already processed", outbox.inbound[0].external_id)
                return None
            raise
        if outbox.queued:
            self.poke()
        return result

    async def seen(self, external_ids: Sequence[str]) -> bool:
        return bool(await asyncio.to_thread(self._seen, external_ids))

    def _seen(self, external_ids: Sequence[str]) -> set[str]:
        with Session(self.engine) as session:
            statement = select(InboundMessage.external_id).where(
                col(InboundMessage.channel) == CHANNEL,
                col(InboundMessage.external_id).in_(list(external_ids)),
            )
            return set(session.exec(statement))

    async def seen_ids(self, external_ids: Sequence[str]) -> set[str]:
        return await asyncio.to_thread(self._seen, external_ids)

    async def invitation(self, *, person_id: int, key: Key) -> Invitation | None:
        return await asyncio.to_thread(self._invitation, person_id, key)

    async def thread_key(self, *, person_id: int, thread_ts: str | None) -> Key | None:
        """The invoice whose invite started the thread `thread_ts`, if it is one."""
        if not thread_ts:
            return None
        return await asyncio.to_thread(self._thread_key, person_id, thread_ts)

    def _invitation(self, person_id: int, key: Key) -> Invitation | None:
        with Session(self.engine) as session:
            return session.exec(
                select(Invitation).where(
                    col(Invitation.person_id) == person_id,
                    col(Invitation.commitment_id) == key[0],
                    col(Invitation.period_id) == key[1],
                )
            ).first()

    def _thread_key(self, person_id: int, thread_ts: str) -> Key | None:
        with Session(self.engine) as session:
            found = session.exec(
                select(Invitation).where(
                    col(Invitation.person_id) == person_id, col(Invitation.slack_ts) == thread_ts
                )
            ).first()
            return (found.commitment_id, found.period_id) if found else None


def inbound(*ids: str, sender: str) -> list[Inbound]:
    return [Inbound(external_id, sender) for external_id in ids]
