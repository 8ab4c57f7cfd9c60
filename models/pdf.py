"""`billbot export INVOICE --format pdf`: an AIA G702/G703-style application for payment.

`invoice_document` gathers the data (the `invoice_report` dict plus parties, dates
and unit detail); `render_invoice_pdf` lays it out with reportlab: a portrait
G702 page (`models.pdf_g702`), then landscape G703 continuation sheets
(`models.pdf_g703`), "Page N of M" on every page and a DRAFT watermark on drafts.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.units import inch
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, NextPageTemplate, PageBreak, PageTemplate
from sqlmodel import Session

from models.ledger import invoice_figures
from models.money import ZERO
from models.pdf_format import BOLD, FONT, INK, MUTED, RULE, day, status_label
from models.pdf_g702 import g702_story
from models.pdf_g703 import TotalsMismatchError, g703_table
from models.report import invoice_report, quantity_text
from models.tables import Company, Invoice, Person, Project, local_time

__all__ = ["TotalsMismatchError", "invoice_document", "pdf_filename", "render_invoice_pdf"]

MARGIN = 0.5 * inch
FOOTER_Y = 0.3 * inch
G703_HEADER = 0.45 * inch  # room above the continuation table for the sheet's own header
NO_PADDING = {"leftPadding": 0, "rightPadding": 0, "topPadding": 0, "bottomPadding": 0}


def _person(session: Session, person_id: int | None) -> str | None:
    person = session.get(Person, person_id) if person_id is not None else None
    return person.name if person is not None else None


def _company(session: Session, company_id: int) -> str | None:
    company = session.get(Company, company_id)
    return company.name if company is not None else None


def invoice_document(session: Session, invoice: Invoice) -> dict[str, Any]:
    """`invoice_report` plus what the printed form shows: parties, dates, unit detail."""
    report = invoice_report(session, invoice)
    figures = invoice_figures(session, invoice)
    ledger = figures.ledger
    commitment, period = ledger.commitment, ledger.period
    project = session.get(Project, commitment.project_id)
    assert project is not None
    rate = quantity_text(commitment.retainage_percent)
    lines = []
    for line, sov, fig in zip(report["lines"], ledger.lines, figures.lines, strict=True):
        assert line["line"] == sov.number == fig.number
        terms = ledger.terms[sov.number]
        unit = fig.is_unit and fig.quantity is not None
        lines.append(
            line
            | {
                "cost_code": sov.cost_code,
                "retainage_percent": quantity_text(terms.retainage_percent),
                "quantity": quantity_text(fig.quantity) if unit and fig.quantity else None,
                "total_quantity": quantity_text(fig.total_quantity or ZERO) if unit else None,
            }
        )
    return report | {
        "project_number": project.number,
        "owner": _company(session, project.company_id),
        "vendor": _company(session, commitment.vendor_id),
        "administrator": _person(session, commitment.administrator_id),
        "commitment_title": commitment.title,
        "commitment_kind": str(commitment.kind),
        "accounting_method": str(commitment.accounting_method),
        "retainage_percent": rate,
        "retainage_varies": any(line["retainage_percent"] != rate for line in lines),
        "application_number": invoice.number,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "billing_date": period.billing_date.isoformat(),
        "due_date": period.due_date.isoformat(),
        "submitted_by": _person(session, invoice.sent_by_id),
        # Dates as the project's calendar has them (the contact was told that day).
        "submitted_at": _local(invoice.sent_at.isoformat(), project.timezone)
        if invoice.sent_at
        else None,
        "history": [
            event | {"at": _local(event["at"], project.timezone)} for event in report["history"]
        ],
        "lines": lines,
    }


def _local(moment: str, timezone: str | None) -> str:
    return local_time(datetime.fromisoformat(moment), timezone).isoformat()


def pdf_filename(document: Mapping[str, Any]) -> str:
    """`SC-007-INV-0041.pdf`, with anything unsafe in a file name replaced by `_`."""
    stem = f"{document['commitment']}-{document['number']}"
    return re.sub(r"[^\w.-]+", "_", stem).strip("._") + ".pdf"


def _fit(text: str, font: str, size: float, width: float) -> str:
    """`text`, cut short with an ellipsis to fit `width` (canvas strings do not wrap)."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


