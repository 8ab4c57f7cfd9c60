"""Billing arithmetic (DESIGN §1, AIA G702/G703): hand-computed examples and properties.

The strategies here build random commitments the way billbot sees them: SOV lines
(unit-based or amount-based, with an optional per-line retainage rate), a history made
of earlier stored periods, and this period's entry made through the same helpers the
conversation uses (quantity, value, total %, period %, materials stored, release).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from models.billing import (
    BillingError,
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
    with_materials_stored,
    with_new_quantity,
    with_new_value,
    with_period_percent,
    with_retainage_released,
    with_total_percent,
)
from models.ledger import line_terms, totals_tie
from models.money import ZERO, cents, percent, quantity
from models.tables import AccountingMethod, Commitment, SovLine

D = Decimal
UNIT = AccountingMethod.unit
AMOUNT = AccountingMethod.amount
ONE_CENT = D("0.01")


# --- strategies (also used by tests/test_validation.py) -----------------------------------
# Strategies are built once at import: building them inside every draw costs more than
# drawing from them, and commitments draw thousands of values.


def decimals(max_value: int, places: int, *, min_units: int = 0) -> st.SearchStrategy[Decimal]:
    """Decimals from `min_units` of the last place up to `max_value`, with 0..`places` decimals."""
    return st.one_of(
        [
            st.integers(min_units, max_value * 10**p).map(lambda n, p=p: D(n).scaleb(-p))
            for p in range(places + 1)
        ]
    )


def money(max_value: int) -> st.SearchStrategy[Decimal]:
    return st.integers(0, max_value * 100).map(lambda n: D(n).scaleb(-2))


rates = money(15)  # retainage 0-15 % with up to two decimals
total_percents = st.integers(0, 12_000).map(lambda n: D(n).scaleb(-2))  # 0.00 % - 120.00 %
# Fractions of a line, mostly progress but also corrections (< 0) and over-billing (> 1).
fractions = st.integers(-2_000, 12_000).map(lambda n: D(n).scaleb(-4))
progress = st.integers(0, 10_000).map(lambda n: D(n).scaleb(-4))

_quantities = decimals(10**6, 4, min_units=1)
_unit_prices = decimals(10**5, 4, min_units=1)
_scheduled_values = money(10**9)
_uoms = st.sampled_from(["LF", "EA", "CY", None])
_overrides = st.none() | rates
_kinds = st.sampled_from(["unit", "amount"])
_ways = st.sampled_from(["quantity", "value", "total", "period", "nothing"])
_earlier_progress = progress.map(lambda f: f / 3)
_period_counts = {n: st.integers(0, n) for n in range(4)}


def _unit_terms(draw: st.DrawFn, number: str, rate: Decimal) -> LineTerms:
    return LineTerms(
        number=number,
        description=f"Unit line {number}",
        method=UNIT,
        quantity=draw(_quantities),
        unit_price=draw(_unit_prices),
        uom=draw(_uoms),
        retainage_percent=rate,
    )


def _amount_terms(draw: st.DrawFn, number: str, rate: Decimal) -> LineTerms:
    return LineTerms(
        number=number,
        description=f"Amount line {number}",
        method=AMOUNT,
        scheduled_value=draw(_scheduled_values),
        retainage_percent=rate,
    )


@st.composite
def unit_terms(draw: st.DrawFn, number: str = "1", rate: Decimal = ZERO) -> LineTerms:
    return _unit_terms(draw, number, rate)


@st.composite
def amount_terms(draw: st.DrawFn, number: str = "1", rate: Decimal = ZERO) -> LineTerms:
    return _amount_terms(draw, number, rate)


def _terms(draw: st.DrawFn, kind: str | None, number: str, commitment_rate: Decimal) -> LineTerms:
    """A line of the kind (or either); its rate is the commitment's unless the line overrides it."""
    override = draw(_overrides)
    rate = commitment_rate if override is None else override
    if (kind or draw(_kinds)) == "unit":
        return _unit_terms(draw, number, rate)
    return _amount_terms(draw, number, rate)


