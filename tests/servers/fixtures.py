"""Pytest fixtures for the mail servers; load with `pytest_plugins = ["tests.servers.fixtures"]`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers import skip_or_fail
from tests.servers.mailserver import MailServer, MailServerError

__all__ = ["isolated_mail_servers", "mail_servers"]


def _running_mail_server() -> Iterator[MailServer]:
    server = MailServer()
    try:
        server.start()
    except MailServerError as exc:
        server.close()
        skip_or_fail(f"mail servers unavailable: {exc}")
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def mail_servers() -> Iterator[MailServer]:
    """Dovecot + SMTP shared by the session; give each test its own users (`new_user`)."""
    yield from _running_mail_server()


@pytest.fixture
def isolated_mail_servers() -> Iterator[MailServer]:
    """Dovecot + SMTP for one test only: free to stop, restart and fill with mail."""
    yield from _running_mail_server()
