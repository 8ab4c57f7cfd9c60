"""Importing change orders: upserted by key, their lines kept as the file says, before invoices.

A `new` line becomes an SOV line of the commitment holding its own figures, which a
`change_order_line` row marks as added by the change order; a change to an existing
line is a row with the quantity or amount. Change orders are loaded in approval order,
so one may change a line that an earlier one added. Once the invoices are loaded too,
`check_billed` refuses a change order that takes a line below what has been billed on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, func, select

from models.billing import LineTerms, with_change_orders
from models.import_check import Loc, Locator, Problem, line_shape
from models.import_invoices import UNDER_REVIEW_BASIS, invoice_names
from models.import_rows import write_row
from models.import_schema import ChangeOrderIn, ChangeOrderLineIn, ImportFile
from models.ledger import change_order_rows, line_changes, line_terms, sov_lines
from models.money import ZERO, cents, format_dollars, format_quantity
from models.tables import (
    CERTIFIED,
    AccountingMethod,
    BillingPeriod,
    ChangeOrder,
    ChangeOrderLine,
    Commitment,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    SovLine,
)

if TYPE_CHECKING:
    from models.importer import ImportSummary

Row = Callable[[str, str], Any]


def added_lines(session: Session, commitment_id: int) -> dict[str, str]:
    """The commitment's lines that change orders added: line number -> change order number."""
    statement = (
        select(SovLine.number, ChangeOrder.number)
        .join(ChangeOrderLine, col(ChangeOrderLine.sov_line_id) == SovLine.id)
        .join(ChangeOrder, col(ChangeOrder.id) == ChangeOrderLine.change_order_id)
        .where(SovLine.commitment_id == commitment_id, col(ChangeOrderLine.adds_line))
    )
    return dict(session.exec(statement).all())


def load_change_orders(
    session: Session, *, data: ImportFile, row: Row, summary: ImportSummary, locator: Locator
) -> tuple[list[Problem], set[str]]:
    """Upsert the file's change orders: the problems found (nothing to keep if any), and the
    keys of those created or changed."""
    loader = _ChangeOrderLoader(session, locator, summary)
    order = sorted(range(len(data.change_orders)), key=lambda i: data.change_orders[i].approved_on)
    for index in order:
        item = data.change_orders[index]
        loader.load(index, item, row("commitments", item.commitment))
    return loader.problems, loader.changed


