"""The import workbook's layout (DESIGN §4): one sheet per section of the JSON import file.

The header row holds the JSON field names; nested lists are sheets of their own with
a reference column (`sov_lines` has `commitment`, ...). The columns and what kind of
value each takes come from the pydantic models of `models.import_schema`, so the
template, the reader and the JSON file cannot drift apart.
"""

from __future__ import annotations

import enum
import types
import typing
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from models.import_schema import (
    BillingPeriodIn,
    ChangeOrderIn,
    ChangeOrderLineIn,
    CommitmentIn,
    CompanyIn,
    InvoiceIn,
    InvoiceLineIn,
    PersonIn,
    ProjectIn,
    SovLineIn,
)

Kind = Literal["text", "number", "date", "bool", "list", "choice"]
NEW_LINE = "new"  # change_order_lines: `new_description` is the `new` line's `description`
NEW = NEW_LINE + "_"


@dataclass(frozen=True)
class Column:
    name: str  # the header, e.g. "unit_price" or "new_description"
    kind: Kind
    required: bool = False
    choices: tuple[str, ...] = ()  # for `choice` columns (the drop-down list)
    path: tuple[str, ...] = ()  # where the value goes in the item, default (name,)

    @property
    def target(self) -> tuple[str, ...]:
        return self.path or (self.name,)


