"""The ledger on both backends: previous figures, storing entries, exact Numeric round trips."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models.billing import LineEntry, with_new_quantity, with_new_value
from models.db import session_scope
from models.ledger import invoice_figures, load_ledger, save_entries
from models.tables import (
    AccountingMethod,
    BillingPeriod,
    Commitment,
    Company,
    Invoice,
    InvoiceStatus,
    Person,
    Project,
    SovLine,
)


def seed(session: Session) -> dict[str, int]:
    gc = Company(key="gc", name="Summit Builders")
    acme = Company(key="acme", name="Acme Electric")
    session.add_all([gc, acme])
    session.flush()
    jane = Person(key="jane", company_id=gc.id, name="Jane Doe", email="jane@summit.test")
    session.add(jane)
    tower = Project(key="tower", name="Harbor Tower", number="P-100", company_id=gc.id)
    session.add(tower)
    session.flush()
    sc7 = Commitment(
        key="sc7",
        project_id=tower.id,
        number="SC-007",
        title="Electrical",
        vendor_id=acme.id,
        accounting_method=AccountingMethod.unit,
        retainage_percent=Decimal("10"),
        administrator_id=jane.id,
    )
    session.add(sc7)
    session.flush()
    session.add_all(
        [
            SovLine(
                commitment_id=sc7.id,
                number="1",
                position=1,
                description="Conduit",
                uom="LF",
                quantity=Decimal("1200"),
                unit_price=Decimal("12.50"),
            ),
            SovLine(
                commitment_id=sc7.id,
                number="2",
                position=2,
                description="Panels",
                uom="EA",
                quantity=Decimal("8"),
                unit_price=Decimal("4200.1234"),
            ),
        ]
    )
    oct_ = BillingPeriod(
        key="oct",
        project_id=tower.id,
        start=date(2026, 10, 1),
        end=date(2026, 10, 31),
        billing_date=date(2026, 10, 25),
        due_date=date(2026, 10, 31),
    )
    nov = BillingPeriod(
        key="nov",
        project_id=tower.id,
        start=date(2026, 11, 1),
        end=date(2026, 11, 30),
        billing_date=date(2026, 11, 25),
        due_date=date(2026, 11, 30),
    )
    session.add_all([oct_, nov])
    session.flush()
    assert sc7.id and oct_.id and nov.id
    return {"sc7": sc7.id, "oct": oct_.id, "nov": nov.id}


def test_previous_figures_come_from_earlier_non_draft_invoices(engine: Engine) -> None:
    with session_scope(engine) as session:
        ids = seed(session)
        sc7 = session.get(Commitment, ids["sc7"])
        oct_ = session.get(BillingPeriod, ids["oct"])
        assert sc7 and oct_
        ledger = load_ledger(session, commitment=sc7, period=oct_)
        inv = Invoice(
            commitment_id=ids["sc7"],
            period_id=ids["oct"],
            number="INV-0041",
            status=InvoiceStatus.approved,
        )
        session.add(inv)
        session.flush()
        entry = with_new_quantity(ledger.terms["1"], LineEntry(), Decimal("300"))
        save_entries(session, invoice=inv, ledger=ledger, entries={"1": entry})

    with session_scope(engine) as session:
        sc7 = session.get(Commitment, ids["sc7"])
        nov = session.get(BillingPeriod, ids["nov"])
        assert sc7 and nov
        ledger = load_ledger(session, commitment=sc7, period=nov)
        assert ledger.histories["1"].previous_quantity == Decimal("300")
        assert ledger.histories["1"].previous_value == Decimal("3750.00")
        assert ledger.histories["1"].retainage_held == Decimal("375.00")
        inv = Invoice(commitment_id=ids["sc7"], period_id=ids["nov"], number="INV-0042")
        session.add(inv)
        session.flush()
        # 100 / 4200.1234 is not a terminating decimal: the value is kept to the cent.
        entry = with_new_value(ledger.terms["2"], LineEntry(), Decimal("100"))
        save_entries(session, invoice=inv, ledger=ledger, entries={"2": entry})

    with session_scope(engine) as session:
        inv2 = session.exec(select(Invoice).where(Invoice.number == "INV-0042")).one()
        figures = invoice_figures(session, inv2)
        line1, line2 = figures.lines
        assert line1.previous_value == Decimal("3750.00")
        assert line2.new_value == Decimal("100.00")
        assert line2.new_quantity == Decimal("0.023809")
        assert figures.summary.total_completed_and_stored_to_date == Decimal("3850.00")
        assert figures.summary.retainage == Decimal("385.00")
        assert figures.summary.less_previous_certificates_for_payment == Decimal("3375.00")
        assert figures.summary.current_payment_due == Decimal("90.00")


def test_one_invoice_per_commitment_and_period(engine: Engine) -> None:
    with session_scope(engine) as session:
        ids = seed(session)
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(Invoice(commitment_id=ids["sc7"], period_id=ids["nov"], number="A"))
        session.add(Invoice(commitment_id=ids["sc7"], period_id=ids["nov"], number="B"))


def test_invoice_number_unique_per_commitment(engine: Engine) -> None:
    with session_scope(engine) as session:
        ids = seed(session)
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(Invoice(commitment_id=ids["sc7"], period_id=ids["oct"], number="A"))
        session.add(Invoice(commitment_id=ids["sc7"], period_id=ids["nov"], number="A"))
