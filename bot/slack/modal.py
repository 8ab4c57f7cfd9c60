"""The `Fill in all lines` modal: one text input per SOV line (and one for retainage
released where retainage is held), paged so a view stays under Slack's 100 blocks.

Answers use the chat forms (`45%`, `30 LF`, `$4,500`, `done`, `skip`), so a number input
would not do. Each submitted page goes to the engine as `Turn(line_values=...)`: valid
answers are kept at once, invalid ones come back as `response_action: errors`.

A field is prefilled with the line's answer so far, written so that it reads back to the
same entry; a line whose fields come back as they were prefilled (or emptied) is not sent
at all, so an untouched field never changes an answer. Lines approved at a review and
locked while the returned ones are revised are shown as text, without a field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session, select

from conversations.answers import LineAnswer, Problem
from conversations.parse import parse_line_value
from conversations.render import including
from conversations.store import load_state
from conversations.types import FieldError
from models.billing import LineEntry, LineHistory, LineTerms, with_new_quantity
from models.conversation import Conversation
from models.i18n import ENGLISH, N_, Words, words
from models.ledger import load_ledger
from models.money import ZERO, format_dollars, format_quantity
from models.review import line_reviews
from models.tables import BillingPeriod, Commitment, Invoice, InvoiceStatus, LineReviewStatus

from .blocks import Block
from .text import cut

CALLBACK = "fill_lines"
LINES_PER_PAGE = 40
BLOCKS_PER_PAGE = 90  # Slack allows 100 in a modal
HINT = N_(
    "Answer like in chat: `45%` (total to date), `+10%` (this period), `30 LF`, `$4,500`, "
    "`done` or `skip`. Leave a line empty to answer it later."
)
KEPT_HINT = N_(
    "A line that has an answer keeps it when you leave it as it is or empty it; write `skip` "
    "for nothing this period."
)
AMOUNT_TOO = N_(
    "Fill in this line's amount too (`skip` for nothing this period): retainage released "
    "goes with the line's answer, and this line has none yet."
)
RETAINAGE_FIELD = N_(
    "This field takes the retainage released this period: an amount such as `$500`, or "
    "`all` for all that is held. The line's progress goes in the field above."
)
UNKNOWN = N_(
    "I don't know you yet: your Slack account is not one of the invoice contacts. Nothing "
    "was changed."
)


@dataclass(frozen=True)
class LineRow:
    number: str
    description: str
    left: str  # what is left to bill: `900 LF`, `$4,500.00`
    scheduled: str  # the line's total: `1,200 LF`, `$10,000.00`
    change_orders: tuple[str, ...]
    initial: str  # the answer so far, as an answer that reads back to the same entry
    retainage_held: str | None  # the balance held before this period, when there is one
    initial_released: str
    locked: str | None = None  # approved at a review: this period's amount, and no field

    def label(self, _: Words = ENGLISH) -> str:
        return cut(
            _(
                "{line} · {description} — {left} of {scheduled}{including} left",
                line=self.number,
                description=self.description,
                left=self.left,
                scheduled=self.scheduled,
                including=including(self.change_orders, _),
            ),
            2000,
        )


@dataclass(frozen=True)
class Meta:
    commitment_id: int
    period_id: int
    page: int
    channel: str | None = None
    thread_ts: str | None = None
    language: str | None = None  # the modal's, for a refusal when its person is unknown

    def dump(self, page: int | None = None, language: str | None = None) -> str:
        return json.dumps(
            {
                "c": self.commitment_id,
                "p": self.period_id,
                "page": self.page if page is None else page,
                "ch": self.channel,
                "th": self.thread_ts,
                "l": language or self.language,
            }
        )

    @classmethod
    def load(cls, text: str) -> Meta:
        data = json.loads(text or "{}")
        return cls(
            int(data["c"]),
            int(data["p"]),
            int(data.get("page", 0)),
            data.get("ch"),
            data.get("th"),
            data.get("l"),
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
    locked = _locked_lines(session, invoice)
    rows = []
    for line in ledger.lines:
        terms, history = ledger.terms[line.number], ledger.histories[line.number]
        entry = entries.get(line.number)
        held = history.retainage_balance
        left, scheduled = _left(terms, history)
        billed = entry or LineEntry()
        rows.append(
            LineRow(
                number=line.number,
                description=line.description,
                left=left,
                scheduled=scheduled,
                change_orders=terms.change_orders,
                initial=_initial(terms, history, entry) if entry is not None else "",
                retainage_held=f"{format_dollars(held)}" if held > 0 else None,
                initial_released=(
                    f"{format_dollars(entry.retainage_released)}"
                    if entry is not None and entry.retainage_released
                    else ""
                ),
                locked=(
                    format_dollars(billed.new_value + billed.materials_stored)
                    if line.number in locked
                    else None
                ),
            )
        )
    return rows


def _locked_lines(session: Session, invoice: Invoice | None) -> frozenset[str]:
    """The lines approved at the review of an invoice returned for revision (as
    `InvoiceInfo.locked` reads them): they stay as they are while the others change."""
    if invoice is None or invoice.status != InvoiceStatus.revise_and_resubmit:
        return frozenset()
    return frozenset(
        number
        for number, review in line_reviews(session, invoice).items()
        if review.status == LineReviewStatus.approved
    )


def _left(terms: LineTerms, history: LineHistory) -> tuple[str, str]:
    """(left to bill, scheduled) in the line's own terms: `900 LF`, `1,200 LF`."""
    if terms.is_unit:
        uom = f" {terms.uom}" if terms.uom else ""
        left = (terms.quantity or ZERO) - history.previous_quantity
        return f"{format_quantity(left)}{uom}", f"{format_quantity(terms.quantity or ZERO)}{uom}"
    left = terms.value - history.previous_value
    return format_dollars(left), format_dollars(terms.value)


