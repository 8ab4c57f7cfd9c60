"""Slack HTTP mode under a burst: 200 users answering at once, billbot against a bare bolt app.

Starts the Slack Web API emulator (`tests.slack_emulator.SlackEmulator`, a thread of this
process) and a bare slack-bolt app that only acks (same HTTP mode: aiohttp, signature
checked, `process_before_response=True`), in a process of its own. Then, on SQLite with one
`SlackWorker` process and on PostgreSQL with three (sharing the port with SO_REUSEPORT; a
throwaway database on 127.0.0.1:5432, dropped afterwards): a site with N cloned 10-line
commitments (one contact each, a Slack user id registered in the emulator) and a Slack
invite each, delivered by the workers. Two conversations are played alone first (how many
messages each step posts). Then N users at once, no think time: each plays its
conversation as a person would, sending the next request as soon as the answer to the
previous one has been posted to the emulator: the invite's Start button (`block_actions`),
the invoice number, `1: 20%`, `2: 5 units` (or `2: $5,000`), one message answering lines
3-10, `review` (`message.im` events in the invite's thread), and the review's Save draft
button. Measured per request: sent -> HTTP response (the ack), and sent -> first message
of its answer posted to the emulator (the message's ts). The requests of the burst's first
`--bare-seconds` (10 s: the 200 Start clicks at once, then the messages while the turns
queue), with their headers and bodies, are then sent again to the bare app, each at the same
moment after the start (the same burst), and its acks measured the same way; the ratio
compares the p99s over that window (replaying all of it would double the run). A user
still waiting for an answer `--burst-seconds` (60 s) after the burst began gives up: their
review counts as not posted.

Targets (issue 12): ack p99 <= 50 ms and <= 10x the bare app's; every user's review posted;
request -> answer posted p99 <= 1 s. Prints each ratio, and MISSED where a target is missed.
Never fails on timing.

    .venv/bin/python bench/bench_slack.py [--users 200] [--lines 10] [--workers 3]
        [--burst-seconds 60] [--bare-seconds 10] [--only sqlite|postgresql]
        [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import multiprocessing
import re
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from bench_email import site_data
from bench_reminders import DEFAULT_POSTGRES, with_postgres
from machine import banner, percentile
from pydantic import SecretStr
from sqlmodel import select

from bot.settings import Settings, SlackSettings
from bot.slack.invite import queue_slack_invite
from bot.slack.worker import EVENTS_PATH, SlackWorker
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

ACK_P99_TARGET = 0.050
BARE_RATIO_TARGET = 10.0
REPLY_P99_TARGET = 1.0
SOLO = 2  # conversations played alone first (one unit-based, one amount-based)
QUIET = 0.4  # alone, an answer is complete after this long without a new message
WAIT = 60.0  # the longest a user waits for an answer before giving up
SECRET = "bench-signing-secret"

Request = tuple[str, dict[str, str], str]  # kind, headers, body


def settings_for(db_url: str, files: str, api_url: str, bot_token: str, port: int) -> Settings:
    return Settings(
        database_url=db_url,
        attachments_dir=Path(files),
        slack=SlackSettings(
            bot_token=SecretStr(bot_token),
            signing_secret=SecretStr(SECRET),
            api_url=api_url,
            port=port,
        ),
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# The processes: billbot's workers, and the bare app ---------------------------------------------


def serve(db_url: str, files: str, api_url: str, bot_token: str, port: int, pipe: Any) -> None:
    """Run a SlackWorker (HTTP, sharing `port`) until told to stop."""
    logging.basicConfig(level=logging.ERROR)
    engine = make_engine(db_url)
    settings = settings_for(db_url, files, api_url, bot_token, port)

    async def main() -> None:
        worker = SlackWorker(engine, settings, poll_seconds=0.2, reuse_port=True)
        stop, ready = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(worker.run_forever(stop, ready=ready))
        await asyncio.wait_for(ready.wait(), timeout=30)
        pipe.send(worker.port)
        await asyncio.get_running_loop().run_in_executor(None, pipe.recv)  # "stop"
        stop.set()
        await asyncio.wait_for(task, timeout=30)

    asyncio.run(main())


def serve_bare(port: int, pipe: Any) -> None:
    """A slack-bolt app that only acks: the floor of an HTTP-mode ack on this machine."""
    from aiohttp import web
    from slack_bolt.async_app import AsyncAck, AsyncApp
    from slack_bolt.authorization import AuthorizeResult

    logging.basicConfig(level=logging.ERROR)

    async def authorize(team_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=None, team_id=team_id, bot_token="xoxb-bare", bot_user_id="UBARE"
        )

    async def acked(ack: AsyncAck) -> None:
        await ack()

    async def heard() -> None:
        return None

    async def main() -> None:
        app = AsyncApp(signing_secret=SECRET, authorize=authorize, process_before_response=True)
        app.event("message")(heard)
        app.action(re.compile(".*"))(acked)
        app.view(re.compile(".*"))(acked)
        runner = web.AppRunner(app.web_app(path=EVENTS_PATH), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host="127.0.0.1", port=port).start()
        pipe.send(port)
        await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        await runner.cleanup()

    asyncio.run(main())


@contextlib.contextmanager
def processes(target: Callable[..., None], count: int, *args: Any) -> Iterator[int]:
    """`count` processes running `target(*args, pipe)`; yields the port they serve."""
    context = multiprocessing.get_context("spawn")
    started = []
    try:
        for _ in range(count):
            ours, theirs = context.Pipe()
            process = context.Process(target=target, args=(*args, theirs), daemon=True)
            process.start()
            started.append((process, ours))
        ports = set()
        for _, ours in started:
            if not ours.poll(60):
                raise RuntimeError("a server process did not start")
            ports.add(int(ours.recv()))
        yield ports.pop()
    finally:
        for _, ours in started:
            with contextlib.suppress(OSError):
                ours.send("stop")
        for process, _ in started:
            process.join(30)
            if process.is_alive():
                process.kill()
                process.join()


# The site -------------------------------------------------------------------------------------


def build_site(db_url: str, users: int, lines: int, slack: SlackEmulator, prefix: str) -> None:
    data = site_data(users, lines)
    for person in data["people"]:
        key = person["key"]
        if key.startswith("p") and key[1:].isdigit():
            person["slack_user_id"] = f"{prefix}{int(key[1:]):06d}"
            slack.add_user(person["slack_user_id"], person["email"], person["name"])
    engine = make_engine(db_url)
    upgrade(engine)
    import_text(engine, text=json.dumps(data))
    settings = settings_for(db_url, "", slack.base_url, slack.bot_token, 0)
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


# Slack's side -----------------------------------------------------------------------------------


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


def click(user: str, message: dict[str, Any], action: str) -> Request | None:
    found = find_button(message, action)
    if found is None:
        return None
    block_id, element = found
    pressed = button_action(element["action_id"], element.get("value", ""), block_id=block_id)
    payload = block_actions(
        user=user, actions=[pressed], channel=message["channel"], message=message
    )
    headers, body = signed_interaction(SECRET, payload)
    return "block_actions", headers, body


def say(user: str, text: str, dm: dict[str, Any]) -> Request:
    event = message_event(user=user, text=text, channel=dm["channel"], thread_ts=dm["ts"])
    headers, body = signed_event(SECRET, event_callback(event))
    return "message.im", headers, body


class Watcher:
    """The emulator's posted messages, by DM channel, as they arrive (one poller)."""

    def __init__(self, slack: SlackEmulator) -> None:
        self.slack = slack
        self.seen = 0
        self.by_channel: dict[str, list[dict[str, Any]]] = {}
        self.changed = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with self.slack.lock:
                fresh = self.slack.messages[self.seen :]
                self.seen += len(fresh)
            for message in fresh:
                self.by_channel.setdefault(message["channel"], []).append(message)
            if fresh:
                self.changed.set()
                self.changed = asyncio.Event()
            await asyncio.sleep(0.005)

    def messages(self, channel: str) -> list[dict[str, Any]]:
        return self.by_channel.get(channel, [])

    async def until(self, probe: Callable[[], Any], timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        while not (found := probe()):
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)
        return found


