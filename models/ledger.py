"""From rows to figures: an invoice's G703 lines and G702 summary, and storing entries.

A ledger is the commitment as it stands in one billing period: the change orders
approved on or before the period's end are applied to its lines, and a line that a
later change order adds is not there yet, so an earlier invoice is unchanged by a
later change order.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, bindparam, func
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from models.billing import (
    G702Summary,
    LineChange,
    LineEntry,
    LineFigures,
    LineHistory,
    LineTerms,
    line_figures,
    retainage_held_this_period,
    summarize,
    with_change_orders,
)
from models.db import execute_core
from models.money import ZERO
from models.tables import (
    EDITABLE_STATUSES,
    AccountingMethod,
    BillingPeriod,
    ChangeOrder,
    ChangeOrderLine,
    Commitment,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    SovLine,
    utcnow,
)


def sov_lines(session: Session, commitment_id: int) -> list[SovLine]:
    statement = (
        select(SovLine)
        .where(SovLine.commitment_id == commitment_id)
        .order_by(col(SovLine.position), col(SovLine.id))
    )
    return list(session.exec(statement))


def line_terms(commitment: Commitment, line: SovLine) -> LineTerms:
    rate = line.retainage_percent
    return LineTerms(
        number=line.number,
        description=line.description,
        method=AccountingMethod(commitment.accounting_method),
        scheduled_value=line.scheduled_value,
        quantity=line.quantity,
        unit_price=line.unit_price,
        uom=line.uom,
        retainage_percent=commitment.retainage_percent if rate is None else rate,
    )


def change_order_rows(
    session: Session, commitment_id: int
) -> list[tuple[ChangeOrder, ChangeOrderLine]]:
    """The commitment's change order lines, in the order they apply (approval date, number)."""
    statement = (
        select(ChangeOrder, ChangeOrderLine)
        .join(ChangeOrderLine, col(ChangeOrderLine.change_order_id) == ChangeOrder.id)
        .where(ChangeOrder.commitment_id == commitment_id)
        .order_by(
            col(ChangeOrder.approved_on),
            col(ChangeOrder.number),
            col(ChangeOrder.id),
            col(ChangeOrderLine.position),
        )
    )
    return list(session.exec(statement).all())


def line_changes(
    rows: Sequence[tuple[ChangeOrder, ChangeOrderLine]], *, until: date | None
) -> dict[int, list[LineChange]]:
    """Per SOV line id, the changes of the change orders approved on or before `until`
    (all of them when `until` is None); the change that adds a line comes first."""
    changes: dict[int, list[LineChange]] = {}
    for order, row in rows:
        if until is not None and order.approved_on > until:
            continue
        change = LineChange(
            change_order=order.number,
            quantity=row.quantity_change or ZERO,
            amount=row.change or ZERO,
            adds_line=row.adds_line,
        )
        found = changes.setdefault(row.sov_line_id, [])
        if change.adds_line:
            found.insert(0, change)
        else:
            found.append(change)
    return changes


def added_line_ids(rows: Sequence[tuple[ChangeOrder, ChangeOrderLine]]) -> set[int]:
    return {row.sov_line_id for _, row in rows if row.adds_line}


def history_sums(*, commitment_id: Any, start: Any) -> Select[Any, Any, Any, Any, Any]:
    """Per SOV line id: sums over this commitment's invoices of earlier periods, drafts excluded
    (columns: sov_line_id, quantity, value, held, released)."""
    return (
        sa_select(
            col(InvoiceLine.sov_line_id).label("sov_line_id"),
            func.coalesce(func.sum(InvoiceLine.new_quantity), 0).label("quantity"),
            func.coalesce(func.sum(InvoiceLine.new_value + InvoiceLine.materials_stored), 0).label(
                "value"
            ),
            func.coalesce(func.sum(InvoiceLine.retainage_held), 0).label("held"),
            func.coalesce(func.sum(InvoiceLine.retainage_released), 0).label("released"),
        )
        .join(Invoice, col(Invoice.id) == InvoiceLine.invoice_id)
        .join(BillingPeriod, col(BillingPeriod.id) == Invoice.period_id)
        .where(
            col(Invoice.commitment_id) == commitment_id,
            col(Invoice.status) != InvoiceStatus.draft.value,
            col(BillingPeriod.start) < start,
        )
        .group_by(col(InvoiceLine.sov_line_id))
    )


