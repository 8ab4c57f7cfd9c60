"""Pytest fixture for the Slack emulator; load with
`pytest_plugins = ["tests.slack_emulator.fixtures"]`, or import `slack_emulator` into a module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers import skip_or_fail

from .server import SlackEmulator

__all__ = ["slack_emulator"]


@pytest.fixture
def slack_emulator() -> Iterator[SlackEmulator]:
    """A running emulator for one test, with its own workspace."""
    emulator = SlackEmulator()
    try:
        emulator.start()
    except OSError as exc:
        skip_or_fail(f"Slack emulator unavailable: {exc}")
    try:
        yield emulator
    finally:
        emulator.stop()