def after(terms: LineTerms, history: LineHistory, entry: LineEntry) -> LineHistory:
    """The history of the next period once `entry` is stored (as `ledger.history_sums` sums)."""
    stored = entry.stored()
    return LineHistory(
        previous_quantity=history.previous_quantity + (stored.new_quantity or ZERO),
        previous_value=history.previous_value + stored.new_value + stored.materials_stored,
        retainage_held=history.retainage_held + retainage_held_this_period(terms, stored, history),
        retainage_released=history.retainage_released + stored.retainage_released,
    )


def _entry(
    draw: st.DrawFn, terms: LineTerms, history: LineHistory, amounts: st.SearchStrategy[Decimal]
) -> LineEntry:
    """One period's entry, made the ways a contact can answer (`amounts` are fractions)."""
    entry = LineEntry()
    if not terms.is_unit and draw(st.booleans()):
        stored = cents(draw(progress) * terms.value / 4)
        entry = with_materials_stored(terms, entry, stored)
    how = draw(_ways)
    if how == "quantity" and terms.is_unit:
        entry = with_new_quantity(terms, entry, quantity(draw(amounts) * (terms.quantity or ZERO)))
    elif how in ("quantity", "value"):
        entry = with_new_value(terms, entry, cents(draw(amounts) * terms.value))
    elif how == "total":
        entry = with_total_percent(terms, history, entry, draw(amounts) * 100)
    elif how == "period":
        entry = with_period_percent(terms, entry, draw(amounts) * 100)
    if draw(st.booleans()):
        # At most what is still held: the balance before this period, less what a
        # correction gives back this period (as validation allows; whole balance included).
        held = retainage_held_this_period(terms, entry, history)
        still_held = max(cents(history.retainage_balance) + min(held, ZERO), ZERO)
        entry = with_retainage_released(entry, cents(draw(progress) * still_held))
    return entry


def _history(draw: st.DrawFn, terms: LineTerms, periods: int) -> LineHistory:
    """Up to `periods` earlier stored periods of ordinary progress."""
    history = LineHistory()
    for _ in range(draw(_period_counts[periods])):
        history = after(terms, history, _entry(draw, terms, history, _earlier_progress))
    return history


@dataclass(frozen=True)
class Line:
    terms: LineTerms
    history: LineHistory
    entry: LineEntry

    @property
    def figures(self) -> LineFigures:
        return line_figures(self.terms, self.history, self.entry)


def _line(
    draw: st.DrawFn,
    kind: str | None,
    amounts: st.SearchStrategy[Decimal],
    number: str,
    commitment_rate: Decimal,
    periods: int,
) -> Line:
    terms = _terms(draw, kind, number, commitment_rate)
    history = _history(draw, terms, periods)
    return Line(terms, history, _entry(draw, terms, history, amounts))


@st.composite
def lines(
    draw: st.DrawFn, kind: str | None = None, amounts: st.SearchStrategy[Decimal] = fractions
) -> Line:
    """One line (`kind` "unit", "amount" or either) with up to three earlier periods."""
    return _line(draw, kind, amounts, "1", draw(rates), periods=3)


@st.composite
def commitments(draw: st.DrawFn) -> list[Line]:
    """1-60 lines of mixed kinds sharing a commitment rate, each with up to two earlier periods
    and up to three change orders (one may have added the line).

    (The single-line properties go deeper into histories; here the breadth is the point.)
    """
    rate = draw(rates)
    count = draw(st.integers(1, 60))
    found = [_line(draw, None, fractions, str(n), rate, periods=2) for n in range(1, count + 1)]
    return [replace(line, terms=draw(_changed(line.terms))) for line in found]


_quantity_changes = decimals(10**4, 4).map(lambda q: q - 5000)
_amount_changes = money(10**6).map(lambda m: m - 5 * 10**5)


