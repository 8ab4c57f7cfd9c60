"""Helpers of the crash-safety tests: a site with many invoices, a fleet of `billbot run`
processes to kill, a feeder of reply emails, and the final accounting from the mailboxes.
"""

from __future__ import annotations

import email.policy
import email.utils
import json
import os
import signal
import smtplib
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from imap_tools import AND
from pydantic import SecretStr
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from mail.config import MailSettings, secret_bytes
from mail.tokens import make_token, reply_address
from models.conversation import Conversation
from models.db import make_engine, upgrade
from models.importer import import_text
from models.invitation import get_or_create_invitation
from models.outbox import InboundMessage, OutboundMessage, OutboxStatus
from models.tables import BillingPeriod, Commitment, Invoice, InvoiceLine, Person
from tests.servers.mailserver import HOST, MailServer

SECRET = "crash-test-secret"
ROOT = Path(__file__).resolve().parent.parent


def scale(name: str, default: int) -> int:
    """A count of the test, overridable by an environment variable (e.g. for a quick run)."""
    return int(os.environ.get(name, default))


@dataclass(frozen=True)
class Reply:
    message: EmailMessage
    commitment: str  # its number
    invoice: str  # the invoice number the reply gives
    percent: int  # the answer `1: <percent>%` makes the line's new quantity `percent`


@dataclass
class CrashSite:
    server: MailServer
    root: Path
    env: dict[str, str]
    billing: str
    contacts: list[str]
    replies: list[Reply]

    def engine(self) -> Engine:
        return make_engine(self.env["BILLBOT_DATABASE_URL"])


def _data(count: int, contacts: list[str], jane: str) -> dict[str, Any]:
    today = datetime.now(UTC).date()

    def day(n: int) -> str:
        return (today + timedelta(days=n)).isoformat()

    people = [{"key": "jane", "company": "gc", "name": "Jane Doe", "email": jane}]
    people += [
        {"key": f"c{n}", "company": "sub", "name": f"Contact {n}", "email": address}
        for n, address in enumerate(contacts)
    ]
    commitments = [
        {
            "key": f"sc{i}",
            "project": "tower",
            "number": f"SC-{i:04d}",
            "title": f"Scope {i}",
            "kind": "subcontract",
            "vendor": "sub",
            "accounting_method": "unit",
            "retainage_percent": "10",
            "invoice_contacts": [f"c{i % len(contacts)}"],
            "administrator": "jane",
            "lines": [
                {"number": "1", "description": "Work", "uom": "EA", "quantity": "100"}
                | {"unit_price": "10.00"}
            ],
        }
        for i in range(count)
    ]
    return {
        "companies": [{"key": "gc", "name": "Summit Builders"}, {"key": "sub", "name": "Sub"}],
        "people": people,
        "projects": [
            {"key": "tower", "name": "Harbor Tower", "number": "P-1", "company": "gc"}
            | {"timezone": "UTC"}
        ],
        "commitments": commitments,
        "billing_periods": [
            {"key": "now", "project": "tower", "start": day(-10), "end": day(30)}
            | {"billing_date": day(20), "due_date": day(30)}
        ],
    }


def make_crash_site(
    server: MailServer, root: Path, database_url: str, count: int, *, contacts: int = 20
) -> CrashSite:
    """`count` commitments (one SOV line each), invited, and one reply email ready for each."""
    billing = server.new_user("billing", "summit.test", "pw")
    jane = server.new_user("jane", "summit.test", "pw")
    addresses = [server.new_user("sub", "sub.test", "pw") for _ in range(contacts)]
    env = {
        **server.billbot_env(
            billing=billing, password="pw", secret=SECRET, root=root, database_url=database_url
        ),
        "BILLBOT_MAIL__POLL_SECONDS": "0.5",
    }
    engine = make_engine(database_url)
    upgrade(engine)
    import_text(engine, text=json.dumps(_data(count, addresses, jane)))
    mail = MailSettings(address=billing, secret=SecretStr(SECRET))
    replies: list[Reply] = []
    expires = datetime.now(UTC) + timedelta(days=60)
    with Session(engine) as session:
        period = session.exec(select(BillingPeriod)).one()
        assert period.id is not None
        for n, commitment in enumerate(
            session.exec(select(Commitment).order_by(col(Commitment.id)))
        ):
            assert commitment.id is not None
            contact = session.exec(select(Person).where(Person.key == f"c{n % contacts}")).one()
            assert contact.id is not None
            invitation, _ = get_or_create_invitation(
                session,
                commitment_id=commitment.id,
                period_id=period.id,
                person_id=contact.id,
                expires_at=expires,
            )
            assert invitation.id is not None
            token = make_token(secret_bytes(mail), invitation.id)
            percent = 1 + n % 97
            replies.append(
                Reply(
                    _reply(contact.email, reply_address(billing, token), n, percent),
                    commitment.number,
                    f"INV-{n:04d}",
                    percent,
                )
            )
        session.commit()
    engine.dispose()
    return CrashSite(server, root, env, billing, addresses, replies)


