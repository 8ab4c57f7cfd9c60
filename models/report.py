"""An invoice as plain data (the `billbot invoices --json` shape of DESIGN §4), and as CSV.

Amounts are strings with two decimals; quantities are strings without needless
trailing zeros (`"300"`, `"2.5"`). A line approved as noted keeps the contact's amount
this period beside the administrator's, with the reason (DESIGN §6), as on the PDF.
Looking invoices up by what a user types lives in `models.invoice_lookup` and is
re-exported here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from models.billing import LineFigures
from models.invoice_lookup import (
    AmbiguousInvoiceError,
    InvoiceRefError,
    UnknownInvoiceError,
    find_invoice,
    list_invoices,
)
from models.ledger import invoice_figures
from models.money import HUNDRED, ZERO, cents, percent, unit_price_text
from models.review import LineReview, history, line_reviews
from models.tables import Attachment, Invoice, InvoiceStatus, LineReviewStatus, Project

__all__ = [
    "G702_LABELS",
    "AmbiguousInvoiceError",
    "InvoiceRefError",
    "UnknownInvoiceError",
    "find_invoice",
    "invoice_csv",
    "invoice_report",
    "list_invoices",
    "money_text",
    "noted_difference",
    "quantity_text",
]

# The G702 lines in order, as `G702Summary.as_dict()` names them.
G702_LABELS = {
    "original_contract_sum": "1. Original contract sum",
    "net_change_by_change_orders": "2. Net change by change orders",
    "contract_sum_to_date": "3. Contract sum to date",
    "total_completed_and_stored_to_date": "4. Total completed and stored to date",
    "retainage": "5. Retainage",
    "total_earned_less_retainage": "6. Total earned less retainage",
    "less_previous_certificates_for_payment": "7. Less previous certificates for payment",
    "current_payment_due": "8. Current payment due",
    "balance_to_finish_including_retainage": "9. Balance to finish, including retainage",
}

# G703 columns in sheet order (A, B, C, D, E, F, G, G/C, H, I).
LINE_COLUMNS = (
    "line",
    "description",
    "scheduled_value",
    "previous_value",
    "new_quantity",
    "new_value",
    "materials_stored",
    "completed_to_date",
    "total_percent",
    "balance_to_finish",
    "retainage_held",
    "retainage_released",
    "retainage_total",
)
# After the G703 columns (so a reader of the columns above still finds them where they
# were): the contact's amount this period, the administrator's, and the reason, filled on
# a line approved at another amount than billed; `new_value` is then the administrator's.
DIFFERENCE_COLUMNS = ("billed_value", "approved_value", "reason_for_difference")
_SUMMED = (
    "scheduled_value",
    "previous_value",
    "new_value",
    "materials_stored",
    "completed_to_date",
    "balance_to_finish",
    "retainage_held",
    "retainage_released",
    "retainage_total",
)


def money_text(value: Decimal) -> str:
    """`Decimal("3750")` -> `"3750.00"` (half-up to cents, never `"-0.00"`)."""
    return f"{cents(value):z.2f}"


def quantity_text(value: Decimal) -> str:
    """`Decimal("300.000000")` -> `"300"`, `Decimal("2.50")` -> `"2.5"`."""
    text = f"{value.normalize():f}"
    return "0" if text == "-0" else text


def _review(review: LineReview | None) -> dict[str, Any] | None:
    """A line's last review: approved or rejected, why, and (approved as noted) the
    contact's own amount beside the one approved."""
    if review is None:
        return None
    out: dict[str, Any] = {"status": review.status.value, "reason": review.reason}
    # A returned line the contact has since changed also differs from its figure as
    # reviewed, but nobody approved the new figure: that is no difference to explain.
    billed = review.reviewed_value
    if billed is not None and billed != review.value and review.status == LineReviewStatus.approved:
        out["billed_value"] = money_text(billed)
    return out


