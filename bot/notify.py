"""Who hears about a sent invoice: the administrator by email, and on Slack when known there;
the contact who sent it gets a confirmation email with the invoice's PDF.

One hook for every channel's conversation service, so an invoice sent from Slack is
announced by email too, and the other way round. It runs in the turn's transaction;
each notification has a stable id, so it can never be queued twice. `reach_contact` says
where a contact hears of a review made from the command line, which may run without the
channel they bill on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.settings import Settings
from conversations.service import Outbox, SentHook
from models.conversation import Conversation
from models.tables import Invoice, Person


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


@dataclass
class ContactReach:
    """Where a contact hears of a review made in this process (`reach_contact`), and
    whether it waits for a channel this process has not configured."""

    where: tuple[Outbox, str] | None
    waits_for: str | None = None  # "Slack": queued for the next `billbot run` with Slack
    missed: str | None = None  # "email": invited there, and no mailbox configured here


def reach_contact(
    settings: Settings, session: Session, invoice: Invoice, person: Person
) -> ContactReach:
    """The contact's thread on the channels they used (`bot.review.contact_outbox`); when
    none of those is configured here, their Slack thread all the same if they were invited
    or wrote on Slack (a Slack message needs no token until it is delivered), else what
    they would miss: the email channel, when they were invited or wrote by email (an email
    cannot be written without the mailbox's settings)."""
    from bot.review import channels_used, contact_outbox
    from bot.slack.outbox import SlackOutbox
    from models.invitation import find_invitation

    where = contact_outbox(settings)(session, invoice, person)
    if where is not None or person.id is None:
        return ContactReach(where)
    invitation = find_invitation(
        session,
        commitment_id=invoice.commitment_id,
        period_id=invoice.period_id,
        person_id=person.id,
    )
    used = channels_used(session, invoice)
    if invitation is not None:
        if invitation.email_message_id is not None:
            used.add("email")
        if invitation.slack_channel is not None or invitation.slack_ts is not None:
            used.add("slack")
    if "slack" in used and not settings.slack.configured:
        thread = SlackOutbox(
            channel=invitation.slack_channel if invitation else None,
            thread_ts=invitation.slack_ts if invitation else None,
        )
        return ContactReach((thread, "slack"), waits_for="Slack")
    if "email" in used and not settings.mail.configured:
        return ContactReach(None, missed="email")
    return ContactReach(None)
