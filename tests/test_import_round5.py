"""`billbot import`, a GC accountant's pass: invoices are certified in order, a change order
does not change an invoice under review, a blank cell does not take a commitment's contacts or
administrator away, and a hidden sheet or column is never read unseen."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import select

from models.db import session_scope
from models.import_check import ImportFileError
from models.importer import import_text, import_workbook
from models.tables import Commitment, CommitmentContact
from tests.import_helpers import design_example, dump, with_november
from tests.test_change_orders import CO1, NOV_INVOICE, example, report_of
from tests.test_importer import refusal
from tests.workbook_helpers import fill

# --- invoices are certified in order ----------------------------------------------------------


@pytest.mark.parametrize("earlier", ["under_review", "revise_and_resubmit"])
@pytest.mark.parametrize("later", ["approved", "approved_as_noted", "pending_owner_approval"])
def test_a_later_invoice_is_not_certified_over_an_earlier_one_not_certified(
    engine: Engine, earlier: str, later: str
) -> None:
    data = with_november(status=later)
    data["invoices"][0]["status"] = earlier
    (problem,) = refusal(engine, data)
    assert problem.startswith(
        'invoices[1] (commitment "sc7", number "INV-0042").status: SC-007 invoice INV-0042 '
        '(period "nov") is '
    )
    assert "but invoice INV-0041 (2026-10-01 – 2026-10-31, " in problem
    assert "Invoices are certified in order" in problem


def test_the_earlier_invoice_not_certified_may_be_in_the_database(engine: Engine) -> None:
    data = design_example()
    data["invoices"][0]["status"] = "under_review"
    import_text(engine, text=json.dumps(data))
    november = {**with_november()["invoices"][1], "status": "approved"}
    (problem,) = refusal(engine, {"invoices": [november]})
    assert problem.startswith(
        'invoices[0] (commitment "sc7", number "INV-0042").status: SC-007 invoice INV-0042 '
        '(period "nov") is approved in the file, but invoice INV-0041 (2026-10-01 – '
        "2026-10-31, under review) of an earlier period is not certified"
    )


def test_invoices_certified_in_order_are_imported(engine: Engine) -> None:
    summary = import_text(engine, text=json.dumps(with_november(status="approved")))
    assert summary.counts["invoices"].created == 2


def test_an_earlier_draft_is_not_previous_work_and_is_allowed(engine: Engine) -> None:
    """As in the review: a draft never sent is no invoice's previous work (test_send_order
    keeps billbot from sending it under the certified one)."""
    data = with_november(status="approved")
    data["invoices"][0]["status"] = "draft"
    import_text(engine, text=json.dumps(data))
    assert (
        report_of(engine, "INV-0042")["totals"]["less_previous_certificates_for_payment"] == "0.00"
    )


# --- a change order does not change an invoice under review -----------------------------------

UNDER_REVIEW = (
    'change_orders[0] (key "co1").approved_on: CO-001 counts for the periods that end on or '
    "after 2026-11-10, and SC-007 has invoices under review there: INV-0042 (under review). "
    "An import does not change the figures of an invoice under review (its approval would "
    "certify figures nobody sent): have them returned for revision first (the contact then "
    "sends them with CO-001), or date CO-001 after 2026-11-30 so it counts from the next period"
)


def test_a_new_change_order_does_not_change_an_invoice_under_review(engine: Engine) -> None:
    import_text(engine, text=json.dumps(with_november()))
    before = report_of(engine, "INV-0042")["totals"]
    assert refusal(engine, {"change_orders": [CO1]}) == [UNDER_REVIEW]  # it adds a line, too
    assert report_of(engine, "INV-0042")["totals"] == before
    deduct = {**CO1, "lines": [{"line": "2", "quantity_change": "-1"}]}
    assert refusal(engine, {"change_orders": [deduct]}) == [UNDER_REVIEW]


def test_a_change_order_dated_after_the_period_under_review_is_imported(engine: Engine) -> None:
    data = with_november()
    data["billing_periods"] = example()["billing_periods"]
    import_text(engine, text=json.dumps(data))
    later = {**CO1, "approved_on": "2026-12-01"}
    summary = import_text(engine, text=json.dumps({"change_orders": [later]}))
    assert summary.counts["change_orders"].created == 1
    assert report_of(engine, "INV-0042")["totals"]["net_change_by_change_orders"] == "0.00"


def _sent_with_co1(engine: Engine) -> dict[str, Any]:
    """CO-001 imported with November's invoice as a draft, which is then sent (by a file)."""
    data = example(CO1)
    data["invoices"][-1]["status"] = "draft"
    import_text(engine, text=json.dumps(data))
    sent = {**NOV_INVOICE, "status": "under_review"}
    import_text(engine, text=json.dumps({"invoices": [sent]}))
    return data


