"""The administrator's review modals, and what their submissions say (no I/O here).

Return for revision: every line with a reject box and a reason (two blocks a line, so up to
45 lines in one modal). A commitment with more lines gets a pick list of every line first
(a multi-select, searchable), then a reason field for each picked line. A reason typed
without ticking the box returns its line too: nobody writes a reason for a line they approve.

Approve as noted: this period's amount of every line, prefilled with the contact's figure,
90 lines a page, and a note on the last page. Only the amounts that differ from the
contact's become adjustments; the ones of earlier pages ride along in `private_metadata`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from conversations.render import money
from models.i18n import DEFAULT_LANGUAGE, ENGLISH, N_, Words, words
from models.money import AmountError, cents, format_money, parse_amount
from models.review_lines import ReviewLine

from .blocks import Block
from .text import cut, escape

RETURN_CALLBACK = "review_return"
NOTED_CALLBACK = "review_noted"
RETURN_ROWS = 45  # a box and a reason each, under Slack's 100 blocks a modal
REASON_ROWS = 95  # the reasons page of a long commitment: one block a picked line
AMOUNT_ROWS = 90
RETURN_LABEL = N_("Return this line")
METADATA_CHARS = 3000


@dataclass(frozen=True)
class ReviewRef:
    """Which review a button or modal is about: the invoice, its sending (`times_sent`), the
    person the DM was for, and the DM message (channel, ts)."""

    invoice_id: int
    stamp: int
    admin_id: int | None
    channel: str | None = None
    ts: str | None = None

    def value(self) -> str:
        return json.dumps({"i": self.invoice_id, "s": self.stamp, "p": self.admin_id})

    @classmethod
    def from_action(cls, value: str, body: Mapping[str, Any]) -> ReviewRef | None:
        container = body.get("container") or {}
        try:
            data = json.loads(value or "{}")
            return cls(
                int(data["i"]),
                int(data["s"]),
                data.get("p"),
                container.get("channel_id"),
                container.get("message_ts"),
            )
        except (ValueError, TypeError, KeyError):
            return None


@dataclass(frozen=True)
class Page:
    """A modal page's `private_metadata`: the review, the page kind and number, the
    adjustments of the earlier pages (line -> amount), and the language the modal was opened
    in (its next pages and its errors speak it too)."""

    ref: ReviewRef
    kind: str  # one | pick | why (return); amounts (approve as noted)
    heading: str  # `INV-0042 · SC-007 Electrical`
    number: int = 0
    carried: Mapping[str, str] = field(default_factory=dict)
    language: str = DEFAULT_LANGUAGE

    @property
    def words(self) -> Words:
        return words(self.language)

    def dump(self) -> str:
        ref = self.ref
        data: dict[str, Any] = {"i": ref.invoice_id, "s": ref.stamp, "p": ref.admin_id}
        data |= {"ch": ref.channel}
        data |= {"ts": ref.ts, "k": self.kind, "h": self.heading, "n": self.number}
        data |= {"l": self.language, "adj": dict(self.carried)}
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def load(cls, text: str) -> Page:
        data = json.loads(text or "{}")
        ref = ReviewRef(
            int(data["i"]), int(data["s"]), data.get("p"), data.get("ch"), data.get("ts")
        )
        heading, carried = str(data.get("h") or ""), dict(data.get("adj") or {})
        language = str(data.get("l") or DEFAULT_LANGUAGE)
        return cls(ref, str(data["k"]), heading, int(data.get("n", 0)), carried, language)


def line_label(line: ReviewLine, _: Words = ENGLISH) -> str:
    """`2 · Panels — $12,600.00 this period` (and materials stored, when any)."""
    values = {"amount": money(line.amount), "stored": money(line.stored)}
    if line.stored:
        billed = _("{amount} this period + {stored} stored", **values)
    else:
        billed = _("{amount} this period", **values)
    return f"{line.number} · {line.description} — {billed}"


def _modal(page: Page, title: str, submit: str, blocks: list[Block]) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": NOTED_CALLBACK if page.kind == "amounts" else RETURN_CALLBACK,
        "private_metadata": page.dump(),
        "title": {"type": "plain_text", "text": cut(title, 24)},
        "submit": {"type": "plain_text", "text": cut(submit, 24)},
        "close": {"type": "plain_text", "text": cut(page.words("Cancel"), 24)},
        "blocks": blocks,
    }


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(text, 3000)}]}


def _text_input(
    block_id: str, label: str, *, initial: str = "", optional: bool = True, **element: Any
) -> Block:
    element = {"type": "plain_text_input", "action_id": "value", **element}
    if initial:
        element["initial_value"] = initial
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": cut(label, 2000)},
        "element": element,
    }


def _reason(line: ReviewLine, label: str, _: Words) -> Block:
    placeholder = {"type": "plain_text", "text": _("Why? The contact reads this (optional)")}
    return _text_input(f"why:{line.number}", label, max_length=1000, placeholder=placeholder)


def return_view(
    ref: ReviewRef, heading: str, lines: Sequence[ReviewLine], _: Words = ENGLISH
) -> dict[str, Any]:
    """Return for revision: every line with a box and a reason, or the pick list first."""
    if len(lines) > RETURN_ROWS:
        return _pick_view(Page(ref, "pick", heading, language=_.language), lines)
    intro = _(
        "*{heading}* — tick each line to send back, with a reason the contact will read (a "
        "reason alone returns its line too). The other lines stay approved.",
        heading=escape(heading),
    )
    blocks = [_context(intro)]
    option = {"text": {"type": "plain_text", "text": _(RETURN_LABEL)}, "value": "return"}
    for line in lines:
        blocks.append(
            {
                "type": "input",
                "block_id": f"ret:{line.number}",
                "optional": True,
                "label": {"type": "plain_text", "text": cut(line_label(line, _), 2000)},
                "element": {"type": "checkboxes", "action_id": "pick", "options": [option]},
            }
        )
        blocks.append(_reason(line, _("Reason for line {line}", line=line.number), _))
    page = Page(ref, "one", heading, language=_.language)
    return _modal(page, _("Return for revision"), _("Return"), blocks)


def _pick_view(page: Page, lines: Sequence[ReviewLine]) -> dict[str, Any]:
    _ = page.words
    options = [
        {
            "text": {"type": "plain_text", "text": cut(line_label(line, _), 75)},
            "value": line.number,
        }
        for line in lines
    ]
    element: Block = {"type": "multi_static_select", "action_id": "lines"}
    element["placeholder"] = {"type": "plain_text", "text": _("Type a line number or a word")}
    if len(options) <= 100:
        element["options"] = options
    else:
        element["option_groups"] = [
            {
                "label": {
                    "type": "plain_text",
                    "text": _("Lines {first}–{last}", first=i + 1, last=i + len(group)),
                },
                "options": group,
            }
            for i in range(0, len(options), 100)
            for group in [options[i : i + 100]]
        ]
    intro = _(
        "*{heading}* has {count} lines: pick the ones to send back, then give a reason for "
        "each on the next page. The other lines stay approved.",
        heading=escape(page.heading),
        count=len(lines),
    )
    blocks = [
        _context(intro),
        {
            "type": "input",
            "block_id": "pick",
            "label": {"type": "plain_text", "text": _("Lines to return")},
            "element": element,
        },
    ]
    return _modal(page, _("Return for revision"), _("Next"), blocks)


def picked(view: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(line, label) of the lines chosen on the pick page."""
    values = (view.get("state") or {}).get("values") or {}
    chosen = ((values.get("pick") or {}).get("lines") or {}).get("selected_options") or []
    return [(str(o.get("value")), str((o.get("text") or {}).get("text") or "")) for o in chosen]


