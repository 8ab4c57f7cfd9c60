"""Telling the invoice administrator on Slack that an invoice was sent (when they have a
Slack user id); idempotent per invoice and send time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from conversations.context import format_date
from conversations.gather import period_info
from conversations.render import money
from models.ledger import invoice_figures
from models.outbox import OutboundMessage
from models.tables import BillingPeriod, Commitment, Invoice, Person, Project

from .blocks import SlackMessage, section
from .outbox import queue_message
from .text import escape

if TYPE_CHECKING:
    from bot.settings import Settings


def queue_slack_sent_notification(
    session: Session, *, invoice: Invoice, settings: Settings
) -> OutboundMessage | None:
    """Queue a DM to the commitment's administrator about the sent `invoice`; None when
    Slack is off, the administrator has no Slack user id, or it was queued already."""
    commitment = session.get(Commitment, invoice.commitment_id)
    admin = (
        session.get(Person, commitment.administrator_id)
        if commitment and commitment.administrator_id
        else None
    )
    if (
        not settings.slack.configured
        or commitment is None
        or admin is None
        or not admin.slack_user_id
    ):
        return None
    stamp = invoice.sent_at.isoformat() if invoice.sent_at else "unsent"
    marker = f"<slack-sent-{invoice.id}-{stamp}@billbot>"
    if session.exec(
        select(OutboundMessage).where(col(OutboundMessage.message_id) == marker)
    ).first():
        return None
    project = session.get(Project, commitment.project_id)
    period = session.get(BillingPeriod, invoice.period_id)
    sender = session.get(Person, invoice.sent_by_id) if invoice.sent_by_id else None
    due = invoice_figures(session, invoice).summary.current_payment_due
    who = sender.name if sender else "A contact"
    when = f"{period_info(period).label}" if period else ""
    text = (
        f"{who} sent invoice {invoice.number} for {commitment.number} {commitment.title}"
        f"{' on ' + project.name if project else ''}, {when}: current payment due {money(due)}."
    )
    if invoice.sent_at:
        text += f" Sent {format_date(invoice.sent_at.date())}; it is now under review."
    row = queue_message(
        session,
        person=admin,
        message=SlackMessage(text, [section(escape(text))]),
        kind="notification",
    )
    row.message_id = marker
    return row
