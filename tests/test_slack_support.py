"""Shared set-up for the Slack channel tests (no tests here): the data, the worker running
in HTTP mode against the emulator, and Slack's side of the conversation."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.settings import Settings, SlackSettings
from bot.slack.invite import queue_slack_invite
from bot.slack.worker import SlackWorker
from models.db import session_scope
from models.importer import import_text
from models.invitation import get_or_create_invitation
from models.outbox import OutboundMessage
from models.tables import BillingPeriod, Commitment, Person
from tests.slack_emulator import (
    AppResponse,
    SlackEmulator,
    apost_to_app,
    block_actions,
    button_action,
    event_callback,
    message_event,
    signed_event,
    signed_interaction,
    view_submission,
)

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
BIG = 120  # lines on SC-009, more than one modal holds


def data() -> dict[str, Any]:
    big_lines = [
        {"number": str(n), "description": f"Item {n}", "scheduled_value": "10000"}
        for n in range(1, BIG + 1)
    ]
    return {
        "companies": [
            {"key": "gc", "name": "Summit Builders"},
            {"key": "acme", "name": "Acme Electric"},
            {"key": "other", "name": "Other Co"},
        ],
        "people": [
            {
                "key": "jane",
                "company": "gc",
                "name": "Jane Doe",
                "email": "jane@summit.test",
                "slack_user_id": "U0JANE",
            },
            {
                "key": "sam",
                "company": "acme",
                "name": "Sam Sparks",
                "email": "sam@acme.test",
                "slack_user_id": "U0SAM",
            },
            {"key": "max", "company": "acme", "name": "Max Volt", "email": "max@acme.test"},
            {
                "key": "olive",
                "company": "other",
                "name": "Olive Stone",
                "email": "olive@other.test",
                "slack_user_id": "U0OLIVE",
            },
        ],
        "projects": [
            {
                "key": "tower",
                "name": "Harbor Tower",
                "number": "P-100",
                "company": "gc",
                "timezone": "America/Chicago",
            },
        ],
        "commitments": [
            {
                "key": "sc7",
                "project": "tower",
                "number": "SC-007",
                "title": "Electrical",
                "kind": "subcontract",
                "vendor": "acme",
                "accounting_method": "unit",
                "retainage_percent": "10",
                "invoice_contacts": ["sam"],
                "administrator": "jane",
                "lines": [
                    {
                        "number": "1",
                        "description": "Conduit",
                        "uom": "LF",
                        "quantity": "1200",
                        "unit_price": "12.50",
                    },
                    {
                        "number": "2",
                        "description": "Panels",
                        "uom": "EA",
                        "quantity": "8",
                        "unit_price": "4200",
                    },
                ],
            },
            {
                "key": "sc9",
                "project": "tower",
                "number": "SC-009",
                "title": "Low voltage",
                "kind": "subcontract",
                "vendor": "acme",
                "accounting_method": "amount",
                "retainage_percent": "10",
                "invoice_contacts": ["max"],
                "administrator": "jane",
                "lines": big_lines,
            },
        ],
        "billing_periods": [
            {
                "key": "oct",
                "project": "tower",
                "start": "2026-10-01",
                "end": "2026-10-31",
                "billing_date": "2026-10-25",
                "due_date": "2026-10-31",
            },
            {
                "key": "nov",
                "project": "tower",
                "start": "2026-11-01",
                "end": "2026-11-30",
                "billing_date": "2026-11-25",
                "due_date": "2026-11-30",
            },
        ],
        "invoices": [
            {
                "commitment": "sc7",
                "period": "oct",
                "number": "INV-0041",
                "status": "approved",
                "lines": [{"line": "1", "new_quantity": "300"}],
            },
            {
                "commitment": "sc9",
                "period": "oct",
                "number": "MV-100",
                "status": "approved",
                "lines": [{"line": str(n), "new_value": "1000"} for n in range(1, 6)],
            },
        ],
    }


def ids(engine: Engine, commitment: str, period: str = "nov") -> tuple[int, int]:
    with Session(engine) as session:
        c = session.exec(select(Commitment).where(Commitment.key == commitment)).one()
        p = session.exec(select(BillingPeriod).where(BillingPeriod.key == period)).one()
        assert c.id is not None and p.id is not None
        return c.id, p.id


def person(engine: Engine, key: str) -> Person:
    with Session(engine) as session:
        return session.exec(select(Person).where(Person.key == key)).one()


async def eventually(probe: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll `probe` until it returns something truthy (or the timeout passes)."""
    deadline = time.monotonic() + timeout
    while not (found := probe()) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    return found


