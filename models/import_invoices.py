"""Importing earlier invoices: each line computed with the billing functions, in period order.

Refused billing (past 100 % without over-billing allowed, retainage released
beyond what is held, a total below zero) is a problem; what would merely need a
contact's confirmation (a correction, allowed over-billing) is accepted, since
the file is the administrator's explicit statement, and reported as a warning.

An import never changes an invoice that is no longer the file's to state: one that
billbot has moved on (it has a history other than the import's own, reviewed lines, or
a contact who started it or answers for it in billbot) or a certified one (approved);
such an invoice in the file must say what billbot holds, or the import is refused.
Nor does it change the previous figures of a certified invoice, by writing an invoice
of an earlier period.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
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
from models.conversation import Conversation
from models.import_check import Loc, Locator, Problem
from models.import_schema import ImportFile, InvoiceIn, InvoiceLineIn
from models.ledger import CommitmentLedger, load_ledger, save_entries, stored_entry
from models.money import ZERO, cents
from models.review import record_event, status_words
from models.tables import (
    CERTIFIED,
    EDITABLE_STATUSES,
    BillingPeriod,
    Commitment,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoiceStatus,
    Person,
    SovLine,
    utcnow,
)
from models.validation import BillingIssue, IssueCode, validate_line

if TYPE_CHECKING:
    from models.importer import ImportSummary


IMPORT_CHANNEL = "import"  # the history entries of status changes an import makes
CERTIFIED_BASIS = "An import does not change the figures a certified invoice stands on:"
UNDER_REVIEW_BASIS = (
    "An import does not change the figures of an invoice under review (its approval would "
    "certify figures nobody sent):"
)


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
    summary.warnings.extend(loader.warnings)
    return loader.problems


def billing_by_line(session: Session, commitment_id: int) -> dict[str, list[Invoice]]:
    """Per SOV line number of the commitment, the invoices that bill something on it."""
    statement = (
        select(SovLine.number, Invoice)
        .join(InvoiceLine, col(InvoiceLine.sov_line_id) == SovLine.id)
        .join(Invoice, col(Invoice.id) == InvoiceLine.invoice_id)
        .where(
            SovLine.commitment_id == commitment_id,
            or_(
                col(InvoiceLine.new_value) != 0,
                col(InvoiceLine.materials_stored) != 0,
                col(InvoiceLine.new_quantity) != 0,
            ),
        )
        .order_by(col(Invoice.id))
    )
    found: dict[str, list[Invoice]] = {}
    for number, invoice in session.exec(statement):
        found.setdefault(number, []).append(invoice)
    return found


def certified(invoices: Iterable[Invoice]) -> list[Invoice]:
    return [invoice for invoice in invoices if invoice.status in CERTIFIED]


def invoice_names(invoices: Iterable[Invoice]) -> str:
    """`INV-0041 (approved), INV-0042 (approved as noted)`: the first three and a count."""
    names = [f"{invoice.number} ({status_words(invoice.status)})" for invoice in invoices]
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    return ", ".join(names[:3]) + more


def shown(value: Decimal | None, *, money: bool = False) -> str:
    """A stored figure as the file would write it: `"12.5"`, money with its cents."""
    if value is None:
        return "none"
    if money:
        return f"{cents(value):f}"
    text = f"{value.normalize():f}"
    return "0" if text == "-0" else text


@dataclass(frozen=True)
class _Held:
    """Why an invoice is no longer the import's to change, and how to go on."""

    why: str
    how: str


_CERTIFIED_HOW = (
    "An import does not change a certified invoice: leave it out of the file or give what "
    "billbot holds; a correction goes on a later invoice."
)
_MOVED_ON_HOW = (
    "An import does not change an invoice billbot has moved on: leave it out of the file or "
    "give what billbot holds; it changes through billbot's review."
)


def _held_by_billbot(session: Session, invoice: Invoice) -> _Held | None:
    """Why billbot holds `invoice` (None: the import may still change it): it has a
    history other than the import's, its lines were reviewed, a contact started it or is
    answering for it in billbot, or it is certified."""
    how = _CERTIFIED_HOW if invoice.status in CERTIFIED else _MOVED_ON_HOW
    statement = (
        select(InvoiceEvent, Person)
        .join(Person, col(Person.id) == InvoiceEvent.by_person_id, isouter=True)
        .where(
            InvoiceEvent.invoice_id == invoice.id,
            col(InvoiceEvent.channel) != IMPORT_CHANNEL,
        )
        .order_by(col(InvoiceEvent.at).desc(), col(InvoiceEvent.id).desc())
    )
    found = session.exec(statement).first()
    if found is not None:
        event, person = found
        what = (
            "sent for review"
            if event.to_status == InvoiceStatus.under_review
            else status_words(event.to_status)
        )
        by = f" by {person.name}" if person is not None else ""
        return _Held(f"has moved on in billbot ({what}{by} on {event.at:%Y-%m-%d})", how)
    reviewed = select(InvoiceLine.id).where(
        InvoiceLine.invoice_id == invoice.id, col(InvoiceLine.review_status).is_not(None)
    )
    if session.exec(reviewed).first() is not None:
        return _Held("has been reviewed in billbot", how)
    if invoice.created_by_id is not None or invoice.sent_by_id is not None:
        return _Held("was started in billbot by its contact", how)
    talking = (
        select(Person.name)
        .join(Conversation, col(Conversation.last_person_id) == Person.id)
        .where(Conversation.invoice_id == invoice.id)
    )
    contact = session.exec(talking).first()
    if contact is not None:  # the conversation's state mirrors the invoice: leave it be
        return _Held(f"is being billed in billbot by {contact}", how)
    if invoice.status in CERTIFIED:
        return _Held(f"is {status_words(invoice.status)} (certified)", how)
    return None


