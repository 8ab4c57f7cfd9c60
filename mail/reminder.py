"""The reminder email before the billing date, threaded to the invitation.

Not started: the invite's content (SOV table and answer template) under a reminder line.
Draft saved: the draft's G702 totals and how to send it. Either way the Reply-To carries
the invitation's token, so answering the reminder continues the same invoice.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlmodel import Session

from conversations.context import format_date
from conversations.plaintext import totals_table
from mail.compose import AUTO_GENERATED, Envelope, queue_email
from mail.config import MailSettings, domain, secret_bytes
from mail.html import document, paragraphs, totals_html
from mail.invite import compose_invite
from mail.tokens import make_token, reply_address
from models.invitation import get_or_create_invitation
from models.ledger import invoice_figures
from models.outbox import OutboundMessage
from models.reminders import DueReminder
from models.tables import BillingPeriod, Commitment, Invoice, Person, Project


def when_text(offset_days: int) -> str:
    if offset_days == 0:
        return "today"
    if offset_days == 1:
        return "tomorrow"
    return f"in {offset_days} days"


def queue_reminder_email(
    session: Session,
    *,
    reminder: DueReminder,
    settings: MailSettings,
    now: datetime,
) -> OutboundMessage | None:
    """Queue the email of one recorded reminder (its Message-ID is stable: at most once)."""
    person = session.get(Person, reminder.person_id)
    commitment = session.get(Commitment, reminder.commitment_id)
    period = session.get(BillingPeriod, reminder.period_id)
    if person is None or commitment is None or period is None or not person.email:
        return None
    project = session.get(Project, commitment.project_id)
    assert project is not None and settings.address
    invitation, _ = get_or_create_invitation(
        session,
        commitment_id=reminder.commitment_id,
        period_id=reminder.period_id,
        person_id=reminder.person_id,
        expires_at=now + timedelta(days=settings.token_days),
    )
    assert invitation.id is not None
    token = make_token(secret_bytes(settings), invitation.id)
    invoice = session.get(Invoice, reminder.invoice_id) if reminder.invoice_id else None
    label = f"{commitment.number} {commitment.title}"
    deadline = (
        f"The billing date is {when_text(reminder.offset_days)} "
        f"({format_date(period.billing_date)}); invoices are due by "
        f"{format_date(period.due_date)}."
    )
    first = person.name.split()[0] if person.name.strip() else "there"
    if invoice is not None:
        summary = invoice_figures(session, invoice).summary
        intro = (
            f"Hi {first},\n\nYour invoice {invoice.number} for {label} on {project.name} is "
            f"saved as a draft but has not been sent. {deadline}"
        )
        how = (
            "Reply SEND to send it for review as it is, or reply with changes "
            "(for example `2: 60%`) and then SEND."
        )
        subject = f"Reminder: {project.name}: invoice {invoice.number} is still a draft"
        text = "\n\n".join([intro, totals_table(summary), how]) + "\n"
        html = document(paragraphs(intro) + totals_html(summary) + paragraphs(how))
    else:
        invite = compose_invite(session, invitation, now=now, sender=settings.display_name)
        intro = (
            f"Reminder: we have not received your invoice for {label} on {project.name}. {deadline}"
        )
        subject = f"Reminder: {invite.subject}"
        text = intro + "\n\n" + invite.text
        lead = paragraphs(intro)
        html = re.sub(r"<body[^>]*>", lambda match: match.group(0) + lead, invite.html, count=1)
    message_id = f"<{token}.reminder-{reminder.reminder_id}@{domain(settings)}>"
    envelope = Envelope(
        recipient=person.email,
        recipient_name=person.name,
        subject=subject,
        reply_to=reply_address(settings.address, token),
        in_reply_to=invitation.email_message_id,
        references=tuple(ref for ref in (invitation.email_message_id, message_id) if ref),
        auto_submitted=AUTO_GENERATED,
    )
    return queue_email(
        session, envelope=envelope, text=text, html=html, message_id=message_id, kind="reminder"
    )
