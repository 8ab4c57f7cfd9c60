"""Conversation core throughput: the pure `step` in memory, and persisted turns on SQLite.

1. In memory: `conversations.flow.step` over a realistic conversation on a hand-built
   10-line context (unit-based and amount-based alternately): start, invoice number,
   `1: 50%`, `2 - 30 units`, one message answering every other line, `back`, `status`,
   a corrected answer, `review`, `draft`. Target: >= 5,000 turns/s.
2. Persisted: the real `ConversationService` on a temporary SQLite file holding the demo
   data plus many cloned commitments (one invoice contact each, October approved), the
   same conversation on each, turns interleaved so that consecutive turns hit different
   rows. A turn is everything the service does (load, lock, step, save, queue the replies;
   by default the replies are rendered and written as outbox rows, as a channel does).
   Target: >= 1,000 turns/s.

Prints turns/s and p50/p99 per-turn latency; when a target is missed, the top 10 hotspots
(cProfile). Never fails on timing.

    .venv/bin/python bench/bench_core.py [--seconds 5] [--conversations 300]
        [--outbox row|memory] [--profile auto|always|never] [--only memory|sqlite]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import json
import pstats
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from machine import banner, latency_line, verdict
from sqlalchemy import event
from sqlmodel import Session, select

import conversations.service as service_module
from conversations.context import CommitmentInfo, Context, PeriodInfo
from conversations.flow import step
from conversations.plaintext import as_text
from conversations.service import ConversationService, MemoryOutbox
from conversations.state import State
from conversations.types import Reply, Turn
from models.billing import LineHistory, LineTerms
from models.conversation import Conversation
from models.db import make_engine, upgrade
from models.demo import demo_text
from models.importer import import_text
from models.outbox import add_outbound
from models.tables import AccountingMethod, BillingPeriod, Commitment, Person

D = Decimal
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # inside the demo's November period
CORE_TARGET = 5_000.0
PERSISTED_TARGET = 1_000.0
RATIO_TARGET = 3.0  # a persisted turn's mean at most 3x the pure step()'s
LINE_STATEMENTS = 5  # SQL statements of a turn that answers one line
LINE_ANSWERS = frozenset({"1: 50%", "2 - 30 units", "2 - $12,000", "3: 30%"})

# Answers for lines 3.. in the one message that answers everything else.
UNIT_ANSWERS = (
    "{n}: 25%",
    "{n} - 12 units",
    "{n} skip",
    "{n}: +10%",
    "{n}: $4,500",
    "{n}: 40%",
    "{n}: 5 units",
    "{n}: 30%",
)
AMOUNT_ANSWERS = (
    "{n}: 25%",
    "{n} - $8,000",
    "{n} skip",
    "{n}: +10%",
    "{n}: 40% stored $2,000",
    "{n} done",
    "{n}: $4,500",
    "{n}: 30%",
)


def script(method: AccountingMethod, lines: int) -> list[Turn]:
    """One contact's conversation, turn by turn (the first is the invite's Start button)."""
    unit = method == AccountingMethod.unit
    answers = UNIT_ANSWERS if unit else AMOUNT_ANSWERS
    rest = "\n".join(answers[(n - 3) % len(answers)].format(n=n) for n in range(3, lines + 1))
    texts = [
        "INV-0042" if unit else "NW-1002",
        "1: 50%",
        "2 - 30 units" if unit else "2 - $12,000",
        *([rest] if rest else []),
        "back",
        "status",
        "3: 30%" if lines >= 3 else "1: 55%",
        "review",
        "draft",
    ]
    return [Turn(action="start", channel="email")] + [
        Turn(text=text, channel="email") for text in texts
    ]


def turn_label(turn: Turn) -> str:
    if turn.action:
        return f"[{turn.action}]"
    if "\n" in turn.text:
        return f"multi ({turn.text.count(chr(10)) + 1} answers)"
    return turn.text


# Line n: unit-based 200n LF at $12.50, or amount-based $20,000n; 10 % billed in October.
def unit_line(n: int) -> dict[str, str]:
    return {
        "number": str(n),
        "description": f"Conduit run {n}",
        "uom": "LF",
        "quantity": str(200 * n),
        "unit_price": "12.50",
    }


def amount_line(n: int) -> dict[str, str]:
    return {
        "number": str(n),
        "description": f"Ductwork zone {n}",
        "cost_code": f"23-{3100 + n}",
        "scheduled_value": f"{20000 * n}.00",
    }


def hand_built_context(method: AccountingMethod, lines: int) -> Context:
    """A context like `gather.build_context` makes, without a database (as tests/test_dialogue)."""
    unit = method == AccountingMethod.unit
    terms = tuple(
        LineTerms(
            str(n),
            f"Conduit run {n}" if unit else f"Ductwork zone {n}",
            method,
            scheduled_value=None if unit else D(20000 * n),
            quantity=D(200 * n) if unit else None,
            unit_price=D("12.50") if unit else None,
            uom="LF" if unit else None,
            retainage_percent=D(10) if unit else D(5),
        )
        for n in range(1, lines + 1)
    )
    histories = {
        t.number: LineHistory(
            previous_quantity=t.quantity / 10 if t.quantity else D(0),
            previous_value=t.value / 10,
            retainage_held=t.value / 10 * t.retainage_percent / 100,
        )
        for t in terms
    }
    previous = "INV-0041" if unit else "NW-1001"
    return Context(
        now=NOW,
        today=NOW.date(),
        person_name="Sam Sparks" if unit else "Maria Lopez",
        commitment=CommitmentInfo(
            id=1 if unit else 2,
            number="SC-007" if unit else "SC-011",
            title="Electrical" if unit else "Mechanical",
            project_name="Harbor Tower",
            method=method,
            retainage_percent=D(10) if unit else D(5),
            administrator_name="Jane Doe",
        ),
        period=PeriodInfo(
            2, date(2026, 11, 1), date(2026, 11, 30), date(2026, 11, 25), date(2026, 11, 30)
        ),
        lines=terms,
        histories=histories,
        used_numbers=frozenset({previous}),
        previous_number=previous,
        timezone="America/Chicago",
    )


def hotspots(profile: cProfile.Profile, count: int = 10) -> str:
    """The top `count` functions by own time, then billbot's own by cumulative time."""
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(count)
    out.write(f"-- billbot functions by cumulative time (top {count * 3}):\n")
    stats.sort_stats("cumulative").print_stats(r"/(conversations|models)/", count * 3)
    lines = [
        line
        for line in out.getvalue().splitlines()
        if line.strip() and not line.lstrip().startswith(("Ordered by", "List reduced"))
    ]
    return "\n".join(lines)


