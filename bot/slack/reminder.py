"""The Slack reminder before the billing date: a DM with a button to start or continue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from conversations.render import money
from models.ledger import invoice_figures
from models.outbox import OutboundMessage
from models.reminders import DueReminder, invoice_state_text
from models.tables import BillingPeriod, Commitment, Invoice, InvoiceStatus, Person, Project

from .blocks import Block, SlackMessage, button, button_value, section, totals_fields
from .home import START
from .outbox import queue_message
from .text import escape

if TYPE_CHECKING:
    from bot.settings import Settings


def queue_slack_reminder(
    session: Session, *, reminder: DueReminder, settings: Settings
) -> OutboundMessage | None:
    """Queue the reminder DM of one recorded reminder; None without a known Slack user."""
    person = session.get(Person, reminder.person_id)
    commitment = session.get(Commitment, reminder.commitment_id)
    period = session.get(BillingPeriod, reminder.period_id)
    if not settings.slack.configured or person is None or not person.slack_user_id:
        return None
    if commitment is None or period is None:
        return None
    project = session.get(Project, commitment.project_id)
    label = escape(f"{commitment.number} {commitment.title}")
    where = f" on {escape(project.name)}" if project else ""
    deadline = reminder.deadline(period.billing_date, period.due_date, lambda s: f"*{s}*")
    invoice = session.get(Invoice, reminder.invoice_id) if reminder.invoice_id else None
    key = (reminder.commitment_id, reminder.period_id)
    blocks: list[Block]
    if invoice is not None:
        summary = invoice_figures(session, invoice).summary
        due = money(summary.current_payment_due)
        plain_state = invoice_state_text(session, invoice)
        on = "the draft" if invoice.status == InvoiceStatus.draft else "it now"
        state = escape(plain_state)
        text = (
            f":hourglass: Your invoice *{escape(invoice.number)}* for *{label}*{where} "
            f"{state}. {deadline}\n"
            f"Current payment due on {on}: *{due}*. Press *Continue invoice* to "
            "review it and send it."
        )
        blocks = [section(text), totals_fields(summary)]
        label_button = "Continue invoice"
        fallback = f"Reminder: invoice {invoice.number} ({due}) {plain_state}."
    else:
        text = (
            f":bell: A reminder: we have not received your invoice for *{label}*{where} yet. "
            f"{deadline}\nPress *Start invoice* to bill it here."
        )
        blocks = [section(text)]
        label_button = "Start invoice"
        fallback = (
            f"Reminder: please bill {commitment.number} {commitment.title}. "
            f"{reminder.deadline(period.billing_date, period.due_date)}"
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