def _initial(terms: LineTerms, history: LineHistory, entry: LineEntry) -> str:
    """The entry as an answer the engine reads back to the same entry. On a unit line, the
    quantity when it is exact in six places (`3 EA`), else this period's dollars: $10,000
    of panels at $42,000 is 0.238095 EA, which reads back as $9,999.99."""
    if terms.is_unit:
        quantity = entry.new_quantity or ZERO
        if not quantity and not entry.new_value:
            return "skip"
        written = format_quantity(quantity)
        if _reads_back(terms, history, entry, written):
            return f"{written} {terms.uom or 'units'}"
        return format_dollars(entry.new_value)
    if not entry.new_value and not entry.materials_stored:
        return "skip"
    text = f"{format_dollars(entry.new_value)}"
    if entry.materials_stored:
        text += f" and stored {format_dollars(entry.materials_stored)}"
    return text


def _reads_back(terms: LineTerms, history: LineHistory, entry: LineEntry, written: str) -> bool:
    try:
        quantity = Decimal(written.replace(",", ""))
    except InvalidOperation:
        return False
    again = with_new_quantity(terms, entry, quantity, history).stored()
    stored = entry.stored()
    return (again.new_quantity, again.new_value) == (stored.new_quantity, stored.new_value)


def _cost(row: LineRow) -> int:
    return 2 if row.retainage_held and not row.locked else 1


def paginate(rows: Sequence[LineRow]) -> list[list[LineRow]]:
    """Rows in pages of at most 40 lines and 90 blocks."""
    pages: list[list[LineRow]] = [[]]
    used = 0
    for row in rows:
        cost = _cost(row)
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
    hint = _(HINT)
    if any(row.initial and not row.locked for row in shown):
        hint += " " + _(KEPT_HINT)
    blocks: list[Block] = [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"*{where}.* {hint}"}]}
    ]
    for row in shown:
        blocks += _row_blocks(row, _)
    more = page < len(pages) - 1
    return {
        "type": "modal",
        "callback_id": CALLBACK,
        "private_metadata": meta.dump(page, _.language),
        "title": {"type": "plain_text", "text": _("Fill in all lines")},
        "submit": {"type": "plain_text", "text": _("Next page") if more else _("Save")},
        "close": {"type": "plain_text", "text": _("Cancel")},
        "blocks": blocks,
    }


def _row_blocks(row: LineRow, _: Words) -> list[Block]:
    if row.locked is not None:
        text = _(
            "{line} · {description} — approved and locked at {amount} this period",
            line=row.number,
            description=row.description,
            amount=row.locked,
        )
        return [
            {
                "type": "context",
                "block_id": f"locked:{row.number}",
                "elements": [{"type": "plain_text", "text": cut(text, 2000)}],
            }
        ]
    example = _("e.g. 45%, 30 units, $4,500, done, skip")
    blocks = [
        _input(f"line:{row.number}", row.label(_), row.initial, _kept(row.initial, example, _))
    ]
    if row.retainage_held:
        label = _(
            "{line} · retainage released (held {held})",
            line=row.number,
            held=row.retainage_held,
        )
        placeholder = _kept(row.initial_released, _("e.g. $500 or all"), _)
        blocks.append(_input(f"ret:{row.number}", label, row.initial_released, placeholder))
    return blocks


