"""The invite's calendar entry (RFC 5545): an all-day event on the billing date."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from mail.calendar import BillingEvent, billing_calendar, escape_text, fold
from mail.compose import build_message
from mail.config import MailSettings
from mail.invite import CALENDAR_FILENAME, queue_invite_email
from models.attachments import attachment_path
from models.db import session_scope
from models.importer import import_text
from models.invitation import get_or_create_invitation
from models.outbox import OutboundMessage
from models.tables import BillingPeriod, Commitment, Person
from tests.reminder_data import three_contacts_text

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
MAIL = MailSettings(
    address="billing@summit.test",
    display_name="Summit Billing",
    imap_host="imap.invalid",
    smtp_host="smtp.invalid",
    secret="s3cret",
)


def unfold(ics: bytes) -> list[str]:
    """The content lines of an iCalendar file (RFC 5545 §3.1 unfolding)."""
    text = ics.decode("utf-8")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    return text.replace("\r\n ", "").removesuffix("\r\n").split("\r\n")


def unescape(value: str) -> str:
    out, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            nxt = next(chars)
            out.append("\n" if nxt in "nN" else nxt)
        else:
            out.append(char)
    return "".join(out)


def properties(lines: list[str], component: str = "VEVENT") -> dict[str, str]:
    """`NAME;PARAMS` -> value of the properties directly inside `component`."""
    found: dict[str, str] = {}
    depth = 0
    for line in lines:
        if line == f"BEGIN:{component}":
            depth = 1
        elif line.startswith("BEGIN:") and depth:
            depth += 1
        elif line.startswith("END:") and depth:
            depth -= 1
        elif depth == 1:
            name, _, value = line.partition(":")
            found[name] = value
    return found


EVENT = BillingEvent(
    uid="invitation-7@summit.test",
    day=date(2026, 11, 25),
    summary="Bill SC-007 Electrical, phase 2; tower\\annex (Harbor Tower)",
    description="Due by Nov 30, 2026.\nReply to the invitation email. " + "Long text. " * 20,
    stamp=NOW,
)


def test_the_event_is_all_day_on_the_billing_date_with_an_alarm_the_day_before() -> None:
    lines = unfold(billing_calendar(EVENT))
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "METHOD:PUBLISH" in lines and "VERSION:2.0" in lines
    event = properties(lines)
    assert event["DTSTART;VALUE=DATE"] == "20261125"
    assert event["DTEND;VALUE=DATE"] == "20261126"
    assert event["UID"] == "invitation-7@summit.test"
    assert event["DTSTAMP"] == "20261120T150000Z"
    assert unescape(event["SUMMARY"]) == EVENT.summary
    assert unescape(event["DESCRIPTION"]) == EVENT.description
    alarm = properties(lines, "VALARM")
    assert alarm["TRIGGER"] == "-P1D" and alarm["ACTION"] == "DISPLAY"


def test_long_lines_are_folded_at_75_octets_without_splitting_a_character() -> None:
    ics = billing_calendar(EVENT)
    physical = ics.split(b"\r\n")
    assert max(len(line) for line in physical) <= 75
    assert any(line.startswith(b" ") for line in physical)
    folded = fold("DESCRIPTION:" + "é" * 100)
    for line in folded.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75
        line.encode("utf-8").decode("utf-8")  # each physical line is whole characters
    assert folded.replace("\r\n ", "") == "DESCRIPTION:" + "é" * 100


def test_text_values_are_escaped() -> None:
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    summary = properties(unfold(billing_calendar(EVENT)))["SUMMARY"]
    assert "\\, phase 2\\; tower\\\\annex" in summary


def test_a_queued_invite_carries_the_calendar_entry(sqlite_engine: Engine, tmp_path: Path) -> None:
    import_text(sqlite_engine, text=three_contacts_text())
    files = tmp_path / "files"
    with session_scope(sqlite_engine) as session:
        cat = session.exec(select(Person).where(Person.key == "cat")).one()
        commitment = session.exec(select(Commitment).where(Commitment.key == "c2")).one()
        period = session.exec(select(BillingPeriod)).one()
        assert cat.id and commitment.id and period.id
        invitation, _ = get_or_create_invitation(
            session,
            commitment_id=commitment.id,
            period_id=period.id,
            person_id=cat.id,
            expires_at=NOW.replace(month=12),
        )
        queue_invite_email(
            session, invitation=invitation, settings=MAIL, now=NOW, attachments_dir=files
        )
        invitation_id = invitation.id
    with Session(sqlite_engine) as session:
        row = session.exec(select(OutboundMessage)).one()
    [ref] = row.data()["attachments"]
    assert ref["filename"] == CALENDAR_FILENAME and ref["content_type"] == "text/calendar"
    event = properties(unfold(attachment_path(files, ref["sha256"]).read_bytes()))
    assert event["DTSTART;VALUE=DATE"] == "20261125"
    assert event["UID"] == f"invitation-{invitation_id}@summit.test"
    assert unescape(event["SUMMARY"]) == "Bill SC-002 Trade 2 (Harbor Tower)"
    description = unescape(event["DESCRIPTION"])
    assert "due by Nov 30, 2026" in description and "billing+bb" in description

    message = email.message_from_bytes(
        bytes(build_message(row, MAIL, files)), policy=email.policy.default
    )
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_filename() == CALENDAR_FILENAME
    assert "DTSTART;VALUE=DATE:20261125" in part.get_content()
