"""Finding invoices by what a user types, and listing them with filters."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select

from models.tables import BillingPeriod, Commitment, Invoice, InvoiceStatus, Project


class InvoiceRefError(LookupError):
    """A reference or filter that names no invoice, or more than one."""


class UnknownInvoiceError(InvoiceRefError):
    pass


class AmbiguousInvoiceError(InvoiceRefError):
    def __init__(self, message: str, candidates: Sequence[str]) -> None:
        super().__init__(message)
        self.candidates = list(candidates)


def _same(column: object, text: str) -> ColumnElement[bool]:
    return func.lower(column) == text.lower()


def find_invoice(session: Session, ref: str) -> Invoice:
    """`SC-007/INV-0041`, `sc7:INV-0041`, `INV-0041` (when unique) or the numeric id.

    Matching is case-insensitive. Every reading of `ref` is tried (an invoice
    number may itself contain `/`), and more than one match is an error.
    """
    text = ref.strip()
    readings: list[ColumnElement[bool]] = [_same(Invoice.number, text)]
    if text.isdigit():
        readings.append(col(Invoice.id) == int(text))
    for separator, field in (("/", Commitment.number), (":", Commitment.key)):
        left, found, right = text.partition(separator)
        if found and left and right:
            readings.append(_same(field, left.strip()) & _same(Invoice.number, right.strip()))
    statement = (
        select(Invoice, Commitment, Project)
        .join(Commitment, col(Commitment.id) == Invoice.commitment_id)
        .join(Project, col(Project.id) == Commitment.project_id)
        .where(or_(*readings))
        .order_by(col(Invoice.id))
    )
    matches = list(session.exec(statement))
    if not matches:
        raise UnknownInvoiceError(
            f'No invoice "{text}". Name it as SC-007/INV-0041, sc7:INV-0041, by its number '
            "alone when that is unique, or by its id; `billbot invoices` lists them."
        )
    if len(matches) > 1:
        names = [
            f"{commitment.number}/{invoice.number} (id {invoice.id}, {project.name})"
            for invoice, commitment, project in matches
        ]
        raise AmbiguousInvoiceError(
            f'"{text}" matches {len(matches)} invoices: {", ".join(names)}. '
            f"Say which, e.g. {names[0].split(' ')[0]}.",
            names,
        )
    return matches[0][0]


def list_invoices(
    session: Session,
    *,
    period: str | None = None,
    commitment: str | None = None,
    status: InvoiceStatus | None = None,
) -> list[Invoice]:
    """Invoices by project, commitment number and period; filters by period key,
    commitment key (or number) and status. An unknown period or commitment is an error."""
    statement = (
        select(Invoice)
        .join(Commitment, col(Commitment.id) == Invoice.commitment_id)
        .join(Project, col(Project.id) == Commitment.project_id)
        .join(BillingPeriod, col(BillingPeriod.id) == Invoice.period_id)
    )
    if period is not None:
        found = session.exec(select(BillingPeriod.id).where(BillingPeriod.key == period)).first()
        if found is None:
            raise UnknownInvoiceError(f'No billing period with key "{period}".')
        statement = statement.where(col(Invoice.period_id) == found)
    if commitment is not None:
        ids = list(
            session.exec(
                select(Commitment.id).where(
                    or_(col(Commitment.key) == commitment, col(Commitment.number) == commitment)
                )
            )
        )
        if not ids:
            raise UnknownInvoiceError(f'No commitment with key or number "{commitment}".')
        statement = statement.where(col(Invoice.commitment_id).in_(ids))
    if status is not None:
        statement = statement.where(col(Invoice.status) == InvoiceStatus(status).value)
    statement = statement.order_by(
        col(Project.name), col(Commitment.number), col(BillingPeriod.start), col(Invoice.number)
    )
    return list(session.exec(statement))
