"""The period board (DESIGN §4 `billbot status`, §6): a billing period at a glance.

One row per commitment of the period's project and invoice contact: when they were invited
and on which channels (their invitation's email Message-ID and Slack message), whether an
email to them came back undelivered (a bounce kept on the invitation, while the address is
still theirs), how many reminders went out and the last one, the invoice's status
(`not_started` until an invoice exists), its amount — the **current payment due** (G702
line 8) and this period's work completed and stored (G703 E + F) — and the last activity on
it (the conversation's last save, the invoice's last status change, the last inbound
message). A commitment without a contact still has a row, so nothing is missed.

A handful of set-based queries per period, plus the figures of each existing invoice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, or_, select

from models.conversation import Conversation
from models.i18n import ENGLISH, N_, Words
from models.invitation import Invitation
from models.ledger import invoice_figures
from models.outbox import InboundMessage
from models.reminders import Reminder, project_today
from models.tables import (
    CERTIFIED,
    BillingPeriod,
    Commitment,
    CommitmentContact,
    Invoice,
    InvoiceEvent,
    InvoiceStatus,
    Person,
    Project,
    as_utc,
    zone,
)

NOT_STARTED = "not_started"
STATUS_WORDS = {
    NOT_STARTED: N_("not started"),
    InvoiceStatus.draft: N_("draft"),
    InvoiceStatus.under_review: N_("under review"),
    InvoiceStatus.revise_and_resubmit: N_("returned"),
    InvoiceStatus.approved: N_("approved"),
    InvoiceStatus.approved_as_noted: N_("approved as noted"),
    InvoiceStatus.pending_owner_approval: N_("pending owner approval"),
}


@dataclass(frozen=True)
class Bounced:
    """An email to a contact that came back undelivered for good: when, to which address and
    what the receiving server said."""

    at: datetime
    address: str
    diagnostic: str | None


class BoardError(Exception):
    """The board cannot be shown (an unknown period key); `str()` is meant for the user."""


@dataclass(frozen=True)
class BoardRow:
    commitment: str  # number, e.g. SC-007
    title: str
    contact: str | None  # None: the commitment has no invoice contact
    email: str | None
    invited_at: datetime | None  # None: not invited on any channel
    channels: tuple[str, ...]  # ("email", "slack"): where the invite went
    reminders: int
    last_reminder_at: datetime | None
    status: str  # `not_started` or the invoice's status
    invoice: str | None  # its number
    current_payment_due: Decimal | None
    work_this_period: Decimal | None
    last_activity: datetime | None
    bounced: Bounced | None = None  # an email to the contact came back undelivered

    @property
    def certified(self) -> bool:
        """Whether the administrator has approved the invoice (its payment due is owed)."""
        return self.status in CERTIFIED

    @property
    def status_words(self) -> str:
        return self.status_text()

    def status_text(self, _: Words = ENGLISH) -> str:
        said = STATUS_WORDS.get(self.status)
        return _(said) if said else self.status.replace("_", " ")


@dataclass(frozen=True)
class Board:
    period_id: int
    period_key: str
    project: str
    timezone: str
    start: date
    end: date
    billing_date: date
    due_date: date
    rows: tuple[BoardRow, ...]

    @property
    def zone(self) -> ZoneInfo:
        """The project's time zone (UTC when it is not a known one)."""
        return zone(self.timezone)

    def counts(self) -> Counter[str]:
        """How many commitments are in each status (not contacts: one invoice each)."""
        seen: dict[str, str] = {}
        for row in self.rows:
            seen.setdefault(row.commitment, row.status)
        return Counter(seen.values())

    def payment_due(self, *, certified: bool) -> Decimal:
        """The current payment due of the commitments' invoices that are certified (approved),
        or of those that are not (drafts, under review, returned): never the two together."""
        seen: dict[str, Decimal] = {}
        for row in self.rows:
            if row.current_payment_due is not None and row.certified == certified:
                seen.setdefault(row.commitment, row.current_payment_due)
        return sum(seen.values(), Decimal(0))

    def summary(self, _: Words = ENGLISH) -> str:
        """`3 commitments: 1 not started, 1 draft, 1 approved`."""
        counts = self.counts()
        total = sum(counts.values())
        parts = [counted(status, counts[status], _) for status in STATUS_WORDS if counts[status]]
        if not parts:
            return _.plural("{count} commitment", "{count} commitments", total)
        return _.plural(
            "{count} commitment: {statuses}",
            "{count} commitments: {statuses}",
            total,
            statuses=", ".join(parts),
        )