@st.composite
def _changed(draw: st.DrawFn, terms: LineTerms) -> LineTerms:
    changes = [
        LineChange(f"CO-{n}", quantity=draw(_quantity_changes), amount=draw(_amount_changes))
        for n in range(draw(st.integers(0, 3)))
    ]
    if changes and draw(st.booleans()):
        changes[0] = LineChange(changes[0].change_order, adds_line=True)
    return with_change_orders(terms, changes)


# --- hand-computed examples ---------------------------------------------------------------

CONDUIT = LineTerms(
    number="1",
    description="Conduit",
    method=UNIT,
    quantity=D("1200"),
    unit_price=D("12.50"),
    uom="LF",
    retainage_percent=D("10"),
)
SWITCHGEAR = LineTerms(
    number="2",
    description="Switchgear",
    method=AMOUNT,
    scheduled_value=D("100000"),
    retainage_percent=D("10"),
)


@pytest.mark.parametrize(
    "enter",
    [
        pytest.param(lambda e: with_new_quantity(CONDUIT, e, D("300")), id="quantity 300"),
        pytest.param(lambda e: with_new_value(CONDUIT, e, D("3750")), id="value $3,750"),
        pytest.param(
            lambda e: with_total_percent(CONDUIT, LineHistory(), e, D("25")), id="total 25%"
        ),
        pytest.param(lambda e: with_period_percent(CONDUIT, e, D("25")), id="period +25%"),
    ],
)
def test_design_example_bills_300_lf_of_conduit_as_3750_and_25_percent(
    enter: Callable[[LineEntry], LineEntry],
) -> None:
    entry = enter(LineEntry())
    figures = line_figures(CONDUIT, LineHistory(), entry)
    assert entry.stored().new_quantity == D("300")
    assert figures.scheduled_value == D("15000.00")
    assert figures.new_value == D("3750.00")
    assert figures.completed_to_date == D("3750.00")
    assert figures.percent_complete == D("25.00")
    assert figures.balance_to_finish == D("11250.00")
    assert figures.retainage_held == D("375.00")
    assert figures.retainage_total == D("375.00")
    assert figures.total_quantity == D("300")


def test_amount_line_with_materials_stored_holds_retainage_on_work_and_materials() -> None:
    history = LineHistory(previous_value=D("25000"), retainage_held=D("2500"))
    entry = with_materials_stored(
        SWITCHGEAR, with_new_value(SWITCHGEAR, LineEntry(), D("10000")), D("2000")
    )
    figures = line_figures(SWITCHGEAR, history, entry)
    assert (figures.scheduled_value, figures.previous_value) == (D("100000.00"), D("25000.00"))
    assert (figures.new_value, figures.materials_stored) == (D("10000.00"), D("2000.00"))
    assert figures.completed_to_date == D("37000.00")
    assert figures.percent_complete == D("37.00")
    assert figures.balance_to_finish == D("63000.00")
    assert figures.retainage_held == D("1200.00")  # 10 % x (10,000 + 2,000)
    assert figures.retainage_total == D("3700.00")
    assert figures.new_quantity is None


def test_g702_of_the_two_example_lines() -> None:
    conduit = line_figures(
        CONDUIT, LineHistory(), with_new_quantity(CONDUIT, LineEntry(), D("300"))
    )
    history = LineHistory(previous_value=D("25000"), retainage_held=D("2500"))
    entry = with_materials_stored(
        SWITCHGEAR, with_new_value(SWITCHGEAR, LineEntry(), D("10000")), D("2000")
    )
    changed = with_change_orders(SWITCHGEAR, [LineChange("CO-001", amount=D("5000"))])
    switchgear = line_figures(changed, history, entry)
    assert (switchgear.scheduled_value, switchgear.original_value) == (D("105000.00"), D("100000"))
    summary = summarize([conduit, switchgear])
    assert summary.as_dict() == {
        "original_contract_sum": D("115000.00"),
        "net_change_by_change_orders": D("5000.00"),
        "contract_sum_to_date": D("120000.00"),
        "total_completed_and_stored_to_date": D("40750.00"),  # 3,750 + 37,000
        "retainage": D("4075.00"),  # 375 + 3,700
        "total_earned_less_retainage": D("36675.00"),
        "less_previous_certificates_for_payment": D("22500.00"),  # 25,000 - 2,500
        "current_payment_due": D("14175.00"),  # 3,375 + 10,800
        "balance_to_finish_including_retainage": D("83325.00"),
    }


