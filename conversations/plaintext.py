"""A `Reply` as plain text (console, email text part): aligned tables, money right-aligned."""

from __future__ import annotations

from collections.abc import Sequence

from conversations.render import change_orders_note, money
from conversations.types import Reply
from models.billing import G702Summary, LineFigures
from models.i18n import ENGLISH, N_, Words, words
from models.money import ZERO, format_units

G702_LABELS = (
    ("original_contract_sum", N_("1. Original contract sum")),
    ("net_change_by_change_orders", N_("2. Net change by change orders")),
    ("contract_sum_to_date", N_("3. Contract sum to date")),
    ("total_completed_and_stored_to_date", N_("4. Total completed and stored to date")),
    ("retainage", N_("5. Retainage")),
    ("total_earned_less_retainage", N_("6. Total earned less retainage")),
    ("less_previous_certificates_for_payment", N_("7. Less previous certificates for payment")),
    ("current_payment_due", N_("8. Current payment due")),
    ("balance_to_finish_including_retainage", N_("9. Balance to finish, including retainage")),
)
COLUMNS = {
    "#": N_("#"),
    "description": N_("Description"),
    "previous": N_("Previous"),
    "quantity": N_("Qty this period"),
    "this": N_("This period"),
    "stored": N_("Stored"),
    "percent": N_("% to date"),
    "held": N_("Retainage held"),
    "released": N_("Released"),
}
DESCRIPTION_WIDTH = 24


def as_text(reply: Reply) -> str:
    """The whole reply: text, the G703 lines and G702 totals, then the footer."""
    _ = words(reply.language)
    parts = [reply.text.strip()]
    if reply.lines:
        parts.append(lines_table(reply.lines, _))
        parts.append(change_orders_note(reply.lines, _))
    if reply.totals is not None:
        parts.append(totals_table(reply.totals, _))
    if reply.footer:
        parts.append(reply.footer.strip())
    return "\n\n".join(part for part in parts if part)


def line_columns(lines: Sequence[LineFigures], _: Words = ENGLISH) -> list[str]:
    """The headings of the G703 rows of a reply (quantity and stored columns as they apply)."""
    names = ["#", "description", "previous"]
    if any(line.is_unit for line in lines):
        names.append("quantity")
    names.append("this")
    if any(not line.is_unit for line in lines):
        names.append("stored")
    return [_(COLUMNS[name]) for name in [*names, "percent", "held", "released"]]


def lines_table(lines: Sequence[LineFigures], _: Words = ENGLISH) -> str:
    any_unit = any(line.is_unit for line in lines)
    any_stored = any(not line.is_unit for line in lines)
    header = line_columns(lines, _)
    rows: list[list[str]] = [header]
    for line in lines:
        row = [line.number, _cut(line.description), money(line.previous_value)]
        if any_unit:
            quantity = line.new_quantity or ZERO
            row.append(format_units(quantity, line.uom, line.unit_price) if line.is_unit else "")
        row.append(money(line.new_value))
        if any_stored:
            row.append(money(line.materials_stored) if not line.is_unit else "")
        row += [
            f"{line.percent_complete}%",
            money(line.retainage_held),
            money(line.retainage_released),
        ]
        rows.append(row)
    left = {0, 1}
    return _table(rows, left)


def totals_table(totals: G702Summary, _: Words = ENGLISH) -> str:
    values = totals.as_dict()
    rows = [[_(label), money(values[key])] for key, label in G702_LABELS]
    return _table(rows, {0}, header=False)


def _table(rows: list[list[str]], left: set[int], *, header: bool = True) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for index, row in enumerate(rows):
        cells = [
            cell.ljust(widths[i]) if i in left else cell.rjust(widths[i])
            for i, cell in enumerate(row)
        ]
        out.append("  ".join(cells).rstrip())
        if header and index == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)


def _cut(text: str) -> str:
    return text if len(text) <= DESCRIPTION_WIDTH else text[: DESCRIPTION_WIDTH - 1] + "…"
