"""Importing earlier invoices: each line computed with the billing functions, in period order.

Refused billing (past 100 % without over-billing allowed, retainage released
beyond what is held, a total below zero) is a problem; what would merely need a
contact's confirmation (a correction, allowed over-billing) is accepted, since
the file is the administrator's explicit statement.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from models.billing import (
    BillingError,
    LineEntry,
    retainage_held_this_period,
    with_materials_stored,
    with_new_quantity,
    with_new_value,
    with_retainage_released,
    with_total_percent,
)
from models.import_check import Loc, Locator, Problem
from models.import_schema import ImportFile, InvoiceIn, InvoiceLineIn
from models.ledger import CommitmentLedger, load_ledger, save_entries
from models.tables import BillingPeriod, Commitment, Invoice, InvoiceLine, SovLine, utcnow
from models.validation import validate_line

if TYPE_CHECKING:
    from models.importer import ImportSummary


def load_invoices(
    session: Session,
    *,
    data: ImportFile,
    row: Callable[[str, str], Any],
    summary: ImportSummary,
    locator: Locator,
) -> list[Problem]:
    """Upsert the file's invoices; returns the problems found (nothing to keep if any)."""
    loader = _InvoiceLoader(session, data, locator)
    periods = {i: row("billing_periods", inv.period) for i, inv in enumerate(data.invoices)}
    for index in sorted(periods, key=lambda i: (periods[i].start, i)):
        item = data.invoices[index]
        outcome = loader.load(index, item, row("commitments", item.commitment), periods[index])
        if outcome is not None:
            summary.count("invoices", outcome)
    return loader.problems


class _InvoiceLoader:
    def __init__(self, session: Session, data: ImportFile, locator: Locator) -> None:
        self.session = session
        self.data = data
        self.locator = locator
        self.problems: list[Problem] = []

    def report(self, loc: Loc, message: str) -> None:
        self.problems.append(self.locator.problem(loc, message))

    def load(
        self, index: int, item: InvoiceIn, commitment: Commitment, period: BillingPeriod
    ) -> str | None:
        """Create or update one invoice: "created"/"updated"/"unchanged", None if refused."""
        loc: Loc = ("invoices", index)
        before = len(self.problems)
        if period.project_id != commitment.project_id:
            self.report(
                (*loc, "period"),
                f'period "{period.key}" is on another project than commitment "{commitment.key}"',
            )
            return None
        statement = select(Invoice).where(
            Invoice.commitment_id == commitment.id,
            or_(col(Invoice.number) == item.number, col(Invoice.period_id) == period.id),
        )
        existing = list(self.session.exec(statement))
        invoice = next((inv for inv in existing if inv.number == item.number), None)
        for other in existing:
            if other is not invoice and other.period_id == period.id:
                self.report(
                    (*loc, "period"),
                    f"{commitment.number} already has invoice {other.number} for period "
                    f'"{period.key}" (one invoice per commitment per billing period)',
                )
        ledger = load_ledger(self.session, commitment=commitment, period=period)
        entries = {
            line.line: entry
            for n, line in enumerate(item.lines)
            if (entry := self.entry(ledger, (*loc, "lines", n), line)) is not None
        }
        if len(self.problems) > before:
            return None
        return self.write(invoice, item, commitment, period, ledger, entries)

    def write(
        self,
        invoice: Invoice | None,
        item: InvoiceIn,
        commitment: Commitment,
        period: BillingPeriod,
        ledger: CommitmentLedger,
        entries: dict[str, LineEntry],
    ) -> str:
        assert commitment.id is not None and period.id is not None
        outcome = "unchanged"
        if invoice is None:
            invoice = Invoice(
                commitment_id=commitment.id,
                period_id=period.id,
                number=item.number,
                status=item.status,
            )
            outcome = "created"
        elif invoice.status != item.status or invoice.period_id != period.id:
            invoice.status, invoice.period_id = item.status, period.id
            invoice.updated_at = utcnow()
            outcome = "updated"
        if outcome != "unchanged":
            self.session.add(invoice)
            self.session.flush()
        current = _stored_lines(self.session, invoice)
        wanted = {number: LineEntry() for number in current} | entries
        if not _same(ledger, current, wanted):
            save_entries(self.session, invoice=invoice, ledger=ledger, entries=wanted)
            self.session.flush()
            outcome = "created" if outcome == "created" else "updated"
        return outcome

    def entry(self, ledger: CommitmentLedger, loc: Loc, line: InvoiceLineIn) -> LineEntry | None:
        """This period's entry on one line, or None after reporting why it cannot be kept."""
        terms = ledger.terms.get(line.line)
        if terms is None:
            numbers = ", ".join(sov.number for sov in ledger.lines) or "none"
            self.report(
                (*loc, "line"),
                f'{ledger.commitment.number} has no line "{line.line}" (its lines: {numbers})',
            )
            return None
        if terms.is_unit and line.materials_stored is not None:
            self.report((*loc, "materials_stored"), "materials stored apply to amount-based lines")
            return None
        if not terms.is_unit and line.new_quantity is not None:
            message = "this line is amount-based: give new_value or total_percent"
            self.report((*loc, "new_quantity"), message)
            return None
        history = ledger.histories[line.line]
        entry = LineEntry()
        try:
            if line.materials_stored is not None:
                entry = with_materials_stored(terms, entry, line.materials_stored)
            if line.retainage_released is not None:
                entry = with_retainage_released(entry, line.retainage_released)
            if line.new_quantity is not None:
                entry = with_new_quantity(terms, entry, line.new_quantity)
            elif line.new_value is not None:
                entry = with_new_value(terms, entry, line.new_value)
            elif line.total_percent is not None:
                entry = with_total_percent(terms, history, entry, line.total_percent)
        except BillingError as exc:
            self.report(loc, str(exc))
            return None
        issues = validate_line(
            terms, history, entry, allow_overbilling=ledger.commitment.allow_overbilling
        )
        refused = [issue for issue in issues if not issue.needs_confirmation]
        for issue in refused:
            self.report(loc, issue.message)
        return None if refused else entry


def _stored_lines(session: Session, invoice: Invoice) -> dict[str, InvoiceLine]:
    if invoice.id is None:
        return {}
    statement = (
        select(SovLine.number, InvoiceLine)
        .join(SovLine, col(SovLine.id) == InvoiceLine.sov_line_id)
        .where(InvoiceLine.invoice_id == invoice.id)
    )
    return dict(session.exec(statement).all())


def _same(
    ledger: CommitmentLedger, current: Mapping[str, InvoiceLine], wanted: Mapping[str, LineEntry]
) -> bool:
    """Whether the stored lines already hold `wanted` (so a re-import touches nothing)."""
    if set(current) != set(wanted):
        return False
    for number, entry in wanted.items():
        stored, row = entry.stored(), current[number]
        held = retainage_held_this_period(ledger.terms[number], stored, ledger.histories[number])
        if (
            row.new_quantity,
            row.new_value,
            row.materials_stored,
            row.retainage_released,
            row.retainage_held,
        ) != (
            stored.new_quantity,
            stored.new_value,
            stored.materials_stored,
            stored.retainage_released,
            held,
        ):
            return False
    return True
