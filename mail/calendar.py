"""The invite's calendar entry: an iCalendar (RFC 5545) all-day event on the billing date.

Built by hand, it is small: CRLF line endings, lines folded at 75 octets (never inside a
UTF-8 character), text values escaped. An all-day event (`DTSTART;VALUE=DATE`) has no
time zone, so it falls on the billing date wherever the contact opens it. The UID is
stable per invitation, so a resent invite updates the same entry instead of adding one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

PRODID = "-//billbot//Progress billing//EN"
LIMIT = 75  # octets per line, CRLF excluded (RFC 5545 §3.1)


@dataclass(frozen=True)
class BillingEvent:
    uid: str
    day: date
    summary: str
    description: str
    stamp: datetime  # DTSTAMP: when the entry was made (UTC)


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11): backslash, `;`, `,` and newlines escaped."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """One content line, folded so no physical line exceeds 75 octets (CRLF + space)."""
    pieces: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        limit = LIMIT if not pieces else LIMIT - 1  # continuation lines start with a space
        if size + width > limit:
            pieces.append(current)
            current, size = "", 0
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def billing_calendar(event: BillingEvent) -> bytes:
    """The `.ics` file of `event` (`METHOD:PUBLISH`: an entry to add, not a meeting request)."""
    stamp = event.stamp.utctimetuple()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        "DTSTAMP:{:04d}{:02d}{:02d}T{:02d}{:02d}{:02d}Z".format(*stamp[:6]),
        f"DTSTART;VALUE=DATE:{event.day:%Y%m%d}",
        f"DTEND;VALUE=DATE:{event.day + timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{escape_text(event.summary)}",
        f"DESCRIPTION:{escape_text(event.description)}",
        "TRANSP:TRANSPARENT",  # a deadline, not a meeting: it does not block the day
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        "TRIGGER:-P1D",  # the day before the billing date
        f"DESCRIPTION:{escape_text(f'Tomorrow: {event.summary}')}",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode("utf-8")
