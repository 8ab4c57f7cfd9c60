"""`billbot import` on SQLite and PostgreSQL, beside billbot's own work: a retainage rate does not
change under an invoice under review (its approval would certify figures nobody sent), a line's
rate that is not set is said so, a rate set under a certified invoice holds from then on, and a
language or Slack user billbot learned is kept by a file that gives none."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from models.db import session_scope
from models.importer import import_text
from models.tables import Invoice, InvoiceStatus, Person
from tests.import_helpers import DESIGN_EXAMPLE_TEXT, design_example, with_november
from tests.test_importer import refusal, report_of


def change(engine: Engine, statement: Any, **values: object) -> None:
    """billbot's own work on the row `statement` finds (a review, a language learned)."""
    with session_scope(engine) as session:
        row = session.exec(statement).one()
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)


def november_only() -> dict[str, Any]:
    """The DESIGN example with November's INV-0042 under review as its only invoice."""
    data = with_november()
    data["invoices"].pop(0)
    return data


def test_the_retainage_rate_does_not_change_under_an_invoice_under_review(
    engine: Engine,
) -> None:
    data = november_only()
    import_text(engine, text=json.dumps(data))
    data["commitments"][0]["retainage_percent"] = "5"
    (problem,) = refusal(engine, data)
    assert problem == (
        'commitments[0] (key "sc7").retainage_percent: SC-007 has retainage_percent 10 in '
        "billbot, the file says 5, and invoices under review hold retainage at 10%: INV-0042 "
        "(under review). An import does not change the figures of an invoice under review (its "
        "approval would certify figures nobody sent): keep 10, or have them returned for "
        "revision first (the contact then sends them at the new rate)."
    )


def test_a_lines_retainage_rate_does_not_change_under_an_invoice_under_review(
    engine: Engine,
) -> None:
    data = november_only()
    import_text(engine, text=json.dumps(data))
    data["commitments"][0]["lines"][0]["retainage_percent"] = "5"
    (problem,) = refusal(engine, data)
    assert problem.startswith(
        'commitments[0] (key "sc7").lines[0].retainage_percent: SC-007 line 1 (Conduit) has '
        "retainage_percent not set in billbot, the file says 5, and invoices under review bill "
        "on it: INV-0042 (under review)."
    )
    assert "leave it not set, or have them returned for revision first" in problem
    # Another figure of the line is not the review's business: a change order's, or not.
    data = november_only()
    data["commitments"][0]["lines"][0]["unit_price"] = "13"
    assert import_text(engine, text=json.dumps(data)).counts["sov_lines"].updated == 1


@pytest.mark.parametrize("status", [InvoiceStatus.revise_and_resubmit, InvoiceStatus.draft])
def test_the_retainage_rate_may_change_under_an_invoice_not_under_review(
    engine: Engine, status: InvoiceStatus
) -> None:
    """Returned (or not sent yet), the invoice is the contact's again: they send it at the new
    rate, and the administrator reviews what they send."""
    data = november_only()
    import_text(engine, text=json.dumps(data))
    change(engine, select(Invoice).where(Invoice.number == "INV-0042"), status=status)
    data["invoices"][0]["status"] = status.value
    data["commitments"][0]["retainage_percent"] = "5"
    assert import_text(engine, text=json.dumps(data)).counts["commitments"].updated == 1


def test_a_lines_own_rate_set_under_a_certified_invoice_holds_from_then_on(
    engine: Engine,
) -> None:
    """Line 1 gets a 5% rate of its own after October was certified at the commitment's 10%:
    October keeps the $375.00 it held, November's draft holds 5% on line 1 only."""
    data = with_november(status="draft")
    import_text(engine, text=json.dumps(data))
    data["commitments"][0]["lines"][0]["retainage_percent"] = "5"
    assert import_text(engine, text=json.dumps(data)).counts["sov_lines"].updated == 1
    assert report_of(engine, "INV-0041")["lines"][0]["retainage_held"] == "375.00"
    line_1, line_2 = report_of(engine, "INV-0042")["lines"]
    assert (line_1["retainage_held"], line_1["retainage_total"]) == ("62.50", "437.50")
    assert line_2["retainage_held"] == "840.00"  # the commitment's 10% of $8,400


def person(engine: Engine, key: str) -> Person:
    with session_scope(engine) as session:
        found = session.exec(select(Person).where(Person.key == key)).one()
        session.expunge(found)
        return found


def test_an_import_without_a_language_keeps_the_one_billbot_learned(engine: Engine) -> None:
    import_text(engine, text=DESIGN_EXAMPLE_TEXT)
    change(engine, select(Person).where(Person.key == "sam"), language="es")  # Sam wrote Spanish
    again = import_text(engine, text=DESIGN_EXAMPLE_TEXT)
    assert person(engine, "sam").language == "es"
    assert again.counts["people"].updated == 0


def test_an_import_without_a_slack_user_keeps_the_one_billbot_found(engine: Engine) -> None:
    """billbot found Sam's Slack user by his email; a file that names none keeps it (his
    invites and reminders go there), and one that names another replaces it."""
    import_text(engine, text=DESIGN_EXAMPLE_TEXT)
    change(engine, select(Person).where(Person.key == "sam"), slack_user_id="U0SAM")
    again = import_text(engine, text=DESIGN_EXAMPLE_TEXT)
    assert person(engine, "sam").slack_user_id == "U0SAM"
    assert again.counts["people"].updated == 0
    data = design_example()
    data["people"][1]["slack_user_id"] = "U0NEW"
    assert import_text(engine, text=json.dumps(data)).counts["people"].updated == 1
    assert person(engine, "sam").slack_user_id == "U0NEW"


def test_a_language_given_in_the_file_wins_over_the_learned_one(engine: Engine) -> None:
    import_text(engine, text=DESIGN_EXAMPLE_TEXT)
    change(engine, select(Person).where(Person.key == "sam"), language="es")  # Sam wrote Spanish
    data = design_example()
    data["people"][1]["language"] = "en"
    assert import_text(engine, text=json.dumps(data)).counts["people"].updated == 1
    assert person(engine, "sam").language == "en"