@pytest.mark.parametrize(
    "edit",
    [
        {"lines": [{"line": "2", "quantity_change": "3"}, CO1["lines"][1]]},
        {"approved_on": "2026-11-05"},
    ],
    ids=["its_figures", "its_date"],
)
def test_a_change_order_edited_under_an_invoice_under_review_is_refused(
    engine: Engine, edit: dict[str, Any]
) -> None:
    _sent_with_co1(engine)
    (problem,) = refusal(engine, {"change_orders": [{**CO1, **edit}]})
    assert "SC-007 has invoices under review there: INV-0042 (under review)" in problem
    assert problem.startswith('change_orders[0] (key "co1").approved_on: CO-001 counts')


def test_a_change_order_retitled_under_an_invoice_under_review_is_imported(
    engine: Engine,
) -> None:
    _sent_with_co1(engine)
    retitled = {**CO1, "title": "Two more panels (owner CO 4)"}
    summary = import_text(engine, text=json.dumps({"change_orders": [retitled]}))
    assert summary.counts["change_orders"].updated == 1


def test_a_change_order_may_change_a_returned_invoice(engine: Engine) -> None:
    import_text(engine, text=json.dumps(with_november(status="revise_and_resubmit")))
    import_text(engine, text=json.dumps({"change_orders": [CO1]}))
    assert report_of(engine, "INV-0042")["totals"]["net_change_by_change_orders"] == "18200.00"


# --- a blank cell does not take the contacts or the administrator away ------------------------


def test_a_blank_invoice_contacts_does_not_remove_them_all(engine: Engine) -> None:
    import_text(engine, text=json.dumps(design_example()))
    data = design_example()
    del data["commitments"][0]["invoice_contacts"]
    (problem,) = refusal(engine, data)
    assert problem == (
        'commitments[0] (key "sc7").invoice_contacts: SC-007 has invoice contacts sam in '
        "billbot, and the file gives none: an import does not take away all of a commitment's "
        "invoice contacts (nobody would be invited or reminded to bill). List them to keep "
        'them: "sam"; to change them, list the new ones.'
    )


def test_a_blank_administrator_does_not_remove_it(engine: Engine) -> None:
    import_text(engine, text=json.dumps(design_example()))
    data = design_example()
    data["commitments"][0]["administrator"] = None
    (problem,) = refusal(engine, data)
    assert problem == (
        'commitments[0] (key "sc7").administrator: SC-007 has administrator jane in billbot, '
        "and the file gives none: an import does not take away a commitment's administrator "
        '(nobody would review its invoices). Give "jane" to keep them, or the new administrator.'
    )


def test_blank_contact_cells_in_a_workbook_are_named_by_cell(
    engine: Engine, tmp_path: Path
) -> None:
    import_text(engine, text=json.dumps(design_example()))
    data = design_example()
    data["commitments"][0]["invoice_contacts"] = []
    del data["commitments"][0]["administrator"]
    problems = workbook_refusal(engine, fill(tmp_path / "blank.xlsx", data))
    assert [problem.split(":")[0] for problem in problems] == ["commitments!J2", "commitments!K2"]
    with session_scope(engine) as session:
        commitment = session.exec(select(Commitment)).one()
        assert commitment.administrator_id is not None
        assert len(session.exec(select(CommitmentContact)).all()) == 1


