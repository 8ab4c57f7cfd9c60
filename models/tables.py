"""SQLModel tables for the billing domain (DESIGN §1).

Money columns are `Numeric` so that values go through the database as exact
decimals. Every imported row carries the `key` of the import file, which makes
`billbot import` idempotent.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Column, DateTime, Numeric, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

# Stable constraint names, so later migrations can refer to them on every backend.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s_%(column_1_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; billbot stores them all in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def zone(name: str | None) -> ZoneInfo:
    """The time zone called `name` (a project's); UTC when it is unset or not a known one."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(moment: datetime, name: str | None) -> datetime:
    """`moment` (naive means UTC) where the project called its zone `name` is."""
    return as_utc(moment).astimezone(zone(name))


def money_column(nullable: bool = False) -> Column:
    return Column(Numeric(16, 2), nullable=nullable)


def quantity_column(nullable: bool = True) -> Column:
    return Column(Numeric(20, 6), nullable=nullable)


def timestamp_column(nullable: bool = True) -> Column:
    return Column(DateTime(timezone=True), nullable=nullable)


class InvoiceStatus(enum.StrEnum):
    """Procore's invoice statuses."""

    draft = "draft"
    under_review = "under_review"
    revise_and_resubmit = "revise_and_resubmit"
    approved = "approved"
    approved_as_noted = "approved_as_noted"
    pending_owner_approval = "pending_owner_approval"


class LineReviewStatus(enum.StrEnum):
    approved = "approved"
    rejected = "rejected"


# Statuses in which the invoice contact may still change and send the invoice.
EDITABLE_STATUSES = frozenset({InvoiceStatus.draft, InvoiceStatus.revise_and_resubmit})
# Statuses of an invoice the administrator has certified for payment.
CERTIFIED = frozenset(
    {InvoiceStatus.approved, InvoiceStatus.approved_as_noted, InvoiceStatus.pending_owner_approval}
)


class CommitmentKind(enum.StrEnum):
    subcontract = "subcontract"
    purchase_order = "purchase_order"


class AccountingMethod(enum.StrEnum):
    amount = "amount"
    unit = "unit"


class Company(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True, max_length=100)
    name: str = Field(max_length=200)


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True, max_length=100)
    company_id: int = Field(foreign_key="company.id", index=True)
    name: str = Field(max_length=200)
    email: str = Field(index=True, max_length=320)
    slack_user_id: str | None = Field(default=None, index=True, max_length=50)
    timezone: str | None = Field(default=None, max_length=64)
    # `en` or `es`; None: English until the person writes in Spanish (then set to `es`)
    language: str | None = Field(default=None, max_length=10)


class Project(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True, max_length=100)
    name: str = Field(max_length=200)
    number: str = Field(max_length=50)
    company_id: int = Field(foreign_key="company.id", index=True)
    timezone: str = Field(default="UTC", max_length=64)


