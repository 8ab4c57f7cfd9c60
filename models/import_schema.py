"""The `billbot import` file (DESIGN §4) as strict pydantic models.

Unknown fields are refused so a typo is reported rather than ignored; amounts
are strings parsed to `Decimal` (see `models.import_types`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, StrictBool, StringConstraints

from models.import_types import (
    Email,
    IsoDate,
    Key,
    LineNumber,
    Money,
    Name,
    Number,
    ProgressPercent,
    Quantity,
    RetainagePercent,
    SignedMoney,
    SignedQuantity,
    TimeZone,
    UnitPrice,
    text_without_controls,
)
from models.tables import AccountingMethod, CommitmentKind, InvoiceStatus

Text = Annotated[str, StringConstraints(max_length=1000), AfterValidator(text_without_controls)]
ShortText = Annotated[str, StringConstraints(max_length=50), AfterValidator(text_without_controls)]
Uom = Annotated[
    str, StringConstraints(min_length=1, max_length=20), AfterValidator(text_without_controls)
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CompanyIn(_Strict):
    key: Key
    name: Name


class PersonIn(_Strict):
    key: Key
    company: Key
    name: Name
    email: Email
    slack_user_id: ShortText | None = None
    timezone: TimeZone | None = None
    language: Literal["en", "es"] | None = None


class ProjectIn(_Strict):
    key: Key
    name: Name
    number: Number
    company: Key
    timezone: TimeZone = "UTC"


class SovLineIn(_Strict):
    """Amount-based lines carry `scheduled_value`; unit-based ones quantity, unit price, UoM."""

    number: LineNumber
    description: Text = ""
    cost_code: ShortText | None = None
    scheduled_value: Money | None = None
    quantity: Quantity | None = None
    unit_price: UnitPrice | None = None
    uom: Uom | None = None
    retainage_percent: RetainagePercent | None = None


class CommitmentIn(_Strict):
    key: Key
    project: Key
    number: Number
    title: Name
    kind: CommitmentKind = CommitmentKind.subcontract
    vendor: Key
    accounting_method: AccountingMethod
    retainage_percent: RetainagePercent = Decimal("0")
    allow_overbilling: StrictBool = False
    invoice_contacts: list[Key] = []
    administrator: Key | None = None
    lines: list[SovLineIn] = []


class BillingPeriodIn(_Strict):
    key: Key
    project: Key
    start: IsoDate
    end: IsoDate
    billing_date: IsoDate
    due_date: IsoDate


class InvoiceLineIn(_Strict):
    """This period on one SOV line: at most one of new_quantity, new_value, total_percent."""

    line: LineNumber
    new_quantity: SignedQuantity | None = None
    new_value: SignedMoney | None = None
    total_percent: ProgressPercent | None = None
    materials_stored: Money | None = None
    retainage_released: Money | None = None


class InvoiceIn(_Strict):
    commitment: Key
    period: Key
    number: Number
    status: InvoiceStatus = InvoiceStatus.draft
    lines: list[InvoiceLineIn] = []


class ChangeOrderLineIn(_Strict):
    """A change to an existing line (`line` with `quantity_change` or `change`) or a `new` line."""

    line: LineNumber | None = None
    quantity_change: SignedQuantity | None = None
    change: SignedMoney | None = None
    new: SovLineIn | None = None


class ChangeOrderIn(_Strict):
    key: Key
    commitment: Key
    number: Number
    title: Name
    approved_on: IsoDate
    lines: list[ChangeOrderLineIn] = []


class ImportFile(_Strict):
    companies: list[CompanyIn] = []
    people: list[PersonIn] = []
    projects: list[ProjectIn] = []
    commitments: list[CommitmentIn] = []
    billing_periods: list[BillingPeriodIn] = []
    invoices: list[InvoiceIn] = []
    change_orders: list[ChangeOrderIn] = []