class _ChangeOrderLoader:
    def __init__(self, session: Session, locator: Locator, summary: ImportSummary) -> None:
        self.session = session
        self.locator = locator
        self.summary = summary
        self.problems: list[Problem] = []
        self.changed: set[str] = set()

    def report(self, loc: Loc, message: str) -> None:
        self.problems.append(self.locator.problem(loc, message))

    def load(self, index: int, item: ChangeOrderIn, commitment: Commitment) -> None:
        assert commitment.id is not None
        loc: Loc = ("change_orders", index)
        before = len(self.problems)
        order = self.session.exec(select(ChangeOrder).where(ChangeOrder.key == item.key)).first()
        if order is not None and order.commitment_id != commitment.id:
            message = f'change order "{item.key}" is on another commitment; it cannot move'
            self.report((*loc, "commitment"), message)
            return
        if order is None:
            twin = self.session.exec(
                select(ChangeOrder).where(
                    ChangeOrder.commitment_id == commitment.id, ChangeOrder.number == item.number
                )
            ).first()
            if twin is not None:
                message = (
                    f"{commitment.number} already has change order {item.number}, with key "
                    f'"{twin.key}": give that key to change it, or another number'
                )
                self.report((*loc, "number"), message)
                return
        counted_from = (
            item.approved_on if order is None else min(order.approved_on, item.approved_on)
        )
        moved = order is not None and order.approved_on != item.approved_on
        lines = {line.number: line for line in sov_lines(self.session, commitment.id)}
        adders = {
            row.sov_line_id: adder
            for adder, row in change_order_rows(self.session, commitment.id)
            if row.adds_line
        }
        for n, line in enumerate(item.lines):
            self.check_line((*loc, "lines", n), line, item, commitment, lines, adders)
        if len(self.problems) > before:
            return
        values = {
            "commitment_id": commitment.id,
            "number": item.number,
            "title": item.title,
            "approved_on": item.approved_on,
        }
        order, outcome = write_row(self.session, ChangeOrder, {"key": item.key}, values)
        assert order.id is not None
        figures_changed = self.sync_lines(loc, order.id, item, commitment, lines)
        if figures_changed:
            outcome = "updated" if outcome == "unchanged" else outcome
        if figures_changed or moved:
            self.check_certified(loc, item, commitment, counted_from)
            self.check_under_review(loc, item, commitment, counted_from)
        self.summary.count("change_orders", outcome)
        if outcome != "unchanged":
            self.changed.add(item.key)

    def check_certified(
        self, loc: Loc, item: ChangeOrderIn, commitment: Commitment, counted_from: date
    ) -> None:
        """A change order counts for every period that ends on or after its approval date: a
        new or changed one may not reach back into a period whose invoice is certified (its
        contract sum and balance were certified without it)."""
        found = self.invoices_reached(commitment, counted_from, CERTIFIED)
        if not found:
            return
        last_end = found[-1][1].end
        message = (
            f"{item.number} counts for the periods that end on or after {counted_from}, and "
            f"{commitment.number} has certified invoices there: "
            f"{invoice_names(invoice for invoice, _ in found)}. An import does not change the "
            f"figures a certified invoice stands on: a change order approved since counts from "
            f"the next period, so date it after {last_end}"
        )
        self.report((*loc, "approved_on"), message)

    def check_under_review(
        self, loc: Loc, item: ChangeOrderIn, commitment: Commitment, counted_from: date
    ) -> None:
        """Nor may a new or changed one reach an invoice under review, as a retainage rate may
        not change under one: the administrator would certify a contract sum, a line's value
        and percentages the contact never sent (nor saw on the PDF they were sent)."""
        found = self.invoices_reached(commitment, counted_from, (InvoiceStatus.under_review,))
        if not found:
            return
        last_end = found[-1][1].end
        message = (
            f"{item.number} counts for the periods that end on or after {counted_from}, and "
            f"{commitment.number} has invoices under review there: "
            f"{invoice_names(invoice for invoice, _ in found)}. {UNDER_REVIEW_BASIS} have "
            f"them returned for revision first (the contact then sends them with "
            f"{item.number}), or date {item.number} after {last_end} so it counts from the "
            "next period"
        )
        self.report((*loc, "approved_on"), message)

    def invoices_reached(
        self, commitment: Commitment, counted_from: date, statuses: Iterable[InvoiceStatus]
    ) -> Sequence[tuple[Invoice, BillingPeriod]]:
        """The commitment's invoices in `statuses` of the periods a change order counted from
        `counted_from` reaches (those ending on or after it), by period."""
        statement = (
            select(Invoice, BillingPeriod)
            .join(BillingPeriod, col(BillingPeriod.id) == Invoice.period_id)
            .where(
                Invoice.commitment_id == commitment.id,
                col(Invoice.status).in_([status.value for status in statuses]),
                col(BillingPeriod.end) >= counted_from,
            )
            .order_by(col(BillingPeriod.end))
        )
        return self.session.exec(statement).all()

    def check_line(
        self,
        loc: Loc,
        line: ChangeOrderLineIn,
        item: ChangeOrderIn,
        commitment: Commitment,
        lines: dict[str, SovLine],
        adders: dict[int, ChangeOrder],
    ) -> None:
        unit = commitment.accounting_method == AccountingMethod.unit
        if line.new is not None:
            existing = lines.get(line.new.number)
            adder = adders.get(existing.id or 0) if existing is not None else None
            if existing is not None and (adder is None or adder.key != item.key):
                how = f" (added by {adder.number})" if adder is not None else ""
                message = f'line "{line.new.number}" is already on {commitment.number}{how}'
                self.report((*loc, "new", "number"), message)
            for name, message in line_shape(line.new, unit=unit):
                self.report((*loc, "new", name), message)
            return
        assert line.line is not None
        sov = lines.get(line.line)
        if sov is None:
            numbers = ", ".join(lines) or "none"
            message = f'{commitment.number} has no line "{line.line}" (its lines: {numbers})'
            self.report((*loc, "line"), message)
            return
        adder = adders.get(sov.id or 0)
        if adder is not None and adder.key != item.key and adder.approved_on > item.approved_on:
            message = (
                f"line {sov.number} is added by {adder.number}, approved {adder.approved_on}, "
                f"after this change order ({item.approved_on})"
            )
            self.report((*loc, "line"), message)
        if unit and line.change is not None:
            message = f"is for amount-based lines ({commitment.number} is unit-based)"
            self.report((*loc, "change"), f"{message}: give quantity_change")
        if not unit and line.quantity_change is not None:
            message = f"is for unit-based lines ({commitment.number} is amount-based)"
            self.report((*loc, "quantity_change"), f"{message}: give change")

    def sync_lines(
        self,
        loc: Loc,
        order_id: int,
        item: ChangeOrderIn,
        commitment: Commitment,
        lines: dict[str, SovLine],
    ) -> bool:
        """Make the order's lines what the file says; whether anything changed."""
        statement = select(ChangeOrderLine).where(ChangeOrderLine.change_order_id == order_id)
        current = {row.sov_line_id: row for row in self.session.exec(statement)}
        changed = False
        wanted: set[int] = set()
        for n, line in enumerate(item.lines):
            if line.new is not None:
                sov, outcome = self.new_line(commitment, line, lines)
                self.summary.count("sov_lines", outcome)
                changed |= outcome != "unchanged"
            else:
                assert line.line is not None
                sov = lines[line.line]
            assert sov.id is not None
            wanted.add(sov.id)
            values = {
                "position": n + 1,
                "adds_line": line.new is not None,
                "quantity_change": line.quantity_change,
                "change": line.change,
            }
            lookup = {"change_order_id": order_id, "sov_line_id": sov.id}
            _, outcome = write_row(self.session, ChangeOrderLine, lookup, values)
            changed |= outcome != "unchanged"
        for sov_line_id, row in current.items():
            if sov_line_id not in wanted:
                self.remove(loc, row)
                changed = True
        return changed

    def new_line(
        self, commitment: Commitment, line: ChangeOrderLineIn, lines: dict[str, SovLine]
    ) -> tuple[SovLine, str]:
        assert line.new is not None and commitment.id is not None
        values = line.new.model_dump(exclude={"number"})
        if line.new.number not in lines:
            values["position"] = max((sov.position for sov in lines.values()), default=0) + 1
        lookup = {"commitment_id": commitment.id, "number": line.new.number}
        sov, outcome = write_row(self.session, SovLine, lookup, values)
        lines[sov.number] = sov
        return sov, outcome

    def remove(self, loc: Loc, row: ChangeOrderLine) -> None:
        """A line no longer on the change order; a line it added goes too, unless billed."""
        self.session.delete(row)
        self.session.flush()
        if not row.adds_line:
            return
        sov = self.session.get(SovLine, row.sov_line_id)
        assert sov is not None
        billed = self.session.exec(
            select(func.count()).where(InvoiceLine.sov_line_id == row.sov_line_id)
        ).one()
        if billed:
            message = (
                f"line {sov.number}, which this change order added, is on {billed} invoice(s): "
                "it cannot be taken off the change order"
            )
            self.report((*loc, "lines"), message)
            return
        self.session.delete(sov)
        self.session.flush()


