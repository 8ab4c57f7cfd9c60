"""Slack HTTP mode: how fast a `SlackWorker` acknowledges with many conversations in flight.

Starts the Slack Web API emulator (`tests.slack_emulator.SlackEmulator`, in a thread of this
process), a billbot SQLite site with N cloned commitments (one invoice contact each, with a
Slack user id registered in the emulator) and an invitation per contact, and a `SlackWorker`
serving HTTP at `/slack/events` on a free port in a process of its own (so that the load
generator does not share its interpreter). The worker delivers the invite DMs; then N
simulated users, concurrently (asyncio + aiohttp), each play one conversation of signed
requests: the invite's Start button (`block_actions`), the invoice number, `1: 20%`,
`2: 5 units`, one message answering the other lines, `review` (`message.im` events in the
invite's thread), and
the review's Save draft button once the review has reached the emulator. Measured: request
sent -> HTTP response (the ack), p50/p95/p99/max, requests/s, and that every request got 200.
Target: p99 <= 50 ms with 200 conversations in flight.

When the target is missed, the load is replayed on fresh conversations with the worker
process profiled (cProfile; its `asyncio.to_thread` calls inlined so one profiler sees the
turns) and the top hotspots are printed. Never fails on timing.

    .venv/bin/python bench/bench_slack.py [--users 200] [--lines 10] [--think 0]
        [--profile auto|always|never]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import logging
import multiprocessing
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from bench_email import inline_threads, print_hotspots, site_data
from machine import banner, percentile, verdict
from pydantic import SecretStr
from sqlmodel import select

from bot.settings import Settings, SlackSettings
from bot.slack.invite import queue_slack_invite
from bot.slack.worker import SlackWorker
from models.db import make_engine, session_scope, upgrade
from models.importer import import_text
from models.invitation import get_or_create_invitation
from models.tables import BillingPeriod, Commitment, Person

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo, for `tests`
from tests.slack_emulator import (
    SlackEmulator,
    block_actions,
    button_action,
    event_callback,
    message_event,
    signed_event,
    signed_interaction,
)

P99_TARGET = 0.050
SOLO = 5  # conversations played alone first: the ack without queueing
SECRET = "bench-signing-secret"


def settings_for(db_url: str, files: str, api_url: str, bot_token: str) -> Settings:
    return Settings(
        database_url=db_url,
        attachments_dir=Path(files),
        slack=SlackSettings(
            bot_token=SecretStr(bot_token),
            signing_secret=SecretStr(SECRET),
            api_url=api_url,
            port=0,
        ),
    )


# The worker process ---------------------------------------------------------------------------


def serve(
    db_url: str, files: str, api_url: str, bot_token: str, profile_path: str, pipe: Any
) -> None:
    """Run a SlackWorker until told to stop; profile it when `profile_path` is set."""
    logging.basicConfig(level=logging.ERROR)
    engine = make_engine(db_url)
    settings = settings_for(db_url, files, api_url, bot_token)

    async def main() -> None:
        worker = SlackWorker(engine, settings, poll_seconds=0.2)
        stop, ready = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(worker.run_forever(stop, ready=ready))
        await asyncio.wait_for(ready.wait(), timeout=30)
        pipe.send(worker.port)
        await asyncio.get_running_loop().run_in_executor(None, pipe.recv)  # "stop"
        stop.set()
        await asyncio.wait_for(task, timeout=30)

    if not profile_path:
        asyncio.run(main())
        return
    profile = cProfile.Profile()
    with inline_threads():
        profile.enable()
        asyncio.run(main())
        profile.disable()
    profile.dump_stats(profile_path)


@contextlib.contextmanager
def worker_process(db_url: str, files: str, slack: SlackEmulator, profile_path: str = "") -> Any:
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(
        target=serve,
        args=(db_url, files, slack.base_url, slack.bot_token, profile_path, theirs),
        daemon=True,
    )
    process.start()
    try:
        if not ours.poll(60):
            raise RuntimeError("the SlackWorker process did not start")
        yield int(ours.recv())
    finally:
        with contextlib.suppress(OSError):
            ours.send("stop")
        process.join(30)
        if process.is_alive():
            process.kill()
            process.join()


# The site -------------------------------------------------------------------------------------


def slack_id(i: int) -> str:
    return f"U1B{i:06d}"


def build_site(root: Path, users: int, lines: int, slack: SlackEmulator) -> tuple[str, Settings]:
    data = site_data(users, lines)
    for person in data["people"]:
        key = person["key"]
        if key.startswith("p") and key[1:].isdigit():
            person["slack_user_id"] = slack_id(int(key[1:]))
            slack.add_user(slack_id(int(key[1:])), person["email"], person["name"])
    db_url = f"sqlite:///{root / 'billbot.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    import_text(engine, text=json.dumps(data))
    settings = settings_for(db_url, str(root / "files"), slack.base_url, slack.bot_token)
    expires = datetime.now(UTC) + timedelta(days=120)
    with session_scope(engine) as session:
        nov = session.exec(select(BillingPeriod).where(BillingPeriod.key == "nov")).one()
        for i in range(users):
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
            queue_slack_invite(session, invitation=invitation, settings=settings)
    engine.dispose()
    return db_url, settings


def find_button(message: dict[str, Any], action: str) -> tuple[str, dict[str, Any]] | None:
    """(block_id, button) of `message` whose engine action (or action_id) is `action`."""
    for block in message.get("blocks", []):
        elements = block.get("elements", []) if block.get("type") == "actions" else []
        if block.get("accessory"):
            elements = [block["accessory"]]
        for element in elements:
            if element.get("type") != "button":
                continue
            try:
                value = json.loads(element.get("value") or "{}")
            except ValueError:
                value = {}
            if action in (value.get("a"), element.get("action_id")):
                return block.get("block_id", ""), element
    return None


def click(user: str, message: dict[str, Any], action: str) -> tuple[str, str, str] | None:
    found = find_button(message, action)
    if found is None:
        return None
    block_id, element = found
    pressed = button_action(element["action_id"], element.get("value", ""), block_id=block_id)
    payload = block_actions(
        user=user, actions=[pressed], channel=message["channel"], message=message
    )
    headers, body = signed_interaction(SECRET, payload)
    return "block_actions", json.dumps(headers), body


def say(user: str, text: str, dm: dict[str, Any]) -> tuple[str, str, str]:
    event = message_event(user=user, text=text, channel=dm["channel"], thread_ts=dm["ts"])
    headers, body = signed_event(SECRET, event_callback(event))
    return "message.im", json.dumps(headers), body


async def wait_for(probe: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := probe()) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return found


# The load -------------------------------------------------------------------------------------


class Load:
    def __init__(self, url: str, slack: SlackEmulator, think: float, lines: int) -> None:
        self.url = url
        self.lines = lines
        self.slack = slack
        self.think = think
        self.latencies: dict[str, list[float]] = {}
        self.statuses: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()
        self.missing: Counter[str] = Counter()

    async def post(self, http: aiohttp.ClientSession, request: tuple[str, str, str]) -> None:
        kind, headers, body = request
        before = time.perf_counter()
        try:
            async with http.post(self.url, headers=json.loads(headers), data=body.encode()) as r:
                await r.read()
                status = r.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.errors[type(exc).__name__] += 1
            return
        spent = time.perf_counter() - before
        self.latencies.setdefault(kind, []).append(spent)
        self.statuses[status] += 1
        if self.think:
            await asyncio.sleep(random.uniform(0, 2 * self.think))

    async def conversation(self, http: aiohttp.ClientSession, i: int) -> None:
        user = slack_id(i)
        unit = i % 2 == 0  # bench_core.scaled_demo: unit-based and amount-based alternately
        dms = self.slack.messages_to(user)
        dm = next((m for m in dms if find_button(m, "start")), None)
        if dm is None:
            self.missing["invite"] += 1
            return
        start = click(user, dm, "start")
        assert start is not None
        await self.post(http, start)
        texts = [
            f"INV-{1000 + i}" if unit else f"NW-{1000 + i}",
            "1: 20%",
            "2: 5 units" if unit else "2: $5,000",
            "\n".join(f"{n}: 20%" for n in range(3, self.lines + 1)) or "status",
            "review",
        ]
        for text in texts:
            await self.post(http, say(user, text, dm))

        def review() -> dict[str, Any] | None:
            for message in reversed(self.slack.messages_to(user)):
                if message.get("thread_ts") == dm["ts"] and find_button(message, "draft"):
                    return message
            return None

        found = await wait_for(review, 30.0)
        request = click(user, found, "draft") if found else None
        if request is None:
            self.missing["review"] += 1
            return
        await self.post(http, request)

    async def run(self, users: range) -> float:
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            started = time.perf_counter()
            await asyncio.gather(*(self.conversation(http, i) for i in users))
            return time.perf_counter() - started


def line(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 0.50) * 1000:.1f} ms, p95 {percentile(values, 0.95) * 1000:.1f} "
        f"ms, p99 {percentile(values, 0.99) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms, "
        f"mean {statistics.fmean(values) * 1000:.1f} ms"
    )


def report(load: Load, elapsed: float, users: int) -> float:
    every = [v for values in load.latencies.values() for v in values]
    if not every:
        print("no request was answered")
        return float("inf")
    print(
        f"requests: {len(every):,} from {users} concurrent users in {elapsed:.2f} s "
        f"({len(every) / elapsed:,.1f} requests/s, including the waits for the reviews)"
    )
    print(f"HTTP statuses: {dict(load.statuses)}; client errors: {dict(load.errors) or 'none'}")
    if load.missing:
        print(f"not played (no invite / review seen in time): {dict(load.missing)}")
    all_200 = load.statuses.get(200, 0) == len(every) and not load.errors
    print(f"every request got 200: {'yes' if all_200 else 'NO'}")
    print(f"ack, all requests: {line(every)}")
    for kind, values in load.latencies.items():
        print(f"  {kind:<14} ({len(values):>5}): {line(values)}")
    return percentile(every, 0.99)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200, help="concurrent conversations")
    parser.add_argument("--lines", type=int, default=10, help="SOV lines per commitment")
    parser.add_argument(
        "--think", type=float, default=0.0, help="mean pause between a user's turns (s)"
    )
    parser.add_argument("--profile", choices=("auto", "always", "never"), default="auto")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    banner("bench_slack: Slack HTTP mode, acknowledgement latency")
    profiled_users = min(args.users, 30)
    with tempfile.TemporaryDirectory(prefix="billbot-bench-slack-") as folder:
        root = Path(folder)
        slack = SlackEmulator().start()
        try:
            started = time.perf_counter()
            total = args.users + profiled_users + SOLO
            db_url, _ = build_site(root, total, args.lines, slack)
            files = str(root / "files")
            with worker_process(db_url, files, slack) as port:
                url = f"http://127.0.0.1:{port}/slack/events"
                invited = asyncio.run(
                    wait_for(lambda: all(slack.messages_to(slack_id(i)) for i in range(total)), 60)
                )
                print(
                    f"setup: emulator, SQLite site with {total} contacts ({args.lines}-line "
                    f"commitments), SlackWorker (HTTP, own process) on port {port}, invite DMs "
                    f"{'delivered' if invited else 'NOT all delivered'}: "
                    f"{time.perf_counter() - started:.1f} s\n"
                )
                solo = Load(url, slack, args.think, args.lines)
                for i in range(args.users + profiled_users, total):
                    asyncio.run(solo.run(range(i, i + 1)))
                alone = [v for values in solo.latencies.values() for v in values]
                print(
                    f"reference, one conversation at a time ({SOLO} conversations, "
                    f"{len(alone)} requests, statuses {dict(solo.statuses)}): {line(alone)}"
                )
                print(
                    f"-- {args.users} concurrent conversations: Start button, 5 messages, "
                    f"Save draft button (think time {args.think:g} s)"
                )
                load = Load(url, slack, args.think, args.lines)
                elapsed = asyncio.run(load.run(range(args.users)))
                p99 = report(load, elapsed, args.users)
            print(verdict(p99 * 1000, P99_TARGET * 1000, higher_is_better=False, unit="ms p99"))
            if args.profile == "always" or (args.profile == "auto" and p99 > P99_TARGET):
                profile(
                    db_url, files, slack, args, range(args.users, args.users + profiled_users), root
                )
        finally:
            slack.stop()


def profile(
    db_url: str,
    files: str,
    slack: SlackEmulator,
    args: argparse.Namespace,
    users: range,
    root: Path,
) -> None:
    """The same load on fresh conversations, the worker process under cProfile."""
    path = str(root / "worker.prof")
    with worker_process(db_url, files, slack, path) as port:
        load = Load(f"http://127.0.0.1:{port}/slack/events", slack, args.think, args.lines)
        elapsed = asyncio.run(load.run(users))
        answered = sum(len(v) for v in load.latencies.values())
    print(
        f"\nhotspots of the worker process (cProfile, to_thread inlined, {len(users)} more "
        f"conversations, {answered} requests in {elapsed:.2f} s):"
    )
    print_hotspots(pstats.Stats(path))


if __name__ == "__main__":
    main()