# 1. In memory -------------------------------------------------------------------------------


def run_memory(seconds: float, lines: int, profile_mode: str) -> float:
    """Returns the mean time of one `step` (seconds)."""
    print(f"\n-- 1. pure step() in memory: hand-built {lines}-line contexts, {seconds:g} s")
    conversations = [
        (hand_built_context(method, lines), script(method, lines))
        for method in (AccountingMethod.unit, AccountingMethod.amount)
    ]
    for ctx, turns in conversations:  # warm-up (regex compilation, caches)
        play(ctx, turns)
    latencies: list[float] = []
    by_label: dict[str, list[float]] = {}
    kinds: Counter[str] = Counter()
    clock = time.perf_counter
    started = clock()
    deadline = started + seconds
    for ctx, turns in itertools.cycle(conversations):
        state = State(commitment_id=ctx.commitment.id if ctx.commitment else None, period_id=2)
        for turn in turns:
            before = clock()
            state, replies = step(state, turn, ctx)
            spent = clock() - before
            latencies.append(spent)
            by_label.setdefault(turn_label(turn), []).append(spent)
            kinds.update(reply.kind.value for reply in replies)
        if clock() >= deadline:
            break
    elapsed = clock() - started
    rate = len(latencies) / sum(latencies)
    print(
        f"turns: {len(latencies):,} in {elapsed:.2f} s: {rate:,.0f} turns/s in step() "
        f"({len(latencies) / elapsed:,.0f} turns/s with the benchmark loop)"
    )
    print(f"per turn: {latency_line(latencies)}")
    print(f"reply kinds: {dict(kinds)}")
    print("mean per turn kind (both contexts):")
    for label, values in by_label.items():
        print(f"  {label:<28} {sum(values) / len(values) * 1e6:8.0f} us")
    print(verdict(rate, CORE_TARGET, higher_is_better=True, unit="turns/s"))
    if profile_mode == "always" or (profile_mode == "auto" and rate < CORE_TARGET):
        profile = cProfile.Profile()
        profile.enable()
        for ctx, turns in conversations * 100:
            play(ctx, turns)
        profile.disable()
        print(f"hotspots of step() (cProfile, {len(conversations) * 100} conversations):")
        print(hotspots(profile))
    return sum(latencies) / len(latencies)


