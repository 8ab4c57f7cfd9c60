"""Reminder scan: `queue_due_reminders` over 100,000 (contact, commitment, period) rows.

Builds, with bulk inserts, several projects with one billing period each whose billing date
is 3 days ahead, 20,000 commitments with 5 invoice contacts each; a third of the commitments
have a sent invoice (`under_review`), a third a draft, a third nothing. Then times only
`queue_due_reminders(session, today=..., offsets=(3, 1, 0))` (commit timed apart), and a
second run, which must queue nothing. On SQLite (a temporary file) and on PostgreSQL
(127.0.0.1:5432, user postgres, a throwaway database `billbot_bench_<random>` dropped
afterwards; skipped with a message when there is no server). Target: <= 2 s per scan.

    .venv/bin/python bench/bench_reminders.py [--commitments 20000] [--contacts 5]
        [--projects 10] [--postgres-url URL] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from machine import banner, verdict
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from models.db import make_engine, upgrade
from models.reminders import Reminder, queue_due_reminders
from models.tables import (
    BillingPeriod,
    Commitment,
    CommitmentContact,
    Company,
    Invoice,
    Person,
    Project,
)

TARGET_SECONDS = 2.0
OFFSETS = (3, 1, 0)
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CHUNK = 5_000


def insert_rows(engine: Engine, model: Any, rows: list[dict[str, Any]]) -> None:
    """Bulk insert (executemany, batched by SQLAlchemy's insertmanyvalues), in chunks."""
    table = model.__table__
    with engine.begin() as connection:
        for start in range(0, len(rows), CHUNK):
            connection.execute(table.insert(), rows[start : start + CHUNK])


def build(engine: Engine, *, today: date, projects: int, commitments: int, contacts: int) -> None:
    now = datetime.now(UTC)
    billing = today + timedelta(days=3)
    insert_rows(
        engine,
        Company,
        [{"id": 1, "key": "gc", "name": "Summit Builders"}]
        + [{"id": 2 + i, "key": f"v{i}", "name": f"Vendor {i}"} for i in range(commitments)],
    )
    people = commitments * contacts
    insert_rows(
        engine,
        Person,
        [
            {
                "id": 1 + n,
                "key": f"p{n}",
                "company_id": 2 + n // contacts,
                "name": f"Contact {n}",
                "email": f"p{n}@vendor{n // contacts}.test",
            }
            for n in range(people)
        ],
    )
    insert_rows(
        engine,
        Project,
        [
            {"id": 1 + p, "key": f"prj{p}", "name": f"Project {p}", "number": f"P-{p}"}
            | {"company_id": 1, "timezone": "UTC"}
            for p in range(projects)
        ],
    )
    insert_rows(
        engine,
        BillingPeriod,
        [
            {
                "id": 1 + p,
                "key": f"per{p}",
                "project_id": 1 + p,
                "start": billing.replace(day=1),
                "end": billing + timedelta(days=5),
                "billing_date": billing,
                "due_date": billing + timedelta(days=5),
            }
            for p in range(projects)
        ],
    )
    insert_rows(
        engine,
        Commitment,
        [
            {
                "id": 1 + c,
                "key": f"c{c}",
                "project_id": 1 + c % projects,
                "number": f"SC-{c:05d}",
                "title": f"Trade {c}",
                "kind": "subcontract",
                "vendor_id": 2 + c,
                "accounting_method": "amount",
                "retainage_percent": Decimal(10),
                "allow_overbilling": False,
            }
            for c in range(commitments)
        ],
    )
    insert_rows(
        engine,
        CommitmentContact,
        [
            {"commitment_id": 1 + c, "person_id": 1 + c * contacts + k}
            for c in range(commitments)
            for k in range(contacts)
        ],
    )
    insert_rows(
        engine,
        Invoice,
        [
            {
                "commitment_id": 1 + c,
                "period_id": 1 + c % projects,
                "number": f"INV-{c}",
                "status": "under_review" if c % 3 == 0 else "draft",
                "created_at": now,
                "updated_at": now,
                "sent_at": now if c % 3 == 0 else None,
            }
            for c in range(commitments)
            if c % 3 != 2
        ],
    )
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))


