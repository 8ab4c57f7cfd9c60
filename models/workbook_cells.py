"""A workbook cell as the value the JSON import file would hold for it.

Numbers are read as the spreadsheet shows them, never through a float's binary
digits: a number cell's value is rounded to the 15 significant digits Excel keeps
and shows (so `0.1 + 0.2` computed by a formula is `0.3`, and a unit price of
`212.3375` stays `212.3375` whatever the cell's format rounds it to on screen),
and becomes a decimal string. Numbers typed as text (`"$1,234.50"`, `"10%"`,
`"(1,500.00)"`) are read the same way. Anything else is passed on as written, for
the import's one validation path to accept or refuse.

Percent columns (`retainage_percent`, `total_percent`) hold 10 for 10 %, as the JSON
file does; a percentage cell (`10%`) or text with a `%` sign is read so. A plain number
from 0 to 1 there is refused as ambiguous (0.5 is how a spreadsheet stores 50 %), and a
percentage anywhere else is refused rather than read as a plain number.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from models.money import ZERO
from models.workbook_layout import Column

MISSING = object()  # an empty cell: the field is left out, as in a JSON item without it

_NUMBER_TEXT = re.compile(
    r"""^(?P<open>\()?\s*(?P<sign>[-+])?\s*(?:\$|US\$|USD\s*)?\s*
    (?P<digits>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\s*
    (?P<percent>%)?\s*(?:USD|US\$)?\s*(?P<close>\))?\s*(?P<trailing>-)?$""",
    re.VERBOSE | re.IGNORECASE,
)
# Spaces a spreadsheet or a locale puts between digit groups (`12 500.00`), and the minus
# sign of typeset text (`−1,500.00`).
_GROUP_SPACE = re.compile(r"(?<=\d)[ \u00a0\u202f\u2009](?=\d{3}(?:\D|$))")
_MINUS = str.maketrans({"\u2212": "-", "\u2012": "-", "\u2013": "-"})
# `12.500`: twelve and a half, or 12,500 written the Spanish way? Asked, never guessed.
_POINT_THOUSANDS = re.compile(r"[1-9]\d{0,2}\.\d{3}")
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
    """`"$1,234.50"` -> `"1234.5"`, `"10%"` -> `"10"`, `"(1,500)"` -> `"-1500"`; None otherwise
    (`CellError` for `"12.500"`, which reads two ways)."""
    found = _number_and_percent(text)
    return None if found is None else found[0]


def _number_and_percent(text: str) -> tuple[str, bool] | None:
    """A number typed as text, and whether it was written with a `%` sign. The ways exports
    write one are read: `USD` or `US$` before or after it, `(1,500.00)` or an accountant's
    trailing minus (`1,500.00-`) for a negative, a typeset minus, spaces between groups of
    digits (`12 500.00`). `CellError` for `12.500`, which is 12.5 or 12,500 by locale."""
    text = _GROUP_SPACE.sub(",", text.strip().translate(_MINUS))
    match = _NUMBER_TEXT.match(text)
    if match is None or bool(match["open"]) != bool(match["close"]):
        return None
    negative = bool(match["open"]) + (match["sign"] == "-") + bool(match["trailing"])
    if negative > 1:
        return None  # `(-5)` or `-5-`: which sign was meant is not for billbot to guess
    digits = match["digits"]
    if _POINT_THOUSANDS.fullmatch(digits) and not match["percent"]:
        whole, _, part = digits.partition(".")
        raise CellError(
            f'is "{text}": {plain(Decimal(digits))} or {int(whole + part):,}? A point before '
            "three digits is a thousands separator in some countries; write "
            f"{whole}{part} or {plain(Decimal(digits))}, or make the cell a number"
        )
    number = Decimal(digits.replace(",", ""))
    if negative:
        number = -number
    return plain(number), bool(match["percent"])


def is_percent_column(column: Column) -> bool:
    return column.name.endswith("percent")


def _percentage(column: Column, text: str) -> str:
    """A percent column's plain number (no `%` sign nor format): 10 is 10 %. A fraction up to
    1 is refused, as a spreadsheet's way of writing a percentage (0.5 for 50 %) is likely."""
    number = Decimal(text)
    if is_percent_column(column) and ZERO < number <= 1:
        times = plain(number * 100)
        raise CellError(
            f"is {text}: percentages are written as 50 for 50 %, so write {times} if you mean "
            f"{times} %, or {text}% (with the % sign) if you mean {text} %"
        )
    return text


def _day(value: datetime | date) -> str:
    if isinstance(value, datetime):
        if value.time() != time(0):
            raise CellError(f"has a time of day ({value:%Y-%m-%d %H:%M}): give just the date")
        value = value.date()
    return value.isoformat()


def _serial_day(value: int | float) -> str:
    """A number in a date column is refused: the sheet shows a number, not a date. When it
    is a day number the spreadsheet would show as a date (46356 is 2026-11-30), that date
    is named, so the fix is one format away."""
    shown = plain(shown_number(value))
    if value != int(value) or not _SERIALS[0] <= value <= _SERIALS[1]:
        raise CellError(f'is the number {shown}, not a date (write it as "2026-10-31")')
    day = (_EPOCH + timedelta(days=int(value))).isoformat()
    raise CellError(
        f"is the number {shown}, which a spreadsheet shows as {day} when the cell is "
        f'formatted as a date: format it as a date, or write "{day}"'
    )


def _slashed_day(text: str) -> str:
    """`11/30/2026` or `30/11/2026` as `2026-11-30` when only one reading is a date;
    `01/02/2026` (January 2 or February 1?) is refused. Anything else is passed on."""
    found = _SLASHED.fullmatch(text)
    if found is None:
        return text
    first, second, year = (int(found[name]) for name in ("first", "second", "year"))
    readings = set()
    for month, day in ((first, second), (second, first)):
        try:
            readings.add(date(year, month, day))
        except ValueError:
            continue
    if len(readings) == 1:
        return readings.pop().isoformat()
    if not readings:
        raise CellError(f'is "{text}", which is not a date (write it as "2026-10-31")')
    one, other = sorted(readings)
    raise CellError(
        f'is "{text}": {one:%B} {one.day} or {other:%B} {other.day}? Write it as '
        f'"{one.isoformat()}" or "{other.isoformat()}"'
    )


_EPOCH = date(1899, 12, 30)  # day 0 of Excel's (and LibreOffice's) 1900 date system
_SERIALS = (20_000, 80_000)  # 1954-10-03 to 2119-01-10: day numbers a billing date can be
_SLASHED = re.compile(r"(?P<first>\d{1,2})[/.-](?P<second>\d{1,2})[/.-](?P<year>\d{4})")


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
        if not is_percent_format(number_format):
            return _percentage(column, plain(number))
        if not is_percent_column(column):
            raise CellError(
                f"is formatted as a percentage ({plain(number * 100)}%): give a plain number"
            )
        return plain(number * 100)  # 10 % is 0.1 in the cell; the file's percentages are 10
    if isinstance(value, datetime | date):
        raise CellError(f"is a date ({_day(value)}), not a number")
    text = str(value).strip()
    found = _number_and_percent(text)
    if found is None:
        return text
    digits, percent = found
    if not percent:
        return _percentage(column, digits)
    if not is_percent_column(column):
        raise CellError(f"is a percentage ({digits}%): give a plain number")
    return digits


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
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _serial_day(value)
        return _slashed_day(_text(value, number_format))
    if column.kind == "bool":
        return _bool(value)
    if column.kind == "list":
        text = _text(value, number_format)
        return [item.strip() for item in LIST_SEPARATORS.split(text) if item.strip()]
    if column.kind == "choice":
        return _choice(column, value)
    return _text(value, number_format)
