"""The email to the invoice administrator when an invoice is sent: G702 totals and the PDF."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session, select

from conversations.gather import period_info
from conversations.plaintext import totals_table
from mail.compose import AUTO_GENERATED, Envelope, FileRef, queue_email
from mail.config import MailEnvironment, domain
from mail.html import document, paragraphs, totals_html
from models.attachments import human_size, store_bytes
from models.ledger import invoice_figures
from models.outbox import OutboundMessage, message_exists
from models.pdf import TotalsMismatchError, invoice_document, pdf_filename, render_invoice_pdf
from models.tables import Attachment, BillingPeriod, Commitment, Invoice, Person, Project

log = logging.getLogger(__name__)


def sent_message_id(invoice: Invoice, settings: MailEnvironment) -> str:
    """One notification per sending of an invoice (a resubmission is a new sending)."""
    stamp = int(invoice.sent_at.timestamp()) if invoice.sent_at else 0
    return f"<sent-{invoice.id}-{stamp}@{domain(settings.mail)}>"


def queue_sent_notification(
    session: Session, *, invoice: Invoice, settings: MailEnvironment, now: datetime
) -> OutboundMessage | None:
    """Queue the administrator's notification of `invoice` (once); None if nobody to tell."""
    commitment = session.get(Commitment, invoice.commitment_id)
    admin_id = commitment.administrator_id if commitment else None
    admin = session.get(Person, admin_id) if admin_id else None
    if commitment is None or admin is None or not admin.email:
        return None
    message_id = sent_message_id(invoice, settings)
    if message_exists(session, message_id):
        return None
    project = session.get(Project, commitment.project_id)
    period = session.get(BillingPeriod, invoice.period_id)
    sender = session.get(Person, invoice.sent_by_id) if invoice.sent_by_id else None
    assert project is not None and period is not None
    label = f"{commitment.number} {commitment.title}"
    intro = (
        f"{sender.name if sender else 'The invoice contact'} sent invoice {invoice.number} for "
        f"{label} on {project.name} for {period_info(period).label} for your review."
    )
    files = session.exec(select(Attachment).where(Attachment.invoice_id == invoice.id)).all()
    listed = "\n".join(f"- {a.filename} ({human_size(a.size)})" for a in files)
    attached = f"Their attachments:\n{listed}" if files else "They attached no files."
    summary = invoice_figures(session, invoice).summary
    attachments: tuple[FileRef, ...] = ()
    try:
        document_data = invoice_document(session, invoice)
        digest, _ = store_bytes(settings.attachments_dir, render_invoice_pdf(document_data))
        attachments = (FileRef(pdf_filename(document_data), "application/pdf", digest),)
        closing = "The G702/G703 application is attached as a PDF."
    except (TotalsMismatchError, OSError) as exc:
        log.error("invoice %s: no PDF for the notification: %s", invoice.id, exc)
        closing = f"The PDF could not be made ({exc}); run `billbot export {invoice.id}`."
    text = "\n\n".join([intro, totals_table(summary), attached, closing]) + "\n"
    html = document(
        paragraphs(intro) + totals_html(summary) + paragraphs(attached + "\n\n" + closing)
    )
    envelope = Envelope(
        recipient=admin.email,
        recipient_name=admin.name,
        subject=f"{project.name}: {label} invoice {invoice.number} was sent for review",
        reply_to=sender.email if sender else None,
        reply_to_name=sender.name if sender else None,
        auto_submitted=AUTO_GENERATED,
        attachments=attachments,
    )
    return queue_email(
        session, envelope=envelope, text=text, html=html, message_id=message_id, kind="notification"
    )
