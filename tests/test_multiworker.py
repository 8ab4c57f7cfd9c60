"""Several workers on one database: one fetches the mailbox, none sends a row twice,
a conversation takes one turn at a time, a reminder is queued once, a reply is read once.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.settings import Settings
from mail.config import MailSettings
from mail.intake import Intake
from mail.lock import mailbox_lock
from mail.sender import _finish, deliver_due
from mail.worker import MailWorker
from models.conversation import Conversation
from models.db import make_engine, session_scope
from models.importer import import_text
from models.locks import AdvisoryLock, NoLock, mailbox_key
from models.outbox import InboundMessage, OutboundMessage, OutboxStatus, claim_due, renew_claim
from models.reminders import Reminder
from tests.crash_support import ROOT, CrashSite, Feeder, make_crash_site
from tests.database import truncate_all
from tests.reminder_data import three_contacts_text
from tests.servers.mailserver import MailServer, free_port
from tests.test_outbox import NOW, add, settings

WAIT = 20.0


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    truncate_all(engine)
    yield engine
    engine.dispose()


def eventually(check: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def together(count: int, action: Callable[[int], Any]) -> list[Any]:
    """Run `action(i)` in `count` threads released at the same moment; their results."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait(timeout=WAIT)
        try:
            results[i] = action(i)
        except BaseException as exc:  # checked by the caller
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results


def site_settings(site: CrashSite) -> Settings:
    env = {k.removeprefix("BILLBOT_MAIL__").lower(): v for k, v in site.env.items()}
    mail = MailSettings.model_validate({k: v for k, v in env.items() if "billbot" not in k})
    return Settings(
        database_url=site.env["BILLBOT_DATABASE_URL"],
        attachments_dir=Path(site.env["BILLBOT_ATTACHMENTS_DIR"]),
        mail=mail,
    )


# -- the mailbox lock ------------------------------------------------------------------------


def test_the_mailbox_key_names_one_mailbox_whatever_the_case() -> None:
    key = mailbox_key("IMAP.Example.test", "Billing@Summit.test", "inbox")
    assert key == mailbox_key("imap.example.test", "billing@summit.test", "INBOX")
    assert -(2**63) <= key < 2**63
    assert key != mailbox_key("imap.example.test", "billing@summit.test", "Archive")
    assert key != mailbox_key("imap.example.test", "other@summit.test", "INBOX")


def test_sqlite_needs_no_mailbox_lock(sqlite_engine: Engine) -> None:
    assert isinstance(mailbox_lock(sqlite_engine, MailSettings()), NoLock)


HOLDER = """
import sys, time
from models.db import make_engine
from models.locks import AdvisoryLock
lock = AdvisoryLock(make_engine(sys.argv[1]), int(sys.argv[2]))
assert lock.acquire()
print("held", flush=True)
time.sleep(120)
"""


@pytest.mark.servers
def test_one_worker_holds_the_mailbox_and_a_standby_takes_over_when_it_is_killed(
    pg_engine: Engine, postgres_url: str
) -> None:
    key = mailbox_key("imap.test", "billing@summit.test", "INBOX")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, postgres_url, str(key)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    standby, third = AdvisoryLock(pg_engine, key), AdvisoryLock(pg_engine, key)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert not standby.acquire() and not standby.acquire()
        assert AdvisoryLock(pg_engine, key + 1).acquire()  # another mailbox is free
        holder.kill()  # SIGKILL: the holder's session ends, and its lock with it
        holder.wait(timeout=WAIT)
        assert eventually(standby.acquire)
        assert standby.acquire()  # idempotent while held
        assert not third.acquire()
        standby.release()
        assert third.acquire()
    finally:
        holder.kill()
        holder.wait(timeout=WAIT)
        standby.release()
        third.release()


