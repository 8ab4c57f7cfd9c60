"""A workbook cell as the value the JSON import file would hold for it.

Numbers are read as the spreadsheet shows them, never through a float's binary
digits: a number cell's value is rounded to the 15 significant digits Excel keeps
and shows (so `0.1 + 0.2` computed by a formula is `0.3`, and a unit price of
`212.3375` stays `212.3375` whatever the cell's format rounds it to on screen),
and becomes a decimal string. Numbers typed as text (`"$1,234.50"`, `"10%"`,
`"(1,500.00)"`) are read the same way. Anything else is passed on as written, for
the import's one validation path to accept or refuse.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from models.workbook_layout import Column

MISSING = object()  # an empty cell: the field is left out, as in a JSON item without it

_NUMBER_TEXT = re.compile(
    r"""^(?P<open>\()?\s*(?P<sign>[-+])?\s*(?:\$|USD\s*)?\s*
    (?P<digits>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\s*
    (?P<percent>%)?\s*(?P<close>\))?$""",
    re.VERBOSE | re.IGNORECASE,
)
_QUOTED = re.compile(r'"[^"]*"|\\.')
_ZERO_PADDED = re.compile(r"^0+$")
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "x"})
FALSE_WORDS = frozenset({"false", "no", "n", "0"})
LIST_SEPARATORS = re.compile(r"[,;\n]")


class CellError(ValueError):
    """A cell that cannot stand for any value of its column (an error value, a stray date)."""


def plain(number: Decimal) -> str:
    """`Decimal("1.2E+3")` -> `"1200"`, `Decimal("12.50")` -> `"12.5"`, never `"-0"`."""
    text = f"{number.normalize():f}"
    return "0" if text == "-0" else text


def shown_number(value: int | float) -> Decimal:
    """A number cell's value with the 15 significant digits a spreadsheet keeps and shows."""
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(format(value, ".15g"))


def is_percent_format(number_format: str | None) -> bool:
    return "%" in _QUOTED.sub("", number_format or "")


def number_text(text: str) -> str | None:
    """`"$1,234.50"` -> `"1234.5"`, `"10%"` -> `"10"`, `"(1,500)"` -> `"-1500"`; None otherwise."""
    match = _NUMBER_TEXT.match(text.strip())
    if match is None or bool(match["open"]) != bool(match["close"]):
        return None
    number = Decimal(match["digits"].replace(",", ""))
    if match["open"] or match["sign"] == "-":
        number = -number
    return plain(number)


def _day(value: datetime | date) -> str:
    if isinstance(value, datetime):
        if value.time() != time(0):
            raise CellError(f"has a time of day ({value:%Y-%m-%d %H:%M}): give just the date")
        value = value.date()
    return value.isoformat()


def _text(value: Any, number_format: str | None) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        text = plain(shown_number(value))
        fmt = _QUOTED.sub("", number_format or "")
        if _ZERO_PADDED.match(fmt) and text.isdigit():
            text = text.zfill(len(fmt))  # "000" shows 7 as "007"
        return text
    if isinstance(value, datetime | date):
        day = value.date() if isinstance(value, datetime) else value
        raise CellError(
            f"is a date ({day.isoformat()}): the spreadsheet took it for one; "
            "format the column as text and type it again"
        )
    return str(value).strip()


def _number(column: Column, value: Any, number_format: str | None) -> Any:
    if isinstance(value, bool):
        return value  # refused by the validator as not an amount
    if isinstance(value, int | float):
        number = shown_number(value)
        if is_percent_format(number_format):
            if not column.name.endswith("percent"):
                raise CellError(
                    f"is formatted as a percentage ({plain(number * 100)}%): give a plain number"
                )
            number *= 100  # 10 % is 0.1 in the cell; the file's percentages are 10
        return plain(number)
    if isinstance(value, datetime | date):
        raise CellError(f"is a date ({_day(value)}), not a number")
    text = str(value).strip()
    return number_text(text) or text


def _bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    word = _text(value, None).casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return word


def _choice(column: Column, value: Any) -> str:
    text = _text(value, None)
    folded = re.sub(r"[\s-]+", "_", text.casefold())
    return folded if folded in column.choices else text


def cell_value(column: Column, value: Any, number_format: str | None = None) -> Any:
    """The JSON-like value of a cell of `column` (MISSING when empty); `CellError` if none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return MISSING
    if isinstance(value, time):
        raise CellError(f"is a time of day ({value}), not a {column.kind}")
    if column.kind == "number":
        return _number(column, value, number_format)
    if column.kind == "date":
        if isinstance(value, datetime | date):
            return _day(value)
        return _text(value, number_format)
    if column.kind == "bool":
        return _bool(value)
    if column.kind == "list":
        text = _text(value, number_format)
        return [item.strip() for item in LIST_SEPARATORS.split(text) if item.strip()]
    if column.kind == "choice":
        return _choice(column, value)
    return _text(value, number_format)
