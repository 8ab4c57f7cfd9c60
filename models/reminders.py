"""Which reminders are due: contacts who have not sent their invoice, N days before billing,
and contacts whose invoice was returned for revision, N days before it is due.

At most one reminder per (contact, commitment, period, basis, offset), ever: the unique
constraint decides, so several workers (or a second run on the same day) can
never queue the same reminder twice. The scan is one set-based query, so a
large contractor's 100,000 (contact, commitment, period) rows stay cheap.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import DateTime, String, UniqueConstraint, and_, case, literal, or_
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql import Select
from sqlmodel import Field, Session, SQLModel, col

from models.i18n import ENGLISH, Words
from models.review import line_reviews
from models.tables import (
    EDITABLE_STATUSES,
    BillingPeriod,
    Commitment,
    CommitmentContact,
    Invoice,
    InvoiceStatus,
    LineReviewStatus,
    Project,
    local_time,
    timestamp_column,
    utcnow,
)


class ReminderBasis(enum.StrEnum):
    """What a reminder counts its days to: the billing date (every contact who has not sent
    an invoice), or the due date (an invoice returned for revision and not sent again)."""

    billing = "billing"
    due = "due"


class Reminder(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("person_id", "commitment_id", "period_id", "basis", "offset_days"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    commitment_id: int = Field(foreign_key="commitment.id")
    period_id: int = Field(foreign_key="billing_period.id", index=True)
    basis: ReminderBasis = Field(default=ReminderBasis.billing, sa_type=String(10))
    offset_days: int
    has_draft: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(False))


@dataclass(frozen=True)
class DueReminder:
    reminder_id: int
    person_id: int
    commitment_id: int
    period_id: int
    offset_days: int
    invoice_id: int | None  # a draft (or revise-and-resubmit) invoice, if one exists
    basis: ReminderBasis = ReminderBasis.billing

    def deadline(
        self,
        billing_date: date,
        due_date: date,
        strong: Callable[[str], str] = str,
        _: Words = ENGLISH,
    ) -> str:
        """`The billing date is tomorrow (Nov 25, 2026); invoices are due by Nov 30, 2026.`
        (`strong` marks the words that matter, e.g. Slack's `*bold*`)."""
        when = strong(when_text(self.offset_days, _))
        if self.basis == ReminderBasis.due:
            return _("Invoices are due {when} ({date}).", when=when, date=_day(due_date))
        return _(
            "The billing date is {when} ({date}); invoices are due by {due}.",
            when=when,
            date=_day(billing_date),
            due=strong(_day(due_date)),
        )


def invoice_state_text(session: Session, invoice: Invoice, _: Words = ENGLISH) -> str:
    """`is saved as a draft but has not been sent yet`, or for a returned invoice which lines
    came back and that it has not been sent again."""
    if invoice.status != InvoiceStatus.revise_and_resubmit:
        return _("is saved as a draft but has not been sent yet")
    returned = [
        _("line {line} ({reason})", line=line, reason=review.reason)
        if review.reason
        else _("line {line}", line=line)
        for line, review in line_reviews(session, invoice).items()
        if review.status == LineReviewStatus.rejected
    ]
    if not returned:
        return _("was returned for revision, and has not been sent again yet")
    return _(
        "was returned for revision: {lines}, and has not been sent again yet",
        lines="; ".join(returned),
    )


def _day(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def when_text(offset_days: int, _: Words = ENGLISH) -> str:
    """`today`, `tomorrow`, `in 3 days`: how far the billing date is (every channel's words)."""
    if offset_days == 0:
        return _("today")
    if offset_days == 1:
        return _("tomorrow")
    return _("in {count} days", count=offset_days)


def project_today(project_timezone: str | None, now: datetime) -> date:
    """Today's date where the project is (unknown zones count as UTC)."""
    return local_time(now, project_timezone).date()


def project_days(session: Session, *, now: datetime) -> dict[date, list[int]]:
    """Project ids grouped by their local date at `now`."""
    days: dict[date, list[int]] = {}
    for project_id, timezone in session.execute(sa_select(col(Project.id), col(Project.timezone))):
        days.setdefault(project_today(timezone, now), []).append(project_id)
    return days


def queue_due_reminders(
    session: Session,
    *,
    today: date,
    offsets: Iterable[int],
    project_ids: Sequence[int] | None = None,
) -> list[DueReminder]:
    """Record the reminders due on `today` and return the ones recorded by this call."""
    offsets = sorted({int(o) for o in offsets if int(o) >= 0})
    if not offsets:
        return []
    days = {today + timedelta(days=offset): offset for offset in offsets}
    editable = [status.value for status in EDITABLE_STATUSES]
    returned = InvoiceStatus.revise_and_resubmit.value
    recorded = [
        *_record(session, _due(ReminderBasis.billing, days, today, project_ids).where(
            or_(col(Invoice.id).is_(None), col(Invoice.status).in_(editable))
        )),
        # A returned invoice is counted to its due date too (it may come back after the
        # billing date), unless a billing-date reminder goes out the same day.
        *_record(session, _due(ReminderBasis.due, days, today, project_ids).where(
            col(Invoice.status) == returned, col(BillingPeriod.billing_date).not_in(list(days))
        )),
    ]  # fmt: skip
    drafts = _draft_invoices(
        session, {(row.commitment_id, row.period_id) for row in recorded if row.has_draft}
    )
    return sorted(
        (
            DueReminder(
                reminder_id=row.id,
                person_id=row.person_id,
                commitment_id=row.commitment_id,
                period_id=row.period_id,
                offset_days=row.offset_days,
                invoice_id=drafts.get((row.commitment_id, row.period_id)),
                basis=ReminderBasis(row.basis),
            )
            for row in recorded
        ),
        key=lambda r: (r.period_id, r.commitment_id, r.person_id, r.basis),
    )


def _due(
    basis: ReminderBasis,
    days: dict[date, int],
    today: date,
    project_ids: Sequence[int] | None,
) -> Select[Any]:
    """Who is due a reminder counted to `basis` on one of `days` (date -> offset)."""
    counted = col(
        BillingPeriod.due_date if basis == ReminderBasis.due else BillingPeriod.billing_date
    )
    offset_of = case(*((counted == day, offset) for day, offset in days.items()))
    due = (
        sa_select(
            col(CommitmentContact.person_id),
            col(Commitment.id),
            col(BillingPeriod.id),
            literal(basis.value, String(10)),
            offset_of,
            col(Invoice.id).is_not(None),
            literal(utcnow(), DateTime(timezone=True)),
        )
        .select_from(BillingPeriod)
        .join(Commitment, col(Commitment.project_id) == col(BillingPeriod.project_id))
        .join(CommitmentContact, col(CommitmentContact.commitment_id) == col(Commitment.id))
        .outerjoin(
            Invoice,
            and_(
                col(Invoice.commitment_id) == col(Commitment.id),
                col(Invoice.period_id) == col(BillingPeriod.id),
            ),
        )
        .where(counted.in_(list(days)), col(BillingPeriod.due_date) >= today)
    )
    if project_ids is not None:
        due = due.where(col(BillingPeriod.project_id).in_(list(project_ids)))
    return due


def _record(session: Session, due: Select[Any]) -> list[Any]:
    """One INSERT ... SELECT: the database finds who is due and records them in one statement;
    ON CONFLICT DO NOTHING leaves out every reminder recorded before (by any worker)."""
    table = Reminder.__table__  # type: ignore[attr-defined]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    columns = [
        "person_id", "commitment_id", "period_id", "basis", "offset_days", "has_draft", "created_at"
    ]  # fmt: skip
    statement = (
        insert(table)
        .from_select(columns, due)
        .on_conflict_do_nothing()
        .returning(
            table.c.id,
            table.c.person_id,
            table.c.commitment_id,
            table.c.period_id,
            table.c.basis,
            table.c.offset_days,
            table.c.has_draft,
        )
    )
    return list(session.execute(statement))


def _draft_invoices(session: Session, keys: set[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """Invoice ids of the (commitment, period) pairs that have a draft."""
    if not keys:
        return {}
    found: dict[tuple[int, int], int] = {}
    periods = {period_id for _, period_id in keys}
    statement = sa_select(
        col(Invoice.commitment_id), col(Invoice.period_id), col(Invoice.id)
    ).where(col(Invoice.period_id).in_(list(periods)))
    for commitment_id, period_id, invoice_id in session.execute(statement):
        if (commitment_id, period_id) in keys:
            found[(commitment_id, period_id)] = invoice_id
    return found


# An email reminder names its reminder in its Message-ID (`mail.reminder`: `<token.reminder-
# {id}@domain>`); a Slack one in its payload (`reminder_id`)
_EMAIL_REMINDER = re.compile(r"\.reminder-(?P<id>\d+)@")


class _Queued(Protocol):
    id: int | None
    message_id: str

    def data(self) -> dict[str, Any]: ...


def outdated_reminders(session: Session, rows: Sequence[_Queued]) -> set[int]:
    """The outbox rows among `rows` (reminders) whose invoice was sent for review (or is
    certified) since they were queued: a reminder saying "we have not received your invoice"
    must not go out after the contact sent it (delivery can be late: the mail server down,
    a retry's back-off)."""
    reminder_of: dict[int, int] = {}
    for row in rows:
        said = row.data().get("reminder_id")
        found = _EMAIL_REMINDER.search(row.message_id or "")
        reminder = said if isinstance(said, int) else int(found["id"]) if found else None
        if reminder is not None and row.id is not None:
            reminder_of[row.id] = reminder
    if not reminder_of:
        return set()
    statement = (
        sa_select(col(Reminder.id), col(Invoice.status))
        .join(
            Invoice,
            and_(
                col(Invoice.commitment_id) == Reminder.commitment_id,
                col(Invoice.period_id) == Reminder.period_id,
            ),
        )
        .where(col(Reminder.id).in_(set(reminder_of.values())))
    )
    sent = {
        reminder
        for reminder, status in session.execute(statement)
        if InvoiceStatus(status) not in EDITABLE_STATUSES
    }
    return {row for row, reminder in reminder_of.items() if reminder in sent}
