"""Validation of one line's entry (DESIGN §1): specific messages naming the line and numbers.

An issue is either refused outright, or needs an explicit confirmation from the
contact (`needs_confirmation`) before the entry may be kept.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from models.billing import LineEntry, LineFigures, LineHistory, LineTerms, line_figures
from models.i18n import ENGLISH, N_, Words
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
    message: str  # given as a catalog sentence with `{places}`; kept filled in, in English
    needs_confirmation: bool = False
    values: Mapping[str, object] = field(default_factory=dict, compare=False)
    template: str = field(default="", compare=False)  # the sentence `message` was made of

    def __post_init__(self) -> None:
        if not self.template:
            object.__setattr__(self, "template", self.message)
            object.__setattr__(self, "message", self.said())

    def said(self, words: Words = ENGLISH) -> str:
        return words(self.template, line=self.line, **self.values)


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
                N_("Line {line}: retainage released cannot be negative (you entered {value})."),
                values={"value": format_dollars(figures.retainage_released)},
            )
        )
    elif figures.retainage_released > max(figures.previous_retainage, ZERO):
        # (max: releasing nothing is never too much, even where the balance went negative)
        issues.append(
            BillingIssue(
                IssueCode.retainage_over_held,
                n,
                N_(
                    "Line {line}: retainage released {released} is more than the {held} held "
                    "before this period."
                ),
                values={
                    "released": format_dollars(figures.retainage_released),
                    "held": format_dollars(figures.previous_retainage),
                },
            )
        )
    elif figures.retainage_released > still_held:
        # Releasing on top of a correction's give-back would leave the line's net
        # retainage below zero: paid past what was earned.
        issues.append(
            BillingIssue(
                IssueCode.retainage_over_held,
                n,
                N_(
                    "Line {line}: retainage released {released} is more than the {still} still "
                    "held: {held} held before this period less {returned} returned by this "
                    "period's correction."
                ),
                values={
                    "released": format_dollars(figures.retainage_released),
                    "still": format_dollars(still_held),
                    "held": format_dollars(figures.previous_retainage),
                    "returned": format_dollars(-figures.retainage_held),
                },
            )
        )
    if figures.materials_stored < ZERO:
        issues.append(
            BillingIssue(
                IssueCode.negative_stored,
                n,
                N_("Line {line}: materials stored cannot be negative (you entered {value})."),
                values={"value": format_dollars(figures.materials_stored)},
            )
        )
    if figures.completed_to_date < ZERO:
        issues.append(
            BillingIssue(
                IssueCode.below_zero_to_date,
                n,
                N_(
                    "Line {line}: this would take the total billed to {total}, below zero "
                    "({before} was billed before)."
                ),
                values={
                    "total": format_dollars(figures.completed_to_date),
                    "before": format_dollars(figures.previous_value),
                },
            )
        )
    if figures.completed_to_date > figures.scheduled_value:
        unit = terms.is_unit and figures.new_quantity is not None and terms.quantity is not None
        values: dict[str, object] = {
            "percent": figures.percent_complete,
            "scheduled": format_dollars(figures.scheduled_value),
            "value": format_dollars(figures.completed_to_date),
        }
        if unit:
            uom = f" {terms.uom}" if terms.uom else ""
            total = history.previous_quantity + (figures.new_quantity or ZERO)
            values["total"] = f"{format_quantity(total)}{uom}"
            values["quantity"] = f"{format_quantity(terms.quantity or ZERO)}{uom}"
        issues.append(
            BillingIssue(
                IssueCode.over_billing,
                n,
                _OVER_BILLING[(unit, allow_overbilling)],
                needs_confirmation=allow_overbilling,
                values=values,
            )
        )
    if figures.new_value < ZERO and figures.completed_to_date >= ZERO:
        issues.append(
            BillingIssue(
                IssueCode.negative_amount,
                n,
                N_(
                    "Line {line}: this period's amount is negative ({value}), a correction of "
                    "earlier billing. Please confirm."
                ),
                values={"value": format_dollars(figures.new_value)},
                needs_confirmation=True,
            )
        )
    return issues


# (unit-based, over-billing allowed) -> the sentence
_OVER_BILLING = {
    (True, False): N_(
        "Line {line}: this would bill {total} of {quantity} ({value}) — {percent}% of the "
        "{scheduled} scheduled value, and this commitment does not allow billing past 100%."
    ),
    (False, False): N_(
        "Line {line}: this would bill {value} to date — {percent}% of the {scheduled} scheduled "
        "value, and this commitment does not allow billing past 100%."
    ),
    (True, True): N_(
        "Line {line}: this would bill {total} of {quantity} ({value}) — {percent}% of the "
        "{scheduled} scheduled value. Over-billing is allowed on this commitment; please "
        "confirm."
    ),
    (False, True): N_(
        "Line {line}: this would bill {value} to date — {percent}% of the {scheduled} scheduled "
        "value. Over-billing is allowed on this commitment; please confirm."
    ),
}
