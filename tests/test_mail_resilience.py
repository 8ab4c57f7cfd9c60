"""The email flow survives an SMTP outage and an IMAP restart, and never processes twice."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from imap_tools.consts import MailMessageFlags
from sqlmodel import Session, select

from bot.settings import Settings
from mail.config import MailSettings
from mail.intake import Intake
from mail.worker import MailWorker
from models.db import make_engine
from models.outbox import InboundMessage, OutboundMessage, OutboxStatus
from tests.servers.mailserver import MailServer
from tests.test_email_e2e import PDF, Site, client_reply, make_site

pytestmark = pytest.mark.servers
WAIT = 20.0


def settings_of(site: Site) -> Settings:
    env = {k.removeprefix("BILLBOT_MAIL__").lower(): v for k, v in site.env.items()}
    mail = MailSettings.model_validate(
        {k: v for k, v in env.items() if not k.startswith("billbot")}
    )
    return Settings(
        database_url=site.env["BILLBOT_DATABASE_URL"],
        attachments_dir=Path(site.env["BILLBOT_ATTACHMENTS_DIR"]),
        mail=mail,
    )


class Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def rows(site: Site, table: type[InboundMessage] | type[OutboundMessage]) -> list:
    engine = make_engine(site.env["BILLBOT_DATABASE_URL"])
    with Session(engine) as session:
        found = list(session.exec(select(table)))
    engine.dispose()
    return found


def test_smtp_down_midway_reply_is_retried_and_delivered_after_restart(
    isolated_mail_servers: MailServer, tmp_path: Path
) -> None:
    site = make_site(isolated_mail_servers, tmp_path)
    site.cli("invite", "--period", "nov")
    site.cli("run", "--once")
    [invite] = site.inbox(site.sam)
    answer = "Invoice number: INV-0042\n1: 50%\n2: 2 units"
    site.server.send(client_reply(invite, site.sam, answer, attachments=(("a.pdf", PDF),)))

    site.server.smtp.stop()
    site.cli("run", "--once")  # the reply is read and answered, but SMTP is down

    [review_row] = [r for r in rows(site, OutboundMessage) if r.kind == "reply"]
    assert review_row.status == OutboxStatus.pending and review_row.attempts == 1
    assert review_row.last_error

    site.server.smtp.start()
    later = datetime.now(UTC) + timedelta(minutes=10)  # past the back-off
    engine = make_engine(site.env["BILLBOT_DATABASE_URL"])
    worker = MailWorker(engine, settings_of(site), clock=lambda: later)
    report = asyncio.run(worker.run_once())
    engine.dispose()
    assert report.delivery.sent == 1

    review = site.inbox(site.sam, 2)[-1]
    assert "$10,935.00" in review.text
    site.server.send(client_reply(review, site.sam, "send"))
    site.cli("run", "--once")
    assert site.invoices()[-1]["status"] == "under_review"
    assert len(site.inbox(site.jane)) == 1


async def test_imap_restart_midway_worker_reconnects_and_processes_each_message_once(
    isolated_mail_servers: MailServer, tmp_path: Path
) -> None:
    seen = Recorder()
    logging.getLogger("mail.worker").addHandler(seen)
    site = make_site(isolated_mail_servers, tmp_path)
    site.cli("invite", "--period", "nov")
    engine = make_engine(site.env["BILLBOT_DATABASE_URL"])
    worker = MailWorker(engine, settings_of(site))
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(stop))
    try:
        [invite] = await asyncio.to_thread(site.inbox, site.sam)
        answer = "Invoice number: INV-0042\n1: 50%\n2: 2 units"
        await asyncio.to_thread(site.server.send, client_reply(invite, site.sam, answer))
        review = (await asyncio.to_thread(wait_for, site, site.sam, 2))[-1]

        await asyncio.to_thread(site.server.dovecot.restart)
        # Dovecot keeps open sessions across a restart; drop ours as a NAT or a crash would.
        assert worker.imap.box is not None
        worker.imap.box.client.sock.shutdown(socket.SHUT_RDWR)
        await asyncio.to_thread(site.server.send, client_reply(review, site.sam, "SEND"))
        messages = await asyncio.to_thread(wait_for, site, site.sam, 3)
        assert "Sent INV-0042" in messages[-1].text
        await asyncio.to_thread(wait_for, site, site.jane, 1)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=WAIT)
        engine.dispose()
        logging.getLogger("mail.worker").removeHandler(seen)
    assert any("reconnecting" in message for message in seen.messages)
    inbound = rows(site, InboundMessage)
    assert [r.outcome for r in inbound] == ["processed", "processed"]
    assert len(site.server.imap_fetch_all(site.sam, "pw")) == 3


def wait_for(site: Site, user: str, count: int) -> list:
    messages = site.server.wait_for_messages(user, "pw", count, timeout=WAIT)
    assert len(messages) >= count, [m.subject for m in messages]
    return messages


def test_message_fetched_twice_is_processed_once(mail_servers: MailServer, tmp_path: Path) -> None:
    site = make_site(mail_servers, tmp_path)
    site.cli("invite", "--period", "nov")
    site.cli("run", "--once")
    [invite] = site.inbox(site.sam)
    reply = client_reply(invite, site.sam, "Invoice number: INV-0042\n1: 50%")
    site.server.send(reply)
    site.cli("run", "--once")
    assert len(site.inbox(site.sam, 2)) == 2

    with site.server.mailbox(site.billing, "pw") as box:  # as if the \Seen flag was lost
        box.flag([m.uid for m in box.fetch(mark_seen=False) if m.uid], MailMessageFlags.SEEN, False)
    site.cli("run", "--once")
    engine = make_engine(site.env["BILLBOT_DATABASE_URL"])
    again = Intake(engine, settings_of(site)).process(reply.as_bytes())
    engine.dispose()

    assert again.outcome == "duplicate"
    assert len(site.server.imap_fetch_all(site.sam, "pw")) == 2
    assert len(rows(site, InboundMessage)) == 1


def test_billbot_run_delivers_and_stops_gracefully_on_sigterm(
    mail_servers: MailServer, tmp_path: Path
) -> None:
    site = make_site(mail_servers, tmp_path)
    site.cli("invite", "--period", "nov")
    env = {**os.environ, **site.env}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        site.inbox(site.sam)  # delivered by the long-running process
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=WAIT)
    assert process.returncode == 0, stderr
    assert "running reminders, mail" in stderr and "stopped" in stderr
    assert "Traceback" not in stderr
