"""`billbot run`: the composition root that builds every configured worker and runs them.

A worker has `name`, `async run_once()` and `async run_forever(stop)`. Mail runs when
`BILLBOT_MAIL__*` is configured, Slack when `BILLBOT_SLACK__BOT_TOKEN` is and its module
exists; the reminders worker is added here too (see `build_workers`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger("billbot")


class Worker(Protocol):
    name: str

    async def run_once(self) -> Any: ...

    async def run_forever(self, stop: asyncio.Event) -> None: ...


class StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time (test runners swap it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


@contextlib.contextmanager
def logging_to_stderr(level: int = logging.INFO) -> Iterator[None]:
    """Log lines with timestamps on stderr while the block runs."""
    root = logging.getLogger()
    handler = StderrHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    previous = root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def build_workers(engine: Engine, settings: Settings) -> list[Worker]:
    """Every configured channel's worker, after the reminders (so one pass delivers them)."""
    from bot.notify import sent_notifier
    from bot.reminders import ReminderWorker
    from bot.review import review_service

    notify = sent_notifier(settings)
    reviews = review_service(engine, settings, on_sent=notify)
    workers: list[Worker] = []
    if settings.mail.configured or settings.slack.configured:
        workers.append(ReminderWorker(engine, settings))
    if settings.mail.configured:
        from mail.config import secret_bytes
        from mail.errors import MailError
        from mail.worker import MailWorker

        try:
            secret_bytes(settings.mail)
            workers.append(MailWorker(engine, settings, on_sent=notify, reviews=reviews))
        except MailError as exc:
            log.error("email is not started: %s", exc)
    if settings.slack.configured:
        from bot.slack.errors import SlackError
        from bot.slack.worker import SlackWorker

        try:
            workers.append(SlackWorker(engine, settings, on_sent=notify, reviews=reviews))
        except SlackError as exc:
            log.error("Slack is not started: %s", exc)
    return workers


async def run_once(workers: list[Worker]) -> None:
    """One pass of each worker, one after the other; a failing worker does not stop the rest."""
    for worker in workers:
        try:
            result = await worker.run_once()
            log.info("%s: %s", worker.name, result)
        except Exception:
            log.exception("%s: pass failed", worker.name)


# Set by SIGTERM/SIGINT from the moment `billbot run` starts (see `catch_stop_signals`), so a
# stop that arrives while the worker is still starting up ends in a graceful exit too.
STOP_REQUESTED = threading.Event()


def catch_stop_signals() -> None:
    """Turn SIGTERM/SIGINT into a stop request until the event loop takes them over."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda _signum, _frame: STOP_REQUESTED.set())


async def run_forever(workers: list[Worker], stop: asyncio.Event | None = None) -> None:
    """All workers concurrently until SIGINT/SIGTERM (or `stop`); then a graceful stop."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    if STOP_REQUESTED.is_set():  # asked to stop while starting up
        stop.set()
    tasks = [asyncio.create_task(w.run_forever(stop), name=w.name) for w in workers]
    log.info("running %s", ", ".join(w.name for w in workers))
    try:
        await stop.wait()
    finally:
        stop.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for worker, result in zip(workers, results, strict=True):
            if isinstance(result, BaseException):
                log.error("%s stopped with %r", worker.name, result)
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)
    log.info("stopped")


def run(engine: Engine, settings: Settings, *, once: bool) -> int:
    """Run the workers; the exit code (1 if nothing is configured)."""
    with logging_to_stderr():
        if not once and STOP_REQUESTED.is_set():
            log.info("stopped before starting")
            return 0
        workers = build_workers(engine, settings)
        if not workers:
            log.error("nothing to run: configure BILLBOT_MAIL__* and/or BILLBOT_SLACK__*")
            return 1
        asyncio.run(run_once(workers) if once else run_forever(workers))
    return 0