class Commitment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("project_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True, max_length=100)
    project_id: int = Field(foreign_key="project.id", index=True)
    number: str = Field(max_length=50)
    title: str = Field(max_length=200)
    kind: CommitmentKind = Field(default=CommitmentKind.subcontract, sa_type=String(20))
    vendor_id: int = Field(foreign_key="company.id", index=True)
    accounting_method: AccountingMethod = Field(default=AccountingMethod.amount, sa_type=String(10))
    retainage_percent: Decimal = Field(
        default=Decimal("0"), sa_column=Column(Numeric(9, 4), nullable=False)
    )
    allow_overbilling: bool = Field(default=False)
    administrator_id: int | None = Field(default=None, foreign_key="person.id")


def label_of(commitment: Commitment | None) -> str:
    """`SC-007 Electrical`: how people name a commitment."""
    return f"{commitment.number} {commitment.title}".strip() if commitment else ""


class CommitmentContact(SQLModel, table=True):
    """An invoice contact of a commitment (many-to-many)."""

    __tablename__ = "commitment_contact"

    commitment_id: int = Field(foreign_key="commitment.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True, index=True)


class SovLine(SQLModel, table=True):
    """A schedule-of-values line: amount-based (scheduled value) or unit-based."""

    __tablename__ = "sov_line"
    __table_args__ = (UniqueConstraint("commitment_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    commitment_id: int = Field(foreign_key="commitment.id", index=True)
    number: str = Field(max_length=20)
    position: int = Field(default=0)
    description: str = Field(default="", max_length=1000)
    cost_code: str | None = Field(default=None, max_length=50)
    scheduled_value: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    quantity: Decimal | None = Field(default=None, sa_column=quantity_column())
    uom: str | None = Field(default=None, max_length=20)
    unit_price: Decimal | None = Field(
        default=None, sa_column=Column(Numeric(16, 4), nullable=True)
    )
    retainage_percent: Decimal | None = Field(
        default=None, sa_column=Column(Numeric(9, 4), nullable=True)
    )


class BillingPeriod(SQLModel, table=True):
    __tablename__ = "billing_period"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True, max_length=100)
    project_id: int = Field(foreign_key="project.id", index=True)
    start: date
    end: date
    billing_date: date
    due_date: date


class Invoice(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("commitment_id", "number"),
        UniqueConstraint("commitment_id", "period_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    commitment_id: int = Field(foreign_key="commitment.id", index=True)
    period_id: int = Field(foreign_key="billing_period.id", index=True)
    number: str = Field(max_length=50)
    status: InvoiceStatus = Field(default=InvoiceStatus.draft, sa_type=String(30), index=True)
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(False))
    sent_by_id: int | None = Field(default=None, foreign_key="person.id")
    sent_at: datetime | None = Field(default=None, sa_column=timestamp_column())


class InvoiceLine(SQLModel, table=True):
    """One SOV line on one invoice: this period's figures, rounded as stored."""

    __tablename__ = "invoice_line"
    __table_args__ = (UniqueConstraint("invoice_id", "sov_line_id"),)

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    sov_line_id: int = Field(foreign_key="sov_line.id", index=True)
    new_quantity: Decimal | None = Field(default=None, sa_column=quantity_column())
    new_value: Decimal = Field(default=Decimal("0"), sa_column=money_column())
    materials_stored: Decimal = Field(default=Decimal("0"), sa_column=money_column())
    retainage_held: Decimal = Field(default=Decimal("0"), sa_column=money_column())
    retainage_released: Decimal = Field(default=Decimal("0"), sa_column=money_column())
    # The administrator's last review of this line (DESIGN §6): approved or rejected, why,
    # and the contact's figures as they were reviewed (kept beside the administrator's own
    # when approved as noted; compared with a resubmission to say what changed).
    review_status: LineReviewStatus | None = Field(default=None, sa_type=String(10))
    review_reason: str | None = Field(default=None, max_length=1000)
    reviewed_value: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    reviewed_quantity: Decimal | None = Field(default=None, sa_column=quantity_column())


class Attachment(SQLModel, table=True):
    """A file attached to an invoice; the bytes live in the attachments dir by sha256."""

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    filename: str = Field(max_length=255)
    content_type: str = Field(default="application/octet-stream", max_length=255)
    size: int
    sha256: str = Field(max_length=64, index=True)
    source: str = Field(default="", max_length=50)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(False))


class InvoiceEvent(SQLModel, table=True):
    """One status change of an invoice: when, who, on which channel, from, to, and a note."""

    __tablename__ = "invoice_event"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(False))
    by_person_id: int | None = Field(default=None, foreign_key="person.id")
    channel: str = Field(default="", max_length=20)  # email | slack | cli | console
    from_status: str | None = Field(default=None, max_length=30)
    to_status: str = Field(max_length=30)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ChangeOrder(SQLModel, table=True):
    """An approved change order of a commitment; it counts for every billing period whose end
    is on or after `approved_on`."""

    __tablename__ = "change_order"
    __table_args__ = (UniqueConstraint("commitment_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True, max_length=100)
    commitment_id: int = Field(foreign_key="commitment.id", index=True)
    number: str = Field(max_length=50)
    title: str = Field(max_length=200)
    approved_on: date


class ChangeOrderLine(SQLModel, table=True):
    """What one change order does to one SOV line: a quantity change (unit-based), a change of
    scheduled value (amount-based), or adding the line (`adds_line`; the SOV line row then
    holds the new line's own figures)."""

    __tablename__ = "change_order_line"
    __table_args__ = (UniqueConstraint("change_order_id", "sov_line_id"),)

    id: int | None = Field(default=None, primary_key=True)
    change_order_id: int = Field(foreign_key="change_order.id", index=True)
    sov_line_id: int = Field(foreign_key="sov_line.id", index=True)
    position: int = Field(default=0)
    adds_line: bool = Field(default=False)
    quantity_change: Decimal | None = Field(default=None, sa_column=quantity_column())
    change: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
