"""Faults, injected for real: SMTP down, IMAP restarted, Slack answering 429/500, and the
PostgreSQL connection cut under the service and the outbox. Nothing is lost, nothing is sent
twice, no turn is half-applied. Each test prints what it saw.

Back-off is not waited for: the clock handed to the workers is moved past each row's
`next_attempt_at` (or the row is made due), while the failing server stays really down.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from bot.slack.sender import SlackSender
from bot.slack.worker import make_client
from conversations.service import ConversationService, MemoryOutbox
from conversations.types import Turn
from mail.compose import Envelope, mint_message_id, queue_email
from mail.worker import MailWorker
from models.conversation import Conversation
from models.db import make_engine, session_scope
from models.outbox import InboundMessage, OutboundMessage, OutboxStatus
from models.tables import InvoiceLine, SovLine
from tests.database import truncate_all
from tests.servers.mailserver import MailServer
from tests.slack_emulator import SlackEmulator, app_home_opened_event
from tests.test_conversation_service import NOW, seed
from tests.test_email_e2e import client_reply, make_site
from tests.test_mail_resilience import Recorder, rows, settings_of, wait_for
from tests.test_slack_support import eventually, running, settings_for

pytestmark = pytest.mark.servers
T = TypeVar("T")
WAIT = 20.0
# The connection killers' pace is set for a machine that is otherwise quiet: the tests that cut
# connections or kill workers take their turns on one pytest-xdist worker (`--dist loadgroup`)
# rather than each being the others' load.
FAULTS_GROUP = pytest.mark.xdist_group("faults")


def make_due(engine: Engine) -> None:
    """Skip the back-off of every pending row (instead of sleeping through it)."""
    with session_scope(engine) as session:
        session.exec(
            update(OutboundMessage)
            .where(col(OutboundMessage.status) == OutboxStatus.pending.value)
            .values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1), claimed_until=None)
        )


# -- SMTP down ---------------------------------------------------------------------------------


def queue_notes(engine: Engine, settings: Any, recipients: list[str]) -> list[str]:
    ids = []
    with session_scope(engine) as session:
        for n, recipient in enumerate(recipients):
            message_id = mint_message_id(settings.mail)
            queue_email(
                session,
                envelope=Envelope(recipient=recipient, recipient_name="", subject=f"note {n}"),
                text=f"note {n}\n",
                html=None,
                message_id=message_id,
                kind="notification",
            )
            ids.append(message_id)
    return ids


async def test_smtp_down_then_back_delivers_everything_once(
    isolated_mail_servers: MailServer, tmp_path: Path
) -> None:
    site = make_site(isolated_mail_servers, tmp_path)
    site.cli("invite", "--period", "nov")  # one invite row for Sam
    engine = make_engine(site.env["BILLBOT_DATABASE_URL"])
    settings = settings_of(site)
    queued = queue_notes(engine, settings, [site.sam, site.jane] * 3)
    moment = [datetime.now(UTC)]
    worker = MailWorker(engine, settings, clock=lambda: moment[0])
    site.server.smtp.stop()
    try:
        attempts, backoffs = [], []
        for _ in range(4):  # really down across four delivery passes
            report = await worker.deliver_once()
            pending = rows(site, OutboundMessage)
            attempts.append((report.sent, report.retried, sorted({r.attempts for r in pending})))
            assert report.sent == 0 and report.retried == 7
            assert all(r.status == OutboxStatus.pending and r.last_error for r in pending)
            due = max(r.next_attempt_at.replace(tzinfo=UTC) for r in pending)
            backoffs.append(round((due - moment[0]).total_seconds()))
            moment[0] = due + timedelta(seconds=1)  # the back-off, without sleeping
    finally:
        site.server.smtp.start()
    report = await worker.deliver_once()
    again = await worker.deliver_once()
    engine.dispose()
    print(f"smtp down: passes (sent, retried, attempts) {attempts}")
    print(f"smtp down: last error {rows(site, OutboundMessage)[0].last_error!r}")
    print(f"smtp down: back-off after each pass (s) {backoffs}")
    print(f"smtp back: sent {report.sent}, then {again.sent}")
    assert (report.sent, report.retried, again.sent) == (7, 0, 0)
    stored = rows(site, OutboundMessage)
    assert {r.status for r in stored} == {OutboxStatus.sent}
    assert {r.attempts for r in stored} == {5}
    sam, jane = wait_for(site, site.sam, 4), wait_for(site, site.jane, 3)
    received = Counter(str(m.obj["Message-ID"]) for m in sam + jane)
    print(f"smtp back: Sam got {len(sam)}, Jane got {len(jane)}; copies {set(received.values())}")
    assert set(received) == {r.message_id for r in stored} and set(received.values()) == {1}
    assert set(queued) <= set(received)


# -- IMAP restarted -------------------------------------------------------------------------


async def test_imap_down_for_several_polls_and_restarted_twice_loses_nothing(
    isolated_mail_servers: MailServer, tmp_path: Path
) -> None:
    """Extends test_mail_resilience: Dovecot is down across several polls (not only one
    dropped socket), a reply arrives just before a restart, and each reply is read once."""
    seen = Recorder()
    logging.getLogger("mail.worker").addHandler(seen)
    site = make_site(isolated_mail_servers, tmp_path)
    site.cli("invite", "--period", "nov")
    engine = make_engine(site.env["BILLBOT_DATABASE_URL"])
    worker = MailWorker(engine, settings_of(site))
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(stop))
    server = site.server
    try:
        [invite] = await asyncio.to_thread(wait_for, site, site.sam, 1)
        answer = "Invoice number: INV-0042\n1: 50%"
        await asyncio.to_thread(server.send, client_reply(invite, site.sam, answer))
        await asyncio.to_thread(server.dovecot.restart)  # right after the reply arrived
        review = (await asyncio.to_thread(wait_for, site, site.sam, 2))[-1]

        await asyncio.to_thread(server.dovecot.stop)
        # Dovecot's running sessions outlive its master: cut ours, as a crash would.
        if worker.imap.box is not None:
            worker.imap.box.client.sock.shutdown(socket.SHUT_RDWR)
        await asyncio.sleep(3.0)  # down across several reconnection attempts
        down_errors = len(seen.messages)
        await asyncio.to_thread(server.dovecot.start)
        await asyncio.to_thread(server.send, client_reply(review, site.sam, "2: 2 units"))
        review2 = (await asyncio.to_thread(wait_for, site, site.sam, 3))[-1]
        await asyncio.to_thread(server.dovecot.restart)
        await asyncio.to_thread(server.send, client_reply(review2, site.sam, "send"))
        messages = await asyncio.to_thread(wait_for, site, site.sam, 4)
        await asyncio.to_thread(wait_for, site, site.jane, 1)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=WAIT)
        engine.dispose()
        logging.getLogger("mail.worker").removeHandler(seen)
    inbound = rows(site, InboundMessage)
    print(f"imap: {down_errors} warnings while down; {len(seen.messages)} in all")
    print(f"imap: inbound outcomes {[r.outcome for r in inbound]}")
    assert "Sent INV-0042" in messages[-1].text
    assert down_errors >= 2 and any("reconnecting" in message for message in seen.messages)
    assert [r.outcome for r in inbound] == ["processed"] * 3
    assert len(server.imap_fetch_all(site.sam, "pw")) == 4
    assert site.invoices()[-1]["status"] == "under_review"


# -- Slack 429 / 500 ------------------------------------------------------------------------

# More failures than slack_sdk's retry handlers absorb in one pass (3 for 429, 2 for 5xx),
# so the outbox's own retry has to finish the job.
BEYOND_CLIENT = {429: 5, 500: 4}


@pytest.mark.parametrize("status", [429, 500])
async def test_slack_post_failing_past_the_client_retries_is_sent_once_by_the_outbox(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path, status: int
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        h.slack.fail_next(
            "chat.postMessage", status=status, retry_after=1, times=BEYOND_CLIENT[status]
        )
        await h.say("U0SAM", "INV-0042")
        [row] = h.pending_or_failed()
        first = (row.status, row.attempts, row.last_error)
        assert h.messages("U0SAM") == [] and first[:2] == ("pending", 1)
        make_due(sqlite_engine)
        await h.settle()
        replies = await eventually(lambda: h.messages("U0SAM"))
        calls = len(h.slack.calls_to("chat.postMessage"))
        print(f"slack {status}: after pass 1 {first}; postMessage calls {calls}")
        assert len(replies) == 1 and "INV-0042" in replies[0]["text"]
        assert calls == BEYOND_CLIENT[status] + 1
        assert h.pending_or_failed() == []
        with Session(sqlite_engine) as session:
            [sent] = session.exec(select(OutboundMessage)).all()
        assert (sent.status, sent.attempts) == ("sent", 2)


@pytest.mark.parametrize("status", [429, 500])
async def test_slack_views_publish_429_and_500_are_retried_and_published_once(
    slack_emulator: SlackEmulator, sqlite_engine: Engine, tmp_path: Path, status: int
) -> None:
    async with running(slack_emulator, sqlite_engine, tmp_path) as h:
        h.slack.fail_next("views.publish", status=status, retry_after=1, times=2)
        await h.event(app_home_opened_event(user="U0SAM", channel=h.slack.dm_channel("U0SAM")))
        homes = await eventually(lambda: h.slack.views_published("U0SAM"), timeout=10)
        calls = len(h.slack.calls_to("views.publish"))
        print(f"slack views.publish {status}: calls {calls}, published {len(homes)}")
        assert len(homes) == 1 and calls == 3
        assert "SC-007" in json.dumps(homes[0])


# -- PostgreSQL connection dropped ----------------------------------------------------------


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    truncate_all(engine)
    yield engine
    engine.dispose()


class Killer:
    """Terminates every other backend of the database, again and again, from a thread.

    Its first round has run when the `with` block starts (the connections the test's engine
    holds are cut before it is used), so that a fast machine cannot finish the work before
    any cut."""

    def __init__(self, url: str, *, pause: tuple[float, float] = (0.005, 0.04)) -> None:
        self.admin = make_engine(url, pool_size=1)
        self.pause = pause
        self.killed = 0
        self._stop = threading.Event()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Killer:
        self._thread.start()
        assert self._started.wait(timeout=10), "the killer did not connect"
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.admin.dispose()

    def _run(self) -> None:
        rnd = random.Random(5)
        statement = text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        with self.admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            self.killed += sum(1 for (ok,) in connection.execute(statement) if ok)
            self._started.set()
            while not self._stop.wait(rnd.uniform(*self.pause)):
                self.killed += sum(1 for (ok,) in connection.execute(statement) if ok)


def patiently(read: Callable[[], T], attempts: int = 20) -> T:
    """A test-side read: the killer may cut it too, so it is simply tried again."""
    for attempt in range(attempts):
        try:
            return read()
        except OperationalError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def line_one(engine: Engine) -> tuple[int, Any]:
    """(conversation version, line 1's stored quantity)."""
    with Session(engine) as session:
        conversation = session.exec(select(Conversation)).one()
        row = session.exec(
            select(InvoiceLine)
            .join(SovLine, col(SovLine.id) == InvoiceLine.sov_line_id)
            .where(SovLine.number == "1", InvoiceLine.invoice_id == conversation.invoice_id)
        ).first()
        return conversation.version, row.new_quantity if row else None


@FAULTS_GROUP
def test_postgres_connection_cut_while_turns_are_handled_loses_no_turn(
    pg_engine: Engine, postgres_url: str
) -> None:
    with session_scope(pg_engine) as session:
        ids = seed(session)
    outbox = MemoryOutbox()
    service = ConversationService(pg_engine, outbox=outbox, clock=lambda: NOW)
    service.start(person_id=ids.sam, commitment_id=ids.sc7, period_id=ids.nov, channel="email")
    service.handle(
        person_id=ids.sam, turn=Turn(text="INV-0042"), commitment_id=ids.sc7, period_id=ids.nov
    )
    turns, raised, committed_anyway = 60, 0, 0
    with Killer(postgres_url) as killer:
        for n in range(1, turns + 1):
            version, _ = patiently(lambda: line_one(pg_engine))
            while True:  # the channel's own retry (the email stays unseen, Slack redelivers)
                try:
                    service.handle(
                        person_id=ids.sam,
                        turn=Turn(text=f"1: {n} units", channel="email"),
                        commitment_id=ids.sc7,
                        period_id=ids.nov,
                    )
                    break
                except OperationalError:
                    raised += 1
                    after, quantity = patiently(lambda: line_one(pg_engine))
                    # all or nothing: either this turn committed whole, or nothing of it did
                    assert (after, quantity) in {(version, quantity), (version + 1, n)}
                    if after == version + 1:
                        committed_anyway += 1
                        break
            after, quantity = patiently(lambda: line_one(pg_engine))
            assert (after, quantity) == (version + 1, n), (n, version, after, quantity)
        killed = killer.killed
    final_version, final_quantity = line_one(pg_engine)
    print(
        f"postgres turns: {turns} turns, {killed} backends terminated, {raised} turns gave up "
        f"after the service's retries and were redone, {committed_anyway} had committed"
    )
    print(f"postgres turns: conversation version {final_version}, line 1 = {final_quantity}")
    assert killed > 0 and final_quantity == turns
    assert final_version == turns + 2  # start, the number, then one version per turn
    assert final_version - committed_anyway <= len(outbox.queued) <= final_version


@FAULTS_GROUP
async def test_postgres_connection_cut_while_the_slack_outbox_delivers(
    pg_engine: Engine, postgres_url: str, slack_emulator: SlackEmulator, tmp_path: Path
) -> None:
    slack_emulator.add_user("U0SAM", "sam@acme.test", "Sam Sparks")
    with session_scope(pg_engine) as session:
        seed(session)
    count = 40
    with session_scope(pg_engine) as session:
        for n in range(count):
            payload = {"user": "U0SAM", "text": f"message {n}"}
            session.add(
                OutboundMessage(
                    channel="slack",
                    recipient="U0SAM",
                    body_text=f"message {n}",
                    payload=json.dumps(payload),
                    message_id=f"<fault-{n}@billbot>",
                )
            )
    settings = settings_for(slack_emulator, pg_engine, tmp_path)
    sender = SlackSender(pg_engine, make_client(settings))
    passes, errors = 0, Counter[str]()
    deadline = time.monotonic() + WAIT
    with Killer(postgres_url, pause=(0.01, 0.05)) as killer:
        while time.monotonic() < deadline:
            passes += 1
            try:
                await sender.run_once()
            except OperationalError as exc:
                errors[type(exc.orig).__name__] += 1
            pending = patiently(lambda: _unsent(pg_engine))
            if not pending:
                break
            make_due_patiently(pg_engine)
        killed = killer.killed
    posted = Counter(m["text"] for m in slack_emulator.messages_to("U0SAM"))
    print(
        f"postgres outbox: {count} rows, {passes} passes, {killed} backends terminated, "
        f"errors {dict(errors)}, posted {sum(posted.values())} ({len(posted)} distinct)"
    )
    assert killed > 0
    assert _unsent(pg_engine) == 0
    assert set(posted) == {f"message {n}" for n in range(count)}
    assert set(posted.values()) == {1}, [t for t, c in posted.items() if c > 1]


def _unsent(engine: Engine) -> int:
    with Session(engine) as session:
        statement = select(OutboundMessage).where(col(OutboundMessage.status) != "sent")
        return len(session.exec(statement).all())


def make_due_patiently(engine: Engine) -> None:
    patiently(lambda: make_due(engine))


@FAULTS_GROUP
async def test_postgres_connection_cut_while_the_email_outbox_delivers(
    mail_servers: MailServer, pg_engine: Engine, postgres_url: str, tmp_path: Path
) -> None:
    site = make_site(mail_servers, tmp_path, BILLBOT_DATABASE_URL=postgres_url)
    settings = settings_of(site)
    count = 30
    queued = queue_notes(pg_engine, settings, [site.sam] * count)
    worker = MailWorker(pg_engine, settings)
    passes, errors = 0, Counter[str]()
    deadline = time.monotonic() + WAIT
    with Killer(postgres_url, pause=(0.01, 0.05)) as killer:
        while time.monotonic() < deadline:
            passes += 1
            try:
                await worker.deliver_once()
            except OperationalError as exc:
                errors[type(exc.orig).__name__] += 1
            if not patiently(lambda: _unsent(pg_engine)):
                break
            make_due_patiently(pg_engine)
        killed = killer.killed
    received = Counter(str(m.obj["Message-ID"]) for m in wait_for(site, site.sam, count))
    print(
        f"postgres email outbox: {count} rows, {passes} passes, {killed} backends terminated, "
        f"errors {dict(errors)}, received {sum(received.values())} ({len(received)} distinct)"
    )
    assert killed > 0 and _unsent(pg_engine) == 0
    assert set(received) == set(queued)
    assert set(received.values()) == {1}, [m for m, c in received.items() if c > 1]