def noted_difference(line: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """`(billed, approved, reason)` of a report line the administrator approved at another
    amount than the contact billed this period (`reason` may be empty), else None."""
    review = line.get("review") or {}
    if not review.get("billed_value"):
        return None
    return review["billed_value"], line["new_value"], review.get("reason") or ""


def _line(figures: LineFigures, review: LineReview | None = None) -> dict[str, Any]:
    new_quantity = figures.new_quantity if figures.is_unit else None
    return {
        "line": figures.number,
        "description": figures.description,
        "scheduled_value": money_text(figures.scheduled_value),
        "previous_value": money_text(figures.previous_value),
        "unit_price": unit_price_text(figures.unit_price or ZERO) if figures.is_unit else None,
        "uom": figures.uom if figures.is_unit else None,
        "new_quantity": None if new_quantity is None else quantity_text(new_quantity),
        "new_value": money_text(figures.new_value),
        "materials_stored": money_text(figures.materials_stored),
        "completed_to_date": money_text(figures.completed_to_date),
        "total_percent": money_text(figures.percent_complete),
        "balance_to_finish": money_text(figures.balance_to_finish),
        "retainage_held": money_text(figures.retainage_held),
        "retainage_released": money_text(figures.retainage_released),
        "retainage_total": money_text(figures.retainage_total),
        "review": _review(review),
        "change_orders": [
            {"number": number, "amount": money_text(amount)} for number, amount in figures.changes
        ],
    }


def change_order_amounts(lines: Sequence[LineFigures]) -> dict[str, Decimal]:
    """Each change order's amount: the sum of the steps it makes in the lines' column C."""
    amounts: dict[str, Decimal] = {}
    for line in lines:
        for number, amount in line.changes:
            amounts[number] = amounts.get(number, cents(ZERO)) + amount
    return amounts


def invoice_report(session: Session, invoice: Invoice) -> dict[str, Any]:
    """The invoice with its G703 lines, G702 totals and attachments, as JSON-ready data."""
    figures = invoice_figures(session, invoice)
    reviews = line_reviews(session, invoice)
    commitment, period = figures.ledger.commitment, figures.ledger.period
    amounts = change_order_amounts(figures.lines)
    project = session.get(Project, commitment.project_id)
    assert project is not None
    statement = (
        select(Attachment).where(Attachment.invoice_id == invoice.id).order_by(col(Attachment.id))
    )
    return {
        "id": invoice.id,
        "commitment": commitment.number,
        "commitment_key": commitment.key,
        "period": period.key,
        "project": project.name,
        "timezone": project.timezone,  # the project's, for the dates and times shown
        "number": invoice.number,
        "status": InvoiceStatus(invoice.status).value,
        "lines": [_line(line, reviews.get(line.number)) for line in figures.lines],
        "totals": {name: money_text(value) for name, value in figures.summary.as_dict().items()},
        "change_orders": [
            {
                "number": order.number,
                "title": order.title,
                "approved_on": order.approved_on.isoformat(),
                "amount": money_text(amounts.get(order.number, ZERO)),
            }
            for order in figures.ledger.change_orders
        ],
        "attachments": [
            {
                "filename": attachment.filename,
                "content_type": attachment.content_type,
                "size": attachment.size,
                "sha256": attachment.sha256,
            }
            for attachment in session.exec(statement)
        ],
        "history": history(session, invoice),
    }


def invoice_csv(report: dict[str, Any]) -> str:
    """G703 rows, a totals row, a blank row, then the G702 lines (`invoice_report` input).

    A line approved as noted also fills the last columns (`DIFFERENCE_COLUMNS`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*LINE_COLUMNS, *DIFFERENCE_COLUMNS])
    totals = dict.fromkeys(_SUMMED, ZERO)
    for line in report["lines"]:
        cells = ["" if line[name] is None else line[name] for name in LINE_COLUMNS]
        writer.writerow([*cells, *(noted_difference(line) or ("", "", ""))])
        for name in _SUMMED:
            totals[name] += Decimal(line[name])
    scheduled, completed = totals["scheduled_value"], totals["completed_to_date"]
    overall = percent(completed / scheduled * HUNDRED) if scheduled else ZERO
    row = {name: money_text(value) for name, value in totals.items()}
    row |= {"line": "", "description": "Totals", "new_quantity": ""}
    row["total_percent"] = money_text(overall)
    writer.writerow([row[name] for name in LINE_COLUMNS] + [""] * len(DIFFERENCE_COLUMNS))
    writer.writerow([])
    writer.writerow(["g702", "amount"])
    for name, value in report["totals"].items():
        writer.writerow([name, value])
    return buffer.getvalue()
