"""`billbot export --format pdf`: the G702/G703 PDF, checked through its extracted text."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdf
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app
from models.db import session_scope
from models.importer import import_text
from models.money import format_money
from models.pdf import TotalsMismatchError, invoice_document, pdf_filename, render_invoice_pdf
from models.pdf_format import CELL
from models.pdf_g703 import COLUMNS, PADDING, description_cell
from models.report import G702_LABELS, find_invoice, invoice_report
from models.tables import Attachment, InvoiceEvent, Project
from tests.import_helpers import design_example, write_json

LONG = (
    "Furnish and install 4-inch EMT conduit with compression fittings, pull boxes, "
    "supports at 8 feet on center and fire-stopping at every rated penetration, "
    "levels P1 through P3 including the loading dock & the ramp <north side>, "
    "as shown on drawings E-101 through E-118, final segment ends here"
)
MONEY_KEYS = [key for key, *_ in COLUMNS[2:] if key != "total_percent"]


def amount_based(lines: int) -> dict[str, Any]:
    """The DESIGN example plus amount-based SC-011 with `lines` lines: Oct approved, Nov draft."""
    data = design_example()
    data["companies"].append({"key": "nw", "name": "Northwind Mechanical"})
    sov = [
        {
            "number": str(n),
            "description": LONG if n == 2 else f"Work item {n}",
            "cost_code": f"23-{n:04d}",
            "scheduled_value": f"{1000 * n + n}.{n % 100:02d}",
        }
        for n in range(1, lines + 1)
    ]
    data["commitments"].append(
        {
            "key": "sc11",
            "project": "tower",
            "number": "SC-011",
            "title": "Mechanical",
            "vendor": "nw",
            "accounting_method": "amount",
            "retainage_percent": "5",
            "lines": sov,
        }
    )
    october = [{"line": str(n), "total_percent": "20"} for n in range(1, lines + 1, 2)]
    november = [{"line": str(n), "total_percent": "45"} for n in range(1, lines + 1, 3)]
    november += [{"line": "2", "new_value": "500.00", "materials_stored": "750.00"}]
    november += [{"line": "3", "retainage_released": "10.00"}]
    data["invoices"] += [
        {"commitment": "sc11", "period": "oct", "number": "NW-1", "status": "approved",
         "lines": october},
        {"commitment": "sc11", "period": "nov", "number": "NW-2", "status": "draft",
         "lines": november},
        {"commitment": "sc7", "period": "nov", "number": "INV-0042", "status": "under_review",
         "lines": [{"line": "1", "new_quantity": "150.5"}, {"line": "2", "new_quantity": "2"}]},
    ]  # fmt: skip
    return data


def load(engine: Engine, lines: int = 6) -> None:
    import_text(engine, text=json.dumps(amount_based(lines)))


def render(engine: Engine, ref: str) -> tuple[dict[str, Any], list[str]]:
    """The invoice's document and the extracted text of each PDF page."""
    with session_scope(engine) as session:
        document = invoice_document(session, find_invoice(session, ref))
    return document, pages_text(render_invoice_pdf(document))