@dataclass(frozen=True)
class Sheet:
    """One sheet: `section` is the JSON list its rows go to; `parent` is set for nested lists
    (its rows go into the `lines` of the item of `parent.section` that `refs` name)."""

    name: str
    section: str
    columns: tuple[Column, ...]
    about: str
    example: dict[str, str]
    refs: tuple[str, ...] = ()  # reference columns naming the parent item ...
    parent: Sheet | None = None
    parent_fields: tuple[str, ...] = ()  # ... by these fields of it

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _kind(annotation: Any) -> tuple[Kind, tuple[str, ...]]:
    """The kind of cell a model field takes, and its choices."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        return _kind(args[0])
    if typing.get_origin(annotation) is typing.Annotated:
        return _kind(args[0])
    if typing.get_origin(annotation) is list:
        return "list", ()
    if typing.get_origin(annotation) is Literal:
        return "choice", tuple(str(a) for a in typing.get_args(annotation))
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return "choice", tuple(str(member.value) for member in annotation)
        if issubclass(annotation, bool):
            return "bool", ()
        if issubclass(annotation, Decimal):
            return "number", ()
        if issubclass(annotation, date):
            return "date", ()
    return "text", ()


def _columns(
    model: type[BaseModel], order: tuple[str, ...], *, prefix: str = "", optional: bool = False
) -> list[Column]:
    found = []
    for name in order:
        info = model.model_fields[name]
        kind, choices = _kind(info.annotation)
        path = (prefix.removesuffix("_"), name) if prefix else ()
        required = info.is_required() and not optional
        found.append(Column(prefix + name, kind, required, choices, path))
    return found


def _refs(*names: str) -> list[Column]:
    return [Column(name, "text", required=True) for name in names]


def _sheet(
    name: str,
    section: str,
    model: type[BaseModel],
    order: tuple[str, ...],
    about: str,
    example: dict[str, str],
    *,
    refs: tuple[str, ...] = (),
    parent: Sheet | None = None,
    parent_fields: tuple[str, ...] = ("key",),
    extra: tuple[Column, ...] = (),
) -> Sheet:
    columns = (*_refs(*refs), *_columns(model, order), *extra)
    return Sheet(name, section, columns, about, example, refs, parent, parent_fields)


COMPANIES = _sheet(
    "companies",
    "companies",
    CompanyIn,
    ("key", "name"),
    "The general contractor and every subcontractor or vendor.",
    {"key": "acme", "name": "Acme Electric"},
)
PEOPLE = _sheet(
    "people",
    "people",
    PersonIn,
    ("key", "company", "name", "email", "slack_user_id", "timezone", "language"),
    "Invoice contacts and administrators; company is a key from companies.",
    {
        "key": "sam",
        "company": "acme",
        "name": "Sam Sparks",
        "email": "sam@acme.test",
        "slack_user_id": "U0SAM",
    },
)
PROJECTS = _sheet(
    "projects",
    "projects",
    ProjectIn,
    ("key", "name", "number", "company", "timezone"),
    "Projects; company is the general contractor's key.",
    {
        "key": "tower",
        "name": "Harbor Tower",
        "number": "P-100",
        "company": "gc",
        "timezone": "America/Chicago",
    },
)
COMMITMENTS = _sheet(
    "commitments",
    "commitments",
    CommitmentIn,
    (
        "key",
        "project",
        "number",
        "title",
        "kind",
        "vendor",
        "accounting_method",
        "retainage_percent",
        "allow_overbilling",
        "invoice_contacts",
        "administrator",
    ),
    "Subcontracts and purchase orders; invoice_contacts is a comma-separated list of people "
    "keys; retainage_percent 10 means 10 %.",
    {
        "key": "sc7",
        "project": "tower",
        "number": "SC-007",
        "title": "Electrical",
        "kind": "subcontract",
        "vendor": "acme",
        "accounting_method": "unit",
        "retainage_percent": "10",
        "invoice_contacts": "sam",
        "administrator": "jane",
    },
)
SOV_LINES = _sheet(
    "sov_lines",
    "lines",
    SovLineIn,
    (
        "number",
        "description",
        "cost_code",
        "quantity",
        "uom",
        "unit_price",
        "scheduled_value",
        "retainage_percent",
    ),
    "Schedule-of-values lines: unit-based ones give quantity, uom and unit_price (up to 4 "
    "decimals), amount-based ones scheduled_value.",
    {
        "commitment": "sc7",
        "number": "1",
        "description": "Conduit",
        "quantity": "1200",
        "uom": "LF",
        "unit_price": "12.50",
    },
    refs=("commitment",),
    parent=COMMITMENTS,
)
BILLING_PERIODS = _sheet(
    "billing_periods",
    "billing_periods",
    BillingPeriodIn,
    ("key", "project", "start", "end", "billing_date", "due_date"),
    "Billing periods of a project; dates as date cells or as 2026-10-31.",
    {
        "key": "oct",
        "project": "tower",
        "start": "2026-10-01",
        "end": "2026-10-31",
        "billing_date": "2026-10-25",
        "due_date": "2026-10-31",
    },
)
INVOICES = _sheet(
    "invoices",
    "invoices",
    InvoiceIn,
    ("commitment", "period", "number", "status"),
    "Earlier invoices (their lines on invoice_lines).",
    {"commitment": "sc7", "period": "oct", "number": "INV-0041", "status": "approved"},
)
INVOICE_LINES = _sheet(
    "invoice_lines",
    "lines",
    InvoiceLineIn,
    (
        "line",
        "new_quantity",
        "new_value",
        "total_percent",
        "materials_stored",
        "retainage_released",
    ),
    "This period on one line of an earlier invoice (invoice is its number): one of "
    "new_quantity (unit-based), new_value or total_percent.",
    {"commitment": "sc7", "invoice": "INV-0041", "line": "1", "new_quantity": "300"},
    refs=("commitment", "invoice"),
    parent=INVOICES,
    parent_fields=("commitment", "number"),
)
CHANGE_ORDERS = _sheet(
    "change_orders",
    "change_orders",
    ChangeOrderIn,
    ("key", "commitment", "number", "title", "approved_on"),
    "Approved change orders; each counts from the first billing period ending on or after "
    "approved_on.",
    {
        "key": "co1",
        "commitment": "sc7",
        "number": "CO-001",
        "title": "Added panels",
        "approved_on": "2026-11-10",
    },
)
CHANGE_ORDER_LINES = _sheet(
    "change_order_lines",
    "lines",
    ChangeOrderLineIn,
    ("line", "quantity_change", "change"),
    "A change to an existing line (line, and quantity_change for unit-based or change for "
    "amount-based lines), or a new line: line is its number, with new_description, "
    "new_cost_code and either new_uom, new_quantity and new_unit_price or "
    "new_scheduled_value.",
    {"change_order": "co1", "line": "2", "quantity_change": "2"},
    refs=("change_order",),
    parent=CHANGE_ORDERS,
    extra=tuple(
        _columns(
            SovLineIn,
            (
                "description",
                "cost_code",
                "uom",
                "quantity",
                "unit_price",
                "scheduled_value",
                "retainage_percent",
            ),
            prefix=NEW,
            optional=True,
        )
    ),
)

SHEETS: tuple[Sheet, ...] = (
    COMPANIES,
    PEOPLE,
    PROJECTS,
    COMMITMENTS,
    SOV_LINES,
    BILLING_PERIODS,
    INVOICES,
    INVOICE_LINES,
    CHANGE_ORDERS,
    CHANGE_ORDER_LINES,
)
INSTRUCTIONS = "instructions"


def sheet_rows(data: dict[str, Any], sheet: Sheet) -> list[dict[str, Any]]:
    """The rows of `sheet` for import data in the JSON shape, as {header: value} (what the
    reader turns back into that data)."""
    if sheet.parent is None:
        rows = [
            {k: v for k, v in item.items() if k != "lines"} for item in data.get(sheet.section, [])
        ]
        for row in rows:
            if isinstance(row.get("invoice_contacts"), list):
                row["invoice_contacts"] = ", ".join(row["invoice_contacts"])
        return rows
    rows = []
    for parent in data.get(sheet.parent.section, []):
        refs = {
            ref: parent[name] for ref, name in zip(sheet.refs, sheet.parent_fields, strict=True)
        }
        for line in parent.get("lines", []):
            row = refs | {k: v for k, v in line.items() if k != NEW_LINE}
            if NEW_LINE in line:
                new = dict(line[NEW_LINE])
                row["line"] = new.pop("number")
                row |= {NEW + name: value for name, value in new.items()}
            rows.append(row)
    return rows


def child_of(sheet: Sheet) -> Sheet | None:
    """The sheet holding the `lines` of `sheet`'s items (`sov_lines` for `commitments`)."""
    return next((child for child in SHEETS if child.parent is sheet), None)