@pytest.mark.parametrize(
    ("price", "qty", "scheduled", "billed"),
    [
        ("0.3333", "3", "1.00", "1.00"),  # 0.9999 -> 1.00
        ("12.345", "3", "37.04", "37.04"),  # 37.035 -> 37.04, half-up
        ("0.005", "1", "0.01", "0.01"),  # 0.005 -> 0.01
        ("2.675", "1", "2.68", "2.68"),  # as a float 2.675 would round down
        ("4200", "8", "33600.00", "33600.00"),
    ],
)
def test_unit_line_value_is_quantity_times_four_decimal_price_rounded_half_up(
    price: str, qty: str, scheduled: str, billed: str
) -> None:
    terms = LineTerms("1", "x", UNIT, quantity=D(qty), unit_price=D(price))
    figures = line_figures(terms, LineHistory(), with_new_quantity(terms, LineEntry(), D(qty)))
    assert figures.scheduled_value == D(scheduled)
    assert figures.new_value == D(billed)
    assert figures.percent_complete == D("100.00")


@pytest.mark.parametrize(
    ("terms", "history", "period_percent", "new_quantity", "new_value", "total_percent"),
    [
        (CONDUIT, LineHistory(D("300"), D("3750")), "10", D("120"), D("1500.00"), D("35.00")),
        (CONDUIT, LineHistory(), "10", D("120"), D("1500.00"), D("10.00")),
        (SWITCHGEAR, LineHistory(previous_value=D("25000")), "10", None, D("10000.00"), D("35.00")),
        (SWITCHGEAR, LineHistory(), "0.5", None, D("500.00"), D("0.50")),
    ],
)
def test_period_percent_adds_progress_on_top_of_earlier_periods(
    terms: LineTerms,
    history: LineHistory,
    period_percent: str,
    new_quantity: Decimal | None,
    new_value: Decimal,
    total_percent: Decimal,
) -> None:
    entry = with_period_percent(terms, LineEntry(), D(period_percent))
    figures = line_figures(terms, history, entry)
    assert figures.new_quantity == (None if new_quantity is None else quantity(new_quantity))
    assert figures.new_value == new_value
    assert figures.percent_complete == total_percent


@pytest.mark.parametrize(
    ("total_percent", "new_quantity", "new_value", "to_date"),
    [
        ("50", "300", "3750.00", "7500.00"),
        ("25", "0", "0.00", "3750.00"),
        ("100", "900", "11250.00", "15000.00"),
        ("20", "-60", "-750.00", "3000.00"),  # below the previous total: a correction
        ("33.33", "99.96", "1249.50", "4999.50"),
    ],
)
def test_total_percent_on_a_unit_line_subtracts_the_previous_quantity(
    total_percent: str, new_quantity: str, new_value: str, to_date: str
) -> None:
    history = LineHistory(previous_quantity=D("300"), previous_value=D("3750"))
    entry = with_total_percent(CONDUIT, history, LineEntry(), D(total_percent))
    figures = line_figures(CONDUIT, history, entry)
    assert figures.new_quantity == D(new_quantity)
    assert figures.new_value == D(new_value)
    assert figures.completed_to_date == D(to_date)
    assert figures.total_quantity == quantity(D(total_percent) / 100 * D("1200"))
    assert figures.percent_complete == D(total_percent)


