"""The Slack reminder before the billing date: a DM with a button to start or continue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from conversations.render import money
from models.i18n import words
from models.ledger import invoice_figures
from models.reminders import DueReminder, invoice_state_text
from models.tables import (
    BillingPeriod,
    Commitment,
    Invoice,
    InvoiceStatus,
    Person,
    Project,
    label_of,
)

from .blocks import Block, SlackMessage, button, button_value, section, totals_fields
from .home import START
from .outbox import queue_message
from .text import escape

if TYPE_CHECKING:
    from bot.settings import Settings


def queue_slack_reminder(
    session: Session, *, reminder: DueReminder, settings: Settings
) -> int | None:
    """Queue the reminder DM of one recorded reminder; None without a known Slack user."""
    person = session.get(Person, reminder.person_id)
    commitment = session.get(Commitment, reminder.commitment_id)
    period = session.get(BillingPeriod, reminder.period_id)
    if not settings.slack.configured or person is None or not person.slack_user_id:
        return None
    if commitment is None or period is None:
        return None
    _ = words(person.language)
    project = session.get(Project, commitment.project_id)
    label = escape(f"{commitment.number} {commitment.title}")
    where = escape(project.name) if project else ""
    deadline = reminder.deadline(period.billing_date, period.due_date, lambda s: f"*{s}*", _)
    invoice = session.get(Invoice, reminder.invoice_id) if reminder.invoice_id else None
    key = (reminder.commitment_id, reminder.period_id)
    blocks: list[Block]
    if invoice is not None:
        summary = invoice_figures(session, invoice).summary
        due = money(summary.current_payment_due)
        plain_state = invoice_state_text(session, invoice, _)
        text = ":hourglass: " + _(
            "Your invoice *{number}* for *{commitment}* on {project} {state}.",
            number=escape(invoice.number),
            commitment=label,
            project=where,
            state=escape(plain_state),
        )
        text += f" {deadline}\n"
        if invoice.status == InvoiceStatus.draft:
            text += _("Current payment due on the draft: *{value}*.", value=due)
        else:
            text += _("Current payment due on it now: *{value}*.", value=due)
        text += " " + _("Press *Continue invoice* to review it and send it.")
        blocks = [section(text), totals_fields(summary, _)]
        label_button = _("Continue invoice")
        fallback = _(
            "Reminder: invoice {number} ({value}) {state}.",
            number=invoice.number,
            value=due,
            state=plain_state,
        )
    else:
        text = ":bell: " + _(
            "A reminder: we have not received your invoice for *{commitment}* on {project} yet.",
            commitment=label,
            project=where,
        )
        text += f" {deadline}\n" + _("Press *Start invoice* to bill it here.")
        blocks = [section(text)]
        label_button = _("Start invoice")
        fallback = (
            _(
                "Reminder: please bill {commitment}.",
                commitment=label_of(commitment),
            )
            + " "
            + reminder.deadline(period.billing_date, period.due_date, str, _)
        )
    blocks.append(
        {
            "type": "actions",
            "elements": [button(label_button, START, button_value("start", key), "primary")],
        }
    )
    return queue_message(
        session,
        person=person,
        message=SlackMessage(fallback, blocks),
        kind="reminder",
        extra={"reminder_id": reminder.reminder_id},
    )
