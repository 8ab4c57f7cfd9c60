"""`billbot import FILE.xlsx`: the template filled in, read exactly as shown, refused as a whole."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app
from models.db import session_scope
from models.import_check import ImportFileError
from models.importer import import_workbook
from models.tables import BillingPeriod, Commitment, SovLine
from tests.import_helpers import design_example, dump, write_json
from tests.test_change_orders import CO1, example
from tests.workbook_helpers import edit, fill, patch_xml

runner = CliRunner()


def cli(database_url: str, *args: str) -> Any:
    return runner.invoke(app, ["--database-url", database_url, *args])


def invoices_json(database_url: str) -> list[dict[str, Any]]:
    result = cli(database_url, "invoices", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def sov(engine: Engine, number: str) -> SovLine:
    with session_scope(engine) as session:
        return session.exec(select(SovLine).where(SovLine.number == number)).one()


@pytest.mark.parametrize(
    ("as_text", "with_change_order"),
    [(False, False), (False, True), (True, True)],
    ids=["design_example", "typed", "text"],
)
def test_the_design_example_from_the_template_gives_the_same_invoices_as_json(
    database_url: str, tmp_path: Path, as_text: bool, with_change_order: bool
) -> None:
    data = example(CO1) if with_change_order else design_example()
    workbook = fill(tmp_path / "example.xlsx", data, as_text=as_text)
    result = cli(database_url, "import", str(workbook))
    assert result.exit_code == 0, result.output
    from_workbook = invoices_json(database_url)

    other = f"sqlite:///{tmp_path / 'json.db'}"
    assert cli(other, "import", str(write_json(tmp_path / "example.json", data))).exit_code == 0
    assert from_workbook == invoices_json(other)
    assert from_workbook[0]["number"] == "INV-0041"
    assert from_workbook[0]["totals"]["current_payment_due"] == "3375.00"
    if with_change_order:
        assert from_workbook[1]["totals"]["net_change_by_change_orders"] == "18200.00"


def test_reimporting_the_workbook_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    workbook = fill(tmp_path / "example.xlsx", example(CO1))
    import_workbook(engine, path=workbook)
    before = dump(engine)
    again = import_workbook(engine, path=workbook)
    assert not again.changed
    assert dump(engine) == before


def test_a_changed_cell_updates_its_row(sqlite_engine: Engine, tmp_path: Path) -> None:
    workbook = fill(tmp_path / "example.xlsx", design_example())
    import_workbook(sqlite_engine, path=workbook)
    edit(workbook, "sov_lines", {"G3": 4300})  # unit price of line 2 (not billed yet)
    summary = import_workbook(sqlite_engine, path=workbook)
    assert summary.counts["sov_lines"].updated == 1
    assert sov(sqlite_engine, "2").unit_price == Decimal("4300")


# --- numbers, dates and the shapes real workbooks come in -----------------------------------


def test_numbers_are_read_as_shown_never_through_a_float(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    workbook = fill(tmp_path / "example.xlsx", design_example())
    edit(workbook, "sov_lines", {"G2": 212.3375, "E3": 8.5})
    edit(workbook, "commitments", {"H2": 0.1})  # retainage 10 %, as a percentage cell
    book = load_workbook(workbook)
    book["commitments"]["H2"].number_format = "0%"
    book["sov_lines"]["G2"].number_format = '"$"#,##0.00'  # shows $212.34; the value stays
    book.save(workbook)
    # Excel writes a double's 17 digits: 8.5 + 0.1 + 0.2 style drift in the stored XML.
    patch_xml(workbook, "sov_lines", "<v>8.5</v>", "<v>8.5000000000000018</v>")
    import_workbook(sqlite_engine, path=workbook)
    assert sov(sqlite_engine, "1").unit_price == Decimal("212.3375")
    assert sov(sqlite_engine, "2").quantity == Decimal("8.5")
    with session_scope(sqlite_engine) as session:
        assert session.exec(select(Commitment)).one().retainage_percent == Decimal("10")


def test_numbers_stored_as_text_are_read_as_written(sqlite_engine: Engine, tmp_path: Path) -> None:
    workbook = fill(tmp_path / "example.xlsx", design_example())
    edit(workbook, "sov_lines", {"E2": " 1,200 ", "G2": "$12.50", "G3": "4,200.00"})
    edit(workbook, "commitments", {"H2": "10%"})
    import_workbook(sqlite_engine, path=workbook)
    line = sov(sqlite_engine, "1")
    assert (line.quantity, line.unit_price) == (Decimal("1200"), Decimal("12.5"))
    assert sov(sqlite_engine, "2").unit_price == Decimal("4200")


def test_a_formula_counts_with_its_stored_value(sqlite_engine: Engine, tmp_path: Path) -> None:
    workbook = fill(tmp_path / "example.xlsx", design_example())
    edit(workbook, "sov_lines", {"E2": "=600*2"})
    patch_xml(workbook, "sov_lines", "<f>600*2</f><v />", "<f>600*2</f><v>1200</v>")
    import_workbook(sqlite_engine, path=workbook)
    assert sov(sqlite_engine, "1").quantity == Decimal("1200")


def test_dates_may_be_date_cells_or_iso_text(sqlite_engine: Engine, tmp_path: Path) -> None:
    workbook = fill(tmp_path / "example.xlsx", design_example())
    edit(workbook, "billing_periods", {"C2": "2026-10-01", "D2": " 2026-10-31 "})
    import_workbook(sqlite_engine, path=workbook)
    with session_scope(sqlite_engine) as session:
        october = session.exec(select(BillingPeriod).where(BillingPeriod.key == "oct")).one()
        assert (october.start.isoformat(), october.end.isoformat()) == ("2026-10-01", "2026-10-31")
        assert october.billing_date.isoformat() == "2026-10-25"  # a date cell


def test_blank_rows_titles_and_trailing_formatted_cells_are_passed_over(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    workbook = fill(tmp_path / "example.xlsx", design_example())
    book = load_workbook(workbook)
    lines = book["sov_lines"]
    lines.insert_rows(1, amount=2)
    lines["A1"] = "Harbor Tower: schedule of values"  # a title above the header row
    lines.insert_rows(5)  # a blank row between the lines
    for row in range(6, 400):  # formatted, empty rows and columns below and beside them
        lines.cell(row=row, column=30).number_format = "0.00"
    lines["C5"] = "  "  # only spaces: still blank
    lines.title = "renamed"
    lines.title = "SOV_Lines"  # sheet names in any case
    book.save(workbook)
    summary = import_workbook(sqlite_engine, path=workbook)
    assert summary.counts["sov_lines"].created == 2
    assert sov(sqlite_engine, "2").description == "Panels"


def test_sheet_names_are_read_as_headers_are(sqlite_engine: Engine, tmp_path: Path) -> None:
    workbook = fill(tmp_path / "example.xlsx", design_example())
    book = load_workbook(workbook)
    book["sov_lines"].title = "SOV Lines"
    book["billing_periods"].title = " Billing-Periods "
    book.save(workbook)
    summary = import_workbook(sqlite_engine, path=workbook)
    assert summary.counts["sov_lines"].created == 2
    assert summary.counts["billing_periods"].created == 2


@pytest.mark.parametrize(
    ("typed", "number_format", "expected"),
    [("0.5%", None, "0.5"), (0.005, "0.0%", "0.5"), (1.5, None, "1.5"), (0, None, "0")],
)
def test_a_small_percentage_is_read_when_written_as_one(
    sqlite_engine: Engine, tmp_path: Path, typed: Any, number_format: str | None, expected: str
) -> None:
    workbook = fill(tmp_path / "example.xlsx", design_example())
    book = load_workbook(workbook)
    book["commitments"]["H2"] = typed  # retainage_percent
    if number_format:
        book["commitments"]["H2"].number_format = number_format
    book.save(workbook)
    import_workbook(sqlite_engine, path=workbook)
    with session_scope(sqlite_engine) as session:
        assert session.exec(select(Commitment)).one().retainage_percent == Decimal(expected)


def test_a_certified_invoice_s_figures_are_refused_at_their_cells(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    workbook = fill(tmp_path / "example.xlsx", design_example())
    import_workbook(engine, path=workbook)
    edit(workbook, "sov_lines", {"G2": 13, "B2": "1A"})  # line 1, billed by INV-0041, renumbered
    edit(workbook, "invoice_lines", {"C2": "1A", "D2": 320})
    message = refused(database_url, engine, workbook)
    assert (
        "commitments row 2: SC-007 line 1 (Conduit) is billed on INV-0041 (approved), but this "
        "file no longer lists it."
    ) in message
    assert "(on the sov_lines sheet)" in message
    edit(workbook, "sov_lines", {"B2": "1"})
    edit(workbook, "invoice_lines", {"C2": "1"})
    message = refused(database_url, engine, workbook)
    assert "sov_lines!G2: unit_price: SC-007 line 1 (Conduit) has unit_price 12.5 in billbot" in (
        message
    )
    edit(workbook, "sov_lines", {"G2": 12.5})
    message = refused(database_url, engine, workbook)
    assert (
        "invoice_lines!D2: new_quantity: SC-007 invoice INV-0041 is approved (certified): line 1 "
        "new_quantity is 300 in billbot, the file says 320."
    ) in message


def test_choices_and_flags_are_read_as_people_type_them(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    workbook = fill(tmp_path / "example.xlsx", design_example())
    edit(workbook, "commitments", {"E2": "Subcontract", "G2": " Unit ", "I2": "yes"})
    edit(workbook, "invoices", {"D2": "Approved"})
    import_workbook(sqlite_engine, path=workbook)
    with session_scope(sqlite_engine) as session:
        commitment = session.exec(select(Commitment)).one()
        assert commitment.allow_overbilling is True
        assert commitment.accounting_method == "unit"


# --- refusals: every problem located by sheet, row and column; nothing written ---------------


def refused(database_url: str, engine: Engine, workbook: Path) -> str:
    before = dump(engine)
    result = cli(database_url, "import", str(workbook))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.strip().splitlines()[-1].startswith("billbot: nothing was imported")
    assert dump(engine) == before
    return result.stderr


def _missing_sheet(book: Any) -> None:
    del book["change_orders"]


def _missing_header(book: Any) -> None:
    book["sov_lines"]["B1"] = None


def _no_header_row(book: Any) -> None:
    book["companies"].delete_rows(1)


def _unknown_column(book: Any) -> None:
    book["people"]["G1"] = "phone"
    book["people"]["G2"] = "555-0100"


def _value_without_header(book: Any) -> None:
    book["projects"]["H2"] = "call Jane"
    book["projects"]["H3"] = "and Sam"  # (reported once, at the column's first value)


def _orphan_line(book: Any) -> None:
    book["sov_lines"]["A3"] = "sc9"


def _unknown_company(book: Any) -> None:
    book["people"]["B3"] = "acme2"


def _duplicate_key(book: Any) -> None:
    book["people"].append(["jane", "gc", "Jane Again", "j@summit.test"])


def _text_in_a_number_cell(book: Any) -> None:
    book["sov_lines"]["E3"] = "12,5x"


def _negative_quantity(book: Any) -> None:
    book["sov_lines"]["E2"] = -5


def _formula_without_value(book: Any) -> None:
    book["sov_lines"]["G3"] = "=1/0"


def _date_in_a_text_cell(book: Any) -> None:
    from datetime import datetime

    book["sov_lines"]["B3"] = datetime(2026, 1, 2)


def _percent_text_in_a_price_cell(book: Any) -> None:
    book["sov_lines"]["G3"] = "50%"


def _fraction_in_a_percent_cell(book: Any) -> None:
    book["invoice_lines"]["D2"] = None
    book["invoice_lines"]["F2"] = 0.5  # total_percent: 50 %, or half a percent?


def _merged_reference_cells(book: Any) -> None:
    book["sov_lines"]["A3"] = None
    book["sov_lines"].merge_cells("A2:A3")  # one commitment cell for both lines


def _hidden_row(book: Any) -> None:
    sheet = book["sov_lines"]
    sheet.append(["sc7", "3", "CANCELLED - do not use", None, 1, "EA", 99999])
    sheet.row_dimensions[sheet.max_row].hidden = True  # a line kept out of sight


def _totals_row(book: Any) -> None:
    book["sov_lines"].append([None, None, "Total SC-007", None, None, None, None, 48600])


BAD_WORKBOOKS = [
    (
        "hidden_row",
        _hidden_row,
        "sov_lines row 4: is hidden in the sheet: unhide it to import it, or delete the row",
    ),
    (
        "totals_row",
        _totals_row,
        'sov_lines row 4: looks like a totals row ("Total SC-007"): delete it, billbot adds '
        "up the lines itself (a line would need its commitment, number)",
    ),
    ("missing_sheet", _missing_sheet, "change_orders: the workbook has no change_orders sheet"),
    ("missing_header", _missing_header, "sov_lines row 1: the header row has no number column"),
    ("no_header_row", _no_header_row, "companies: has no header row: no row names its columns"),
    ("unknown_column", _unknown_column, 'people!G1: "phone" is not a column of people'),
    (
        "value_without_header",
        _value_without_header,
        "projects!H2: holds a value, but its column has no header\n",
    ),
    ("orphan_line", _orphan_line, 'sov_lines!A3: commitment "sc9" is not on the commitments'),
    (
        "missing_reference",
        _unknown_company,
        'people!B3: company: unknown company "acme2": not in this file or the database',
    ),
    ("duplicate_key", _duplicate_key, 'people!A4: key: duplicate key "jane" (also people row 2)'),
    (
        "text_in_a_number_cell",
        _text_in_a_number_cell,
        'sov_lines!E3: quantity "12,5x" is not a number (example: "12.5")',
    ),
    (
        "negative_quantity",
        _negative_quantity,
        'sov_lines!E2: quantity "-5" is negative; it must be 0 or more',
    ),
    (
        "formula_without_value",
        _formula_without_value,
        "sov_lines!G3: unit_price is a formula (=1/0) with no stored value",
    ),
    ("date_in_a_text_cell", _date_in_a_text_cell, "sov_lines!B3: number is a date (2026-01-02)"),
    (
        "percent_text_in_a_price_cell",
        _percent_text_in_a_price_cell,
        "sov_lines!G3: unit_price is a percentage (50%): give a plain number\n",
    ),
    (
        "fraction_in_a_percent_cell",
        _fraction_in_a_percent_cell,
        "invoice_lines!F2: total_percent is 0.5: percentages are written as 50 for 50 %, so "
        "write 50 if you mean 50 %, or 0.5% (with the % sign) if you mean 0.5 %\n",
    ),
    (
        "merged_reference_cells",
        _merged_reference_cells,
        "sov_lines!A3: commitment is part of the merged cells A2:A3: unmerge them and fill in "
        "the value on every row\n",
    ),
]


@pytest.mark.parametrize(
    ("spoil", "expected"), [pytest.param(spoil, e, id=name) for name, spoil, e in BAD_WORKBOOKS]
)
def test_a_bad_workbook_is_refused_naming_sheet_row_and_column(
    database_url: str, engine: Engine, tmp_path: Path, spoil: Any, expected: str
) -> None:
    good = fill(tmp_path / "good.xlsx", design_example())
    assert cli(database_url, "import", str(good)).exit_code == 0
    data = design_example()
    data["companies"][0]["name"] = "Summit Builders Inc."  # would be an update
    workbook = fill(tmp_path / "bad.xlsx", data)
    book = load_workbook(workbook)
    spoil(book)
    book.save(workbook)
    assert expected in refused(database_url, engine, workbook)


def test_an_error_value_stored_by_a_formula_is_refused(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    workbook = fill(tmp_path / "bad.xlsx", design_example())
    edit(workbook, "sov_lines", {"G3": "=1/0"})
    patch_xml(workbook, "sov_lines", "<f>1/0</f><v />", "<f>1/0</f><v>#DIV/0!</v>")
    patch_xml(workbook, "sov_lines", '<c r="G3"', '<c t="e" r="G3"')
    with pytest.raises(ImportFileError) as caught:
        import_workbook(sqlite_engine, path=workbook)
    assert [str(p) for p in caught.value.problems] == [
        "sov_lines!G3: unit_price is an error value (#DIV/0!) from its formula =1/0"
    ]


def test_a_change_order_below_what_was_billed_is_refused_at_its_cell(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    cut = {**CO1, "lines": [{"line": "1", "quantity_change": "-1000"}]}
    workbook = fill(tmp_path / "co.xlsx", example(cut, invoices=False))
    message = refused(database_url, engine, workbook)
    assert (
        "change_order_lines!C2: quantity_change: CO-001 takes line 1 (Conduit) to 200 LF "
        "($2,500.00), below the $3,750.00 already billed on it"
    ) in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"key,name\ngc,Summit\n", "(file): is not an Excel workbook (.xlsx)"),
        (b"\xd0\xcf\x11\xe0" + bytes(60), "(file): is an old-style .xls workbook"),
        (b"PK\x03\x04not really a zip", "(file): is not an Excel workbook (.xlsx): "),
    ],
    ids=["text", "xls", "broken_zip"],
)
def test_a_file_that_is_not_a_workbook_is_refused(
    database_url: str, engine: Engine, tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "project.xlsx"
    path.write_bytes(content)
    assert expected in refused(database_url, engine, path)


def test_every_problem_of_a_workbook_is_reported_at_once(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    workbook = fill(tmp_path / "bad.xlsx", design_example())
    book = load_workbook(workbook)
    del book["invoices"]
    book["people"]["G1"] = "phone"
    book["people"]["H2"] = "a note"
    book["people"]["H3"] = "another note"
    book["sov_lines"]["E2"] = "lots"
    book["sov_lines"]["G3"] = -1
    book["billing_periods"]["C2"] = "10/01/2026"
    book.save(workbook)
    with pytest.raises(ImportFileError) as caught:
        import_workbook(sqlite_engine, path=workbook)
    assert [problem.location for problem in caught.value.problems] == [
        "people!G1",
        "people!H2",  # (once for the column)
        "billing_periods!C2",  # (10/01/2026: January 10 or October 1? Asked as it is read)
        "invoices",  # (its lines on invoice_lines are then not checked against it)
        "sov_lines!E2",
        "sov_lines!G3",
    ]


def test_a_label_row_above_the_header_and_a_line_named_total_are_read(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """`name | Harbor Tower` above the header names one column beside a value: a title,
    not the header. A line whose description starts with "Total" but has its keys is a line."""
    data = design_example()
    data["commitments"][0]["lines"].append(
        {
            "number": "3",
            "description": "Total station survey",
            "uom": "EA",
            "quantity": "1",
            "unit_price": "900",
        }
    )
    workbook = fill(tmp_path / "labelled.xlsx", data)
    book = load_workbook(workbook)
    book["projects"].insert_rows(1, 2)
    book["projects"]["A1"], book["projects"]["B1"] = "name", "Harbor Tower"
    book.save(workbook)
    import_workbook(sqlite_engine, path=workbook)
    with session_scope(sqlite_engine) as session:
        lines = session.exec(select(SovLine.description).order_by(SovLine.id)).all()
    assert "Total station survey" in lines


def test_a_csv_file_is_refused_saying_what_billbot_reads(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "companies.csv"
    path.write_text("key,name\nacme,Acme Electric\n")
    said = refused(database_url, engine, path)
    assert "is a .csv file: billbot imports a workbook (.xlsx" in said
    assert "JSON" in said and "invalid JSON" not in said