def test_total_percent_on_an_amount_line_counts_materials_already_entered() -> None:
    history = LineHistory(previous_value=D("25000"))
    entry = with_materials_stored(SWITCHGEAR, LineEntry(), D("2000"))
    entry = with_total_percent(SWITCHGEAR, history, entry, D("37"))
    figures = line_figures(SWITCHGEAR, history, entry)
    assert (figures.new_value, figures.materials_stored) == (D("10000.00"), D("2000.00"))
    assert figures.percent_complete == D("37.00")


def test_done_after_periods_rounded_up_bills_exactly_the_scheduled_value() -> None:
    # 3 EA x 12.345 = 37.035 -> 37.04, but one EA per period bills 12.35 each time: the
    # last period's "done" (100 %) must bill 12.34, not 12.35 (which would be 100.03 %).
    terms = LineTerms("1", "x", UNIT, quantity=D("3"), unit_price=D("12.345"), uom="EA")
    history = LineHistory()
    for _ in range(2):
        history = after(terms, history, with_new_quantity(terms, LineEntry(), D("1")))
    assert history.previous_value == D("24.70")
    figures = line_figures(
        terms, history, with_total_percent(terms, history, LineEntry(), D("100"))
    )
    assert figures.new_quantity == D("1")
    assert figures.new_value == D("12.34")
    assert figures.completed_to_date == figures.scheduled_value == D("37.04")
    assert figures.percent_complete == D("100.00")


def test_done_after_a_value_entry_on_a_high_unit_price_bills_exactly_the_scheduled_value() -> None:
    # $10,000 of 42,000/EA is 0.238095238... EA, stored as 0.238095 EA (= $9,999.99).
    terms = LineTerms("2", "Panels", UNIT, quantity=D("8"), unit_price=D("42000"), uom="EA")
    history = after(terms, LineHistory(), with_new_value(terms, LineEntry(), D("10000")))
    assert history.previous_quantity == D("0.238095")
    figures = line_figures(
        terms, history, with_total_percent(terms, history, LineEntry(), D("100"))
    )
    assert figures.completed_to_date == figures.scheduled_value == D("336000.00")
    assert figures.new_value == D("326000.00")
    assert figures.total_quantity == D("8")


@pytest.mark.parametrize(
    ("stored", "previous", "expected"),
    [
        ("0.00", "0", "0.00"),
        ("0.05", "0", "0.01"),  # 10 % of 0.05 = 0.005 -> 0.01, half-up
        ("26.75", "0", "2.68"),  # 2.675 -> 2.68
        ("-26.75", "100", "-2.68"),  # a correction gives retainage back, same rounding
    ],
)
def test_retainage_held_is_rate_times_this_periods_work_rounded_half_up(
    stored: str, previous: str, expected: str
) -> None:
    history = LineHistory(previous_value=D(previous), retainage_held=D(previous) / 10)
    entry = with_new_value(SWITCHGEAR, LineEntry(), D(stored))
    assert retainage_held_this_period(SWITCHGEAR, entry) == D(expected)
    assert line_figures(SWITCHGEAR, history, entry).retainage_held == D(expected)


def test_retainage_released_reduces_the_retainage_total() -> None:
    history = LineHistory(
        previous_value=D("50000"), retainage_held=D("5000"), retainage_released=D("1000")
    )
    entry = with_retainage_released(with_new_value(SWITCHGEAR, LineEntry(), D("10000")), D("4000"))
    figures = line_figures(SWITCHGEAR, history, entry)
    assert figures.previous_retainage == D("4000.00")
    assert figures.retainage_held == D("1000.00")
    assert figures.retainage_released == D("4000.00")
    assert figures.retainage_total == D("1000.00")


