"""Where a place of the import data is in a workbook: `sov_lines!E7`, named by sheet, row, column.

The reader records, for every item it builds, the sheet and row it came from and the
column of each field; checks speak of places in the JSON shape
(`("commitments", 0, "lines", 6, "quantity")`) and this turns them into cells, with the
column's header leading the message: `sov_lines!E7: quantity "12,5x" is not a number`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from models.import_check import Loc, Problem, location

# A message that goes on from the field's name: `quantity "12,5x" is ...`, `quantity is ...`.
_CONTINUES = ('"', "-", "is ", "must ", "has ", "should ", "goes ")


@dataclass(frozen=True)
class Place:
    sheet: str
    row: int
    columns: Mapping[tuple[str, ...], tuple[str, str]]  # field path -> (letter, header)
    lines_sheet: str | None = None  # where this item's `lines` are


def with_field(header: str, message: str) -> str:
    if message.startswith(_CONTINUES) or message[:1].isdigit():
        return f"{header} {message}"
    return f"{header}: {message}"


class WorkbookLocator:
    """`Locator` for a workbook (see `models.import_check.Locator`)."""

    def __init__(self) -> None:
        self.places: dict[Loc, Place] = {}

    def add(self, loc: Loc, place: Place) -> None:
        self.places[loc] = place

    def _find(self, loc: Loc) -> tuple[Place | None, Loc]:
        for cut in range(len(loc), 0, -1):
            place = self.places.get(loc[:cut])
            if place is not None:
                return place, loc[cut:]
        return None, loc

    @staticmethod
    def _column(place: Place, rest: Loc) -> tuple[str, str] | None:
        for cut in range(len(rest), 0, -1):
            found = place.columns.get(tuple(str(part) for part in rest[:cut]))
            if found is not None:
                return found
        return None

    def where(self, loc: Loc) -> str:
        place, rest = self._find(loc)
        if place is None:
            return location(None, loc) if loc else "workbook"
        column = self._column(place, rest)
        if column is None:
            return f"{place.sheet} row {place.row}"
        return f"{place.sheet}!{column[0]}{place.row}"

    def problem(self, loc: Loc, message: str) -> Problem:
        place, rest = self._find(loc)
        if place is None:
            return Problem(self.where(loc), message)
        column = self._column(place, rest)
        if column is not None:
            return Problem(self.where(loc), with_field(column[1], message))
        if rest[:1] == ("lines",) and place.lines_sheet:
            message += f" (on the {place.lines_sheet} sheet)"
        return Problem(self.where(loc), message)