def pages_text(pdf: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [page.extract_text() for page in reader.pages]


def shown(amount: str) -> str:
    return format_money(Decimal(amount))


def grand_total_cells(last_page: str) -> list[str]:
    rows = last_page.splitlines()
    start = rows.index("GRAND TOTAL") + 1
    return [cell.strip() for cell in rows[start : start + len(COLUMNS) - 2]]


@pytest.mark.parametrize("ref", ["SC-007/INV-0041", "SC-007/INV-0042", "SC-011/NW-2"])
def test_pdf_shows_every_g702_total_and_line_figure(engine: Engine, ref: str) -> None:
    load(engine)
    document, pages = render(engine, ref)
    with session_scope(engine) as session:
        report = invoice_report(session, find_invoice(session, ref))
    assert document["totals"] == report["totals"]
    g702, text = pages[0], "\n".join(pages)
    for name, label in G702_LABELS.items():
        assert label in g702
        assert f"${shown(report['totals'][name])}" in g702, name
    for line in report["lines"]:
        for key in MONEY_KEYS:
            assert shown(line[key]) in text, (line["line"], key)
        assert f"{line['total_percent']}%" in text
    assert document["application_number"] in g702
    assert "Summit Builders" in g702 and "Harbor Tower" in g702


def test_unit_based_lines_show_quantity_uom_and_unit_price(engine: Engine) -> None:
    load(engine)
    _, pages = render(engine, "INV-0042")
    text = " ".join(" ".join(pages).split())
    assert "1,200 LF × $12.50 · this period 150.5 · to date 450.5 LF" in text
    assert "8 EA × $4,200.00 · this period 2 · to date 2 EA" in text
    assert "5. Retainage (10%)" in pages[0]
    assert "Status Under Review" in pages[1]


def test_300_line_commitment_repeats_the_header_on_every_continuation_page(
    engine: Engine,
) -> None:
    load(engine, lines=300)
    document, pages = render(engine, "SC-011/NW-2")
    sheets = pages[1:]
    assert len(sheets) >= 5
    for number, page in enumerate(pages, 1):
        assert f"Page {number} of {len(pages)}" in page
    for page in sheets:
        assert "CONTINUATION SHEET" in page
        assert "DESCRIPTION OF WORK" in page and "RETAINAGE" in page
        assert "Application No. NW-2" in page
    assert "Work item 300" in sheets[-1]
    totals = document["totals"]
    expected = {
        key: sum((Decimal(line[key]) for line in document["lines"]), Decimal(0))
        for key in MONEY_KEYS
    }
    assert expected["scheduled_value"] == Decimal(totals["original_contract_sum"])
    completed = Decimal(totals["total_completed_and_stored_to_date"])
    assert expected["completed_to_date"] == completed
    assert expected["retainage_total"] == Decimal(totals["retainage"])
    cells = dict(zip([key for key, *_ in COLUMNS[2:]], grand_total_cells(sheets[-1]), strict=True))
    assert cells["scheduled_value"] == shown(totals["original_contract_sum"])
    assert cells["completed_to_date"] == shown(totals["total_completed_and_stored_to_date"])
    assert cells["retainage_total"] == shown(totals["retainage"])
    for key in MONEY_KEYS:
        assert cells[key] == format_money(expected[key]), key
    overall = completed / Decimal(totals["original_contract_sum"]) * 100
    assert cells["total_percent"] == f"{overall.quantize(Decimal('0.01'))}%"


def test_long_description_wraps_inside_its_column(engine: Engine) -> None:
    load(engine)
    document, pages = render(engine, "SC-011/NW-2")
    text = " ".join(" ".join(pages).split())
    assert "the loading dock & the ramp <north side>" in text
    assert "final segment ends here" in text
    (line,) = [line for line in document["lines"] if line["line"] == "2"]
    column = 720 * dict((key, share) for key, *_, share in COLUMNS)["description"]
    cell = description_cell(line, document["retainage_percent"])
    _, height = cell.wrap(column - 2 * PADDING, 1000)
    assert height > 4 * CELL.leading  # wrapped onto several lines, not one overflowing line
    assert max(cell.getActualLineWidths0()) < column - PADDING


def test_long_names_are_cut_to_fit_the_sheet_header(sqlite_engine: Engine) -> None:
    data = amount_based(3)
    data["commitments"][1]["title"] = "Mechanical, plumbing and fire protection " * 4
    data["companies"][2]["name"] = "Northwind Mechanical Contractors of the Greater " * 4
    import_text(sqlite_engine, text=json.dumps(data))
    _, pages = render(sqlite_engine, "SC-011/NW-2")
    assert "Commitment SC-011 — Mechanical, plumbing" in pages[1]
    assert "…" in pages[1]
    assert "Mechanical, plumbing and fire protection Mechanical" in " ".join(pages[0].split())


def test_draft_is_watermarked_and_lists_its_attachments(engine: Engine) -> None:
    load(engine)
    with session_scope(engine) as session:
        invoice = find_invoice(session, "SC-011/NW-2")
        for name, size in (("lien-waiver.pdf", 48_213), ("photos & notes.zip", 3_500_000)):
            assert invoice.id is not None
            session.add(
                Attachment(invoice_id=invoice.id, filename=name, size=size, sha256="0" * 64)
            )
    _, draft = render(engine, "SC-011/NW-2")
    assert all("DRAFT" in page for page in draft)
    assert "ATTACHMENTS (2)" in draft[0]
    assert "lien-waiver.pdf" in draft[0] and "47.1 KB" in draft[0]
    assert "photos & notes.zip" in draft[0] and "3.3 MB" in draft[0]
    _, approved = render(engine, "SC-011/NW-1")
    assert not any("DRAFT" in page for page in approved)
    assert "No attachments." in approved[0] and "Approved" in approved[0]


def test_same_invoice_renders_to_the_same_bytes(engine: Engine) -> None:
    load(engine)
    with session_scope(engine) as session:
        document = invoice_document(session, find_invoice(session, "INV-0041"))
    assert render_invoice_pdf(document) == render_invoice_pdf(document)


def test_lines_that_do_not_tie_to_the_g702_are_refused(sqlite_engine: Engine) -> None:
    load(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        document = invoice_document(session, find_invoice(session, "INV-0041"))
    document["totals"] = document["totals"] | {"retainage": "375.01"}
    with pytest.raises(TotalsMismatchError, match=r"375\.01"):
        render_invoice_pdf(document)


def test_a_bare_invoice_report_still_renders(sqlite_engine: Engine) -> None:
    load(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        report = invoice_report(session, find_invoice(session, "INV-0041"))
    pages = pages_text(render_invoice_pdf(report))
    assert "$3,375.00" in pages[0] and "GRAND TOTAL" in pages[-1]


def test_pdf_filename_is_safe() -> None:
    assert pdf_filename({"commitment": "SC-007", "number": "INV-0041"}) == "SC-007-INV-0041.pdf"
    assert pdf_filename({"commitment": "SC 7", "number": "2026/10"}) == "SC_7-2026_10.pdf"


def test_cli_export_pdf_writes_a_valid_pdf(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    path = write_json(tmp_path / "data.json", amount_based(4))
    result = runner.invoke(app, ["--database-url", database_url, "import", str(path)])
    assert result.exit_code == 0, result.output

    out = tmp_path / "f.pdf"
    args = ["--database-url", database_url, "export", "SC-011/NW-2"]
    result = runner.invoke(app, [*args, "--format", "pdf", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out) in result.stdout
    assert out.read_bytes().startswith(b"%PDF-")
    pages = pages_text(out.read_bytes())
    assert "APPLICATION AND CERTIFICATE FOR PAYMENT" in pages[0] and "GRAND TOTAL" in pages[-1]

    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, [*args, "--format", "pdf"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "SC-011-NW-2.pdf").is_file()
    assert "SC-011-NW-2.pdf" in result.stdout

    result = runner.invoke(app, [*args[:-1], "NOPE-1", "--format", "pdf"])
    assert result.exit_code == 1
    assert "No invoice" in result.stderr


def test_dates_are_the_projects_and_long_statuses_wrap_in_the_history(engine: Engine) -> None:
    """Sent at 03:00 UTC on Dec 1 is Nov 30 in New York: the day the contact was told, and
    "Revise and Resubmit" stays inside its column of the history."""
    load(engine)
    at = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    with session_scope(engine) as session:
        invoice = find_invoice(session, "SC-007/INV-0042")
        for project in session.exec(select(Project)):
            project.timezone = "America/New_York"
            session.add(project)
        invoice.sent_at = at
        session.add(invoice)
        session.add(
            InvoiceEvent(
                invoice_id=invoice.id,
                at=at,
                from_status="revise_and_resubmit",
                to_status="under_review",
            )
        )
    document, pages = render(engine, "SC-007/INV-0042")
    assert document["submitted_at"].startswith("2026-11-30")
    assert document["history"][-1]["at"].startswith("2026-11-30")
    text = "\n".join(pages)
    assert "on Nov 30, 2026." in text and "Dec 1, 2026" not in text
    with session_scope(engine) as session:
        pdf = render_invoice_pdf(
            invoice_document(session, find_invoice(session, "SC-007/INV-0042"))
        )
    laid_out = [
        page.extract_text(extraction_mode="layout")
        for page in pypdf.PdfReader(io.BytesIO(pdf)).pages
    ]
    assert not any("ResubmitUnder" in page for page in laid_out)  # no cell runs into the next


def test_an_invoice_imported_as_sent_does_not_say_it_was_not_sent(engine: Engine) -> None:
    """The file gives a status, not when the invoice was sent: the PDF says so, and a draft
    still says it was not sent."""
    load(engine)
    _, approved = render(engine, "SC-011/NW-1")
    said = " ".join(approved[0].split())
    assert "Sent for review (imported: the date is not recorded)." in said
    assert "Not yet sent for review." not in said
    _, draft = render(engine, "SC-011/NW-2")
    assert "Not yet sent for review." in " ".join(draft[0].split())
