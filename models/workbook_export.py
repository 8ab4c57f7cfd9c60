"""`billbot export --period KEY --format xlsx`: every invoice of a billing period in one workbook.

A `summary` sheet has one row per commitment of the period's project (vendor, invoice
contacts, invoice, status and the nine G702 lines), a total of the approved invoices and,
apart, one of the others (drafts, under review, returned: not certified), and one G703 sheet
per invoice
(the continuation sheet's columns, then its G702 lines). Money is written as numbers
(exact decimals, never a float) with a money format, so an accountant can sum them.

Totals rows hold their values, not SUM formulas: openpyxl cannot store a formula's
result, and a formula without one reads as blank to anything but a spreadsheet that
recalculates (pandas, a bookkeeping import, an import preview). The workbook is the
record of what was billed and certified, not a worksheet to edit, so a total that stays
put is what its reader needs; each equals the G702 figure it stands beside, as on the PDF.

A line the administrator approved as noted shows, after the G703 columns, the contact's
amount this period beside the administrator's (then in E) and the reasons for the
difference (DESIGN §6), as the PDF does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import Session, col, select

from models.money import HUNDRED, percent
from models.report import G702_LABELS, invoice_report, noted_difference
from models.tables import (
    CERTIFIED,
    BillingPeriod,
    Commitment,
    CommitmentContact,
    Company,
    Invoice,
    Person,
    Project,
)

MONEY_FORMAT = "#,##0.00;-#,##0.00"
PERCENT_FORMAT = "0.00%"
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", start_color="DDE3EA")
SUMMARY = "summary"
# G703 columns: (heading, report key); money from C to I.
G703_COLUMNS = (
    ("Item", "line"),
    ("Description", "description"),
    ("C Scheduled value", "scheduled_value"),
    ("D From previous application", "previous_value"),
    ("E This period", "new_value"),
    ("F Materials presently stored", "materials_stored"),
    ("G Completed and stored to date", "completed_to_date"),
    ("G/C %", "total_percent"),
    ("H Balance to finish", "balance_to_finish"),
    ("I Retainage", "retainage_total"),
    ("Change orders", "change_orders"),
    ("Billed this period (contact)", "billed_value"),
    ("Approved this period (administrator)", "approved_value"),
    ("Reasons for difference", "reason_for_difference"),
)
# The G703 columns a totals row adds up: C, D, E, F, G, H and I.
G703_SUMMED = (
    "scheduled_value",
    "previous_value",
    "new_value",
    "materials_stored",
    "completed_to_date",
    "balance_to_finish",
    "retainage_total",
)
SUMMARY_COLUMNS = ("Commitment", "Title", "Vendor", "Invoice contacts", "Invoice", "Status")
# The summary's totals rows: the certified invoices, then the others (never sent, or not
# yet approved), each apart so that no total mixes what is owed with what is not.
APPROVED = "Total approved"
NOT_APPROVED = "Total not approved (draft, under review, returned)"
TOTAL_ROWS = (APPROVED, NOT_APPROVED)
HEADER_ROW = 4  # both kinds of sheet: two title rows, a blank row, then the table


class UnknownPeriodError(ValueError):
    """No billing period has the key given."""


@dataclass(frozen=True)
class CommitmentRow:
    commitment: Commitment
    vendor: str
    contacts: str
    report: dict[str, Any] | None  # `invoice_report` of its invoice for the period


def period_rows(
    session: Session, *, period_key: str
) -> tuple[BillingPeriod, Project, list[CommitmentRow]]:
    period = session.exec(select(BillingPeriod).where(BillingPeriod.key == period_key)).first()
    if period is None:
        keys = session.exec(select(BillingPeriod.key).order_by(col(BillingPeriod.start))).all()
        known = ", ".join(keys) or "none"
        raise UnknownPeriodError(f'no billing period "{period_key}" (periods: {known})')
    project = session.get(Project, period.project_id)
    assert project is not None
    commitments = session.exec(
        select(Commitment)
        .where(Commitment.project_id == project.id)
        .order_by(col(Commitment.number))
    ).all()
    rows = []
    for commitment in commitments:
        vendor = session.get(Company, commitment.vendor_id)
        contacts = session.exec(
            select(Person)
            .join(CommitmentContact, col(CommitmentContact.person_id) == Person.id)
            .where(CommitmentContact.commitment_id == commitment.id)
            .order_by(col(Person.name))
        ).all()
        invoice = session.exec(
            select(Invoice).where(
                Invoice.commitment_id == commitment.id, Invoice.period_id == period.id
            )
        ).first()
        rows.append(
            CommitmentRow(
                commitment=commitment,
                vendor=vendor.name if vendor else "",
                contacts=", ".join(f"{p.name} <{p.email}>" for p in contacts),
                report=invoice_report(session, invoice) if invoice is not None else None,
            )
        )
    return period, project, rows


def period_workbook(session: Session, *, period_key: str) -> Workbook:
    period, project, rows = period_rows(session, period_key=period_key)
    book = Workbook()
    summary = book.active
    assert isinstance(summary, Worksheet)
    summary.title = SUMMARY
    heading = (
        f"{project.name} ({project.number}): billing period {period.key}, "
        f"{period.start.isoformat()} to {period.end.isoformat()}"
    )
    _summary(summary, heading, rows)
    names: set[str] = {SUMMARY}
    for row in rows:
        if row.report is not None:
            sheet = book.create_sheet(_sheet_name(row, names))
            _g703(sheet, row, period)
    return book


def write_period_workbook(session: Session, *, period_key: str, path: Path) -> int:
    """Write the workbook; returns how many invoices it holds."""
    book = period_workbook(session, period_key=period_key)
    book.save(path)
    return len(book.sheetnames) - 1


def _sheet_name(row: CommitmentRow, taken: set[str]) -> str:
    """`SC-007 INV-0042`: at most 31 characters, none of `[]:*?/\\`, unique in the book."""
    assert row.report is not None
    base = re.sub(r"[\[\]:*?/\\]+", "-", f"{row.commitment.number} {row.report['number']}")
    base = base.strip("'")[:31] or "invoice"
    name, n = base, 2
    while name.casefold() in {t.casefold() for t in taken}:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def _header(sheet: Worksheet, row: int, headings: Sequence[str]) -> None:
    for index, heading in enumerate(headings, start=1):
        cell = sheet.cell(row=row, column=index, value=heading)
        cell.font, cell.fill = BOLD, HEADER_FILL
        width = max(len(heading) + 2, 12)
        sheet.column_dimensions[get_column_letter(index)].width = min(width, 40)


def _money(sheet: Worksheet, row: int, column: int, value: str | Decimal | None) -> None:
    cell = sheet.cell(row=row, column=column, value=None if value is None else Decimal(value))
    cell.number_format = MONEY_FORMAT


def _total(sheet: Worksheet, row: int, column: int, value: Decimal) -> None:
    """One cell of a totals row: the sum itself, so every reader sees it (module docstring)."""
    cell = sheet.cell(row=row, column=column, value=value)
    cell.number_format, cell.font = MONEY_FORMAT, BOLD


def _summary(sheet: Worksheet, heading: str, rows: Sequence[CommitmentRow]) -> None:
    sheet["A1"] = heading
    sheet["A1"].font = Font(bold=True, size=13)
    sheet["A2"] = (
        "One row per commitment; amounts are the G702 lines of its invoice. Approved invoices "
        "are added up apart from the others (drafts, under review, returned), which are not "
        "certified."
    )
    _header(sheet, HEADER_ROW, [*SUMMARY_COLUMNS, *G702_LABELS.values()])
    first = HEADER_ROW + 1
    sums = {kind: dict.fromkeys(G702_LABELS, Decimal(0)) for kind in TOTAL_ROWS}
    for offset, row in enumerate(rows):
        number = first + offset
        report = row.report
        values = [
            row.commitment.number,
            row.commitment.title,
            row.vendor,
            row.contacts,
            report["number"] if report else "",
            report["status"] if report else "not invoiced",
        ]
        for index, value in enumerate(values, start=1):
            sheet.cell(row=number, column=index, value=value)
        for index, name in enumerate(G702_LABELS, start=len(SUMMARY_COLUMNS) + 1):
            _money(sheet, number, index, report["totals"][name] if report else None)
            if report:
                kind = APPROVED if report["status"] in CERTIFIED else NOT_APPROVED
                sums[kind][name] += Decimal(report["totals"][name])
    for total_row, kind in enumerate(TOTAL_ROWS, start=first + len(rows)):
        sheet.cell(row=total_row, column=1, value=kind).font = BOLD
        for index, name in enumerate(G702_LABELS, start=len(SUMMARY_COLUMNS) + 1):
            _total(sheet, total_row, index, sums[kind][name])
    sheet.freeze_panes = f"B{first}"


def _g703(sheet: Worksheet, row: CommitmentRow, period: BillingPeriod) -> None:
    report = row.report
    assert report is not None
    commitment = row.commitment
    sheet["A1"] = f"{commitment.number} {commitment.title} — {row.vendor}"
    sheet["A1"].font = Font(bold=True, size=13)
    sheet["A2"] = (
        f"Application {report['number']} · period {period.key} "
        f"({period.start.isoformat()} to {period.end.isoformat()}) · status {report['status']}"
    )
    _header(sheet, HEADER_ROW, [heading for heading, _ in G703_COLUMNS])
    sheet.column_dimensions["B"].width = 40
    column = {key: index for index, (_, key) in enumerate(G703_COLUMNS, start=1)}
    sheet.column_dimensions[get_column_letter(column["reason_for_difference"])].width = 50
    sums = dict.fromkeys(G703_SUMMED, Decimal(0))
    first = HEADER_ROW + 1
    for offset, line in enumerate(report["lines"]):
        number = first + offset
        sheet.cell(row=number, column=column["line"], value=line["line"])
        sheet.cell(row=number, column=column["description"], value=line["description"])
        for key in G703_SUMMED:
            _money(sheet, number, column[key], line[key])
            sums[key] += Decimal(line[key])
        share = sheet.cell(
            row=number, column=column["total_percent"], value=Decimal(line["total_percent"]) / 100
        )
        share.number_format = PERCENT_FORMAT
        changes = ", ".join(f"{c['number']} {c['amount']}" for c in line["change_orders"])
        sheet.cell(row=number, column=column["change_orders"], value=changes or None)
        difference = noted_difference(line)
        if difference is not None:
            billed, approved, reason = difference
            _money(sheet, number, column["billed_value"], billed)
            _money(sheet, number, column["approved_value"], approved)
            sheet.cell(row=number, column=column["reason_for_difference"], value=reason or None)
    total_row = first + len(report["lines"])
    sheet.cell(row=total_row, column=2, value="Grand total").font = BOLD
    for key in G703_SUMMED:
        _total(sheet, total_row, column[key], sums[key])
    scheduled, completed = sums["scheduled_value"], sums["completed_to_date"]
    overall = percent(completed / scheduled * HUNDRED) if scheduled else Decimal(0)
    share = sheet.cell(row=total_row, column=column["total_percent"], value=overall / 100)
    share.number_format, share.font = PERCENT_FORMAT, BOLD
    g702_row = total_row + 2
    sheet.cell(row=g702_row, column=2, value="Application for payment (G702)").font = BOLD
    for offset, (name, label) in enumerate(G702_LABELS.items(), start=1):
        sheet.cell(row=g702_row + offset, column=2, value=label)
        _money(sheet, g702_row + offset, 3, report["totals"][name])
    sheet.freeze_panes = f"C{first}"
