"""The administrator's review of a sent invoice (DESIGN §6), and every status change recorded.

    under_review -> revise_and_resubmit (a line rejected) -> under_review (resent) -> ...
    under_review -> approved, or approved_as_noted (the administrator changed amounts)

Only the commitment's invoice administrator, or another administrator of the general
contractor's projects on the same project, may review. The status moves with a conditional
UPDATE (`... WHERE status = 'under_review'`), so of two reviews racing exactly one takes
effect and the other is told. A refused review changes nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from models.billing import LineFigures, LineTerms, retainage_held_this_period, with_new_value
from models.ledger import CommitmentLedger, invoice_figures, stored_entry
from models.money import ZERO, cents, format_dollars
from models.tables import (
    Commitment,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoiceStatus,
    LineReviewStatus,
    Person,
    Project,
    SovLine,
)

REVIEWED = frozenset(
    {InvoiceStatus.revise_and_resubmit, InvoiceStatus.approved, InvoiceStatus.approved_as_noted}
)


class ReviewKind(enum.StrEnum):
    approve = "approve"
    approve_as_noted = "approve_as_noted"
    reject = "reject"


@dataclass(frozen=True)
class Decision:
    """What the administrator decided: approve; approve as noted with this period's amount on
    some lines (`adjustments`, by line number) and a note; or reject lines, each with a reason
    (possibly empty)."""

    kind: ReviewKind
    note: str = ""
    adjustments: Mapping[str, Decimal] = field(default_factory=dict)
    reasons: Mapping[str, str] = field(default_factory=dict)


class ReviewRefused(Exception):
    """A review that cannot take effect; `message` is meant for the reviewer. Nothing changed."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code  # not-an-administrator | not-under-review | no-such-line | over-billing


@dataclass(frozen=True)
class ReviewOutcome:
    invoice: Invoice
    reviewer: Person
    decision: Decision
    from_status: InvoiceStatus
    to_status: InvoiceStatus
    returned: Mapping[str, str]  # rejected line -> reason
    adjusted: Mapping[str, tuple[Decimal, Decimal]]  # line -> (contact's, administrator's)
    certified: Decimal  # G702 line 8 after the review


def administrators(session: Session, commitment: Commitment) -> set[int]:
    """Who may review invoices of `commitment`: its invoice administrator and the other
    invoice administrators on its project who belong to the project's general contractor."""
    project = session.get(Project, commitment.project_id)
    statement = (
        select(Person.id)
        .join(Commitment, col(Commitment.administrator_id) == Person.id)
        .where(col(Commitment.project_id) == commitment.project_id)
    )
    if project is not None:
        statement = statement.where(col(Person.company_id) == project.company_id)
    found = {person_id for person_id in session.exec(statement) if person_id is not None}
    if commitment.administrator_id is not None:
        found.add(commitment.administrator_id)
    return found


def may_review(session: Session, person: Person, commitment: Commitment) -> bool:
    return person.id is not None and person.id in administrators(session, commitment)


def record_event(
    session: Session,
    *,
    invoice: Invoice,
    by_person_id: int | None,
    channel: str,
    from_status: InvoiceStatus | None,
    to_status: InvoiceStatus,
    now: datetime,
    note: str | None = None,
) -> InvoiceEvent:
    """Add one status change to the invoice's history (in the caller's transaction)."""
    assert invoice.id is not None
    event = InvoiceEvent(
        invoice_id=invoice.id,
        at=now,
        by_person_id=by_person_id,
        channel=channel[:20],
        from_status=from_status.value if from_status is not None else None,
        to_status=to_status.value,
        note=note or None,
    )
    session.add(event)
    return event


def status_words(status: InvoiceStatus | str) -> str:
    """`revise_and_resubmit` -> `returned for revision`: how people say it."""
    return {
        InvoiceStatus.draft: "a draft (not sent yet)",
        InvoiceStatus.under_review: "under review",
        InvoiceStatus.revise_and_resubmit: "returned for revision",
        InvoiceStatus.approved: "approved",
        InvoiceStatus.approved_as_noted: "approved as noted",
        InvoiceStatus.pending_owner_approval: "pending the owner's approval",
    }.get(InvoiceStatus(status), str(status).replace("_", " "))


