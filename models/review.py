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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from models.billing import (
    LineEntry,
    LineFigures,
    LineTerms,
    retainage_held_this_period,
    with_new_quantity,
    with_new_value,
)
from models.i18n import ENGLISH, N_, Words, words
from models.ledger import CommitmentLedger, invoice_figures, stored_entry
from models.money import ZERO, cents, format_dollars
from models.tables import (
    CERTIFIED,
    BillingPeriod,
    Commitment,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoiceStatus,
    LineReviewStatus,
    Person,
    Project,
    SovLine,
    as_utc,
    label_of,
)
from models.validation import validate_line

REVIEWED = frozenset(
    {InvoiceStatus.revise_and_resubmit, InvoiceStatus.approved, InvoiceStatus.approved_as_noted}
)


class ReviewKind(enum.StrEnum):
    approve = "approve"
    approve_as_noted = "approve_as_noted"
    reject = "reject"


@dataclass(frozen=True)
class Quantity:
    """This period's amount of a unit-based line given in its units (`2: 2 EA`): `count`
    units, `unit` as the administrator wrote it (empty: `qty 2`)."""

    count: Decimal
    unit: str = ""


@dataclass(frozen=True)
class Decision:
    """What the administrator decided: approve; approve as noted with this period's amount on
    some lines (`adjustments` in dollars, or `quantities` in the line's units, by line number)
    and a note; or reject lines, each with a reason (possibly empty). `bare` holds the lines
    of `adjustments` written as a bare number (`2: 2`): dollars on an amount-based line, but
    on a unit-based one it could be units too, and the review asks instead of guessing."""

    kind: ReviewKind
    note: str = ""
    adjustments: Mapping[str, Decimal] = field(default_factory=dict)
    reasons: Mapping[str, str] = field(default_factory=dict)
    quantities: Mapping[str, Quantity] = field(default_factory=dict)
    bare: frozenset[str] = frozenset()


class ReviewRefused(Exception):
    """A review that cannot take effect; `message` is meant for the reviewer, in their
    language: `reason`, then that nothing was changed. Nothing changed."""

    def __init__(self, reason: str, *, code: str, _: Words = ENGLISH) -> None:
        self.reason = reason
        self.message = reason + " " + _("Nothing was changed.")
        super().__init__(self.message)
        # not-an-administrator | not-under-review | no-such-line | over-billing | unclear-amount
        # | earlier-not-certified | later-certified | outdated-figures
        self.code = code


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


# What an invoice is, within a sentence (`Invoice INV-0042 ... is {status}`).
STATUS_WORDS = {
    InvoiceStatus.draft: N_("a draft (not sent yet)"),
    InvoiceStatus.under_review: N_("under review"),
    InvoiceStatus.revise_and_resubmit: N_("returned for revision"),
    InvoiceStatus.approved: N_("approved"),
    InvoiceStatus.approved_as_noted: N_("approved as noted"),
    InvoiceStatus.pending_owner_approval: N_("pending the owner's approval"),
}


def status_words(status: InvoiceStatus | str, _: Words = ENGLISH) -> str:
    """`revise_and_resubmit` -> `returned for revision`: how people say it."""
    said = STATUS_WORDS.get(InvoiceStatus(status))
    return _(said) if said else str(status).replace("_", " ")


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


def _check_lines(
    refs: Mapping[str, object],
    lines: Mapping[str, object],
    invoice: Invoice,
    commitment: Commitment,
    _: Words,
) -> None:
    unknown = [ref for ref in refs if _find(lines, ref) is None]
    if unknown:
        raise ReviewRefused(
            _(
                "There is no line {line} on invoice {number} for {commitment}. Its lines are: "
                "{lines}.",
                line=", ".join(unknown),
                number=invoice.number,
                commitment=label_of(commitment),
                lines=", ".join(lines),
            ),
            code="no-such-line",
            _=_,
        )