@pytest.mark.parametrize(
    ("commitment_rate", "line_rate", "expected"),
    [("10", None, "10"), ("10", "5", "5"), ("10", "0", "0"), ("0", "7.5", "7.5")],
)
def test_a_line_rate_overrides_the_commitment_retainage_rate(
    commitment_rate: str, line_rate: str | None, expected: str
) -> None:
    commitment = Commitment(accounting_method=AMOUNT, retainage_percent=D(commitment_rate))
    sov = SovLine(
        number="1",
        description="x",
        scheduled_value=D("1000"),
        retainage_percent=None if line_rate is None else D(line_rate),
    )
    terms = line_terms(commitment, sov)
    assert terms.retainage_percent == D(expected)
    entry = with_new_value(terms, LineEntry(), D("1000"))
    assert line_figures(terms, LineHistory(), entry).retainage_held == cents(D(expected) * 10)


@pytest.mark.parametrize(
    "enter",
    [
        pytest.param(lambda e: with_new_quantity(SWITCHGEAR, e, D("1")), id="quantity on amount"),
        pytest.param(
            lambda e: with_materials_stored(CONDUIT, e, D("100")), id="stored on unit line"
        ),
        pytest.param(
            lambda e: with_new_value(
                LineTerms("9", "x", UNIT, quantity=D("1"), unit_price=D("0")), e, D("5")
            ),
            id="unit line without price",
        ),
    ],
)
def test_an_entry_that_does_not_fit_the_line_raises_billing_error(
    enter: Callable[[LineEntry], LineEntry],
) -> None:
    with pytest.raises(BillingError, match=r"^Line \d: "):
        enter(LineEntry())


def test_a_summary_without_lines_still_shows_cents() -> None:
    summary = summarize([])
    assert all(value == 0 for value in summary.as_dict().values())
    assert {value.as_tuple().exponent for value in summary.as_dict().values()} == {-2}


def test_a_line_with_no_scheduled_value_is_zero_percent_complete() -> None:
    terms = LineTerms("1", "Allowance", AMOUNT, scheduled_value=D("0"))
    assert line_figures(terms, LineHistory(), LineEntry()).percent_complete == D("0.00")


# --- properties: the G702 ties to the G703 ------------------------------------------------

MONEY_COLUMNS = (
    "scheduled_value",
    "previous_value",
    "new_value",
    "materials_stored",
    "completed_to_date",
    "balance_to_finish",
    "retainage_held",
    "retainage_released",
    "retainage_total",
    "previous_retainage",
)


def assert_cents(value: Decimal, name: str) -> None:
    assert value.as_tuple().exponent == -2, f"{name} = {value!r} is not in cents"


@given(commitments())
def test_g702_ties_to_the_g703_lines_to_the_cent(commitment: list[Line]) -> None:
    rows = [line.figures for line in commitment]
    summary = summarize(rows)

    for row in rows:
        for name in MONEY_COLUMNS:
            assert_cents(getattr(row, name), f"line {row.number} {name}")
        assert row.completed_to_date == row.previous_value + row.new_value + row.materials_stored
        assert row.balance_to_finish == row.scheduled_value - row.completed_to_date
        assert (
            row.retainage_total
            == row.previous_retainage + row.retainage_held - row.retainage_released
        )
        assert_cents(row.percent_complete, f"line {row.number} percent")
    for name, value in summary.as_dict().items():
        assert_cents(value, name)

    change_orders = sum(amount for row in rows for _, amount in row.changes)
    assert summary.net_change_by_change_orders == change_orders
    assert summary.original_contract_sum == sum(
        row.scheduled_value if row.original_value is None else row.original_value for row in rows
    )
    assert summary.contract_sum_to_date == summary.original_contract_sum + change_orders
    assert summary.contract_sum_to_date == sum(row.scheduled_value for row in rows)
    assert summary.total_completed_and_stored_to_date == sum(row.completed_to_date for row in rows)
    assert summary.retainage == sum(row.retainage_total for row in rows)
    assert summary.total_earned_less_retainage == sum(
        row.completed_to_date - row.retainage_total for row in rows
    )
    assert summary.current_payment_due == (
        summary.total_earned_less_retainage - summary.less_previous_certificates_for_payment
    )
    # ... which is what each line earns this period, net of retainage held and released.
    assert summary.current_payment_due == sum(
        row.new_value + row.materials_stored - row.retainage_held + row.retainage_released
        for row in rows
    )
    assert summary.balance_to_finish_including_retainage == (
        summary.contract_sum_to_date - summary.total_earned_less_retainage
    )
    assert totals_tie(rows, summary)


