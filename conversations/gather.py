"""Reading what the pure core needs from the database: its `Context` and the person's candidates."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from conversations.context import (
    Adjustment,
    Candidate,
    CommitmentInfo,
    Context,
    InvoiceInfo,
    PeriodInfo,
)
from models.attachments import DEFAULT_LIMITS, AttachmentLimits, AttachmentRef
from models.conversation import ACTIVE_STATUSES, Conversation
from models.i18n import language_of
from models.ledger import CommitmentLedger, invoice_entries
from models.review import REVIEWED, last_event, line_reviews
from models.revision import revision_value
from models.tables import (
    EDITABLE_STATUSES,
    AccountingMethod,
    Attachment,
    BillingPeriod,
    Commitment,
    CommitmentContact,
    Invoice,
    InvoiceStatus,
    LineReviewStatus,
    Person,
    Project,
)


def local_today(now: datetime, timezone: str | None) -> date:
    """`now` as a calendar date where the project is (UTC if the zone is unknown)."""
    try:
        return now.astimezone(ZoneInfo(timezone or "UTC")).date()
    except (ZoneInfoNotFoundError, ValueError):
        return now.date()


def is_contact(session: Session, *, person_id: int, commitment_id: int) -> bool:
    return session.get(CommitmentContact, (commitment_id, person_id)) is not None


def find_invoice(session: Session, *, commitment_id: int, period_id: int) -> Invoice | None:
    statement = select(Invoice).where(
        Invoice.commitment_id == commitment_id, Invoice.period_id == period_id
    )
    return session.exec(statement).first()


@dataclass(frozen=True)
class Parties:
    """Who and what one invoice's turn is about, read in one statement: the commitment, its
    project and administrator, the period, and whether the person is an invoice contact."""

    commitment: Commitment
    project: Project
    period: BillingPeriod
    administrator: Person | None
    contact: bool
    revision: int | None = None  # the data revision read with them (`models.revision`)


@functools.cache
def _parties_statement() -> Any:
    """Built once (building a statement costs more than running it on SQLite)."""
    admin = aliased(Person)
    return (
        sa_select(
            Commitment,
            Project,
            BillingPeriod,
            admin,
            col(CommitmentContact.person_id),
            revision_value(),
        )
        .join(Project, col(Project.id) == Commitment.project_id)
        .join(
            BillingPeriod,
            and_(
                col(BillingPeriod.id) == bindparam("period_id"),
                col(BillingPeriod.project_id) == Commitment.project_id,
            ),
        )
        .outerjoin(admin, col(admin.id) == Commitment.administrator_id)
        .outerjoin(
            CommitmentContact,
            and_(
                col(CommitmentContact.commitment_id) == Commitment.id,
                col(CommitmentContact.person_id) == bindparam("person_id"),
            ),
        )
        .where(col(Commitment.id) == bindparam("commitment_id"))
    )


def invoice_parties(
    session: Session, *, person_id: int, commitment_id: int, period_id: int
) -> Parties | None:
    """None when there is no such commitment, no such period, or the period belongs to
    another project."""
    params = {"person_id": person_id, "commitment_id": commitment_id, "period_id": period_id}
    row = session.execute(_parties_statement(), params).first()
    if row is None:
        return None
    commitment, project, period, administrator, contact, revision = row
    return Parties(commitment, project, period, administrator, contact is not None, revision)


@dataclass(frozen=True)
class Invoices:
    """A commitment's invoices with their periods (latest period first), and the attachments
    of the one of the turn's period: one statement."""

    rows: tuple[tuple[Invoice, BillingPeriod], ...]
    attachments: tuple[Attachment, ...]

    def of_period(self, period_id: int) -> Invoice | None:
        return next((i for i, p in self.rows if p.id == period_id), None)


def commitment_invoices(session: Session, *, commitment_id: int, period_id: int) -> Invoices:
    statement = (
        select(Invoice, BillingPeriod, Attachment)
        .join(BillingPeriod, col(BillingPeriod.id) == Invoice.period_id)
        .outerjoin(
            Attachment,
            and_(col(Attachment.invoice_id) == Invoice.id, col(Invoice.period_id) == period_id),
        )
        .where(col(Invoice.commitment_id) == commitment_id)
        .order_by(col(BillingPeriod.start).desc(), col(Invoice.id).desc(), col(Attachment.id))
    )
    return invoices_of(session.exec(statement).all())


