"""The period board on an administrator's App Home (DESIGN §6): each open period of their
projects at a glance — a summary line, then one line per commitment and contact — within
the blocks the Home tab has left (`billbot status` shows the whole of a longer one)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from conversations.context import PeriodInfo, format_date
from conversations.render import money
from models.board import Board, BoardRow
from models.i18n import ENGLISH, Words

from .blocks import SECTION_CHARS, Block, header, section
from .text import cut, escape


def board_blocks(boards: Sequence[Board], *, budget: int, _: Words = ENGLISH) -> list[Block]:
    """The boards in at most `budget` blocks, in the administrator's language."""
    blocks: list[Block] = [header(_("Billing board"))]
    if not boards:
        blocks.append(section(escape(_("No billing period of your projects is open right now."))))
        return blocks
    for board in boards:
        info = PeriodInfo(
            board.period_id, board.start, board.end, board.billing_date, board.due_date
        )
        zone = board.zone
        dates = _(
            "billing date {billing_date}, due {due_date}",
            billing_date=format_date(board.billing_date),
            due_date=format_date(board.due_date),
        )
        head = (
            f"*{escape(board.project)} · {info.label}* — {escape(dates)}\n"
            f"{escape(board.summary(_))}."
        )
        pieces = [head, *_row_chunks(board.rows, zone, _)]
        room = budget - len(blocks) - 1  # one for the closing context
        if room <= 0:
            break
        if len(pieces) > room:
            shown = pieces[: max(room - 1, 1)]
            more = _(
                "More rows: run `billbot status --period {key}`.", key=escape(board.period_key)
            )
            rest = f"_{more}_"
            pieces = [*shown, rest]
        blocks += [section(piece) for piece in pieces]
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": _(
                        "Amounts are each invoice's current payment due (G702 line 8). "
                        "`billbot status --period KEY` prints the whole board."
                    ),
                }
            ],
        }
    )
    return blocks[:budget]


def _row_chunks(rows: Sequence[BoardRow], zone: ZoneInfo, _: Words) -> list[str]:
    """The rows as mrkdwn lines, grouped into sections under Slack's 3000 characters."""
    chunks: list[str] = []
    current = ""
    for row in rows:
        line = cut(_row(row, zone, _), 600)
        if current and len(current) + len(line) + 1 > SECTION_CHARS:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


def _row(row: BoardRow, zone: ZoneInfo, _: Words = ENGLISH) -> str:
    """`• SC-007 Electrical — Sam Sparks: *under review* · INV-0042 · $14,715.00 due · invited
    Nov 2 (email, slack) · 2 reminders · last activity Nov 20`."""
    nobody = _("no invoice contact")
    who = escape(row.contact) if row.contact else f"_{escape(nobody)}_"
    status = escape(row.status_text(_))
    parts = [f"• *{escape(row.commitment)}* {escape(row.title)} — {who}: *{status}*"]
    if row.invoice:
        parts.append(escape(row.invoice))
    if row.current_payment_due is not None:
        parts.append(_("{amount} due", amount=money(row.current_payment_due)))
    if row.invited_at:
        invited = _(
            "invited {date} ({channels})",
            date=_day(row.invited_at, zone),
            channels=", ".join(row.channels),
        )
        parts.append(invited)
    else:
        parts.append(_("not invited"))
    if row.bounced is not None:  # reminders are not emailed there: the administrator must know
        bounced = _(
            "email to {address} bounced {date}",
            address=row.bounced.address,
            date=_day(row.bounced.at, zone),
        )
        parts.append(f":warning: {escape(bounced)}")
    if row.reminders:
        parts.append(_.plural("{count} reminder", "{count} reminders", row.reminders))
    if row.last_activity:
        parts.append(_("last activity {date}", date=_day(row.last_activity, zone)))
    return " · ".join(parts)


def _day(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%b} {local.day}"
