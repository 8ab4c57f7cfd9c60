"""Block Kit rendering, the lines modal's pages and initial values, notifications and the
manifest: pure or database-only (no Slack)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.settings import Settings, SlackSettings
from bot.slack.blocks import render_reply
from bot.slack.modal import Meta, load_rows, page_view, paginate, submitted_values
from bot.slack.notify import queue_slack_sent_notification
from bot.slack.text import inbound
from conversations.service import ConversationService, MemoryOutbox
from conversations.store import load_state
from conversations.types import Turn
from models.conversation import Conversation
from models.db import session_scope
from models.importer import import_text
from models.outbox import OutboundMessage
from models.tables import Invoice
from tests.slack_emulator import validate_blocks, validate_view
from tests.test_slack_support import BIG, NOW, data, ids, person

MANIFEST = Path(__file__).parents[1] / "bot" / "slack" / "manifest.yml"


def service(engine: Engine) -> ConversationService:
    return ConversationService(engine, outbox=MemoryOutbox(), clock=lambda: NOW)


def started(engine: Engine) -> tuple[ConversationService, int, tuple[int, int]]:
    import_text(engine, text=json.dumps(data()))
    max_id = person(engine, "max").id
    assert max_id is not None
    key = ids(engine, "sc9")
    engine_service = service(engine)
    engine_service.start(person_id=max_id, commitment_id=key[0], period_id=key[1], channel="slack")
    return engine_service, max_id, key


def test_a_120_line_review_fits_slacks_limits(sqlite_engine: Engine) -> None:
    engine_service, max_id, key = started(sqlite_engine)
    values = {str(n): "+10%" for n in range(1, BIG + 1)}
    result = engine_service.handle(
        person_id=max_id,
        turn=Turn(text="MV-101", line_values=values, channel="slack"),
        commitment_id=key[0],
        period_id=key[1],
    )
    [review] = result.replies
    messages = render_reply(review, key)
    assert sum(len(m.blocks) for m in messages) >= 8  # long text and table split in sections
    for message in messages:
        assert message.text and validate_blocks(message.blocks, surface="message") == []
    shown = "".join(str(b) for m in messages for b in m.blocks)
    assert all(f" Item {n} " in shown for n in (1, 60, BIG))
    last = messages[-1].blocks[-1]
    assert last["type"] == "actions"
    assert [e["text"]["text"] for e in last["elements"]] == [
        "Save as Draft",
        "Send",
        "Fill in all lines",
    ]


def test_modal_pages_hold_every_line_once_within_limits(sqlite_engine: Engine) -> None:
    _, _, key = started(sqlite_engine)
    with Session(sqlite_engine) as session:
        rows = load_rows(session, commitment_id=key[0], period_id=key[1])
    pages = paginate(rows)
    assert [len(page) for page in pages] == [40, 40, 40]
    seen = []
    for page in range(len(pages)):
        view = page_view(rows, Meta(key[0], key[1], page))
        assert validate_view(view) == []
        seen += [b["block_id"] for b in view["blocks"] if b.get("block_id", "").startswith("line:")]
        assert Meta.load(view["private_metadata"]).page == page
    assert seen == [f"line:{n}" for n in range(1, BIG + 1)]
    assert rows[0].retainage_held == "$100.00" and rows[5].retainage_held is None


def test_initial_values_read_back_to_the_same_answers(sqlite_engine: Engine) -> None:
    engine_service, max_id, key = started(sqlite_engine)
    answers = {"1": "50% and retainage $40", "2": "$1,234.56 and stored $500", "3": "skip"}
    engine_service.handle(
        person_id=max_id,
        turn=Turn(line_values=answers, channel="slack"),
        commitment_id=key[0],
        period_id=key[1],
    )
    before = entries(sqlite_engine)
    with Session(sqlite_engine) as session:
        rows = load_rows(session, commitment_id=key[0], period_id=key[1])
    view = page_view(rows, Meta(key[0], key[1], 0))
    state = {
        b["block_id"]: {"value": {"value": b["element"].get("initial_value")}}
        for b in view["blocks"]
        if b["type"] == "input"
    }
    values = submitted_values({"state": {"values": state}})
    assert values["2"] == "$1,234.56 and stored $500.00"
    engine_service.handle(
        person_id=max_id,
        turn=Turn(line_values=values, channel="slack"),
        commitment_id=key[0],
        period_id=key[1],
    )
    assert entries(sqlite_engine) == before


def entries(engine: Engine) -> dict[str, object]:
    with Session(engine) as session:
        conversation = session.exec(select(Conversation)).one()
        return dict(load_state(session, conversation, None).entries)


def test_the_administrator_is_notified_once_per_send(sqlite_engine: Engine, tmp_path: Path) -> None:
    engine_service, _, _ = started(sqlite_engine)
    sam = person(sqlite_engine, "sam")
    assert sam.id is not None
    engine_service.handle(
        person_id=sam.id, turn=Turn(text="INV-0042\n1: 50%\n2: 3 units\nsend", channel="email")
    )
    settings = Settings(slack=SlackSettings(bot_token="xoxb-1"), attachments_dir=tmp_path)
    with session_scope(sqlite_engine) as session:
        invoice = session.exec(select(Invoice).where(Invoice.status == "under_review")).one()
        row_id = queue_slack_sent_notification(session, invoice=invoice, settings=settings)
        again = queue_slack_sent_notification(session, invoice=invoice, settings=settings)
        row = session.get(OutboundMessage, row_id)
    assert row is not None and again is None
    assert row.recipient == "U0JANE" and row.kind == "notification"
    assert "Sam Sparks sent invoice INV-0042 for SC-007" in row.body_text


def test_slack_markup_is_read_as_typed() -> None:
    assert inbound("INV-0042 &amp; <mailto:a@b.test|a@b.test> <https://x.test|site>") == (
        "INV-0042 & a@b.test site"
    )


def test_the_manifest_asks_for_what_the_app_uses() -> None:
    text = MANIFEST.read_text()
    for needed in (
        "chat:write",
        "im:write",
        "im:history",
        "im:read",
        "users:read",
        "users:read.email",
        "files:read",
        "message.im",
        "file_shared",
        "app_home_opened",
        "home_tab_enabled: true",
        "messages_tab_enabled: true",
        "socket_mode_enabled: true",
    ):
        assert needed in text