class _NumberedCanvas(Canvas):
    """Holds every page until the end so each can say "Page N of M"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        count = len(self._held)
        for number, state in enumerate(self._held, 1):
            self.__dict__.update(state)
            width, _ = self._pagesize
            self.setFont(FONT, 7.5)
            self.setFillColor(MUTED)
            self.drawRightString(width - MARGIN, FOOTER_Y, f"Page {number} of {count}")
            super().showPage()
        super().save()


class _Decorations:
    """What is drawn on the canvas of every page: footer, G703 sheet header, watermark."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        parts = (document.get("project"), document["commitment"], document.get("vendor"))
        self.footer = " · ".join(str(part) for part in parts if part)
        self.footer += f" · Application {document['number']}"

    def watermark(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        """DRAFT across a draft's pages, drawn last (translucent) so table shading can't hide it."""
        if self.document["status"] != "draft":
            return
        width, height = canvas._pagesize
        canvas.saveState()
        canvas.setFillColor(RULE)
        canvas.setFillAlpha(0.16)
        canvas.setFont(BOLD, 110)
        canvas.translate(width / 2, height / 2)
        canvas.rotate(35)
        canvas.drawCentredString(0, -35, "DRAFT")
        canvas.restoreState()

    def page(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        width, _ = canvas._pagesize
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, FOOTER_Y + 10, width - MARGIN, FOOTER_Y + 10)
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, FOOTER_Y, _fit(self.footer, FONT, 7.5, width - 2 * MARGIN - 90))
        canvas.restoreState()

    def continuation(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        self.page(canvas, doc)
        document = self.document
        width, height = canvas._pagesize
        top = height - MARGIN - 12
        canvas.saveState()
        canvas.setFillColor(INK)
        canvas.setFont(BOLD, 12)
        canvas.drawString(MARGIN, top, "CONTINUATION SHEET")
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(
            MARGIN, top - 11, "G703 format · amounts in US dollars · use with the G702 application"
        )
        status = status_label(document["status"])
        facts = (
            f"Application No. {document['number']}   ·   "
            f"Period to {day(document.get('period_end'))}   ·   "
            f"Billing date {day(document.get('billing_date'))}   ·   Status {status}"
        )
        canvas.setFont(BOLD, 8)
        canvas.setFillColor(INK)
        canvas.drawRightString(width - MARGIN, top, _fit(facts, BOLD, 8, width - 2 * MARGIN - 150))
        title = document.get("commitment_title")
        commitment = f"Commitment {document['commitment']}" + (f" — {title}" if title else "")
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTED)
        room = width - 2 * MARGIN - 270  # clear of the sheet's subtitle on the left
        canvas.drawRightString(width - MARGIN, top - 11, _fit(commitment, FONT, 7.5, room))
        canvas.restoreState()


def render_invoice_pdf(document: Mapping[str, Any]) -> bytes:
    """The PDF bytes for an `invoice_document` (a bare `invoice_report` dict also renders).

    Raises `TotalsMismatchError` rather than print G703 lines that do not tie to the G702.
    """
    decorations = _Decorations(document)
    portrait, wide = letter, landscape(letter)
    body_bottom = FOOTER_Y + 16
    g702_width, g703_width = portrait[0] - 2 * MARGIN, wide[0] - 2 * MARGIN
    g702_frame = Frame(
        MARGIN, body_bottom, g702_width, portrait[1] - MARGIN - body_bottom, **NO_PADDING
    )
    g703_height = wide[1] - MARGIN - G703_HEADER - body_bottom
    g703_frame = Frame(MARGIN, body_bottom, g703_width, g703_height, **NO_PADDING)
    buffer = io.BytesIO()
    title = f"{document['commitment']} {document['number']} application for payment"
    doc = BaseDocTemplate(
        buffer,
        pagesize=portrait,
        title=title,
        author=document.get("vendor") or "",
        subject=f"{document.get('project') or ''} {status_label(document['status'])}".strip(),
        creator="billbot",
        invariant=1,  # the same document gives the same bytes
    )
    doc.addPageTemplates(
        [
            PageTemplate(
                "g702",
                [g702_frame],
                onPage=decorations.page,
                onPageEnd=decorations.watermark,
                pagesize=portrait,
            ),
            PageTemplate(
                "g703",
                [g703_frame],
                onPage=decorations.continuation,
                onPageEnd=decorations.watermark,
                pagesize=wide,
            ),
        ]
    )
    story = [
        *g702_story(document, g702_width),
        NextPageTemplate("g703"),
        PageBreak(),
        g703_table(document, g703_width),
    ]
    doc.build(story, canvasmaker=_NumberedCanvas)
    return buffer.getvalue()