def _reply(sender: str, to: str, n: int, percent: int) -> EmailMessage:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "Re: Harbor Tower: Jane Doe has invited you to bill."
    message["Date"] = email.utils.formatdate(localtime=True)
    message["Message-ID"] = f"<reply-{n}.{time.time_ns()}@sub.test>"
    message.set_content(f"Invoice number: INV-{n:04d}\n1: {percent}%\n\nThanks\n")
    return message


class Feeder(threading.Thread):
    """Delivers the replies into the billing mailbox over LMTP, a chunk at a time."""

    def __init__(self, site: CrashSite, *, chunk: int = 25, pause: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.site, self.chunk, self.pause = site, chunk, pause
        self.delivered = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            replies = self.site.replies
            for start in range(0, len(replies), self.chunk):
                with smtplib.LMTP(HOST, self.site.server.lmtp_port, timeout=30) as lmtp:
                    for reply in replies[start : start + self.chunk]:
                        lmtp.sendmail(
                            str(reply.message["From"]),
                            [str(reply.message["To"])],
                            reply.message.as_bytes(),
                        )
                        self.delivered += 1
                time.sleep(self.pause)
        except BaseException as exc:  # reported by the test
            self.error = exc


@dataclass
class Fleet:
    """`billbot run` processes, each restartable; SIGKILL is how they die here."""

    site: CrashSite
    size: int
    processes: list[subprocess.Popen[bytes] | None] = field(default_factory=list)
    starts: int = 0
    kills: int = 0

    def __post_init__(self) -> None:
        self.processes = [None] * self.size
        self.log_paths: list[Path | None] = [None] * self.size

    def start(self, slot: int) -> None:
        self.starts += 1
        path = self.site.root / f"worker-{slot}-{self.starts}.log"
        self.log_paths[slot] = path
        log = path.open("wb")
        try:
            self.processes[slot] = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "run"],
                env={**os.environ, **self.site.env},
                cwd=self.site.root,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            log.close()

    def start_all(self) -> None:
        for slot in range(self.size):
            self.start(slot)

    def kill(self, slot: int) -> None:
        process = self.processes[slot]
        assert process is not None
        assert process.poll() is None, f"worker {slot} died by itself: {process.returncode}"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        self.kills += 1

    def stop_all(self, timeout: float = 30.0) -> list[int | None]:
        """SIGTERM (a graceful stop), SIGKILL if that takes too long; the exit codes.

        A worker restarted a moment ago is first given time to start: a SIGTERM before
        Python has even loaded billbot kills it the way SIGTERM kills any process.
        """
        deadline = time.monotonic() + timeout
        for process, path in zip(self.processes, self.log_paths, strict=True):
            while process is not None and path is not None and process.poll() is None:
                text = path.read_text(errors="replace") if path.exists() else ""
                if "running " in text or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
        codes: list[int | None] = []
        for process in self.processes:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            if process is None:
                codes.append(None)
                continue
            try:
                codes.append(process.wait(timeout=timeout))
            except subprocess.TimeoutExpired:
                process.kill()
                codes.append(process.wait(timeout=timeout))
        return codes

    def logs(self) -> str:
        return "\n".join(
            p.read_text(errors="replace") for p in sorted(self.site.root.glob("*.log"))
        )


def overlapping_fetchers(root: Path) -> list[str]:
    """Worker logs whose mailbox fetching overlapped in time (there should be none)."""
    spans: list[tuple[datetime, datetime, str]] = []
    for path in sorted(root.glob("worker-*.log")):
        stamps = [
            datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
            for line in path.read_text(errors="replace").splitlines()
            if " INFO mail.worker: message " in line
        ]
        if stamps:
            spans.append((min(stamps), max(stamps), path.name))
    overlaps: list[str] = []
    latest: tuple[datetime, datetime, str] | None = None  # the span that ends last so far
    for span in sorted(spans):
        if latest is not None and span[0] <= latest[1]:
            overlaps.append(f"{latest[2]} and {span[2]}")
        if latest is None or span[1] > latest[1]:
            latest = span
    return overlaps