def _kept(initial: str, example: str, _: Words) -> str:
    """A field's placeholder, shown when it is empty: what an emptied answer becomes."""
    if not initial:
        return example
    return cut(_("Left empty, it stays {answer}", answer=initial), 150)


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
    """`{line: answer}` from a submitted page; retainage joins its line's answer.

    A line whose fields all come back as they were prefilled, or emptied, is left out: its
    answer stays as it is (the hint says so), and an untouched field never re-records it."""
    values = (view.get("state") or {}).get("values") or {}
    initial = _initial_values(view)
    typed: dict[str, dict[str, str]] = {}
    for block_id, actions in values.items():
        kind, _, line = block_id.partition(":")
        text = str(((actions or {}).get("value") or {}).get("value") or "").strip()
        if line and kind in ("line", "ret"):
            typed.setdefault(line, {})[kind] = text
    answers: dict[str, str] = {}
    for line, fields in typed.items():
        changed = {
            kind for kind, text in fields.items() if text and text != initial.get(f"{kind}:{line}")
        }
        if not changed:
            continue
        said = {
            kind: fields.get(kind) or initial.get(f"{kind}:{line}", "") for kind in ("line", "ret")
        }
        # a changed answer goes with the retainage as shown (`skip` would clear it); a changed
        # retainage goes alone, so the line's own answer stays as it is
        answer = said["line"] if "line" in changed else ""
        released = _as_release(said["ret"]) if "ret" in changed or answer else ""
        answers[line] = " and ".join(text for text in (answer, released) if text)
    return answers


def _as_release(text: str) -> str:
    """A retainage field's text as the engine reads it: `$500` is `retainage $500`."""
    if text and not text.lower().startswith(("ret", "release")):
        return f"retainage {text}"
    return text


def form_errors(view: Mapping[str, Any], _: Words = ENGLISH) -> dict[str, str]:
    """Errors of a submitted page found before the engine sees it, keyed by block id (the
    page's lines with one are not sent): a retainage field that does not hold an amount
    released (`50%`, `done`), and retainage released on a line that has no answer yet and
    whose amount was left empty (the engine would bill it as nothing this period)."""
    values = (view.get("state") or {}).get("values") or {}
    initial = _initial_values(view)
    typed = {
        block_id: str(((actions or {}).get("value") or {}).get("value") or "").strip()
        for block_id, actions in values.items()
    }
    errors: dict[str, str] = {}
    for block_id, text in typed.items():
        kind, _sep, line = block_id.partition(":")
        if kind != "ret" or not text or text == initial.get(block_id):
            continue
        outcome = parse_line_value(_as_release(text), line)
        if isinstance(outcome, Problem) and "{text}" not in outcome.template:
            errors[block_id] = cut(outcome.said(_), 300)  # `$100.005`: which amount?
        elif not _only_released(outcome):
            errors[block_id] = cut(_(RETAINAGE_FIELD), 300)
        elif not typed.get(f"line:{line}") and not initial.get(f"line:{line}"):
            errors[f"line:{line}"] = cut(_(AMOUNT_TOO), 300)
    return errors


def _only_released(outcome: LineAnswer | Problem | None) -> bool:
    return (
        isinstance(outcome, LineAnswer)
        and outcome.progress is None
        and outcome.stored is None
        and (outcome.released is not None or outcome.release_all)
    )


def _initial_values(view: Mapping[str, Any]) -> dict[str, str]:
    """The prefilled text of each field of the view as it was shown."""
    found: dict[str, str] = {}
    for block in view.get("blocks") or []:
        element = block.get("element") or {}
        if block.get("type") == "input" and element.get("initial_value"):
            found[str(block.get("block_id"))] = str(element["initial_value"]).strip()
    return found


def unknown_person_errors(view: Mapping[str, Any]) -> dict[str, str]:
    """`response_action: errors` for someone billbot does not know, in the modal's language."""
    try:
        language = Meta.load(view.get("private_metadata") or "").language
    except (ValueError, TypeError, KeyError):
        language = None
    first = next((b["block_id"] for b in view.get("blocks") or [] if b.get("type") == "input"), "")
    return {first: cut(words(language)(UNKNOWN), 300)}


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
