"""The emails when an invoice is sent: to its administrator (G702 totals and the PDF) and,
when it was sent from another channel than email, a confirmation to the contact who sent it
with the same PDF (an email turn's own reply already confirms it in that thread)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlmodel import Session, col, select

from conversations.context import format_date
from conversations.gather import period_info
from conversations.plaintext import totals_table
from conversations.render import first_name
from conversations.review_answers import ANSWER_FORMS
from mail.compose import AUTO_GENERATED, Envelope, FileRef, mint_message_id, queue_email
from mail.config import MailEnvironment, domain, secret_bytes
from mail.html import document, paragraphs, totals_html
from mail.invite import invitation_subject
from mail.review import review_address, review_token
from mail.tokens import make_token, reply_address
from models.attachments import AttachmentRef, human_size
from models.conversation import Conversation
from models.i18n import ENGLISH, Words, words
from models.invitation import get_or_create_invitation
from models.ledger import InvoiceFigures, invoice_figures
from models.outbox import OutboundMessage, OutboxKind, OutboxStatus, message_exists
from models.pdf import TotalsMismatchError, invoice_document, pdf_filename
from models.pdf_g703 import grand_totals
from models.rendered import rendering_name, store_rendered
from models.review import changes_since_review, times_sent
from models.tables import Attachment, BillingPeriod, Commitment, Invoice, Person, Project, label_of

log = logging.getLogger(__name__)


def sent_message_id(
    session: Session, invoice: Invoice, settings: MailEnvironment, person_id: int
) -> str:
    """One notification per sending of an invoice (a resubmission is a new sending, counted,
    not timed); the review token in it routes the administrator's answer even without the
    plus-tag."""
    assert invoice.id is not None
    stamp = times_sent(session, invoice)
    token = review_token(settings, invoice.id, person_id)
    return f"<{token}.sent-{invoice.id}-{stamp}@{domain(settings.mail)}>"


def sent_figures(session: Session, invoice: Invoice) -> InvoiceFigures:
    """The figures of `invoice` as it was sent, computed once per transaction for all the
    emails that show them (the administrator's notification, the contact's confirmation)."""
    made: dict[int | None, InvoiceFigures] = session.info.setdefault("sent_figures", {})
    if invoice.id not in made:
        made[invoice.id] = invoice_figures(session, invoice)
    return made[invoice.id]


def invoice_pdf(
    session: Session, invoice: Invoice, settings: MailEnvironment, _: Words = ENGLISH
) -> tuple[tuple[FileRef, ...], str]:
    """The invoice's G702/G703 PDF as an attachment, and the sentence that announces it.

    One PDF per sending, whatever the number of emails that carry it (the administrator's
    notification, the contact's confirmation, the reply of the turn that sent it): its
    document is read here, in the turn's transaction, and rendered once that transaction has
    committed, outside the write lock (`models.rendered`)."""
    made: dict[tuple[int | None, int], FileRef | Exception] = session.info.setdefault(
        "invoice_pdf", {}
    )
    assert invoice.id is not None
    key = (invoice.id, times_sent(session, invoice))
    if key not in made:
        try:
            document_data = invoice_document(session, invoice)
            grand_totals(document_data["lines"], document_data["totals"])  # the PDF's own check
        except TotalsMismatchError as exc:
            log.error("invoice %s: no PDF for the email: %s", invoice.id, exc)
            made[key] = exc
        else:
            name = rendering_name(invoice.id, key[1])
            filename = pdf_filename(document_data)
            made[key] = FileRef(filename, "application/pdf", "", document=name)
            render = _renderer(settings.attachments_dir, name, document_data)
            event.listen(session, "after_commit", render, once=True)
    found = made[key]
    if isinstance(found, Exception):
        return (), _(
            "The PDF could not be made ({error}); run `billbot export {invoice}`.",
            error=found,
            invoice=invoice.id,
        )
    return (found,), _("The G702/G703 application is attached as a PDF.")


def _renderer(
    attachments_dir: Path, name: str, document_data: dict[str, Any]
) -> Callable[[Session], None]:
    def render(_session: Session) -> None:
        try:
            store_rendered(attachments_dir, name, document_data)
        except Exception:  # the turn is committed; the sender renders it before delivering
            log.exception("%s: not rendered after the turn", name)

    return render


def queue_sent_notification(
    session: Session, *, invoice: Invoice, settings: MailEnvironment, now: datetime
) -> int | None:
    """Queue the administrator's notification of `invoice` (once); None if nobody to tell."""
    commitment = session.get(Commitment, invoice.commitment_id)
    admin_id = commitment.administrator_id if commitment else None
    admin = session.get(Person, admin_id) if admin_id else None
    if commitment is None or admin is None or admin.id is None or not admin.email:
        return None
    assert invoice.id is not None
    message_id = sent_message_id(session, invoice, settings, admin.id)
    if message_exists(session, message_id):
        return None
    project = session.get(Project, commitment.project_id)
    period = session.get(BillingPeriod, invoice.period_id)
    sender = session.get(Person, invoice.sent_by_id) if invoice.sent_by_id else None
    assert project is not None and period is not None
    _ = words(admin.language)
    label = f"{commitment.number} {commitment.title}"
    changes = changes_since_review(session, invoice, _)
    values = {
        "who": sender.name if sender else _("The invoice contact"),
        "number": invoice.number,
        "commitment": label,
        "project": project.name,
        "period": period_info(period).label_in(_.language),
    }
    if changes:
        intro = _(
            "{who} sent invoice {number} for {commitment} on {project} for {period} for your "
            "review again.",
            **values,
        )
        intro += "\n\n" + _("What changed since your review:") + "\n"
        intro += "\n".join(f"- {c}" for c in changes)
    else:
        intro = _(
            "{who} sent invoice {number} for {commitment} on {project} for {period} for your "
            "review.",
            **values,
        )
    files = session.exec(select(Attachment).where(Attachment.invoice_id == invoice.id)).all()
    listed = "\n".join(f"- {a.filename} ({human_size(a.size)})" for a in files)
    attached = _("Their attachments:") + f"\n{listed}" if files else _("They attached no files.")
    summary = sent_figures(session, invoice).summary
    attachments, closing = invoice_pdf(session, invoice, settings, _)
    forms = _(ANSWER_FORMS)
    text = "\n\n".join([intro, totals_table(summary, _), attached, closing, forms]) + "\n"
    html = document(
        paragraphs(intro)
        + totals_html(summary, _)
        + paragraphs(attached + "\n\n" + closing + "\n\n" + forms)
    )
    envelope = Envelope(
        recipient=admin.email,
        recipient_name=admin.name,
        subject=_(
            "{project}: {commitment} invoice {number} was sent for review",
            project=project.name,
            commitment=label,
            number=invoice.number,
        ),
        reply_to=review_address(settings, invoice.id, admin.id),
        references=(message_id,),
        auto_submitted=AUTO_GENERATED,
        attachments=attachments,
    )
    return queue_email(
        session,
        envelope=envelope,
        text=text,
        html=html,
        message_id=message_id,
        kind=OutboxKind.notification,
    )


def queue_contact_confirmation(
    session: Session, *, invoice: Invoice, settings: MailEnvironment, now: datetime
) -> int | None:
    """Confirm to the contact who sent `invoice` that it was sent, with its PDF (once per
    sending), threaded to their invitation and answerable like it."""
    contact = session.get(Person, invoice.sent_by_id) if invoice.sent_by_id else None
    commitment = session.get(Commitment, invoice.commitment_id)
    if contact is None or contact.id is None or not contact.email or commitment is None:
        return None
    mail = settings.mail
    assert mail.address and invoice.id is not None
    invitation, _new = get_or_create_invitation(
        session,
        commitment_id=invoice.commitment_id,
        period_id=invoice.period_id,
        person_id=contact.id,
        expires_at=now + timedelta(days=mail.token_days),
    )
    _ = words(contact.language)
    assert invitation.id is not None
    token = make_token(secret_bytes(mail), invitation.id)
    message_id = f"<{token}.confirm-{invoice.id}-{times_sent(session, invoice)}@{domain(mail)}>"
    if message_exists(session, message_id):
        return None
    project = session.get(Project, commitment.project_id)
    period = session.get(BillingPeriod, invoice.period_id)
    admin = session.get(Person, commitment.administrator_id or 0)
    assert project is not None and period is not None
    reviewer = admin.name if admin else _("the invoice administrator")
    intro = _("Hi {name},", name=first_name(contact.name, _)) + "\n\n"
    intro += _(
        "Your invoice {number} for {commitment} on {project} for {period} was sent to {reviewer} "
        "for review on {date}.",
        number=invoice.number,
        commitment=label_of(commitment),
        project=project.name,
        period=period_info(period).label_in(_.language),
        reviewer=reviewer,
        date=format_date((invoice.sent_at or now).date(), _.language),
    )
    summary = sent_figures(session, invoice).summary
    attachments, closing = invoice_pdf(session, invoice, settings, _)
    after = _(
        "It is locked now; if it needs a change, ask {reviewer} to return it for revision.",
        reviewer=reviewer,
    )
    text = "\n\n".join([intro, totals_table(summary, _), closing, after]) + "\n"
    html = document(
        paragraphs(intro) + totals_html(summary, _) + paragraphs(closing + "\n\n" + after)
    )
    thread = invitation.email_message_id
    subject = invitation_subject(session, invitation, mail.display_name)
    if thread:
        subject = f"Re: {subject}"
    else:
        subject = _("{project}: invoice {number} sent", project=project.name, number=invoice.number)
    envelope = Envelope(
        recipient=contact.email,
        recipient_name=contact.name,
        subject=subject,
        reply_to=reply_address(mail.address, token),
        in_reply_to=thread,
        references=tuple(ref for ref in (thread, message_id) if ref),
        auto_submitted=AUTO_GENERATED,
        attachments=attachments,
    )
    return queue_email(
        session,
        envelope=envelope,
        text=text,
        html=html,
        message_id=message_id,
        kind=OutboxKind.confirmation,
    )


def attach_document_to_reply(
    session: Session, *, invoice: Invoice, settings: MailEnvironment
) -> bool:
    """Attach the invoice's PDF to the email reply this turn queued (the send confirmation)."""
    statement = (
        select(OutboundMessage)
        .join(Conversation, col(Conversation.id) == OutboundMessage.conversation_id)
        .where(
            col(Conversation.commitment_id) == invoice.commitment_id,
            col(Conversation.period_id) == invoice.period_id,
            col(OutboundMessage.channel) == "email",
            col(OutboundMessage.kind) == OutboxKind.reply.value,
            col(OutboundMessage.status) == OutboxStatus.pending.value,
        )
        .order_by(col(OutboundMessage.id).desc())
    )
    reply = session.exec(statement).first()
    if reply is None:
        return False
    files, _sentence = invoice_pdf(session, invoice, settings)
    if not files:
        return False
    data = reply.data()
    data["attachments"] = [*(data.get("attachments") or []), *(asdict(f) for f in files)]
    reply.payload = json.dumps(data)
    session.add(reply)
    return True


def queue_files_notice(
    session: Session,
    env: MailEnvironment,
    *,
    invoice: Invoice,
    admin: Person,
    contact: Person,
    files: Sequence[AttachmentRef],
    message: str = "",
) -> None:
    """Send the administrator what a contact sent to an invoice under their review, in the
    thread of its "sent for review" email and answerable like it: the files they added, and
    what they wrote (`message`, a correction only the administrator can make now)."""
    assert invoice.id is not None and admin.id is not None
    commitment = session.get(Commitment, invoice.commitment_id)
    project = session.get(Project, commitment.project_id) if commitment else None
    _ = words(admin.language)
    values = {"who": contact.name, "number": invoice.number, "commitment": label_of(commitment)}
    said = []
    if message:
        said.append(
            _(
                "{who} wrote this about invoice {number} for {commitment}, which is waiting for "
                "your review. The invoice is locked, so nothing in it was changed; to make the "
                "change, approve it as noted or return the lines for revision:",
                **values,
            )
            + "\n\n"
            + _quoted(message)
        )
    if files:
        intro = _(
            "{who} added these files to invoice {number} for {commitment}, which is waiting for "
            "your review (they are attached):",
            **values,
        )
        said.append(f"{intro}\n{files_list(files)}")
    subject = (
        _("{project}: {who} wrote about invoice {number}", project=project.name, **values)
        if message and project
        else _(
            "{project}: {who} added files to invoice {number}",
            project=project.name if project else "",
            **values,
        )
    )
    thread = sent_message_id(session, invoice, env, admin.id)
    envelope = Envelope(
        recipient=admin.email,
        recipient_name=admin.name,
        subject=subject,
        reply_to=review_address(env, invoice.id, admin.id),
        in_reply_to=thread,
        references=(thread,),
        auto_submitted=AUTO_GENERATED,
        attachments=tuple(FileRef(f.filename, f.content_type, f.sha256) for f in files),
    )
    queue_email(
        session,
        envelope=envelope,
        text="\n\n".join([*said, _(ANSWER_FORMS)]) + "\n",
        html=None,
        message_id=mint_message_id(env.mail, token=review_token(env, invoice.id, admin.id)),
        kind=OutboxKind.notification,
        minted=True,
    )


_MOST_QUOTED = 4000  # characters of a contact's message passed on


def _quoted(text: str) -> str:
    """`text` as a quote (`> ` before each line), cut short when it is long."""
    if len(text) > _MOST_QUOTED:
        text = text[:_MOST_QUOTED].rstrip() + " […]"
    return "\n".join(f"> {line}".rstrip() for line in text.strip().splitlines())


def files_list(files: Sequence[AttachmentRef]) -> str:
    """`- waiver.pdf (120 KB)`, a line a file."""
    return "\n".join(f"- {ref.filename} ({human_size(ref.size)})" for ref in files)
