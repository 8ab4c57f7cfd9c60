"""Invoice numbers: suggesting the next one and checking what a contact typed."""

from __future__ import annotations

import re

from models.i18n import ENGLISH, Words

MAX_LENGTH = 50
_LAST_DIGITS = re.compile(r"(\d+)(?!.*\d)")
_VALID = re.compile(r"[A-Za-z0-9][A-Za-z0-9 \-_/.#]*")


def next_invoice_number(previous: str) -> str | None:
    """`INV-0041` -> `INV-0042`, `A-9` -> `A-10`, `1042` -> `1043`; zero padding kept."""
    match = _LAST_DIGITS.search(previous)
    if match is None:
        return None
    digits = match.group(1)
    following = str(int(digits) + 1).zfill(len(digits))
    return previous[: match.start(1)] + following + previous[match.end(1) :]


def invoice_number_problem(number: str, _: Words = ENGLISH) -> str | None:
    """Why `number` cannot be an invoice number, or None if it can."""
    if len(number) > MAX_LENGTH:
        return _("An invoice number can have at most {count} characters.", count=MAX_LENGTH)
    if not _VALID.fullmatch(number):
        return _("An invoice number may hold letters, digits, and - _ / . # only.")
    if not re.search(r"\d", number):
        return _("An invoice number needs at least one digit.")
    return None
