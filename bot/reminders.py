"""Reminders before the billing date, on every channel the contact is known on.

`remind` records the due reminders (at most one per contact, commitment, period and
offset, by a database constraint) and queues their messages in the same transaction,
so a reminder is either recorded and queued, or neither. Without `today`, each
project's own date is used (its time zone), which is what `billbot run` does on a timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.settings import Settings
from models.db import session_scope
from models.reminders import DueReminder, project_days, queue_due_reminders
from models.tables import Person

log = logging.getLogger(__name__)


class NoChannelError(Exception):
    """Neither email nor Slack is configured: a reminder could not reach anyone."""


@dataclass
class RemindSummary:
    reminders: list[DueReminder] = field(default_factory=list)
    emails: int = 0
    slack_messages: int = 0

    def lines(self) -> list[str]:
        if not self.reminders:
            return ["No reminders due."]
        drafts = sum(1 for r in self.reminders if r.invoice_id is not None)
        return [
            f"Queued {len(self.reminders)} reminders ({drafts} about a draft not yet sent): "
            f"{self.emails} by email, {self.slack_messages} on Slack."
        ]


def remind(
    engine: Engine, settings: Settings, *, now: datetime, today: date | None = None
) -> RemindSummary:
    if not (settings.mail.configured or settings.slack.configured):
        raise NoChannelError(
            "no channel is configured: set BILLBOT_MAIL__* and/or BILLBOT_SLACK__* first"
        )
    summary = RemindSummary()
    with session_scope(engine) as session:
        if today is not None:
            due = queue_due_reminders(session, today=today, offsets=settings.reminder_days)
        else:
            due = []
            for day, project_ids in project_days(session, now=now).items():
                due += queue_due_reminders(
                    session, today=day, offsets=settings.reminder_days, project_ids=project_ids
                )
        for reminder in due:
            _queue(session, settings, reminder, now, summary)
        summary.reminders = due
    return summary


def _queue(
    session: Session,
    settings: Settings,
    reminder: DueReminder,
    now: datetime,
    summary: RemindSummary,
) -> None:
    if settings.mail.configured:
        from mail.reminder import queue_reminder_email

        if queue_reminder_email(session, reminder=reminder, settings=settings.mail, now=now):
            summary.emails += 1
    person = session.get(Person, reminder.person_id)
    if settings.slack.configured and person is not None and person.slack_user_id:
        from bot.slack.reminder import queue_slack_reminder

        if queue_slack_reminder(session, reminder=reminder, settings=settings):
            summary.slack_messages += 1


class ReminderWorker:
    """Checks every `interval` seconds which reminders are due in each project's time zone."""

    name = "reminders"

    def __init__(self, engine: Engine, settings: Settings, *, interval: float = 900.0) -> None:
        self.engine = engine
        self.settings = settings
        self.interval = interval

    async def run_once(self) -> None:
        summary = await asyncio.to_thread(remind, self.engine, self.settings, now=datetime.now(UTC))
        if summary.reminders:
            log.info("%s", " ".join(summary.lines()))

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:  # a bad pass must not stop the worker; the next one retries
                log.exception("reminder pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval)
