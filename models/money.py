"""Decimal helpers: money is exact from the wire to the database.

Amounts are rounded half-up to cents only when they are stored or shown; every
intermediate result keeps full precision.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0")
HUNDRED = Decimal("100")
# Quantities are stored with six decimals: enough for a value divided by a
# four-decimal unit price below 10,000 to round-trip back to the same cents (the
# stored value, not quantity x price, is what gets billed).
QUANTUM_QTY = Decimal("0.000001")
QUANTUM_PERCENT = Decimal("0.01")
QUANTUM_UNIT_PRICE = Decimal("0.0001")

_AMOUNT = re.compile(
    r"""^\s*
    (?P<sign>[-+]?)\s*
    (?P<currency>\$|USD\s*)?\s*
    (?P<sign2>[-+]?)\s*
    (?P<number>(\d{1,3}(,\d{3})+|\d+)(\.\d+)?|\.\d+)
    \s*$""",
    re.VERBOSE | re.IGNORECASE,
)


class AmountError(ValueError):
    """Text that is not a plain decimal amount."""


def cents(value: Decimal) -> Decimal:
    """Round to cents, half-up (the only rounding rule billbot uses for money)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def quantity(value: Decimal) -> Decimal:
    """Round a quantity to the stored precision."""
    return value.quantize(QUANTUM_QTY, rounding=ROUND_HALF_UP)


_ALL = Decimal(100)
_ALMOST_ALL = Decimal("99.99")


def percent(value: Decimal) -> Decimal:
    """Round a percentage to two decimals for display; a line or contract not quite complete
    (a cent left on $15,000.00 is 99.99993%) shows 99.99%, never 100.00%."""
    shown = value.quantize(QUANTUM_PERCENT, rounding=ROUND_HALF_UP)
    return _ALMOST_ALL if shown == _ALL and value < _ALL else shown


def parse_amount(text: str) -> Decimal:
    """Parse `"$4,500.00"`, `"4500"`, `"-12.5"` into a finite Decimal.

    Thousands separators must be well formed (`1,200` yes, `12,5` no) so that a
    European decimal comma is refused rather than silently read as thousands.
    """
    match = _AMOUNT.match(text)
    if match is None:
        raise AmountError(f"{text!r} is not an amount (example: 4500.00 or $4,500)")
    if match["sign"] and match["sign2"]:
        raise AmountError(f"{text!r} has two signs")
    sign = "-" if "-" in (match["sign"] + match["sign2"]) else ""
    try:
        value = Decimal(sign + match["number"].replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only digits
        raise AmountError(f"{text!r} is not an amount") from exc
    if value == 0:
        value = ZERO  # "-0" is zero, not a negative correction
    return value


def format_money(value: Decimal) -> str:
    """`Decimal("1234.5")` -> `"1,234.50"` (rounded half-up to cents; never `"-0.00"`)."""
    return f"{cents(value):z,.2f}"


def format_dollars(value: Decimal) -> str:
    """`Decimal("-4200")` -> `"-$4,200.00"`: the sign before the currency symbol."""
    text = format_money(value)
    return f"-${text[1:]}" if text.startswith("-") else f"${text}"


def unit_price_text(value: Decimal) -> str:
    """A unit price as precise as it was set, two to four decimals, never rounded to cents:
    `12.5` -> `"12.50"`, `212.3375` -> `"212.3375"`."""
    whole, _, fraction = f"{value:z.4f}".partition(".")
    return f"{whole}.{fraction.rstrip('0').ljust(2, '0')}"


def format_unit_price(value: Decimal) -> str:
    """`212.3375` -> `"$212.3375"`, `4200` -> `"$4,200.00"`, `-1.5` -> `"-$1.50"`."""
    whole, _, fraction = unit_price_text(value).partition(".")
    text = f"{int(whole):,}.{fraction}".removeprefix("-")
    return f"-${text}" if value < 0 else f"${text}"


def format_quantity(value: Decimal) -> str:
    """A quantity without trailing zeros: `300.000000` -> `"300"`, `2.5` -> `"2.5"`."""
    text = f"{value:,.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_units(quantity: Decimal, uom: str | None, unit_price: Decimal | None) -> str:
    """`20 EA @ $212.3375`: a unit-based line's quantity, with its price as precise as set."""
    text = f"{format_quantity(quantity)} {uom}" if uom else format_quantity(quantity)
    return f"{text} @ {format_unit_price(unit_price)}" if unit_price is not None else text
