"""Wiring the administrator's review for every channel (DESIGN §6).

One `ReviewService` per process: the email intake, the Slack worker and `billbot review`
all review through it. A contact hears of a review in their own thread on the channels they
used for the invoice (email, Slack, or both; email when they only used the console).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.settings import Settings
from conversations.review_service import ContactOutbox, ReviewService
from conversations.service import (
    ConversationService,
    FanOutbox,
    MemoryOutbox,
    Outbox,
    SentHook,
    utc_now,
)
from models.conversation import Conversation
from models.invitation import find_invitation
from models.outbox import InboundMessage
from models.tables import Invoice, Person


def channels_used(session: Session, invoice: Invoice) -> set[str]:
    """The channels the contacts wrote on about `invoice` (its conversation's inbound
    messages and last channel)."""
    conversation = session.exec(
        select(Conversation).where(
            col(Conversation.commitment_id) == invoice.commitment_id,
            col(Conversation.period_id) == invoice.period_id,
        )
    ).first()
    if conversation is None:
        return set()
    statement = select(InboundMessage.channel).where(
        col(InboundMessage.conversation_id) == conversation.id
    )
    used = set(session.exec(statement.distinct()))
    if conversation.last_channel:
        used.add(conversation.last_channel)
    return used


def contact_outbox(settings: Settings) -> ContactOutbox:
    """Where a contact hears of a review: their invoice's thread on each channel they used."""

    def where(session: Session, invoice: Invoice, person: Person) -> tuple[Outbox, str] | None:
        used = channels_used(session, invoice) & {"email", "slack"} or {"email", "slack"}
        outboxes: list[tuple[Outbox, str]] = []
        if "email" in used and settings.mail.configured:
            from mail.review import contact_email_outbox

            email = contact_email_outbox(session, settings, invoice, person)
            if email is not None:
                outboxes.append((email, "email"))
        if "slack" in used and settings.slack.configured and person.id is not None:
            from bot.slack.outbox import SlackOutbox

            invitation = find_invitation(
                session,
                commitment_id=invoice.commitment_id,
                period_id=invoice.period_id,
                person_id=person.id,
            )
            thread = SlackOutbox(
                channel=invitation.slack_channel if invitation else None,
                thread_ts=invitation.slack_ts if invitation else None,
            )
            outboxes.append((thread, "slack"))
        if not outboxes:
            return None
        if len(outboxes) == 1:
            return outboxes[0]
        last = "slack" if "slack" in used and "email" not in used else "email"
        return FanOutbox([outbox for outbox, _ in outboxes]), last

    return where


def review_service(
    engine: Engine,
    settings: Settings,
    *,
    on_sent: SentHook,
    clock: Callable[[], datetime] = utc_now,
) -> ReviewService:
    return ReviewService(
        engine,
        conversations=ConversationService(
            engine, outbox=MemoryOutbox(), on_sent=on_sent, clock=clock
        ),
        contact_outbox=contact_outbox(settings),
        clock=clock,
    )