def invoices_of(found: Sequence[tuple[Invoice, BillingPeriod, Attachment | None]]) -> Invoices:
    """`Invoices` from (invoice, period, attachment or None) rows in the order they came."""
    rows: dict[int | None, tuple[Invoice, BillingPeriod]] = {}
    files: list[Attachment] = []
    for invoice, period, attachment in found:
        rows.setdefault(invoice.id, (invoice, period))
        if attachment is not None:
            files.append(attachment)
    return Invoices(tuple(rows.values()), tuple(files))


def attachment_refs(rows: Sequence[Attachment]) -> tuple[AttachmentRef, ...]:
    return tuple(
        AttachmentRef(a.filename, a.content_type, a.size, a.sha256, a.source) for a in rows
    )


def period_info(period: BillingPeriod) -> PeriodInfo:
    assert period.id is not None
    return PeriodInfo(period.id, period.start, period.end, period.billing_date, period.due_date)


def candidate_label(commitment: Commitment, project: Project, period: BillingPeriod) -> str:
    return f"{commitment.number} {commitment.title} — {project.name}, {period_info(period).label}"


def candidates(session: Session, *, person_id: int, now: datetime) -> list[Candidate]:
    """Invoices the person may bill now: open periods without a sent invoice, and drafts."""
    statement = (
        select(Commitment, Project, BillingPeriod)
        .join(CommitmentContact, col(CommitmentContact.commitment_id) == Commitment.id)
        .join(Project, col(Project.id) == Commitment.project_id)
        .join(BillingPeriod, col(BillingPeriod.project_id) == Project.id)
        .where(CommitmentContact.person_id == person_id)
        .order_by(col(BillingPeriod.due_date), col(Commitment.number))
    )
    found: list[Candidate] = []
    for commitment, project, period in session.exec(statement):
        assert commitment.id is not None and period.id is not None
        invoice = find_invoice(session, commitment_id=commitment.id, period_id=period.id)
        today = local_today(now, project.timezone)
        if invoice is not None:
            if invoice.status not in EDITABLE_STATUSES:
                continue
        elif not (period.start <= today <= period.due_date):
            continue
        found.append(
            Candidate(
                commitment_id=commitment.id,
                period_id=period.id,
                label=candidate_label(commitment, project, period),
                due_date=period.due_date,
                invoice_number=invoice.number if invoice else None,
                status=InvoiceStatus(invoice.status) if invoice else None,
            )
        )
    return found


def open_elsewhere(
    session: Session, *, person_id: int, commitment_id: int, period_id: int, now: datetime
) -> list[Candidate]:
    """The person's invoices of the commitment open to bill now in another period than
    `period_id`: where a message to a closed or locked period's invoice can bill instead."""
    return [
        c
        for c in candidates(session, person_id=person_id, now=now)
        if c.commitment_id == commitment_id and c.period_id != period_id
    ]


def recent_conversation(session: Session, *, person_id: int) -> Conversation | None:
    """The person's most recently used conversation that can still be continued."""
    statement = (
        select(Conversation)
        .where(
            Conversation.last_person_id == person_id,
            col(Conversation.status).in_([status.value for status in ACTIVE_STATUSES]),
        )
        .order_by(col(Conversation.updated_at).desc(), col(Conversation.id).desc())
    )
    for conversation in session.exec(statement):
        if is_contact(session, person_id=person_id, commitment_id=conversation.commitment_id):
            return conversation
    return None


