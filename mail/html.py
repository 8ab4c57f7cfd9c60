"""HTML for email bodies: escaped paragraphs and tables with money right-aligned."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from conversations.plaintext import G702_LABELS, as_text, line_columns
from conversations.render import change_orders_note, money
from conversations.types import Reply
from models.billing import G702Summary, LineFigures
from models.i18n import ENGLISH, Words, words
from models.money import ZERO, format_units

CELL = "padding:3px 8px;border-bottom:1px solid #ddd;"
RIGHT = CELL + "text-align:right;white-space:nowrap;"
LEFT = CELL + "text-align:left;"
TABLE = "border-collapse:collapse;font-family:Arial,Helvetica,sans-serif;font-size:13px;"


def paragraphs(text: str) -> str:
    """Plain text as HTML paragraphs; single newlines become line breaks."""
    blocks = [block.strip() for block in text.strip().split("\n\n") if block.strip()]
    return "".join(
        f"<p>{'<br>'.join(escape(line) for line in block.splitlines())}</p>" for block in blocks
    )


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    """A table; the columns in `right` are right-aligned (money, quantities)."""
    head = "".join(
        f'<th style="{RIGHT if i in right else LEFT}background:#f3f3f3;">{escape(cell)}</th>'
        for i, cell in enumerate(header)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td style="{RIGHT if i in right else LEFT}">{escape(cell)}</td>'
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    thead = f"<thead><tr>{head}</tr></thead>" if header else ""
    return f'<table style="{TABLE}">{thead}<tbody>{body}</tbody></table>'


def lines_html(lines: Sequence[LineFigures], _: Words = ENGLISH) -> str:
    """The G703 rows of a reply."""
    any_unit = any(line.is_unit for line in lines)
    any_stored = any(not line.is_unit for line in lines)
    header = line_columns(lines, _)
    rows = []
    for line in lines:
        row = [line.number, line.description, money(line.previous_value)]
        if any_unit:
            quantity = line.new_quantity or ZERO
            row.append(format_units(quantity, line.uom, line.unit_price) if line.is_unit else "")
        row.append(money(line.new_value))
        if any_stored:
            row.append("" if line.is_unit else money(line.materials_stored))
        row += [
            f"{line.percent_complete}%",
            money(line.retainage_held),
            money(line.retainage_released),
        ]
        rows.append(row)
    return table(header, rows, set(range(2, len(header))))


def totals_html(totals: G702Summary, _: Words = ENGLISH) -> str:
    """The G702 summary as a two-column table."""
    values = totals.as_dict()
    rows = [[_(label), money(values[key])] for key, label in G702_LABELS]
    return table((), rows, {1})


def reply_html(reply: Reply) -> str:
    """One engine reply: its text, tables and footer."""
    _ = words(reply.language)
    parts = [paragraphs(reply.text)]
    if reply.lines:
        parts.append(lines_html(reply.lines, _))
        parts.append(paragraphs(change_orders_note(reply.lines, _)))
    if reply.totals is not None:
        parts.append(f"<p></p>{totals_html(reply.totals, _)}")
    if reply.footer:
        parts.append(paragraphs(reply.footer))
    return "".join(parts)


def document(body: str, *, quote: str = "") -> str:
    """A complete HTML document around `body`."""
    style = "font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222;"
    return f'<!DOCTYPE html><html><body style="{style}">{body}{quote}</body></html>'


def render_replies(replies: Sequence[Reply], notes: Sequence[str] = ()) -> tuple[str, str]:
    """The replies of one turn as ONE email: (text, html); `notes` come first."""
    texts = [note.strip() for note in notes if note.strip()]
    texts += [as_text(reply) for reply in replies]
    html = "".join(paragraphs(note) for note in notes if note.strip())
    html += "<hr>".join(reply_html(reply) for reply in replies)
    return "\n\n".join(text for text in texts if text) + "\n", document(html)


def text_table(rows: Sequence[Sequence[str]], left: set[int]) -> str:
    """A plain-text table with a rule under the header row; other columns right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for index, row in enumerate(rows):
        cells = [c.ljust(widths[i]) if i in left else c.rjust(widths[i]) for i, c in enumerate(row)]
        out.append("  ".join(cells).rstrip())
        if index == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)