def counted(status: str, count: int, _: Words = ENGLISH) -> str:
    """`2 under review`: how many commitments of a board are in `status` (a word that agrees
    with the number in Spanish)."""
    said = {
        NOT_STARTED: _.plural("{count} not started", "{count} not started", count),
        InvoiceStatus.draft: _.plural("{count} draft", "{count} draft", count),
        InvoiceStatus.under_review: _.plural("{count} under review", "{count} under review", count),
        InvoiceStatus.revise_and_resubmit: _.plural("{count} returned", "{count} returned", count),
        InvoiceStatus.approved: _.plural("{count} approved", "{count} approved", count),
        InvoiceStatus.approved_as_noted: _.plural(
            "{count} approved as noted", "{count} approved as noted", count
        ),
        InvoiceStatus.pending_owner_approval: _.plural(
            "{count} pending owner approval", "{count} pending owner approval", count
        ),
    }
    return said.get(status) or f"{count} {status.replace('_', ' ')}"


def period_board(session: Session, *, period_key: str) -> Board:
    """The board of the billing period `period_key` (BoardError if there is none)."""
    period = session.exec(select(BillingPeriod).where(BillingPeriod.key == period_key)).first()
    if period is None:
        keys = ", ".join(session.exec(select(BillingPeriod.key).order_by(col(BillingPeriod.key))))
        known = f" (known periods: {keys})" if keys else " (no billing periods are imported)"
        raise BoardError(f"no billing period with key {period_key!r}{known}")
    return board(session, period)


def board(session: Session, period: BillingPeriod) -> Board:
    assert period.id is not None
    project = session.get(Project, period.project_id)
    assert project is not None
    commitments = list(
        session.exec(
            select(Commitment)
            .where(Commitment.project_id == period.project_id)
            .order_by(col(Commitment.number))
        )
    )
    ids = [c.id for c in commitments]
    contacts: dict[int, list[Person]] = {}
    for link, person in session.exec(
        select(CommitmentContact, Person)
        .join(Person, col(Person.id) == CommitmentContact.person_id)
        .where(col(CommitmentContact.commitment_id).in_(ids))
        .order_by(col(Person.name))
    ):
        contacts.setdefault(link.commitment_id, []).append(person)
    invitations = {
        (i.commitment_id, i.person_id): i
        for i in session.exec(select(Invitation).where(Invitation.period_id == period.id))
    }
    reminders: dict[tuple[int, int], tuple[int, datetime | None]] = {
        (commitment_id, person_id): (count, as_utc(last))
        for commitment_id, person_id, count, last in session.exec(
            select(
                Reminder.commitment_id,
                Reminder.person_id,
                func.count(col(Reminder.id)),
                func.max(Reminder.created_at),
            )
            .where(Reminder.period_id == period.id)
            .group_by(col(Reminder.commitment_id), col(Reminder.person_id))
        )
    }
    invoices = {
        i.commitment_id: i
        for i in session.exec(select(Invoice).where(Invoice.period_id == period.id))
    }
    activity = _last_activity(session, period.id, list(invoices.values()))
    rows: list[BoardRow] = []
    for commitment in commitments:
        assert commitment.id is not None
        invoice = invoices.get(commitment.id)
        due = work = None
        if invoice is not None:
            figures = invoice_figures(session, invoice)
            due = figures.summary.current_payment_due
            work = sum((ln.new_value + ln.materials_stored for ln in figures.lines), Decimal(0))
        people: list[Person | None] = [*contacts.get(commitment.id, [])] or [None]
        for contact in people:
            key = (commitment.id, contact.id if contact and contact.id else 0)
            invitation = invitations.get(key)
            channels = _channels(invitation)
            count, last = reminders.get(key, (0, None))
            rows.append(
                BoardRow(
                    commitment=commitment.number,
                    title=commitment.title,
                    contact=contact.name if contact else None,
                    email=contact.email if contact else None,
                    invited_at=as_utc(invitation.created_at) if invitation and channels else None,
                    channels=channels,
                    reminders=count,
                    last_reminder_at=last,
                    status=str(invoice.status) if invoice else NOT_STARTED,
                    invoice=invoice.number if invoice else None,
                    current_payment_due=due,
                    work_this_period=work,
                    last_activity=activity.get(commitment.id),
                    bounced=_bounced(invitation, contact),
                )
            )
    return Board(
        period_id=period.id,
        period_key=period.key,
        project=project.name,
        timezone=project.timezone,
        start=period.start,
        end=period.end,
        billing_date=period.billing_date,
        due_date=period.due_date,
        rows=tuple(rows),
    )