def check_reviewable(
    session: Session, *, invoice: Invoice, reviewer: Person, commitment: Commitment
) -> None:
    """Raise `ReviewRefused` (in the reviewer's language) unless `reviewer` may review
    `invoice` now: an administrator, and the invoice under review."""
    _ = words(reviewer.language)
    if not may_review(session, reviewer, commitment):
        raise ReviewRefused(
            _(
                "Only the invoice administrator of {commitment} can review invoice {number} for "
                "{commitment}, and {name} is not one.",
                commitment=label_of(commitment),
                number=invoice.number,
                name=reviewer.name,
            ),
            code="not-an-administrator",
            _=_,
        )
    if InvoiceStatus(invoice.status) != InvoiceStatus.under_review:
        raise _not_under_review(session, invoice, commitment, _)


def check_approval_order(
    session: Session,
    *,
    invoice: Invoice,
    commitment: Commitment,
    noted: bool = False,
    _: Words = ENGLISH,
) -> None:
    """Raise `ReviewRefused` unless `invoice` may be approved (`noted`: at other figures) now.

    An approval certifies the invoice on its previous work, the invoices of earlier periods
    that count as previous (`models.ledger.history_sums`: every one but a draft), so those
    must be certified first. And the figures of a certified invoice do not change: an earlier
    invoice is not approved as noted under a later one already certified (only imported data
    gets there, the first rule keeps the review from it)."""
    found = _by_period(session, invoice)
    start = next(period.start for other, period in found if other.id == invoice.id)
    earlier: list[tuple[Invoice, BillingPeriod]] = []
    later: list[tuple[Invoice, BillingPeriod]] = []
    for other, period in found:
        if period.start < start and other.status not in CERTIFIED | {InvoiceStatus.draft}:
            earlier.append((other, period))
        elif period.start > start and other.status in CERTIFIED:
            later.append((other, period))
    values = {"number": invoice.number, "commitment": label_of(commitment)}
    if earlier:
        code, invoices = "earlier-not-certified", _invoices_named(earlier, _)
        reason = _.plural(
            "Invoice {number} for {commitment} cannot be approved yet: invoice {invoices} of "
            "an earlier period is not certified, and this invoice stands on its figures as its "
            "previous work. Review it first.",
            "Invoice {number} for {commitment} cannot be approved yet: invoices {invoices} of "
            "earlier periods are not certified, and this invoice stands on their figures as "
            "its previous work. Review them first.",
            len(earlier),
            invoices=invoices,
            **values,
        )
    elif noted and later:
        code, invoices = "later-certified", _invoices_named(later, _)
        reason = _.plural(
            "Invoice {number} for {commitment} cannot be approved as noted: invoice {invoices} "
            "of a later period was certified on its figures, and a certified invoice does not "
            "change. Approve it as billed, and put a correction on the next invoice.",
            "Invoice {number} for {commitment} cannot be approved as noted: invoices {invoices} "
            "of later periods were certified on its figures, and a certified invoice does not "
            "change. Approve it as billed, and put a correction on the next invoice.",
            len(later),
            invoices=invoices,
            **values,
        )
    else:
        return
    raise ReviewRefused(reason, code=code, _=_)


def check_later_under_review(
    session: Session,
    *,
    invoice: Invoice,
    commitment: Commitment,
    target: InvoiceStatus,
    _: Words = ENGLISH,
) -> None:
    """Raise `ReviewRefused` if `invoice` would be returned while a later period's invoice,
    which stands on its figures as previous work, is under review: the contact could not send
    this one again while that one is sent (`Context.later_sent`), nor could that one be
    approved before this one. Returned first, the later invoice is sent again after this one.
    (Approving as noted stays allowed: the later invoice is approved on the figures certified,
    `check_approval_order` and `_check_figures`.)"""
    if target != InvoiceStatus.revise_and_resubmit:
        return
    found = _by_period(session, invoice)
    start = next(period.start for other, period in found if other.id == invoice.id)
    later = [
        (other, period)
        for other, period in found
        if period.start > start and other.status == InvoiceStatus.under_review
    ]
    if not later:
        return
    invoices = _invoices_named(later, _)
    reason = _.plural(
        "Invoice {number} for {commitment} cannot be returned now: invoice {invoices} of a "
        "later period is under review and stands on its figures as its previous work. "
        "Return that one first, then this one.",
        "Invoice {number} for {commitment} cannot be returned now: invoices {invoices} of "
        "later periods are under review and stand on its figures as their previous work. "
        "Return those first, then this one.",
        len(later),
        number=invoice.number,
        commitment=label_of(commitment),
        invoices=invoices,
    )
    raise ReviewRefused(reason, code="later-under-review", _=_)


