"""What a review form shows of each line of an invoice, and the check of an administrator's
amounts before anything is submitted.

A form (the Slack modals) lists every line with this period's amount as the contact billed
it and the most it may become (`remaining_value`); `adjustment_problems` applies the rule
`review_invoice` applies (`check_adjustment`) to every amount at once, so the form can show
each problem beside its line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session

from models.i18n import ENGLISH, Words
from models.ledger import invoice_figures
from models.money import cents
from models.review import ReviewRefused, check_adjustment, remaining_value
from models.tables import Invoice


@dataclass(frozen=True)
class ReviewLine:
    number: str
    description: str
    amount: Decimal  # this period's value (work completed), as the contact billed it
    stored: Decimal  # materials stored this period (not changed by a review)
    remaining: Decimal | None  # the most `amount` may be; None when over-billing is allowed


def review_lines(session: Session, invoice: Invoice) -> list[ReviewLine]:
    """Every line of `invoice`'s commitment, in SOV order."""
    figures = invoice_figures(session, invoice)
    unlimited = figures.ledger.commitment.allow_overbilling
    terms = figures.ledger.terms
    return [
        ReviewLine(
            number=line.number,
            description=line.description,
            amount=line.new_value,
            stored=line.materials_stored,
            remaining=None if unlimited else remaining_value(terms[line.number], line),
        )
        for line in figures.lines
    ]


def adjustment_problems(
    session: Session, invoice: Invoice, amounts: Mapping[str, Decimal], _: Words = ENGLISH
) -> dict[str, str]:
    """`{line: what is wrong}` for the administrator's amounts this period (empty: all fine),
    in their language."""
    figures = invoice_figures(session, invoice)
    by_number = {line.number: line for line in figures.lines}
    problems: dict[str, str] = {}
    for number, amount in amounts.items():
        line = by_number.get(number)
        if line is None:
            problems[number] = _("There is no line {line}.", line=number)
            continue
        try:
            check_adjustment(
                figures.ledger.terms[number], line, cents(amount), figures.ledger.commitment, _
            )
        except ReviewRefused as refused:
            problems[number] = refused.reason
    return problems
