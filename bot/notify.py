"""Who hears about a sent invoice: the administrator by email, and on Slack when known there.

One hook for every channel's conversation service, so an invoice sent from Slack is
announced by email too, and the other way round. It runs in the turn's transaction;
each notification has a stable id, so it can never be queued twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.settings import Settings
from conversations.service import SentHook
from models.tables import Invoice


def sent_notifier(settings: Settings) -> SentHook:
    def notify(session: Session, invoice: Invoice, now: datetime) -> None:
        if settings.mail.configured:
            from mail.notify import queue_sent_notification

            queue_sent_notification(session, invoice=invoice, settings=settings, now=now)
        if settings.slack.configured:
            from bot.slack.notify import queue_slack_sent_notification

            queue_slack_sent_notification(session, invoice=invoice, settings=settings)

    return notify