def _by_period(session: Session, invoice: Invoice) -> list[tuple[Invoice, BillingPeriod]]:
    """The invoices of `invoice`'s commitment with their periods, in period order."""
    statement = (
        select(Invoice, BillingPeriod)
        .join(BillingPeriod, col(BillingPeriod.id) == Invoice.period_id)
        .where(col(Invoice.commitment_id) == invoice.commitment_id)
        .order_by(col(BillingPeriod.start))
    )
    return list(session.exec(statement))


def _invoices_named(found: Sequence[tuple[Invoice, BillingPeriod]], _: Words) -> str:
    """`INV-0041 (2026-10-01 – 2026-10-31, under review), ...`"""
    return ", ".join(
        _(
            "{number} ({start} – {end}, {status})",
            number=invoice.number,
            start=period.start.isoformat(),
            end=period.end.isoformat(),
            status=status_words(invoice.status, _),
        )
        for invoice, period in found
    )


def _check_figures(
    ledger: CommitmentLedger,
    entries: Mapping[str, LineEntry],
    invoice: Invoice,
    commitment: Commitment,
    _: Words,
) -> None:
    """An approval certifies the lines as they stand now, on the previous work as it is now
    (an earlier invoice approved as noted, or a change order, may have changed it since the
    invoice was sent): the lines must pass what a contact's Send checks (`validate_line`;
    what needs a contact's confirmation was confirmed when they answered)."""
    issues = [
        issue
        for number, terms in ledger.terms.items()
        if number in entries
        for issue in validate_line(
            terms,
            ledger.histories[number],
            entries[number],
            allow_overbilling=commitment.allow_overbilling,
        )
        if not issue.needs_confirmation
    ]
    if issues:
        reason = _(
            "Invoice {number} for {commitment} cannot be approved with its figures as they "
            "stand now: {issues} Return line {lines} for revision, so the contact can answer "
            "it again.",
            number=invoice.number,
            commitment=label_of(commitment),
            issues=" ".join(issue.said(_) for issue in issues),
            lines=", ".join(dict.fromkeys(issue.line for issue in issues)),
        )
        raise ReviewRefused(reason, code="outdated-figures", _=_)


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
    check_reviewable(session, invoice=invoice, reviewer=reviewer, commitment=commitment)
    _ = words(reviewer.language)
    approving = decision.kind != ReviewKind.reject
    if approving:
        noted = decision.kind == ReviewKind.approve_as_noted
        check_approval_order(session, invoice=invoice, commitment=commitment, noted=noted, _=_)
    current = InvoiceStatus(invoice.status)
    lines = _lines(session, invoice)
    _check_lines(decision.reasons, lines, invoice, commitment, _)
    _check_lines(decision.adjustments, lines, invoice, commitment, _)
    _check_lines(decision.quantities, lines, invoice, commitment, _)
    figures = invoice_figures(session, invoice)
    adjusted, counted = _adjustments(decision, lines, figures.ledger, figures.lines, commitment, _)
    returned = {
        _find(lines, ref) or ref: reason.strip() for ref, reason in decision.reasons.items()
    }
    if decision.kind == ReviewKind.reject and not returned:
        raise ReviewRefused(
            _(
                "Which lines should be revised? Name them, e.g. `reject 3: only 18 fixtures "
                "installed`."
            ),
            code="no-such-line",
            _=_,
        )
    entries = {
        number: stored_entry(row) for number, (_sov, row) in lines.items() if row is not None
    }
    for number, (_before, amount) in adjusted.items():
        entry = entries.get(number, LineEntry())
        entries[number] = _adjusted(figures.ledger, number, entry, amount, counted.get(number))
    if approving:
        _check_figures(figures.ledger, entries, invoice, commitment, _)
    target = _target(decision, adjusted)
    check_later_under_review(session, invoice=invoice, commitment=commitment, target=target, _=_)
    moved = session.execute(
        update(Invoice)
        .where(col(Invoice.id) == invoice.id, col(Invoice.status) == current.value)
        .values(status=target.value, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(invoice)
        raise _not_under_review(session, invoice, commitment, _)
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
            _store(row, figures.ledger, number, entries[number])
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
    terms: LineTerms,
    line: LineFigures,
    amount: Decimal,
    commitment: Commitment,
    _: Words = ENGLISH,
) -> None:
    """An administrator's amount this period obeys what a contact's would: no negative amount,
    and nothing past the line's remaining value unless the commitment allows over-billing.
    On a line with materials stored, it may not exceed the work the contact billed: stored
    materials stay as billed, so more work would certify more than the contact billed (an
    administrator writing `4: $5,000` on a line of $10,000 stored most likely means less)."""
    if line.materials_stored and amount > line.new_value:
        raise ReviewRefused(
            _(
                "Line {line}: the contact billed {work} of work and {stored} of materials "
                "stored this period. A review cannot change materials stored, so {amount} "
                "would certify more than they billed: return the line to have the stored "
                "amount corrected, or approve at most {work} of work on it.",
                line=line.number,
                work=format_dollars(line.new_value),
                stored=format_dollars(line.materials_stored),
                amount=format_dollars(amount),
            ),
            code="over-billing",
            _=_,
        )
    if amount < 0:
        raise ReviewRefused(
            _(
                "Line {line}: this period's amount cannot be negative ({amount}).",
                line=line.number,
                amount=format_dollars(amount),
            ),
            code="over-billing",
            _=_,
        )
    remaining = remaining_value(terms, line)
    if amount > remaining and not commitment.allow_overbilling:
        raise ReviewRefused(
            _(
                "Line {line}: {amount} this period would bill past 100% of its {value} scheduled "
                "value; {before} was billed before, so at most {remaining} remains.",
                line=line.number,
                amount=format_dollars(amount),
                value=format_dollars(cents(terms.value)),
                before=format_dollars(line.previous_value),
                remaining=format_dollars(remaining),
            ),
            code="over-billing",
            _=_,
        )


def _adjusted(
    ledger: CommitmentLedger,
    number: str,
    entry: LineEntry,
    amount: Decimal,
    count: Decimal | None = None,
) -> LineEntry:
    """`entry` with this period's amount set to the administrator's, or its quantity to
    `count` (quantity and amount follow each other on unit lines), as it is stored."""
    terms = ledger.terms[number]
    if count is not None:
        return with_new_quantity(terms, entry, count, ledger.histories[number]).stored()
    return with_new_value(terms, entry, amount, ledger.histories[number]).stored()


def _store(row: InvoiceLine, ledger: CommitmentLedger, number: str, entry: LineEntry) -> None:
    """Write an adjusted entry on its line (retainage held is computed again)."""
    row.new_value = entry.new_value
    row.new_quantity = entry.new_quantity
    history = ledger.histories[number]
    row.retainage_held = retainage_held_this_period(ledger.terms[number], entry, history)


def _adjustments(
    decision: Decision,
    lines: Mapping[str, object],
    ledger: CommitmentLedger,
    figures: Sequence[LineFigures],
    commitment: Commitment,
    _: Words,
) -> tuple[dict[str, tuple[Decimal, Decimal]], dict[str, Decimal]]:
    """The administrator's amounts, each checked: `{line: (contact's, administrator's)}`,
    and `{line: quantity}` for those given in units. An amount is never guessed: a fraction
    of a cent is refused, and so is a bare number on a unit-based line (units or dollars?)."""
    by_number = {line.number: line for line in figures}
    adjusted: dict[str, tuple[Decimal, Decimal]] = {}
    counted: dict[str, Decimal] = {}
    for ref, amount in decision.adjustments.items():
        number = _find(lines, ref)
        assert number is not None
        terms, line = ledger.terms[number], by_number[number]
        if amount != cents(amount):
            written = _as_written(amount)
            raise ReviewRefused(
                _(
                    "Line {line}: {amount} has a fraction of a cent; write the amount in dollars "
                    "and cents.",
                    line=number,
                    amount=written,
                ),
                code="unclear-amount",
                _=_,
            )
        if ref in decision.bare and terms.is_unit and amount >= 0:
            raise _units_or_dollars(terms, amount, _)
        adjusted[number] = (line.new_value, amount)
        check_adjustment(terms, line, amount, commitment, _)
    for ref, given in decision.quantities.items():
        number = _find(lines, ref)
        assert number is not None
        terms, line = ledger.terms[number], by_number[number]
        _check_unit(terms, line, given, _)
        entry = LineEntry(materials_stored=line.materials_stored)
        entry = with_new_quantity(terms, entry, given.count, ledger.histories[number])
        amount = cents(entry.new_value)
        adjusted[number] = (line.new_value, amount)
        counted[number] = given.count
        check_adjustment(terms, line, amount, commitment, _)
    return adjusted, counted


# Unit words that fit any unit-based line, and other ways to write a unit of measure.
_ANY_UNIT = frozenset({"", "unit", "u", "ud", "uds", "unidad", "unidade", "qty", "pc", "pcs"})
_UNIT_NAMES = {
    "ea": {"each", "pc", "piece"},
    "lf": {"linear feet", "linear foot", "lin ft", "ft", "feet", "foot"},
    "sf": {"square feet", "square foot", "sq ft"},
    "cy": {"cubic yard", "cubic yards", "cu yd"},
    "ls": {"lump sum"},
}


def _unit_key(unit: str) -> str:
    """`EA`, `ea.`, `Units` -> `ea`, `unit`: a unit as units are compared."""
    key = " ".join(unit.casefold().replace(".", " ").split())
    if len(key) > 2 and key.endswith("s") and not key.endswith("ss"):
        key = key[:-1]
    return key


def _check_unit(terms: LineTerms, line: LineFigures, given: Quantity, _: Words) -> None:
    """A quantity fits a unit-based line, in its unit of measure (or words of its
    description: `2 panels` on the Panels line)."""
    if not terms.is_unit or not terms.unit_price:
        raise ReviewRefused(
            _(
                "Line {line} is billed by amount, not in units: write this period's amount in "
                "dollars, e.g. `{line}: {amount}`.",
                line=terms.number,
                amount=format_dollars(line.new_value),
            ),
            code="unclear-amount",
            _=_,
        )
    unit, uom = _unit_key(given.unit), _unit_key(terms.uom or "")
    described = {_unit_key(word) for word in terms.description.split()}
    if unit in _ANY_UNIT or unit == uom or unit in _UNIT_NAMES.get(uom, set()):
        return
    if unit and all(_unit_key(word) in described for word in unit.split()):
        return
    raise ReviewRefused(
        _(
            "Line {line} is billed in {uom}, not {unit}: write `{line}: {count} {uom}`, or its "
            "amount in dollars.",
            line=terms.number,
            uom=terms.uom or _("units"),
            unit=given.unit,
            count=_plain(given.count),
        ),
        code="unclear-amount",
        _=_,
    )


def _units_or_dollars(terms: LineTerms, number: Decimal, _: Words) -> ReviewRefused:
    """`2: 2` on a line billed in units: 2 units, or $2.00? Asked, never guessed."""
    uom = terms.uom or _("units")
    return ReviewRefused(
        _(
            "Line {line} is billed in {uom} ({price} per {uom}): is {number} meant as {number} "
            "{uom} or as {dollars}? Write `{line}: {number} {uom}` or `{line}: {dollars}`.",
            line=terms.number,
            uom=uom,
            price=format_dollars(terms.unit_price or ZERO),
            number=_plain(number),
            dollars=format_dollars(number),
        ),
        code="unclear-amount",
        _=_,
    )


def _as_written(amount: Decimal) -> str:
    """`$8,400.005`: an amount in dollars, every decimal kept."""
    return f"${amount:,}" if amount >= 0 else f"-${-amount:,}"


def _plain(number: Decimal) -> str:
    """`2`, `2.5`, `8400.005`: a number as written, without trailing zeros."""
    return f"{number.normalize():f}"


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


def _not_under_review(
    session: Session, invoice: Invoice, commitment: Commitment, _: Words
) -> ReviewRefused:
    """The refusal of a review of `invoice` once it is no longer under review."""
    status = InvoiceStatus(invoice.status)
    values = {
        "number": invoice.number,
        "commitment": label_of(commitment),
        "status": status_words(status, _),
    }
    event = last_event(session, invoice) if status in REVIEWED else None
    who = session.get(Person, event.by_person_id) if event and event.by_person_id else None
    if who is not None:
        reason = _(
            "Invoice {number} for {commitment} is {status} (reviewed by {name}), so there is "
            "nothing to review now.",
            name=who.name,
            **values,
        )
    else:
        reason = _(
            "Invoice {number} for {commitment} is {status}, so there is nothing to review now.",
            **values,
        )
    return ReviewRefused(reason, code="not-under-review", _=_)


def last_event(session: Session, invoice: Invoice) -> InvoiceEvent | None:
    statement = (
        select(InvoiceEvent)
        .where(col(InvoiceEvent.invoice_id) == invoice.id)
        .order_by(col(InvoiceEvent.at).desc(), col(InvoiceEvent.id).desc())
    )
    return session.exec(statement).first()


# An answer to the notice of an earlier sending of an invoice sent again since (a Slack DM's
# buttons, an email reply in its thread): its figures are not the ones under review.
OLDER_SENDING = N_(
    "This message is about an earlier sending of invoice {number}; it was sent again since. "
    "Please review it from the newest message, which shows what changed. Nothing was "
    "changed."
)


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
            "at": as_utc(event.at).isoformat(),  # with its offset (SQLite reads it naive)
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
    stored: Decimal = ZERO  # materials stored now (the review keeps no figure of them)
    released: Decimal = ZERO  # retainage released now (nor of this)


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
            row.materials_stored,
            row.retainage_released,
        )
        for number, row in session.exec(statement)
    }


