"""Email end to end: IMAP fetch -> understand -> commit -> SMTP delivered, against real servers.

Starts Dovecot (IMAP + LMTP) and the aiosmtpd SMTP -> LMTP front door of
`tests.servers.mailserver.MailServer`, a billbot SQLite site with N cloned commitments (one
invoice contact and one invitation each), and puts N replies into the billing mailbox, each
to `billing+<token>@...` with a realistic answer (`INV-1000\\n1: 20%\\n2: 5 units`) above a
quoted invitation. Timed: `MailWorker.receive_once()` + `deliver_once()` until every message
is processed and every reply delivered. Target: >= 100 replies/s.

Then the raw baseline against the same servers: the same N messages again (a second copy),
fetched with imap-tools in the same pattern (unseen, 50 at a time, flagged seen after), and
the very replies billbot sent (their MIME bytes, built beforehand) sent with aiosmtplib, one
connection per 50 as billbot does. Target: billbot <= 2.0x the baseline's time.

When a target is missed, prints the top hotspots (cProfile) of a further, smaller batch
(a second answer in the same conversations), run with every thread hop inlined so that one
profiler sees it all. Never fails on timing.

    .venv/bin/python bench/bench_email.py [--replies 300] [--lines 10]
        [--profile auto|always|never]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import email.policy
import email.utils
import io
import json
import logging
import pstats
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
from bench_core import scaled_demo
from imap_tools import AND, MailBoxUnencrypted
from imap_tools.consts import MailMessageFlags
from machine import banner, verdict
from pydantic import SecretStr
from sqlalchemy import func
from sqlmodel import Session, col, select

import mail.intake
import mail.sender
from bot.settings import Settings
from mail.compose import build_message
from mail.config import MailSettings, Security
from mail.tokens import make_token
from mail.worker import MailWorker
from models.db import make_engine, session_scope, upgrade
from models.importer import import_text
from models.invitation import get_or_create_invitation
from models.outbox import OutboundMessage
from models.tables import BillingPeriod, Commitment, Person

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo, for `tests`
from tests.servers.mailserver import MailServer, MailServerError

RATE_TARGET = 100.0
RATIO_TARGET = 2.0
SECRET = "bench-secret-for-tokens"
BATCH = 50  # what ImapClient.fetch_unseen and MailWorker.deliver_once take per pass


def site_data(contacts: int, lines: int) -> dict[str, Any]:
    """`bench_core.scaled_demo`, its periods moved around today (November's is open now)."""
    data = scaled_demo(contacts, lines)
    today = datetime.now(UTC).date()

    def day(n: int) -> str:
        return (today + timedelta(days=n)).isoformat()

    periods = {p["key"]: p for p in data["billing_periods"]}
    periods["oct"].update(start=day(-45), end=day(-12), billing_date=day(-16), due_date=day(-12))
    periods["nov"].update(start=day(-11), end=day(10), billing_date=day(5), due_date=day(10))
    periods["dec"].update(start=day(11), end=day(40), billing_date=day(35), due_date=day(40))
    return data


def invite_all(engine: Any, contacts: int) -> list[tuple[int, str, bool]]:
    """One invitation per cloned contact: (invitation id, contact email, unit-based)."""
    found = []
    with session_scope(engine) as session:
        nov = session.exec(select(BillingPeriod).where(BillingPeriod.key == "nov")).one()
        expires = datetime.now(UTC) + timedelta(days=120)
        for i in range(contacts):
            person = session.exec(select(Person).where(Person.key == f"p{i}")).one()
            commitment = session.exec(select(Commitment).where(Commitment.key == f"c{i}")).one()
            assert person.id and commitment.id and nov.id
            invitation, _ = get_or_create_invitation(
                session,
                commitment_id=commitment.id,
                period_id=nov.id,
                person_id=person.id,
                expires_at=expires,
            )
            assert invitation.id is not None
            found.append((invitation.id, person.email, commitment.accounting_method == "unit"))
    return found


QUOTE = """\
> Harbor Tower: Jane Doe has invited you to bill.
>
> Hello,
>
> please bill November for {number}. Answer this email with your invoice number
> and, for each line, the work done this period (a percentage, an amount or units).
> For example:
>
>   Invoice number: INV-0042
>   1: 50%
>   2: 2 units
>
> Your invoice is due by the billing date. Thanks, Summit Billing"""


def reply(i: int, sender: str, to: str, text: str) -> bytes:
    """A subcontractor's reply as a mail client builds it (top-posted, quoted original)."""
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = f"Contact {i} <{sender}>"
    message["To"] = to
    message["Subject"] = "Re: Harbor Tower: Jane Doe has invited you to bill."
    message["Date"] = email.utils.formatdate(localtime=True)
    message["Message-ID"] = email.utils.make_msgid(domain="v.test")
    body = f"{text}\n\nThanks, Contact {i}\n\nOn Wed, Nov 25, 2026 Summit Billing <{to}> wrote:\n"
    message.set_content(body + QUOTE.format(number=f"SC-{1000 + i}"))
    return message.as_bytes()


def first_answer(i: int, unit: bool) -> str:
    return f"INV-{1000 + i}\n1: 20%\n2: 5 units" if unit else f"NW-{1000 + i}\n1: 20%\n2: $5,000"


def append_all(server: MailServer, user: str, raws: list[bytes]) -> None:
    with server.mailbox(user, "pw") as box:
        for raw in raws:
            box.append(raw, "INBOX", flag_set=())


def pending_email(engine: Any) -> int:
    with Session(engine) as session:
        statement = (
            select(func.count())
            .select_from(OutboundMessage)
            .where(
                col(OutboundMessage.channel) == "email", col(OutboundMessage.status) == "pending"
            )
        )
        return int(session.exec(statement).one())


async def drain(worker: MailWorker, expected: int) -> tuple[Counter[str], Counter[str]]:
    """receive_once + deliver_once until `expected` messages are in and the outbox is empty."""
    outcomes: Counter[str] = Counter()
    delivery: Counter[str] = Counter()
    idle = 0
    try:
        while True:
            received = await worker.receive_once()
            outcomes.update(r.outcome for r in received)
            report = await worker.deliver_once()
            delivery.update(sent=report.sent, retried=report.retried, failed=report.failed)
            if received or report.sent or report.retried or report.failed:
                idle = 0
                continue
            if (
                outcomes.total() >= expected
                and await asyncio.to_thread(pending_email, worker.engine) == 0
            ):
                return outcomes, delivery
            idle += 1
            if idle > 50:  # 5 s with nothing to do: report what we have
                print(f"(gave up waiting: {outcomes.total()} of {expected} messages received)")
                return outcomes, delivery
            await asyncio.sleep(0.1)
    finally:
        await asyncio.to_thread(worker.imap.close)
        await asyncio.to_thread(worker.lock.release)


def baseline_fetch(server: MailServer, user: str) -> int:
    """imap-tools: unseen, 50 at a time, BODY.PEEK, flagged seen after each batch."""
    fetched = 0
    with MailBoxUnencrypted(server.host, server.imap_port, timeout=30).login(user, "pw") as box:
        while True:
            batch = list(box.fetch(AND(seen=False), mark_seen=False, limit=BATCH, bulk=False))
            uids = [m.uid for m in batch if m.uid]
            if uids:
                box.flag(uids, MailMessageFlags.SEEN, True)
            fetched += len(batch)
            if len(batch) < BATCH:
                return fetched


async def baseline_send(server: MailServer, sender: str, mails: list[tuple[str, bytes]]) -> int:
    """aiosmtplib: one connection per 50 messages, as `deliver_due` does."""
    sent = 0
    for start in range(0, len(mails), BATCH):
        smtp = aiosmtplib.SMTP(hostname=server.smtp_host, port=server.smtp_port, timeout=30)
        await smtp.connect()
        for recipient, raw in mails[start : start + BATCH]:
            await smtp.sendmail(sender, [recipient], raw)
            sent += 1
        await smtp.quit()
    return sent


def warm_mailboxes(server: MailServer, sender: str, addresses: list[str]) -> None:
    """One small message to every recipient before any clock starts: Dovecot creates a
    mailbox at its first delivery (about twice the time of a later one), and that must fall
    neither on billbot, whose replies go first, nor on the baseline."""
    hello = EmailMessage()
    hello["From"], hello["Subject"] = sender, "mailbox warm-up"
    hello.set_content("warm-up\n")
    mails = []
    for address in addresses:
        del hello["To"]
        hello["To"] = address
        mails.append((address, hello.as_bytes()))
    asyncio.run(baseline_send(server, sender, mails))


# What `--breakdown` times: (owner, attribute, label), each call's wall time summed.
BREAKDOWN: list[tuple[Any, str, str]] = [
    (mail.intake.Intake, "process", "intake of one email (the five below and the rest)"),
    (mail.intake, "parse_mail", "  parse the MIME message"),
    (mail.intake, "inbound_seen", "  recorded before?"),
    (mail.intake, "route_mail", "  route (token, person, invoice status, subject)"),
    (mail.intake.Intake, "_with_template", "  answers typed into the quoted template"),
    (mail.intake.ConversationService, "handle", "  the turn (one transaction)"),
    (mail.sender, "build_message", "build the reply's MIME message"),
    (mail.sender.SmtpClient, "send", "SMTP send (flattening and the server's time)"),
    (mail.sender, "_finish", "the sent mark (its own commit)"),
]


@contextlib.contextmanager
def timed_calls(targets: list[tuple[Any, str, str]]) -> Iterator[dict[str, list[float]]]:
    """Wrap each target so that its calls' wall times are collected by label."""
    spent: dict[str, list[float]] = {label: [] for _, _, label in targets}
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in targets]

    def wrap(function: Any, label: str) -> Any:
        if asyncio.iscoroutinefunction(function):

            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                began = time.perf_counter()
                try:
                    return await function(*args, **kwargs)
                finally:
                    spent[label].append(time.perf_counter() - began)

            return timed_async

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label].append(time.perf_counter() - began)

        return timed

    for (owner, name, label), (_, _, function) in zip(targets, originals, strict=True):
        setattr(owner, name, wrap(function, label))
    try:
        yield spent
    finally:
        for owner, name, function in originals:
            setattr(owner, name, function)