def _lines(session: Session, invoice: Invoice) -> dict[str, tuple[SovLine, InvoiceLine | None]]:
    """Every SOV line of the invoice's commitment (by number) with its invoice line, if any."""
    statement = (
        select(SovLine, InvoiceLine)
        .join(
            InvoiceLine,
            (col(InvoiceLine.sov_line_id) == SovLine.id)
            & (col(InvoiceLine.invoice_id) == invoice.id),
            isouter=True,
        )
        .where(col(SovLine.commitment_id) == invoice.commitment_id)
        .order_by(col(SovLine.position), col(SovLine.id))
    )
    return {sov.number: (sov, row) for sov, row in session.exec(statement)}


def _find(lines: Mapping[str, object], ref: str) -> str | None:
    """The line number `ref` means (`03` is `3`; any case)."""
    if ref in lines:
        return ref
    folded = {number.casefold(): number for number in lines}
    stripped = {number.lstrip("0") or "0": number for number in lines}
    return folded.get(ref.casefold()) or stripped.get(ref.lstrip("0") or "0")


def _check_lines(refs: Mapping[str, object], lines: Mapping[str, object], label: str) -> None:
    unknown = [ref for ref in refs if _find(lines, ref) is None]
    if unknown:
        raise ReviewRefused(
            f"There is no line {', '.join(unknown)} on {label}. "
            f"Its lines are: {', '.join(lines)}. Nothing was changed.",
            code="no-such-line",
        )


def check_reviewable(
    session: Session, *, invoice: Invoice, reviewer: Person, commitment: Commitment
) -> str:
    """Raise `ReviewRefused` unless `reviewer` may review `invoice` now (an administrator,
    and the invoice under review); returns the invoice's label for the messages."""
    label = f"invoice {invoice.number} for {commitment.number} {commitment.title}"
    if not may_review(session, reviewer, commitment):
        raise ReviewRefused(
            f"Only the invoice administrator of {commitment.number} {commitment.title} can "
            f"review {label}, and {reviewer.name} is not one. Nothing was changed.",
            code="not-an-administrator",
        )
    if InvoiceStatus(invoice.status) != InvoiceStatus.under_review:
        raise ReviewRefused(_not_under_review(session, invoice, label), code="not-under-review")
    return label


