"""The G703 continuation sheet: one row per SOV line, header rows repeated, a grand total.

Money cells are the report's strings re-punctuated; the grand total takes columns
C, G and I from the report's G702 totals and refuses to print if the lines do
not add up to them (the G702 must tie to the G703 to the cent).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph, Table, TableStyle

from models.money import HUNDRED, ZERO, format_unit_price
from models.money import percent as round_percent
from models.pdf_format import (
    BOLD,
    CELL,
    FONT,
    INK,
    MUTED,
    RULE,
    SHADE,
    STRIPE,
    money,
    percent,
    quantity,
    text,
)

# (report key, column letter, heading, share of the table width); money columns from C on.
COLUMNS = (
    ("line", "A", "ITEM\nNO.", 0.047),
    ("description", "B", "DESCRIPTION OF WORK", 0.273),
    ("scheduled_value", "C", "SCHEDULED\nVALUE", 0.089),
    ("previous_value", "D", "FROM PREVIOUS\nAPPLICATION", 0.089),
    ("new_value", "E", "THIS PERIOD", 0.089),
    ("materials_stored", "F", "MATERIALS\nPRESENTLY\nSTORED", 0.086),
    ("completed_to_date", "G", "COMPLETED AND\nSTORED TO DATE\n(D+E+F)", 0.092),
    ("total_percent", "G/C", "% (G / C)", 0.053),
    ("balance_to_finish", "H", "BALANCE TO\nFINISH (C - G)", 0.091),
    ("retainage_total", "I", "RETAINAGE", 0.091),
)
FIGURES = tuple(key for key, *_ in COLUMNS[2:])
MONEY_KEYS = tuple(key for key in FIGURES if key != "total_percent")
# Grand-total cells that must equal a G702 line (column C includes the change orders).
TIED = {
    "scheduled_value": "contract_sum_to_date",
    "completed_to_date": "total_completed_and_stored_to_date",
    "retainage_total": "retainage",
}
HEADER_ROWS = 2
BODY_SIZE = 7.5
PADDING = 3


class TotalsMismatchError(ValueError):
    """The G703 lines do not add up to the report's G702 totals."""


def unit_detail(line: Mapping[str, Any]) -> str:
    """`1,200 LF × $12.50 · this period 300 · to date 300 LF` for a unit-based line."""
    if line.get("quantity") is None:
        return ""
    uom = f" {text(line['uom'])}" if line.get("uom") else ""
    price = f" × {format_unit_price(Decimal(line['unit_price']))}" if line.get("unit_price") else ""
    return (
        f"{quantity(line['quantity'])}{uom}{price} · this period "
        f"{quantity(line['new_quantity'])} · to date {quantity(line['total_quantity'])}{uom}"
    )


def change_text(change: Mapping[str, str]) -> str:
    """`CO-001 +$8,400.00` (a deduction: `CO-002 -$1,500.00`)."""
    amount = Decimal(change["amount"])
    sign = "-" if amount < 0 else "+"
    return f"{text(change['number'])} {sign}${money(str(abs(amount)))}"


def description_cell(line: Mapping[str, Any], default_rate: str | None) -> Paragraph:
    details = [f"Cost code {text(line['cost_code'])}"] if line.get("cost_code") else []
    if detail := unit_detail(line):
        details.append(detail)
    rate = line.get("retainage_percent")
    if rate is not None and rate != default_rate:
        details.append(f"retainage {text(rate)}%")
    if Decimal(line["retainage_released"]):
        details.append(f"retainage released ${money(line['retainage_released'])}")
    if changes := line.get("change_orders"):
        details.append("incl. " + ", ".join(change_text(change) for change in changes))
    body = text(line["description"]) or "&nbsp;"
    if details:
        body += f'<br/><font size="6.3" color="#52606d">{" · ".join(details)}</font>'
    return Paragraph(body, CELL)