def play(ctx: Context, turns: Sequence[Turn]) -> State:
    state = State(commitment_id=ctx.commitment.id if ctx.commitment else None, period_id=2)
    for turn in turns:
        state, _ = step(state, turn, ctx)
    return state


# 2. Persisted on SQLite ---------------------------------------------------------------------


def scaled_demo(clones: int, lines: int) -> dict[str, Any]:
    """The demo data plus `clones` commitments (unit/amount alternately), one contact each."""
    data = json.loads(demo_text())
    for i in range(clones):
        unit = i % 2 == 0
        data["companies"].append({"key": f"v{i}", "name": f"Vendor {i}"})
        data["people"].append(
            {"key": f"p{i}", "company": f"v{i}", "name": f"Contact {i}", "email": f"p{i}@v.test"}
        )
        data["commitments"].append(
            {
                "key": f"c{i}",
                "project": "tower",
                "number": f"SC-{1000 + i}",
                "title": f"Trade {i}",
                "kind": "subcontract",
                "vendor": f"v{i}",
                "accounting_method": "unit" if unit else "amount",
                "retainage_percent": "10" if unit else "5",
                "invoice_contacts": [f"p{i}"],
                "administrator": "jane",
                "lines": [(unit_line if unit else amount_line)(n) for n in range(1, lines + 1)],
            }
        )
        october = [
            {"line": str(n), "new_quantity": str(20 * n)}
            if unit
            else {"line": str(n), "new_value": f"{2000 * n}.00"}
            for n in range(1, lines + 1)
        ]
        data["invoices"].append(
            {
                "commitment": f"c{i}",
                "period": "oct",
                "number": "INV-0041" if unit else "NW-1001",
                "status": "approved",
                "lines": october,
            }
        )
    return data


class RowOutbox:
    """Renders each reply as text and writes it as an `outbound_message` row, in the turn's
    transaction, as the channels' outboxes do (`models.outbox.add_outbound`; without the email
    channel's MIME and threading)."""

    def __init__(self) -> None:
        self.counter = itertools.count(1)

    def queue(
        self,
        session: Session,
        conversation: Conversation | None,
        person: Person,
        replies: Sequence[Reply],
    ) -> None:
        for reply in replies:
            add_outbound(
                session,
                channel="email",
                recipient=person.email,
                subject=reply.title,
                body_text=as_text(reply),
                message_id=f"<bench-{next(self.counter)}@billbot.test>",
                conversation_id=conversation.id if conversation else None,
            )