def build_context(
    session: Session,
    *,
    person: Person,
    ledger: CommitmentLedger,
    invoice: Invoice | None,
    now: datetime,
    limits: AttachmentLimits = DEFAULT_LIMITS,
    parties: Parties | None = None,
    invoices: Invoices | None = None,
) -> Context:
    """The pure core's context; `parties` and `invoices` when the turn already read them."""
    commitment, period = ledger.commitment, ledger.period
    assert commitment.id is not None and period.id is not None
    if parties is None:
        project = session.get(Project, commitment.project_id)
        admin_id = commitment.administrator_id
        admin = session.get(Person, admin_id) if admin_id else None
    else:
        project, admin = parties.project, parties.administrator
    if invoices is None:
        invoices = commitment_invoices(session, commitment_id=commitment.id, period_id=period.id)
    others = [(other, p) for other, p in invoices.rows if invoice is None or other.id != invoice.id]
    earlier = [other for other, p in others if p.start < period.start]
    latest = earlier or [other for other, _ in others]
    previous = latest[0] if latest else None
    attachments: tuple[AttachmentRef, ...] = ()
    invoice_info = None
    if invoice is not None:
        sent_by = session.get(Person, invoice.sent_by_id) if invoice.sent_by_id else None
        invoice_info = InvoiceInfo(
            number=invoice.number,
            status=InvoiceStatus(invoice.status),
            id=invoice.id,
            sent_at=invoice.sent_at,
            sent_by=sent_by.name if sent_by else None,
            **_review_info(session, invoice, ledger),
        )
        attachments = attachment_refs(
            [a for a in invoices.attachments if a.invoice_id == invoice.id]
        )
    return Context(
        now=now,
        today=local_today(now, project.timezone if project else None),
        person_name=person.name,
        commitment=CommitmentInfo(
            id=commitment.id,
            number=commitment.number,
            title=commitment.title,
            project_name=project.name if project else "",
            method=AccountingMethod(commitment.accounting_method),
            allow_overbilling=commitment.allow_overbilling,
            retainage_percent=commitment.retainage_percent,
            administrator_name=admin.name if admin else None,
        ),
        period=period_info(period),
        lines=tuple(ledger.terms[line.number] for line in ledger.lines),
        histories=dict(ledger.histories),
        used_numbers=frozenset(other.number for other, _ in others),
        previous_number=previous.number if previous else None,
        later_sent=_later_sent(invoice, others, period),
        earlier_returned=tuple(
            other.number
            for other, p in others
            if p.start < period.start and other.status == InvoiceStatus.revise_and_resubmit
        ),
        invoice=invoice_info,
        attachments=attachments,
        limits=limits,
        timezone=project.timezone if project else "UTC",
        language=language_of(person.language),
    )


def _later_sent(
    invoice: Invoice | None, others: list[tuple[Invoice, BillingPeriod]], period: BillingPeriod
) -> tuple[str, ...]:
    """The invoices of later periods this one cannot be sent after. A returned invoice (sent
    before them: they stand on its figures) is not held by a later one returned too, which is
    sent again after it; a draft never sent is held by any later invoice sent."""
    returned = invoice is not None and invoice.status == InvoiceStatus.revise_and_resubmit
    unsent = EDITABLE_STATUSES if returned else {InvoiceStatus.draft}
    return tuple(
        other.number for other, p in others if p.start > period.start and other.status not in unsent
    )


def _review_info(session: Session, invoice: Invoice, ledger: CommitmentLedger) -> dict[str, Any]:
    """What the contact's conversation needs of the administrator's last review."""
    status = InvoiceStatus(invoice.status)
    if status not in REVIEWED:
        return {}
    reviews = line_reviews(session, invoice)
    event = last_event(session, invoice)
    reviewer = session.get(Person, event.by_person_id) if event and event.by_person_id else None
    info: dict[str, Any] = {
        "reviewer": reviewer.name if reviewer else None,
        "returned": tuple(
            (line, r.reason) for line, r in reviews.items() if r.status == LineReviewStatus.rejected
        ),
        "approved_lines": frozenset(
            line for line, r in reviews.items() if r.status == LineReviewStatus.approved
        ),
    }
    if status != InvoiceStatus.revise_and_resubmit:
        info["certified"] = ledger.summary(invoice_entries(session, invoice)).current_payment_due
        info["adjustments"] = tuple(
            Adjustment(line, r.reviewed_value, r.value, r.reason)
            for line, r in reviews.items()
            if r.reviewed_value is not None and r.reviewed_value != r.value
        )
    return info