def line_history(quantity: Any, value: Any, held: Any, released: Any) -> LineHistory:
    return LineHistory(
        previous_quantity=Decimal(quantity),
        previous_value=Decimal(value),
        retainage_held=Decimal(held),
        retainage_released=Decimal(released),
    )


def stored_entry(row: InvoiceLine | None, *, held: bool = False) -> LineEntry:
    """The entry a line row stores; with `held` (an invoice that was sent), with the
    retainage it held, which a later change of rate does not change."""
    if row is None:
        return LineEntry()
    return LineEntry(
        new_quantity=row.new_quantity,
        new_value=row.new_value,
        materials_stored=row.materials_stored,
        retainage_released=row.retainage_released,
        retainage_held=row.retainage_held if held else None,
    )


@dataclass(frozen=True)
class CommitmentLedger:
    """Everything billing needs about one commitment in one period."""

    commitment: Commitment
    period: BillingPeriod
    lines: tuple[SovLine, ...]
    terms: Mapping[str, LineTerms]  # by SOV line number
    histories: Mapping[str, LineHistory]  # by SOV line number
    change_orders: tuple[ChangeOrder, ...] = ()  # those that count for the period, in order

    def figures(self, entries: Mapping[str, LineEntry]) -> list[LineFigures]:
        return [
            line_figures(
                self.terms[line.number],
                self.histories[line.number],
                entries.get(line.number, LineEntry()),
            )
            for line in self.lines
        ]

    def summary(self, entries: Mapping[str, LineEntry]) -> G702Summary:
        return summarize(self.figures(entries))


def ledger_rows(
    session: Session, *, commitment_id: int, period: BillingPeriod
) -> tuple[list[SovLine], list[tuple[ChangeOrder, ChangeOrderLine]], dict[int, LineHistory]]:
    """The commitment's SOV lines (in order), its change order lines (in the order they apply)
    and the lines' histories before `period`, in one statement: each SOV line with its change
    order lines and its sums."""
    params = {"commitment_id": commitment_id, "start": period.start}
    lines: dict[int, SovLine] = {}
    orders: list[tuple[ChangeOrder, ChangeOrderLine]] = []
    histories: dict[int, LineHistory] = {}
    for line, order, order_line, *history in session.execute(_ledger_statement(), params):
        assert line.id is not None
        lines.setdefault(line.id, line)
        if order is not None and order_line is not None and order.commitment_id == commitment_id:
            orders.append((order, order_line))
        if history[0] is not None:
            histories[line.id] = line_history(*history)
    orders.sort(
        key=lambda row: (row[0].approved_on, row[0].number, row[0].id or 0, row[1].position)
    )
    return list(lines.values()), orders, histories


@functools.cache
def _ledger_statement() -> Any:
    """Built once (building a statement costs more than running it on SQLite)."""
    commitment_id: Any = bindparam("commitment_id")
    sums = history_sums(commitment_id=commitment_id, start=bindparam("start")).subquery()
    return (
        sa_select(
            SovLine,
            ChangeOrder,
            ChangeOrderLine,
            sums.c.quantity,
            sums.c.value,
            sums.c.held,
            sums.c.released,
        )
        .outerjoin(ChangeOrderLine, col(ChangeOrderLine.sov_line_id) == SovLine.id)
        .outerjoin(ChangeOrder, col(ChangeOrder.id) == ChangeOrderLine.change_order_id)
        .outerjoin(sums, sums.c.sov_line_id == SovLine.id)
        .where(col(SovLine.commitment_id) == commitment_id)
        .order_by(col(SovLine.position), col(SovLine.id))
    )


def load_ledger(
    session: Session, *, commitment: Commitment, period: BillingPeriod
) -> CommitmentLedger:
    assert commitment.id is not None
    all_lines, rows, by_id = ledger_rows(session, commitment_id=commitment.id, period=period)
    changes = line_changes(rows, until=period.end)
    # A line added by a change order that does not count yet is not on the commitment yet.
    pending = added_line_ids(rows) - {
        line_id for line_id, found in changes.items() if found and found[0].adds_line
    }
    lines = [line for line in all_lines if line.id not in pending]
    return CommitmentLedger(
        commitment=commitment,
        period=period,
        lines=tuple(lines),
        terms={
            line.number: with_change_orders(
                line_terms(commitment, line), changes.get(line.id or 0, ())
            )
            for line in lines
        },
        histories={line.number: by_id.get(line.id or 0, LineHistory()) for line in lines},
        change_orders=tuple(
            {order.id: order for order, _ in rows if order.approved_on <= period.end}.values()
        ),
    )


