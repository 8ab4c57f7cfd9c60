"""The imperative shell around the pure core: one turn, one database transaction.

    resolve the invoice -> lock its conversation (with the data revision)
    -> authorise and gather the commitment's data (kept from an earlier turn while the
       revision is unchanged: conversations/cache.py) -> flow.step (pure)
    -> mirror the state into the invoice tables -> save the state
    -> queue the replies in the channel's outbox -> commit (then keep what was read)

Channels call `ConversationService.handle` with the person and, when their wire
format carries it (an email token, a Slack button), the commitment and period.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from conversations import render
from conversations.cache import CommitmentCache
from conversations.context import Candidate, Context
from conversations.flow import step
from conversations.gather import (
    build_context,
    candidates,
    invoice_parties,
    open_elsewhere,
    recent_conversation,
)
from conversations.language import looks_spanish
from conversations.parse import CommandName, Expect, parse
from conversations.state import State, Status
from conversations.store import (
    ConversationError,
    StaleConversation,
    apply_state,
    create_conversation,
    load_state,
    read_conversation,
    save_conversation,
)
from conversations.types import Reply, ReplyKind, StepName, Turn
from models.attachments import DEFAULT_LIMITS, AttachmentLimits
from models.conversation import Conversation
from models.db import write_transaction
from models.i18n import language_of, words
from models.ledger import CommitmentLedger, load_ledger
from models.retry import retried
from models.tables import Invoice, Person

log = logging.getLogger(__name__)


class Outbox(Protocol):
    """Where a channel's replies go, written in the same transaction as the state change."""

    def queue(
        self,
        session: Session,
        conversation: Conversation | None,
        person: Person,
        replies: Sequence[Reply],
    ) -> None: ...


@dataclass(frozen=True)
class Queued:
    conversation_id: int | None
    person_id: int
    replies: tuple[Reply, ...]


# Called in the turn's transaction when the turn sent the invoice (notifications).
SentHook = Callable[[Session, Invoice, datetime], None]


class MemoryOutbox:
    """An outbox in memory (console, tests): an entry appears once its transaction commits."""

    def __init__(self) -> None:
        self.queued: list[Queued] = []

    def queue(
        self,
        session: Session,
        conversation: Conversation | None,
        person: Person,
        replies: Sequence[Reply],
    ) -> None:
        assert person.id is not None
        item = Queued(conversation.id if conversation else None, person.id, tuple(replies))
        event.listen(session, "after_commit", lambda _session: self.queued.append(item), once=True)


class FanOutbox:
    """The same replies to several outboxes (a contact on both email and Slack)."""

    def __init__(self, outboxes: Sequence[Outbox]) -> None:
        self.outboxes = tuple(outboxes)

    def queue(
        self,
        session: Session,
        conversation: Conversation | None,
        person: Person,
        replies: Sequence[Reply],
    ) -> None:
        for outbox in self.outboxes:
            outbox.queue(session, conversation, person, replies)


class UnknownPerson(ConversationError):
    def __init__(self, person_id: int) -> None:
        super().__init__(f"no person with id {person_id}")
        self.person_id = person_id


@dataclass(frozen=True)
class TurnResult:
    replies: tuple[Reply, ...]
    conversation_id: int | None = None
    commitment_id: int | None = None
    period_id: int | None = None
    invoice_id: int | None = None
    status: Status | None = None
    refused: bool = False  # not a contact, or no such invoice: nothing was changed


def utc_now() -> datetime:
    return datetime.now(UTC)


