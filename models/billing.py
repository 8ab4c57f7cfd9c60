"""Billing arithmetic as pure functions on Decimal (DESIGN §1, AIA G702/G703).

Vocabulary of the G703 continuation sheet, per SOV line:
  C scheduled value, D work completed and stored from previous applications,
  E work completed this period, F materials stored this period (not in D or E),
  G = D + E + F completed and stored to date, G/C percent, H = C - G balance to
  finish, I retainage.

Materials stored are recorded per period: once billed they are part of D on the
next application, so retainage is held on them exactly once (held = rate x (E+F)).
An invoice that was sent keeps the retainage it held at the rate of its day
(`LineEntry.retainage_held`), so a rate reduced from a period on (10% to 5% at half
complete) changes the invoices still open, never one already sent or certified.

Entries keep full precision; a `LineFigures` rounds each money column of its
line half-up to cents, and the G702 summary adds those rounded columns, so the
G702 always ties to the G703 lines to the cent.

Change orders change a line's scheduled value C (amount-based) or quantity
(unit-based, at the line's unit price), or add a line. `with_change_orders`
gives the terms that billing uses from then on; each change order's amount is
the step it makes in the line's C rounded to cents, so G702 line 2 (the sum of
those steps) is exactly C less the original scheduled value, line by line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from models.i18n import N_
from models.money import HUNDRED, ZERO, cents, percent, quantity
from models.tables import AccountingMethod


class BillingError(ValueError):
    """An entry that cannot be computed at all (e.g. a quantity on an amount-based line)."""

    def __init__(self, line: str, message: str) -> None:
        super().__init__(f"Line {line}: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class LineTerms:
    """An SOV line as billing sees it. `retainage_percent` is e.g. `Decimal("10")`."""

    number: str
    description: str
    method: AccountingMethod
    scheduled_value: Decimal | None = None
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    uom: str | None = None
    retainage_percent: Decimal = ZERO
    # Set by `with_change_orders`: C before any change order (exact; zero for a line that a
    # change order added), and each change order's number with its amount in cents.
    value_before_changes: Decimal | None = None
    changes: tuple[tuple[str, Decimal], ...] = ()

    @property
    def is_unit(self) -> bool:
        return self.method == AccountingMethod.unit

    @property
    def value(self) -> Decimal:
        """Scheduled value C, exact (unit-based: quantity x unit price), change orders included."""
        if self.is_unit:
            return (self.quantity or ZERO) * (self.unit_price or ZERO)
        return self.scheduled_value or ZERO

    @property
    def original_value(self) -> Decimal:
        """C as first scheduled, before change orders (exact)."""
        return self.value if self.value_before_changes is None else self.value_before_changes

    @property
    def change_orders(self) -> tuple[str, ...]:
        return tuple(number for number, _ in self.changes)


@dataclass(frozen=True)
class LineChange:
    """One approved change order's change to one SOV line."""

    change_order: str  # its number, e.g. "CO-001"
    quantity: Decimal = ZERO  # unit-based lines
    amount: Decimal = ZERO  # amount-based lines: change of scheduled value
    adds_line: bool = False  # the change order added this line (as `terms` describe it)


def with_change_orders(terms: LineTerms, changes: Sequence[LineChange]) -> LineTerms:
    """The line with `changes` applied in order (the change orders that count for a period).

    `terms` is the line as first scheduled; for a line added by a change order, as that
    change order adds it (its first change then has `adds_line`).
    """
    if not changes:
        return terms
    adds_line = changes[0].adds_line
    before = ZERO if adds_line else terms.value
    current, shown = terms, ZERO if adds_line else cents(terms.value)
    amounts: list[tuple[str, Decimal]] = []
    for change in changes:
        if not change.adds_line:
            if current.is_unit:
                current = replace(current, quantity=(current.quantity or ZERO) + change.quantity)
            else:
                value = (current.scheduled_value or ZERO) + change.amount
                current = replace(current, scheduled_value=value)
        step = cents(current.value)
        amounts.append((change.change_order, step - shown))
        shown = step
    return replace(current, value_before_changes=before, changes=tuple(amounts))


