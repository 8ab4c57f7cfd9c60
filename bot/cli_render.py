"""Plain-text rendering of invoice reports (`models.report.invoice_report`) for the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from models.money import format_money, format_unit_price
from models.outbox import OutboundMessage
from models.report import G702_LABELS
from models.tables import as_utc, local_time

DESCRIPTION_WIDTH = 32


def _money(text: str) -> str:
    return format_money(Decimal(text))


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _columns(lines: Sequence[dict[str, Any]]) -> list[tuple[str, str, bool]]:
    """(heading, report key, is money) for the G703 table, dropping columns that cannot apply."""
    columns = [
        ("Line", "line", False),
        ("Description", "description", False),
        ("Scheduled", "scheduled_value", True),
        ("Previous", "previous_value", True),
    ]
    if any(line["new_quantity"] is not None for line in lines):
        columns.append(("Unit price", "unit_price", False))
        columns.append(("Qty", "new_quantity", False))
    columns.append(("This period", "new_value", True))
    if any(line["new_quantity"] is None for line in lines):
        columns.append(("Stored", "materials_stored", True))
    columns += [
        ("To date", "completed_to_date", True),
        ("%", "total_percent", False),
        ("Balance", "balance_to_finish", True),
        ("Retainage", "retainage_total", True),
    ]
    return columns


def _cell(line: dict[str, Any], key: str, is_money: bool) -> str:
    value = line[key]
    if value is None:
        return ""
    if is_money:
        return _money(value)
    if key == "description":
        return _cut(value, DESCRIPTION_WIDTH)
    if key == "unit_price":
        return format_unit_price(Decimal(value))
    return str(value)


def _table(rows: list[list[str]], left: int) -> list[str]:
    """Rows of cells; the first `left` columns are left-aligned, the rest right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(width) if i < left else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def render_invoice(report: dict[str, Any]) -> str:
    """One invoice: a heading, the G703 lines with a totals row, the G702 totals, attachments."""
    lines = report["lines"]
    columns = _columns(lines)
    rows = [[heading for heading, _key, _money_col in columns]]
    rows += [[_cell(line, key, is_money) for _h, key, is_money in columns] for line in lines]
    totals = ["", "Totals"]
    for _heading, key, is_money in columns[2:]:
        summed = sum((Decimal(line[key]) for line in lines), Decimal(0)) if is_money else None
        totals.append("" if summed is None else format_money(summed))
    rows.append(totals)
    table = _table(rows, left=2)
    rule = "-" * max(len(row) for row in table)
    out = [
        f"{report['commitment']}/{report['number']} · {report['project']} · "
        f"period {report['period']} · {report['status']}",
        table[0],
        rule,
        *table[1:-1],
        rule,
        table[-1],
        "",
    ]
    width = max(len(label) for label in G702_LABELS.values())
    amounts = [_money(value) for value in report["totals"].values()]
    amount_width = max(len(amount) for amount in amounts)
    for name, amount in zip(report["totals"], amounts, strict=True):
        out.append(f"  {G702_LABELS.get(name, name).ljust(width)}  {amount.rjust(amount_width)}")
    orders = report.get("change_orders") or []
    if orders:
        out += ["", "Change orders:"]
        out += [
            f"  {o['number']} {o['title']} (approved {o['approved_on']})  {_money(o['amount'])}"
            for o in orders
        ]
    attachments = report["attachments"]
    out.append("")
    if attachments:
        out.append("Attachments:")
        out += [
            f"  {a['filename']} ({a['content_type']}, {a['size']:,} bytes)" for a in attachments
        ]
    else:
        out.append("Attachments: none")
    out += _review_lines(report)
    return "\n".join(out)


def _review_lines(report: dict[str, Any]) -> list[str]:
    """The administrator's review of each line that needs a word, then the history."""
    out: list[str] = []
    for line in report["lines"]:
        review = line.get("review")
        if not review:
            continue
        why = f": {review['reason']}" if review.get("reason") else ""
        if review["status"] == "rejected":
            out.append(f"  line {line['line']}: returned for revision{why}")
        elif review.get("billed_value"):
            out.append(
                f"  line {line['line']}: billed {_money(review['billed_value'])}, approved "
                f"{_money(line['new_value'])}{why}"
            )
    if out:
        out.insert(0, "Review:")
    if report.get("history"):
        out.append("History:")
        for event in report["history"]:
            who = f" by {event['by']}" if event.get("by") else ""
            via = f" ({event['channel']})" if event.get("channel") else ""
            note = f" — {event['note']}" if event.get("note") else ""
            start = event["from"] or "new"
            # the project's clock, named (`2026-11-30 21:00 EST`), as `billbot status` keeps it
            at = local_time(datetime.fromisoformat(event["at"]), report.get("timezone"))
            out.append(f"  {at:%Y-%m-%d %H:%M %Z} {start} → {event['to']}{who}{via}{note}")
    return out


def outbox_row(row: OutboundMessage) -> dict[str, Any]:
    """One outbox row as `billbot outbox --json` prints it."""
    return {
        "id": row.id,
        "channel": row.channel,
        "kind": row.kind,
        "recipient": row.recipient,
        "subject": row.subject,
        "status": str(row.status),
        "attempts": row.attempts,
        "created_at": as_utc(row.created_at).isoformat(),
        "next_attempt_at": (
            as_utc(row.next_attempt_at).isoformat() if row.status == "pending" else None
        ),
        "error": row.last_error,
    }


def render_outbox(rows: Sequence[dict[str, Any]], *, failed_only: bool) -> str:
    """The rows of `billbot outbox`, each with why it is there and what happens next."""
    if not rows:
        return "No failed messages." if failed_only else "No stuck or failed messages."
    out = []
    for row in rows:
        about = row["subject"] or row["kind"]
        if row["status"] == "failed":
            state = f"FAILED after {row['attempts']} attempt(s); retry with --retry {row['id']}"
        else:
            state = f"waiting, {row['attempts']} attempt(s) so far; next {row['next_attempt_at']}"
        out.append(f"#{row['id']} {row['channel']} {row['kind']} to {row['recipient']}: {about}")
        out.append(f"    {state}")
        out.append(f"    reason: {row['error'] or 'not sent yet (is `billbot run` running?)'}")
    return "\n".join(out)