class _InvoiceLoader:
    def __init__(self, session: Session, data: ImportFile, locator: Locator) -> None:
        self.session = session
        self.data = data
        self.locator = locator
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.created: set[int] = set()  # invoices this import creates

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
        warnings: list[str] = []
        entries = {
            line.line: entry
            for n, line in enumerate(item.lines)
            if (entry := self.entry(ledger, (*loc, "lines", n), line, warnings)) is not None
        }
        if len(self.problems) > before:
            return None
        held = _held_by_billbot(self.session, invoice) if invoice is not None else None
        if invoice is not None and held is not None:
            self.compare(loc, item, invoice, held, period, ledger, entries)
            return None if len(self.problems) > before else "unchanged"
        was = invoice.status if invoice is not None else InvoiceStatus.draft
        outcome = self.write(invoice, item, commitment, period, ledger, entries)
        if outcome != "unchanged":
            self.warnings.extend(warnings)
            if item.status in CERTIFIED:
                self.check_earlier_certified(loc, item, commitment, period)
            if (was, item.status) != (InvoiceStatus.draft, InvoiceStatus.draft):  # counts later
                self.check_later_certified(loc, item, commitment, period)
        return outcome

    def compare(
        self,
        loc: Loc,
        item: InvoiceIn,
        invoice: Invoice,
        held: _Held,
        period: BillingPeriod,
        ledger: CommitmentLedger,
        entries: Mapping[str, LineEntry],
    ) -> None:
        """Report every way the file's `item` differs from `invoice`, which billbot holds."""
        intro = f"{ledger.commitment.number} invoice {invoice.number} {held.why}"

        def differs(where: Loc, what: str, stored: str, given: str) -> None:
            message = f"{intro}: {what} is {stored} in billbot, the file says {given}. {held.how}"
            self.report(where, message)

        if invoice.status != item.status:
            differs((*loc, "status"), "its status", invoice.status, item.status)
        if invoice.period_id != period.id:
            stored_period = self.session.get(BillingPeriod, invoice.period_id)
            key = stored_period.key if stored_period is not None else "?"
            differs((*loc, "period"), "its period", f'"{key}"', f'"{period.key}"')
        rows = _stored_lines(self.session, invoice)
        places = {line.line: n for n, line in enumerate(item.lines)}
        unit = {number for number, terms in ledger.terms.items() if terms.is_unit}
        for number in [*rows, *(n for n in entries if n not in rows)]:
            stored = stored_entry(rows.get(number)).stored()
            given = entries.get(number, LineEntry()).stored()
            names = ["new_quantity" if number in unit else "new_value"]
            for name in [*names, "materials_stored", "retainage_released"]:
                was, now = getattr(stored, name) or ZERO, getattr(given, name) or ZERO
                if was == now:
                    continue
                money = name != "new_quantity"
                place = places.get(number)
                if place is None:
                    where: Loc = (*loc, "lines")
                    given_text = "nothing (0)"
                else:
                    where = (*loc, "lines", place, name)
                    given_text = shown(now, money=money)
                differs(where, f"line {number} {name}", shown(was, money=money), given_text)
                break

    def check_earlier_certified(
        self, loc: Loc, item: InvoiceIn, commitment: Commitment, period: BillingPeriod
    ) -> None:
        """Invoices are certified in order, as the review approves them
        (`models.review.check_approval_order`): an invoice the file certifies stands on the
        sent invoices of earlier periods as its previous work, so none of them may be under
        review or returned (its figures would move the certified ones). An earlier draft does
        not count as previous work, and billbot does not send it under a later sent invoice."""
        statement = (
            select(Invoice, BillingPeriod)
            .join(BillingPeriod, col(BillingPeriod.id) == Invoice.period_id)
            .where(
                Invoice.commitment_id == commitment.id,
                col(BillingPeriod.start) < period.start,
                col(Invoice.status).not_in(
                    [status.value for status in CERTIFIED | {InvoiceStatus.draft}]
                ),
            )
            .order_by(col(BillingPeriod.start))
        )
        earlier = list(self.session.exec(statement))
        if not earlier:
            return
        names = ", ".join(
            f"{invoice.number} ({other.start} – {other.end}, {status_words(invoice.status)})"
            for invoice, other in earlier
        )
        one = len(earlier) == 1
        message = (
            f'{commitment.number} invoice {item.number} (period "{period.key}") is '
            f"{status_words(item.status)} in the file, but invoice{'' if one else 's'} {names} of "
            f"{'an earlier period is' if one else 'earlier periods are'} not certified, and "
            f"this invoice stands on {'its' if one else 'their'} figures as its previous work. "
            "Invoices are certified in order: certify "
            f"{'it' if one else 'them'} first (in billbot's review, or with a certified status "
            f"in the file), or give {item.number} a status that is not certified "
            "(under_review)."
        )
        self.report((*loc, "status"), message)

    def check_later_certified(
        self, loc: Loc, item: InvoiceIn, commitment: Commitment, period: BillingPeriod
    ) -> None:
        """A certified invoice of a later period was certified on this one's figures (its
        "previous" columns): writing this one is refused."""
        statement = (
            select(Invoice)
            .join(BillingPeriod, col(BillingPeriod.id) == Invoice.period_id)
            .where(
                Invoice.commitment_id == commitment.id,
                col(BillingPeriod.start) > period.start,
                col(Invoice.status).in_([status.value for status in CERTIFIED]),
            )
            .order_by(col(BillingPeriod.start))
        )
        later = [inv for inv in self.session.exec(statement) if inv.id not in self.created]
        if later:
            self.report(
                loc,
                f'{commitment.number} invoice {item.number} (period "{period.key}") would '
                f"change the previous figures of later certified invoices: {invoice_names(later)}. "
                f"{_CERTIFIED_HOW}",
            )

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
        was: InvoiceStatus | None = None
        if invoice is None:
            invoice = Invoice(
                commitment_id=commitment.id,
                period_id=period.id,
                number=item.number,
                status=item.status,
            )
            outcome = "created"
        elif invoice.status != item.status or invoice.period_id != period.id:
            was = InvoiceStatus(invoice.status)
            invoice.status, invoice.period_id = item.status, period.id
            invoice.updated_at = utcnow()
            outcome = "updated"
        if outcome != "unchanged":
            self.session.add(invoice)
            self.session.flush()
        assert invoice.id is not None
        if outcome == "created":
            self.created.add(invoice.id)
        if was is not None and was != item.status:  # every status change is in the history
            record_event(
                self.session,
                invoice=invoice,
                by_person_id=None,
                channel=IMPORT_CHANNEL,
                from_status=was,
                to_status=item.status,
                now=invoice.updated_at,
            )
        current = _stored_lines(self.session, invoice)
        wanted = {number: LineEntry() for number in current} | entries
        # An invoice that was sent before this import keeps the retainage it held, whatever
        # the commitment's rate is now (its figures themselves were checked above).
        sent = outcome != "created" and (was or invoice.status) not in EDITABLE_STATUSES
        if not _same(ledger, current, wanted, held=not sent):
            save_entries(self.session, invoice=invoice, ledger=ledger, entries=wanted)
            self.session.flush()
            outcome = "created" if outcome == "created" else "updated"
        return outcome

    def entry(
        self, ledger: CommitmentLedger, loc: Loc, line: InvoiceLineIn, warnings: list[str]
    ) -> LineEntry | None:
        """This period's entry on one line, or None after reporting why it cannot be kept;
        what a contact would have to confirm goes to `warnings`."""
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
                entry = with_new_quantity(terms, entry, line.new_quantity, history)
            elif line.new_value is not None:
                entry = with_new_value(terms, entry, line.new_value, history)
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
        where = f"{self.locator.where(loc)}: {ledger.commitment.number} line {line.line}"
        warnings.extend(
            f"{where}: {_unconfirmed(issue)}" for issue in issues if issue.needs_confirmation
        )
        return None if refused else entry


def _unconfirmed(issue: BillingIssue) -> str:
    """What a contact would have confirmed, said of an imported line."""
    if issue.code == IssueCode.negative_amount:
        return (
            f"this period's amount is negative ({issue.values['value']}), a correction of "
            "earlier billing; imported as the file says"
        )
    if issue.code == IssueCode.over_billing:
        return (
            f"bills {issue.values['value']} to date, {issue.values['percent']}% of the "
            f"{issue.values['scheduled']} scheduled value; imported as the file says "
            "(the commitment allows over-billing)"
        )
    return issue.message


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
    ledger: CommitmentLedger,
    current: Mapping[str, InvoiceLine],
    wanted: Mapping[str, LineEntry],
    *,
    held: bool = True,
) -> bool:
    """Whether the stored lines already hold `wanted` (so a re-import touches nothing); with
    `held=False`, whatever retainage they hold (that of a sent invoice)."""
    if set(current) != set(wanted):
        return False
    for number, entry in wanted.items():
        stored, row = entry.stored(), current[number]
        held_now = (
            retainage_held_this_period(ledger.terms[number], stored, ledger.histories[number])
            if held
            else row.retainage_held
        )
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
            held_now,
        ):
            return False
    return True
