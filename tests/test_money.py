"""Money helpers: half-up rounding to cents, formatting, and the amount parser."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from models.money import (
    AmountError,
    cents,
    format_money,
    format_quantity,
    parse_amount,
    percent,
    quantity,
)

D = Decimal

# Any decimal a contact or a computation could produce: up to a trillion, up to 8 places.
amounts = st.integers(0, 8).flatmap(
    lambda places: st.integers(-(10 ** (12 + places)), 10 ** (12 + places)).map(
        lambda n: D(n).scaleb(-places)
    )
)


# --- rounding -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.005", "0.01"),  # half-up, not banker's rounding (which gives 0.00)
        ("0.015", "0.02"),
        ("0.025", "0.03"),  # banker's rounding would give 0.02
        ("2.675", "2.68"),  # the float 2.675 is 2.67499999...; as a Decimal it rounds up
        ("1.004999", "1.00"),
        ("0.9999", "1.00"),
        ("-0.005", "-0.01"),  # half-up rounds ties away from zero, on both sides
        ("-2.675", "-2.68"),
        ("1234567.895", "1234567.90"),
        ("12", "12.00"),
    ],
)
def test_cents_rounds_half_up_to_two_decimals(value: str, expected: str) -> None:
    result = cents(D(value))
    assert result == D(expected)
    assert result.as_tuple().exponent == -2


def test_cents_rounds_the_decimal_not_the_float() -> None:
    # The same figure as a float rounds the other way: money must never pass through float.
    assert round(2.675, 2) == 2.67
    assert cents(D("2.675")) == D("2.68")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("33.333333", "33.33"), ("66.665", "66.67"), ("100", "100.00"), ("0.004", "0.00")],
)
def test_percent_rounds_half_up_to_two_decimals(value: str, expected: str) -> None:
    assert str(percent(D(value))) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("99.99993", "99.99"), ("99.995", "99.99"), ("99.994", "99.99"), ("100.000", "100.00")],
)
def test_a_percentage_short_of_complete_never_shows_100(value: str, expected: str) -> None:
    """A cent left on $15,000.00 is 99.99993%: shown 100.00% it read as finished."""
    assert str(percent(D(value))) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.2380952380", "0.238095"), ("0.0000005", "0.000001"), ("300", "300.000000")],
)
def test_quantity_keeps_six_decimals_rounded_half_up(value: str, expected: str) -> None:
    assert str(quantity(D(value))) == expected


@given(amounts)
def test_cents_is_within_half_a_cent_and_has_exponent_minus_two(value: Decimal) -> None:
    rounded = cents(value)
    assert rounded.as_tuple().exponent == -2
    assert abs(rounded - value) <= D("0.005")
    assert cents(rounded) == rounded


# --- formatting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234.5", "1,234.50"),
        ("3750", "3,750.00"),
        ("0", "0.00"),
        ("0.005", "0.01"),
        ("-1000", "-1,000.00"),
        ("1234567.891", "1,234,567.89"),
        ("-0.001", "0.00"),  # rounds to zero: shown as zero, not "-0.00"
        ("-0", "0.00"),
    ],
)
def test_format_money_shows_cents_with_thousands_separators(value: str, expected: str) -> None:
    assert format_money(D(value)) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("300.000000", "300"),
        ("2.5", "2.5"),
        ("1200", "1,200"),
        ("0.238095", "0.238095"),
        ("0", "0"),
        ("-0.0000001", "0"),
        ("-60", "-60"),
    ],
)
def test_format_quantity_drops_trailing_zeros(value: str, expected: str) -> None:
    assert format_quantity(D(value)) == expected


@given(amounts)
def test_format_money_never_shows_negative_zero(value: Decimal) -> None:
    text = format_money(value)
    assert text != "-0.00"
    assert text.startswith("-") == (cents(value) < 0)


# --- parsing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4500", "4500"),
        ("4500.00", "4500.00"),
        ("$4,500", "4500"),
        ("$4,500.00", "4500.00"),
        ("  $ 1,234,567.89  ", "1234567.89"),
        ("USD 12.50", "12.50"),
        ("usd12.50", "12.50"),
        ("-12.5", "-12.5"),
        ("-$12.50", "-12.50"),
        ("$-12.50", "-12.50"),
        ("+10", "10"),
        (".5", "0.5"),
        ("0.3333", "0.3333"),
        ("1,200", "1200"),
    ],
)
def test_parse_amount_reads_plain_and_currency_amounts(text: str, expected: str) -> None:
    assert parse_amount(text) == D(expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "$",
        "12,5",  # a European decimal comma, not a thousands separator
        "1,2345",
        "1,23",
        "12,500,00",
        ",500",
        "NaN",
        "nan",
        "inf",
        "Infinity",
        "-inf",
        "1e9",
        "1E-2",
        "0x10",
        "5.",
        "1.2.3",
        "--5",
        "-$-5",
        "+-5",
        "$$5",
        "12 500",
        "twelve",
        "45%",
        "€45",
    ],
)
def test_parse_amount_refuses_what_is_not_a_plain_amount(text: str) -> None:
    with pytest.raises(AmountError):
        parse_amount(text)


@pytest.mark.parametrize("text", ["-0", "-0.00", "$-0", "-$0.00", "+0", "0"])
def test_minus_zero_parses_to_zero_not_a_negative_correction(text: str) -> None:
    value = parse_amount(text)
    assert value == 0
    assert not value.is_signed()


@given(amounts, st.sampled_from(["{}", "${}", " $ {} ", "USD {}"]))
@example(D("-0.001"), "{}")
@example(D("999999999.995"), "${}")
def test_parse_amount_reads_back_format_money(value: Decimal, template: str) -> None:
    text = template.format(format_money(value))
    assert parse_amount(text) == cents(value)


@given(amounts)
def test_parse_amount_reads_back_a_leading_minus_before_the_currency_sign(value: Decimal) -> None:
    text = format_money(value)
    signed = "-$" + text[1:] if text.startswith("-") else "$" + text
    assert parse_amount(signed) == cents(value)


@given(st.from_regex(r"\A[-+]?\$?(\d{1,3}(,\d{3})*|\d+)(\.\d{1,4})?\Z"))
def test_parse_amount_agrees_with_decimal_on_well_formed_amounts(text: str) -> None:
    plain = text.replace("$", "").replace(",", "")
    assert parse_amount(text) == D(plain)


@given(st.text())
@example("1e9")
@example("NaN")
@example("١٢٣")  # Arabic-Indic digits are Unicode digits too
@example("12,5")
@example("$ -")
def test_parse_amount_raises_only_amount_error_and_returns_finite_decimals(text: str) -> None:
    try:
        value = parse_amount(text)
    except AmountError:
        return
    assert isinstance(value, Decimal)
    assert value.is_finite()