class ConversationService:
    def __init__(
        self,
        engine: Engine,
        *,
        outbox: Outbox,
        clock: Callable[[], datetime] = utc_now,
        limits: AttachmentLimits = DEFAULT_LIMITS,
        attempts: int = 3,
        on_sent: SentHook | None = None,
    ) -> None:
        self.on_sent = on_sent
        self.engine = engine
        self.outbox = outbox
        self.clock = clock
        self.limits = limits
        self.attempts = attempts
        # A commitment's parties and ledger kept between turns, checked against the data
        # revision every turn reads (conversations/cache.py).
        self.cache = CommitmentCache()

    def handle(
        self,
        *,
        person_id: int | None = None,
        turn: Turn,
        commitment_id: int | None = None,
        period_id: int | None = None,
        choose: bool = False,
        person: Person | None = None,
        outbox: Outbox | None = None,
    ) -> TurnResult:
        """Process one turn of `person` in one transaction; returns the replies (also queued
        in `outbox`, by default the service's).

        Without (commitment_id, period_id) the turn goes to the person's most recent open
        conversation, else to their only candidate invoice, else to the choose step.
        `choose=True` (or the text `switch`) asks which invoice even if one is open.
        A channel that has already read the person (to route the message) passes the row as
        `person`, so the turn does not read it again.
        """

        if person_id is None:
            assert person is not None, "a turn needs person or person_id"
            person_id = person.id

        def once() -> TurnResult:
            learned: list[Callable[[], None]] = []
            with write_transaction(self.engine) as session:
                who: Person | None = (
                    session.merge(person, load=False)  # the channel's row, without a SELECT
                    if person is not None
                    else session.get(Person, person_id)
                )
                if who is None:
                    raise UnknownPerson(person_id or 0)
                result = self._handle(
                    session,
                    who,
                    turn,
                    commitment_id,
                    period_id,
                    choose,
                    outbox or self.outbox,
                    learned,
                )
            for keep in learned:  # committed: what the turn read may be kept
                keep()
            return result

        return retried(
            once,
            attempts=self.attempts,
            errors=(StaleConversation, IntegrityError, OperationalError),
            what=f"turn of person {person_id}",
        )

    def start(
        self, *, person_id: int, commitment_id: int, period_id: int, channel: str
    ) -> TurnResult:
        """Open (or resume) the conversation of one invoice, e.g. from an invite button."""
        return self.handle(
            person_id=person_id,
            turn=Turn(action="start", channel=channel),
            commitment_id=commitment_id,
            period_id=period_id,
        )

    def candidates(self, *, person_id: int) -> list[Candidate]:
        """The invoices `person` can bill now (for a home screen or the choose step)."""
        with Session(self.engine) as session:
            return candidates(session, person_id=person_id, now=self.clock())

    def _handle(
        self,
        session: Session,
        person: Person,
        turn: Turn,
        commitment_id: int | None,
        period_id: int | None,
        choose: bool,
        outbox: Outbox,
        learned: list[Callable[[], None]],
    ) -> TurnResult:
        assert person.id is not None
        person_id = person.id
        asked = learn_language(session, person, turn)
        now = self.clock()
        key = _key(commitment_id, period_id, turn.action)
        prefix: tuple[Reply, ...] = ()
        named = False  # went to the last invoice talked about, one of several: say which
        if key is None:
            choose = choose or parse(turn.text, expect=Expect.choose).has(CommandName.switch)
            options = candidates(session, person_id=person_id, now=now)
            key = None if choose else self._default_key(session, person_id, options)
            named = key is not None and len(options) > 1
            if key is None:
                ctx = Context(
                    now=now,
                    today=now.date(),
                    person_name=person.name,
                    candidates=tuple(options),
                    language=language_of(person.language),
                )
                chosen, replies = step(State(step=StepName.choose), turn, ctx)
                if chosen.commitment_id is None or chosen.period_id is None:
                    outbox.queue(session, None, person, replies)
                    return TurnResult(tuple(replies))
                key = (chosen.commitment_id, chosen.period_id)
                prefix = tuple(replies)
                turn = Turn(action="start", channel=turn.channel)
        return self._keyed(
            session,
            person,
            turn,
            key,
            prefix,
            now,
            outbox=outbox,
            learned=learned,
            named=named,
            language_asked=asked,
        )

    def _default_key(
        self, session: Session, person_id: int, options: list[Candidate]
    ) -> tuple[int, int] | None:
        keys = {(c.commitment_id, c.period_id) for c in options}
        recent = recent_conversation(session, person_id=person_id)
        if recent is not None and (recent.commitment_id, recent.period_id) in keys:
            return recent.commitment_id, recent.period_id
        if len(options) == 1:
            return options[0].commitment_id, options[0].period_id
        return None

    def handle_in(
        self,
        session: Session,
        *,
        person_id: int,
        turn: Turn,
        commitment_id: int,
        period_id: int,
        outbox: Outbox,
    ) -> TurnResult:
        """One turn inside the caller's transaction, its replies to `outbox` (e.g. the
        contact hearing of a review, in the same transaction as the review)."""
        person = session.get(Person, person_id)
        if person is None:
            raise UnknownPerson(person_id)
        key = (commitment_id, period_id)
        return self._keyed(session, person, turn, key, (), self.clock(), outbox=outbox)

    def _keyed(
        self,
        session: Session,
        person: Person,
        turn: Turn,
        key: tuple[int, int],
        prefix: tuple[Reply, ...],
        now: datetime,
        *,
        outbox: Outbox | None = None,
        learned: list[Callable[[], None]] | None = None,
        named: bool = False,
        language_asked: bool = False,
    ) -> TurnResult:
        """`learned` collects what to keep once the turn has committed (None: keep nothing,
        e.g. a turn inside another transaction); `named`: the replies begin by naming the
        invoice (a message that named none went to one of several)."""
        assert person.id is not None
        person_id = person.id
        _ = words(person.language)
        opened = read_conversation(session, commitment_id=key[0], period_id=key[1])
        kept = None
        if opened.conversation is not None:
            kept = self.cache.get(key, opened.revision, person_id)
        ledger: CommitmentLedger | None = None
        if kept is not None:
            parties, ledger = kept.parties, kept.ledger
        else:
            found = invoice_parties(
                session, person_id=person_id, commitment_id=key[0], period_id=key[1]
            )
            if found is None:
                text = _("I can't find that invoice. Nothing was changed.")
                return self._refuse(session, person, text, outbox)
            if not found.contact:
                label = f"{found.commitment.number} {found.commitment.title}"
                text = render.not_a_contact_text(person.name, label, _)
                return self._refuse(session, person, text, outbox)
            parties = found
        reopened = opened
        if opened.conversation is None:  # the invoice's first turn
            create_conversation(session, commitment_id=key[0], period_id=key[1], now=now)
            reopened = read_conversation(session, commitment_id=key[0], period_id=key[1])
        conversation, invoices = reopened.conversation, reopened.invoices
        assert conversation is not None
        invoice = invoices.of_period(key[1])
        state = load_state(session, conversation, invoice)
        if ledger is None:
            ledger = load_ledger(session, commitment=parties.commitment, period=parties.period)
            # Kept under the revision read with the parties: the ledger was read after it.
            if learned is not None and parties.revision is not None:
                learned.append(
                    functools.partial(
                        self.cache.put,
                        key,
                        revision=parties.revision,
                        person_id=person_id,
                        parties=parties,
                        ledger=ledger,
                    )
                )
        ctx = build_context(
            session,
            person=person,
            ledger=ledger,
            invoice=invoice,
            now=now,
            limits=self.limits,
            parties=parties,
            invoices=invoices,
        )
        if invoice is None and ctx.past_due:  # too late for this period: is another open?
            others = open_elsewhere(
                session, person_id=person_id, commitment_id=key[0], period_id=key[1], now=now
            )
            ctx = replace(ctx, candidates=tuple(others))
        if language_asked:  # `English please`: the current question in it, the text not parsed
            turn = replace(turn, text="")
        new_state, replies = step(state, turn, ctx)
        leads = [render.routed_text(ctx)] if named else []
        if language_asked:
            leads.append(ctx.words("OK, I'll write in English from now on."))
        other = conversation.last_person_id
        if other is not None and other != person_id and conversation.state not in ("", "{}"):
            # two contacts on one invoice: the other's answers are in what follows
            someone = session.get(Person, other)
            if someone is not None:
                leads.append(render.others_turn_text(someone.name, ctx))
        if leads and replies:
            lead = "\n\n".join(leads)
            replies = [replace(replies[0], text=f"{lead}\n\n{replies[0].text}"), *replies[1:]]
        invoice = apply_state(
            session,
            state=new_state,
            ledger=ledger,
            invoice=invoice,
            person_id=person_id,
            now=now,
            channel=turn.channel,
            previous=state if conversation.state not in ("", "{}") else None,
            stored=ctx.attachments if invoice is not None else (),
        )
        save_conversation(
            session,
            conversation,
            new_state,
            person_id=person_id,
            channel=turn.channel,
            invoice_id=invoice.id if invoice else None,
            now=now,
        )
        all_replies = prefix + tuple(replies)
        (outbox or self.outbox).queue(session, conversation, person, all_replies)
        if self.on_sent and invoice and new_state.status == Status.sent != state.status:
            self.on_sent(session, invoice, now)
        return TurnResult(
            all_replies,
            conversation_id=conversation.id,
            commitment_id=key[0],
            period_id=key[1],
            invoice_id=invoice.id if invoice else None,
            status=new_state.status,
        )

    def _refuse(
        self, session: Session, person: Person, text: str, outbox: Outbox | None = None
    ) -> TurnResult:
        replies = (Reply(text, ReplyKind.error, StepName.choose),)
        (outbox or self.outbox).queue(session, None, person, replies)
        return TurnResult(replies, refused=True)


