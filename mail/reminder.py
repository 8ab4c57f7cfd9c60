"""The reminder email before the billing date, threaded to the invitation.

Not started: the invite's content (SOV table and answer template) after a reminder line.
Draft saved: the draft's current payment due, its G702 totals and how to send it. Either
way the Reply-To carries the invitation's token, so answering the reminder continues the
same invoice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from conversations.plaintext import totals_table
from conversations.render import money
from mail.compose import AUTO_GENERATED, Envelope, queue_email
from mail.config import MailSettings, domain, secret_bytes
from mail.html import document, paragraphs, totals_html
from mail.invite import compose_invite
from mail.tokens import make_token, reply_address
from models.invitation import get_or_create_invitation
from models.ledger import invoice_figures
from models.outbox import OutboundMessage
from models.reminders import DueReminder, invoice_state_text
from models.tables import BillingPeriod, Commitment, Invoice, InvoiceStatus, Person, Project


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
    deadline = reminder.deadline(period.billing_date, period.due_date)
    template = ""
    if invoice is not None:
        figures = invoice_figures(session, invoice)
        first = person.name.split()[0] if person.name.strip() else "there"
        where = f"{invoice.number} for {label} on {project.name}"
        state = invoice_state_text(session, invoice)
        on = "the draft" if invoice.status == InvoiceStatus.draft else "it now"
        intro = (
            f"Hi {first},\n\nYour invoice {where} {state}. {deadline}\n\n"
            f"Current payment due on {on}: {money(figures.summary.current_payment_due)}."
        )
        line = figures.lines[0].number if figures.lines else "1"
        how = (
            "To send it for review as it is, reply to this email with the word send. "
            f"To change it first, reply with the changed lines (for example {line}: 60%) "
            "and the word send; without send you get the updated draft to check first."
        )
        returned = invoice.status == InvoiceStatus.revise_and_resubmit
        still = "was returned for revision" if returned else "is still a draft"
        subject = f"Reminder: {project.name}: invoice {invoice.number} {still}"
        text = "\n\n".join([intro, totals_table(figures.summary), how]) + "\n"
        html = document(paragraphs(intro) + totals_html(figures.summary) + paragraphs(how))
    else:
        lead = f"A reminder: we have not received your invoice for {label} yet. {deadline}"
        invite = compose_invite(
            session, invitation, now=now, sender=settings.display_name, lead=lead
        )
        subject = f"Reminder: {invite.subject}"
        text, html, template = invite.text, invite.html, invite.template
    message_id = f"<{token}.reminder-{reminder.reminder_id}@{domain(settings)}>"
    envelope = Envelope(
        recipient=person.email,
        recipient_name=person.name,
        subject=subject,
        reply_to=reply_address(settings.address, token),
        in_reply_to=invitation.email_message_id,
        references=tuple(ref for ref in (invitation.email_message_id, message_id) if ref),
        auto_submitted=AUTO_GENERATED,
        answer_template=template,
    )
    return queue_email(
        session, envelope=envelope, text=text, html=html, message_id=message_id, kind="reminder"
    )
