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


def build_workers(
    engine: Engine, settings: Settings, *, not_started: list[str] | None = None
) -> list[Worker]:
    """Every configured channel's worker, after the reminders (so one pass delivers them).
    A channel configured but not started is logged, and its reason added to `not_started`."""
    from bot.notify import sent_notifier
    from bot.reminders import ReminderWorker
    from bot.review import review_service
    from bot.settings import half_configured

    notify = sent_notifier(settings)
    reviews = review_service(engine, settings, on_sent=notify)
    workers: list[Worker] = []
    failed = half_configured(settings)
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
            failed.append(f"email is not started: {exc}")
    if settings.slack.configured:
        from bot.slack.errors import SlackError
        from bot.slack.worker import SlackWorker

        try:
            workers.append(SlackWorker(engine, settings, on_sent=notify, reviews=reviews))
        except SlackError as exc:
            failed.append(f"Slack is not started: {exc}")
    for line in failed:
        log.error("%s", line)
    if not_started is not None:
        not_started.extend(failed)
    return workers


def pass_summary(result: Any) -> tuple[str | None, bool]:
    """A worker's pass in words (None: nothing worth a line), and whether it failed: the mail
    worker's could not fetch (IMAP unreachable, sign-in refused) or its SMTP sign-in was
    refused; the Slack worker's result is the count it sent."""
    if result is None:
        return None, False
    if isinstance(result, int):
        return f"sent {result}", False
    delivery = getattr(result, "delivery", None)
    if delivery is None:
        return str(result), False
    said = [f"received {len(result.received)}", f"sent {delivery.sent}"]
    said += [
        f"{count} {word}"
        for count, word in (
            (delivery.retried, "to retry later"),
            (delivery.failed, "given up"),
            (delivery.postponed, "waiting for the SMTP sign-in"),
        )
        if count
    ]
    line = ", ".join(said)
    if not result.fetched:
        line += " (another worker fetches the mailbox)"
    if result.errors:
        line += "; errors: " + "; ".join(result.errors)
    return line, bool(result.errors or delivery.postponed)


async def run_once(workers: list[Worker]) -> bool:
    """One pass of each worker, one after the other; a failing worker does not stop the rest.
    Whether every pass went through (see `pass_summary`)."""
    ok = True
    for worker in workers:
        try:
            result = await worker.run_once()
        except Exception:
            log.exception("%s: pass failed", worker.name)
            ok = False
            continue
        line, failed = pass_summary(result)
        if line is not None:
            (log.error if failed else log.info)("%s: %s", worker.name, line)
        ok = ok and not failed
    return ok


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
    """Run the workers; the exit code: 1 if nothing is configured, or (`once`) if a
    configured channel could not start or its pass failed."""
    with logging_to_stderr():
        if not once and STOP_REQUESTED.is_set():
            log.info("stopped before starting")
            return 0
        not_started: list[str] = []
        workers = build_workers(engine, settings, not_started=not_started)
        if not workers:
            if not not_started:
                log.error("nothing to run: configure BILLBOT_MAIL__* and/or BILLBOT_SLACK__*")
            return 1
        if not once:
            asyncio.run(run_forever(workers))
            return 0
        ok = asyncio.run(run_once(workers))
    return 0 if ok and not not_started else 1
