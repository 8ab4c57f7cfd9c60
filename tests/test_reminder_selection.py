"""Which reminders are due (SQLite and PostgreSQL): once per contact, commitment, period, offset."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import select

from models.db import session_scope
from models.importer import import_text
from models.reminders import project_days, project_today, queue_due_reminders
from models.tables import Invoice, InvoiceStatus
from tests.reminder_data import three_contacts_text


def queue(
    engine: Engine, today: date, offsets: tuple[int, ...] = (3, 1, 0)
) -> list[tuple[int, bool]]:
    with session_scope(engine) as session:
        due = queue_due_reminders(session, today=today, offsets=offsets)
        return [(r.offset_days, r.invoice_id is not None) for r in due]


def test_only_contacts_without_a_sent_invoice_are_reminded_once(engine: Engine) -> None:
    import_text(engine, text=three_contacts_text())
    assert queue(engine, date(2026, 11, 22)) == [(3, True), (3, False)]
    assert queue(engine, date(2026, 11, 22)) == []


def test_each_offset_reminds_again_and_other_days_do_not(engine: Engine) -> None:
    import_text(engine, text=three_contacts_text())
    assert queue(engine, date(2026, 11, 21)) == []
    assert len(queue(engine, date(2026, 11, 22))) == 2
    assert queue(engine, date(2026, 11, 23)) == []
    assert len(queue(engine, date(2026, 11, 24))) == 2
    assert len(queue(engine, date(2026, 11, 25))) == 2
    assert queue(engine, date(2026, 11, 25)) == []


def test_once_the_draft_is_sent_its_contact_is_no_longer_reminded(engine: Engine) -> None:
    import_text(engine, text=three_contacts_text())
    assert len(queue(engine, date(2026, 11, 22))) == 2
    with session_scope(engine) as session:
        draft = session.exec(select(Invoice).where(Invoice.number == "B-1")).one()
        draft.status = InvoiceStatus.under_review
        session.add(draft)
    assert queue(engine, date(2026, 11, 24)) == [(1, False)]


def test_negative_offsets_are_ignored(engine: Engine) -> None:
    import_text(engine, text=three_contacts_text())
    assert queue(engine, date(2026, 11, 26), offsets=(-1,)) == []


def test_the_project_time_zone_decides_what_today_is() -> None:
    late_evening_chicago = datetime(2026, 11, 23, 4, 30, tzinfo=UTC)
    assert project_today("America/Chicago", late_evening_chicago) == date(2026, 11, 22)
    assert project_today("Asia/Tokyo", late_evening_chicago) == date(2026, 11, 23)
    assert project_today("Not/AZone", late_evening_chicago) == date(2026, 11, 23)


def test_projects_are_grouped_by_their_local_day(engine: Engine) -> None:
    import_text(engine, text=three_contacts_text())
    with session_scope(engine) as session:
        days = project_days(session, now=datetime(2026, 11, 23, 4, 30, tzinfo=UTC))
    assert list(days) == [date(2026, 11, 22)]
