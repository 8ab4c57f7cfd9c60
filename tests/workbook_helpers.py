"""Workbooks for the tests: `billbot template` filled in with import data, as a person would."""

from __future__ import annotations

import re
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from models.workbook_layout import SHEETS, sheet_rows
from models.workbook_template import write_template

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def typed(value: Any, kind: str) -> Any:
    """What a person typing `value` into a cell of this kind ends up with in the workbook."""
    if isinstance(value, str) and kind == "number" and NUMBER.match(value):
        return float(Decimal(value))  # a number cell, as a spreadsheet stores it
    if isinstance(value, str) and kind == "date" and DATE.match(value):
        return date.fromisoformat(value)  # a date cell
    return value


def fill(path: Path, data: dict[str, Any], *, as_text: bool = False) -> Path:
    """`billbot template`'s workbook with `data` typed in (`as_text`: every cell as text)."""
    write_template(path)
    book = load_workbook(path)
    for sheet in SHEETS:
        worksheet = book[sheet.name]
        for row in sheet_rows(data, sheet):
            unknown = set(row) - set(sheet.headers)
            assert not unknown, f"{sheet.name}: no columns {unknown}"
            worksheet.append(
                [_cell(row.get(column.name), column.kind, as_text) for column in sheet.columns]
            )
    book.save(path)
    return path


def _cell(value: Any, kind: str, as_text: bool) -> Any:
    if value is None:
        return None
    return str(value) if as_text else typed(value, kind)


def edit(path: Path, sheet: str, cells: dict[str, Any]) -> Path:
    """Set cells (`{"E3": "12,5x"}`) of a sheet of a saved workbook."""
    book = load_workbook(path)
    worksheet = book[sheet]
    assert isinstance(worksheet, Worksheet)
    for coordinate, value in cells.items():
        worksheet[coordinate] = value
    book.save(path)
    return path


def patch_xml(path: Path, sheet: str, old: str, new: str) -> Path:
    """Replace text in a sheet's XML, to write what Excel writes but openpyxl does not
    (17-digit floats, formulas with stored values)."""
    book = load_workbook(path, read_only=True)
    index = book.sheetnames.index(sheet) + 1
    book.close()
    member = f"xl/worksheets/sheet{index}.xml"
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    text = parts[member].decode()
    assert old in text, f"{old!r} not in {member}"
    parts[member] = text.replace(old, new, 1).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in parts.items():
            target.writestr(name, content)
    return path