# (changed, a reason given) -> the sentence of one returned line on a resubmission
_CHANGE = {
    (True, True): N_("Line {line}: {before} -> {now} (returned: {reason})"),
    (True, False): N_("Line {line}: {before} -> {now} (returned)"),
    (False, True): N_("Line {line}: unchanged at {now} (returned: {reason})"),
    (False, False): N_("Line {line}: unchanged at {now} (returned)"),
}


def changes_since_review(session: Session, invoice: Invoice, _: Words = ENGLISH) -> list[str]:
    """What the contact changed on the returned lines since the review (a resubmission), in
    the reviewer's language."""
    out = []
    for review in line_reviews(session, invoice).values():
        if review.status != LineReviewStatus.rejected:
            continue
        before = review.reviewed_value if review.reviewed_value is not None else ZERO
        sentence = _CHANGE[(before != review.value, bool(review.reason))]
        out.append(
            _(
                sentence,
                line=review.line,
                before=format_dollars(before),
                now=format_dollars(review.value),
                reason=review.reason or "",
            )
        )
        if review.stored or review.released:  # only the work is kept from the review
            out.append(
                _(
                    "Line {line}: materials stored {stored} and retainage released {released} "
                    "now; check them, only this period's work is compared with your review.",
                    line=review.line,
                    stored=format_dollars(review.stored),
                    released=format_dollars(review.released),
                )
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
    "check_approval_order",
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
