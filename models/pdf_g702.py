"""The first PDF page: the AIA G702-style application for payment (header, nine lines, files)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from models.money import ZERO
from models.pdf_format import (
    BODY,
    BOLD,
    DASH,
    HEADING,
    INK,
    LABEL,
    MUTED,
    NOTE,
    RULE,
    SHADE,
    SUBTITLE,
    TITLE,
    VALUE,
    day,
    dollars,
    file_size,
    status_label,
    style,
    text,
)
from models.report import G702_LABELS

# What each G702 line is made of, as the printed form says it.
NOTES = {
    "contract_sum_to_date": "Line 1 ± Line 2",
    "total_completed_and_stored_to_date": "Column G on the continuation sheet",
    "total_earned_less_retainage": "Line 4 less Line 5",
    "less_previous_certificates_for_payment": "Line 6 from prior applications",
    "balance_to_finish_including_retainage": "Line 3 less Line 6",
}
AMOUNT = style("amount", 9.5, alignment=2)
AMOUNT_DUE = style("amount-due", 11, bold=True, alignment=2)
LINE_DUE = style("line-due", 10, bold=True)


def _box(label: str, value: str, note: str = "") -> list[Flowable]:
    cell: list[Flowable] = [Paragraph(text(label).upper(), LABEL), Paragraph(value, VALUE)]
    if note:
        cell.append(Paragraph(note, NOTE))
    return cell


def _or_dash(value: object) -> str:
    return text(value) if value else DASH


def header_block(document: Mapping[str, Any], width: float) -> Table:
    """Parties, project and application data in a 3 x 3 grid of labelled boxes."""
    project = _or_dash(document.get("project"))
    commitment = text(document["commitment"])
    if document.get("commitment_title"):
        commitment += f" {DASH} {text(document['commitment_title'])}"
    kind = str(document.get("commitment_kind") or "").replace("_", " ").capitalize()
    method = document.get("accounting_method")
    contract = ", ".join(part for part in (kind, method and f"{method}-based") if part)
    boxes = [
        [
            _box("To (owner / general contractor)", _or_dash(document.get("owner"))),
            _box("Project", project, f"No. {text(document['project_number'])}")
            if document.get("project_number")
            else _box("Project", project),
            _box("Application no.", f"<b>{text(document['number'])}</b>"),
        ],
        [
            _box("From (subcontractor / vendor)", _or_dash(document.get("vendor"))),
            _box("Commitment", commitment, text(contract)),
            _box(
                "Period to",
                day(document.get("period_end")),
                f"from {day(document.get('period_start'))}",
            ),
        ],
        [
            _box("Invoice administrator", _or_dash(document.get("administrator"))),
            _box("Status", f"<b>{text(status_label(document['status']))}</b>"),
            _box(
                "Billing date",
                day(document.get("billing_date")),
                f"due {day(document.get('due_date'))}",
            ),
        ],
    ]
    table = Table(boxes, colWidths=[width * 0.36, width * 0.38, width * 0.26])
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.8, INK),
                ("INNERGRID", (0, 0), (-1, -1), 0.4, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return table


def retainage_note(document: Mapping[str, Any]) -> str:
    note = "of completed and stored work" if document.get("retainage_percent") else ""
    if document.get("retainage_varies"):
        note = "standard rate; some lines carry their own rate (column I)"
    lines: Sequence[Mapping[str, Any]] = document["lines"]
    released = sum((Decimal(line["retainage_released"]) for line in lines), ZERO)
    if released:
        note += f"{'; ' if note else ''}{dollars(str(released))} released this period"
    return note


def summary_table(document: Mapping[str, Any], width: float) -> Table:
    """The nine G702 lines; every amount is the report's own string, re-punctuated only."""
    totals: Mapping[str, str] = document["totals"]
    rows: list[list[Any]] = []
    for name, label in G702_LABELS.items():
        due = name == "current_payment_due"
        note = NOTES.get(name, "")
        if name == "net_change_by_change_orders" and document.get("change_orders"):
            note = "the change orders listed below"
        if name == "retainage":
            note = retainage_note(document)
            if document.get("retainage_percent") is not None:
                label += f" ({document['retainage_percent']}%)"
        cell: list[Flowable] = [Paragraph(text(label), LINE_DUE if due else BODY)]
        if note:
            cell.append(Paragraph(text(note), NOTE))
        rows.append([cell, Paragraph(dollars(totals[name]), AMOUNT_DUE if due else AMOUNT)])
    table = Table(rows, colWidths=[width * 0.7, width * 0.3])
    due_row = list(G702_LABELS).index("current_payment_due")
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.8, INK),
                ("LINEBELOW", (0, 0), (-1, -2), 0.4, RULE),
                ("LINEBEFORE", (1, 0), (1, -1), 0.4, RULE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                ("BACKGROUND", (0, due_row), (-1, due_row), SHADE),
                ("BOX", (0, due_row), (-1, due_row), 1.2, INK),
            ]
        )
    )
    return table