@pytest.mark.servers
async def test_only_the_lock_holder_fetches_and_another_worker_takes_over_after_it_stops(
    pg_engine: Engine, postgres_url: str, isolated_mail_servers: MailServer, tmp_path: Path
) -> None:
    site = make_crash_site(isolated_mail_servers, tmp_path, postgres_url, 4, contacts=1)
    first_half, second_half = site.replies[:2], site.replies[2:]
    workers = [MailWorker(make_engine(postgres_url), site_settings(site)) for _ in range(2)]
    stops = [asyncio.Event(), asyncio.Event()]
    tasks = [asyncio.create_task(w.run_forever(s)) for w, s in zip(workers, stops, strict=True)]

    def inbound() -> int:
        with Session(pg_engine) as session:
            return len(session.exec(select(InboundMessage)).all())

    def holders() -> list[int]:
        return [
            i for i, w in enumerate(workers) if isinstance(w.lock, AdvisoryLock) and w.lock.held
        ]

    try:
        assert await asyncio.to_thread(eventually, lambda: len(holders()) == 1)
        [first] = holders()
        site.replies = first_half
        await asyncio.to_thread(Feeder(site, pause=0).run)
        assert await asyncio.to_thread(eventually, lambda: inbound() == 2)
        assert holders() == [first]

        stops[first].set()  # a graceful stop releases the lock; the other worker takes over
        await asyncio.wait_for(tasks[first], timeout=WAIT)
        assert await asyncio.to_thread(eventually, lambda: holders() == [1 - first])
        site.replies = second_half
        await asyncio.to_thread(Feeder(site, pause=0).run)
        assert await asyncio.to_thread(eventually, lambda: inbound() == 4)
    finally:
        for stop in stops:
            stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=WAIT)
        for worker in workers:
            worker.engine.dispose()
    with Session(pg_engine) as session:
        assert {r.outcome for r in session.exec(select(InboundMessage))} == {"processed"}


# -- the outbox ------------------------------------------------------------------------------


def test_an_expired_claim_taken_over_is_neither_renewed_nor_finished_by_its_old_holder(
    engine: Engine,
) -> None:
    add(engine, 1)
    with session_scope(engine) as session:
        [old] = claim_due(session, channel="email", now=NOW, lease=30)
    later = NOW + timedelta(seconds=31)
    with session_scope(engine) as session:
        [new] = claim_due(session, channel="email", now=later, lease=30)
    assert old.claimed_until is not None and new.claimed_until is not None
    with session_scope(engine) as session:
        assert not renew_claim(
            session, row_id=old.id or 0, claimed_until=old.claimed_until, until=later
        )
        assert renew_claim(
            session,
            row_id=new.id or 0,
            claimed_until=new.claimed_until,
            until=later + timedelta(seconds=30),
        )
    _finish(engine, old, later, "451 try later", False)  # the old holder's failure: ignored
    with Session(engine) as session:
        row = session.get(OutboundMessage, new.id)
        assert row is not None and row.attempts == 0 and row.last_error is None


