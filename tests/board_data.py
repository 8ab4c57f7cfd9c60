"""A billing period with a contact in every state, for the period board's tests (no tests here).

November on Harbor Tower: SC-001 not started (invited by email and Slack, two reminders),
SC-002 a draft, SC-003 under review, SC-004 returned, SC-005 approved, SC-006 approved as
noted, SC-008 without an invoice contact; every invoice bills $1,000 of a $10,000 line at
10% retainage, so each current payment due is $900.00.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import select

from models.db import session_scope
from models.importer import import_text
from models.invitation import get_or_create_invitation
from models.reminders import Reminder
from models.tables import BillingPeriod, Commitment, Invoice, Person
from tests.reminder_data import three_contacts

INVITED = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
STATES = {
    "sc1": None,
    "sc2": "draft",
    "sc3": "under_review",
    "sc4": "revise_and_resubmit",
    "sc5": "approved",
    "sc6": "approved_as_noted",
}
CONTACTS = {"sc1": "ann", "sc2": "bob", "sc3": "cy", "sc4": "dee", "sc5": "eve", "sc6": "fay"}


def board_data() -> dict[str, Any]:
    people = [
        {
            "key": "jane",
            "company": "gc",
            "name": "Jane Doe",
            "email": "jane@summit.test",
            "slack_user_id": "U0JANE",
        }
    ]
    people += [
        {"key": key, "company": "acme", "name": key.title() + " Sub", "email": f"{key}@acme.test"}
        for key in CONTACTS.values()
    ]
    commitments = [
        {
            "key": key,
            "project": "tower",
            "number": f"SC-00{key[-1]}",
            "title": f"Trade {key[-1]}",
            "kind": "subcontract",
            "vendor": "acme",
            "accounting_method": "amount",
            "retainage_percent": "10",
            "invoice_contacts": [CONTACTS[key]] if key in CONTACTS else [],
            "administrator": "jane",
            "lines": [{"number": "1", "description": "Work", "scheduled_value": "10000"}],
        }
        for key in [*CONTACTS, "sc8"]
    ]
    invoices = [
        {
            "commitment": key,
            "period": "nov",
            "number": f"INV-{key}",
            "status": status,
            "lines": [{"line": "1", "new_value": "1000"}],
        }
        for key, status in STATES.items()
        if status
    ]
    data = three_contacts()  # its company, project and period; people and commitments ours
    data["companies"].append({"key": "acme", "name": "Acme"})
    return data | {"people": people, "commitments": commitments, "invoices": invoices}


def seed_board(engine: Engine) -> None:
    """Import the data, invite SC-001's and SC-002's contacts and remind them."""
    import_text(engine, text=json.dumps(board_data()))
    with session_scope(engine) as session:
        period = session.exec(select(BillingPeriod)).one()

        def ids(key: str) -> tuple[int, int]:
            commitment = session.exec(select(Commitment).where(Commitment.key == key)).one()
            person = session.exec(select(Person).where(Person.key == CONTACTS[key])).one()
            assert commitment.id is not None and person.id is not None
            return commitment.id, person.id

        assert period.id is not None
        for key, email, slack in [("sc1", True, True), ("sc2", True, False)]:
            commitment_id, person_id = ids(key)
            invitation, _ = get_or_create_invitation(
                session,
                commitment_id=commitment_id,
                period_id=period.id,
                person_id=person_id,
                expires_at=INVITED.replace(month=12),
            )
            invitation.created_at = INVITED
            invitation.email_message_id = f"<invite-{key}@billbot>" if email else None
            if slack:
                invitation.slack_channel, invitation.slack_ts = "D0ANN", "1.0"
        for key, offsets in [("sc1", [3, 1]), ("sc2", [3])]:
            commitment_id, person_id = ids(key)
            for offset in offsets:
                session.add(
                    Reminder(
                        person_id=person_id,
                        commitment_id=commitment_id,
                        period_id=period.id,
                        offset_days=offset,
                        created_at=datetime(2026, 11, 25 - offset, 15, 0, tzinfo=UTC),
                    )
                )


def invoice_id(engine: Engine, key: str) -> int:
    with session_scope(engine) as session:
        commitment = session.exec(select(Commitment).where(Commitment.key == key)).one()
        invoice = session.exec(select(Invoice).where(Invoice.commitment_id == commitment.id)).one()
        assert invoice.id is not None
        return invoice.id
