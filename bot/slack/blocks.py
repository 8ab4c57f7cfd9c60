"""A `Reply` as Slack messages: header, mrkdwn text, the lines table, G702 totals, buttons.

Slack limits (checked by the test emulator): 50 blocks per message, 3000 characters per
section text, 25 buttons per actions block. A long reply becomes several messages; the
buttons go on the last one. Every message carries a plain `text` for notifications.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from conversations.plaintext import G702_LABELS
from conversations.render import change_orders_note, money
from conversations.types import Choice, Reply, ReplyKind, StepName, pressed_action
from models.billing import G702Summary, LineFigures
from models.i18n import ENGLISH, Words, words
from models.money import format_money, format_units

from .text import chunks, cut, escape

Block = dict[str, Any]
MAX_BLOCKS = 50
SECTION_LIMIT = 3000  # Slack's, counted on the text as posted (`&amp;` is 5)
SECTION_CHARS = 2900  # what the builders aim for, escaped, code fences included
NOTIFICATION_CHARS = 2000
FILL_LINES = "fill_lines"
TURN = "turn"  # action_id prefix of the buttons that become a `Turn.action`
FORM_STEPS = frozenset({StepName.invoice_number, StepName.lines, StepName.review})


@dataclass(frozen=True)
class SlackMessage:
    text: str
    blocks: list[Block]


def button_value(action: str, key: tuple[int, int] | None, shown: str | None = None) -> str:
    """A button's value: the engine action, the invoice it belongs to and, apart from the
    action, the digest of what it answers (`Choice.shown`)."""
    data: dict[str, Any] = {"a": action}
    if key is not None:
        data |= {"c": key[0], "p": key[1]}
    if shown:
        data["s"] = shown
    return json.dumps(data, separators=(",", ":"))


def read_value(value: str) -> tuple[str, tuple[int, int] | None]:
    """(the pressed `Turn.action`, (commitment_id, period_id) or None) from `button_value`;
    ("", None) if bad. A button posted without a digest reads as it always did."""
    try:
        data = json.loads(value or "{}")
        key = (int(data["c"]), int(data["p"])) if "c" in data and "p" in data else None
        action = str(data.get("a", ""))
        return pressed_action(action, str(data.get("s") or "") or None), key
    except (ValueError, TypeError, KeyError):
        return "", None


def section(text: str) -> Block:
    """A mrkdwn section; text over Slack's 3000 characters is cut (never mid-entity), the last
    guard against `invalid_blocks`: the builders below split long text before it gets here."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": _fit(text, SECTION_LIMIT)}}


