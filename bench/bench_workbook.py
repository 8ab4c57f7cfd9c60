"""Time `billbot import` of a 5,000-line SOV from a workbook, beside the same data as JSON.

Builds the data (one unit-based commitment with N SOV lines, unit prices with four
decimals, an approved October invoice on every tenth line, a change order), writes it
as JSON and as `billbot template`'s workbook filled in (numbers as number cells, dates
as date cells), then for each: reading alone (workbook -> the import data, checked, vs
JSON text -> the same) and the whole import into a fresh SQLite database, then the
re-import that changes nothing; and the period workbook export of that commitment.
Medians over the runs; prints the workbook/JSON ratio.

    .venv/bin/python bench/bench_workbook.py [--lines 5000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from machine import banner, verdict
from openpyxl import load_workbook

from models.db import make_engine, session_scope, upgrade
from models.import_check import parse_import, validate_import
from models.importer import import_file
from models.workbook_export import write_period_workbook
from models.workbook_layout import SHEETS, sheet_rows
from models.workbook_reader import read_workbook
from models.workbook_template import write_template

TARGET_RATIO = 2.0  # a workbook import may take at most twice the JSON import


def import_data(lines: int) -> dict[str, Any]:
    sov = [
        {
            "number": str(n),
            "description": f"Item {n}: conduit, wire and devices for zone {n % 40 + 1}",
            "cost_code": f"26-{n:04d}",
            "quantity": str(100 + n % 900),
            "uom": ("LF", "EA", "CY")[n % 3],
            "unit_price": f"{10 + n % 200}.{n % 10_000:04d}",
        }
        for n in range(1, lines + 1)
    ]
    return {
        "companies": [{"key": "gc", "name": "Summit Builders"}, {"key": "acme", "name": "Acme"}],
        "people": [
            {"key": "jane", "company": "gc", "name": "Jane Doe", "email": "jane@summit.test"},
            {"key": "sam", "company": "acme", "name": "Sam Sparks", "email": "sam@acme.test"},
        ],
        "projects": [{"key": "p", "name": "Harbor Tower", "number": "P-100", "company": "gc"}],
        "commitments": [
            {
                "key": "sc7",
                "project": "p",
                "number": "SC-007",
                "title": "Electrical",
                "vendor": "acme",
                "accounting_method": "unit",
                "retainage_percent": "10",
                "invoice_contacts": ["sam"],
                "administrator": "jane",
                "lines": sov,
            }
        ],
        "billing_periods": [
            {
                "key": key,
                "project": "p",
                "start": f"2026-{m}-01",
                "end": f"2026-{m}-{end}",
                "billing_date": f"2026-{m}-25",
                "due_date": f"2026-{m}-{end}",
            }
            for key, m, end in (("oct", 10, 31), ("nov", 11, 30))
        ],
        "invoices": [
            {
                "commitment": "sc7",
                "period": "oct",
                "number": "INV-0041",
                "status": "approved",
                "lines": [{"line": str(n), "new_quantity": "25"} for n in range(1, lines + 1, 10)],
            }
        ],
        "change_orders": [
            {
                "key": "co1",
                "commitment": "sc7",
                "number": "CO-001",
                "title": "More conduit",
                "approved_on": "2026-10-15",
                "lines": [{"line": "1", "quantity_change": "50"}],
            }
        ],
    }


def fill(path: Path, data: dict[str, Any]) -> Path:
    """The template with `data` typed in: number cells (floats, as a spreadsheet keeps them)
    and date cells."""
    write_template(path)
    book = load_workbook(path)
    for sheet in SHEETS:
        worksheet = book[sheet.name]
        for row in sheet_rows(data, sheet):
            cells = []
            for column in sheet.columns:
                value = row.get(column.name)
                if value is not None and column.kind == "number":
                    value = float(Decimal(value))
                elif value is not None and column.kind == "date":
                    value = date.fromisoformat(value)
                cells.append(value)
            worksheet.append(cells)
    book.save(path)
    return path


def median_seconds(runs: int, work: Callable[[int], object]) -> float:
    times = []
    for run in range(runs):
        started = time.perf_counter()
        work(run)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    banner(f"billbot import: a {args.lines:,}-line SOV from a workbook and from JSON")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        data = import_data(args.lines)
        as_json = folder / "project.json"
        as_json.write_text(json.dumps(data, indent=1))
        started = time.perf_counter()
        workbook = fill(folder / "project.xlsx", data)
        written = time.perf_counter() - started
        print(
            f"files: JSON {as_json.stat().st_size / 1024:,.0f} KB, workbook "
            f"{workbook.stat().st_size / 1024:,.0f} KB (template filled in {written:.2f} s)"
        )

        def read_json(_: int) -> None:
            parse_import(as_json.read_text())

        def read_book(_: int) -> None:
            found = read_workbook(workbook)
            validate_import(found.raw, found.locator, found.problems)

        reading = (median_seconds(args.runs, read_json), median_seconds(args.runs, read_book))
        engines = []

        def importer(path: Path, tag: str) -> Callable[[int], None]:
            def work(run: int) -> None:
                engine = make_engine(f"sqlite:///{folder / f'{tag}-{run}.db'}")
                upgrade(engine)  # (a fresh schema: not part of what is timed below)
                engines.append(engine)

            def timed(run: int) -> None:
                import_file(engines[run], path=path)

            for run in range(args.runs):
                work(run)
            return timed

        first = []
        again = []
        for path, tag in ((as_json, "json"), (workbook, "xlsx")):
            engines.clear()
            timed = importer(path, tag)
            first.append(median_seconds(args.runs, timed))
            again.append(median_seconds(args.runs, timed))  # the same file: nothing changes
            if tag == "xlsx":
                started = time.perf_counter()
                with session_scope(engines[0]) as session:
                    write_period_workbook(session, period_key="oct", path=folder / "oct.xlsx")
                exported = time.perf_counter() - started
            for engine in engines:
                engine.dispose()

    for label, (json_s, book_s) in (
        ("read and check", reading),
        ("import, fresh database", (first[0], first[1])),
        ("import again, unchanged", (again[0], again[1])),
    ):
        print(
            f"{label:<24} JSON {json_s:6.2f} s   workbook {book_s:6.2f} s   "
            f"workbook/JSON {book_s / json_s:4.2f}x   ({args.lines / book_s:,.0f} lines/s)"
        )
    print(f"period workbook export (its {args.lines:,}-line invoice): {exported:.2f} s")
    print(verdict(first[1] / first[0], TARGET_RATIO, higher_is_better=False, unit="x JSON"))


if __name__ == "__main__":
    main()
