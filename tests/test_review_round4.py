"""Round 4 of the administrator's side: a reason naming another line with its own reason, an
approval of the other lines after a return, an approval as noted on a line of materials
stored, totals that never mix drafts with certified invoices, what a resubmission changed
beside this period's work, and a note passed on as written."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from bot.cli import app
from conversations.review_answers import read_review
from models.db import session_scope
from models.importer import import_text
from models.invoice_lookup import find_invoice
from models.report import invoice_report
from models.review import Decision, ReviewKind, changes_since_review
from models.review_lines import adjustment_problems
from models.workbook_export import APPROVED, NOT_APPROVED
from tests.board_data import seed_board
from tests.import_helpers import design_example, review

runner = CliRunner()
LINES = {"1": "Footings", "2": "Slab on grade", "3": "Elevated decks", "4": "Rebar"}


# --- F3: a reason that names another line with a reason of its own -----------------------
@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        ("reject 2 - missing lien waiver, 4 - no delivery tickets",
         {"2": "missing lien waiver", "4": "no delivery tickets"}),
        ("reject 2 - missing lien waiver, line 4 - no delivery tickets",
         {"2": "missing lien waiver", "4": "no delivery tickets"}),
        ("reject 2: missing lien waiver, 4: no delivery tickets",
         {"2": "missing lien waiver", "4": "no delivery tickets"}),
        ("reject 2: missing lien waiver. 4 - no tickets, 3: too high",
         {"2": "missing lien waiver", "4": "no tickets", "3": "too high"}),
        ("reject 1, 2: conduit and panels need photos",
         {"1": "conduit and panels need photos", "2": "conduit and panels need photos"}),
    ],
)  # fmt: skip
def test_a_line_named_with_its_own_reason_is_returned_with_it(
    text: str, reasons: dict[str, str]
) -> None:
    for lines in (LINES, None):
        decision = read_review(text, lines=lines)
        assert decision is not None and decision.kind == ReviewKind.reject
        assert decision.reasons == reasons


@pytest.mark.parametrize(
    "text",
    [
        "reject 2 - missing lien waiver and 4 - no delivery tickets",
        "reject line 2, no photos, 4 - none",
        "reject 2: need backup, approved otherwise",
        "reject 2: need backup. approve",
        "reject 2: need backup. approve 1, 2",  # line 2 both returned and approved
        "reject 2: need backup. approve 1, 3",  # and line 4?
    ],
)
def test_a_line_named_in_a_reason_that_cannot_be_read_safely_is_unclear(text: str) -> None:
    assert read_review(text, lines=LINES) is None


@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        ("reject 2: need backup. approve 1,3,4", {"2": "need backup"}),
        ("reject 2: need backup\napprove 1, 3 and 4", {"2": "need backup"}),
        ("reject 3: too high, approve the rest", {"3": "too high"}),
        ("reject 3: too high\napprove everything else", {"3": "too high"}),
    ],
)
def test_an_approval_of_the_other_lines_after_a_return_is_no_reason(
    text: str, reasons: dict[str, str]
) -> None:
    decision = read_review(text, lines=LINES)
    assert decision is not None and decision.kind == ReviewKind.reject
    assert decision.reasons == reasons and decision.note == ""


# --- F6: a note as written ----------------------------------------------------------------
def test_a_note_keeps_its_semicolon() -> None:
    decision = read_review("approve as noted\n3: $24,000\nnote: punch list open; deck at 17%")
    assert decision is not None
    assert decision.note == "punch list open; deck at 17%"


@pytest.mark.parametrize(
    ("text", "reasons", "note"),
    [
        ("reject 2: per RFI 12; not set", {"2": "per RFI 12; not set"}, ""),
        ("reject 2: photos missing; waiting on inspection",
         {"2": "photos missing; waiting on inspection"}, ""),
        ("reject 2: no waiver; reject 3: too high", {"2": "no waiver", "3": "too high"}, ""),
        ("reject 2: no waiver; 3: too high", {"2": "no waiver", "3": "too high"}, ""),
        ("reject 2: no waiver; note: call me", {"2": "no waiver"}, "call me"),
    ],
)  # fmt: skip
def test_a_semicolon_inside_a_return_reason_keeps_the_reason_whole(
    text: str, reasons: dict[str, str], note: str
) -> None:
    """A `;` starts another clause only before a decision, a line or a note: `reject 2: per
    RFI 12; not set` reached the contact as "per RFI 12", and `…; waiting on inspection` was
    not understood at all."""
    decision = read_review(text)
    assert decision is not None, text
    assert decision.reasons == reasons and decision.note == note


FOUR = ("1", "2", "3", "4")


@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        ("approve all but 3", {"3": ""}),
        ("approve everything except 2 and 4: no backup", {"2": "no backup", "4": "no backup"}),
        ("approve all except line 3 - needs photos", {"3": "needs photos"}),
        ("aprobado excepto la 2", {"2": ""}),
        ("aprobado excepto la línea 3", {"3": ""}),
        ("aprobado, salvo la partida 2", {"2": ""}),
        ("reject all", dict.fromkeys(FOUR, "")),
        ("return everything: no lien waiver", dict.fromkeys(FOUR, "no lien waiver")),
        ("reject all lines for missing waiver", dict.fromkeys(FOUR, "missing waiver")),
        ("rechazar todo", dict.fromkeys(FOUR, "")),
    ],
)  # fmt: skip
def test_all_but_and_every_line_are_returns_of_those_lines(
    text: str, reasons: dict[str, str]
) -> None:
    """`approve all but 3` is `reject 3` (a return approves the lines it does not name), and
    `reject all` returns every line of the invoice; both were "I couldn't tell"."""
    decision = read_review(
        text, lines={"1": "Conduit", "2": "Panels", "3": "Fixtures", "4": "Rebar"}
    )
    assert decision is not None, text
    assert decision.kind == ReviewKind.reject and decision.reasons == reasons


@pytest.mark.parametrize(
    "text", ["approve all but pay half", "approve all except retainage", "don't approve all but 3"]
)
def test_all_but_something_not_a_line_is_still_unclear(text: str) -> None:
    assert read_review(text, lines={"1": "Conduit", "2": "Panels"}) is None


# --- An amount-based commitment with materials stored -------------------------------------
def stored_example() -> dict[str, Any]:
    """The DESIGN example made amount-based: November bills line 1's work and $10,000 of
    materials stored on line 2 (no work), and is under review."""
    data = design_example()
    commitment = data["commitments"][0]
    commitment["accounting_method"] = "amount"
    commitment["lines"] = [
        {"number": "1", "description": "Conduit", "scheduled_value": "50000"},
        {"number": "2", "description": "Panels", "scheduled_value": "40000"},
    ]
    data["invoices"] = [
        {"commitment": "sc7", "period": "oct", "number": "INV-0041", "status": "approved",
         "lines": [{"line": "1", "new_value": "10000"}]},
        {"commitment": "sc7", "period": "nov", "number": "INV-0042", "status": "under_review",
         "lines": [{"line": "1", "new_value": "6000"},
                   {"line": "2", "new_value": "1000", "materials_stored": "10000"}]},
    ]  # fmt: skip
    return data


def cli(database_url: str, *args: str) -> Any:
    return runner.invoke(app, ["--database-url", database_url, *args])


def test_approve_as_noted_never_adds_work_on_top_of_materials_stored(
    engine: Engine, database_url: str
) -> None:
    import_text(engine, text=json.dumps(stored_example()))
    with session_scope(engine) as session:
        before = invoice_report(session, find_invoice(session, "SC-007/INV-0042"))
    result = cli(
        database_url, "review", "SC-007/INV-0042", "--approve-as-noted",
        "--adjust", "2=5000", "--note", "only half the panels were delivered",
    )  # fmt: skip
    said = " ".join(result.output.split())
    assert result.exit_code == 1, result.output
    assert (
        "Line 2: the contact billed $1,000.00 of work and $10,000.00 of materials stored this "
        "period. A review cannot change materials stored" in said
    )
    assert "return the line" in said and "approve at most $1,000.00 of work on it" in said
    with session_scope(engine) as session:
        invoice = find_invoice(session, "SC-007/INV-0042")
        assert invoice_report(session, invoice) == before  # nothing changed
        # the Slack form's check is the same one
        problems = adjustment_problems(session, invoice, {"2": Decimal("5000")})
        assert "A review cannot change materials stored" in problems["2"]
        assert adjustment_problems(session, invoice, {"2": Decimal("500")}) == {}
        assert adjustment_problems(session, invoice, {"1": Decimal("9000")}) == {}  # no stored

    cut = cli(
        database_url, "review", "SC-007/INV-0042", "--approve-as-noted",
        "--adjust", "2=500", "--note", "half the work",
    )  # fmt: skip
    assert cut.exit_code == 0, cut.output
    with session_scope(engine) as session:
        after = invoice_report(session, find_invoice(session, "SC-007/INV-0042"))
    assert Decimal(after["totals"]["current_payment_due"]) < Decimal(
        before["totals"]["current_payment_due"]
    )


def test_an_emailed_approval_as_noted_on_materials_stored_is_refused_too(engine: Engine) -> None:
    from models.review import ReviewRefused

    import_text(engine, text=json.dumps(stored_example()))
    decision = read_review("approve as noted\n2: $5,000\nnote: half delivered")
    assert decision is not None
    with pytest.raises(ReviewRefused, match="A review cannot change materials stored"):
        review(engine, "SC-007/INV-0042", decision)


# --- F4: what a resubmission changed beside this period's work ----------------------------
def test_a_resubmission_tells_the_materials_stored_and_retainage_released_now(
    engine: Engine,
) -> None:
    import_text(engine, text=json.dumps(stored_example()))
    review(engine, "SC-007/INV-0042", Decision(ReviewKind.reject, reasons={"2": "no tickets"}))
    with session_scope(engine) as session:
        invoice = find_invoice(session, "SC-007/INV-0042")
        assert changes_since_review(session, invoice) == [
            "Line 2: unchanged at $1,000.00 (returned: no tickets)",
            "Line 2: materials stored $10,000.00 and retainage released $0.00 now; check them, "
            "only this period's work is compared with your review.",
        ]


# --- F2: totals of certified invoices apart from the others -------------------------------
def test_the_period_workbook_totals_approved_invoices_apart_from_drafts(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    seed_board(engine)  # a draft, one under review, one returned, two approved: $900 each
    path = tmp_path / "nov.xlsx"
    result = cli(database_url, "export", "--period", "nov", "--output", str(path))
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(path)["summary"].iter_rows(values_only=True))
    totals = {row[0]: row for row in rows if row[0] in (APPROVED, NOT_APPROVED)}
    due = 6 + 7  # after the six summary columns, G702 line 8 (current payment due)
    assert Decimal(str(totals[APPROVED][due])) == Decimal("1800.00")
    assert Decimal(str(totals[NOT_APPROVED][due])) == Decimal("2700.00")
    assert not any(row[0] == "Total" for row in rows)


def test_billbot_status_shows_payment_due_of_approved_invoices_apart(
    engine: Engine, database_url: str
) -> None:
    seed_board(engine)
    result = cli(database_url, "status", "--period", "nov")
    assert result.exit_code == 0, result.output
    assert (
        "Payment due of approved invoices: $1,800.00; not approved (drafts, under review, "
        "returned; marked *): $2,700.00." in result.stdout
    )
    draft = next(line for line in result.stdout.splitlines() if " draft " in line)
    assert "$900.00 *" in draft
