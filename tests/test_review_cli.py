"""`billbot review` on SQLite and PostgreSQL: approve as noted in a unit-based line's units
(`--adjust "2=1 EA"`, as an email reply's `2: 1 EA`), and the order of the reviews (a later
invoice waits for the earlier one to be certified)."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy.engine import Engine

from models.importer import import_text
from tests.import_helpers import with_november
from tests.test_importer import cli, report_of


def said(result: Any) -> str:
    return " ".join(result.output.split())


def approve_as_noted(database_url: str, *adjust: str, note: str = "as counted") -> Any:
    """`billbot review SC-007/INV-0042 --approve-as-noted --adjust ADJUST... --note NOTE`."""
    options = [option for given in adjust for option in ("--adjust", given)]
    return cli(
        database_url, "review", "SC-007/INV-0042", "--approve-as-noted", *options, "--note", note
    )


def test_approve_as_noted_takes_a_quantity_in_the_lines_units(
    engine: Engine, database_url: str
) -> None:
    import_text(engine, text=json.dumps(with_november()))  # November: 100 LF, 2 EA
    result = approve_as_noted(database_url, "2=1 EA", note="one panel set, not two")
    assert result.exit_code == 0, result.output
    assert "(line 2: $8,400.00 -> $4,200.00)" in said(result)
    report = report_of(engine, "INV-0042")
    assert report["status"] == "approved_as_noted"
    line = next(line for line in report["lines"] if line["line"] == "2")
    assert (line["new_quantity"], line["new_value"]) == ("1", "4200.00")


def test_a_bare_number_on_a_line_billed_in_units_is_asked_not_taken_as_dollars(
    engine: Engine, database_url: str
) -> None:
    """`1=150` on the conduit (LF): 150 LF or $150.00? An approval as noted cannot be undone,
    so it is asked, as in an email reply; `$` or a unit says which."""
    import_text(engine, text=json.dumps(with_november()))
    asked = approve_as_noted(database_url, "1=150")
    assert asked.exit_code == 1
    assert "is 150 meant as 150 LF or as $150.00?" in said(asked)
    assert '--adjust "LINE=QUANTITY UNIT" for units (e.g. "1=150 LF")' in said(asked)
    assert report_of(engine, "INV-0042")["status"] == "under_review"

    result = approve_as_noted(database_url, "2=$4200", "1=qty 80")
    assert result.exit_code == 0, result.output
    lines = {line["line"]: line for line in report_of(engine, "INV-0042")["lines"]}
    assert (lines["2"]["new_quantity"], lines["2"]["new_value"]) == ("1", "4200.00")
    assert (lines["1"]["new_quantity"], lines["1"]["new_value"]) == ("80", "1000.00")


def test_a_quantity_in_another_unit_or_not_a_number_is_refused(
    engine: Engine, database_url: str
) -> None:
    import_text(engine, text=json.dumps(with_november()))
    wrong = approve_as_noted(database_url, "2=1 LF")
    assert wrong.exit_code == 1
    assert "Line 2 is billed in EA, not LF" in said(wrong)
    unreadable = approve_as_noted(database_url, "2=some EA")
    assert unreadable.exit_code == 2
    assert "'some EA' is not an amount" in said(unreadable)
    assert report_of(engine, "INV-0042")["status"] == "under_review"


def test_a_later_invoice_waits_for_the_earlier_one_on_the_command_line(
    engine: Engine, database_url: str
) -> None:
    data = with_november()
    data["invoices"][0]["status"] = "under_review"  # October, not certified yet
    import_text(engine, text=json.dumps(data))

    refused = cli(database_url, "review", "SC-007/INV-0042", "--approve")
    assert refused.exit_code == 1
    assert (
        "Invoice INV-0042 for SC-007 Electrical cannot be approved yet: invoice INV-0041 "
        "(2026-10-01 – 2026-10-31, under review) of an earlier period is not certified"
    ) in said(refused)
    assert report_of(engine, "INV-0042")["status"] == "under_review"

    assert cli(database_url, "review", "SC-007/INV-0041", "--approve").exit_code == 0
    approved = cli(database_url, "review", "SC-007/INV-0042", "--approve")
    assert approved.exit_code == 0, approved.output
    assert report_of(engine, "INV-0042")["status"] == "approved"


def test_the_history_billbot_invoices_prints_is_on_the_projects_clock(
    engine: Engine, database_url: str
) -> None:
    """The example's project is in America/Chicago: the history says so, and `--json` gives
    each moment with its offset."""
    import_text(engine, text=json.dumps(with_november()))
    assert approve_as_noted(database_url, "2=1 EA").exit_code == 0
    printed = cli(database_url, "invoices", "--commitment", "sc7", "--period", "nov").output
    (line,) = [row for row in printed.splitlines() if "under_review → approved_as_noted" in row]
    assert re.match(r"\s+\d{4}-\d\d-\d\d \d\d:\d\d C[SD]T ", line), line
    (event,) = [e for e in report_of(engine, "INV-0042")["history"] if e["by"]]
    assert event["at"].endswith("+00:00")