def change_orders_block(document: Mapping[str, Any], width: float) -> list[Flowable]:
    """The change orders that count for this period, adding up to G702 line 2."""
    orders: Sequence[Mapping[str, Any]] = document.get("change_orders") or []
    if not orders:
        return []
    heading = Paragraph(f"CHANGE ORDERS ({len(orders)})", HEADING)
    rows: list[list[Any]] = [["Number", "Title", "Approved", "Amount"]]
    rows += [
        [
            text(o["number"]),
            Paragraph(text(o["title"]), BODY),
            day(o["approved_on"]),
            dollars(o["amount"]),
        ]
        for o in orders
    ]
    total = document["totals"]["net_change_by_change_orders"]
    rows.append(["", "Net change by change orders (line 2)", "", dollars(total)])
    table = Table(
        rows, colWidths=[width * 0.14, width * 0.52, width * 0.14, width * 0.2], repeatRows=1
    )
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), BOLD, 7),
                ("FONT", (0, 1), (-1, -1), "Helvetica", 8),
                ("FONT", (0, -1), (-1, -1), BOLD, 8),
                ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, INK),
                ("LINEBELOW", (0, 1), (-1, -2), 0.3, RULE),
                ("LINEABOVE", (0, -1), (-1, -1), 0.6, INK),
                ("ALIGN", (3, 0), (3, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return [heading, table]


def attachments_block(document: Mapping[str, Any], width: float) -> list[Flowable]:
    files: Sequence[Mapping[str, Any]] = document.get("attachments") or []
    heading = Paragraph(f"ATTACHMENTS ({len(files)})", HEADING)
    if not files:
        return [heading, Paragraph("No attachments.", BODY)]
    rows = [["File", "Type", "Size"]] + [
        [Paragraph(text(f["filename"]), BODY), text(f["content_type"]), file_size(f["size"])]
        for f in files
    ]
    table = Table(rows, colWidths=[width * 0.6, width * 0.26, width * 0.14], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), BOLD, 7),
                ("FONT", (1, 1), (-1, -1), "Helvetica", 8),
                ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, INK),
                ("LINEBELOW", (0, 1), (-1, -1), 0.3, RULE),
                ("ALIGN", (2, 0), (2, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return [heading, table]


def _table(rows: list[list[Any]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), BOLD, 7),
                ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, INK),
                ("LINEBELOW", (0, 1), (-1, -1), 0.3, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def review_block(document: Mapping[str, Any], width: float) -> list[Flowable]:
    """The administrator's review: lines approved at another amount than billed, with the
    reasons for the difference, and every status change of the invoice."""
    out: list[Flowable] = []
    differences = [
        line for line in document["lines"] if (line.get("review") or {}).get("billed_value")
    ]
    if differences:
        rows: list[list[Any]] = [
            ["Line", "Billed this period", "Approved", "Reasons for difference"]
        ]
        rows += [
            [
                text(line["line"]),
                dollars(line["review"]["billed_value"]),
                dollars(line["new_value"]),
                Paragraph(text(line["review"].get("reason") or DASH), BODY),
            ]
            for line in differences
        ]
        widths = [width * 0.08, width * 0.18, width * 0.16, width * 0.58]
        out += [Paragraph("REASONS FOR DIFFERENCE", HEADING), _table(rows, widths)]
    returned = [
        line for line in document["lines"] if (line.get("review") or {}).get("status") == "rejected"
    ]
    if returned and document.get("status") == "revise_and_resubmit":
        rows = [["Line", "Returned for revision because"]]
        rows += [
            [text(line["line"]), Paragraph(text(line["review"].get("reason") or DASH), BODY)]
            for line in returned
        ]
        out += [
            Paragraph("RETURNED FOR REVISION", HEADING),
            _table(rows, [width * 0.08, width * 0.92]),
        ]
    events = document.get("history") or []
    if events:
        rows = [["When", "Who", "Channel", "From", "To", "Note"]]
        rows += [
            [
                day(event["at"]),
                Paragraph(text(event.get("by") or DASH), BODY),
                text(event.get("channel") or DASH),
                # Wrapped: "Revise and Resubmit" is wider than its column.
                Paragraph(status_label(event["from"]) if event.get("from") else DASH, BODY),
                Paragraph(status_label(event["to"]), BODY),
                Paragraph(text(event.get("note") or ""), BODY),
            ]
            for event in events
        ]
        widths = [width * f for f in (0.13, 0.16, 0.09, 0.15, 0.15, 0.32)]
        out += [Paragraph("HISTORY", HEADING), _table(rows, widths)]
    return out


def signature_block(document: Mapping[str, Any], width: float) -> Table:
    if document.get("submitted_at"):
        who = document.get("submitted_by") or "the invoice contact"
        submitted = f"Sent by {text(who)} on {day(document['submitted_at'])}."
    elif document.get("status") in (None, "draft"):
        submitted = "Not yet sent for review."
    else:  # imported as sent: the file gave no date
        submitted = "Sent for review (imported: the date is not recorded)."
    sign = "By: ______________________________  Date: ______________"
    left = _box("Subcontractor", _or_dash(document.get("vendor")), submitted)
    certified = "Amount certified: $____________"
    if document.get("status") in ("approved", "approved_as_noted"):
        certified = f"Amount certified: {dollars(document['totals']['current_payment_due'])}"
    right = _box("General contractor", _or_dash(document.get("owner")), certified)
    rows = [[left, right], [Paragraph(sign, BODY), Paragraph(sign, BODY)]]
    table = Table(rows, colWidths=[width / 2, width / 2])
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.8, INK),
                ("LINEBEFORE", (1, 0), (1, -1), 0.4, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 1), (-1, 1), 18),
                ("BOTTOMPADDING", (0, 1), (-1, 1), 8),
            ]
        )
    )
    return table


def g702_story(document: Mapping[str, Any], width: float) -> list[Flowable]:
    """Flowables of the application page, to be followed by the continuation sheets."""
    return [
        Paragraph("APPLICATION AND CERTIFICATE FOR PAYMENT", TITLE),
        Paragraph("AIA G702 / G703 format · continuation sheets follow", SUBTITLE),
        Spacer(1, 10),
        header_block(document, width),
        Paragraph("CONTRACTOR'S APPLICATION FOR PAYMENT", HEADING),
        summary_table(document, width),
        *change_orders_block(document, width),
        *attachments_block(document, width),
        *review_block(document, width),
        Spacer(1, 12),
        KeepTogether([signature_block(document, width)]),
    ]
