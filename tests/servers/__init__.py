"""Real servers (Dovecot, SMTP, ...) started by the test suite on loopback."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

REQUIRE_SERVERS_ENV = "BILLBOT_REQUIRE_SERVERS"


def worker_name() -> str:
    """This pytest-xdist worker's id (`gw0`, `gw1`, ...), or `main` in a run without workers:
    a tag for the servers' folders and the databases of this process."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def servers_required() -> bool:
    """Whether a server that cannot start is a failure rather than a skip (CI)."""
    return os.environ.get(REQUIRE_SERVERS_ENV, "").strip() == "1"


def skip_or_fail(reason: str) -> NoReturn:
    """Skip the test because a server is unavailable, or fail if servers are required."""
    if servers_required():
        pytest.fail(f"{reason} ({REQUIRE_SERVERS_ENV}=1)", pytrace=False)
    pytest.skip(reason)