def review_invoice(
    session: Session,
    *,
    invoice: Invoice,
    reviewer: Person,
    decision: Decision,
    channel: str,
    now: datetime,
) -> ReviewOutcome:
    """Apply `decision` to `invoice` (in the caller's transaction) or raise `ReviewRefused`
    having changed nothing."""
    commitment = session.get(Commitment, invoice.commitment_id)
    assert commitment is not None and invoice.id is not None
    label = check_reviewable(session, invoice=invoice, reviewer=reviewer, commitment=commitment)
    current = InvoiceStatus(invoice.status)
    lines = _lines(session, invoice)
    _check_lines(decision.reasons, lines, label)
    _check_lines(decision.adjustments, lines, label)
    figures = invoice_figures(session, invoice)
    by_number = {line.number: line for line in figures.lines}
    adjusted: dict[str, tuple[Decimal, Decimal]] = {}
    for ref, amount in decision.adjustments.items():
        number = _find(lines, ref)
        assert number is not None
        line = by_number[number]
        adjusted[number] = (line.new_value, cents(amount))
        check_adjustment(figures.ledger.terms[number], line, cents(amount), commitment)
    returned = {
        _find(lines, ref) or ref: reason.strip() for ref, reason in decision.reasons.items()
    }
    if decision.kind == ReviewKind.reject and not returned:
        raise ReviewRefused(
            "Which lines should be revised? Name them, e.g. `reject 3: only 18 fixtures "
            "installed`. Nothing was changed.",
            code="no-such-line",
        )
    target = _target(decision, adjusted)
    moved = session.execute(
        update(Invoice)
        .where(col(Invoice.id) == invoice.id, col(Invoice.status) == current.value)
        .values(status=target.value, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(invoice)
        raise ReviewRefused(_not_under_review(session, invoice, label), code="not-under-review")
    invoice.status = target
    invoice.updated_at = now
    for number, (sov, row) in lines.items():
        if row is None:  # a line the contact never answered: nothing billed, approved as such
            assert sov.id is not None
            row = InvoiceLine(invoice_id=invoice.id, sov_line_id=sov.id)
        row.reviewed_value = row.new_value
        row.reviewed_quantity = row.new_quantity
        if number in returned:
            row.review_status = LineReviewStatus.rejected
            row.review_reason = returned[number][:1000] or None
        else:
            row.review_status = LineReviewStatus.approved
            row.review_reason = None
        if number in adjusted:
            _adjust(row, figures.ledger, number, adjusted[number][1])
            row.review_reason = decision.note[:1000] or None  # the reason for the difference
        session.add(row)
    record_event(
        session,
        invoice=invoice,
        by_person_id=reviewer.id,
        channel=channel,
        from_status=current,
        to_status=target,
        now=now,
        note=_event_note(decision, returned, adjusted),
    )
    session.flush()
    certified = invoice_figures(session, invoice).summary.current_payment_due
    return ReviewOutcome(
        invoice, reviewer, decision, current, target, returned, adjusted, certified
    )


def _target(decision: Decision, adjusted: Mapping[str, tuple[Decimal, Decimal]]) -> InvoiceStatus:
    if decision.kind == ReviewKind.reject:
        return InvoiceStatus.revise_and_resubmit
    if any(before != after for before, after in adjusted.values()):
        return InvoiceStatus.approved_as_noted
    return InvoiceStatus.approved


def remaining_value(terms: LineTerms, line: LineFigures) -> Decimal:
    """The most this period's amount of `line` may be without billing past 100%."""
    return cents(terms.value) - line.previous_value - line.materials_stored


def check_adjustment(
    terms: LineTerms, line: LineFigures, amount: Decimal, commitment: Commitment
) -> None:
    """An administrator's amount this period obeys what a contact's would: no negative amount,
    and nothing past the line's remaining value unless the commitment allows over-billing."""
    if amount < 0:
        raise ReviewRefused(
            f"Line {line.number}: this period's amount cannot be negative "
            f"({format_dollars(amount)}). Nothing was changed.",
            code="over-billing",
        )
    remaining = remaining_value(terms, line)
    if amount > remaining and not commitment.allow_overbilling:
        raise ReviewRefused(
            f"Line {line.number}: {format_dollars(amount)} this period would bill past 100% of "
            f"its {format_dollars(cents(terms.value))} scheduled value; "
            f"{format_dollars(line.previous_value)} was billed before, so at most "
            f"{format_dollars(remaining)} remains. Nothing was changed.",
            code="over-billing",
        )


def _adjust(row: InvoiceLine, ledger: CommitmentLedger, number: str, amount: Decimal) -> None:
    """Set this period's amount of `row` to the administrator's (quantity follows on unit
    lines, retainage held is computed again)."""
    terms = ledger.terms[number]
    entry = with_new_value(terms, stored_entry(row), amount).stored()
    row.new_value = entry.new_value
    row.new_quantity = entry.new_quantity
    row.retainage_held = retainage_held_this_period(terms, entry, ledger.histories[number])


def _event_note(
    decision: Decision,
    returned: Mapping[str, str],
    adjusted: Mapping[str, tuple[Decimal, Decimal]],
) -> str:
    parts = [f"line {line}: {reason or 'no reason given'}" for line, reason in returned.items()]
    parts += [
        f"line {line}: {format_dollars(before)} -> {format_dollars(after)}"
        for line, (before, after) in adjusted.items()
        if before != after
    ]
    if decision.note:
        parts.append(decision.note)
    return "; ".join(parts)


def _not_under_review(session: Session, invoice: Invoice, label: str) -> str:
    status = InvoiceStatus(invoice.status)
    text = f"{label[0].upper()}{label[1:]} is {status_words(status)}"
    if status in REVIEWED:
        event = last_event(session, invoice)
        who = session.get(Person, event.by_person_id) if event and event.by_person_id else None
        if who is not None:
            text += f" (reviewed by {who.name})"
    return f"{text}, so there is nothing to review now. Nothing was changed."


def last_event(session: Session, invoice: Invoice) -> InvoiceEvent | None:
    statement = (
        select(InvoiceEvent)
        .where(col(InvoiceEvent.invoice_id) == invoice.id)
        .order_by(col(InvoiceEvent.at).desc(), col(InvoiceEvent.id).desc())
    )
    return session.exec(statement).first()


def times_sent(session: Session, invoice: Invoice) -> int:
    """How many times `invoice` was sent for review (its sendings, counted from 1; 0 for an
    invoice imported as sent): names one sending, whatever the clock says."""
    statement = select(func.count(col(InvoiceEvent.id))).where(
        col(InvoiceEvent.invoice_id) == invoice.id,
        col(InvoiceEvent.to_status) == InvoiceStatus.under_review.value,
    )
    return int(session.exec(statement).one())


def history(session: Session, invoice: Invoice) -> list[dict[str, str | None]]:
    """The invoice's status changes, oldest first, as `billbot invoices --json` shows them."""
    statement = (
        select(InvoiceEvent, Person)
        .join(Person, col(Person.id) == InvoiceEvent.by_person_id, isouter=True)
        .where(col(InvoiceEvent.invoice_id) == invoice.id)
        .order_by(col(InvoiceEvent.at), col(InvoiceEvent.id))
    )
    return [
        {
            "at": event.at.isoformat(),
            "by": person.name if person else None,
            "channel": event.channel or None,
            "from": event.from_status,
            "to": event.to_status,
            "note": event.note,
        }
        for event, person in session.exec(statement)
    ]


@dataclass(frozen=True)
class LineReview:
    line: str
    status: LineReviewStatus
    reason: str | None
    reviewed_value: Decimal | None  # the contact's figure as reviewed
    value: Decimal  # now


def line_reviews(session: Session, invoice: Invoice) -> dict[str, LineReview]:
    """The last review of each line of `invoice` (lines never reviewed are left out)."""
    statement = (
        select(SovLine.number, InvoiceLine)
        .join(SovLine, col(SovLine.id) == InvoiceLine.sov_line_id)
        .where(
            col(InvoiceLine.invoice_id) == invoice.id, col(InvoiceLine.review_status).is_not(None)
        )
    )
    return {
        number: LineReview(
            number,
            LineReviewStatus(row.review_status or LineReviewStatus.approved),
            row.review_reason,
            row.reviewed_value,
            row.new_value,
        )
        for number, row in session.exec(statement)
    }


def changes_since_review(session: Session, invoice: Invoice) -> list[str]:
    """What the contact changed on the returned lines since the review (a resubmission)."""
    out = []
    for review in line_reviews(session, invoice).values():
        if review.status != LineReviewStatus.rejected:
            continue
        before = review.reviewed_value if review.reviewed_value is not None else ZERO
        why = f" (returned: {review.reason})" if review.reason else " (returned)"
        if before == review.value:
            out.append(f"Line {review.line}: unchanged at {format_dollars(review.value)}{why}")
        else:
            out.append(
                f"Line {review.line}: {format_dollars(before)} -> "
                f"{format_dollars(review.value)}{why}"
            )
    return out


__all__ = [
    "Decision",
    "LineReview",
    "ReviewKind",
    "ReviewOutcome",
    "ReviewRefused",
    "administrators",
    "changes_since_review",
    "check_adjustment",
    "check_reviewable",
    "history",
    "last_event",
    "line_reviews",
    "may_review",
    "record_event",
    "remaining_value",
    "review_invoice",
    "status_words",
    "times_sent",
]
