"""The shell around an administrator's review: one decision, one database transaction.

    lock the invoice -> review it (models.review) -> the contact's conversation hears of it
    (a turn, replies in the contact's own thread) -> the answer to the reviewer -> commit

Every channel (email reply, Slack, the command line) reviews through `ReviewService.review`,
so the rules, the history and what the contact is told are the same everywhere. A refused
review (not an administrator, not under review, a line that does not exist, over-billing)
changes nothing and tells the reviewer why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from conversations.render import money, review_note_text, with_review_note
from conversations.service import ConversationService, Outbox, utc_now
from conversations.store import StaleConversation
from conversations.types import Reply, ReplyKind, StepName, Turn
from models.conversation import Conversation
from models.db import write_transaction
from models.i18n import ENGLISH, Words, language_of, words
from models.retry import retried
from models.review import (
    Decision,
    ReviewKind,
    ReviewOutcome,
    ReviewRefused,
    review_invoice,
    status_words,
)
from models.tables import (
    Commitment,
    CommitmentContact,
    Invoice,
    InvoiceStatus,
    Person,
    label_of,
)

log = logging.getLogger(__name__)

# Where the contact hears of a review: an outbox (their thread on the channels they used)
# and the channel name for the wording; None when there is no way to reach them.
ContactOutbox = Callable[[Session, Invoice, Person], tuple[Outbox, str] | None]


@dataclass(frozen=True)
class ReviewResult:
    text: str  # what the reviewer is told
    outcome: ReviewOutcome | None = None
    refused: ReviewRefused | None = None
    contact: str | None = None  # who was told


class ReviewService:
    def __init__(
        self,
        engine: Engine,
        *,
        conversations: ConversationService,
        contact_outbox: ContactOutbox,
        clock: Callable[[], datetime] = utc_now,
        attempts: int = 3,
    ) -> None:
        self.engine = engine
        self.conversations = conversations
        self.contact_outbox = contact_outbox
        self.clock = clock
        self.attempts = attempts

    def review(
        self,
        *,
        invoice_id: int,
        reviewer_id: int,
        decision: Decision,
        channel: str,
        reply: Outbox | None = None,
    ) -> ReviewResult:
        """Apply `decision` in one transaction; the reviewer's answer goes to `reply`."""

        def once() -> ReviewResult:
            with write_transaction(self.engine) as session:
                return self._review(session, invoice_id, reviewer_id, decision, channel, reply)

        return retried(
            once,
            attempts=self.attempts,
            errors=(StaleConversation, IntegrityError, OperationalError),
            what=f"review of invoice {invoice_id}",
        )

    def _review(
        self,
        session: Session,
        invoice_id: int,
        reviewer_id: int,
        decision: Decision,
        channel: str,
        reply: Outbox | None,
    ) -> ReviewResult:
        reviewer = session.get(Person, reviewer_id)
        # The row lock makes a second reviewer wait for the first one's commit (PostgreSQL;
        # SQLite's BEGIN IMMEDIATE already serialises them) and then see its status.
        invoice = session.get(Invoice, invoice_id, with_for_update=True)
        if reviewer is None or invoice is None:
            raise LookupError(f"no invoice {invoice_id} or no person {reviewer_id}")
        try:
            outcome = review_invoice(
                session,
                invoice=invoice,
                reviewer=reviewer,
                decision=decision,
                channel=channel,
                now=self.clock(),
            )
        except ReviewRefused as refused:
            self._answer(session, reviewer, reply, refused.message, ReplyKind.error)
            return ReviewResult(refused.message, refused=refused)
        contact = self._tell_contact(session, outcome)
        text = reviewed_text(session, outcome, contact, words(reviewer.language))
        self._answer(session, reviewer, reply, text, ReplyKind.confirmation)
        return ReviewResult(text, outcome=outcome, contact=contact.name if contact else None)

    def _tell_contact(self, session: Session, outcome: ReviewOutcome) -> Person | None:
        invoice = outcome.invoice
        contact = invoice_contact(session, invoice)
        if contact is None or contact.id is None:
            return None
        where = self.contact_outbox(session, invoice, contact)
        if where is None:
            log.warning(
                "invoice %s (id %s): no mail or Slack channel is configured to tell %s of the "
                "review",
                invoice.number,
                invoice.id,
                contact.name,
            )
            return None
        outbox, channel = where
        note = _note_for_contact(outcome)
        if note:
            said = review_note_text(outcome.reviewer.name, note, words(contact.language))
            outbox = _NotedOutbox(outbox, said)
        action = (
            "returned" if outcome.to_status == InvoiceStatus.revise_and_resubmit else "approved"
        )
        self.conversations.handle_in(
            session,
            person_id=contact.id,
            turn=Turn(action=action, channel=channel),
            commitment_id=invoice.commitment_id,
            period_id=invoice.period_id,
            outbox=outbox,
        )
        return contact

    def _answer(
        self,
        session: Session,
        reviewer: Person,
        reply: Outbox | None,
        text: str,
        kind: ReplyKind,
    ) -> None:
        if reply is not None:
            answer = Reply(text, kind, StepName.done, language=language_of(reviewer.language))
            reply.queue(session, None, reviewer, (answer,))


