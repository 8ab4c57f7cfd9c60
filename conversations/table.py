"""Answers pasted as a table: rows of cells from a spreadsheet or an HTML table, one line each.

A row's cells are separated by tabs (a spreadsheet pasted as text, or the text part of a mail
holding a table) or by `|` (markdown, and `mail.extract` writes an HTML table's cells so).
Each row is rewritten as the answer it holds, in words the parser reads:
`1 | Conduit | 50%` -> `1: 50%`, `Conduit | 50%` -> `Conduit 50%`.

A header row (cells without figures, naming columns) tells what each column holds: the line
number, the description, figures that are not answers (scheduled value, previous, balance,
retainage…, and the % and totals to date of a row whose work this period is given), and
what an answer column means (`% complete`, `Qty this period`, `Amount to date`, `Materials
stored`), which its bare figures are given. Without a header, or in a row whose cells do not
line up with it, a first cell that is a line number names the line and cells without figures
are its description. Two figures left for one line are refused by the parser as they would be
if typed (`which one is it?`): nothing is guessed.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from conversations.answers import LineAnswer, Scope, parse_body


class Role(enum.Enum):
    ref = "ref"
    description = "description"
    info = "info"  # figures that are not an answer: left out
    answer = "answer"
    stored = "stored"


@dataclass(frozen=True)
class Column:
    role: Role
    percent: bool = False
    money: bool = False
    to_date: bool = False
    period: bool = False


_REF_CELL = re.compile(
    r"(?:(?:sov\s+)?(?:line|item|ln|l[ií]nea|partida)\.?\s*)?(?:#|no\.?|n[°º]\.?)?\s*"
    r"(?P<ref>\d{1,6}(?:\.\d{1,4})*[a-z]?)\.?",
    re.IGNORECASE,
)
_ANSWER_WORD = re.compile(
    r"\b(?:skip|none|nothing|done|complete[d]?|n/a|na|omitir|nada|ninguno|terminad[oa]|"
    r"completad[oa]|listo)\b",
    re.IGNORECASE,
)


def _header_words(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_H_DESCRIPTION = _header_words(r"\b(?:desc(?:ription)?|descripcion|concepto|scope|trabajo)\b")
_H_REF = _header_words(
    r"^(?:sov\s+)?(?:line|item|ln|linea|partida|no|num|number|numero|n[°º]|#)"
    r"(?:\s*(?:#|no\.?|num(?:ber)?|numero))?\.?$|^#$"
)
_H_STORED = _header_words(r"\b(?:stored|materials?|almacenad[oa]s?|materiales)\b")
_H_INFO = _header_words(
    r"\b(?:scheduled|schedule|contract|contrato|budget|presupuesto|original|previous|prior|"
    r"anterior(?:es)?|price|precio|rate|tarifa|balance|remaining|saldo|pendiente|retainage|"
    r"retention|retenci[oó]n|uom|u/m|unit\s+of\s+measure|unidad\s+de\s+medida|notes?|notas?|"
    r"comments?|comentarios?|codes?|c[oó]digos?|cost\s+codes?)\b|^units?$|^unidad(?:es)?$"
    # a line's total is its scheduled value; a total to date or completed is an answer
    r"|^(?:line\s+)?total(?:\s+(?:value|amount|price|cost))?$|^(?:valor\s+)?total$"
)
_H_ANSWER = _header_words(
    r"%|\$|\b(?:percent|pct|progress|avance|porcentaje|complete[d]?|completad[oa]|"
    r"qty|quantity|units|cantidad|unidades|installed|instalad[oa]s?|amount|value|importe|"
    r"monto|valor|billed|bill|billing|facturad[oa]|facturar|this\s+period|this\s+month|"
    r"to\s+date|cumulative|total|a\s+la\s+fecha|acumulad[oa]|este\s+periodo|este\s+mes|"
    r"work|done|progreso)\b"
)
_H_PERCENT = _header_words(r"%|\b(?:percent|pct|porcentaje|avance|progress|progreso)\b")
_H_MONEY = _header_words(
    r"\$|\b(?:amount|value|importe|monto|valor|billed|bill|billing|facturad[oa]|facturar)\b"
)
_H_TO_DATE = _header_words(r"\b(?:to\s+date|cumulative|total|a\s+la\s+fecha|acumulad[oa])\b")
_H_PERIOD = _header_words(
    r"\b(?:this\s+period|this\s+month|current|este\s+periodo|este\s+mes|del\s+mes|actual)\b"
)
_FIGURE = re.compile(r"[-+~]?\s*\$?\s*\.?\d")  # a cell that starts with a figure
_NOTHING = re.compile(r"[-–—]+|\$\s*[-–—]+|\$?\s*[-–—]?\s*0*(?:\.0*)?")  # `-`, `$ -`, `0.00`
_BARE_NUMBER = re.compile(r"(?P<sign>[-+]?)\s*(?P<num>\d[\d,]*(?:\.\d+)?|\.\d+)")
_SAYS_TO_DATE = re.compile(r"\b(?:to\s+date|a\s+la\s+fecha)\b", re.IGNORECASE)
_SAYS_PERIOD = re.compile(r"\b(?:this\s+period|este\s+periodo)\b", re.IGNORECASE)
_RULE_ROW = re.compile(r"[\s|:+=_-]*")


def table_lines(lines: Sequence[str]) -> list[str]:
    """`lines` with every table row rewritten as the answer it holds; a header row (and a
    markdown rule row) becomes an empty line; tabs anywhere else become spaces."""
    out: list[str] = []
    header: list[Column] | None = None
    for index, line in enumerate(lines):
        cells = _cells(line)
        if cells is None:
            if line.strip():
                header = None  # a table ends at the first line that is not one of its rows
            out.append(line.replace("\t", " "))
            continue
        if _RULE_ROW.fullmatch(line):
            out.append("")
            continue
        columns = _header(cells)
        if columns is not None:
            header = columns
            out.append("")
            continue
        written = _row(cells, header)
        if written is None and _table_follows(lines, index):
            written = ""  # words only above more rows: a header of columns billbot ignores
        out.append(line.replace("\t", " ") if written is None else written)
    return out


def _table_follows(lines: Sequence[str], index: int) -> bool:
    """Whether the next line that is not empty is a table row holding figures."""
    for following in range(index + 1, len(lines)):
        if lines[following].strip():
            cells = _cells(lines[following])
            return cells is not None and _row_by_content(cells) is not None
    return False


def _cells(line: str) -> list[str] | None:
    """The cells of a table row (empty ones kept, so that columns line up), else None."""
    if "\t" in line and "\t" in line.strip():
        cells = line.strip().split("\t")
    elif "|" in line:
        cells = line.strip().strip("|").split("|")
    else:
        return None
    cells = [" ".join(cell.split()) for cell in cells]
    while cells and not cells[-1]:
        cells.pop()
    return cells if sum(1 for cell in cells if cell) >= 2 else None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).strip()


def _header(cells: Sequence[str]) -> list[Column] | None:
    """The columns a header row names, or None when the row is not a header: a header holds
    no figure, and names a line-number or description column and an answer column."""
    if any(re.search(r"\d", cell) for cell in cells):
        return None
    columns = [_column(_fold(cell)) for cell in cells]
    roles = {column.role for column in columns}
    if not roles & {Role.ref, Role.description} or not roles & {Role.answer, Role.stored}:
        return None
    return columns


def _column(name: str) -> Column:
    if not name:
        return Column(Role.info)
    if _H_DESCRIPTION.search(name):
        return Column(Role.description)
    if _H_REF.fullmatch(name):
        return Column(Role.ref)
    if _H_STORED.search(name) and not _H_TO_DATE.search(name):
        return Column(Role.stored)  # `Total completed and stored to date` is a total
    if _H_INFO.search(name):
        return Column(Role.info)
    if _H_ANSWER.search(name):
        period = bool(_H_PERIOD.search(name))
        return Column(
            Role.answer,
            percent=bool(_H_PERCENT.search(name)),
            money=bool(_H_MONEY.search(name)),
            to_date=bool(_H_TO_DATE.search(name)) and not period,
            period=period,
        )
    return Column(Role.info)  # a column the header names but billbot does not bill by


def _row(cells: Sequence[str], header: Sequence[Column] | None) -> str | None:
    """The answer a data row holds (`1: 50%`, `Conduit 50%`), or None to leave it as typed."""
    if header is not None and len(cells) <= len(header):
        padded = [*cells, *[""] * (len(header) - len(cells))]
        if _fits(padded, header):
            written = _row_by_header(padded, header)
            if written is not None:
                return written
    return _row_by_content(cells)


def _fits(cells: Sequence[str], header: Sequence[Column]) -> bool:
    """Whether each cell holds what its column says (`1 | 50%` under `Line | Description |
    % complete` does not: its figure is in the description's place)."""
    for cell, column in zip(cells, header, strict=True):
        if not cell:
            continue
        if column.role is Role.ref and _REF_CELL.fullmatch(cell) is None:
            return False
        if column.role is Role.description and _is_answer(cell):
            return False
        if column.role in (Role.answer, Role.stored) and not (
            _NOTHING.fullmatch(cell) or _is_answer(cell)
        ):
            return False
    return True


def _is_answer(cell: str) -> bool:
    return isinstance(parse_body(cell, scope=Scope.current), LineAnswer)


def _row_by_header(cells: Sequence[str], header: Sequence[Column]) -> str | None:
    ref: str | None = None
    described: list[str] = []
    this_period: list[str] = []
    others: list[str] = []
    stored: list[str] = []
    for cell, column in zip(cells, header, strict=True):
        if not cell:
            continue
        if column.role is Role.ref:
            match = _REF_CELL.fullmatch(cell)
            if match is None:
                return None  # not a line number where the header says: read by content
            ref = match["ref"]
        elif column.role is Role.description:
            described.append(cell)
        elif column.role is Role.answer and _NOTHING.fullmatch(cell):
            if column.period:  # `0` or an accountant's `-` this period: nothing billed
                this_period.append("skip")
        elif column.role is Role.answer:
            (this_period if column.period else others).append(_qualified(cell, column))
        elif column.role is Role.stored and not _NOTHING.fullmatch(cell):
            stored.append(f"stored {_money(cell)}")
    # Beside this period's work, the % and totals to date are derived from it.
    values = (this_period or others) + stored
    if ref is not None:
        return f"{ref}: {' '.join(values)}".rstrip()  # `3:` alone answers nothing
    if not values:
        return None
    return " ".join([*described, *values]) if described else None


def _row_by_content(cells: Sequence[str]) -> str | None:
    present = [cell for cell in cells if cell]
    figures = [cell for cell in present if _FIGURE.match(cell) or _ANSWER_WORD.fullmatch(cell)]
    if not figures:
        return None  # words only (`Send | thanks`): left as typed
    match = _REF_CELL.fullmatch(present[0])
    if match is not None and len(present) > 1:
        rest = [cell for cell in present[1:] if cell in figures]
        return f"{match['ref']}: {' '.join(rest)}".rstrip()
    words = [cell for cell in present if cell not in figures]
    return " ".join([*words, *figures])


def _qualified(cell: str, column: Column) -> str:
    """A cell of an answer column with what its header says: `50` under `% complete` is
    `50%`, under `Amount to date` `$50 to date`; what the cell says itself is kept."""
    bare = _BARE_NUMBER.fullmatch(cell)
    if bare is not None:
        if column.percent:
            cell = f"{bare['sign']}{bare['num']}%"
        elif column.money:
            cell = _money(cell)
    if column.to_date and not _SAYS_TO_DATE.search(cell):
        cell = f"{cell} to date"
    elif column.period and column.percent and not _SAYS_PERIOD.search(cell):
        cell = f"{cell} this period"  # a bare % is to date
    return cell


def _money(cell: str) -> str:
    bare = _BARE_NUMBER.fullmatch(cell)
    return f"{bare['sign']}${bare['num']}" if bare is not None else cell


__all__ = ["table_lines"]
