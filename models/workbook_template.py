"""`billbot template FILE.xlsx`: an empty import workbook to fill in.

One sheet per section with its header row (`models.workbook_layout`), an instructions
sheet with an example row of each, drop-down lists for the fixed choices, money
columns formatted as money and text columns as text (so that `007` or `1-2` stay
what was typed instead of becoming a number or a date).
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from models.workbook_layout import INSTRUCTIONS, SHEETS, Column, Sheet, child_of

MONEY_FORMAT = '"$"#,##0.00;-"$"#,##0.00'
UNIT_PRICE_FORMAT = '"$"#,##0.00##;-"$"#,##0.00##'
DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"
# Number columns by what they hold (a test checks that every number column is in one).
MONEY = frozenset(
    {
        "scheduled_value",
        "new_value",
        "materials_stored",
        "retainage_released",
        "change",
        "new_scheduled_value",
    }
)
UNIT_PRICES = frozenset({"unit_price", "new_unit_price"})
QUANTITIES = frozenset({"quantity", "new_quantity", "quantity_change"})
PERCENTS = frozenset({"retainage_percent", "total_percent", "new_retainage_percent"})
LAST_ROW = 1_048_576
HEADER_FILL = PatternFill("solid", start_color="DDE3EA")
BOLD = Font(bold=True)

INTRODUCTION = (
    "Fill in one sheet per kind of record; the first row of each sheet holds the column "
    "names, so leave it as it is. Every record has a key of your choosing (letters, digits, "
    "-, _ and .) that other sheets refer to; importing the workbook again updates the "
    "records by their keys and changes nothing else. An invoice billbot has moved on "
    "(sent by its contact, reviewed or approved) is never changed by an import: a workbook "
    "that says otherwise is refused, naming the cell, and a correction goes on a later "
    "invoice.",
    "Amounts and quantities are read exactly as the cells show them (unit prices may have "
    "4 decimals); dates may be date cells or text such as 2026-10-31. Empty rows are "
    "skipped; a formula counts with the value it shows.",
    "Import with: billbot import FILE.xlsx. If anything is wrong, nothing is imported and "
    "every problem is listed by sheet, row and column (for example sov_lines!E7).",
)


def number_format(column: Column) -> str | None:
    if column.kind == "date":
        return DATE_FORMAT
    if column.kind in ("text", "list"):
        return TEXT_FORMAT
    if column.name in MONEY:
        return MONEY_FORMAT
    if column.name in UNIT_PRICES:
        return UNIT_PRICE_FORMAT
    return None


def drop_down(column: Column) -> list[str]:
    if column.kind == "choice":
        return list(column.choices)
    if column.kind == "bool":
        return ["TRUE", "FALSE"]
    return []


def template_workbook() -> Workbook:
    book = Workbook()
    instructions = book.active
    assert isinstance(instructions, Worksheet)
    instructions.title = INSTRUCTIONS
    _instructions(instructions)
    for sheet in SHEETS:
        _data_sheet(book.create_sheet(sheet.name), sheet)
    return book


def write_template(path: Path) -> None:
    template_workbook().save(path)


def _data_sheet(worksheet: Worksheet, sheet: Sheet) -> None:
    worksheet.append(list(sheet.headers))
    worksheet.freeze_panes = "A2"
    for index, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        cell = worksheet.cell(row=1, column=index)
        cell.font, cell.fill = BOLD, HEADER_FILL
        dimension = worksheet.column_dimensions[letter]
        dimension.width = max(len(column.name) + 3, 14)
        if fmt := number_format(column):
            dimension.number_format = fmt
        if choices := drop_down(column):
            validation = DataValidation(
                type="list",
                formula1='"' + ",".join(choices) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=f"{column.name}",
                error=f"{column.name} is one of: {', '.join(choices)}",
            )
            validation.add(f"{letter}2:{letter}{LAST_ROW}")
            worksheet.add_data_validation(validation)


def _instructions(worksheet: Worksheet) -> None:
    worksheet.column_dimensions["A"].width = 22
    worksheet["A1"] = "billbot import workbook"
    worksheet["A1"].font = Font(bold=True, size=14)
    row = 3
    for paragraph in INTRODUCTION:
        worksheet.cell(row=row, column=1, value=paragraph).alignment = Alignment(wrap_text=True)
        worksheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=8)
        worksheet.row_dimensions[row].height = 48
        row += 1
    row += 1
    for sheet in SHEETS:
        worksheet.cell(row=row, column=1, value=sheet.name).font = BOLD
        about = sheet.about
        if (lines := child_of(sheet)) is not None:
            about += f" Its lines go on {lines.name}."
        worksheet.cell(row=row, column=2, value=about)
        for index, column in enumerate(sheet.columns, start=2):
            header = worksheet.cell(row=row + 1, column=index, value=column.name)
            header.font, header.fill = BOLD, HEADER_FILL
            example = sheet.example.get(column.name)
            if example is not None:
                worksheet.cell(row=row + 2, column=index, value=example).number_format = TEXT_FORMAT
        worksheet.cell(row=row + 1, column=1, value="columns")
        worksheet.cell(row=row + 2, column=1, value="example")
        row += 4