@dataclass(frozen=True)
class Progress:
    inbound: int
    pending: int
    sent: int
    failed: int


def progress(engine: Engine) -> Progress:
    with Session(engine) as session:
        inbound = session.exec(select(func.count()).select_from(InboundMessage)).one()
        counts = dict(
            session.exec(
                select(OutboundMessage.status, func.count()).group_by(col(OutboundMessage.status))
            ).all()
        )
    return Progress(
        int(inbound),
        int(counts.get(OutboxStatus.pending, 0)),
        int(counts.get(OutboxStatus.sent, 0)),
        int(counts.get(OutboxStatus.failed, 0)),
    )


def unseen(site: CrashSite) -> int:
    with site.server.mailbox(site.billing, "pw") as box:
        return len(box.uids(AND(seen=False)))


def wait_until_drained(site: CrashSite, engine: Engine, timeout: float) -> tuple[bool, Progress]:
    """Until every reply is recorded, the mailbox has no unseen mail and the outbox is empty."""
    deadline = time.monotonic() + timeout
    while True:
        now = progress(engine)
        done = now.inbound >= len(site.replies) and now.pending == 0
        if done and unseen(site) == 0:
            return True, now
        if time.monotonic() > deadline:
            return False, now
        time.sleep(0.5)


@dataclass
class Accounting:
    replies_found: int  # inbound replies answered at least once
    missing: list[str]  # inbound Message-IDs without an answer
    answered_twice: list[str]  # inbound Message-IDs answered by two different messages
    duplicates: int  # extra copies of one outbound Message-ID in the mailboxes
    messages: int


def account(site: CrashSite) -> Accounting:
    """Read every contact's mailbox: one answer per reply, copies counted by Message-ID."""
    copies: Counter[str] = Counter()
    answers: dict[str, set[str]] = {}
    for address in site.contacts:
        with site.server.mailbox(address, "pw") as box:
            for message in box.fetch(mark_seen=False, bulk=True, headers_only=True):
                message_id = str(message.obj["Message-ID"]).strip()
                copies[message_id] += 1
                in_reply_to = str(message.obj["In-Reply-To"] or "").strip()
                answers.setdefault(in_reply_to, set()).add(message_id)
    expected = [str(r.message["Message-ID"]) for r in site.replies]
    return Accounting(
        replies_found=sum(1 for m in expected if m in answers),
        missing=[m for m in expected if m not in answers],
        answered_twice=[m for m in expected if len(answers.get(m, ())) > 1],
        duplicates=sum(n - 1 for n in copies.values()),
        messages=sum(copies.values()),
    )


def check_database(site: CrashSite, engine: Engine) -> list[str]:
    """Problems found: each reply recorded once, each conversation advanced once, exact lines."""
    problems: list[str] = []
    expected = {r.commitment: r for r in site.replies}
    with Session(engine) as session:
        inbound = session.exec(select(InboundMessage)).all()
        ids = Counter(row.external_id for row in inbound)
        if len(ids) != len(site.replies) or any(n > 1 for n in ids.values()):
            problems.append(f"{len(inbound)} inbound rows, {len(ids)} distinct")
        outcomes = Counter(row.outcome for row in inbound)
        if outcomes != {"processed": len(site.replies)}:
            problems.append(f"inbound outcomes {dict(outcomes)}")
        versions = Counter(c.version for c in session.exec(select(Conversation)))
        if versions != {1: len(site.replies)}:
            problems.append(f"conversation versions {dict(versions)} (each should be 1)")
        rows = session.exec(
            select(col(Commitment.number), col(Invoice.number), col(InvoiceLine.new_quantity))
            .join(Invoice, col(Invoice.commitment_id) == col(Commitment.id))
            .join(InvoiceLine, col(InvoiceLine.invoice_id) == col(Invoice.id))
        ).all()
        seen: Counter[str] = Counter()
        for commitment, number, quantity in rows:
            seen[commitment] += 1
            reply = expected[commitment]
            if number != reply.invoice or Decimal(quantity or 0) != reply.percent:
                problems.append(f"{commitment}: {number} qty {quantity}, want {reply.percent}")
        if set(seen) != set(expected) or any(n != 1 for n in seen.values()):
            problems.append(f"{len(seen)} invoices with lines, {sum(seen.values())} lines")
    return problems[:20]
