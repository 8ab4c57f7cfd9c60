"""The reminder email before the billing date, threaded to the invitation.

Not started: the invite's content (SOV table and answer template) after a reminder line.
Draft saved: the draft's current payment due, its G702 totals and how to send it. Either
way the Reply-To carries the invitation's token, so answering the reminder continues the
same invoice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import Session

from conversations.plaintext import totals_table
from conversations.render import first_name, money
from mail.compose import AUTO_GENERATED, Envelope, queue_email
from mail.config import MailSettings, domain, secret_bytes
from mail.html import document, paragraphs, totals_html
from mail.invite import compose_invite
from mail.tokens import make_token, reply_address
from models.i18n import N_, words
from models.invitation import get_or_create_invitation
from models.ledger import invoice_figures
from models.outbox import OutboxKind
from models.reminders import DueReminder, invoice_state_text
from models.tables import BillingPeriod, Commitment, Invoice, InvoiceStatus, Person, Project

log = logging.getLogger(__name__)
LEAD = N_("A reminder: we have not received your invoice for {commitment} yet.")


def queue_reminder_email(
    session: Session,
    *,
    reminder: DueReminder,
    settings: MailSettings,
    now: datetime,
) -> int | None:
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
    if invitation.email_bounced(person.email):  # the board says so; Slack may still remind
        log.warning(
            "reminder to %s not emailed: email to that address came back undelivered (%s)",
            person.email,
            invitation.email_bounce or "no reason given",
        )
        return None
    token = make_token(secret_bytes(settings), invitation.id)
    invoice = session.get(Invoice, reminder.invoice_id) if reminder.invoice_id else None
    _ = words(person.language)
    label = f"{commitment.number} {commitment.title}"
    deadline = reminder.deadline(period.billing_date, period.due_date, str, _)
    template = ""
    if invoice is not None:
        figures = invoice_figures(session, invoice)
        due = money(figures.summary.current_payment_due)
        intro = _("Hi {name},", name=first_name(person.name, _)) + "\n\n"
        intro += _(
            "Your invoice {number} for {commitment} on {project} {state}.",
            number=invoice.number,
            commitment=label,
            project=project.name,
            state=invoice_state_text(session, invoice, _),
        )
        intro += f" {deadline}\n\n"
        if invoice.status == InvoiceStatus.draft:
            intro += _("Current payment due on the draft: {value}.", value=due)
        else:
            intro += _("Current payment due on it now: {value}.", value=due)
        how = _(
            "To send it for review as it is, reply to this email with the word send. To change "
            "it first, reply with the changed lines (for example {line}: 60%) and the word send; "
            "without send you get the updated draft to check first.",
            line=figures.lines[0].number if figures.lines else "1",
        )
        values = {"project": project.name, "number": invoice.number}
        if invoice.status == InvoiceStatus.revise_and_resubmit:
            subject = _("Reminder: {project}: invoice {number} was returned for revision", **values)
        else:
            subject = _("Reminder: {project}: invoice {number} is still a draft", **values)
        text = "\n\n".join([intro, totals_table(figures.summary, _), how]) + "\n"
        html = document(paragraphs(intro) + totals_html(figures.summary, _) + paragraphs(how))
    else:
        lead = _(LEAD, commitment=label)
        invite = compose_invite(
            session, invitation, now=now, sender=settings.display_name, lead=f"{lead} {deadline}"
        )
        subject = _("Reminder: {subject}", subject=invite.subject)
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
        session,
        envelope=envelope,
        text=text,
        html=html,
        message_id=message_id,
        kind=OutboxKind.reminder,
    )
