"""Reading and checking an import file before anything is written.

Every problem names where it is. Checks speak of places in the JSON shape
(`("commitments", 0, "lines", 1, "unit_price")`); a `Locator` turns them into
what the user sees: for a JSON file
`commitments[0] (key "sc7").lines[1].unit_price: "12,5x" is not an amount (...)`,
for a workbook the sheet, row and column (`models.workbook_places`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from models.import_schema import ChangeOrderIn, CommitmentIn, ImportFile, SovLineIn
from models.import_types import JsonNumber, show
from models.tables import AccountingMethod

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class ImportFileError(ValueError):
    """An import file that cannot be loaded; nothing was written."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _get(node: Any, part: str | int) -> Any:
    if isinstance(part, int):
        if isinstance(node, list | tuple) and 0 <= part < len(node):
            return node[part]
        return None
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, BaseModel):
        return getattr(node, part, None)
    return None


def _label(collection: str | int, item: Any) -> str:
    key = _get(item, "key")
    if isinstance(key, str):
        return f' (key "{key}")'
    if collection == "invoices":
        number, commitment = _get(item, "number"), _get(item, "commitment")
        if isinstance(number, str) and isinstance(commitment, str):
            return f' (commitment "{commitment}", number "{number}")'
    return ""


def location(root: Any, loc: Loc) -> str:
    """`("commitments", 0, "lines", 1)` -> `commitments[0] (key "sc7").lines[1]`."""
    text, node = "", root
    for depth, part in enumerate(loc):
        node = _get(node, part)
        if isinstance(part, int):
            text += f"[{part}]"
            if depth == 1:
                text += _label(loc[0], node)
        else:
            text += f".{part}" if text else part
    return text or "(file)"


class Locator(Protocol):
    """Where a place of the JSON shape is in the user's file."""

    def where(self, loc: Loc) -> str: ...

    def problem(self, loc: Loc, message: str) -> Problem: ...


@dataclass(frozen=True)
class JsonLocator:
    """Places in a JSON import file: `commitments[0] (key "sc7").lines[1].unit_price`."""

    root: Any

    def where(self, loc: Loc) -> str:
        return location(self.root, loc)

    def problem(self, loc: Loc, message: str) -> Problem:
        return Problem(location(self.root, loc), message)


_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a known field (check the spelling)",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
}


def _pydantic_message(error: Any) -> str:
    kind = error["type"]
    if kind in _MESSAGES:
        message = _MESSAGES[kind]
        if kind not in ("missing", "extra_forbidden"):
            message += f", not {show(error['input'])}"
        return message
    if kind == "enum":
        return f"{show(error['input'])} is not one of {error['ctx']['expected']}"
    message = str(error["msg"])
    if message.startswith("Input should"):
        return f"{show(error['input'])} is not allowed: it should{message[len('Input should') :]}"
    if message.startswith("String should"):
        return f"{show(error['input'])} should{message[len('String should') :]}"
    return message


def parse_import(text: str) -> ImportFile:
    """JSON text -> a validated `ImportFile`, or `ImportFileError` listing every problem."""
    try:
        raw = json.loads(
            text, parse_float=JsonNumber, parse_int=JsonNumber, parse_constant=JsonNumber
        )
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}:{exc.colno}"
        raise ImportFileError([Problem(where, f"invalid JSON: {exc.msg}")]) from None
    if not isinstance(raw, dict):
        raise ImportFileError([Problem("(file)", "must be a JSON object with lists of items")])
    return validate_import(raw, JsonLocator(raw))


def validate_import(
    raw: dict[str, Any], locator: Locator, problems: Sequence[Problem] = ()
) -> ImportFile:
    """The one validation path of every reader: the import data as JSON would hold it ->
    a checked `ImportFile`, or `ImportFileError` with `problems` (the reader's) and every
    other problem found."""
    found = list(problems)
    reported = {problem.location for problem in problems}  # cells the reader could not read

    def add(more: Iterable[Problem]) -> None:
        found.extend(problem for problem in more if problem.location not in reported)

    try:
        data = ImportFile.model_validate(raw)
    except ValidationError as exc:
        add(
            locator.problem(tuple(error["loc"]), _pydantic_message(error)) for error in exc.errors()
        )
        raise ImportFileError(found) from None
    add(locator.problem(loc, message) for loc, message in check_file(data, locator.where))
    if found:
        raise ImportFileError(found)
    return data


