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
        (START, 46326, "General", "46326"),  # a bare serial number: refused as not a date
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
