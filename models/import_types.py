"""Strict field types of the import file: amounts, dates, keys and time zones.

The JSON is read with every number turned into a `JsonNumber`, so an amount
written as a JSON number is reported (with the text as written) instead of
going through a float; amounts must be strings such as `"12.50"`.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, PlainValidator, StringConstraints
from pydantic_core import PydanticCustomError

_DECIMAL = re.compile(r"^[+-]?\d+(\.\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+\Z")
# Control characters no text may hold (a line break or a tab may: a description cell can
# have several lines); PostgreSQL cannot store NUL at all.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class JsonNumber:
    """A number from the JSON text, kept as written (never a float)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def show(value: Any) -> str:
    """A value as the user wrote it in the JSON file."""
    if isinstance(value, JsonNumber):
        return value.text
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def _error(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


def _decimal(value: Any, what: str) -> Decimal:
    """`what`: `an amount (example: "1234.50")` or `a number (example: "12.5")`."""
    if isinstance(value, JsonNumber):
        if value.text in ("NaN", "Infinity", "-Infinity"):
            raise _error("amount", f"{value.text} is not {what.split(' (')[0]}")
        raise _error(
            "amount_type",
            f"{value.text} is a JSON number: write amounts as strings, "
            f'"{value.text}", so nothing goes through a float',
        )
    if not isinstance(value, str):
        raise _error("amount_type", f"{show(value)} is not {what}")
    text = value.strip()
    if not _DECIMAL.match(text):
        raise _error("amount", f"{show(value)} is not {what}")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only digits
        raise _error("amount", f"{show(value)} is not {what}") from exc


AN_AMOUNT = 'an amount (example: "1234.50")'
A_NUMBER = 'a number (example: "12.5")'


def _amount_validator(
    *,
    places: int,
    integer_digits: int,
    negative: bool,
    maximum: Decimal | None = None,
    what: str = AN_AMOUNT,
) -> PlainValidator:
    def validate(value: Any) -> Decimal:
        number = _decimal(value, what)
        if number < 0 and not negative:
            raise _error("amount_negative", f"{show(value)} is negative; it must be 0 or more")
        if maximum is not None and number > maximum:
            raise _error("amount_max", f"{show(value)} is more than {maximum}")
        exponent = number.normalize().as_tuple().exponent
        assert isinstance(exponent, int)
        if -exponent > places:
            raise _error("amount_places", f"{show(value)} has more than {places} decimals")
        if abs(number) >= Decimal(10) ** integer_digits:
            raise _error("amount_max", f"{show(value)} is too large")
        return number

    return PlainValidator(validate)


# Precision and range follow the Numeric columns in models/tables.py.
Money = Annotated[Decimal, _amount_validator(places=2, integer_digits=14, negative=False)]
SignedMoney = Annotated[Decimal, _amount_validator(places=2, integer_digits=14, negative=True)]
Quantity = Annotated[
    Decimal, _amount_validator(places=6, integer_digits=14, negative=False, what=A_NUMBER)
]
SignedQuantity = Annotated[
    Decimal, _amount_validator(places=6, integer_digits=14, negative=True, what=A_NUMBER)
]
UnitPrice = Annotated[Decimal, _amount_validator(places=4, integer_digits=12, negative=False)]
RetainagePercent = Annotated[
    Decimal, _amount_validator(places=4, integer_digits=3, negative=False, maximum=Decimal(100))
]
ProgressPercent = Annotated[Decimal, _amount_validator(places=6, integer_digits=6, negative=False)]


def _iso_date(value: Any) -> date:
    if isinstance(value, str) and _DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _error("date", f'{show(value)} is not a date (write it as "2026-10-31")')


def _key(value: str) -> str:
    if not _KEY.match(value):
        raise _error(
            "key", f'{show(value)} is not a valid key (letters, digits, "-", "_", "." only)'
        )
    return value


def text_without_controls(value: str) -> str:
    """The text, refused when it holds a control character other than a line break or tab."""
    found = _CONTROL.search(value)
    if found:
        raise _error(
            "text",
            f"{show(value)} holds a control character (U+{ord(found.group()):04X}); "
            "remove it and import again",
        )
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise _error("email", f"{show(value)} is not an email address")
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise _error(
            "timezone",
            f'{show(value)} is not a known time zone (example: "America/Chicago")',
        ) from None
    return value


IsoDate = Annotated[date, PlainValidator(_iso_date)]
Key = Annotated[str, StringConstraints(max_length=100), AfterValidator(_key)]
Email = Annotated[str, StringConstraints(max_length=320), AfterValidator(_email)]
TimeZone = Annotated[str, StringConstraints(max_length=64), AfterValidator(_timezone)]
_PLAIN = AfterValidator(text_without_controls)
Name = Annotated[str, StringConstraints(min_length=1, max_length=200), _PLAIN]
Number = Annotated[str, StringConstraints(min_length=1, max_length=50), _PLAIN]
LineNumber = Annotated[str, StringConstraints(min_length=1, max_length=20), _PLAIN]