# What each step of `Burst.steps` is, for the answers' figures by step.
STEP_NAMES = (
    "start click",
    "invoice no.",
    "line 1",
    "line 2",
    "other lines",
    "review",
    "draft click",
)


@dataclass
class Burst:
    url: str
    watcher: Watcher
    lines: int
    prefix: str
    counts: dict[bool, list[int]] = field(default_factory=dict)  # unit-based -> per step
    acks: dict[str, list[float]] = field(default_factory=dict)
    replies: list[float] = field(default_factory=list)
    replies_by_step: dict[str, list[float]] = field(default_factory=dict)
    sent: list[tuple[float, Request]] = field(default_factory=list)  # (offset, request)
    timed: list[tuple[float, float]] = field(default_factory=list)  # (offset, ack seconds)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    reviews: int = 0
    missing: Counter[str] = field(default_factory=Counter)
    started: float = 0.0
    elapsed: float = 0.0
    deadline: float = float("inf")  # monotonic time after which nobody waits for an answer

    def user(self, i: int) -> str:
        return f"{self.prefix}{i:06d}"

    def steps(self, i: int, unit: bool) -> list[tuple[str, str]]:
        answers = "\n".join(f"{n}: 20%" for n in range(3, self.lines + 1)) or "status"
        return [
            ("click", "start"),
            ("say", f"INV-{5000 + i}" if unit else f"NW-{5000 + i}"),  # unused numbers
            ("say", "1: 20%"),
            ("say", "2: 5 units" if unit else "2: $5,000"),
            ("say", answers),
            ("say", "review"),
            ("click", "draft"),
        ]

    async def post(self, http: aiohttp.ClientSession, request: Request) -> float | None:
        """Send one request; the wall-clock time it was sent (None when it failed)."""
        wall, before = time.time(), time.perf_counter()
        self.sent.append((before - self.started, request))
        kind, headers, body = request
        try:
            async with http.post(self.url, headers=headers, data=body.encode()) as response:
                await response.read()
                self.statuses[response.status] += 1
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.errors[type(exc).__name__] += 1
            return None
        spent = time.perf_counter() - before
        self.acks.setdefault(kind, []).append(spent)
        self.timed.append((before - self.started, spent))
        return wall

    async def conversation(self, http: aiohttp.ClientSession, i: int, channel: str) -> None:
        unit = i % 2 == 0  # bench_core.scaled_demo: unit-based and amount-based alternately
        user = self.user(i)
        dm = next((m for m in self.watcher.messages(channel) if find_button(m, "start")), None)
        if dm is None:
            self.missing["no invite"] += 1
            return
        solo = unit not in self.counts
        expected = len(self.watcher.messages(channel))  # the invite
        learned: list[int] = []
        last: dict[str, Any] = dm
        for n, (how, what) in enumerate(self.steps(i, unit)):
            request = click(user, last, what) if how == "click" else say(user, what, dm)
            if request is None:
                self.missing[f"no {what} button"] += 1
                return
            before = len(self.watcher.messages(channel))
            wall = await self.post(http, request)
            if wall is None:
                return
            if solo:
                count = await self.quiet(channel, before)
                learned.append(count)
            else:
                expected += self.counts[unit][n]
                left = min(WAIT, self.deadline - time.monotonic())
                got = await self.watcher.until(self.count_reached(channel, expected), left)
                if not got:
                    self.missing[f"no answer to {what!r} in time"] += 1
                    return
            answer = self.watcher.messages(channel)[before]
            if not solo:
                self.replies.append(float(answer["ts"]) - wall)
                self.replies_by_step.setdefault(STEP_NAMES[n], []).append(self.replies[-1])
            if what == "review":
                last = next(
                    (m for m in self.watcher.messages(channel)[before:] if find_button(m, "draft")),
                    answer,
                )
                self.reviews += find_button(last, "draft") is not None
        if solo:
            self.counts[unit] = learned

    def count_reached(self, channel: str, count: int) -> Callable[[], bool]:
        return lambda: len(self.watcher.messages(channel)) >= count

    async def quiet(self, channel: str, before: int) -> int:
        """Alone: wait for an answer, then until QUIET s pass without another message."""
        await self.watcher.until(lambda: len(self.watcher.messages(channel)) > before, WAIT)
        count = -1
        while count != len(self.watcher.messages(channel)):
            count = len(self.watcher.messages(channel))
            await asyncio.sleep(QUIET)
        return count - before

    async def run(self, users: list[tuple[int, str]]) -> float:
        """Play the conversations of (i, DM channel) at once; the seconds it took."""
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            self.started = time.perf_counter()
            await asyncio.gather(*(self.conversation(http, i, dm) for i, dm in users))
            return time.perf_counter() - self.started