@dataclass(frozen=True)
class LineHistory:
    """Sums over the earlier applications of this commitment (stored, rounded values)."""

    previous_quantity: Decimal = ZERO
    previous_value: Decimal = ZERO  # D: completed and stored before this period
    retainage_held: Decimal = ZERO
    retainage_released: Decimal = ZERO

    @property
    def retainage_balance(self) -> Decimal:
        """Retainage held before this period and not yet released."""
        return self.retainage_held - self.retainage_released


@dataclass(frozen=True)
class LineEntry:
    """What the contact entered for one line this period (full precision)."""

    new_quantity: Decimal | None = None
    new_value: Decimal = ZERO
    materials_stored: Decimal = ZERO
    retainage_released: Decimal = ZERO
    # The retainage this period held as stored on an invoice that was sent (None: held at
    # the line's rate, rate x (E+F)). Any change to the entry drops it.
    retainage_held: Decimal | None = None

    def stored(self) -> LineEntry:
        """The entry as the database keeps it: money in cents, quantity to 6 places."""
        return LineEntry(
            new_quantity=None if self.new_quantity is None else quantity(self.new_quantity),
            new_value=cents(self.new_value),
            materials_stored=cents(self.materials_stored),
            retainage_released=cents(self.retainage_released),
            retainage_held=None if self.retainage_held is None else cents(self.retainage_held),
        )


def _unit_price(terms: LineTerms) -> Decimal:
    if not terms.is_unit:
        raise BillingError(terms.number, N_("is amount-based: enter a value or a percentage"))
    if not terms.unit_price:
        raise BillingError(terms.number, N_("has no unit price"))
    return terms.unit_price


def with_new_quantity(
    terms: LineTerms,
    entry: LineEntry,
    new_quantity: Decimal,
    history: LineHistory | None = None,
) -> LineEntry:
    """Unit-based: new value = new quantity x unit price. With `history`, the quantity that
    completes the line bills what remains of its value, as `done` does: the cents rounded in
    earlier periods are absorbed (10 EA at $212.3375 were billed $2,123.38; the last 30 EA
    are $6,370.12, not $6,370.13, which would bill a cent past 100%)."""
    price = _unit_price(terms)
    if history is not None and history.previous_quantity + new_quantity == terms.quantity:
        remaining = cents(terms.value) - cents(history.previous_value)
        return _replace(entry, new_quantity=new_quantity, new_value=remaining)
    return _replace(entry, new_quantity=new_quantity, new_value=new_quantity * price)


def with_new_value(
    terms: LineTerms,
    entry: LineEntry,
    new_value: Decimal,
    history: LineHistory | None = None,
) -> LineEntry:
    """Set this period's value; unit-based lines derive quantity = value / unit price. With
    `history`, the amount that completes a unit line (what remains of its value, to the cent)
    bills what remains of its quantity, as the quantity that completes it does: $2,745.42
    left at $42.0833 is 65.237755 EA by division, which would put the line 0.00015 EA past
    its quantity."""
    if terms.is_unit:
        price = _unit_price(terms)
        if history is not None and cents(history.previous_value) + new_value == cents(terms.value):
            remaining = (terms.quantity or ZERO) - history.previous_quantity
            return _replace(entry, new_quantity=remaining, new_value=new_value)
        return _replace(entry, new_quantity=new_value / price, new_value=new_value)
    return _replace(entry, new_quantity=None, new_value=new_value)


