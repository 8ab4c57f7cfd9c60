"""Validation of a line's entry (DESIGN §1): what is refused, what needs confirmation, and
messages that name the line and the numbers."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from models.billing import (
    LineEntry,
    LineHistory,
    LineTerms,
    line_figures,
    with_materials_stored,
    with_new_quantity,
    with_new_value,
    with_retainage_released,
    with_total_percent,
)
from models.money import ZERO, cents, format_dollars
from models.tables import AccountingMethod
from models.validation import BillingIssue, IssueCode, validate_line
from tests.test_billing import Line, after, fractions, lines, money

D = Decimal

CONDUIT = LineTerms(
    number="1",
    description="Conduit",
    method=AccountingMethod.unit,
    quantity=D("1200"),
    unit_price=D("12.50"),
    uom="LF",
    retainage_percent=D("10"),
)
SWITCHGEAR = LineTerms(
    number="2",
    description="Switchgear",
    method=AccountingMethod.amount,
    scheduled_value=D("100000"),
    retainage_percent=D("10"),
)
# 300 LF billed and approved in an earlier period: $3,750.00, $375.00 retainage held.
CONDUIT_HISTORY = LineHistory(
    previous_quantity=D("300"), previous_value=D("3750"), retainage_held=D("375")
)

line_numbers = st.from_regex(r"\A([1-9][0-9]{0,2}|[A-Z]-[0-9]{1,2}|[0-9]{1,2}\.[0-9])\Z")


def codes(issues: list[BillingIssue]) -> set[IssueCode]:
    return {issue.code for issue in issues}


def refusals(issues: list[BillingIssue]) -> list[BillingIssue]:
    return [issue for issue in issues if not issue.needs_confirmation]


def only(issues: list[BillingIssue], code: IssueCode) -> BillingIssue:
    [issue] = [issue for issue in issues if issue.code == code]
    return issue


# --- hand-computed examples ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("released", "held_before"),
    [("375.00", "375"), ("375", "375.00"), ("100", "375"), ("0", "0"), ("0.01", "0.01")],
)
def test_release_of_retainage_up_to_and_equal_to_held_is_allowed(
    released: str, held_before: str
) -> None:
    history = replace(CONDUIT_HISTORY, retainage_held=D(held_before))
    entry = with_retainage_released(LineEntry(), D(released))
    assert validate_line(CONDUIT, history, entry) == []
    figures = line_figures(CONDUIT, history, entry)
    assert figures.retainage_total == D(held_before) - D(released)


@pytest.mark.parametrize(
    ("released", "held", "released_before", "message"),
    [
        (
            "375.01",
            "375",
            "0",
            "Line 1: retainage released $375.01 is more than the $375.00 held before this period.",
        ),
        (
            "200",
            "375",
            "200",
            "Line 1: retainage released $200.00 is more than the $175.00 held before this period.",
        ),
        (
            "1",
            "0",
            "0",
            "Line 1: retainage released $1.00 is more than the $0.00 held before this period.",
        ),
    ],
)
def test_release_more_retainage_than_held_is_refused(
    released: str, held: str, released_before: str, message: str
) -> None:
    history = replace(
        CONDUIT_HISTORY, retainage_held=D(held), retainage_released=D(released_before)
    )
    entry = with_retainage_released(LineEntry(), D(released))
    issues = validate_line(CONDUIT, history, entry)
    assert issues == [BillingIssue(IssueCode.retainage_over_held, "1", message)]


def test_negative_release_of_retainage_is_refused() -> None:
    entry = with_retainage_released(LineEntry(), D("-5"))
    issues = validate_line(CONDUIT, CONDUIT_HISTORY, entry)
    assert issues == [
        BillingIssue(
            IssueCode.negative_retainage,
            "1",
            "Line 1: retainage released cannot be negative (you entered -$5.00).",
        )
    ]


def test_release_on_top_of_a_correction_that_gives_retainage_back_is_refused() -> None:
    # $3,750 billed with $375 held; taking the work back to 0 returns the $375, so
    # releasing $375 as well would leave -$375 retainage (the contact paid $375 too much).
    entry = with_total_percent(CONDUIT, CONDUIT_HISTORY, LineEntry(), D("0"))
    entry = with_retainage_released(entry, D("375"))
    issues = validate_line(CONDUIT, CONDUIT_HISTORY, entry)
    assert only(issues, IssueCode.retainage_over_held).message == (
        "Line 1: retainage released $375.00 is more than the $0.00 still held: "
        "$375.00 held before this period less $375.00 returned by this period's correction."
    )
    assert not only(issues, IssueCode.retainage_over_held).needs_confirmation
    # What the correction leaves may still be released.
    partial = with_total_percent(CONDUIT, CONDUIT_HISTORY, LineEntry(), D("20"))  # -60 LF
    partial = with_retainage_released(partial, D("300"))
    assert codes(validate_line(CONDUIT, CONDUIT_HISTORY, partial)) == {IssueCode.negative_amount}
    assert line_figures(CONDUIT, CONDUIT_HISTORY, partial).retainage_total == ZERO


def test_a_correction_after_retainage_was_released_leaves_no_negative_retainage() -> None:
    history = replace(CONDUIT_HISTORY, retainage_released=D("375"))
    entry = with_total_percent(CONDUIT, history, LineEntry(), D("0"))
    issues = validate_line(CONDUIT, history, entry)
    assert not refusals(issues)
    assert line_figures(CONDUIT, history, entry).retainage_total >= ZERO


def test_a_line_whose_retainage_went_negative_can_still_be_billed_without_a_release() -> None:
    # The history left by the open case above: $37.50 more given back than was held.
    history = LineHistory(
        previous_quantity=D("270"),
        previous_value=D("3375"),
        retainage_held=D("337.50"),
        retainage_released=D("375"),
    )
    entry = with_new_quantity(CONDUIT, LineEntry(), D("30"))
    assert validate_line(CONDUIT, history, entry) == []
    refused = validate_line(CONDUIT, history, with_retainage_released(entry, D("1")))
    assert codes(refused) == {IssueCode.retainage_over_held}


@pytest.mark.parametrize(
    ("allow", "needs_confirmation", "ending"),
    [
        (False, False, ", and this commitment does not allow billing past 100%."),
        (True, True, ". Over-billing is allowed on this commitment; please confirm."),
    ],
)
def test_billing_past_100_percent_is_refused_unless_allowed_and_then_needs_confirmation(
    allow: bool, needs_confirmation: bool, ending: str
) -> None:
    entry = with_new_quantity(CONDUIT, LineEntry(), D("1000"))  # 1,300 LF of 1,200 LF
    issues = validate_line(CONDUIT, CONDUIT_HISTORY, entry, allow_overbilling=allow)
    assert issues == [
        BillingIssue(
            IssueCode.over_billing,
            "1",
            "Line 1: this would bill 1,300 LF of 1,200 LF ($16,250.00) — 108.33% of the "
            "$15,000.00 scheduled value" + ending,
            needs_confirmation=needs_confirmation,
        )
    ]


def test_billing_past_100_percent_with_materials_stored_names_the_amount_to_date() -> None:
    history = LineHistory(previous_value=D("90000"), retainage_held=D("9000"))
    entry = with_materials_stored(
        SWITCHGEAR, with_new_value(SWITCHGEAR, LineEntry(), D("8000")), D("2500")
    )
    [issue] = validate_line(SWITCHGEAR, history, entry)
    assert issue.message == (
        "Line 2: this would bill $100,500.00 to date — 100.50% of the $100,000.00 scheduled "
        "value, and this commitment does not allow billing past 100%."
    )


@pytest.mark.parametrize(
    ("terms", "history", "entry"),
    [
        (CONDUIT, CONDUIT_HISTORY, with_new_quantity(CONDUIT, LineEntry(), D("900"))),
        (
            CONDUIT,
            CONDUIT_HISTORY,
            with_total_percent(CONDUIT, CONDUIT_HISTORY, LineEntry(), D("100")),
        ),
        (
            SWITCHGEAR,
            LineHistory(previous_value=D("88000")),
            with_materials_stored(
                SWITCHGEAR, with_new_value(SWITCHGEAR, LineEntry(), D("10000")), D("2000")
            ),
        ),
    ],
    ids=["900 more LF", "done", "work and materials to exactly C"],
)
def test_billing_exactly_100_percent_is_accepted(
    terms: LineTerms, history: LineHistory, entry: LineEntry
) -> None:
    assert validate_line(terms, history, entry) == []
    assert line_figures(terms, history, entry).percent_complete == D("100.00")


def test_done_after_periods_rounded_up_is_not_over_billing() -> None:
    terms = LineTerms(
        "7", "Fixtures", AccountingMethod.unit, quantity=D("3"), unit_price=D("12.345")
    )
    history = LineHistory()
    for _ in range(2):
        history = after(terms, history, with_new_quantity(terms, LineEntry(), D("1")))
    entry = with_total_percent(terms, history, LineEntry(), D("100"))
    assert validate_line(terms, history, entry) == []


@pytest.mark.parametrize(
    ("entry", "amount"),
    [
        (with_new_quantity(CONDUIT, LineEntry(), D("-60")), "-750.00"),
        (with_total_percent(CONDUIT, CONDUIT_HISTORY, LineEntry(), D("20")), "-750.00"),
        (with_new_value(CONDUIT, LineEntry(), D("-3750")), "-3,750.00"),
    ],
    ids=["quantity -60", "total 20% after 25%", "value back to zero"],
)
def test_a_negative_amount_this_period_needs_confirmation(entry: LineEntry, amount: str) -> None:
    issues = validate_line(CONDUIT, CONDUIT_HISTORY, entry)
    assert issues == [
        BillingIssue(
            IssueCode.negative_amount,
            "1",
            f"Line 1: this period's amount is negative (-${amount.lstrip('-')}), "
            "a correction of earlier billing. Please confirm.",
            needs_confirmation=True,
        )
    ]


def test_billing_below_zero_to_date_is_refused() -> None:
    entry = with_new_quantity(CONDUIT, LineEntry(), D("-301"))
    issues = validate_line(CONDUIT, CONDUIT_HISTORY, entry)
    assert issues == [
        BillingIssue(
            IssueCode.below_zero_to_date,
            "1",
            "Line 1: this would take the total billed to -$12.50, below zero "
            "($3,750.00 was billed before).",
        )
    ]


def test_negative_materials_stored_is_refused() -> None:
    entry = with_materials_stored(SWITCHGEAR, LineEntry(), D("-100"))
    issues = validate_line(SWITCHGEAR, LineHistory(previous_value=D("1000")), entry)
    assert only(issues, IssueCode.negative_stored).message == (
        "Line 2: materials stored cannot be negative (you entered -$100.00)."
    )
    assert not only(issues, IssueCode.negative_stored).needs_confirmation


def test_nothing_this_period_is_accepted() -> None:
    assert validate_line(CONDUIT, CONDUIT_HISTORY, LineEntry()) == []
    assert validate_line(SWITCHGEAR, LineHistory(), LineEntry()) == []


# --- properties ---------------------------------------------------------------------------


def renumbered(line: Line, number: str) -> Line:
    return Line(replace(line.terms, number=number), line.history, line.entry)


@given(lines(), money(10**6).filter(bool), line_numbers)
def test_any_release_more_than_the_retainage_held_is_refused(
    line: Line, excess: Decimal, number: str
) -> None:
    line = renumbered(line, number)
    balance = cents(line.history.retainage_balance)
    released = balance + excess
    entry = with_retainage_released(line.entry, released)
    issue = only(validate_line(line.terms, line.history, entry), IssueCode.retainage_over_held)
    assert not issue.needs_confirmation
    assert issue.line == number
    assert issue.message.startswith(f"Line {number}: ")
    assert format_dollars(released) in issue.message


@given(lines(), st.integers(0, 10_000).map(lambda n: D(n).scaleb(-4)))
def test_any_release_up_to_the_retainage_held_is_accepted(line: Line, share: Decimal) -> None:
    figures = line_figures(line.terms, line.history, line.entry)
    assume(figures.retainage_held >= 0)  # no correction giving retainage back this period
    released = cents(share * max(cents(line.history.retainage_balance), ZERO))
    entry = with_retainage_released(line.entry, released)
    issues = validate_line(line.terms, line.history, entry)
    assert IssueCode.retainage_over_held not in codes(issues)
    assert IssueCode.negative_retainage not in codes(issues)
    assert line_figures(line.terms, line.history, entry).retainage_total >= 0


@given(lines())
def test_a_release_never_takes_net_retainage_below_zero(line: Line) -> None:
    issues = validate_line(line.terms, line.history, line.entry)
    figures = line_figures(line.terms, line.history, line.entry)
    assume(not refusals(issues))
    assert figures.retainage_total >= 0 or figures.retainage_released == 0
    if figures.retainage_held >= 0 or figures.previous_retainage + figures.retainage_held >= 0:
        assert figures.retainage_total >= 0


@given(lines(amounts=fractions), st.booleans(), line_numbers)
def test_over_billing_is_refused_unless_allowed_and_then_needs_confirmation(
    line: Line, allow: bool, number: str
) -> None:
    line = renumbered(line, number)
    figures = line_figures(line.terms, line.history, line.entry)
    issues = validate_line(line.terms, line.history, line.entry, allow_overbilling=allow)
    if figures.completed_to_date <= figures.scheduled_value:
        assert IssueCode.over_billing not in codes(issues)
        return
    issue = only(issues, IssueCode.over_billing)
    assert issue.needs_confirmation is allow
    assert issue.line == number
    assert issue.message.startswith(f"Line {number}: ")
    assert format_dollars(figures.completed_to_date) in issue.message
    assert format_dollars(figures.scheduled_value) in issue.message
    assert f"{figures.percent_complete}%" in issue.message


@given(lines(amounts=fractions), line_numbers)
def test_a_negative_amount_this_period_needs_confirmation_and_names_it(
    line: Line, number: str
) -> None:
    line = renumbered(line, number)
    figures = line_figures(line.terms, line.history, line.entry)
    issues = validate_line(line.terms, line.history, line.entry)
    if figures.new_value >= 0:
        assert IssueCode.negative_amount not in codes(issues)
    elif figures.completed_to_date < 0:
        assert only(issues, IssueCode.below_zero_to_date).needs_confirmation is False
    else:
        issue = only(issues, IssueCode.negative_amount)
        assert issue.needs_confirmation
        assert issue.message.startswith(f"Line {number}: ")
        assert format_dollars(figures.new_value) in issue.message


@given(lines(amounts=fractions), st.booleans())
def test_every_issue_names_its_line_and_only_expected_ones_need_confirmation(
    line: Line, allow: bool
) -> None:
    issues = validate_line(line.terms, line.history, line.entry, allow_overbilling=allow)
    for issue in issues:
        assert issue.line == line.terms.number
        assert issue.message.startswith(f"Line {line.terms.number}: ")
        if issue.needs_confirmation:
            assert issue.code in {IssueCode.negative_amount, IssueCode.over_billing}
    # An entry with no issue stays within the line: 0 <= G <= C and retainage 0 or more.
    if not issues:
        figures = line_figures(line.terms, line.history, line.entry)
        assert ZERO <= figures.completed_to_date <= figures.scheduled_value
        assert figures.new_value >= 0
