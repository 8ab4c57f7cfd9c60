"""Change orders: the arithmetic, the import (JSON), and every place that shows a line's value."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app
from bot.console import run_console
from models.billing import (
    LineChange,
    LineEntry,
    LineHistory,
    LineTerms,
    line_figures,
    summarize,
    with_change_orders,
)
from models.db import session_scope
from models.import_check import ImportFileError
from models.importer import import_text
from models.pdf import invoice_document, render_invoice_pdf
from models.report import find_invoice, invoice_report
from models.tables import AccountingMethod, ChangeOrder, ChangeOrderLine, SovLine
from tests.import_helpers import DESIGN_EXAMPLE_TEXT, design_example, dump, write_json

runner = CliRunner()
UNIT, AMOUNT = AccountingMethod.unit, AccountingMethod.amount

# DESIGN §4's change order, on the DESIGN example (SC-007 is unit-based): two more panels
# and a new line, approved in November.
CO1: dict[str, Any] = {
    "key": "co1",
    "commitment": "sc7",
    "number": "CO-001",
    "title": "Added panels",
    "approved_on": "2026-11-10",
    "lines": [
        {"line": "2", "quantity_change": "2"},
        {
            "new": {
                "number": "3",
                "description": "Generator hookup",
                "uom": "EA",
                "quantity": "1",
                "unit_price": "9800",
            }
        },
    ],
}
NOV_INVOICE: dict[str, Any] = {
    "commitment": "sc7",
    "period": "nov",
    "number": "INV-0042",
    "status": "under_review",
    "lines": [{"line": "2", "new_quantity": "10"}, {"line": "3", "total_percent": "50"}],
}


def example(*change_orders: dict[str, Any], invoices: bool = True) -> dict[str, Any]:
    data = design_example()
    data["billing_periods"].append(
        {
            "key": "dec",
            "project": "tower",
            "start": "2026-12-01",
            "end": "2026-12-31",
            "billing_date": "2026-12-25",
            "due_date": "2026-12-31",
        }
    )
    data["change_orders"] = [json.loads(json.dumps(order)) for order in change_orders]
    if invoices and change_orders:
        data["invoices"].append(json.loads(json.dumps(NOV_INVOICE)))
    return data


def report_of(engine: Engine, ref: str) -> dict[str, Any]:
    with session_scope(engine) as session:
        return invoice_report(session, find_invoice(session, ref))


def refused(engine: Engine, data: dict[str, Any]) -> list[str]:
    before = dump(engine)
    with pytest.raises(ImportFileError) as caught:
        import_text(engine, text=json.dumps(data))
    assert dump(engine) == before
    return [str(problem) for problem in caught.value.problems]


# --- the arithmetic ---------------------------------------------------------------------------

PANELS = LineTerms("2", "Panels", UNIT, quantity=D("8"), unit_price=D("4200"), uom="EA")
FIXTURES = LineTerms("3", "Fixtures", AMOUNT, scheduled_value=D("20000"))


def test_a_quantity_change_is_billed_at_the_lines_unit_price() -> None:
    terms = with_change_orders(PANELS, [LineChange("CO-001", quantity=D("2"))])
    assert (terms.quantity, terms.value, terms.original_value) == (D("10"), D("42000"), D("33600"))
    assert terms.changes == (("CO-001", D("8400.00")),)
    figures = line_figures(terms, LineHistory(), LineEntry())
    assert (figures.scheduled_value, figures.original_value) == (D("42000.00"), D("33600.00"))
    assert figures.net_change == D("8400.00")


def test_amount_changes_add_up_and_each_is_named() -> None:
    changes = [LineChange("CO-001", amount=D("-1500")), LineChange("CO-002", amount=D("250.50"))]
    terms = with_change_orders(FIXTURES, changes)
    assert terms.value == D("18750.50")
    assert terms.change_orders == ("CO-001", "CO-002")
    assert terms.changes == (("CO-001", D("-1500.00")), ("CO-002", D("250.50")))


def test_a_line_added_by_a_change_order_had_no_original_value() -> None:
    hookup = LineTerms("4", "Generator hookup", AMOUNT, scheduled_value=D("9800"))
    terms = with_change_orders(hookup, [LineChange("CO-001", adds_line=True)])
    summary = summarize([line_figures(terms, LineHistory(), LineEntry())])
    assert summary.original_contract_sum == D("0.00")
    assert summary.net_change_by_change_orders == D("9800.00")
    assert summary.contract_sum_to_date == D("9800.00")


def test_each_change_order_is_the_step_it_makes_in_the_rounded_scheduled_value() -> None:
    # 3 x 1.005 = 3.015 -> $3.02; 4 x 1.005 = 4.02: the change order adds $1.00 to column C
    # (not $1.01, 1 x 1.005 rounded on its own), so line 2 ties to column C to the cent.
    line = LineTerms("1", "Anchors", UNIT, quantity=D("3"), unit_price=D("1.005"))
    terms = with_change_orders(line, [LineChange("CO-001", quantity=D("1"))])
    figures = line_figures(terms, LineHistory(), LineEntry())
    summary = summarize([figures])
    assert terms.changes == (("CO-001", D("1.00")),)
    assert (summary.original_contract_sum, summary.contract_sum_to_date) == (
        D("3.02"),
        D("4.02"),
    )
    assert summary.net_change_by_change_orders == D("1.00")


# --- importing them ---------------------------------------------------------------------------


def test_a_change_order_counts_from_the_period_whose_end_is_on_or_after_its_approval(
    engine: Engine,
) -> None:
    import_text(engine, text=DESIGN_EXAMPLE_TEXT)
    october = report_of(engine, "INV-0041")
    import_text(engine, text=json.dumps(example(CO1)))

    assert report_of(engine, "INV-0041") == october  # the earlier invoice is unchanged
    assert [line["line"] for line in october["lines"]] == ["1", "2"]
    assert october["change_orders"] == []

    november = report_of(engine, "INV-0042")
    totals = november["totals"]
    assert totals["original_contract_sum"] == "48600.00"
    assert totals["net_change_by_change_orders"] == "18200.00"  # 2 x 4,200 + 9,800
    assert totals["contract_sum_to_date"] == "66800.00"
    line1, line2, line3 = november["lines"]
    assert (line2["scheduled_value"], line2["new_value"]) == ("42000.00", "42000.00")
    assert line2["total_percent"] == "100.00"  # 10 panels: past the original 8, within CO-001
    assert line2["change_orders"] == [{"number": "CO-001", "amount": "8400.00"}]
    assert (line3["scheduled_value"], line3["new_value"]) == ("9800.00", "4900.00")
    assert line3["change_orders"] == [{"number": "CO-001", "amount": "9800.00"}]
    assert line1["change_orders"] == []
    assert november["change_orders"] == [
        {
            "number": "CO-001",
            "title": "Added panels",
            "approved_on": "2026-11-10",
            "amount": "18200.00",
        }
    ]
    balance = D(totals["contract_sum_to_date"]) - D(totals["total_earned_less_retainage"])
    assert totals["balance_to_finish_including_retainage"] == f"{balance:.2f}"


@pytest.mark.parametrize(
    ("approved_on", "counts_in_october"), [("2026-10-31", True), ("2026-11-01", False)]
)
def test_the_approval_date_on_the_last_day_of_a_period_counts_for_it(
    engine: Engine, approved_on: str, counts_in_october: bool
) -> None:
    order = {**CO1, "approved_on": approved_on}
    import_text(engine, text=json.dumps(example(order, invoices=False)))
    totals = report_of(engine, "INV-0041")["totals"]
    expected = "18200.00" if counts_in_october else "0.00"
    assert totals["net_change_by_change_orders"] == expected


def test_line_2_and_the_contract_sum_move_by_the_change_order_from_its_period_on(
    engine: Engine,
) -> None:
    data = example(CO1)
    data["invoices"].append({"commitment": "sc7", "period": "dec", "number": "INV-0043"})
    import_text(engine, text=json.dumps(data))
    for ref, change in (("INV-0041", D("0")), ("INV-0042", D("18200")), ("INV-0043", D("18200"))):
        totals = report_of(engine, ref)["totals"]
        assert D(totals["net_change_by_change_orders"]) == change
        assert D(totals["contract_sum_to_date"]) == D("48600") + change
        assert D(totals["original_contract_sum"]) == D("48600")


def test_billing_past_the_original_quantity_needs_the_change_order(engine: Engine) -> None:
    data = design_example()
    data["invoices"].append(NOV_INVOICE | {"lines": [{"line": "2", "new_quantity": "10"}]})
    (problem,) = refused(engine, data)
    assert "does not allow billing past 100%" in problem


def test_reimporting_change_orders_changes_nothing(engine: Engine) -> None:
    text = json.dumps(example(CO1))
    import_text(engine, text=text)
    before = dump(engine)
    again = import_text(engine, text=text)
    assert not again.changed
    assert again.counts["change_orders"].unchanged == 1
    assert dump(engine) == before


def test_a_line_taken_off_a_change_order_goes_and_a_new_line_with_it(engine: Engine) -> None:
    import_text(engine, text=json.dumps(example(CO1, invoices=False)))
    smaller = {**CO1, "lines": CO1["lines"][:1], "title": "Two more panels"}
    summary = import_text(engine, text=json.dumps({"change_orders": [smaller]}))
    assert summary.counts["change_orders"].updated == 1
    with session_scope(engine) as session:
        assert [line.number for line in session.exec(select(SovLine))] == ["1", "2"]
        assert len(session.exec(select(ChangeOrderLine)).all()) == 1
        assert session.exec(select(ChangeOrder)).one().title == "Two more panels"


def test_a_billed_line_cannot_be_taken_off_the_change_order_that_added_it(engine: Engine) -> None:
    data = example(CO1)
    data["invoices"][-1]["status"] = "revise_and_resubmit"  # under review, it is not changed
    import_text(engine, text=json.dumps(data))
    smaller = {**CO1, "lines": CO1["lines"][:1]}
    (problem,) = refused(engine, {"change_orders": [smaller]})
    assert "line 3, which this change order added, is on 1 invoice(s)" in problem


def test_a_change_order_may_not_take_a_line_below_what_was_billed(engine: Engine) -> None:
    import_text(engine, text=DESIGN_EXAMPLE_TEXT)  # 300 LF of conduit billed in October
    order = {**CO1, "lines": [{"line": "1", "quantity_change": "-1000"}]}
    (problem,) = refused(engine, {"change_orders": [order]})
    assert problem == (
        'change_orders[0] (key "co1").lines[0].quantity_change: CO-001 takes line 1 (Conduit) '
        "to 200 LF ($2,500.00), below the $3,750.00 already billed on it"
    )


def test_a_change_order_may_take_a_line_down_to_what_was_billed(engine: Engine) -> None:
    import_text(engine, text=DESIGN_EXAMPLE_TEXT)
    order = {**CO1, "lines": [{"line": "1", "quantity_change": "-900"}]}  # 300 LF left = billed
    import_text(engine, text=json.dumps({"change_orders": [order]}))
    assert report_of(engine, "INV-0041")["totals"]["net_change_by_change_orders"] == "0.00"


def test_later_billing_counts_against_an_earlier_change_order(engine: Engine) -> None:
    # December bills 500 LF more (800 LF in all, sent and returned); a change order approved
    # in November that leaves 700 LF is refused, although only 300 LF had been billed when it
    # was approved.
    data = design_example()
    data["billing_periods"] = example()["billing_periods"]
    data["invoices"].append(
        {
            "commitment": "sc7",
            "period": "dec",
            "number": "INV-0043",
            "status": "revise_and_resubmit",  # (under review, it is not changed at all)
            "lines": [{"line": "1", "new_quantity": "500"}],
        }
    )
    import_text(engine, text=json.dumps(data))
    order = {**CO1, "lines": [{"line": "1", "quantity_change": "-500"}]}
    (problem,) = refused(engine, {"change_orders": [order]})
    assert "to 700 LF ($8,750.00), below the $10,000.00 already billed" in problem


def test_a_later_change_order_that_restores_the_line_is_weighed_on_its_own(
    engine: Engine,
) -> None:
    import_text(engine, text=DESIGN_EXAMPLE_TEXT)
    cut = {**CO1, "lines": [{"line": "1", "quantity_change": "-1000"}]}
    back = {
        **CO1,
        "key": "co2",
        "number": "CO-002",
        "approved_on": "2026-12-02",
        "lines": [{"line": "1", "quantity_change": "1000"}],
    }
    problems = refused(engine, {"change_orders": [cut, back]})
    assert [problem.split(":")[0] for problem in problems] == [
        'change_orders[0] (key "co1").lines[0].quantity_change'
    ]


BAD_CHANGE_ORDERS: list[tuple[str, dict[str, Any], str]] = [
    (
        "unknown_line",
        {"line": "9", "quantity_change": "1"},
        'lines[0].line: SC-007 has no line "9" (its lines: 1, 2)',
    ),
    (
        "amount_change_on_a_unit_line",
        {"line": "2", "change": "-1500.00"},
        "lines[0].change: is for amount-based lines (SC-007 is unit-based): give quantity_change",
    ),
    (
        "new_line_number_taken",
        {"new": {"number": "2", "uom": "EA", "quantity": "1", "unit_price": "1"}},
        'lines[0].new.number: line "2" is already on SC-007',
    ),
    (
        "new_line_of_the_wrong_shape",
        {"new": {"number": "4", "scheduled_value": "9800.00"}},
        "lines[0].new.quantity: is required on a unit-based commitment",
    ),
    (
        "no_change_given",
        {"line": "2"},
        "lines[0].change: is required: quantity_change (unit-based) or change (amount-based)",
    ),
    (
        "not_a_number",
        {"line": "2", "quantity_change": "2x"},
        'lines[0].quantity_change: "2x" is not a number',
    ),
]


@pytest.mark.parametrize(
    ("line", "expected"), [pytest.param(line, e, id=name) for name, line, e in BAD_CHANGE_ORDERS]
)
def test_bad_change_orders_are_refused_naming_the_line(
    engine: Engine, line: dict[str, Any], expected: str
) -> None:
    import_text(engine, text=DESIGN_EXAMPLE_TEXT)
    order = {**CO1, "lines": [line]}
    problems = refused(engine, {"change_orders": [order]})
    assert any(expected in problem for problem in problems), problems


def test_a_change_order_without_lines_or_with_a_duplicate_key_is_refused(engine: Engine) -> None:
    data = example(CO1, {**CO1, "number": "CO-002", "lines": []}, invoices=False)
    problems = refused(engine, data)
    assert 'change_orders[1] (key "co1").key: duplicate key "co1"' in problems[0]
    assert any("lines: a change order needs at least one line" in p for p in problems)


def test_a_change_to_a_line_that_a_later_change_order_adds_is_refused(engine: Engine) -> None:
    later = {**CO1, "key": "co2", "number": "CO-002", "approved_on": "2026-12-05"}
    earlier = {
        **CO1,
        "key": "co3",
        "number": "CO-003",
        "lines": [{"line": "3", "quantity_change": "1"}],
    }
    import_text(engine, text=json.dumps(example(later, invoices=False)))
    (problem,) = refused(engine, {"change_orders": [earlier]})
    assert "line 3 is added by CO-002, approved 2026-12-05, after this change order" in problem


def test_a_commitment_line_that_a_change_order_added_is_left_to_change_orders(
    engine: Engine,
) -> None:
    import_text(engine, text=json.dumps(example(CO1, invoices=False)))
    data = design_example()
    data["commitments"][0]["lines"].append(
        {"number": "3", "description": "Hookup", "uom": "EA", "quantity": "2", "unit_price": "1"}
    )
    (problem,) = refused(engine, data)
    assert "line 3 was added by change order CO-001: change it with a change order" in problem


# --- where they show ----------------------------------------------------------------------------


def test_invoices_json_counts_the_change_orders(database_url: str, tmp_path: Path) -> None:
    path = write_json(tmp_path / "co.json", example(CO1))
    assert runner.invoke(app, ["--database-url", database_url, "import", str(path)]).exit_code == 0
    result = runner.invoke(app, ["--database-url", database_url, "invoices", "--json"])
    assert result.exit_code == 0, result.output
    october, november = json.loads(result.stdout)
    assert october["totals"]["net_change_by_change_orders"] == "0.00"
    assert november["totals"]["net_change_by_change_orders"] == "18200.00"
    table = runner.invoke(app, ["--database-url", database_url, "invoices"]).stdout
    assert "CO-001 Added panels (approved 2026-11-10)  18,200.00" in table


def test_the_pdf_lists_the_change_orders_and_ties_column_c_to_the_contract_sum(
    engine: Engine,
) -> None:
    import_text(engine, text=json.dumps(example(CO1)))
    with session_scope(engine) as session:
        document = invoice_document(session, find_invoice(session, "INV-0042"))
    pdf = PdfReader(io.BytesIO(render_invoice_pdf(document)))
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert "CHANGE ORDERS (1)" in text and "Added panels" in text
    assert "incl. CO-001 +$8,400.00" in text
    assert "66,800.00" in text  # column C's grand total = G702 line 3


def test_the_conversation_shows_line_values_including_change_orders(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    import_text(sqlite_engine, text=json.dumps(example(CO1, invoices=False)))
    out = io.StringIO()
    code = run_console(
        sqlite_engine,
        person_key="sam",
        stdin=io.StringIO("INV-0042\n1: skip\n2: 2 EA\n3: done\nnone\nreview\n"),
        stdout=out,
        attachments_dir=tmp_path,
        now=datetime(2026, 11, 20, 15, tzinfo=UTC),
    )
    text = out.getvalue()
    assert code == 0, text
    assert "10 EA × $4,200.00 = $42,000.00 incl. CO-001." in text
    assert "Change orders: line 2 (Panels) is $42,000.00 incl. CO-001; line 3 (Generator" in text
    assert "2. Net change by change orders" in text and "$18,200.00" in text


def test_an_amount_based_line_prompt_names_its_change_orders() -> None:
    from conversations.context import Context
    from conversations.render import line_prompt
    from conversations.state import State

    terms = with_change_orders(FIXTURES, [LineChange("CO-001", amount=D("-1500"))])
    ctx = Context(now=datetime(2026, 11, 20, tzinfo=UTC), today=datetime(2026, 11, 20).date())
    ctx = Context(now=ctx.now, today=ctx.today, lines=(terms,))
    prompt = line_prompt(State(), ctx, "3")
    assert "scheduled $18,500.00 incl. CO-001." in prompt


def test_the_review_names_the_change_orders_on_email_and_slack() -> None:
    from bot.slack.blocks import render_reply
    from conversations.types import Reply, ReplyKind
    from mail.html import reply_html

    changed = with_change_orders(PANELS, [LineChange("CO-001", quantity=D("2"))])
    lines = tuple(line_figures(terms, LineHistory(), LineEntry()) for terms in (FIXTURES, changed))
    reply = Reply("Please check:", ReplyKind.review, lines=lines, totals=summarize(lines))
    note = "Change orders: line 2 (Panels) is $42,000.00 incl. CO-001."
    assert note in reply_html(reply)
    slack = json.dumps([message.blocks for message in render_reply(reply)])
    assert note in slack
    unchanged = Reply("Please check:", ReplyKind.review, lines=lines[:1])
    assert "Change orders" not in reply_html(unchanged)


def test_an_unchanged_change_order_is_not_weighed_again_against_later_billing(
    engine: Engine,
) -> None:
    cut = {**CO1, "approved_on": "2026-12-05", "lines": [{"line": "1", "quantity_change": "-600"}]}
    first = example(cut, invoices=False)
    import_text(engine, text=json.dumps(first))
    november = {
        "commitment": "sc7",
        "period": "nov",
        "number": "INV-0042",
        "status": "approved",
        "lines": [{"line": "1", "new_quantity": "600"}],  # 900 LF in all: CO-001 leaves 600
    }
    import_text(engine, text=json.dumps({"invoices": [november]}))  # before CO-001 counts
    assert not import_text(engine, text=json.dumps(first)).changed
    retitled = example({**cut, "title": "Less conduit"}, invoices=False)
    (problem,) = refused(engine, retitled)
    assert "to 600 LF ($7,500.00), below the $11,250.00 already billed" in problem


def test_a_change_order_may_not_reach_back_into_a_certified_period(engine: Engine) -> None:
    """October's INV-0041 is approved: a change order dated in October would change the
    contract sum it was certified on; dated after October it counts from November."""
    import_text(engine, text=DESIGN_EXAMPLE_TEXT)
    backdated = {**CO1, "approved_on": "2026-10-20"}
    (problem,) = refused(engine, {"change_orders": [backdated]})
    assert problem == (
        'change_orders[0] (key "co1").approved_on: CO-001 counts for the periods that end on or '
        "after 2026-10-20, and SC-007 has certified invoices there: INV-0041 (approved). An "
        "import does not change the figures a certified invoice stands on: a change order "
        "approved since counts from the next period, so date it after 2026-10-31"
    )
    import_text(engine, text=json.dumps({"change_orders": [CO1]}))  # 2026-11-10: counts later


def test_a_change_order_a_certified_invoice_counts_keeps_its_figures_and_date(
    engine: Engine,
) -> None:
    early = {**CO1, "approved_on": "2026-10-05", "lines": [{"line": "2", "quantity_change": "2"}]}
    data = design_example()
    data["change_orders"] = [early]
    import_text(engine, text=json.dumps(data))  # INV-0041 certified with CO-001 counted
    for changed in (
        {**early, "lines": [{"line": "2", "quantity_change": "3"}]},
        {**early, "approved_on": "2026-11-05"},
    ):
        (problem,) = refused(engine, {"change_orders": [changed]})
        assert "and SC-007 has certified invoices there: INV-0041 (approved)" in problem
    retitled = {**early, "title": "Two more panels (owner CO 4)"}
    summary = import_text(engine, text=json.dumps({"change_orders": [retitled]}))
    assert summary.counts["change_orders"].updated == 1


def test_a_change_order_number_given_again_under_a_new_key_is_named(engine: Engine) -> None:
    import_text(engine, text=json.dumps(example(CO1, invoices=False)))
    (problem,) = refused(engine, {"change_orders": [{**CO1, "key": "co1-again"}]})
    assert problem == (
        'change_orders[0] (key "co1-again").number: SC-007 already has change order CO-001, '
        'with key "co1": give that key to change it, or another number'
    )