class _NotedOutbox:
    """The contact's outbox, adding the administrator's note to the first message of the
    turn that tells them of the review (after its news, before the question)."""

    def __init__(self, outbox: Outbox, note: str) -> None:
        self.outbox = outbox
        self.note: str | None = note

    def queue(
        self,
        session: Session,
        conversation: Conversation | None,
        person: Person,
        replies: Sequence[Reply],
    ) -> None:
        if replies and self.note:
            first = replace(replies[0], text=with_review_note(replies[0].text, self.note))
            replies, self.note = (first, *replies[1:]), None
        self.outbox.queue(session, conversation, person, replies)


def _note_for_contact(outcome: ReviewOutcome) -> str:
    """The administrator's note, for the contact's message; on an approval as noted it is
    already there, as the reason of each line changed."""
    changed = any(before != after for before, after in outcome.adjusted.values())
    if outcome.decision.kind == ReviewKind.approve_as_noted and changed:
        return ""
    return outcome.decision.note.strip()


def invoice_contact(session: Session, invoice: Invoice) -> Person | None:
    """Who hears of a review: the contact who sent the invoice, else the last one who wrote
    in its conversation, else its commitment's first invoice contact."""
    for person_id in (invoice.sent_by_id, _last_writer(session, invoice)):
        if person_id is not None and (person := session.get(Person, person_id)) is not None:
            return person
    statement = (
        select(Person)
        .join(CommitmentContact, col(CommitmentContact.person_id) == Person.id)
        .where(col(CommitmentContact.commitment_id) == invoice.commitment_id)
        .order_by(col(Person.id))
    )
    return session.exec(statement).first()


def _last_writer(session: Session, invoice: Invoice) -> int | None:
    statement = select(Conversation.last_person_id).where(
        col(Conversation.commitment_id) == invoice.commitment_id,
        col(Conversation.period_id) == invoice.period_id,
    )
    return session.exec(statement).first()


def reviewed_text(
    session: Session, outcome: ReviewOutcome, contact: Person | None, _: Words = ENGLISH
) -> str:
    """The reviewer's confirmation, in their language: what now stands, and who was told."""
    invoice = outcome.invoice
    values = {
        "number": invoice.number,
        "commitment": label_of(session.get(Commitment, invoice.commitment_id)),
    }
    if contact is not None:
        told = _("{name} has been told.", name=contact.name)
    else:
        told = _("(No contact could be told.)")
    if outcome.decision.kind == ReviewKind.reject:
        lines = "; ".join(
            _("line {line}: {reason}", line=line, reason=reason)
            if reason
            else _("line {line}", line=line)
            for line, reason in outcome.returned.items()
        )
        returned = _(
            "Returned invoice {number} ({commitment}) for revision ({lines}).",
            lines=lines,
            **values,
        )
        return " ".join([returned, told, _("You will hear when it is sent again.")])
    changed = [
        _("line {line}: {before} -> {after}", line=line, before=money(before), after=money(after))
        for line, (before, after) in outcome.adjusted.items()
        if before != after
    ]
    values["status"] = status_words(outcome.to_status, _)
    if changed:
        stands = _(
            "Invoice {number} ({commitment}) is {status} ({changes}).",
            changes="; ".join(changed),
            **values,
        )
    else:
        stands = _("Invoice {number} ({commitment}) is {status}.", **values)
    certified = _(
        "Amount certified (current payment due): {value}.", value=money(outcome.certified)
    )
    return f"{stands} {certified} {told}"
