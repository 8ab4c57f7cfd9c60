"""`billbot import FILE.xlsx`: a workbook read into the data a JSON import file holds.

The reader only translates: sheets become the file's sections, rows its items, the
rows of `sov_lines`, `invoice_lines` and `change_order_lines` the `lines` of the item
their reference columns name. What it cannot translate (a missing sheet or header, an
unknown column, an error value, a reference to a row that is not there) is a problem
located by sheet, row and column; everything else is judged by the same validation as
a JSON file (`models.import_check.validate_import`). A formula cell counts with the
value the spreadsheet stored for it. Blank rows, and rows above the header row, are
passed over. Sheet names are read as headers are (`SOV Lines` is `sov_lines`). A merged
cell below the header row is refused: only its first cell holds the value.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.exceptions import InvalidFileException

from models.import_check import Problem
from models.workbook_cells import MISSING, CellError, cell_value
from models.workbook_layout import INSTRUCTIONS, NEW_LINE, SHEETS, Column, Sheet, child_of
from models.workbook_places import Place, WorkbookLocator, with_field

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and .doc) format
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")


@dataclass(frozen=True)
class Cell:
    column: int  # 1-based
    value: Any
    number_format: str | None = None
    formula: str | None = None  # the formula that computed `value` (its stored result)
    error: bool = False  # an error value such as #N/A


Row = tuple[int, list[Cell]]


@dataclass
class WorkbookData:
    """The import data read from a workbook, where each item came from, and what went wrong."""

    raw: dict[str, Any] = field(default_factory=dict)
    locator: WorkbookLocator = field(default_factory=WorkbookLocator)
    problems: list[Problem] = field(default_factory=list)


def is_workbook(path: Path) -> bool:
    """Whether `path` should be read as a workbook: by its name, else by its first bytes."""
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError:
        return False
    return head in (ZIP_MAGIC, OLE_MAGIC)


def read_workbook(path: Path) -> WorkbookData:
    data = WorkbookData()
    content = path.read_bytes()
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        data.problems.append(Problem("(file)", _not_a_workbook(content, exc)))
        return data
    try:
        _Reader(book, content, data).read()
    finally:
        book.close()
    return data


def _not_a_workbook(content: bytes, exc: Exception) -> str:
    if content.startswith(OLE_MAGIC):
        return "is an old-style .xls workbook: open it and save it as .xlsx"
    if not content.startswith(ZIP_MAGIC):
        return "is not an Excel workbook (.xlsx)"
    if _zip_entry(content, "mimetype").startswith(b"application/vnd.oasis.opendocument"):
        return (
            "is an OpenDocument spreadsheet (.ods): open it in LibreOffice Calc and save it "
            'as .xlsx (File > Save As, "Excel 2007-365")'
        )
    detail = str(exc).strip().strip('"')
    return (
        f"is not an Excel workbook (.xlsx): {detail}; if your spreadsheet opens it, save it "
        "from there as .xlsx"
    )


def _zip_entry(content: bytes, name: str) -> bytes:
    """The first bytes of the entry `name` of a ZIP archive (b"" if it has none)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive, archive.open(name) as entry:
            return entry.read(100)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return b""


def _header_name(value: Any) -> str:
    return re.sub(r"[\s-]+", "_", str(value).strip()).casefold()


