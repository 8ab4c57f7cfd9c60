"""The transactional outbox on SQLite and PostgreSQL: claims, back-off, delivery, no loss."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.settings import Settings
from mail.config import MailSettings
from mail.sender import deliver_due
from models.db import make_engine, session_scope
from models.outbox import (
    MAX_ATTEMPTS,
    OutboundMessage,
    OutboxStatus,
    backoff,
    claim_due,
    mark_failed,
    mark_sent,
)
from tests.database import truncate_all
from tests.servers.mailserver import MailServer, free_port

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def add(engine: Engine, n: int, *, recipient: str = "sam@acme.test", at: datetime = NOW) -> None:
    with session_scope(engine) as session:
        for i in range(n):
            session.add(
                OutboundMessage(
                    channel="email",
                    recipient=recipient,
                    subject=f"s{i}",
                    body_text="hello",
                    payload=json.dumps({"auto_submitted": "auto-replied"}),
                    message_id=f"<m{i}-{recipient.replace('@', '.')}@summit.test>",
                    next_attempt_at=at,
                )
            )


def statuses(engine: Engine) -> list[tuple[str, str, int]]:
    with Session(engine) as session:
        rows = session.exec(select(OutboundMessage).order_by(OutboundMessage.id)).all()  # type: ignore[arg-type]
        return [(r.recipient, str(r.status), r.attempts) for r in rows]


def test_claimed_rows_are_skipped_until_the_claim_expires(engine: Engine) -> None:
    add(engine, 3)
    with session_scope(engine) as session:
        assert len(claim_due(session, channel="email", now=NOW)) == 3
    with session_scope(engine) as session:
        assert claim_due(session, channel="email", now=NOW) == []
        assert claim_due(session, channel="slack", now=NOW + timedelta(hours=1)) == []
    with session_scope(engine) as session:
        assert len(claim_due(session, channel="email", now=NOW + timedelta(minutes=5))) == 3


def test_rows_not_yet_due_are_not_claimed(engine: Engine) -> None:
    add(engine, 1, at=NOW + timedelta(seconds=30))
    with session_scope(engine) as session:
        assert claim_due(session, channel="email", now=NOW) == []


@pytest.mark.servers
def test_concurrent_claims_share_the_rows_on_postgresql(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    truncate_all(engine)
    add(engine, 4)
    with Session(engine) as first, Session(engine) as second:
        mine = claim_due(first, channel="email", now=NOW, limit=2)  # locked, not committed
        theirs = claim_due(second, channel="email", now=NOW, limit=10)
        assert {r.id for r in mine}.isdisjoint({r.id for r in theirs})
        assert len(mine) + len(theirs) == 4
        first.commit()
        second.commit()
    engine.dispose()


def test_failure_backs_off_exponentially_then_gives_up(engine: Engine) -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [5, 10, 20]
    assert backoff(30) == timedelta(hours=1)
    add(engine, 1)
    with session_scope(engine) as session:
        [row] = claim_due(session, channel="email", now=NOW)
        mark_failed(session, row, now=NOW, error="451 try later")
        assert row.status == OutboxStatus.pending
        assert row.next_attempt_at == NOW + timedelta(seconds=5)
        row.attempts = MAX_ATTEMPTS - 1
        mark_failed(session, row, now=NOW, error="451 try later")
        assert row.status == OutboxStatus.failed


def test_permanent_failure_gives_up_at_once_and_sent_is_final(engine: Engine) -> None:
    add(engine, 2)
    with session_scope(engine) as session:
        first, second = claim_due(session, channel="email", now=NOW)
        mark_failed(session, first, now=NOW, error="550 no such user", permanent=True)
        mark_sent(session, second, now=NOW)
    later = NOW + timedelta(days=1)
    with session_scope(engine) as session:
        assert claim_due(session, channel="email", now=later) == []
    assert [s for _, s, _ in statuses(engine)] == ["failed", "sent"]


def settings(tmp_path: Path, *, smtp_port: int, address: str = "billing@summit.test") -> Settings:
    mail = MailSettings(
        address=address,
        imap_host="127.0.0.1",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_security="none",
        secret="s",
    )
    return Settings(database_url="sqlite://", attachments_dir=tmp_path / "files", mail=mail)


def test_smtp_unreachable_keeps_every_row_for_a_retry(engine: Engine, tmp_path: Path) -> None:
    add(engine, 3)
    report = asyncio.run(deliver_due(engine, settings(tmp_path, smtp_port=free_port()), now=NOW))
    assert (report.sent, report.retried) == (0, 3)
    assert statuses(engine) == [("sam@acme.test", "pending", 1)] * 3


@pytest.mark.servers
def test_a_refused_recipient_fails_alone_and_the_others_are_delivered(
    sqlite_engine: Engine, mail_servers: MailServer, tmp_path: Path
) -> None:
    sam = mail_servers.new_user("sam", "acme.test", "pw")
    add(sqlite_engine, 1, recipient=sam)
    add(sqlite_engine, 1, recipient="nobody@acme.test")
    add(sqlite_engine, 1, recipient=mail_servers.new_user("maria", "acme.test", "pw"))
    config = settings(tmp_path, smtp_port=mail_servers.smtp_port)

    report = asyncio.run(deliver_due(sqlite_engine, config, now=NOW))

    assert (report.sent, report.failed, report.retried) == (2, 1, 0)
    assert [s for _, s, _ in statuses(sqlite_engine)] == ["sent", "failed", "sent"]
    [received] = mail_servers.wait_for_messages(sam, "pw")
    assert received.obj["Message-ID"] == f"<m0-{sam.replace('@', '.')}@summit.test>"
    assert received.obj["Auto-Submitted"] == "auto-replied"