def run_sqlite(
    conversations: int, lines: int, outbox_kind: str, profile_mode: str, pure: float | None
) -> None:
    print(
        f"\n-- 2. ConversationService.handle on SQLite: demo data + {conversations} cloned "
        f"{lines}-line commitments, one conversation each, outbox={outbox_kind}"
    )
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        started = time.perf_counter()
        upgrade(engine)
        import_text(engine, text=json.dumps(scaled_demo(conversations, lines)))
        print(f"setup (migrate + import): {time.perf_counter() - started:.1f} s")
        with Session(engine) as session:
            # The rows themselves: a channel's gate reads the person with the message's routing
            # and hands the row over (`handle(person=...)`), so the turn does not read it again.
            people = {p.key: p for p in session.exec(select(Person))}
            nov = session.exec(select(BillingPeriod).where(BillingPeriod.key == "nov")).one().id
            keys = {c.key: (c.id, c.accounting_method) for c in session.exec(select(Commitment))}
        outbox: Any = RowOutbox() if outbox_kind == "row" else MemoryOutbox()
        service = ConversationService(engine, outbox=outbox, clock=lambda: NOW)
        jobs = []  # (person, commitment_id, turns)
        for i in range(conversations):
            commitment_id, method = keys[f"c{i}"]
            jobs.append((people[f"p{i}"], commitment_id, script(AccountingMethod(method), lines)))
        # Warm-up, not counted: the demo's own two commitments and contacts.
        for person, commitment in (("sam", "sc7"), ("maria", "sc11")):
            commitment_id, method = keys[commitment]
            for turn in script(AccountingMethod(method), 2 if commitment == "sc7" else 6):
                service.handle(
                    person=people[person], turn=turn, commitment_id=commitment_id, period_id=nov
                )
        calls = [
            (person, commitment_id, turns[index])
            for index in range(max(len(turns) for _, _, turns in jobs))
            for person, commitment_id, turns in jobs
            if index < len(turns)
        ]
        statements: Counter[str] = Counter()
        this_turn: list[int] = [0]

        def count(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
            statements[sql.lstrip().split(None, 1)[0].upper()] += 1
            this_turn[0] += 1

        event.listen(engine, "before_cursor_execute", count)
        # What the service hands `step` (the state read, the turn, the context it built), to
        # replay the same computation in memory afterwards: the pure core of these very turns.
        # Every 10th turn (all kinds of turn, as they interleave across conversations): kept
        # all, they are enough live objects for a full garbage collection to stall a turn.
        inputs: list[tuple[State, Turn, Context]] = []
        seen = itertools.count()

        def kept_step(state: State, turn: Turn, ctx: Context) -> Any:
            if next(seen) % 10 == 0:
                inputs.append((state, turn, ctx))
            return step(state, turn, ctx)

        service_module.step = kept_step
        latencies: list[float] = []
        kinds: Counter[str] = Counter()
        clock = time.perf_counter
        started = clock()
        line_answers: list[int] = []  # statements of the turns answering one line
        for person, commitment_id, turn in calls:
            this_turn[0] = 0
            before = clock()
            result = service.handle(
                person=person, turn=turn, commitment_id=commitment_id, period_id=nov
            )
            latencies.append(clock() - before)
            if turn.text in LINE_ANSWERS:
                line_answers.append(this_turn[0])
            kinds.update(reply.kind.value for reply in result.replies)
        elapsed = clock() - started
        service_module.step = step
        rate = len(latencies) / elapsed
        print(f"turns: {len(latencies):,} in {elapsed:.2f} s: {rate:,.0f} turns/s")
        print(f"per turn: {latency_line(latencies)}")
        event.remove(engine, "before_cursor_execute", count)
        per_turn = ", ".join(f"{k} {v / len(calls):.1f}" for k, v in statements.most_common())
        print(f"SQL statements per turn: {statements.total() / len(calls):.1f} ({per_turn})")
        answering = max(line_answers) if line_answers else 0
        print(
            f"SQL statements answering a line ({', '.join(sorted(LINE_ANSWERS))}): at most "
            f"{answering} — target <= {LINE_STATEMENTS}: "
            + ("met" if answering <= LINE_STATEMENTS else "MISSED")
        )
        if pure:
            ratio = (elapsed / len(latencies)) / pure
            print(
                f"persisted turn / pure step(), means: {elapsed / len(latencies) * 1e3:.2f} ms / "
                f"{pure * 1e3:.3f} ms = {ratio:.1f}x — target <= {RATIO_TARGET:g}x: "
                + ("met" if ratio <= RATIO_TARGET else "MISSED")
            )
        same = same_inputs_step(inputs)
        ratio = (elapsed / len(latencies)) / same
        print(
            f"persisted turn / pure step() of the same turns ({len(inputs):,}, every 10th: the "
            f"states, turns and contexts the service built, replayed in memory), means: "
            f"{elapsed / len(latencies) * 1e3:.2f} ms / {same * 1e3:.3f} ms = {ratio:.1f}x — "
            f"target <= {RATIO_TARGET:g}x: " + ("met" if ratio <= RATIO_TARGET else "MISSED")
        )
        print(
            f"commitment data kept between turns (conversations/cache.py): "
            f"{service.cache.hits:,} turns used it, {service.cache.misses:,} read it"
        )
        floor = durable_commit_floor(Path(folder) / "bench.db")
        print(
            f"floor, the stdlib driver alone: BEGIN IMMEDIATE + one UPDATE + COMMIT on the same "
            f"file (WAL, synchronous FULL, as billbot commits): mean {floor * 1e3:.3f} ms"
            + (f" = {floor / pure:.1f}x the pure step()" if pure else "")
        )
        print(f"reply kinds: {dict(kinds)}")
        print(verdict(rate, PERSISTED_TARGET, higher_is_better=True, unit="turns/s"))
        if profile_mode == "always" or (profile_mode == "auto" and rate < PERSISTED_TARGET):
            sample = [call for call in calls if call[1] in {jobs[0][1], jobs[1][1]}]
            # Replay two conversations' turns (their rows exist now: a resumed conversation).
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(5):
                for person, commitment_id, turn in sample:
                    service.handle(
                        person=person, turn=turn, commitment_id=commitment_id, period_id=nov
                    )
            profile.disable()
            print(f"hotspots of handle() (cProfile, {len(sample) * 5} turns replayed):")
            print(hotspots(profile))
        engine.dispose()


def same_inputs_step(inputs: Sequence[tuple[State, Turn, Context]], rounds: int = 5) -> float:
    """The mean of the pure `step` over the inputs the service gave it, best of `rounds`
    replays: what a turn's dialogue costs without the database, on the same data (a context
    with the commitment's history and the replies a 10-line invoice gets)."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for state, turn, ctx in inputs:
            step(state, turn, ctx)
        best = min(best, (time.perf_counter() - started) / max(len(inputs), 1))
    return best


def durable_commit_floor(path: Path, count: int = 500) -> float:
    """Mean seconds of the smallest durable write a turn can make, with `sqlite3` alone: one
    conversation row's stamp changed in a `BEGIN IMMEDIATE` transaction and committed (a value
    left as it was would not be written at all)."""
    import sqlite3

    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        ids = [row[0] for row in connection.execute("SELECT id FROM conversation LIMIT 100")]
        clock = time.perf_counter
        started = clock()
        for n in range(count):
            connection.execute("BEGIN IMMEDIATE")
            stamp = f"2026-11-20 15:{n // 60 % 60:02d}:{n % 60:02d}.{n:06d}"  # a new value
            connection.execute(
                "UPDATE conversation SET updated_at = ? WHERE id = ?", (stamp, ids[n % len(ids)])
            )
            connection.execute("COMMIT")
        return (clock() - started) / count
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="in-memory run length")
    parser.add_argument("--conversations", type=int, default=300, help="SQLite conversations")
    parser.add_argument("--lines", type=int, default=10, help="SOV lines per commitment")
    parser.add_argument("--outbox", choices=("row", "memory"), default="row")
    parser.add_argument("--profile", choices=("auto", "always", "never"), default="auto")
    parser.add_argument("--only", choices=("memory", "sqlite"))
    args = parser.parse_args()
    banner("bench_core: conversation turns per second")
    pure = None
    if args.only != "sqlite":
        pure = run_memory(args.seconds, args.lines, args.profile)
    if args.only != "memory":
        run_sqlite(args.conversations, args.lines, args.outbox, args.profile, pure)


if __name__ == "__main__":
    main()