def with_total_percent(
    terms: LineTerms, history: LineHistory, entry: LineEntry, total_percent: Decimal
) -> LineEntry:
    """Cumulative progress (includes earlier periods) -> this period's quantity/value."""
    ratio = total_percent / HUNDRED
    if terms.is_unit:
        # Both cumulative figures are targets (quantity to date = ratio x Q, value to date =
        # ratio x C rounded once), so cents rounded in earlier periods, and quantities stored
        # to six places, are absorbed here instead of piling up past 100 % ("done" bills C).
        _unit_price(terms)
        new_quantity = ratio * (terms.quantity or ZERO) - history.previous_quantity
        new_value = cents(ratio * terms.value) - cents(history.previous_value)
        return _replace(entry, new_quantity=new_quantity, new_value=new_value)
    # G = D + E + F = ratio x C, with F as already entered.
    to_date = cents(ratio * terms.value)
    new_value = to_date - cents(history.previous_value) - cents(entry.materials_stored)
    return with_new_value(terms, entry, new_value)


def with_period_percent(
    terms: LineTerms,
    entry: LineEntry,
    period_percent: Decimal,
    history: LineHistory | None = None,
) -> LineEntry:
    """Progress made this period only (`+10%`)."""
    ratio = period_percent / HUNDRED
    if terms.is_unit:
        return with_new_quantity(terms, entry, ratio * (terms.quantity or ZERO), history)
    return with_new_value(terms, entry, ratio * terms.value)


def with_materials_stored(terms: LineTerms, entry: LineEntry, amount: Decimal) -> LineEntry:
    if terms.is_unit:
        raise BillingError(
            terms.number, N_("is unit-based: materials stored apply to amount lines")
        )
    return _replace(entry, materials_stored=amount)


def with_retainage_released(entry: LineEntry, amount: Decimal) -> LineEntry:
    return _replace(entry, retainage_released=amount)