def print_breakdown(spent: dict[str, list[float]], replies: int) -> None:
    print(
        "where billbot's time went (wall time of each call, per reply; the timing adds a little):"
    )
    for label, times in spent.items():
        print(f"  {label:<58} {sum(times) / max(replies, 1) * 1000:6.2f} ms ({len(times)} calls)")


@contextlib.contextmanager
def inline_threads() -> Iterator[None]:
    """`asyncio.to_thread` runs its function at once, in this thread (for one profiler)."""

    async def inline(function: Any, /, *args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    original = asyncio.to_thread
    asyncio.to_thread = inline  # type: ignore[assignment]
    try:
        yield
    finally:
        asyncio.to_thread = original


def run(args: argparse.Namespace) -> None:
    n = args.replies
    with tempfile.TemporaryDirectory(prefix="billbot-bench-email-") as folder:
        root = Path(folder)
        server = MailServer()  # its own folder, readable by Dovecot's users
        billing = "billing@summit.test"
        server.add_user(billing, "pw")
        for i in range(n):
            server.add_user(f"p{i}@v.test", "pw")
        for extra in ("jane@summit.test", "sam@acme.test", "maria@northwind.test"):
            server.add_user(extra, "pw")
        try:
            server.start()
        except MailServerError as exc:
            print(f"skipped: mail servers unavailable: {exc}")
            return
        try:
            measure(args, server, root, billing)
        finally:
            server.close()


def measure(args: argparse.Namespace, server: MailServer, root: Path, billing: str) -> None:
    n = args.replies
    started = time.perf_counter()
    engine = make_engine(f"sqlite:///{root / 'billbot.db'}")
    upgrade(engine)
    import_text(engine, text=json.dumps(site_data(n, args.lines)))
    invitations = invite_all(engine, n)
    settings = Settings(
        database_url=str(engine.url),
        attachments_dir=root / "files",
        mail=MailSettings(
            address=billing,
            display_name="Summit Billing",
            imap_host=server.imap_host,
            imap_port=server.imap_port,
            imap_user=billing,
            imap_password=SecretStr("pw"),
            imap_security=Security.none,
            smtp_host=server.smtp_host,
            smtp_port=server.smtp_port,
            smtp_security=Security.none,
            secret=SecretStr(SECRET),
            poll_seconds=0.5,
        ),
    )
    to = {
        iid: f"billing+{make_token(SECRET.encode(), iid)}@summit.test" for iid, _, _ in invitations
    }
    raws = [
        reply(i, address, to[iid], first_answer(i, unit))
        for i, (iid, address, unit) in enumerate(invitations)
    ]
    append_all(server, billing, raws)
    warm_mailboxes(server, billing, [address for _, address, _ in invitations])
    mean_size = sum(map(len, raws)) / len(raws)
    print(
        f"setup: Dovecot + SMTP->LMTP, SQLite site with {n} contacts/invitations "
        f"({args.lines}-line commitments), {n} replies appended (mean {mean_size:,.0f} bytes): "
        f"{time.perf_counter() - started:.1f} s"
    )

    # 1. billbot -----------------------------------------------------------------------------
    worker = MailWorker(engine, settings)
    with timed_calls(BREAKDOWN if args.breakdown else []) as spent:
        started = time.perf_counter()
        outcomes, delivery = asyncio.run(drain(worker, n))
        billbot = time.perf_counter() - started
    with Session(engine) as session:
        rows = list(
            session.exec(
                select(OutboundMessage).where(
                    col(OutboundMessage.channel) == "email", col(OutboundMessage.status) == "sent"
                )
            )
        )
        replies = [
            (row.recipient, build_message(row, settings.mail, settings.attachments_dir))
            for row in rows
        ]
    sent = delivery["sent"]
    rate = sent / billbot
    print(f"\n-- 1. billbot: MailWorker.receive_once() + deliver_once(), {n} messages")
    print(f"inbound outcomes: {dict(outcomes)}; delivery: {dict(delivery)}")
    print(
        f"time {billbot:.2f} s: {n / billbot:,.1f} messages/s, {rate:,.1f} replies/s "
        f"({billbot / max(sent, 1) * 1000:.1f} ms per reply)"
    )
    print(verdict(rate, RATE_TARGET, higher_is_better=True, unit="replies/s"))
    if args.breakdown:
        print_breakdown(spent, sent)

    # 2. raw baseline ------------------------------------------------------------------------
    wire = [(recipient, message.as_bytes()) for recipient, message in replies]
    append_all(server, billing, raws)  # the same messages again, unseen
    started = time.perf_counter()
    fetched = baseline_fetch(server, billing)
    fetch_time = time.perf_counter() - started
    delivered = asyncio.run(baseline_send(server, billing, wire))
    baseline = time.perf_counter() - started
    ratio = billbot / baseline
    mean_reply = sum(len(raw) for _, raw in wire) / max(len(wire), 1)
    print("\n-- 2. raw baseline: imap-tools fetch + aiosmtplib send, same servers")
    print(
        f"fetched {fetched} in {fetch_time:.2f} s, sent {delivered} (the same replies, "
        f"mean {mean_reply:,.0f} bytes) in {baseline - fetch_time:.2f} s: total {baseline:.2f} s "
        f"({delivered / baseline:,.1f} replies/s)"
    )
    print(f"billbot / baseline = {billbot:.2f} s / {baseline:.2f} s = {ratio:.2f}x")
    print(verdict(ratio, RATIO_TARGET, higher_is_better=False, unit="x the baseline"))

    missed = rate < RATE_TARGET or ratio > RATIO_TARGET
    if args.profile == "always" or (args.profile == "auto" and missed):
        profile_batch(args, server, engine, settings, billing, invitations)
    engine.dispose()


def profile_batch(
    args: argparse.Namespace,
    server: MailServer,
    engine: Any,
    settings: Settings,
    billing: str,
    invitations: list[tuple[int, str, bool]],
) -> None:
    """A second answer in the first 100 conversations, profiled with the threads inlined."""
    sample = invitations[:100]
    raws = [
        reply(i, address, f"billing+{make_token(SECRET.encode(), iid)}@summit.test", "3: 20%")
        for i, (iid, address, _) in enumerate(sample)
    ]
    append_all(server, billing, raws)
    worker = MailWorker(engine, settings)
    profile = cProfile.Profile()
    started = time.perf_counter()
    with inline_threads():
        profile.enable()
        outcomes, delivery = asyncio.run(drain(worker, len(raws)))
        profile.disable()
    spent = time.perf_counter() - started
    print(
        f"\nhotspots (cProfile, {len(raws)} further messages, threads inlined, "
        f"{dict(outcomes)}, {dict(delivery)}, {spent:.2f} s under the profiler):"
    )
    print_hotspots(pstats.Stats(profile))


def print_hotspots(stats: pstats.Stats, count: int = 15) -> None:
    """The top `count` functions by own time, then billbot's own by cumulative time."""
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(count)
    out.write(f"-- billbot functions by cumulative time (top {count * 2}):\n")
    stats.sort_stats("cumulative").print_stats(r"/(mail|bot|conversations|models)/", count * 2)
    skip = ("Ordered by", "List reduced")
    lines = out.getvalue().splitlines()
    print("\n".join(x for x in lines if x.strip() and not x.lstrip().startswith(skip)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=300, help="reply emails (and contacts)")
    parser.add_argument("--lines", type=int, default=10, help="SOV lines per commitment")
    parser.add_argument(
        "--breakdown", action="store_true", help="time billbot's main steps per reply"
    )
    parser.add_argument("--profile", choices=("auto", "always", "never"), default="auto")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    banner("bench_email: email end to end, replies per second")
    run(args)


if __name__ == "__main__":
    main()