def invoice_entries(session: Session, invoice: Invoice) -> dict[str, LineEntry]:
    """The stored entries of an invoice, keyed by SOV line number; those of an invoice that
    was sent keep the retainage they held."""
    statement = (
        select(SovLine.number, InvoiceLine)
        .join(SovLine, col(SovLine.id) == InvoiceLine.sov_line_id)
        .where(InvoiceLine.invoice_id == invoice.id)
    )
    held = invoice.status not in EDITABLE_STATUSES
    return {number: stored_entry(row, held=held) for number, row in session.exec(statement)}


@dataclass(frozen=True)
class InvoiceFigures:
    invoice: Invoice
    ledger: CommitmentLedger
    lines: list[LineFigures]
    summary: G702Summary


def invoice_figures(session: Session, invoice: Invoice) -> InvoiceFigures:
    commitment = session.get(Commitment, invoice.commitment_id)
    period = session.get(BillingPeriod, invoice.period_id)
    assert commitment is not None and period is not None
    ledger = load_ledger(session, commitment=commitment, period=period)
    lines = ledger.figures(invoice_entries(session, invoice))
    return InvoiceFigures(invoice=invoice, ledger=ledger, lines=lines, summary=summarize(lines))


_WRITTEN = ("new_quantity", "new_value", "materials_stored", "retainage_released")


def _line_values(ledger: CommitmentLedger, number: str, entry: LineEntry) -> dict[str, Any]:
    """What an entry writes on its invoice line: the entry rounded, and the retainage it holds."""
    stored = entry.stored()
    values: dict[str, Any] = {name: getattr(stored, name) for name in _WRITTEN}
    values["retainage_held"] = retainage_held_this_period(
        ledger.terms[number], stored, ledger.histories[number]
    )
    return values


def save_entries(
    session: Session,
    *,
    invoice: Invoice,
    ledger: CommitmentLedger,
    entries: Mapping[str, LineEntry],
) -> None:
    """Store the entries (rounded) for the given line numbers; other lines are left alone."""
    existing = {
        row.sov_line_id: row
        for row in session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
    }
    by_number = {line.number: line for line in ledger.lines}
    for number, entry in entries.items():
        sov = by_number[number]
        assert invoice.id is not None and sov.id is not None
        row = existing.get(sov.id) or InvoiceLine(invoice_id=invoice.id, sov_line_id=sov.id)
        for name, value in _line_values(ledger, number, entry).items():
            setattr(row, name, value)
        session.add(row)
    invoice.updated_at = utcnow()
    session.add(invoice)


@functools.cache
def _upsert_statement(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(InvoiceLine)
    return statement.on_conflict_do_update(
        index_elements=["invoice_id", "sov_line_id"],
        set_={name: statement.excluded[name] for name in (*_WRITTEN, "retainage_held")},
    )


def upsert_entries(
    session: Session,
    *,
    invoice: Invoice,
    ledger: CommitmentLedger,
    entries: Mapping[str, LineEntry],
) -> None:
    """`save_entries` in one statement (`INSERT ... ON CONFLICT DO UPDATE`), without reading
    the invoice's lines first; a line's review columns are left as they are."""
    if not entries:
        return
    by_number = {line.number: line for line in ledger.lines}
    values = [
        {"invoice_id": invoice.id, "sov_line_id": by_number[number].id}
        | _line_values(ledger, number, entry)
        for number, entry in entries.items()
    ]
    execute_core(session, _upsert_statement(session.get_bind().dialect.name), values)
    # Lines this session may hold are out of date now: read them again when asked.
    for held in list(session.identity_map.values()):
        if isinstance(held, InvoiceLine) and held.invoice_id == invoice.id:
            session.expire(held)


def totals_tie(lines: Sequence[LineFigures], summary: G702Summary) -> bool:
    """The G702 completed/retainage figures equal the sums of the G703 columns."""
    completed = sum((line.completed_to_date for line in lines), ZERO)
    retainage = sum((line.retainage_total for line in lines), ZERO)
    return (
        completed == summary.total_completed_and_stored_to_date and retainage == summary.retainage
    )