def _replace(entry: LineEntry, **changes: Decimal | None) -> LineEntry:
    """A changed entry holds retainage at the line's rate again."""
    return replace(entry, retainage_held=None, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class LineFigures:
    """One G703 row, every money column rounded to cents."""

    number: str
    description: str
    is_unit: bool
    scheduled_value: Decimal  # C
    previous_value: Decimal  # D
    new_value: Decimal  # E
    materials_stored: Decimal  # F
    completed_to_date: Decimal  # G
    percent_complete: Decimal  # G / C, in percent, 2 places
    balance_to_finish: Decimal  # H
    retainage_held: Decimal  # held this period
    retainage_released: Decimal  # released this period
    retainage_total: Decimal  # I: net retainage after this period
    previous_retainage: Decimal  # net retainage before this period
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    uom: str | None = None
    previous_quantity: Decimal | None = None
    new_quantity: Decimal | None = None
    original_value: Decimal | None = None  # C before change orders, in cents (None: no change)
    changes: tuple[tuple[str, Decimal], ...] = ()  # (change order number, amount in cents)

    @property
    def change_orders(self) -> tuple[str, ...]:
        return tuple(number for number, _ in self.changes)

    @property
    def net_change(self) -> Decimal:
        """What change orders added to C (the line's part of G702 line 2)."""
        return ZERO if self.original_value is None else self.scheduled_value - self.original_value

    @property
    def total_quantity(self) -> Decimal | None:
        if self.previous_quantity is None or self.new_quantity is None:
            return None
        return self.previous_quantity + self.new_quantity


def retainage_held_this_period(
    terms: LineTerms, entry: LineEntry, history: LineHistory | None = None
) -> Decimal:
    """rate x (E + F); a correction (negative) gives back at most the retainage still held.
    An entry of a sent invoice holds what it stored."""
    return _held(terms, entry.stored(), history)


def _held(terms: LineTerms, stored: LineEntry, history: LineHistory | None) -> Decimal:
    if stored.retainage_held is not None:
        return stored.retainage_held
    held = cents(terms.retainage_percent / HUNDRED * (stored.new_value + stored.materials_stored))
    if history is not None and held < ZERO:
        held = max(held, min(-cents(history.retainage_balance), ZERO))
    return held


def line_figures(terms: LineTerms, history: LineHistory, entry: LineEntry) -> LineFigures:
    stored = entry.stored()
    c = cents(terms.value)
    d = cents(history.previous_value)
    e = stored.new_value
    f = stored.materials_stored
    g = d + e + f
    held = _held(terms, stored, history)
    previous_retainage = cents(history.retainage_balance)
    new_quantity = None
    if terms.is_unit:
        new_quantity = stored.new_quantity if stored.new_quantity is not None else ZERO
    return LineFigures(
        number=terms.number,
        description=terms.description,
        is_unit=terms.is_unit,
        scheduled_value=c,
        previous_value=d,
        new_value=e,
        materials_stored=f,
        completed_to_date=g,
        percent_complete=percent(g / c * HUNDRED if c else ZERO),
        balance_to_finish=c - g,
        retainage_held=held,
        retainage_released=stored.retainage_released,
        retainage_total=previous_retainage + held - stored.retainage_released,
        previous_retainage=previous_retainage,
        quantity=terms.quantity if terms.is_unit else None,
        unit_price=terms.unit_price if terms.is_unit else None,
        uom=terms.uom if terms.is_unit else None,
        previous_quantity=history.previous_quantity if terms.is_unit else None,
        new_quantity=new_quantity,
        original_value=None if not terms.changes else cents(terms.original_value),
        changes=terms.changes,
    )


@dataclass(frozen=True)
class G702Summary:
    """The nine lines of the AIA G702 application, from the G703 rows."""

    original_contract_sum: Decimal
    net_change_by_change_orders: Decimal
    contract_sum_to_date: Decimal
    total_completed_and_stored_to_date: Decimal
    retainage: Decimal
    total_earned_less_retainage: Decimal
    less_previous_certificates_for_payment: Decimal
    current_payment_due: Decimal
    balance_to_finish_including_retainage: Decimal
    lines: tuple[LineFigures, ...] = field(default=(), repr=False, compare=False)

    def as_dict(self) -> dict[str, Decimal]:
        return {
            "original_contract_sum": self.original_contract_sum,
            "net_change_by_change_orders": self.net_change_by_change_orders,
            "contract_sum_to_date": self.contract_sum_to_date,
            "total_completed_and_stored_to_date": self.total_completed_and_stored_to_date,
            "retainage": self.retainage,
            "total_earned_less_retainage": self.total_earned_less_retainage,
            "less_previous_certificates_for_payment": self.less_previous_certificates_for_payment,
            "current_payment_due": self.current_payment_due,
            "balance_to_finish_including_retainage": self.balance_to_finish_including_retainage,
        }


def summarize(lines: Sequence[LineFigures]) -> G702Summary:
    """G702 from G703 rows: every figure is a sum of the rows' rounded columns.

    Column C includes the change orders, so line 3 (contract sum to date) is the sum of C,
    and line 1 the sum of C before the change orders.
    """
    none = cents(ZERO)  # "0.00": a summary without lines still shows two decimals
    net_change = sum((line.net_change for line in lines), none)
    contract_to_date = sum((line.scheduled_value for line in lines), none)
    original = contract_to_date - net_change
    completed = sum((line.completed_to_date for line in lines), none)
    retainage = sum((line.retainage_total for line in lines), none)
    earned = completed - retainage
    previous_certificates = sum(
        (line.previous_value - line.previous_retainage for line in lines), none
    )
    return G702Summary(
        original_contract_sum=original,
        net_change_by_change_orders=net_change,
        contract_sum_to_date=contract_to_date,
        total_completed_and_stored_to_date=completed,
        retainage=retainage,
        total_earned_less_retainage=earned,
        less_previous_certificates_for_payment=previous_certificates,
        current_payment_due=earned - previous_certificates,
        balance_to_finish_including_retainage=contract_to_date - earned,
        lines=tuple(lines),
    )