class _Reader:
    def __init__(self, book: Workbook, content: bytes, data: WorkbookData) -> None:
        self.book = book
        self.content = content
        self.data = data
        self.cached: Workbook | None = None  # opened for stored formula values, when needed
        # By name as headers are read (`SOV Lines` is sov_lines); an exact name comes first.
        self.titles = {_header_name(title): title for title in reversed(book.sheetnames)}
        self.titles |= {title: title for title in book.sheetnames}
        self.ignored: set[int] = set()  # columns of the sheet being read: unknown headers
        self.headerless: set[int] = set()  # ... and columns without one, reported once
        self.merged: dict[int, dict[int, str]] = {}  # ... its merged cells: row -> column -> range
        self.day_order: str | None = None  # ... the order of its text dates: "md" or "dm"
        # Per section, the items' indexes by what child rows name them with.
        self.parents: dict[str, dict[tuple[str, ...], int]] = {}

    def problem(self, where: str, message: str) -> None:
        self.data.problems.append(Problem(where, message))

    def read(self) -> None:
        if not any(sheet.name in self.titles for sheet in SHEETS):
            self.problem(
                "(file)",
                f"none of the workbook's sheets ({', '.join(self.book.sheetnames)}) is one "
                f"billbot imports: it reads {', '.join(sheet.name for sheet in SHEETS)}, each "
                "with its header row; `billbot template FILE.xlsx` writes a workbook with them",
            )
            return
        try:
            for sheet in SHEETS:
                self.read_sheet(sheet)
            self.check_other_sheets()
        finally:
            if self.cached is not None:
                self.cached.close()

    def check_other_sheets(self) -> None:
        """A visible sheet billbot does not read, holding values, is refused: its rows would
        not be imported, and nothing in a workbook is passed over unseen (a sheet of notes
        can be hidden)."""
        known = {sheet.name for sheet in SHEETS} | {INSTRUCTIONS}
        for title in self.book.sheetnames:
            if _header_name(title) in known:  # read, or said (a hidden one, its copy)
                continue
            if getattr(self.book[title], "sheet_state", "visible") != "visible":
                continue
            if next(_cells(self.book[title]), None) is None:
                continue
            self.problem(
                title,
                "is a sheet billbot does not read, and it holds values: they would not "
                f"be imported. Put its rows on the sheets they belong to "
                f"({', '.join(sheet.name for sheet in SHEETS)}), or delete the sheet (or hide "
                "it, to keep it as notes)",
            )

    def read_sheet(self, sheet: Sheet) -> None:
        title = self.titles.get(sheet.name)
        if title is None:
            self.problem(
                sheet.name,
                f"the workbook has no {sheet.name} sheet (its sheets: "
                f"{', '.join(self.book.sheetnames)}); `billbot template FILE.xlsx` writes a "
                "workbook with all of them",
            )
            return
        state = getattr(self.book[title], "sheet_state", "visible")
        if state != "visible":  # an old copy kept out of sight, often: never read unseen
            alike = [
                other
                for other in self.book.sheetnames
                if other != title and _header_name(other) == sheet.name
            ]
            message = (
                f"the {sheet.name} sheet is hidden: billbot does not import a sheet unseen. "
                "Unhide it to import it"
            )
            if alike:
                others = ", ".join(alike)
                message = (
                    f"the {sheet.name} sheet is hidden, and the workbook also has {others}: "
                    f"billbot does not import a sheet unseen, nor guess which one is meant. "
                    f"Unhide it to import it, or delete it if {others} is the one to import"
                )
            self.problem(title, message)
            return
        columns, below = self.header(sheet, self.rows(title))
        if columns is None:
            return
        rows = list(below)
        self.day_order = _day_order(columns, rows)
        xml = _sheet_xml(self.book[title])  # read once: hidden rows, columns, merged ranges
        hidden = _hidden_rows(xml)
        hidden_columns = _hidden_columns(xml)
        unseen: dict[int, int] = {}  # a hidden column that holds data -> its first row
        self.merged = self.merged_cells(xml, columns)
        letters = {
            column.target: (get_column_letter(index), column.name)
            for index, column in columns.items()
        }
        if ("line",) in letters and any(c.target[0] == NEW_LINE for c in columns.values()):
            letters[(NEW_LINE, "number")] = letters[("line",)]  # a new line's number
        lines_sheet = child_of(sheet)
        lines_name = lines_sheet.name if lines_sheet else None
        if sheet.parent is None:
            items: list[dict[str, Any]] = self.data.raw.setdefault(sheet.section, [])
            by_key = self.parents.setdefault(sheet.section, {})
            key_fields = lines_sheet.parent_fields if lines_sheet else ()
        for number, cells in rows:
            item, refs = self.item(sheet, number, cells, columns)
            if item is None:
                continue
            if number in hidden:  # often a cancelled line kept out of sight: never taken unseen
                self.problem(
                    f"{sheet.name} row {number}",
                    "is hidden in the sheet: unhide it to import it, or delete the row",
                )
                continue
            for cell in cells:
                if (
                    cell.column in columns
                    and _in_ranges(cell.column, hidden_columns)
                    and str(cell.value).strip()
                ):
                    unseen.setdefault(cell.column, number)
            total = next((c.value for c in cells if _is_total(c.value)), None)
            named = {column.name for column in columns.values()}
            keyless = [
                column.name
                for column in sheet.columns
                if column.required
                and column.name in named
                and column.name not in item
                and column.name not in refs
            ]
            if total is not None and keyless:
                self.problem(
                    f"{sheet.name} row {number}",
                    f'looks like a totals row ("{str(total).strip()}"): delete it, billbot '
                    f"adds up the lines itself (a line would need its {', '.join(keyless)})",
                )
                continue
            place = Place(sheet.name, number, letters, lines_name)
            if sheet.parent is not None:
                self.attach(sheet, number, columns, refs, item, place)
                continue
            by_key.setdefault(tuple(str(item.get(f, "")) for f in key_fields), len(items))
            self.data.locator.add((sheet.section, len(items)), place)
            items.append(item)
        for index, number in sorted(unseen.items()):
            letter = get_column_letter(index)
            self.problem(
                f"{sheet.name}!{letter}{number}",
                f"{columns[index].name}: column {letter} is hidden in the sheet (or too narrow "
                "to see) and holds values: billbot does not import a column unseen. Unhide "
                "it to import it, or clear it",
            )

    def attach(
        self,
        sheet: Sheet,
        number: int,
        columns: dict[int, Column],
        refs: dict[str, Any],
        item: dict[str, Any],
        place: Place,
    ) -> None:
        """Put a child row into the `lines` of the parent item its reference columns name."""
        parent = sheet.parent
        assert parent is not None
        index_of = {column.name: index for index, column in columns.items()}
        missing = [name for name in sheet.refs if refs.get(name, MISSING) is MISSING]
        for name in missing:
            if index_of[name] in self.merged.get(number, {}):
                continue  # reported as a merged cell
            where = f"{sheet.name}!{get_column_letter(index_of[name])}{number}"
            self.problem(where, f"{name} is required")
        if missing or parent.section not in self.parents:
            return  # the parent sheet could not be read: its problem is reported already
        key = tuple(str(refs[name]) for name in sheet.refs)
        index = self.parents[parent.section].get(key)
        if index is None:
            name = sheet.refs[-1]
            where = f"{sheet.name}!{get_column_letter(index_of[name])}{number}"
            named = " ".join(f'{ref} "{value}"' for ref, value in zip(sheet.refs, key, strict=True))
            self.problem(where, f"{named} is not on the {parent.name} sheet")
            return
        lines = self.data.raw[parent.section][index].setdefault("lines", [])
        self.data.locator.add((parent.section, index, "lines", len(lines)), place)
        lines.append(item)

    def header(
        self, sheet: Sheet, listed: list[Row]
    ) -> tuple[dict[int, Column] | None, Iterator[Row]]:
        """The header row: the first row naming columns of the sheet (two of them, or one
        and nothing else); rows above it are titles or notes, such as `Project | Westside
        Lofts`, which names one column beside a value. Returns the columns by index (None
        when there is no header) and the rows below it."""
        chosen = _header_index(sheet, listed)
        rows = iter(listed[chosen:] if chosen is not None else ())
        for number, cells in rows:
            names = {cell.column: _header_name(cell.value) for cell in cells}
            if not any(sheet.column(name) for name in names.values()):
                continue
            columns: dict[int, Column] = {}
            self.ignored, self.headerless = set(names), set()
            for index, name in names.items():
                where = f"{sheet.name}!{get_column_letter(index)}{number}"
                column = sheet.column(name)
                if column is None:
                    known = ", ".join(sheet.headers)
                    message = f'"{name}" is not a column of {sheet.name} (its columns: {known})'
                    self.problem(where, message)
                elif column in columns.values():
                    self.problem(where, f'column "{name}" is there twice')
                else:
                    columns[index] = column
                    self.ignored.discard(index)
            missing = [c.name for c in sheet.columns if c.required and c not in columns.values()]
            if missing:
                names_text = ", ".join(missing)
                self.problem(
                    f"{sheet.name} row {number}",
                    f"the header row has no {names_text} column{'s' if len(missing) > 1 else ''}",
                )
                return None, rows
            return columns, rows
        self.problem(
            sheet.name,
            f"has no header row: no row names its columns ({', '.join(sheet.headers)}); the "
            "header may sit below title rows, and its names are the template's "
            "(`billbot template`)",
        )
        return None, iter(())

    def item(
        self, sheet: Sheet, number: int, cells: list[Cell], columns: dict[int, Column]
    ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """One row as an item (None for a blank row) and its reference columns' values."""
        item: dict[str, Any] = {}
        refs: dict[str, Any] = {}
        blank = True
        for cell in cells:
            column = columns.get(cell.column)
            where = f"{sheet.name}!{get_column_letter(cell.column)}{number}"
            if column is None:
                if cell.column in self.ignored or not str(cell.value).strip():
                    continue  # (an unknown column: reported at its header)
                if cell.column not in self.headerless:
                    self.headerless.add(cell.column)
                    self.problem(where, "holds a value, but its column has no header")
                blank = False
                continue
            try:
                value = self.value(column, _settled(cell, column, self.day_order))
            except CellError as exc:
                self.problem(where, with_field(column.name, str(exc)))
                blank = False
                continue
            if value is MISSING:
                continue
            blank = False
            if column.name in sheet.refs:
                refs[column.name] = value
            elif len(column.target) == 2:
                item.setdefault(column.target[0], {})[column.target[1]] = value
            else:
                item[column.name] = value
        if blank:
            return None, refs
        for index, cells_range in self.merged.get(number, {}).items():
            if index in columns:
                where = f"{sheet.name}!{get_column_letter(index)}{number}"
                message = (
                    f"is part of the merged cells {cells_range}: unmerge them and fill in "
                    "the value on every row"
                )
                self.problem(where, with_field(columns[index].name, message))
        if "new" in item and "line" in item:  # change_order_lines: `line` numbers the new line
            item["new"]["number"] = item.pop("line")
        return item, refs

    @staticmethod
    def value(column: Column, cell: Cell) -> Any:
        if cell.error:
            made = f" from its formula ={cell.formula}" if cell.formula else ""
            raise CellError(f"is an error value ({cell.value}){made}")
        if cell.formula is not None and cell.value is None:
            raise CellError(
                f"is a formula (={cell.formula}) with no stored value: open the workbook in "
                "Excel or LibreOffice and save it, so the value is stored"
            )
        return cell_value(column, cell.value, cell.number_format)

    def merged_cells(self, xml: bytes, columns: dict[int, Column]) -> dict[int, dict[int, str]]:
        """The cells of the sheet's merged ranges other than each range's first, which holds
        the value (the others read as empty): row -> column -> the range, e.g. `A2:A4`."""
        covered: dict[int, dict[int, str]] = {}
        for cells_range in _merged_ranges(xml):
            low_col, low_row, high_col, high_row = range_boundaries(cells_range)
            if None in (low_col, low_row, high_col, high_row):
                continue  # a whole row or column: not a range of cells
            assert low_col and low_row and high_col and high_row
            for row in range(low_row, high_row + 1):
                for index in range(low_col, high_col + 1):
                    if (row, index) != (low_row, low_col) and index in columns:
                        covered.setdefault(row, {})[index] = cells_range
        return covered

    def rows(self, title: str) -> list[Row]:
        """The sheet's non-empty rows; a formula cell holds its stored value."""
        found: list[Row] = []
        formulas = False
        for number, cells in _cells(self.book[title]):
            formulas = formulas or any(cell.formula is not None for cell in cells)
            found.append((number, cells))
        if formulas:
            if self.cached is None:
                self.cached = load_workbook(
                    io.BytesIO(self.content), read_only=True, data_only=True
                )
            stored = {
                (number, cell.column): cell
                for number, cells in _cells(self.cached[title])
                for cell in cells
            }
            found = [
                (number, [_stored(cell, stored.get((number, cell.column))) for cell in cells])
                for number, cells in found
            ]
        return found


def _cells(sheet: Any) -> Iterator[Row]:
    """(row number, its non-empty cells) of a read-only sheet."""
    sheet.reset_dimensions()  # some writers record a wrong size; read every row there is
    for row in sheet.iter_rows(min_row=1):
        cells = []
        number = 0
        for cell in row:
            value = getattr(cell, "value", None)
            if value is None:
                continue
            number = cell.row
            if cell.data_type == "f":
                cells.append(Cell(cell.column, None, formula=str(value).removeprefix("=")))
            elif cell.data_type == "e":
                cells.append(Cell(cell.column, value, error=True))
            elif isinstance(value, int | float) and not isinstance(value, bool):
                cells.append(Cell(cell.column, value, cell.number_format))
            else:
                cells.append(Cell(cell.column, value))
        if cells:
            yield number, cells


def _header_index(sheet: Sheet, rows: list[Row]) -> int | None:
    """Where the header is in `rows`: the first row naming two columns or more, or one and
    nothing else; else the first naming one (a one-column header beside notes)."""
    first = None
    for index, (_number, cells) in enumerate(rows):
        names = [_header_name(cell.value) for cell in cells]
        known = sum(1 for name in names if sheet.column(name))
        if known >= 2 or (known == 1 and len(names) == 1):
            return index
        if known and first is None:
            first = index
    return first


# A date typed as text with its day and month as numbers: `11/30/2026`, `30.11.2026`.
_SLASHED = re.compile(r"(?P<first>\d{1,2})[/.-](?P<second>\d{1,2})[/.-](?P<year>\d{4})")


def _day_order(columns: dict[int, Column], rows: list[Row]) -> str | None:
    """The order the sheet's text dates are written in, when they say it: `md` when one has
    a second number over 12 (`10/25/2026`) and none a first, `dm` the other way round. The
    dates of a sheet are typed one way: `11/01/2026` beside `11/30/2026` is November 1. A
    sheet that does not say (or says both) has none: `11/01/2026` there is asked about."""
    seen: set[str] = set()
    for _number, cells in rows:
        for cell in cells:
            column = columns.get(cell.column)
            if column is None or column.kind != "date" or not isinstance(cell.value, str):
                continue
            found = _SLASHED.fullmatch(cell.value.strip())
            if found is None:
                continue
            first, second = int(found["first"]), int(found["second"])
            if second > 12 >= first:
                seen.add("md")
            elif first > 12 >= second:
                seen.add("dm")
    return seen.pop() if len(seen) == 1 else None


def _settled(cell: Cell, column: Column, order: str | None) -> Cell:
    """`cell`'s text date written as ISO (`2026-11-01`) when its sheet's order settles it."""
    if order is None or column.kind != "date" or not isinstance(cell.value, str):
        return cell
    found = _SLASHED.fullmatch(cell.value.strip())
    if found is None:
        return cell
    first, second, year = int(found["first"]), int(found["second"]), int(found["year"])
    month, day = (first, second) if order == "md" else (second, first)
    try:
        return replace(cell, value=date(year, month, day).isoformat())
    except ValueError:
        return cell  # not a date either way: said as it is read


def _is_total(value: Any) -> bool:
    return isinstance(value, str) and _TOTAL.match(value.strip().casefold()) is not None


# A totals row's label, as accounting exports write it (`Total`, `Subtotal Steel`, `Total
# SC-202`, `Grand total:`, `Totales`, `Suma`); taken as one only on a row without its keys.
_TOTAL = re.compile(r"(?:grand\s+|sub[-\s]?)?(?:totals?|totales|suma)\b")


def _sheet_xml(sheet: Any) -> bytes:
    """A read-only sheet's XML, for what read-only sheets do not give (row properties,
    merged ranges): found in it by a scan of its bytes, since parsing the XML again would
    cost as much as reading the sheet."""
    with sheet._get_source() as source:
        data: bytes = source.read()
    return data


def _hidden_rows(xml: bytes) -> frozenset[int]:
    """The rows the sheet's XML hides (`<row r="7" hidden="1">`)."""
    if b"hidden" not in xml:
        return frozenset()
    hidden = set()
    for attributes in _ROW.findall(xml):
        if _HIDDEN.search(attributes):
            found = _ROW_NUMBER.search(attributes)
            if found:
                hidden.add(int(found[1]))
    return frozenset(hidden)


def _hidden_columns(xml: bytes) -> tuple[tuple[int, int], ...]:
    """The column ranges the sheet's XML hides (`<col min="9" max="9" hidden="1"/>`), or
    makes narrower than a character (`width="0.5"`), as (first, last) column numbers."""
    head = xml[: xml.find(b"<sheetData")] if b"<sheetData" in xml else xml
    if b"<cols" not in head and b":cols" not in head:
        return ()
    found = []
    for attributes in _COL.findall(head):
        width = _WIDTH.search(attributes)
        narrow = width is not None and float(width[1]) < 1
        if not (_HIDDEN.search(attributes) or narrow):
            continue
        low, high = _COL_MIN.search(attributes), _COL_MAX.search(attributes)
        if low and high:
            found.append((int(low[1]), int(high[1])))
    return tuple(found)


def _in_ranges(index: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(low <= index <= high for low, high in ranges)


_COL = re.compile(rb"<(?:[\w-]+:)?col\b([^>]*)>")
_COL_MIN = re.compile(rb"\bmin=[\"'](\d+)[\"']")
_COL_MAX = re.compile(rb"\bmax=[\"'](\d+)[\"']")
_WIDTH = re.compile(rb"\bwidth=[\"']([\d.]+)[\"']")
_ROW = re.compile(rb"<(?:[\w-]+:)?row\b([^>]*)>")
_HIDDEN = re.compile(rb"\bhidden=[\"'](?:1|true)[\"']")
_ROW_NUMBER = re.compile(rb"\br=[\"'](\d+)[\"']")


def _merged_ranges(xml: bytes) -> list[str]:
    """The merged ranges in the sheet's XML (`A2:A4`, its `mergeCell` elements)."""
    if b"mergeCell" not in xml:
        return []
    return [found.decode() for found in _MERGE_CELL.findall(xml)]


# `<mergeCell ref="A2:A4"/>`, with or without a namespace prefix.
_MERGE_CELL = re.compile(rb"<(?:[\w-]+:)?mergeCell\b[^>]*?\bref=[\"']([^\"']+)[\"']")


def _stored(cell: Cell, stored: Cell | None) -> Cell:
    """A formula cell with the value stored for it (None: the workbook stored none)."""
    if cell.formula is None:
        return cell
    if stored is None:
        return cell
    return Cell(cell.column, stored.value, stored.number_format, cell.formula, stored.error)
