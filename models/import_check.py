"""Reading and checking an import file before anything is written.

Every problem names where it is, e.g.
`commitments[0] (key "sc7").lines[1].unit_price: "12,5x" is not an amount (...)`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from models.import_schema import CommitmentIn, ImportFile
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
    try:
        data = ImportFile.model_validate(raw)
    except ValidationError as exc:
        problems = [
            Problem(location(raw, tuple(error["loc"])), _pydantic_message(error))
            for error in exc.errors()
        ]
        raise ImportFileError(problems) from None
    problems = [Problem(location(data, loc), message) for loc, message in check_file(data)]
    if problems:
        raise ImportFileError(problems)
    return data


def check_file(data: ImportFile) -> Iterator[tuple[Loc, str]]:
    """Checks that need the whole file but not the database."""
    for collection in ("companies", "people", "projects", "commitments", "billing_periods"):
        yield from _duplicates(
            [(item.key,) for item in getattr(data, collection)], collection, "key", "key"
        )
    yield from _duplicates(
        [(c.project, c.number) for c in data.commitments], "commitments", "number", "number"
    )
    for index, commitment in enumerate(data.commitments):
        yield from _check_commitment(index, commitment)
    for index, period in enumerate(data.billing_periods):
        loc: Loc = ("billing_periods", index)
        if period.end < period.start:
            yield (*loc, "end"), f"{period.end} is before the start, {period.start}"
        if period.due_date < period.billing_date:
            message = f"{period.due_date} is before the billing date, {period.billing_date}"
            yield (*loc, "due_date"), message
    yield from _duplicates(
        [(i.commitment, i.number) for i in data.invoices], "invoices", "number", "invoice number"
    )
    yield from _duplicates(
        [(i.commitment, i.period) for i in data.invoices],
        "invoices",
        "period",
        "invoice for this commitment and period (one per period)",
    )
    for index, invoice in enumerate(data.invoices):
        yield from _duplicates(
            [(line.line,) for line in invoice.lines],
            ("invoices", index, "lines"),
            "line",
            "line",
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


def _duplicates(
    keys: list[tuple[Any, ...]], collection: str | Loc, field: str | None, what: str
) -> Iterator[tuple[Loc, str]]:
    base: Loc = (collection,) if isinstance(collection, str) else collection
    first: dict[tuple[Any, ...], int] = {}
    for index, key in enumerate(keys):
        if key in first:
            where = location(None, (*base, first[key]))
            loc: Loc = (*base, index) if field is None else (*base, index, field)
            yield loc, f"duplicate {what} {show(key[-1])} (also {where})"
        else:
            first[key] = index


def _check_commitment(index: int, commitment: CommitmentIn) -> Iterator[tuple[Loc, str]]:
    loc: Loc = ("commitments", index)
    yield from _duplicates(
        [(line.number,) for line in commitment.lines], (*loc, "lines"), "number", "line number"
    )
    yield from _duplicates(
        [(key,) for key in commitment.invoice_contacts], (*loc, "invoice_contacts"), None, "contact"
    )
    unit = commitment.accounting_method == AccountingMethod.unit
    for n, line in enumerate(commitment.lines):
        where = (*loc, "lines", n)
        if unit:
            for name in ("quantity", "unit_price", "uom"):
                if getattr(line, name) is None:
                    yield (*where, name), "is required on a unit-based commitment"
            if line.scheduled_value is not None:
                message = "is for amount-based lines (this commitment is unit-based)"
                yield (*where, "scheduled_value"), message
        else:
            if line.scheduled_value is None:
                yield (*where, "scheduled_value"), "is required on an amount-based commitment"
            for name in ("quantity", "unit_price"):
                if getattr(line, name) is not None:
                    message = "is for unit-based lines (this commitment is amount-based)"
                    yield (*where, name), message


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