def reasons_view(page: Page, chosen: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The second page of a long commitment: a reason for each picked line."""
    _ = page.words
    intro = _(
        "*{heading}* — the lines you picked go back with these reasons.",
        heading=escape(page.heading),
    )
    blocks = [_context(intro)]
    for number, label in chosen:
        line = ReviewLine(number, "", Decimal(0), Decimal(0), None)
        blocks.append(_reason(line, label or _("Line {line}", line=number), _))
    return _modal(replace(page, kind="why"), _("Return for revision"), _("Return"), blocks)


def pick_errors(chosen: Sequence[tuple[str, str]], _: Words = ENGLISH) -> dict[str, str]:
    if not chosen:
        return {"pick": _("Pick at least one line to return (or close this and use Approve).")}
    if len(chosen) > REASON_ROWS:
        return {
            "pick": _(
                "Pick at most {most} lines (you picked {count}).",
                most=REASON_ROWS,
                count=len(chosen),
            )
        }
    return {}


def returned_lines(page: Page, view: Mapping[str, Any]) -> dict[str, str]:
    """`{line: reason}` of a submitted return page: ticked, or given a reason (every line
    of the reasons page was picked already)."""
    values = (view.get("state") or {}).get("values") or {}
    found: dict[str, str] = {}
    for block in view.get("blocks") or []:
        kind, _sep, number = str(block.get("block_id") or "").partition(":")
        if kind != "why":
            continue
        reason = str(((values.get(block["block_id"]) or {}).get("value") or {}).get("value") or "")
        box = ((values.get(f"ret:{number}") or {}).get("pick") or {}).get("selected_options")
        if page.kind == "why" or box or reason.strip():
            found[number] = reason.strip()
    return found


def first_input(view: Mapping[str, Any], default: str) -> str:
    """The block id of the submitted page's first input: where an answer about the whole
    page goes (Slack refuses errors on a block the page does not show)."""
    blocks = view.get("blocks") or []
    return next((b["block_id"] for b in blocks if b.get("type") == "input"), default)


def return_errors(view: Mapping[str, Any], _: Words = ENGLISH) -> dict[str, str]:
    """The answer when nothing is returned: on the first line's box."""
    first = first_input(view, "pick")
    return {first: _("Tick at least one line to return (or close this and use Approve).")}


def noted_view(page: Page, lines: Sequence[ReviewLine]) -> dict[str, Any]:
    """Approve as noted, page `page.number`: this period's amount per line, and the note on
    the last page."""
    _ = page.words
    pages = max(1, -(-len(lines) // AMOUNT_ROWS))
    number = min(page.number, pages - 1)
    shown = lines[number * AMOUNT_ROWS : (number + 1) * AMOUNT_ROWS]
    values = {"heading": escape(page.heading), "page": number + 1, "pages": pages}
    if pages > 1:
        intro = _(
            "*{heading}* (page {page} of {pages}) — this period's amount per line, as the "
            "contact billed it. Change the lines you approve at another amount; the contact "
            "sees both figures and your note.",
            **values,
        )
    else:
        intro = _(
            "*{heading}* — this period's amount per line, as the contact billed it. Change the "
            "lines you approve at another amount; the contact sees both figures and your note.",
            **values,
        )
    blocks = [_context(intro)]
    for line in shown:
        label = line_label(line, _)
        if line.remaining is not None:
            label = _("{line}; at most {amount}", line=label, amount=money(line.remaining))
        initial = format_money(line.amount)
        blocks.append(_text_input(f"amt:{line.number}", label, initial=initial))
    last = number == pages - 1
    if last:
        blocks.append(
            _text_input(
                "note",
                _("Note to the contact: the reason for the difference"),
                optional=False,
                multiline=True,
                max_length=1000,
            )
        )
    submit = _("Approve") if last else _("Next page")
    return _modal(page, _("Approve as noted"), submit, blocks)


def is_last_amounts_page(page: Page, lines: Sequence[ReviewLine]) -> bool:
    return page.number >= max(1, -(-len(lines) // AMOUNT_ROWS)) - 1


@dataclass(frozen=True)
class Amounts:
    changed: dict[str, Decimal]  # this page's amounts that differ from the contact's
    errors: dict[str, str]  # block id -> message
    note: str


def read_amounts(
    view: Mapping[str, Any], lines: Sequence[ReviewLine], _: Words = ENGLISH
) -> Amounts:
    """The amounts of a submitted page: empty is the contact's figure; not a number is an
    error on its line."""
    values = (view.get("state") or {}).get("values") or {}
    by_number = {line.number: line for line in lines}
    changed: dict[str, Decimal] = {}
    errors: dict[str, str] = {}
    for block_id, actions in values.items():
        text = str(((actions or {}).get("value") or {}).get("value") or "").strip()
        kind, _sep, number = block_id.partition(":")
        if kind != "amt" or not text or number not in by_number:
            continue
        try:
            amount = parse_amount(text)
        except AmountError:
            errors[block_id] = _("“{text}” is not an amount (e.g. 4,000.00).", text=cut(text, 40))
            continue
        if amount != cents(amount):  # never rounded into a figure nobody wrote
            errors[block_id] = _(
                "“{text}” has a fraction of a cent: write dollars and cents (e.g. 4,000.50).",
                text=cut(text, 40),
            )
            continue
        if amount != by_number[number].amount:
            changed[number] = amount
    note = str(((values.get("note") or {}).get("value") or {}).get("value") or "").strip()
    return Amounts(changed, errors, note)


def carried_forward(page: Page, amounts: Amounts) -> Page:
    """The next page, carrying the changes made so far."""
    carried = {**page.carried, **{n: f"{amount:.2f}" for n, amount in amounts.changed.items()}}
    return replace(page, number=page.number + 1, carried=carried)


def adjustments(page: Page, amounts: Amounts) -> dict[str, Decimal]:
    """Every changed amount: the earlier pages' and this one's."""
    return {**{n: Decimal(v) for n, v in page.carried.items()}, **amounts.changed}


def too_much_to_carry(page: Page) -> bool:
    return len(page.dump()) > METADATA_CHARS
