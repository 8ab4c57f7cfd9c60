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
from mail import sender as mail_sender
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
    mark_sent_by_id,
    retry_row,
    troubled_rows,
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
        assert mark_sent_by_id(session, row_id=second.id or 0, now=NOW)
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


@pytest.mark.servers
def test_a_row_that_raises_is_retried_then_given_up_and_never_blocks_the_rows_behind(
    sqlite_engine: Engine,
    mail_servers: MailServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sam = mail_servers.new_user("sam", "acme.test", "pw")
    add(sqlite_engine, 3, recipient=sam)
    real_build = mail_sender.build_message

    def build(row: OutboundMessage, *args: object) -> object:
        if row.subject == "s0":  # a bug that only this row meets
            raise RuntimeError("boom on s0")
        return real_build(row, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(mail_sender, "build_message", build)
    config = settings(tmp_path, smtp_port=mail_servers.smtp_port)

    report = asyncio.run(deliver_due(sqlite_engine, config, now=NOW))

    assert (report.sent, report.retried, report.failed) == (2, 1, 0)
    assert statuses(sqlite_engine) == [(sam, "pending", 1), (sam, "sent", 1), (sam, "sent", 1)]
    assert len(mail_servers.wait_for_messages(sam, "pw", 2)) == 2
    moment = NOW
    for _ in range(MAX_ATTEMPTS - 1):  # each retry once its back-off has passed
        moment += backoff(MAX_ATTEMPTS) + timedelta(minutes=1)
        asyncio.run(deliver_due(sqlite_engine, config, now=moment))
    with Session(sqlite_engine) as session:
        row = session.exec(select(OutboundMessage).where(OutboundMessage.subject == "s0")).one()
    assert (row.status, row.attempts) == (OutboxStatus.failed, MAX_ATTEMPTS)
    assert row.last_error == "RuntimeError: boom on s0"
    later = asyncio.run(deliver_due(sqlite_engine, config, now=moment + timedelta(days=1)))
    assert (later.sent, later.retried, later.failed) == (0, 0, 0)  # given up: never again


def test_troubled_rows_lists_failing_waiting_and_failed_rows(engine: Engine) -> None:
    add(engine, 4)
    with session_scope(engine) as session:
        first, second, third, _fourth = claim_due(session, channel="email", now=NOW)
        mark_failed(session, first, now=NOW, error="451 try later")
        mark_failed(session, second, now=NOW, error="550 no such user", permanent=True)
        assert mark_sent_by_id(session, row_id=third.id or 0, now=NOW)
    with session_scope(engine) as session:
        soon = troubled_rows(session, now=NOW + timedelta(minutes=1))
        assert [row.last_error for row in soon] == ["451 try later", "550 no such user"]
        late = troubled_rows(session, now=NOW + timedelta(hours=1))  # the 4th waits unsent
        assert [row.subject for row in late] == ["s0", "s1", "s3"]
        failed = troubled_rows(session, now=NOW + timedelta(hours=1), failed_only=True)
        assert [row.subject for row in failed] == ["s1"]
        assert retry_row(session, row_id=third.id or 0, now=NOW) is None  # sent is final
        again = retry_row(session, row_id=second.id or 0, now=NOW)
        assert again is not None and (again.status, again.attempts) == ("pending", 0)