def test_a_new_commitment_may_have_no_contacts_yet(engine: Engine) -> None:
    data = design_example()
    data["commitments"][0]["invoice_contacts"] = []
    del data["commitments"][0]["administrator"]
    import_text(engine, text=json.dumps(data))
    assert not import_text(engine, text=json.dumps(data)).changed


# --- hidden sheets and columns ----------------------------------------------------------------


def workbook_refusal(engine: Engine, path: Path) -> list[str]:
    before = dump(engine)
    with pytest.raises(ImportFileError) as caught:
        import_workbook(engine, path=path)
    assert dump(engine) == before
    return [str(problem) for problem in caught.value.problems]


def _edited(path: Path, change: Any) -> Path:
    book = load_workbook(path)
    change(book)
    book.save(path)
    return path


def test_a_hidden_column_holding_values_is_refused(engine: Engine, tmp_path: Path) -> None:
    def hide(book: Any) -> None:
        sheet = book["sov_lines"]
        sheet["I3"] = 0  # retainage_percent 0 on Panels, out of sight
        sheet.column_dimensions["I"].hidden = True

    path = _edited(fill(tmp_path / "hidden.xlsx", design_example()), hide)
    assert workbook_refusal(engine, path) == [
        "sov_lines!I3: retainage_percent: column I is hidden in the sheet (or too narrow to "
        "see) and holds values: billbot does not import a column unseen. Unhide it to import "
        "it, or clear it"
    ]


def test_a_column_too_narrow_to_see_is_refused(engine: Engine, tmp_path: Path) -> None:
    def narrow(book: Any) -> None:
        sheet = book["sov_lines"]
        sheet["I2"] = 0
        sheet.column_dimensions["I"].width = 0.5

    path = _edited(fill(tmp_path / "narrow.xlsx", design_example()), narrow)
    (problem,) = workbook_refusal(engine, path)
    assert problem.startswith("sov_lines!I2: retainage_percent: column I is hidden")


def test_an_empty_hidden_column_is_passed_over(engine: Engine, tmp_path: Path) -> None:
    def hide(book: Any) -> None:
        book["sov_lines"].column_dimensions["I"].hidden = True

    path = _edited(fill(tmp_path / "empty.xlsx", design_example()), hide)
    assert import_workbook(engine, path=path).counts["invoices"].created == 1


def test_a_hidden_sheet_is_not_read_in_place_of_a_visible_one(
    engine: Engine, tmp_path: Path
) -> None:
    def copy(book: Any) -> None:
        old = book["sov_lines"]
        new = book.copy_worksheet(old)
        new.title = "SOV Lines"
        new["G3"] = 4500  # the new price of Panels
        old.sheet_state = "hidden"

    path = _edited(fill(tmp_path / "sheets.xlsx", design_example()), copy)
    assert workbook_refusal(engine, path) == [
        "sov_lines: the sov_lines sheet is hidden, and the workbook also has SOV Lines: billbot "
        "does not import a sheet unseen, nor guess which one is meant. Unhide it to import it, "
        "or delete it if SOV Lines is the one to import"
    ]


def test_a_hidden_sheet_alone_is_refused(engine: Engine, tmp_path: Path) -> None:
    def hide(book: Any) -> None:
        book["change_orders"].sheet_state = "veryHidden"

    path = _edited(fill(tmp_path / "hidden_sheet.xlsx", design_example()), hide)
    assert workbook_refusal(engine, path) == [
        "change_orders: the change_orders sheet is hidden: billbot does not import a sheet "
        "unseen. Unhide it to import it"
    ]