def _channels(invitation: Invitation | None) -> tuple[str, ...]:
    """Where the invite went: email once its message was queued, Slack once it was posted."""
    if invitation is None:
        return ()
    found = []
    if invitation.email_message_id:
        found.append("email")
    if invitation.slack_ts:
        found.append("slack")
    return tuple(found)


def _bounced(invitation: Invitation | None, contact: Person | None) -> Bounced | None:
    """The bounce kept on the invitation, while the address it came back from is still the
    contact's (a corrected address has not bounced)."""
    if invitation is None or contact is None or not invitation.email_bounced(contact.email):
        return None
    assert invitation.email_bounced_at is not None and invitation.email_bounced_to
    return Bounced(
        as_utc(invitation.email_bounced_at), invitation.email_bounced_to, invitation.email_bounce
    )


def _last_activity(
    session: Session, period_id: int, invoices: list[Invoice]
) -> dict[int, datetime]:
    """The latest moment anything happened on each commitment's invoice this period: the
    conversation's last save, its last inbound message, the invoice's last status change."""
    conversations = list(
        session.exec(select(Conversation).where(Conversation.period_id == period_id))
    )
    moments = [(c.commitment_id, c.updated_at) for c in conversations]
    for owners, key, at in [
        (
            {c.id: c.commitment_id for c in conversations},
            InboundMessage.conversation_id,
            InboundMessage.received_at,
        ),
        ({i.id: i.commitment_id for i in invoices}, InvoiceEvent.invoice_id, InvoiceEvent.at),
    ]:
        if owners:
            statement = (
                select(key, func.max(at)).where(col(key).in_(list(owners))).group_by(col(key))
            )
            moments += [(owners[owner], moment) for owner, moment in session.exec(statement)]
    latest: dict[int, datetime] = {}
    for commitment_id, moment in moments:
        if moment is not None and (
            commitment_id not in latest or as_utc(moment) > latest[commitment_id]
        ):
            latest[commitment_id] = as_utc(moment)
    return latest


def open_boards(session: Session, *, administrator_id: int, now: datetime) -> list[Board]:
    """The boards an administrator looks at: the periods of the projects where they administer
    a commitment that are open today (start to due date, in the project's time zone) or still
    have an invoice waiting for review."""
    projects = list(
        session.exec(
            select(Project)
            .join(Commitment, col(Commitment.project_id) == Project.id)
            .where(Commitment.administrator_id == administrator_id)
            .distinct()
            .order_by(col(Project.name))
        )
    )
    waiting = set(
        session.exec(
            select(Invoice.period_id).where(Invoice.status == InvoiceStatus.under_review.value)
        )
    )
    boards: list[Board] = []
    for project in projects:
        today = project_today(project.timezone, now)
        periods = session.exec(
            select(BillingPeriod)
            .where(BillingPeriod.project_id == project.id)
            .where(
                or_(
                    (col(BillingPeriod.start) <= today) & (col(BillingPeriod.due_date) >= today),
                    col(BillingPeriod.id).in_(waiting),
                )
            )
            .order_by(col(BillingPeriod.start))
        )
        boards += [board(session, period) for period in periods]
    return boards


def is_administrator(session: Session, person_id: int) -> bool:
    """Whether the person is the invoice administrator of any commitment."""
    statement = select(Commitment.id).where(Commitment.administrator_id == person_id).limit(1)
    return session.exec(statement).first() is not None


def board_json(board: Board) -> list[dict[str, object]]:
    """`billbot status --json`: one object per row; amounts as strings with two decimals. A
    row whose contact's email bounced has `email_bounced` too (when, address, diagnostic)."""
    return [_row_json(board, row) for row in board.rows]


def _row_json(board: Board, row: BoardRow) -> dict[str, object]:
    found: dict[str, object] = {
        "period": board.period_key,
        "project": board.project,
        "commitment": row.commitment,
        "title": row.title,
        "contact": row.contact,
        "email": row.email,
        "invited_at": _iso(row.invited_at),
        "invited_on": list(row.channels),
        "reminders": row.reminders,
        "last_reminder_at": _iso(row.last_reminder_at),
        "status": row.status,
        "invoice": row.invoice,
        "current_payment_due": _amount(row.current_payment_due),
        "certified": row.certified,  # approved: its payment due is owed
        "work_this_period": _amount(row.work_this_period),
        "last_activity": _iso(row.last_activity),
    }
    if row.bounced is not None:
        found["email_bounced"] = {
            "at": _iso(row.bounced.at),
            "address": row.bounced.address,
            "diagnostic": row.bounced.diagnostic,
        }
    return found


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _amount(value: Decimal | None) -> str | None:
    return f"{value:.2f}" if value is not None else None
