"""Who hears about a sent invoice: the administrator by email, and on Slack when known there;
the contact who sent it gets a confirmation email with the invoice's PDF.

One hook for every channel's conversation service, so an invoice sent from Slack is
announced by email too, and the other way round. It runs in the turn's transaction;
each notification has a stable id, so it can never be queued twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.settings import Settings
from conversations.service import SentHook
from models.conversation import Conversation
from models.tables import Invoice


def sent_from(session: Session, invoice: Invoice) -> str | None:
    """The channel of the turn that sent `invoice` (the conversation's last channel)."""
    statement = select(Conversation.last_channel).where(
        col(Conversation.commitment_id) == invoice.commitment_id,
        col(Conversation.period_id) == invoice.period_id,
    )
    return session.exec(statement).first()


def sent_notifier(settings: Settings) -> SentHook:
    def notify(session: Session, invoice: Invoice, now: datetime) -> None:
        if settings.mail.configured:
            from mail.notify import (
                attach_document_to_reply,
                queue_contact_confirmation,
                queue_sent_notification,
            )

            queue_sent_notification(session, invoice=invoice, settings=settings, now=now)
            # An email turn's own reply already confirms the sending in the contact's
            # thread; a second confirmation email there would be noise.
            if sent_from(session, invoice) != "email":
                queue_contact_confirmation(session, invoice=invoice, settings=settings, now=now)
            else:
                attach_document_to_reply(session, invoice=invoice, settings=settings)
        if settings.slack.configured:
            from bot.slack.notify import queue_slack_sent_notification

            queue_slack_sent_notification(session, invoice=invoice, settings=settings)

    return notify
