"""A period with three commitments and three contacts: one sent, one draft, one not started."""

from __future__ import annotations

import json
from typing import Any


def three_contacts(
    *, billing_date: str = "2026-11-25", due_date: str = "2026-11-30", emails: tuple[str, ...] = ()
) -> dict[str, Any]:
    addresses = list(emails) or ["ann@one.test", "bob@two.test", "cat@three.test"]
    people = [{"key": "jane", "company": "gc", "name": "Jane Doe", "email": "jane@summit.test"}]
    companies = [{"key": "gc", "name": "Summit Builders"}]
    commitments = []
    for index, (key, name) in enumerate(
        [("ann", "Ann Sent"), ("bob", "Bob Draft"), ("cat", "Cat Nothing")]
    ):
        companies.append({"key": f"v{index}", "name": f"Vendor {index}"})
        people.append({"key": key, "company": f"v{index}", "name": name, "email": addresses[index]})
        commitments.append(
            {
                "key": f"c{index}",
                "project": "tower",
                "number": f"SC-00{index}",
                "title": f"Trade {index}",
                "kind": "subcontract",
                "vendor": f"v{index}",
                "accounting_method": "amount",
                "retainage_percent": "10",
                "invoice_contacts": [key],
                "administrator": "jane",
                "lines": [{"number": "1", "description": "Work", "scheduled_value": "10000.00"}],
            }
        )
    return {
        "companies": companies,
        "people": people,
        "projects": [
            {
                "key": "tower",
                "name": "Harbor Tower",
                "number": "P-100",
                "company": "gc",
                "timezone": "America/Chicago",
            }
        ],
        "commitments": commitments,
        "billing_periods": [
            {
                "key": "nov",
                "project": "tower",
                "start": "2026-11-01",
                "end": "2026-11-30",
                "billing_date": billing_date,
                "due_date": due_date,
            }
        ],
        "invoices": [
            {
                "commitment": "c0",
                "period": "nov",
                "number": "A-1",
                "status": "under_review",
                "lines": [{"line": "1", "new_value": "1000.00"}],
            },
            {
                "commitment": "c1",
                "period": "nov",
                "number": "B-1",
                "status": "draft",
                "lines": [{"line": "1", "new_value": "2500.00"}],
            },
        ],
    }


def three_contacts_text(**kwargs: Any) -> str:
    return json.dumps(three_contacts(**kwargs))
