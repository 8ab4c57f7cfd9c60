"""The `Fill in all lines` modal: one text input per SOV line (and one for retainage
released where retainage is held), paged so a view stays under Slack's 100 blocks.

Answers use the chat forms (`45%`, `30 LF`, `$4,500`, `done`, `skip`), so a number input
would not do. Each submitted page goes to the engine as `Turn(line_values=...)`: valid
answers are kept at once, invalid ones come back as `response_action: errors`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from conversations.render import including
from conversations.store import load_state
from conversations.types import FieldError
from models.billing import LineEntry, LineHistory, LineTerms
from models.conversation import Conversation
from models.i18n import ENGLISH, N_, Words
from models.ledger import load_ledger
from models.money import ZERO, format_dollars, format_quantity
from models.tables import BillingPeriod, Commitment, Invoice

from .blocks import Block
from .text import cut

CALLBACK = "fill_lines"
LINES_PER_PAGE = 40
BLOCKS_PER_PAGE = 90  # Slack allows 100 in a modal
HINT = N_(
    "Answer like in chat: `45%` (total to date), `+10%` (this period), `30 LF`, `$4,500`, "
    "`done` or `skip`. Leave a line empty to answer it later."
)


@dataclass(frozen=True)
class LineRow:
    number: str
    label: str
    initial: str
    retainage_held: str | None  # the balance held before this period, when there is one
    initial_released: str


@dataclass(frozen=True)
class Meta:
    commitment_id: int
    period_id: int
    page: int
    channel: str | None = None
    thread_ts: str | None = None

    def dump(self, page: int | None = None) -> str:
        return json.dumps(
            {
                "c": self.commitment_id,
                "p": self.period_id,
                "page": self.page if page is None else page,
                "ch": self.channel,
                "th": self.thread_ts,
            }
        )

    @classmethod
    def load(cls, text: str) -> Meta:
        data = json.loads(text or "{}")
        return cls(
            int(data["c"]), int(data["p"]), int(data.get("page", 0)), data.get("ch"), data.get("th")
        )


def load_rows(session: Session, *, commitment_id: int, period_id: int) -> list[LineRow]:
    """Every SOV line with what is left to bill and the answer entered so far."""
    commitment = session.get(Commitment, commitment_id)
    period = session.get(BillingPeriod, period_id)
    if commitment is None or period is None:
        return []
    ledger = load_ledger(session, commitment=commitment, period=period)
    conversation = session.exec(
        select(Conversation).where(
            Conversation.commitment_id == commitment_id, Conversation.period_id == period_id
        )
    ).first()
    invoice = session.exec(
        select(Invoice).where(
            Invoice.commitment_id == commitment_id, Invoice.period_id == period_id
        )
    ).first()
    entries: Mapping[str, LineEntry] = {}
    if conversation is not None:
        entries = load_state(session, conversation, invoice).entries
    rows = []
    for line in ledger.lines:
        terms, history = ledger.terms[line.number], ledger.histories[line.number]
        entry = entries.get(line.number)
        held = history.retainage_balance
        rows.append(
            LineRow(
                number=line.number,
                label=cut(f"{line.number} · {line.description} — {_left(terms, history)}", 2000),
                initial=_initial(terms, entry) if entry is not None else "",
                retainage_held=f"{format_dollars(held)}" if held > 0 else None,
                initial_released=(
                    f"{format_dollars(entry.retainage_released)}"
                    if entry is not None and entry.retainage_released
                    else ""
                ),
            )
        )
    return rows


def _left(terms: LineTerms, history: LineHistory) -> str:
    if terms.is_unit:
        uom = f" {terms.uom}" if terms.uom else ""
        left = (terms.quantity or ZERO) - history.previous_quantity
        return (
            f"{format_quantity(left)}{uom} of {format_quantity(terms.quantity or ZERO)}{uom}"
            f"{including(terms.change_orders)} left"
        )
    left = terms.value - history.previous_value
    return (
        f"{format_dollars(left)} of {format_dollars(terms.value)}"
        f"{including(terms.change_orders)} left"
    )


def _initial(terms: LineTerms, entry: LineEntry) -> str:
    """The entry as an answer the engine reads back to the same entry."""
    if terms.is_unit:
        quantity = entry.new_quantity or ZERO
        return "skip" if not quantity else f"{format_quantity(quantity)} {terms.uom or 'units'}"
    if not entry.new_value and not entry.materials_stored:
        return "skip"
    text = f"{format_dollars(entry.new_value)}"
    if entry.materials_stored:
        text += f" and stored {format_dollars(entry.materials_stored)}"
    return text


def paginate(rows: Sequence[LineRow]) -> list[list[LineRow]]:
    """Rows in pages of at most 40 lines and 90 blocks."""
    pages: list[list[LineRow]] = [[]]
    used = 0
    for row in rows:
        cost = 2 if row.retainage_held else 1
        if len(pages[-1]) >= LINES_PER_PAGE or used + cost > BLOCKS_PER_PAGE - 2:
            pages.append([])
            used = 0
        pages[-1].append(row)
        used += cost
    return pages if pages[0] else []


def page_view(rows: Sequence[LineRow], meta: Meta, _: Words = ENGLISH) -> dict[str, Any]:
    """The modal showing page `meta.page` of the commitment's lines."""
    pages = paginate(rows)
    page = min(meta.page, len(pages) - 1)
    shown = pages[page]
    first = sum(len(p) for p in pages[:page]) + 1
    last = first + len(shown) - 1
    where = _("Lines {first}–{last} of {count}", first=first, last=last, count=len(rows))
    if len(pages) > 1:
        where += " " + _("(page {page} of {pages})", page=page + 1, pages=len(pages))
    blocks: list[Block] = [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"*{where}.* {_(HINT)}"}]}
    ]
    for row in shown:
        blocks.append(
            _input(
                f"line:{row.number}",
                row.label,
                row.initial,
                _("e.g. 45%, 30 units, $4,500, done, skip"),
            )
        )
        if row.retainage_held:
            blocks.append(
                _input(
                    f"ret:{row.number}",
                    _(
                        "{line} · retainage released (held {held})",
                        line=row.number,
                        held=row.retainage_held,
                    ),
                    row.initial_released,
                    _("e.g. $500 or all"),
                )
            )
    more = page < len(pages) - 1
    return {
        "type": "modal",
        "callback_id": CALLBACK,
        "private_metadata": meta.dump(page),
        "title": {"type": "plain_text", "text": _("Fill in all lines")},
        "submit": {"type": "plain_text", "text": _("Next page") if more else _("Save")},
        "close": {"type": "plain_text", "text": _("Cancel")},
        "blocks": blocks,
    }


