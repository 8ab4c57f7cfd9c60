"""Checking a `Fill in all lines` page before its ack, with reads only.

Slack wants a modal's validation errors in the ack itself (`response_action: errors`), and
the ack must not wait for a write lock. So the page's answers are run through the engine's
pure `step` on the conversation as it is now, in a session that writes nothing; the turn
that keeps them runs after the ack, from the inbox, like any other turn. Should the two
differ (another turn in between), the last page's turn says so in the thread; a middle
page's turn stays quiet, as it always has.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from conversations import render
from conversations.flow import step
from conversations.gather import build_context, find_invoice, is_contact
from conversations.state import State
from conversations.store import load_state
from conversations.types import Reply, ReplyKind, StepName, Turn
from models.attachments import AttachmentLimits
from models.conversation import Conversation
from models.i18n import language_of, words
from models.ledger import load_ledger
from models.tables import BillingPeriod, Commitment, Person


def check_lines(
    session: Session,
    *,
    person_id: int,
    key: tuple[int, int],
    turn: Turn,
    now: datetime,
    limits: AttachmentLimits,
) -> tuple[tuple[Reply, ...], State | None]:
    """The replies the engine would give to `turn` now, and the state it would leave (None
    when there is no conversation to check against); nothing is saved."""
    person = session.get(Person, person_id)
    commitment = session.get(Commitment, key[0])
    period = session.get(BillingPeriod, key[1])
    if person is None:
        return (), None
    _ = words(person.language)
    if commitment is None or period is None or period.project_id != commitment.project_id:
        return (_refusal(_("I can't find that invoice. Nothing was changed."), person),), None
    if not is_contact(session, person_id=person_id, commitment_id=key[0]):
        label = f"{commitment.number} {commitment.title}"
        return (_refusal(render.not_a_contact_text(person.name, label, _), person),), None
    conversation = session.exec(
        select(Conversation).where(
            Conversation.commitment_id == key[0], Conversation.period_id == key[1]
        )
    ).first()
    if conversation is None:  # no conversation yet: nothing to check against
        return (), None
    invoice = find_invoice(session, commitment_id=key[0], period_id=key[1])
    state = load_state(session, conversation, invoice)
    ledger = load_ledger(session, commitment=commitment, period=period)
    ctx = build_context(
        session, person=person, ledger=ledger, invoice=invoice, now=now, limits=limits
    )
    new_state, replies = step(state, turn, ctx)
    return tuple(replies), new_state


def _refusal(text: str, person: Person) -> Reply:
    return Reply(text, ReplyKind.error, StepName.choose, language=language_of(person.language))
