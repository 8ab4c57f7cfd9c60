"""Worker memory: resident set size (VmRSS) with 10,000 open conversations in the database.

The parent builds a temporary SQLite database: 10,000 commitments of 10 SOV lines, one
invoice contact each, one billing period, and 10,000 open conversations. By default the
conversations' persisted rows are generated directly (bulk insert of the state JSON the
real `step` produces after an invoice number and three line answers): through the real
service that would take ~10,000 turns. `--via service` creates them with the real
`ConversationService` instead (slower). Then a fresh worker process (this script with
`--worker`) imports what a worker imports (billbot and the channel libraries), opens the
engine and the `ConversationService`, processes two turns on a sample of the conversations,
and reports its RSS after each stage. Target: <= 150 MB.

    .venv/bin/python bench/bench_memory.py [--conversations 10000] [--sample 500]
        [--via rows|service]
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from machine import banner, verdict

TARGET_MB = 150.0
LINES = 10
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def rss_mb() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MB (MiB)."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    if not values:  # not Linux: the peak only
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return peak, peak
    return values["VmRSS"], values["VmHWM"]


# The parent: the database ---------------------------------------------------------------------


def build(url: str, conversations: int, via: str) -> None:
    from sqlmodel import Session

    from conversations.service import ConversationService, MemoryOutbox
    from conversations.types import Turn
    from models.conversation import Conversation
    from models.db import make_engine, upgrade
    from models.tables import (
        BillingPeriod,
        Commitment,
        CommitmentContact,
        Company,
        Person,
        Project,
        SovLine,
    )

    engine = make_engine(url)
    upgrade(engine)
    n = conversations

    def insert(model: Any, rows: list[dict[str, Any]]) -> None:
        with engine.begin() as connection:
            for start in range(0, len(rows), 5000):
                connection.execute(model.__table__.insert(), rows[start : start + 5000])

    insert(Company, [{"id": 1 + i, "key": f"co{i}", "name": f"Company {i}"} for i in range(n + 1)])
    insert(
        Person,
        [
            {"id": 1 + i, "key": f"p{i}", "company_id": 1 + i, "name": f"Contact {i}"}
            | {"email": f"p{i}@vendor{i}.test"}
            for i in range(n + 1)
        ],
    )
    insert(
        Project,
        [{"id": 1, "key": "tower", "name": "Harbor Tower", "number": "P-100", "company_id": 1}],
    )
    start = NOW.date().replace(day=1)
    insert(
        BillingPeriod,
        [
            {"id": 1, "key": "nov", "project_id": 1, "start": start}
            | {"end": start + timedelta(days=29), "billing_date": start + timedelta(days=24)}
            | {"due_date": start + timedelta(days=29)}
        ],
    )
    insert(
        Commitment,
        [
            {
                "id": 1 + i,
                "key": f"c{i}",
                "project_id": 1,
                "number": f"SC-{i:05d}",
                "title": f"Trade {i}",
                "kind": "subcontract",
                "vendor_id": 2 + i,
                "accounting_method": "unit" if i % 2 == 0 else "amount",
                "retainage_percent": Decimal(10),
                "allow_overbilling": False,
                "administrator_id": 1,
            }
            for i in range(n)
        ],
    )
    insert(CommitmentContact, [{"commitment_id": 1 + i, "person_id": 2 + i} for i in range(n)])
    insert(
        SovLine,
        [
            {"commitment_id": 1 + i, "number": str(k), "position": k, "description": f"Item {k}"}
            | (
                {"quantity": Decimal(200 * k), "unit_price": Decimal("12.50"), "uom": "LF"}
                | {"scheduled_value": None}
                if i % 2 == 0
                else {"scheduled_value": Decimal(20000 * k)}
                | {"quantity": None, "unit_price": None, "uom": None}
            )
            for i in range(n)
            for k in range(1, LINES + 1)
        ],
    )
    first = [Turn(action="start", channel="email")]
    answers = {
        "unit": "INV-1\n1: 50%\n2 - 30 units\n3: +10%",
        "amount": "INV-1\n1: 50%\n2 - $12,000\n3: +10%",
    }
    if via == "service":
        service = ConversationService(engine, outbox=MemoryOutbox(), clock=lambda: NOW)
        for i in range(n):
            method = "unit" if i % 2 == 0 else "amount"
            for turn in [*first, Turn(text=answers[method], channel="email")]:
                service.handle(person_id=2 + i, turn=turn, commitment_id=1 + i, period_id=1)
    else:
        # The state the real step reaches for one commitment of each kind, via the service,
        # then copied (with its own ids) into every other conversation row.
        service = ConversationService(engine, outbox=MemoryOutbox(), clock=lambda: NOW)
        states = {}
        for i, method in ((0, "unit"), (1, "amount")):
            for turn in [*first, Turn(text=answers[method], channel="email")]:
                service.handle(person_id=2 + i, turn=turn, commitment_id=1 + i, period_id=1)
            with Session(engine) as session:
                row = session.get(Conversation, i + 1)
                assert row is not None
                states[method] = json.loads(row.state)
        rows = []
        for i in range(2, n):
            state = dict(states["unit" if i % 2 == 0 else "amount"], commitment_id=1 + i)
            rows.append(
                {
                    "commitment_id": 1 + i,
                    "period_id": 1,
                    "last_person_id": 2 + i,
                    "last_channel": "email",
                    "status": "open",
                    "state": json.dumps(state, sort_keys=True),
                    "version": 2,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
        insert(Conversation, rows)
    engine.dispose()


# The worker process -----------------------------------------------------------------------


def stage(name: str, stages: list[tuple[str, float, float]]) -> None:
    rss, peak = rss_mb()
    stages.append((name, rss, peak))


def worker(url: str, sample: int, conversations: int) -> None:
    stages: list[tuple[str, float, float]] = []
    stage("interpreter started", stages)
    from sqlalchemy import func, select
    from sqlmodel import Session

    from conversations.service import ConversationService, MemoryOutbox
    from conversations.state import State
    from conversations.types import Turn
    from models.conversation import Conversation
    from models.db import make_engine

    stage("billbot core imported (sqlmodel, conversations, models)", stages)
    channels = []
    for module in ("slack_bolt", "slack_sdk", "aiosmtplib", "imap_tools", "mail.worker"):
        try:
            importlib.import_module(module)
            channels.append(module)
        except Exception as exc:  # a module being edited elsewhere must not stop the bench
            channels.append(f"{module} (not imported: {type(exc).__name__})")
    stage(f"channel libraries imported ({', '.join(channels)})", stages)
    engine = make_engine(url)
    service = ConversationService(engine, outbox=MemoryOutbox(), clock=lambda: NOW)
    with Session(engine) as session:
        open_rows = session.execute(
            select(func.count()).select_from(Conversation).where(Conversation.status == "open")
        ).scalar_one()
    stage("engine + ConversationService ready", stages)
    step = max(1, conversations // sample)
    handled = 0
    started = time.perf_counter()
    for i in range(0, conversations, step)[:sample]:
        for text in ("status", f"{4 + i % 3}: 25%"):
            turn = Turn(text=text, channel="email")
            service.handle(person_id=2 + i, turn=turn, commitment_id=1 + i, period_id=1)
            handled += 1
    spent = time.perf_counter() - started
    service.outbox = MemoryOutbox()  # a real outbox hands its replies on; drop them here too
    stage(f"after {handled} turns on {handled // 2} of the conversations", stages)
    with Session(engine) as session:
        rows = session.execute(select(Conversation.state)).scalars()
        states = [State.from_json(text) for text in rows]
    stage(f"(reference only) all {len(states):,} states parsed and held in memory", stages)
    print(
        json.dumps(
            {"stages": stages, "open": open_rows, "turns": handled, "seconds": spent},
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=500, help="conversations the worker uses")
    parser.add_argument("--via", choices=("rows", "service"), default="rows")
    parser.add_argument("--worker", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.sample, args.conversations)
        return
    banner("bench_memory: worker RSS with open conversations")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        started = time.perf_counter()
        build(url, args.conversations, args.via)
        size = (Path(folder) / "bench.db").stat().st_size / 2**20
        print(
            f"setup: {args.conversations:,} conversations created via "
            + (
                "the real ConversationService (2 turns each)"
                if args.via == "service"
                else "generated rows (state JSON from the real step, bulk-inserted)"
            )
            + f" in {time.perf_counter() - started:.1f} s; database {size:.1f} MB"
        )
        command = [sys.executable, __file__, "--worker", url]
        command += ["--sample", str(args.sample), "--conversations", str(args.conversations)]
        output = subprocess.run(command, capture_output=True, text=True)
        if output.returncode:
            sys.exit(f"the worker failed:\n{output.stderr}")
    report = json.loads(output.stdout.strip().splitlines()[-1])
    print(f"worker: {report['open']:,} open conversations in the database")
    print(f"  {'stage':<88} {'VmRSS':>8} {'VmHWM':>8}")
    for name, rss, peak in report["stages"]:
        print(f"  {name:<88} {rss:6.1f}MB {peak:6.1f}MB")
    print(
        f"  ({report['turns']} turns in {report['seconds']:.1f} s: "
        f"{report['turns'] / report['seconds']:.0f} turns/s)"
    )
    working = report["stages"][-2]
    print(
        f"worker RSS after its turns: {working[1]:.1f} MB (peak {working[2]:.1f} MB)  "
        + verdict(working[1], TARGET_MB, higher_is_better=False, unit="MB")
    )


if __name__ == "__main__":
    main()