async def replay(url: str, sent: list[tuple[float, Request]]) -> tuple[list[float], Counter[int]]:
    """The same requests, each at the same moment after the start: the acks' latencies."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=30)
    ) as http:
        started = time.perf_counter()

        async def one(offset: float, request: Request) -> None:
            await asyncio.sleep(max(0.0, started + offset - time.perf_counter()))
            _, headers, body = request
            before = time.perf_counter()
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.post(url, headers=headers, data=body.encode()) as response:
                    await response.read()
                    statuses[response.status] += 1
                    latencies.append(time.perf_counter() - before)

        await asyncio.gather(*(one(offset, request) for offset, request in sent))
    return latencies, statuses


# The run ----------------------------------------------------------------------------------------


def line(values: list[float]) -> str:
    if not values:
        return "none"
    return (
        f"p50 {percentile(values, 0.50) * 1000:,.1f} ms, p99 {percentile(values, 0.99) * 1000:,.1f}"
        f" ms, max {max(values) * 1000:,.1f} ms"
    )


def target(name: str, measured: float, limit: float, unit: str = "") -> str:
    word = "met" if measured <= limit else "MISSED"
    ratio = measured / limit
    return f"  {name}: {word} ({measured:,.3g}{unit} against {limit:,.3g}{unit}: {ratio:.2f}×)"


async def play(
    url: str, slack: SlackEmulator, prefix: str, users: int, lines: int, seconds: float
) -> Burst:
    stop = asyncio.Event()
    watcher = Watcher(slack)
    watching = asyncio.create_task(watcher.run(stop))
    everyone = [(i, slack.dm_channel(f"{prefix}{i:06d}")) for i in range(users + SOLO)]
    try:
        await watcher.until(lambda: all(watcher.messages(dm) for _, dm in everyone), 120)
        burst = Burst(url, watcher, lines, prefix)
        await burst.run(everyone[users:])  # alone: one unit-based, one amount-based
        burst.acks.clear()
        burst.replies.clear()
        burst.sent.clear()
        burst.timed.clear()
        burst.statuses.clear()
        burst.reviews = 0
        burst.deadline = time.monotonic() + seconds
        burst.elapsed = await burst.run(everyone[:users])
        return burst
    finally:
        stop.set()
        await watching


def run_one(
    name: str, db_url: str, workers: int, args: argparse.Namespace, slack: SlackEmulator, bare: int
) -> None:
    prefix = "U1S" if workers == 1 else "U1P"
    started = time.perf_counter()
    build_site(db_url, args.users + SOLO, args.lines, slack, prefix)
    with tempfile.TemporaryDirectory(prefix="billbot-bench-slack-files-") as files:
        port = free_port()
        spec = (db_url, files, slack.base_url, slack.bot_token, port)
        with processes(serve, workers, *spec):
            url = f"http://127.0.0.1:{port}{EVENTS_PATH}"
            print(
                f"\n-- {name}, {workers} SlackWorker process{'es' if workers > 1 else ''} "
                f"(HTTP, port {port}): site of {args.users + SOLO} contacts built and workers "
                f"started in {time.perf_counter() - started:.1f} s"
            )
            burst = asyncio.run(
                play(url, slack, prefix, args.users, args.lines, args.burst_seconds)
            )
    window = [(offset, request) for offset, request in burst.sent if offset < args.bare_seconds]
    bare_acks, bare_statuses = asyncio.run(replay(f"http://127.0.0.1:{bare}{EVENTS_PATH}", window))
    ours = [spent for offset, spent in burst.timed if offset < args.bare_seconds]
    report(burst, (ours, bare_acks, bare_statuses, args.bare_seconds), args.users)


def report(
    burst: Burst, bare: tuple[list[float], list[float], Counter[int], float], users: int
) -> None:
    """Print the figures and the targets (`bare`: billbot's acks in the replayed window, the
    bare app's, its statuses, the window's seconds)."""
    acks = [v for values in burst.acks.values() for v in values]
    ours, bare_acks, bare_statuses, seconds = bare
    elapsed = burst.elapsed
    print(
        f"{users} users at once, no think time: {len(acks):,} requests in {elapsed:.1f} s "
        f"({len(acks) / elapsed if elapsed else 0:,.0f} requests/s); statuses "
        f"{dict(burst.statuses)}; client errors {dict(burst.errors) or 'none'}"
    )
    if burst.missing:
        print(f"conversations cut short: {dict(burst.missing)}")
    print(f"ack, billbot:         {line(acks)}")
    for kind, values in burst.acks.items():
        print(f"  {kind:<14} {len(values):>5}: {line(values)}")
    print(
        f"first {seconds:g} s of the burst ({len(ours):,} requests), billbot: {line(ours)}; the "
        f"same requests at the same moments to a bare slack-bolt app: {line(bare_acks)} "
        f"(statuses {dict(bare_statuses)})"
    )
    print(f"request -> answer posted: {line(burst.replies)} ({len(burst.replies):,} answers)")
    for step, values in burst.replies_by_step.items():
        print(f"  {step:<14} {len(values):>5}: {line(values)}")
    print(f"reviews posted: {burst.reviews} of {users}")
    if not acks or not ours or not bare_acks:
        print("  MISSED: nothing measured")
        return
    p99 = percentile(acks, 0.99)
    print(target("ack p99", p99 * 1000, ACK_P99_TARGET * 1000, " ms"))
    ratio = percentile(ours, 0.99) / percentile(bare_acks, 0.99)
    print(target(f"ack p99 / bare p99 (first {seconds:g} s)", ratio, BARE_RATIO_TARGET))
    reviews = (
        "met"
        if burst.reviews == users
        else f"MISSED ({burst.reviews}/{users} = {burst.reviews / users:.2f})"
    )
    print(f"  every user's review posted: {reviews}")
    if burst.replies:
        reply = percentile(burst.replies, 0.99)
        print(target("request -> answer posted p99", reply * 1000, REPLY_P99_TARGET * 1000, " ms"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200, help="users answering at once")
    parser.add_argument("--lines", type=int, default=10, help="SOV lines per commitment")
    parser.add_argument("--workers", type=int, default=3, help="worker processes on PostgreSQL")
    parser.add_argument(
        "--burst-seconds",
        type=float,
        default=60.0,
        help="after this long, nobody waits for an answer any more (keeps the run short)",
    )
    parser.add_argument(
        "--bare-seconds",
        type=float,
        default=10.0,
        help="how much of the burst is replayed to the bare app (from its start)",
    )
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES, help="an admin URL")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    banner("bench_slack: Slack HTTP mode, 200 users answering at once")
    slack = SlackEmulator().start()
    try:
        with processes(serve_bare, 1, free_port()) as bare:
            if args.only != "postgresql":
                with tempfile.TemporaryDirectory(prefix="billbot-bench-slack-") as folder:
                    sqlite_url = f"sqlite:///{Path(folder) / 'billbot.db'}"
                    run_one("SQLite", sqlite_url, 1, args, slack, bare)
            if args.only != "sqlite":
                with_postgres(
                    args.postgres_url,
                    lambda engine: run_one(
                        "PostgreSQL",
                        engine.url.render_as_string(hide_password=False),
                        args.workers,
                        args,
                        slack,
                        bare,
                    ),
                )
    finally:
        slack.stop()


if __name__ == "__main__":
    main()
