"""Running one Slack turn through the engine (in a worker thread: the database is sync).

One gate per turn: `gate` reads, in one statement, whether the event ran already, who sent it
(by Slack id) and which invoice its thread is about; `run` hands that person to the
worker's one `ConversationService` (`handle(person=…, outbox=…)`), which does not read them
again. A message in a thread no invite started may be an administrator's decision typed
under a review DM: `review_thread` (set by the review listeners) takes it first.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, and_, bindparam, or_
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from conversations.service import ConversationService, SentHook, TurnResult
from conversations.types import Turn
from models.attachments import AttachmentLimits
from models.invitation import Invitation
from models.outbox import InboundMessage, inbound_seen
from models.tables import Person

from .outbox import CHANNEL, Inbound, SlackOutbox

log = logging.getLogger(__name__)
Key = tuple[int, int]
# A DM message in a thread no invite started, with its inbound ids -> whether it was taken
# (as a decision typed under a review DM) rather than being a conversation turn.
ThreadReader = Callable[[Person, dict[str, Any], Sequence[Inbound]], Awaitable[bool]]


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
        self.review_thread: ThreadReader = _no_review  # set by `bot.slack.review`
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
        params = {
            "external_id": external_id,
            "user": user,
            "commitment_id": key[0] if key else None,
            "period_id": key[1] if key else None,
            "thread_ts": None if key else thread_ts or None,
        }
        with Session(self.engine) as session:
            found = session.execute(_gate_statement(), params).first()
            if found is None:  # nobody has this Slack id (yet): only whether the event ran
                return Gate(seen=inbound_seen(session, channel=CHANNEL, external_id=external_id))
        person, invitation, seen = found
        if seen:
            return Gate(seen=True)
        if key is not None:
            return Gate(False, person, key, invitation)
        if invitation is not None:
            return Gate(False, person, (invitation.commitment_id, invitation.period_id))
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


@functools.cache
def _gate_statement() -> Any:
    """One statement for the gate, built once: the person with Slack id `user` (the lowest
    id), whether the event `external_id` ran already, and the invitation to that person the
    turn is about: by (`commitment_id`, `period_id`), else by the thread's `thread_ts` (a
    parameter left None matches nothing)."""
    seen = (
        select(InboundMessage.id)
        .where(
            col(InboundMessage.channel) == CHANNEL,
            col(InboundMessage.external_id) == bindparam("external_id", type_=String),
        )
        .exists()
    )
    about = or_(
        and_(
            col(Invitation.commitment_id) == bindparam("commitment_id", type_=Integer),
            col(Invitation.period_id) == bindparam("period_id", type_=Integer),
        ),
        col(Invitation.slack_ts) == bindparam("thread_ts", type_=String),
    )
    return (
        select(Person, Invitation, seen.label("seen"))
        .outerjoin(Invitation, and_(col(Invitation.person_id) == Person.id, about))
        .where(col(Person.slack_user_id) == bindparam("user", type_=String))
        .order_by(col(Person.id), col(Invitation.id))
        .limit(1)
    )


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


async def _no_review(person: Person, event: dict[str, Any], ids: Sequence[Inbound]) -> bool:
    return False


def inbound(*ids: str, sender: str) -> list[Inbound]:
    return [Inbound(external_id, sender) for external_id in ids]
