"""Invoice reports (JSON shape, CSV) and finding invoices, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.db import session_scope
from models.demo import demo_text, load_demo
from models.importer import import_text
from models.report import (
    AmbiguousInvoiceError,
    UnknownInvoiceError,
    find_invoice,
    invoice_csv,
    invoice_report,
    list_invoices,
    money_text,
    quantity_text,
)
from models.tables import Attachment, InvoiceStatus
from tests.import_helpers import design_example

LINE_KEYS = {
    "line",
    "description",
    "scheduled_value",
    "previous_value",
    "unit_price",
    "uom",
    "new_quantity",
    "new_value",
    "materials_stored",
    "completed_to_date",
    "total_percent",
    "balance_to_finish",
    "retainage_held",
    "retainage_released",
    "retainage_total",
    "review",
    "change_orders",
}


@pytest.mark.parametrize(
    ("value", "text"),
    [("300.000000", "300"), ("2.500000", "2.5"), ("0E-6", "0"), ("-0", "0"), ("1200", "1200")],
)
def test_quantities_are_shown_without_needless_zeros(value: str, text: str) -> None:
    assert quantity_text(Decimal(value)) == text


@pytest.mark.parametrize(
    ("value", "text"), [("3750", "3750.00"), ("0.005", "0.01"), ("-0.001", "0.00")]
)
def test_amounts_have_two_decimals_rounded_half_up(value: str, text: str) -> None:
    assert money_text(Decimal(value)) == text


def report(session: Session, ref: str) -> dict:
    return invoice_report(session, find_invoice(session, ref))


def test_report_has_the_documented_shape_and_ties_to_the_lines(engine: Engine) -> None:
    load_demo(engine)
    with session_scope(engine) as session:
        data = report(session, "SC-011/NW-1001")
    json.dumps(data)  # plain data
    assert set(data) == {
        "id",
        "commitment",
        "commitment_key",
        "period",
        "project",
        "number",
        "status",
        "lines",
        "totals",
        "attachments",
        "history",
        "timezone",
        "change_orders",
    }
    assert (data["commitment"], data["commitment_key"], data["project"]) == (
        "SC-011",
        "sc11",
        "Harbor Tower",
    )
    assert all(set(line) == LINE_KEYS for line in data["lines"])
    mobilization, _ductwork, units = data["lines"][:3]
    assert mobilization["new_quantity"] is None
    assert (mobilization["unit_price"], mobilization["uom"]) == (None, None)  # amount-based
    assert mobilization["retainage_held"] == "0.00"  # the line's own 0% rate
    assert units["materials_stored"] == "60000.00"
    assert units["retainage_held"] == "3000.00"
    totals = data["totals"]
    completed = sum(Decimal(line["completed_to_date"]) for line in data["lines"])
    retainage = sum(Decimal(line["retainage_total"]) for line in data["lines"])
    assert Decimal(totals["total_completed_and_stored_to_date"]) == completed
    assert Decimal(totals["retainage"]) == retainage == Decimal("5275.00")
    assert totals["current_payment_due"] == "125225.00"


def test_next_period_shows_previous_figures(engine: Engine) -> None:
    import_text(engine, text=demo_text())
    later = {
        "invoices": [
            {
                "commitment": "sc11",
                "period": "nov",
                "number": "NW-1002",
                "lines": [{"line": "3", "new_value": "60000", "retainage_released": "100"}],
            }
        ]
    }
    import_text(engine, text=json.dumps(later))
    with session_scope(engine) as session:
        data = report(session, "sc11:NW-1002")
    units = data["lines"][2]
    assert (units["previous_value"], units["completed_to_date"]) == ("60000.00", "120000.00")
    assert units["retainage_total"] == "5900.00"  # 3000 + 3000 - 100
    assert data["totals"]["less_previous_certificates_for_payment"] == "125225.00"


def test_attachments_are_listed(engine: Engine) -> None:
    load_demo(engine)
    with session_scope(engine) as session:
        invoice = find_invoice(session, "INV-0041")
        assert invoice.id is not None
        session.add(
            Attachment(
                invoice_id=invoice.id,
                filename="photos.pdf",
                content_type="application/pdf",
                size=1234,
                sha256="ab" * 32,
            )
        )
    with session_scope(engine) as session:
        data = report(session, "INV-0041")
    assert data["attachments"] == [
        {
            "filename": "photos.pdf",
            "content_type": "application/pdf",
            "size": 1234,
            "sha256": "ab" * 32,
        }
    ]


def test_csv_has_g703_rows_a_totals_row_and_the_g702_lines(engine: Engine) -> None:
    load_demo(engine)
    with session_scope(engine) as session:
        data = report(session, "NW-1001")
    rows = list(csv.reader(io.StringIO(invoice_csv(data))))
    assert rows[0][:3] == ["line", "description", "scheduled_value"]
    header = rows[0]
    lines = rows[1:7]
    assert [row[0] for row in lines] == ["1", "2", "3", "4", "5", "6"]
    totals = dict(zip(header, rows[7], strict=True))
    assert totals["description"] == "Totals"
    assert totals["scheduled_value"] == "620000.00"
    assert totals["completed_to_date"] == "130500.00"
    assert totals["total_percent"] == "21.05"
    assert rows[8] == []
    assert rows[9] == ["g702", "amount"]
    assert dict(rows[10:]) == data["totals"]


def test_find_invoice_accepts_every_documented_reference(engine: Engine) -> None:
    load_demo(engine)
    with session_scope(engine) as session:
        invoice = find_invoice(session, "INV-0041")
        for ref in ("SC-007/INV-0041", "sc7:INV-0041", "inv-0041", f"{invoice.id}", " INV-0041 "):
            assert find_invoice(session, ref).id == invoice.id


def test_unknown_and_ambiguous_references_are_clear_errors(engine: Engine) -> None:
    data = design_example()
    data["commitments"].append({**data["commitments"][0], "key": "sc8", "number": "SC-008"})
    data["invoices"].append({**data["invoices"][0], "commitment": "sc8"})
    import_text(engine, text=json.dumps(data))
    with session_scope(engine) as session:
        with pytest.raises(AmbiguousInvoiceError) as caught:
            find_invoice(session, "INV-0041")
        assert "matches 2 invoices" in str(caught.value)
        assert "SC-007/INV-0041" in str(caught.value) and "SC-008/INV-0041" in str(caught.value)
        assert find_invoice(session, "SC-008/INV-0041").number == "INV-0041"
        with pytest.raises(UnknownInvoiceError, match='No invoice "INV-9"'):
            find_invoice(session, "INV-9")
        with pytest.raises(UnknownInvoiceError):
            find_invoice(session, "SC-009/INV-0041")


def test_list_invoices_filters(engine: Engine) -> None:
    load_demo(engine)
    with session_scope(engine) as session:
        assert [i.number for i in list_invoices(session)] == ["INV-0041", "NW-1001"]
        assert [i.number for i in list_invoices(session, commitment="sc11")] == ["NW-1001"]
        assert [i.number for i in list_invoices(session, commitment="SC-007")] == ["INV-0041"]
        assert list_invoices(session, period="nov") == []
        assert len(list_invoices(session, status=InvoiceStatus.approved)) == 2
        assert list_invoices(session, status=InvoiceStatus.draft) == []
        with pytest.raises(UnknownInvoiceError, match="No billing period"):
            list_invoices(session, period="jan")
        with pytest.raises(UnknownInvoiceError, match="No commitment"):
            list_invoices(session, commitment="sc99")
