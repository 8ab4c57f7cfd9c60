"""`billbot status --period KEY [--json]` (DESIGN §4, §6): the period board in the terminal.

Registered in `bot.cli`; the data is `models.board`, heavy imports stay inside the command.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from models.board import Board, BoardRow

HEADINGS = (
    "Commitment",
    "Contact",
    "Invited",
    "Reminders",
    "Status",
    "Invoice",
    "Payment due",
    "Last activity",
)
RIGHT = frozenset({"Payment due"})
TITLE_WIDTH = 24


def status(
    ctx: typer.Context,
    period: Annotated[str, typer.Option(help="Billing period key, e.g. nov.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list (one per row).")] = (
        False
    ),
) -> None:
    """The period's board: one row per commitment and contact — invited (when, which
    channels), reminders sent, status, amount this period, last activity."""
    from bot.cli import fail, in_database, open_database
    from models.board import BoardError, board_json, period_board
    from models.db import session_scope

    with open_database(ctx) as engine, session_scope(engine) as session:
        try:
            found = period_board(session, period_key=period)
        except BoardError as exc:
            fail(f"{exc}{in_database(ctx)}")
    if as_json:
        typer.echo(json.dumps(board_json(found), indent=2, ensure_ascii=False))
    else:
        typer.echo(render_board(found))


def render_board(board: Board) -> str:
    """The board as a heading, a summary line, an aligned table, the payment due of approved
    invoices and apart of the others, and what the columns mean."""
    from conversations.context import PeriodInfo, format_date
    from models.money import format_dollars

    info = PeriodInfo(board.period_id, board.start, board.end, board.billing_date, board.due_date)
    zone = board.zone
    lines = [
        f"{board.project} · {info.label} ({board.period_key}) · billing date "
        f"{format_date(board.billing_date)} · due {format_date(board.due_date)}",
        board.summary() + ".",
        "",
    ]
    if not board.rows:
        return "\n".join([*lines, "No commitments on this project."])
    rows = [HEADINGS, *(_cells(row, zone) for row in board.rows)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADINGS))]
    for number, row in enumerate(rows):
        cells = [
            cell.rjust(widths[i]) if HEADINGS[i] in RIGHT else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    bounces = _bounces(board, zone)
    if bounces:
        lines += ["", *bounces]
    lines += [
        "",
        f"Payment due of approved invoices: {format_dollars(board.payment_due(certified=True))}; "
        "not approved (drafts, under review, returned; marked *): "
        f"{format_dollars(board.payment_due(certified=False))}.",
        "Payment due: the invoice's current payment due (G702 line 8); * not certified. "
        f"Times are {board.timezone} time.",
    ]
    return "\n".join(lines)


def _bounces(board: Board, zone: ZoneInfo) -> list[str]:
    """A line for each contact an email came back undelivered from: the address, when, and
    what the receiving server said."""
    found = []
    for row in board.rows:
        if row.bounced is not None:
            said = f": {row.bounced.diagnostic}" if row.bounced.diagnostic else ""
            found.append(
                f"Email bounced: {row.bounced.address} ({row.commitment} {row.contact}) on "
                f"{_when(row.bounced.at, zone)}{said}"
            )
    return found


def _cells(row: BoardRow, zone: ZoneInfo) -> tuple[str, ...]:
    title = row.title if len(row.title) <= TITLE_WIDTH else row.title[: TITLE_WIDTH - 1] + "…"
    invited = "not invited"
    if row.invited_at:
        invited = f"{_when(row.invited_at, zone)} {'+'.join(row.channels)}"
    if row.bounced:
        invited += " (email bounced)"
    reminders = str(row.reminders)
    if row.last_reminder_at:
        reminders += f" (last {_when(row.last_reminder_at, zone)[:10]})"
    return (
        f"{row.commitment} {title}",
        row.contact or "(no invoice contact)",
        invited,
        reminders,
        row.status_words,
        row.invoice or "",
        _due(row),
        _when(row.last_activity, zone) if row.last_activity else "",
    )


def _due(row: BoardRow) -> str:
    """The row's payment due; `*` marks one not certified (a draft, under review, returned)."""
    from models.money import format_dollars

    if row.current_payment_due is None:
        return ""
    return format_dollars(row.current_payment_due) + ("  " if row.certified else " *")


def _when(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"