@given(lines())
def test_line_figures_are_the_stored_entry_against_the_history(line: Line) -> None:
    figures = line.figures
    stored = line.entry.stored()
    assert figures.previous_value == cents(line.history.previous_value)
    assert figures.new_value == stored.new_value
    assert figures.materials_stored == stored.materials_stored
    held = cents(line.terms.retainage_percent / 100 * (stored.new_value + stored.materials_stored))
    if held < 0:
        # A correction gives back at most the retainage still held.
        held = max(held, min(-cents(line.history.retainage_balance), ZERO))
    assert figures.retainage_held == held
    assert figures.retainage_total >= min(figures.previous_retainage, ZERO)
    assert figures.scheduled_value == cents(line.terms.value)
    if figures.scheduled_value:
        expected = percent(figures.completed_to_date / figures.scheduled_value * 100)
        assert figures.percent_complete == expected
    # Figures of an entry and of the same entry once stored are the same (what is saved
    # in the database shows the same invoice).
    assert line_figures(line.terms, line.history, stored) == figures


# --- properties: quantity, value and percent entries agree --------------------------------


@given(unit_terms(), total_percents)
@example(LineTerms("1", "x", UNIT, quantity=D("3"), unit_price=D("0.3333")), D("100"))
@example(LineTerms("1", "x", UNIT, quantity=D("1200"), unit_price=D("12.50")), D("25"))
def test_total_percent_quantity_and_value_agree_on_a_unit_line(
    terms: LineTerms, total_percent: Decimal
) -> None:
    price = terms.unit_price or ZERO
    by_percent = with_total_percent(terms, LineHistory(), LineEntry(), total_percent)
    q, v = by_percent.new_quantity, cents(by_percent.new_value)
    assert q is not None

    by_quantity = with_new_quantity(terms, LineEntry(), q)
    assert by_quantity.stored().new_value == v

    by_value = with_new_value(terms, LineEntry(), v)
    assert by_value.new_quantity is not None
    assert cents(by_value.new_quantity * price) == v
    assert by_value.stored().new_value == v

    figures = line_figures(terms, LineHistory(), by_percent)
    if quantity(q) == q:
        assert figures.total_quantity is not None
        assert percent(figures.total_quantity / (terms.quantity or ZERO) * 100) == total_percent
        # From the money columns it is exact to 2 decimals once cents are small next to C.
        if figures.scheduled_value >= 1000:
            assert figures.percent_complete == total_percent


@given(unit_terms().filter(lambda t: (t.unit_price or ZERO) < 10_000), money(10**9))
@example(LineTerms("1", "x", UNIT, quantity=D("1"), unit_price=D("9999.9999")), D("0.01"))
def test_a_value_entered_on_a_unit_line_survives_storing_its_quantity(
    terms: LineTerms, value: Decimal
) -> None:
    # Six stored decimals of quantity are enough to get the same cents back for a
    # four-decimal unit price below 10,000.
    stored = with_new_value(terms, LineEntry(), value).stored()
    assert stored.new_quantity is not None
    assert cents(stored.new_quantity * (terms.unit_price or ZERO)) == value


@given(amount_terms(), total_percents)
def test_total_percent_and_value_agree_on_an_amount_line(
    terms: LineTerms, total_percent: Decimal
) -> None:
    by_percent = with_total_percent(terms, LineHistory(), LineEntry(), total_percent)
    v = cents(by_percent.new_value)
    by_value = with_new_value(terms, LineEntry(), v)
    assert by_value.stored() == by_percent.stored()
    figures = line_figures(terms, LineHistory(), by_value)
    assert figures.completed_to_date == cents(total_percent / 100 * terms.value)
    if figures.scheduled_value >= 1000:
        assert figures.percent_complete == total_percent


