"""Workbook cells as the import file's values: numbers exactly as shown, never a float's digits."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.workbook_cells import MISSING, CellError, cell_value, number_text, shown_number
from models.workbook_layout import COMMITMENTS, SOV_LINES, Column

QUANTITY = SOV_LINES.column("quantity")
NUMBER = SOV_LINES.column("number")
RETAINAGE = COMMITMENTS.column("retainage_percent")
METHOD = COMMITMENTS.column("accounting_method")
OVERBILLING = COMMITMENTS.column("allow_overbilling")
CONTACTS = COMMITMENTS.column("invoice_contacts")
START = Column("start", "date", True)
assert None not in (QUANTITY, NUMBER, RETAINAGE, METHOD, OVERBILLING, CONTACTS)


@given(
    st.decimals(
        min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, places=4
    ).filter(lambda d: len(d.normalize().as_tuple().digits) <= 15)
)
def test_a_number_typed_into_a_cell_is_read_back_exactly(typed: Decimal) -> None:
    # A spreadsheet keeps the typed number as the nearest double; reading it back gives
    # what was typed, not the double's binary expansion.
    assert shown_number(float(typed)) == typed


@pytest.mark.parametrize(
    ("column", "value", "number_format", "expected"),
    [
        (QUANTITY, 0.1 + 0.2, "General", "0.3"),
        (QUANTITY, 212.3375, '"$"#,##0.00', "212.3375"),  # shown rounded; the value stays
        (QUANTITY, 1200, "General", "1200"),
        (QUANTITY, 1.2e3, "General", "1200"),
        (QUANTITY, -0.0, "General", "0"),
        (QUANTITY, " 1,200.50 ", None, "1200.5"),
        (QUANTITY, "$4,200", None, "4200"),
        (QUANTITY, "(1,500.00)", None, "-1500"),
        (QUANTITY, "12,5x", None, "12,5x"),  # left for the validator to refuse
        (QUANTITY, "12,5", None, "12,5"),  # a decimal comma is not a thousands separator
        (QUANTITY, True, None, True),
        (RETAINAGE, 0.1, "0%", "10"),
        (RETAINAGE, 0.105, "0.0%", "10.5"),
        (RETAINAGE, "10%", None, "10"),
        (RETAINAGE, 10, "General", "10"),
        (NUMBER, 7, "000", "007"),
        (NUMBER, 1.0, "General", "1"),
        (NUMBER, " 2a ", None, "2a"),
        (START, datetime(2026, 10, 31), "yyyy-mm-dd", "2026-10-31"),
        (START, date(2026, 10, 31), None, "2026-10-31"),
        (START, " 2026-10-31 ", None, "2026-10-31"),
        (START, "11/30/2026", None, "2026-11-30"),  # one reading only: month/day
        (START, "30/11/2026", None, "2026-11-30"),  # one reading only: day/month
        (START, "30.11.2026", None, "2026-11-30"),
        (QUANTITY, "48,250.75 USD", None, "48250.75"),
        (QUANTITY, "US$48,250.75", None, "48250.75"),
        (QUANTITY, "1,500.00-", None, "-1500"),  # an accounting export's trailing minus
        (QUANTITY, "\u22121,500.00", None, "-1500"),  # a typeset minus
        (QUANTITY, "12\u00a0500.00", None, "12500"),  # a space between digit groups
        (QUANTITY, "12\u202f500", None, "12500"),
        (QUANTITY, "0.125", None, "0.125"),  # a unit price to 3 places: no thousands there
        (QUANTITY, "(-5)", None, "(-5)"),  # two signs: left for the validator to refuse
        (METHOD, "Unit", None, "unit"),
        (METHOD, " AMOUNT ", None, "amount"),
        (METHOD, "units", None, "units"),
        (OVERBILLING, True, None, True),
        (OVERBILLING, "No", None, False),
        (OVERBILLING, 1, None, True),
        (OVERBILLING, "maybe", None, "maybe"),
        (CONTACTS, "sam, jane;kim\nlee", None, ["sam", "jane", "kim", "lee"]),
        (QUANTITY, None, None, MISSING),
        (NUMBER, "   ", None, MISSING),
    ],
)
def test_cell_values(column: Column, value: Any, number_format: str | None, expected: Any) -> None:
    assert cell_value(column, value, number_format) == expected


@pytest.mark.parametrize(
    ("column", "value", "number_format", "message"),
    [
        (QUANTITY, 12.0, "0%", "is formatted as a percentage (1200%): give a plain number"),
        (QUANTITY, datetime(2026, 1, 2), "d-mmm", "is a date (2026-01-02), not a number"),
        (NUMBER, datetime(2026, 1, 2), "d-mmm", "is a date (2026-01-02): the spreadsheet took"),
        (START, datetime(2026, 10, 31, 14, 30), None, "has a time of day (2026-10-31 14:30)"),
        (START, time(8, 0), None, "is a time of day (08:00:00), not a date"),
        (
            START,
            46326,
            "General",
            "is the number 46326, which a spreadsheet shows as 2026-10-31 when the cell is "
            'formatted as a date: format it as a date, or write "2026-10-31"',
        ),
        (START, 12.5, "General", "is the number 12.5, not a date"),
        (START, "01/02/2026", None, 'is "01/02/2026": January 2 or February 1'),
        (START, "31/31/2026", None, 'is "31/31/2026", which is not a date'),
        (QUANTITY, "12.500", None, 'is "12.500": 12.5 or 12,500'),
        (QUANTITY, "USD 1.250", None, 'is "USD 1.250": 1.25 or 1,250'),
        (QUANTITY, "12.500", None, "write 12500 or 12.5, or make the cell a number"),
    ],
)
def test_cells_that_stand_for_no_value_of_their_column(
    column: Column, value: Any, number_format: str | None, message: str
) -> None:
    with pytest.raises(CellError, match=message.replace("(", r"\(").replace(")", r"\)")):
        cell_value(column, value, number_format)


def test_numbers_typed_as_text_need_well_formed_thousands() -> None:
    assert number_text("1,234,567.891") == "1234567.891"
    assert number_text("1,23") is None
    assert number_text("(12") is None