@dataclass
class Harness:
    slack: SlackEmulator
    engine: Engine
    settings: Settings
    worker: SlackWorker
    url: str

    async def settle(self) -> None:
        """Wait for the work done after the acks, then deliver the outbox."""
        await self.worker.channel.idle()
        await self.worker.run_once()

    async def event(self, event: dict[str, Any], **kwargs: Any) -> AppResponse:
        retry = kwargs.pop("retry_num", None)
        request = signed_event(SECRET, event_callback(event, **kwargs), retry_num=retry)
        response = await apost_to_app(self.url, *request)
        await self.settle()
        return response

    async def say(self, user: str, text: str, **kwargs: Any) -> AppResponse:
        dm = self.slack.dm_channel(user)
        return await self.event(message_event(user=user, text=text, channel=dm, **kwargs))

    async def interact(self, payload: dict[str, Any]) -> AppResponse:
        response = await apost_to_app(self.url, *signed_interaction(SECRET, payload))
        await self.settle()
        return response

    async def click(self, user: str, message: dict[str, Any], action: str) -> AppResponse:
        """Press the button of `message` whose engine action (or action_id) is `action`."""
        return await self.interact(click_payload(user, message, action))

    async def click_home(self, user: str, home: dict[str, Any], action: str) -> AppResponse:
        """Press a button of the App Home view `home`."""
        block, element = button(home, action)
        pressed = button_action(element["action_id"], element["value"], block_id=block["block_id"])
        return await self.interact(block_actions(user=user, actions=[pressed], view=home))

    async def submit(self, user: str, view: dict[str, Any], values: dict[str, str]) -> AppResponse:
        filled = {block: {"value": text} for block, text in values.items()}
        return await self.interact(view_submission(user=user, view=view, values=filled))

    def messages(self, user: str) -> list[dict[str, Any]]:
        return self.slack.messages_to(user)

    def pending_or_failed(self) -> list[OutboundMessage]:
        with Session(self.engine) as session:
            statement = select(OutboundMessage).where(col(OutboundMessage.status) != "sent")
            return list(session.exec(statement))


def click_payload(user: str, message: dict[str, Any], action: str) -> dict[str, Any]:
    """The `block_actions` payload of `user` pressing the `action` button of `message`."""
    block, element = button(message, action)
    pressed = button_action(element["action_id"], element["value"], block_id=block["block_id"])
    return block_actions(user=user, actions=[pressed], channel=message["channel"], message=message)


def button(message: dict[str, Any], action: str) -> tuple[dict[str, Any], dict[str, Any]]:
    for block in message.get("blocks", []):
        elements = block.get("elements", []) if block["type"] == "actions" else []
        if block.get("accessory"):
            elements = [block["accessory"]]
        for element in elements:
            if element.get("type") != "button":
                continue
            value = json.loads(element.get("value") or "{}")
            # `send` finds `send:<digest>` too (a Send or Yes carries what it was shown beside)
            verb = str(value.get("a") or "").partition(":")[0] if ":" not in action else None
            if action in (value.get("a"), element["action_id"], verb):
                return block, element
    raise AssertionError(f"no {action!r} button in {message.get('text')!r}")


def has_button(message: dict[str, Any], action: str) -> bool:
    try:
        button(message, action)
    except AssertionError:
        return False
    return True


def settings_for(slack: SlackEmulator, engine: Engine, tmp_path: Path) -> Settings:
    return Settings(
        database_url=str(engine.url),
        attachments_dir=tmp_path / "attachments",
        slack=SlackSettings(
            bot_token=SecretStr(slack.bot_token),
            signing_secret=SecretStr(SECRET),
            api_url=slack.base_url,
            port=0,
        ),
    )


@contextlib.asynccontextmanager
async def running(slack: SlackEmulator, engine: Engine, tmp_path: Path) -> AsyncIterator[Harness]:
    """The demo data imported and a `SlackWorker` serving HTTP on a free port."""
    import_text(engine, text=json.dumps(data()))
    for user, email, name in [
        ("U0JANE", "jane@summit.test", "Jane Doe"),
        ("U0SAM", "sam@acme.test", "Sam Sparks"),
        ("U0MAX", "max@acme.test", "Max Volt"),
        ("U0OLIVE", "olive@other.test", "Olive Stone"),
        ("U0NOBODY", "nobody@elsewhere.test", "No Body"),
    ]:
        slack.add_user(user, email, name)
    settings = settings_for(slack, engine, tmp_path)
    worker = SlackWorker(
        engine, settings, clock=lambda: NOW, poll_seconds=0.2, file_shared_delay=0.05
    )
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(worker.run_forever(stop, ready=ready))
    await asyncio.wait_for(ready.wait(), timeout=10)
    try:
        yield Harness(
            slack, engine, settings, worker, f"http://127.0.0.1:{worker.port}/slack/events"
        )
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)


def invite(h: Harness, person_key: str, commitment: str) -> None:
    """Queue the Slack invite of `person_key` for `commitment` in November."""
    commitment_id, period_id = ids(h.engine, commitment)
    with session_scope(h.engine) as session:
        invitation, _ = get_or_create_invitation(
            session,
            commitment_id=commitment_id,
            period_id=period_id,
            person_id=person(h.engine, person_key).id or 0,
            expires_at=NOW.replace(month=12),
        )
        assert queue_slack_invite(session, invitation=invitation, settings=h.settings)
