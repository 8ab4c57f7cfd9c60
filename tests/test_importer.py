"""`billbot import` on SQLite and PostgreSQL: the DESIGN example, idempotence, all-or-nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app
from models.conversation import Conversation
from models.db import session_scope
from models.import_check import ImportFileError, parse_import
from models.importer import import_text
from models.report import find_invoice, invoice_report
from models.review import Decision, ReviewKind, record_event
from models.tables import (
    Commitment,
    CommitmentContact,
    Company,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Person,
    SovLine,
)
from tests.import_helpers import (
    DESIGN_EXAMPLE_TEXT,
    design_example,
    dump,
    review,
    with_november,
    write_json,
)

runner = CliRunner()


def cli(database_url: str, *args: str) -> Any:
    return runner.invoke(app, ["--database-url", database_url, *args])


def report_of(engine: Engine, ref: str) -> dict[str, Any]:
    with session_scope(engine) as session:
        return invoice_report(session, find_invoice(session, ref))


def test_design_example_imports_and_lists_inv_0041(database_url: str, tmp_path: Path) -> None:
    path = write_json(tmp_path / "example.json", DESIGN_EXAMPLE_TEXT)
    result = cli(database_url, "import", str(path))
    assert result.exit_code == 0, result.output
    assert "invoices" in result.stdout

    result = cli(database_url, "invoices", "--json")
    assert result.exit_code == 0, result.output
    (invoice,) = json.loads(result.stdout)
    assert (invoice["commitment"], invoice["commitment_key"]) == ("SC-007", "sc7")
    assert (invoice["period"], invoice["number"], invoice["status"]) == (
        "oct",
        "INV-0041",
        "approved",
    )
    line1, line2 = invoice["lines"]
    assert line1["line"] == "1"
    assert line1["new_quantity"] == "300"
    assert line1["new_value"] == "3750.00"
    assert line1["total_percent"] == "25.00"
    assert line1["retainage_held"] == "375.00"
    assert line2["new_quantity"] == "0"
    assert invoice["totals"]["original_contract_sum"] == "48600.00"
    assert invoice["totals"]["current_payment_due"] == "3375.00"
    assert invoice["attachments"] == []


def test_reimport_changes_nothing(engine: Engine) -> None:
    first = import_text(engine, text=DESIGN_EXAMPLE_TEXT)
    assert first.changed
    before = dump(engine)
    again = import_text(engine, text=DESIGN_EXAMPLE_TEXT)
    assert not again.changed
    assert again.counts["invoices"].unchanged == 1
    assert again.counts["sov_lines"].unchanged == 2
    assert dump(engine) == before


def test_changed_fields_update_the_rows(engine: Engine) -> None:
    data = design_example()
    data["invoices"][0]["status"] = "under_review"  # not certified: the file may still change it
    import_text(engine, text=json.dumps(data))
    data["companies"][1]["name"] = "Acme Electric LLC"
    data["commitments"][0]["lines"][0]["unit_price"] = "13"
    data["commitments"][0]["invoice_contacts"] = ["sam", "jane"]
    data["invoices"][0]["status"] = "approved_as_noted"
    summary = import_text(engine, text=json.dumps(data))
    assert summary.counts["companies"].updated == 1
    assert summary.counts["companies"].unchanged == 1
    assert summary.counts["sov_lines"].updated == 1
    assert summary.counts["commitments"].updated == 1
    assert summary.counts["invoices"].updated == 1
    with session_scope(engine) as session:
        acme = session.exec(select(Company).where(Company.key == "acme")).one()
        assert acme.name == "Acme Electric LLC"
        assert len(session.exec(select(CommitmentContact)).all()) == 2
    report = report_of(engine, "INV-0041")
    assert report["status"] == "approved_as_noted"
    assert report["lines"][0]["new_value"] == "3900.00"  # 300 x 13
    assert report["lines"][0]["retainage_held"] == "390.00"


def test_contacts_not_listed_any_more_are_removed(engine: Engine) -> None:
    data = design_example()
    pat = {"key": "pat", "company": "acme", "name": "Pat Volt", "email": "pat@acme.test"}
    data["people"].append(pat)
    data["commitments"][0]["invoice_contacts"] = ["sam", "pat"]
    import_text(engine, text=json.dumps(data))
    data["commitments"][0]["invoice_contacts"] = ["pat"]  # all of them: see test_import_round5
    import_text(engine, text=json.dumps(data))
    with session_scope(engine) as session:
        (contact,) = session.exec(select(CommitmentContact)).all()
        assert session.get(Person, contact.person_id).key == "pat"  # type: ignore[union-attr]


def test_invoices_are_computed_in_period_order(engine: Engine) -> None:
    data = design_example()
    nov = {
        "commitment": "sc7",
        "period": "nov",
        "number": "INV-0042",
        "status": "under_review",
        "lines": [{"line": "1", "total_percent": "50"}, {"line": "2", "new_value": "8400"}],
    }
    data["invoices"].insert(0, nov)  # listed before October's
    import_text(engine, text=json.dumps(data))
    report = report_of(engine, "INV-0042")
    line1, line2 = report["lines"]
    assert line1["previous_value"] == "3750.00"
    assert line1["new_quantity"] == "300"  # 50% of 1200 minus the 300 billed in October
    assert line1["total_percent"] == "50.00"
    assert line2["new_quantity"] == "2"
    assert report["totals"]["less_previous_certificates_for_payment"] == "3375.00"


def test_the_quantity_that_completes_a_line_bills_what_remains_of_it(engine: Engine) -> None:
    # 10 EA at $212.3375 were billed $2,123.38; the last 30 EA at the price would be
    # $6,370.125, a cent past the line's $8,493.50 once stored: they bill $6,370.12.
    data = design_example()
    line = {"number": "3", "description": "Fixtures", "uom": "EA", "quantity": "40",
            "unit_price": "212.3375"}  # fmt: skip
    data["commitments"][0]["lines"].append(line)
    data["invoices"][0]["lines"].append({"line": "3", "new_quantity": "10"})
    nov = {"commitment": "sc7", "period": "nov", "number": "INV-0042", "status": "under_review",
           "lines": [{"line": "3", "new_quantity": "30"}]}  # fmt: skip
    data["invoices"].append(nov)
    import_text(engine, text=json.dumps(data))
    fixtures = report_of(engine, "INV-0042")["lines"][2]
    assert fixtures["new_value"] == "6370.12" and fixtures["total_percent"] == "100.00"


def test_references_may_name_rows_already_in_the_database(engine: Engine) -> None:
    import_text(engine, text=DESIGN_EXAMPLE_TEXT)
    later = {
        "invoices": [
            {
                "commitment": "sc7",
                "period": "nov",
                "number": "INV-0042",
                "lines": [{"line": "2", "new_quantity": "1"}],
            },
        ]
    }
    summary = import_text(engine, text=json.dumps(later))
    assert summary.counts["invoices"].created == 1
    report = report_of(engine, "sc7:INV-0042")
    assert report["status"] == "draft"
    assert report["lines"][1]["new_value"] == "4200.00"


def test_over_billing_is_accepted_when_the_commitment_allows_it(engine: Engine) -> None:
    data = design_example()
    data["commitments"][0]["allow_overbilling"] = True
    data["invoices"][0]["lines"][0]["new_quantity"] = "1300"
    import_text(engine, text=json.dumps(data))
    assert report_of(engine, "INV-0041")["lines"][0]["total_percent"] == "108.33"


def test_amount_based_lines_with_stored_materials_and_released_retainage(engine: Engine) -> None:
    data = design_example()
    data["commitments"].append(
        {
            "key": "sc11",
            "project": "tower",
            "number": "SC-011",
            "title": "Mechanical",
            "vendor": "acme",
            "accounting_method": "amount",
            "retainage_percent": "5",
            "lines": [
                {"number": "1", "description": "Ductwork", "scheduled_value": "100000"},
                {"number": "2", "description": "Units", "scheduled_value": "50000.00"},
            ],
        }
    )
    data["invoices"] += [
        {
            "commitment": "sc11",
            "period": "oct",
            "number": "A-1",
            "status": "approved",
            "lines": [
                {"line": "1", "new_value": "20000"},
                {"line": "2", "materials_stored": "10000"},
            ],
        },
        {
            "commitment": "sc11",
            "period": "nov",
            "number": "A-2",
            "lines": [{"line": "1", "total_percent": "30", "retainage_released": "500"}],
        },
    ]
    import_text(engine, text=json.dumps(data))
    report = report_of(engine, "SC-011/A-2")
    line1, line2 = report["lines"]
    assert line1["new_quantity"] is None
    assert (line1["previous_value"], line1["new_value"]) == ("20000.00", "10000.00")
    assert line1["retainage_held"] == "500.00"
    assert line1["retainage_total"] == "1000.00"  # 1000 + 500 - 500
    assert line2["previous_value"] == "10000.00"
    assert report["totals"]["total_completed_and_stored_to_date"] == "40000.00"


Mutation = Callable[[dict[str, Any]], None]


def _set(path: tuple[Any, ...], value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        node = data
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return mutate


def _append(collection: str, item: dict[str, Any]) -> Mutation:
    return lambda data: data[collection].append(item)


BAD_INPUTS: list[tuple[str, Mutation | str, str]] = [
    (
        "missing_reference",
        _set(("invoices", 0, "commitment"), "sc8"),
        'invoices[0] (commitment "sc8", number "INV-0041").commitment: unknown commitment "sc8"',
    ),
    (
        "negative_quantity",
        _set(("commitments", 0, "lines", 0, "quantity"), "-5"),
        'commitments[0] (key "sc7").lines[0].quantity: "-5" is negative',
    ),
    (
        "not_an_amount",
        _set(("commitments", 0, "lines", 1, "unit_price"), "12,5x"),
        'commitments[0] (key "sc7").lines[1].unit_price: "12,5x" is not an amount',
    ),
    (
        "duplicate_key",
        _append("people", {"key": "jane", "company": "gc", "name": "J", "email": "j@x.test"}),
        'people[2] (key "jane").key: duplicate key "jane"',
    ),
    (
        "nul_in_a_name",
        _set(("companies", 0, "name"), "Summit\u0000Builders"),
        "holds a control character (U+0000)",
    ),
    (
        "control_in_a_description",
        _set(("commitments", 0, "lines", 0, "description"), "Conduit\u001b[31m"),
        'commitments[0] (key "sc7").lines[0].description: "Conduit\\u001b[31m" holds a control '
        "character (U+001B)",
    ),
    (
        "key_with_a_trailing_line_break",
        _set(("people", 0, "key"), "jane\n"),
        "is not a valid key",
    ),
    (
        "email_with_a_trailing_line_break",
        _set(("people", 0, "email"), "jane@summit.test\n"),
        "is not an email address",
    ),
    (
        "json_syntax",
        DESIGN_EXAMPLE_TEXT.replace('"Summit Builders"}', '"Summit Builders"', 1),
        "line 1:57: invalid JSON: Expecting property name",
    ),
    (
        "float_amount",
        DESIGN_EXAMPLE_TEXT.replace('"quantity": "1200"', '"quantity": 1200.0'),
        'commitments[0] (key "sc7").lines[0].quantity: 1200.0 is a JSON number',
    ),
    (
        "unknown_field",
        _set(("commitments", 0, "lines", 0, "unit_prcie"), "12.50"),
        'commitments[0] (key "sc7").lines[0].unit_prcie: is not a known field',
    ),
    (
        "unknown_sov_line",
        _set(("invoices", 0, "lines", 0, "line"), "9"),
        'invoices[0] (commitment "sc7", number "INV-0041").lines[0].line: SC-007 has no line "9"',
    ),
    (
        "over_billing",
        _set(("invoices", 0, "lines", 0, "new_quantity"), "1300"),
        "does not allow billing past 100%",
    ),
    (
        "unit_price_too_precise",
        _set(("commitments", 0, "lines", 0, "unit_price"), "12.12345"),
        'unit_price: "12.12345" has more than 4 decimals',
    ),
    (
        "unknown_timezone",
        _set(("projects", 0, "timezone"), "America/Chicgo"),
        'projects[0] (key "tower").timezone: "America/Chicgo" is not a known time zone',
    ),
    (
        "two_invoices_in_one_period",
        _append("invoices", {"commitment": "sc7", "period": "oct", "number": "INV-0099"}),
        'invoices[1] (commitment "sc7", number "INV-0099").period: duplicate invoice',
    ),
    (
        "unit_line_without_price",
        _set(("commitments", 0, "lines", 0, "unit_price"), None),
        'commitments[0] (key "sc7").lines[0].unit_price: is required on a unit-based',
    ),
]


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [pytest.param(m, e, id=name) for name, m, e in BAD_INPUTS],
)
def test_bad_input_is_refused_naming_the_location_and_writes_nothing(
    engine: Engine, database_url: str, tmp_path: Path, mutation: Mutation | str, expected: str
) -> None:
    good = design_example()
    good["companies"][0]["name"] = "Summit Builders Inc."  # would be an update
    import_text(engine, text=DESIGN_EXAMPLE_TEXT)
    before = dump(engine)
    if isinstance(mutation, str):
        text = mutation
    else:
        mutation(good)
        text = json.dumps(good)
    result = cli(database_url, "import", str(write_json(tmp_path / "bad.json", text)))
    assert result.exit_code == 1, result.output
    assert expected in result.stderr
    assert "Traceback" not in result.output
    assert result.stderr.strip().splitlines()[-1].startswith("billbot: nothing was imported")
    assert dump(engine) == before


def test_a_refused_invoice_rolls_back_rows_written_before_it(engine: Engine) -> None:
    import_text(engine, text=DESIGN_EXAMPLE_TEXT)
    before = dump(engine)
    data = design_example()
    data["companies"][0]["name"] = "Renamed"
    data["commitments"][0]["lines"].append(
        {"number": "3", "description": "Fixtures", "uom": "EA", "quantity": "10", "unit_price": "5"}
    )
    data["invoices"][0]["lines"].append({"line": "2", "retainage_released": "1"})
    with pytest.raises(ImportFileError) as caught:
        import_text(engine, text=json.dumps(data))
    (problem,) = caught.value.problems
    assert "retainage released $1.00 is more than the $0.00 held" in problem.message
    assert dump(engine) == before


def test_an_invoice_conflicting_with_one_in_the_database_is_refused(engine: Engine) -> None:
    import_text(engine, text=DESIGN_EXAMPLE_TEXT)
    other = {"invoices": [{"commitment": "sc7", "period": "oct", "number": "INV-0099"}]}
    with pytest.raises(ImportFileError, match="already has invoice INV-0041 for period"):
        import_text(engine, text=json.dumps(other))


def test_every_problem_is_reported_at_once() -> None:
    data = design_example()
    data["commitments"][0]["lines"][0]["quantity"] = "-1"
    data["commitments"][0]["lines"][1]["unit_price"] = "NaN"
    data["billing_periods"][0]["start"] = "10/01/2026"
    data["invoices"][0]["status"] = "paid"
    with pytest.raises(ImportFileError) as caught:
        parse_import(json.dumps(data))
    locations = [problem.location for problem in caught.value.problems]
    assert locations == [
        'commitments[0] (key "sc7").lines[0].quantity',
        'commitments[0] (key "sc7").lines[1].unit_price',
        'billing_periods[0] (key "oct").start',
        'invoices[0] (commitment "sc7", number "INV-0041").status',
    ]


@pytest.mark.parametrize("text", ['"12.5"', "12.5", "NaN", "Infinity", '"inf"', '"1e3"', "true"])
def test_amounts_must_be_plain_decimal_strings(text: str) -> None:
    raw = DESIGN_EXAMPLE_TEXT.replace('"unit_price": "12.50"', f'"unit_price": {text}')
    if text == '"12.5"':
        assert parse_import(raw).commitments[0].lines[0].unit_price == Decimal("12.5")
        return
    with pytest.raises(ImportFileError, match=r"lines\[0\]\.unit_price: .* (not an amount|JSON)"):
        parse_import(raw)


def test_stored_invoice_lines_keep_exact_decimals(engine: Engine) -> None:
    import_text(engine, text=DESIGN_EXAMPLE_TEXT)
    with session_scope(engine) as session:
        (row,) = session.exec(select(InvoiceLine)).all()
        assert row.new_value == Decimal("3750.00")
        assert row.new_quantity == Decimal("300")
        commitment = session.exec(select(Commitment)).one()
        assert commitment.retainage_percent == Decimal("10")


def test_a_description_may_hold_line_breaks_and_tabs(engine: Engine) -> None:
    """A spreadsheet cell can have several lines; only other control characters are refused."""
    data = design_example()
    description = 'Conduit\n(EMT, 3/4")\tlevel 2'
    data["commitments"][0]["lines"][0]["description"] = description
    import_text(engine, text=json.dumps(data))
    with session_scope(engine) as session:
        stored = session.exec(select(SovLine.description).where(SovLine.number == "1")).all()
    assert description in stored


# --- what billbot holds: a review, a certified invoice and the figures it stands on ---------


APPROVE = Decision(ReviewKind.approve)


def refusal(engine: Engine, data: dict[str, Any]) -> list[str]:
    """The problems of importing `data`, which must be refused and change nothing."""
    before = dump(engine)
    with pytest.raises(ImportFileError) as caught:
        import_text(engine, text=json.dumps(data))
    assert dump(engine) == before
    return [str(problem) for problem in caught.value.problems]


def test_reimporting_after_a_review_is_refused_and_keeps_the_review(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    data = with_november()
    import_text(engine, text=json.dumps(data))
    adjusted = Decision(ReviewKind.approve_as_noted, note="2 panels", adjustments={"2": Decimal(0)})
    review(engine, "INV-0042", adjusted)
    before = dump(engine)
    result = cli(database_url, "import", str(write_json(tmp_path / "again.json", data)))
    assert result.exit_code == 1, result.output
    status, line = result.stderr.strip().splitlines()[:2]
    assert 'invoices[1] (commitment "sc7", number "INV-0042").status: ' in status
    assert (
        "SC-007 invoice INV-0042 has moved on in billbot (approved as noted by Jane Doe" in status
    )
    assert "its status is approved_as_noted in billbot, the file says under_review" in status
    assert "leave it out of the file or give what billbot holds" in status
    assert ".lines[1].new_quantity: " in line
    assert "line 2 new_quantity is 0 in billbot, the file says 2" in line
    assert dump(engine) == before
    assert report_of(engine, "INV-0042")["status"] == "approved_as_noted"


def test_a_file_saying_what_billbot_holds_or_leaving_the_invoice_out_changes_nothing(
    engine: Engine,
) -> None:
    import_text(engine, text=json.dumps(with_november()))
    review(engine, "INV-0042", APPROVE)
    before = dump(engine)
    assert not import_text(engine, text=json.dumps(with_november(status="approved"))).changed
    assert not import_text(engine, text=DESIGN_EXAMPLE_TEXT).changed
    assert dump(engine) == before


def test_an_invoice_its_contact_sent_is_not_changed_by_an_import(engine: Engine) -> None:
    data = with_november(status="draft")
    import_text(engine, text=json.dumps(data))
    with session_scope(engine) as session:  # Sam sends it by email
        invoice = find_invoice(session, "INV-0042")
        invoice.status = InvoiceStatus.under_review
        sam = session.exec(select(Person).where(Person.key == "sam")).one()
        record_event(
            session,
            invoice=invoice,
            by_person_id=sam.id,
            channel="email",
            from_status=InvoiceStatus.draft,
            to_status=InvoiceStatus.under_review,
            now=datetime(2026, 11, 20, tzinfo=UTC),
        )
    data["invoices"][1]["lines"][0]["new_quantity"] = "150"
    (status, line) = refusal(engine, data)
    assert "has moved on in billbot (sent for review by Sam Sparks on 2026-11-20)" in status
    assert "its status is under_review in billbot, the file says draft" in status
    assert "it changes through billbot's review" in status
    assert "line 1 new_quantity is 100 in billbot, the file says 150" in line


def test_a_draft_its_contact_is_answering_for_is_not_changed_by_an_import(
    engine: Engine,
) -> None:
    data = with_november(status="draft")
    import_text(engine, text=json.dumps(data))
    with session_scope(engine) as session:  # Sam has started answering for it by email
        invoice = find_invoice(session, "INV-0042")
        sam = session.exec(select(Person).where(Person.key == "sam")).one()
        conversation = Conversation(
            commitment_id=invoice.commitment_id,
            period_id=invoice.period_id,
            invoice_id=invoice.id,
            last_person_id=sam.id,
            last_channel="email",
        )
        session.add(conversation)
    data["invoices"][1]["lines"][1]["new_quantity"] = "3"
    (problem,) = refusal(engine, data)
    assert (
        "SC-007 invoice INV-0042 is being billed in billbot by Sam Sparks: line 2 new_quantity "
        "is 2 in billbot, the file says 3."
    ) in problem


def test_an_unreviewed_invoice_is_still_updated_and_its_status_change_recorded(
    engine: Engine,
) -> None:
    import_text(engine, text=json.dumps(with_november()))
    summary = import_text(engine, text=json.dumps(with_november(status="approved")))
    assert summary.counts["invoices"].updated == 1
    report = report_of(engine, "INV-0042")
    assert report["status"] == "approved"
    (event,) = report["history"]
    assert (event["channel"], event["from"], event["to"]) == ("import", "under_review", "approved")
    # The import's own history does not make the invoice billbot's; being certified does.
    assert not import_text(engine, text=json.dumps(with_november(status="approved"))).changed
    (problem,) = refusal(engine, with_november(status="under_review"))
    assert "SC-007 invoice INV-0042 is approved (certified): its status is approved" in problem
    assert "a correction goes on a later invoice" in problem


def test_a_certified_invoice_s_lines_are_not_changed_by_an_import(engine: Engine) -> None:
    import_text(engine, text=DESIGN_EXAMPLE_TEXT)
    data = design_example()
    data["invoices"][0]["lines"][0]["new_quantity"] = "320"
    (problem,) = refusal(engine, data)
    assert problem.startswith(
        'invoices[0] (commitment "sc7", number "INV-0041").lines[0].new_quantity: SC-007 '
        "invoice INV-0041 is approved (certified): line 1 new_quantity is 300 in billbot, "
        "the file says 320."
    )


def test_retainage_reduced_from_a_period_on_leaves_what_certified_invoices_held(
    engine: Engine,
) -> None:
    """10% through October (INV-0041, approved), 5% from November on (a common term: halved
    at half complete): October keeps the $375.00 it held, on its report and as November's
    previous retainage; November's draft holds 5%; both G702s tie; a second import of the
    same file changes nothing."""
    data = with_november(status="draft")
    import_text(engine, text=json.dumps(data))
    data["commitments"][0]["retainage_percent"] = "5"
    assert import_text(engine, text=json.dumps(data)).counts["commitments"].updated == 1

    october = report_of(engine, "INV-0041")
    assert october["lines"][0]["retainage_held"] == "375.00"
    assert october["totals"]["retainage"] == "375.00"
    assert october["totals"]["current_payment_due"] == "3375.00"
    november = report_of(engine, "INV-0042")
    line_1, line_2 = november["lines"]
    assert (line_1["retainage_held"], line_1["retainage_total"]) == ("62.50", "437.50")
    assert line_2["retainage_held"] == "420.00"  # 5% of 2 EA x $4,200
    assert november["totals"]["retainage"] == "857.50"
    assert november["totals"]["less_previous_certificates_for_payment"] == "3375.00"
    assert november["totals"]["current_payment_due"] == "9167.50"
    for report in (october, november):
        held = sum(Decimal(line["retainage_total"]) for line in report["lines"])
        assert held == Decimal(report["totals"]["retainage"])

    again = import_text(engine, text=json.dumps(data)).counts
    assert (again["commitments"].unchanged, again["invoices"].unchanged) == (1, 2)
    assert report_of(engine, "INV-0041") == october


def test_retainage_may_change_while_no_certified_invoice_holds_any(engine: Engine) -> None:
    data = with_november(status="draft")
    data["invoices"].pop(0)  # November, a draft, is the only invoice
    import_text(engine, text=json.dumps(data))
    data["commitments"][0]["retainage_percent"] = "5"
    assert import_text(engine, text=json.dumps(data)).counts["commitments"].updated == 1
    assert report_of(engine, "INV-0042")["lines"][0]["retainage_held"] == "62.50"


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("unit_price", "13", "12.5"),
        ("quantity", "1000", "1200"),
    ],
)
def test_the_figures_of_a_line_a_certified_invoice_billed_are_not_changed(
    engine: Engine, field: str, value: str, stored: str
) -> None:
    import_text(engine, text=DESIGN_EXAMPLE_TEXT)
    data = design_example()
    data["commitments"][0]["lines"][0][field] = value
    (problem,) = refusal(engine, data)
    assert problem.startswith(
        f'commitments[0] (key "sc7").lines[0].{field}: SC-007 line 1 (Conduit) has {field} '
        f"{stored} in billbot, the file says {value}, and certified invoices billed on it: "
        "INV-0041 (approved)."
    )
    assert "a change of scope goes through a change order" in problem
    # Line 2, which nothing certified billed, may change.
    data = design_example()
    data["commitments"][0]["lines"][1]["unit_price"] = "4300"
    assert import_text(engine, text=json.dumps(data)).counts["sov_lines"].updated == 1


def test_an_earlier_invoice_a_certified_one_counts_as_previous_is_not_changed(
    engine: Engine,
) -> None:
    data = with_november()
    data["invoices"][0]["status"] = "under_review"
    import_text(engine, text=json.dumps(data))
    # November certified on October, which is not (yet): a database from before imports
    # certified in order (test_import_round5)
    with session_scope(engine) as session:
        november = session.exec(select(Invoice).where(Invoice.number == "INV-0042")).one()
        november.status = InvoiceStatus.approved
        session.add(november)
    data["invoices"][1]["status"] = "approved"
    data["invoices"][0]["lines"][0]["new_quantity"] = "320"
    (problem,) = refusal(engine, data)
    assert problem.startswith(
        'invoices[0] (commitment "sc7", number "INV-0041"): SC-007 invoice INV-0041 (period '
        '"oct") would change the previous figures of later certified invoices: INV-0042 '
        "(approved)."
    )


@pytest.mark.parametrize(
    ("given", "amount"),
    [({"new_quantity": "-50"}, "625.00"), ({"total_percent": "20"}, "750.00")],
    ids=["new_quantity", "total_percent_below_what_was_billed"],
)
def test_a_negative_amount_this_period_is_imported_with_a_warning(
    engine: Engine, database_url: str, tmp_path: Path, given: dict[str, str], amount: str
) -> None:
    data = with_november(lines=[{"line": "1", **given}])
    result = cli(database_url, "import", str(write_json(tmp_path / "credit.json", data)))
    assert result.exit_code == 0, result.output
    assert (
        '  warning: invoices[1] (commitment "sc7", number "INV-0042").lines[0]: SC-007 line 1: '
        f"this period's amount is negative (-${amount}), a correction of earlier billing; "
        "imported as the file says"
    ) in result.stdout.splitlines()
    assert report_of(engine, "INV-0042")["lines"][0]["new_value"] == f"-{amount}"
    again = import_text(engine, text=json.dumps(data))  # nothing imported: nothing to warn of
    assert not again.changed
    assert again.warnings == []


def test_a_renumbered_line_that_was_billed_is_refused(engine: Engine) -> None:
    import_text(engine, text=DESIGN_EXAMPLE_TEXT)
    data = design_example()
    data["commitments"][0]["lines"][0]["number"] = "1A"
    data["invoices"][0]["lines"][0]["line"] = "1A"
    (problem,) = refusal(engine, data)
    assert problem == (
        'commitments[0] (key "sc7").lines: SC-007 line 1 (Conduit) is billed on INV-0041 '
        "(approved), but this file no longer lists it. An import neither removes nor renumbers "
        'a line: list it as line "1". If the file\'s new line "1A" is this line renumbered, '
        "give it its number back."
    )


def test_a_line_the_file_no_longer_lists_is_kept_with_a_warning(engine: Engine) -> None:
    import_text(engine, text=DESIGN_EXAMPLE_TEXT)
    data = design_example()
    data["commitments"][0]["lines"].pop(1)  # Panels, never billed
    summary = import_text(engine, text=json.dumps(data))
    assert not summary.changed
    assert summary.warnings == [
        "SC-007 line 2 (Panels) is in billbot but not in this file: it is kept, since an "
        "import does not remove lines."
    ]
    assert report_of(engine, "INV-0041")["totals"]["original_contract_sum"] == "48600.00"
    data["commitments"][0]["lines"] = []  # a commitment without lines says nothing of them
    assert import_text(engine, text=json.dumps(data)).warnings == []


def test_billing_periods_of_one_project_may_not_overlap(engine: Engine) -> None:
    """A second period over November's days would bill that work twice, and neither would see
    the other's invoices as previous work."""
    import_text(engine, text=DESIGN_EXAMPLE_TEXT)
    data = design_example()
    twin = dict(data["billing_periods"][1], key="nov-b", start="2026-11-15", end="2026-12-14")
    data["billing_periods"].append(twin)
    (problem,) = refusal(engine, data)
    assert problem.startswith('billing_periods[1] (key "nov").start: nov (2026-11-01 to ')
    assert "overlaps billing period nov-b (2026-11-15 to 2026-12-14) of the same project" in problem
    data["billing_periods"][2].update(start="2026-12-01", end="2026-12-31")  # the next month
    import_text(engine, text=json.dumps(data))


def test_the_dates_of_a_period_with_sent_invoices_do_not_change(engine: Engine) -> None:
    import_text(engine, text=DESIGN_EXAMPLE_TEXT)
    data = design_example()
    data["billing_periods"][0]["end"] = "2026-10-25"  # INV-0041 is approved in October
    (problem,) = refusal(engine, data)
    assert problem == (
        'billing_periods[0] (key "oct").end: oct has end 2026-10-31 in billbot, the file says '
        "2026-10-25, and invoices were sent for it: INV-0041 (approved). The dates of a period "
        "with sent invoices cannot change: keep 2026-10-31."
    )
    data = design_example()
    data["billing_periods"][1]["due_date"] = "2026-12-02"  # November has no invoice yet
    data["billing_periods"][1]["end"] = "2026-11-29"
    import_text(engine, text=json.dumps(data))
