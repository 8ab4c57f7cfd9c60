"""Text formatting and paragraph styles shared by the G702/G703 PDF pages (`models.pdf`).

Every amount arrives as a report string (`"48600.00"`) and is only re-punctuated
here, through `Decimal`, never a float: the PDF shows exactly the report's cents.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle

from models.money import format_money, format_quantity

FONT = "Helvetica"
BOLD = "Helvetica-Bold"
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
RULE = colors.HexColor("#9aa5b1")
SHADE = colors.HexColor("#e4e7eb")
STRIPE = colors.HexColor("#f5f7fa")
DASH = "—"

STATUS_LABELS = {
    "draft": "Draft",
    "under_review": "Under Review",
    "revise_and_resubmit": "Revise and Resubmit",
    "approved": "Approved",
    "approved_as_noted": "Approved as Noted",
    "pending_owner_approval": "Pending Owner Approval",
}


def style(name: str, size: float = 8.5, *, bold: bool = False, **extra: object) -> ParagraphStyle:
    options: dict[str, object] = {"leading": size * 1.2, "textColor": INK} | extra
    return ParagraphStyle(name, fontName=BOLD if bold else FONT, fontSize=size, **options)


TITLE = style("title", 15, bold=True, leading=18)
SUBTITLE = style("subtitle", 8.5, textColor=MUTED)
HEADING = style("heading", 9, bold=True, spaceBefore=10, spaceAfter=4)
LABEL = style("label", 6.5, bold=True, textColor=MUTED)
VALUE = style("value", 9)
BODY = style("body", 8.5)
NOTE = style("note", 7, textColor=MUTED)
CELL = style("cell", 7.5)


def text(value: object) -> str:
    """Plain text made safe for a `Paragraph` (descriptions may hold `&`, `<`)."""
    return escape(str(value))


def money(amount: str | None) -> str:
    """`"48600.00"` -> `"48,600.00"` (blank for a missing amount)."""
    return "" if amount is None else format_money(Decimal(amount))


def dollars(amount: str) -> str:
    """`"-12.50"` -> `"-$12.50"`."""
    shown = money(amount)
    return f"-${shown[1:]}" if shown.startswith("-") else f"${shown}"


def percent(value: str | None) -> str:
    return "" if value is None else f"{Decimal(value):.2f}%"


def quantity(value: str | None) -> str:
    return "" if value is None else format_quantity(Decimal(value))


def day(iso: str | None) -> str:
    """`"2026-10-31"` -> `"Oct 31, 2026"`: no day/month ambiguity for any reader."""
    if not iso:
        return DASH
    when = date.fromisoformat(iso[:10])
    return f"{when:%b} {when.day}, {when.year}"


def file_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:,.1f} KB"
    return f"{size / 1024 / 1024:,.1f} MB"


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status.replace("_", " ").title())