def scan(engine: Engine, today: date) -> tuple[int, float, float, int, float]:
    """(reminders queued, seconds in queue_due_reminders, seconds to commit,
    SQL statements, seconds inside the driver's execute)."""
    driver = {"statements": 0, "seconds": 0.0}

    def before(connection: Any, *_args: Any) -> None:
        connection.info["bench_started"] = time.perf_counter()

    def after(connection: Any, *_args: Any) -> None:
        driver["seconds"] += time.perf_counter() - connection.info.pop("bench_started")
        driver["statements"] += 1

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        with Session(engine) as session:
            started = time.perf_counter()
            due = queue_due_reminders(session, today=today, offsets=OFFSETS)
            spent = time.perf_counter() - started
            started = time.perf_counter()
            session.commit()
            commit = time.perf_counter() - started
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    return len(due), spent, commit, int(driver["statements"]), driver["seconds"]


def run(name: str, engine: Engine, args: argparse.Namespace) -> None:
    today = date.today()
    rows = args.commitments * args.contacts
    print(f"\n-- {name}: {rows:,} (contact, commitment, period) rows")
    started = time.perf_counter()
    upgrade(engine)
    build(
        engine,
        today=today,
        projects=args.projects,
        commitments=args.commitments,
        contacts=args.contacts,
    )
    print(
        f"setup (migrate + bulk insert): {time.perf_counter() - started:.1f} s; "
        f"{args.projects} projects, {args.commitments:,} commitments x {args.contacts} contacts, "
        f"billing date {today + timedelta(days=3)}, ~1/3 sent, ~1/3 draft"
    )
    for label in ("first run", "second run"):
        queued, spent, commit, statements, in_driver = scan(engine, today)
        print(
            f"{label}: queue_due_reminders {spent:.3f} s, queued {queued:,} "
            f"(commit {commit:.3f} s)  "
            + verdict(spent, TARGET_SECONDS, higher_is_better=False, unit="s")
        )
        print(
            f"    {statements} SQL statements, {in_driver:.3f} s inside the driver's execute; "
            f"the other {spent - in_driver:.3f} s is Python (SQLAlchemy compiling, rows)"
        )
        if spent > 15:  # keep the whole benchmark bounded on a slow machine
            print("    (second run skipped: the first took over 15 s)")
            break
    with Session(engine) as session:
        stored = session.execute(select(func.count()).select_from(Reminder)).scalar_one()
        drafts = session.execute(
            select(func.count()).select_from(Reminder).where(Reminder.has_draft)
        ).scalar_one()
    print(f"reminder rows stored: {stored:,} ({drafts:,} to contacts with a draft)")


def with_sqlite(use: Callable[[Engine], None]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        try:
            use(engine)
        finally:
            engine.dispose()


def with_postgres(admin_url: str, use: Callable[[Engine], None]) -> None:
    url = make_url(admin_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=1):
            pass
    except OSError as exc:
        print(f"\n-- PostgreSQL: skipped, no server at {url.host}:{url.port or 5432} ({exc})")
        return
    name = f"billbot_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url.render_as_string(hide_password=False))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any driver error means: no usable server
        print(f"\n-- PostgreSQL: skipped, cannot create a database ({exc})")
        admin.dispose()
        return
    engine = make_engine(url.set(database=name).render_as_string(hide_password=False))
    try:
        use(engine)
    finally:
        engine.dispose()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        print(f"(dropped database {name})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commitments", type=int, default=20_000)
    parser.add_argument("--contacts", type=int, default=5, help="invoice contacts per commitment")
    parser.add_argument("--projects", type=int, default=10)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES, help="an admin URL")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    banner("bench_reminders: queue_due_reminders over (contact, commitment, period) rows")
    if args.only != "postgresql":
        with_sqlite(lambda engine: run("SQLite", engine, args))
    if args.only != "sqlite":
        with_postgres(args.postgres_url, lambda engine: run("PostgreSQL", engine, args))


if __name__ == "__main__":
    main()