# `English please`, `in English`, `en inglés por favor`, `español por favor`, `in Spanish`:
# the language the person asks to be answered in, whatever was learned before
_LANGUAGE_ASKED = re.compile(
    r"\s*(?:(?:can\s+you\s+|could\s+you\s+|please\s+)?(?:write|answer|reply|talk|speak)\s+)?"
    r"(?:(?:in|en)\s+)?(?P<language>english|ingl[eé]s|spanish|espa[nñ]ol|castellano)"
    r"(?:\s+(?:please|pls|por\s+favor|thanks|gracias))?\s*[.!]*\s*",
    re.IGNORECASE,
)


def asked_language(text: str | None) -> str | None:
    """The language a message asks to be answered in (`en`, `es`), else None."""
    found = _LANGUAGE_ASKED.fullmatch(text or "")
    if found is None:
        return None
    return "en" if found["language"].lower().startswith(("english", "ingl")) else "es"


def learn_language(session: Session, person: Person, turn: Turn) -> bool:
    """A contact with no language set who writes in Spanish is answered in Spanish from then
    on (DESIGN §2): the language is kept on the person, in the turn's transaction (the
    channel's `turn.language` when the text it hands over no longer shows it). `English
    please` / `en español` sets it, whatever it was: then True (the turn is that request)."""
    asked = asked_language(turn.text)
    if asked is not None:
        if person.language != asked:
            person.language = asked
            session.add(person)
        return True
    if person.language is not None:
        return False
    language = turn.language or ("es" if turn.text and looks_spanish(turn.text) else None)
    if language is not None:
        person.language = language
        session.add(person)
    return False


def _key(
    commitment_id: int | None, period_id: int | None, action: str | None
) -> tuple[int, int] | None:
    if commitment_id is not None and period_id is not None:
        return commitment_id, period_id
    if action and action.startswith("choose:"):
        parts = action.split(":")
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            return int(parts[1]), int(parts[2])
    return None


__all__ = [
    "ConversationService",
    "FanOutbox",
    "MemoryOutbox",
    "Outbox",
    "Queued",
    "SentHook",
    "TurnResult",
    "UnknownPerson",
]
