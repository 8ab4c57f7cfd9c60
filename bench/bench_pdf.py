"""Time `render_invoice_pdf` on a 300-line commitment (issue target: well under a second).

Builds the commitment in a temporary SQLite database, then renders its draft
invoice N times and prints the median and fastest time and the page count.

    .venv/bin/python bench/bench_pdf.py [--lines 300] [--runs 15]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import pypdf

from models.db import make_engine, session_scope, upgrade
from models.importer import import_text
from models.pdf import invoice_document, render_invoice_pdf
from models.report import find_invoice


def commitment_file(lines: int) -> dict[str, Any]:
    """An amount-based commitment with `lines` SOV lines, October approved, November draft."""
    sov = [
        {
            "number": str(n),
            "description": f"Item {n}: furnish and install ductwork, hangers and insulation "
            f"for zone {n % 12 + 1}, including testing and balancing"
            if n % 5 == 0
            else f"Item {n}",
            "cost_code": f"23-{n:04d}",
            "scheduled_value": f"{1500 * n}.{n % 100:02d}",
        }
        for n in range(1, lines + 1)
    ]
    october = [{"line": str(n), "total_percent": "25"} for n in range(1, lines + 1)]
    november = [
        {"line": str(n), "total_percent": "60", "materials_stored": "100.00"}
        for n in range(1, lines + 1, 2)
    ]
    return {
        "companies": [{"key": "gc", "name": "Summit Builders"}, {"key": "nw", "name": "Northwind"}],
        "projects": [{"key": "p", "name": "Harbor Tower", "number": "P-100", "company": "gc"}],
        "commitments": [
            {
                "key": "sc11",
                "project": "p",
                "number": "SC-011",
                "title": "Mechanical",
                "vendor": "nw",
                "accounting_method": "amount",
                "retainage_percent": "10",
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
                "commitment": "sc11",
                "period": "oct",
                "number": "NW-1",
                "status": "approved",
                "lines": october,
            },
            {
                "commitment": "sc11",
                "period": "nov",
                "number": "NW-2",
                "status": "draft",
                "lines": november,
            },
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=300)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade(engine)
        import_text(engine, text=json.dumps(commitment_file(args.lines)))
        with session_scope(engine) as session:
            started = time.perf_counter()
            document = invoice_document(session, find_invoice(session, "SC-011/NW-2"))
            gather = time.perf_counter() - started
        engine.dispose()
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        pdf = render_invoice_pdf(document)
        times.append(time.perf_counter() - started)
    pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    print(
        f"{args.lines} lines, {pages} pages, {len(pdf) / 1024:.0f} KB: "
        f"render median {statistics.median(times) * 1000:.0f} ms, "
        f"min {min(times) * 1000:.0f} ms over {args.runs} runs "
        f"(invoice_document {gather * 1000:.0f} ms)"
    )


if __name__ == "__main__":
    main()
