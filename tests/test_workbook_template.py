"""`billbot template FILE.xlsx`: the sheets and headers of DESIGN §4, instructions, drop-downs."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from pydantic import BaseModel
from typer.testing import CliRunner

from bot.cli import app
from models.import_schema import (
    BillingPeriodIn,
    ChangeOrderIn,
    ChangeOrderLineIn,
    CommitmentIn,
    CompanyIn,
    ImportFile,
    InvoiceIn,
    InvoiceLineIn,
    PersonIn,
    ProjectIn,
    SovLineIn,
)
from models.tables import AccountingMethod, CommitmentKind, InvoiceStatus
from models.workbook_layout import INSTRUCTIONS, SHEETS
from models.workbook_template import (
    MONEY,
    MONEY_FORMAT,
    PERCENTS,
    QUANTITIES,
    TEXT_FORMAT,
    UNIT_PRICE_FORMAT,
    UNIT_PRICES,
    write_template,
)

runner = CliRunner()
MODELS: dict[str, type[BaseModel]] = {
    "companies": CompanyIn,
    "people": PersonIn,
    "projects": ProjectIn,
    "commitments": CommitmentIn,
    "sov_lines": SovLineIn,
    "billing_periods": BillingPeriodIn,
    "invoices": InvoiceIn,
    "invoice_lines": InvoiceLineIn,
    "change_orders": ChangeOrderIn,
    "change_order_lines": ChangeOrderLineIn,
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.xlsx"
    write_template(path)
    return path


def test_the_template_has_a_sheet_per_section_with_its_header_row(template: Path) -> None:
    book = load_workbook(template)
    assert book.sheetnames == [INSTRUCTIONS, *MODELS]
    for sheet in SHEETS:
        header = [cell.value for cell in book[sheet.name][1]]
        assert header == list(sheet.headers)
        assert book[sheet.name].max_row == 1  # nothing to delete before filling it in
    assert book["sov_lines"]["E1"].value == "quantity"  # as DESIGN's `sov_lines!E7: quantity`


def test_every_field_of_the_import_file_has_its_column() -> None:
    assert {sheet.section for sheet in SHEETS if sheet.parent is None} == set(
        ImportFile.model_fields
    )
    for sheet in SHEETS:
        fields = set(MODELS[sheet.name].model_fields) - {"lines", "new"}
        if sheet.name == "change_order_lines":
            fields |= {f"new_{name}" for name in SovLineIn.model_fields if name != "number"}
        assert set(sheet.headers) == fields | set(sheet.refs), sheet.name


def validations(template: Path, sheet: str) -> dict[str, list[str]]:
    worksheet = load_workbook(template)[sheet]
    headers = {cell.column_letter: cell.value for cell in worksheet[1]}
    found = {}
    for validation in worksheet.data_validations.dataValidation:
        assert validation.type == "list"
        (cells,) = str(validation.sqref).split()
        assert cells.endswith("1048576") and cells[1:].startswith("2:")
        found[headers[cells[0]]] = validation.formula1.strip('"').split(",")
    return found


def test_fixed_choices_have_drop_down_lists(template: Path) -> None:
    assert validations(template, "commitments") == {
        "kind": [kind.value for kind in CommitmentKind],
        "accounting_method": [method.value for method in AccountingMethod],
        "allow_overbilling": ["TRUE", "FALSE"],
    }
    assert validations(template, "invoices") == {"status": [s.value for s in InvoiceStatus]}
    for sheet in SHEETS:  # every fixed choice of the import file, whichever sheet it is on
        choices = {c.name: list(c.choices) for c in sheet.columns if c.kind == "choice"}
        found = validations(template, sheet.name)
        assert {name: found.get(name) for name in choices} == choices


def test_money_columns_are_formatted_as_money_and_keys_as_text(template: Path) -> None:
    book = load_workbook(template)
    formats = {
        (sheet.name, column.name): book[sheet.name].column_dimensions[letter].number_format
        for sheet in SHEETS
        for letter, column in zip("ABCDEFGHIJKLMNOP", sheet.columns, strict=False)
    }
    assert formats["sov_lines", "scheduled_value"] == MONEY_FORMAT
    assert formats["invoice_lines", "new_value"] == MONEY_FORMAT
    assert formats["change_order_lines", "change"] == MONEY_FORMAT
    assert formats["sov_lines", "unit_price"] == UNIT_PRICE_FORMAT
    assert formats["sov_lines", "number"] == TEXT_FORMAT
    assert formats["invoices", "number"] == TEXT_FORMAT
    assert formats["billing_periods", "start"] == "yyyy-mm-dd"
    assert formats["sov_lines", "quantity"] == "General"
    number_columns = {c.name for s in SHEETS for c in s.columns if c.kind == "number"}
    assert number_columns == MONEY | UNIT_PRICES | QUANTITIES | PERCENTS


def test_the_instructions_show_an_example_row_of_every_sheet(template: Path) -> None:
    rows = [
        [cell.value for cell in row] for row in load_workbook(template)[INSTRUCTIONS].iter_rows()
    ]
    for sheet in SHEETS:
        (at,) = [i for i, row in enumerate(rows) if row[0] == sheet.name]
        assert rows[at + 1][0] == "columns" and rows[at + 2][0] == "example"
        assert rows[at + 1][1 : 1 + len(sheet.headers)] == list(sheet.headers)
        example = dict(zip(sheet.headers, rows[at + 2][1:], strict=False))
        assert {k: v for k, v in example.items() if v is not None} == sheet.example


def test_billbot_template_writes_the_workbook_and_keeps_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "project.xlsx"
    result = runner.invoke(app, ["template", str(path)])
    assert result.exit_code == 0, result.output
    assert load_workbook(path).sheetnames[0] == INSTRUCTIONS
    path.write_bytes(b"a filled-in workbook")
    again = runner.invoke(app, ["template", str(path)])
    assert again.exit_code == 2 and "use --force" in again.stderr
    assert path.read_bytes() == b"a filled-in workbook"
    assert runner.invoke(app, ["template", str(path), "--force"]).exit_code == 0
    assert runner.invoke(app, ["template", str(tmp_path / "x.csv")]).exit_code == 2
