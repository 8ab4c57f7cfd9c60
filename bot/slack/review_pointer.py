"""A review decision typed at the top of an administrator's DM (`approve`, `reject 2: …`).

A decision is read only in the thread of the review DM it is about (which sending of which
invoice is its parent message), so one typed at the top level decides nothing. Its sender is
told which invoices are waiting for their review and where to decide, rather than being
answered as a contact with no open billing period.
"""

from __future__ import annotations

import re

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from conversations.review_answers import read_review
from models.i18n import words
from models.tables import Commitment, Invoice, InvoiceStatus, Person

# The first word of a decision, in the forms `read_review` knows (`approved`, `rechazar`).
_DECISION = re.compile(
    r"\W*(?:i\s+)?(?:approv(?:e[ds]?|al)|aprob\w*|apruebo|reject(?:ed)?|return(?:ed)?|"
    r"rechaz\w*|devolver|devuelvo)\b",
    re.I,
)
MAX_NAMED = 5


def looks_like_decision(text: str) -> bool:
    return bool(_DECISION.match(text)) or read_review(text) is not None


def waiting_reviews_text(engine: Engine, person: Person, text: str) -> str | None:
    """What to tell `person` about the decision `text` typed outside a review DM's thread;
    None when it is no decision or nothing waits for their review (a conversation turn)."""
    if person.id is None or not looks_like_decision(text):
        return None
    with Session(engine) as session:
        statement = (
            select(Invoice.number, Commitment.number, Commitment.title)
            .join(Commitment, col(Commitment.id) == Invoice.commitment_id)
            .where(
                col(Commitment.administrator_id) == person.id,
                col(Invoice.status) == InvoiceStatus.under_review.value,
            )
            .order_by(col(Invoice.sent_at), col(Invoice.id))
        )
        waiting = [f"{n} ({c} {title})" for n, c, title in session.exec(statement)]
    if not waiting:
        return None
    _ = words(person.language)
    named = ", ".join(waiting[:MAX_NAMED]) + (", …" if len(waiting) > MAX_NAMED else "")
    return _.plural(
        "{invoices} is waiting for your review. Nothing was changed: to decide, use the "
        "buttons of its review message, or write your decision (e.g. `approve`) in that "
        "message's thread.",
        "{invoices} are waiting for your review. Nothing was changed: to decide, use the "
        "buttons of each one's review message, or write your decision (e.g. `approve`) in "
        "that message's thread.",
        len(waiting),
        invoices=named,
    )
