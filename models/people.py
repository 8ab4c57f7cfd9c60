"""Finding a person by what a channel knows of them: an import key, an email address, a Slack
user id. Shared by the channels (email routing, Slack, the console and the CLI)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.tables import Person


def person_by_key(session: Session, key: str) -> Person | None:
    return session.exec(select(Person).where(Person.key == key)).first()


def person_by_email(session: Session, email: str) -> Person | None:
    """The person with this address (case-insensitive), lowest id first."""
    statement = (
        select(Person)
        .where(func.lower(col(Person.email)) == email.strip().lower())
        .order_by(col(Person.id))
    )
    return session.exec(statement).first()


def person_by_slack_id(session: Session, user_id: str) -> Person | None:
    """The person with this Slack user id, lowest id first."""
    statement = select(Person).where(col(Person.slack_user_id) == user_id)
    return session.exec(statement.order_by(col(Person.id))).first()


__all__ = ["person_by_email", "person_by_key", "person_by_slack_id"]
