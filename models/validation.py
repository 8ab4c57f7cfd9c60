"""Validation of one line's entry (DESIGN §1): specific messages naming the line and numbers.

An issue is either refused outright, or needs an explicit confirmation from the
contact (`needs_confirmation`) before the entry may be kept.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from models.billing import LineEntry, LineFigures, LineHistory, LineTerms, line_figures
from models.money import ZERO, format_dollars, format_quantity


class IssueCode(enum.StrEnum):
    over_billing = "over_billing"
    negative_amount = "negative_amount"
    retainage_over_held = "retainage_over_held"
    negative_retainage = "negative_retainage"
    negative_stored = "negative_stored"
    below_zero_to_date = "below_zero_to_date"


@dataclass(frozen=True)
class BillingIssue:
    code: IssueCode
    line: str
    message: str
    needs_confirmation: bool = False


def validate_line(
    terms: LineTerms,
    history: LineHistory,
    entry: LineEntry,
    *,
    allow_overbilling: bool = False,
    figures: LineFigures | None = None,
) -> list[BillingIssue]:
    """Every problem with an entry, most serious first (`figures`: the entry's, if known)."""
    figures = figures or line_figures(terms, history, entry)
    issues: list[BillingIssue] = []
    n = terms.number
    # Retainage a release can draw on: what was held before, less what a negative
    # correction gives back this period.
    still_held = max(figures.previous_retainage + min(figures.retainage_held, ZERO), ZERO)

    if figures.retainage_released < ZERO:
        issues.append(
            BillingIssue(
                IssueCode.negative_retainage,
                n,
                f"Line {n}: retainage released cannot be negative "
                f"(you entered {format_dollars(figures.retainage_released)}).",
            )
        )
    elif figures.retainage_released > max(figures.previous_retainage, ZERO):
        # (max: releasing nothing is never too much, even where the balance went negative)
        issues.append(
            BillingIssue(
                IssueCode.retainage_over_held,
                n,
                f"Line {n}: retainage released {format_dollars(figures.retainage_released)} "
                f"is more than the {format_dollars(figures.previous_retainage)} held "
                "before this period.",
            )
        )
    elif figures.retainage_released > still_held:
        # Releasing on top of a correction's give-back would leave the line's net
        # retainage below zero: paid past what was earned.
        issues.append(
            BillingIssue(
                IssueCode.retainage_over_held,
                n,
                f"Line {n}: retainage released {format_dollars(figures.retainage_released)} "
                f"is more than the {format_dollars(still_held)} still held: "
                f"{format_dollars(figures.previous_retainage)} held before this period less "
                f"{format_dollars(-figures.retainage_held)} returned by this period's correction.",
            )
        )
    if figures.materials_stored < ZERO:
        issues.append(
            BillingIssue(
                IssueCode.negative_stored,
                n,
                f"Line {n}: materials stored cannot be negative "
                f"(you entered {format_dollars(figures.materials_stored)}).",
            )
        )
    if figures.completed_to_date < ZERO:
        issues.append(
            BillingIssue(
                IssueCode.below_zero_to_date,
                n,
                f"Line {n}: this would take the total billed to "
                f"{format_dollars(figures.completed_to_date)}, below zero "
                f"({format_dollars(figures.previous_value)} was billed before).",
            )
        )
    if figures.completed_to_date > figures.scheduled_value:
        what = _to_date_text(terms, history, figures.new_quantity, figures.completed_to_date)
        message = (
            f"Line {n}: this would bill {what} — {figures.percent_complete}% of the "
            f"{format_dollars(figures.scheduled_value)} scheduled value"
        )
        if allow_overbilling:
            issues.append(
                BillingIssue(
                    IssueCode.over_billing,
                    n,
                    message + ". Over-billing is allowed on this commitment; please confirm.",
                    needs_confirmation=True,
                )
            )
        else:
            issues.append(
                BillingIssue(
                    IssueCode.over_billing,
                    n,
                    message + ", and this commitment does not allow billing past 100%.",
                )
            )
    if figures.new_value < ZERO and figures.completed_to_date >= ZERO:
        issues.append(
            BillingIssue(
                IssueCode.negative_amount,
                n,
                f"Line {n}: this period's amount is negative "
                f"({format_dollars(figures.new_value)}), a correction of earlier billing. "
                "Please confirm.",
                needs_confirmation=True,
            )
        )
    return issues


def _to_date_text(
    terms: LineTerms, history: LineHistory, new_quantity: Decimal | None, to_date: Decimal
) -> str:
    if terms.is_unit and new_quantity is not None and terms.quantity is not None:
        total = history.previous_quantity + new_quantity
        uom = f" {terms.uom}" if terms.uom else ""
        return (
            f"{format_quantity(total)}{uom} of {format_quantity(terms.quantity)}{uom} "
            f"({format_dollars(to_date)})"
        )
    return f"{format_dollars(to_date)} to date"