def _input(block_id: str, label: str, initial: str, placeholder: str) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "action_id": "value",
        "placeholder": {"type": "plain_text", "text": placeholder},
    }
    if initial:
        element["initial_value"] = initial
    return {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": {"type": "plain_text", "text": label},
        "element": element,
    }


def is_last_page(rows: Sequence[LineRow], page: int) -> bool:
    return page >= len(paginate(rows)) - 1


def submitted_values(view: Mapping[str, Any]) -> dict[str, str]:
    """`{line: answer}` from a submitted page; retainage joins its line's answer."""
    values = (view.get("state") or {}).get("values") or {}
    answers: dict[str, str] = {}
    released: dict[str, str] = {}
    for block_id, actions in values.items():
        kind, _, line = block_id.partition(":")
        text = str(((actions or {}).get("value") or {}).get("value") or "").strip()
        if not line or not text:
            continue
        if kind == "line":
            answers[line] = text
        elif kind == "ret":
            released[line] = (
                text if text.lower().startswith(("ret", "release")) else (f"retainage {text}")
            )
    for line, text in released.items():
        answers[line] = f"{answers[line]} and {text}" if line in answers else text
    return answers


def field_errors(errors: Sequence[FieldError], view: Mapping[str, Any]) -> dict[str, str]:
    """`response_action: errors` for the engine's field errors, keyed by block id."""
    block_ids = {block.get("block_id") for block in view.get("blocks") or []}
    found: dict[str, str] = {}
    for error in errors:
        retainage = "retainage" in error.message.lower() and f"ret:{error.line}" in block_ids
        block_id = f"ret:{error.line}" if retainage else f"line:{error.line}"
        if block_id in block_ids:
            found.setdefault(block_id, cut(error.message, 300))
    return found