@given(
    lines(amounts=progress).filter(lambda line: line.history.previous_value <= line.terms.value),
    total_percents,
)
def test_total_percent_after_any_history_bills_that_share_of_the_line_to_date(
    line: Line, total_percent: Decimal
) -> None:
    # Whatever was rounded in earlier periods, the cumulative figures come out exact.
    terms, history = line.terms, line.history
    stored = (
        with_materials_stored(terms, LineEntry(), line.entry.materials_stored)
        if not terms.is_unit
        else LineEntry()
    )
    entry = with_total_percent(terms, history, stored, total_percent)
    figures = line_figures(terms, history, entry)
    assert figures.completed_to_date == cents(total_percent / 100 * terms.value)
    if terms.is_unit:
        assert figures.total_quantity is not None
        exact = total_percent / 100 * (terms.quantity or ZERO)
        assert abs(figures.total_quantity - exact) <= D("0.000001")
        # Entering the same quantity instead bills the same, give or take what earlier
        # periods rounded (cents of value, and six places of quantity x unit price).
        drift = abs(history.previous_quantity * (terms.unit_price or ZERO) - history.previous_value)
        by_quantity = with_new_quantity(terms, LineEntry(), entry.new_quantity or ZERO)
        assert abs(by_quantity.stored().new_value - figures.new_value) <= drift + ONE_CENT


@given(lines(amounts=progress))
def test_done_always_bills_exactly_the_scheduled_value(line: Line) -> None:
    entry = with_total_percent(line.terms, line.history, LineEntry(), D("100"))
    figures = line_figures(line.terms, line.history, entry)
    assert figures.completed_to_date == figures.scheduled_value
    assert figures.balance_to_finish == 0
    assume(figures.scheduled_value)
    assert figures.percent_complete == D("100.00")


@given(lines(kind="unit"), st.integers(0, 10_000).map(lambda n: D(n).scaleb(-2)))
def test_period_percent_is_that_share_of_the_line_this_period(
    line: Line, period_percent: Decimal
) -> None:
    entry = with_period_percent(line.terms, LineEntry(), period_percent)
    assert entry.new_quantity == period_percent / 100 * (line.terms.quantity or ZERO)
    assert cents(entry.new_value) == cents(period_percent / 100 * line.terms.value)


def test_summary_fields_are_listed_in_g702_order() -> None:
    assert list(G702Summary.__dataclass_fields__)[:9] == list(summarize([]).as_dict())


def test_the_amount_that_completes_a_unit_line_bills_what_remains_of_its_quantity() -> None:
    """$2,735.42 is what remains of 129 EA at $42.0833 after 64 EA ($2,693.33): 65 EA, not the
    65.000154 EA division gives, which put the line past its quantity."""
    terms = LineTerms(
        "3", "Fixtures", AccountingMethod.unit, quantity=D(129), unit_price=D("42.0833"), uom="EA"
    )
    history = LineHistory(previous_quantity=D(64), previous_value=D("2693.33"))
    entry = with_new_value(terms, LineEntry(), D("2735.42"), history)
    assert entry.new_quantity == 65 and entry.new_value == D("2735.42")
    figures = line_figures(terms, history, entry)
    assert figures.total_quantity == 129 and figures.balance_to_finish == 0
    # short of the remainder by a cent: the division, as before
    assert with_new_value(terms, LineEntry(), D("2735.41"), history).new_quantity != 65


def test_a_line_with_a_cent_left_is_not_shown_complete() -> None:
    terms = replace(SWITCHGEAR, scheduled_value=D("15000.00"))
    figures = line_figures(terms, LineHistory(), LineEntry(new_value=D("14999.99")))
    assert figures.balance_to_finish == D("0.01")
    assert figures.percent_complete == D("99.99")