def check_billed(
    session: Session, *, data: ImportFile, row: Row, locator: Locator, keys: set[str]
) -> list[Problem]:
    """A change order (of `keys`: those the import creates or changes) may not take a line
    below what has been billed on it, or below zero."""
    problems: list[Problem] = []
    for index, item in enumerate(data.change_orders):
        if item.key not in keys:
            continue  # unchanged: it is not weighed again against later billing
        commitment: Commitment = row("commitments", item.commitment)
        assert commitment.id is not None
        rows = change_order_rows(session, commitment.id)
        lines = {line.number: line for line in sov_lines(session, commitment.id)}
        changes = line_changes(rows, until=item.approved_on)
        for n, line in enumerate(item.lines):
            sov = lines[line.new.number if line.new is not None else line.line or ""]
            assert sov.id is not None
            later = [
                order.approved_on
                for order, change in rows
                if change.sov_line_id == sov.id and order.approved_on > item.approved_on
            ]
            terms = with_change_orders(line_terms(commitment, sov), changes.get(sov.id, ()))
            billing = _billing(session, sov.id)
            billed = billed_while(billing, start=item.approved_on, until=min(later, default=None))
            message = _below(item, terms, billed)
            if message is not None:
                loc: Loc = ("change_orders", index, "lines", n, _field(line))
                problems.append(locator.problem(loc, message))
    return problems


def _field(line: ChangeOrderLineIn) -> str:
    if line.new is not None:
        return "new"
    return "quantity_change" if line.quantity_change is not None else "change"


def _billing(session: Session, sov_line_id: int) -> list[tuple[date, Decimal]]:
    """(period end, amount billed that period) on a line, sent invoices only, in period order."""
    statement = (
        select(
            col(BillingPeriod.end), col(InvoiceLine.new_value), col(InvoiceLine.materials_stored)
        )
        .join(Invoice, col(Invoice.id) == InvoiceLine.invoice_id)
        .join(BillingPeriod, col(BillingPeriod.id) == Invoice.period_id)
        .where(
            InvoiceLine.sov_line_id == sov_line_id,
            col(Invoice.status) != InvoiceStatus.draft.value,
        )
        .order_by(col(BillingPeriod.start))
    )
    return [(end, value + stored) for end, value, stored in session.exec(statement)]


def billed_while(
    billing: Sequence[tuple[date, Decimal]], *, start: date, until: date | None
) -> Decimal:
    """The most billed to date on a line while a change order's figures hold: when it starts
    counting (`start`) and at the end of every period it counts for, up to the next change
    order of the line (`until`, exclusive)."""
    to_date = ZERO
    most = ZERO
    for end, amount in billing:
        if until is not None and end >= until:
            break
        to_date += amount
        most = max(most, to_date) if end >= start else to_date
    return most


def _below(item: ChangeOrderIn, terms: LineTerms, billed: Decimal) -> str | None:
    value = cents(terms.value)
    if value >= billed and value >= ZERO:
        return None
    name = f"{terms.number} ({terms.description})" if terms.description else terms.number
    new = format_dollars(value)
    if terms.is_unit:
        uom = f" {terms.uom}" if terms.uom else ""
        new = f"{format_quantity(terms.quantity or ZERO)}{uom} ({new})"
    if value < ZERO:
        return f"{item.number} takes line {name} below zero, to {new}"
    return (
        f"{item.number} takes line {name} to {new}, below the {format_dollars(billed)} "
        "already billed on it"
    )
