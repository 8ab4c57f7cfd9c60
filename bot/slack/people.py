"""Who is writing: a Slack user id to a billbot `Person` (by stored id, else by email)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from models import people
from models.db import session_scope
from models.outbox import RefusalNotice
from models.people import person_by_email
from models.tables import Person

from .blocks import SlackMessage, section
from .errors import SlackCallError, slack_call
from .outbox import CHANNEL, queue_message

UNKNOWN_TEXT = (
    "Sorry, I don't know you yet: your Slack account is not one of the invoice contacts "
    "I bill for. If you should be billing here, ask the general contractor's invoice "
    "administrator to add you (with this Slack account's email address). Nothing was changed."
)


def person_by_slack_id(engine: Engine, user_id: str) -> Person | None:
    with Session(engine) as session:
        return people.person_by_slack_id(session, user_id)


async def resolve_person(engine: Engine, client: AsyncWebClient, user_id: str) -> Person | None:
    """The person behind a Slack user: by stored id, else by their Slack email (then the id
    is stored). None when Slack does not know the user or no person has that email."""
    person = await asyncio.to_thread(person_by_slack_id, engine, user_id)
    if person is not None:
        return person
    try:
        with slack_call("users.info"):
            info = await client.users_info(user=user_id)
    except SlackCallError:
        return None
    user = info.get("user") or {}
    email = (user.get("profile") or {}).get("email")
    if not email or user.get("is_bot") or user.get("deleted"):
        return None
    return await asyncio.to_thread(_link_by_email, engine, email, user_id)


def _link_by_email(engine: Engine, email: str, user_id: str) -> Person | None:
    with session_scope(engine) as session:
        person = person_by_email(session, email)
        if person is None:
            return None
        if person.slack_user_id and person.slack_user_id != user_id:
            return None  # that person is someone else on Slack
        person.slack_user_id = user_id
        session.add(person)
        session.flush()
        session.refresh(person)
        return person


def queue_unknown_refusal(
    engine: Engine, *, user_id: str, channel: str | None, thread_ts: str | None, now: datetime
) -> bool:
    """Tell an unknown Slack user once a day that billbot does not know them; True if queued."""
    stranger = Person(id=None, key="", company_id=0, name="", email="", slack_user_id=user_id)
    try:
        with session_scope(engine) as session:
            session.add(RefusalNotice(channel=CHANNEL, address=user_id, day=now.date().isoformat()))
            session.flush()
            queue_message(
                session,
                person=stranger,
                message=SlackMessage(UNKNOWN_TEXT, [section(UNKNOWN_TEXT)]),
                kind="refusal",
                channel=channel,
                thread_ts=thread_ts,
            )
    except IntegrityError:
        return False
    return True