class SlowSmtp:
    """An SMTP server that takes `seconds` to accept each message (a slow or far server)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.received: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.seconds)
        self.received.append(envelope.original_content or b"")
        return "250 2.0.0 OK"


async def test_a_send_slower_than_the_lease_keeps_its_claim_so_no_other_worker_sends_it(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    handler = SlowSmtp(seconds=2.0)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        add(sqlite_engine, 1)
        env = settings(tmp_path, smtp_port=controller.port)
        start = datetime.now(UTC)
        delivery = asyncio.create_task(deliver_due(sqlite_engine, env, now=start, lease=0.9))
        await asyncio.sleep(1.5)  # the first claim has expired: only the heartbeat keeps it

        def another_worker_claims() -> list[OutboundMessage]:
            with session_scope(sqlite_engine) as session:
                return claim_due(session, channel="email", now=datetime.now(UTC), lease=0.9)

        assert await asyncio.to_thread(another_worker_claims) == []
        report = await asyncio.wait_for(delivery, timeout=WAIT)
    finally:
        controller.stop()
    assert report.sent == 1 and len(handler.received) == 1
    with Session(sqlite_engine) as session:
        [row] = session.exec(select(OutboundMessage)).all()
        assert (row.status, row.attempts) == (OutboxStatus.sent, 1)


@pytest.mark.servers
def test_three_live_workers_deliver_each_outbox_row_exactly_once(
    pg_engine: Engine, postgres_url: str, mail_servers: MailServer, tmp_path: Path
) -> None:
    recipient = mail_servers.new_user("sam", "acme.test")
    add(pg_engine, 60, recipient=recipient)
    env = settings(tmp_path, smtp_port=mail_servers.smtp_port)

    def deliver(_i: int) -> int:
        own = make_engine(postgres_url)
        try:
            sent = 0
            for _ in range(10):
                report = asyncio.run(deliver_due(own, env, now=NOW, limit=7))
                sent += report.sent
            return sent
        finally:
            own.dispose()

    sent = together(3, deliver)
    assert sum(sent) == 60, sent
    messages = mail_servers.wait_for_messages(recipient, "pw", 60, timeout=WAIT)
    ids = [str(m.obj["Message-ID"]) for m in messages]
    assert len(ids) == 60 and len(set(ids)) == 60
    with Session(pg_engine) as session:
        rows = session.exec(select(OutboundMessage)).all()
        assert {(r.status, r.attempts) for r in rows} == {(OutboxStatus.sent, 1)}


# -- conversations, reminders, intake --------------------------------------------------------


@pytest.mark.servers
def test_one_email_read_by_several_workers_at_once_is_processed_once(
    database_url: str, mail_servers: MailServer, tmp_path: Path
) -> None:
    site = make_crash_site(mail_servers, tmp_path, database_url, 2, contacts=1)
    env = site_settings(site)
    raw = site.replies[0].message.as_bytes()

    def read(_i: int) -> str:
        own = make_engine(database_url)
        try:
            return Intake(own, env).process(raw).outcome
        finally:
            own.dispose()

    outcomes = together(4, read)
    assert sorted(outcomes) == ["duplicate"] * 3 + ["processed"], outcomes
    engine = make_engine(database_url)
    with Session(engine) as session:
        assert len(session.exec(select(InboundMessage)).all()) == 1
        replies = session.exec(select(OutboundMessage).where(OutboundMessage.kind == "reply"))
        assert len(replies.all()) == 1
        [conversation] = session.exec(select(Conversation)).all()
        assert conversation.version == 1
    engine.dispose()


@pytest.mark.servers
def test_two_turns_at_once_on_one_invoice_both_apply_in_turn_on_postgresql(
    pg_engine: Engine, postgres_url: str, mail_servers: MailServer, tmp_path: Path
) -> None:
    site = make_crash_site(mail_servers, tmp_path, postgres_url, 1, contacts=1)
    env = site_settings(site)
    [reply] = site.replies
    first = reply.message
    second = type(first)(policy=first.policy)
    for name in ("From", "To", "Subject", "Date"):
        second[name] = first[name]
    second["Message-ID"] = "<second-turn@sub.test>"
    second.set_content("retainage 0\n")
    raws = [first.as_bytes(), second.as_bytes()]

    def read(i: int) -> str:
        own = make_engine(postgres_url)
        try:
            return Intake(own, env).process(raws[i]).outcome
        finally:
            own.dispose()

    assert together(2, read) == ["processed", "processed"]
    with Session(pg_engine) as session:
        [conversation] = session.exec(select(Conversation)).all()
        assert conversation.version == 2  # two turns, one after the other, none lost
        replies = session.exec(select(OutboundMessage).where(OutboundMessage.kind == "reply"))
        assert len(replies.all()) == 2


@pytest.mark.servers
def test_concurrent_remind_calls_queue_each_reminder_once_on_postgresql(
    pg_engine: Engine, postgres_url: str, tmp_path: Path
) -> None:
    from bot.reminders import remind

    import_text(pg_engine, text=three_contacts_text())
    env = settings(tmp_path, smtp_port=25)
    now = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)

    def run(_i: int) -> int:
        own = make_engine(postgres_url)
        try:
            return len(remind(own, env, now=now, today=date(2026, 11, 22)).reminders)
        finally:
            own.dispose()

    counts = together(4, run)
    assert sum(counts) == 2, counts
    with Session(pg_engine) as session:
        assert len(session.exec(select(Reminder)).all()) == 2
        emails = session.exec(
            select(OutboundMessage).where(col(OutboundMessage.kind) == "reminder")
        ).all()
        assert len(emails) == 2
