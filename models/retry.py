"""Retrying a database write that lost a race or its connection: a conversation turn (a
stale version, a unique row written first by another worker, a dropped connection) and the
outboxes' delivery records (a sent message whose mark is lost would be sent again)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)


def write_pause(attempt: int) -> float:
    """Seconds before recording a delivery outcome again after a dropped connection: 0.05 s
    doubling to 1 s, so ten attempts ride out about five seconds of database trouble (a
    sent message whose mark is lost would be sent again once its claim expires)."""
    return min(0.05 * 2 ** (attempt - 1), 1.0)


def no_pause(_attempt: int) -> float:
    return 0.0


def retried(
    write: Callable[[], T],
    *,
    attempts: int,
    errors: tuple[type[BaseException], ...],
    what: str,
    pause: Callable[[int], float] = no_pause,
) -> T:
    """`write()`, tried again on `errors` up to `attempts` times in all (the last error is
    raised); `what` names it in the log."""
    for attempt in range(1, attempts + 1):
        try:
            return write()
        except errors as exc:
            if attempt == attempts:
                raise
            log.info("%s retried after %s", what, exc)
            seconds = pause(attempt)
            if seconds:
                time.sleep(seconds)
    raise AssertionError("unreachable")  # pragma: no cover


__all__ = ["no_pause", "retried", "write_pause"]