def _fit(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    kept = text[: limit - 1]
    entity = kept.rfind("&")
    if entity > len(kept) - len("&amp;") and ";" not in kept[entity:]:
        kept = kept[:entity]  # `&am` of a cut `&amp;`
    return kept + "…"


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": cut(text, 150)}}


def button(label: str, action_id: str, value: str, style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": cut(label, 75)},
        "action_id": action_id,
        "value": value,
    }
    if style in ("primary", "danger"):
        element["style"] = style
    return element


def text_sections(text: str) -> list[Block]:
    return [section(piece) for piece in escaped_chunks(text.strip(), SECTION_CHARS)]


def escaped_chunks(text: str, limit: int, size: int | None = None) -> list[str]:
    """`text` escaped for mrkdwn, in pieces of at most `limit` characters as posted: split
    before escaping (in pieces of `size`), so no `&amp;` is cut in two, and again where
    escaping made a piece too long."""
    pieces: list[str] = []
    for piece in chunks(text, size or limit):
        escaped = escape(piece)
        if len(escaped) <= limit:
            pieces.append(escaped)
        else:
            pieces += escaped_chunks(piece, limit, max(len(piece) // 2, 1))
    return pieces


def code_sections(rows: Sequence[str], head: Sequence[str] = ()) -> list[Block]:
    """Preformatted rows in as many sections as needed, the header rows repeated on each.
    Sizes are of the escaped text, as posted: `&` is `&amp;` to Slack's 3000 characters."""
    fences = len("```\n") + len("\n```")
    heading = [escape(row) for row in head]
    budget = SECTION_CHARS - fences - sum(len(row) + 1 for row in heading)
    blocks: list[Block] = []
    current: list[str] = []
    size = 0
    for raw in rows:
        row = _fit(escape(raw), max(budget - 1, 1))
        if current and size + len(row) + 1 > budget:
            blocks.append(section("```\n" + "\n".join([*heading, *current]) + "\n```"))
            current, size = [], 0
        current.append(row)
        size += len(row) + 1
    if current:
        blocks.append(section("```\n" + "\n".join([*heading, *current]) + "\n```"))
    return blocks


def lines_table(lines: Sequence[LineFigures], _: Words = ENGLISH) -> list[Block]:
    """The G703 rows, compact enough for a phone: #, description, previous, this period,
    % to date, retainage held (and released, when any is)."""
    released = any(line.retainage_released for line in lines)
    columns = ["#", _("Description"), _("Previous"), _("This period"), "%", _("Ret. held")]
    if released:
        columns.append(_("Released"))
    rows = [columns]
    for line in lines:
        this = format_money(line.new_value + line.materials_stored)
        if line.is_unit and line.new_quantity:
            this = f"{format_units(line.new_quantity, line.uom, line.unit_price)} = {this}"
        row = [
            line.number,
            cut(line.description, 18),
            format_money(line.previous_value),
            this,
            f"{line.percent_complete}",
            format_money(line.retainage_held),
        ]
        if released:
            row.append(format_money(line.retainage_released))
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    text = [
        "  ".join(c.ljust(widths[i]) if i < 2 else c.rjust(widths[i]) for i, c in enumerate(row))
        for row in rows
    ]
    return code_sections(text[1:], head=[text[0], "-" * len(text[0])])


def totals_fields(totals: G702Summary, _: Words = ENGLISH) -> Block:
    values = totals.as_dict()
    fields = [
        {"type": "mrkdwn", "text": f"*{_(label)}*\n{money(values[key])}"}
        for key, label in G702_LABELS
    ]
    return {"type": "section", "fields": fields}


def action_blocks(choices: Sequence[Choice], key: tuple[int, int] | None) -> list[Block]:
    elements = [
        button(
            choice.label,
            f"{TURN}:{i}",
            button_value(choice.action, key, choice.shown),
            choice.style,
        )
        for i, choice in enumerate(choices)
    ]
    return [
        {"type": "actions", "elements": elements[i : i + 25]} for i in range(0, len(elements), 25)
    ]


def reply_choices(reply: Reply, key: tuple[int, int] | None) -> list[Choice]:
    """The reply's buttons, plus `Fill in all lines` wherever lines can be answered."""
    choices = list(reply.choices)
    if key is not None and reply.step in FORM_STEPS and reply.kind != ReplyKind.error:
        choices.append(Choice(words(reply.language)("Fill in all lines"), FILL_LINES))
    return choices


def render_reply(reply: Reply, key: tuple[int, int] | None = None) -> list[SlackMessage]:
    """The messages that show `reply`; `key` (commitment, period) goes into the buttons."""
    _ = words(reply.language)
    blocks: list[Block] = []
    if reply.title:
        blocks.append(header(reply.title))
    blocks += text_sections(reply.text)
    if reply.lines:
        blocks += lines_table(reply.lines, _)
        blocks += text_sections(change_orders_note(reply.lines, _))
    if reply.totals is not None:
        blocks.append(totals_fields(reply.totals, _))
    if reply.footer:
        blocks += text_sections(reply.footer)
    actions = []
    for block in action_blocks(reply_choices(reply, key), key):
        for element in block["elements"]:
            if element["value"] == button_value(FILL_LINES, key):
                element["action_id"] = FILL_LINES
        actions.append(block)
    return split(blocks, actions, notification=reply.text)


def split(blocks: list[Block], actions: list[Block], *, notification: str) -> list[SlackMessage]:
    """Blocks in messages of at most 50, the actions on the last one."""
    budget = MAX_BLOCKS - len(actions)
    groups = [blocks[i : i + MAX_BLOCKS] for i in range(0, len(blocks), MAX_BLOCKS)] or [[]]
    if len(groups[-1]) > budget:
        groups.append([])
    groups[-1] = groups[-1] + actions
    fallback = cut(notification.strip() or "billbot", NOTIFICATION_CHARS)
    return [
        SlackMessage(fallback if i == 0 else f"{cut(fallback, 200)} (continued)", group)
        for i, group in enumerate(groups)
        if group
    ]


__all__ = ["SlackMessage", "button_value", "read_value", "render_reply"]
