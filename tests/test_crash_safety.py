"""Crash safety against the real servers: `billbot run` processes SIGKILLed at random moments.

While the replies of many contacts flow into the billing mailbox (Dovecot, over LMTP), the
workers are killed and restarted; at the end every reply was processed exactly once, each
was answered, and the only duplicates are the at most one email per kill that was sent but
not yet marked sent. Scale by environment variable: BILLBOT_CRASH_SQLITE_REPLIES (500),
BILLBOT_CRASH_PG_REPLIES (1000), BILLBOT_CRASH_KILLS (10), BILLBOT_CRASH_SEED (random).
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from models.db import make_engine
from tests.crash_support import (
    CrashSite,
    Feeder,
    Fleet,
    account,
    check_database,
    make_crash_site,
    overlapping_fetchers,
    progress,
    scale,
    wait_until_drained,
)
from tests.database import truncate_all
from tests.servers.mailserver import MailServer

# With the database-connection killers of test_faults, on one pytest-xdist worker in turn.
pytestmark = [pytest.mark.slow, pytest.mark.servers, pytest.mark.xdist_group("faults")]

KILLS = scale("BILLBOT_CRASH_KILLS", 10)
DRAIN_TIMEOUT = 180.0  # seconds the last workers get to finish (an email lease is 30 s)
FEED_TIMEOUT = 120.0


def crash_run(site: CrashSite, *, workers: int, label: str) -> None:
    seed = scale("BILLBOT_CRASH_SEED", random.randrange(1_000_000))
    rng = random.Random(seed)
    engine = site.engine()
    fleet = Fleet(site, workers)
    # The replies arrive over about as long as the kills take (2.5 s apart on average), so
    # that workers die while mail is being read and answered, not once all is done.
    chunks = max(len(site.replies) // 25, 1)
    feeder = Feeder(site, chunk=25, pause=KILLS * 2.5 / chunks)
    began = time.monotonic()
    print(f"\n[{label}] {len(site.replies)} replies, {workers} worker(s), seed {seed}")
    fleet.start_all()
    feeder.start()
    try:
        while fleet.kills < KILLS or (feeder.is_alive() and fleet.kills < 3 * KILLS):
            time.sleep(rng.uniform(1.0, 4.0))
            slot = rng.randrange(workers)
            fleet.kill(slot)
            now = progress(engine)
            print(
                f"  kill {fleet.kills:2d} worker {slot} at {time.monotonic() - began:5.1f} s: "
                f"{feeder.delivered} delivered, {now.inbound} recorded, "
                f"{now.sent} sent, {now.pending} pending"
            )
            fleet.start(slot)
        feeder.join(timeout=FEED_TIMEOUT)
        killed_at = time.monotonic()
        drained, last = wait_until_drained(site, engine, DRAIN_TIMEOUT)
        finished = time.monotonic()
    finally:
        codes = fleet.stop_all()
        logs = fleet.logs()
    assert feeder.error is None, feeder.error
    assert feeder.delivered == len(site.replies)
    assert drained, f"not drained: {last}\n{logs[-5000:]}"
    assert codes == [0] * workers, logs[-5000:]

    problems = check_database(site, engine)
    books = account(site)
    final = progress(engine)
    engine.dispose()
    print(
        f"  {fleet.kills} kills; drained {finished - killed_at:.1f} s after the last kill, "
        f"{finished - began:.1f} s in all\n"
        f"  inbound recorded {final.inbound}, outbox sent {final.sent}, failed {final.failed}; "
        f"mailboxes hold {books.messages} answers for {books.replies_found} replies, "
        f"{books.duplicates} duplicate(s) by Message-ID\n"
        f"  worker logs: {logs.count('Traceback')} tracebacks, "
        f"{logs.count(' ERROR ')} ERROR lines, "
        f"the mailbox lock was taken {logs.count('mailbox lock')} times"
    )
    assert problems == [], problems
    assert overlapping_fetchers(site.root) == []  # one worker fetched the mailbox at a time
    assert final.failed == 0
    assert books.missing == [], f"{len(books.missing)} replies never answered"
    assert books.answered_twice == [], f"{len(books.answered_twice)} replies processed twice"
    assert books.duplicates <= fleet.kills


def test_sigkilled_worker_on_sqlite_loses_nothing_and_processes_each_reply_once(
    isolated_mail_servers: MailServer, tmp_path: Path
) -> None:
    count = scale("BILLBOT_CRASH_SQLITE_REPLIES", 500)
    url = f"sqlite:///{tmp_path / 'billbot.db'}"
    site = make_crash_site(isolated_mail_servers, tmp_path, url, count)
    crash_run(site, workers=1, label="sqlite")


def test_three_workers_on_postgres_killed_at_random_lose_nothing(
    isolated_mail_servers: MailServer, postgres_url: str, tmp_path: Path
) -> None:
    count = scale("BILLBOT_CRASH_PG_REPLIES", 1000)
    engine = make_engine(postgres_url)
    truncate_all(engine)
    engine.dispose()
    site = make_crash_site(isolated_mail_servers, tmp_path, postgres_url, count)
    crash_run(site, workers=3, label="postgresql")