def grand_totals(lines: Sequence[Mapping[str, Any]], totals: Mapping[str, str]) -> dict[str, str]:
    """Column sums (exact, as Decimal) checked against the G702 totals they must equal."""
    sums = {key: sum((Decimal(line[key]) for line in lines), ZERO) for key in MONEY_KEYS}
    row = {key: f"{value:.2f}" for key, value in sums.items()}
    for key, g702 in TIED.items():
        if Decimal(totals[g702]) != sums[key]:
            raise TotalsMismatchError(
                f"G703 column {key} adds up to {row[key]} but G702 {g702} is {totals[g702]}"
            )
        row[key] = totals[g702]
    scheduled = Decimal(row["scheduled_value"])
    completed = Decimal(row["completed_to_date"])
    share = completed / scheduled * HUNDRED if scheduled else ZERO
    row["total_percent"] = str(round_percent(share))
    return row


def figure_cells(values: Mapping[str, str]) -> list[str]:
    """Columns C to I of one row, punctuated for print."""
    return [
        percent(values[key]) if key == "total_percent" else money(values[key]) for key in FIGURES
    ]


def body_font_size(rows: Sequence[Sequence[Any]], widths: Sequence[float]) -> float:
    """The body size, shrunk when the widest amount would not fit its column."""
    size = BODY_SIZE
    for column in range(2, len(COLUMNS)):
        room = widths[column] - 2 * PADDING
        widest = max(stringWidth(str(row[column]), BOLD, BODY_SIZE) for row in rows)
        if widest > room:
            size = min(size, BODY_SIZE * room / widest)
    return size


def g703_table(document: Mapping[str, Any], width: float) -> Table:
    """The continuation sheet as one table that splits across pages, header repeated."""
    lines: Sequence[Mapping[str, Any]] = document["lines"]
    widths = [width * share for *_, share in COLUMNS]
    # Plain strings, not Paragraphs, in the header and totals rows: they are laid out
    # again on every page the table splits onto.
    header = [[letter for _, letter, _, _ in COLUMNS], [title for _, _, title, _ in COLUMNS]]
    rate = document.get("retainage_percent")
    body: list[list[Any]] = [
        [text(line["line"]), description_cell(line, rate), *figure_cells(line)] for line in lines
    ]
    total = grand_totals(lines, document["totals"])
    footer = ["", "GRAND TOTAL", *figure_cells(total)]
    size = body_font_size([*body, footer], widths)
    last = len(body) + HEADER_ROWS
    table = Table([*header, *body, footer], colWidths=widths, repeatRows=HEADER_ROWS, splitByRow=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), BOLD, 7),
                ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
                ("ALIGN", (0, 0), (-1, 0), "CENTER"),
                ("FONT", (0, 1), (-1, 1), BOLD, 6.5, 7.5),
                ("ALIGN", (2, 1), (-1, 1), "RIGHT"),
                ("BACKGROUND", (0, 0), (-1, 1), SHADE),
                ("VALIGN", (0, 1), (-1, 1), "BOTTOM"),
                ("LINEBELOW", (0, 1), (-1, 1), 0.8, INK),
                ("FONT", (0, HEADER_ROWS), (-1, -1), FONT, size),
                ("VALIGN", (0, HEADER_ROWS), (-1, -1), "TOP"),
                ("ALIGN", (2, HEADER_ROWS), (-1, -1), "RIGHT"),
                ("ROWBACKGROUNDS", (0, HEADER_ROWS), (-1, last - 1), [None, STRIPE]),
                ("LINEBELOW", (0, HEADER_ROWS), (-1, last - 1), 0.25, RULE),
                ("FONT", (0, last), (-1, last), BOLD, size),
                ("BACKGROUND", (0, last), (-1, last), SHADE),
                ("LINEABOVE", (0, last), (-1, last), 1, INK),
                ("BOX", (0, 0), (-1, -1), 0.8, INK),
                ("LINEAFTER", (0, 0), (-2, -1), 0.25, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table