def check_file(
    data: ImportFile, where: Callable[[Loc], str] | None = None
) -> Iterator[tuple[Loc, str]]:
    """Checks that need the whole file but not the database (`where` names a duplicate's twin)."""
    where = where or (lambda loc: location(data, loc))
    for collection in (
        "companies",
        "people",
        "projects",
        "commitments",
        "billing_periods",
        "change_orders",
    ):
        yield from _duplicates(
            [(item.key,) for item in getattr(data, collection)], collection, "key", "key", where
        )
    yield from _duplicates(
        [(c.project, c.number) for c in data.commitments],
        "commitments",
        "number",
        "number",
        where,
    )
    for index, commitment in enumerate(data.commitments):
        yield from _check_commitment(index, commitment, where)
    for index, period in enumerate(data.billing_periods):
        loc: Loc = ("billing_periods", index)
        if period.end < period.start:
            yield (*loc, "end"), f"{period.end} is before the start, {period.start}"
        if period.due_date < period.billing_date:
            message = f"{period.due_date} is before the billing date, {period.billing_date}"
            yield (*loc, "due_date"), message
    yield from _duplicates(
        [(i.commitment, i.number) for i in data.invoices],
        "invoices",
        "number",
        "invoice number",
        where,
    )
    yield from _duplicates(
        [(i.commitment, i.period) for i in data.invoices],
        "invoices",
        "period",
        "invoice for this commitment and period (one per period)",
        where,
    )
    for index, invoice in enumerate(data.invoices):
        yield from _duplicates(
            [(line.line,) for line in invoice.lines],
            ("invoices", index, "lines"),
            "line",
            "line",
            where,
        )
        for n, line in enumerate(invoice.lines):
            given = [
                name
                for name in ("new_quantity", "new_value", "total_percent")
                if getattr(line, name) is not None
            ]
            if len(given) > 1:
                message = f"give only one of {', '.join(given)}"
                yield ("invoices", index, "lines", n, given[1]), message
    for index, order in enumerate(data.change_orders):
        yield from _check_change_order(index, order, where)
    yield from _duplicates(
        [(order.commitment, order.number) for order in data.change_orders],
        "change_orders",
        "number",
        "change order number",
        where,
    )
    added = [
        ((order.commitment, line.new.number), (index, n))
        for index, order in enumerate(data.change_orders)
        for n, line in enumerate(order.lines)
        if line.new is not None
    ]
    seen: dict[tuple[str, str], tuple[int, int]] = {}
    for key, (index, n) in added:
        if key in seen:
            twin = where(("change_orders", *seen[key][:1], "lines", seen[key][1]))
            loc = ("change_orders", index, "lines", n, "new", "number")
            yield loc, f"line {show(key[1])} is added by two change orders (also {twin})"
        seen.setdefault(key, (index, n))


def _duplicates(
    keys: list[tuple[Any, ...]],
    collection: str | Loc,
    field: str | None,
    what: str,
    where: Callable[[Loc], str],
) -> Iterator[tuple[Loc, str]]:
    base: Loc = (collection,) if isinstance(collection, str) else collection
    first: dict[tuple[Any, ...], int] = {}
    for index, key in enumerate(keys):
        if key in first:
            twin = where((*base, first[key]))
            loc: Loc = (*base, index) if field is None else (*base, index, field)
            yield loc, f"duplicate {what} {show(key[-1])} (also {twin})"
        else:
            first[key] = index


def _check_commitment(
    index: int, commitment: CommitmentIn, where: Callable[[Loc], str]
) -> Iterator[tuple[Loc, str]]:
    loc: Loc = ("commitments", index)
    yield from _duplicates(
        [(line.number,) for line in commitment.lines],
        (*loc, "lines"),
        "number",
        "line number",
        where,
    )
    yield from _duplicates(
        [(key,) for key in commitment.invoice_contacts],
        (*loc, "invoice_contacts"),
        None,
        "contact",
        where,
    )
    unit = commitment.accounting_method == AccountingMethod.unit
    for n, line in enumerate(commitment.lines):
        for name, message in line_shape(line, unit=unit):
            yield (*loc, "lines", n, name), message


def line_shape(line: SovLineIn, *, unit: bool) -> Iterator[tuple[str, str]]:
    """What is missing or out of place on an SOV line of a unit- or amount-based commitment."""
    if unit:
        for name in ("quantity", "unit_price", "uom"):
            if getattr(line, name) is None:
                yield name, "is required on a unit-based commitment"
        if line.scheduled_value is not None:
            yield "scheduled_value", "is for amount-based lines (this commitment is unit-based)"
    else:
        if line.scheduled_value is None:
            yield "scheduled_value", "is required on an amount-based commitment"
        for name in ("quantity", "unit_price"):
            if getattr(line, name) is not None:
                yield name, "is for unit-based lines (this commitment is amount-based)"


def _check_change_order(
    index: int, order: ChangeOrderIn, where: Callable[[Loc], str]
) -> Iterator[tuple[Loc, str]]:
    loc: Loc = ("change_orders", index)
    if not order.lines:
        yield (*loc, "lines"), "a change order needs at least one line"
    numbers = [(line.new.number if line.new else line.line,) for line in order.lines]
    yield from _duplicates(numbers, (*loc, "lines"), None, "line", where)
    for n, line in enumerate(order.lines):
        here = (*loc, "lines", n)
        if line.new is not None:
            for name in ("line", "quantity_change", "change"):
                if getattr(line, name) is not None:
                    yield (*here, name), "goes with a change to an existing line, not a new one"
        elif line.line is None:
            yield (*here, "line"), "is required (or give a new line)"
        elif line.quantity_change is None and line.change is None:
            message = "is required: quantity_change (unit-based) or change (amount-based)"
            yield (*here, "change"), message
        elif line.quantity_change is not None and line.change is not None:
            yield (*here, "change"), "give quantity_change or change, not both"


def references(data: ImportFile) -> Iterator[tuple[Loc, str, str]]:
    """Every reference in the file: (where, collection referred to, key)."""
    for i, person in enumerate(data.people):
        yield ("people", i, "company"), "companies", person.company
    for i, project in enumerate(data.projects):
        yield ("projects", i, "company"), "companies", project.company
    for i, commitment in enumerate(data.commitments):
        yield ("commitments", i, "project"), "projects", commitment.project
        yield ("commitments", i, "vendor"), "companies", commitment.vendor
        for n, key in enumerate(commitment.invoice_contacts):
            yield ("commitments", i, "invoice_contacts", n), "people", key
        if commitment.administrator is not None:
            yield ("commitments", i, "administrator"), "people", commitment.administrator
    for i, period in enumerate(data.billing_periods):
        yield ("billing_periods", i, "project"), "projects", period.project
    for i, invoice in enumerate(data.invoices):
        yield ("invoices", i, "commitment"), "commitments", invoice.commitment
        yield ("invoices", i, "period"), "billing_periods", invoice.period
    for i, order in enumerate(data.change_orders):
        yield ("change_orders", i, "commitment"), "commitments", order.commitment
