"""Running one Slack turn through the engine (in a worker thread: the database is sync).

One gate per turn: `gate` reads, in one session, whether the event ran already, who sent it
(by Slack id) and which invoice its thread is about; `run` hands that person to the
worker's one `ConversationService` (`handle(person=…, outbox=…)`), which does not read them
again.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from conversations.service import ConversationService, SentHook, TurnResult
from conversations.types import Turn
from models.attachments import AttachmentLimits
from models.invitation import Invitation
from models.outbox import InboundMessage, inbound_seen
from models.people import person_by_slack_id
from models.tables import Person

from .outbox import CHANNEL, Inbound, SlackOutbox

log = logging.getLogger(__name__)
Key = tuple[int, int]


@dataclass(frozen=True)
class Gate:
    """What a turn's channel side knows once it has read the database once."""

    seen: bool  # the event ran already: nothing to do
    person: Person | None = None  # None: not known by this Slack id (ask Slack for the email)
    key: Key | None = None  # the invoice of the thread (an invite's)
    invitation: Invitation | None = None  # for `key=`: where its conversation lives


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
        # Built once: every turn passes its own outbox.
        self.conversations = ConversationService(
            engine,
            outbox=SlackOutbox(quiet=True),
            clock=clock,
            limits=limits,
            on_sent=on_sent,
        )

    async def gate(
        self,
        external_id: str,
        user: str,
        *,
        thread_ts: str | None = None,
        key: Key | None = None,
    ) -> Gate:
        """Whether `external_id` ran already, the person with Slack id `user`, and the
        invoice of `thread_ts` (or, given `key`, its invitation): one session."""
        return await asyncio.to_thread(self._gate, external_id, user, thread_ts, key)

    def _gate(self, external_id: str, user: str, thread_ts: str | None, key: Key | None) -> Gate:
        with Session(self.engine) as session:
            if inbound_seen(session, channel=CHANNEL, external_id=external_id):
                return Gate(seen=True)
            person = person_by_slack_id(session, user)
            if person is None or person.id is None:
                return Gate(seen=False)
            if key is not None:
                found = _invitation_of(session, person.id, key)
                return Gate(False, person, key, found)
            if thread_ts:
                return Gate(False, person, _key_of(session, person.id, thread_ts))
            return Gate(False, person)

    async def run(
        self, person: Person, turn: Turn, key: Key | None, outbox: SlackOutbox
    ) -> TurnResult | None:
        """The turn's result; None when one of its inbound ids was processed already."""
        try:
            handle = functools.partial(
                self.conversations.handle,
                person=person,
                turn=turn,
                commitment_id=key[0] if key else None,
                period_id=key[1] if key else None,
                outbox=outbox,
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
            return _invitation_of(session, person_id, key)

    def _thread_key(self, person_id: int, thread_ts: str) -> Key | None:
        with Session(self.engine) as session:
            return _key_of(session, person_id, thread_ts)


def _invitation_of(session: Session, person_id: int, key: Key) -> Invitation | None:
    return session.exec(
        select(Invitation).where(
            col(Invitation.person_id) == person_id,
            col(Invitation.commitment_id) == key[0],
            col(Invitation.period_id) == key[1],
        )
    ).first()


def _key_of(session: Session, person_id: int, thread_ts: str) -> Key | None:
    """The invoice whose invite to `person_id` started the thread `thread_ts`."""
    found = session.exec(
        select(Invitation).where(
            col(Invitation.person_id) == person_id, col(Invitation.slack_ts) == thread_ts
        )
    ).first()
    return (found.commitment_id, found.period_id) if found else None


def inbound(*ids: str, sender: str) -> list[Inbound]:
    return [Inbound(external_id, sender) for external_id in ids]
