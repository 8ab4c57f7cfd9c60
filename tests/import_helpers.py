"""Shared test data for the importer, report and CLI tests: the DESIGN §4 example and a DB dump."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import models.tables  # noqa: F401  (registers the tables)

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
