"""Shared test data for the importer, report and CLI tests: the DESIGN §4 example and a DB dump."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel
from sqlmodel import select as select_rows

import models.tables  # noqa: F401  (registers the tables)
from models.db import session_scope
from models.invoice_lookup import find_invoice
from models.review import Decision, review_invoice
from models.tables import Person

# The import file of DESIGN §4, verbatim.
DESIGN_EXAMPLE_TEXT = """\
{"companies": [{"key": "gc", "name": "Summit Builders"}, {"key": "acme", "name": "Acme Electric"}],
 "people": [{"key": "jane", "company": "gc", "name": "Jane Doe", "email": "jane@summit.test"},
            {"key": "sam", "company": "acme", "name": "Sam Sparks", "email": "sam@acme.test", "slack_user_id": "U0SAM"}],
 "projects": [{"key": "tower", "name": "Harbor Tower", "number": "P-100", "company": "gc", "timezone": "America/Chicago"}],
 "commitments": [{"key": "sc7", "project": "tower", "number": "SC-007", "title": "Electrical", "kind": "subcontract",
                  "vendor": "acme", "accounting_method": "unit", "retainage_percent": "10",
                  "invoice_contacts": ["sam"], "administrator": "jane",
                  "lines": [{"number": "1", "description": "Conduit", "uom": "LF", "quantity": "1200", "unit_price": "12.50"},
                            {"number": "2", "description": "Panels", "uom": "EA", "quantity": "8", "unit_price": "4200"}]}],
 "billing_periods": [{"key": "oct", "project": "tower", "start": "2026-10-01", "end": "2026-10-31",
                      "billing_date": "2026-10-25", "due_date": "2026-10-31"},
                     {"key": "nov", "project": "tower", "start": "2026-11-01", "end": "2026-11-30",
                      "billing_date": "2026-11-25", "due_date": "2026-11-30"}],
 "invoices": [{"commitment": "sc7", "period": "oct", "number": "INV-0041", "status": "approved",
               "lines": [{"line": "1", "new_quantity": "300"}]}]}
"""  # noqa: E501


def design_example() -> dict[str, Any]:
    """A fresh, mutable copy of the DESIGN example."""
    return copy.deepcopy(json.loads(DESIGN_EXAMPLE_TEXT))


def write_json(path: Path, data: dict[str, Any] | str) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=1))
    return path


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order (to compare database states)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            statement = select(table).order_by(*table.primary_key.columns)
            out[table.name] = [tuple(row) for row in connection.execute(statement)]
    return out


# November's invoice of the DESIGN example, sent for review (by the file).
NOVEMBER = {
    "commitment": "sc7",
    "period": "nov",
    "number": "INV-0042",
    "status": "under_review",
    "lines": [{"line": "1", "new_quantity": "100"}, {"line": "2", "new_quantity": "2"}],
}


def with_november(**changes: Any) -> dict[str, Any]:
    """The DESIGN example with November's invoice (`changes` to it) after October's."""
    data = design_example()
    data["invoices"].append({**copy.deepcopy(NOVEMBER), **changes})
    return data


def review(engine: Engine, ref: str, decision: Decision, *, by: str = "jane") -> None:
    """The administrator `by` reviews invoice `ref`, as `billbot review` does."""
    with session_scope(engine) as session:
        reviewer = session.exec(select_rows(Person).where(Person.key == by)).one()
        review_invoice(
            session,
            invoice=find_invoice(session, ref),
            reviewer=reviewer,
            decision=decision,
            channel="cli",
            now=datetime.now(UTC),
        )
